// The full command line parser (yargs): --help, --version, the subcommands, and every command line the start
// path's parser (cli/fast.ts) leaves to it, usage errors included. Loaded only then: yargs is a good part of a
// start that needs it.
import yargs from 'yargs';
import type { Argv } from 'yargs';
import { VERSION } from '../common/version.js';
import type { Io } from '../common/io.js';
import { DEFAULT_HEALTH_PORT } from '../commands/config.js';
import { healthPort, intervalMs, logConfig, readerConfig, runConfig, UsageError, type Dispatch } from './config.js';
import {
  HEALTH_OPTIONS,
  LOG_OPTIONS,
  READER_OPTIONS,
  RUN_ONLY_OPTIONS,
  type OptionTable,
  type RunArgs,
} from './options.js';

const USAGE = `Usage: memshim [options] -- COMMAND [ARGS...]
       memshim status [--json] [--check]          (memshim status --help)
       memshim sidecar (--pid N | --match REGEX)   (memshim sidecar --help)

Runs COMMAND as a container init. Reads the real cgroup memory and CPU limits,
tunes the JVM, Node, Python, Go or .NET to fit them, warns of OOM-kill risk
before the start, forwards signals, reaps zombies, and says clearly when the
kernel OOM-killed the child.`;

const EPILOG = `Examples:
  memshim -- java -jar app.jar                 run as PID 1, JVM sized to the container
  memshim --dry-run -- node server.js          show the limits, the plan and the risks; run nothing
  memshim --dry-run --json -- python3 app.py   the same as one JSON object
  memshim --memory 512Mi --cpus 1.5 -- node a.js   plan for limits you choose
  memshim --exec -- java -jar app.jar          tune, log the risks, then become the command (no PID 1 duties)
  memshim --health-port 9464 -- gunicorn app:app   serve /healthz /readyz /metrics /status
  memshim status --check                       a Docker HEALTHCHECK: exit 1 when the child is down or memory >= 95%
  memshim sidecar --match 'java .*app.jar'     watch a process in a shared process namespace

Exit codes: the child's code; 128+N when signal N killed it (137 also when the kernel OOM-killed it);
127 command not found; 126 command not executable; 2 usage error.
Environment: MEMSHIM_MEMORY, MEMSHIM_CPUS, MEMSHIM_LOG_LEVEL, MEMSHIM_LOG_FORMAT, MEMSHIM_HEALTH_PORT,
MEMSHIM_TERMINATION_LOG, MEMSHIM_STATE_DIR, MEMSHIM_STOP_DELAY, MEMSHIM_REMAP_EXIT, MEMSHIM_PDEATHSIG.
Docs: README.md and docs/.`;

/** What the option groups shared with the run command (the table's) give the subcommands. */
type CommonArgs = Pick<
  RunArgs,
  | 'memory'
  | 'cpus'
  | 'procfs'
  | 'sysfs'
  | 'log-format'
  | 'log-level'
  | 'health-port'
  | 'health-host'
  | 'monitor-interval'
>;

/** The table's options, in its order (the order --help lists them in). */
function withOptions<T>(y: Argv<T>, table: OptionTable, argv: readonly string[]): Argv<T> {
  // Before yargs' validation (true), whose messages would quote what yargs made of the form.
  let built = y.middleware((args) => checkForms(argv, table, args), true);
  // A fresh default array for each parser: the table's is shared by every parse of this process.
  for (const [name, spec] of Object.entries(table))
    built = built.option(name, Array.isArray(spec.default) ? { ...spec, default: [...spec.default] } : { ...spec });
  return built;
}

/**
 * yargs says "Unknown arguments: bogus, bogusFlag" for `--bogus-flag`: each name once, camelCase aliases
 * dropped, spelled as the user typed it.
 */
function unknownArguments(message: string | null | undefined, argv: string[]): string | null {
  const listed = /^Unknown arguments?: (.*)$/.exec(message ?? '')?.[1];
  if (listed === undefined) return null;
  const names = listed
    .split(', ')
    .filter(
      (name) =>
        !/[A-Z]/.test(name) || !listed.split(', ').includes(name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)),
    );
  const typed = names.map(
    (name) =>
      argv.find((word) => word.replace(/^-+/, '').split('=')[0] === name) ??
      (name.length === 1 ? `-${name}` : `--${name}`),
  );
  return `Unknown argument${typed.length > 1 ? 's' : ''}: ${typed.join(', ')} (memshim --help lists the options)`;
}

/**
 * yargs takes forms of an option that hand memshim a value of the wrong kind: `--no-memory` (false for an option
 * that takes a value), `--memory a --memory b` (an array for one value), `--tune=` (false, silently). Each is a
 * usage error naming what was typed, before yargs' own checks quote the value it made of it.
 */
function checkForms(argv: readonly string[], table: OptionTable, args: Record<string, unknown>): void {
  for (const [name, spec] of Object.entries(table)) {
    const value = args[name];
    if (spec.type === 'boolean') continue;
    if (value === false || (Array.isArray(value) && value.includes(false)))
      throw new UsageError(`--no-${name}: --${name} takes a value, and has no --no- form`);
    if (!spec.array && Array.isArray(value)) throw new UsageError(`--${name} is given more than once: give it once`);
  }
  // The options before the command: `--name=` given to a boolean.
  for (let i = 0; i < argv.length && argv[i] !== '--' && argv[i]!.startsWith('-'); i++) {
    const name = argv[i]!.slice(2);
    const spec = Object.hasOwn(table, name) ? table[name] : undefined;
    if (spec !== undefined && spec.type !== 'boolean') i++;
    const flag = name.endsWith('=') ? name.slice(0, -1) : undefined;
    if (flag !== undefined && Object.hasOwn(table, flag) && table[flag]!.type === 'boolean')
      throw new UsageError(`--${flag}= has no value: write --${flag} or --no-${flag}`);
  }
}

