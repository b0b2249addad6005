// From the parsed arguments and the MEMSHIM_* variables to a validated config, for both parsers (cli/fast.ts,
// cli/yargs.ts): every check and every message lives here once. A usage error is a UsageError: main() prints its
// one line and exits 2.
import { resolve } from 'node:path';
import { parseBytes, parseCpus, QuantityError } from '../common/quantity.js';
import { LOG_LEVELS, type LogFormat, type LogLevel } from '../common/log.js';
import type { RuntimeName } from '../runtimes/types.js';
import type { LogConfig, ReaderConfig, RunConfig, SidecarConfig, StatusConfig } from '../commands/config.js';
import type { Io } from '../common/io.js';
import { parseRewrite, signalNumber } from '../supervisor/signals.js';
import type { RunArgs } from './options.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** What the parsers hand the parsed command to (src/main.ts: the commands; tests: a recorder). */
export interface Dispatch {
  run(config: RunConfig, io: Io): Promise<number>;
  status(config: StatusConfig): Promise<number>;
  sidecar(config: SidecarConfig): Promise<number>;
  exitCode: number | undefined;
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

export function readerConfig(
  args: { memory?: string; cpus?: string; procfs: string; sysfs: string },
  env: NodeJS.ProcessEnv,
): ReaderConfig {
  // '' would make every path under them relative to the working directory: a tree that is not there.
  for (const [option, path] of [
    ['--procfs', args.procfs],
    ['--sysfs', args.sysfs],
  ])
    if (path === '') throw new UsageError(`${option} must be a directory, not ""`);
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

export function logConfig(args: { 'log-format'?: string; 'log-level'?: string }, env: NodeJS.ProcessEnv): LogConfig {
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

export function healthPort(port: string | undefined, env: NodeJS.ProcessEnv): number | null {
  const from = given('--health-port', port, 'MEMSHIM_HEALTH_PORT', env);
  return from === undefined ? null : numberIn(from.source, from.text, 0, 65535, true);
}

export function intervalMs(seconds: string): number {
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
 * The run command's config from its parsed arguments: `memshim -- CMD ARGS` puts everything in '--';
 * `memshim CMD ARGS -- MORE` splits at the first '--'.
 */
export function runConfig(args: RunArgs, env: NodeJS.ProcessEnv): RunConfig {
  const before = args._.map(String);
  const after = args['--'] ?? [];
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
  return {
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
}
