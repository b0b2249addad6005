// A minimal root filesystem for the single executable (dist/memshim, the libraries `ldd` lists for it, a static
// probe program, empty mount points), shared by the chroot container (chroot.ts) and the podman image (podman.ts).
import { spawnSync } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BINARY } from './binary.js';
import { REPO } from './memshim.js';

const PROBE_SOURCE = join(REPO, 'test', 'packaging', 'probe.c');

export interface RootFs {
  root: string;
  remove(): void;
}

/** What a root adds to /memshim, its libraries and /probe: files from the host, symlinks, empty directories. */
export interface RootExtras {
  /** Host path -> path in the root. */
  files?: Record<string, string>;
  /** Path in the root -> what it points to. */
  links?: Record<string, string>;
  /** Empty directories (mount points); the default suits unshare + chroot. */
  dirs?: string[];
}

/** The root filesystem: /memshim, its libraries, /probe (static), and empty mount points. */
export function buildRootFs(extras: RootExtras = {}): RootFs {
  const root = mkdtempSync(join(tmpdir(), 'memshim-rootfs-'));
  const place = (path: string, to: string): void => {
    const target = join(root, to);
    const from = realpathSync(path); // libraries are often symlinks; the root gets the file under the linked name
    mkdirSync(dirname(target), { recursive: true });
    try {
      linkSync(from, target); // same filesystem: no 100 MiB copy
    } catch {
      copyFileSync(from, target);
    }
  };
  place(BINARY, 'memshim');
  for (const library of sharedLibraries(BINARY)) place(library, library);
  for (const [from, to] of Object.entries(extras.files ?? {})) place(from, to);
  for (const [path, target] of Object.entries(extras.links ?? {})) symlinkSync(target, join(root, path));
  const probe = spawnSync('gcc', ['-static', '-O2', '-o', join(root, 'probe'), PROBE_SOURCE], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error(`gcc -static failed: ${probe.stderr}`);
  for (const dir of extras.dirs ?? ['proc', 'sys/fs/cgroup', 'dev', 'tmp'])
    mkdirSync(join(root, dir), { recursive: true, mode: 0o755 });
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** Absolute paths of the shared libraries and the loader that `ldd` lists for `binary`. */
export function sharedLibraries(binary: string): string[] {
  const ldd = spawnSync('ldd', [binary], { encoding: 'utf8' });
  if (ldd.status !== 0) throw new Error(`ldd ${binary} failed: ${ldd.stderr}`);
  return [...ldd.stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)]
    .map((m) => m[1]!)
    .filter((path, i, all) => all.indexOf(path) === i);
}
