// raw-bytes.ts in-process: what is UTF-8 passes as the string it is; a lossy string with no entry of memshim's own
// argv or environment behind it also stays a string (nothing to restore). The bytes themselves are checked with
// real processes in test/faults/bytes.test.ts.
import t from 'tap';
import {
  lossyForStrings,
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
