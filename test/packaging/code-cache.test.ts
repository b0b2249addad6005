// bin/memshim's code cache (written at once and again a second after a start that found none) and memshim's own
// V8 flags (src/common/own-heap.ts, set by bin/memshim before it compiles the bundle): V8 refuses a cache made
// under other flags, so a cache made and taken under different ones would be refused by every later start,
// which would then compile the bundle each time. A run past both writes must leave a cache that V8 takes under
// memshim's flags, and that the next start neither rejects nor writes again.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BINARY, ensureBinary } from '../helpers/binary.js';
import { REPO, runMemshim, withoutTapHooks } from '../helpers/memshim.js';
import { OWN_HEAP_FLAGS } from '../../src/common/own-heap.js';

const DIST = join(REPO, 'dist');
const CACHE_NAME = /^memshim\.cjs\.\d+-\d+\.v8-[\w.-]+\.cache$/;
const caches = () => readdirSync(DIST).filter((name) => CACHE_NAME.test(name));
/** Every cache file in an install's dist/, under any name (stale ones included). */
const cacheFiles = (dist: string) => readdirSync(dist).filter((name) => name.endsWith('.cache'));

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

/** An install of memshim's npm package of its own (bin/, dist/ without caches, node_modules linked), removed after. */
function ownInstall(t: Test, prefix: string): string {
  runMemshim(['--version']); // built
  const root = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  cpSync(join(REPO, 'bin'), join(root, 'bin'), { recursive: true });
  cpSync(DIST, join(root, 'dist'), {
    recursive: true,
    filter: (from) => !/\.cache$|\.lock$|\/sea$|\/memshim$/.test(from),
  });
  cpSync(join(REPO, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  return root;
}

t.test('a bundle that is not ASCII is read as UTF-8, and its cache taken by the next start', async (t) => {
  // bin/memshim reads an ASCII bundle by a plain byte copy, any other as UTF-8.
  const root = ownInstall(t, 'memshim-utf8-');
  appendFileSync(join(root, 'dist', 'memshim.cjs'), '\n// caf\u00e9 \u2603\n');
  const run = () =>
    spawnSync(...withoutTapHooks([join(root, 'bin', 'memshim'), '--log-level', 'warn', '--', 'sh', '-c', 'exit 3']), {
      encoding: 'utf8',
    });
  const first = run();
  t.equal(first.status, 3, first.stderr);
  const cache = cacheFiles(join(root, 'dist'));
  t.equal(cache.length, 1, 'a cache was written');
  const written = statSync(join(root, 'dist', cache[0]!)).mtimeMs;
  const second = run();
  t.equal(second.status, 3, second.stderr);
  t.equal(
    statSync(join(root, 'dist', cache[0]!)).mtimeMs,
    written,
    'the next start took it and did not write it again',
  );
});

t.test('an install run by two Nodes keeps a cache for each; caches of other builds and older names go', async (t) => {
  const root = ownInstall(t, 'memshim-two-nodes-');
  const dist = join(root, 'dist');
  // Another Node than the one running the tests (scripts/fetch-node.mjs: .cache/node<MAJOR>, installed if missing).
  const otherMajor = process.versions.node.startsWith('24.') ? '22' : '24';
  const fetched = spawnSync(process.execPath, [join(REPO, 'scripts', 'fetch-node.mjs'), otherMajor], {
    encoding: 'utf8',
  });
  t.equal(fetched.status, 0, fetched.stderr);
  const otherNode = fetched.stdout.trim();
  const run = (node: string) =>
    spawnSync(
      ...withoutTapHooks([node, join(root, 'bin', 'memshim'), '--log-level', 'warn', '--', 'sh', '-c', 'exit 3']),
      {
        encoding: 'utf8',
      },
    );
  const cachesHere = () => cacheFiles(dist);
  // Left by an older memshim (no V8 in the name) and by an earlier build of the bundle: neither is of use now.
  const { size, mtimeMs } = statSync(join(dist, 'memshim.cjs'));
  const older = `memshim.cjs.${size}-${Math.round(mtimeMs)}.cache`;
  const earlierBuild = `memshim.cjs.${size + 1}-${Math.round(mtimeMs)}.v8-${process.versions.v8}.cache`;
  writeFileSync(join(dist, older), 'stale');
  writeFileSync(join(dist, earlierBuild), 'stale');

  t.equal(run(process.execPath).status, 3, 'the first Node runs the command');
  const [mine, ...more] = cachesHere();
  t.same(more, [], `one cache left, the first Node's: ${cachesHere().join(', ')}`);
  t.ok(mine?.endsWith(`.v8-${process.versions.v8}.cache`), `${mine} is named for this Node's V8`);
  t.equal(run(otherNode).status, 3, 'the other Node runs the command');
  t.equal(cachesHere().length, 2, `a cache for each Node: ${cachesHere().join(', ')}`);
  const written = new Map(cachesHere().map((name) => [name, statSync(join(dist, name)).mtimeMs]));
  // Each Node now takes its own: no start writes again.
  for (const node of [process.execPath, otherNode, process.execPath]) t.equal(run(node).status, 3);
  t.same(
    new Map(cachesHere().map((name) => [name, statSync(join(dist, name)).mtimeMs])),
    written,
    'both caches kept, neither written again',
  );
});

t.test("the single executable's code cache lies 8-byte aligned, where V8 reads it in place", async (t) => {
  ensureBinary();
  const binary = readFileSync(BINARY);
  const cache = readFileSync(join(DIST, 'sea', 'memshim.cache'));
  const at = binary.indexOf(cache.subarray(0, 4096));
  t.ok(at > 0, 'the cache is in the executable');
  t.equal(at % 8, 0, `at offset ${at}`);
  // src/sea-main.ts skips as many bytes as the first of them says (1 to 8), the rest zeros.
  const prefix = [1, 2, 3, 4, 5, 6, 7, 8].find(
    (length) => binary[at - length] === length && binary.subarray(at - length + 1, at).every((byte) => byte === 0),
  );
  t.ok(prefix, 'behind the prefix whose first byte says how long it is');
});
