// The effective limits of a located cgroup: the smallest over the cgroup and each ancestor up to the mount
// point (a limit set on a parent binds the child as hard as its own), for memory, memory.high / soft limit,
// swap and the CFS quota; plus the cpuset and the shares/weight (reported, not limits). Every file that is
// missing, unreadable or malformed becomes a warning naming it and what was done instead.
import { join } from 'node:path';
import type { CgroupLocation, LiveLimits, ReadWarning } from './types.js';
import { ancestors } from './locate.js';
import { fileIn, readFileText } from './files.js';
import { countCpuList, keyValue, parseCfsQuota, parseCpuMax, parseLimit, parseUint, type LimitValue } from './parse.js';

/** The kernel's default CFS period, assumed when cpu.max gives no period. */
const DEFAULT_PERIOD_US = 100_000;

/** The smallest value found, and the directory whose file said it. */
export interface Smallest {
  value: number;
  from: string;
}

export interface CgroupMemory {
  limit: Smallest | null;
  high: Smallest | null;
  /** v1 only: memory.soft_limit_in_bytes, a reclaim target under host pressure (not v2's memory.high). */
  softLimit: Smallest | null;
  /** Swap on top of the memory limit; null: unlimited or not accounted. */
  swapBytes: number | null;
}

export interface CgroupCpu {
  quota: Smallest | null;
  shares: number | null;
  weight: number | null;
  /** CPUs in the cgroup's cpuset; null when there is no cpuset to read. */
  cpusetCpus: number | null;
  cpusetFrom: string | null;
}

/** Reads files and keeps the warnings. Missing files at the mount point are expected (a v2 root has no memory.max). */
export class FileReader {
  readonly warnings: ReadWarning[];

  constructor(warnings: ReadWarning[]) {
    this.warnings = warnings;
  }

  warn(file: string, message: string, fallback: string): void {
    this.warnings.push({ file, message, fallback });
  }

  /** The text, or null after a warning (none for a missing file when `quietIfMissing`). */
  text(file: string, fallback: string, quietIfMissing = false): string | null {
    const result = readFileText(file);
    if (result.ok) return result.text;
    if (!(result.missing && quietIfMissing)) this.warn(file, result.reason, fallback);
    return null;
  }

  /** Parse a file's text; null after a warning when the parser does not understand it. */
  parsed<T>(file: string, parse: (text: string) => T | null, fallback: string, quietIfMissing = false): T | null {
    const text = this.text(file, fallback, quietIfMissing);
    if (text === null) return null;
    const value = parse(text);
    if (value === null) this.warn(file, `malformed: ${JSON.stringify(text.trim().slice(0, 60))}`, fallback);
    return value;
  }
}

function smaller(current: Smallest | null, value: number, from: string): Smallest {
  return current === null || value < current.value ? { value, from } : current;
}

const LEVEL_UNLIMITED = 'this level is taken as unlimited';

interface WalkOptions {
  /** No warning for a missing file (files that exist only with a kernel option: memsw, swap). */
  quiet?: boolean;
  /** What 0 means: a real allowance (swap), a bogus limit no process could run under (warn), or nothing (v1 soft limit). */
  zero?: 'keep' | 'warn' | 'ignore';
}

/** Directories levelsOf() remembers; past it the memory starts again (the sidecar may follow many). */
const KEPT_LEVELS = 64;
const LEVELS = new Map<string, { mountRoot: string | null; levels: readonly string[] }>();

/** ancestors(dir, mountRoot), worked out once per directory: the limit watch walks the same levels at every reading. */
function levelsOf(dir: string, mountRoot: string | null): readonly string[] {
  const kept = LEVELS.get(dir);
  if (kept !== undefined && kept.mountRoot === mountRoot) return kept.levels;
  if (LEVELS.size >= KEPT_LEVELS) LEVELS.clear();
  const levels = ancestors(dir, mountRoot);
  LEVELS.set(dir, { mountRoot, levels });
  return levels;
}

