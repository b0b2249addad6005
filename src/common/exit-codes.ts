// memshim's own exit codes. Everything else is the child's: its code, or 128+N when signal N killed it.
export const EXIT = {
  /** Usage error: bad flag, bad quantity, no command. One line on stderr. */
  USAGE: 2,
  /** The command exists but cannot be executed (EACCES, ENOEXEC, a directory). */
  CANNOT_EXECUTE: 126,
  /** The command was not found (ENOENT, not on PATH). */
  NOT_FOUND: 127,
  /** 128 + SIGKILL: also what memshim exits with when the kernel OOM-killed the main child. */
  OOM_KILLED: 137,
  /** `memshim status --check`: the child is down or memory is at or above 95% of the limit. */
  UNHEALTHY: 1,
} as const;

export function exitCodeForSignal(signal: number): number {
  return 128 + signal;
}
