// The stack of an error memshim did not expect, in the places of its source. The npm bundle is minified, names
// too (scripts/bundle.mjs: less to read and compile at every start), so its frames say where in dist/memshim.cjs
// (`at r (/…/dist/memshim.cjs:1:48213)`); its source map beside it (memshim.cjs.map, without the sources' text)
// turns each such place into the file, line and column of src/ it came from. Read only when a stack is printed
// (MEMSHIM_LOG_LEVEL=debug), never on the start path. Without a map (run from source, the single executable,
// whose bundle keeps its names), or one that cannot be read: the stack as it is.
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';

export function sourceMappedStack(stack: string, bundle: string, mapFile = `${bundle}.map`): string {
  let map: SourceMap;
  try {
    map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
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
    // The map names its sources relative to itself (../src/...).
    return `${resolve(dirname(mapFile), entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}
