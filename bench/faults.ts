// memshim under faults, side by side with tini and dumb-init where they apply, in one run (by hand; root):
//   npm run bench -- bench/faults.ts [--signals 1000000] [--floods 20000,100000] [--scrapes 1000] [--slow 200]
// 1. stalled stderr: the child fills the shared stderr pipe (2 MB, nobody reads it); then two SIGUSR1, a
//    /healthz probe and SIGTERM reach the init: forwarded? answered? the child's status (7)? lines dropped?
// 2. a storm of SIGUSR1 (1M, at most 30 s) on the init: its memory, and the final status after SIGTERM;
// 3. orphan floods (20k, 100k; waves of 5000, the host's pid_max bounds how many live at once): RSS growth, zombies left;
// 4. the health server under 200 slow-header connections: probe latency, how long the slow ones are held;
// 5. memshim's own memory per packaging (npm bin/memshim; the single executable dist/memshim when built):
//    idle, with the health server after 1000 scrapes, and the peak of the floods, against the overhead
//    memshim takes out of the child's budget.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MEMSHIM, REPO, ensureBuilt } from '../test/helpers/memshim.js';
import { compiledC } from '../test/helpers/c-program.js';
import { childrenOf } from '../test/helpers/proc.js';
import { statusKb } from './init-memory.js';
import { ownMemoryBytes, type Packaging } from '../src/commands/run.js';
import { freePort } from '../test/helpers/free-port.js';

const { values } = parseArgs({
  options: {
    signals: { type: 'string', default: '1000000' },
    floods: { type: 'string', default: '20000,100000' },
    wave: { type: 'string', default: '5000' },
    'flood-seconds': { type: 'string', default: '120' },
    scrapes: { type: 'string', default: '1000' },
    slow: { type: 'string', default: '200' },
    only: { type: 'string' },
  },
});
const SIGNALS = Number(values.signals);
const FLOODS = values.floods.split(',').map(Number);
const SCRAPES = Number(values.scrapes);
const SLOW = Number(values.slow);
const ONLY = values.only?.split(',') ?? null;

const SEA = join(REPO, 'dist/memshim');
const MEMSHIMS: Record<string, string[]> = {
  'memshim (npm)': [MEMSHIM],
  ...(existsSync(SEA) ? { 'memshim (single executable)': [SEA] } : {}),
};
const REFERENCES: Record<string, string[]> = { tini: ['tini'], 'dumb-init': ['dumb-init'] };
const INITS: Record<string, string[]> = { ...MEMSHIMS, ...REFERENCES };
const isMemshim = (name: string) => name in MEMSHIMS;

const env = { ...process.env };
delete env.NODE_OPTIONS;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MiB = 1024 * 1024;
const mib = (kb: number | null) => (kb === null || Number.isNaN(kb) ? 'n/a' : `${(kb / 1024).toFixed(1)} MiB`);
const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN);
const max = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);

const work = mkdtempSync(join(tmpdir(), 'memshim-faults-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
/** Path of the compiled bench/c/NAME.c, built on first use. */
function cBuild(name: 'target' | 'flood'): string {
  return compiledC(join(REPO, 'bench/c'), name);
}

const memoryOf = (pid: number) => ({ anonKb: statusKb(pid, 'RssAnon'), rssKb: statusKb(pid, 'VmRSS') });

/** GET on the health server: status and ms, or null when no answer came within timeoutMs. */
function get(
  port: number,
  path: string,
  timeoutMs = 2000,
): Promise<{ status: number; ms: number; body: string } | null> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, body }));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(null);
    });
    req.on('error', () => resolve(null));
    req.end();
  });
}