/** Smallest limit in `fileName` over dir and its ancestors. A missing file is always quiet at the mount point. */
function smallestOverAncestors(
  reader: FileReader,
  dir: string,
  mountRoot: string | null,
  fileName: string,
  parse: (text: string) => LimitValue | null,
  options: WalkOptions = {},
): Smallest | null {
  const zero = options.zero ?? 'warn';
  let best: Smallest | null = null;
  for (const level of levelsOf(dir, mountRoot)) {
    const file = fileIn(level, fileName);
    const value = reader.parsed(file, parse, LEVEL_UNLIMITED, options.quiet === true || level === mountRoot);
    if (value?.kind !== 'value') continue;
    if (value.value === 0 && zero !== 'keep') {
      if (zero === 'warn') reader.warn(file, 'a limit of 0', LEVEL_UNLIMITED);
      continue;
    }
    best = smaller(best, value.value, level);
  }
  return best;
}

/**
 * What to read: 'all' at start; 'resizable' for the limit watch, every monitor interval: the limit and memory.high
 * only (what a resize changes), not swap nor the soft limit.
 */
export type MemoryScope = 'all' | 'resizable';

export function readCgroupMemory(
  reader: FileReader,
  location: CgroupLocation,
  scope: MemoryScope = 'all',
): CgroupMemory {
  const dir = location.memoryPath;
  const mountRoot = location.memoryMountRoot;
  if (dir === null) return { limit: null, high: null, softLimit: null, swapBytes: null };
  if (location.version === 2) {
    const swap =
      scope === 'all'
        ? smallestOverAncestors(reader, dir, mountRoot, 'memory.swap.max', parseLimit, { quiet: true, zero: 'keep' })
        : null;
    return {
      limit: smallestOverAncestors(reader, dir, mountRoot, 'memory.max', parseLimit),
      high: smallestOverAncestors(reader, dir, mountRoot, 'memory.high', parseLimit),
      softLimit: null,
      swapBytes: swap?.value ?? null,
    };
  }
  let limit = smallestOverAncestors(reader, dir, mountRoot, 'memory.limit_in_bytes', parseLimit);
  // memory.stat's hierarchical limits include the ancestors above the mount point that cannot be walked (Docker's
  // bind mount shows the container's cgroup as the top).
  const stat = reader.text(fileIn(dir, 'memory.stat'), 'ancestors above the mount point are not considered');
  const hierarchical = parseLimit(
    String((stat === null ? null : keyValue(stat, 'hierarchical_memory_limit')) ?? 'max'),
  );
  if (hierarchical?.kind === 'value' && hierarchical.value > 0 && (limit === null || hierarchical.value < limit.value))
    limit = { value: hierarchical.value, from: dir };
  if (scope === 'resizable') return { limit, high: null, softLimit: null, swapBytes: null };
  // memsw (memory + swap) is there only with swap accounting on; without it the swap allowance is unknown.
  let memsw = smallestOverAncestors(reader, dir, mountRoot, 'memory.memsw.limit_in_bytes', parseLimit, { quiet: true });
  const hierarchicalMemsw = parseLimit(
    String((stat === null ? null : keyValue(stat, 'hierarchical_memsw_limit')) ?? 'max'),
  );
  if (hierarchicalMemsw?.kind === 'value') memsw = smaller(memsw, hierarchicalMemsw.value, dir);
  return {
    limit,
    high: null,
    softLimit: smallestOverAncestors(reader, dir, mountRoot, 'memory.soft_limit_in_bytes', parseLimit, {
      quiet: true,
      zero: 'ignore',
    }),
    swapBytes: memsw === null || limit === null ? null : Math.max(0, memsw.value - limit.value),
  };
}

/** The CFS quota as CPUs, smallest over the cgroup and its ancestors; null for none. */
export function readCpuQuota(reader: FileReader, location: CgroupLocation): Smallest | null {
  const dir = location.cpuPath;
  if (dir === null) return null;
  let quota: Smallest | null = null;
  for (const level of levelsOf(dir, location.cpuMountRoot)) {
    const atMountRoot = level === location.cpuMountRoot;
    const cpus = location.version === 2 ? quotaV2(reader, level, atMountRoot) : quotaV1(reader, level, atMountRoot);
    if (cpus !== null) quota = smaller(quota, cpus, level);
  }
  return quota;
}

