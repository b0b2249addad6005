// How memshim's own process ends. process.exit() runs the 'exit' listeners (bin/memshim writes its code cache
// there), then hands the code to process.reallyExit, which is Node's teardown: it stops V8's platform (waking and
// joining its worker threads), shuts libuv's library state down and calls exit(3), which runs the C library's exit
// handlers and every C++ static destructor. Of all that memshim needs one thing: the handler that puts stdio's
// flags back (libc.ts, resetStdioAsNodeDoes). Its log lines are written before (flushLogs()) and its child's status
// is the exit code. So where libc is loaded already (every start that ran a child), the last step is that reset and
// _exit(2): the same code, without the teardown (docs/packaging.md, "Start-up, eleventh round").
// Neither way flushes a JS stream's pending writes (Node's teardown does not run the event loop either).
// Node's own exit stays wherever it has work to do at exit: coverage (NODE_V8_COVERAGE), a profile, a trace, the
// inspector, a preload's native exit hook, options that print through C's buffered stdio, a terminal's settings to
// put back. Rather than name those,
// the quick exit is taken only when every Node option (the command line's and NODE_OPTIONS) is one known to do
// nothing at exit; anything else keeps Node's exit, which costs those milliseconds and nothing more.
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
 * Whether this Node was asked for something its teardown does (writes coverage, a profile, a trace...): any
 * option of `execArgv` or NODE_OPTIONS outside NOTHING_AT_EXIT, or NODE_V8_COVERAGE set.
 */
export function nodeTeardownNeeded(
  execArgv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (env.NODE_V8_COVERAGE) return true;
  const options = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/).filter((word) => word !== '')];
  return options.some((option) => !NOTHING_AT_EXIT.has(option.split('=')[0]!.replaceAll('_', '-')));
}

/** process.exit(code), ending in _exit(2) instead of Node's teardown where that teardown has nothing to do. */
export function exitProcess(code: number): never {
  const lib = nodeTeardownNeeded(process.execArgv, process.env) ? null : loadedLibc();
  if (lib !== null && resetStdioAsNodeDoes(lib))
    (process as unknown as { reallyExit: (status: number) => never }).reallyExit = lib._exit;
  return process.exit(code);
}
