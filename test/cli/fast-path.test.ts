// The start path's parser (src/cli/fast.ts) next to yargs (src/cli/yargs.ts): for every option of the table, in
// every form, with and without MEMSHIM_* variables, main() ends the same way through both (exit code, what it
// prints, the config it hands the command), and the plain forms are really taken by the start path.
import t from 'tap';
import { main, type Dispatch } from '../../src/cli.js';
import { fastRunArgs } from '../../src/cli/fast.js';
import { RUN_OPTIONS } from '../../src/cli/options.js';
import type { Io } from '../../src/common/io.js';

interface Ended {
  code: number | undefined;
  stdout: string;
  stderr: string;
  configs: unknown[];
  threw?: string;
}

async function ending(argv: string[], env: NodeJS.ProcessEnv, parser: 'fast' | 'yargs'): Promise<Ended> {
  const ended: Ended = { code: undefined, stdout: '', stderr: '', configs: [] };
  const io: Io = { stdout: (text) => void (ended.stdout += text), stderr: (text) => void (ended.stderr += text) };
  const dispatch: Dispatch = {
    exitCode: undefined,
    run: async (config) => (ended.configs.push(['run', config]), 0),
    status: async (config) => (ended.configs.push(['status', config]), 0),
    sidecar: async (config) => (ended.configs.push(['sidecar', config]), 0),
  };
  try {
    ended.code = await main(argv, env, dispatch, io, parser);
  } catch (error) {
    // What memshim calls an internal error (src/main.ts): the same one both ways.
    ended.threw = String(error);
  }
  return ended;
}

/** Sample values per option: valid ones, and ones each check refuses. */
const VALUES: Record<string, string[]> = {
  memory: ['512Mi', '1 Gi', '100', '12X', '', '-1'],
  cpus: ['1.5', '500m', ' 2 ', '-1', 'many'],
  procfs: ['/tmp/p', ''],
  sysfs: ['/tmp/s'],
  'health-port': ['9464', '0', '70000', 'http', ''],
  'health-host': ['127.0.0.1', '::'],
  'monitor-interval': ['0.5', '0', '2'],
  rewrite: ['15:3', 'TERM:QUIT', '15', '9:15'],
  'grace-period': ['5', '5.0', '10', '-3', 'abc'],
  'stop-delay': ['0', '5', 'x', ''],
  'remap-exit': ['143:0', '300:0', '1:2'],
  pdeathsig: ['TERM', '10', 'KILL', 'nope'],
  'termination-log': ['', 'verdict.txt', '/dev/termination-log'],
  'state-dir': ['', 'state', '/var/run/m'],
};

const COMMAND = ['--', 'node', 'app.js'];

function optionForms(): string[][] {
  const forms: string[][] = [];
  for (const [name, spec] of Object.entries(RUN_OPTIONS)) {
    if (spec.type === 'boolean') {
      forms.push(
        [`--${name}`],
        [`--no-${name}`],
        [`--${name}=true`],
        [`--${name}`, 'false'],
        [`--${name}`, `--${name}`],
      );
      continue;
    }
    const values = [...(spec.choices ?? []), ...(spec.choices ? ['WRONG', spec.choices[0]!.toUpperCase()] : [])];
    for (const value of spec.choices ? values : VALUES[name]!) forms.push([`--${name}`, value], [`--${name}=${value}`]);
    forms.push([`--${name}`], [`--no-${name}`]);
    if (spec.array) {
      forms.push([`--${name}`, '1:2', '3:4'], [`--${name}=1:2`, '3:4'], [`--${name}`, '1:2', `--${name}`, '3:4']);
    } else {
      forms.push([`--${name}`, 'a', `--${name}`, 'b']);
    }
  }
  return forms;
}

