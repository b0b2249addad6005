// The memory monitor's CPU cost (by hand, not in npm test; root: it makes a real cgroup):
//   npm run bench -- bench/monitor-cost.ts [--seconds 60] [--interval 1.5]
// 1. memshim over `sleep`, in a real 512 MiB cgroup, with the monitor at the given interval, at 0.1 s, and with
//    --no-monitor, all three at once: memshim's own utime+stime (/proc/PID/stat, every thread) over a steady window
//    that starts once start-up is over. The monitor's cost is the difference to --no-monitor.
// 2. One reading in-process (readMemoryUsage + the state machines + the OOM counter), timed over many readings.
// Target (issue 5): under 1% of one core at the default interval (1.5 s).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { startMemshim, type Running } from '../test/helpers/running.js';
import { TestCgroup } from '../test/helpers/real-cgroup.js';
import { MemoryMonitor } from '../src/monitor/monitor.js';
import { OomWatch } from '../src/monitor/oom-watch.js';
import { LimitWatch } from '../src/monitor/limit-watch.js';
import { createLogger } from '../src/common/log.js';
import type { Limits } from '../src/cgroup/types.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '60' }, interval: { type: 'string', default: '1.5' } },
});
const WINDOW_S = Number(values.seconds);
const INTERVAL = values.interval!;
const SETTLE_S = 3;
const TICKS = 100; // USER_HZ on Linux
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

const group = TestCgroup.create('memshim-bench-monitor', { memoryBytes: 512 * MiB });
try {
  const variants: Record<string, string[]> = {
    [`monitor every ${INTERVAL} s (default)`]: ['--monitor-interval', INTERVAL],
    'monitor every 0.1 s': ['--monitor-interval', '0.1'],
    '--no-monitor': ['--no-monitor'],
  };
  const runs: Record<string, Running> = {};
  for (const [name, args] of Object.entries(variants)) {
    runs[name] = startMemshim(['--log-level', 'warn', ...args, '--', 'sleep', String(WINDOW_S + SETTLE_S + 2)], {
      cgroup: group,
    });
  }
  await sleep(SETTLE_S * 1000);
  const before = Object.fromEntries(Object.entries(runs).map(([name, run]) => [name, cpuSeconds(run.child.pid!)]));
  const t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const used = Object.fromEntries(
    Object.entries(runs).map(([name, run]) => [name, cpuSeconds(run.child.pid!) - before[name]!]),
  );
  await Promise.all(Object.values(runs).map((run) => run.stop()));

  const baseline = used['--no-monitor']!;
  console.log(
    `memshim's own CPU over ${elapsed.toFixed(1)} s of steady supervision (sleep child, 512 MiB v${group.dirs.version} cgroup):`,
  );
  for (const [name, seconds] of Object.entries(used)) {
    const monitor = seconds - baseline;
    console.log(
      `  ${name.padEnd(34)} ${seconds.toFixed(2)} s CPU = ${((seconds / elapsed) * 100).toFixed(3)}% of one core` +
        (name === '--no-monitor'
          ? ''
          : `; monitor's share ${((Math.max(0, monitor) / elapsed) * 100).toFixed(3)}% of one core`),
    );
  }

  // One reading, in-process, over the same cgroup.
  const location = group.location();
  const log = await createLogger('json', 'silent');
  const monitor = new MemoryMonitor({ location, limitBytes: 512 * MiB, log, intervalMs: 1500 });
  new OomWatch({
    location,
    limits: { cgroup: location, memoryBytes: 512 * MiB } as Limits,
    plan: null,
    log,
    monitor,
    mainCommand: null,
  });
  const N = 20_000;
  for (let i = 0; i < 1000; i++) monitor.read();
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = 0; i < N; i++) monitor.read();
  const wall = (performance.now() - w0) / N;
  const cpu = process.cpuUsage(c0);
  const perReadingUs = (cpu.user + cpu.system) / N;
  console.log(
    `one reading (usage, stat, peak, oom counter with sub-cgroups, PSI, state machines): ${perReadingUs.toFixed(1)} µs CPU, ${(wall * 1000).toFixed(1)} µs wall (mean of ${N})`,
  );
  console.log(
    `  at one reading per ${INTERVAL} s: ${((perReadingUs / 1e6 / Number(INTERVAL)) * 100).toFixed(4)}% of one core for the readings themselves`,
  );
  // The live-limit re-read (in-place resize) that every supervised reading adds: memory.max/high/swap, cpu.max,
  // cpuset over the cgroup and its ancestors.
  const limits = {
    cgroup: location,
    memoryBytes: 512 * MiB,
    memorySource: 'cgroup',
    hostMemoryBytes: Number.MAX_SAFE_INTEGER,
    cpuSource: null,
  } as unknown as Limits;
  const limitWatch = new LimitWatch({ location, limits, plan: null, log });
  const c1 = process.cpuUsage();
  for (let i = 0; i < N; i++) limitWatch.check(null);
  const reread = process.cpuUsage(c1);
  const rereadUs = (reread.user + reread.system) / N;
  console.log(
    `limit re-read per reading (resize detection): ${rereadUs.toFixed(1)} µs CPU, i.e. ${((rereadUs / 1e6 / Number(INTERVAL)) * 100).toFixed(4)}% of one core at one reading per ${INTERVAL} s`,
  );
} finally {
  group.remove();
}
