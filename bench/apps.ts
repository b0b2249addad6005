// Real applications under load, with and without memshim, side by side in the same cgroup shapes (issue 11):
// Debian's Tomcat 10 with its examples webapp keeping a session per request (SessionExample), gunicorn with a
// small CPU-bound Flask app, and Express with express-session's default MemoryStore. Each cell: the app in a
// fresh cgroup (memory limit, 1 CPU, swap forbidden; the limit on the app's own cgroup or on its parent), wrk
// from outside the cgroup for --seconds against loopback, then: did the app survive (and how it ended if not),
// requests/s, p99 latency, errors (non-2xx and socket errors), the cgroup's peak.
//
// Needs root and: apt-get install tomcat10 tomcat10-examples gunicorn python3-flask wrk; npm install (express,
// express-session are devDependencies). Run `npm run build` first (memshim runs as bin/memshim -- CMD).
//   npm run bench -- bench/apps.ts [--apps tomcat,flask,express] [--limits 192,256,512] [--placements leaf]
//     [--seconds 30] [--connections 16] [--repeat 1] [--json FILE]
// Cells run one at a time (a throughput figure needs the machine to itself as far as it can have it); memshim and
// the default alternate, cell by cell. With --repeat N each pair runs N times, the order swapped every round
// (a warmer page cache or a quieter minute must not always favour the same side), and the summary judges the
// ratio of the medians next to the default's own spread: a 10% criterion means nothing where the same default
// configuration varies by more than that from one run to the next.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TestCgroup, canMakeCgroups } from '../test/helpers/real-cgroup.js';
import { MEMSHIM, ensureBuilt } from '../test/helpers/memshim.js';
import { freePort } from '../test/helpers/free-port.js';
import { peakUsage } from './cgroup-sampler.js';

const MiB = 2 ** 20;
const APPS_DIR = fileURLToPath(new URL('./apps/', import.meta.url));
type App = 'tomcat' | 'flask' | 'express';
type Config = 'default' | 'memshim';
type Placement = 'leaf' | 'parent';

const { values: flags } = parseArgs({
  options: {
    apps: { type: 'string', default: 'tomcat,flask,express' },
    limits: { type: 'string', default: '192,256,512' },
    placements: { type: 'string', default: 'leaf' },
    seconds: { type: 'string', default: '30' },
    connections: { type: 'string', default: '16' },
    repeat: { type: 'string', default: '1' },
    json: { type: 'string' },
  },
});
const APPS = flags.apps.split(',') as App[];
const LIMITS = flags.limits.split(',').map(Number);
const PLACEMENTS = flags.placements.split(',') as Placement[];
const SECONDS = Number(flags.seconds);

const skip = canMakeCgroups();
const missing = [
  ['wrk', '/usr/bin/wrk'],
  ...(APPS.includes('tomcat')
    ? [
        ['tomcat10', '/usr/share/tomcat10/bin/catalina.sh'],
        ['tomcat10-examples', '/usr/share/tomcat10-examples/examples'],
      ]
    : []),
  ...(APPS.includes('flask') ? [['gunicorn', '/usr/bin/gunicorn']] : []),
].filter(([, path]) => !existsSync(path!));
if (skip || missing.length) {
  process.stderr.write(
    `apps: ${skip ?? `missing ${missing.map(([name]) => name).join(', ')} (apt-get install ${missing.map(([name]) => name).join(' ')})`}\n`,
  );
  process.exit(2);
}
ensureBuilt();

interface Cell {
  app: App;
  config: Config;
  limitMiB: number;
  placement: Placement;
}

interface Result extends Cell {
  round: number;
  outcome: string;
  requestsPerSecond: number | null;
  p99Ms: number | null;
  errors: number;
  peakMiB: number | null;
  oomKills: number;
  plan: string;
}

/** A private CATALINA_BASE on its own port: Debian's conf with the examples webapp, no other connector. */
function tomcatBase(port: number): string {
  const base = mkdtempSync(join(tmpdir(), 'memshim-apps-tomcat-'));
  cpSync('/etc/tomcat10', join(base, 'conf'), { recursive: true, dereference: true });
  const server = readFileSync(join(base, 'conf/server.xml'), 'utf8').replace(/port="8080"/g, `port="${port}"`);
  writeFileSync(join(base, 'conf/server.xml'), server);
  for (const dir of ['logs', 'temp', 'work', 'webapps']) mkdirSync(join(base, dir));
  return base;
}

function appCommand(app: App, port: number): { argv: string[]; env: Record<string, string>; url: string } {
  switch (app) {
    case 'tomcat': {
      const base = tomcatBase(port);
      return {
        argv: ['/usr/share/tomcat10/bin/catalina.sh', 'run'],
        env: { CATALINA_HOME: '/usr/share/tomcat10', CATALINA_BASE: base, CATALINA_TMPDIR: join(base, 'temp') },
        url: `http://127.0.0.1:${port}/examples/servlets/servlet/SessionExample?dataname=cart&datavalue=${'x'.repeat(1024)}`,
      };
    }
    case 'flask':
      return {
        argv: ['/usr/bin/gunicorn', '-b', `127.0.0.1:${port}`, '--chdir', APPS_DIR, 'flask_app:app'],
        env: {},
        url: `http://127.0.0.1:${port}/`,
      };
    case 'express':
      return {
        argv: ['node', join(APPS_DIR, 'express-app.cjs'), String(port)],
        env: { NODE_PATH: fileURLToPath(new URL('../node_modules', import.meta.url)) },
        url: `http://127.0.0.1:${port}/`,
      };
  }
}

