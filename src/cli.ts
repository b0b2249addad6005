// The command line: parse, validate, hand over. Every usage error is one line on stderr and exit 2; nothing
// else happens here.
import { resolve } from 'node:path';
import yargs from 'yargs';
import type { Argv } from 'yargs';
import { EXIT } from './common/exit-codes.js';
import { parseBytes, parseCpus, QuantityError } from './common/quantity.js';
import { LOG_LEVELS, type LogFormat, type LogLevel } from './common/log.js';
import { VERSION } from './common/version.js';
import { PROCESS_IO, type Io } from './common/io.js';
import { RUNTIME_NAMES, type RuntimeName } from './runtimes/types.js';
import {
  DEFAULT_HEALTH_PORT,
  type LogConfig,
  type ReaderConfig,
  type RunConfig,
  type SidecarConfig,
  type StatusConfig,
} from './commands/config.js';
import { parseRewrite, RewriteError, signalNumber } from './supervisor/signals.js';

class UsageError extends Error {
  override name = 'UsageError';
}

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

function readerOptions<T>(y: Argv<T>) {
  return y
    .option('memory', {
      type: 'string',
      describe: 'Memory limit to plan for, overriding the cgroup (512Mi, 2G, bytes) [env MEMSHIM_MEMORY]',
      group: 'Limits:',
    })
    .option('cpus', {
      type: 'string',
      describe: 'CPU limit to plan for, overriding the cgroup (1.5, 500m) [env MEMSHIM_CPUS]',
      group: 'Limits:',
    })
    .option('procfs', {
      type: 'string',
      default: '/proc',
      describe: 'Where /proc is (a captured tree, another root)',
      group: 'Limits:',
    })
    .option('sysfs', {
      type: 'string',
      default: '/sys',
      describe: 'Where /sys is; cgroup mount points resolve under it',
      group: 'Limits:',
    });
}

function logOptions<T>(y: Argv<T>) {
  return y
    .option('log-format', {
      choices: ['json', 'pretty'] as const,
      describe: 'json lines, or pretty for people [env MEMSHIM_LOG_FORMAT]',
      group: 'Logging:',
    })
    .option('log-level', {
      choices: LOG_LEVELS,
      describe: 'Least level logged (default info) [env MEMSHIM_LOG_LEVEL]',
      group: 'Logging:',
    });
}

function healthOptions<T>(y: Argv<T>) {
  return y
    .option('health-port', {
      type: 'string',
      describe: `Serve /healthz /readyz /metrics /status on this port (off unless set; ${DEFAULT_HEALTH_PORT} is usual) [env MEMSHIM_HEALTH_PORT]`,
      group: 'Watching:',
    })
    .option('health-host', {
      type: 'string',
      default: '0.0.0.0',
      describe: 'Address for the health server (all interfaces, for pod probes)',
      group: 'Watching:',
    })
    .option('monitor-interval', {
      type: 'string',
      default: '1.5',
      describe: 'Seconds between memory readings',
      group: 'Watching:',
    });
}

/** Below this, --memory is a missing unit, not a plan: memshim alone keeps more than this resident. */
const MIN_MEMORY_BYTES = 4 * 1024 * 1024;

/** The value of a flag, else of its variable, with the name the user typed it under (for the error). */
function given(
  flag: string,
  value: string | undefined,
  variable: string,
  env: NodeJS.ProcessEnv,
): { source: string; text: string } | undefined {
  if (value !== undefined) return { source: flag, text: value };
  const text = nonEmpty(env[variable]);
  return text === undefined ? undefined : { source: variable, text };
}

/** A quantity parser's error, prefixed with where the text came from. */
function parsed<T>(from: { source: string; text: string }, parse: (text: string) => T): T {
  try {
    return parse(from.text);
  } catch (error) {
    if (error instanceof QuantityError) throw new UsageError(`${from.source}: ${error.message}`);
    throw error;
  }
}

function readerConfig(
  args: { memory?: string; cpus?: string; procfs: string; sysfs: string },
  env: NodeJS.ProcessEnv,
): ReaderConfig {
  const memory = given('--memory', args.memory, 'MEMSHIM_MEMORY', env);
  const cpus = given('--cpus', args.cpus, 'MEMSHIM_CPUS', env);
  const memoryBytes = memory === undefined ? null : parsed(memory, parseBytes);
  if (memory !== undefined && memoryBytes !== null && memoryBytes < MIN_MEMORY_BYTES) {
    const unit = /^\d+$/.test(memory.text.trim())
      ? ` (a unit missing? ${memory.text.trim()}Mi is ${memory.text.trim()} MiB)`
      : '';
    throw new UsageError(
      `${memory.source} ${memory.text} is ${memoryBytes} bytes, below 4 MiB: memshim alone needs more than that${unit}`,
    );
  }
  return {
    procfs: args.procfs,
    sysfs: args.sysfs,
    memoryOverride: memoryBytes,
    cpusOverride: cpus === undefined ? null : parsed(cpus, parseCpus),
  };
}

