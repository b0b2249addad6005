// The /status JSON (also what `memshim status --json` prints) and its readable rendering. Built from what memshim
// knows, by a pure function. It carries the NAMES of the variables memshim set, never a value, and never argv:
// both hold secrets (tokens, passwords on command lines).
import type { CpuUsage, Limits, MemoryEvents, MemoryUsage } from '../cgroup/types.js';
import type { PlannedSetting } from '../runtimes/settings.js';
import type { Plan, Risk } from '../runtimes/types.js';
import type { SupervisorStats } from '../supervisor/types.js';
import { limitsView, type LimitsView } from '../cgroup/view.js';
import { formatBytes } from '../common/quantity.js';
import { signalName } from '../common/signal-names.js';

export type StatusSource = 'memshim' | 'sidecar' | 'cgroup';

export interface ProcessUsage {
  pid: number;
  name: string | null;
  /** Percent of one core since the previous sample (pidusage). */
  cpuPercent: number | null;
  memoryBytes: number | null;
}

export interface StatusReport {
  source: StatusSource;
  version: string;
  /** memshim's own pid (the supervisor or the sidecar); null when read from the cgroup directly. */
  memshimPid: number | null;
  child: { pid: number | null; running: boolean; shuttingDown: boolean; uptimeSeconds: number | null } | null;
  cgroup: LimitsView['cgroup'];
  limits: LimitsView['limits'];
  plan: {
    runtime: Plan['runtime'];
    setVariables: string[];
    rlimits: Plan['rlimits'];
    risks: Risk[];
    /** memshim's own settings (its words of NODE_OPTIONS / JAVA_TOOL_OPTIONS, never the user's); absent when unknown. */
    settings?: PlannedSetting[];
    /** The heap cap in effect ("-Xmx384m"), when memshim set one. */
    heap?: string | null;
  } | null;
  memory: {
    usageBytes: number | null;
    workingSetBytes: number | null;
    peakBytes: number | null;
    /** Working set / memory limit. */
    ratio: number | null;
    oomKills: number | null;
    psiSomeAvg10: number | null;
    psiFullAvg10: number | null;
    psiSomeTotalMicros: number | null;
    psiFullTotalMicros: number | null;
    /** memory.events counters (v2; v1 only oom_kill and max, from memory.failcnt). */
    events: MemoryEvents;
  };
  cpu: CpuUsage;
  stats: { zombiesReaped: number; signalsForwarded: Record<string, number> } | null;
  /** oom_kill events memshim logged (the kernel's counter is memory.oomKills). */
  oomKillsReported: number;
  processes?: ProcessUsage[];
  /** Limit changes seen while running (in-place resize), per limit. */
  limitChanges?: Record<string, number>;
  /** The previous run's verdict, from --state-dir. */
  previousRun?: PreviousRunSummary | null;
}

export interface PreviousRunSummary {
  verdict: string;
  certain: boolean;
  code: number | null;
  signal: number | null;
  limitBytes: number;
  peakBytes: number | null;
  workingSetBytes: number | null;
  startedAt: string;
}

export interface StatusInput {
  source: StatusSource;
  version: string;
  memshimPid: number | null;
  child: StatusReport['child'];
  limits: Limits;
  plan: Plan | null;
  memory: MemoryUsage;
  cpu: CpuUsage;
  stats: SupervisorStats | null;
  oomKillsReported: number;
}

export function statusReport(input: StatusInput): StatusReport {
  const { limits, plan, memory } = input;
  const base = limitsView(limits);
  return {
    source: input.source,
    version: input.version,
    memshimPid: input.memshimPid,
    child: input.child,
    cgroup: base.cgroup,
    limits: base.limits,
    plan: plan
      ? { runtime: plan.runtime, setVariables: Object.keys(plan.env).sort(), rlimits: plan.rlimits, risks: plan.risks }
      : null,
    memory: {
      usageBytes: memory.usageBytes,
      workingSetBytes: memory.workingSetBytes,
      peakBytes: memory.peakBytes,
      ratio:
        memory.workingSetBytes === null || limits.memoryBytes <= 0 ? null : memory.workingSetBytes / limits.memoryBytes,
      oomKills: memory.oomKills,
      psiSomeAvg10: memory.psiSome?.avg10 ?? null,
      psiFullAvg10: memory.psiFull?.avg10 ?? null,
      psiSomeTotalMicros: memory.psiSome?.total ?? null,
      psiFullTotalMicros: memory.psiFull?.total ?? null,
      events: memory.events,
    },
    cpu: input.cpu,
    stats: input.stats
      ? {
          zombiesReaped: input.stats.zombiesReaped,
          signalsForwarded: Object.fromEntries(
            [...input.stats.signalsForwarded].map(([signal, count]) => [signalName(signal), count]),
          ),
        }
      : null,
    oomKillsReported: input.oomKillsReported,
  };
}