export function readCgroupCpu(reader: FileReader, location: CgroupLocation): CgroupCpu {
  const cpu: CgroupCpu = { quota: null, shares: null, weight: null, cpusetCpus: null, cpusetFrom: null };
  const dir = location.cpuPath;
  if (dir !== null) {
    cpu.quota = readCpuQuota(reader, location);
    const weightFile = location.version === 2 ? 'cpu.weight' : 'cpu.shares';
    const weight = reader.parsed(join(dir, weightFile), parseUint, 'not reported', true);
    if (location.version === 2) cpu.weight = weight;
    else cpu.shares = weight;
  }
  if (location.cpusetPath !== null) {
    const names = location.version === 2 ? ['cpuset.cpus.effective'] : ['cpuset.effective_cpus', 'cpuset.cpus'];
    for (const name of names) {
      const file = join(location.cpusetPath, name);
      const count = reader.parsed(file, countCpuList, 'the cpuset is not considered', true);
      if (count !== null) {
        cpu.cpusetCpus = count;
        cpu.cpusetFrom = location.cpusetPath;
        break;
      }
    }
  }
  return cpu;
}

/** The resizable limits from what was read: a limit at or above the host's memory limits nothing. Pure. */
export function liveLimits(
  memory: Pick<CgroupMemory, 'limit' | 'high'>,
  quota: Smallest | null,
  hostMemoryBytes: number,
): LiveLimits {
  return {
    memoryMaxBytes: memory.limit !== null && memory.limit.value < hostMemoryBytes ? memory.limit.value : null,
    memoryHighBytes: memory.high !== null && memory.high.value < hostMemoryBytes ? memory.high.value : null,
    cpus: quota?.value ?? null,
  };
}

/**
 * The resizable limits read now, for the limit watch: the memory limit and memory.high over the ancestors (v1:
 * memory.stat's hierarchical limit too) and the CFS quota; nothing else (swap, the soft limit, shares, the
 * cpuset), since it runs every monitor interval. Warnings are dropped: the start already told them.
 */
export function readLiveLimits(location: CgroupLocation, hostMemoryBytes: number): LiveLimits {
  const reader = new FileReader([]);
  return liveLimits(readCgroupMemory(reader, location, 'resizable'), readCpuQuota(reader, location), hostMemoryBytes);
}

/** One level's v2 cpu.max as CPUs; null for no quota (or a file that cannot say, after a warning). */
function quotaV2(reader: FileReader, dir: string, atMountRoot: boolean): number | null {
  const file = fileIn(dir, 'cpu.max');
  const max = reader.parsed(file, parseCpuMax, LEVEL_UNLIMITED, atMountRoot);
  if (max === null || max.quotaUs === null) return null;
  let period = max.periodUs;
  if (period === null) {
    reader.warn(file, 'one field only, no period', `the default period ${DEFAULT_PERIOD_US} µs is assumed`);
    period = DEFAULT_PERIOD_US;
  }
  return cpusFrom(reader, file, max.quotaUs, period);
}

/** One level's v1 cpu.cfs_quota_us / cpu.cfs_period_us as CPUs; null for no quota. */
function quotaV1(reader: FileReader, dir: string, atMountRoot: boolean): number | null {
  const quotaFile = fileIn(dir, 'cpu.cfs_quota_us');
  const quota = reader.parsed(quotaFile, parseCfsQuota, LEVEL_UNLIMITED, atMountRoot);
  if (quota === null || quota.kind === 'unlimited') return null;
  const periodFile = fileIn(dir, 'cpu.cfs_period_us');
  const period =
    reader.parsed(periodFile, parseUint, `the default period ${DEFAULT_PERIOD_US} µs is assumed`) ?? DEFAULT_PERIOD_US;
  return cpusFrom(reader, periodFile, quota.value, period);
}

function cpusFrom(reader: FileReader, file: string, quotaUs: number, periodUs: number): number | null {
  if (periodUs === 0) {
    reader.warn(file, 'the period is 0', LEVEL_UNLIMITED);
    return null;
  }
  if (quotaUs === 0) {
    reader.warn(file, 'the quota is 0', LEVEL_UNLIMITED);
    return null;
  }
  return quotaUs / periodUs;
}
