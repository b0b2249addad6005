// A container without Docker, for the single executable: a minimal root filesystem (dist/memshim, the
// libraries `ldd` lists for it, a static probe program, empty /proc /sys /dev /tmp), entered with
// `unshare --pid --mount --fork` + chroot inside a real cgroup. Inside there is no Node, no shell and no npm;
// the shell that sets the mounts up runs outside the root, then execs chroot, which execs memshim as PID 1.
import { spawnSync, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO } from '../helpers/memshim.js';
import type { TestCgroup } from '../helpers/real-cgroup.js';

export const BINARY = join(REPO, 'dist', 'memshim');
const PROBE_SOURCE = join(REPO, 'test', 'packaging', 'probe.c');

/** Why this machine cannot run the container tests, or null. */
export function containerUnsupported(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'the single executable is Linux x64 only';
  if (process.getuid?.() !== 0) return 'needs root (chroot, mounts, PID namespaces, cgroups)';
  for (const tool of ['unshare', 'chroot', 'mount', 'ldd', 'gcc']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  return null;
}

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

/** The JSON lines memshim logged among other output. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** Absolute paths of the shared libraries and the loader that `ldd` lists for `binary`. */
export function sharedLibraries(binary: string): string[] {
  const ldd = spawnSync('ldd', [binary], { encoding: 'utf8' });
  if (ldd.status !== 0) throw new Error(`ldd ${binary} failed: ${ldd.stderr}`);
  return [...ldd.stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)]
    .map((m) => m[1]!)
    .filter((path, i, all) => all.indexOf(path) === i);
}

export interface EnterOptions {
  /** Mount the root read-only, with no /dev/shm or /run: no place to write koffi's native module. */
  readOnly?: boolean;
  /** More environment for memshim (and so for its child). */
  env?: Record<string, string>;
}

/**
 * Starts `/memshim ...args` as PID 1 of a new PID and mount namespace, chrooted into `rootfs.root`, inside
 * `cgroup`. /proc is the new namespace's, /sys/fs/cgroup the host's hierarchy (as a container runtime
 * without a cgroup namespace gives it), /dev a tmpfs with null, zero, full, random and urandom.
 */
export function enter(cgroup: TestCgroup, rootfs: RootFs, args: string[], options: EnterOptions = {}): ChildProcess {
  const r = rootfs.root;
  const devices = ['null 1 3', 'zero 1 5', 'full 1 7', 'random 1 8', 'urandom 1 9'].map((d) => {
    const [name, major, minor] = d.split(' ');
    return `mknod -m 666 '${r}/dev/${name}' c ${major} ${minor}`;
  });
  const setup = [
    `mount --bind '${r}' '${r}'`,
    ...(options.readOnly ? [`mount -o remount,ro,bind '${r}'`] : []),
    `mount -t proc proc '${r}/proc'`,
    `mount --rbind /sys/fs/cgroup '${r}/sys/fs/cgroup'`,
    `mount -t tmpfs -o mode=755 dev '${r}/dev'`,
    ...devices,
    `exec chroot '${r}' /memshim "$@"`,
  ].join(' && ');
  return cgroup.spawn(['unshare', '--pid', '--mount', '--fork', '/bin/sh', '-c', setup, 'sh', ...args], {
    // Nothing of the host's environment goes in; a container's would be as small.
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The host pid of PID 1 of the namespace that `unshare` (pid `unsharePid`) made: its only child. */
export function namespaceInitPid(unsharePid: number): number | null {
  try {
    const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    return children.length === 1 ? Number(children[0]) : null;
  } catch {
    return null;
  }
}

/** The command line of a host pid (argv joined by spaces), or '' when it is gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}
