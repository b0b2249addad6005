// memshim as init: one event loop, like tini. Start the main child, forward every signal memshim receives to
// the child's group (or the child alone with --single-child), collect every child that ends, and shut down
// when the main child exits or memshim is told to stop: SIGTERM what is left, wait the grace period, SIGKILL
// the rest, exit with the main child's status. Never hang. What to do when is decided by lifecycle.ts (a pure
// step function); this file runs its actions and tells it what happened. How processes are started, signalled and waited
// for is a ProcessControl: libc through koffi (every child reaped), or node:child_process when koffi cannot
// load (the main child only; what is lost is said once, here).
import { monotonicMs } from '../common/clock.js';
import { EventEmitter } from 'node:events';
import type { Logger } from '../common/log.js';
import type { RlimitSetting } from '../runtimes/types.js';
import { exitCodeForSignal } from '../common/exit-codes.js';
import { koffiFailure } from '../native/koffi.js';
import { ESRCH, libc } from '../native/libc.js';
import { readProcStat } from '../common/proc-stat.js';
import { BLOCKED_IN_MAIN_THREAD, describeSignals, SIG, signalName, signalsToListen } from './signals.js';
import { listenToSignals } from './signal-source.js';
import { drainEarlySignals } from '../common/early-signals.js';
import { LibcProcessControl } from './libc-control.js';
import { NodeProcessControl } from './node-control.js';
import { ownChildren, type ProcessControl, type SpawnResult } from './process-control.js';
import {
  INITIAL_LIFECYCLE,
  step,
  type LifecycleAction,
  type LifecycleConfig,
  type LifecycleEvent,
  type LifecycleState,
  type Phase,
  type TimerName,
} from './lifecycle.js';
import type { Reaped, SupervisorEvents, SupervisorHandle, SupervisorStats } from './types.js';
import { warnIfChanged } from './raw-bytes.js';

export interface SuperviseOptions {
  argv: readonly string[];
  /** The child's whole environment (process.env with the plan's variables over it). */
  env: Readonly<Record<string, string | undefined>>;
  rlimits: readonly RlimitSetting[];
  singleChild: boolean;
  rewrite: ReadonlyMap<number, number>;
  gracePeriodMs: number;
  /** oom_score_adj points the child starts above memshim (oom-score.ts); 0 or absent: none. */
  oomScoreGap?: number;
  /** --stop-delay: SIGTERM makes memshim not ready at once and reaches the child this much later. */
  stopDelayMs?: number;
  /** --remap-exit FROM:TO on the child's status. */
  remapExit?: ReadonlyMap<number, number>;
  /** --pdeathsig: the signal memshim asks for when its parent dies (then forwarded like any). */
  parentDeathSignal?: number | null;
  /**
   * Signals that came before memshim listened, asked for once it listens (so none falls between the two); a stop
   * signal among them: the child is not started. Default: the start-up's early handlers (common/early-signals.ts).
   */
  earlySignals?: () => readonly number[];
}

class Supervisor extends EventEmitter<SupervisorEvents> implements SupervisorHandle {
  pid: number | null = null;
  readonly startedAt = monotonicMs();
  readonly stats: SupervisorStats = { zombiesReaped: 0, signalsForwarded: new Map() };
  readonly exitCode: Promise<number>;

  private resolveExit!: (code: number) => void;
  private state: LifecycleState = INITIAL_LIFECYCLE;
  private readonly config: LifecycleConfig;
  private readonly timers = new Map<TimerName, NodeJS.Timeout>();
  // Holds the event loop open until finish(). Node 24 (the single executable's; newer ones too) has no
  // process.binding('signal_wrap'), and the process.on() signal handles that replace it are unref()ed: with
  // nothing else pending, memshim would exit 0 at once while its child runs.
  private keepAlive: NodeJS.Timeout | null = setInterval(() => {}, 2 ** 30);
  private finished = false;
  /** The child's group was given the terminal's foreground at spawn (job control applies). */
  private foreground = false;

  /** Set once, before start(): the control may call back (a child ended) from the first tick on. */
  private control!: ProcessControl;

  constructor(
    private readonly options: SuperviseOptions,
    private readonly log: Logger,
  ) {
    super();
    this.exitCode = new Promise((resolve) => (this.resolveExit = resolve));
    this.config = {
      singleChild: options.singleChild,
      rewrite: options.rewrite,
      gracePeriodMs: options.gracePeriodMs,
      stopDelayMs: options.stopDelayMs ?? 0,
      remapExit: options.remapExit ?? new Map(),
    };
  }