function logConfig(args: { 'log-format'?: string; 'log-level'?: string }, env: NodeJS.ProcessEnv): LogConfig {
  // Names in any case (MEMSHIM_LOG_LEVEL=WARN): the error quotes what was typed.
  const format = given('--log-format', args['log-format'], 'MEMSHIM_LOG_FORMAT', env) ?? { source: '', text: 'json' };
  const level = given('--log-level', args['log-level'], 'MEMSHIM_LOG_LEVEL', env) ?? { source: '', text: 'info' };
  const formatName = format.text.trim().toLowerCase();
  const levelName = level.text.trim().toLowerCase();
  if (formatName !== 'json' && formatName !== 'pretty')
    throw new UsageError(`${format.source} must be json or pretty, not "${format.text}"`);
  if (!(LOG_LEVELS as readonly string[]).includes(levelName))
    throw new UsageError(`${level.source} must be one of ${LOG_LEVELS.join(', ')}, not "${level.text}"`);
  return { format: formatName as LogFormat, level: levelName as LogLevel };
}

/** A number as typed, within [min, max]; the error quotes what was typed, not what it parsed to. */
function numberIn(option: string, text: string, min: number, max: number, integer = false): number {
  const value = /^\s*[+]?(\d+(\.\d*)?|\.\d+)\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new UsageError(
      `${option} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, not "${text}"`,
    );
  }
  return value;
}

function healthPort(port: string | undefined, env: NodeJS.ProcessEnv): number | null {
  const from = given('--health-port', port, 'MEMSHIM_HEALTH_PORT', env);
  return from === undefined ? null : numberIn(from.source, from.text, 0, 65535, true);
}

function intervalMs(seconds: string): number {
  return Math.round(numberIn('--monitor-interval', seconds, 0.05, 3600) * 1000);
}

/**
 * --exec replaces memshim by the command: what only a resident memshim does cannot be asked for with it.
 * (--no-monitor is not among them: with --exec nothing is monitored, which is what it asks.)
 */
const RESIDENT_ONLY = [
  'health-port',
  'single-child',
  'rewrite',
  'grace-period',
  'monitor-interval',
  'termination-log',
  'state-dir',
  'stop-delay',
  'remap-exit',
  'pdeathsig',
] as const;

/** The flag's value, or its variable's: and the name to quote in an error, the one the user typed. */
function flagOrEnv(
  flag: string,
  value: string | undefined,
  env: NodeJS.ProcessEnv,
  variable: string,
): { text: string; name: string } | null {
  if (value !== undefined) return { text: value, name: flag };
  const fromEnv = nonEmpty(env[variable]);
  return fromEnv === undefined ? null : { text: fromEnv, name: variable };
}

/** --stop-delay S / MEMSHIM_STOP_DELAY, in ms (0: SIGTERM is forwarded at once). */
function stopDelayMs(value: string | undefined, env: NodeJS.ProcessEnv): number {
  const given = flagOrEnv('--stop-delay', value, env, 'MEMSHIM_STOP_DELAY');
  return given === null ? 0 : Math.round(numberIn(given.name, given.text, 0, 86400) * 1000);
}

/** --remap-exit FROM:TO (repeatable) / MEMSHIM_REMAP_EXIT="FROM:TO,FROM:TO": exit code FROM becomes TO. */
function remapExit(values: readonly string[], env: NodeJS.ProcessEnv): Map<number, number> {
  const fromEnv = nonEmpty(env.MEMSHIM_REMAP_EXIT);
  const name = values.length > 0 ? '--remap-exit' : 'MEMSHIM_REMAP_EXIT';
  const specs = values.length > 0 ? values : (fromEnv?.split(/[,\s]+/).filter(Boolean) ?? []);
  const table = new Map<number, number>();
  for (const spec of specs) {
    const match = /^(\d{1,3}):(\d{1,3})$/.exec(spec.trim());
    const [from, to] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
    if (!(from <= 255 && to <= 255))
      throw new UsageError(`${name} wants FROM:TO exit codes from 0 to 255 (143:0), not "${spec}"`);
    table.set(from, to);
  }
  return table;
}

