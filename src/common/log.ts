// pino JSON lines on stderr (stdout belongs to the child and to --dry-run). Synchronous writes: memshim is
// PID 1 and may exit right after logging why; an async buffer would lose exactly the line that matters.
// pino is imported when the first logger is made, not with this module: --version, --help, --dry-run and
// usage errors never log, and its load is a good part of a start that does.
import type { Logger, LoggerOptions } from 'pino';

export type LogFormat = 'json' | 'pretty';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export type { Logger };

export async function createLogger(format: LogFormat, level: LogLevel, fd = 2): Promise<Logger> {
  const { default: pino } = await import('pino');
  // memshim's own pid is `memshimPid`: `pid` in an event is the process it is about (the child, a reaped orphan),
  // and one JSON line must not carry the key twice.
  const options: LoggerOptions = { name: 'memshim', level, base: { memshimPid: process.pid } };
  if (format === 'pretty') {
    // pino-pretty as a plain stream, not a transport: a transport starts a worker thread, which a PID 1
    // cannot afford and which a bundled single executable cannot resolve. Imported only when asked for.
    const { default: pretty } = await import('pino-pretty');
    return pino(options, pretty({ destination: fd, sync: true, colorize: false, singleLine: true, ignore: 'memshimPid,hostname,name', translateTime: 'SYS:HH:MM:ss.l' }));
  }
  // `dest`, not `fd`: pino.destination() reads process.stdout.fd when `dest` is absent, and creating
  // process.stdout costs every start a stream (sonic-boom then takes fd over dest, so both said fd).
  return pino(options, pino.destination({ dest: fd, sync: true }));
}
