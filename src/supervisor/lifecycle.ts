// The supervisor's lifecycle as one pure function, like tini's main() read as a table: step(state, event)
// gives the next state and the actions to take, in order. No timers, no kill(), no clock here: supervisor.ts
// runs the actions (spawn, kill, timers, exit) and feeds back what happened (spawned, signals, what a round of
// waiting found, a timer that fired). So shutdown, the stop delay, the grace period, the SIGKILL of leftovers
// and signals that came before the child existed are tested in milliseconds with tables
// (test/supervisor/lifecycle-steps.test.ts), and the real-process tests check that the actions are run.
import { STOP_BEFORE_START } from '../common/early-signals.js';
import { decideForward, SIG } from './signals.js';

export interface LifecycleConfig {
  singleChild: boolean;
  /** --rewrite FROM:TO (TO 0 drops). */
  rewrite: ReadonlyMap<number, number>;
  gracePeriodMs: number;
  /** --stop-delay: after SIGTERM, not ready at once, SIGTERM forwarded this much later. 0: forwarded at once. */
  stopDelayMs: number;
  /** --remap-exit FROM:TO, applied to the child's status (and 128+N of a stop signal before the spawn). */
  remapExit: ReadonlyMap<number, number>;
}

/** After SIGKILL, how long memshim still waits for the killed to be reaped before it exits anyway. */
export const AFTER_KILL_MS = 1000;
/** How soon to look again when the control says so (a libuv child ahead in the queue; without koffi, leftovers). */
export const RETRY_MS = 10;

export type Phase =
  /** Not started: signals are held. */
  | 'idle'
  /** The spawn was asked for and has not answered yet (node:child_process answers on a later tick): held. */
  | 'spawning'
  /** The main child runs. */
  | 'running'
  /** SIGTERM came with --stop-delay: not ready any more, the SIGTERM is held until the delay ends. */
  | 'draining'
  /** Shutting down: what is left got SIGTERM, the grace period runs. */
  | 'stopping'
  /** The grace period is over: SIGKILL sent, a last wait for the killed to be reaped. */
  | 'killing'
  | 'finished';

export interface LifecycleState {
  readonly phase: Phase;
  /** The main child: not started (yet, or ever), running, or waited for (whatever the phase). */
  readonly child: 'not-started' | 'running' | 'reaped';
  /** Signals received before the child existed, forwarded once it does. */
  readonly held: readonly number[];
  /** The SIGTERM (as --rewrite made it) that the stop delay holds back. */
  readonly heldTerm: number | null;
  /** The main child's status once reaped: its code, or 128+N when signal N killed it. */
  readonly mainStatus: number | null;
  /** Why shutdown began (told once), null before. */
  readonly shutdown: 'signal' | 'child-exited' | null;
  /** A retry timer is pending. */
  readonly retrying: boolean;
}

export const INITIAL_LIFECYCLE: LifecycleState = {
  phase: 'idle',
  child: 'not-started',
  held: [],
  heldTerm: null,
  mainStatus: null,
  shutdown: null,
  retrying: false,
};

export type TimerName = 'stop-delay' | 'grace' | 'after-kill' | 'retry';

export type LifecycleEvent =
  /** Listening to signals; `early`: those that came before memshim could listen (the start-up's handlers). */
  | { kind: 'start'; early: readonly number[] }
  | { kind: 'spawned' }
  | { kind: 'spawn-failed'; exitCode: number }
  /** A signal memshim received (from another process: see signals.ts for what is never listened to). */
  | { kind: 'signal'; signal: number }
  /** A round of waiting: the main child's status when it was reaped in this round, and what is left. */
  | { kind: 'collected'; mainStatus: number | null; left: 'none' | 'running' | 'retry' }
  /** The main child was waited for: told as soon as it is, before the 'collected' of its round. */
  | { kind: 'main-reaped' }
  | { kind: 'timer'; timer: TimerName };

