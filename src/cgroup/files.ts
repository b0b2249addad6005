// Reading the small pseudo-files of /proc and cgroupfs: synchronous (each is one page, served from memory, and
// the monitor reads a handful every interval), and never a throw: the caller gets the text or the reason.
// Under --procfs/--sysfs the tree is someone else's: a FIFO there would block PID 1 forever and a link to
// /dev/zero would fill its memory, so only regular files are read (opened non-blocking), and at most MAX_BYTES.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

type Failure = { ok: false; missing: boolean; reason: string };
export type FileText = { ok: true; text: string } | Failure;
export type FileBytes = { ok: true; bytes: Buffer } | Failure;

/** Far above any real cgroup or /proc file memshim reads (a large host's mountinfo is tens of KiB). */
export const MAX_BYTES = 4 * 1024 * 1024;
const CHUNK = 64 * 1024;
/** One read buffer for every file: a file that fits (all but a large host's mountinfo) is decoded straight from it. */
const SCRATCH = Buffer.allocUnsafe(CHUNK);

export function readFileText(path: string): FileText {
  const read = readFile(path);
  return read.ok ? { ok: true, text: read.buffer.toString('utf8', 0, read.length) } : read;
}

/** The bytes, in a buffer of their own (what /proc/self/environ holds need not be text). */
export function readFileBytes(path: string): FileBytes {
  const read = readFile(path);
  return read.ok ? { ok: true, bytes: Buffer.from(read.buffer.subarray(0, read.length)) } : read;
}

/** The first `length` bytes of `buffer`: SCRATCH itself when the file fitted, valid until the next read. */
type Read = { ok: true; buffer: Buffer; length: number } | Failure;

function readFile(path: string): Read {
  let fd: number | null = null;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    return readOpened(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missing = code === 'ENOENT' || code === 'ENOTDIR';
    return { ok: false, missing, reason: missing ? 'missing' : `unreadable (${code ?? (error as Error).message})` };
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

const NOT_REGULAR: Failure = { ok: false, missing: false, reason: 'not a regular file' };

/**
 * Reads until a read returns nothing (a pseudo-file's size says nothing); SCRATCH is copied out only when full.
 * The file's type is asked only when the reads look like something else than a small pseudo-file: nothing at all,
 * a full buffer, or a failed read (a FIFO, a device, a directory; opened non-blocking, none of them blocks). The
 * common case, one read and the one that says "end", costs no fstat (and no Stats object, four Dates with it).
 */
function readOpened(fd: number): Read {
  const chunks: Buffer[] = [];
  let filled = 0;
  let total = 0;
  for (;;) {
    let read: number;
    try {
      read = readSync(fd, SCRATCH, filled, CHUNK - filled, null);
    } catch (error) {
      if (!isRegularFile(fd)) return NOT_REGULAR;
      throw error;
    }
    if (read === 0) break;
    filled += read;
    total += read;
    if (total > MAX_BYTES) return { ok: false, missing: false, reason: `larger than ${MAX_BYTES} bytes` };
    if (filled === CHUNK) {
      if (chunks.length === 0 && !isRegularFile(fd)) return NOT_REGULAR;
      chunks.push(Buffer.from(SCRATCH));
      filled = 0;
    }
  }
  if (total === 0 && !isRegularFile(fd)) return NOT_REGULAR;
  if (chunks.length === 0) return { ok: true, buffer: SCRATCH, length: filled };
  chunks.push(SCRATCH.subarray(0, filled));
  return { ok: true, buffer: Buffer.concat(chunks, total), length: total };
}

function isRegularFile(fd: number): boolean {
  return fstatSync(fd).isFile();
}

/** The text, or null for a missing or unreadable file: for the monitor's readings, where null means "unknown". */
export function readTextOrNull(path: string): string | null {
  const result = readFileText(path);
  return result.ok ? result.text : null;
}

/** Directories fileIn() remembers the paths of; past it the memory starts again (the sidecar may follow many). */
const KEPT_DIRS = 64;
const PATHS = new Map<string, Map<string, string>>();

/**
 * `join(dir, name)`, made once: the monitor and the limit watch read the same few files at every reading, and
 * join's normalising was a fifth of what a reading allocated.
 */
export function fileIn(dir: string, name: string): string {
  let names = PATHS.get(dir);
  if (names === undefined) {
    if (PATHS.size >= KEPT_DIRS) PATHS.clear();
    names = new Map();
    PATHS.set(dir, names);
  }
  let path = names.get(name);
  if (path === undefined) {
    path = join(dir, name);
    names.set(name, path);
  }
  return path;
}