async function ready(url: string, child: ChildProcess, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) return true;
    } catch {
      /* not up yet */
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

function parseWrk(text: string): { requestsPerSecond: number | null; p99Ms: number | null; errors: number } {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)\b/m.exec(text);
  const scale = { us: 0.001, ms: 1, s: 1000 } as Record<string, number>;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const errors = non2xx + (socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return {
    requestsPerSecond: rps ? Number(rps[1]) : null,
    p99Ms: p99 ? Math.round(Number(p99[1]) * scale[p99[2]!]! * 10) / 10 : null,
    errors,
  };
}

async function runCell(cell: Cell, round: number): Promise<Result> {
  // A port nothing listens on now: a fixed sequence met a port in use (gunicorn: "Connection in use").
  const port = await freePort();
  const app = appCommand(cell.app, port);
  const env: NodeJS.ProcessEnv = { ...process.env, ...app.env };
  delete env.NODE_OPTIONS;
  delete env.JAVA_TOOL_OPTIONS;
  delete env.WEB_CONCURRENCY;
  const argv = cell.config === 'memshim' ? [MEMSHIM, '--log-level', 'warn', '--', ...app.argv] : app.argv;
  const group = TestCgroup.create(`apps-${cell.app}-${cell.config}-${cell.limitMiB}`, {
    memoryBytes: cell.limitMiB * MiB,
    noSwap: true,
    ...(cell.placement === 'leaf' ? { cpus: 1 } : {}),
  });
  const inner = cell.placement === 'parent' ? group.child('app', { cpus: 1 }) : group;
  let plan = '';
  if (cell.config === 'memshim') {
    const dry = spawnSync(
      '/bin/sh',
      [
        '-c',
        `echo $$ > '${join(inner.dirs.memory, 'cgroup.procs')}' && ${inner.dirs.cpu && inner.dirs.cpu !== inner.dirs.memory ? `echo $$ > '${join(inner.dirs.cpu, 'cgroup.procs')}' && ` : ''}exec "$@"`,
        'sh',
        MEMSHIM,
        '--dry-run',
        '--json',
        '--',
        ...app.argv,
      ],
      { env, encoding: 'utf8' },
    );
    try {
      const report = JSON.parse(dry.stdout) as { env: Record<string, string> };
      plan = [
        report.env.JAVA_TOOL_OPTIONS,
        report.env.NODE_OPTIONS,
        report.env.WEB_CONCURRENCY && `WEB_CONCURRENCY=${report.env.WEB_CONCURRENCY}`,
      ]
        .filter(Boolean)
        .join(' ');
    } catch {
      plan = '?';
    }
  }
  try {
    const child = inner.spawn(argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (data: Buffer) => (stderr = (stderr + data.toString()).slice(-4096)));
    const up = await ready(app.url, child, 120);
    let wrk = '';
    if (up) {
      const load = spawnSync(
        'wrk',
        ['-t', '1', '-c', flags.connections, '-d', `${SECONDS}s`, '--timeout', '5s', '--latency', app.url],
        { encoding: 'utf8' },
      );
      wrk = load.stdout;
    }
    const alive = child.exitCode === null && child.signalCode === null;
    const kills = Math.max(inner.oomKills(), group.oomKills());
    child.kill('SIGTERM');
    const exited = await Promise.race([
      new Promise((resolve) => child.on('close', (code, signal) => resolve(signal ?? code))),
      new Promise((resolve) => setTimeout(() => resolve('timeout'), 15000)),
    ]);
    const outcome = !up
      ? `did not start (${exited})`
      : alive && kills === 0
        ? 'survived'
        : alive
          ? `survived, ${kills} process(es) OOM-killed`
          : kills > 0
            ? `KILLED 137 (kernel, ${kills})`
            : `exited (${exited})`;
    if (!up)
      process.stderr.write(
        `apps: ${cell.app} ${cell.config} did not start: ${stderr.trim().split('\n').slice(-3).join(' | ')}\n`,
      );
    return {
      ...cell,
      round,
      outcome,
      ...parseWrk(wrk),
      peakMiB: Math.round((peakUsage(group.dirs.memory, group.dirs.version) ?? 0) / MiB),
      oomKills: kills,
      plan,
    };
  } finally {
    group.remove();
  }
}

const REPEAT = Math.max(1, Number(flags.repeat));
const cells: (Cell & { round: number })[] = [];
for (let round = 1; round <= REPEAT; round++)
  for (const placement of PLACEMENTS)
    for (const app of APPS)
      for (const limitMiB of LIMITS)
        for (const config of round % 2 ? (['default', 'memshim'] as const) : (['memshim', 'default'] as const))
          cells.push({ app, config, limitMiB, placement, round });

const results: Result[] = [];
const began = Date.now();
for (const cell of cells) {
  const result = await runCell(cell, cell.round);
  results.push(result);
  process.stderr.write(
    `[${results.length}/${cells.length}] round ${cell.round} ${cell.app} ${cell.limitMiB} MiB ${cell.placement} ${cell.config}: ${result.outcome}, ${result.requestsPerSecond} req/s, p99 ${result.p99Ms} ms, ${result.errors} errors, peak ${result.peakMiB} MiB ${result.plan}\n`,
  );
}
if (flags.json) writeFileSync(flags.json, `${JSON.stringify(results, null, 2)}\n`);

const lines = [
  `apps: ${results.length} runs (${REPEAT} round${REPEAT > 1 ? 's' : ''}), ${SECONDS} s of wrk (-c ${flags.connections}) each, 1 CPU, ${Math.round((Date.now() - began) / 1000)} s in all`,
  '',
  '| round | app | limit | placement | config | outcome | req/s | p99 ms | errors | peak MiB | memshim/default req/s |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
];
let within = 0;
let compared = 0;
for (const r of results) {
  const other = results.find(
    (o) =>
      o.round === r.round &&
      o.app === r.app &&
      o.limitMiB === r.limitMiB &&
      o.placement === r.placement &&
      o.config === 'default',
  );
  let ratio = '';
  if (
    r.config === 'memshim' &&
    other &&
    r.outcome === 'survived' &&
    other.outcome === 'survived' &&
    r.requestsPerSecond &&
    other.requestsPerSecond
  ) {
    const value = r.requestsPerSecond / other.requestsPerSecond;
    ratio = value.toFixed(2);
    compared++;
    if (value >= 0.9) within++;
  }
  lines.push(
    `| ${r.round} | ${r.app} | ${r.limitMiB} MiB | ${r.placement} | ${r.config} | ${r.outcome} | ${r.requestsPerSecond ?? '-'} | ${r.p99Ms ?? '-'} | ${r.errors} | ${r.peakMiB} | ${ratio} |`,
  );
}
const memshimDied = results.filter((r) => r.config === 'memshim' && r.outcome !== 'survived');
const defaultSurvived = memshimDied.filter((r) =>
  results.some(
    (o) =>
      o.round === r.round &&
      o.app === r.app &&
      o.limitMiB === r.limitMiB &&
      o.placement === r.placement &&
      o.config === 'default' &&
      o.outcome === 'survived',
  ),
);
lines.push(
  '',
  `throughput under memshim within 10% of the default's where both survived (run by run): ${within} of ${compared}`,
  `memshim runs that did not survive: ${memshimDied.length} (${defaultSurvived.length} where the default survived)`,
);
if (REPEAT > 1) lines.push('', ...summary());
process.stdout.write(`${lines.join('\n')}\n`);

/** Per cell over the rounds: survivals, the medians and their ratio, and each side's own spread (max / min). */
function summary(): string[] {
  const out = [
    '| app | limit | placement | default survived | memshim survived | default req/s median (spread) | memshim req/s median (spread) | ratio of medians |',
    '|---|---|---|---|---|---|---|---|',
  ];
  let judged = 0;
  let withinMedian = 0;
  let noisier = 0;
  for (const placement of PLACEMENTS)
    for (const app of APPS)
      for (const limitMiB of LIMITS) {
        const runs = (config: Config) =>
          results.filter(
            (r) => r.app === app && r.limitMiB === limitMiB && r.placement === placement && r.config === config,
          );
        const side = (config: Config) => {
          const all = runs(config);
          const rates = all
            .filter((r) => r.outcome === 'survived' && r.requestsPerSecond)
            .map((r) => r.requestsPerSecond!)
            .sort((a, b) => a - b);
          const median = rates.length ? rates[Math.floor((rates.length - 1) / 2)]! : null;
          const spread = rates.length > 1 ? rates[rates.length - 1]! / rates[0]! : null;
          return { survived: `${rates.length}/${all.length}`, median, spread, all };
        };
        const d = side('default');
        const m = side('memshim');
        const ratio = d.median && m.median ? m.median / d.median : null;
        if (ratio !== null) {
          judged++;
          if (ratio >= 0.9) withinMedian++;
          else if (d.spread !== null && d.spread > 1 / ratio) noisier++;
        }
        const show = (x: ReturnType<typeof side>) =>
          x.median === null ? '-' : `${x.median} (${x.spread === null ? '-' : `${x.spread.toFixed(2)}x`})`;
        out.push(
          `| ${app} | ${limitMiB} MiB | ${placement} | ${d.survived} | ${m.survived} | ${show(d)} | ${show(m)} | ${ratio === null ? '-' : ratio.toFixed(2)} |`,
        );
      }
  out.push(
    '',
    `ratio of medians within 10% of the default's: ${withinMedian} of ${judged}; of the rest, ${noisier} lie within the default's own spread between its runs`,
  );
  return out;
}