const ENVS: NodeJS.ProcessEnv[] = [
  {},
  { MEMSHIM_MEMORY: '1Gi', MEMSHIM_CPUS: '0.5', MEMSHIM_HEALTH_PORT: '9464', MEMSHIM_LOG_LEVEL: 'debug' },
  {
    MEMSHIM_LOG_LEVEL: 'WARN',
    MEMSHIM_LOG_FORMAT: 'Pretty',
    MEMSHIM_STOP_DELAY: '3',
    MEMSHIM_REMAP_EXIT: '143:0, 1:2',
    MEMSHIM_PDEATHSIG: 'TERM',
    MEMSHIM_TERMINATION_LOG: 'x/verdict',
    MEMSHIM_STATE_DIR: '/var/run/m',
  },
  { MEMSHIM_MEMORY: 'lots', MEMSHIM_HEALTH_PORT: '' },
  { MEMSHIM_REMAP_EXIT: 'bad', MEMSHIM_LOG_FORMAT: 'xml' },
];

/** Whole command lines: the plain forms, what only yargs takes, and the usage errors of combinations. */
const COMMAND_LINES: string[][] = [
  [],
  ['--'],
  ['--', ''],
  ['--', 'true'],
  ['--', 'a', '--', 'b'],
  ['--', '--exec'],
  ['--', 'status', '--check'],
  ['--', 'x y', 'é', '-', '--', '---'],
  ['node', 'app.js'],
  ['node', '--', 'x'],
  ['--exec', 'node'],
  ['status'],
  ['status', '--json', '--check'],
  ['sidecar'],
  ['sidecar', '--pid', '12'],
  ['--version'],
  ['-V'],
  ['-x', ...COMMAND],
  ['--dryRun', ...COMMAND],
  ['--dry_run', ...COMMAND],
  ['--memory.x', '1', ...COMMAND],
  ['--constructor', ...COMMAND],
  ['--__proto__', 'x', ...COMMAND],
  ['--health-port', '--', 'x'],
  ['--memory'],
  ['--rewrite', '15:3', 'node', 'a'],
  ['--json', ...COMMAND],
  ['--dry-run', '--json', ...COMMAND],
  ['--exec', '--dry-run', '--json', '--', 'node', '--rewrite', '--health-port', '1'],
  ['--exec', '--health-port', '9464', '--rewrite', '15:3', ...COMMAND],
  ['--exec', '--grace-period', '5', '--monitor-interval', '1.5', '--no-monitor', ...COMMAND],
  ['--exec', '--grace-period', '5.0', ...COMMAND],
  ['--exec', '--termination-log', '', ...COMMAND],
  ['--rewrite', '15:3', '--exec', ...COMMAND],
  ['--tune', '--no-tune', ...COMMAND],
  [
    '--log-level',
    'debug',
    '--log-format',
    'pretty',
    '--health-port',
    '9000',
    '--health-host',
    '::',
    '--monitor-interval',
    '2',
    '--single-child',
    '--rewrite',
    '15:3',
    '--grace-period',
    '7',
    '--stop-delay',
    '1',
    '--remap-exit',
    '143:0',
    '--pdeathsig',
    'USR1',
    '--termination-log',
    't',
    '--state-dir',
    's',
    '--no-monitor',
    '--python-memory-cap',
    '--no-exit-on-oom',
    '--memory=1Gi',
    '--cpus=2',
    '--runtime=jvm',
    '--procfs=/p',
    '--sysfs=/s',
    ...COMMAND,
  ],
];

t.test('the start path and yargs end the same way for every option, form and variable', async (t) => {
  // Every form of every option under two environments; whole command lines under all of them.
  const cases = [
    ...[ENVS[0]!, ENVS[2]!].flatMap((env) => optionForms().map((form) => ({ env, argv: [...form, ...COMMAND] }))),
    ...ENVS.flatMap((env) => COMMAND_LINES.map((argv) => ({ env, argv }))),
  ];
  let compared = 0;
  let taken = 0;
  for (const { env, argv } of cases) {
    const fast = await ending(argv, env, 'fast');
    const full = await ending(argv, env, 'yargs');
    // One assertion per case that differs, not hundreds of passing ones: the counts are checked below.
    if (JSON.stringify(fast, replacer) !== JSON.stringify(full, replacer))
      t.same(fast, full, `${JSON.stringify(env)} memshim ${JSON.stringify(argv)}`);
    compared++;
    if (fastRunArgs(argv) !== null && fast.code === 0) taken++;
  }
  t.ok(taken > 100, `${taken} of them run through the start path`);
  t.ok(compared > 500, `${compared} command lines compared`);
});

