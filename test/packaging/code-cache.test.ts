// bin/memshim's code cache (written at once and again a second after a start that found none) and memshim's own
// V8 flags (src/common/own-heap.ts, set by bin/memshim before it compiles the bundle): V8 refuses a cache made
// under other flags, so a cache made and taken under different ones would be refused by every later start,
// which would then compile the bundle each time. A run past both writes must leave a cache that V8 takes under
// memshim's flags, and that the next start neither rejects nor writes again.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, runMemshim } from '../helpers/memshim.js';
import { OWN_HEAP_FLAGS } from '../../src/common/own-heap.js';

const DIST = join(REPO, 'dist');
const caches = () => readdirSync(DIST).filter((name) => /^memshim\.cjs\.\d+-\d+\.cache$/.test(name));

t.test('a run past the cache writes leaves a cache the next start accepts', async (t) => {
  runMemshim(['--version']); // built
  for (const name of caches()) unlinkSync(join(DIST, name));
  const seconds = '2.5'; // bin/memshim writes the full cache 1 s after the start
  const first = runMemshim(['--log-level', 'warn', '--', 'sleep', seconds]);
  t.equal(first.code, 0, first.stderr);
  const [cache] = caches();
  t.ok(cache, 'a cache was written');
  if (!cache) return;
  const probe = `
    const vm = require('node:vm'), fs = require('node:fs'), v8 = require('node:v8');
    for (const flag of ${JSON.stringify(OWN_HEAP_FLAGS)}) v8.setFlagsFromString(flag);
    const bundle = ${JSON.stringify(join(DIST, 'memshim.cjs'))};
    // As bin/memshim compiles it: the file's text as it is (scripts/bundle.mjs wraps it already).
    const script = new vm.Script(fs.readFileSync(bundle, 'utf8'), {
      filename: bundle,
      cachedData: fs.readFileSync(${JSON.stringify(join(DIST, cache))}),
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    process.stdout.write(String(script.cachedDataRejected));`;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const checked = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', env });
  t.equal(checked.stdout, 'false', `V8 takes it under memshim's flags (${checked.stderr.slice(0, 300)})`);
  const written = statSync(join(DIST, cache)).mtimeMs;
  const second = runMemshim(['--log-level', 'warn', '--', 'true']);
  t.equal(second.code, 0, second.stderr);
  t.same(caches(), [cache], 'the next start kept it');
  t.equal(statSync(join(DIST, cache)).mtimeMs, written, 'and did not write it again');
});