  /** The main child runs: started, not yet waited for. */
  get running(): boolean {
    return this.state.child === 'running';
  }

  /** true once shutdown began (SIGTERM, the stop delay included, or the child's exit): /readyz answers 503. */
  get shuttingDown(): boolean {
    return this.state.shutdown !== null;
  }

  get phase(): Phase {
    return this.state.phase;
  }

  start(control: ProcessControl): void {
    this.control = control;
    if (process.pid !== 1) {
      // Orphans of the child's tree then come to memshim instead of to the real init: reaped here.
      const ok = control.becomeSubreaper();
      this.log.debug(
        { event: 'subreaper', ok },
        ok
          ? `not PID 1 (pid ${process.pid}): child subreaper, orphans are reaped here`
          : `not PID 1 and no child subreaper: orphans go to the real init`,
      );
    }
    // Before listening: what memshim's own work raises stays in its main thread (signals.ts).
    const blocked = control.blockInMainThread(BLOCKED_IN_MAIN_THREAD);
    // Listening before the spawn: a signal or an exit in between is not lost. Never closed: once the child's exit
    // is final (finish()), what comes is absorbed until memshim exits with that status. memshim still writes its
    // last lines then (up to a second on a stalled stderr), and a TERM's default action would end it with 143
    // instead (memshim under another init; PID 1 is spared by the kernel).
    const { missed } = listenToSignals(signalsToListen(blocked), (n) => {
      if (this.finished) return;
      if (n === SIG.CHLD) this.collect();
      else this.dispatch({ kind: 'signal', signal: n });
    });
    if (missed.length > 0) {
      // Node >= 24 without --expose-internals (the single executable has it): only the named signals.
      this.log.warn(
        { event: 'signals_missed', signals: missed },
        `cannot listen for ${describeSignals(missed)} on Node ${process.versions.node}: not forwarded`,
      );
    }
    const deathSignal = this.options.parentDeathSignal ?? null;
    if (deathSignal !== null) {
      const ok = control.setParentDeathSignal(deathSignal);
      if (ok)
        this.log.debug(
          { event: 'pdeathsig', signal: deathSignal },
          `${signalName(deathSignal)} when memshim's parent dies`,
        );
      else
        this.log.warn(
          { event: 'pdeathsig', signal: deathSignal, ok },
          `--pdeathsig needs koffi (${koffiFailure() ?? 'prctl failed'}): memshim is not told when its parent dies`,
        );
    }
    // What came before memshim listened here (listenToSignals took the early handles over).
    this.dispatch({ kind: 'start', early: (this.options.earlySignals ?? drainEarlySignals)() });
  }

  /** One step of the lifecycle (lifecycle.ts), then its actions, in order. */
  private dispatch(event: LifecycleEvent): void {
    const next = step(this.config, this.state, event);
    this.state = next.state;
    for (const action of next.actions) if (!this.finished) this.act(action);
  }

  private act(action: LifecycleAction): void {
    switch (action.kind) {
      case 'spawn':
        return this.spawn();
      case 'forward':
        return this.forward(action.received, action.signal);
      case 'suspend-self':
        // Like dumb-init: stop memshim too so a job-control shell sees the job stopped. PID 1 cannot stop itself.
        if (process.pid !== 1) this.control.kill(process.pid, SIG.STOP);
        return;
      case 'shutdown':
        return this.tellShutdown(action.reason, action.nothingLeft, action.stopDelayMs);
      case 'signal-everyone':
        if (action.why === 'grace-expired')
          this.log.warn(
            { event: 'grace_expired', gracePeriodMs: this.options.gracePeriodMs, childRunning: this.running },
            'grace period over: SIGKILL to what is left',
          );
        return this.signalEveryone(action.signal);
      case 'collect':
        return this.collect();
      case 'start-timer': {
        const { timer } = action;
        clearTimeout(this.timers.get(timer));
        this.timers.set(
          timer,
          setTimeout(() => {
            this.timers.delete(timer);
            this.dispatch({ kind: 'timer', timer });
          }, action.ms),
        );
        return;
      }
      case 'cancel-timer':
        clearTimeout(this.timers.get(action.timer));
        this.timers.delete(action.timer);
        return;
      case 'exit':
        if (action.why === 'leftovers')
          this.log.warn(
            { event: 'exit_with_leftovers', left: ownChildren().length },
            'processes survived SIGKILL: exiting anyway',
          );
        if (action.why === 'early-signal')
          this.log.info(
            { event: 'early_signal', signal: action.signal, exitCode: action.code },
            `${signalName(action.signal!)} came before the child was started: not starting it`,
          );
        return this.finish(action.code);
    }
  }

