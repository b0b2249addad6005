// The single executable, dist/memshim, for the tests and benches that run it: built on demand when it is older
// than the code it comes from, by one test file at a time.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { withDirLock } from '../../scripts/dir-lock.mjs';
import { REPO } from './memshim.js';

export const BINARY = join(REPO, 'dist', 'memshim');
/** Why the single executable cannot run here (it is built for Linux x64 only), or false: a test's skip. */
export const BINARY_SKIP: string | false =
  process.platform !== 'linux' || process.arch !== 'x64' ? 'the single executable is Linux x64 only' : false;

/**
 * Builds dist/memshim when it is missing or older than the code it is built from (npm run build:binary). Test
 * files that need it run in parallel (the packaging, podman and early-signals tests): one builds, the others
 * wait for it, since two builds at once write the same staging files.
 */
export function ensureBinary(): void {
  const fresh = (): boolean => existsSync(BINARY) && statSync(BINARY).mtimeMs >= newestSource();
  if (fresh()) return;
  withDirLock(BUILD_LOCK, 'building dist/memshim', BUILD_LOCK_WAIT_MS, () => {
    if (fresh()) return; // built by another test file while this one waited
    const built = spawnSync('npm', ['run', 'build:binary'], { cwd: REPO, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`npm run build:binary failed:\n${built.stdout}\n${built.stderr}`);
  });
}

const BUILD_LOCK = join(REPO, 'dist', '.build-binary.lock');
/** Bounds a wait for another build: one takes seconds, or minutes when Node 24 is downloaded first. */
const BUILD_LOCK_WAIT_MS = 10 * 60_000;

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
