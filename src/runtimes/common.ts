// What every runtime planner shares: the memory budget after memshim's own share, the CPU count to tune for,
// and the part of a plan a planner returns. Pure: no I/O.
import type { Limits } from '../cgroup/types.js';
import { formatBytes } from '../common/quantity.js';
import type { PlanInput, RlimitSetting, Risk } from './types.js';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

export interface Budget {
  /** The limit the kernel enforces (or the --memory option, or the host's memory). */
  limitBytes: number;
  /** false when no cgroup limit or --memory was found: memshim then leaves heap sizing to the runtime. */
  limited: boolean;
  /** What memshim keeps resident beside the child, charged to the same cgroup. */
  supervisorBytes: number;
  /** limitBytes minus supervisorBytes: what the child may use, never below 0. */
  totalBytes: number;
  /** The effective CPU limit, or null when only the host (or affinity) bounds it. */
  cpus: number | null;
  /** CPUs the child may actually run on: the CPU limit, else the affinity count. */
  effectiveCpus: number;
}

export function budgetOf(input: Pick<PlanInput, 'limits' | 'options'>): Budget {
  const { limits, options } = input;
  const supervisorBytes = Math.max(0, options.supervisorOverheadBytes);
  return {
    limitBytes: limits.memoryBytes,
    limited: limits.memorySource !== 'host',
    supervisorBytes,
    totalBytes: Math.max(0, limits.memoryBytes - supervisorBytes),
    cpus: limits.cpus,
    effectiveCpus: limits.cpus ?? Math.max(1, limits.affinityCpus || limits.hostCpus),
  };
}

/** Whole CPUs for a thread-count setting: the limit rounded up (a 1.5 CPU quota still runs 2 threads), at least 1. */
export function ceilCpus(cpus: number): number {
  return Math.max(1, Math.ceil(cpus - 1e-9));
}

/** Whole CPUs that do not oversubscribe the quota (automaxprocs' rule): rounded down, at least 1. */
export function floorCpus(cpus: number): number {
  return Math.max(1, Math.floor(cpus + 1e-9));
}

export function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** Bytes rounded down to whole MiB (runtime flags take MiB). */
export function wholeMiB(bytes: number): number {
  return Math.max(0, Math.floor(bytes / MiB));
}

/** The part of a plan one runtime planner decides; index.ts adds the MEMSHIM_* variables and the limit risks. */
export interface RuntimeDecision {
  env: Record<string, string>;
  argv?: string[];
  notes: string[];
  risks: Risk[];
  rlimits: RlimitSetting[];
}

export function emptyDecision(): RuntimeDecision {
  return { env: {}, notes: [], risks: [], rlimits: [] };
}

/** Whether the limit was set on this process's own cgroup: runtimes that read only the leaf (Node, .NET) miss the others. */
export function limitOnLeaf(limits: Limits): boolean {
  return (
    limits.memorySource === 'cgroup' &&
    (limits.memoryLimitFrom === null || limits.memoryLimitFrom === limits.cgroup.memoryPath)
  );
}

/** The memory a runtime that reads only its own cgroup believes it has. */
export function memorySeenByLeafReader(limits: Limits): number {
  if (limits.memorySource === 'cgroup' && !limitOnLeaf(limits)) return limits.hostMemoryBytes;
  return limits.memoryBytes;
}

export const fmt = formatBytes;

/** Whitespace-separated words of an options variable (JAVA_TOOL_OPTIONS, NODE_OPTIONS), quotes respected. */
export function splitOptions(text: string | undefined): string[] {
  if (!text) return [];
  const words: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let match = pattern.exec(text); match; match = pattern.exec(text))
    words.push(match[1] ?? match[2] ?? match[3] ?? '');
  return words;
}

/** An options variable with memshim's words appended (the user's words come first and are kept as written). */
export function appendOptions(existing: string | undefined, added: string[]): string {
  const base = existing?.trim() ?? '';
  return [base, ...added].filter(Boolean).join(' ');
}

/** The value of an env variable the user set to something non-empty. */
export function userEnv(env: PlanInput['env'], name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}
