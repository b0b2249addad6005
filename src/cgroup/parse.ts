// Pure parsers for the files the cgroup reader looks at: no I/O, never a throw. Each returns null (or skips
// the line) for content it does not understand, so the caller can warn with the file's name and fall back.
import type { PsiLine } from './types.js';

/** One line of /proc/PID/mountinfo (proc(5)); only the fields the reader needs. */
export interface MountInfo {
  /** Path, inside the filesystem, of the directory mounted here (for cgroups: the cgroup seen as the top). */
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
  /** Per-superblock options: for a v1 cgroup mount, the controllers (`rw,cpu,cpuacct`, `name=systemd`). */
  superOptions: string[];
}

/** One line of /proc/PID/cgroup: `hierarchy-id:controller,list:/path`; v2 is `0::/path`. */
export interface CgroupLine {
  hierarchyId: number;
  /** Empty for the v2 line. `name=systemd` stays as it is. */
  controllers: string[];
  path: string;
}

export type LimitValue = { kind: 'unlimited' } | { kind: 'value'; value: number };

export interface CpuMax {
  /** null: `max`, no quota. */
  quotaUs: number | null;
  /** null when the file had one field only (the caller assumes the kernel's default and warns). */
  periodUs: number | null;
}

/** At or above this a v1 byte limit means "unlimited": LONG_MAX rounded down to the page size (4 KiB:
 * 9223372036854771712; 64 KiB pages give a slightly smaller number), so compare against 2^62, not one value. */
const V1_UNLIMITED_FLOOR = 2 ** 62;

/** `\040` (space), `\011`, `\012`, `\134` as the kernel escapes them in mountinfo. */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_all, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** mountinfo: `36 35 98:0 /root /mnt opts [optional fields...] - fstype source superopts`. Bad lines are skipped. */
export function parseMountInfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const separator = fields.indexOf('-', 6);
    if (separator < 6 || fields.length < separator + 3) continue;
    const root = fields[3];
    const mountPoint = fields[4];
    const fsType = fields[separator + 1];
    const source = fields[separator + 2];
    if (!root?.startsWith('/') || !mountPoint?.startsWith('/') || !fsType || source === undefined) continue;
    mounts.push({
      root: unescapeMountField(root),
      mountPoint: unescapeMountField(mountPoint),
      fsType,
      source: unescapeMountField(source),
      superOptions: (fields[separator + 3] ?? '').split(',').filter(Boolean),
    });
  }
  return mounts;
}

/** /proc/PID/cgroup. The path is everything after the second colon (a path may itself hold colons). */
export function parseProcCgroup(text: string): CgroupLine[] {
  const lines: CgroupLine[] = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 1 || second < 0) continue;
    const id = line.slice(0, first);
    const path = line.slice(second + 1).trimEnd();
    if (!/^\d+$/.test(id) || !path.startsWith('/')) continue;
    lines.push({
      hierarchyId: Number(id),
      controllers: line
        .slice(first + 1, second)
        .split(',')
        .filter(Boolean),
      path,
    });
  }
  return lines;
}

/** A non-negative decimal integer (the whole text, surrounding whitespace allowed), or null. */
export function parseUint(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,20}$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

/** A byte limit in either version's spelling: v2 `max`, v1 LONG_MAX-ish or -1 mean unlimited. */
export function parseLimit(text: string): LimitValue | null {
  const trimmed = text.trim();
  if (trimmed === 'max' || trimmed === '-1') return { kind: 'unlimited' };
  const value = parseUint(trimmed);
  if (value === null) return null;
  return value >= V1_UNLIMITED_FLOOR || !Number.isSafeInteger(value) ? { kind: 'unlimited' } : { kind: 'value', value };
}

/** v1 cpu.cfs_quota_us: `-1` is no quota. */
export function parseCfsQuota(text: string): LimitValue | null {
  const trimmed = text.trim();
  if (trimmed === '-1') return { kind: 'unlimited' };
  const value = parseUint(trimmed);
  return value === null || !Number.isSafeInteger(value) ? null : { kind: 'value', value };
}

