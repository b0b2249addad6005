// memshim as init, side by side with tini and dumb-init, in one run (by hand, not in npm test; root):
//   npm run bench -- bench/init.ts [--runs 40] [--reaps 7] [--signals 300] [--json FILE]
// 1. startup: `X -- /bin/true` (hyperfine, no shell), against a bare `node -e 0` and `/bin/true`;
// 2. the init's own memory while it supervises `sleep` (RssAnon: what it adds to the container's cgroup);
// 3. reaping 2000 orphans as PID 1 (unshare --pid): from their release to none left, and a backlog of 2000
//    zombies left while the init was stopped (the reaping alone);
// 4. signal forwarding latency: kill(SIGUSR1) on the init -> the child's handler (same CLOCK_MONOTONIC).
// Targets (issue 4): startup within 1.5x of `node -e 0`, RssAnon at most 16 MiB, reaping within 2x of tini.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MEMSHIM, ensureBuilt } from '../test/helpers/memshim.js';
import { childrenOf } from '../test/helpers/proc.js';
import { cProgram } from '../test/helpers/c-program.js';
import { residentMemory, type ResidentMemory } from './init-memory.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '40' },
    reaps: { type: 'string', default: '7' },
    signals: { type: 'string', default: '300' },
    json: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const REAPS = Number(values.reaps);
const SIGNALS = Number(values.signals);

