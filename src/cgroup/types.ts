// The shapes every other part of memshim reads the system through. Produced by src/cgroup/, consumed by
// src/runtimes/ (planning), src/monitor/ and src/health/ (watching). Byte counts are plain numbers: every
// real limit fits in 2^53, and the unlimited sentinels are turned into null before they get here.

/** Where and how to read the limits (built by src/cli.ts from the command line and MEMSHIM_* variables). */
export interface ReaderConfig {
  /** Root of /proc: a captured tree for fixtures, /proc/N/root/proc for the sidecar. */
  procfs: string;
  /** Root of /sys: mount points under /sys resolve under it. */
  sysfs: string;
  /** --memory / MEMSHIM_MEMORY, in bytes. */
  memoryOverride: number | null;
  /** --cpus / MEMSHIM_CPUS. */
  cpusOverride: number | null;
}

/** A problem with one file: which file, what was wrong, what memshim did instead. Never fatal. */
export interface ReadWarning {
  file: string;
  message: string;
  fallback: string;
}

export type CgroupVersion = 1 | 2;

/** Where this process sits: one directory per controller, already resolved to a real path on disk. */
export interface CgroupLocation {
  /** 2 on a pure v2 host (or when memory is a v2 controller), 1 when memory/cpu are v1 controllers. */
  version: CgroupVersion | null;
  /** Absolute directory of the memory controller for this process (under --sysfs), or null. */
  memoryPath: string | null;
  /** Absolute directory of the cpu controller (v1 `cpu` or `cpu,cpuacct`; v2 the unified dir), or null. */
  cpuPath: string | null;
  /** Absolute directory of the cpuset controller, or null. */
  cpusetPath: string | null;
  /** Mount point of the memory controller: ancestors are walked up to here and no further. */
  memoryMountRoot: string | null;
  cpuMountRoot: string | null;
  cpusetMountRoot: string | null;
  /** v1 only: the cpuacct directory (cpuacct.usage), the same as cpuPath when mounted as `cpu,cpuacct`. */
  cpuacctPath?: string | null;
}

export type MemorySource = 'cgroup' | 'host' | 'option';
export type CpuSource = 'cgroup' | 'cpuset' | 'option' | null;

/** The effective limits memshim plans with. */
export interface Limits {
  cgroup: CgroupLocation;
  /** The ceiling used for planning: the cgroup limit, the --memory option, or the host's memory. */
  memoryBytes: number;
  memorySource: MemorySource;
  /** The directory whose file set the effective memory limit (the leaf or an ancestor), when from a cgroup. */
  memoryLimitFrom: string | null;
  /** v2 memory.high, smallest over the ancestors: reclaimed and throttled above it. null when unset (and on v1). */
  memoryHighBytes: number | null;
  /**
   * v1 memory.soft_limit_in_bytes (Docker's --memory-reservation), smallest over the ancestors: only a target the
   * kernel reclaims the cgroup down to when the HOST runs short of memory; nothing is throttled above it. null
   * when unset (and on v2).
   */
  memorySoftLimitBytes: number | null;
  /** Swap the cgroup may use on top of memoryBytes: 0 forbids swap; null means unknown or unlimited. */
  swapBytes: number | null;
  /** Effective CPU limit (quota/period or cpuset count, whichever smaller, or --cpus); null: only the host bounds it. */
  cpus: number | null;
  cpuSource: CpuSource;
  cpuLimitFrom: string | null;
  /** v1 cpu.shares or v2 cpu.weight of the leaf: reported, never a limit. */
  cpuShares: number | null;
  cpuWeight: number | null;
  /** CPUs this process may run on (cpuset / affinity). */
  affinityCpus: number;
  hostMemoryBytes: number;
  hostCpus: number;
  warnings: ReadWarning[];
  /**
   * The limits an in-place resize changes, as the start read them from the cgroup (never an option's value): what
   * the limit watch (monitor/limit-watch.ts) compares its first reading with. Absent where no cgroup was read.
   */
  live?: LiveLimits;
}

/** The limits a resize can change, as the cgroup says them (null: unlimited / not set, or at least the host's). */
export interface LiveLimits {
  memoryMaxBytes: number | null;
  memoryHighBytes: number | null;
  cpus: number | null;
}

/** Pressure stall information, one line (`some` or `full`) of memory.pressure. */
export interface PsiLine {
  avg10: number;
  avg60: number;
  avg300: number;
  /** Microseconds stalled since boot. */
  total: number;
}

/** A snapshot of memory use, read cheaply and often by the monitor. */
export interface MemoryUsage {
  usageBytes: number | null;
  /** usage minus inactive_file: what the kubelet evicts on. */
  workingSetBytes: number | null;
  peakBytes: number | null;
  /** v2 memory.events oom_kill; v1 memory.oom_control oom_kill. null when the kernel does not say. */
  oomKills: number | null;
  /** Every memory.events counter (v2; v1: oom_kill from memory.oom_control, max from memory.failcnt). */
  events: MemoryEvents;
  psiSome: PsiLine | null;
  psiFull: PsiLine | null;
}

/**
 * v2 memory.events, hierarchical (this cgroup and below): low, high (times over memory.high, throttled), max (times
 * at memory.max, reclaiming), oom (times the OOM killer was invoked), oom_kill (processes killed), oom_group_kill
 * (whole-group kills under memory.oom.group=1, kernel 5.17+). null where the kernel does not say.
 */
export interface MemoryEvents {
  low: number | null;
  high: number | null;
  max: number | null;
  oom: number | null;
  oomKill: number | null;
  oomGroupKill: number | null;
}

/** CPU throttling counters from cpu.stat. */
export interface CpuUsage {
  periods: number | null;
  throttledPeriods: number | null;
  throttledSeconds: number | null;
  usageSeconds: number | null;
}
