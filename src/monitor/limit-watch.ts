// In-place resize, the acting part: at every monitor reading, re-read memory.max, memory.high and cpu.max (v1:
// memory.limit_in_bytes and cpu.cfs_quota_us; v1 has no memory.high) over the cgroup and its ancestors; on a
// change, log `limits_changed` (old -> new, what cannot follow) and a `risk` when the runtime now has more than
// the limit, and update the shared Limits in place, so the thresholds, the OOM advice, /status and /metrics all
// use the new values. A handful of small reads per interval: only the files that say those three limits.
import type { Logger } from '../common/log.js';
import type { CgroupLocation, Limits, LiveLimits } from '../cgroup/types.js';
import type { Plan } from '../runtimes/types.js';
import { readLiveLimits } from '../cgroup/limits.js';
import { heapSetting } from '../runtimes/settings.js';
import { diffLimits, judgeChange, type LimitChange } from './limit-change.js';

/** Variables memshim sets from the CPU limit: fixed at start like the heap. */
const CPU_VARIABLES = [
  'GOMAXPROCS',
  'UV_THREADPOOL_SIZE',
  'DOTNET_PROCESSOR_COUNT',
  'WEB_CONCURRENCY',
  'OMP_NUM_THREADS',
];

export interface LimitWatchOptions {
  location: CgroupLocation;
  /** Shared with the monitor, the OOM watch and the health snapshot: updated in place on a change. */
  limits: Limits;
  plan: Plan | null;
  log: Logger;
  /** Told the new memory limit (the monitor's thresholds, the run record). */
  onChange?: (limits: Limits, changes: LimitChange[]) => void;
  /**
   * What the start read from this same cgroup (Limits.live): the first check, in the same tick as the start (the
   * monitor's first reading), then reads nothing, and a resize during the start is told at the next reading.
   * Without it the first check reads and only takes what it read.
   */
  baseline?: LiveLimits;
}

export class LimitWatch {
  private readonly options: LimitWatchOptions;
  /**
   * What the last check read (or the start, options.baseline); null before the first check, which then only takes
   * it. Never read at construction: the monitor's first reading comes in the same tick (health/watch.ts).
   */
  private last: LiveLimits | null;
  /** The start's reading is this tick's: the first check has nothing newer to compare. */
  private skipFirst: boolean;
  /** Changes seen so far, per limit (memshim_limit_changes_total). */
  readonly changes = new Map<LimitChange['limit'], number>();

  constructor(options: LimitWatchOptions) {
    this.options = options;
    this.last = options.baseline ?? null;
    this.skipFirst = options.baseline !== undefined;
  }

  /** Re-read; on a change, log it and update the limits. Returns the changes (none: []). Never throws. */
  check(workingSetBytes: number | null): LimitChange[] {
    const { location, limits, plan, log } = this.options;
    if (location.version === null) return [];
    if (this.skipFirst) {
      this.skipFirst = false;
      return [];
    }
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
