// pino JSON lines on stderr (stdout belongs to the child and to --dry-run), through a LogSink: a line is written
// at once when stderr takes it, queued (bounded, then dropped and counted) when it does not, so a stalled log
// pipe never blocks PID 1 (src/log-sink.ts). At exit, flushLogs() gives what waits about a second.
// pino is imported when the first logger is made, not with this module: --version, --help, --dry-run and
// usage errors never log, and its load is a good part of a start that does.
import type { Logger, LoggerOptions } from 'pino';
import { LogSink } from './log-sink.js';

export type LogFormat = 'json' | 'pretty';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export type { Logger };

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

/** A logger on stderr (fd 2, memshim's one sink), or on another fd (tests write to a file). */
export async function createLogger(format: LogFormat, level: LogLevel, fd = 2): Promise<Logger> {
  const { default: pino } = await import('pino');
  // memshim's own pid is `memshimPid`: `pid` in an event is the process it is about (the child, a reaped orphan),
  // and one JSON line must not carry the key twice.
  const options: LoggerOptions = { name: 'memshim', level, base: { memshimPid: process.pid } };
  const destination = fd === 2 ? stderrSink() : new LogSink(fd);
  let stream: { write(line: string): unknown } = destination;
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
    stream = { write: (line: string) => destination.write(pretty(line)) };
  }
  const logger = pino(options, stream);
  destination.onDropsEnded = (dropped) =>
    logger.warn({ event: 'log_lines_dropped', dropped }, `${dropped} log lines were dropped while stderr was not read`);
  return logger;
}
