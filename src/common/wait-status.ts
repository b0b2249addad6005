// A wait status (waitpid's, or the exit_code field of /proc/PID/stat) as the exit code, the signal that killed
// the process, or the signal that stopped it. Linux's encoding (<sys/wait.h>). Pure.

export interface WaitStatus {
  /** Exit code when the process exited, else null. */
  code: number | null;
  /** The signal that killed it (or, when stopped, that stopped it), else null. */
  signal: number | null;
  /** A stop (WUNTRACED), not an end. */
  stopped: boolean;
}

export function decodeWaitStatus(status: number): WaitStatus {
  if (isStopStatus(status)) return { code: null, signal: (status >> 8) & 0xff, stopped: true };
  const { code, signal } = endedProcess(0, status);
  return { code, signal, stopped: false };
}

/** A wait status that reports a stop (WUNTRACED), not an end. */
export function isStopStatus(status: number): boolean {
  return (status & 0x7f) === 0x7f;
}

/** A process that ended, from its wait status (not a stop), in one object: the reap loop's form, allocating no other. */
export function endedProcess(pid: number, status: number): { pid: number; code: number | null; signal: number | null } {
  const low = status & 0x7f;
  return low === 0 ? { pid, code: (status >> 8) & 0xff, signal: null } : { pid, code: null, signal: low };
}
