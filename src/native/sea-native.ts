// koffi's native module inside the single executable (dist/memshim, scripts/build-binary.mjs). There, require()
// reaches only Node's built-ins, so the module travels as the SEA asset `koffi.node`; process.dlopen() needs a
// file. First choice: an unnamed file (open(2) with O_TMPFILE: ext4, xfs, btrfs, tmpfs, and overlayfs on recent
// kernels), written and loaded through /proc/self/fd/N: it never has a name, so nothing is left behind however
// memshim ends, and there is nothing to clean up before the load. Elsewhere (no O_TMPFILE, or no /proc) a named
// file in a private directory (mkdtemp, 0700, no other user can swap it), opened, and the file and directory
// removed before the load: dlopen() reads it through /proc/self/fd/N, the mapping stays, and the directory exists
// only for the write (a SIGKILL then, during a start, is the one way one is left behind). Without /proc the file
// is loaded by its path and removed right after.
// What a killed memshim left is removed by a later start: the directory's name carries the pid of the memshim
// that made it; one of a process that is gone, or of this very pid (a container's PID 1 of an earlier run, with
// /tmp kept in an emptyDir), is stale. Older unnamed ones go after a minute. A start that makes a named file
// looks before it writes; one that needs none looks a second after (off the start path: the scan reads all of
// $TMPDIR).
// A directory that is read-only or mounted noexec (dlopen then fails) is skipped for the next one.
import {
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { builtinRequire } from '../common/builtin-require.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The asset's name in the SEA config (scripts/build-binary.mjs) and in getRawAsset(). */
export const KOFFI_ASSET = 'koffi.node';

interface SeaModule {
  isSea(): boolean;
  getRawAsset(key: string): ArrayBuffer;
}

let failure: string | null = null;

/** node:sea when this process is the single executable, null otherwise (npm install, or a Node without it). */
export function seaModule(): SeaModule | null {
  try {
    // node:sea exists from Node 20.12; required lazily so an older Node still starts the npm build.
    const sea = builtinRequire()('node:sea') as SeaModule;
    return sea.isSea() ? sea : null;
  } catch {
    return null;
  }
}

// false in the npm bundle, true in the single executable's (esbuild define in scripts/bundle.mjs and
// scripts/build-binary.mjs); undefined run from source (the tests), which ask node:sea.
declare const MEMSHIM_SEA: boolean | undefined;

/** Whether this process is the single executable (dist/memshim) rather than Node running the npm bundle. */
export function isSingleExecutable(): boolean {
  // The npm bundle never is: no node:sea to load on its start path.
  if (typeof MEMSHIM_SEA !== 'undefined' && !MEMSHIM_SEA) return false;
  return seaModule() !== null;
}

/** Places to try, in order: $TMPDIR (or /tmp), then memory-backed ones a read-only root filesystem still has. */
export function temporaryDirectories(): string[] {
  const candidates = [tmpdir(), '/tmp', '/dev/shm', '/run'];
  return candidates.filter((dir, index) => dir !== '' && candidates.indexOf(dir) === index);
}

/**
 * Loads koffi's native module from the SEA asset. Throws (and remembers why, for seaNativeFailure()) when no
 * directory can hold it or the asset is missing; koffi's own loader then reports that it found no native module.
 */
export function loadKoffiNativeFromSea(directories: string[] = temporaryDirectories()): unknown {
  const sea = seaModule();
  if (!sea) return fail('not running as the single executable');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(sea.getRawAsset(KOFFI_ASSET));
  } catch (error) {
    return fail(`the executable has no ${KOFFI_ASSET} asset (${message(error)})`);
  }
  const tried: string[] = [];
  for (const dir of directories) {
    let unnamed: unknown;
    try {
      unnamed = loadUnnamed(dir, bytes);
    } catch (error) {
      tried.push(`${dir}: ${firstLine(message(error))}`);
      removeStale(dir); // what named loads there left, as before a named load
      continue;
    }
    if (unnamed !== NOT_LOADED) {
      failure = null;
      setTimeout(() => removeStale(dir), STALE_SCAN_DELAY_MS).unref();
      return unnamed;
    }
    removeStale(dir);
    let privateDir: string | null = null;
    let fd: number | null = null;
    try {
      privateDir = mkdtempSync(join(dir, `${PREFIX}${process.pid}-`));
      const file = join(privateDir, KOFFI_ASSET);
      writeFileSync(file, bytes, { mode: 0o500 });
      let loadFrom = file;
      try {
        fd = openSync(file, 'r');
        statSync(`/proc/self/fd/${fd}`);
        loadFrom = `/proc/self/fd/${fd}`;
        rmSync(privateDir, { recursive: true, force: true });
        privateDir = null;
      } catch {
        // no /proc: loaded by its path, removed right after
      }
      const exports = dlopen(loadFrom);
      failure = null;
      return exports;
    } catch (error) {
      tried.push(`${dir}: ${firstLine(message(error))}`);
    } finally {
      if (fd !== null) closeSync(fd);
      if (privateDir) rmSync(privateDir, { recursive: true, force: true });
    }
  }
  return fail(`no writable, executable temporary directory for koffi's native module (${tried.join('; ')})`);
}

/** open(2)'s O_TMPFILE (__O_TMPFILE | O_DIRECTORY), which Node's fs.constants leave out. */
export const O_TMPFILE = 0o20000000 | constants.O_DIRECTORY;
/** How long after a start that made no named file it looks for what killed memshims left: the start is over. */
export const STALE_SCAN_DELAY_MS = 1000;
const NOT_LOADED = Symbol('not loaded');

/**
 * `bytes` written to an unnamed file in `dir` and loaded through /proc/self/fd/N. NOT_LOADED where `dir` takes no
 * such file (no O_TMPFILE on its filesystem or kernel: EOPNOTSUPP, EISDIR before Linux 3.11) or there is no /proc:
 * the named way is tried next. Throws where the write or the load fails (no space, noexec): the named way would fail
 * there alike, so the next directory is tried.
 */
function loadUnnamed(dir: string, bytes: Uint8Array): unknown {
  let fd: number;
  try {
    fd = openSync(dir, O_TMPFILE | constants.O_RDWR, 0o500);
  } catch {
    return NOT_LOADED;
  }
  try {
    writeFileSync(fd, bytes);
    const path = `/proc/self/fd/${fd}`;
    return existsSync(path) ? dlopen(path) : NOT_LOADED;
  } finally {
    closeSync(fd);
  }
}

function dlopen(file: string): unknown {
  const module = { exports: {} as unknown };
  process.dlopen(module, file);
  return module.exports;
}

/** The private directories' prefix: memshim-koffi-PID-XXXXXX (PID: the memshim that made it). */
export const PREFIX = 'memshim-koffi-';
/** A directory of the old form (no pid) older than this is stale: a start holds one for milliseconds. */
const UNNAMED_STALE_MS = 60_000;

/** Removes what killed memshims left in `dir`; never throws (another user's, a read-only place: left alone). */
export function removeStale(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.startsWith(PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    try {
      const pid = /^memshim-koffi-(\d+)-/.exec(name)?.[1];
      if (
        pid === undefined
          ? Date.now() - statSync(path).mtimeMs < UNNAMED_STALE_MS
          : Number(pid) !== process.pid && alive(Number(pid))
      )
        continue;
      rmSync(path, { recursive: true, force: true });
    } catch {
      // not ours to remove, or gone already
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why loadKoffiNativeFromSea() failed last, or null. */
export function seaNativeFailure(): string | null {
  return failure;
}

function fail(reason: string): never {
  failure = reason;
  throw new Error(reason);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
