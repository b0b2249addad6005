// --exec: no supervision. memshim sets the limits and hands the process over to the command (execve), so
// nothing of memshim stays resident. execve goes through koffi when it is there (a failed exec returns, and
// memshim says why with 127/126); process.execve (Node >= 22.15) only without koffi, because it aborts
// the whole process when the exec fails. What the command inherits must be what it would get if started
// directly: blocking stdio that stays open (Node marks fds 0-2 close-on-exec, libuv may make them
// non-blocking), an empty signal mask and default dispositions (Node ignores SIGPIPE).
import { accessSync, constants, fstatSync, statSync, type Stats } from 'node:fs';
import { isatty } from 'node:tty';
import { flushLogsSync, type Logger } from '../common/log.js';
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
  env: Readonly<Record<string, string | undefined>>;
  rlimits: readonly RlimitSetting[];
}

const SIG_SETMASK = 2;

type ProcessWithExecve = NodeJS.Process & {
  execve?: (file: string, args: string[], env: Record<string, string>) => never;
};

function prepareProcess(lib: Libc, rlimits: readonly RlimitSetting[], log: Logger): void {
  for (const limit of rlimits) {
    const rlim = new BigUint64Array(2);
    lib.getrlimit(RLIMIT[limit.resource], rlim);
    const soft = BigInt(limit.bytes);
    rlim[0] = rlim[1]! < soft ? rlim[1]! : soft;
    if (lib.setrlimit(RLIMIT[limit.resource], rlim) !== 0)
      log.warn({ event: 'rlimit_failed', resource: limit.resource }, `could not set ${limit.resource}`);
  }
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

/** Replaces memshim by the command; returns only when that failed, with the exit code (127/126) to exit with. */
export async function execCommand(options: ExecOptions, log: Logger): Promise<number> {
  // String(): a numeric word after `--` can arrive as a number (yargs); koffi would read it as an address.
  const argv = options.argv.map(String);
  const command = argv[0] ?? '';
  const lib = libc();
  const nodeExecve = (process as ProcessWithExecve).execve;
  if (!lib && !nodeExecve) {
    log.error(
      { event: 'exec_failed', command },
      `--exec needs koffi on this Node (${koffiFailure() ?? 'not loaded'}) or Node >= 22.15`,
    );
    return EXIT.CANNOT_EXECUTE;
  }
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
  if (lib) prepareProcess(lib, options.rlimits, log);
  else if (options.rlimits.length > 0)
    log.warn(
      { event: 'rlimit_failed' },
      `no koffi (${koffiFailure() ?? 'libc.so.6 not loadable'}): the rlimits of the plan are not set`,
    );
  // PATH searched here, as posix_spawnp does it: no fallback to /bin/sh for a file that is not a program
  // (execvp's), so ENOEXEC is 126 in both modes.
  const found = resolveOnPath(command, process.env.PATH);
  let errno = 'errno' in found ? found.errno : 0;
  if ('file' in found) {
    // What memshim logged must reach stderr before the process is replaced; a stalled pipe gets a second.
    flushLogsSync();
    if (lib) {
      lib.execve(rawWord(found.file), [...rawArgv(argv), null], rawEnvironmentBlock(options.env));
      errno = lib.errno();
    } else {
      // Only without koffi: Node's execve aborts the process when exec fails (checked on Node 24.21), so the
      // usual failures are caught first: missing, a directory, or no permission to execute.
      errno = cannotExecute(found.file);
      if (errno === 0) warnIfChanged(argv, options.env, log);
      if (errno === 0) prepareWithoutLibc();
      if (errno === 0)
        nodeExecve!.call(
          process,
          found.file,
          argv,
          Object.fromEntries(
            Object.entries(options.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
          ),
        );
    }
  }
  const failure = spawnFailure(command, errno);
  log.error({ event: 'exec_failed', command, exitCode: failure.exitCode }, failure.reason);
  return failure.exitCode;
}
