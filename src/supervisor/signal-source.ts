// Listening for every catchable signal, the real-time ones included. process.on() knows only named signals
// (none of 34..64), so memshim uses the Signal handle Node's own process.on() is built on (signal_wrap): one
// libuv signal handle per number, delivered on the event loop. Reaching it prints DEP0111 once; memshim hides
// that one warning and no other. Without it (a future Node), the named signals still work through process.on().
import { signalName } from './signals.js';

interface SignalHandle {
  onsignal: (signal: number) => void;
  start(signal: number): number;
  close(): void;
  unref(): void;
}
type SignalHandleClass = new () => SignalHandle;

function signalWrapClass(): SignalHandleClass | null {
  const emitWarning = process.emitWarning;
  // Node calls emitWarning(message, 'DeprecationWarning', 'DEP0111') or with an options object.
  process.emitWarning = function filtered(this: unknown, warning: string | Error, ...rest: unknown[]) {
    const [first, second] = rest;
    const code = typeof first === 'object' && first !== null ? (first as { code?: string }).code : second;
    if (code === 'DEP0111') return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    const binding = (process as unknown as { binding(name: string): { Signal?: SignalHandleClass } }).binding('signal_wrap');
    return typeof binding.Signal === 'function' ? binding.Signal : null;
  } catch {
    return null;
  } finally {
    process.emitWarning = emitWarning;
  }
}

export interface SignalSubscription {
  /** The numbers that could not be listened for (and so are not forwarded). */
  missed: number[];
  close(): void;
}

/** Calls onSignal(n) on the event loop for each of `signals` memshim receives, until close(). */
export function listenToSignals(signals: readonly number[], onSignal: (signal: number) => void): SignalSubscription {
  const Signal = signalWrapClass();
  const missed: number[] = [];
  const closers: (() => void)[] = [];
  for (const n of signals) {
    if (Signal) {
      const handle = new Signal();
      handle.onsignal = () => onSignal(n);
      if (handle.start(n) === 0) {
        closers.push(() => handle.close());
        continue;
      }
      handle.close();
    }
    const name = signalName(n);
    if (!name.startsWith('SIGRT') && !name.startsWith('signal ')) {
      const listener = () => onSignal(n);
      try {
        process.on(name as NodeJS.Signals, listener);
        closers.push(() => process.off(name as NodeJS.Signals, listener));
        continue;
      } catch {
        // falls through to missed
      }
    }
    missed.push(n);
  }
  return { missed, close: () => closers.splice(0).forEach((close) => close()) };
}
