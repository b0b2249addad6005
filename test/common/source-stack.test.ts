// The bundles are minified, names too; a stack printed for debugging is mapped back to src/ through the bundle's
// source map (src/common/source-stack.ts). A bundle built here the way scripts/bundle.mjs builds it throws, and its
// stack names the source file and line; the map shipped beside dist/memshim.cjs maps the bundle's own code. The
// single executable's map (its asset): test/packaging/binary-debug-stack.test.ts.
import t from 'tap';
import { buildSync } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sourceMappedStack } from '../../src/common/source-stack.js';
import { ensureBuilt, REPO } from '../helpers/memshim.js';

const dir = mkdtempSync(join(tmpdir(), 'memshim-source-stack-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test("a minified bundle's stack, mapped: the source's file and line", async (t) => {
  const source = join(dir, 'thrower.ts');
  writeFileSync(
    source,
    [
      'export function parseTheLimit(text: string): number {',
      '  const value = Number(text);',
      "  if (Number.isNaN(value)) throw new Error('not a number');",
      '  return value;',
      '}',
      '',
    ].join('\n'),
  );
  const bundle = join(dir, 'thrower.cjs');
  buildSync({
    entryPoints: [source],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    minify: true,
    sourcemap: 'external',
    sourcesContent: false,
  });
  const { parseTheLimit } = createRequire(import.meta.url)(bundle) as { parseTheLimit: (text: string) => number };
  let stack = '';
  try {
    parseTheLimit('x');
  } catch (error) {
    stack = (error as Error).stack!;
  }
  t.match(stack, `${bundle}:`, 'the raw stack names the bundle');
  const mapped = sourceMappedStack(stack, bundle);
  t.match(mapped, '(thrower.ts:3:', 'the mapped one names the source and the line that threw');
  t.notMatch(mapped, `${bundle}:`);
  const absent = () => readFileSync(join(dir, 'absent.map'), 'utf8');
  t.equal(sourceMappedStack(stack, bundle, absent), stack, 'no map: the stack as it is');
});

t.test('the map shipped beside dist/memshim.cjs maps the bundle', async (t) => {
  ensureBuilt();
  const bundle = join(REPO, 'dist', 'memshim.cjs');
  const text = readFileSync(bundle, 'utf8');
  const at = text.indexOf('internal error: ');
  t.ok(at > 0);
  const line = text.slice(0, at).split('\n').length;
  const column = at - text.lastIndexOf('\n', at - 1);
  t.match(sourceMappedStack(`    at x (${bundle}:${line}:${column})`, bundle), '(src/main.ts:');
});
