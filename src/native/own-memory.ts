// memshim's own memory, handed back to the kernel while it supervises: it is PID 1 for as long as the container
// runs, charged to the application's memory limit. Checked every CHECK_EVERY_MS from 2 s after the spawn
// (commands/run.ts, with the switch to full collections):
// - V8's young generation: every collection keeps both of its semi-spaces committed and the pages it frees pooled,
//   so the monitor's readings, a small steady flow of short-lived objects, end with all of it resident. A
//   memory-reducing collection (common/own-heap.ts, collectNow) gives them back; it costs two full collections,
//   so it runs only once the resident set has grown by REDUCE_AFTER_GROWTH_BYTES since the last one (and at the
//   first check, after the start).
// - glibc's heap: free()d memory goes back only from the top of its main heap, so what a start frees below
//   something still in use (the buffers its bundle and code cache were read into, Node's and koffi's own
//   start-up) would stay resident. malloc_trim(0) releases the free pages of every arena, after the collection
//   (which frees what V8 held through malloc), at the pace at which jemalloc hands back its dirty pages by default.
// Figures: docs/packaging.md, "Start-up, sixth round" and "seventh round".
import { collectNow } from '../common/own-heap.js';
import { libc } from './libc.js';

export const CHECK_EVERY_MS = 10_000;
export const REDUCE_AFTER_GROWTH_BYTES = 256 * 1024;

/** Whether the resident set grew enough since the last memory-reducing collection for another. Pure. */
export function dueForReduce(residentBytes: number, afterLastBytes: number | null): boolean {
  return afterLastBytes === null || residentBytes - afterLastBytes >= REDUCE_AFTER_GROWTH_BYTES;
}

/**
 * Checks now and every `everyMs`, on a timer that never keeps memshim alive. Without glibc's malloc_trim (no koffi,
 * musl): the collections only.
 */
export function keepOwnMemorySmall(env: Readonly<Record<string, string | undefined>>, everyMs = CHECK_EVERY_MS): void {
  const trim = libc(env)?.malloc_trim;
  let afterLast: number | null = null;
  const check = () => {
    const reduce = dueForReduce(process.memoryUsage.rss(), afterLast);
    if (reduce) collectNow({ reduceMemory: true });
    trim?.(0);
    // The lowest since the last collection: growth is counted from what the trims left.
    const now = process.memoryUsage.rss();
    afterLast = reduce || afterLast === null ? now : Math.min(afterLast, now);
  };
  check();
  setInterval(check, everyMs).unref();
}
