// memshim's own memory per packaging, against what it reserves out of the child's budget (src/commands/run.ts,
// ownMemoryBytes), under the loads a PID 1 meets (root; bench/c built with gcc):
//   npm run bench -- bench/own-memory.ts [--idle-seconds 15] [--scrapes 1000] [--orphans 20000] [--wave 2000]
//                                         [--signals 100000] [--rounds 1]
//   npm run bench -- bench/own-memory.ts --series 10000 [--binary PATH ...]
// Each packaging (npm: bin/memshim; the single executable dist/memshim when built) runs as PID 1 of a new PID
// namespace, inside a real cgroup of its own, through:
//   idle      supervising `sleep` for --idle-seconds (the monitor on, as by default);
//   storm     --signals SIGUSR1 at memshim, forwarded to a child that counts them;
//   flood     --orphans orphans, --wave at a time, for memshim to reap (bench/c/flood.c);
//   health    --health-port and --scrapes GETs of /metrics, /healthz and /status in turn;
//   all       the health server scraped during an orphan flood.
// `--series N` runs one scenario instead: each of the npm package on this Node, the npm package on the executable's
// Node 24, the single executable (and each `--binary PATH`: another build of either, e.g. one from before a change;
// a script counts as the npm package, whose reservation it is held to)
// over `sleep` with the health server, scraped N times; memshim's RssAnon after each 1000 requests, side by side.
// memshim's RssAnon is read every 50 ms (its anonymous memory: what the kernel cannot reclaim or share); the
// cgroup's peak charge (memshim, its child and any orphans) is shown for the idle and health rows, where the
// child is `sleep`. The highest RssAnon per packaging, without and with the health server, is what
// ownMemoryBytes must cover: the last column says whether it does.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MEMSHIM, REPO, ensureBuilt } from '../test/helpers/memshim.js';
import { startInit, type Init } from '../test/helpers/init.js';
import { freePort } from '../test/helpers/free-port.js';
import { compiledC } from '../test/helpers/c-program.js';
import { TestCgroup } from '../test/helpers/real-cgroup.js';
import { childrenOf } from '../test/helpers/proc.js';
import { get } from '../test/helpers/own-memory.js';
import { statusKb } from './init-memory.js';
import { ownMemoryBytes, type Packaging } from '../src/commands/run.js';

const { values } = parseArgs({
  options: {
    'idle-seconds': { type: 'string', default: '15' },
    scrapes: { type: 'string', default: '1000' },
    orphans: { type: 'string', default: '20000' },
    wave: { type: 'string', default: '2000' },
    'flood-seconds': { type: 'string', default: '60' },
    signals: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '1' },
    series: { type: 'string' },
    binary: { type: 'string', multiple: true, default: [] },
  },
});

const SEA = join(REPO, 'dist/memshim');
const PACKAGINGS: [Packaging, string][] = [
  ['npm', MEMSHIM],
  ...(existsSync(SEA) ? [['single-executable', SEA] as [Packaging, string]] : []),
];
const MiB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const env = { ...process.env };
delete env.NODE_OPTIONS;

async function scrape(port: number, count: number): Promise<number> {
  const paths = ['/metrics', '/healthz', '/status'];
  let answered = 0;
  for (let i = 0; i < count; i++) if ((await get(port, paths[i % paths.length]!, 5000)) === 200) answered++;
  return answered;
}

interface Peak {
  anonBytes: number;
  cgroupBytes: number | null;
}

/** Runs memshim ARGS -- COMMAND in a fresh cgroup, drives `load`, and gives memshim's peak RssAnon. */
async function measure(
  binary: string | string[],
  args: string[],
  command: string[],
  load: (run: Init, pid: number) => Promise<void>,
): Promise<Peak> {
  const group = TestCgroup.create('own-memory');
  try {
    const run = startInit(
      [
        '/bin/sh',
        '-c',
        `echo $$ > '${join(group.dirs.memory, 'cgroup.procs')}' && exec "$@"`,
        'sh',
        'env',
        '-u',
        'NODE_OPTIONS',
        'unshare',
        '--pid',
        '--fork',
        '--mount-proc',
        ...[binary].flat(),
        ...args,
        '--',
        ...command,
      ],
      { pid1: false, env },
    );
    // sh execs env, env execs unshare: run.proc.pid is unshare, whose only child is memshim.
    let pid = 0;
    while (!pid) {
      pid = childrenOf(run.proc.pid!)[0] ?? 0;
      if (!pid) await sleep(5);
    }
    while (childrenOf(pid).length === 0) await sleep(5);
    let anon = 0;
    const sampler = setInterval(() => {
      const kb = statusKb(pid, 'RssAnon');
      if (!Number.isNaN(kb)) anon = Math.max(anon, kb * 1024);
    }, 50);
    await load(run, pid);
    clearInterval(sampler);
    const kb = statusKb(pid, 'RssAnon');
    if (!Number.isNaN(kb)) anon = Math.max(anon, kb * 1024);
    const peakFile = group.dirs.version === 2 ? 'memory.peak' : 'memory.max_usage_in_bytes';
    let cgroupBytes: number | null = null;
    try {
      cgroupBytes = Number(readFileSync(join(group.dirs.memory, peakFile), 'utf8'));
    } catch {
      cgroupBytes = null;
    }
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    await run.exit;
    return { anonBytes: anon, cgroupBytes };
  } finally {
    group.remove();
  }
}

const flood = () => [compiledC(join(REPO, 'bench/c'), 'flood'), values.orphans, values.wave, values['flood-seconds']];

