// Loads koffi, the FFI through which memshim calls the libc functions Node lacks (waitpid, prctl, tcsetpgrp,
// setrlimit, posix_spawn, execve). Returns null when it cannot be loaded: callers then run without the
// features that need it and say so once (koffiFailure() says why).
// Installed from npm, koffi comes from node_modules. In the single executable (scripts/build-binary.mjs) its JS
// is bundled and its native module comes from an asset written to a private temporary file (sea-native.ts);
// with no writable, executable place for that file, loadKoffi() returns null.
import { createRequire } from 'node:module';
import { seaNativeFailure } from './sea-native.js';

type Koffi = typeof import('koffi');
let cached: Koffi | null | undefined;
let failure: string | null = null;

// true only in the single executable's bundle (esbuild define in scripts/build-binary.mjs).
declare const MEMSHIM_SEA: boolean | undefined;
const IN_SEA = typeof MEMSHIM_SEA !== 'undefined' && MEMSHIM_SEA;

/** Debugging switch: MEMSHIM_NO_KOFFI=1 runs memshim as it runs where koffi cannot load (README packaging). */
export const NO_KOFFI_SWITCH = 'MEMSHIM_NO_KOFFI';

export function loadKoffi(): Koffi | null {
  if (cached !== undefined) return cached;
  if (process.env[NO_KOFFI_SWITCH] === '1') {
    failure = `${NO_KOFFI_SWITCH}=1 is set`;
    return (cached = null);
  }
  try {
    cached = IN_SEA
      ? // A literal require: esbuild bundles koffi's JS here; its '@koromix/koffi-linux-x64' is sea-native.ts.
        (require('koffi') as Koffi)
      : // require, not import: synchronous, and koffi stays external to the npm bundle.
        (createRequire(import.meta.url)('koffi') as Koffi);
  } catch (error) {
    failure = (IN_SEA ? seaNativeFailure() : null) ?? (error instanceof Error ? error.message : String(error));
    cached = null;
  }
  return cached;
}

/** Why loadKoffi() returned null, for the one warning that says which features are off. */
export function koffiFailure(): string | null {
  return failure;
}
