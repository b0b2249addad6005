// Live limit changes (Kubernetes in-place pod resize, VPA InPlaceOrRecreate): the cgroup files change under a
// running container; the runtime's settings, chosen at start, do not follow. Pure: two readings of the limits in,
// what changed and what it means out. The I/O (reading the files every monitor interval) is in limit-watch.ts.
import { formatBytes } from '../common/quantity.js';
import type { CgroupVersion, LiveLimits } from '../cgroup/types.js';
import type { RuntimeName } from '../runtimes/types.js';
import type { HeapSetting } from '../runtimes/settings.js';

export type { LiveLimits };

export type LimitName = 'memory.max' | 'memory.high' | 'cpu.max';

export interface LimitChange {
  limit: LimitName;
  /** The file that says it on this cgroup version (v1: memory.limit_in_bytes, ...). */
  file: string;
  from: number | null;
  to: number | null;
}

const FILES: Record<LimitName, Record<CgroupVersion, string>> = {
  'memory.max': { 2: 'memory.max', 1: 'memory.limit_in_bytes' },
  // v1 has no memory.high (its soft limit is a reclaim target, not a throttle: cgroup/limits.ts): read as null there,
  // so this name is never reported on v1.
  'memory.high': { 2: 'memory.high', 1: 'memory.high' },
  'cpu.max': { 2: 'cpu.max', 1: 'cpu.cfs_quota_us' },
};

export function diffLimits(before: LiveLimits, after: LiveLimits, version: CgroupVersion): LimitChange[] {
  const changes: LimitChange[] = [];
  const add = (limit: LimitName, from: number | null, to: number | null) => {
    if (from !== to) changes.push({ limit, file: FILES[limit][version], from, to });
  };
  add('memory.max', before.memoryMaxBytes, after.memoryMaxBytes);
  add('memory.high', before.memoryHighBytes, after.memoryHighBytes);
  add('cpu.max', before.cpus, after.cpus);
  return changes;
}

export function describeChange(change: LimitChange): string {
  const show = (value: number | null) =>
    value === null ? 'unlimited' : change.limit === 'cpu.max' ? `${value} CPU` : formatBytes(value);
  return `${change.file} ${show(change.from)} -> ${show(change.to)}`;
}

export interface ChangeVerdict {
  /** One line: what changed. */
  summary: string;
  /** What memshim set at start that does not follow the change, and what re-tunes it; null when nothing. */
  cannotFollow: string | null;
  /** A risk: the new memory limit is below what the runtime was given (or below the working set); null when none. */
  risk: string | null;
}

export interface ChangeContext {
  runtime: RuntimeName;
  heap: HeapSetting | null;
  /** Variables memshim set from the CPU limit (GOMAXPROCS, UV_THREADPOOL_SIZE, ...), names only. */
  cpuSettings: string[];
  workingSetBytes: number | null;
  /** The memory limit now in effect (the smaller of memory.max and the host), after the change. */
  effectiveMemoryBytes: number;
}

const RESTART =
  'a container restart re-tunes it (resizePolicy restartPolicy: RestartContainer for that resource does it on resize)';

/** What a change means for the runtime memshim tuned at start. */
export function judgeChange(changes: LimitChange[], context: ChangeContext): ChangeVerdict {
  const summary = changes.map(describeChange).join(', ');
  const memory = changes.some((c) => c.limit === 'memory.max');
  const cpu = changes.some((c) => c.limit === 'cpu.max');
  const fixed: string[] = [];
  if (memory && context.heap) fixed.push(`${context.heap.text} (${heapOwner(context.runtime)})`);
  else if (memory && context.runtime !== 'generic') fixed.push(`${heapOwner(context.runtime)}'s heap limit`);
  if (cpu) {
    for (const name of context.cpuSettings)
      fixed.push(
        name === 'GOMAXPROCS'
          ? 'GOMAXPROCS (set by memshim: Go 1.25 would follow the quota by itself without it)'
          : name,
      );
  }
  const cannotFollow = fixed.length
    ? `fixed at start, not following the change: ${fixed.join(', ')}; ${RESTART}`
    : null;
  let risk: string | null = null;
  const max = changes.find((c) => c.limit === 'memory.max');
  if (max && context.heap?.bytes != null && context.heap.bytes >= context.effectiveMemoryBytes) {
    risk = `the new memory limit ${formatBytes(context.effectiveMemoryBytes)} is below the heap the runtime was given at start (${context.heap.text} = ${formatBytes(context.heap.bytes)}): the kernel will OOM-kill it before its GC steps in; restart the container to re-tune`;
  }
  if (
    max &&
    risk === null &&
    context.workingSetBytes !== null &&
    context.workingSetBytes >= context.effectiveMemoryBytes * 0.9
  ) {
    risk = `the working set ${formatBytes(context.workingSetBytes)} is already at ${Math.round((context.workingSetBytes / context.effectiveMemoryBytes) * 100)}% of the new memory limit ${formatBytes(context.effectiveMemoryBytes)}: an OOM kill is likely`;
  }
  return { summary, cannotFollow, risk };
}

function heapOwner(runtime: RuntimeName): string {
  switch (runtime) {
    case 'jvm':
      return 'the JVM';
    case 'node':
      return 'Node';
    case 'go':
      return 'the Go runtime';
    case 'dotnet':
      return '.NET (unless the app calls GC.RefreshMemoryLimit())';
    case 'python':
      return 'the rlimit on Python';
    default:
      return 'the process';
  }
}
