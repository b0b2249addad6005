// `memshim status [--json] [--url URL] [--check]`: ask a running memshim's /status; when none answers, read the
// cgroup directly. Adds per-process CPU and memory (pidusage, imported only here). --check exits 1 when the child
// is down or the working set is at or above 95% of the limit: a ready Docker HEALTHCHECK.
import { readFileSync } from 'node:fs';
import type { StatusConfig } from '../config.js';
import { readCpuUsage, readLimits, readMemoryUsage } from '../cgroup/index.js';
import { EXIT } from '../exit-codes.js';
import { renderStatusText, statusReport, unhealthyReason, VERSION, type ProcessUsage, type StatusReport } from './status-report.js';

/** How long to wait for a memshim to answer before reading the cgroup instead (a HEALTHCHECK must be quick). */
const ASK_TIMEOUT_MS = 1500;
/** Processes listed at most (a cgroup may hold hundreds of workers). */
const MAX_PROCESSES = 32;

/** The /status of a memshim at `url`, or null when none answers with one. */
export async function askMemshim(url: string): Promise<StatusReport | null> {
  try {
    const response = await fetch(new URL('/status', url), { signal: AbortSignal.timeout(ASK_TIMEOUT_MS) });
    if (!response.ok) return null;
    const body = (await response.json()) as StatusReport;
    return body && typeof body === 'object' && 'limits' in body && 'memory' in body ? body : null;
  } catch {
    return null;
  }
}

async function readDirectly(config: StatusConfig): Promise<StatusReport> {
  const limits = await readLimits(config.reader);
  return statusReport({
    source: 'cgroup',
    version: VERSION,
    memshimPid: null,
    child: null,
    limits,
    plan: null,
    memory: readMemoryUsage(limits.cgroup),
    cpu: readCpuUsage(limits.cgroup),
    stats: null,
    oomKillsReported: 0,
  });
}

/** The pids worth a line: memshim and its child when one answered locally, else the processes of the cgroup. */
function pidsToShow(report: StatusReport, local: boolean, procfs: string): number[] {
  if (report.source !== 'cgroup') return local ? [report.memshimPid, report.child?.pid].filter((pid): pid is number => typeof pid === 'number' && pid > 0) : [];
  const dir = report.cgroup.memoryPath;
  if (!dir) return [];
  try {
    return readFileSync(`${dir}/cgroup.procs`, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .filter((pid) => pid !== process.pid && procfs === '/proc')
      .slice(0, MAX_PROCESSES);
  } catch {
    return [];
  }
}

function commOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

async function processUsage(pids: number[]): Promise<ProcessUsage[]> {
  if (pids.length === 0) return [];
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
  pidusage.clear();
  return usage;
}

function isLocal(url: string): boolean {
  try {
    return ['127.0.0.1', 'localhost', '[::1]', '0.0.0.0'].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}

export async function statusCommand(config: StatusConfig): Promise<number> {
  const answered = await askMemshim(config.url);
  const report = answered ?? (await readDirectly(config));
  report.processes = await processUsage(pidsToShow(report, isLocal(config.url), config.reader.procfs));
  const reason = unhealthyReason(report);
  if (config.json) process.stdout.write(`${JSON.stringify({ ...report, healthy: reason === null, unhealthyReason: reason }, null, 2)}\n`);
  else process.stdout.write(renderStatusText(report, answered ? null : `no memshim answered at ${config.url}: read the cgroup directly`));
  return config.check && reason !== null ? EXIT.UNHEALTHY : 0;
}
