// Where memshim's log lines go: stderr, which it shares with the child, without ever blocking the event loop.
// A log pipe whose reader stalled (a slow logging driver, a stuck sidecar) must not freeze PID 1: signals,
// reaping, /healthz and the child's exit status come before any log line (docs/monitoring.md "Logs").
//
// How, without changing a flag of the child's stderr: O_NONBLOCK belongs to the open file description, which
// memshim's fd 2 shares with the child (and a dup'd fd shares it too), so setting it would hand the child a
// non-blocking stderr (EAGAIN in programs that never expect it). A pipe, FIFO or terminal opened again through
// /proc/self/fd/2 is a new description of the same pipe: memshim's own, non-blocking, the child's untouched.
// A regular file (or /dev/null) never stalls and is written directly. Where neither works (no /proc; a socket),
// lines are written directly, as before. A write to a libuv thread would not do: at exit, Node joins its
// threads, so one stuck in write(2) keeps memshim from exiting at all.
//
// Lines that cannot be written now wait in a bounded queue, retried on a timer; when it is full the oldest
// waiting lines are dropped and counted (droppedLines(): the metric memshim_log_lines_dropped_total). Once the
// queue drains after drops, one line says how many. Each write is whole lines of at most PIPE_BUF bytes where
// possible: the kernel keeps such a write in one piece between the child's own output.
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';

/** Bytes of lines kept waiting while stderr does not drain: about a thousand lines. */
export const MAX_QUEUED_BYTES = 256 * 1024;
const RETRY_MS = 50;
const PIPE_BUF = 4096;

export type SinkMode = 'nonblocking' | 'direct';

export class LogSink {
  readonly mode: SinkMode;
  private readonly fd: number;
  private readonly ownFd: boolean;
  private queue: string[] = [];
  private queuedBytes = 0;
  /** The unwritten rest of a line the kernel took only part of. */
  private partial: Buffer | null = null;
  private timer: NodeJS.Timeout | null = null;
  private dropped = 0;
  private droppedUnreported = 0;
  /** Called once the queue drained after lines were dropped, with how many (the logger says so in a line). */
  onDropsEnded: ((dropped: number) => void) | null = null;

  constructor(
    fd = 2,
    private readonly maxQueuedBytes = MAX_QUEUED_BYTES,
  ) {
    const reopened = reopenNonBlocking(fd);
    this.fd = reopened ?? fd;
    this.ownFd = reopened !== null;
    this.mode = reopened !== null ? 'nonblocking' : 'direct';
  }

  /** Lines dropped since the start because stderr did not drain (or was gone). */
  get droppedLines(): number {
    return this.dropped;
  }

  get pending(): boolean {
    return this.partial !== null || this.queue.length > 0;
  }

  /** pino's destination interface: one call per line (ending in "\n"). Never blocks; never throws. */
  write(line: string): boolean {
    if (this.mode === 'direct') {
      try {
        writeSync(this.fd, line);
      } catch {
        this.drop(1);
      }
      return true;
    }
    this.queue.push(line);
    this.queuedBytes += Buffer.byteLength(line);
    while (this.queuedBytes > this.maxQueuedBytes && this.queue.length > 1) this.drop(1, this.queue.shift()!);
    if (!this.timer) this.drain();
    return true;
  }

  /** Writes what the kernel takes now; true when nothing is left waiting. */
  drain(): boolean {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.pending) {
      const chunk = this.partial ?? this.nextChunk();
      let written: number;
      try {
        written = writeSync(this.fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
          this.partial = chunk;
          this.timer = setTimeout(() => this.drain(), RETRY_MS);
          this.timer.unref();
          return false;
        }
        // EPIPE (no reader left), EBADF, EIO: these lines cannot be written.
        this.partial = null;
        this.drop(chunk.toString('utf8').split('\n').filter(Boolean).length);
        continue;
      }
      this.partial = written < chunk.length ? chunk.subarray(written) : null;
    }
    if (this.droppedUnreported > 0 && this.onDropsEnded) {
      const count = this.droppedUnreported;
      this.droppedUnreported = 0;
      this.onDropsEnded(count);
    }
    return !this.pending;
  }

  /** pino's logger.flush(cb). */
  flush(cb?: (error?: Error) => void): void {
    this.drain();
    cb?.();
  }

  /** Keeps draining until nothing waits or deadlineMs passed; true when everything was written. */
  async flushUntil(deadlineMs: number): Promise<boolean> {
    while (!this.drain() && Date.now() < deadlineMs) await new Promise((resolve) => setTimeout(resolve, 10));
    return !this.pending;
  }

  /** The same, blocking the thread (before an exec, when nothing else runs). */
  flushUntilSync(deadlineMs: number): boolean {
    const nap = new Int32Array(new SharedArrayBuffer(4));
    while (!this.drain() && Date.now() < deadlineMs) Atomics.wait(nap, 0, 0, 10);
    return !this.pending;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.ownFd) closeSync(this.fd);
  }

  /** Whole lines from the queue, up to PIPE_BUF bytes (or one longer line). */
  private nextChunk(): Buffer {
    let size = 0;
    let count = 0;
    while (count < this.queue.length) {
      const bytes = Buffer.byteLength(this.queue[count]!);
      if (count > 0 && size + bytes > PIPE_BUF) break;
      size += bytes;
      count++;
    }
    const lines = this.queue.splice(0, count);
    this.queuedBytes -= size;
    return Buffer.from(lines.join(''));
  }

  private drop(count: number, line?: string): void {
    if (line !== undefined) this.queuedBytes -= Buffer.byteLength(line);
    this.dropped += count;
    this.droppedUnreported += count;
  }
}

/** A non-blocking description of the pipe, FIFO or terminal on fd (its own, not the child's), or null. */
function reopenNonBlocking(fd: number): number | null {
  try {
    const stat = fstatSync(fd);
    if (!stat.isFIFO() && !stat.isCharacterDevice()) return null;
    return openSync(
      `/proc/self/fd/${fd}`,
      constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY | constants.O_APPEND,
    );
  } catch {
    return null;
  }
}
