// readFileText, the one reader of every cgroup and /proc file: the text exactly as written whatever its size
// (decoded straight from the scratch buffer when it fits, copied out only when it is full, so a multi-byte
// character across a buffer's end stays whole), a missing file told as missing, a FIFO, a directory or a device
// never read as text (the type is asked only when the reads look unlike a small file), a file over MAX_BYTES
// refused. readFileBytes, the same reader for what need not be text (/proc/self/environ): the bytes as they are, in
// a buffer of their own. fileIn, the paths of those files: what path.join makes, made once.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileIn, MAX_BYTES, readFileBytes, readFileText } from '../../src/cgroup/files.js';

const dir = mkdtempSync(join(tmpdir(), 'memshim-files-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const KiB = 1024;
for (const bytes of [0, 1, 4 * KiB, 64 * KiB - 1, 64 * KiB, 64 * KiB + 1, 128 * KiB, 200 * KiB]) {
  t.test(`about ${bytes} bytes, a two-byte character across every buffer's end`, async (t) => {
    // One byte first: every two-byte character then starts at an odd offset, across each even buffer end.
    const text = 'x' + 'é'.repeat(Math.max(0, (bytes - 1) >> 1));
    const file = join(dir, `text-${bytes}`);
    writeFileSync(file, text);
    t.same(readFileText(file), { ok: true, text });
  });
}

t.test('readFileBytes: bytes that are not UTF-8, as they are, in a buffer the next read does not touch', async (t) => {
  for (const size of [3, 64 * KiB + 5]) {
    const bytes = Buffer.alloc(size, 0xff);
    bytes.write('A=\0', 0, 'latin1');
    const file = join(dir, `bytes-${size}`);
    writeFileSync(file, bytes);
    const read = readFileBytes(file);
    readFileText(join(dir, 'text-1'));
    t.ok(read.ok && read.bytes.equals(bytes), `${size} bytes`);
  }
  t.same(readFileBytes(join(dir, 'absent')), { ok: false, missing: true, reason: 'missing' });
  t.match(readFileBytes('/proc/self/environ'), { ok: true }, 'a /proc file');
});

t.test('a missing file', async (t) => {
  t.same(readFileText(join(dir, 'absent')), { ok: false, missing: true, reason: 'missing' });
});

t.test('a FIFO, a directory, a device: not read as text (nothing blocks, nothing fills memory)', async (t) => {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const notRegular = { ok: false, missing: false, reason: 'not a regular file' };
  t.same(readFileText(fifo), notRegular, 'a FIFO without a writer');
  t.same(readFileText(dir), notRegular, 'a directory');
  t.same(readFileText('/dev/null'), notRegular, '/dev/null');
  t.same(readFileText('/dev/zero'), notRegular, '/dev/zero');
  t.same(readFileText(join(dir, 'empty')), { ok: false, missing: true, reason: 'missing' });
  writeFileSync(join(dir, 'empty'), '');
  t.same(readFileText(join(dir, 'empty')), { ok: true, text: '' }, 'an empty regular file is text');
});

t.test('a file over MAX_BYTES is refused', async (t) => {
  const file = join(dir, 'large');
  writeFileSync(file, Buffer.alloc(MAX_BYTES + 1, 0x61));
  t.same(readFileText(file), { ok: false, missing: false, reason: `larger than ${MAX_BYTES} bytes` });
});

t.test('fileIn: what path.join makes of the directory and the name, the same string each time', async (t) => {
  const table: [string, string][] = [
    ['/sys/fs/cgroup/memory/a', 'memory.stat'],
    ['/sys/fs/cgroup/memory/a/', 'memory.stat'],
    ['/sys/fs/cgroup/memory/a/../b', 'memory.current'],
    ['/', 'memory.max'],
    ['relative/dir', 'cpu.max'],
  ];
  for (const [dir, name] of table) {
    t.equal(fileIn(dir, name), join(dir, name), `${dir} + ${name}`);
    t.equal(fileIn(dir, name), fileIn(dir, name));
  }
  for (let i = 0; i < 200; i++) t.equal(fileIn(`/many/${i}`, 'memory.stat'), `/many/${i}/memory.stat`);
  t.equal(fileIn('/sys/fs/cgroup/memory/a', 'memory.stat'), '/sys/fs/cgroup/memory/a/memory.stat', 'after a clear');
});
