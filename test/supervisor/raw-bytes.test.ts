// raw-bytes.ts in-process: what is UTF-8 passes as the string it is; a lossy string with no entry of memshim's own
// argv or environment behind it also stays a string (nothing to restore); with dumps that hold bytes that are not
// UTF-8 (parseRaw), each string Node made of one goes back to its bytes. The bytes themselves are checked with
// real processes in test/faults/bytes.test.ts and test/supervisor/rlimits.test.ts.
import t from 'tap';
import {
  lossyForStrings,
  parseRaw,
  rawArgv,
  rawEnvironmentBlock,
  rawWord,
  warnIfChanged,
} from '../../src/supervisor/raw-bytes.js';
import type { Logger } from '../../src/common/log.js';

t.test('strings without U+FFFD, and lossy ones nobody gave memshim, go as strings', async (t) => {
  t.equal(rawWord('plain'), 'plain');
  t.equal(rawWord('a\uFFFDb'), 'a\uFFFDb', 'no entry of this process decodes to it');
  t.same(rawArgv(['sh', '-c', 'x']), ['sh', '-c', 'x']);
  t.same(rawEnvironmentBlock({ A: '1', B: undefined, C: 'x\uFFFD' }).slice(0, 2), ['A=1', 'C=x\uFFFD']);
  t.equal(rawEnvironmentBlock({}).at(-1), null, 'null-terminated');
});

t.test('nothing lossy here: no warning', async (t) => {
  t.same(lossyForStrings(['sh'], { A: '1' }).variables, []);
  const lines: unknown[] = [];
  warnIfChanged(['sh'], { A: '1' }, { warn: (...args: unknown[]) => lines.push(args) } as unknown as Logger);
  t.same(lines, []);
});

const latin1 = (text: string) => Buffer.from(text, 'latin1');
/** What a kernel would hold for `memshim -- sh c\xfdd` started with these variables. */
const GIVEN = parseRaw(
  latin1('memshim\0--\0sh\0c\xfdd\0'),
  latin1('X=a\xffb\0X=second\xff\0PATH=/bin\0N\xffAME=v\0MEMSHIM_CHILD_NODE_OPTIONS=--c=n\xfeo\0Y=plain'),
);

t.test('parseRaw: only what is not UTF-8 is kept; the first of two entries of a name wins', async (t) => {
  t.same(
    GIVEN.argv.map((entry) => [...entry.bytes]),
    [[...latin1('c\xfdd')]],
  );
  t.same([...GIVEN.env.keys()], ['X', 'MEMSHIM_CHILD_NODE_OPTIONS']);
  t.same([...GIVEN.env.get('X')!.bytes], [...latin1('X=a\xffb')]);
  t.same(
    GIVEN.unnamed.map((bytes) => [...bytes]),
    [[...latin1('N\xffAME=v')]],
  );
});

t.test('parseRaw: plain ASCII and valid UTF-8 keep nothing; a lossy byte in either dump alone is kept', async (t) => {
  const kept = (cmdline: Buffer, environ: Buffer) => {
    const raw = parseRaw(cmdline, environ);
    return [raw.argv.length, raw.env.size, raw.unnamed.length];
  };
  t.same(kept(latin1('memshim\0--\0sh\0'), latin1('PATH=/bin\0HOME=/\0')), [0, 0, 0], 'ASCII only');
  t.same(kept(Buffer.from('memshim\0--\0caf\u00e9\0'), Buffer.from('NAME=\u00e9t\u00e9\0')), [0, 0, 0], 'UTF-8');
  t.same(kept(latin1('memshim\0--\0sh\0'), latin1('PATH=/bin\0X=a\xffb\0')), [0, 1, 0], 'environ alone');
  t.same(kept(latin1('memshim\0--\0c\xfdd\0'), latin1('PATH=/bin\0')), [1, 0, 0], 'cmdline alone');
});

t.test('the bytes given come back where the string is what Node made of them', async (t) => {
  t.same([...(rawWord('c\uFFFDd', GIVEN) as Buffer)], [...latin1('c\xfdd\0')]);
  t.same(
    rawArgv(['sh', 'c\uFFFDd'], GIVEN).map((word) => (typeof word === 'string' ? word : [...word])),
    ['sh', [...latin1('c\xfdd\0')]],
  );
  const block = rawEnvironmentBlock(
    { X: 'a\uFFFDb', PATH: '/bin', NODE_OPTIONS: '--c=n\uFFFDo', Z: 'set by memshim\uFFFD' },
    { NODE_OPTIONS: 'MEMSHIM_CHILD_NODE_OPTIONS' },
    GIVEN,
  );
  t.same(
    block.map((entry) => (entry instanceof Buffer ? entry.toString('latin1') : entry)),
    ['X=a\xffb\0', 'PATH=/bin', 'NODE_OPTIONS=--c=n\xfeo\0', 'Z=set by memshim\uFFFD', 'N\xffAME=v\0', null],
    'a carried variable keeps its bytes under its new name; a string memshim made goes as UTF-8',
  );
  t.same(
    rawEnvironmentBlock({ X: 'changed\uFFFD' }, {}, GIVEN).slice(0, 1),
    ['X=changed\uFFFD'],
    'a value that is not the one given goes as the string it is',
  );
});

t.test('without koffi: the names and positions that cannot pass, in one warning', async (t) => {
  t.same(lossyForStrings(['sh', 'c\uFFFDd'], { X: 'a\uFFFDb', PATH: '/bin' }, GIVEN), {
    variables: ['X'],
    arguments: [1],
    unnamedVariables: 1,
  });
  const lines: unknown[][] = [];
  warnIfChanged(
    ['sh', 'c\uFFFDd'],
    { X: 'a\uFFFDb' },
    { warn: (...args: unknown[]) => lines.push(args) } as unknown as Logger,
    GIVEN,
  );
  t.equal(lines.length, 1);
  t.match(lines[0]![1], /the values of X and the arguments at 1 .*1 variable\(s\) whose names are not UTF-8/);
  t.notMatch(JSON.stringify(lines), /a\uFFFDb|c\uFFFDd/, 'no value in it');
});
