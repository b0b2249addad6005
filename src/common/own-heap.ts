// memshim's own V8 isolate, kept small. memshim is PID 1 for as long as the container runs and its memory is
// taken out of the application's budget (src/commands/run.ts), so it trades speed it does not need for memory:
// - --semi-space-growth-factor=1: the young generation keeps the size it started with. V8 doubles it whenever
//   enough objects survive, and the monitor's readings and each scrape of the health server are a steady flow
//   of short-lived objects: it grew to 4 MiB a semi-space (8 MiB resident) within a few hundred scrapes.
// - --no-opt, --no-maglev: no optimising compiler. memshim's hot code is a few readings a second; the
//   optimising compilers' output and their per-thread malloc arenas cost megabytes and buy nothing here.
// Figures: docs/pid1.md, "memshim's own memory".
//
// They hold from the first instruction, before any load can grow the young generation: bin/memshim sets them
// before it compiles the bundle, the single executable has them in its execArgv (scripts/build-binary.mjs) and
// sets them again at the first line of its bundle. V8 raises a growth factor below 2 to 2 when it configures the
// heap (as the isolate is made), so from the command line or execArgv that flag is undone: it must be set at run
// time. The executable's young generation doubled to 8 MiB a semi-space under a few thousand scrapes before.
// V8 checks a code cache against a hash of its flags, so both make their code cache under these same flags:
// bin/memshim writes its cache after setting them, and the executable's blob is built under its execArgv.
// Neither can import this file (plain JS run before any bundle): each holds a copy of the list, and
// test/common/own-heap.test.ts checks the copies against this one.

export const OWN_HEAP_FLAGS = ['--semi-space-growth-factor=1', '--no-opt', '--no-maglev'] as const;
