// esbuild plugins for scripts/bundle.mjs and scripts/build-binary.mjs that keep work off memshim's start path
// (every container start pays it) without changing what any code does.
//
// lazyBuiltins(): Node built-ins that the start path imports but rarely calls are loaded at their first call.
// - node:assert: yargs (--help, the subcommands, usage errors) uses it for internal checks. Loading it loads
//   internal/util/colors, which creates process.stderr and with it Node's whole stream implementation: several
//   ms (bench/init.ts), for checks that pass. assert(),
//   ok(), strictEqual() and notStrictEqual() answer a passing check themselves, exactly as Node does
//   (Object.is, truthiness); anything else, a failing check included, goes to the real module, whose
//   AssertionError is thrown as before.
// - node:zlib: src/runtimes/zip.ts inflates a nested jar only when counting a Spring Boot jar's classes.
// - node:child_process: src/supervisor/node-control.ts spawns with it only where koffi cannot load; loading it
//   loads net, dgram and the streams.
// - node:tty: src/supervisor/exec.ts asks isatty() only where koffi cannot load; loading it loads net and the
//   streams, and in a start that sets V8 flags first (bin/memshim) compiles them without Node's code cache.
// Each stand-in exports the same names as a function that loads the real module on first use and calls it.
// A name not listed here fails the build ("No matching export"; the builds make esbuild's warning
// import-is-undefined an error too), so nothing can silently get undefined.

import { readFile } from 'node:fs/promises';

/** Built-in -> [shape, names]. 'callable': module.exports is itself a function (assert(value, message)). */
const LAZY = {
  assert: [
    'callable',
    [
      'ok',
      'equal',
      'notEqual',
      'strictEqual',
      'notStrictEqual',
      'deepEqual',
      'notDeepEqual',
      'deepStrictEqual',
      'notDeepStrictEqual',
      'throws',
      'doesNotThrow',
      'rejects',
      'doesNotReject',
      'fail',
      'ifError',
      'match',
      'doesNotMatch',
    ],
  ],
  zlib: ['functions', ['inflateRawSync']],
  child_process: ['functions', ['spawn']],
  tty: ['functions', ['isatty']],
};

/** The checks answered without the real module: when this holds, Node's function returns undefined too. */
const PASSES = {
  ok: 'args.length > 0 && args[0]',
  strictEqual: 'args.length >= 2 && Object.is(args[0], args[1])',
  notStrictEqual: 'args.length >= 2 && !Object.is(args[0], args[1])',
};

function standIn(name) {
  const [shape, functions] = LAZY[name];
  const load = `let real; const load = () => (real ??= require('node:${name}'));`;
  if (shape === 'callable') {
    // CommonJS: sonic-boom calls the module itself; yargs imports names (esbuild copies the own properties).
    return [
      load,
      'function lazy(...args) { if (args.length > 0 && args[0]) return; return load()(...args); }',
      ...functions.map(
        (fn) =>
          `lazy.${fn} = function ${fn}(...args) { ${PASSES[fn] ? `if (${PASSES[fn]}) return; ` : ''}return load().${fn}(...args); };`,
      ),
      "Object.defineProperty(lazy, 'AssertionError', { enumerable: true, get: () => load().AssertionError });",
      "Object.defineProperty(lazy, 'strict', { enumerable: true, get: () => load().strict });",
      'module.exports = lazy;',
    ].join('\n');
  }
  return [load, ...functions.map((fn) => `export function ${fn}(...args) { return load().${fn}(...args); }`)].join(
    '\n',
  );
}

export function lazyBuiltins() {
  const filter = new RegExp(`^(node:)?(${Object.keys(LAZY).join('|')})$`);
  return {
    name: 'memshim-lazy-builtins',
    setup(b) {
      b.onResolve({ filter }, (args) => {
        const name = args.path.replace(/^node:/, '');
        // The stand-in's own require() is the real built-in.
        if (args.namespace === 'memshim-lazy-builtin') return { path: args.path, external: true };
        // A 'functions' stand-in has only the names listed, for named imports: a require() (systeminformation's
        // of child_process in the single executable) gets the real module.
        if (LAZY[name][0] === 'functions' && args.kind !== 'import-statement') return undefined;
        return { path: name, namespace: 'memshim-lazy-builtin' };
      });
      b.onLoad({ filter: /.*/, namespace: 'memshim-lazy-builtin' }, (args) => ({
        contents: standIn(args.path),
        loader: 'js',
      }));
    },
  };
}

/**
 * yargsLazyColumns(): yargs' platform shim reads process.stdout.columns when it is loaded, which creates
 * process.stdout: Node's stream implementation loaded on every start, and for a pipe (a container's usual
 * stdout) a net.Socket with a libuv handle on the fd the child shares. memshim itself writes to stdout only for
 * --dry-run, --help and --version. The same expression becomes a getter, read when yargs needs the width
 * (help output). The build fails if the shim changed.
 */
export function yargsLazyColumns() {
  const eager = "stdColumns: typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null";
  const lazy =
    "get stdColumns() { return typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null; }";
  return {
    name: 'memshim-yargs-lazy-columns',
    setup(b) {
      b.onLoad({ filter: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (!source.includes(eager))
          return {
            errors: [
              {
                text: `${args.path}: yargs no longer reads stdout columns as scripts/lazy-start.mjs expects; update the plugin`,
              },
            ],
          };
        return { contents: source.replace(eager, lazy), loader: 'js' };
      });
    },
  };
}

/**
 * The first and last text of a bundle that comes wrapped as Node wraps a module: compiled as it is by bin/memshim
 * and src/sea-main.ts, V8 has no concatenation of the whole bundle to flatten into a second copy at every start.
 * Its value is a function of (exports, require, module, __filename, __dirname).
 */
export const MODULE_WRAPPER = ['(function (exports, require, module, __filename, __dirname) {', '\n})'];

/**
 * The entry of yargs bundled alone (the npm package's dist/yargs.cjs, the single executable's asset yargs.cjs):
 * its module.exports is yargs itself, what a require('yargs') from memshim's ESM-built code takes as its default.
 * Through yargs' ESM build, the one yargsLazyColumns() patches.
 */
export const YARGS_ALONE = "import yargs from 'yargs';\nmodule.exports = yargs;";

/**
 * yargsFromItsOwnFile(path): `import yargs from 'yargs'` becomes a require() of `path`, relative to the bundle (the
 * file of yargs alone that scripts/bundle.mjs makes), at the moment src/cli/yargs.ts is first loaded.
 */
export function yargsFromItsOwnFile(path) {
  return {
    name: 'memshim-yargs-own-file',
    setup(b) {
      b.onResolve({ filter: /^yargs$/ }, () => ({ path, external: true }));
    },
  };
}