  private spawn(): void {
    const command = String(this.options.argv[0] ?? '');
    const { argv, env, rlimits } = this.options;
    const result = this.control.spawn({ argv, env, rlimits, command, oomScoreGap: this.options.oomScoreGap ?? 0 });
    if (result instanceof Promise) void result.then((failed) => this.started(command, failed));
    else this.started(command, result);
  }

  private started(command: string, result: SpawnResult): void {
    if (!result.ok) {
      this.log.error({ event: 'spawn_failed', command, exitCode: result.exitCode }, result.reason);
      this.dispatch({ kind: 'spawn-failed', exitCode: result.exitCode });
      return;
    }
    this.pid = result.pid;
    this.foreground = result.foreground;
    this.log.info(
      { event: 'start', command, pid: result.pid, group: !this.options.singleChild, tty: result.foreground },
      `started ${command} (pid ${result.pid})`,
    );
    this.leaveWorkingDirectory();
    process.nextTick(() => this.emit('spawn', result.pid));
    // An exit before the SIGCHLD listener could see it is still a zombie: the first round finds it.
    setImmediate(() => this.collect());
    this.dispatch({ kind: 'spawned' });
  }

  /**
   * Like dumb-init's chdir("/"): memshim does not hold the directory it was started in (a volume could not be
   * unmounted). The child was started there and keeps it.
   */
  private leaveWorkingDirectory(): void {
    try {
      process.chdir('/');
    } catch (error) {
      this.log.debug(
        { event: 'chdir_failed', code: (error as NodeJS.ErrnoException).code },
        'memshim stays in its working directory',
      );
    }
  }

  /** Where forwarded signals go: the child's process group (its pid is the group id) or the child alone. */
  private target(): number {
    return this.options.singleChild ? this.pid! : -this.pid!;
  }

  private forward(received: number, signal: number): void {
    if (signal === 0) {
      this.log.debug({ event: 'signal_dropped', received }, `dropped ${signalName(received)} (--rewrite)`);
      return;
    }
    // `fg` in the shell that started memshim: memshim holds the terminal again; give it back to the child.
    if (signal === SIG.CONT) this.handTerminalBack();
    const target = this.target();
    if (this.control.kill(target, signal) === 0) {
      this.stats.signalsForwarded.set(signal, (this.stats.signalsForwarded.get(signal) ?? 0) + 1);
      this.emit('signal', signal, target);
      this.log.debug(
        { event: 'signal_forwarded', received, signal, target },
        `forwarded ${signalName(signal)} to ${target < 0 ? 'group' : 'pid'} ${Math.abs(target)}`,
      );
    }
  }

  /**
   * Job control when memshim was started from a shell on a terminal: Ctrl-Z stops the child's group (the
   * foreground), and memshim stops too, so the shell sees its job stopped and takes the terminal back.
   */
  private onStopped(pids: readonly number[]): void {
    if (!this.foreground || process.pid === 1 || !pids.includes(this.pid!)) return;
    this.log.debug({ event: 'child_stopped', pid: this.pid }, 'the child stopped: memshim stops too (job control)');
    this.control.kill(process.pid, SIG.STOP);
  }

  private handTerminalBack(): void {
    if (this.foreground) this.control.handTerminalBack(this.pid!);
  }

  /** The control's notice that a child ended without a SIGCHLD memshim could see (node:child_process). */
  childEnded(): void {
    this.collect();
  }

