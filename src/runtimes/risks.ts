// OOM-kill risks, judged before the child starts. Every message is one line: what will happen, what to change.
// Limit risks depend only on the limits; heap risks judge a heap size (the user's, or a runtime default) against
// the limit. Pure: no I/O. Sizes are shown, never the text of an env variable or argument.
import type { Limits } from '../cgroup/types.js';
import { fmt, type Budget } from './common.js';
import type { Risk } from './types.js';

export function limitRisks(limits: Limits): Risk[] {
  const risks: Risk[] = [];
  if (limits.memorySource === 'host') {
    risks.push({
      level: 'info',
      code: 'NO_MEMORY_LIMIT',
      message: `no memory limit found: the runtime sizes itself from the host's ${fmt(limits.hostMemoryBytes)} and memshim sets no heap size; set a container memory limit or --memory to get one`,
    });
  }
  if (limits.memoryHighBytes !== null && limits.memoryHighBytes < limits.memoryBytes) {
    risks.push({
      level: 'info',
      code: 'MEMORY_HIGH_BELOW_MAX',
      message: `memory.high is ${fmt(limits.memoryHighBytes)}, below the ${fmt(limits.memoryBytes)} limit: the process is throttled and reclaimed above it long before an OOM kill; raise memory.high or plan with --memory ${limits.memoryHighBytes}`,
    });
  }
  if (limits.swapBytes === 0) {
    risks.push({
      level: 'info',
      code: 'SWAP_DISABLED',
      message: `swap is off: going over ${fmt(limits.memoryBytes)} is an immediate kernel OOM kill (exit 137), nothing is swapped out first; keep heaps below the limit (memshim's plan does)`,
    });
  } else if (limits.swapBytes !== null && limits.swapBytes > 0) {
    risks.push({
      level: 'info',
      code: 'SWAP_ENABLED',
      message: `the cgroup may swap ${fmt(limits.swapBytes)} beyond the ${fmt(limits.memoryBytes)} limit: a heap over the limit is slowed down by swapping before it is OOM-killed; the plan does not count on swap`,
    });
  }
  if (limits.cpus !== null && limits.cpus < 1) {
    risks.push({
      level: 'warn',
      code: 'CPU_BELOW_ONE',
      message: `the CPU limit is ${limits.cpus} of a CPU: garbage collection and JIT threads will be throttled and pauses will stretch; give the container at least 1 CPU`,
    });
  }
  return risks;
}

export interface HeapJudgement {
  /** Where the heap size came from, e.g. "-Xmx in JAVA_TOOL_OPTIONS": a flag and a place, never a value. */
  source: string;
  heapBytes: number;
  /** The runtime's memory outside the heap at this heap size (estimated). */
  nonHeapBytes: number;
  /** What to change, e.g. "lower -Xmx to 342 MiB or remove it to let memshim size the heap". */
  fix: string;
}

/** HEAP_EXCEEDS_LIMIT when a set heap is at or above the limit; HEAP_PLUS_OVERHEAD_EXCEEDS_LIMIT when heap + non-heap are. */
export function heapRisks(budget: Budget, judged: HeapJudgement): Risk[] {
  if (!budget.limited) return [];
  const { limitBytes, supervisorBytes } = budget;
  const needed = judged.heapBytes + judged.nonHeapBytes + supervisorBytes;
  // The smallest limit this heap works in: what to ask for when the heap is what the application needs.
  const orRaise = `, or give the container at least ${fmt(Math.ceil(needed / 2 ** 20) * 2 ** 20)}`;
  if (judged.heapBytes >= limitBytes) {
    return [
      {
        level: 'error',
        code: 'HEAP_EXCEEDS_LIMIT',
        message: `the heap set by ${judged.source} (${fmt(judged.heapBytes)}) is at or above the ${fmt(limitBytes)} memory limit: the kernel will OOM-kill the process (exit 137) before the runtime reports running out of heap; ${judged.fix}${orRaise}`,
      },
    ];
  }
  if (needed > limitBytes) {
    const memshim = supervisorBytes > 0 ? ` + memshim ${fmt(supervisorBytes)}` : '';
    return [
      {
        level: 'warn',
        code: 'HEAP_PLUS_OVERHEAD_EXCEEDS_LIMIT',
        message: `the heap set by ${judged.source} (${fmt(judged.heapBytes)}) plus about ${fmt(judged.nonHeapBytes)} outside the heap${memshim} needs ${fmt(needed)}, more than the ${fmt(limitBytes)} limit: once the heap fills, the kernel can OOM-kill the process (exit 137) before the runtime reports running out of heap; ${judged.fix}${orRaise}`,
      },
    ];
  }
  return [];
}

/** LIMIT_BELOW_RUNTIME_MINIMUM: the budget left for the runtime is below what it needs to start sensibly. */
export function minimumRisk(budget: Budget, runtime: string, minimumBytes: number): Risk[] {
  if (!budget.limited || budget.totalBytes >= minimumBytes) return [];
  const memshim =
    budget.supervisorBytes > 0
      ? ` (${fmt(budget.limitBytes)} limit minus memshim's ${fmt(budget.supervisorBytes)})`
      : '';
  return [
    {
      level: 'warn',
      code: 'LIMIT_BELOW_RUNTIME_MINIMUM',
      message: `${runtime} gets ${fmt(budget.totalBytes)}${memshim}, below the ${fmt(minimumBytes)} it needs to start sensibly: expect out-of-memory errors or a kernel OOM kill early; give the container at least ${fmt(minimumBytes + budget.supervisorBytes)}${budget.supervisorBytes > 0 ? ' or use --exec' : ''}`,
    },
  ];
}

/** RUNTIME_DEFAULT_EXCEEDS_LIMIT: tuning is off and the heap the runtime picks by itself does not fit the limit. */
export function defaultHeapRisk(
  budget: Budget,
  runtime: string,
  defaultHeapBytes: number,
  nonHeapBytes: number,
  fix: string,
): Risk[] {
  if (!budget.limited) return [];
  const needed = defaultHeapBytes + nonHeapBytes + budget.supervisorBytes;
  if (needed <= budget.limitBytes) return [];
  return [
    {
      level: 'warn',
      code: 'RUNTIME_DEFAULT_EXCEEDS_LIMIT',
      message: `tuning is off and ${runtime}'s own default heap (${fmt(defaultHeapBytes)}) plus about ${fmt(nonHeapBytes + budget.supervisorBytes)} outside it exceeds the ${fmt(budget.limitBytes)} limit: a growing heap ends in a kernel OOM kill (exit 137), not an out-of-memory error; drop --no-tune or ${fix}`,
    },
  ];
}
