// The first thing memshim does: listen for every signal it forwards, before anything else is loaded. The kernel
// drops a signal sent to PID 1 while PID 1 has no handler for it (an init ignores what it does not catch), so a
// `docker stop` in the first tens of milliseconds of a start would otherwise be lost and the container would
// wait out the whole SIGKILL timeout. Until the supervisor's own listeners take over, the numbers received are
// kept, in order, for it to act on (drainEarlySignals): a TERM before the child exists means "do not start it".
//
// Installed twice on the npm install's start path (bin/memshim loads dist/early-signals.cjs before it compiles the
// bundle, then the bundle's first module calls it again); the state lives on the process object under a registry
// symbol, so both copies of this module share one set of handles and the second call is a no-op.
//
// The handles are libuv Signal handles (what process.on() is built on), unref()ed: they keep nothing running.
// handleClass() is the one place that finds that handle class; signal-source.ts uses it too.
import { signalHandleClass, type SignalHandleClass } from './node-internals.js';
import { signalName } from './signal-names.js';

export type { SignalHandle, SignalHandleClass } from './node-internals.js';

interface EarlyState {
  /** Signal numbers delivered while nobody had taken the handles over, in order of arrival. */
  received: number[];
  /** Per signal: where a delivery goes once the supervisor took its handle over. */
  targets: Map<number, (signal: number) => void>;
  /** Per signal: removes the early handler. */
  closers: Map<number, () => void>;
  /** drainEarlySignals() was called: what arrives later goes to the supervisor when it takes over. */
  drained: boolean;
}

/** Signals that, before the child exists, mean "do not start it" (memshim exits 128+N). */
export const STOP_BEFORE_START: ReadonlySet<number> = new Set([1, 2, 3, 15]);

const STATE = Symbol.for('memshim.earlySignals');
const HANDLE_CLASS = Symbol.for('memshim.signalHandleClass');
type Registry = Record<symbol, unknown>;
const registry = process as unknown as Registry;

/**
 * The libuv Signal handle class (signal_wrap), or null where this Node gives no way to it: process.binding on
 * Node < 24 (its DEP0111 warning hidden, no other), internalBinding through --expose-internals (the single
 * executable's Node 24). Without it only the named signals can be listened for, with process.on().
 */
export function handleClass(): SignalHandleClass | null {
  if (HANDLE_CLASS in registry) return registry[HANDLE_CLASS] as SignalHandleClass | null;
  const found = signalHandleClass();
  registry[HANDLE_CLASS] = found;
  return found;
}

/**
 * Listens for `signals` (listen-first.ts passes every signal the supervisor forwards) and keeps what arrives until the
 * supervisor takes the handles over (adoptEarlySignalHandles) or a command that supervises nothing lets them go
 * (closeEarlySignals). Cheap (one handle per signal, no module loaded beyond signals.ts) and idempotent: the
 * first call in the process wins.
 */
export function installEarlySignalHandlers(signals: readonly number[]): void {
  if (registry[STATE]) return;
  const state: EarlyState = { received: [], targets: new Map(), closers: new Map(), drained: false };
  const deliver = (n: number) => {
    const target = state.targets.get(n);
    if (target) target(n);
    else state.received.push(n);
  };
  const Signal = handleClass();
  for (const n of signals) {
    if (Signal) {
      const handle = new Signal();
      handle.onsignal = () => deliver(n);
      if (handle.start(n) === 0) {
        handle.unref();
        state.closers.set(n, () => handle.close());
        continue;
      }
      handle.close();
    }
    const name = signalName(n);
    if (name.startsWith('SIGRT') || name.startsWith('signal ')) continue;
    const listener = () => deliver(n);
    try {
      process.on(name as NodeJS.Signals, listener);
      state.closers.set(n, () => process.off(name as NodeJS.Signals, listener));
    } catch {
      // a signal this Node will not listen for: the supervisor says so when it tries
    }
  }
  registry[STATE] = state;
}

function earlyState(): EarlyState | undefined {
  return registry[STATE] as EarlyState | undefined;
}

/**
 * For the supervisor: the signal numbers received so far, in order, to act on before (or instead of) the spawn.
 * The handlers stay: a signal can have arrived and not been delivered yet (libuv delivers on the event loop), and
 * closing a handle drops what it had not delivered. The supervisor takes them over (adoptEarlySignalHandles), in
 * the same tick or later: what the handlers receive after this call then goes to the supervisor, once.
 */
export function drainEarlySignals(): number[] {
  const state = earlyState();
  if (!state) return [];
  state.drained = true;
  return state.received.splice(0);
}

/**
 * For signal-source.ts: hands each of `signals` that has an early handler over to `onSignal` (the handler is now
 * the supervisor's, for good: no second handle, so no signal is seen twice and none pending is dropped). Returns
 * the signals taken over. What arrived after drainEarlySignals() and before this call goes to onSignal at once;
 * what arrived before a drain stays for drainEarlySignals().
 */
export function adoptEarlySignalHandles(
  signals: readonly number[],
  onSignal: (signal: number) => void,
): ReadonlySet<number> {
  const state = earlyState();
  const adopted = new Set<number>();
  if (!state) return adopted;
  for (const n of signals) {
    if (!state.closers.delete(n)) continue;
    state.targets.set(n, onSignal);
    adopted.add(n);
  }
  if (state.drained) for (const n of state.received.splice(0)) onSignal(n);
  return adopted;
}

/**
 * One turn of the event loop: a signal libuv caught (its C handler ran at once) is delivered to the JavaScript
 * handler in the loop's poll phase, which this waits past. Awaited before drainEarlySignals() so that what was
 * sent before reaches the drain, not the listeners after it.
 */
export function settleEarlySignals(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * For a path that supervises nothing (--exec, --dry-run, --help, status, sidecar): waits one turn of the event
 * loop (what libuv received but had not delivered is delivered then), removes the early handlers that nobody
 * took over and returns what they received, in order.
 */
export async function closeEarlySignals(): Promise<number[]> {
  const state = earlyState();
  if (!state || state.closers.size === 0) return drainEarlySignals();
  await settleEarlySignals();
  for (const close of state.closers.values()) close();
  state.closers.clear();
  return drainEarlySignals();
}

/**
 * For a command that supervises nothing: closeEarlySignals(), then raises again, in order, what came, so each
 * signal has the effect it would have had without the early handlers (its default action, or a listener
 * installed since).
 */
export async function releaseEarlySignals(): Promise<void> {
  for (const n of await closeEarlySignals()) process.kill(process.pid, n);
}