  private collect(): void {
    if (this.finished) return;
    const round = this.control.collect();
    if (round.stopped.length > 0) this.onStopped(round.stopped);
    let mainStatus: number | null = null;
    // One clock reading and one object per process: a round may take thousands of orphans at once (a backlog
    // while memshim was stopped or busy), and what it allocates brings the next full collection nearer.
    const at = round.waited.length > 0 ? monotonicMs() : 0;
    const traced = this.log.isLevelEnabled('trace');
    for (const waited of round.waited) {
      const main = waited.pid === this.pid;
      const reaped: Reaped = { pid: waited.pid, main, code: waited.code, signal: waited.signal, at };
      if (main) {
        this.dispatch({ kind: 'main-reaped' });
        mainStatus = waited.signal !== null ? exitCodeForSignal(waited.signal) : (waited.code ?? 0);
        this.log.info(
          { event: 'child_exit', pid: waited.pid, code: waited.code, signal: waited.signal },
          waited.signal !== null ? `child killed by ${signalName(waited.signal)}` : `child exited with ${waited.code}`,
        );
      } else {
        this.stats.zombiesReaped++;
        if (traced)
          this.log.trace(
            { event: 'reaped', pid: waited.pid, code: waited.code, signal: waited.signal },
            'reaped an adopted process',
          );
      }
      this.emit('reaped', reaped);
    }
    this.dispatch({ kind: 'collected', mainStatus, left: round.left });
  }

  /**
   * SIGTERM (or SIGKILL) to the main child's group and to every child memshim still has, each process once: a
   * process in the group that memshim also adopted is told by the group signal only (a second SIGTERM is
   * "exit now" to many programs).
   */
  private signalEveryone(signal: number): void {
    const group = this.pid;
    const told = new Set<number>();
    let groupTold = false;
    if (group !== null) {
      groupTold = this.control.kill(-group, signal) === 0;
      // --single-child: the child may have left its group; it must still be told (once).
      if (!groupTold || (this.options.singleChild && processGroupOf(group) !== group)) {
        this.control.kill(group, signal);
        told.add(group);
      }
    }
    for (const pid of ownChildren()) {
      if (told.has(pid) || (groupTold && processGroupOf(pid) === group)) continue;
      const errno = this.control.kill(pid, signal);
      if (errno !== 0 && errno !== ESRCH)
        this.log.debug({ event: 'kill_failed', pid, signal }, 'could not signal a child');
    }
  }

  private tellShutdown(reason: 'child-exited' | 'signal', nothingLeft: boolean, stopDelayMs: number): void {
    this.emit('shutdown', reason);
    const what =
      reason === 'signal'
        ? stopDelayMs > 0
          ? `SIGTERM received: not ready any more (/readyz 503); the child gets SIGTERM in ${stopDelayMs / 1000} s`
          : 'SIGTERM received: stopping the child'
        : nothingLeft
          ? 'the child exited, nothing else is left'
          : 'the child exited: stopping what is left';
    this.log.info(
      {
        event: 'shutdown',
        reason,
        gracePeriodMs: this.options.gracePeriodMs,
        ...(stopDelayMs > 0 ? { stopDelayMs } : {}),
      },
      what,
    );
  }

  private finish(code: number): void {
    if (this.finished) return;
    this.finished = true;
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.resolveExit(code);
  }
}

/** A process's group, from /proc; null when it cannot be read (gone, or no /proc). */
function processGroupOf(pid: number): number | null {
  return readProcStat('/proc', pid)?.pgrp ?? null;
}

/** What runs differently without koffi, in the one warning that says so. */
const LOST_WITHOUT_LIBC = [
  'no reaping of orphans (they stay zombies)',
  'no child subreaper',
  'no rlimits (--python-memory-cap)',
  'no terminal hand-over (the child runs in its own session)',
];

/**
 * Starts the command as memshim's supervised child and returns the handle at once (the 'spawn' event comes on
 * the next tick, so listeners attached right after this call see it). exitCode resolves when all is done.
 */
export function supervise(options: SuperviseOptions, log: Logger): SupervisorHandle {
  const supervisor = new Supervisor(options, log);
  const lib = libc(options.env);
  if (lib) {
    supervisor.start(new LibcProcessControl(lib, log));
  } else {
    const reason = koffiFailure() ?? 'libc.so.6 not loadable';
    warnIfChanged(options.argv, options.env, log);
    log.warn(
      { event: 'no_koffi', lost: LOST_WITHOUT_LIBC },
      `running the command without koffi (${reason}): ${LOST_WITHOUT_LIBC.join('; ')}`,
    );
    supervisor.start(new NodeProcessControl(() => supervisor.childEnded()));
  }
  return supervisor;
}
