// memshim as init: one event loop, like tini. Start the main child, forward every signal memshim receives to
// the child's group (or the child alone with --single-child), collect every child that ends, and shut down
// when the main child exits or memshim is told to stop: SIGTERM what is left, wait the grace period, SIGKILL
// the rest, exit with the main child's status. Never hang. How processes are started, signalled and waited
// for is a ProcessControl: libc through koffi (every child reaped), or node:child_process when koffi cannot
// load (the main child only; what is lost is said once, here).
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../common/log.js';
import type { RlimitSetting } from '../runtimes/types.js';
import { exitCodeForSignal } from '../common/exit-codes.js';
import { koffiFailure } from '../native/koffi.js';
import { ESRCH, libc } from '../native/libc.js';
import { decideForward, describeSignals, FORWARDED_SIGNALS, SIG, signalName } from './signals.js';
import { listenToSignals, type SignalSubscription } from './signal-source.js';
import { drainEarlySignals, STOP_BEFORE_START } from '../common/early-signals.js';
import { LibcProcessControl } from './libc-control.js';
import { NodeProcessControl } from './node-control.js';
import { ownChildren, type ProcessControl, type SpawnResult } from './process-control.js';
import type { Reaped, SupervisorEvents, SupervisorHandle, SupervisorStats } from './types.js';

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
}

/** After SIGKILL, how long memshim still waits for the killed to be reaped before it exits anyway. */
const AFTER_KILL_MS = 1000;
/** How soon to look again when the control says so (a libuv child ahead in the queue; without koffi, leftovers). */
const RETRY_MS = 10;

class Supervisor extends EventEmitter<SupervisorEvents> implements SupervisorHandle {
  pid: number | null = null;
  readonly startedAt = performance.now();
  readonly stats: SupervisorStats = { zombiesReaped: 0, signalsForwarded: new Map() };
  running = false;
  shuttingDown = false;
  readonly exitCode: Promise<number>;

  private resolveExit!: (code: number) => void;
  private signals: SignalSubscription | null = null;
  private mainStatus: number | null = null;
  private killed = false;
  private leftoversTold = false;
  private timer: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  // Holds the event loop open until finish(). Node 24 (the single executable's; newer ones too) has no
  // process.binding('signal_wrap'), and the process.on() signal handles that replace it are unref()ed: with
  // nothing else pending, memshim would exit 0 at once while its child runs.
  private keepAlive: NodeJS.Timeout | null = setInterval(() => {}, 2 ** 30);
  private finished = false;
  /** The child's group was given the terminal's foreground at spawn (job control applies). */
  private foreground = false;

  /** Signals received before the supervisor listened, forwarded once the child runs. */
  private early: number[] = [];

  /** Set once, before start(): the control may call back (a child ended) from the first tick on. */
  private control!: ProcessControl;

  constructor(
    private readonly options: SuperviseOptions,
    private readonly log: Logger,
  ) {
    super();
    this.exitCode = new Promise((resolve) => (this.resolveExit = resolve));
  }

