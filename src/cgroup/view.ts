// The limits as every report shows them (--dry-run, /status, `memshim status`): where the cgroup is and the
// limits read, in a stable order. The location and the warnings have keys of their own. Pure.
import type { Limits } from './types.js';

/** The limits shown, in this order. */
const LIMIT_KEYS = [
  'memoryBytes',
  'memorySource',
  'memoryLimitFrom',
  'memoryHighBytes',
  'memorySoftLimitBytes',
  'swapBytes',
  'cpus',
  'cpuSource',
  'cpuLimitFrom',
  'cpuShares',
  'cpuWeight',
  'affinityCpus',
  'hostMemoryBytes',
  'hostCpus',
] as const satisfies readonly (keyof Limits)[];

export interface LimitsView {
  cgroup: { version: 1 | 2 | null; memoryPath: string | null; cpuPath: string | null };
  limits: Pick<Limits, (typeof LIMIT_KEYS)[number]>;
}

export function limitsView(limits: Limits): LimitsView {
  return {
    cgroup: { version: limits.cgroup.version, memoryPath: limits.cgroup.memoryPath, cpuPath: limits.cgroup.cpuPath },
    limits: Object.fromEntries(LIMIT_KEYS.map((key) => [key, limits[key]])) as LimitsView['limits'],
  };
}
