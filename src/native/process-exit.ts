// How memshim's own process ends. process.exit() runs the 'exit' listeners (bin/memshim writes its code cache
// there), then hands the code to process.reallyExit, which is Node's teardown: it stops V8's platform (waking and
// joining its worker threads), shuts libuv's library state down and calls exit(3), which runs the C library's exit
// handlers and every C++ static destructor. Of all that memshim needs one thing: the handler that puts stdio's
// flags back (libc.ts, resetStdioAsNodeDoes). Its log lines are written before (flushLogs()) and its child's status
// is the exit code. So where libc is loaded already (every start that ran a child), the last step is that reset and
// _exit(2): the same code, without the teardown (docs/packaging.md, "Start-up, eleventh round").
// Neither way flushes a JS stream's pending writes (Node's teardown does not run the event loop either).
// Node's own exit stays wherever it has more to do: coverage (NODE_V8_COVERAGE), its compile cache
// (NODE_COMPILE_CACHE), a profile, a trace, the inspector, a preload's native exit hook, options that print through
// C's buffered stdio, a terminal's settings to put back. Rather than name those options, the quick exit is taken
// only when every Node option memshim's Node was given (its command line's, and NODE_OPTIONS where that Node reads
// it: the single executable is built to ignore it) is one known to do nothing at exit; anything else keeps Node's
// exit, which costs those milliseconds and nothing more.
import { IN_SEA } from './koffi.js';
import { loadedLibc, resetStdioAsNodeDoes } from './libc.js';

/** Node options that leave nothing for Node's teardown to do (names; `_` read as `-`, as V8 reads them). */
const NOTHING_AT_EXIT: ReadonlySet<string> = new Set([
  '--expose-internals', // the single executable's own (scripts/build-binary.mjs)
  '--max-old-space-size',
  '--max-semi-space-size',
  '--stack-size',
  '--max-http-header-size',
  '--enable-source-maps',
  '--no-warnings',
  '--no-deprecation',
  '--disable-warning',
  '--dns-result-order',
  '--use-openssl-ca',
  '--use-bundled-ca',
  '--openssl-legacy-provider',
  '--unhandled-rejections',
]);

/**
 * Whether this Node was asked for something its teardown does (writes coverage, its compile cache, a profile, a
 * trace...): NODE_V8_COVERAGE or NODE_COMPILE_CACHE set, or any option of `execArgv`, or of NODE_OPTIONS unless
 * `readsNodeOptions` is false (the single executable), outside NOTHING_AT_EXIT.
 */
export function nodeTeardownNeeded(
  execArgv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  readsNodeOptions = true,
): boolean {
  if (env.NODE_V8_COVERAGE || env.NODE_COMPILE_CACHE) return true;
  const fromEnv = readsNodeOptions ? (env.NODE_OPTIONS ?? '').split(/\s+/).filter((word) => word !== '') : [];
  return [...execArgv, ...fromEnv].some((option) => !NOTHING_AT_EXIT.has(option.split('=')[0]!.replaceAll('_', '-')));
}

/** process.exit(code), ending in _exit(2) instead of Node's teardown where that teardown has nothing to do. */
export function exitProcess(code: number): never {
  const lib = nodeTeardownNeeded(process.execArgv, process.env, !IN_SEA) ? null : loadedLibc();
  if (lib !== null && resetStdioAsNodeDoes(lib))
    (process as unknown as { reallyExit: (status: number) => never }).reallyExit = lib._exit;
  return process.exit(code);
}