/** --pdeathsig SIG / MEMSHIM_PDEATHSIG: a signal memshim can receive and forward. */
function parentDeathSignal(value: string | undefined, env: NodeJS.ProcessEnv): number | null {
  const given = flagOrEnv('--pdeathsig', value, env, 'MEMSHIM_PDEATHSIG');
  if (given === null) return null;
  const n = signalNumber(given.text);
  if (n === undefined || n === 0 || n === 9 || n === 19)
    throw new UsageError(`${given.name} must be a signal memshim can catch (TERM, USR1, 15), not "${given.text}"`);
  return n;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/**
 * A path option as an absolute path, taken against the directory memshim was started in: memshim moves its own
 * working directory to / after the spawn, and writes these files later. '' (off) and null stay as they are.
 */
function absolutePath(path: string | null): string | null {
  return path === null || path === '' ? path : resolve(path);
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
  return healthOptions(logOptions(readerOptions(baseParser(argv, USAGE))))
    .parserConfiguration({ 'populate--': true, 'halt-at-non-option': true, 'parse-positional-numbers': false })
    .option('dry-run', {
      type: 'boolean',
      default: false,
      describe: 'Print the limits, the plan and the risks; run nothing',
    })
    .option('json', { type: 'boolean', default: false, describe: 'With --dry-run: one JSON object' })
    .option('show-secrets', {
      type: 'boolean',
      default: false,
      describe:
        'With --dry-run: show values that look secret (passwords, tokens, keys in argv and variables) instead of ***',
    })
    .option('runtime', {
      choices: RUNTIME_NAMES,
      describe: 'Force the runtime instead of detecting it',
      group: 'Tuning:',
    })
    .option('tune', {
      type: 'boolean',
      default: true,
      describe: 'Tune the runtime (--no-tune keeps only the init duties)',
      group: 'Tuning:',
    })
    .option('python-memory-cap', {
      type: 'boolean',
      default: false,
      describe: 'setrlimit below the limit so Python raises MemoryError instead of being OOM-killed',
      group: 'Tuning:',
    })
    .option('exit-on-oom', {
      type: 'boolean',
      default: true,
      describe: 'Add -XX:+ExitOnOutOfMemoryError to the JVM (--no-exit-on-oom to leave it out)',
      group: 'Tuning:',
    })
    .option('exec', {
      type: 'boolean',
      default: false,
      describe: 'Set up, then replace memshim by the command: no signals, reaping or monitoring',
      group: 'Init:',
    })
    .option('single-child', {
      type: 'boolean',
      default: false,
      describe: "Signal only the child, not its process group (tini's default)",
      group: 'Init:',
    })
    .option('rewrite', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'Rewrite signal FROM to TO (15:3); TO 0 drops it',
      group: 'Init:',
    })
    .option('grace-period', {
      type: 'string',
      default: '5',
      describe: 'Seconds between SIGTERM and SIGKILL at shutdown',
      group: 'Init:',
    })
    .option('stop-delay', {
      type: 'string',
      describe:
        'On SIGTERM: /readyz 503 at once, SIGTERM to the child S seconds later (drain) [env MEMSHIM_STOP_DELAY]',
      group: 'Init:',
    })
    .option('remap-exit', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: "Exit with TO when the child's status is FROM (143:0), repeatable [env MEMSHIM_REMAP_EXIT]",
      group: 'Init:',
    })
    .option('pdeathsig', {
      type: 'string',
      describe: "Receive this signal when memshim's parent dies, and forward it (tini -p) [env MEMSHIM_PDEATHSIG]",
      group: 'Init:',
    })
    .option('monitor', {
      type: 'boolean',
      default: true,
      describe: 'Watch memory while the child runs (--no-monitor to turn off)',
      group: 'Watching:',
    })
    .option('termination-log', {
      type: 'string',
      describe:
        "Keep a short verdict in this file for Kubernetes' pod status ('' for none; default /dev/termination-log when writable) [env MEMSHIM_TERMINATION_LOG]",
      group: 'Watching:',
    })
    .option('state-dir', {
      type: 'string',
      describe: 'Record each run here (an emptyDir) and report the previous one at start [env MEMSHIM_STATE_DIR]',
      group: 'Watching:',
    })
    .epilog(EPILOG)
    .command(
      '$0',
      false,
      () => {},
      async (args) => {
        // `memshim -- CMD ARGS` puts everything in '--'; `memshim CMD ARGS -- MORE` splits at the first '--'.
        const before = (args._ as (string | number)[]).map(String);
        const after = (args['--'] as string[] | undefined) ?? [];
        const all = before.length && after.length ? [...before, '--', ...after] : [...before, ...after];
        if (all.length === 0)
          throw new UsageError('no command given: memshim [options] -- COMMAND [ARGS...] (see memshim --help)');
        if (all[0] === '') throw new UsageError('the command is empty (""): memshim [options] -- COMMAND [ARGS...]');
        const grace = numberIn('--grace-period', args['grace-period'], 0, 86400);
        if (args.json && !args['dry-run'])
          throw new UsageError('--json goes with --dry-run (memshim --dry-run --json -- CMD) or with memshim status');
        if (args.exec) {
          const set: Record<(typeof RESIDENT_ONLY)[number], boolean> = {
            'health-port': args['health-port'] !== undefined,
            'single-child': args['single-child'],
            rewrite: args.rewrite.length > 0,
            'grace-period': args['grace-period'] !== '5',
            'monitor-interval': args['monitor-interval'] !== '1.5',
            'termination-log': args['termination-log'] !== undefined,
            'state-dir': args['state-dir'] !== undefined,
            'stop-delay': args['stop-delay'] !== undefined,
            'remap-exit': args['remap-exit'].length > 0,
            pdeathsig: args.pdeathsig !== undefined,
          };
          const given = RESIDENT_ONLY.filter((name) => set[name]);
          if (given.length)
            throw new UsageError(
              `--exec replaces memshim by the command, so ${given.map((n) => `--${n}`).join(', ')} cannot apply; drop ${given.length > 1 ? 'them' : 'it'} or --exec`,
            );
        }
        const config: RunConfig = {
          env,
          reader: readerConfig(args, env),
          log: logConfig(args, env),
          argv: all,
          dryRun: args['dry-run'],
          json: args.json,
          showSecrets: args['show-secrets'],
          runtime: args.runtime as RuntimeName | undefined,
          tune: args.tune,
          pythonMemoryCap: args['python-memory-cap'],
          exitOnOutOfMemory: args['exit-on-oom'],
          exec: args.exec,
          singleChild: args['single-child'],
          rewrite: parseRewrite(args.rewrite),
          gracePeriodMs: Math.round(grace * 1000),
          stopDelayMs: stopDelayMs(args['stop-delay'], env),
          remapExit: remapExit(args['remap-exit'], env),
          parentDeathSignal: parentDeathSignal(args.pdeathsig, env),
          monitor: args.monitor,
          monitorIntervalMs: intervalMs(args['monitor-interval']),
          healthPort: healthPort(args['health-port'], env),
          healthHost: args['health-host'],
          terminationLog: absolutePath(args['termination-log'] ?? env.MEMSHIM_TERMINATION_LOG ?? null),
          stateDir: absolutePath(nonEmpty(args['state-dir']) ?? nonEmpty(env.MEMSHIM_STATE_DIR) ?? null),
        };
        dispatch.exitCode = await dispatch.run(config, io);
      },
    );
}

