// Counting `.class` entries in a jar by reading its zip central directory with node:fs (and node:zlib for a
// nested jar that is deflated): no dependency, and only the directory is read, not the classes. Nested jars
// (Spring Boot's BOOT-INF/lib, a war's WEB-INF/lib) are opened from their bytes inside the outer jar.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';

/** Reads `length` bytes at `offset`; fewer at the end. */
type ReadAt = (offset: number, length: number) => Buffer;

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** A nested jar bigger than this is not opened (its classes are not counted). */
const NESTED_MAX = 256 * 1024 * 1024;
const NESTED_LIB = /^(BOOT-INF|WEB-INF)\/lib\/[^/]+\.jar$/;

interface Entry {
  name: string;
  method: number;
  compressedSize: number;
  localOffset: number;
}

function centralDirectory(read: ReadAt, size: number): Entry[] {
  const tailLength = Math.min(size, 22 + 65535);
  const tail = read(size - tailLength, tailLength);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new Error('not a zip file (no end of central directory)');
  let count = tail.readUInt16LE(at + 10);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  if ((count === 0xffff || cdOffset === 0xffffffff) && at >= 20 && tail.readUInt32LE(at - 20) === ZIP64_LOCATOR) {
    const zip64 = read(Number(tail.readBigUInt64LE(at - 20 + 8)), 56);
    if (zip64.readUInt32LE(0) === ZIP64_EOCD) {
      count = Number(zip64.readBigUInt64LE(32));
      cdSize = Number(zip64.readBigUInt64LE(40));
      cdOffset = Number(zip64.readBigUInt64LE(48));
    }
  }
  const cd = read(cdOffset, cdSize);
  const entries: Entry[] = [];
  for (let p = 0; entries.length < count && p + 46 <= cd.length && cd.readUInt32LE(p) === CENTRAL;) {
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    entries.push({
      name: cd.toString('utf8', p + 46, p + 46 + nameLength),
      method: cd.readUInt16LE(p + 10),
      compressedSize: cd.readUInt32LE(p + 20),
      localOffset: cd.readUInt32LE(p + 42),
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function entryBytes(read: ReadAt, entry: Entry): Buffer | null {
  if (entry.compressedSize > NESTED_MAX) return null;
  const local = read(entry.localOffset, 30);
  if (local.length < 30 || local.readUInt32LE(0) !== LOCAL) return null;
  const data = read(entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28), entry.compressedSize);
  if (entry.method === 0) return data;
  if (entry.method === 8) return inflateRawSync(data, { maxOutputLength: NESTED_MAX });
  return null;
}

function countIn(read: ReadAt, size: number, nested: boolean): number {
  let classes = 0;
  for (const entry of centralDirectory(read, size)) {
    if (entry.name.endsWith('.class')) classes++;
    else if (nested && NESTED_LIB.test(entry.name)) {
      try {
        const bytes = entryBytes(read, entry);
        if (bytes) classes += countIn((offset, length) => bytes.subarray(offset, offset + length), bytes.length, false);
      } catch {
        /* a nested jar that cannot be read adds nothing to the estimate */
      }
    }
  }
  return classes;
}

/** `.class` entries in the jar at `path`, nested BOOT-INF/lib and WEB-INF/lib jars included. Throws on a non-zip. */
export function countJarClasses(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const read: ReadAt = (offset, length) => {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
      let done = 0;
      while (done < buffer.length) {
        const n = readSync(fd, buffer, done, buffer.length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return buffer.subarray(0, done);
    };
    return countIn(read, size, true);
  } finally {
    closeSync(fd);
  }
}