  start(control: ProcessControl): void {
    this.control = control;
    if (process.pid !== 1) {
      // Orphans of the child's tree then come to memshim instead of to the real init: reaped here.
      const ok = control.becomeSubreaper();
      this.log.debug({ event: 'subreaper', ok }, ok ? `not PID 1 (pid ${process.pid}): child subreaper, orphans are reaped here` : `not PID 1 and no child subreaper: orphans go to the real init`);
    }
    // Listening before the spawn: a signal or an exit in between is not lost.
    this.signals = listenToSignals([SIG.CHLD, ...FORWARDED_SIGNALS], (n) => (n === SIG.CHLD ? this.reap() : this.forward(n)));
    if (this.signals.missed.length > 0) {
      // Node >= 24 without --expose-internals (the single executable has it): only the named signals.
      this.log.warn({ event: 'signals_missed', signals: this.signals.missed }, `cannot listen for ${describeSignals(this.signals.missed)} on Node ${process.versions.node}: not forwarded`);
    }
    // What came before memshim listened here (common/early-signals.ts; listenToSignals took those handles over): a
    // stop signal means the child is never started; any other is forwarded once it runs.
    const early = drainEarlySignals();
    const stop = early.find((n) => STOP_BEFORE_START.has(n) && decideForward(n, this.options.rewrite, this.options.singleChild).signal !== 0);
    if (stop !== undefined) {
      this.log.info({ event: 'early_signal', signal: stop }, `${signalName(stop)} before the child was started: not starting it`);
      this.finish(exitCodeForSignal(stop));
      return;
    }
    this.early = early;
    const command = String(this.options.argv[0] ?? '');
    const { argv, env, rlimits } = this.options;
    const result = control.spawn({ argv, env, rlimits, command, oomScoreGap: this.options.oomScoreGap ?? 0 });
    if (result instanceof Promise) void result.then((failed) => this.started(command, failed));
    else this.started(command, result);
  }

  private started(command: string, result: SpawnResult): void {
    if (!result.ok) {
      this.log.error({ event: 'spawn_failed', command, exitCode: result.exitCode }, result.reason);
      this.finish(result.exitCode);
      return;
    }
    this.pid = result.pid;
    this.running = true;
    this.foreground = result.foreground;
    this.log.info({ event: 'start', command, pid: result.pid, group: !this.options.singleChild, tty: result.foreground }, `started ${command} (pid ${result.pid})`);
    process.nextTick(() => this.emit('spawn', result.pid));
    for (const n of this.early.splice(0)) this.forward(n);
    // An exit before the SIGCHLD listener could see it is still a zombie: the first round finds it.
    setImmediate(() => this.reap());
  }

  /** Where forwarded signals go: the child's process group (its pid is the group id) or the child alone. */
  private target(): number {
    return this.options.singleChild ? this.pid! : -this.pid!;
  }

  private forward(received: number): void {
    if (this.finished) return;
    const decision = decideForward(received, this.options.rewrite, this.options.singleChild);
    if (this.running && decision.signal !== 0) {
      // `fg` in the shell that started memshim: memshim holds the terminal again; give it back to the child.
      if (decision.signal === SIG.CONT) this.handTerminalBack();
      const target = this.target();
      if (this.control.kill(target, decision.signal) === 0) {
        this.stats.signalsForwarded.set(decision.signal, (this.stats.signalsForwarded.get(decision.signal) ?? 0) + 1);
        this.emit('signal', decision.signal, target);
        this.log.debug({ event: 'signal_forwarded', received, signal: decision.signal, target }, `forwarded ${signalName(decision.signal)} to ${target < 0 ? 'group' : 'pid'} ${Math.abs(target)}`);
      }
    } else if (decision.signal === 0) {
      this.log.debug({ event: 'signal_dropped', received }, `dropped ${signalName(received)} (--rewrite)`);
    }
    if (decision.startsGrace) this.beginShutdown('signal');
    // Like dumb-init: stop memshim too so a job-control shell sees the job stopped. PID 1 cannot stop itself.
    if (decision.suspendSelf && process.pid !== 1) this.control.kill(process.pid, SIG.STOP);
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
    this.reap();
  }

