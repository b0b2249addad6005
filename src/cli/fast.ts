// The start path's parser: `memshim [options] -- CMD ARGS`, the command line of nearly every start of PID 1, read
// without loading yargs (a good part of a start that loads it). It takes only what it reads exactly as yargs does
// (test/cli/fast-path.test.ts holds the two side by side) and leaves everything else to yargs (cli/yargs.ts):
// --help, --version, the subcommands, a command without `--`, short, unknown, camelCase or repeated options, a
// boolean given a value, an option's value that starts with '-', and any command line that is a usage error,
// so that yargs says it in its own words.
import { QuantityError } from '../common/quantity.js';
import { RewriteError } from '../supervisor/signals.js';
import type { RunConfig } from '../commands/config.js';
import { runConfig, UsageError } from './config.js';
import { RUN_OPTIONS, type RunArgs } from './options.js';

/** The arguments yargs would parse from argv, or null when argv is not the plain `[options] -- CMD` form. */
export function fastRunArgs(argv: readonly string[]): RunArgs | null {
  const values: Record<string, string | boolean | string[]> = {};
  let i = 0;
  for (; i < argv.length && argv[i] !== '--'; i++) {
    const word = argv[i]!;
    if (!word.startsWith('--')) return null;
    const equals = word.indexOf('=');
    const name = equals < 0 ? word.slice(2) : word.slice(2, equals);
    const negated = equals < 0 && name.startsWith('no-');
    const key = negated ? name.slice(3) : name;
    const spec = Object.hasOwn(RUN_OPTIONS, key) ? RUN_OPTIONS[key] : undefined;
    if (spec === undefined) return null;
    if (spec.type === 'boolean') {
      // `--exec=true` and a repeated flag: yargs' own rules. `--exec true` ends here too (the next word is no option).
      if (equals >= 0 || key in values) return null;
      values[key] = !negated;
      continue;
    }
    if (negated) return null;
    const value = equals >= 0 ? word.slice(equals + 1) : argv[++i];
    if (value === undefined || (equals < 0 && value.startsWith('-'))) return null;
    if (spec.choices !== undefined && !spec.choices.includes(value)) return null;
    if (spec.array) {
      // yargs' arrays take the words after the value too, up to the next option; a repeated one adds to them.
      const list = (values[key] as string[] | undefined) ?? [];
      list.push(value);
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) list.push(argv[++i]!);
      values[key] = list;
    } else {
      if (key in values) return null;
      values[key] = value;
    }
  }
  if (i >= argv.length) return null;
  const args: Record<string, unknown> = { _: [], '--': argv.slice(i + 1) };
  for (const [name, spec] of Object.entries(RUN_OPTIONS)) {
    const value = values[name] ?? spec.default;
    if (value !== undefined) args[name] = Array.isArray(value) ? [...value] : value;
  }
  return args as unknown as RunArgs;
}

/** The run config for argv when the start path's parser can take it; null: ask yargs (usage errors included). */
export function fastRunConfig(argv: readonly string[], env: NodeJS.ProcessEnv): RunConfig | null {
  const args = fastRunArgs(argv);
  if (args === null) return null;
  try {
    return runConfig(args, env);
  } catch (error) {
    if (error instanceof UsageError || error instanceof QuantityError || error instanceof RewriteError) return null;
    throw error;
  }
}
