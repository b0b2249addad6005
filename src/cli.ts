// The command line: parse, validate, hand over. Every usage error is one line on stderr and exit 2; nothing
// else happens here. `memshim [options] -- CMD`, nearly every start, is read by the start path's parser
// (cli/fast.ts); anything else, and every usage error, by yargs (cli/yargs.ts), loaded only then. Both read one
// option table (cli/options.ts) and build the config with the same checks (cli/config.ts).
import { EXIT } from './common/exit-codes.js';
import { QuantityError } from './common/quantity.js';
import { PROCESS_IO, type Io } from './common/io.js';
import { RewriteError } from './supervisor/signals.js';
import { UsageError, type Dispatch } from './cli/config.js';
import { fastRunConfig } from './cli/fast.js';

export { UsageError, type Dispatch };

/**
 * Parse argv and run what it asks for; resolves to the exit code (undefined: --help or --version printed).
 * `env` is the environment memshim was started with: the MEMSHIM_* variables are read from it, and the run command
 * plans with it and hands it to the child. `io` takes the usage errors and the dry run's output. `parser` 'yargs'
 * skips the start path's parser (tests hold the two side by side).
 */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  dispatch: Dispatch,
  io: Io = PROCESS_IO,
  parser: 'fast' | 'yargs' = 'fast',
): Promise<number | undefined> {
  try {
    const config = parser === 'fast' ? fastRunConfig(argv, env) : null;
    if (config !== null) dispatch.exitCode = await dispatch.run(config, io);
    else await (await import('./cli/yargs.js')).parseWithYargs(argv, env, dispatch, io);
    return dispatch.exitCode;
  } catch (error) {
    if (error instanceof UsageError || error instanceof QuantityError || error instanceof RewriteError) {
      io.stderr(`memshim: ${oneLine(error.message)}\n`);
      return EXIT.USAGE;
    }
    throw error;
  }
}

/** yargs writes some messages over several lines ("Invalid values:\n  Argument: ..."): fold them. */
function oneLine(message: string): string {
  return message
    .split('\n')
    .map((part) => part.trim())
    .filter(Boolean)
    .join(' ');
}
