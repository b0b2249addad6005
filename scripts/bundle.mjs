// Bundles src/main.ts into one CommonJS file: what bin/memshim loads (one file parses faster than a
// node_modules tree, which matters for a PID 1 that starts every container) and what the single
// executable embeds. koffi's JS is bundled too; its native module is loaded from node_modules (npm:
// scripts/koffi-native.mjs) or from an asset of the single executable (see src/native/).
// Dependencies that only some commands load, and load lazily, stay external: node_modules supplies them
// at the moment one is needed (they are dependencies of the package), and every start of PID 1 is spared
// reading and holding their source (systeminformation alone is 716 KiB: two thirds of the bundle).
// yargs, which the start path's parser spares (src/cli/fast.ts), is a file of its own beside the bundle (below).
// The single executable cannot require from node_modules: scripts/build-binary.mjs makes each an asset of its own.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { lazyBuiltins, MODULE_WRAPPER, YARGS_ALONE, yargsFromItsOwnFile, yargsLazyColumns } from './lazy-start.mjs';
import { koffiBuiltinsAsIs, koffiNativeFromInstall } from './koffi-native.mjs';

// import.meta.url has no meaning in CommonJS: it becomes the bundle's own URL (for createRequire()), worked out when
// first read (a require of koffi, of the SEA's modules), not by every start before anything else runs.
const IMPORT_META_URL =
  "const __memshimImportMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };";
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// The bundle's first and last text (its build below says why). Top-level `this` tells the two ways it is loaded
// apart: Node's module wrapper calls with module.exports, a script runs with the global object (a global `module`
// or `require`, which a preload may define, would say nothing).
const SELF_WRAPPED = [
  '(function (memshim) { return this === globalThis ? memshim : memshim.call(this, exports, require, module, __filename, __dirname); })' +
    `.call(this, ${MODULE_WRAPPER[0]}`,
  `${MODULE_WRAPPER[1]});`,
];
// bin/memshim's first require, before it reads and compiles the bundle: the early signal handlers alone
// (src/common/early-signals.ts), so the window in which a signal to PID 1 is dropped ends as soon as Node runs JS.
await build({
  entryPoints: ['src/listen-first.ts'],
  outfile: 'dist/early-signals.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  banner: { js: IMPORT_META_URL },
  define: { 'import.meta.url': '__memshimImportMeta.url' },
  // Compiled from source at every start (no code cache for it): the less to parse before the handlers, the better.
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
// yargs with its own dependencies (cliui, y18n, yargs-parser) serves only what the start path's parser leaves to it
// (--help, --version, the subcommands, usage errors: src/cli/fast.ts), and was two fifths of the bundle that
// every start reads, holds as a string and keeps in its heap: a file of its own, read at its first use.
await build({
  stdin: { contents: YARGS_ALONE, resolveDir: '.', loader: 'js' },
  outfile: 'dist/yargs.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  plugins: [lazyBuiltins(), yargsLazyColumns()],
  logOverride: { 'import-is-undefined': 'error' },
  legalComments: 'none',
  logLevel: 'warning',
});
await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/memshim.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: [
    'systeminformation', // src/cgroup/host.ts: only when /proc/meminfo cannot be read
    'prom-client', // src/health/metrics.ts: the first /metrics request
    'pino-pretty', // src/common/log.ts: --log-format pretty
    'pidusage', // src/commands/status.ts: `memshim status` without a running memshim
  ],
  // import() of an external package becomes require() (what the single executable does too): a CommonJS
  // package needs no ESM loader, and require() finds it from dist/ up through node_modules.
  supported: { 'dynamic-import': false },
  plugins: [koffiNativeFromInstall(), koffiBuiltinsAsIs(), lazyBuiltins(), yargsFromItsOwnFile('./yargs.cjs')],
  // Every start reads the bundle's source and its code cache, copies the source once more to compile it, and holds
  // it: minified, names too (smaller source and code cache: docs/packaging.md, "Start-up, fourth round"). The
  // stacks memshim prints with MEMSHIM_LOG_LEVEL=debug are mapped back to src/ through memshim.cjs.map
  // (src/common/source-stack.ts), read only then.
  minify: true,
  // ASCII (esbuild's default, said here because both loaders rely on it): bin/memshim and src/sea-main.ts make the
  // source string with a plain byte copy.
  charset: 'ascii',
  sourcemap: 'external',
  sourcesContent: false,
  // A name a lazy built-in's stand-in lacks must stop the build, not become undefined (scripts/lazy-start.mjs).
  logOverride: { 'import-is-undefined': 'error' },
  // The bundle comes wrapped as Node wraps a module, so bin/memshim compiles the file's text as it is: wrapping it
  // there made V8 flatten a second copy of the whole source at every start (pages touched for nothing).
  // Loaded by Node itself (the exec helper runs it as a main script, `require` in bin/memshim's fallback), the
  // wrapper calls the wrapped function at once with Node's module variables; compiled by bin/memshim as a script,
  // the wrapped function is the script's value.
  banner: { js: `${SELF_WRAPPED[0]}${IMPORT_META_URL}` },
  footer: { js: SELF_WRAPPED[1] },
  // MEMSHIM_SEA: this bundle is never the single executable (src/native/sea-native.ts, koffi.ts).
  define: {
    MEMSHIM_VERSION: JSON.stringify(pkg.version),
    MEMSHIM_SEA: 'false',
    'import.meta.url': '__memshimImportMeta.url',
  },
  legalComments: 'none',
  logLevel: 'warning',
});
