// The process entry: parse the command line, run the command it names, exit with its code. Each command's
// module is imported only when that command runs, so `memshim -- X` never loads the health server or the
// sidecar, and --help loads neither. The first import listens for signals (listen-first.ts): it must stay first.
import './listen-first.js';
import { releaseEarlySignals } from './common/early-signals.js';
import { main, type Dispatch } from './cli.js';

const dispatch: Dispatch = {
  exitCode: undefined,
  run: async (config, io) => (await import('./commands/run.js')).run(config, io),
  // Commands that supervise nothing: a signal that came early has the effect it would have had anyway.
  status: async (config) => (await releaseEarlySignals(), (await import('./commands/status.js')).statusCommand(config)),
  sidecar: async (config) => (await releaseEarlySignals(), (await import('./commands/sidecar.js')).sidecarCommand(config)),
};

main(process.argv.slice(2), process.env, dispatch).then(
  async (code) => {
    // --help, --version, a usage error, --dry-run: nothing took over what came early.
    await releaseEarlySignals();
    process.exit(code ?? 0);
  },
  (error: unknown) => {
    process.stderr.write(`memshim: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
