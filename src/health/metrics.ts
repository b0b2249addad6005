// /metrics: Prometheus text through prom-client, in a Registry of its own (never the global one, which a library
// in the same process could fill). Every value comes from one StatusReport taken at the scrape, so /metrics and
// /status always agree. Counters the kernel or the supervisor keep (OOM kills, throttled periods, zombies) are
// mirrored: reset and set to the absolute value at each scrape. Imported only at the first scrape.
import { Counter, Gauge, Registry } from 'prom-client';
import { childUp, type ProcessUsage, type StatusReport } from './status-report.js';
import { droppedLogLines } from '../common/log.js';

type Snapshot = () => StatusReport;

export interface Metrics {
  contentType: string;
  render(): Promise<string>;
}

export function createMetrics(snapshot: Snapshot): Metrics {
  const registry = new Registry();
  let current: StatusReport | null = null;
  const report = (): StatusReport => (current ??= snapshot());

  const gauge = (name: string, help: string, value: (r: StatusReport) => number | null | undefined) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const v = value(report());
        if (v === null || v === undefined || !Number.isFinite(v)) this.reset();
        else this.set(v);
      },
    });
  const counter = (name: string, help: string, value: (r: StatusReport) => number | null | undefined) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        const v = value(report());
        if (v !== null && v !== undefined && Number.isFinite(v) && v >= 0) this.inc(v);
      },
    });

  gauge(
    'memshim_memory_limit_bytes',
    'Memory limit memshim plans with (cgroup limit, --memory, or host memory).',
    (r) => r.limits.memoryBytes,
  );
  gauge(
    'memshim_memory_usage_bytes',
    'Memory charged to the cgroup (v2 memory.current, v1 memory.usage_in_bytes).',
    (r) => r.memory.usageBytes,
  );
  gauge(
    'memshim_memory_working_set_bytes',
    'Usage minus inactive file cache: what the kubelet evicts on.',
    (r) => r.memory.workingSetBytes,
  );
  gauge(
    'memshim_memory_working_set_ratio',
    'Working set divided by the memory limit (the kernel OOM-kills at 1).',
    (r) => r.memory.ratio,
  );
  gauge('memshim_memory_peak_bytes', 'Highest usage the cgroup reached.', (r) => r.memory.peakBytes);
  new Gauge({
    name: 'memshim_memory_pressure_avg10_percent',
    help: 'Memory PSI avg10: percent of the last 10 s in which some (or all) tasks stalled on memory.',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const r = report();
      if (r.memory.psiSomeAvg10 !== null) this.set({ kind: 'some' }, r.memory.psiSomeAvg10);
      if (r.memory.psiFullAvg10 !== null) this.set({ kind: 'full' }, r.memory.psiFullAvg10);
    },
  });
  // The kubelet's names (KEP-4205): "waiting" is PSI some, "stalled" is PSI full.
  counter(
    'memshim_memory_pressure_waiting_seconds_total',
    'Memory PSI some total: seconds in which some task waited on memory (kubelet: container_pressure_memory_waiting_seconds_total).',
    (r) => (r.memory.psiSomeTotalMicros === null ? null : r.memory.psiSomeTotalMicros / 1e6),
  );
  counter(
    'memshim_memory_pressure_stalled_seconds_total',
    'Memory PSI full total: seconds in which all tasks stalled on memory (kubelet: container_pressure_memory_stalled_seconds_total).',
    (r) => (r.memory.psiFullTotalMicros === null ? null : r.memory.psiFullTotalMicros / 1e6),
  );
  gauge(
    'memshim_memory_high_bytes',
    'memory.high (v1: the soft limit), the smallest over the cgroup and its ancestors; absent when unset.',
    (r) => r.limits.memoryHighBytes,
  );
  gauge(
    'memshim_memory_swap_limit_bytes',
    'Swap the cgroup may use on top of the memory limit (0: none); absent when unlimited or unknown.',
    (r) => r.limits.swapBytes,
  );
  new Gauge({
    name: 'memshim_limit_source_info',
    help: 'Where each limit came from: source (cgroup, cpuset, option, host) and the cgroup directory that set it.',
    labelNames: ['limit', 'source', 'cgroup'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const l = report().limits;
      this.set({ limit: 'memory', source: l.memorySource, cgroup: l.memoryLimitFrom ?? '' }, 1);
      if (l.cpuSource !== null) this.set({ limit: 'cpu', source: l.cpuSource, cgroup: l.cpuLimitFrom ?? '' }, 1);
    },
  });
  new Counter({
    name: 'memshim_memory_events_total',
    help: 'memory.events counters of the cgroup: low, high (over memory.high), max (at memory.max), oom, oom_kill, oom_group_kill.',
    labelNames: ['event'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const e = report().memory.events;
      if (!e) return;
      const pairs: [string, number | null][] = [
        ['low', e.low],
        ['high', e.high],
        ['max', e.max],
        ['oom', e.oom],
        ['oom_kill', e.oomKill],
        ['oom_group_kill', e.oomGroupKill],
      ];
      for (const [event, value] of pairs) if (value !== null && value >= 0) this.inc({ event }, value);
    },
  });
  new Counter({
    name: 'memshim_limit_changes_total',
    help: 'Changes of memory.max, memory.high or cpu.max seen while running (in-place resize).',
    labelNames: ['limit'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [limit, count] of Object.entries(report().limitChanges ?? {})) this.inc({ limit }, count);
    },
  });
  new Gauge({
    name: 'memshim_plan_info',
    help: 'The runtime memshim planned for and the heap cap in effect (1).',
    labelNames: ['runtime', 'heap'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const plan = report().plan;
      if (plan) this.set({ runtime: plan.runtime, heap: plan.heap ?? '' }, 1);
    },
  });
  new Gauge({
    name: 'memshim_plan_setting_info',
    help: "Each setting memshim chose: the variable and memshim's own value (its words only, never the user's) (1).",
    labelNames: ['variable', 'value'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { variable, value } of report().plan?.settings ?? []) this.set({ variable, value }, 1);
    },
  });
  new Gauge({
    name: 'memshim_build_info',
    help: 'memshim and the Node it runs on (1).',
    labelNames: ['version', 'nodejs'] as const,
    registers: [registry],
    collect() {
      this.set({ version: report().version, nodejs: process.version }, 1);
    },
  });
  new Gauge({
    name: 'memshim_previous_run_info',
    help: 'The previous run (from --state-dir): verdict oom_group_kill, oom_kill, exited, signaled or memshim_died; certain false when inferred (1).',
    labelNames: ['verdict', 'certain'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const previous = report().previousRun;
      if (previous) this.set({ verdict: previous.verdict, certain: String(previous.certain) }, 1);
    },
  });
  gauge(
    'memshim_previous_run_exit_code',
    'The exit code of the previous run, when known (137: OOM-killed).',
    (r) => r.previousRun?.code,
  );
  gauge(
    'memshim_previous_run_peak_bytes',
    'The peak memory of the previous run, as last recorded.',
    (r) => r.previousRun?.peakBytes,
  );
  gauge(
    'memshim_previous_run_memory_limit_bytes',
    'The memory limit of the previous run.',
    (r) => r.previousRun?.limitBytes,
  );
  counter(
    'memshim_oom_kills_total',
    'OOM kills the kernel counted in the cgroup (v2 memory.events, v1 memory.oom_control).',
    (r) => r.memory.oomKills,
  );
  counter(
    'memshim_oom_kills_reported_total',
    'oom_kill events memshim logged for processes in its tree.',
    (r) => r.oomKillsReported,
  );
  gauge(
    'memshim_cpu_limit_cores',
    'Effective CPU limit (quota/period, cpuset, or --cpus); absent when only the host bounds it.',
    (r) => r.limits.cpus,
  );
  counter('memshim_cpu_periods_total', 'CFS enforcement periods elapsed (cpu.stat nr_periods).', (r) => r.cpu.periods);
  counter(
    'memshim_cpu_throttled_periods_total',
    'CFS periods in which the cgroup was throttled (cpu.stat nr_throttled).',
    (r) => r.cpu.throttledPeriods,
  );
  counter('memshim_cpu_throttled_seconds_total', 'Time the cgroup spent throttled.', (r) => r.cpu.throttledSeconds);
  counter('memshim_cpu_usage_seconds_total', 'CPU time the cgroup used.', (r) => r.cpu.usageSeconds);
  gauge('memshim_child_up', '1 while the main process runs and memshim is not shutting down, else 0.', (r) =>
    childUp(r.child) ? 1 : 0,
  );
  gauge('memshim_child_uptime_seconds', 'Seconds since the main process started.', (r) => r.child?.uptimeSeconds);
  counter(
    'memshim_zombies_reaped_total',
    'Processes other than the main child that memshim reaped.',
    (r) => r.stats?.zombiesReaped,
  );
  new Counter({
    name: 'memshim_signals_forwarded_total',
    help: 'Signals memshim forwarded to the child or its process group.',
    labelNames: ['signal'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [signal, count] of Object.entries(report().stats?.signalsForwarded ?? {})) this.inc({ signal }, count);
    },
  });
  // memshim's own counter, not the child's state: read where it is kept, not from the report.
  counter(
    'memshim_log_lines_dropped_total',
    "memshim's log lines dropped because stderr did not drain (a stalled log pipe never blocks memshim).",
    () => droppedLogLines(),
  );
  // The watched process itself (pidusage; the sidecar samples it every interval): one series per process.
  const perProcess = (name: string, help: string, value: (p: ProcessUsage) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['pid', 'name'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const p of report().processes ?? []) {
          const v = value(p);
          if (v !== null && Number.isFinite(v)) this.set({ pid: String(p.pid), name: p.name ?? '' }, v);
        }
      },
    });
  perProcess(
    'memshim_process_cpu_percent',
    'CPU of the watched process: percent of one core since the previous sample (pidusage).',
    (p) => p.cpuPercent,
  );
  perProcess(
    'memshim_process_resident_bytes',
    'Resident memory of the watched process (pidusage: RSS from /proc/PID/stat).',
    (p) => p.memoryBytes,
  );

  return {
    contentType: registry.contentType,
    async render() {
      current = null;
      try {
        return await registry.metrics();
      } finally {
        current = null;
      }
    },
  };
}
