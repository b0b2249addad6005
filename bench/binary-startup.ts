// Startup of the single executable (dist/memshim, Node 24 inside) against what a container could use instead
// (by hand, not in npm test; needs hyperfine and tini: apt-get install -y tini hyperfine):
//   npm run bench -- bench/binary-startup.ts [--runs 50] [--json FILE] [--binary PATH] [--sea-options]
// Each is `X -- /bin/true` (hyperfine -N: no shell between), beside a bare `node -e 0` of each Node and
// `/bin/true` itself. Builds dist/memshim first when it is missing or older than src/ (--binary: measure
// another build instead). --sea-options adds executables built here from the same Node, main script and bundle
// (dist/sea/sea-main.cjs, memshim-sea.cjs) with other single-executable settings: the bundle without its code
// cache (no memshim.cache asset), and an
// empty main with the code cache and as a V8 startup snapshot (what any start of each kind costs before memshim's
// first line). The commands are interleaved, round by round; CPU is user+sys.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MEMSHIM, REPO, ensureBuilt } from '../test/helpers/memshim.js';
import { BINARY, ensureBinary } from '../test/helpers/binary.js';
import { interleavedRuns } from './interleaved.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '50' },
    json: { type: 'string' },
    binary: { type: 'string' },
    'sea-options': { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);

for (const tool of ['hyperfine', 'tini']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`${tool} is missing: apt-get install -y tini hyperfine`);
    process.exit(1);
  }
}
ensureBuilt();
if (!values.binary) ensureBinary();
const binary = values.binary ?? BINARY;
const NODE24 = join(REPO, '.cache', 'node24', 'node_modules', 'node', 'bin', 'node');
const node24Version = spawnSync(NODE24, ['--version'], { encoding: 'utf8' }).stdout.trim();

const commands: Record<string, string> = {
  '/bin/true': '/bin/true',
  [`node -e 0 (system ${process.version})`]: 'node -e 0',
  [`node -e 0 (${node24Version}, the executable's Node)`]: `${NODE24} -e 0`,
  'tini -s -- /bin/true': 'tini -s -- /bin/true',
  'tini-static -s -- /bin/true': 'tini-static -s -- /bin/true',
  [`bin/memshim -- /bin/true (npm, ${process.version})`]: `${MEMSHIM} -- /bin/true`,
  'dist/memshim -- /bin/true (single executable)': `${binary} -- /bin/true`,
  'dist/memshim --no-monitor -- /bin/true': `${binary} --no-monitor -- /bin/true`,
  'dist/memshim --version (no koffi, no spawn)': `${binary} --version`,
};

const env = { ...process.env };
delete env.NODE_OPTIONS; // the tap/TypeScript hooks of `npm run bench` must not slow the Nodes measured
const dir = mkdtempSync(join(tmpdir(), 'memshim-bench-binary-'));
if (values['sea-options']) Object.assign(commands, seaVariants(dir));
// Interleaved round by round (bench/interleaved.ts); the first two rounds only warm the caches.
const WARMUP_ROUNDS = 2;
const samples = interleavedRuns(commands, { rounds: RUNS, warmupRounds: WARMUP_ROUNDS, env });
const quantile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))]!;
const results = [...samples].map(([command, { wall, cpu }]) => ({
  command,
  wallMedian: quantile(wall, 0.5),
  wallMin: quantile(wall, 0),
  cpuMedian: quantile(cpu, 0.5),
  cpuQuartile: quantile(cpu, 0.25),
  cpuMin: quantile(cpu, 0),
}));
const node20 = results.find((r) => r.command.startsWith('node -e 0 (system'))!;
const node24 = results.find((r) => r.command.startsWith(`node -e 0 (${node24Version}`))!;
const ms = (value: number) => value.toFixed(1);
const x = (value: number, reference: number) => `${(value / reference).toFixed(2)}x`;

