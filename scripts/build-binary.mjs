// `npm run build:binary`: dist/memshim, one Linux x64 executable that needs no Node, no npm and no shell.
// Node's single-executable-application support (what `pkg --sea` does, built here by hand because its downloads
// are unreachable): the code bundled by esbuild, koffi's JS included, koffi's native module as the asset
// `koffi.node` (loaded from a private temporary file by src/native/sea-native.ts), all injected with postject
// into the Node 24 binary of the `node@24` npm package.
// That Node lives in .cache/node24 (scripts/fetch-node.mjs; not node_modules) so npm scripts keep the system Node.
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary } from './fetch-node.mjs';
import { lazyBuiltins, MODULE_WRAPPER, YARGS_ALONE, yargsLazyColumns } from './lazy-start.mjs';
import { koffiBuiltinsAsIs } from './koffi-native.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE_MAJOR = 24;
const WORK = join(ROOT, 'dist', 'sea');
const OUTPUT = join(ROOT, 'dist', 'memshim');
// The fuse Node looks for to know a blob was injected (the same in every Node release with SEA support).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const require = createRequire(import.meta.url);
// The executable's Node options. Node 24 removed process.binding('signal_wrap'); its internalBinding is the only way
// to listen for the real-time signals 34-64 that PID 1 must forward (src/supervisor/signal-source.ts).
// The code cache is made by the Node that builds the blob and V8 rejects it when the V8 flags differ at run time
// (--trace-gc, --no-lazy, ...: "Code cache data rejected", and every start compiles the whole bundle again), so
// the build runs with these options too, and checkStarts() fails the build on any warning.
// No V8 flag here: a V8 flag on the command line also makes V8 reject Node's own code cache for every built-in
// module loaded after the start, and each is compiled from source (a third of memshim's own start). memshim's
// own V8 flags are set by its first modules instead (src/own-flags.ts, src/common/own-heap.ts).
const SEA_EXEC_ARGV = ['--expose-internals'];
// src/common/own-heap.ts holds the list this copy is checked against (test/common/own-heap.test.ts): the flags
// src/sea-main.ts sets before it compiles the bundle, under which the code cache is checked here.
const OWN_HEAP_FLAGS = [
  '--semi-space-growth-factor=1',
  '--no-opt',
  '--no-maglev',
  '--heap-growing-percent=50',
  '--no-minor-gc-task',
  '--no-sparkplug',
];
// The bundle's source map, an asset read only to map a debug stack (src/common/source-stack.ts, SOURCE_MAP_ASSET).
const SOURCE_MAP_ASSET = 'memshim.cjs.map';

if (process.platform !== 'linux' || process.arch !== 'x64')
  fail(`builds a Linux x64 executable; this is ${process.platform}-${process.arch}`);

// What every esbuild build of the executable's code shares: one CommonJS file for this Node, warnings only, and a
// name a lazy built-in's stand-in lacks stops the build (scripts/lazy-start.mjs).
const SEA_BUILD = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: `node${NODE_MAJOR}`,
  logOverride: { 'import-is-undefined': 'error' },
  legalComments: 'none',
  logLevel: 'warning',
};
// As in scripts/bundle.mjs: import.meta.url means the bundle's own URL (the executable's path here).
const IMPORT_META_URL = "const __memshimImportMetaUrl = require('node:url').pathToFileURL(__filename).href;";

// Packages that only some commands load, at their first use (the npm bundle leaves them in node_modules): each is
// an asset of its own, bundled alone and compiled when src/sea-main.ts's require is first asked for it, so that
// every start reads, copies into a string and keeps in its heap only the code a start can run (they were three
// fifths of the bundle). The asset names are what src/sea-main.ts receives as MEMSHIM_SEA_LAZY_PACKAGES.
const LAZY_PACKAGES = {
  // --help, --version, the subcommands, usage errors (src/cli/yargs.ts)
  yargs: { asset: 'yargs.cjs', contents: YARGS_ALONE },
  // the health server's /metrics (src/health/metrics.ts)
  'prom-client': { asset: 'prom-client.cjs', contents: "module.exports = require('prom-client');" },
  // --log-format pretty (src/common/log.ts)
  'pino-pretty': { asset: 'pino-pretty.cjs', contents: "module.exports = require('pino-pretty');" },
  // `memshim status` without a running memshim (src/health/process-usage.ts)
  pidusage: { asset: 'pidusage.cjs', contents: "module.exports = require('pidusage');" },
};

/**
 * V8 takes a code cache where it lies only at an 8-byte aligned address and copies it otherwise, at every start (the
 * cache's size in fresh pages). Node lays the SEA assets end to end, unaligned: the asset memshim.cache begins with
 * `skip` bytes (1 to 8, the first of them holding `skip`), chosen so that the cache after them lands aligned
 * (src/sea-main.ts reads it from there). The executable is mapped at its file offsets modulo the page size.
 */
