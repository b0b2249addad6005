// PLACEHOLDER until issue 2's reader lands: host values only.
import { cpus, totalmem } from 'node:os';
import type { ReaderConfig } from '../config.js';
import type { Limits } from './types.js';

export async function readLimits(config: ReaderConfig): Promise<Limits> {
  return {
    cgroup: { version: null, memoryPath: null, cpuPath: null, cpusetPath: null, memoryMountRoot: null, cpuMountRoot: null, cpusetMountRoot: null },
    memoryBytes: config.memoryOverride ?? totalmem(),
    memorySource: config.memoryOverride ? 'option' : 'host',
    memoryLimitFrom: null,
    memoryHighBytes: null,
    swapBytes: null,
    cpus: config.cpusOverride,
    cpuSource: config.cpusOverride ? 'option' : null,
    cpuLimitFrom: null,
    cpuShares: null,
    cpuWeight: null,
    affinityCpus: cpus().length,
    hostMemoryBytes: totalmem(),
    hostCpus: cpus().length,
    warnings: [],
  };
}
