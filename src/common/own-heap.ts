// memshim's own V8 isolate, kept small. memshim is PID 1 for as long as the container runs and its memory is
// taken out of the application's budget (src/commands/run.ts), so it trades speed it does not need for memory:
// - --semi-space-growth-factor=1: the young generation keeps the size it started with. V8 doubles it whenever
//   enough objects survive, and the monitor's readings and each scrape of the health server are a steady flow
//   of short-lived objects: it grew to 4 MiB a semi-space (8 MiB resident) within a few hundred scrapes.
// - --no-opt, --no-maglev: no optimising compiler. memshim's hot code is a few readings a second; the
//   optimising compilers' output and their per-thread malloc arenas cost megabytes and buy nothing here.
// - --heap-growing-percent=50: after a full collection, the old generation may grow to 1.5 times what survived
//   (or by V8's minimum step) before the next one. V8 picks that factor from its GC and mutator speeds, up to 4
//   for a heap limit sized from the host or a large container: a steady flow of scrapes let the old generation
//   fill to about 4 times the 6 MiB memshim keeps alive (RssAnon 21 -> 33 MiB) before it collected. Read at
//   each collection, so it works when set at run time.
// - --no-minor-gc-task: a scavenge only when the young generation is full, not as a task V8 posts to the event
//   loop once it is four fifths full. A start allocates a little less than the young generation holds, so with
//   the task its scavenge ran while memshim waited for the child, in every start (a short command paid it
//   whole); without, it comes at the first allocation that does not fit, later, the same collection of the
//   same objects. Same memory: the young generation's size does not change. Read each time V8 would post the
//   task, so it works when set at run time.
// - --no-sparkplug: no baseline compiler either. It turns the functions a start calls often into machine code at
//   every start, which costs that start more than the code saves it, and keeps the code resident (with the
//   interpreter's bytecode, which it does not replace).
// Figures: docs/pid1.md, "memshim's own memory"; docs/packaging.md, "Start-up, seventh round".
//
// They hold from the first JavaScript on, before any load can grow the young generation, and after the Node
// built-ins a start loads: Node compiles each built-in with a code cache made under its default flags, which V8
// rejects once any flag differs, so a built-in first loaded after them is compiled from source (in the single
// executable with the flags in its execArgv, about a third of memshim's own start went to that).
// - bin/memshim sets them after node:vm and node:module, before it compiles the bundle, and writes the
//   bundle's code cache under them (V8 checks a code cache against a hash of its flags). It cannot import this
//   file (plain JS run before any bundle): it holds a copy of the list, which test/common/own-heap.test.ts
//   checks against this one.
// - the single executable sets them here (setOwnHeapFlags(), from its main script src/sea-main.ts, right after
//   the early signal handlers and before it compiles the bundle with its code cache, made under them too; the
//   build script holds a copy of the list, checked by the same test). Not in its execArgv: V8 raises a growth
//   factor below 2 to 2 when it configures the heap (as the isolate is made), so from the command line that
//   flag is undone; its young generation doubled to 8 MiB a semi-space under a few thousand scrapes while it
//   was there.
//
// Once the child runs, one more (collectInFull()): --gc-global, every collection a full one. With a young
// generation this small, what a burst of work keeps for a moment (an orphan flood: a reap event each) survives
// two scavenges and is promoted, and Node 20's V8 makes its first full collection of the old generation only when
// that reaches a limit sized from the host: the npm package's RssAnon went 10 -> 17-18 MiB over a 20k-orphan
// flood, past its reservation, and back to 4 MiB of heap at the first full collection. A full collection of
// memshim's few MiB costs a few milliseconds, and comes as often as a scavenge would: about once per MiB
// allocated. Not before the spawn: the start's own collections stay the cheap ones. And not before the code
// caches are written (bin/memshim's within the first second, the single executable's at its build's training
// start, which takes it back first, `collectInFull(false)`, should its command outlive the delay): V8 checks a
// code cache against a hash of every flag, so a cache made with this one set would be rejected by the next
// start, which runs without it until then.

