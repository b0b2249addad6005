// What runs beside the supervised child (and beside the sidecar's watched process): the memory monitor, the OOM
// diagnosis and, with --health-port, the health server, all looking at one cgroup and one process. The health
// server module (and prom-client behind it) is imported only when a port is given.
import type { Logger } from '../common/log.js';
import { VERSION } from '../common/version.js';
import type { CgroupLocation, Limits } from '../cgroup/types.js';
import { readCpuUsage, readMemoryUsage } from '../cgroup/usage.js';
import type { Plan } from '../runtimes/types.js';
import type { SupervisorHandle, SupervisorStats } from '../supervisor/types.js';
import { MemoryMonitor } from '../monitor/monitor.js';
import { OomWatch } from '../monitor/oom-watch.js';
import { statusReport, type ProcessUsage, type StatusReport, type StatusSource } from './status-report.js';
import type { HealthServer } from './server.js';
import { LimitWatch } from '../monitor/limit-watch.js';
import { RunReporter } from '../monitor/run-report.js';
import { heapSetting, plannedSettings, type PlannedSetting } from '../runtimes/settings.js';

export interface WatchOptions {
  /** The limits as reported (their cgroup paths included). */
  limits: Limits;
  /** Where to read the cgroup when that differs from limits.cgroup (the sidecar's pinned directories). */
  readFrom?: CgroupLocation;
  plan: Plan | null;
  log: Logger;
  monitor: boolean;
  monitorIntervalMs: number;
  healthPort: number | null;
  healthHost: string;
  /** The watched process's executable name, for the oom_kill event (never its arguments). */
  mainCommand: string | null;
  source: Exclude<StatusSource, 'cgroup'>;
  /**
   * The environment memshim planned from (memshim's own run only): what the plan added to it is reported as the
   * settings memshim chose, never the user's own values.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** The termination message's file (resolved: null for none) and --state-dir: the run's record. */
  terminationLog?: string | null;
  stateDir?: string | null;
}

/** Endpoints answer with a reading at most this old: a probe right after a burst must see the burst. */
const FRESH_MS = 100;

/** The watched process as the health endpoints describe it. */
export interface ProcessView {
  pid: number | null;
  running: boolean;
  shuttingDown: boolean;
  /** Date.now() when it started (or when the sidecar found it); null before. */
  startedAtMs: number | null;
  stats: SupervisorStats | null;
  /** Per-process CPU and memory when the watcher samples them (the sidecar, through pidusage). */
  processes?: ProcessUsage[];
}

export class Watch {
  readonly monitor: MemoryMonitor | null;
  readonly oom: OomWatch;
  /** Live limit changes (in-place resize), checked at every monitor reading. */
  readonly limitWatch: LimitWatch | null;
  /** The termination message and the --state-dir record, when either is on. */
  readonly reporter: RunReporter | null;
  /** How the main process ended, once it has (the supervisor's wait). */
  mainEnd: { signal: number | null; oomKilled: boolean } | null = null;
  server: HealthServer | null = null;
  private readonly options: WatchOptions;
  private readonly view: () => ProcessView;
  /** What memshim set for the child, worked out once (the sidecar tunes nothing: none). */
  private readonly settings: PlannedSetting[];

  constructor(options: WatchOptions, view: () => ProcessView) {
    this.options = options;
    this.view = view;
    this.settings =
      options.source === 'memshim' && options.plan ? plannedSettings(options.plan, options.env ?? {}) : [];
    const location = options.readFrom ?? options.limits.cgroup;
    this.monitor = options.monitor
      ? new MemoryMonitor({
          location,
          limitBytes: options.limits.memoryBytes,
          log: options.log,
          intervalMs: options.monitorIntervalMs,
        })
      : null;
    const { terminationLog = null, stateDir = null, plan, log } = options;
    // One reading of the cgroup's memory at start: the run record's, the OOM watch's baseline, the monitor's first.
    const usage = readMemoryUsage(location);
    this.reporter =
      plan && (terminationLog !== null || stateDir !== null)
        ? new RunReporter({
            terminationLog,
            stateDir,
            limits: options.limits,
            location,
            plan,
            log,
            command: options.mainCommand,
            version: VERSION,
            usage,
          })
        : null;
    this.oom = new OomWatch({
      location,
      limits: options.limits,
      plan,
      log,
      monitor: this.monitor,
      mainCommand: options.mainCommand,
      onReport: (report) => this.reporter?.onOomKill(report),
      usage,
    });
    this.limitWatch = this.monitor
      ? new LimitWatch({
          location,
          limits: options.limits,
          plan,
          log,
          // The start read memshim's own cgroup; the sidecar's pinned directories are another way in: read there.
          baseline: options.readFrom ? undefined : options.limits.live,
          onChange: (limits) => {
            this.monitor?.setLimit(limits.memoryBytes);
            this.reporter?.onLimits(limits);
          },
        })
      : null;
    this.monitor?.onReading((reading) => {
      this.limitWatch?.check(reading.memory.workingSetBytes);
      this.reporter?.onReading(reading);
    });
    this.reporter?.start();
    this.monitor?.start(usage);
  }

