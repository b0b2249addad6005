// .NET: DOTNET_GCHeapHardLimit (hexadecimal, as every DOTNET_ GC variable) from the budget and
// DOTNET_PROCESSOR_COUNT from the CPU limit. .NET already takes 75% of the limit it sees, but it sees only its
// own cgroup, and memshim's share must come out too. User values (DOTNET_ or COMPlus_) are kept and judged.
import {
  fmt,
  MiB,
  ceilCpus,
  emptyDecision,
  userEnv,
  memorySeenByLeafReader,
  type Budget,
  type RuntimeDecision,
} from './common.js';
import { defaultHeapRisk, heapRisks, minimumRisk } from './risks.js';
import type { PlanInput } from './types.js';

export const DOTNET_MINIMUM_BYTES = 64 * MiB;
/** The runtime, JIT and loaded assemblies outside the GC heap. */
const DOTNET_BASE = 32 * MiB;
const HEAP_SHARE = 0.75;

export function dotnetHeapLimit(totalBytes: number): number {
  return Math.max(16 * MiB, Math.floor(Math.min(totalBytes * HEAP_SHARE, totalBytes - DOTNET_BASE) / MiB) * MiB);
}

/** A DOTNET_/COMPlus_ GC setting: hexadecimal, with or without 0x. */
export function parseDotnetHex(text: string): number | null {
  const match = /^(?:0x)?([0-9a-f]+)$/i.exec(text.trim());
  return match ? Number.parseInt(match[1]!, 16) : null;
}

function setting(env: PlanInput['env'], name: string): { text: string; source: string } | undefined {
  for (const prefix of ['DOTNET_', 'COMPlus_']) {
    const text = userEnv(env, prefix + name);
    if (text !== undefined) return { text, source: prefix + name };
  }
  return undefined;
}

export function planDotnet(input: PlanInput, budget: Budget): RuntimeDecision {
  const decision = emptyDecision();
  const { env, options, limits } = input;
  decision.risks.push(...minimumRisk(budget, '.NET', DOTNET_MINIMUM_BYTES));
  const heap = dotnetHeapLimit(budget.totalBytes);
  const hard = setting(env, 'GCHeapHardLimit');
  const percent = setting(env, 'GCHeapHardLimitPercent');
  const userHeap = hard
    ? parseDotnetHex(hard.text)
    : percent
      ? ((parseDotnetHex(percent.text) ?? 75) / 100) * budget.limitBytes
      : null;
  const fix = `set DOTNET_GCHeapHardLimit=0x${heap.toString(16)} (${fmt(heap)})`;
  if (userHeap !== null)
    decision.risks.push(
      ...heapRisks(budget, {
        source: (hard ?? percent)!.source,
        heapBytes: userHeap,
        nonHeapBytes: DOTNET_BASE,
        fix: `lower it to ${fmt(heap)} or unset it`,
      }),
    );
  else if (!options.tune)
    decision.risks.push(
      ...defaultHeapRisk(budget, '.NET', Math.max(20e6, memorySeenByLeafReader(limits) * HEAP_SHARE), DOTNET_BASE, fix),
    );
  if (!options.tune) return decision;
  if (budget.limited && userHeap === null) {
    decision.env.DOTNET_GCHeapHardLimit = `0x${heap.toString(16)}`;
    decision.notes.push(
      `DOTNET_GCHeapHardLimit=0x${heap.toString(16)} (${fmt(heap)}, hexadecimal as .NET reads it): 75% of ${fmt(budget.totalBytes)}, leaving at least ${fmt(DOTNET_BASE)} for the runtime`,
    );
  }
  if (budget.cpus !== null && !setting(env, 'PROCESSOR_COUNT')) {
    decision.env.DOTNET_PROCESSOR_COUNT = String(ceilCpus(budget.cpus));
    decision.notes.push(
      `DOTNET_PROCESSOR_COUNT=${decision.env.DOTNET_PROCESSOR_COUNT} from the ${budget.cpus} CPU limit`,
    );
  }
  return decision;
}