function baseParser(argv: string[], usage: string) {
  return yargs(argv)
    .scriptName('memshim')
    .usage(usage)
    .strictOptions()
    .help('help')
    .alias('help', 'h')
    .version('version', 'Print the version', VERSION)
    .alias('version', 'V')
    .wrap(null)
    .exitProcess(false)
    .fail((message, error) => {
      if (error && !(error instanceof UsageError) && !message) throw error;
      throw new UsageError(unknownArguments(message, argv) ?? message ?? error?.message ?? 'usage error');
    });
}

function runParser(argv: string[], env: NodeJS.ProcessEnv, dispatch: Dispatch, io: Io) {
  const options = [READER_OPTIONS, LOG_OPTIONS, HEALTH_OPTIONS, RUN_ONLY_OPTIONS];
  return options
    .reduce((y, table) => withOptions(y, table, argv), baseParser(argv, USAGE))
    .parserConfiguration({ 'populate--': true, 'halt-at-non-option': true, 'parse-positional-numbers': false })
    .epilog(EPILOG)
    .command(
      '$0',
      false,
      () => {},
      async (args) => {
        dispatch.exitCode = await dispatch.run(runConfig(args as unknown as RunArgs, env), io);
      },
    );
}

const STATUS_ONLY_OPTIONS: OptionTable = {
  json: { type: 'boolean', default: false, describe: 'One JSON object' },
  url: {
    type: 'string',
    describe: `memshim's health server (default http://127.0.0.1:$MEMSHIM_HEALTH_PORT or ${DEFAULT_HEALTH_PORT})`,
  },
  check: {
    type: 'boolean',
    default: false,
    describe: 'Exit 1 when the child is down or memory is at or above 95% (a HEALTHCHECK)',
  },
};

function statusParser(argv: string[], env: NodeJS.ProcessEnv, dispatch: Dispatch) {
  return withOptions(
    baseParser(
      argv,
      'Usage: memshim status [--json] [--url URL] [--check]\n\nAsks a running memshim for its status, or reads the cgroup when none answers.',
    ),
    { ...READER_OPTIONS, ...STATUS_ONLY_OPTIONS },
    argv,
  )
    .strict()
    .command(
      '$0',
      false,
      () => {},
      async (parsed) => {
        const args = parsed as typeof parsed & CommonArgs & { json: boolean; url?: string; check: boolean };
        const configured = healthPort(undefined, env);
        dispatch.exitCode = await dispatch.status({
          reader: readerConfig(args, env),
          json: args.json,
          url: args.url ?? `http://127.0.0.1:${configured ?? DEFAULT_HEALTH_PORT}`,
          check: args.check,
          // A memshim is expected to answer when told where: --check then fails when none does.
          serverExpected: args.url !== undefined || configured !== null,
        });
      },
    );
}

const SIDECAR_ONLY_OPTIONS: OptionTable = {
  pid: { type: 'string', describe: 'The pid to watch' },
  match: { type: 'string', describe: 'A regular expression matched against each process command line' },
};

function sidecarParser(argv: string[], env: NodeJS.ProcessEnv, dispatch: Dispatch) {
  const usage =
    'Usage: memshim sidecar (--pid N | --match REGEX) [options]\n\nWatches a process in another container of the pod (shareProcessNamespace: true):\nits memory, its cgroup when readable, OOM kills; serves the same endpoints.';
  return [READER_OPTIONS, LOG_OPTIONS, HEALTH_OPTIONS, SIDECAR_ONLY_OPTIONS]
    .reduce((y, table) => withOptions(y, table, argv), baseParser(argv, usage))
    .strict()
    .command(
      '$0',
      false,
      () => {},
      async (parsed) => {
        const args = parsed as typeof parsed & CommonArgs & { pid?: string; match?: string };
        if ((args.pid === undefined) === (args.match === undefined))
          throw new UsageError('sidecar needs exactly one of --pid N or --match REGEX');
        const pid =
          args.pid === undefined
            ? null
            : /^\s*\d+\s*$/.test(args.pid) && Number(args.pid) > 0
              ? Number(args.pid)
              : Number.NaN;
        if (Number.isNaN(pid)) throw new UsageError(`--pid must be a process id, not "${args.pid}"`);
        let match: RegExp | null = null;
        if (args.match !== undefined) {
          try {
            match = new RegExp(args.match);
          } catch (error) {
            throw new UsageError(`--match is not a regular expression: ${(error as Error).message}`);
          }
        }
        dispatch.exitCode = await dispatch.sidecar({
          reader: readerConfig(args, env),
          log: logConfig(args, env),
          pid,
          match,
          monitorIntervalMs: intervalMs(args['monitor-interval']),
          healthPort: healthPort(args['health-port'], env) ?? DEFAULT_HEALTH_PORT,
          healthHost: args['health-host'],
        });
      },
    );
}

/** Parses argv with yargs and runs what it asks for (through dispatch); a usage error is thrown. */
export async function parseWithYargs(
  argv: string[],
  env: NodeJS.ProcessEnv,
  dispatch: Dispatch,
  io: Io,
): Promise<void> {
  const [first, ...rest] = argv;
  // `status` and `sidecar` are memshim's own commands only as the first word: `memshim -- status` runs a program.
  if (first === 'status') await statusParser(rest, env, dispatch).parseAsync();
  else if (first === 'sidecar') await sidecarParser(rest, env, dispatch).parseAsync();
  else await runParser(argv, env, dispatch, io).parseAsync();
}
