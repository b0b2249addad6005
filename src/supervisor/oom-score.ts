// Who should the kernel kill when the container's cgroup runs out: the child, not memshim. The memcg OOM killer
// picks the largest `rss + oom_score_adj * limit / 1000` in the cgroup, and memshim (Node: ~15 MiB of its own plus
// ~40 MiB of mapped binary that counts too) can be the largest in a small limit. Killing memshim ends the container
// just the same, but with no oom_kill line to say why; killing the child leaves memshim to explain it.
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

/**
 * Run `spawn` (which forks the child) with memshim's own score raised by the gap, then put memshim's score back:
 * the child inherits the raised score at the fork, so no process of its tree, however fast it forks, escapes it.
 * Putting it back is allowed without CAP_SYS_RESOURCE (never below oom_score_adj_min, which is at most the value it
 * had). Never throws on its own account; says what it did at debug.
 */
export function spawnPreferredAsOomVictim<T>(limitBytes: number, log: Logger, spawn: () => T): T {
  const own = readAdj('self');
  const gap = scoreGap(limitBytes, process.memoryUsage.rss());
  const raised = own === null || gap === 0 ? false : writeAdj('self', own + gap);
  try {
    return spawn();
  } finally {
    if (raised && own !== null) {
      const restored = writeAdj('self', own);
      const fields = { event: 'oom_score_adj', memshim: own, child: Math.min(MAX_ADJ, own + gap), gap, restored };
      if (restored) log.debug(fields, `the child starts with OOM score ${fields.child}, memshim keeps ${own}: the kernel kills the child first, memshim says why`);
      else log.warn(fields, `could not put memshim's OOM score back to ${own} after the spawn`);
    }
  }
}
