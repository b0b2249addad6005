// memshim's own malloc heap goes back to the kernel (src/native/malloc-trim.ts): in a real Node process, memory
// freed below a block still in use stays resident until the trim, and leaves with it.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const register = fileURLToPath(new URL('../helpers/ts-register.mjs', import.meta.url));
const trimModule = new URL('../../src/native/malloc-trim.ts', import.meta.url).href;

// 32 MiB of 8 KiB blocks from glibc's main heap (below its mmap threshold), the last one kept: it pins the top
// of the heap, so free() gives none of the rest back. Then the trim, and RssAnon before and after it.
const program = `
const { trimMallocPeriodically } = await import(${JSON.stringify(trimModule)});
const { readFileSync } = await import('node:fs');
const rssAnon = () => Number(/RssAnon:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'latin1'))[1]) * 1024;
let blocks = Array.from({ length: 4096 }, () => Buffer.allocUnsafeSlow(8192).fill(1));
const pin = blocks.at(-1);
blocks = null;
globalThis.gc();
await new Promise((resolve) => setTimeout(resolve, 200));
const before = rssAnon();
trimMallocPeriodically(process.env);
const after = rssAnon();
console.log(JSON.stringify({ before, after, pinned: pin.length }));
`;

t.test('freed blocks below a live one: resident until the trim, gone after it', async (t) => {
  const run = spawnSync(
    process.execPath,
    ['--expose-gc', `--import=${register}`, '--input-type=module', '-e', program],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  t.equal(run.status, 0, run.stderr);
  const { before, after } = JSON.parse(run.stdout) as { before: number; after: number };
  const MiB = 1024 * 1024;
  t.ok(before - after > 16 * MiB, `RssAnon ${(before / MiB).toFixed(1)} -> ${(after / MiB).toFixed(1)} MiB`);
});

t.test('the trim never keeps the process alive', async (t) => {
  const exit = spawnSync(
    process.execPath,
    [
      `--import=${register}`,
      '--input-type=module',
      '-e',
      `(await import(${JSON.stringify(trimModule)})).trimMallocPeriodically(process.env);`,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  t.equal(exit.status, 0, exit.stderr);
  t.equal(exit.signal, null, 'ended by itself, not by the timeout');
});
