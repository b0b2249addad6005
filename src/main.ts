// The process entry: parse the command line, run the command it names, exit with its code. Each command's
// module is imported only when that command runs, so `memshim -- X` never loads the health server or the
// sidecar, and --help loads neither. The first import is the exec helper's way out (exec-helper.ts); the next
// listens for signals (listen-first.ts): both must stay first.
import './exec-helper.js';
import './listen-first.js';
import { releaseEarlySignals } from './common/early-signals.js';
import { main, type Dispatch } from './cli.js';
import { flushLogs, stderrSink } from './common/log.js';
import { sourceMappedStack } from './common/source-stack.js';
import { exitProcess } from './native/process-exit.js';
import { fileURLToPath } from 'node:url';

const dispatch: Dispatch = {
  exitCode: undefined,
  run: async (config, io) => (await import('./commands/run.js')).run(config, io),
  // Commands that supervise nothing: a signal that came early has the effect it would have had anyway.
  status: async (config) => (await releaseEarlySignals(), (await import('./commands/status.js')).statusCommand(config)),
  sidecar: async (config) => (
    await releaseEarlySignals(),
    (await import('./commands/sidecar.js')).sidecarCommand(config)
  ),
};

/**
 * An error memshim did not expect: one line (what went wrong), the stack only when debugging was asked for
 * (--log-level debug/trace or MEMSHIM_LOG_LEVEL), since a stack names the paths of the build, not the user's input;
 * mapped back to src/ when it comes from the minified npm bundle (common/source-stack.ts).
 */
export function internalErrorLine(error: unknown, debug: boolean, bundle = fileURLToPath(import.meta.url)): string {
  const stack = error instanceof Error && debug && error.stack ? sourceMappedStack(error.stack, bundle) : null;
  const text = error instanceof Error ? (stack ?? error.message) : String(error);
  return `memshim: internal error: ${debug ? text : text.split('\n')[0]}${debug ? '' : ' (MEMSHIM_LOG_LEVEL=debug shows where)'}\n`;
}

function debugging(argv: string[], env: NodeJS.ProcessEnv): boolean {
  const flag = argv.findIndex((a) => a === '--log-level' || a.startsWith('--log-level='));
  const level =
    flag < 0 ? env.MEMSHIM_LOG_LEVEL : argv[flag]!.includes('=') ? argv[flag]!.split('=')[1] : argv[flag + 1];
  return /^(debug|trace)$/i.test(level ?? '');
}

// The exit waits for stderr to take the last lines, about a second at most: a stalled log pipe must not keep
// memshim, and with it the container, from ending with the child's status. Then it skips Node's teardown where
// that has nothing to do (native/process-exit.ts).
main(process.argv.slice(2), process.env, dispatch).then(
  async (code) => {
    // --help, --version, a usage error, --dry-run: nothing took over what came early.
    await releaseEarlySignals();
    await flushLogs();
    exitProcess(code ?? 0);
  },
  async (error: unknown) => {
    stderrSink().write(internalErrorLine(error, debugging(process.argv.slice(2), process.env)));
    await flushLogs();
    exitProcess(1);
  },
);