  private reap(): void {
    if (this.finished) return;
    const round = this.control.collect();
    if (round.stopped.length > 0) this.onStopped(round.stopped);
    for (const waited of round.waited) {
      const main = waited.pid === this.pid;
      const reaped: Reaped = { ...waited, main, at: performance.now() };
      if (main) {
        this.running = false;
        this.mainStatus = waited.signal !== null ? exitCodeForSignal(waited.signal) : (waited.code ?? 0);
        this.log.info({ event: 'child_exit', pid: waited.pid, code: waited.code, signal: waited.signal }, waited.signal !== null ? `child killed by ${signalName(waited.signal)}` : `child exited with ${waited.code}`);
      } else {
        this.stats.zombiesReaped++;
        this.log.trace({ event: 'reaped', pid: waited.pid, code: waited.code, signal: waited.signal }, 'reaped an adopted process');
      }
      this.emit('reaped', reaped);
    }
    if (this.mainStatus !== null && !this.leftoversTold) {
      this.leftoversTold = true;
      this.beginShutdown('child-exited', round.left === 'none');
    }
    if (this.mainStatus !== null && round.left === 'none') return this.finish(this.mainStatus);
    if (round.left === 'retry' && !this.retry) {
      this.retry = setTimeout(() => {
        this.retry = null;
        this.reap();
      }, RETRY_MS);
    }
  }

  /** SIGTERM (or SIGKILL) to the main child's group and to every child memshim still has. */
  private signalEveryone(signal: number): void {
    if (this.pid !== null) {
      const group = this.control.kill(-this.pid, signal);
      // --single-child: the child may have left its group; it must still be told.
      if (group !== 0 || this.options.singleChild) this.control.kill(this.pid, signal);
    }
    for (const pid of ownChildren()) if (![0, ESRCH].includes(this.control.kill(pid, signal))) this.log.debug({ event: 'kill_failed', pid, signal }, 'could not signal a child');
  }

  /**
   * 'child-exited': the main child is gone; what is left gets SIGTERM now. 'signal': memshim got SIGTERM
   * (already forwarded). Either way everything still there after the grace period gets SIGKILL.
   */
  private beginShutdown(reason: 'child-exited' | 'signal', nothingLeft = false): void {
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      this.emit('shutdown', reason);
      const what = reason === 'signal' ? 'SIGTERM received: stopping the child' : nothingLeft ? 'the child exited, nothing else is left' : 'the child exited: stopping what is left';
      this.log.info({ event: 'shutdown', reason, gracePeriodMs: this.options.gracePeriodMs }, what);
    }
    if (nothingLeft) return;
    if (reason === 'child-exited') this.signalEveryone(SIG.TERM);
    // The first deadline stands: a SIGTERM's grace period is not extended by the child's exit or a second one.
    if (!this.timer) {
      this.timer = setTimeout(() => this.graceExpired(), this.options.gracePeriodMs);
    }
  }

  private graceExpired(): void {
    if (this.finished) return;
    if (!this.killed) {
      this.killed = true;
      this.log.warn({ event: 'grace_expired', gracePeriodMs: this.options.gracePeriodMs, childRunning: this.running }, 'grace period over: SIGKILL to what is left');
      this.signalEveryone(SIG.KILL);
      this.reap();
      if (!this.finished) this.timer = setTimeout(() => this.graceExpired(), AFTER_KILL_MS);
      return;
    }
    // Killed and still not gone (a process stuck in the kernel): exit anyway; as PID 1 the kernel kills the rest.
    this.log.warn({ event: 'exit_with_leftovers', left: ownChildren().length }, 'processes survived SIGKILL: exiting anyway');
    this.finish(this.mainStatus ?? exitCodeForSignal(SIG.KILL));
  }

  private finish(code: number): void {
    if (this.finished) return;
    this.finished = true;
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
    if (this.timer) clearTimeout(this.timer);
    if (this.retry) clearTimeout(this.retry);
    this.signals?.close();
    this.resolveExit(code);
  }
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
  const lib = libc();
  if (lib) {
    supervisor.start(new LibcProcessControl(lib, log));
  } else {
    const reason = koffiFailure() ?? 'libc.so.6 not loadable';
    log.warn({ event: 'no_koffi', lost: LOST_WITHOUT_LIBC }, `running the command without koffi (${reason}): ${LOST_WITHOUT_LIBC.join('; ')}`);
    supervisor.start(new NodeProcessControl(() => supervisor.childEnded()));
  }
  return supervisor;
}
