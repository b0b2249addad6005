// Before and after a change, side by side: memshim built from another revision (in a temporary worktree) against
// this checkout's, `X -- /bin/true`, in both packagings, and each revision's bench/apps/koffi-floor.cjs on both
// Nodes, with `node -e 0` of each Node beside them (by hand, not in npm test; hyperfine):
//   npm run bench -- bench/ab.ts --before REV [--rounds 100] [--no-binary] [--json FILE]
// Each round runs every command once, in an order of its own (bench/interleaved.ts, hyperfine -N: the wall time,
// and user+sys from the kernel's accounting of the child). The figure is the median of the per-round differences,
// after less before: on this VM the median of one command moves by 10-30 ms between runs of a few minutes, which
// hides a change of 2 ms in two separate medians, while both sides of one round see the same load. The worktree
// shares this checkout's node_modules and .cache (the Node 24 the single executable is built from); both single
// executables' files are read into the page cache afresh first (bench/interleaved.ts, readIntoPageCache, says why).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MEMSHIM, REPO, ensureBuilt } from '../test/helpers/memshim.js';
import { BINARY, ensureBinary } from '../test/helpers/binary.js';
import { interleavedRuns, readIntoPageCache } from './interleaved.js';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    rounds: { type: 'string', default: '100' },
    'no-binary': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
if (!values.before) {
  console.error('bench/ab.ts: --before REV is required (the revision to set this checkout against)');
  process.exit(2);
}
if (spawnSync('sh', ['-c', 'command -v hyperfine']).status !== 0) {
  console.error('hyperfine is missing: apt-get install -y hyperfine');
  process.exit(1);
}
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error(`bench/ab.ts: --rounds ${values.rounds}: a whole number of rounds, 1 or more`);
  process.exit(2);
}
const WITH_BINARY = !values['no-binary'];

