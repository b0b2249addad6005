// A pipe whose reader never reads (a blocked logging driver), for memshim's stderr in the fault tests: a FIFO in a
// private directory, held open by a reader that never reads, removed at the test's end.
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StalledPipe {
  /** The private directory the FIFO is in (free for the test's other files). */
  dir: string;
  /** The FIFO open for reading and writing: give it to a process as its stderr. */
  fd: number;
}

/**
 * The pipe, empty; with `full`, already holding all it takes (its capacity: 64 KiB, or less for a user with many
 * pipes).
 */
export function stalledPipe(t: { teardown(fn: () => void): void }, { full = false } = {}): StalledPipe {
  const dir = mkdtempSync(join(tmpdir(), 'memshim-stall-'));
  const fifo = join(dir, 'stderr');
  spawnSync('mkfifo', [fifo]);
  const fd = openSync(fifo, constants.O_RDWR); // a reader that never reads
  t.teardown(() => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });
  if (full) {
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      for (;;) writeSync(writer, Buffer.alloc(65536));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    } finally {
      closeSync(writer);
    }
  }
  return { dir, fd };
}
