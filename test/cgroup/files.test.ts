// readFileText, the one reader of every cgroup and /proc file: the text exactly as written whatever its size
// (decoded straight from the scratch buffer when it fits, copied out only when it is full, so a multi-byte
// character across a buffer's end stays whole), a missing file told as missing, a FIFO never opened for a blocking
// read, a file over MAX_BYTES refused.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_BYTES, readFileText } from '../../src/cgroup/files.js';

const dir = mkdtempSync(join(tmpdir(), 'memshim-files-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const KiB = 1024;
for (const bytes of [0, 1, 4 * KiB, 64 * KiB - 1, 64 * KiB, 64 * KiB + 1, 128 * KiB, 200 * KiB]) {
  t.test(`${bytes} bytes, two-byte characters across every buffer's end`, async (t) => {
    const text = 'é'.repeat(bytes >> 1) + 'x'.repeat(bytes & 1);
    const file = join(dir, `text-${bytes}`);
    writeFileSync(file, text);
    t.same(readFileText(file), { ok: true, text });
  });
}

t.test('a missing file', async (t) => {
  t.same(readFileText(join(dir, 'absent')), { ok: false, missing: true, reason: 'missing' });
});

t.test('a FIFO is not read (nothing blocks)', async (t) => {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  t.same(readFileText(fifo), { ok: false, missing: false, reason: 'not a regular file' });
});

t.test('a file over MAX_BYTES is refused', async (t) => {
  const file = join(dir, 'large');
  writeFileSync(file, Buffer.alloc(MAX_BYTES + 1, 0x61));
  t.same(readFileText(file), { ok: false, missing: false, reason: `larger than ${MAX_BYTES} bytes` });
});
