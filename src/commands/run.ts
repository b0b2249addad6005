// `memshim [options] -- CMD`: read the limits, decide the plan, then show it (--dry-run), become the command
// (--exec), or run it as a supervised child with the monitor and the health server beside it.
import type { RunConfig } from './config.js';
import { PROCESS_IO, type Io } from '../common/io.js';
import { createLogger } from '../common/log.js';
import { settleEarlySignals } from '../common/early-signals.js';
import { readLimits } from '../cgroup/index.js';
import { gatherFacts } from '../runtimes/facts.js';
import { planCommand } from '../runtimes/index.js';
import { dryRunReport, renderDryRunText } from '../runtimes/dry-run.js';
import { maskPlan } from '../runtimes/mask-secrets.js';
import type { Limits } from '../cgroup/types.js';
import type { Plan } from '../runtimes/types.js';
import { isSingleExecutable } from '../native/sea-native.js';
import { keepOwnMemorySmall } from '../native/own-memory.js';
import { collectInFull, FULL_COLLECTIONS_AFTER_MS } from '../common/own-heap.js';

const MiB = 1024 * 1024;

/** How memshim was installed: the npm package (Node runs dist/memshim.cjs) or the single executable (Node 24). */
export type Packaging = 'npm' | 'single-executable';

/**
 * What memshim itself keeps resident beside the child, charged to the same cgroup, per packaging: the highest
 * RssAnon (anonymous memory: what the kernel can neither reclaim nor share) that bench/own-memory.ts measured
 * while it supervised idle, under a signal storm and an orphan flood (`supervising`), and with the health
 * server scraped, during a flood too (`withHealthServer`), rounded up (the figures, date and machine:
 * docs/pid1.md, "memshim's own memory"). `supervising` is held at 17 MiB, the most issue 11's planner cells
 * allow (test/runtimes/cells.test.ts); an orphan flood right at the start passed it while memshim's V8 flags
 * were set a second late, and stays within it now that they hold from the start (docs/pid1.md).
 * Its file pages (the node binary) are page cache the kernel can reclaim, so they are not budgeted.
 */
export const OWN_MEMORY_BYTES: Record<Packaging, { supervising: number; withHealthServer: number }> = {
  npm: { supervising: 17 * MiB, withHealthServer: 32 * MiB },
  'single-executable': { supervising: 17 * MiB, withHealthServer: 32 * MiB },
};

export function ownMemoryBytes(packaging: Packaging, healthServer: boolean): number {
  const own = OWN_MEMORY_BYTES[packaging];
  return healthServer ? own.withHealthServer : own.supervising;
}

export function runningPackaging(): Packaging {
  return isSingleExecutable() ? 'single-executable' : 'npm';
}

/** What memshim itself will keep resident beside the child, taken out of the runtime's budget (none: --exec). */
export function supervisorOverheadBytes(
  config: Pick<RunConfig, 'exec' | 'healthPort'>,
  packaging: Packaging = runningPackaging(),
): number {
  if (config.exec) return 0;
  return ownMemoryBytes(packaging, config.healthPort !== null);
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
  // The child runs: soon memshim's heap is collected in full (common/own-heap.ts, collectInFull), and what its
  // start freed goes back to the kernel, as does what its heap grows by later (native/own-memory.ts).
  setTimeout(() => {
    collectInFull();
    keepOwnMemorySmall(config.env);
  }, FULL_COLLECTIONS_AFTER_MS).unref();
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
  const code = await supervisor.exitCode;
  await watch.stop(code);
  return code;
}
