// esbuild plugin for scripts/bundle.mjs: the npm bundle holds koffi's JS (src/native/koffi.ts), so koffi's
// `require('@koromix/koffi-linux-x64')` (its prebuilt native package for the platform) must be answered from
// where koffi is installed, not from dist/: the first node_modules/koffi above the bundle, its real path (pnpm
// links it into its store, where the native package sits next to it), then the package from there, as koffi's
// own require would find it. No `exports` map is read on the way (resolving koffi's loads Node's ESM resolver).
// Not found: the require throws, koffi's loader goes on to its other places and then fails, and koffi.ts loads
// koffi as installed instead.
export function koffiNativeFromInstall() {
  return {
    name: 'memshim-koffi-native-from-install',
    setup(b) {
      b.onResolve({ filter: /^@koromix\/koffi-/ }, (args) => ({ path: args.path, namespace: 'memshim-koffi-native' }));
      b.onLoad({ filter: /.*/, namespace: 'memshim-koffi-native' }, (args) => ({
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
          `module.exports = createRequire(join(koffi, 'index.cjs'))(${JSON.stringify(args.path)});`,
        ].join('\n'),
        loader: 'js',
      }));
    },
  };
}
