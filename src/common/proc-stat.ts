// /proc/PID/stat, read by the sidecar (is it still the same process? how did it end?) and by the supervisor
// without koffi (is anything of the child's process group left?).
import { readFileSync } from 'node:fs';

/** What /proc/N/stat says: enough to tell the process from a later one with the same pid, and a zombie's status. */
export interface ProcStat {
  comm: string;
  state: string;
  ppid: number;
  pgrp: number;
  /** Clock ticks after boot: with the pid, the identity of a process. */
  startTime: number;
  /** The wait status (a zombie's exit code and signal), field 52; null on old kernels. */
  exitStatus: number | null;
}

export function parseProcStat(text: string): ProcStat | null {
  // comm may hold spaces and parentheses: it ends at the LAST ')'.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const startTime = Number(rest[19]);
  if (!rest[0] || !Number.isFinite(startTime)) return null;
  const exitStatus = rest[49] === undefined ? null : Number(rest[49]);
  return {
    comm: text.slice(open + 1, close),
    state: rest[0],
    ppid: Number(rest[1]),
    pgrp: Number(rest[2]),
    startTime,
    exitStatus: Number.isFinite(exitStatus) ? exitStatus : null,
  };
}

/** The process's stat, or null when it is gone (or unreadable). */
export function readProcStat(procfs: string, pid: number | string): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`${procfs}/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}
