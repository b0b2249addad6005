// The mission benchmark for runtime tuning (issue 11): real java, node and python in real cgroups (swap
// forbidden), the limit either on the program's own cgroup (leaf) or on its parent (parent: what Node and
// Java 17's CPU reading miss), two workloads, each with memshim, with the runtime's defaults and with the usual
// 75% recipe, side by side in one run. Each cell: the outcome (survived / the runtime's own OOM error / kernel
// OOM kill, exit 137), the cgroup's peak memory and the MiB the program held. Prints a markdown table per
// placement and one summary line per criterion of issue 11 (memshim never worse than the better of default and
// recipe).
//
// Run as root:  npm run bench -- bench/oom-matrix.ts [--quick] [--seconds 30] [--jobs 2]
//   [--limits 128,256,512,1024,2048] [--placements leaf,parent] [--runtimes java,node,python]
//   [--workloads fill,churn] [--configs memshim,default,recipe] [--memshim-mode supervise|exec|plan] [--json FILE]
// --quick: 128..1024 MiB, churn 10 s (development); the full run: 128..2048 MiB, churn 30 s (docs/runtimes.md).
// fill = keep 1 MiB chunks until the runtime's own out-of-memory error; churn = a live set of half the limit plus
// heavy garbage for --seconds (Python: fill only, with --python-memory-cap under memshim; --python-churn adds it).
// memshim runs as `bin/memshim -- CMD` in the same cgroup, so its own memory counts (run `npm run build` first).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TestCgroup, canMakeCgroups } from '../test/helpers/real-cgroup.js';
import { MEMSHIM, ensureBuilt } from '../test/helpers/memshim.js';

const MiB = 2 ** 20;
const WORKLOADS_DIR = fileURLToPath(new URL('./workloads/', import.meta.url));

type Runtime = 'java' | 'node' | 'python';
type Workload = 'fill' | 'churn';
type Config = 'memshim' | 'default' | 'recipe';
type MemshimMode = 'supervise' | 'exec' | 'plan';
type Placement = 'leaf' | 'parent';
type Outcome = 'survived' | 'runtime OOM error' | 'kernel OOM kill' | 'other' | 'timeout';

interface Cell {
  runtime: Runtime;
  workload: Workload;
  config: Config;
  limitMiB: number;
  placement: Placement;
}

interface Result extends Cell {
  outcome: Outcome;
  exit: string;
  peakMiB: number | null;
  heldMiB: number;
  seconds: number;
  detail: string;
}

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    jobs: { type: 'string', default: '2' },
    limits: { type: 'string' },
    placements: { type: 'string', default: 'leaf,parent' },
    'python-churn': { type: 'boolean', default: false },
    runtimes: { type: 'string', default: 'java,node,python' },
    workloads: { type: 'string', default: 'fill,churn' },
    configs: { type: 'string', default: 'memshim,default,recipe' },
    'memshim-mode': { type: 'string', default: 'supervise' },
    json: { type: 'string' },
  },
});
const SECONDS = Number(flags.seconds ?? (flags.quick ? 10 : 30));
const JOBS = Math.max(1, Number(flags.jobs));
const LIMITS = (flags.limits ?? (flags.quick ? '128,256,512,1024' : '128,256,512,1024,2048')).split(',').map(Number);
const PLACEMENTS = flags.placements.split(',') as Placement[];
const RUNTIMES = flags.runtimes.split(',') as Runtime[];
const WORKLOADS = flags.workloads.split(',') as Workload[];
const CONFIGS = flags.configs.split(',') as Config[];
const MODE = flags['memshim-mode'] as MemshimMode;

const skip = canMakeCgroups();
if (skip) {
  process.stderr.write(`oom-matrix: ${skip}\n`);
  process.exit(2);
}
ensureBuilt();

