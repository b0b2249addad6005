// `memshim sidecar --pid N | --match REGEX`: for a pod with shareProcessNamespace, watch a process of another
// container. Find it (by pid, or the oldest process whose command line matches), read its limits from its own
// cgroup (through /proc/N/root when readable), judge its OOM-kill risks, serve the same endpoints, log the same
// memory_pressure and oom_kill events, and exit when the process is gone, saying how it ended when that is known.
// The command lines scanned for --match are never logged: only pids and executable names.
import { existsSync } from 'node:fs';
import type { SidecarConfig } from './config.js';
import { createLogger, type Logger } from '../common/log.js';
import { readProcStat, type ProcStat } from '../common/proc-stat.js';
import { readLimits } from '../cgroup/index.js';
import { planCommand } from '../runtimes/index.js';
import { SIGKILL } from '../monitor/oom.js';
import { describeEnd, findProcess, pinCgroupDirs, readArgv, readEnviron } from '../monitor/sidecar.js';
import { sampleProcesses } from '../health/process-usage.js';
import type { ProcessUsage } from '../health/status-report.js';
import { Watch } from '../health/watch.js';

async function waitForMatch(
  config: SidecarConfig,
  match: RegExp,
  log: Logger,
): Promise<{ pid: number; stat: ProcStat }> {
  let told = false;
  for (;;) {
    const found = findProcess(config.reader.procfs, match);
    if (found) {
      if (found.candidates > 1)
        log.warn(
          { event: 'sidecar_match', pid: found.pid, candidates: found.candidates },
          `${found.candidates} processes match --match: watching the oldest, pid ${found.pid} (${found.stat.comm})`,
        );
      return found;
    }
    if (!told) log.info({ event: 'sidecar_waiting' }, 'no process matches --match yet: looking again every interval');
    told = true;
    await new Promise((resolve) => setTimeout(resolve, config.monitorIntervalMs));
  }
}

export async function sidecarCommand(config: SidecarConfig): Promise<number> {
  const log = await createLogger(config.log.format, config.log.level);
  const procfs = config.reader.procfs;
  let target: { pid: number; stat: ProcStat };
  if (config.pid !== null) {
    const stat = readProcStat(procfs, config.pid);
    if (!stat || stat.state === 'Z') {
      process.stderr.write(
        `memshim: no process ${config.pid} (is the process namespace shared with this container?)\n`,
      );
      return 1;
    }
    target = { pid: config.pid, stat };
  } else {
    target = await waitForMatch(config, config.match!, log);
  }
  const { pid } = target;

  // The target's own view of /sys (its mount namespace) finds its cgroup; this container's /sys is the fallback.
  const theirSys = `${procfs}/${pid}/root/sys`;
  const reader = { ...config.reader, sysfs: existsSync(`${theirSys}/fs/cgroup`) ? theirSys : config.reader.sysfs };
  // Reported with its real paths; read through the pinned ones, which outlive the process.
  const limits = await readLimits(reader, pid);
  const readFrom = pinCgroupDirs(limits.cgroup, procfs, pid);
  for (const warning of limits.warnings)
    log.warn({ event: 'cgroup_warning', file: warning.file, fallback: warning.fallback }, warning.message);
  const argv = readArgv(procfs, pid) ?? [target.stat.comm];
  // Judged as it runs (nothing can be tuned from here): the risks of its own settings under its limits.
  const plan = planCommand({
    limits,
    argv,
    env: readEnviron(procfs, pid),
    facts: {},
    options: { tune: false, pythonMemoryCap: false, exitOnOutOfMemory: false, supervisorOverheadBytes: 0 },
  });
  log.info(
    {
      event: 'start',
      pid,
      command: target.stat.comm,
      runtime: plan.runtime,
      memoryBytes: limits.memoryBytes,
      memorySource: limits.memorySource,
      cpus: limits.cpus,
    },
    `watching pid ${pid} (${target.stat.comm}), ${plan.runtime}`,
  );
  for (const risk of plan.risks) log[risk.level]({ event: 'risk', code: risk.code }, risk.message);

  const startedAtMs = Date.now();
  let running = true;
  // Its own CPU and memory (pidusage reads /proc/N): known even when its cgroup cannot be read from here.
  let processes: ProcessUsage[] = await sampleProcesses([pid], { once: false });
  let sampling = false;
  const sample = () => {
    if (sampling) return;
    sampling = true;
    void sampleProcesses([pid], { once: false })
      .then((usage) => (processes = running ? usage : []))
      .finally(() => (sampling = false));
  };
  const watch = new Watch(
    {
      limits,
      readFrom,
      plan,
      log,
      monitor: true,
      monitorIntervalMs: config.monitorIntervalMs,
      healthPort: config.healthPort,
      healthHost: config.healthHost,
      mainCommand: target.stat.comm,
      source: 'sidecar',
    },
    () => ({ pid, running, shuttingDown: !running, startedAtMs, stats: null, processes }),
  );
  watch.oom.setMainPid(pid);
  await watch.serve();

  // The process is not ours to wait for: look at it every interval (the same pid with the same start time).
  let last: ProcStat | null = target.stat;
  let told = null as NodeJS.Signals | null;
  await new Promise<void>((resolve) => {
    // The pod stopping the sidecar (SIGTERM) is an ordinary end: close the server, exit 0.
    const stop = (signal: NodeJS.Signals) => {
      told = signal;
      clearInterval(timer);
      resolve();
    };
    process.once('SIGTERM', stop).once('SIGINT', stop);
    const timer = setInterval(() => {
      const now = readProcStat(procfs, pid);
      if (now && now.startTime === target.stat.startTime && now.state !== 'Z') {
        // A wrapper script that exec'd its program keeps the pid: name the program.
        if (now.comm !== last?.comm) watch.oom.setMainPid(pid, now.comm);
        last = now;
        sample();
        return;
      }
      last = now && now.startTime === target.stat.startTime ? now : null;
      clearInterval(timer);
      resolve();
    }, config.monitorIntervalMs);
  });
  running = false;
  processes = [];
  if (told) {
    log.info({ event: 'shutdown', reason: 'signal', signal: told }, `${told} received: no longer watching pid ${pid}`);
    await watch.stop();
    return 0;
  }
  // Gone with the counter up: the kernel killed it (a vanished process is taken for the SIGKILL it would need).
  const report = watch.oom.onDeath({ pid, main: true, signal: SIGKILL });
  const end = describeEnd(report !== null, last);
  log.info(
    { event: 'child_exit', pid, oomKilled: report !== null, code: end.code },
    `pid ${pid} (${last?.comm ?? target.stat.comm}) ${end.how}`,
  );
  await watch.stop();
  return end.code;
}
