// memshim as init, side by side with tini and dumb-init, in one run (by hand, not in npm test; root):
//   npm run bench -- bench/init.ts [--runs 40] [--reaps 7] [--signals 300] [--json FILE]
// 1. startup: `X -- /bin/true` (hyperfine, no shell), against a bare `node -e 0` and `/bin/true`;
// 2. the init's own memory while it supervises `sleep` (RssAnon: what it adds to the container's cgroup);
// 3. reaping 2000 orphans as PID 1 (unshare --pid): from their release to none left, as the last one sees it;
// 4. signal forwarding latency: kill(SIGUSR1) on the init -> the child's handler (same CLOCK_MONOTONIC).
// Targets (issue 4): startup within 1.5x of `node -e 0`, RssAnon at most 16 MiB, reaping within 2x of tini.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MEMSHIM, ensureBuilt } from '../test/helpers/memshim.js';
import { childrenOf, cProgram } from '../test/supervisor/harness.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '40' }, reaps: { type: 'string', default: '7' }, signals: { type: 'string', default: '300' }, json: { type: 'string' } } });
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

function startup(): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'memshim-bench-'));
  const commands: Record<string, string> = {
    '/bin/true': '/bin/true',
    'node -e 0': 'node -e 0',
    ...Object.fromEntries(Object.entries(INITS).map(([name, argv]) => [name, `${argv.join(' ')} -- /bin/true`])),
  };
  const out = join(dir, 'hyperfine.json');
  const names = Object.keys(commands);
  const ran = spawnSync('hyperfine', ['-N', '--warmup', '3', '--runs', String(RUNS), '--export-json', out, ...names.flatMap((name) => ['-n', name, commands[name]!])], { env, encoding: 'utf8' });
  if (ran.status !== 0) throw new Error(`hyperfine failed: ${ran.stderr}`);
  const results = (JSON.parse(readFileSync(out, 'utf8')) as { results: { command: string; median: number }[] }).results;
  return Object.fromEntries(results.map((r) => [r.command, r.median * 1000]));
}

function statusKb(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? NaN);
}

/** The init's own RssAnon/RssFile while its child sleeps: the highest of a few readings after start-up. */
async function residentMemory(argv: string[]): Promise<{ anonKb: number; fileKb: number }> {
  const proc = spawn(argv[0]!, [...argv.slice(1), '--', 'sleep', '30'], { env, stdio: 'ignore' });
  while (childrenOf(proc.pid!).length === 0) await sleep(10);
  let anonKb = 0;
  let fileKb = 0;
  for (let i = 0; i < 8; i++) {
    await sleep(250);
    anonKb = Math.max(anonKb, statusKb(proc.pid!, 'RssAnon'));
    fileKb = Math.max(fileKb, statusKb(proc.pid!, 'RssFile'));
  }
  proc.kill('SIGTERM');
  await new Promise((resolve) => proc.on('close', resolve));
  return { anonKb, fileKb };
}

function reapMs(argv: string[]): number {
  const ran = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', ...argv, '--', cProgram('orphans'), '2000'], { env, encoding: 'utf8' });
  const match = /left (\d+) zombies (\d+) ms ([\d.]+)/.exec(ran.stdout);
  if (!match || match[1] !== '0') throw new Error(`${argv[0]}: orphans not all reaped: ${ran.stdout} ${ran.stderr}`);
  return Number(match[3]);
}

/** kill(SIGUSR1) on the init, as PID 1, to the recorder's handler: microseconds per signal. */
async function signalLatency(argv: string[]): Promise<number[]> {
  const proc = spawn('unshare', ['--pid', '--fork', '--mount-proc', ...argv, '--', cProgram('recorder')], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  const lines: string[] = [];
  let partial = '';
  let wake: (() => void) | null = null;
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    wake?.();
  });
  const next = () => new Promise<string>((resolve) => {
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
  console.error(`machine: ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; node ${process.version}`);
  const start = startup();
  const memory: Record<string, { anonKb: number; fileKb: number }> = {};
  const reap: Record<string, number> = {};
  const latency: Record<string, { median: number; p95: number }> = {};
  for (const [name, argv] of Object.entries(INITS)) {
    memory[name] = await residentMemory(argv);
    const reaps: number[] = [];
    for (let i = 0; i < REAPS; i++) reaps.push(reapMs(argv));
    reap[name] = median(reaps);
    const micros = await signalLatency(argv);
    latency[name] = { median: median(micros), p95: p95(micros) };
  }
  const node = start['node -e 0']!;
  const rows = Object.keys(INITS).map((name) => {
    const ms = start[name]!;
    return `| ${name} | ${ms.toFixed(1)} ms (${(ms / node).toFixed(2)}x node -e 0) | ${(memory[name]!.anonKb / 1024).toFixed(1)} MiB | ${(memory[name]!.fileKb / 1024).toFixed(1)} MiB | ${reap[name]!.toFixed(1)} ms (${(reap[name]! / reap.tini!).toFixed(2)}x tini) | ${latency[name]!.median.toFixed(0)} µs / ${latency[name]!.p95.toFixed(0)} µs |`;
  });
  console.log(`Baselines: /bin/true ${start['/bin/true']!.toFixed(2)} ms, node -e 0 ${node.toFixed(1)} ms (hyperfine median of ${RUNS}).\n`);
  console.log('| init | startup `X -- /bin/true` (median) | RssAnon supervising | RssFile | reap 2000 orphans as PID 1 (median of ' + REAPS + ') | signal latency median / p95 (' + SIGNALS + ') |');
  console.log('|---|---|---|---|---|---|');
  console.log(rows.join('\n'));
  const memshim = { startup: start.memshim! / node, anonMiB: memory.memshim!.anonKb / 1024, reap: reap.memshim! / reap.tini! };
  console.log(`\nTargets: startup ${memshim.startup.toFixed(2)}x node -e 0 (<= 1.5: ${memshim.startup <= 1.5 ? 'met' : 'MISSED'}); RssAnon ${memshim.anonMiB.toFixed(1)} MiB (<= 16: ${memshim.anonMiB <= 16 ? 'met' : 'MISSED'}); reaping ${memshim.reap.toFixed(2)}x tini (<= 2: ${memshim.reap <= 2 ? 'met' : 'MISSED'}).`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ startup: start, memory, reap, latency }, null, 2));
}

await main();