// The Java workloads are compiled once: `java Fill.java` would run javac inside the measured JVM.
const CLASSES = mkdtempSync(join(tmpdir(), 'memshim-oom-matrix-'));
const javac = spawnSync('javac', ['-d', CLASSES, join(WORKLOADS_DIR, 'Fill.java'), join(WORKLOADS_DIR, 'Churn.java')], {
  stdio: 'inherit',
});
if (javac.status !== 0) throw new Error('javac failed');

function workloadArgv(cell: Cell): string[] {
  const args = cell.workload === 'churn' ? [String(Math.round(cell.limitMiB / 2)), String(SECONDS)] : [];
  const recipe = cell.config === 'recipe';
  switch (cell.runtime) {
    case 'java':
      return [
        'java',
        ...(recipe ? ['-XX:MaxRAMPercentage=75'] : []),
        '-cp',
        CLASSES,
        cell.workload === 'fill' ? 'Fill' : 'Churn',
        ...args,
      ];
    case 'node':
      return [
        'node',
        ...(recipe ? [`--max-old-space-size=${Math.floor(cell.limitMiB * 0.75)}`] : []),
        join(WORKLOADS_DIR, `${cell.workload}.js`),
        ...args,
      ];
    case 'python':
      return ['python3', join(WORKLOADS_DIR, `${cell.workload}.py`), ...args];
  }
}

/** memshim's own options for a cell: Python's cap is opt-in, and this benchmark opts in. */
function memshimOptions(cell: Cell): string[] {
  return cell.runtime === 'python' ? ['--python-memory-cap'] : [];
}

function peakMiB(group: TestCgroup): number | null {
  const file = group.dirs.version === 2 ? 'memory.peak' : 'memory.max_usage_in_bytes';
  try {
    return Math.round(Number(readFileSync(join(group.dirs.memory, file), 'utf8').trim()) / MiB);
  } catch {
    return null;
  }
}

