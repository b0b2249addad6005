// A module of src/ as the bundles hold it (esbuild, CommonJS, import.meta.url the npm bundle's own file URL, the base
// of its createRequire), for a probe run in a fresh Node with `-e`: no TypeScript loader, whose own work would load
// built-ins and grow the young generation before the code under test runs.
import { buildSync } from 'esbuild';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from './memshim.js';

/** JavaScript that declares `names`, exported by `module` (a path from the repository's root). */
export function bundledExports(module: string, names: string[]): string {
  const bundled = buildSync({
    stdin: { contents: `export { ${names.join(', ')} } from './${module}';`, resolveDir: REPO, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(join(REPO, 'dist', 'memshim.cjs')).href) },
    write: false,
  }).outputFiles[0]!.text;
  return `const { ${names.join(', ')} } = (() => { const module = { exports: {} }; ${bundled}; return module.exports; })();`;
}