import { builtinRequire } from './builtin-require.js';
import { bindingSetFlagsFromString } from './node-internals.js';

export const OWN_HEAP_FLAGS = [
  '--semi-space-growth-factor=1',
  '--no-opt',
  '--no-maglev',
  '--heap-growing-percent=50',
  '--no-minor-gc-task',
  '--no-sparkplug',
] as const;

function setFlagsFrom(load: NodeJS.Require): (flags: string) => void {
  return bindingSetFlagsFromString() ?? (load('node:v8') as typeof import('node:v8')).setFlagsFromString;
}

/**
 * Loads `builtins` (those a start will load anyway, with Node's code cache while the flags are still Node's),
 * then sets OWN_HEAP_FLAGS. Silent: memshim runs the same without them, with a larger heap.
 */
export function setOwnHeapFlags(builtins: readonly string[]): void {
  try {
    const load = builtinRequire();
    for (const name of builtins) load(name);
    const setFlags = setFlagsFrom(load);
    for (const flag of OWN_HEAP_FLAGS) setFlags(flag);
  } catch {
    // as without them
  }
}

/** Set once the child runs: every collection of memshim's heap a full one (why: the header above). Silent. */
export const FULL_COLLECTIONS_FLAG = '--gc-global';

/** How long after the spawn collectInFull() is due: after bin/memshim's last code-cache write (1 s after start). */
export const FULL_COLLECTIONS_AFTER_MS = 2000;

export function collectInFull(on = true): void {
  try {
    setFlagsFrom(builtinRequire())(on ? FULL_COLLECTIONS_FLAG : FULL_COLLECTIONS_FLAG.replace('--', '--no-'));
  } catch {
    // as without it, with a larger old generation under bursts
  }
}

/**
 * gc()'s options for V8's memory-reducing collection, from V8 12 (Node 22) on. V8 11 (Node 20) reads them otherwise
 * (a scavenge); its plain full collection is taken there, which shrinks the young generation when allocation is
 * slow and keeps no pool.
 */
const REDUCING =
  Number(process.versions.v8.split('.')[0]) >= 12 ? { type: 'major', execution: 'sync', flavor: 'last-resort' } : null;

/**
 * A full collection of memshim's heap, now. Through --expose-gc set at run time and a context made under it (the
 * flag puts gc() only on contexts made after it). Silent: where that fails, nothing.
 * - plain (supervisor/exec.ts, before it sets the rlimits of the command it becomes): after it nothing is left for
 *   V8 to finish on its own (an incremental marking its background threads were doing would otherwise be finished
 *   at whatever JavaScript runs next, the setrlimit and execve calls included), and the young generation's second
 *   semi-space has been committed and is kept for the next collection, so a collection under the limits needs no
 *   page from the kernel.
 * - `reduceMemory` (native/own-memory.ts, while memshim supervises): V8's memory-reducing collection (what it does
 *   under memory pressure: two full collections at least), which also gives back the young generation's second
 *   semi-space and the pages V8 keeps pooled. From V8 12 on every other collection keeps them, so any allocation
 *   flow, however small, ends with both semi-spaces resident.
 */
export function collectNow({ reduceMemory = false }: { reduceMemory?: boolean } = {}): void {
  try {
    const load = builtinRequire();
    const setFlags = setFlagsFrom(load);
    setFlags('--expose-gc');
    const gc = (load('node:vm') as typeof import('node:vm')).runInNewContext('gc') as unknown;
    // Back at once: V8 checks a code cache against a hash of every flag (bin/memshim may still write one).
    setFlags('--no-expose-gc');
    if (typeof gc !== 'function') return;
    if (reduceMemory && REDUCING) (gc as (options: object) => void)(REDUCING);
    else (gc as () => void)();
  } catch {
    // as without it
  }
}
