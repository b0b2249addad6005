// What --dry-run prints: the JSON contract (key names are stable, more may be added) and a readable summary.
// Pure: src/commands/run.ts writes them.
import type { Limits } from '../cgroup/types.js';
import { limitsView, type LimitsView } from '../cgroup/view.js';
import type { Plan, Risk } from './types.js';
import { formatBytes } from '../common/quantity.js';

export interface DryRunReport extends LimitsView {
  runtime: Plan['runtime'];
  env: Record<string, string>;
  argv: string[];
  rlimits: Plan['rlimits'];
  notes: string[];
  risks: Risk[];
  warnings: Limits['warnings'];
}

export function dryRunReport(limits: Limits, plan: Plan): DryRunReport {
  const { cgroup, limits: shown } = limitsView(limits);
  return {
    cgroup,
    limits: shown,
    runtime: plan.runtime,
    env: plan.env,
    argv: plan.argv,
    rlimits: plan.rlimits,
    notes: plan.notes,
    risks: plan.risks,
    warnings: limits.warnings,
  };
}

const MARK: Record<Risk['level'], string> = { info: 'info ', warn: 'WARN ', error: 'ERROR' };

export function renderDryRunText(report: DryRunReport, limits: Limits, plan: Plan): string {
  const l = report.limits;
  const memoryWhere =
    l.memorySource === 'cgroup'
      ? `cgroup v${report.cgroup.version} limit${l.memoryLimitFrom ? ` on ${l.memoryLimitFrom}` : ''}`
      : l.memorySource === 'option'
        ? '--memory / MEMSHIM_MEMORY'
        : "no limit: the host's memory";
  const cpuWhere =
    l.cpuSource === 'cgroup'
      ? `CFS quota${l.cpuLimitFrom ? ` on ${l.cpuLimitFrom}` : ''}`
      : l.cpuSource === 'cpuset'
        ? 'cpuset / affinity'
        : l.cpuSource === 'option'
          ? '--cpus / MEMSHIM_CPUS'
          : 'no limit';
  const lines = [
    'memshim dry run: nothing was started.',
    '',
    'Limits',
    `  memory   ${formatBytes(l.memoryBytes)}  (${memoryWhere})`,
    report.cgroup.version === 1
      ? `  soft limit  ${l.memorySoftLimitBytes === null ? 'not set' : `${formatBytes(l.memorySoftLimitBytes)}  (reclaimed down to this under host memory pressure; not a limit)`}`
      : `  high     ${l.memoryHighBytes === null ? 'not set' : `${formatBytes(l.memoryHighBytes)}  (throttled above this)`}`,
    `  swap     ${l.swapBytes === null ? 'unknown or unlimited' : l.swapBytes === 0 ? 'none' : formatBytes(l.swapBytes)}`,
    `  cpus     ${l.cpus === null ? `${l.hostCpus} (host; ${cpuWhere})` : `${l.cpus}  (${cpuWhere})`}`,
    `  host     ${formatBytes(l.hostMemoryBytes)}, ${l.hostCpus} CPUs${l.cpuShares !== null ? `; cpu.shares ${l.cpuShares}` : ''}${l.cpuWeight !== null ? `; cpu.weight ${l.cpuWeight}` : ''}`,
    `  cgroup   ${report.cgroup.version === null ? 'none found' : `v${report.cgroup.version}, memory ${report.cgroup.memoryPath ?? '-'}, cpu ${report.cgroup.cpuPath ?? '-'}`}`,
    '',
    `Runtime   ${plan.runtime}`,
    `Command   ${plan.argv.join(' ')}`,
  ];
  const env = Object.entries(report.env);
  lines.push('', env.length ? 'Would set' : 'Would set nothing');
  for (const [name, value] of env) lines.push(`  ${name}=${value}`);
  for (const limit of plan.rlimits) lines.push(`  setrlimit ${limit.resource} ${formatBytes(limit.bytes)}`);
  if (plan.notes.length) lines.push('', 'Why');
  for (const note of plan.notes) lines.push(`  ${note}`);
  lines.push('', report.risks.length ? 'Risks' : 'Risks     none found');
  for (const risk of report.risks) lines.push(`  ${MARK[risk.level]} ${risk.code}: ${risk.message}`);
  if (limits.warnings.length) lines.push('', 'Warnings while reading the cgroup');
  for (const warning of limits.warnings) lines.push(`  ${warning.file}: ${warning.message} (${warning.fallback})`);
  return `${lines.join('\n')}\n`;
}
