// memshim's log lines next to pino's own (pino 10, memshim's options before it stopped loading pino): the same
// bytes for every kind of field value, message, level and threshold.
import t from 'tap';
import pino from 'pino';
import { LOG_LEVELS, lineLogger, type Logger, type LogLevel } from '../../src/common/log.js';

type Method = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const METHODS: Method[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** pino as memshim created it, writing to `lines`. */
function pinoLogger(level: LogLevel, lines: string[]): Logger {
  return pino(
    { name: 'memshim', level, base: { memshimPid: process.pid } },
    { write: (line: string) => void lines.push(line) },
  ) as unknown as Logger;
}

const LONG = 'x'.repeat(150);
const FIELDS: (object | null)[] = [
  { event: 'plan', runtime: 'jvm', memoryBytes: 536870912, cpus: 1.5, set: ['JAVA_TOOL_OPTIONS', 'X'] },
  { event: 'start', command: '/bin/true', pid: 42, group: true, tty: false, code: null, signal: null },
  { numbers: [0, -0, 1e21, 1.5e-7, -3], nan: Number.NaN, inf: Infinity, minusInf: -Infinity, big: 10n },
  { quote: 'say "hi"', backslash: 'C:\\dir', both: '"\\"', newline: 'a\nb', tab: 'a\tb', nul: 'a\u0000b' },
  { unicode: 'é ü 日本 😀', lone: 'a\ud800b', separator: 'a\u2028b', del: 'a\u007fb', long: LONG },
  { longQuote: `${LONG}"`, longLone: `${LONG}\ud800`, empty: '', space: ' ' },
  { nested: { a: 1, b: [1, 'two', null, { c: true }], d: { e: 'f"g' } }, date: new Date(0), re: /x/g },
  { undef: undefined, fn: () => 1, sym: Symbol('s'), kept: 1, error: new Error('boom') },
  { 'key "quoted"': 1, 'key\\back': 2, 'key\nline': 3, msg: 'a msg field', level: 'a level field', time: 0 },
  { toJSONUndefined: { toJSON: () => undefined }, toJSON: { toJSON: () => 'custom' } },
  Object.assign(Object.create({ inherited: 1 }) as object, { own: 2 }),
  {},
  null,
];
const MESSAGES: (string | undefined)[] = [
  'planning for jvm',
  undefined,
  '',
  'with "quotes" and \\ and\nnewline',
  '50% done %s %d',
  LONG,
  'a\ud800b',
];

t.test('every field kind and message: the bytes pino writes', async (t) => {
  const realNow = Date.now;
  Date.now = () => 1796120890514;
  t.teardown(() => void (Date.now = realNow));
  const ours: string[] = [];
  const theirs: string[] = [];
  const mine = lineLogger('trace', (line) => void ours.push(line));
  const reference = pinoLogger('trace', theirs);
  for (const fields of FIELDS) {
    for (const message of MESSAGES) {
      for (const method of METHODS) {
        mine[method](fields, message);
        reference[method](fields, message);
      }
    }
  }
  for (const message of MESSAGES.filter((m): m is string => m !== undefined)) {
    mine.info(message);
    reference.info(message);
  }
  t.equal(ours.length, theirs.length, 'as many lines');
  for (let i = 0; i < theirs.length; i++) if (ours[i] !== theirs[i]) t.equal(ours[i], theirs[i], `line ${i}`);
  t.ok(ours.length > 500, `${ours.length} lines compared`);
});

t.test('each threshold lets through what pino lets through, and says so as pino does', async (t) => {
  for (const level of LOG_LEVELS) {
    const ours: string[] = [];
    const theirs: string[] = [];
    const mine = lineLogger(level, (line) => void ours.push(line));
    const reference = pinoLogger(level, theirs);
    for (const method of METHODS) {
      mine[method]({ event: method }, method);
      reference[method]({ event: method }, method);
    }
    const levels = (lines: string[]) => lines.map((line) => (JSON.parse(line) as { level: number }).level);
    t.same(levels(ours), levels(theirs), `at ${level}`);
    for (const method of METHODS)
      t.equal(mine.isLevelEnabled(method), reference.isLevelEnabled(method), `isLevelEnabled('${method}') at ${level}`);
  }
});