function statusParser(argv: string[], env: NodeJS.ProcessEnv, dispatch: Dispatch) {
  return readerOptions(
    baseParser(
      argv,
      'Usage: memshim status [--json] [--url URL] [--check]\n\nAsks a running memshim for its status, or reads the cgroup when none answers.',
    ),
  )
    .option('json', { type: 'boolean', default: false, describe: 'One JSON object' })
    .option('url', {
      type: 'string',
      describe: `memshim's health server (default http://127.0.0.1:$MEMSHIM_HEALTH_PORT or ${DEFAULT_HEALTH_PORT})`,
    })
    .option('check', {
      type: 'boolean',
      default: false,
      describe: 'Exit 1 when the child is down or memory is at or above 95% (a HEALTHCHECK)',
    })
    .strict()
    .command(
      '$0',
      false,
      () => {},
      async (args) => {
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

function sidecarParser(argv: string[], env: NodeJS.ProcessEnv, dispatch: Dispatch) {
  return healthOptions(
    logOptions(
      readerOptions(
        baseParser(
          argv,
          'Usage: memshim sidecar (--pid N | --match REGEX) [options]\n\nWatches a process in another container of the pod (shareProcessNamespace: true):\nits memory, its cgroup when readable, OOM kills; serves the same endpoints.',
        ),
      ),
    ),
  )
    .option('pid', { type: 'string', describe: 'The pid to watch' })
    .option('match', { type: 'string', describe: 'A regular expression matched against each process command line' })
    .strict()
    .command(
      '$0',
      false,
      () => {},
      async (args) => {
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

export interface Dispatch {
  run(config: RunConfig, io: Io): Promise<number>;
  status(config: StatusConfig): Promise<number>;
  sidecar(config: SidecarConfig): Promise<number>;
  exitCode: number | undefined;
}

/**
 * Parse argv and run what it asks for; resolves to the exit code (undefined: --help or --version printed).
 * `env` is the environment memshim was started with: the MEMSHIM_* variables are read from it, and the run command
 * plans with it and hands it to the child. `io` takes the usage errors and the dry run's output.
 */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  dispatch: Dispatch,
  io: Io = PROCESS_IO,
): Promise<number | undefined> {
  try {
    const [first, ...rest] = argv;
    // `status` and `sidecar` are memshim's own commands only as the first word: `memshim -- status` runs a program.
    if (first === 'status') await statusParser(rest, env, dispatch).parseAsync();
    else if (first === 'sidecar') await sidecarParser(rest, env, dispatch).parseAsync();
    else await runParser(argv, env, dispatch, io).parseAsync();
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

export { UsageError };