// memshim without the tap hooks a parent shell may carry; --log-level warn: no per-start info lines on a tty.
const INITS: Record<string, string[]> = {
  memshim: [MEMSHIM],
  'memshim --no-monitor': [MEMSHIM, '--no-monitor'],
  tini: ['tini'],
  'dumb-init': ['dumb-init'],
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const env = { ...process.env };
delete env.NODE_OPTIONS;

function startup(): { wall: Record<string, number>; cpu: Record<string, number> } {
  const dir = mkdtempSync(join(tmpdir(), 'memshim-bench-'));
  const commands: Record<string, string> = {
    '/bin/true': '/bin/true',
    'node -e 0': 'node -e 0',
    ...Object.fromEntries(Object.entries(INITS).map(([name, argv]) => [name, `${argv.join(' ')} -- /bin/true`])),
  };
  const out = join(dir, 'hyperfine.json');
  const names = Object.keys(commands);
  const ran = spawnSync(
    'hyperfine',
    [
      '-N',
      '--warmup',
      '3',
      '--runs',
      String(RUNS),
      '--export-json',
      out,
      ...names.flatMap((name) => ['-n', name, commands[name]!]),
    ],
    { env, encoding: 'utf8' },
  );
  if (ran.status !== 0) throw new Error(`hyperfine failed: ${ran.stderr}`);
  const results = (
    JSON.parse(readFileSync(out, 'utf8')) as {
      results: { command: string; median: number; user: number; system: number }[];
    }
  ).results;
  return {
    wall: Object.fromEntries(results.map((r) => [r.command, r.median * 1000])),
    cpu: Object.fromEntries(results.map((r) => [r.command, (r.user + r.system) * 1000])),
  };
}

/** How long after an init's start its backlog may be made: past memshim's first check of its own memory. */
const HOUSEKEEPING_MS = 3000;

/**
 * 2000 orphans as PID 1, ms until none is left. 'release': from their release (they die while the init runs);
 * 'backlog': the init is stopped (from outside the namespace) while they die, and resumed with all 2000 zombies
 * waiting: the reaping alone, without the children's own exits in the time.
 */
async function reapMs(argv: string[], mode: 'release' | 'backlog'): Promise<number> {
  const proc = spawn(
    'unshare',
    [
      '--pid',
      '--fork',
      '--mount-proc',
      ...argv,
      '--',
      cProgram('orphans'),
      '2000',
      ...(mode === 'backlog' ? ['backlog'] : []),
    ],
    { env, stdio: ['pipe', 'pipe', 'ignore'] },
  );
  let out = '';
  const seen = (text: string) =>
    new Promise<void>((resolve) => {
      const check = () => (out.includes(text) ? resolve() : proc.stdout.once('data', check));
      check();
    });
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const started = Date.now();
  if (mode === 'backlog') {
    await seen('armed');
    // Not stopped across memshim's housekeeping 2 s after its spawn (src/native/own-memory.ts: a full collection
    // then): it would run at the resumption, in the time of the reaping. Every init waits alike.
    await sleep(Math.max(0, started + HOUSEKEEPING_MS - Date.now()));
    const init = childrenOf(proc.pid!)[0]!;
    process.kill(init, 'SIGSTOP');
    proc.stdin.write('g');
    await seen('backlog');
    process.kill(init, 'SIGCONT');
    proc.stdin.write('g');
  }
  await new Promise((resolve) => proc.on('close', resolve));
  const match = /left (\d+) ms ([\d.]+)/.exec(out);
  if (!match || match[1] !== '0') throw new Error(`${argv[0]}: orphans not all reaped: ${out}`);
  return Number(match[2]);
}

/** kill(SIGUSR1) on the init, as PID 1, to the recorder's handler: microseconds per signal. */
async function signalLatency(argv: string[]): Promise<number[]> {
  const proc = spawn('unshare', ['--pid', '--fork', '--mount-proc', ...argv, '--', cProgram('recorder')], {
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines: string[] = [];
  let partial = '';
  let wake: (() => void) | null = null;
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    wake?.();
  });
  const next = () =>
    new Promise<string>((resolve) => {
      const take = () => (lines.length > 0 ? resolve(lines.shift()!) : (wake = take));
      take();
    });
  await next(); // child ready
  let init = 0;
  while (!init) {
    init = childrenOf(proc.pid!)[0] ?? 0;
    if (!init) await sleep(5);
  }
  await sleep(300); // memshim's monitor and health start-up done
  const micros: number[] = [];
  for (let i = 0; i < SIGNALS; i++) {
    const sent = process.hrtime.bigint();
    process.kill(init, 'SIGUSR1');
    const line = await next();
    micros.push(Number(BigInt(line.split(' ')[3]!) - sent) / 1000);
  }
  process.kill(init, 'SIGKILL');
  await new Promise((resolve) => proc.on('close', resolve));
  return micros;
}

async function main() {
  ensureBuilt();
  console.log(
    `machine: ${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the start; node ${process.version}`,
  );
  const start = startup();
  // All at once: each reading waits for the settled one.
  const memory: Record<string, ResidentMemory> = Object.fromEntries(
    await Promise.all(
      Object.entries(INITS).map(async ([name, argv]) => [name, await residentMemory(argv, env)] as const),
    ),
  );
  const reap: Record<string, number> = {};
  const backlog: Record<string, number> = {};
  const latency: Record<string, { median: number; p95: number }> = {};
  // Interleaved, so a burst of load elsewhere hits every init alike.
  const reaps: Record<string, number[]> = {};
  const backlogs: Record<string, number[]> = {};
  for (let i = 0; i < REAPS; i++) {
    for (const [name, argv] of Object.entries(INITS)) {
      (reaps[name] ??= []).push(await reapMs(argv, 'release'));
      (backlogs[name] ??= []).push(await reapMs(argv, 'backlog'));
    }
  }
  for (const name of Object.keys(INITS)) {
    reap[name] = median(reaps[name]!);
    backlog[name] = median(backlogs[name]!);
    const micros = await signalLatency(INITS[name]!);
    latency[name] = { median: median(micros), p95: p95(micros) };
  }
  const node = start.wall['node -e 0']!;
  const nodeCpu = start.cpu['node -e 0']!;
  console.log(
    `Baselines (hyperfine, median of ${RUNS}): /bin/true ${start.wall['/bin/true']!.toFixed(2)} ms; node -e 0 ${node.toFixed(1)} ms wall, ${nodeCpu.toFixed(1)} ms CPU.\n`,
  );
  console.log(
    `| init | startup \`X -- /bin/true\`: wall (x node -e 0) | CPU user+sys (x node -e 0) | RssAnon supervising, first 2 s / settled | RssFile, first 2 s / settled | reap 2000 orphans from release (x tini) | backlog of 2000 zombies (x tini) | signal latency median / p95 |`,
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const name of Object.keys(INITS)) {
    const ms = start.wall[name]!;
    const cpu = start.cpu[name]!;
    console.log(
      `| ${name} | ${ms.toFixed(1)} ms (${(ms / node).toFixed(2)}x) | ${cpu.toFixed(1)} ms (${(cpu / nodeCpu).toFixed(2)}x) | ${(memory[name]!.anonKb / 1024).toFixed(1)} / ${(memory[name]!.settledAnonKb / 1024).toFixed(1)} MiB | ${(memory[name]!.fileKb / 1024).toFixed(1)} / ${(memory[name]!.settledFileKb / 1024).toFixed(1)} MiB | ${reap[name]!.toFixed(1)} ms (${(reap[name]! / reap.tini!).toFixed(2)}x) | ${backlog[name]!.toFixed(1)} ms (${(backlog[name]! / backlog.tini!).toFixed(2)}x) | ${latency[name]!.median.toFixed(0)} µs / ${latency[name]!.p95.toFixed(0)} µs |`,
    );
  }
  console.log(
    `\n(reaping: median of ${REAPS}, interleaved; signal latency: ${SIGNALS} SIGUSR1 to the init as PID 1, to the child's handler)`,
  );
  const m = {
    wall: start.wall.memshim! / node,
    cpu: start.cpu.memshim! / nodeCpu,
    anonMiB: Math.max(memory.memshim!.anonKb, memory.memshim!.settledAnonKb) / 1024,
    reap: reap.memshim! / reap.tini!,
    backlog: backlog.memshim! / backlog.tini!,
  };
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  console.log(
    `Targets: startup ${m.wall.toFixed(2)}x node -e 0 wall, ${m.cpu.toFixed(2)}x CPU (<= 1.5: ${verdict(m.wall <= 1.5)} wall, ${verdict(m.cpu <= 1.5)} CPU); RssAnon ${m.anonMiB.toFixed(1)} MiB (<= 16: ${verdict(m.anonMiB <= 16)}); reaping ${m.reap.toFixed(2)}x tini from release, ${m.backlog.toFixed(2)}x on a backlog (<= 2: ${verdict(m.reap <= 2)}, ${verdict(m.backlog <= 2)}).`,
  );
  if (values.json)
    writeFileSync(
      values.json,
      JSON.stringify({ startup: start, memory, reap, backlog, latency, reaps, backlogs }, null, 2),
    );
}

await main();
