// Every use of an API Node does not document, in one module, each with its test (test/common/node-internals.test.ts):
// a Node upgrade that removes one fails that test, loudly, instead of quietly turning off a PID 1 duty elsewhere.
// Each has a public fallback; the return value says when the private way could not be used.
// Outside src/: bin/memshim (plain CommonJS) uses Module._nodeModulePaths, and scripts/build-binary.mjs starts the
// single executable's Node with --expose-internals for signalHandleClass(). docs/architecture.md lists them all.
import { builtinRequire } from './builtin-require.js';

/** One libuv signal handle: what Node's own process.on(signal) is built on. */
export interface SignalHandle {
  onsignal: (signal: number) => void;
  start(signal: number): number;
  close(): void;
  unref(): void;
}
export type SignalHandleClass = new () => SignalHandle;

/**
 * Runs `find` with Node's warnings about the private ways below held back: process.binding's DEP0111, printed once,
 * and internal/test/binding's "for internal testing only", printed when it is first loaded. No other warning.
 */
function withoutPrivateApiWarnings<T>(find: () => T): T {
  const emitWarning = process.emitWarning;
  // Node calls emitWarning(message, 'DeprecationWarning', 'DEP0111') or with an options object.
  process.emitWarning = function filtered(this: unknown, warning: string | Error, ...rest: unknown[]) {
    const [first, second] = rest;
    const code = typeof first === 'object' && first !== null ? (first as { code?: string }).code : second;
    if (code === 'DEP0111' || first === 'internal/test/binding') return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return find();
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** internalBinding(name) through internal/test/binding, with --expose-internals (the single executable); else null. */
function internalBinding<T>(name: string): T | null {
  if (!process.execArgv.includes('--expose-internals')) return null;
  return (builtinRequire()('internal/test/binding') as { internalBinding(name: string): T }).internalBinding(name);
}

/**
 * `pick(binding)` of Node's binding `name`, from the first way that gives it: process.binding (Node < 24; its DEP0111
 * hidden, and no other warning), then internalBinding through --expose-internals (the single executable). null
 * when neither does.
 */
function fromBinding<B, T>(name: string, pick: (binding: B | null) => T | undefined): T | null {
  const fromProcessBinding = () => (process as unknown as { binding(name: string): B }).binding(name);
  const fromInternalBinding = () => internalBinding<B>(name);
  return withoutPrivateApiWarnings(() => {
    for (const find of [fromProcessBinding, fromInternalBinding]) {
      try {
        const found = pick(find());
        if (found !== undefined) return found;
      } catch {
        // the next way, or none
      }
    }
    return null;
  });
}

/**
 * The Signal handle class of Node's signal_wrap binding, which listens for any signal number (process.on() knows
 * only named signals, none of the real-time 34..64). Node < 24: process.binding('signal_wrap'), which prints
 * DEP0111 once (hidden here, and no other warning). Node 24 removed it: with --expose-internals (the single
 * executable), internalBinding through internal/test/binding. null when neither way reaches it.
 */
export function signalHandleClass(): SignalHandleClass | null {
  return fromBinding<{ Signal?: SignalHandleClass }, SignalHandleClass>('signal_wrap', (binding) =>
    typeof binding?.Signal === 'function' ? binding.Signal : undefined,
  );
}

/**
 * V8's setFlagsFromString from Node's v8 binding: the same function node:v8 exports, without loading node:v8,
 * which loads Node's whole stream implementation (for its heap snapshot streams), about 20 built-ins, on the start
 * path (and, loaded after memshim's own flags, compiled from source: common/own-heap.ts). Node < 24:
 * process.binding('v8'); with --expose-internals (the single executable): internalBinding. null when neither way
 * reaches it (Node >= 24 without --expose-internals): node:v8 then.
 */
export function bindingSetFlagsFromString(): ((flags: string) => void) | null {
  type SetFlags = (flags: string) => void;
  return fromBinding<{ setFlagsFromString?: SetFlags }, SetFlags>('v8', (binding) =>
    typeof binding?.setFlagsFromString === 'function' ? binding.setFlagsFromString : undefined,
  );
}

/**
 * Pids of the children libuv spawned and still waits for (node:child_process), from process._getActiveHandles():
 * the reaper must leave those to libuv. Empty when the API is gone.
 */
export function libuvChildPids(): Set<number> {
  const pids = new Set<number>();
  const handles = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? [];
  for (const handle of handles) {
    const pid = (handle as { pid?: unknown } | null)?.pid;
    if ((handle as object | null)?.constructor?.name === 'ChildProcess' && typeof pid === 'number') pids.add(pid);
  }
  return pids;
}

/**
 * Makes the libuv handle under a stdio stream blocking (stream._handle.setBlocking), which clears O_NONBLOCK on
 * its fd. false when the stream has no such handle (a file, or the API is gone).
 */
export function setStreamBlocking(stream: unknown): boolean {
  const handle = (stream as { _handle?: { setBlocking?(blocking: boolean): number } } | null)?._handle;
  if (typeof handle?.setBlocking !== 'function') return false;
  handle.setBlocking(true);
  return true;
}
