// Limits and plan inputs built by hand for the planner tables: the planners are pure, so no cgroup is needed.
import type { Limits } from '../../src/cgroup/types.js';
import type { CommandFacts, PlanInput, PlanOptions } from '../../src/runtimes/types.js';

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
/** Limits from 64 MiB to 64 GiB, the range the issue asks every runtime to be tested across. */
export const LIMIT_SIZES = [64 * MiB, 128 * MiB, 256 * MiB, 512 * MiB, 1 * GiB, 2 * GiB, 4 * GiB, 16 * GiB, 64 * GiB];
export const SUPERVISOR = 48 * MiB;

export function limitsOf(memoryBytes: number | null, more: Partial<Limits> = {}): Limits {
  const leaf = '/sys/fs/cgroup/memory/pod/app';
  return {
    cgroup: {
      version: 1,
      memoryPath: leaf,
      cpuPath: '/sys/fs/cgroup/cpu/pod/app',
      cpusetPath: null,
      memoryMountRoot: '/sys/fs/cgroup/memory',
      cpuMountRoot: '/sys/fs/cgroup/cpu',
      cpusetMountRoot: null,
    },
    memoryBytes: memoryBytes ?? 24 * GiB,
    memorySource: memoryBytes === null ? 'host' : 'cgroup',
    memoryLimitFrom: memoryBytes === null ? null : leaf,
    memoryHighBytes: null,
    memorySoftLimitBytes: null,
    swapBytes: null,
    cpus: null,
    cpuSource: null,
    cpuLimitFrom: null,
    cpuShares: null,
    cpuWeight: null,
    affinityCpus: 2,
    hostMemoryBytes: 24 * GiB,
    hostCpus: 2,
    warnings: [],
    ...more,
  };
}

export function inputOf(
  argv: string[],
  memoryBytes: number | null,
  more: {
    env?: Record<string, string>;
    options?: Partial<PlanOptions>;
    facts?: CommandFacts;
    limits?: Partial<Limits>;
  } = {},
): PlanInput {
  return {
    limits: limitsOf(memoryBytes, more.limits),
    argv,
    env: more.env ?? {},
    options: {
      tune: true,
      pythonMemoryCap: false,
      exitOnOutOfMemory: true,
      supervisorOverheadBytes: SUPERVISOR,
      ...more.options,
    },
    facts: more.facts ?? {},
  };
}

/** The value of a `-Xmx340m` / `--max-old-space-size=139` style flag, in MiB. */
export function flagMiB(options: string | undefined, pattern: RegExp): number | null {
  const match = pattern.exec(options ?? '');
  return match ? Number(match[1]) : null;
}
