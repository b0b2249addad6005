// Per-process CPU and memory through pidusage, which is imported at the first sample: only `memshim status` and
// the sidecar need it, never the start of PID 1. pidusage keeps each pid's previous reading, so CPU is the percent
// of one core since the last sample of that pid (since the process started, at the first).
import { readFileSync } from 'node:fs';
import type { ProcessUsage } from './status-report.js';

/** The executable name (/proc/N/comm), never the command line: arguments hold secrets. */
function commOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/**
 * One reading of each pid; a pid that is gone (or not ours to read) is left out. `once`: forget the readings
 * afterwards (a one-shot command); otherwise they stay for the next sample's CPU percent (a watcher).
 */
export async function sampleProcesses(pids: number[], options: { once: boolean }): Promise<ProcessUsage[]> {
  if (pids.length === 0) return [];
  // pidusage asks `getconf` (through /bin/sh) for the clock tick and the page size, and prints a stack trace on
  // stderr where either is missing, as in distroless and busybox images: in a HEALTHCHECK's output. Its
  // fallbacks (100, 4096) are what Linux x64 uses; PIDUSAGE_SILENT is its documented switch for the noise.
  process.env.PIDUSAGE_SILENT ??= '1';
  const { default: pidusage } = await import('pidusage');
  const usage: ProcessUsage[] = [];
  for (const pid of pids) {
    try {
      const stat = await pidusage(pid);
      usage.push({ pid, name: commOf(pid), cpuPercent: Math.round(stat.cpu * 10) / 10, memoryBytes: stat.memory });
    } catch {
      // Gone between the listing and the reading, or not ours to read: left out.
    }
  }
  if (options.once) pidusage.clear();
  return usage;
}
