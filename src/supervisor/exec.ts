// --exec: no supervision. memshim sets the limits and hands the process over to the command (execve), so
// nothing of memshim stays resident. The exec itself (execNow) also serves the exec helper that starts a
// supervised child with rlimits (rlimits.ts). execve goes through koffi when it is there (a failed exec returns,
// and memshim says why with 127/126); process.execve (Node >= 22.15) only without koffi, because it aborts
// the whole process when the exec fails. What the command inherits must be what it would get if started
// directly: blocking stdio that stays open (Node marks fds 0-2 close-on-exec, libuv may make them
// non-blocking), an empty signal mask and default dispositions (Node ignores SIGPIPE).
import { accessSync, constants, fstatSync, statSync, type Stats } from 'node:fs';
import { isatty } from 'node:tty';
import { flushLogsSync, type Logger } from '../common/log.js';
import { collectNow } from '../common/own-heap.js';
import type { RlimitSetting } from '../runtimes/types.js';
import { EACCES, errnoOf } from '../common/errno.js';
import { EXIT, exitCodeForSignal } from '../common/exit-codes.js';
import { closeEarlySignals, STOP_BEFORE_START } from '../common/early-signals.js';
import { setStreamBlocking } from '../common/node-internals.js';
import { resolveOnPath } from '../common/path-search.js';
import { koffiFailure } from '../native/koffi.js';
import { libc, restoreBlockingStdio, RLIMIT, type Libc } from '../native/libc.js';
import { RESETTABLE_SIGNALS } from './signals.js';
import { rawArgv, rawEnvironmentBlock, rawWord, warnIfChanged } from './raw-bytes.js';
import { spawnFailure } from './spawn.js';

export interface ExecOptions {
  argv: readonly string[];
  /** The command's whole environment; its PATH is where the command is looked up (memshim's own: the plan
   * never sets PATH), and its MEMSHIM_NO_KOFFI is the debugging switch of native/koffi.ts. */
  env: Readonly<Record<string, string | undefined>>;
  rlimits: readonly RlimitSetting[];
  /** Variables of env that carry the bytes of another variable of this process (raw-bytes.ts). */
  carried?: Readonly<Record<string, string>>;
}

/** What the exec logs: memshim's logger, or the exec helper's one-line writer (rlimits.ts). */
export type ExecLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

const SIG_SETMASK = 2;

type ProcessWithExecve = NodeJS.Process & {
  execve?: (file: string, args: string[], env: Record<string, string>) => never;
};

/**
 * The limits, each made ready before the first is set: from the first setrlimit to the execve, memshim's own Node
 * must not allocate. Its heap and glibc's were sized without the limits, and under an RLIMIT_DATA below what the
 * process already maps (Node 24's threads and V8's heap map more than a Python cap allows) the kernel refuses any
 * page they ask for, and V8 aborts the whole process when its heap needs one there ("Committing semi space
 * failed", now and then: the command never runs). So every array and number is made here, applyLimits() and
 * restoreLimits() only read them, and a full collection comes right before (own-heap.ts, collectNow()).
 */
interface PreparedLimits {
  resources: readonly number[];
  /** Per resource: the limit to set (soft capped at the hard limit), and what was there before. */
  wanted: readonly BigUint64Array[];
  before: readonly BigUint64Array[];
}

function prepareLimits(lib: Libc, rlimits: readonly RlimitSetting[]): PreparedLimits {
  const prepared = { resources: [] as number[], wanted: [] as BigUint64Array[], before: [] as BigUint64Array[] };
  for (const limit of rlimits) {
    const resource = RLIMIT[limit.resource];
    // Each on a buffer of its own: V8 keeps a typed array this small inside its heap and, when koffi asks for its
    // address, moves it out into memory it mallocs, which under the limits is refused (and V8 then aborts).
    const before = new BigUint64Array(new ArrayBuffer(16));
    const wanted = new BigUint64Array(new ArrayBuffer(16));
    lib.getrlimit(resource, before);
    wanted.set(before);
    const soft = BigInt(limit.bytes);
    wanted[0] = before[1]! < soft ? before[1]! : soft;
    prepared.resources.push(resource);
    prepared.wanted.push(wanted);
    prepared.before.push(before);
  }
  return prepared;
}

/** Sets the prepared limits; a bit per limit that could not be set (bit i: rlimits[i]). Allocates nothing. */
function applyLimits(lib: Libc, limits: PreparedLimits): number {
  let failed = 0;
  // An indexed loop: an iterator would allocate.
  for (let i = 0; i < limits.resources.length; i++)
    if (lib.setrlimit(limits.resources[i]!, limits.wanted[i]!) !== 0) failed |= 1 << i;
  return failed;
}

function restoreLimits(lib: Libc, limits: PreparedLimits): void {
  for (let i = 0; i < limits.resources.length; i++) lib.setrlimit(limits.resources[i]!, limits.before[i]!);
}

function prepareProcess(lib: Libc): void {
  restoreBlockingStdio(lib);
  for (const signal of RESETTABLE_SIGNALS) lib.signal(signal, null);
  lib.sigprocmask(SIG_SETMASK, Buffer.alloc(128), null);
}

/** 0 when `file` looks executable, else the errno execve would give (ENOENT, ENOTDIR, EACCES). */
function cannotExecute(file: string): number {
  try {
    if (statSync(file).isDirectory()) return EACCES;
    accessSync(file, constants.X_OK);
    return 0;
  } catch (error) {
    const errno = errnoOf(error);
    return errno === -1 ? EACCES : errno;
  }
}