const CACHE_ALIGNMENT = 8;

const started = Date.now();
const node = nodeBinary(NODE_MAJOR);
mkdirSync(WORK, { recursive: true });
const lazyAssets = await bundleLazyPackages();
const bundle = await bundleForSea();
// The code cache of a whole start (src/sea-main.ts): an executable that writes it at its exit, started once.
const cache = join(WORK, 'memshim.cache');
rmSync(cache, { force: true });
const training = join(WORK, 'memshim-training');
const sourceMap = { [SOURCE_MAP_ASSET]: `${bundle}.map` };
inject(
  node,
  seaBlob(node, await loaderForSea(cache), { ...lazyAssets, ...sourceMap, 'memshim.cjs': bundle }),
  training,
);
trainCodeCache(node, training, bundle, cache);
rmSync(training, { force: true });
const main = await loaderForSea(null);
const finalAssets = (cacheAsset) => ({
  ...lazyAssets,
  ...sourceMap,
  'memshim.cjs': bundle,
  'memshim.cache': cacheAsset,
});
const cacheAsset = join(WORK, 'memshim-cache.asset');
// Where the cache will lie: the asset's place in the blob does not depend on its own length.
writeCacheAsset(cache, cacheAsset, CACHE_ALIGNMENT);
const probe = seaBlob(node, main, finalAssets(cacheAsset));
const inBlob = cacheOffset(probe, cache);
rmSync(probe, { force: true });
// postject puts the blob at an aligned place (checked below, in the executable itself).
let skip = skipFor(inBlob, CACHE_ALIGNMENT);
writeCacheAsset(cache, cacheAsset, skip);
inject(node, seaBlob(node, main, finalAssets(cacheAsset)), OUTPUT);
const inExecutable = cacheOffset(OUTPUT, cache);
if (inExecutable % CACHE_ALIGNMENT !== 0) {
  // The blob lies elsewhere than expected: once more, from the cache's place in the executable.
  skip = skipFor(inExecutable, skip);
  writeCacheAsset(cache, cacheAsset, skip);
  inject(node, seaBlob(node, main, finalAssets(cacheAsset)), OUTPUT);
  if (cacheOffset(OUTPUT, cache) % CACHE_ALIGNMENT !== 0)
    console.log('build-binary: the code cache is not 8-byte aligned in dist/memshim: V8 copies it at every start');
}
checkStarts();
const size = statSync(OUTPUT).size;
console.log(
  `dist/memshim: ${(size / 2 ** 20).toFixed(1)} MiB, Node ${run(node, ['--version']).trim()}, built in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);

/** src/main.ts as one CommonJS file, koffi included (see src/native/koffi.ts), for the executable only. */
async function bundleForSea() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const outfile = join(WORK, 'memshim-sea.cjs');
  await build({
    ...SEA_BUILD,
    entryPoints: ['src/main.ts'],
    outfile,
    banner: { js: `${MODULE_WRAPPER[0]}${IMPORT_META_URL}` },
    footer: { js: MODULE_WRAPPER[1] },
    define: {
      MEMSHIM_VERSION: JSON.stringify(pkg.version),
      MEMSHIM_SEA: 'true',
      'import.meta.url': '__memshimImportMetaUrl',
    },
    // lazy-start.mjs: what the start path imports but seldom uses is loaded at first use, as in the npm bundle.
    plugins: [koffiNativeFromAsset(), koffiBuiltinsAsIs(), hostMemoryFromNode(), lazyBuiltins(), lazyPackagesLeftOut()],
    // As the npm bundle (scripts/bundle.mjs): minified, names too; the stacks of a debug log are mapped back to src/
    // through the map, the asset memshim.cjs.map (src/common/source-stack.ts), read only then.
    minify: true,
    sourcemap: 'external',
    sourcesContent: false,
    // import() of a module left external (node:os) becomes require(): Node documents import() as unsupported
    // in a single executable with a code cache, even where 24 happens to resolve built-ins.
    supported: { 'dynamic-import': false },
  });
  return outfile;
}

/** Each of LAZY_PACKAGES bundled alone, minified (third-party code): the SEA assets, by asset name -> file. */
async function bundleLazyPackages() {
  const assets = {};
  for (const [name, { asset, contents }] of Object.entries(LAZY_PACKAGES)) {
    const outfile = join(WORK, asset);
    await build({
      ...SEA_BUILD,
      stdin: { contents, resolveDir: ROOT, loader: 'js', sourcefile: `${name} (lazy asset)` },
      outfile,
      minify: true,
      // Wrapped as the bundle is (lazy-start.mjs): src/sea-main.ts compiles each asset as it is.
      banner: { js: MODULE_WRAPPER[0] },
      footer: { js: MODULE_WRAPPER[1] },
      plugins: [lazyBuiltins(), ...(name === 'yargs' ? [yargsLazyColumns()] : [])],
    });
    assets[asset] = outfile;
  }
  return assets;
}

/** LAZY_PACKAGES stay `require(name)` in the bundle: src/sea-main.ts's require answers with their assets. */
function lazyPackagesLeftOut() {
  const names = new RegExp(`^(${Object.keys(LAZY_PACKAGES).join('|')})$`);
  return {
    name: 'lazy-packages-left-out',
    setup(b) {
      b.onResolve({ filter: names }, (args) => ({ path: args.path, external: true }));
    },
  };
}

/**
 * src/sea-main.ts, the executable's main script: it compiles and runs the bundle, the asset memshim.cjs, with the
 * code cache of the asset memshim.cache. `trainingCache`: the file that the training executable writes that cache
 * to at its exit (null: the shipped one, which writes nothing).
 */
async function loaderForSea(trainingCache) {
  const outfile = join(WORK, trainingCache === null ? 'sea-main.cjs' : 'sea-main-training.cjs');
  await build({
    ...SEA_BUILD,
    entryPoints: ['src/sea-main.ts'],
    outfile,
    banner: {
      js: [
        IMPORT_META_URL,
        // Node 24 names its main thread "MainThread", which is the process's name in ps, top and pgrep: give
        // back the one the kernel set at exec (the executable's file name), as a PID 1 should be seen.
        "try { require('node:fs').writeFileSync('/proc/self/comm', require('node:path').basename(process.execPath).slice(0, 15)); } catch {}",
      ].join('\n'),
    },
    define: {
      MEMSHIM_SEA: 'true',
      MEMSHIM_SEA_TRAINING_CACHE: JSON.stringify(trainingCache),
      MEMSHIM_SEA_LAZY_PACKAGES: JSON.stringify(
        Object.fromEntries(Object.entries(LAZY_PACKAGES).map(([name, { asset }]) => [name, asset])),
      ),
      'import.meta.url': '__memshimImportMetaUrl',
    },
  });
  return outfile;
}

/**
 * Starts the training executable once, as a container would (`-- node -e 0`, this build's Node 24 as the
 * command), so that it writes the code cache of every function that start ran. Where it cannot run here, the
 * cache is the bundle's top level only, made by this Node (what Node's own useCodeCache gives). Either way the
 * build fails unless V8 takes the cache under memshim's flags, as the executable will compile it.
 */
function trainCodeCache(nodeBinary, training, bundle, cache) {
  const env = { ...process.env, MEMSHIM_LOG_LEVEL: 'error' };
  delete env.NODE_OPTIONS;
  const ran = spawnSync(training, ['--', nodeBinary, '-e', '0'], { env, stdio: 'ignore', timeout: 60_000 });
  const check = `
    const vm = require('node:vm'), fs = require('node:fs');
    require('node:os');
    const { internalBinding } = require('internal/test/binding');
    for (const flag of ${JSON.stringify(OWN_HEAP_FLAGS)}) internalBinding('v8').setFlagsFromString(flag);
    const source = fs.readFileSync(${JSON.stringify(bundle)}, 'latin1');
    const cache = ${JSON.stringify(cache)};
    if (!fs.existsSync(cache)) fs.writeFileSync(cache, new vm.Script(source, { filename: 'memshim' }).createCachedData());
    const script = new vm.Script(source, { filename: 'memshim', cachedData: fs.readFileSync(cache) });
    process.stdout.write(String(script.cachedDataRejected));`;
  if (ran.status !== 0 || !existsSync(cache))
    console.log(
      `build-binary: the training start failed (${ran.status ?? ran.signal}): code cache of the top level only`,
    );
  const checked = spawnSync(nodeBinary, ['--expose-internals', '-e', check], { encoding: 'utf8' });
  if (checked.stdout !== 'false') fail(`V8 rejects the code cache made for dist/memshim: ${checked.stderr.trim()}`);
}

function writeCacheAsset(cache, asset, skip) {
  const prefix = Buffer.alloc(skip);
  prefix[0] = skip;
  writeFileSync(asset, Buffer.concat([prefix, readFileSync(cache)]));
}

/** Where the cache (its first bytes, unique in the file) begins in `file`. */
function cacheOffset(file, cache) {
  const at = readFileSync(file).indexOf(readFileSync(cache).subarray(0, 4096));
  if (at < 0) fail(`the code cache is not in ${file}`);
  return at;
}

/** The prefix that moves a cache now at `offset` behind a prefix of `skip` bytes to an aligned offset. */
function skipFor(offset, skip) {
  const start = offset - skip;
  return (CACHE_ALIGNMENT - (start % CACHE_ALIGNMENT)) % CACHE_ALIGNMENT || CACHE_ALIGNMENT;
}

/** koffi asks for its native module as `require('@koromix/koffi-linux-x64')`: answer with the asset's. */
function koffiNativeFromAsset() {
  return {
    name: 'koffi-native-from-sea-asset',
    setup(b) {
      b.onResolve({ filter: /^@koromix\/koffi-/ }, () => ({ path: 'koffi-native', namespace: 'memshim-sea' }));
      b.onLoad({ filter: /^koffi-native$/, namespace: 'memshim-sea' }, () => ({
        contents: "module.exports = require('./src/native/sea-native.ts').loadKoffiNativeFromSea();",
        resolveDir: ROOT,
        loader: 'js',
      }));
    },
  };
}

/**
 * systeminformation (0.7 MiB, 44% of the bundle) answers host.ts only where /proc/meminfo cannot be read; on
 * Linux its si.mem() reads that same file and otherwise gives os.totalmem(), which is host.ts's next fallback
 * (and libuv reads MemTotal there too). The executable is Linux-only: the import fails, host.ts takes totalmem().
 */
function hostMemoryFromNode() {
  return {
    name: 'host-memory-from-node',
    setup(b) {
      b.onResolve({ filter: /^systeminformation$/ }, () => ({ path: 'systeminformation', namespace: 'memshim-sea' }));
      b.onLoad({ filter: /^systeminformation$/, namespace: 'memshim-sea' }, () => ({
        contents: "throw new Error('systeminformation is not in the single executable: os.totalmem() answers');",
        loader: 'js',
      }));
    },
  };
}

function seaBlob(nodeBinary, main, assets) {
  const config = join(WORK, 'sea-config.json');
  const blob = join(WORK, 'memshim.blob');
  const koffiNode = join(dirname(require.resolve('@koromix/koffi-linux-x64/package.json')), 'linux_x64', 'koffi.node');
  writeFileSync(
    config,
    JSON.stringify(
      {
        main,
        output: blob,
        disableExperimentalSEAWarning: true,
        // The code cache, not a startup snapshot: Node 24 builds a snapshot without any compiled code
        // (FunctionCodeHandling::kClear) and copies its 6 MiB at every start, which made the start slower than
        // the code cache's (docs/packaging.md, measured side by side).
        useSnapshot: false,
        useCodeCache: true,
        // NODE_OPTIONS in a container's environment is meant for the application's Node (memshim itself sets
        // it for a Node child): it must not reach memshim's own (`--require ./tracing.js` would run in PID 1).
        execArgvExtension: 'none',
        execArgv: SEA_EXEC_ARGV,
        assets: { ...assets, 'koffi.node': koffiNode },
      },
      null,
      2,
    ),
  );
  execFileSync(nodeBinary, [...SEA_EXEC_ARGV, '--experimental-sea-config', config], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return blob;
}

function inject(nodeBinary, blob, output) {
  const staging = `${output}.partial`;
  copyFileSync(nodeBinary, staging);
  chmodSync(staging, 0o755);
  // The published binary's symbol table and debug info (16 MiB) serve only debuggers; native addons link
  // against the dynamic symbols, which strip keeps.
  try {
    execFileSync('strip', ['--strip-all', staging], { stdio: 'ignore' });
  } catch {
    console.log('strip not found or failed: keeping the symbols (a larger file, the same program)');
  }
  const postject = join(dirname(require.resolve('postject/package.json')), 'dist', 'cli.js');
  try {
    // Quiet unless it fails: LIEF warns about every one of Node's 256 ELF notes.
    execFileSync(process.execPath, [postject, staging, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], {
      cwd: ROOT,
      stdio: 'pipe',
    });
  } catch (error) {
    process.stderr.write(String(error.stderr ?? ''));
    fail(`postject could not inject the blob into ${staging}`);
  }
  renameSync(staging, output);
  rmSync(blob, { force: true });
}

/** The executable starts and says nothing but its version: a rejected code cache or any warning fails the build. */
function checkStarts() {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const result = spawnSync(OUTPUT, ['--version'], { env, encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0 || result.stderr !== '' || result.stdout.trim() === '')
    fail(`dist/memshim --version: exit ${result.status ?? result.signal}, stderr: ${result.stderr.trim()}`);
}

function run(file, args) {
  return execFileSync(file, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

function fail(message) {
  console.error(`build-binary: ${message}`);
  process.exit(1);
}
