// What a cgroup is charged, sampled while a benchmark's program runs: anonymous memory (what cannot be
// reclaimed without swap, so what an OOM kill is about) apart from file pages (binaries, libraries, page cache:
// charged too, but reclaimable). Shared by bench/non-heap.ts, bench/oom-matrix.ts and bench/apps.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const MiB = 2 ** 20;

export interface MemorySample {
  /** Everything charged (v1 memory.usage_in_bytes, v2 memory.current). */
  usage: number;
  /** Anonymous pages (v1 rss + rss_huge, v2 anon). */
  anon: number;
  /** Page cache charged here (v1 cache, v2 file), mapped binaries included. */
  file: number;
  /** The part of `file` that is mapped into a process (binaries, libraries, mmapped files). */
  mappedFile: number;
}

function stat(dir: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of readFileSync(join(dir, 'memory.stat'), 'utf8').split('\n')) {
    const [key, value] = line.split(' ');
    if (key && value) map.set(key, Number(value));
  }
  return map;
}

export function sampleMemory(dir: string, version: 1 | 2): MemorySample | null {
  try {
    const s = stat(dir);
    if (version === 2) {
      return {
        usage: Number(readFileSync(join(dir, 'memory.current'), 'utf8')),
        anon: s.get('anon') ?? 0,
        file: s.get('file') ?? 0,
        mappedFile: s.get('file_mapped') ?? 0,
      };
    }
    return {
      usage: Number(readFileSync(join(dir, 'memory.usage_in_bytes'), 'utf8')),
      anon: (s.get('rss') ?? 0) + (s.get('rss_huge') ?? 0),
      file: s.get('cache') ?? 0,
      mappedFile: s.get('mapped_file') ?? 0,
    };
  } catch {
    return null;
  }
}

/** The cgroup's peak charge as the kernel recorded it (v1 max_usage_in_bytes, v2 memory.peak). */
export function peakUsage(dir: string, version: 1 | 2): number | null {
  try {
    return Number(readFileSync(join(dir, version === 2 ? 'memory.peak' : 'memory.max_usage_in_bytes'), 'utf8').trim());
  } catch {
    return null;
  }
}

/** Samples a cgroup every `everyMs` and keeps the sample with the most anonymous memory. */
export class PeakSampler {
  peak: MemorySample | null = null;
  last: MemorySample | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly dir: string,
    private readonly version: 1 | 2,
    everyMs = 20,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.sample();
  }

  sample(): MemorySample | null {
    const now = sampleMemory(this.dir, this.version);
    if (now) {
      this.last = now;
      if (!this.peak || now.anon > this.peak.anon) this.peak = now;
    }
    return now;
  }

  stop(): MemorySample | null {
    clearInterval(this.timer);
    return this.peak;
  }
}

export const toMiB = (bytes: number | null | undefined): number | null =>
  bytes === null || bytes === undefined ? null : Math.round((bytes / MiB) * 10) / 10;