async function scenarios(binary: string): Promise<Record<string, Peak>> {
  const out: Record<string, Peak> = {};
  out.idle = await measure(binary, [], ['sleep', '600'], async () => {
    await sleep(Number(values['idle-seconds']) * 1000);
  });
  out.storm = await measure(binary, [], [compiledC(join(REPO, 'bench/c'), 'target')], async (run, pid) => {
    await run.line(/^ready/);
    for (let i = 0; i < Number(values.signals); i++) {
      process.kill(pid, 'SIGUSR1');
      if (i % 500 === 499) await sleep(1);
    }
    await sleep(2000);
  });
  out.flood = await measure(binary, [], flood(), async (run) => {
    await run.line(/^made /);
  });
  const health = async (port: number) => {
    while ((await get(port, '/healthz')) === null) await sleep(50);
  };
  let port = await freePort();
  out.health = await measure(
    binary,
    ['--health-port', String(port), '--health-host', '127.0.0.1'],
    ['sleep', '600'],
    async () => {
      await health(port);
      await scrape(port, Number(values.scrapes));
      await sleep(2000);
    },
  );
  port = await freePort();
  out.all = await measure(
    binary,
    ['--health-port', String(port), '--health-host', '127.0.0.1'],
    flood(),
    async (run) => {
      await health(port);
      let flooding = true;
      void run.line(/^made /).then(() => (flooding = false));
      while (flooding) await scrape(port, 50);
    },
  );
  return out;
}

/** `--series`: RssAnon after each 1000 requests of /metrics, /healthz and /status, per packaging. */
async function series(requests: number) {
  const node24 = join(REPO, '.cache', 'node24', 'node_modules', 'node', 'bin', 'node');
  const runs: [string, string[]][] = [
    [`npm (node ${process.version})`, [process.execPath, MEMSHIM]],
    ...(existsSync(node24) ? [[`npm (node ${nodeVersion(node24)})`, [node24, MEMSHIM]] as [string, string[]]] : []),
    ...PACKAGINGS.filter(([packaging]) => packaging === 'single-executable').map(
      ([, binary]) => ['single executable', [binary]] as [string, string[]],
    ),
    ...values.binary.map((binary) => [`\`${binary}\``, [binary]] as [string, string[]]),
  ];
  const steps = Array.from({ length: Math.floor(requests / 1000) }, (_, i) => (i + 1) * 1000);
  console.log(`${requests} requests of /metrics, /healthz and /status in turn; RssAnon (MiB) after each 1000\n`);
  console.log(`| packaging | ${steps.join(' | ')} | peak | reserved with health |`);
  console.log(`|---|${steps.map(() => '---|').join('')}---|---|`);
  for (const [label, launcher] of runs) {
    const after: number[] = [];
    const port = await freePort();
    const peak = await measure(
      launcher,
      ['--health-port', String(port), '--health-host', '127.0.0.1'],
      ['sleep', '600'],
      async (_run, pid) => {
        while ((await get(port, '/healthz')) === null) await sleep(50);
        for (const _ of steps) {
          await scrape(port, 1000);
          after.push(statusKb(pid, 'RssAnon') * 1024);
        }
      },
    );
    const script = readFileSync(launcher.at(-1)!).subarray(0, 2).toString() === '#!';
    const packaging: Packaging = label.startsWith('npm') || script ? 'npm' : 'single-executable';
    console.log(
      `| ${label} | ${after.map((b) => (b / MiB).toFixed(1)).join(' | ')} | ${mib(peak.anonBytes)} | ${mib(ownMemoryBytes(packaging, true))} |`,
    );
  }
}

function nodeVersion(node: string): string {
  return execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
}

async function main() {
  ensureBuilt();
  console.log(
    `date: ${new Date().toISOString()}; machine: ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the start; node ${process.version}`,
  );
  if (values.series !== undefined) {
    await series(Number(values.series));
    console.log(
      `\nload average at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    return;
  }
  console.log(
    `idle ${values['idle-seconds']} s; storm ${values.signals} x SIGUSR1; flood ${values.orphans} orphans in waves of ${values.wave}; ${values.scrapes} scrapes; peak RssAnon (cgroup peak)\n`,
  );
  console.log(
    '| packaging | idle | storm | flood | health | health + flood | reserved: without / with health | within? |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [packaging, binary] of PACKAGINGS) {
      const r = await scenarios(binary);
      const cell = (p: Peak) => `${mib(p.anonBytes)}${p.cgroupBytes === null ? '' : ` (${mib(p.cgroupBytes)})`}`;
      const without = ownMemoryBytes(packaging, false);
      const withHealth = ownMemoryBytes(packaging, true);
      const peakWithout = Math.max(r.idle!.anonBytes, r.storm!.anonBytes, r.flood!.anonBytes);
      const peakWith = Math.max(r.health!.anonBytes, r.all!.anonBytes);
      const within = `${peakWithout <= without ? 'yes' : 'NO'} / ${peakWith <= withHealth ? 'yes' : 'NO'}`;
      console.log(
        `| ${packaging} (node ${packaging === 'npm' ? process.version : 'v24'}) | ${cell(r.idle!)} | ${mib(r.storm!.anonBytes)} | ${mib(r.flood!.anonBytes)} | ${cell(r.health!)} | ${mib(r.all!.anonBytes)} | ${mib(without)} / ${mib(withHealth)} | ${within} |`,
      );
    }
  }
  console.log(
    `\nload average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}

await main();