  /** Start the health server when a port was given. A port that cannot be bound is an error line, not a crash. */
  async serve(): Promise<void> {
    const { healthPort, healthHost, log } = this.options;
    if (healthPort === null) return;
    const { startHealthServer } = await import('./server.js');
    try {
      this.server = await startHealthServer({
        host: healthHost,
        port: healthPort,
        log,
        snapshot: () => this.snapshot(),
      });
    } catch (error) {
      log.error(
        { event: 'health_server', host: healthHost, port: healthPort },
        `cannot serve health endpoints on ${healthHost}:${healthPort}: ${(error as Error).message}; running without them`,
      );
    }
  }

  snapshot(): StatusReport {
    const view = this.view();
    const location = this.options.readFrom ?? this.options.limits.cgroup;
    const memory = this.monitor ? this.monitor.current(FRESH_MS).memory : readMemoryUsage(location);
    const report = statusReport({
      source: this.options.source,
      version: VERSION,
      memshimPid: process.pid,
      child: {
        pid: view.pid,
        running: view.running,
        shuttingDown: view.shuttingDown,
        uptimeSeconds: view.startedAtMs === null ? null : Math.max(0, (Date.now() - view.startedAtMs) / 1000),
      },
      limits: this.options.limits,
      plan: this.options.plan,
      memory,
      cpu: readCpuUsage(location),
      stats: view.stats,
      oomKillsReported: this.oom.reports.length,
    });
    if (view.processes) report.processes = view.processes;
    const { plan } = this.options;
    if (report.plan && plan) {
      // memshim's own words only, never the user's.
      report.plan.settings = this.settings;
      report.plan.heap = heapSetting(plan)?.text ?? null;
    }
    report.limitChanges = this.limitWatch ? Object.fromEntries(this.limitWatch.changes) : {};
    const previous = this.reporter?.previous ?? null;
    report.previousRun = previous && {
      verdict: previous.kind,
      certain: previous.certain,
      code: previous.code,
      signal: previous.signal,
      limitBytes: previous.record.limitBytes,
      peakBytes: previous.record.peakBytes,
      workingSetBytes: previous.record.workingSetBytes,
      startedAt: previous.record.startedAt,
    };
    return report;
  }

  /** Explain what is still unexplained, record the end (`code`: what memshim exits with), stop the timers, close the server. */
  async stop(code: number | null = null): Promise<void> {
    this.oom.flush();
    if (code !== null)
      this.reporter?.finish({
        code,
        signal: this.mainEnd?.signal ?? null,
        oomKilled: this.mainEnd?.oomKilled ?? false,
      });
    this.monitor?.stop();
    await this.server?.close();
  }
}

/**
 * Watch a supervised child: attach to the supervisor's events synchronously (before any death can be missed),
 * then start the health server. Resolves once the server listens (or could not).
 */
export async function watchSupervisor(handle: SupervisorHandle, options: Omit<WatchOptions, 'source'>): Promise<Watch> {
  let startedAtMs: number | null = handle.pid !== null ? Date.now() : null;
  const watch = new Watch({ ...options, source: 'memshim' }, () => ({
    pid: handle.pid,
    running: handle.running,
    shuttingDown: handle.shuttingDown,
    startedAtMs,
    stats: handle.stats,
  }));
  const spawned = (pid: number) => {
    startedAtMs = Date.now();
    watch.oom.setMainPid(pid);
  };
  if (handle.pid !== null) spawned(handle.pid);
  handle.on('spawn', spawned);
  handle.on('reaped', (reaped) => {
    const report = watch.oom.onDeath(reaped);
    if (reaped.main) watch.mainEnd = { signal: reaped.signal, oomKilled: report !== null };
  });
  await watch.serve();
  return watch;
}
