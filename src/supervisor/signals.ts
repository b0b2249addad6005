// Signal numbers and the --rewrite table. Linux numbering (x86_64 and arm64 agree on 1-31; glibc reserves
// 32 and 33, so the real-time signals memshim forwards are 34..64).
import { signalName, signalNumber, SIGRTMAX } from '../common/signal-names.js';

export { SIGRTMIN, SIGRTMAX, signalName, signalNumber } from '../common/signal-names.js';

export class RewriteError extends Error {
  override name = 'RewriteError';
}

/** ["15:3", "SIGWINCH:0"] -> Map {15 => 3, 28 => 0}. TO 0 drops the signal. Throws RewriteError on bad input. */
export function parseRewrite(specs: readonly string[]): Map<number, number> {
  const table = new Map<number, number>();
  for (const spec of specs) {
    const parts = spec.split(':');
    const from = parts.length === 2 ? signalNumber(parts[0]!) : undefined;
    const to = parts.length === 2 ? signalNumber(parts[1]!) : undefined;
    if (from === undefined || to === undefined || from === 0) {
      throw new RewriteError(
        `--rewrite wants FROM:TO signal numbers or names (15:3, TERM:QUIT, 28:0 to drop), not "${spec}"`,
      );
    }
    // The kernel delivers KILL and STOP to no handler: memshim never sees them, so it cannot rewrite them.
    if (from === 9 || from === 19)
      throw new RewriteError(
        `--rewrite "${spec}": SIG${from === 9 ? 'KILL' : 'STOP'} cannot be caught, so memshim never sees it to rewrite`,
      );
    table.set(from, to);
  }
  return table;
}

export const SIG = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  KILL: 9,
  USR1: 10,
  TERM: 15,
  CHLD: 17,
  CONT: 18,
  STOP: 19,
  TSTP: 20,
  TTIN: 21,
  TTOU: 22,
} as const;

/**
 * Signals memshim does not forward from its usual list: the uncatchable (KILL, STOP), the synchronous faults
 * (SEGV BUS FPE ILL: see FAULT_SIGNALS for how they are forwarded all the same), glibc's reserved 32 and 33,
 * and CHLD, which is memshim's own business (reaping).
 */
const NOT_FORWARDED = new Set([4, 7, 8, 9, 11, 17, 19, 32, 33]);

/**
 * Every signal whose disposition a program starts with at SIG_DFL: 1..64 less the two that cannot be caught (KILL,
 * STOP) and glibc's reserved 32 and 33. memshim resets them before it becomes the command (--exec).
 */
export const RESETTABLE_SIGNALS: readonly number[] = Array.from({ length: SIGRTMAX }, (_, i) => i + 1).filter(
  (n) => n !== SIG.KILL && n !== SIG.STOP && n !== 32 && n !== 33,
);

/** Every signal memshim listens for and forwards: 1..31 less the above, and the real-time ones 34..64. */
export const FORWARDED_SIGNALS: readonly number[] = Array.from({ length: SIGRTMAX }, (_, i) => i + 1).filter(
  (n) => !NOT_FORWARDED.has(n),
);

/** The faults: a handler that returns re-runs the faulting instruction, so they need the rule below. */
export const FAULT_SIGNALS: readonly number[] = [4, 7, 8, 11];

/** SIGPIPE: what memshim's own write to a closed pipe or socket raises. */
export const SIGPIPE = 13;

/**
 * The rule, in this one place: memshim forwards only what another process sent; what its own work raises is
 * its own. These five are the ones its own work can raise: SIGPIPE (a write to stderr whose reader is gone,
 * to a health client that hung up) and the four faults (a real bug of memshim's). memshim blocks them in its
 * main thread, where all its JavaScript, its writes to pipes and sockets and its libc calls run, before it
 * listens:
 * - raised by its own work they are thread-directed to the main thread: a blocked SIGPIPE stays pending there
 *   (the write fails with EPIPE, which is all memshim needs to know), and a blocked fault is unblocked and
 *   made fatal by the kernel (memshim crashes with it, as it must: returning would re-run the instruction);
 * - sent by another process (kill) they are process-directed: the kernel hands them to a thread that does not
 *   block them (Node's worker threads), whose handler queues them for the event loop: forwarded.
 * Without koffi the mask cannot be set: then memshim does not listen to them at all (Node leaves SIGPIPE
 * ignored, so a write fails with EPIPE; a fault is fatal), and a SIGPIPE or fault signal sent to memshim is
 * not forwarded (docs/pid1.md).
 */
export const BLOCKED_IN_MAIN_THREAD: readonly number[] = [SIGPIPE, ...FAULT_SIGNALS];

/**
 * What the first module listens for (listen-first.ts), before the supervisor can block anything: not the five
 * above, or a SIGPIPE of memshim's own first log line would be kept and forwarded once the child runs.
 */
export const LISTENED_FROM_THE_START: readonly number[] = FORWARDED_SIGNALS.filter(
  (n) => !BLOCKED_IN_MAIN_THREAD.includes(n),
);

/** What memshim listens to: SIGCHLD (reaping) and what it forwards, less what it cannot tell apart without koffi. */
export function signalsToListen(canBlockInMainThread: boolean): number[] {
  const forwarded = [...FORWARDED_SIGNALS, ...FAULT_SIGNALS].sort((a, b) => a - b);
  return [
    SIG.CHLD,
    ...(canBlockInMainThread ? forwarded : forwarded.filter((n) => !BLOCKED_IN_MAIN_THREAD.includes(n))),
  ];
}

const TTY_STOPS = new Set<number>([SIG.TSTP, SIG.TTIN, SIG.TTOU]);

export interface ForwardDecision {
  /** What to send the child (or its group); 0: nothing (dropped by --rewrite). */
  signal: number;
  /** TSTP/TTIN/TTOU: memshim stops itself after forwarding, so the shell that started it sees it stopped. */
  suspendSelf: boolean;
  /** SIGTERM: start the grace period after which a child still running is killed. */
  startsGrace: boolean;
}

/**
 * What memshim does with a signal it received (dumb-init's rules): --rewrite first; in group mode
 * TSTP/TTIN/TTOU become STOP for the group unless rewritten (dumb-init's default: the whole job stops, even
 * members that ignore the catchable stop signals); those three also suspend memshim itself.
 */
export function decideForward(
  received: number,
  rewrite: ReadonlyMap<number, number>,
  singleChild: boolean,
): ForwardDecision {
  const rewritten = rewrite.get(received);
  const signal = rewritten ?? (!singleChild && TTY_STOPS.has(received) ? SIG.STOP : received);
  return { signal, suspendSelf: TTY_STOPS.has(received), startsGrace: received === SIG.TERM && signal !== 0 };
}

/** [34, 35, ..., 64, 7] -> "SIGRTMIN..SIGRTMIN+30 (34-64), SIGBUS": runs of consecutive numbers as ranges. */
export function describeSignals(signals: readonly number[]): string {
  const sorted = [...new Set(signals)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    const first = sorted[i]!;
    const last = sorted[j]!;
    parts.push(
      j - i >= 2
        ? `${signalName(first)}..${signalName(last)} (${first}-${last})`
        : sorted
            .slice(i, j + 1)
            .map(signalName)
            .join(', '),
    );
    i = j + 1;
  }
  return parts.join(', ');
}
