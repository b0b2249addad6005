// What the monitor reads every interval: memory use and CPU throttling of one cgroup, v1 or v2. Synchronous and
// cheap (a few small files), never a throw: whatever the kernel does not say (a missing file, a v1 kernel without
// PSI, a process outside any memory cgroup) comes back as null.
import type { CgroupLocation, CpuUsage, MemoryEvents, MemoryUsage } from './types.js';
import { fileIn, readFileText, readTextOrNull } from './files.js';
import { keyValue, parseKeyValues, parsePsi, parseUint } from './parse.js';

const NO_EVENTS: MemoryEvents = { low: null, high: null, max: null, oom: null, oomKill: null, oomGroupKill: null };
const NO_MEMORY: MemoryUsage = {
  usageBytes: null,
  workingSetBytes: null,
  peakBytes: null,
  oomKills: null,
  events: NO_EVENTS,
  psiSome: null,
  psiFull: null,
};

function readUint(path: string): number | null {
  const text = readTextOrNull(path);
  return text === null ? null : parseUint(text);
}

function readKeyValues(path: string): Map<string, number> | null {
  const text = readTextOrNull(path);
  return text === null ? null : parseKeyValues(text);
}

/**
 * Files a kernel does not have, in a cgroup that exists (memory.pressure without PSI and on v1, memory.peak before
 * 5.19): not looked for again at every reading, where each miss costs a failed open and an exception. Only files
 * of a cgroup whose usage file was read: a cgroup that is gone may come back (the sidecar's), its files with it.
 */
const ABSENT = new Set<string>();

/** `path` parsed, or null; a missing one is remembered as absent when `cgroupExists` (its usage file was read). */
function readOptional<T>(path: string, parse: (text: string) => T | null, cgroupExists: boolean): T | null {
  if (ABSENT.has(path)) return null;
  const result = readFileText(path);
  if (result.ok) return parse(result.text);
  if (result.missing && cgroupExists) ABSENT.add(path);
  return null;
}

/** Where the kernel counts OOM kills (and, on v2, the other memory events): memory.events, v1 memory.oom_control. */
function countersFile(dir: string, v2: boolean): string {
  return fileIn(dir, v2 ? 'memory.events' : 'memory.oom_control');
}

/** The OOM kills the kernel counted in this cgroup, or null. */
export function readOomKills(location: CgroupLocation): number | null {
  const dir = location.memoryPath;
  const text = dir === null ? null : readTextOrNull(countersFile(dir, location.version === 2));
  return text === null ? null : keyValue(text, 'oom_kill');
}

export function readMemoryUsage(location: CgroupLocation): MemoryUsage {
  const dir = location.memoryPath;
  if (dir === null) return { ...NO_MEMORY, events: { ...NO_EVENTS } };
  const v2 = location.version === 2;
  const usageBytes = readUint(fileIn(dir, v2 ? 'memory.current' : 'memory.usage_in_bytes'));
  const stat = readTextOrNull(fileIn(dir, 'memory.stat'));
  // v1's inactive_file is this cgroup alone; total_inactive_file includes the children, as usage does.
  const inactiveFile =
    stat === null
      ? null
      : (keyValue(stat, v2 ? 'inactive_file' : 'total_inactive_file') ?? keyValue(stat, 'inactive_file'));
  const exists = usageBytes !== null;
  const peakBytes = readOptional(fileIn(dir, v2 ? 'memory.peak' : 'memory.max_usage_in_bytes'), parseUint, exists);
  // A handful of lines (v2 memory.events, v1 memory.oom_control): the map costs little here.
  const counters = readKeyValues(countersFile(dir, v2));
  const oomKills = counters?.get('oom_kill') ?? null;
  const events: MemoryEvents = v2
    ? {
        low: counters?.get('low') ?? null,
        high: counters?.get('high') ?? null,
        max: counters?.get('max') ?? null,
        oom: counters?.get('oom') ?? null,
        oomKill: oomKills,
        oomGroupKill: counters?.get('oom_group_kill') ?? null,
      }
    : { ...NO_EVENTS, max: readUint(fileIn(dir, 'memory.failcnt')), oomKill: oomKills };
  const psi = readOptional(fileIn(dir, 'memory.pressure'), parsePsi, exists) ?? { some: null, full: null };
  return {
    usageBytes,
    workingSetBytes: usageBytes === null ? null : Math.max(0, usageBytes - (inactiveFile ?? 0)),
    peakBytes,
    oomKills,
    events,
    psiSome: psi.some,
    psiFull: psi.full,
  };
}

export function readCpuUsage(location: CgroupLocation): CpuUsage {
  const dir = location.cpuPath;
  if (dir === null) return { periods: null, throttledPeriods: null, throttledSeconds: null, usageSeconds: null };
  // cpu.stat tells the version by its keys: v1 throttled_time (ns), v2 throttled_usec and usage_usec.
  const stat = readKeyValues(fileIn(dir, 'cpu.stat'));
  const throttledUsec = stat?.get('throttled_usec');
  const throttledNs = stat?.get('throttled_time');
  const usageUsec = stat?.get('usage_usec');
  let usageSeconds: number | null = usageUsec === undefined ? null : usageUsec / 1e6;
  if (usageSeconds === null && location.version !== 2) {
    const usageNs = readUint(fileIn(location.cpuacctPath ?? dir, 'cpuacct.usage'));
    usageSeconds = usageNs === null ? null : usageNs / 1e9;
  }
  return {
    periods: stat?.get('nr_periods') ?? null,
    throttledPeriods: stat?.get('nr_throttled') ?? null,
    throttledSeconds:
      throttledUsec !== undefined ? throttledUsec / 1e6 : throttledNs !== undefined ? throttledNs / 1e9 : null,
    usageSeconds,
  };
}
