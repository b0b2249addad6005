// The libc functions the supervisor needs and Node lacks, bound once through koffi (loadKoffi(): the only way
// koffi is loaded). Every binding returns what libc returns; errno is read with `errno()` right after a -1.
// Linux x86_64/arm64 glibc sizes and constants; buffers are allocated larger than glibc's structs on purpose
// (posix_spawnattr_t is 336 bytes, posix_spawn_file_actions_t 80, sigset_t 128, siginfo_t 128).
import { loadKoffi } from './koffi.js';

export const SPAWN = { SETPGROUP: 0x02, SETSIGDEF: 0x04, SETSIGMASK: 0x08 } as const;
export const WAIT = { WNOHANG: 1, WUNTRACED: 2, WEXITED: 4, WCONTINUED: 8, WNOWAIT: 0x01000000 } as const;
export const P_ALL = 0;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const FD_CLOEXEC = 1;
export const O_NONBLOCK = 0o4000;
export const PR_SET_CHILD_SUBREAPER = 36;
export const PR_SET_PDEATHSIG = 1;
export const SIG_BLOCK = 0;
// errno numbers live in src/common/errno.ts; these stay importable from here for the supervisor.
export { ECHILD, EINTR, ESRCH } from '../common/errno.js';
export const RLIMIT = { RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_AS: 9 } as const;
/** The byte size of the opaque buffers handed to libc (rounded up from glibc's sizes). */
export const OPAQUE_BYTES = { spawnattr: 512, fileActions: 256, sigset: 128, siginfo: 128 } as const;

type Fn<A extends unknown[], R = number> = (...args: A) => R;

export interface Libc {
  /** Strings go as UTF-8; a Buffer (NUL-terminated) as its bytes. */
  posix_spawnp: Fn<
    [
      pid: number[],
      file: string | Buffer,
      fileActions: Buffer | null,
      attr: Buffer | null,
      argv: (string | Buffer | null)[],
      envp: (string | Buffer | null)[],
    ]
  >;
  posix_spawnattr_init: Fn<[attr: Buffer]>;
  posix_spawnattr_destroy: Fn<[attr: Buffer]>;
  posix_spawnattr_setflags: Fn<[attr: Buffer, flags: number]>;
  posix_spawnattr_setpgroup: Fn<[attr: Buffer, pgid: number]>;
  posix_spawnattr_setsigmask: Fn<[attr: Buffer, set: Buffer]>;
  posix_spawnattr_setsigdefault: Fn<[attr: Buffer, set: Buffer]>;
  posix_spawn_file_actions_init: Fn<[fa: Buffer]>;
  posix_spawn_file_actions_destroy: Fn<[fa: Buffer]>;
  posix_spawn_file_actions_adddup2: Fn<[fa: Buffer, fd: number, newfd: number]>;
  /** glibc >= 2.35; null before: the parent then calls tcsetpgrp itself right after the spawn. */
  posix_spawn_file_actions_addtcsetpgrp_np: Fn<[fa: Buffer, fd: number]> | null;
  sigemptyset: Fn<[set: Buffer]>;
  sigfillset: Fn<[set: Buffer]>;
  sigprocmask: Fn<[how: number, set: Buffer | null, old: Buffer | null]>;
  /** Resets one disposition; handler null is SIG_DFL. */
  signal: Fn<[signal: number, handler: null], unknown>;
  waitpid: Fn<[pid: number, status: number[], options: number]>;
  /** idtype, id, siginfo (si_pid at byte 16, si_status at 24, si_code at 8), options. */
  waitid: Fn<[idtype: number, id: number, info: Buffer, options: number]>;
  kill: Fn<[pid: number, signal: number]>;
  prctl: Fn<[option: number, arg2: number, arg3: number, arg4: number, arg5: number]>;
  tcsetpgrp: Fn<[fd: number, pgid: number]>;
  tcgetpgrp: Fn<[fd: number]>;
  getpgrp: Fn<[]>;
  isatty: Fn<[fd: number]>;
  /** rlim is two unsigned 64-bit words: soft, hard. */
  setrlimit: Fn<[resource: number, rlim: BigUint64Array]>;
  getrlimit: Fn<[resource: number, rlim: BigUint64Array]>;
  fcntl: (fd: number, cmd: number, ...rest: unknown[]) => number;
  execve: Fn<[path: string | Buffer, argv: (string | Buffer | null)[], envp: (string | Buffer | null)[]]>;
  /** Ends the process at once: no atexit handlers, no C++ destructors (process-exit.ts). */
  _exit: Fn<[status: number], never>;
  /** glibc: hands free()d heap memory back to the kernel; null where libc lacks it. */
  malloc_trim: Fn<[pad: number]> | null;
  errno: () => number;
}

let cached: Libc | null | undefined;

/** The bindings when this process has loaded them already, else null: never loads koffi. */
export function loadedLibc(): Libc | null {
  return cached ?? null;
}

/**
 * The bindings, or null when koffi (or libc.so.6: a musl system) is not there. `env`: the environment memshim
 * was given, for loadKoffi()'s debugging switch; the first call decides for every later one.
 */