/** v2 cpu.max: `max 100000`, `150000 100000`, or a single field (`max`, `150000`). */
export function parseCpuMax(text: string): CpuMax | null {
  const fields = text.trim().split(/\s+/);
  if (fields.length < 1 || fields.length > 2 || fields[0] === '') return null;
  let periodUs: number | null = null;
  if (fields[1] !== undefined) {
    periodUs = parseUint(fields[1]);
    if (periodUs === null || !Number.isSafeInteger(periodUs)) return null;
  }
  if (fields[0] === 'max') return { quotaUs: null, periodUs };
  const quotaUs = parseUint(fields[0] ?? '');
  if (quotaUs === null || !Number.isSafeInteger(quotaUs)) return null;
  return { quotaUs, periodUs };
}

const KEY_VALUE_LINE = /^\s*(\S+)\s+(-?\d+)\s*$/;

/** `key value` lines (memory.stat, cpu.stat, memory.events, memory.oom_control). Lines that are not that are skipped. */
export function parseKeyValues(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = KEY_VALUE_LINE.exec(line);
    if (!match) continue;
    const value = Number(match[2]);
    if (Number.isFinite(value)) values.set(match[1]!, value);
  }
  return values;
}

/**
 * `parseKeyValues(text).get(key) ?? null` without the map: only the lines holding `key` are split up. The monitor
 * looks up one or two keys of memory.stat (about 40 lines on v1) at every reading, and the map with a string per
 * line was most of what its readings allocated.
 */
export function keyValue(text: string, key: string): number | null {
  let value: number | null = null;
  for (let at = text.indexOf(key); at !== -1;) {
    const start = text.lastIndexOf('\n', at) + 1;
    const newline = text.indexOf('\n', at);
    const end = newline === -1 ? text.length : newline;
    const match = KEY_VALUE_LINE.exec(text.slice(start, end));
    if (match?.[1] === key) {
      const parsed = Number(match[2]);
      if (Number.isFinite(parsed)) value = parsed;
    }
    at = newline === -1 ? -1 : text.indexOf(key, newline);
  }
  return value;
}

/** The number of CPUs in a list such as `0-3,8,10-11` (cpuset.cpus, Cpus_allowed_list). null if malformed or empty. */
export function countCpuList(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const seen = new Set<number>();
  for (const part of trimmed.split(',')) {
    const match = /^(\d{1,6})(?:-(\d{1,6}))?$/.exec(part.trim());
    if (!match) return null;
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from || to - from > 1_000_000) return null;
    for (let cpu = from; cpu <= to; cpu++) seen.add(cpu);
  }
  return seen.size || null;
}

/** PSI (memory.pressure, /proc/pressure/memory): `some avg10=0.00 avg60=0.00 avg300=0.00 total=0`, and `full`. */
export function parsePsi(text: string): { some: PsiLine | null; full: PsiLine | null } {
  const result: { some: PsiLine | null; full: PsiLine | null } = { some: null, full: null };
  for (const line of text.split('\n')) {
    const [kind, ...pairs] = line.trim().split(/\s+/);
    if (kind !== 'some' && kind !== 'full') continue;
    const fields = new Map<string, number>();
    for (const pair of pairs) {
      const match = /^(\w+)=(\d+(?:\.\d+)?)$/.exec(pair);
      if (match) fields.set(match[1]!, Number(match[2]));
    }
    const avg10 = fields.get('avg10');
    const avg60 = fields.get('avg60');
    const avg300 = fields.get('avg300');
    const total = fields.get('total');
    if (avg10 === undefined || avg60 === undefined || avg300 === undefined || total === undefined) continue;
    result[kind] = { avg10, avg60, avg300, total };
  }
  return result;
}

/** `MemTotal:  24683656 kB` from /proc/meminfo, in bytes; null if absent or malformed. */
export function parseMemTotal(text: string): number | null {
  const match = /^MemTotal:\s+(\d{1,15})\s*kB\s*$/m.exec(text);
  const bytes = match ? Number(match[1]) * 1024 : 0;
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : null;
}

/** `Cpus_allowed_list:\t0-1` from /proc/PID/status, as a count; null if absent or malformed. */
export function parseCpusAllowed(text: string): number | null {
  const match = /^Cpus_allowed_list:\s*(.*)$/m.exec(text);
  return match ? countCpuList(match[1] ?? '') : null;
}