export type LifecycleAction =
  | { kind: 'spawn' }
  /** Send `signal` (0: --rewrite dropped it: say so) to the child or its group, `received` being what came. */
  | { kind: 'forward'; received: number; signal: number }
  /** TSTP/TTIN/TTOU: stop memshim too, so a job-control shell sees its job stopped (not as PID 1). */
  | { kind: 'suspend-self' }
  /** Shutdown began: the 'shutdown' event and its line. */
  | { kind: 'shutdown'; reason: 'signal' | 'child-exited'; nothingLeft: boolean; stopDelayMs: number }
  /** SIGTERM or SIGKILL to the main child's group and to every child memshim has, each process once. */
  | { kind: 'signal-everyone'; signal: number; why: 'child-exited' | 'grace-expired' }
  /** Wait for what ended now (a 'collected' event follows). */
  | { kind: 'collect' }
  | { kind: 'start-timer'; timer: TimerName; ms: number }
  | { kind: 'cancel-timer'; timer: TimerName }
  | { kind: 'exit'; code: number; why: 'child' | 'spawn-failed' | 'early-signal' | 'leftovers'; signal?: number };

export interface Step {
  state: LifecycleState;
  actions: LifecycleAction[];
}

const ALIVE: readonly Phase[] = ['running', 'draining', 'stopping', 'killing'];

function remap(config: LifecycleConfig, code: number): number {
  return config.remapExit.get(code) ?? code;
}

export function step(config: LifecycleConfig, state: LifecycleState, event: LifecycleEvent): Step {
  if (state.phase === 'finished') return { state, actions: [] };
  switch (event.kind) {
    case 'start':
      return start(config, state, [...event.early, ...state.held]);
    case 'spawned':
      return spawned(config, state);
    case 'spawn-failed':
      return {
        state: { ...state, phase: 'finished', held: [] },
        actions: [{ kind: 'exit', code: event.exitCode, why: 'spawn-failed' }],
      };
    case 'signal':
      return signal(config, state, event.signal);
    case 'collected':
      return collected(config, state, event.mainStatus, event.left);
    case 'main-reaped':
      return { state: { ...state, child: 'reaped' }, actions: [] };
    case 'timer':
      return timer(config, state, event.timer);
  }
}

function start(config: LifecycleConfig, state: LifecycleState, early: readonly number[]): Step {
  const stop = early.find(
    (n) => STOP_BEFORE_START.has(n) && decideForward(n, config.rewrite, config.singleChild).signal !== 0,
  );
  if (stop !== undefined) {
    return {
      state: { ...state, phase: 'finished', held: [] },
      actions: [{ kind: 'exit', code: remap(config, 128 + stop), why: 'early-signal', signal: stop }],
    };
  }
  return { state: { ...state, phase: 'spawning', held: early }, actions: [{ kind: 'spawn' }] };
}

function spawned(config: LifecycleConfig, state: LifecycleState): Step {
  let current: LifecycleState = { ...state, phase: 'running', child: 'running', held: [] };
  const actions: LifecycleAction[] = [];
  // What came before the child existed reaches it now, in order, as if it came now.
  for (const n of state.held) {
    const next = signal(config, current, n);
    current = next.state;
    actions.push(...next.actions);
  }
  return { state: current, actions };
}

function signal(config: LifecycleConfig, state: LifecycleState, received: number): Step {
  if (state.phase === 'idle' || state.phase === 'spawning')
    return { state: { ...state, held: [...state.held, received] }, actions: [] };
  const decision = decideForward(received, config.rewrite, config.singleChild);
  const actions: LifecycleAction[] = [];
  let next = state;
  const childRuns = state.mainStatus === null;
  if (state.phase === 'draining' && (decision.startsGrace || received === SIG.INT)) {
    // Told again (or Ctrl-C) while draining: the rest of the delay is skipped; the held SIGTERM goes now, once.
    next = { ...next, phase: 'stopping', heldTerm: null };
    actions.push(
      { kind: 'cancel-timer', timer: 'stop-delay' },
      { kind: 'forward', received: SIG.TERM, signal: state.heldTerm! },
      { kind: 'start-timer', timer: 'grace', ms: config.gracePeriodMs },
    );
    if (decision.startsGrace) return { state: next, actions };
  }
  const startsDelay = decision.startsGrace && state.phase === 'running' && childRuns && config.stopDelayMs > 0;
  if (startsDelay) {
    next = { ...next, phase: 'draining', heldTerm: decision.signal, shutdown: 'signal' };
    actions.push(
      { kind: 'shutdown', reason: 'signal', nothingLeft: false, stopDelayMs: config.stopDelayMs },
      { kind: 'start-timer', timer: 'stop-delay', ms: config.stopDelayMs },
    );
  } else {
    if (decision.signal === 0 || childRuns) actions.push({ kind: 'forward', received, signal: decision.signal });
    if (decision.startsGrace && next.shutdown === null) {
      next = { ...next, shutdown: 'signal' };
      actions.push({ kind: 'shutdown', reason: 'signal', nothingLeft: false, stopDelayMs: 0 });
    }
    // The first deadline stands: a second SIGTERM or the child's exit does not extend the grace period.
    if (decision.startsGrace && next.phase === 'running') {
      next = { ...next, phase: 'stopping' };
      actions.push({ kind: 'start-timer', timer: 'grace', ms: config.gracePeriodMs });
    }
  }
  if (decision.suspendSelf) actions.push({ kind: 'suspend-self' });
  return { state: next, actions };
}

