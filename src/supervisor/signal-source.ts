// Listening for every catchable signal, the real-time ones included. process.on() knows only named signals
// (none of 34..64), so memshim uses the Signal handle Node's own process.on() is built on (signal_wrap): one
// libuv signal handle per number, delivered on the event loop. Reaching it prints DEP0111 once; memshim hides
// that one warning and no other. Node 24 has no process.binding('signal_wrap'): the single executable starts its
// Node with --expose-internals (scripts/build-binary.mjs) to reach the same handle through internalBinding.
// Without either, the named signals still work through process.on(). Finding the handle class is
// common/early-signals.ts's (the first module that runs listens with the same handles).
import { adoptEarlySignalHandles, handleClass } from '../common/early-signals.js';
import { signalName } from './signals.js';

export interface SignalSubscription {
  /** The numbers that could not be listened for (and so are not forwarded). */
  missed: number[];
}

/**
 * Calls onSignal(n) on the event loop for each of `signals` memshim receives, for as long as the process lives:
 * the handles are never closed (supervisor.ts says why), so a signal never falls back to its default action.
 */
export function listenToSignals(signals: readonly number[], onSignal: (signal: number) => void): SignalSubscription {
  const Signal = handleClass();
  const missed: number[] = [];
  // The handles the first module installed (common/early-signals.ts) become these: none dropped, none doubled.
  const adopted = adoptEarlySignalHandles(signals, onSignal);
  for (const n of signals) {
    if (adopted.has(n)) continue;
    if (Signal) {
      const handle = new Signal();
      handle.onsignal = () => onSignal(n);
      if (handle.start(n) === 0) continue;
      handle.close();
    }
    const name = signalName(n);
    if (!name.startsWith('SIGRT') && !name.startsWith('signal ')) {
      const listener = () => onSignal(n);
      try {
        process.on(name as NodeJS.Signals, listener);
        continue;
      } catch {
        // falls through to missed
      }
    }
    missed.push(n);
  }
  return { missed };
}