/** Maps and RegExps as text, so that two configs compare by content. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Map) return ['Map', ...value];
  if (value instanceof RegExp) return `RegExp ${String(value)}`;
  return value;
}

t.test('the plain forms are taken by the start path, the rest left to yargs', async (t) => {
  const taken: string[][] = [
    ['--', 'true'],
    ['--exec', '--', 'java', '-jar', 'app.jar'],
    ['--memory', '512Mi', '--cpus=1.5', '--log-level', 'warn', '--no-monitor', '--', 'node', 'a.js'],
    ['--health-port', '9464', '--rewrite', '15:3', '--remap-exit', '143:0', '--remap-exit', '1:0', '--', 'x'],
    ['--dry-run', '--json', '--runtime', 'python', '--', 'python3', 'app.py'],
    ['--termination-log', '', '--state-dir', '/state', '--', 'x'],
  ];
  for (const argv of taken) t.not(fastRunArgs(argv), null, `taken: ${JSON.stringify(argv)}`);
  const left: string[][] = [
    [],
    ['node', 'app.js'],
    ['--help', '--', 'x'],
    ['-h'],
    ['--version'],
    ['status'],
    ['sidecar', '--pid', '1'],
    ['--dryRun', '--', 'x'],
    ['--exec=true', '--', 'x'],
    ['--exec', 'true', '--', 'x'],
    ['--exec', '--exec', '--', 'x'],
    ['--memory', '1Gi', '--memory', '2Gi', '--', 'x'],
    ['--cpus', '-1', '--', 'x'],
    ['--log-level', 'WARN', '--', 'x'],
    ['--runtime', 'cobol', '--', 'x'],
    ['--no-memory', '--', 'x'],
    ['--toString', '--', 'x'],
    ['--memory', '1Gi'],
  ];
  for (const argv of left) t.equal(fastRunArgs(argv), null, `left to yargs: ${JSON.stringify(argv)}`);
  t.same(
    fastRunArgs(['--', 'node', '--', 'x']),
    {
      ...fastRunArgs(['--', 'y']),
      '--': ['node', '--', 'x'],
    },
    'everything after the first -- is the command',
  );
});

t.test('a value of the wrong kind is a usage error naming what was typed, through both parsers', async (t) => {
  // `--no-X` of an option that takes a value, a repeated one-value option, a boolean or a directory given ''.
  const says: [string[], string, RegExp][] = [];
  for (const [name, spec] of Object.entries(RUN_OPTIONS)) {
    if (spec.type === 'boolean') {
      says.push([[`--${name}=`], `--${name}=`, new RegExp(`^memshim: --${name}= has no value`)]);
      continue;
    }
    says.push([[`--no-${name}`], `--no-${name}`, new RegExp(`^memshim: --no-${name}: --${name} takes a value`)]);
    if (!spec.array)
      says.push([[`--${name}`, 'a', `--${name}`, 'b'], `--${name}`, new RegExp(`^memshim: --${name} is given more`)]);
  }
  says.push([['--procfs='], '--procfs', /^memshim: --procfs must be a directory, not ""/]);
  says.push([['--sysfs', ''], '--sysfs', /^memshim: --sysfs must be a directory, not ""/]);
  for (const [form, typed, message] of says) {
    for (const parser of ['fast', 'yargs'] as const) {
      const ended = await ending([...form, ...COMMAND], {}, parser);
      t.same(
        { code: ended.code, threw: ended.threw, lines: ended.stderr.split('\n').length - 1, configs: ended.configs },
        { code: 2, threw: undefined, lines: 1, configs: [] },
        `${parser}: memshim ${form.join(' ')} -- ...: exit 2, one line (${typed})`,
      );
      t.match(ended.stderr, message, `${parser}: ${typed} named`);
    }
  }
  for (const argv of [
    ['status', '--no-url'],
    ['status', '--no-memory'],
    ['status', '--json='],
    ['sidecar', '--no-pid'],
    ['sidecar', '--match', 'a', '--match', 'b'],
  ]) {
    const ended = await ending(argv, {}, 'yargs');
    t.same({ code: ended.code, threw: ended.threw }, { code: 2, threw: undefined }, `memshim ${argv.join(' ')}`);
  }
});
