// bin/memshim's code cache (written within a second of a start that found none) and memshim's own V8 flags
// (src/common/own-heap.ts, set OWN_HEAP_DELAY_MS after the start): V8 refuses a cache made under other flags, so
// a cache written after the flags changed would be refused by every later start, which would then compile the
// bundle each time. A run longer than both must leave a cache that the next start takes.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, runMemshim } from '../helpers/memshim.js';
import { OWN_HEAP_DELAY_MS } from '../../src/common/own-heap.js';

const DIST = join(REPO, 'dist');
const caches = () => readdirSync(DIST).filter((name) => /^memshim\.cjs\.\d+-\d+\.cache$/.test(name));

t.test('a run past the flag change leaves a cache the next start accepts', async (t) => {
  runMemshim(['--version']); // built
  for (const name of caches()) unlinkSync(join(DIST, name));
  const seconds = String((OWN_HEAP_DELAY_MS + 1500) / 1000);
  const first = runMemshim(['--log-level', 'warn', '--', 'sleep', seconds]);
  t.equal(first.code, 0, first.stderr);
  const [cache] = caches();
  t.ok(cache, 'a cache was written');
  if (!cache) return;
  const probe = `
    const vm = require('node:vm'), fs = require('node:fs'), Module = require('node:module');
    const bundle = ${JSON.stringify(join(DIST, 'memshim.cjs'))};
    const script = new vm.Script(Module.wrap(fs.readFileSync(bundle, 'utf8')), {
      filename: bundle,
      cachedData: fs.readFileSync(${JSON.stringify(join(DIST, cache))}),
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    process.stdout.write(String(script.cachedDataRejected));`;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const checked = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', env });
  t.equal(checked.stdout, 'false', `V8 takes it (${checked.stderr.slice(0, 300)})`);
  const written = statSync(join(DIST, cache)).mtimeMs;
  const second = runMemshim(['--log-level', 'warn', '--', 'true']);
  t.equal(second.code, 0, second.stderr);
  t.same(caches(), [cache], 'the next start kept it');
  t.equal(statSync(join(DIST, cache)).mtimeMs, written, 'and did not write it again');
});
