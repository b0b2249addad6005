// The stack of an error memshim did not expect, in the places of its source. Both bundles are minified, names too
// (less to read, copy and compile at every start: scripts/bundle.mjs, scripts/build-binary.mjs), so their frames
// say where in the bundle (`at r (/…/dist/memshim.cjs:1:48213)`); the bundle's source map (without the sources'
// text: beside dist/memshim.cjs, or the single executable's asset memshim.cjs.map) turns each such place into the
// file, line and column of src/ it came from. Read only when a stack is printed (MEMSHIM_LOG_LEVEL=debug), never on
// the start path. Without a map (run from source), or one that cannot be read: the stack as it is.
import { readFileSync } from 'node:fs';
import { createRequire, SourceMap } from 'node:module';

/** The single executable's asset that holds its bundle's map (scripts/build-binary.mjs). */
export const SOURCE_MAP_ASSET = 'memshim.cjs.map';

// true only in the single executable's bundle (esbuild define); false in the npm bundle, undefined from source.
declare const MEMSHIM_SEA: boolean | undefined;

/** The map's text: the single executable's asset, else the file beside the bundle. */
function mapText(bundle: string): string {
  if (typeof MEMSHIM_SEA !== 'undefined' && MEMSHIM_SEA) {
    const sea = createRequire(bundle)('node:sea') as typeof import('node:sea');
    return sea.getAsset(SOURCE_MAP_ASSET, 'utf8');
  }
  return readFileSync(`${bundle}.map`, 'utf8');
}

/** `stack` with each place in `bundle` (line:column) replaced by the source's, as src/…:line:column. */
export function sourceMappedStack(stack: string, bundle: string, text: () => string = () => mapText(bundle)): string {
  let map: SourceMap;
  try {
    map = new SourceMap(JSON.parse(text()) as ConstructorParameters<typeof SourceMap>[0]);
  } catch {
    return stack;
  }
  const place = new RegExp(`${bundle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`, 'g');
  return stack.replace(place, (whole, line: string, column: string) => {
    // V8 counts lines and columns from 1, source maps from 0.
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as Partial<{
      originalSource: string;
      originalLine: number;
      originalColumn: number;
    }> | null;
    if (!entry?.originalSource || entry.originalLine === undefined || entry.originalColumn === undefined) return whole;
    // The map names its sources relative to itself (../src/…, ../../src/…): named from the repository's root.
    const source = entry.originalSource.replace(/^(\.\.\/)+/, '');
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}
