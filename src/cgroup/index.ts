// The container's real limits: where its cgroup is, the smallest memory and CPU limits over it and its ancestors,
// clamped to the host; --memory / --cpus override. Never throws and never stops a container from starting: every
// odd file is a warning, and the host's memory and CPUs are the fallback.
import type { CgroupLocation, Limits, ReaderConfig, ReadWarning } from './types.js';
import { locateCgroup, NO_LOCATION } from './locate.js';
import { FileReader, liveLimits, readCgroupCpu, readCgroupMemory, type Smallest } from './limits.js';
import { hostCpuCount, readAffinity, readHostMemory } from './host.js';

export { locateCgroup } from './locate.js';
export { readMemoryUsage, readCpuUsage } from './usage.js';

export async function readLimits(config: ReaderConfig, pid: number | 'self' = 'self'): Promise<Limits> {
  const warnings: ReadWarning[] = [];
  let location: CgroupLocation = { ...NO_LOCATION };
  let found: Omit<Limits, 'cgroup' | 'hostMemoryBytes' | 'hostCpus' | 'warnings'> | null = null;
  const hostCpus = hostCpuCount();
  let hostMemoryBytes = 0;
  try {
    hostMemoryBytes = await readHostMemory(config.procfs, warnings);
    location = locateCgroup(config.procfs, config.sysfs, pid, warnings);
    found = effectiveLimits(config, pid, location, hostMemoryBytes, hostCpus, warnings);
  } catch (error) {
    // Not expected (every read is guarded), but a reader bug must not keep the container from starting.
    warnings.push({
      file: config.procfs,
      message: `reading the cgroup failed: ${(error as Error).message}`,
      fallback: "the host's memory and CPUs are the limits",
    });
  }
  if (hostMemoryBytes <= 0) hostMemoryBytes = (await import('node:os')).totalmem();
  found ??= {
    memoryBytes: hostMemoryBytes,
    memorySource: 'host',
    memoryLimitFrom: null,
    memoryHighBytes: null,
    memorySoftLimitBytes: null,
    swapBytes: null,
    cpus: null,
    cpuSource: null,
    cpuLimitFrom: null,
    cpuShares: null,
    cpuWeight: null,
    affinityCpus: hostCpus,
  };
  if (config.memoryOverride !== null) {
    Object.assign(found, { memoryBytes: config.memoryOverride, memorySource: 'option', memoryLimitFrom: null });
    if (config.memoryOverride > hostMemoryBytes) {
      warnings.push({
        file: '--memory',
        message: `${config.memoryOverride} bytes is more than this host's memory (${hostMemoryBytes} bytes)`,
        fallback: 'planned with it as given',
      });
    }
  }
  if (config.cpusOverride !== null) {
    Object.assign(found, { cpus: config.cpusOverride, cpuSource: 'option', cpuLimitFrom: null });
    if (config.cpusOverride > hostCpus) {
      warnings.push({
        file: '--cpus',
        message: `${config.cpusOverride} CPUs is more than this host's ${hostCpus} CPUs`,
        fallback: 'planned with it as given: thread pools and GC threads are sized for it',
      });
    }
  }
  return { cgroup: location, ...found, hostMemoryBytes, hostCpus, warnings };
}

function effectiveLimits(
  config: ReaderConfig,
  pid: number | 'self',
  location: CgroupLocation,
  hostMemoryBytes: number,
  hostCpus: number,
  warnings: ReadWarning[],
) {
  const reader = new FileReader(warnings);
  const memory = readCgroupMemory(reader, location);
  const cpu = readCgroupCpu(reader, location);
  const affinity = readAffinity(config.procfs, pid, warnings);

  // A limit at or above the host's memory limits nothing: the host is the ceiling.
  const live = liveLimits(memory, cpu.quota, hostMemoryBytes);
  const memoryLimit = live.memoryMaxBytes !== null ? memory.limit : null;

  // The CPUs it may run on (cpuset and affinity, the smaller), and the quota: whichever is smaller is the limit.
  let bound: Smallest | null =
    cpu.cpusetCpus !== null && cpu.cpusetFrom !== null ? { value: cpu.cpusetCpus, from: cpu.cpusetFrom } : null;
  if (affinity !== null && (bound === null || affinity.cpus < bound.value))
    bound = { value: affinity.cpus, from: affinity.from };
  let cpus: number | null = null;
  let cpuSource: Limits['cpuSource'] = null;
  let cpuLimitFrom: string | null = null;
  if (cpu.quota !== null && (bound === null || cpu.quota.value <= bound.value)) {
    ({ value: cpus, from: cpuLimitFrom } = cpu.quota);
    cpuSource = 'cgroup';
  } else if (bound !== null && (cpu.quota !== null || bound.value < hostCpus)) {
    ({ value: cpus, from: cpuLimitFrom } = bound);
    cpuSource = 'cpuset';
  }

  return {
    memoryBytes: memoryLimit?.value ?? hostMemoryBytes,
    memorySource: memoryLimit ? ('cgroup' as const) : ('host' as const),
    memoryLimitFrom: memoryLimit?.from ?? null,
    memoryHighBytes: live.memoryHighBytes,
    memorySoftLimitBytes:
      memory.softLimit !== null && memory.softLimit.value < hostMemoryBytes ? memory.softLimit.value : null,
    swapBytes: memory.swapBytes,
    cpus,
    cpuSource,
    cpuLimitFrom,
    cpuShares: cpu.shares,
    cpuWeight: cpu.weight,
    affinityCpus: bound?.value ?? hostCpus,
    live,
  };
}
