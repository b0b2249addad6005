// The single executable, dist/memshim, for the tests and benches that run it: built on demand when it is older
// than the code it comes from, by one test file at a time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO } from './memshim.js';

export const BINARY = join(REPO, 'dist', 'memshim');

/**
 * Builds dist/memshim when it is missing or older than the code it is built from (npm run build:binary). Test
 * files that need it run in parallel (the packaging, podman and early-signals tests): one builds, the others
 * wait for it, since two builds at once write the same staging files.
 */
export function ensureBinary(): void {
  const fresh = (): boolean => existsSync(BINARY) && statSync(BINARY).mtimeMs >= newestSource();
  if (fresh()) return;
  withBuildLock(() => {
    if (fresh()) return; // built by another test file while this one waited
    const built = spawnSync('npm', ['run', 'build:binary'], { cwd: REPO, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`npm run build:binary failed:\n${built.stdout}\n${built.stderr}`);
  });
}

const BUILD_LOCK = join(REPO, 'dist', '.build-binary.lock');
/** Bounds a wait for another build: one takes seconds, or minutes when Node 24 is downloaded first. */
const BUILD_LOCK_WAIT_MS = 10 * 60_000;

/** Runs `build` holding a lock directory (its owner's pid inside; a dead owner's lock is taken over). */
function withBuildLock(build: () => void): void {
  mkdirSync(dirname(BUILD_LOCK), { recursive: true });
  const deadline = Date.now() + BUILD_LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (lockOwnerGone()) rmSync(BUILD_LOCK, { recursive: true, force: true });
    else if (Date.now() > deadline)
      throw new Error(
        `another test file has built dist/memshim for ${BUILD_LOCK_WAIT_MS / 60_000} min (${BUILD_LOCK})`,
      );
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
  try {
    writeFileSync(join(BUILD_LOCK, 'pid'), String(process.pid));
    build();
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

function lockOwnerGone(): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(BUILD_LOCK, 'pid'), 'utf8'));
  } catch {
    return false; // just made, its pid not written yet (or just removed): look again
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function newestSource(): number {
  let newest = statSync(join(REPO, 'scripts', 'build-binary.mjs')).mtimeMs;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  walk(join(REPO, 'src'));
  return newest;
}
