// Processes as the tests see them through /proc: children, state, and a wait for a condition on them.
import { readdirSync, readFileSync } from 'node:fs';

/** The direct children of a process (as seen from here). */
export function childrenOf(pid: number): number[] {
  try {
    // Every thread's list: a child belongs to the thread that forked it.
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** The one-letter state of a process (R S D T Z ...), or null when it is gone. */
export function processState(pid: number): string | null {
  try {
    return /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Polls until `check` is true (tap's timeout bounds the wait; no timing threshold here). */
export async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}
