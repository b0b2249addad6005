// The log sink in process, over a real FIFO nobody reads at first: writes never block, lines wait in the bounded
// queue, the oldest are dropped and counted once it is full, and one report comes when the reader drains it.
// The whole-process case (a stalled stderr shared with a child) is test/supervisor/stalled-stderr.test.ts.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  fstatSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  writeFileSync,
  readFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogSink } from '../../src/common/log-sink.js';

function fifo(t: { teardown(fn: () => void): void }): { readFd: number; writeFd: number } {
  const dir = mkdtempSync(join(tmpdir(), 'memshim-sink-'));
  const path = join(dir, 'pipe');
  execFileSync('mkfifo', [path]);
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(path, constants.O_WRONLY);
  t.teardown(() => {
    for (const fd of [readFd, writeFd]) {
      try {
        closeSync(fd);
      } catch {
        // closed by the test
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return { readFd, writeFd };
}

function readAll(fd: number): string {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(65536);
  for (;;) {
    let n = 0;
    try {
      n = readSync(fd, buffer);
    } catch {
      break; // EAGAIN: nothing more now
    }
    if (n <= 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

t.test('a FIFO is reopened non-blocking; the given fd keeps its flags', async (t) => {
  const { readFd, writeFd } = fifo(t);
  const sink = new LogSink(writeFd, 4096);
  t.equal(sink.mode, 'nonblocking');
  t.ok(fstatSync(writeFd).isFIFO());
  sink.write('one line\n');
  t.equal(sink.drain(), true, 'written at once while the pipe has room');
  t.equal(readAll(readFd), 'one line\n');
  sink.close();
});

t.test('a reader that stalls: never blocks, drops the oldest and counts them, reports once drained', async (t) => {
  const { readFd, writeFd } = fifo(t);
  const sink = new LogSink(writeFd, 8 * 1024);
  const reports: number[] = [];
  sink.onDropsEnded = (count) => reports.push(count);
  const line = `${'x'.repeat(99)}\n`;
  for (let i = 0; i < 2000; i++) sink.write(line); // 200 KB: past the 64 KiB pipe and the 8 KiB queue
  t.pass('2000 writes returned (a blocking write would never return)');
  t.equal(sink.pending, true, 'lines wait while nobody reads');
  t.ok(sink.droppedLines > 0, `dropped ${sink.droppedLines} lines`);
  t.same(reports, [], 'no report while the pipe is still full');
  const dropped = sink.droppedLines;
  let read = readAll(readFd);
  t.equal(await sink.flushUntil(Date.now() + 5000), true, 'the queue drains once the reader reads');
  read += readAll(readFd);
  t.same(reports, [dropped], 'one report of how many were dropped');
  t.equal(read.length % line.length, 0, 'only whole lines reached the pipe');
  t.equal(read.length / line.length + dropped, 2000, 'every line was either written or counted');
  sink.close();
});

t.test('no reader left: lines are counted as dropped, no throw', async (t) => {
  const { readFd, writeFd } = fifo(t);
  const sink = new LogSink(writeFd, 4096);
  closeSync(readFd);
  sink.write('lost\n');
  sink.drain();
  t.equal(sink.droppedLines, 1);
  t.equal(sink.flushUntilSync(Date.now() + 100), true);
  sink.close();
});

t.test('a regular file is written directly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'memshim-sink-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'log');
  writeFileSync(path, '');
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND);
  const sink = new LogSink(fd);
  t.equal(sink.mode, 'direct');
  sink.write('a\n');
  sink.flush();
  t.equal(readFileSync(path, 'utf8'), 'a\n');
  sink.close();
  closeSync(fd);
});
