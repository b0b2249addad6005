// The supervisor's contract with the rest of memshim (the monitor, the OOM diagnosis, the health server).
import type { EventEmitter } from 'node:events';
import type { Phase } from './lifecycle.js';

/** One process memshim waited for: the main child or any orphan it adopted. */
export interface Reaped {
  pid: number;
  /** true for the main child. */
  main: boolean;
  /** Exit code when it exited, else null. */
  code: number | null;
  /** Signal number when a signal killed it, else null. */
  signal: number | null;
  /** Monotonic milliseconds (common/clock.ts) at the wait. */
  at: number;
}

export interface SupervisorStats {
  /** Processes reaped that were not the main child. */
  zombiesReaped: number;
  /** Signals forwarded to the child or its group, by signal number. */
  signalsForwarded: Map<number, number>;
}

/** The supervisor's events, all synchronous with the wait or the forward that caused them. */
export interface SupervisorEvents {
  /** The main child started. */
  spawn: [pid: number];
  /** Any process was waited for, the main child included. */
  reaped: [reaped: Reaped];
  /** A signal was forwarded (target < 0: a process group). */
  signal: [signal: number, target: number];
  /** memshim began to shut down. */
  shutdown: [reason: 'child-exited' | 'signal'];
}

export interface SupervisorHandle extends EventEmitter<SupervisorEvents> {
  readonly pid: number | null;
  readonly startedAt: number;
  readonly stats: SupervisorStats;
  /** true from spawn until the main child is reaped. */
  readonly running: boolean;
  /** true once shutdown began (the health server answers 503 from then on). */
  readonly shuttingDown: boolean;
  /** Where the lifecycle is (lifecycle.ts): 'draining' while --stop-delay holds SIGTERM back. */
  readonly phase: Phase;
  /** Resolves with the exit code memshim should exit with, after shutdown is complete. */
  readonly exitCode: Promise<number>;
}
