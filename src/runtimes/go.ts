// Go: GOMEMLIMIT at 90% of the budget (automemlimit's share: the runtime counts all of its memory against it,
// and the rest is for what it does not see) and GOMAXPROCS from the CPU limit, rounded down as automaxprocs
// does so that a 1.5 CPU quota is not oversubscribed. User values are kept and judged. Pure: no I/O.
import { fmt, MiB, wholeMiB, floorCpus, emptyDecision, userEnv, type Budget, type RuntimeDecision } from './common.js';
import { heapRisks, minimumRisk } from './risks.js';
import type { PlanInput } from './types.js';

export const GO_MINIMUM_BYTES = 16 * MiB;
const LIMIT_SHARE = 0.9;
const UNITS: Record<string, number> = { '': 1, B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };

/** GOMEMLIMIT as the Go runtime reads it: bytes with an optional B/KiB/MiB/GiB/TiB suffix, or "off". */
export function parseGoMemLimit(text: string): number | 'off' | null {
  if (text.trim() === 'off') return 'off';
  const match = /^(\d+)(B|KiB|MiB|GiB|TiB)?$/.exec(text.trim());
  if (!match) return null;
  const bytes = Number(match[1]) * (UNITS[match[2] ?? ''] ?? 1);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

export function planGo(input: PlanInput, budget: Budget): RuntimeDecision {
  const decision = emptyDecision();
  const { env, options } = input;
  decision.risks.push(...minimumRisk(budget, 'Go', GO_MINIMUM_BYTES));
  const target = wholeMiB(budget.totalBytes * LIMIT_SHARE);
  const userLimit = userEnv(env, 'GOMEMLIMIT');
  const parsed = userLimit === undefined ? null : parseGoMemLimit(userLimit);
  if (typeof parsed === 'number') {
    // GOMEMLIMIT already covers all of the Go runtime's memory: what is left outside is small (cgo, the binary).
    decision.risks.push(
      ...heapRisks(budget, {
        source: 'GOMEMLIMIT',
        heapBytes: parsed,
        nonHeapBytes: 0,
        fix: `lower it to ${target}MiB or unset it and let memshim set it`,
      }),
    );
  }
  if (!options.tune) return decision;
  if (budget.limited && userLimit === undefined) {
    decision.env.GOMEMLIMIT = `${target}MiB`;
    decision.notes.push(
      `GOMEMLIMIT=${target}MiB: 90% of ${fmt(budget.totalBytes)}, so the GC works harder before the limit instead of being OOM-killed at it`,
    );
  }
  if (budget.cpus !== null && !userEnv(env, 'GOMAXPROCS')) {
    decision.env.GOMAXPROCS = String(floorCpus(budget.cpus));
    decision.notes.push(
      `GOMAXPROCS=${decision.env.GOMAXPROCS} from the ${budget.cpus} CPU limit (rounded down so the quota is not oversubscribed)`,
    );
  }
  return decision;
}
