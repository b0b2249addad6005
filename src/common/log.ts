// JSON lines on stderr (stdout belongs to the child and to --dry-run), through a LogSink: a line is written
// at once when stderr takes it, queued (bounded, then dropped and counted) when it does not, so a stalled log
// pipe never blocks PID 1 (src/log-sink.ts). At exit, flushLogs() gives what waits about a second.
// The lines are pino's, byte for byte (pino-format.ts; test/common/log.test.ts holds them next to pino's own), but
// pino itself is not loaded: its load was a good part of every start, and memshim used none of the rest of it.
import { LogSink } from './log-sink.js';
import { pinoLine } from './pino-format.js';

export type LogFormat = 'json' | 'pretty';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** One level's method: `log.info({ event: 'x', ... }, 'message')`, or a message alone. */
export interface LogFn {
  (fields: object | null, message?: string): void;
  (message: string): void;
}

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  /** Whether a line at `level` is written (pino's name): a caller in a hot loop skips building its fields. */
  isLevelEnabled(level: Exclude<LogLevel, 'silent'>): boolean;
}

/** pino's level numbers, the "level" of each line. */
const LEVEL_NUMBERS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** How long memshim waits at exit for stderr to take the lines still queued. */
export const EXIT_FLUSH_MS = 1000;

let sink: LogSink | null = null;

/** The one sink on fd 2, made on first use (by the first logger, or a last line at exit). */
export function stderrSink(): LogSink {
  return (sink ??= new LogSink(2));
}

/** Log lines dropped because stderr did not drain: memshim_log_lines_dropped_total. */
export function droppedLogLines(): number {
  return sink?.droppedLines ?? 0;
}

/** At exit: lets stderr take what is queued for at most timeoutMs, then gives up on it. */
export async function flushLogs(timeoutMs = EXIT_FLUSH_MS): Promise<void> {
  if (sink?.pending) await sink.flushUntil(Date.now() + timeoutMs);
}

/** The same, blocking: before an exec replaces the process. */
export function flushLogsSync(timeoutMs = EXIT_FLUSH_MS): void {
  if (sink?.pending) sink.flushUntilSync(Date.now() + timeoutMs);
}

/** A logger that hands each line at or above `level` to `write`, as pino with memshim's options writes it. */
export function lineLogger(level: LogLevel, write: (line: string) => void): Logger {
  const threshold = level === 'silent' ? Infinity : LEVEL_NUMBERS[level];
  // memshim's own pid is `memshimPid`: `pid` in an event is the process it is about (the child, a reaped orphan),
  // and one JSON line must not carry the key twice.
  const bindings = { memshimPid: process.pid, name: 'memshim' };
  const method = (number: number): LogFn =>
    number < threshold
      ? () => {}
      : (first: object | string | null, message?: string) =>
          write(
            typeof first === 'object'
              ? pinoLine(number, Date.now(), bindings, first, message)
              : pinoLine(number, Date.now(), bindings, null, first),
          );
  return {
    trace: method(LEVEL_NUMBERS.trace),
    debug: method(LEVEL_NUMBERS.debug),
    info: method(LEVEL_NUMBERS.info),
    warn: method(LEVEL_NUMBERS.warn),
    error: method(LEVEL_NUMBERS.error),
    fatal: method(LEVEL_NUMBERS.fatal),
    isLevelEnabled: (at) => LEVEL_NUMBERS[at] >= threshold,
  };
}

/** A logger on stderr (fd 2, memshim's one sink), or on another fd (tests write to a file). */
export async function createLogger(format: LogFormat, level: LogLevel, fd = 2): Promise<Logger> {
  const destination = fd === 2 ? stderrSink() : new LogSink(fd);
  let write = (line: string) => void destination.write(line);
  if (format === 'pretty') {
    // pino-pretty's formatter alone, not its stream or transport: no worker thread, no stream machinery, and the
    // lines go through the same non-blocking sink. Imported only when asked for.
    const { prettyFactory } = await import('pino-pretty');
    const pretty = prettyFactory({
      colorize: false,
      singleLine: true,
      ignore: 'memshimPid,hostname,name',
      translateTime: 'SYS:HH:MM:ss.l',
    });
    write = (line) => void destination.write(pretty(line));
  }
  const logger = lineLogger(level, write);
  destination.onDropsEnded = (dropped) =>
    logger.warn({ event: 'log_lines_dropped', dropped }, `${dropped} log lines were dropped while stderr was not read`);
  return logger;
}
