// Entry point of the planners. (First cut: every command is planned as `generic`; the per-runtime modules
// replace this — see issue 3.)
import type { Plan, PlanInput } from './types.js';

export function planCommand(input: PlanInput): Plan {
  const { limits } = input;
  return {
    runtime: 'generic',
    argv: [...input.argv],
    env: {
      MEMSHIM_MEMORY_LIMIT_BYTES: String(limits.memoryBytes),
      MEMSHIM_CPU_LIMIT: String(limits.cpus ?? limits.hostCpus),
    },
    risks: [],
    notes: [],
    rlimits: [],
  };
}
