// Any other command: nothing to tune; it gets MEMSHIM_MEMORY_LIMIT_BYTES and MEMSHIM_CPU_LIMIT (set for every
// command by index.ts) to size itself, and the limit risks.
import { emptyDecision, type RuntimeDecision } from './common.js';

export function planGeneric(): RuntimeDecision {
  const decision = emptyDecision();
  decision.notes.push(
    'no runtime recognised: only MEMSHIM_MEMORY_LIMIT_BYTES and MEMSHIM_CPU_LIMIT are set (--runtime forces one)',
  );
  return decision;
}
