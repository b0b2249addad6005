// memshim's own memory goes back to the kernel (src/native/own-memory.ts), in a real Node process: memory freed
// below a malloc block still in use stays resident until the trim, and leaves with it; the collection that gives
// V8's pages back runs at the first check, then only once the resident set has grown.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const register = fileURLToPath(new URL('../helpers/ts-register.mjs', import.meta.url));
const ownMemory = new URL('../../src/native/own-memory.ts', import.meta.url).href;

// 32 MiB of 8 KiB blocks from glibc's main heap (below its mmap threshold), the last one kept: it pins the top
// of the heap, so free() gives none of the rest back. Then the trim, and RssAnon before and after it.
const program = `
const { keepOwnMemorySmall } = await import(${JSON.stringify(ownMemory)});
const { readFileSync } = await import('node:fs');
const rssAnon = () => Number(/RssAnon:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'latin1'))[1]) * 1024;
let blocks = Array.from({ length: 4096 }, () => Buffer.allocUnsafeSlow(8192).fill(1));
const pin = blocks.at(-1);
blocks = null;
globalThis.gc();
await new Promise((resolve) => setTimeout(resolve, 200));
const before = rssAnon();
keepOwnMemorySmall(process.env);
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

t.test('the checks never keep the process alive', async (t) => {
  const exit = spawnSync(
    process.execPath,
    [
      `--import=${register}`,
      '--input-type=module',
      '-e',
      `(await import(${JSON.stringify(ownMemory)})).keepOwnMemorySmall(process.env);`,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  t.equal(exit.status, 0, exit.stderr);
  t.equal(exit.signal, null, 'ended by itself, not by the timeout');
});

// Checks every 200 ms: one at once (a collection), five over a quiet second (none), then 8 MiB more resident (one).
const checks = `
const { keepOwnMemorySmall, REDUCE_AFTER_GROWTH_BYTES } = await import(${JSON.stringify(ownMemory)});
const { PerformanceObserver, constants } = await import('node:perf_hooks');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let full = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++;
}).observe({ entryTypes: ['gc'] });
await sleep(100);
full = 0;
keepOwnMemorySmall(process.env, 200);
await sleep(100);
const first = full;
await sleep(1000);
const quiet = full - first;
const grown = Buffer.alloc(8 * 1024 * 1024, 1);
await sleep(300);
console.log(JSON.stringify({ first, quiet, afterGrowth: full - first - quiet, grown: grown.length > REDUCE_AFTER_GROWTH_BYTES }));
process.exit(0);
`;

t.test('a full collection at the first check, none while nothing grows, one once the resident set has', async (t) => {
  const run = spawnSync(process.execPath, [`--import=${register}`, '--input-type=module', '-e', checks], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  t.equal(run.status, 0, run.stderr);
  const { first, quiet, afterGrowth } = JSON.parse(run.stdout) as { first: number; quiet: number; afterGrowth: number };
  t.ok(first >= 1, `at the first check (${first})`);
  t.equal(quiet, 0, 'none over five quiet checks');
  t.ok(afterGrowth >= 1, `after the growth (${afterGrowth})`);
});
