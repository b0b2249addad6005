// The process entry: parse the command line, run the command it names, exit with its code. Each command's
// module is imported only when that command runs, so `memshim -- X` never loads the health server or the
// sidecar, and --help loads neither.
import { main, type Dispatch } from './cli.js';

const dispatch: Dispatch = {
  exitCode: undefined,
  run: async (config) => (await import('./commands/run.js')).run(config),
  status: async (config) => (await import('./commands/status.js')).statusCommand(config),
  sidecar: async (config) => (await import('./commands/sidecar.js')).sidecarCommand(config),
};

main(process.argv.slice(2), process.env, dispatch).then(
  (code) => process.exit(code ?? 0),
  (error: unknown) => {
    process.stderr.write(`memshim: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
