// Reading the small pseudo-files of /proc and cgroupfs: synchronous (each is one page, served from memory, and
// the monitor reads a handful every interval), and never a throw: the caller gets the text or the reason.
import { readFileSync } from 'node:fs';

export type FileText = { ok: true; text: string } | { ok: false; missing: boolean; reason: string };

export function readFileText(path: string): FileText {
  try {
    return { ok: true, text: readFileSync(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missing = code === 'ENOENT' || code === 'ENOTDIR';
    return { ok: false, missing, reason: missing ? 'missing' : `unreadable (${code ?? (error as Error).message})` };
  }
}

/** The text, or null for a missing or unreadable file: for the monitor's readings, where null means "unknown". */
export function readTextOrNull(path: string): string | null {
  const result = readFileText(path);
  return result.ok ? result.text : null;
}
