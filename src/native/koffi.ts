// Loads koffi, the FFI through which memshim calls the libc functions Node lacks (waitpid, prctl, tcsetpgrp,
// setrlimit, posix_spawn, execve). Returns null when it cannot be loaded: callers then run without the
// features that need it and say so once (koffiFailure() says why).
// Both bundles hold koffi's JS. Installed from npm, its native module comes from koffi's prebuilt package in
// node_modules (scripts/koffi-native.mjs), else koffi is loaded as installed. In the single executable
// (scripts/build-binary.mjs) the native module comes from an asset written to a private temporary file
// (sea-native.ts); with no writable, executable place for that file, loadKoffi() returns null.
import { createRequire } from 'node:module';
import { seaNativeFailure } from './sea-native.js';

type Koffi = typeof import('koffi');
let cached: Koffi | null | undefined;
let failure: string | null = null;

// true only in the single executable's bundle (esbuild define in scripts/build-binary.mjs).
declare const MEMSHIM_SEA: boolean | undefined;
export const IN_SEA = typeof MEMSHIM_SEA !== 'undefined' && MEMSHIM_SEA;

/** Debugging switch: MEMSHIM_NO_KOFFI=1 runs memshim as it runs where koffi cannot load (README packaging). */
export const NO_KOFFI_SWITCH = 'MEMSHIM_NO_KOFFI';

/**
 * koffi, or null. `env` is the environment memshim was given (RunConfig.env, or the exec helper's own): its
 * MEMSHIM_NO_KOFFI decides at the first call, and every later call gets what that one got.
 */
export function loadKoffi(env: Readonly<Record<string, string | undefined>>): Koffi | null {
  if (cached !== undefined) return cached;
  if (env[NO_KOFFI_SWITCH] === '1') {
    failure = `${NO_KOFFI_SWITCH}=1 is set`;
    return (cached = null);
  }
  try {
    // require, not import: synchronous. A literal require in the bundles (both define `require`): esbuild bundles
    // koffi's JS there, compiled with the bundle's code cache instead of resolved and compiled from node_modules at
    // every start; its native module comes from the asset (single executable, sea-native.ts) or from the package
    // next to koffi's install (npm, scripts/koffi-native.mjs). Run from source (the tests), koffi from node_modules.
    cached = typeof require === 'function' ? (require('koffi') as Koffi) : null;
  } catch (error) {
    failure = (IN_SEA ? seaNativeFailure() : null) ?? (error instanceof Error ? error.message : String(error));
    cached = null;
  }
  if (cached === null && !IN_SEA) {
    // The npm bundle's koffi found no prebuilt native package next to koffi (a platform koffi builds from source,
    // an install without optional packages): koffi as installed finds its native module its own ways.
    try {
      cached = createRequire(import.meta.url)('koffi') as Koffi;
      failure = null;
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      cached = null;
    }
  }
  return cached;
}

/** Why loadKoffi() returned null, for the one warning that says which features are off. */
export function koffiFailure(): string | null {
  return failure;
}
