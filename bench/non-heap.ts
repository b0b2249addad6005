// What runtimes use outside their heap at small limits, as charged to a real cgroup: the measurements the
// planners' constants come from (docs/runtimes.md, "Where the constants come from"). Each probe runs alone in a
// fresh cgroup with a generous limit (swap forbidden) so the runtime stops at its own heap limit, and the
// cgroup's memory.stat is sampled every 20 ms: anonymous memory (what an OOM kill is about) apart from file
// pages (the binary and libraries: charged, but reclaimable, and charged only to the first cgroup to read them).
//
// Run as root:  npm run bench -- bench/non-heap.ts [--only node,java,python,npm] [--json FILE]
// Node 22 and 24 are found at $MEMSHIM_NODE22 / $MEMSHIM_NODE24, else under ~/.cache/memshim-nodes/{22,24}
// (`npm install node@22` there); a version not found is left out and the output says so.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TestCgroup, canMakeCgroups } from '../test/helpers/real-cgroup.js';
import { PeakSampler, peakUsage, toMiB } from './cgroup-sampler.js';

const MiB = 2 ** 20;
const WORKLOADS = fileURLToPath(new URL('./workloads/', import.meta.url));
const { values: flags } = parseArgs({
  options: { only: { type: 'string', default: 'node,java,python,npm' }, json: { type: 'string' } },
});
const ONLY = new Set(flags.only.split(','));

const skip = canMakeCgroups();
if (skip) {
  process.stderr.write(`non-heap: ${skip}\n`);
  process.exit(2);
}

interface Probe {
  group: string;
  name: string;
  argv: string[];
  env?: Record<string, string>;
  limitMiB: number;
  /** The heap the runtime was given (subtracted to get what lies outside it), 0 for none. */
  heapMiB: number;
  /** Sample until this line appears, then stop the program; otherwise until it exits. */
  readyLine?: RegExp;
}

interface Measured {
  group: string;
  name: string;
  heapMiB: number;
  peakAnonMiB: number | null;
  fileAtPeakMiB: number | null;
  peakUsageMiB: number | null;
  outsideHeapMiB: number | null;
  printed: string;
}

function nodeBinaries(): [string, string][] {
  const found: [string, string][] = [['20', process.execPath]];
  for (const major of ['22', '24']) {
    const path =
      process.env[`MEMSHIM_NODE${major}`] ??
      join(homedir(), '.cache/memshim-nodes', major, 'node_modules/node/bin/node');
    if (existsSync(path)) found.push([major, path]);
    else process.stderr.write(`non-heap: no Node ${major} at ${path}; left out\n`);
  }
  const own = spawnSync(process.execPath, ['--version'], { encoding: 'utf8' }).stdout.trim();
  found[0]![0] = own.replace(/^v(\d+).*/, '$1');
  return found;
}

const probes: Probe[] = [];
if (ONLY.has('node')) {
  for (const [major, node] of nodeBinaries()) {
    const group = `node ${major}`;
    probes.push({
      group,
      name: 'idle (no flags, 256 MiB leaf limit)',
      argv: [node, '-e', 'console.log("ready"); setTimeout(() => {}, 1500)'],
      limitMiB: 256,
      heapMiB: 0,
    });
    for (const semi of [1, 2, 4, 8, 16]) {
      probes.push({
        group,
        name: `fill, old space 64, semi-space ${semi}`,
        argv: [node, '--max-old-space-size=64', `--max-semi-space-size=${semi}`, join(WORKLOADS, 'fill.js')],
        limitMiB: 384,
        heapMiB: 64,
      });
    }
    probes.push({
      group,
      name: 'fill, old space 160, semi-space 2',
      argv: [node, '--max-old-space-size=160', '--max-semi-space-size=2', join(WORKLOADS, 'fill.js')],
      limitMiB: 512,
      heapMiB: 160,
    });
    probes.push({
      group,
      name: 'churn 48 MiB live, old space 80, semi-space 1',
      argv: [node, '--max-old-space-size=80', '--max-semi-space-size=1', join(WORKLOADS, 'churn.js'), '48', '6'],
      limitMiB: 384,
      heapMiB: 80,
    });
    probes.push({
      group,
      name: 'churn 48 MiB live, old space 80, semi-space 4',
      argv: [node, '--max-old-space-size=80', '--max-semi-space-size=4', join(WORKLOADS, 'churn.js'), '48', '6'],
      limitMiB: 384,
      heapMiB: 80,
    });
  }
}
if (ONLY.has('npm')) {
  // What a launcher keeps resident beside the app it starts: npm (a Node process of its own) and sh, yarn, pnpm,
  // pm2-runtime, each around the same idle Node. yarn 1, pnpm and pm2 are installed with npm into
  // .cache/launchers on first use (left out, with a line, when that fails).
  const idle = "console.log('ready'); setTimeout(() => {}, 3000)";
  const app = mkdtempSync(join(tmpdir(), 'memshim-npm-start-'));
  writeFileSync(join(app, 'idle.js'), idle);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'probe', version: '1.0.0', scripts: { start: 'node idle.js' } }),
  );
  const launch = (name: string, command: string) =>
    probes.push({
      group: 'launchers',
      name,
      argv: ['sh', '-c', `cd '${app}' && exec ${command}`],
      env: { PM2_HOME: join(app, '.pm2') },
      limitMiB: 512,
      heapMiB: 0,
      readyLine: /ready/,
    });
  launch('node idle alone', 'node idle.js');
  launch('`npm start` around the same idle node', 'npm start');
  const bin = launcherBin();
  if (bin) {
    launch('`yarn start` (yarn 1)', `'${join(bin, 'yarn')}' start`);
    launch('`pnpm start`', `'${join(bin, 'pnpm')}' start`);
    launch('`pm2-runtime idle.js` (fork mode)', `'${join(bin, 'pm2-runtime')}' idle.js`);
  }
}

