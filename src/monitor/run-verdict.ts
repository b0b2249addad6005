// What survives memshim: the record of a run (kept in --state-dir across container restarts), the verdict on the
// previous run read back at the next start, and the termination message (the file the kubelet shows in the pod's
// status after the container ended). Pure: records and texts in, records and texts out. Under memory.oom.group=1
// the kernel kills memshim with its child, so whatever must be known after an OOM kill is written BEFORE it: the
// record and the message are brought up to date at every threshold crossing, while memshim can still write.
import { formatBytes } from '../common/quantity.js';
import type { MemorySource } from '../cgroup/types.js';
import type { RuntimeName } from '../runtimes/types.js';
import type { HeapSetting } from '../runtimes/settings.js';

/** The kubelet reads at most this much of the termination message. */
export const TERMINATION_MESSAGE_MAX_BYTES = 4096;
export const RUN_RECORD_FORMAT = 'memshim-run/1';

/** How the child ended, as memshim saw it (null while it runs). */
export interface RunEnd {
  /** The exit code memshim exited with. */
  code: number;
  /** The signal that killed the child, when one did. */
  signal: number | null;
  /** memshim explained the child's death as a kernel OOM kill. */
  oomKilled: boolean;
  at: string;
}

/** One run of memshim, as written to --state-dir. Names and figures only: never argv or env values. */
export interface RunRecord {
  format: typeof RUN_RECORD_FORMAT;
  memshimVersion: string;
  memshimPid: number;
  startedAt: string;
  updatedAt: string;
  runtime: RuntimeName;
  /** The executable's name (never its arguments). */
  command: string | null;
  limitBytes: number;
  limitSource: MemorySource;
  memoryHighBytes: number | null;
  cpus: number | null;
  heap: HeapSetting | null;
  workingSetBytes: number | null;
  peakBytes: number | null;
  /** The highest warning level (fraction of the limit) the working set was above at the last write; null: none. */
  level: number | null;
  /** The memory cgroup's identity (device:inode of its directory): the same cgroup after a restart in place. */
  cgroupId: string | null;
  /** memory.events oom_group_kill of that cgroup at the last write (v2, kernel 5.17+), else null. */
  oomGroupKills: number | null;
  oomKills: number | null;
  end: RunEnd | null;
}

export type VerdictKind = 'oom_group_kill' | 'oom_kill' | 'exited' | 'signaled' | 'memshim_died';

export interface PreviousRun {
  kind: VerdictKind;
  /** false when inferred (memshim left no end, and the figures point at an OOM kill). */
  certain: boolean;
  /** The exit code of the previous run, when known. */
  code: number | null;
  signal: number | null;
  message: string;
  record: RunRecord;
}

/** What the next start can still find out about the cgroup the previous run lived in. */
export interface Evidence {
  /** This start's memory cgroup identity and its oom_group_kill counter now (null when unknown). */
  cgroupId: string | null;
  oomGroupKillsNow: number | null;
}

/** A warning level at or above which a run that ended without a word is taken for an OOM kill. */
export const LIKELY_OOM_LEVEL = 0.9;

/** A parsed record, or null when the text is not one (an older format, a torn write, someone else's file). */
export function parseRunRecord(text: string): RunRecord | null {
  try {
    const value = JSON.parse(text) as Partial<RunRecord>;
    if (
      value?.format !== RUN_RECORD_FORMAT ||
      typeof value.limitBytes !== 'number' ||
      typeof value.startedAt !== 'string'
    )
      return null;
    return value as RunRecord;
  } catch {
    return null;
  }
}

/**
 * The previous run's end: what memshim recorded when it could; when it could not (no end recorded: memshim was
 * SIGKILLed), the group kill counter of the same cgroup when the container restarted in place, else the last
 * figures: above LIKELY_OOM_LEVEL of the limit, an OOM kill of the whole group is the likely cause.
 */
