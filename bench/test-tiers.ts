// The unit tier's time (issue 13: under 30 s, no root), as `npm run test:unit` runs it (its files shared out to
// two test processes) and with one process per file (tap's default, `--per-file`), side by side, alternating:
//   npm run bench -- bench/test-tiers.ts [--rounds 2]
// Wall time, and CPU (user+sys of the whole tree, from GNU time) with it: the machine's load changes the first
// more than the second. Coverage is on in both, as in the tier.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { REPO } from '../test/helpers/memshim.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' } } });
const MODES = { 'npm run test:unit (two processes)': [], 'one process per file (--per-file)': ['--per-file'] };

if (spawnSync('sh', ['-c', 'command -v /usr/bin/time']).status !== 0) {
  console.error('GNU time is missing: apt-get install -y time');
  process.exit(1);
}

const runs: Record<string, { wall: number; cpu: number }[]> = {};
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [mode, args] of Object.entries(MODES)) {
    const ran = spawnSync(
      '/usr/bin/time',
      ['-f', 'TIERTIME %e %U %S', process.execPath, 'scripts/test-unit.mjs', ...args],
      { cwd: REPO, encoding: 'utf8' },
    );
    const line = /TIERTIME (\S+) (\S+) (\S+)/.exec(ran.stderr);
    if (ran.status !== 0 || !line) {
      console.error(`${mode}: exit ${ran.status}\n${ran.stdout.slice(-2000)}${ran.stderr.slice(-2000)}`);
      process.exit(1);
    }
    const [wall, user, sys] = line.slice(1).map(Number) as [number, number, number];
    (runs[mode] ??= []).push({ wall, cpu: user + sys });
    console.log(
      `round ${round + 1}: ${mode}: ${wall.toFixed(1)} s wall, ${(user + sys).toFixed(1)} s CPU (load ${loadavg()[0]?.toFixed(1)})`,
    );
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
console.log(`\n| how the unit tier runs | wall, median of ${values.rounds} | CPU (user+sys) |`);
console.log('|---|---|---|');
for (const [mode, list] of Object.entries(runs))
  console.log(
    `| ${mode} | ${median(list.map((r) => r.wall)).toFixed(1)} s | ${median(list.map((r) => r.cpu)).toFixed(1)} s |`,
  );
console.log(
  `\nNode ${process.version}, load average now ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
