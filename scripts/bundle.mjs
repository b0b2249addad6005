// Bundles src/main.ts into one CommonJS file: what bin/memshim loads (one file parses faster than a
// node_modules tree, which matters for a PID 1 that starts every container) and what the single
// executable embeds. koffi stays external: its native module is loaded from node_modules (npm) or
// from an asset of the single executable (see src/native/).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/memshim.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['koffi'],
  // import.meta.url has no meaning in CommonJS; give it the bundle's own URL so createRequire() works.
  banner: { js: "const __memshimImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { MEMSHIM_VERSION: JSON.stringify(pkg.version), 'import.meta.url': '__memshimImportMetaUrl' },
  legalComments: 'none',
  logLevel: 'warning',
});
