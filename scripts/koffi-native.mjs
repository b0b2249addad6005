import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// esbuild plugin for scripts/bundle.mjs: the npm bundle holds koffi's JS (src/native/koffi.ts), so koffi's
// `require('@koromix/koffi-linux-x64')` (its prebuilt native package for the platform) must be answered from
// where koffi is installed, not from dist/: the first node_modules/koffi above the bundle, its real path (pnpm
// links it into its store, where the native package sits next to it), then the package from there, as koffi's
// own require would find it. No `exports` map is read on the way (resolving koffi's loads Node's ESM resolver).
// The package's loader for the platform the bundle is built on is in the bundle (bundledLoader() below): a start
// resolves, reads and compiles no file of it. Not found: the require throws, koffi's loader goes on to its other
// places and then fails, and koffi.ts loads koffi as installed instead.
// koffiBuiltinsAsIs() serves both bundles (scripts/bundle.mjs, scripts/build-binary.mjs).
export function koffiNativeFromInstall() {
  return {
    name: 'memshim-koffi-native-from-install',
    setup(b) {
      b.onResolve({ filter: /^@koromix\/koffi-/ }, (args) => ({ path: args.path, namespace: 'memshim-koffi-native' }));
      b.onLoad({ filter: /.*/, namespace: 'memshim-koffi-native' }, async (args) => {
        const loader = await bundledLoader(args.path);
        return {
          contents: [
            "const { existsSync, realpathSync } = require('node:fs');",
            "const { dirname, join } = require('node:path');",
            "const { createRequire } = require('node:module');",
            'let koffi = null;',
            'for (let dir = __dirname; koffi === null; dir = dirname(dir)) {',
            "  if (existsSync(join(dir, 'node_modules', 'koffi', 'package.json'))) koffi = realpathSync(join(dir, 'node_modules', 'koffi'));",
            '  else if (dirname(dir) === dir) break;',
            '}',
            `if (koffi === null) throw new Error(${JSON.stringify(`${args.path}: no node_modules/koffi above memshim's bundle`)});`,
            // Where koffi's own loadDynamic() looks first: the package beside koffi in its node_modules.
            `const installed = join(koffi, '..', ${args.path
              .split('/')
              .map((part) => JSON.stringify(part))
              .join(', ')});`,
            ...(loader === null
              ? []
              : [
                  'if (existsSync(join(installed, "index.js"))) {',
                  "  const nativeRequire = createRequire(join(installed, 'index.js'));",
                  loader,
                  '} else',
                ]),
            `module.exports = createRequire(join(koffi, 'index.cjs'))(${JSON.stringify(args.path)});`,
          ].join('\n'),
          loader: 'js',
        };
      });
    },
  };
}

/**
 * The loader of the native package installed here (the platform the bundle is built on, linux-x64 for the
 * published one), as the bundle's own code: compiled with the bundle's code cache, where the package's index.js
 * would be resolved, read and compiled from source at every start, and without esbuild's __toESM() copies of
 * node:fs and node:path (it reads `.default` only). Its own require() of the .node files becomes the package's
 * require. null (the package as installed) when that package is not here, or its loader is not the one these
 * replacements expect.
 */
async function bundledLoader(name) {
  let source;
  try {
    source = await readFile(
      join(dirname(createRequire(import.meta.url).resolve(`${name}/package.json`)), 'index.js'),
      'utf8',
    );
  } catch {
    return null;
  }
  const wrapped = /__toESM\(require\("node:(fs|path)"\), 1\)/g;
  const natives = /module\.exports = require\((BINARIES\[libc\]|filename)\);/g;
  const uses = [...source.matchAll(/\bimport_node_(?:fs|path)\.(\w+)/g)].map((m) => m[1]);
  const requires = (source.match(/\brequire\(/g) ?? []).length;
  if ((source.match(wrapped) ?? []).length !== 2 || (source.match(natives) ?? []).length !== 2 || requires !== 4)
    return null;
  if (uses.some((use) => use !== 'default')) return null;
  return `  (() => {\n${source
    .replace(wrapped, '{ default: require("node:$1") }')
    .replace(natives, 'module.exports = nativeRequire($1);')}\n  })();`;
}

/**
 * koffi's index.cjs (esbuild output) wraps node:fs and node:util in __toESM(), which copies every property of
 * each, and a descriptor of util's lazy TextDecoder loads Node's whole encoding module: about a millisecond of each
 * start that spawns, for `.default`, the only property koffi reads. Given `{ default: module }` instead; a koffi
 * whose code reads another property, or wraps them differently, stops the build here.
 */
export function koffiBuiltinsAsIs() {
  return {
    name: 'koffi-builtins-as-is',
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/]koffi[\\/]src[\\/]koffi[\\/]index\.cjs$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        const wrapped = /__toESM\(require\("node:(fs|util)"\)(?:, 1)?\)/g;
        const uses = [...source.matchAll(/\bimport_node_(?:fs|util)\d*\.(\w+)/g)].map((m) => m[1]);
        if ((source.match(wrapped) ?? []).length !== 3 || uses.some((name) => name !== 'default'))
          throw new Error(`koffi's index.cjs changed: update koffiBuiltinsAsIs() (reads ${[...new Set(uses)]})`);
        return { contents: source.replace(wrapped, '{ default: require("node:$1") }'), loader: 'js' };
      });
    },
  };
}
