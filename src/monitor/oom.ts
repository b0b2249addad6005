// OOM-kill diagnosis, the pure part: was a death an OOM kill, which process was it, and what setting would have
// avoided it. The kernel says only that it killed someone (a counter in the cgroup went up); memshim knows who
// died by SIGKILL at that moment. A plain `kill -9` moves no counter, so it is never reported as an OOM kill.
import { formatBytes } from '../common/quantity.js';
import type { Limits } from '../cgroup/types.js';
import type { Plan } from '../runtimes/types.js';

export const SIGKILL = 9;

/** What a death (or a reading) tells about the OOM-kill counter. `seen`: the counter value already explained. */
export type OomAttribution =
  /** Not an OOM kill: the counter did not move (or the death was not a SIGKILL and nothing moved). */
  | { kind: 'none'; seen: number }
  /** The process that was just waited for died by SIGKILL while the counter went up: it is the victim. */
  | { kind: 'this'; seen: number }
  /** The counter went up, but not for this death: a process memshim does not wait for (a grandchild) was killed. */
  | { kind: 'other'; seen: number; count: number };

/**
 * At a death (signal: what killed the process waited for, null when it exited). One SIGKILL death explains one
 * increment; a death that is not a SIGKILL while the counter moved means the victim was a process its parent waited
 * for (the hog under `sh -c`): every unexplained increment is reported then, once.
 */
export function attributeDeath(seen: number, counterNow: number | null, signal: number | null): OomAttribution {
  if (counterNow === null || counterNow <= seen) return { kind: 'none', seen };
  if (signal === SIGKILL) return { kind: 'this', seen: seen + 1 };
  return { kind: 'other', seen: counterNow, count: counterNow - seen };
}

/** At a reading with no death in sight: increments not explained by a death within the grace period are 'other'. */
export function attributeUnexplained(seen: number, counterNow: number | null): OomAttribution {
  if (counterNow === null || counterNow <= seen) return { kind: 'none', seen };
  return { kind: 'other', seen: counterNow, count: counterNow - seen };
}

export interface OomVictim {
  pid: number | null;
  /** true: memshim's main child (or the watched process of the sidecar). */
  main: boolean;
  /** The executable's name (comm), never its arguments. */
  command: string | null;
  /** How many processes the kernel killed, when more than one went at once. */
  count: number;
}

export interface OomReport {
  victim: OomVictim;
  limitBytes: number;
  peakBytes: number | null;
  workingSetBeforeBytes: number | null;
  oomKills: number | null;
  /** The kernel killed the whole cgroup (memory.oom.group=1: memory.events oom_group_kill went up). */
  groupKill: boolean;
  advice: string;
  suggestedLimitBytes: number;
}

const ROUND = 64 * 1024 * 1024;

/** A limit that leaves room: half again over what it reached, rounded up to 64 MiB. */
export function suggestLimit(limitBytes: number, peakBytes: number | null): number {
  const reached = Math.max(limitBytes, peakBytes ?? 0);
  return Math.ceil((reached * 1.5) / ROUND) * ROUND;
}

/** The one flag memshim set that governs how big the runtime grows (the token only: never a whole variable). */
function flagSet(plan: Plan, variable: string, pattern: RegExp): string | null {
  const value = plan.env[variable];
  return value === undefined ? null : (pattern.exec(value)?.[0] ?? null);
}

/** The setting that would have avoided the kill: the runtime's own cap when there is one, else a larger limit. */
export function oomAdvice(plan: Plan | null, limits: Limits, victim: OomVictim, peakBytes: number | null): string {
  const raise = `raise the memory limit to ${formatBytes(suggestLimit(limits.memoryBytes, peakBytes))} or more`;
  if (!victim.main) {
    return `a process other than the main one${victim.command ? ` (${victim.command})` : ''} used the memory: leave room for it in the budget (lower the main runtime's heap) or ${raise}`;
  }
  switch (plan?.runtime) {
    case 'jvm': {
      const heap = flagSet(plan, 'JAVA_TOOL_OPTIONS', /-Xmx\S+|-XX:MaxRAMPercentage=\S+/);
      return `the JVM's heap plus its native memory (metaspace, threads, code cache, direct buffers) outgrew the limit: lower the heap${heap ? ` (memshim set ${heap})` : ' (-Xmx)'} or -Xss / the thread count, or ${raise}`;
    }
    case 'node': {
      const heap = flagSet(plan, 'NODE_OPTIONS', /--max-old-space-size=\S+/);
      return `Node grew past the limit before V8 hit its own heap limit: lower --max-old-space-size${heap ? ` (memshim set ${heap})` : ''} so V8 fails with a heap error first, or ${raise}`;
    }
    case 'python':
      return plan.rlimits.length > 0
        ? `Python outgrew the limit despite the address-space cap memshim set (${formatBytes(plan.rlimits[0]!.bytes)}): lower the worker count or the data held, or ${raise}`
        : `Python has no heap limit of its own: run memshim with --python-memory-cap so Python raises MemoryError instead of being killed, lower the worker count, or ${raise}`;
    case 'go': {
      const soft = flagSet(plan, 'GOMEMLIMIT', /\S+/);
      return `the Go heap outgrew the limit: lower GOMEMLIMIT${soft ? ` (memshim set ${soft})` : ''} so the GC works harder before the kernel steps in, or ${raise}`;
    }
    case 'dotnet': {
      const hard =
        flagSet(plan, 'DOTNET_GCHeapHardLimit', /\S+/) ?? flagSet(plan, 'DOTNET_GCHeapHardLimitPercent', /\S+/);
      return `the .NET GC heap plus native memory outgrew the limit: lower DOTNET_GCHeapHardLimit${hard ? ` (memshim set ${hard})` : ''}, or ${raise}`;
    }
    default:
      return `the process has no memory cap of its own: make it hold less, or ${raise}`;
  }
}

export function oomReport(input: {
  plan: Plan | null;
  limits: Limits;
  victim: OomVictim;
  peakBytes: number | null;
  workingSetBeforeBytes: number | null;
  oomKills: number | null;
  groupKill?: boolean;
}): OomReport {
  return {
    victim: input.victim,
    limitBytes: input.limits.memoryBytes,
    peakBytes: input.peakBytes,
    workingSetBeforeBytes: input.workingSetBeforeBytes,
    oomKills: input.oomKills,
    groupKill: input.groupKill ?? false,
    advice: oomAdvice(input.plan, input.limits, input.victim, input.peakBytes),
    suggestedLimitBytes: suggestLimit(input.limits.memoryBytes, input.peakBytes),
  };
}

/** The one line of the `oom_kill` event. */
export function oomMessage(report: OomReport): string {
  const v = report.victim;
  const who = `${v.main ? 'the main process' : v.count > 1 ? `${v.count} processes in its tree` : 'a process in its tree'}${v.pid !== null || v.command ? ` (${[v.command, v.pid !== null ? `pid ${v.pid}` : null].filter(Boolean).join(', ')})` : ''}`;
  const size = (bytes: number | null) => (bytes === null ? 'unknown' : formatBytes(bytes));
  const group = report.groupKill ? ' with every process in its cgroup (memory.oom.group=1)' : '';
  return `the kernel OOM-killed ${who}${group}: limit ${formatBytes(report.limitBytes)}, peak ${size(report.peakBytes)}, working set just before ${size(report.workingSetBeforeBytes)}. To avoid it: ${report.advice}`;
}