interface Started {
  proc: ChildProcess;
  init: number;
  lines: string[];
  line(pattern: RegExp, timeoutMs: number): Promise<string | null>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `unshare --pid ... INIT -- CMD`: the init is PID 1 of a new namespace; stdout read line by line. */
async function startAsPid1(argv: string[], command: string[], stderr: 'ignore' | number = 'ignore'): Promise<Started> {
  const proc = spawn('unshare', ['--pid', '--fork', '--mount-proc', ...argv, '--', ...command], {
    env,
    stdio: ['ignore', 'pipe', stderr],
  });
  const lines: string[] = [];
  let partial = '';
  const waiters = new Set<() => void>();
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const wake of [...waiters]) wake();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal })),
  );
  let init = 0;
  for (let i = 0; !init && i < 2000; i++) {
    init = childrenOf(proc.pid!)[0] ?? 0;
    if (!init) await sleep(5);
  }
  const line = (pattern: RegExp, timeoutMs: number) =>
    new Promise<string | null>((resolve) => {
      const check = () => {
        const found = lines.find((text) => pattern.test(text));
        if (found !== undefined) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        resolve(null);
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { proc, init, lines, line, exit };
}

const within = <T>(promise: Promise<T>, ms: number) => Promise.race([promise, sleep(ms).then(() => null)]);

/** Ends what a scenario left: SIGKILL on the namespace's init ends every process in it. */
async function killAll(run: Started) {
  try {
    process.kill(run.init, 'SIGKILL');
  } catch {
    // gone already
  }
  await within(run.exit, 5000);
}

// 1. Stalled stderr.
interface StallResult {
  forwarded: string;
  health: string;
  status: string;
  dropped: string;
}
async function stalledStderr(name: string, argv: string[]): Promise<StallResult> {
  const fifo = join(work, `stderr-${Date.now()}`);
  spawnSync('mkfifo', [fifo]);
  // Held open read-write and never read: a log pipe whose reader stalled.
  const holder = openSync(fifo, constants.O_RDWR);
  const port = await freePort();
  const options = isMemshim(name)
    ? ['--log-level', 'debug', '--health-port', String(port), '--health-host', '127.0.0.1']
    : [];
  const run = await startAsPid1([...argv, ...options], [cBuild('target'), 'stall', String(2 * MiB)], holder);
  closeSync(holder);
  const keep = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  await run.line(/^ready/, 10_000);
  await sleep(1500); // the writer fills the pipe; memshim's start-up lines are in it or before it
  let forwarded = 0;
  for (let i = 0; i < 2; i++) {
    process.kill(run.init, 'SIGUSR1');
    const before = forwarded;
    for (let waited = 0; waited < 2000 && run.lines.filter((l) => l === 'usr1').length === before; waited += 20)
      await sleep(20);
    forwarded = run.lines.filter((l) => l === 'usr1').length;
  }
  let health = 'n/a';
  let dropped = 'n/a';
  if (isMemshim(name)) {
    const probe = await get(port, '/healthz');
    health = probe ? `${probe.status} in ${probe.ms.toFixed(0)} ms` : 'no answer in 2 s';
    const metrics = await get(port, '/metrics');
    const counted = metrics && /^memshim_log_lines_dropped_total (\d+)/m.exec(metrics.body);
    dropped = counted ? `${counted[1]} (metric)` : metrics ? 'no metric' : 'no answer';
  }
  process.kill(run.init, 'SIGTERM');
  const started = performance.now();
  let exited = await within(run.exit, 5000);
  let status: string;
  if (exited) status = `${exited.code ?? exited.signal} in ${(performance.now() - started).toFixed(0)} ms`;
  else {
    // Read the pipe: a blocked init comes back to life.
    const drain = setInterval(() => {
      const chunk = Buffer.alloc(65536);
      try {
        while (readSync(keep, chunk) > 0) {}
      } catch {
        // EAGAIN: empty for now
      }
    }, 10);
    exited = await within(run.exit, 5000);
    clearInterval(drain);
    status = exited ? `none in 5 s; ${exited.code ?? exited.signal} once stderr was read` : 'none (killed)';
  }
  if (!exited) await killAll(run);
  closeSync(keep);
  rmSync(fifo, { force: true });
  return { forwarded: `${forwarded}/2`, health, status, dropped };
}

// 2. Signal storm.
async function signalStorm(argv: string[]) {
  const run = await startAsPid1(argv, [cBuild('target')]);
  await run.line(/^ready/, 10_000);
  await sleep(500);
  const before = memoryOf(run.init);
  let peak = { ...before };
  const started = performance.now();
  let sent = 0;
  while (sent < SIGNALS && performance.now() - started < 30_000) {
    for (let i = 0; i < 10_000 && sent < SIGNALS; i++, sent++) process.kill(run.init, 'SIGUSR1');
    const now = memoryOf(run.init);
    peak = { anonKb: Math.max(peak.anonKb, now.anonKb), rssKb: Math.max(peak.rssKb, now.rssKb) };
    await new Promise((resolve) => setImmediate(resolve));
  }
  const seconds = (performance.now() - started) / 1000;
  await sleep(500);
  const after = memoryOf(run.init);
  process.kill(run.init, 'SIGTERM');
  const exited = await within(run.exit, 10_000);
  const term = run.lines.find((l) => l.startsWith('term'));
  if (!exited) await killAll(run);
  return {
    sent,
    seconds,
    before,
    peak,
    after,
    received: term ? Number(term.split(' ')[1]) : null,
    status: exited ? String(exited.code ?? exited.signal) : 'none in 10 s',
  };
}

// 3. Orphan floods.
async function orphanFlood(argv: string[], count: number) {
  const run = await startAsPid1(argv, [cBuild('flood'), String(count), values.wave, values['flood-seconds']]);
  while (childrenOf(run.init).length === 0) await sleep(5); // the init is up: its memory before the flood
  const first = memoryOf(run.init);
  let peak = { ...first };
  let last = { ...first };
  const sampler = setInterval(() => {
    const now = memoryOf(run.init);
    if (Number.isNaN(now.anonKb)) return;
    last = now;
    peak = { anonKb: Math.max(peak.anonKb, now.anonKb), rssKb: Math.max(peak.rssKb, now.rssKb) };
  }, 50);
  const exited = await within(run.exit, (Number(values['flood-seconds']) + 60) * 1000);
  clearInterval(sampler);
  if (!exited) await killAll(run);
  const match = /made (\d+) left (\d+) zombies (\d+) ms (\d+)/.exec(run.lines.join('\n'));
  return {
    first,
    peak,
    last,
    made: match ? Number(match[1]) : null,
    left: match ? Number(match[2]) : null,
    zombies: match ? Number(match[3]) : null,
    ms: match ? Number(match[4]) : null,
    status: exited ? String(exited.code ?? exited.signal) : 'no end',
  };
}

// 4. Health under slow connections.
async function slowConnections(argv: string[]) {
  const port = await freePort();
  const run = await startAsPid1(
    [...argv, '--health-port', String(port), '--health-host', '127.0.0.1'],
    ['sleep', '120'],
  );
  for (let i = 0; i < 200 && !(await get(port, '/healthz', 500)); i++) await sleep(50);
  const sockets: Socket[] = [];
  const closedAt: number[] = [];
  const opened = performance.now();
  for (let i = 0; i < SLOW; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.resume(); // a socket that does not read never sees the server close it
    socket.write('GET /healthz HTTP/1.1\r\nHost: memshim\r\n');
    sockets.push(socket);
  }
  const drip = setInterval(
    () => sockets.forEach((s) => !s.destroyed && s.writable && s.write('X-Slow: 1\r\n', () => {})),
    1000,
  );
  let ending = false;
  sockets.forEach((s) => s.on('close', () => !ending && closedAt.push(performance.now() - opened)));
  const latencies: number[] = [];
  let failed = 0;
  const probeUntil = performance.now() + 12_000;
  while (performance.now() < probeUntil) {
    const probe = await get(port, '/healthz', 2000);
    if (probe?.status === 200) latencies.push(probe.ms);
    else failed++;
    await sleep(250);
  }
  clearInterval(drip);
  const held = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
  const anonKb = statusKb(run.init, 'RssAnon');
  ending = true;
  sockets.forEach((s) => s.destroy());
  await killAll(run);
  return { latencies, failed, held, firstClosedMs: closedAt.length ? Math.min(...closedAt) : null, anonKb };
}

// 5. Idle memory and after scrapes.
async function idleMemory(argv: string[], scrapes: number) {
  const port = await freePort();
  const health = scrapes > 0 ? ['--health-port', String(port), '--health-host', '127.0.0.1'] : [];
  const proc = spawn(argv[0]!, [...argv.slice(1), ...health, '--', 'sleep', '120'], { env, stdio: 'ignore' });
  while (childrenOf(proc.pid!).length === 0) await sleep(10);
  if (scrapes > 0) {
    for (let i = 0; i < 200 && !(await get(port, '/healthz', 500)); i++) await sleep(50);
    for (let i = 0; i < scrapes; i++) await get(port, i % 2 ? '/metrics' : '/status');
  }
  let best = { anonKb: 0, rssKb: 0 };
  for (let i = 0; i < 6; i++) {
    await sleep(250);
    const now = memoryOf(proc.pid!);
    best = { anonKb: Math.max(best.anonKb, now.anonKb), rssKb: Math.max(best.rssKb, now.rssKb) };
  }
  proc.kill('SIGTERM');
  await new Promise((resolve) => proc.on('close', resolve));
  return best;
}

const want = (section: string) => !ONLY || ONLY.includes(section);

async function main() {
  ensureBuilt();
  console.log(
    `date: ${new Date().toISOString()}; machine: ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(
        ' ',
      )} at the start; node ${process.version}; pid_max ${readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()}`,
  );
  console.log(
    `memshim reserves ${ownMemoryBytes('npm', false) / MiB} MiB for itself (${ownMemoryBytes('npm', true) / MiB} MiB with the health server) as the npm package, ${ownMemoryBytes('single-executable', false) / MiB} (${ownMemoryBytes('single-executable', true) / MiB}) MiB as the single executable: OWN_MEMORY_BYTES, src/commands/run.ts\n`,
  );

  const floodPeak: Record<string, number> = {};
  if (want('stall')) {
    console.log(
      '### Stalled stderr (2 MB from the child into a pipe nobody reads; then 2 x SIGUSR1, /healthz, SIGTERM)\n',
    );
    console.log('| init | SIGUSR1 forwarded | /healthz | exit status (child exits 7) | lines dropped |');
    console.log('|---|---|---|---|---|');
    for (const [name, argv] of Object.entries(INITS)) {
      const r = await stalledStderr(name, argv);
      console.log(`| ${name} | ${r.forwarded} | ${r.health} | ${r.status} | ${r.dropped} |`);
    }
  }
  if (want('storm')) {
    console.log(`\n### Signal storm (up to ${SIGNALS} SIGUSR1 to the init, at most 30 s; then SIGTERM)\n`);
    console.log(
      '| init | sent | seconds | RssAnon before / peak / after | VmRSS peak | child got | exit status (child exits 7) |',
    );
    console.log('|---|---|---|---|---|---|---|');
    for (const [name, argv] of Object.entries(INITS)) {
      const r = await signalStorm(argv);
      console.log(
        `| ${name} | ${r.sent} | ${r.seconds.toFixed(1)} | ${mib(r.before.anonKb)} / ${mib(r.peak.anonKb)} / ${mib(r.after.anonKb)} | ${mib(r.peak.rssKb)} | ${r.received ?? 'n/a'} | ${r.status} |`,
      );
    }
  }
  if (want('floods')) {
    console.log(
      `\n### Orphan floods (waves of ${values.wave}, no new wave after ${values['flood-seconds']} s; the init is PID 1)\n`,
    );
    console.log(
      '| init | orphans asked / made | seconds | RssAnon start / peak / end (growth) | VmRSS peak | left / zombies at the end | exit |',
    );
    console.log('|---|---|---|---|---|---|---|');
    for (const count of FLOODS) {
      for (const [name, argv] of Object.entries(INITS)) {
        const r = await orphanFlood(argv, count);
        floodPeak[name] = Math.max(floodPeak[name] ?? 0, r.peak.anonKb);
        console.log(
          `| ${name} | ${count} / ${r.made ?? 'n/a'} | ${r.ms === null ? 'n/a' : (r.ms / 1000).toFixed(1)} | ${mib(r.first.anonKb)} / ${mib(r.peak.anonKb)} / ${mib(r.last.anonKb)} (+${mib(r.peak.anonKb - r.first.anonKb)}) | ${mib(r.peak.rssKb)} | ${r.left ?? 'n/a'} / ${r.zombies ?? 'n/a'} | ${r.status} |`,
        );
      }
    }
  }
  if (want('slow')) {
    console.log(
      `\n### Health server under ${SLOW} slow-header connections (a header line each second; a /healthz probe every 250 ms for 12 s)\n`,
    );
    console.log(
      '| init | probes answered | probe latency median / max | slow connections still open after 12 s | first one closed by memshim after | RssAnon |',
    );
    console.log('|---|---|---|---|---|---|');
    for (const [name, argv] of Object.entries(MEMSHIMS)) {
      const r = await slowConnections(argv);
      console.log(
        `| ${name} | ${r.latencies.length}/${r.latencies.length + r.failed} | ${median(r.latencies).toFixed(1)} / ${max(r.latencies).toFixed(1)} ms | ${r.held}/${SLOW} | ${r.firstClosedMs === null ? 'never' : `${(r.firstClosedMs / 1000).toFixed(1)} s`} | ${mib(r.anonKb)} |`,
      );
    }
  }
  if (want('memory')) {
    console.log(`\n### memshim's own memory (supervising \`sleep\`), against what it reserves\n`);
    console.log(
      `| init | idle RssAnon / VmRSS | health, after ${SCRAPES} scrapes: RssAnon / VmRSS | peak RssAnon in the floods | reserved: idle / with health | within? |`,
    );
    console.log('|---|---|---|---|---|---|');
    for (const [name, argv] of Object.entries(INITS)) {
      const idle = await idleMemory(argv, 0);
      const scraped = isMemshim(name) ? await idleMemory(argv, SCRAPES) : null;
      const peak = floodPeak[name] ?? null;
      const packaging: Packaging = name.includes('single executable') ? 'single-executable' : 'npm';
      const reserved = ownMemoryBytes(packaging, false) / 1024;
      const reservedHealth = ownMemoryBytes(packaging, true) / 1024;
      const ok = !isMemshim(name)
        ? 'n/a'
        : [
            idle.anonKb <= reserved ? 'idle yes' : 'idle NO',
            scraped && scraped.anonKb <= reservedHealth ? 'health yes' : 'health NO',
            peak === null ? '' : peak <= reserved ? 'floods yes' : 'floods NO',
          ]
            .filter(Boolean)
            .join(', ');
      console.log(
        `| ${name} | ${mib(idle.anonKb)} / ${mib(idle.rssKb)} | ${scraped ? `${mib(scraped.anonKb)} / ${mib(scraped.rssKb)}` : 'n/a'} | ${mib(peak)} | ${isMemshim(name) ? `${mib(reserved)} / ${mib(reservedHealth)}` : 'n/a'} | ${ok} |`,
      );
    }
  }
}

await main();
