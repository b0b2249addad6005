// koffi's native module inside the single executable (dist/memshim, scripts/build-binary.mjs). There, require()
// reaches only Node's built-ins, so the module travels as the SEA asset `koffi.node`; process.dlopen() needs a
// file, so it is written to a private directory (mkdtemp, 0700), loaded, and removed at once: the mapping
// stays, nothing is left behind, and no other user can swap the file between write and load.
// A directory that is read-only or mounted noexec (dlopen then fails) is skipped for the next one.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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
    const sea = createRequire(import.meta.url)('node:sea') as SeaModule;
    return sea.isSea() ? sea : null;
  } catch {
    return null;
  }
}

/** Whether this process is the single executable (dist/memshim) rather than Node running the npm bundle. */
export function isSingleExecutable(): boolean {
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
    let privateDir: string | null = null;
    try {
      privateDir = mkdtempSync(join(dir, 'memshim-koffi-'));
      const file = join(privateDir, KOFFI_ASSET);
      writeFileSync(file, bytes, { mode: 0o500 });
      const module = { exports: {} as unknown };
      process.dlopen(module, file);
      failure = null;
      return module.exports;
    } catch (error) {
      tried.push(`${dir}: ${firstLine(message(error))}`);
    } finally {
      if (privateDir) rmSync(privateDir, { recursive: true, force: true });
    }
  }
  return fail(`no writable, executable temporary directory for koffi's native module (${tried.join('; ')})`);
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
