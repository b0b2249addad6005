// The sidecar's view of a process that is not memshim's child (a pod with shareProcessNamespace): find it by its
// command line, read its argv and environment, keep its cgroup reachable after it is gone, and tell how it ended.
// src/commands/sidecar.ts composes these with the limits, the plan and the watch. The command lines scanned for
// --match are never logged: only pids and executable names.
import { openSync, readdirSync, readFileSync } from 'node:fs';
import type { CgroupLocation } from '../cgroup/types.js';
import { exitCodeForSignal } from '../common/exit-codes.js';
import { decodeWaitStatus } from '../common/wait-status.js';
import { readProcStat, type ProcStat } from '../common/proc-stat.js';
import { SIGKILL } from './oom.js';

export function readArgv(procfs: string, pid: number): string[] | null {
  try {
    const raw = readFileSync(`${procfs}/${pid}/cmdline`, 'utf8');
    return raw ? raw.replace(/\0$/, '').split('\0') : null;
  } catch {
    return null;
  }
}

export function readEnviron(procfs: string, pid: number): Record<string, string> {
  try {
    const env: Record<string, string> = {};
    for (const entry of readFileSync(`${procfs}/${pid}/environ`, 'utf8').split('\0')) {
      const at = entry.indexOf('=');
      if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
    }
    return env;
  } catch {
    return {};
  }
}

/** memshim itself and its ancestors: their command lines contain the --match pattern itself. */
function ownLineage(procfs: string): Set<number> {
  const lineage = new Set<number>();
  for (let pid = process.pid; pid > 1 && !lineage.has(pid);) {
    lineage.add(pid);
    pid = readProcStat(procfs, pid)?.ppid ?? 0;
  }
  return lineage;
}

/** The oldest process whose command line (arguments joined by spaces) matches, other than memshim's own lineage. */
export function findProcess(procfs: string, match: RegExp): { pid: number; stat: ProcStat; candidates: number } | null {
  const skip = ownLineage(procfs);
  let best: { pid: number; stat: ProcStat } | null = null;
  let candidates = 0;
  for (const name of readdirSync(procfs)) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (skip.has(pid)) continue;
    const argv = readArgv(procfs, pid);
    if (!argv || !match.test(argv.join(' '))) continue;
    const stat = readProcStat(procfs, pid);
    if (!stat || stat.state === 'Z') continue;
    candidates++;
    if (!best || stat.startTime < best.stat.startTime) best = { pid, stat };
  }
  return best ? { ...best, candidates } : null;
}

/**
 * Paths under /proc/N/root vanish with process N, exactly when its OOM-kill counter must be read. An open directory
 * fd keeps the cgroup directory reachable (as /proc/self/fd/FD) after the process is gone.
 */
export function pinCgroupDirs(location: CgroupLocation, procfs: string, pid: number): CgroupLocation {
  const theirs = `${procfs}/${pid}/root/`;
  const pin = (dir: string | null | undefined): string | null => {
    if (!dir || !dir.startsWith(theirs)) return dir ?? null;
    try {
      return `/proc/self/fd/${openSync(dir, 'r')}`;
    } catch {
      return dir;
    }
  };
  return {
    ...location,
    memoryPath: pin(location.memoryPath),
    cpuPath: pin(location.cpuPath),
    cpuacctPath: pin(location.cpuacctPath),
  };
}

/** How a process that is not memshim's child ended, as far as can be told. */
export function describeEnd(oomKilled: boolean, zombie: ProcStat | null): { code: number; how: string } {
  if (oomKilled) return { code: exitCodeForSignal(SIGKILL), how: 'OOM-killed by the kernel' };
  const status = zombie?.exitStatus ?? null;
  if (status === null) return { code: 0, how: 'gone (its exit status is for its parent to see)' };
  const { code, signal } = decodeWaitStatus(status);
  return signal !== null
    ? { code: exitCodeForSignal(signal), how: `killed by signal ${signal}` }
    : { code: code ?? 0, how: `exited with ${code ?? 0}` };
}
