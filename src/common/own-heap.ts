// memshim's own V8 isolate, kept small once the start is over. memshim is PID 1 for as long as the container
// runs and its memory is taken out of the application's budget (src/commands/run.ts), so it trades speed it
// does not need for memory:
// - --semi-space-growth-factor=1: the young generation keeps the size it started with. V8 doubles it whenever
//   enough objects survive, and the monitor's readings and each scrape of the health server are a steady flow
//   of short-lived objects: it grew to 4 MiB a semi-space (8 MiB resident) within a few hundred scrapes.
// - --no-opt, --no-maglev: no optimising compiler. memshim's hot code is a few readings a second; the
//   optimising compilers' output and their per-thread malloc arenas cost megabytes and buy nothing here.
// Figures: docs/pid1.md, "memshim's own memory".
//
// Why the flags are set late (OWN_HEAP_DELAY_MS after the start) and not at once: V8 checks a code cache
// against a hash of its flags. bin/memshim writes the bundle's code cache within a second of a start that found
// none; a cache written after a flag change is refused by every later start, which would then compile the
// bundle each time. And Node's own modules loaded after a flag change are compiled without their built-in code
// cache. By OWN_HEAP_DELAY_MS the start is over: the child runs, the health server listens. (bin/memshim's
// timer is set before this one and for an earlier time, so it always runs first.) node:v8 is loaded then too:
// it loads Node's stream implementation, which the start path does not otherwise need.

export const OWN_HEAP_FLAGS = ['--semi-space-growth-factor=1', '--no-opt', '--no-maglev'] as const;
export const OWN_HEAP_DELAY_MS = 1000;

let scheduled = false;

/** Sets OWN_HEAP_FLAGS once, OWN_HEAP_DELAY_MS from now; keeps no event loop alive. */
export function limitOwnHeapSoon(delayMs: number = OWN_HEAP_DELAY_MS): void {
  if (scheduled) return;
  scheduled = true;
  // A PID 1 keeps running without it: a failure here only leaves the heap as V8 sizes it.
  setTimeout(() => limitOwnHeapNow().catch(() => undefined), delayMs).unref();
}

export async function limitOwnHeapNow(): Promise<void> {
  const { setFlagsFromString } = await import('node:v8');
  for (const flag of OWN_HEAP_FLAGS) setFlagsFromString(flag);
}
