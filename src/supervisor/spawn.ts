// Starts the main child with posix_spawnp through koffi, never node:child_process: libuv then knows no
// child, so no wait of memshim's ever races one of libuv's (see reaper.ts). The child gets memshim's fds 0-2
// as they are (no pipes), its own process group, an empty signal mask and default dispositions, and the
// terminal's foreground when memshim held it.
import { statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import { EACCES, ENOENT, ENOEXEC, ENOTDIR, ETXTBSY } from '../common/errno.js';
import { EXIT } from '../common/exit-codes.js';
import { OPAQUE_BYTES, restoreBlockingStdio, SPAWN, type Libc } from '../native/libc.js';
import { rawArgv, rawEnvironmentBlock, rawWord } from './raw-bytes.js';
import type { SpawnResult } from './process-control.js';

// argv is mapped through String(): a numeric word after `--` can reach here as a number (yargs), and koffi
// would take a number for an address.
export interface SpawnRequest {
  /** Looked up on memshim's own PATH (as a shell would) unless it holds a slash. */
  file: string;
  argv: readonly string[];
  /** The name failures are reported under. */
  command: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Variables of env that carry the bytes of another variable of memshim's (raw-bytes.ts). */
  carried?: Readonly<Record<string, string>>;
}

/** libuv's table has no text for these two exec errors. */
const EXEC_ERRORS: Record<number, string> = { [ENOEXEC]: 'exec format error', [ETXTBSY]: 'text file busy' };

/**
 * posix_spawn's error number -> memshim's exit code and one line (127: not found; 126: cannot execute). `path`:
 * the PATH the command was looked up on.
 */
export function spawnFailure(
  command: string,
  errno: number,
  path: string | undefined,
): { exitCode: number; reason: string } {
  const description = EXEC_ERRORS[errno] ?? getSystemErrorMap().get(-errno)?.[1] ?? `error ${errno}`;
  if (errno === ENOENT || errno === ENOTDIR)
    return { exitCode: EXIT.NOT_FOUND, reason: `${command}: command not found (${description})` };
  // exec gives EACCES for a directory too; "permission denied" would send the user to chmod.
  if (errno === EACCES && isDirectory(command, path))
    return { exitCode: EXIT.CANNOT_EXECUTE, reason: `${command}: cannot execute (is a directory)` };
  return { exitCode: EXIT.CANNOT_EXECUTE, reason: `${command}: cannot execute (${description})` };
}

/** The command names a directory: as given when it holds a slash, else the first match on PATH. */
function isDirectory(command: string, path: string | undefined): boolean {
  const candidates = command.includes('/')
    ? [command]
    : (path ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      return statSync(candidate).isDirectory();
    } catch {
      // not there: the next one
    }
  }
  return false;
}

/** True when fd 0 is a terminal whose foreground group is memshim's: the child then takes the foreground. */
function holdsForeground(lib: Libc): boolean {
  return lib.isatty(0) === 1 && lib.tcgetpgrp(0) === lib.getpgrp();
}

/** `around` runs the posix_spawnp call alone (oom-score.ts raises memshim's score just for it). */
export function spawnChild(
  lib: Libc,
  request: SpawnRequest,
  around: (spawn: () => number) => number = (spawn) => spawn(),
): SpawnResult {
  const { command } = request;
  const attr = Buffer.alloc(OPAQUE_BYTES.spawnattr);
  const actions = Buffer.alloc(OPAQUE_BYTES.fileActions);
  const empty = Buffer.alloc(OPAQUE_BYTES.sigset);
  const all = Buffer.alloc(OPAQUE_BYTES.sigset);
  lib.posix_spawnattr_init(attr);
  lib.posix_spawn_file_actions_init(actions);
  try {
    lib.sigemptyset(empty);
    lib.sigfillset(all);
    // sigfillset leaves out glibc's internal 32 and 33, and glibc's spawn then sets them to SIG_IGN in the
    // child (exec keeps that). Their bits set by hand: the child gets them at SIG_DFL like every other.
    all.writeUInt8(all.readUInt8(3) | 0x80, 3);
    all.writeUInt8(all.readUInt8(4) | 0x01, 4);
    lib.posix_spawnattr_setflags(attr, SPAWN.SETPGROUP | SPAWN.SETSIGMASK | SPAWN.SETSIGDEF);
    lib.posix_spawnattr_setpgroup(attr, 0);
    lib.posix_spawnattr_setsigmask(attr, empty);
    lib.posix_spawnattr_setsigdefault(attr, all);
    // Node marks fds 0-2 close-on-exec; dup2 onto themselves clears that in the child only.
    for (const fd of [0, 1, 2]) lib.posix_spawn_file_actions_adddup2(actions, fd, fd);
    // O_NONBLOCK lives in the open file, shared with the child: libuv sets it on a pipe memshim touched
    // (process.stdout), and a child that writes a lot would get EAGAIN. memshim itself writes synchronously.
    restoreBlockingStdio(lib);
    const foreground = holdsForeground(lib);
    // In the child, before exec: no window in which the child reads the terminal from a background group.
    const inChild =
      foreground &&
      lib.posix_spawn_file_actions_addtcsetpgrp_np !== null &&
      lib.posix_spawn_file_actions_addtcsetpgrp_np(actions, 0) === 0;
    const pid = [0];
    // As memshim was given them, byte for byte (raw-bytes.ts).
    const argv = [...rawArgv(request.argv), null];
    const envp = rawEnvironmentBlock(request.env, request.carried);
    const file = rawWord(request.file);
    const error = around(() => lib.posix_spawnp(pid, file, actions, attr, argv, envp));
    if (error !== 0) return { ok: false, ...spawnFailure(command, error, request.env.PATH) };
    const childPid = pid[0]!;
    // glibc without addtcsetpgrp_np: hand the terminal over from here, at once.
    if (foreground && !inChild) lib.tcsetpgrp(0, childPid);
    return { ok: true, pid: childPid, foreground };
  } finally {
    lib.posix_spawn_file_actions_destroy(actions);
    lib.posix_spawnattr_destroy(attr);
  }
}
