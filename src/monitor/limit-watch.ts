// In-place resize, the acting part: at every monitor reading, re-read memory.max, memory.high and cpu.max (v1:
// memory.limit_in_bytes and cpu.cfs_quota_us; v1 has no memory.high) over the cgroup and its ancestors; on a
// change, log `limits_changed` (old -> new, what cannot follow) and a `risk` when the runtime now has more than
// the limit, and update the shared Limits in place, so the thresholds, the OOM advice, /status and /metrics all
// use the new values. A handful of small reads per interval, the same files the start read.
import type { Logger } from '../common/log.js';
import type { CgroupLocation, Limits } from '../cgroup/types.js';
import type { Plan } from '../runtimes/types.js';
import { FileReader, readCgroupCpu, readCgroupMemory } from '../cgroup/limits.js';
import { heapSetting } from '../runtimes/settings.js';
import { diffLimits, judgeChange, type LimitChange, type LiveLimits } from './limit-change.js';

/** Variables memshim sets from the CPU limit: fixed at start like the heap. */
const CPU_VARIABLES = [
  'GOMAXPROCS',
  'UV_THREADPOOL_SIZE',
  'DOTNET_PROCESSOR_COUNT',
  'WEB_CONCURRENCY',
  'OMP_NUM_THREADS',
];

/** The limits a resize changes, read now (effective: the smallest over the ancestors; memory clamped to the host). */
export function readLiveLimits(location: CgroupLocation, hostMemoryBytes: number): LiveLimits {
  const reader = new FileReader([]);
  const memory = readCgroupMemory(reader, location);
  const cpu = readCgroupCpu(reader, location);
  return {
    memoryMaxBytes: memory.limit !== null && memory.limit.value < hostMemoryBytes ? memory.limit.value : null,
    memoryHighBytes: memory.high !== null && memory.high.value < hostMemoryBytes ? memory.high.value : null,
    cpus: cpu.quota?.value ?? null,
  };
}

export interface LimitWatchOptions {
  location: CgroupLocation;
  /** Shared with the monitor, the OOM watch and the health snapshot: updated in place on a change. */
  limits: Limits;
  plan: Plan | null;
  log: Logger;
  /** Told the new memory limit (the monitor's thresholds, the run record). */
  onChange?: (limits: Limits, changes: LimitChange[]) => void;
}

export class LimitWatch {
  private readonly options: LimitWatchOptions;
  /**
   * What the last check read; null before the first, which only takes it: the monitor's first reading comes in the
   * same tick as this watch is made (health/watch.ts), so reading here too would read every file twice per start.
   */
  private last: LiveLimits | null = null;
  /** Changes seen so far, per limit (memshim_limit_changes_total). */
  readonly changes = new Map<LimitChange['limit'], number>();

  constructor(options: LimitWatchOptions) {
    this.options = options;
  }

  /** Re-read; on a change, log it and update the limits. Returns the changes (none: []). Never throws. */
  check(workingSetBytes: number | null): LimitChange[] {
    const { location, limits, plan, log } = this.options;
    if (location.version === null) return [];
    let now: LiveLimits;
    try {
      now = readLiveLimits(location, limits.hostMemoryBytes);
    } catch {
      return [];
    }
    if (this.last === null) {
      this.last = now;
      return [];
    }
    const changes = diffLimits(this.last, now, location.version);
    if (changes.length === 0) return changes;
    this.last = now;
    for (const change of changes) this.changes.set(change.limit, (this.changes.get(change.limit) ?? 0) + 1);
    const before = { memoryBytes: limits.memoryBytes, memoryHighBytes: limits.memoryHighBytes, cpus: limits.cpus };
    // --memory / --cpus were chosen by the user: they stay what memshim plans with; the cgroup's change is still told.
    if (limits.memorySource !== 'option') {
      limits.memoryBytes = now.memoryMaxBytes ?? limits.hostMemoryBytes;
      limits.memorySource = now.memoryMaxBytes === null ? 'host' : 'cgroup';
    }
    limits.memoryHighBytes = now.memoryHighBytes;
    if (limits.cpuSource !== 'option' && limits.cpuSource !== 'cpuset') {
      limits.cpus = now.cpus;
      limits.cpuSource = now.cpus === null ? null : 'cgroup';
    }
    const runtime = plan?.runtime ?? 'generic';
    const verdict = judgeChange(changes, {
      runtime,
      heap: plan ? heapSetting(plan) : null,
      cpuSettings: plan ? CPU_VARIABLES.filter((name) => name in plan.env) : [],
      workingSetBytes,
      effectiveMemoryBytes: limits.memoryBytes,
    });
    log.warn(
      {
        event: 'limits_changed',
        changes: changes.map((c) => ({ limit: c.limit, file: c.file, from: c.from, to: c.to })),
        memoryBytes: limits.memoryBytes,
        previousMemoryBytes: before.memoryBytes,
        memoryHighBytes: limits.memoryHighBytes,
        cpus: limits.cpus,
        previousCpus: before.cpus,
        cannotFollow: verdict.cannotFollow,
      },
      `limits changed: ${verdict.summary}${verdict.cannotFollow ? `; ${verdict.cannotFollow}` : ''}`,
    );
    if (verdict.risk)
      log.error({ event: 'risk', code: 'LIMIT_BELOW_RUNTIME', memoryBytes: limits.memoryBytes }, verdict.risk);
    this.options.onChange?.(limits, changes);
    return changes;
  }
}