/** yarn 1, pnpm and pm2 under .cache/launchers (installed there with npm on first use), or null with a line. */
function launcherBin(): string | null {
  const prefix = fileURLToPath(new URL('../.cache/launchers/', import.meta.url));
  const bin = join(prefix, 'node_modules', '.bin');
  if (!['yarn', 'pnpm', 'pm2-runtime'].every((name) => existsSync(join(bin, name)))) {
    const install = spawnSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefix', prefix, 'yarn@1', 'pnpm@10', 'pm2@6'],
      { stdio: 'inherit' },
    );
    if (install.status !== 0) {
      process.stderr.write('non-heap: could not install yarn, pnpm and pm2 into .cache/launchers; left out\n');
      return null;
    }
  }
  return bin;
}
let classes = '';
if (ONLY.has('java')) {
  classes = mkdtempSync(join(tmpdir(), 'memshim-non-heap-'));
  const javac = spawnSync(
    'javac',
    ['-d', classes, ...['Fill', 'Idle', 'Threads'].map((n) => join(WORKLOADS, `${n}.java`))],
    { stdio: 'inherit' },
  );
  if (javac.status !== 0) throw new Error('javac failed');
  const group = 'java 17';
  const caps = ['-XX:MaxMetaspaceSize=64m', '-XX:ReservedCodeCacheSize=32m', '-XX:MaxDirectMemorySize=10m'];
  probes.push({
    group,
    name: 'idle, -Xmx64m, NMT summary',
    argv: [
      'java',
      '-Xmx64m',
      '-XX:NativeMemoryTracking=summary',
      '-XX:+PrintNMTStatistics',
      '-cp',
      classes,
      'Idle',
      '2',
    ],
    limitMiB: 384,
    heapMiB: 0,
  });
  for (const heap of [64, 192, 384]) {
    probes.push({
      group,
      name: `fill, -Xmx${heap}m (Serial GC below 1792 MiB)`,
      argv: ['java', `-Xmx${heap}m`, ...caps, '-cp', classes, 'Fill'],
      limitMiB: heap + 320,
      heapMiB: heap,
    });
  }
  probes.push({
    group,
    name: 'fill, -Xmx1536m (G1 from 1792 MiB)',
    argv: ['java', '-Xmx1536m', ...caps, '-cp', classes, 'Fill'],
    limitMiB: 2048,
    heapMiB: 1536,
  });
  for (const [threads, arenas] of [
    [0, ''],
    [100, ''],
    [100, '2'],
  ] as const) {
    probes.push({
      group,
      name: `${threads} threads parked, -Xmx64m${arenas ? `, MALLOC_ARENA_MAX=${arenas}` : ''}`,
      argv: ['java', '-Xmx64m', ...caps, '-cp', classes, 'Threads', String(threads)],
      env: arenas ? { MALLOC_ARENA_MAX: arenas } : {},
      limitMiB: 512,
      heapMiB: 0,
      readyLine: /^ready/m,
    });
  }
}
if (ONLY.has('python')) {
  const group = 'python 3';
  const probe = join(WORKLOADS, 'probe.py');
  probes.push({ group, name: 'idle', argv: ['python3', probe, 'idle', '1'], limitMiB: 256, heapMiB: 0 });
  probes.push({
    group,
    name: '16 threads parked',
    argv: ['python3', probe, 'threads', '16', '1'],
    limitMiB: 256,
    heapMiB: 0,
  });
  probes.push({
    group,
    name: '16 threads parked, ulimit -s 1024',
    argv: ['sh', '-c', 'ulimit -s 1024 && exec "$@"', 'sh', 'python3', probe, 'threads', '16', '1'],
    limitMiB: 256,
    heapMiB: 0,
  });
  probes.push({
    group,
    name: 'numpy 512x512 matmul, OPENBLAS_NUM_THREADS=1',
    argv: ['python3', probe, 'numpy', '1'],
    env: { OPENBLAS_NUM_THREADS: '1' },
    limitMiB: 256,
    heapMiB: 0,
  });
  probes.push({
    group,
    name: 'numpy 512x512 matmul, OPENBLAS_NUM_THREADS=2',
    argv: ['python3', probe, 'numpy', '1'],
    env: { OPENBLAS_NUM_THREADS: '2' },
    limitMiB: 256,
    heapMiB: 0,
  });
}

