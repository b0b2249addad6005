// The single executable's main script (scripts/build-binary.mjs): what Node's single-executable support runs
// first. It listens for signals, sets memshim's own V8 flags, then compiles the bundle (the SEA asset
// `memshim.cjs`) with the code cache of the asset `memshim.cache` and runs it. Node's own code cache for a
// single executable (useCodeCache) holds only the code V8 compiles before running anything (the bundle's top
// level): every function a start runs was compiled again at every start. memshim.cache is made by the build
// from a start of the executable itself (`-- node -e 0`, written at its exit, as bin/memshim does for the npm
// install), so it holds every function that start ran.
// Started as its own exec helper (supervisor/rlimits.ts) memshim must become the command with no handler in the
// way (a signal then has its default action, as on the command): the bundle's exec-helper.ts does that, first.
import { writeFileSync } from 'node:fs';
import { installEarlySignalHandlers } from './common/early-signals.js';
import { collectInFull, setOwnHeapFlags } from './common/own-heap.js';
import { LISTENED_FROM_THE_START } from './supervisor/signals.js';
import { EXEC_HELPER } from './supervisor/exec-helper-flag.js';

/** Where the build's training start writes the cache at its exit (a build-time constant; null in dist/memshim). */
declare const MEMSHIM_SEA_TRAINING_CACHE: string | null;
/** Package name -> the asset that holds it bundled alone (scripts/build-binary.mjs, LAZY_PACKAGES). */
declare const MEMSHIM_SEA_LAZY_PACKAGES: Record<string, string>;

// Node's require for a single executable's main script: built-ins by name (common/builtin-require.ts).
const load = require;
if (process.argv[2] !== EXEC_HELPER) installEarlySignalHandlers(LISTENED_FROM_THE_START);
// After the built-ins a start loads (a built-in loaded after the flags is compiled without Node's code cache), and
// before the bundle is compiled: the cache below is made and taken under them. node:sea is the main script's own;
// node:os and node:vm the bundle's.
setOwnHeapFlags(['node:os', 'node:vm', 'node:sea']);
const { getRawAsset } = load('node:sea') as typeof import('node:sea');
const vm = load('node:vm') as typeof import('node:vm');
const source = Buffer.from(getRawAsset('memshim.cjs') as ArrayBuffer).toString('latin1');
let cachedData: Buffer | undefined;
try {
  // In place, not copied: its first byte says how many to skip to where the build aligned the cache (V8 copies an
  // unaligned one: scripts/build-binary.mjs, writeCacheAsset).
  const asset = getRawAsset('memshim.cache') as ArrayBuffer;
  const skip = new Uint8Array(asset, 0, 1)[0]!;
  cachedData = Buffer.from(asset, skip, asset.byteLength - skip);
} catch {
  cachedData = undefined; // the build could make none: compiled at every start
}
// The bundle and the lazy packages' assets come wrapped as Node wraps a module (MODULE_WRAPPER in
// scripts/lazy-start.mjs): compiled as they are, each a function of (exports, require, module, __filename, __dirname).
const script = new vm.Script(source, { filename: __filename, cachedData });
if (MEMSHIM_SEA_TRAINING_CACHE !== null) {
  const output = MEMSHIM_SEA_TRAINING_CACHE;
  // Under the flags a start runs with (own-heap.ts): a slow training start may have set the later one.
  process.once('exit', () => {
    collectInFull(false);
    writeFileSync(output, script.createCachedData());
  });
}
/**
 * The bundle's require: Node's built-ins, and the packages only some commands use (yargs for --help, prom-client for
 * /metrics...), each an asset compiled at its first require, from source: no start reads or holds them before.
 */
const lazyPackages = new Map<string, unknown>();
function bundleRequire(id: string): unknown {
  const asset = Object.hasOwn(MEMSHIM_SEA_LAZY_PACKAGES, id) ? MEMSHIM_SEA_LAZY_PACKAGES[id] : undefined;
  if (asset === undefined) return require(id);
  if (!lazyPackages.has(id)) {
    const lazyModule = { exports: {} as unknown };
    const text = Buffer.from(getRawAsset(asset) as ArrayBuffer).toString('latin1');
    const wrapper = new vm.Script(text, { filename: `${__filename}/${asset}` }).runInThisContext() as (
      ...args: unknown[]
    ) => void;
    wrapper(lazyModule.exports, bundleRequire, lazyModule, __filename, __dirname);
    lazyPackages.set(id, lazyModule.exports);
  }
  return lazyPackages.get(id);
}
(script.runInThisContext() as (...args: unknown[]) => void)(
  module.exports,
  bundleRequire,
  module,
  __filename,
  __dirname,
);
