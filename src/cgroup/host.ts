// The host's own memory and CPUs: the ceiling when no cgroup limits, and the clamp for a limit above them.
import { availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import type { ReadWarning } from './types.js';
import { readFileText } from './files.js';
import { countCpuList, parseCpusAllowed, parseMemTotal } from './parse.js';

/** MemTotal from <procfs>/meminfo; else systeminformation's si.mem() (loaded only then: it is heavy for a PID 1). */
export async function readHostMemory(procfs: string, warnings: ReadWarning[]): Promise<number> {
  const file = join(procfs, 'meminfo');
  const text = readFileText(file);
  const bytes = text.ok ? parseMemTotal(text.text) : null;
  if (bytes !== null) return bytes;
  const fallback = "the host's memory as systeminformation reports it";
  warnings.push({ file, message: text.ok ? 'no MemTotal line' : text.reason, fallback });
  try {
    // si.mem() only: si.cpu() would spawn lscpu and dmidecode.
    const si = await import('systeminformation');
    const total = (await si.mem()).total;
    if (Number.isSafeInteger(total) && total > 0) return total;
  } catch {
    /* the os module below always answers */
  }
  const { totalmem } = await import('node:os');
  return totalmem();
}

/**
 * The host's online CPUs: the kernel's online mask (/sys/devices/system/cpu/online, `0-63`), else the cpuN lines of
 * /proc/stat (the same CPUs: it lists the online ones), else os.cpus(). Not os.cpus() first: it reads /proc/stat
 * and then /proc/cpuinfo and each CPU's cpufreq file, for models and speeds memshim never shows. Not /proc/stat
 * first: the kernel sums every interrupt's count over every CPU to write it, on each read (slow on a large host).
 */
export function hostCpuCount(): number {
  const online = readFileText('/sys/devices/system/cpu/online');
  const fromMask = online.ok ? countCpuList(online.text) : null;
  if (fromMask !== null) return fromMask;
  const stat = readFileText('/proc/stat');
  const listed = stat.ok ? (stat.text.match(/^cpu\d+ /gm)?.length ?? 0) : 0;
  return Math.max(1, listed > 0 ? listed : cpus().length);
}

/**
 * CPUs the process may be scheduled on: Cpus_allowed_list of <procfs>/<pid>/status; for this process on the real
 * /proc, the scheduler's answer when that file says nothing. null for a captured tree without the file.
 */
export function readAffinity(
  procfs: string,
  pid: number | 'self',
  warnings: ReadWarning[],
): { cpus: number; from: string } | null {
  const file = join(procfs, String(pid), 'status');
  const text = readFileText(file);
  const count = text.ok ? parseCpusAllowed(text.text) : null;
  if (count !== null) return { cpus: count, from: file };
  const ownProcess = pid === 'self' && resolve(procfs) === '/proc';
  if (text.ok || !text.missing || ownProcess) {
    warnings.push({
      file,
      message: text.ok ? 'no Cpus_allowed_list line' : text.reason,
      fallback: ownProcess ? 'the scheduler affinity of memshim is used' : 'the affinity is not considered',
    });
  }
  return ownProcess ? { cpus: availableParallelism(), from: 'sched_getaffinity' } : null;
}
