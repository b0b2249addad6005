// How the supervisor starts, signals and waits for processes: the one part that differs between memshim with
// libc through koffi (libc-control.ts: posix_spawnp, waitpid(-1) for every child, subreaper, tcsetpgrp,
// rlimits) and memshim without it (node-control.ts: node:child_process, the main child only). supervisor.ts is
// the one loop over either: forwarding, --rewrite, shutdown and the grace period live there, once.
import { readdirSync, readFileSync } from 'node:fs';
import type { RlimitSetting } from '../runtimes/types.js';

/** One process waited for: its exit code, or the signal that killed it. */
export interface WaitedProcess {
  pid: number;
  code: number | null;
  signal: number | null;
}

export interface ChildRequest {
  argv: readonly string[];
  /** The child's whole environment; undefined values are left out. */
  env: Readonly<Record<string, string | undefined>>;
  rlimits: readonly RlimitSetting[];
  /** The name failures are reported under. */
  command: string;
  /** oom_score_adj points the child starts above memshim (oom-score.ts); 0: none. */
  oomScoreGap: number;
}

export type SpawnResult =
  { ok: true; pid: number; foreground: boolean } | { ok: false; exitCode: number; reason: string };

export interface CollectRound {
  waited: WaitedProcess[];
  /** Children that stopped (SIGSTOP, SIGTSTP from the terminal, ...) since the last round. */
  stopped: number[];
  /**
   * 'none': nothing of the child's is left; 'running': some still run and their end will be told (onChange);
   * 'retry': look again soon (a child libuv waits for is ahead in the queue, or no notice comes for what is left).
   */
  left: 'none' | 'running' | 'retry';
}

export interface ProcessControl {
  /** When not PID 1: become the child subreaper, so orphans come here. false when that is not possible. */
  becomeSubreaper(): boolean;
  /** Blocks `signals` in the calling (main) thread only (signals.ts says why). false when that is not possible. */
  blockInMainThread(signals: readonly number[]): boolean;
  /** PR_SET_PDEATHSIG on memshim itself: `signal` when its parent dies. false when that is not possible. */
  setParentDeathSignal(signal: number): boolean;
  /** Starts the main child (own process group); a failure carries 127/126 and one line. */
  spawn(request: ChildRequest): SpawnResult | Promise<SpawnResult>;
  /** What ended or stopped since the last call, and what is left. Called on SIGCHLD and on onChange. */
  collect(): CollectRound;
  /** kill(2): 0 when sent, else the errno (ESRCH: no such process). */
  kill(pid: number, signal: number): number;
  /** `fg` in the shell: give the terminal back to the child's group when memshim holds it (no-op without libc). */
  handTerminalBack(pgid: number): void;
}

/** memshim's own children still there (any state, zombies included), from /proc/self/task/T/children. */
export function ownChildren(): number[] {
  const pids: number[] = [];
  try {
    for (const task of readdirSync('/proc/self/task')) {
      const text = readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim();
      if (text) for (const pid of text.split(/\s+/)) pids.push(Number(pid));
    }
  } catch {
    // No /proc or no CONFIG_PROC_CHILDREN: the group signal still reaches the main child's processes.
  }
  return pids;
}
