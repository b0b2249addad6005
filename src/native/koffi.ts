// Loads koffi, the FFI through which memshim calls the libc functions Node lacks (waitpid, prctl, tcsetpgrp,
// setrlimit, posix_spawn, execve). Returns null when it cannot be loaded: callers then run without the
// features that need it and say so once. (The single executable ships koffi's native module as an asset:
// issue 6 extends this loader for that.)
import { createRequire } from 'node:module';

type Koffi = typeof import('koffi');
let cached: Koffi | null | undefined;
let failure: string | null = null;

export function loadKoffi(): Koffi | null {
  if (cached !== undefined) return cached;
  try {
    // require, not import: synchronous, and koffi stays external to the CommonJS bundle.
    cached = createRequire(import.meta.url)('koffi') as Koffi;
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    cached = null;
  }
  return cached;
}

/** Why loadKoffi() returned null, for the one warning that says which features are off. */
export function koffiFailure(): string | null {
  return failure;
}