function run(command: string, args: string[], cwd: string): void {
  const ran = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (ran.status !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}):\n${ran.stdout}\n${ran.stderr}`);
}

const worktree = join(mkdtempSync(join(tmpdir(), 'memshim-bench-ab-')), 'before');
const revision = spawnSync('git', ['rev-parse', '--short', values.before], {
  cwd: REPO,
  encoding: 'utf8',
}).stdout.trim();
const after = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).stdout.trim();
const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], {
  cwd: REPO,
  encoding: 'utf8',
}).stdout;
// Ctrl-C reaches hyperfine too, whose failure ends the rounds: the worktree is removed below rather than left behind.
process.on('SIGINT', () => {});
try {
  run('git', ['worktree', 'add', '--detach', worktree, values.before], REPO);
  symlinkSync(join(REPO, 'node_modules'), join(worktree, 'node_modules'));
  mkdirSync(join(REPO, '.cache'), { recursive: true }); // a fresh checkout: the Node 24 download lands there
  symlinkSync(join(REPO, '.cache'), join(worktree, '.cache'));
  run('npm', ['run', 'build'], worktree);
  if (WITH_BINARY) run('npm', ['run', 'build:binary'], worktree);
  run('npm', ['run', 'build'], REPO);
  ensureBuilt();
  if (WITH_BINARY) ensureBinary();
  const NODE24 = join(REPO, '.cache', 'node24', 'node_modules', 'node', 'bin', 'node');
  const node24Version = existsSync(NODE24) ? spawnSync(NODE24, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';
  const beforeBinary = join(worktree, 'dist', 'memshim');
  for (const file of WITH_BINARY ? [BINARY, beforeBinary, NODE24] : []) readIntoPageCache(file);

  // Pairs of [before, after], each with the `node -e 0` of the Node that runs it; the floor of memshim's design
  // (bench/apps/koffi-floor.cjs) of each revision too, on both Nodes, where the revision has one.
  const floor = (root: string) => join(root, 'bench', 'apps', 'koffi-floor.cjs');
  const floors = existsSync(floor(worktree))
    ? [[process.version, 'node'], ...(existsSync(NODE24) ? [[node24Version, NODE24]] : [])].map(([version, node]) => ({
        name: `node koffi-floor.cjs -- /bin/true (${version})`,
        before: `${node} ${floor(worktree)} /bin/true`,
        after: `${node} ${floor(REPO)} /bin/true`,
        node: `${node} -e 0`,
      }))
    : [];
  const pairs: { name: string; before: string; after: string; node: string }[] = [
    {
      name: `memshim npm (${process.version}) -- /bin/true`,
      before: `node ${join(worktree, 'bin', 'memshim')} -- /bin/true`,
      after: `node ${MEMSHIM} -- /bin/true`,
      node: 'node -e 0',
    },
    ...(WITH_BINARY
      ? [
          {
            name: `memshim single executable (${node24Version}) -- /bin/true`,
            before: `${beforeBinary} -- /bin/true`,
            after: `${BINARY} -- /bin/true`,
            node: `${NODE24} -e 0`,
          },
        ]
      : []),
    ...floors,
  ];
  const commands: Record<string, string> = {};
  for (const pair of pairs) {
    commands[pair.node] = pair.node;
    commands[`${pair.name}, before`] = pair.before;
    commands[`${pair.name}, after`] = pair.after;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, MEMSHIM_LOG_LEVEL: 'warn' };
  // The tap/TypeScript hooks of `npm run bench` must not slow the Nodes measured; this machine's CA bundle neither.
  delete env.NODE_OPTIONS;
  delete env.NODE_EXTRA_CA_CERTS;
  const load = loadavg().map((value) => value.toFixed(1));
  const started = new Date().toISOString();
  const samples = interleavedRuns(commands, { rounds: ROUNDS, warmupRounds: 3, env, shuffle: true });

  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  };
  const differences = (a: number[], b: number[]) => b.map((value, i) => value - a[i]!);
  const ms = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)} ms`;
  console.log(
    `machine: ${cpus().length} CPUs ${cpus()[0]?.model.split(' ').slice(0, 2).join(' ') ?? ''}, load average ${load.join(' ')} at the start; ${started}`,
  );
  console.log(
    `before: ${revision}; after: ${after}${dirty ? ' with uncommitted changes' : ''}. ${ROUNDS} rounds, each command once a round in an order of its own (hyperfine -N); medians; CPU = user+sys.\n`,
  );
  console.log(
    '| command | CPU before | CPU after | after - before, per round (median) | x node -e 0, before -> after | wall, after - before (median) |',
  );
  console.log('|---|---|---|---|---|---|');
  const report: Record<string, unknown> = {};
  for (const pair of pairs) {
    const node = samples.get(pair.node)!;
    const before = samples.get(`${pair.name}, before`)!;
    const afterSamples = samples.get(`${pair.name}, after`)!;
    const cpuChange = median(differences(before.cpu, afterSamples.cpu));
    const wallChange = median(differences(before.wall, afterSamples.wall));
    // Each side's ratio to the same round's `node -e 0`, then the median: the way bench/startup.ts states a start.
    const ratio = (side: number[]) => median(side.map((value, i) => value / node.cpu[i]!));
    console.log(
      `| ${pair.name} | ${median(before.cpu).toFixed(1)} ms | ${median(afterSamples.cpu).toFixed(1)} ms | ${ms(cpuChange)} | ${ratio(before.cpu).toFixed(2)}x -> ${ratio(afterSamples.cpu).toFixed(2)}x | ${ms(wallChange)} |`,
    );
    report[pair.name] = { cpuChangeMs: cpuChange, wallChangeMs: wallChange, before, after: afterSamples, node };
  }
  if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
} finally {
  spawnSync('git', ['worktree', 'remove', '--force', worktree], { cwd: REPO });
  rmSync(join(worktree, '..'), { recursive: true, force: true });
  spawnSync('git', ['worktree', 'prune'], { cwd: REPO });
}
