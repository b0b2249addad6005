// Where the cgroup fixtures live: the captures from real hosts (copied from the shared test bed into
// test/fixtures/cgroup-captured/, so a plain clone runs them) and this project's own, one directory per shape.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '..', '..');
/** The repository's copy of the host captures (same layout and expected.json as the shared test bed's). */
export const CAPTURED_FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'cgroup-captured');
/** The shared test bed's originals, beside the repository where it is checked out (CI): compared with the copy. */
export const SHARED_FIXTURES = resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'cgroup');
export const OWN_FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'cgroup');

/** Directories under `root` that hold an expected.json. */
export function fixtureDirs(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, 'expected.json')))
    .map((entry) => entry.name)
    .sort();
}

export const sharedFixturesMissing = existsSync(SHARED_FIXTURES)
  ? false
  : `shared fixtures not found at ${SHARED_FIXTURES} (clone shared/ beside the repository)`;
