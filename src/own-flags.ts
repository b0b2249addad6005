// Imported by main.ts right after listen-first.ts: in the single executable, memshim's own V8 flags
// (common/own-heap.ts), set once the early signal handlers listen (their internal/test/binding and signal_wrap
// are loaded by then) and after node:os, the one other Node built-in its start path loads, so that each built-in
// is compiled with Node's code cache. The npm install sets them in bin/memshim, before the bundle is compiled.
import { setOwnHeapFlags } from './common/own-heap.js';

// true only in the single executable's bundle (esbuild define in scripts/build-binary.mjs).
declare const MEMSHIM_SEA: boolean | undefined;

if (typeof MEMSHIM_SEA !== 'undefined' && MEMSHIM_SEA) setOwnHeapFlags(['node:os']);
