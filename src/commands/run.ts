// `memshim [options] -- CMD`: read the limits, decide the plan, then show it (--dry-run), become the command
// (--exec), or run it as a supervised child with the monitor and the health server beside it.
import type { RunConfig } from './config.js';
import { PROCESS_IO, type Io } from '../common/io.js';
import { createLogger } from '../common/log.js';
import { settleEarlySignals } from '../common/early-signals.js';
import { limitOwnHeapSoon } from '../common/own-heap.js';
import { readLimits } from '../cgroup/index.js';
import { gatherFacts } from '../runtimes/facts.js';
import { planCommand } from '../runtimes/index.js';
import { dryRunReport, renderDryRunText } from '../runtimes/dry-run.js';
import { maskPlan } from '../runtimes/mask-secrets.js';
import type { Limits } from '../cgroup/types.js';
import type { Plan } from '../runtimes/types.js';

/**
 * What memshim keeps resident while it supervises, charged to the same cgroup: its anonymous RSS (RssAnon)
 * with the monitor on, as bench/init.ts measures it (the figure, its date and machine: docs/pid1.md), rounded up.
 * Its file pages (the node binary) are shared page cache the kernel can reclaim, so they are not budgeted.
 */
export const SUPERVISOR_OVERHEAD_BYTES = 16 * 1024 * 1024;
/** The health server adds prom-client and its registry once scraped (RssAnon after a few scrapes; docs/pid1.md). */
export const HEALTH_SERVER_OVERHEAD_BYTES = 6 * 1024 * 1024;

/** What memshim itself will keep resident beside the child, taken out of the runtime's budget. */
export function supervisorOverheadBytes(config: Pick<RunConfig, 'exec' | 'healthPort'>): number {
  if (config.exec) return 0;
  return SUPERVISOR_OVERHEAD_BYTES + (config.healthPort === null ? 0 : HEALTH_SERVER_OVERHEAD_BYTES);
}

export async function decide(config: RunConfig): Promise<{ limits: Limits; plan: Plan }> {
  const limits = await readLimits(config.reader);
  const facts = await gatherFacts(config.argv, config.env);
  const plan = planCommand({
    limits,
    argv: config.argv,
    env: config.env,
    facts,
    options: {
      runtime: config.runtime,
      tune: config.tune,
      pythonMemoryCap: config.pythonMemoryCap,
      exitOnOutOfMemory: config.exitOnOutOfMemory,
      supervisorOverheadBytes: supervisorOverheadBytes(config),
    },
  });
  return { limits, plan };
}

export async function run(config: RunConfig, io: Io = PROCESS_IO): Promise<number> {
  const { limits, plan } = await decide(config);
  if (config.dryRun) {
    // Pasted into CI logs and tickets: the user's secret-looking values are masked unless asked for.
    const shown = config.showSecrets ? plan : maskPlan(plan);
    const report = dryRunReport(limits, shown);
    io.stdout(config.json ? `${JSON.stringify(report, null, 2)}\n` : renderDryRunText(report, limits, shown));
    return 0;
  }
  const log = await createLogger(config.log.format, config.log.level);
  for (const warning of limits.warnings)
    log.warn({ event: 'cgroup_warning', file: warning.file, fallback: warning.fallback }, warning.message);
  log.info(
    {
      event: 'plan',
      runtime: plan.runtime,
      memoryBytes: limits.memoryBytes,
      memorySource: limits.memorySource,
      cpus: limits.cpus,
      set: Object.keys(plan.env),
    },
    `planning for ${plan.runtime}`,
  );
  for (const risk of plan.risks) log[risk.level]({ event: 'risk', code: risk.code }, risk.message);
  const child = { argv: plan.argv, env: { ...config.env, ...plan.env }, rlimits: plan.rlimits };
  if (config.exec) return (await import('../supervisor/exec.js')).execCommand(child, log);
  const { supervise } = await import('../supervisor/supervisor.js');
  const { oomScoreGap } = await import('../supervisor/oom-score.js');
  const { commandName } = await import('../monitor/oom-watch.js');
  const { watchSupervisor } = await import('../health/watch.js');
  const { resolveTerminationLog } = await import('../monitor/run-report.js');
  // A signal sent before now reaches the supervisor's drain (common/early-signals.ts), not its forwarding.
  await settleEarlySignals();
  // The child, not memshim, is the OOM killer's choice: memshim must live to say what happened (oom-score.ts).
  const supervisor = supervise(
    {
      ...child,
      singleChild: config.singleChild,
      rewrite: config.rewrite,
      gracePeriodMs: config.gracePeriodMs,
      oomScoreGap: oomScoreGap(limits.memoryBytes),
      stopDelayMs: config.stopDelayMs,
      remapExit: config.remapExit,
      parentDeathSignal: config.parentDeathSignal,
    },
    log,
  );
  // Attached before the next tick: the monitor, the OOM diagnosis and (with --health-port) the health server.
  const watch = await watchSupervisor(supervisor, {
    limits,
    plan,
    log,
    monitor: config.monitor,
    monitorIntervalMs: config.monitorIntervalMs,
    healthPort: config.healthPort,
    healthHost: config.healthHost,
    mainCommand: commandName(plan.argv),
    env: config.env,
    terminationLog: resolveTerminationLog(config.terminationLog),
    stateDir: config.stateDir,
  });
  limitOwnHeapSoon();
  const code = await supervisor.exitCode;
  await watch.stop(code);
  return code;
}
