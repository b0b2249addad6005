// Who should the kernel kill when the container's cgroup runs out: the child, not memshim. The memcg OOM killer
// picks the largest `rss + oom_score_adj * limit / 1000` in the cgroup, and memshim (Node's own memory and the pages
// of its mapped binary, which count too: docs/packaging.md) can be the largest in a small limit. Killing memshim
// ends the container just the same, but with no oom_kill line to say why; killing the child leaves memshim to
// explain it.
//
// So the child starts with a score 1.5 x memshim's RSS (relative to the limit) above memshim's own. Raising a score
// needs no privilege; the raise is as small as the limit allows (a few points in a GiB-sized container) because it
// also counts against the container in a host-wide OOM.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from '../common/log.js';

const MIN_ADJ = -1000;
const MAX_ADJ = 1000;

/** How many oom_score_adj points the child must sit above memshim so that memshim is never the bigger target. */
export function scoreGap(limitBytes: number, supervisorRssBytes: number): number {
  if (limitBytes <= 0) return 0;
  return Math.min(MAX_ADJ - MIN_ADJ, Math.ceil((1000 * supervisorRssBytes * 1.5) / limitBytes));
}

function readAdj(pid: number | 'self'): number | null {
  try {
    const value = Number(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim());
    return Number.isInteger(value) ? value : null;
  } catch {
    return null;
  }
}

function writeAdj(pid: number | 'self', value: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/oom_score_adj`, String(Math.max(MIN_ADJ, Math.min(MAX_ADJ, Math.round(value)))));
    return true;
  } catch {
    return false;
  }
}

/** What raiseAroundSpawn() did, for the one debug line the caller writes. */
export interface ScoreRaise {
  memshim: number;
  child: number;
  gap: number;
  restored: boolean;
}

/**
 * Runs `spawn` (the clone and exec of the child, and nothing else: every buffer made and libc loaded before) with
 * memshim's own score raised by `gap`, and puts it back as soon as it returns: the child inherits the raised score
 * at the clone, so no process of its tree, however fast it forks, escapes it. While the child has not exec'd it
 * shares memshim's memory (posix_spawn's vfork), and the OOM killer kills every process of a memory it picks:
 * there, which of the two carries the score does not matter. What remains is the microseconds between the exec
 * and the restore. The other way, the child raising its own score before it execs, needs a second program in the
 * child (a second Node start on every start; docs/packaging.md). Putting the score back is allowed without
 * CAP_SYS_RESOURCE (never below oom_score_adj_min, at most the value it had). Never throws on its own account.
 */
export function raiseAroundSpawn<T>(gap: number, spawn: () => T): { result: T; raise: ScoreRaise | null } {
  const own = gap > 0 ? readAdj('self') : null;
  const raised = own !== null && writeAdj('self', own + gap);
  let restored = false;
  try {
    const result = spawn();
    if (raised && own !== null) restored = writeAdj('self', own);
    return {
      result,
      raise: raised && own !== null ? { memshim: own, child: Math.min(MAX_ADJ, own + gap), gap, restored } : null,
    };
  } finally {
    if (raised && own !== null && !restored) writeAdj('self', own);
  }
}

/** The one line that says what raiseAroundSpawn() did. */
export function logScoreRaise(log: Logger, raise: ScoreRaise | null): void {
  if (!raise) return;
  const fields = { event: 'oom_score_adj', ...raise };
  if (raise.restored)
    log.debug(
      fields,
      `the child starts with OOM score ${raise.child}, memshim keeps ${raise.memshim}: the kernel kills the child first, memshim says why`,
    );
  else log.warn(fields, `could not put memshim's OOM score back to ${raise.memshim} after the spawn`);
}

/** The gap for this start: memshim's RSS now against the container's limit; 0 when there is no /proc to read. */
export function oomScoreGap(limitBytes: number): number {
  try {
    return scoreGap(limitBytes, process.memoryUsage.rss());
  } catch {
    // No /proc mounted: Node's rss() reads /proc/self/statm and throws; no score could be written anyway.
    return 0;
  }
}