/** --memshim-mode plan: what `memshim --dry-run --json` would set, read in a cgroup with the same limit. */
async function planEnv(cell: Cell, argv: string[]): Promise<{ env: Record<string, string>; prefix: string[] }> {
  const group = TestCgroup.create(`oom-plan-${cell.limitMiB}`, { memoryBytes: cell.limitMiB * MiB, noSwap: true });
  try {
    const child = group.spawn([MEMSHIM, '--dry-run', '--json', ...memshimOptions(cell), '--', ...argv], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (data: Buffer) => (out += data.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    const report = JSON.parse(out) as { env: Record<string, string>; rlimits: { resource: string; bytes: number }[] };
    const option = { RLIMIT_AS: 'as', RLIMIT_DATA: 'data', RLIMIT_STACK: 'stack' } as Record<string, string>;
    const prefix = report.rlimits.length
      ? ['prlimit', ...report.rlimits.map((l) => `--${option[l.resource]}=${l.bytes}`), '--']
      : [];
    return { env: report.env, prefix };
  } finally {
    group.remove();
  }
}

async function runCell(cell: Cell): Promise<Result> {
  const argv = workloadArgv(cell);
  let command = argv;
  let env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.JAVA_TOOL_OPTIONS;
  if (cell.config === 'memshim') {
    if (MODE === 'plan') {
      const plan = await planEnv(cell, argv);
      env = { ...env, ...plan.env };
      command = [...plan.prefix, ...argv];
    } else {
      command = [MEMSHIM, ...(MODE === 'exec' ? ['--exec'] : []), ...memshimOptions(cell), '--', ...argv];
    }
  }
  // parent: the limit sits one level up and the program runs in an unlimited child, as in a pod-level limit.
  const group = TestCgroup.create(
    `oom-${cell.runtime}-${cell.workload}-${cell.config}-${cell.limitMiB}-${cell.placement}`,
    { memoryBytes: cell.limitMiB * MiB, noSwap: true },
  );
  const inner = cell.placement === 'parent' ? group.child('app') : group;
  const started = Date.now();
  try {
    const child = inner.spawn(command, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let heldMiB = 0;
    let survived = false;
    let stderr = '';
    let partial = '';
    child.stdout!.on('data', (data: Buffer) => {
      const lines = (partial + data.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const held = /^held (\d+)/.exec(line);
        if (held) heldMiB = Number(held[1]);
        if (line.startsWith('survived')) survived = true;
      }
    });
    child.stderr!.on('data', (data: Buffer) => (stderr = (stderr + data.toString()).slice(-8192)));
    const timer = setTimeout(() => child.kill('SIGKILL'), (SECONDS + 180) * 1000);
    let timedOut = false;
    timer.unref();
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    );
    clearTimeout(timer);
    if (signal === 'SIGKILL' && Date.now() - started >= (SECONDS + 180) * 1000) timedOut = true;
    // v1 counts an OOM kill in the victim's own cgroup only, v2 in every ancestor too.
    const kills = inner === group ? group.oomKills() : Math.max(inner.oomKills(), group.oomKills());
    const exit = signal ? `signal ${signal}` : `exit ${code}`;
    let outcome: Outcome;
    if (timedOut) outcome = 'timeout';
    else if (kills > 0 || code === 137 || signal === 'SIGKILL') outcome = 'kernel OOM kill';
    else if (survived && code === 0) outcome = 'survived';
    else if (/OutOfMemoryError|heap out of memory|MemoryError|Reached heap limit/.test(stderr))
      outcome = 'runtime OOM error';
    else outcome = 'other';
    const detail =
      outcome === 'other' ? stderr.trim().split('\n').slice(-3).join(' | ') : kills > 0 ? `oom_kill ${kills}` : '';
    return {
      ...cell,
      outcome,
      exit,
      peakMiB: peakMiB(group),
      heldMiB,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      detail,
    };
  } finally {
    group.remove();
  }
}

const cells: Cell[] = [];
for (const placement of PLACEMENTS)
  for (const workload of WORKLOADS)
    for (const runtime of RUNTIMES)
      for (const config of CONFIGS)
        for (const limitMiB of LIMITS) {
          if (runtime === 'python' && (config === 'recipe' || (workload === 'churn' && !flags['python-churn'])))
            continue;
          cells.push({ runtime, workload, config, limitMiB, placement });
        }
// Churn cells take --seconds each: start them first so the pool ends together.
cells.sort((a, b) => (a.workload === b.workload ? 0 : a.workload === 'churn' ? -1 : 1));

const results: Result[] = [];
let next = 0;
async function worker(): Promise<void> {
  while (next < cells.length) {
    const cell = cells[next++]!;
    const result = await runCell(cell);
    results.push(result);
    process.stderr.write(
      `[${results.length}/${cells.length}] ${cell.runtime} ${cell.workload} ${cell.config} ${cell.limitMiB} MiB ${cell.placement}: ${result.outcome} (${result.exit}), peak ${result.peakMiB} MiB, held ${result.heldMiB} MiB, ${result.seconds}s ${result.detail}\n`,
    );
  }
}
const began = Date.now();
await Promise.all(Array.from({ length: JOBS }, worker));
if (flags.json) writeFileSync(flags.json, `${JSON.stringify(results, null, 2)}\n`);

const SHORT: Record<Outcome, string> = {
  survived: 'survived',
  'runtime OOM error': 'own OOM error',
  'kernel OOM kill': '**KILLED 137**',
  other: 'other',
  timeout: 'timeout',
};
const CONFIG_NAME: Record<Runtime, Record<Config, string>> = {
  java: { memshim: 'memshim', default: 'defaults', recipe: '-XX:MaxRAMPercentage=75' },
  node: { memshim: 'memshim', default: 'defaults', recipe: '--max-old-space-size=75%' },
  python: { memshim: 'memshim --python-memory-cap', default: 'defaults', recipe: '-' },
};
const find = (c: Cell) =>
  results.find(
    (r) =>
      r.runtime === c.runtime &&
      r.workload === c.workload &&
      r.config === c.config &&
      r.limitMiB === c.limitMiB &&
      r.placement === c.placement,
  );
const lines = [
  `oom-matrix: ${results.length} cells, churn ${SECONDS} s, ${JOBS} at a time, memshim mode ${MODE}, ${Math.round((Date.now() - began) / 1000)} s in all`,
  'cell: outcome · cgroup peak MiB · MiB the program held',
];
for (const placement of PLACEMENTS) {
  lines.push(
    '',
    `limit on the ${placement === 'leaf' ? "program's own cgroup (leaf)" : 'parent cgroup (the program in an unlimited child)'}:`,
    '',
  );
  lines.push(
    `| runtime | workload | config | ${LIMITS.map((l) => `${l} MiB`).join(' | ')} |`,
    `|---|---|---|${LIMITS.map(() => '---').join('|')}|`,
  );
  for (const workload of WORKLOADS)
    for (const runtime of RUNTIMES)
      for (const config of CONFIGS) {
        const row = LIMITS.map((limitMiB) => find({ runtime, workload, config, limitMiB, placement }));
        if (row.every((r) => !r)) continue;
        lines.push(
          `| ${runtime} | ${workload} | ${CONFIG_NAME[runtime][config]} | ${row.map((r) => (r ? `${SHORT[r.outcome]} · ${r.peakMiB ?? '?'} · ${r.heldMiB}` : '-')).join(' | ')} |`,
        );
      }
}

// The criterion of issue 11, one line each: memshim's outcome against the better of the default and the recipe.
const mine = results.filter((r) => r.config === 'memshim');
const name = (r: Cell) => `${r.runtime} ${r.workload} ${r.limitMiB} ${r.placement}`;
const others = (r: Cell) =>
  (['default', 'recipe'] as const).map((config) => find({ ...r, config })).filter((x): x is Result => !!x);
const kills = mine.filter((r) => r.outcome === 'kernel OOM kill');
const worseErrors = mine.filter((r) => r.outcome !== 'survived' && others(r).some((o) => o.outcome === 'survived'));
const fills = mine.filter((r) => r.workload === 'fill' && r.runtime !== 'python' && r.limitMiB >= 512);
const shortFills = fills.filter((r) => r.heldMiB < (find({ ...r, config: 'recipe' })?.heldMiB ?? 0));
const list = (cells: Result[], extra: (r: Result) => string = () => '') =>
  cells.length ? `: ${cells.map((r) => `${name(r)}${extra(r)}`).join('; ')}` : '';
lines.push(
  '',
  `criterion 1, no kernel OOM kill under memshim: ${kills.length ? 'FAILED' : 'met'} (${kills.length} of ${mine.length} cells${list(kills)})`,
  `criterion 2, no runtime OOM error where the default or the recipe survived: ${worseErrors.length ? 'FAILED' : 'met'} (${worseErrors.length} of ${mine.length} cells${list(worseErrors, (r) => ` ${r.outcome}`)})`,
  `criterion 3, fill at >= 512 MiB holds at least the recipe's (java, node): ${shortFills.length ? 'FAILED' : 'met'} (${shortFills.length} of ${fills.length} cells short${list(shortFills, (r) => ` ${r.heldMiB} vs ${find({ ...r, config: 'recipe' })?.heldMiB}`)})`,
);
for (const placement of PLACEMENTS)
  for (const limitMiB of LIMITS.filter((l) => l >= 512)) {
    const cell = { runtime: 'java', workload: 'fill', limitMiB, placement } as const;
    const withMemshim = find({ ...cell, config: 'memshim' });
    const defaults = find({ ...cell, config: 'default' });
    if (withMemshim && defaults && defaults.heldMiB > 0)
      lines.push(
        `JVM heap held at ${limitMiB} MiB (${placement}): memshim ${withMemshim.heldMiB} MiB vs defaults ${defaults.heldMiB} MiB = ${(withMemshim.heldMiB / defaults.heldMiB).toFixed(2)}x`,
      );
  }
process.stdout.write(`${lines.join('\n')}\n`);
