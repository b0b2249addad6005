// `memshim status [--json] [--url URL] [--check]`: ask a running memshim's /status; when none answers, read the
// cgroup directly. Adds per-process CPU and memory (pidusage, through process-usage.ts). --check exits 1 when the
// child is down, when the working set is at or above 95% of the limit, or when no memshim answers where one is
// expected (--url or MEMSHIM_HEALTH_PORT): a ready Docker HEALTHCHECK.
import { readFileSync } from 'node:fs';
import type { StatusConfig } from './config.js';
import { readCpuUsage, readLimits, readMemoryUsage } from '../cgroup/index.js';
import { EXIT } from '../common/exit-codes.js';
import { VERSION } from '../common/version.js';
import { renderStatusText, statusReport, unhealthyReason, type StatusReport } from '../health/status-report.js';
import { sampleProcesses } from '../health/process-usage.js';

/** How long to wait for a memshim to answer before reading the cgroup instead (a HEALTHCHECK must be quick). */
const ASK_TIMEOUT_MS = 1500;
/** Processes listed at most (a cgroup may hold hundreds of workers). */
const MAX_PROCESSES = 32;

/** The /status of a memshim at `url`, or null when none answers with one. */
export async function askMemshim(url: string | URL): Promise<StatusReport | null> {
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
  if (report.source !== 'cgroup')
    return local
      ? [report.memshimPid, report.child?.pid].filter((pid): pid is number => typeof pid === 'number' && pid > 0)
      : [];
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

function isLocal(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]', '0.0.0.0'].includes(url.hostname);
}

/** The health server's URL, or null when it is not an http(s) URL (a usage error). */
export function parseHealthUrl(text: string): URL | null {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

export async function statusCommand(config: StatusConfig): Promise<number> {
  const url = parseHealthUrl(config.url);
  if (!url) {
    // The URL itself is not repeated: it may carry credentials.
    process.stderr.write('memshim: --url must be an http:// or https:// URL such as http://127.0.0.1:9464\n');
    return EXIT.USAGE;
  }
  const answered = await askMemshim(url);
  if (!answered && config.check && config.serverExpected) {
    // A memshim whose health server could not bind would otherwise pass every HEALTHCHECK.
    const reason = `no memshim answered at ${url.origin} (a health server is expected there)`;
    process.stdout.write(
      config.json ? `${JSON.stringify({ healthy: false, unhealthyReason: reason })}\n` : `UNHEALTHY: ${reason}\n`,
    );
    return EXIT.UNHEALTHY;
  }
  const report = answered ?? (await readDirectly(config));
  report.processes = await sampleProcesses(pidsToShow(report, isLocal(url), config.reader.procfs), { once: true });
  const reason = unhealthyReason(report);
  if (config.json)
    process.stdout.write(
      `${JSON.stringify({ ...report, healthy: reason === null, unhealthyReason: reason }, null, 2)}\n`,
    );
  else
    process.stdout.write(
      renderStatusText(report, answered ? null : `no memshim answered at ${url.origin}: read the cgroup directly`),
    );
  return config.check && reason !== null ? EXIT.UNHEALTHY : 0;
}