console.log(
  `Startup, ${RUNS} interleaved rounds (hyperfine -N, one run each; ${WARMUP_ROUNDS} rounds of warm-up), ${cpus().length} CPUs ${cpus()[0]?.model ?? ''}, load ${loadavg()[0]!.toFixed(2)}`,
);
console.log(`${values.binary ?? 'dist/memshim'}: ${(statSync(binary).size / 2 ** 20).toFixed(1)} MiB`);
console.log('');
console.log(
  `| command | wall median ms | wall min ms | CPU median ms | CPU lower quartile ms | CPU min ms | wall vs node -e 0 (${process.version}) | wall vs ${node24Version} | CPU vs ${node24Version} |`,
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of results)
  console.log(
    `| ${r.command} | ${ms(r.wallMedian)} | ${ms(r.wallMin)} | ${ms(r.cpuMedian)} | ${ms(r.cpuQuartile)} | ${ms(r.cpuMin)} | ${x(r.wallMedian, node20.wallMedian)} | ${x(r.wallMedian, node24.wallMedian)} | ${x(r.cpuMedian, node24.cpuMedian)} |`,
  );
if (values.json)
  writeFileSync(values.json, JSON.stringify({ runs: RUNS, samples: Object.fromEntries(samples) }, null, 2));

/** Executables from the same stripped Node 24 with other SEA settings (see the header), built in `dir`. */
function seaVariants(dir: string): Record<string, string> {
  // dist/memshim's own main script and bundle (scripts/build-binary.mjs leaves them in dist/sea/)
  const main = join(REPO, 'dist', 'sea', 'sea-main.cjs');
  const bundle = join(REPO, 'dist', 'sea', 'memshim-sea.cjs');
  const stripped = join(dir, 'node');
  if (spawnSync('strip', ['--strip-all', '-o', stripped, NODE24]).status !== 0) copyFileSync(NODE24, stripped);
  writeFileSync(join(dir, 'empty.cjs'), '0;\n');
  writeFileSync(
    join(dir, 'empty-snapshot.cjs'),
    "require('node:v8').startupSnapshot.setDeserializeMainFunction(() => {});\n",
  );
  const postject = join(REPO, 'node_modules', 'postject', 'dist', 'cli.js');
  const koffiNode = join(REPO, 'node_modules', '@koromix', 'koffi-linux-x64', 'linux_x64', 'koffi.node');
  const build = (name: string, main: string, options: object): string => {
    const blob = join(dir, `${name}.blob`);
    const config = join(dir, `${name}.json`);
    const sea = { main, output: blob, disableExperimentalSEAWarning: true, execArgvExtension: 'none' };
    const execArgv = ['--expose-internals'];
    writeFileSync(config, JSON.stringify({ ...sea, execArgv, ...options }));
    spawnSync(NODE24, [...execArgv, '--experimental-sea-config', config], { stdio: 'ignore' });
    const executable = join(dir, name);
    copyFileSync(stripped, executable);
    chmodSync(executable, 0o755);
    const injected = spawnSync(
      'node',
      [
        postject,
        executable,
        'NODE_SEA_BLOB',
        blob,
        '--sentinel-fuse',
        'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
      ],
      { stdio: 'ignore' },
    );
    if (injected.status !== 0) throw new Error(`postject failed for ${name}`);
    return executable;
  };
  // The main script compiles the bundle with no code cache when the asset memshim.cache is missing; the other
  // assets (koffi.node, the packages read at their first use) are dist/memshim's own, from its build's config.
  const shipped = (
    JSON.parse(readFileSync(join(REPO, 'dist', 'sea', 'sea-config.json'), 'utf8')) as {
      assets: Record<string, string>;
    }
  ).assets;
  const { 'memshim.cache': _cache, ...assets } = shipped;
  const withoutCache = build('memshim-no-code-cache', main, {
    useCodeCache: false,
    assets: { ...assets, 'memshim.cjs': bundle, 'koffi.node': koffiNode },
  });
  return {
    'dist/memshim -- /bin/true, bundle without its code cache': `${withoutCache} -- /bin/true`,
    'empty main, code cache (any start of an executable like dist/memshim)': build(
      'empty-code-cache',
      join(dir, 'empty.cjs'),
      { useCodeCache: true },
    ),
    'empty main as a startup snapshot (any start with useSnapshot)': build(
      'empty-snapshot',
      join(dir, 'empty-snapshot.cjs'),
      { useSnapshot: true },
    ),
  };
}