/**
 * The same without libc, for process.execve: libuv clears O_NONBLOCK of a pipe or terminal it is asked to make
 * blocking, and sets a signal back to SIG_DFL when its last listener goes (Node ignores SIGPIPE and SIGXFSZ).
 * The signal mask is already empty (Node blocks nothing in the main thread).
 */
function prepareWithoutLibc(): void {
  const streams = [() => process.stdin, () => process.stdout, () => process.stderr];
  streams.forEach((stream, fd) => {
    // Only a pipe, socket or terminal has a libuv handle; reaching process.stdin on a file would start a read.
    let kind: Stats;
    try {
      kind = fstatSync(fd);
    } catch {
      return;
    }
    if (!kind.isFIFO() && !kind.isSocket() && !kind.isCharacterDevice()) return;
    if (kind.isCharacterDevice() && !isatty(fd)) return;
    setStreamBlocking(stream());
  });
  for (const name of ['SIGPIPE', 'SIGXFSZ'] as const) {
    const ignore = () => {};
    process.on(name, ignore);
    process.off(name, ignore);
  }
}

/** Why the command cannot be exec'd at all on this Node: no koffi and no process.execve (then 126), or null. */
function noWayToExec(lib: Libc | null, command: string, log: ExecLog): number | null {
  if (lib || (process as ProcessWithExecve).execve) return null;
  log.error(
    { event: 'exec_failed', command },
    `--exec needs koffi on this Node (${koffiFailure() ?? 'not loaded'}) or Node >= 22.15`,
  );
  return EXIT.CANNOT_EXECUTE;
}

/** Replaces memshim by the command; returns only when that failed, with the exit code (127/126) to exit with. */
export async function execCommand(options: ExecOptions, log: ExecLog): Promise<number> {
  const command = String(options.argv[0] ?? '');
  const cannot = noWayToExec(libc(options.env), command, log);
  if (cannot !== null) return cannot;
  // A stop signal that came before the exec (common/early-signals.ts): the command is not started. Any other has no
  // process to go to yet, and the command will have its own handlers only after it set them up: dropped.
  const early = await closeEarlySignals();
  const stop = early.find((n) => STOP_BEFORE_START.has(n));
  if (stop !== undefined) {
    log.info({ event: 'early_signal', signal: stop }, `signal ${stop} before the exec: not starting ${command}`);
    return exitCodeForSignal(stop);
  }
  if (early.length > 0)
    log.debug({ event: 'signal_dropped', signals: early }, 'signals before the exec: nothing to forward them to');
  log.info({ event: 'exec', command }, `replacing memshim by ${command}`);
  return execNow(options, log);
}

/**
 * The exec itself, synchronous: the limits set, stdio, signal mask and dispositions made what the command must
 * see, the command looked up on PATH and exec'd with argv and the environment byte for byte (raw-bytes.ts).
 * Returns only when that failed, with the exit code (127/126); the reason is logged as one error.
 */
export function execNow(options: ExecOptions, log: ExecLog): number {
  // String(): a numeric word after `--` can arrive as a number (yargs); koffi would read it as an address.
  const argv = options.argv.map(String);
  const command = argv[0] ?? '';
  const lib = libc(options.env);
  const cannot = noWayToExec(lib, command, log);
  if (cannot !== null) return cannot;
  if (!lib && options.rlimits.length > 0)
    log.warn(
      { event: 'rlimit_failed' },
      `no koffi (${koffiFailure() ?? 'libc.so.6 not loadable'}): the rlimits of the plan are not set`,
    );
  // PATH searched here, as posix_spawnp does it: no fallback to /bin/sh for a file that is not a program
  // (execvp's), so ENOEXEC is 126 in both modes.
  const found = resolveOnPath(command, options.env.PATH);
  let errno = 'errno' in found ? found.errno : 0;
  if ('file' in found) {
    if (lib) {
      const file = rawWord(found.file);
      const args = [...rawArgv(argv), null];
      const envp = rawEnvironmentBlock(options.env, options.carried);
      prepareProcess(lib);
      const limits = prepareLimits(lib, options.rlimits);
      // No collection may come between the limits and the execve: one now, with nothing left pending after it.
      if (options.rlimits.length > 0) collectNow();
      // What memshim logged must reach stderr before the process is replaced; a stalled pipe gets a second.
      flushLogsSync();
      // From here to the execve nothing is allocated (prepareLimits()). A limit that cannot be set is said before
      // the exec, with the limits put back meanwhile (and collected again after saying it); the exec goes ahead
      // with the others.
      const failed = applyLimits(lib, limits);
      if (failed !== 0) {
        restoreLimits(lib, limits);
        options.rlimits.forEach((limit, i) => {
          if (failed & (1 << i))
            log.warn({ event: 'rlimit_failed', resource: limit.resource }, `could not set ${limit.resource}`);
        });
        flushLogsSync();
        collectNow();
        applyLimits(lib, limits);
      }
      lib.execve(file, args, envp);
      errno = lib.errno();
      restoreLimits(lib, limits);
    } else {
      flushLogsSync();
      // Only without koffi: Node's execve aborts the process when exec fails (checked on Node 24.21), so the
      // usual failures are caught first: missing, a directory, or no permission to execute.
      errno = cannotExecute(found.file);
      if (errno === 0) warnIfChanged(argv, options.env, log);
      if (errno === 0) prepareWithoutLibc();
      if (errno === 0)
        (process as ProcessWithExecve).execve!.call(
          process,
          found.file,
          argv,
          Object.fromEntries(
            Object.entries(options.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
          ),
        );
    }
  }
  const failure = spawnFailure(command, errno, options.env.PATH);
  log.error({ event: 'exec_failed', command, exitCode: failure.exitCode }, failure.reason);
  return failure.exitCode;
}