export function previousRunVerdict(record: RunRecord, evidence: Evidence): PreviousRun {
  const figures = runFigures(record);
  const base = { record, code: record.end?.code ?? null, signal: record.end?.signal ?? null };
  const end = record.end;
  if (end) {
    if (end.oomKilled)
      return {
        ...base,
        kind: 'oom_kill',
        certain: true,
        message: `the previous run ended with an OOM kill of ${record.command ?? 'the main process'} (exit ${end.code}): ${figures}`,
      };
    if (end.signal !== null)
      return {
        ...base,
        kind: 'signaled',
        certain: true,
        message: `the previous run's ${record.command ?? 'main process'} was killed by signal ${end.signal} (exit ${end.code}): ${figures}`,
      };
    return {
      ...base,
      kind: 'exited',
      certain: true,
      message: `the previous run's ${record.command ?? 'main process'} exited with ${end.code}: ${figures}`,
    };
  }
  const sameCgroup = record.cgroupId !== null && record.cgroupId === evidence.cgroupId;
  if (
    sameCgroup &&
    record.oomGroupKills !== null &&
    evidence.oomGroupKillsNow !== null &&
    evidence.oomGroupKillsNow > record.oomGroupKills
  ) {
    return {
      ...base,
      kind: 'oom_group_kill',
      certain: true,
      code: 137,
      message: `the previous run was OOM-killed with its whole cgroup (memory.oom.group=1; memory.events oom_group_kill went up), memshim included: ${figures}`,
    };
  }
  if (record.level !== null && record.level >= LIKELY_OOM_LEVEL) {
    return {
      ...base,
      kind: 'oom_group_kill',
      certain: false,
      code: 137,
      message: `the previous run most likely was OOM-killed with its whole cgroup (memory.oom.group=1), memshim included: it left no end and its working set was above ${percent(record.level)} of the limit: ${figures}`,
    };
  }
  return {
    ...base,
    kind: 'memshim_died',
    certain: false,
    message: `memshim itself died in the previous run (SIGKILL from the kernel or the runtime; nothing recorded an end): ${figures}`,
  };
}

function runFigures(record: RunRecord): string {
  const parts = [`limit ${formatBytes(record.limitBytes)} (${record.limitSource})`];
  if (record.workingSetBytes !== null) parts.push(`last working set ${formatBytes(record.workingSetBytes)}`);
  if (record.peakBytes !== null) parts.push(`peak ${formatBytes(record.peakBytes)}`);
  parts.push(
    record.heap
      ? `heap ${record.heap.text}`
      : `heap: ${record.runtime === 'generic' ? 'none set' : "the runtime's default"}`,
  );
  parts.push(`started ${record.startedAt}`);
  return parts.join(', ');
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

export interface TerminationInput {
  record: RunRecord;
  /** Working set / limit at the last reading. */
  ratio: number | null;
  /** Sustained memory pressure (PSI) at the last reading. */
  pressure: boolean;
  /** What would avoid an OOM kill (oom.ts's advice for the main process). */
  advice: string;
  /** The oom_kill report's message when memshim saw one. */
  oomMessage: string | null;
}

/**
 * The termination message: a short, current verdict. While running: the limit, the figures, the heap setting;
 * above a warning level also that an OOM kill is likely and what to change (so a group kill, which leaves memshim
 * no word, still leaves this). After the end: how the child ended. At most TERMINATION_MESSAGE_MAX_BYTES.
 */
export function terminationMessage(input: TerminationInput): string {
  const { record, ratio } = input;
  const figures = `limit ${formatBytes(record.limitBytes)} (${record.limitSource}), working set ${bytes(record.workingSetBytes)}${ratio !== null ? ` (${percent(ratio)})` : ''}, peak ${bytes(record.peakBytes)}, ${record.heap ? `heap ${record.heap.text}` : 'no heap setting from memshim'}`;
  const who = `${record.command ?? 'the main process'} (${record.runtime})`;
  const lines: string[] = [];
  const end = record.end;
  if (end?.oomKilled)
    lines.push(`memshim: ${who} was OOM-killed by the kernel (exit ${end.code}).`, input.oomMessage ?? figures);
  else if (end)
    lines.push(
      `memshim: ${who} ${end.signal !== null ? `was killed by signal ${end.signal}` : `exited with ${end.code}`} (exit ${end.code}); ${figures}.`,
    );
  else if (record.level !== null || input.pressure) {
    const over =
      record.level !== null
        ? `the working set is above ${percent(record.level)} of the memory limit`
        : 'memory pressure is sustained';
    lines.push(
      `memshim: an OOM kill is likely: ${over}; ${figures}.`,
      `If this container ended with 137 (OOMKilled), that was the cause: with memory.oom.group=1 the kernel kills memshim too, so this is its last word. To avoid it: ${input.advice}`,
    );
  } else lines.push(`memshim: ${who} running since ${record.startedAt}; ${figures}; below the warning levels.`);
  return truncateUtf8(lines.join('\n'), TERMINATION_MESSAGE_MAX_BYTES);
}

function bytes(value: number | null): string {
  return value === null ? 'unknown' : formatBytes(value);
}

/** At most `max` bytes of UTF-8, never cutting a character in two. */
export function truncateUtf8(text: string, max: number): string {
  const encoded = Buffer.from(text, 'utf8');
  if (encoded.length <= max) return text;
  let end = max;
  while (end > 0 && (encoded[end]! & 0xc0) === 0x80) end--;
  return encoded.subarray(0, end).toString('utf8');
}