function collected(
  config: LifecycleConfig,
  state: LifecycleState,
  mainStatus: number | null,
  left: 'none' | 'running' | 'retry',
): Step {
  const actions: LifecycleAction[] = [];
  let next = state;
  if (mainStatus !== null && state.mainStatus === null && ALIVE.includes(state.phase)) {
    next = { ...next, mainStatus };
    if (state.phase === 'draining') {
      // Nothing to drain for any more: the child is gone.
      next = { ...next, heldTerm: null };
      actions.push({ kind: 'cancel-timer', timer: 'stop-delay' });
    }
    if (next.shutdown === null) {
      next = { ...next, shutdown: 'child-exited' };
      actions.push({ kind: 'shutdown', reason: 'child-exited', nothingLeft: left === 'none', stopDelayMs: 0 });
    }
    if (left !== 'none' && state.phase !== 'killing') {
      actions.push({ kind: 'signal-everyone', signal: SIG.TERM, why: 'child-exited' });
      if (state.phase === 'running' || state.phase === 'draining')
        actions.push({ kind: 'start-timer', timer: 'grace', ms: config.gracePeriodMs });
    }
    if (state.phase === 'running' || state.phase === 'draining') next = { ...next, phase: 'stopping' };
  }
  if (next.mainStatus !== null && left === 'none') {
    return {
      state: { ...next, phase: 'finished' },
      actions: [...actions, { kind: 'exit', code: remap(config, next.mainStatus), why: 'child' }],
    };
  }
  if (left === 'retry' && !next.retrying) {
    next = { ...next, retrying: true };
    actions.push({ kind: 'start-timer', timer: 'retry', ms: RETRY_MS });
  }
  return { state: next, actions };
}

function timer(config: LifecycleConfig, state: LifecycleState, name: TimerName): Step {
  switch (name) {
    case 'retry':
      return { state: { ...state, retrying: false }, actions: [{ kind: 'collect' }] };
    case 'stop-delay':
      if (state.phase !== 'draining') return { state, actions: [] };
      return {
        state: { ...state, phase: 'stopping', heldTerm: null },
        actions: [
          { kind: 'forward', received: SIG.TERM, signal: state.heldTerm! },
          { kind: 'start-timer', timer: 'grace', ms: config.gracePeriodMs },
        ],
      };
    case 'grace':
      if (state.phase !== 'stopping') return { state, actions: [] };
      // The timer for the last wait first: the collect may finish everything, and the exit then cancels it.
      return {
        state: { ...state, phase: 'killing' },
        actions: [
          { kind: 'signal-everyone', signal: SIG.KILL, why: 'grace-expired' },
          { kind: 'start-timer', timer: 'after-kill', ms: AFTER_KILL_MS },
          { kind: 'collect' },
        ],
      };
    case 'after-kill':
      if (state.phase !== 'killing') return { state, actions: [] };
      // Killed and still not gone (a process stuck in the kernel): exit anyway; as PID 1 the kernel kills the rest.
      return {
        state: { ...state, phase: 'finished' },
        actions: [{ kind: 'exit', code: remap(config, state.mainStatus ?? 128 + SIG.KILL), why: 'leftovers' }],
      };
  }
}
