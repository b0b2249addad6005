// A container without Docker, for the single executable: the root of root-fs.ts entered with
// `unshare --pid --mount --fork` + chroot inside a real cgroup. Inside there is no Node, no shell and no npm;
// the shell that sets the mounts up runs outside the root, then execs chroot, which execs memshim as PID 1.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BINARY_SKIP } from './binary.js';
import type { TestCgroup } from './real-cgroup.js';
import type { RootFs } from './root-fs.js';

/** Why this machine cannot run the container tests, or null. */
export function containerUnsupported(): string | null {
  if (BINARY_SKIP) return BINARY_SKIP;
  if (process.getuid?.() !== 0) return 'needs root (chroot, mounts, PID namespaces, cgroups)';
  for (const tool of ['unshare', 'chroot', 'mount', 'ldd', 'gcc']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  return null;
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
