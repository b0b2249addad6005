// memshim's own malloc heap, handed back to the kernel while it supervises. glibc gives free()d memory back only
// from the top of its main heap: what a start frees below something still in use (the buffers its bundle and
// code cache were read into, Node's and koffi's own start-up) stays resident for as long as the container runs,
// charged to the application's memory limit. malloc_trim(0) releases the free pages of every arena; memshim calls
// it 2 s after the spawn (commands/run.ts, with the switch to full collections) and then every TRIM_EVERY_MS,
// which gives back as well what those collections free later (the start's buffers among it), at the pace at which
// jemalloc hands back its dirty pages by default. Figures: docs/packaging.md, "Start-up, sixth round".
import { libc } from './libc.js';

export const TRIM_EVERY_MS = 10_000;

/**
 * Trims now and every TRIM_EVERY_MS, on a timer that never keeps memshim alive. Without glibc's malloc_trim (no
 * koffi, musl): nothing, as without it.
 */
export function trimMallocPeriodically(env: Readonly<Record<string, string | undefined>>): void {
  const trim = libc(env)?.malloc_trim;
  if (!trim) return;
  trim(0);
  setInterval(() => trim(0), TRIM_EVERY_MS).unref();
}