export function libc(env: Readonly<Record<string, string | undefined>>): Libc | null {
  if (cached !== undefined) return cached;
  const koffi = loadKoffi(env);
  if (!koffi) return (cached = null);
  try {
    const lib = koffi.load('libc.so.6');
    const f = (definition: string) => lib.func(definition) as never;
    const optional = (definition: string) => {
      try {
        return lib.func(definition) as never;
      } catch {
        return null;
      }
    };
    cached = {
      posix_spawnp: f(
        'int posix_spawnp(_Out_ int *pid, const char *file, void *fa, void *attr, const char **argv, const char **envp)',
      ),
      posix_spawnattr_init: f('int posix_spawnattr_init(void *attr)'),
      posix_spawnattr_destroy: f('int posix_spawnattr_destroy(void *attr)'),
      posix_spawnattr_setflags: f('int posix_spawnattr_setflags(void *attr, short flags)'),
      posix_spawnattr_setpgroup: f('int posix_spawnattr_setpgroup(void *attr, int pgid)'),
      posix_spawnattr_setsigmask: f('int posix_spawnattr_setsigmask(void *attr, void *set)'),
      posix_spawnattr_setsigdefault: f('int posix_spawnattr_setsigdefault(void *attr, void *set)'),
      posix_spawn_file_actions_init: f('int posix_spawn_file_actions_init(void *fa)'),
      posix_spawn_file_actions_destroy: f('int posix_spawn_file_actions_destroy(void *fa)'),
      posix_spawn_file_actions_adddup2: f('int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)'),
      posix_spawn_file_actions_addtcsetpgrp_np: optional(
        'int posix_spawn_file_actions_addtcsetpgrp_np(void *fa, int fd)',
      ),
      sigemptyset: f('int sigemptyset(void *set)'),
      sigfillset: f('int sigfillset(void *set)'),
      sigprocmask: f('int sigprocmask(int how, void *set, void *old)'),
      signal: f('void *signal(int signum, void *handler)'),
      waitpid: f('int waitpid(int pid, _Out_ int *status, int options)'),
      waitid: f('int waitid(int idtype, int id, void *info, int options)'),
      kill: f('int kill(int pid, int sig)'),
      prctl: f('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
      tcsetpgrp: f('int tcsetpgrp(int fd, int pgid)'),
      tcgetpgrp: f('int tcgetpgrp(int fd)'),
      getpgrp: f('int getpgrp()'),
      isatty: f('int isatty(int fd)'),
      setrlimit: f('int setrlimit(int resource, void *rlim)'),
      getrlimit: f('int getrlimit(int resource, void *rlim)'),
      fcntl: f('int fcntl(int fd, int cmd, ...)'),
      execve: f('int execve(const char *path, const char **argv, const char **envp)'),
      _exit: f('void _exit(int status)'),
      malloc_trim: optional('int malloc_trim(size_t pad)'),
      errno: () => koffi.errno(),
    };
  } catch {
    cached = null;
  }
  return cached;
}

/** A sigset_t (glibc's 128 bytes) holding `signals`. */
export function signalSet(signals: readonly number[]): Buffer {
  const set = Buffer.alloc(OPAQUE_BYTES.sigset);
  for (const n of signals) set[(n - 1) >> 3] = set[(n - 1) >> 3]! | (1 << ((n - 1) & 7));
  return set;
}

const STDIO: readonly number[] = [0, 1, 2];
/** Each fd's O_NONBLOCK as restoreBlockingStdio() first found it (null: closed), for the exit. */
const nonblockingBefore = new Map<number, boolean | null>();

/**
 * Clears FD_CLOEXEC and O_NONBLOCK on fds 0-2 (Node sets close-on-exec on them; libuv may set O_NONBLOCK). `fds`:
 * others, for the tests.
 */
export function restoreBlockingStdio(lib: Libc, fds: readonly number[] = STDIO): void {
  for (const fd of fds) {
    const fdFlags = lib.fcntl(fd, F_GETFD);
    if (fdFlags >= 0 && fdFlags & FD_CLOEXEC) lib.fcntl(fd, F_SETFD, 'int', fdFlags & ~FD_CLOEXEC);
    const statusFlags = lib.fcntl(fd, F_GETFL);
    if (!nonblockingBefore.has(fd))
      nonblockingBefore.set(fd, statusFlags >= 0 ? (statusFlags & O_NONBLOCK) !== 0 : null);
    if (statusFlags >= 0 && statusFlags & O_NONBLOCK) lib.fcntl(fd, F_SETFL, 'int', statusFlags & ~O_NONBLOCK);
  }
}

/**
 * What Node's exit does to stdio (ResetStdio in Node's node.cc), for an exit without it: fds 0-2 get back the
 * O_NONBLOCK flag they had before memshim (restoreBlockingStdio) or its child changed it. The flag belongs to the
 * open file, which memshim shares with whoever started it: a parent's non-blocking pipe left blocking would block
 * that parent. false where this cannot stand in for Node's: restoreBlockingStdio never ran, a flag could not be set,
 * or one of them is a terminal (Node also puts back its settings, which a child killed in raw mode leaves behind).
 */
export function resetStdioAsNodeDoes(lib: Libc, fds: readonly number[] = STDIO): boolean {
  if (fds.some((fd) => !nonblockingBefore.has(fd) || lib.isatty(fd) === 1)) return false;
  for (const fd of fds) {
    const before = nonblockingBefore.get(fd);
    if (before === null || before === undefined) continue;
    const statusFlags = lib.fcntl(fd, F_GETFL);
    if (statusFlags < 0) continue; // closed since: nothing to give back
    if (((statusFlags & O_NONBLOCK) !== 0) === before) continue;
    const flags = before ? statusFlags | O_NONBLOCK : statusFlags & ~O_NONBLOCK;
    if (lib.fcntl(fd, F_SETFL, 'int', flags) < 0) return false;
  }
  return true;
}
