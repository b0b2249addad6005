// Listening for every catchable signal, the real-time ones included. process.on() knows only named signals
// (none of 34..64), so memshim uses the Signal handle Node's own process.on() is built on (signal_wrap): one
// libuv signal handle per number, delivered on the event loop. Reaching it prints DEP0111 once; memshim hides
// that one warning and no other. Node 24 has no process.binding('signal_wrap'): the single executable starts its
// Node with --expose-internals (scripts/build-binary.mjs) to reach the same handle through internalBinding.
// Without either, the named signals still work through process.on().
import { createRequire } from 'node:module';
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
    if (code === 'DEP0111' || first === 'internal/test/binding') return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  type Binding = { Signal?: SignalHandleClass };
  const fromProcessBinding = () => (process as unknown as { binding(name: string): Binding }).binding('signal_wrap');
  const fromInternalBinding = () =>
    process.execArgv.includes('--expose-internals')
      ? (createRequire(import.meta.url)('internal/test/binding') as { internalBinding(name: string): Binding }).internalBinding('signal_wrap')
      : null;
  try {
    for (const find of [fromProcessBinding, fromInternalBinding]) {
      try {
        const binding = find();
        if (typeof binding?.Signal === 'function') return binding.Signal;
      } catch {
        // the next way, or none
      }
    }
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