async function measure(probe: Probe): Promise<Measured> {
  const group = TestCgroup.create('non-heap', { memoryBytes: probe.limitMiB * MiB, noSwap: true });
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, ...probe.env };
    delete env.NODE_OPTIONS;
    delete env.JAVA_TOOL_OPTIONS;
    const child = group.spawn(probe.argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const sampler = new PeakSampler(group.dirs.memory, group.dirs.version);
    let printed = '';
    const collect = (data: Buffer) => {
      printed = (printed + data.toString()).slice(-16384);
      if (probe.readyLine?.test(printed)) setTimeout(() => child.kill('SIGKILL'), 1000);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    await new Promise((resolve) => child.on('close', resolve));
    const peak = sampler.stop();
    const anon = toMiB(peak?.anon);
    return {
      group: probe.group,
      name: probe.name,
      heapMiB: probe.heapMiB,
      peakAnonMiB: anon,
      fileAtPeakMiB: toMiB(peak?.file),
      peakUsageMiB: toMiB(peakUsage(group.dirs.memory, group.dirs.version)),
      outsideHeapMiB: anon === null ? null : Math.round((anon - probe.heapMiB) * 10) / 10,
      printed,
    };
  } finally {
    group.remove();
  }
}

const results: Measured[] = [];
for (const probe of probes) {
  const result = await measure(probe);
  results.push(result);
  process.stderr.write(
    `${result.group} ${result.name}: anon ${result.peakAnonMiB} MiB (outside the heap ${result.outsideHeapMiB}), file ${result.fileAtPeakMiB}, peak usage ${result.peakUsageMiB}\n`,
  );
}
if (flags.json) writeFileSync(flags.json, `${JSON.stringify(results, null, 2)}\n`);

const lines = [
  '| runtime | probe | heap MiB | peak anon MiB | anon outside the heap | file pages at that peak | cgroup peak (all pages) |',
  '|---|---|---|---|---|---|---|',
];
for (const r of results)
  lines.push(
    `| ${r.group} | ${r.name} | ${r.heapMiB || '-'} | ${r.peakAnonMiB} | ${r.heapMiB ? r.outsideHeapMiB : '-'} | ${r.fileAtPeakMiB} | ${r.peakUsageMiB} |`,
  );

// Derived: Node's anon outside the old space as a line in the semi-space size (least squares over the fill probes).
for (const group of [...new Set(results.filter((r) => r.group.startsWith('node')).map((r) => r.group))]) {
  const points = results
    .filter((r) => r.group === group && /^fill, old space 64, semi-space/.test(r.name) && r.outsideHeapMiB !== null)
    .map((r) => [Number(/semi-space (\d+)/.exec(r.name)![1]), r.outsideHeapMiB!] as const);
  if (points.length < 2) continue;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const slope =
    points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  lines.push(
    `${group}: anon outside the old space ≈ ${(my - slope * mx).toFixed(1)} MiB + ${slope.toFixed(2)} × semi-space MiB (fill probes, old space 64 MiB)`,
  );
}
const threads = (name: RegExp) => results.find((r) => r.group === 'java 17' && name.test(r.name))?.peakAnonMiB;
const none = threads(/^0 threads/);
const hundred = threads(/^100 threads parked, -Xmx64m$/);
const hundredArenas = threads(/^100 threads.*MALLOC_ARENA_MAX/);
if (none !== undefined && none !== null && hundred)
  lines.push(
    `java 17: ${((hundred - none) / 100).toFixed(3)} MiB anon per parked thread (${((hundredArenas! - none) / 100).toFixed(3)} with MALLOC_ARENA_MAX=2)`,
  );
const nmt = results.find((r) => r.name.includes('NMT'));
if (nmt) {
  const categories = [...nmt.printed.matchAll(/^-\s+(\S[^(]*?)\s+\(reserved=\d+KB, committed=(\d+)KB\)/gm)].map(
    (m) => `${m[1]!.trim()} ${Math.round(Number(m[2]) / 102.4) / 10}`,
  );
  lines.push(`java 17 idle, NMT committed MiB: ${categories.join(', ')}`);
}
for (const r of results.filter((x) => x.group === 'python 3')) {
  const status = /VmData=(\d+) VmRSS=(\d+)/.exec(r.printed);
  if (status)
    lines.push(
      `python 3 ${r.name}: VmData ${Math.round(Number(status[1]) / 1024)} MiB (what RLIMIT_DATA counts), VmRSS ${Math.round(Number(status[2]) / 1024)} MiB`,
    );
}
process.stdout.write(`${lines.join('\n')}\n`);
