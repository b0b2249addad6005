// Both bundles are minified, names too (docs/packaging.md); the one stack memshim prints, an internal error's at
// MEMSHIM_LOG_LEVEL=debug, names the places of src/ through the bundle's source map (src/common/source-stack.ts):
// the file beside dist/memshim.cjs, the single executable's asset. Without debug: one line, no place at all.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { MEMSHIM, ensureBuilt } from '../helpers/memshim.js';
import { BINARY, ensureBinary } from '../helpers/binary.js';

const PACKAGINGS: [string, () => string][] = [
  ['npm install', () => (ensureBuilt(), MEMSHIM)],
  ['single executable', () => (ensureBinary(), BINARY)],
];

// A sidecar reading a /proc that is a file: an internal error, not a usage error (test/cli/usage-errors.test.ts).
const ARGS = ['sidecar', '--match', 'x', '--procfs', '/dev/null', '--health-port', '0'];

function run(entry: string, level: string | null) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.MEMSHIM_LOG_LEVEL;
  if (level) env.MEMSHIM_LOG_LEVEL = level;
  return spawnSync('env', ['-u', 'NODE_OPTIONS', entry, ...ARGS], { env, encoding: 'utf8', timeout: 60_000 });
}

for (const [packaging, entry] of PACKAGINGS) {
  t.test(packaging, async (t) => {
    const memshim = entry();
    const plain = run(memshim, null);
    t.equal(plain.status, 1);
    t.equal(plain.stderr.trim().split('\n').length, 1, `one line: ${plain.stderr}`);
    const debug = run(memshim, 'debug');
    t.equal(debug.status, 1);
    t.match(debug.stderr, /\n\s+at .*\(src\/[\w/-]+\.ts:\d+:\d+\)/, `src/ places at debug: ${debug.stderr}`);
    t.notMatch(debug.stderr, /memshim(\.cjs)?:\d+:\d+/, 'no place in the minified bundle is left unmapped');
  });
}