/**
 * The one rule for "the child is up" (/healthz and /readyz, memshim_child_up, `memshim status --check`): the main
 * process runs and memshim is not shutting down.
 */
export function childUp(child: StatusReport['child']): boolean {
  return child !== null && child.running && !child.shuttingDown;
}

/** The fraction of the limit at which `memshim status --check` (and /readyz's caller) call memory unhealthy. */
export const UNHEALTHY_RATIO = 0.95;

/** Why `memshim status --check` fails, or null when healthy. */
export function unhealthyReason(report: StatusReport): string | null {
  if (report.child && !childUp(report.child))
    return report.child.running ? 'memshim is shutting down' : 'the child is not running';
  if (report.memory.ratio !== null && report.memory.ratio >= UNHEALTHY_RATIO)
    return `memory at ${percent(report.memory.ratio)} of the limit (>= ${percent(UNHEALTHY_RATIO)})`;
  return null;
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1).replace(/\.0$/, '')}%`;
}

function bytes(value: number | null): string {
  return value === null ? 'unknown' : formatBytes(value);
}

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${Math.round(seconds % 60)}s`;
  return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
}

export function renderStatusText(report: StatusReport, note: string | null = null): string {
  const m = report.memory;
  const l = report.limits;
  const lines: string[] = [];
  if (note) lines.push(note, '');
  const c = report.child;
  const from =
    report.source === 'cgroup'
      ? 'read from the cgroup (no memshim answered)'
      : `${report.source} pid ${report.memshimPid}`;
  lines.push(`memshim ${report.version}: ${from}`);
  if (c)
    lines.push(
      `  process  ${c.running ? `running, pid ${c.pid}${c.uptimeSeconds !== null ? `, up ${duration(c.uptimeSeconds)}` : ''}` : 'not running'}${c.shuttingDown ? ' (shutting down)' : ''}`,
    );
  lines.push(
    `  memory   working set ${bytes(m.workingSetBytes)} of ${formatBytes(l.memoryBytes)}${m.ratio !== null ? ` (${percent(m.ratio)})` : ''}; usage ${bytes(m.usageBytes)}; peak ${bytes(m.peakBytes)}`,
    `  limit    ${formatBytes(l.memoryBytes)} (${l.memorySource}${l.memoryLimitFrom ? `, ${l.memoryLimitFrom}` : ''})`,
    `  oom      ${m.oomKills === null ? 'counter unknown' : `${m.oomKills} kill(s) counted by the kernel`}`,
    `  pressure ${m.psiSomeAvg10 === null ? 'no PSI on this cgroup' : `some avg10 ${m.psiSomeAvg10}%, full avg10 ${m.psiFullAvg10 ?? 0}%`}`,
    `  cpu      limit ${l.cpus ?? `none (host ${l.hostCpus})`}; throttled ${report.cpu.throttledPeriods ?? '?'} of ${report.cpu.periods ?? '?'} periods, ${report.cpu.throttledSeconds === null ? '?' : report.cpu.throttledSeconds.toFixed(2)} s`,
  );
  if (report.plan) {
    lines.push(
      `  runtime  ${report.plan.runtime}; memshim set ${report.plan.setVariables.length ? report.plan.setVariables.join(', ') : 'nothing'}`,
    );
    for (const risk of report.plan.risks) lines.push(`  risk     ${risk.level} ${risk.code}: ${risk.message}`);
  }
  if (report.stats) {
    const signals = Object.entries(report.stats.signalsForwarded).map(([name, count]) => `${name} ${count}`);
    lines.push(
      `  init     zombies reaped ${report.stats.zombiesReaped}; signals forwarded ${signals.length ? signals.join(', ') : 'none'}`,
    );
  }
  if (report.processes?.length) {
    lines.push('', '  PID      CPU%   MEMORY     NAME');
    for (const p of report.processes) {
      lines.push(
        `  ${String(p.pid).padEnd(8)} ${(p.cpuPercent === null ? '?' : p.cpuPercent.toFixed(1)).padStart(5)}  ${bytes(p.memoryBytes).padEnd(10)} ${p.name ?? '?'}`,
      );
    }
  }
  const reason = unhealthyReason(report);
  lines.push('', reason ? `UNHEALTHY: ${reason}` : 'healthy');
  return `${lines.join('\n')}\n`;
}
