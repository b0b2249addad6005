// Start-up, the early-signal window, memory while supervising and the single executable's size, side by side with
// the Node that carries each packaging, tini and dumb-init, in one run (by hand, not in npm test; root, for the
// PID namespace of the signal window; apt-get install -y tini dumb-init hyperfine):
//   npm run bench -- bench/startup.ts [--runs 40] [--step MS] [--max MS] [--tries 3] [--instructions] [--json FILE]
//                                     [--memory-of PATH|node24:PATH ...]
// 1. start-up: `X -- /bin/true` and `X --exec -- /bin/true` (hyperfine -N, no shell between; the commands
//    interleaved round by round), wall median and CPU median (user+sys), against `node -e 0` of the same Node:
//    the system Node for the npm install, the Node 24 inside the single executable for it. --exec minus /bin/true
//    is the time from memshim's start to the command's first instruction. Beside them, on each Node, the floor of
//    any Node init: bench/apps/spawn-floor.cjs, which logs, spawns /bin/true, waits and exits; and the floor of one
//    built as memshim is: bench/apps/koffi-floor.cjs, the same with posix_spawnp, waitpid and _exit through koffi.
// 2. the early-signal window: each init as PID 1 of a new PID namespace supervising `sleep 30`, SIGTERM sent
//    DELAY ms after its exec (PID 1 of the namespace no longer unshare), DELAY = 0, step, 2*step, ... max, `--tries` times each. A try is lost when the
//    init is still there a second and a half later (the kernel dropped the signal: PID 1 had no handler yet). The
//    window is the largest delay that lost a try.
// 3. RssAnon and RssFile of each init while it supervises `sleep` (no health server), the highest of a few
//    readings after start-up and of every reading from 30 to 60 s (settled: what a long run keeps), side by side;
//    beside them each Node's own floor (`node -e` with a timer: Node doing nothing), Node 24 reading a /proc file
//    every 100 ms under its own defaults (Node doing a little), and the npm install run by that Node 24.
// 4. what the single executable is made of: Node 24 as published, stripped, the injected blob; tini, dumb-init.
// dist/memshim and both Nodes are read into the page cache afresh first (dropped, then read whole, as an image
// layer's files are).
// 5. with --instructions (valgrind installed): the instructions each start executes in user space (callgrind's Ir,
//    one run each, about half a minute), memshim's and the koffi floor's, against their `node -e 0`: what a loaded
//    machine does not change, where wall and CPU times move with the load. Not the whole cost of a start (page
//    faults, system calls, I/O are outside it), so read it next to the CPU times. --exec cannot be counted (the
//    exec ends the count).
// The npm bundle is rebuilt first (npm run build), the single executable when a source is newer than it.
// NODE_EXTRA_CA_CERTS and NODE_OPTIONS are removed for every command: a container's init starts without them.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MEMSHIM, REPO, ensureBuilt } from '../test/helpers/memshim.js';
import { BINARY, ensureBinary } from '../test/helpers/binary.js';
import { childrenOf } from '../test/helpers/proc.js';
import { residentMemory, SETTLED_AFTER_MS, SETTLED_UNTIL_MS, type ResidentMemory } from './init-memory.js';
import { interleavedRuns, readIntoPageCache } from './interleaved.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '40' },
    step: { type: 'string' },
    max: { type: 'string' },
    tries: { type: 'string', default: '3' },
    instructions: { type: 'boolean', default: false },
    json: { type: 'string' },
    'memory-of': { type: 'string', multiple: true, default: [] },
  },
});
const RUNS = Number(values.runs);
// The delays cover 1.6x the slower `node -e 0` of this run, in 16 steps, unless given: the window scales with the
// machine's speed and load, and a fixed range cut it off on a loaded machine.
let STEP = Number(values.step ?? NaN);
let MAX = Number(values.max ?? NaN);
const TRIES = Number(values.tries);
const LOST_AFTER_MS = 1500;

for (const tool of ['hyperfine', 'tini', 'dumb-init', 'unshare', ...(values.instructions ? ['valgrind'] : [])]) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`${tool} is missing: apt-get install -y tini dumb-init hyperfine`);
    process.exit(1);
  }
}
// Always: ensureBuilt() alone keeps a stale bundle, and a bench of an old build says nothing.
if (spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' }).status !== 0) throw new Error('npm run build');
ensureBuilt();
ensureBinary();
// The single executable and both Nodes it is set against: read into the page cache afresh (readIntoPageCache).
const NODE24 = join(REPO, '.cache', 'node24', 'node_modules', 'node', 'bin', 'node');
for (const file of [BINARY, realpathSync(NODE24), process.execPath]) readIntoPageCache(file);
const node24Version = spawnSync(NODE24, ['--version'], { encoding: 'utf8' }).stdout.trim();
const SPAWN_FLOOR = join(REPO, 'bench', 'apps', 'spawn-floor.cjs');
const KOFFI_FLOOR = join(REPO, 'bench', 'apps', 'koffi-floor.cjs');
const env: NodeJS.ProcessEnv = { ...process.env, MEMSHIM_LOG_LEVEL: 'warn' };
delete env.NODE_OPTIONS;
delete env.NODE_EXTRA_CA_CERTS;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

// The inits: argv before `--`, and the `node -e 0` their start-up is compared with.
const INITS: Record<string, { argv: string[]; node: string }> = {
  [`memshim npm (${process.version})`]: { argv: [MEMSHIM], node: 'node' },
  [`memshim single executable (${node24Version})`]: { argv: [BINARY], node: NODE24 },
  tini: { argv: ['tini'], node: '' },
  'dumb-init': { argv: ['dumb-init'], node: '' },
};

// Read beside the inits for memory alone: what Node itself keeps when it does nothing (its floor, a timer keeping
// it alive) and when it does a little (a small read every 100 ms, under V8's defaults), and memshim's npm install
// run by the Node of the single executable.
const MEMORY_ONLY: Record<string, { argv: string[]; supervises: boolean }> = {
  [`node -e 'setInterval(() => {}, 1e9)' (${process.version})`]: {
    argv: [process.execPath, '-e', 'setInterval(() => {}, 1e9)'],
    supervises: false,
  },
  [`node -e 'setInterval(() => {}, 1e9)' (${node24Version})`]: {
    argv: [NODE24, '-e', 'setInterval(() => {}, 1e9)'],
    supervises: false,
  },
  [`node -e 'setInterval(() => fs.readFileSync("/proc/self/stat"), 100)' (${node24Version})`]: {
    argv: [NODE24, '-e', 'setInterval(() => fs.readFileSync("/proc/self/stat"), 100)'],
    supervises: false,
  },
  [`memshim npm run by ${node24Version}`]: { argv: [NODE24, MEMSHIM], supervises: true },
  // --memory-of PATH: another build of memshim (one from before a change), its memory read in the same run;
  // `node24:PATH` runs a bin/memshim with the Node 24 above.
  ...Object.fromEntries(
    values['memory-of'].map((path) => {
      const onNode24 = path.startsWith('node24:');
      const file = onNode24 ? path.slice('node24:'.length) : path;
      return [
        `\`${file}\`${onNode24 ? ` run by ${node24Version}` : ''}`,
        { argv: onNode24 ? [NODE24, file] : [file], supervises: true },
      ];
    }),
  ),
};

interface Timing {
  wallMs: number;
  cpuMs: number;
}

function startup(): Record<string, Timing> {
  const commands: Record<string, string> = {
    '/bin/true': '/bin/true',
    [`node -e 0 (${process.version})`]: 'node -e 0',
    [`node -e 0 (${node24Version})`]: `${NODE24} -e 0`,
    // The floor of any Node init (bench/apps/spawn-floor.cjs): log, spawn, wait, exit; on each packaging's Node.
    [`node spawn-floor.cjs -- /bin/true (${process.version})`]: `node ${SPAWN_FLOOR} /bin/true`,
    [`node spawn-floor.cjs -- /bin/true (${node24Version})`]: `${NODE24} ${SPAWN_FLOOR} /bin/true`,
    // The floor of an init built on memshim's dependencies (bench/apps/koffi-floor.cjs): the child started and waited
    // for through koffi, as memshim does, and nothing else.
    [`node koffi-floor.cjs -- /bin/true (${process.version})`]: `node ${KOFFI_FLOOR} /bin/true`,
    [`node koffi-floor.cjs -- /bin/true (${node24Version})`]: `${NODE24} ${KOFFI_FLOOR} /bin/true`,
  };
  for (const [name, init] of Object.entries(INITS)) {
    commands[`${name} -- /bin/true`] = `${init.argv.join(' ')} -- /bin/true`;
    if (name.startsWith('memshim'))
      commands[`${name} --exec -- /bin/true`] = `${init.argv.join(' ')} --exec -- /bin/true`;
  }
  // The npm install's start without the `#!/usr/bin/env node` line's env (its exec, its setlocale, its search of the
  // PATH): what `ENTRYPOINT ["node", "/path/to/memshim/bin/memshim", "--"]` starts.
  commands[`memshim npm (${process.version}) as node bin/memshim -- /bin/true`] = `node ${MEMSHIM} -- /bin/true`;
  // Interleaved round by round (bench/interleaved.ts); the first rounds only warm the caches.
  const samples = interleavedRuns(commands, { rounds: RUNS, warmupRounds: 3, env });
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
  return Object.fromEntries(
    [...samples].map(([name, { wall, cpu }]) => [name, { wallMs: median(wall), cpuMs: median(cpu) }]),
  );
}

/**
 * Instructions executed in user space by one start (callgrind's Ir): node runs under valgrind directly (a `#!`
 * script would put /usr/bin/env under it instead). A warm-up start first writes the code cache.
 */
function instructions(): Record<string, number> {
  const commands: Record<string, string[]> = {
    [`node -e 0 (${process.version})`]: ['node', '-e', '0'],
    [`node -e 0 (${node24Version})`]: [NODE24, '-e', '0'],
    [`node koffi-floor.cjs -- /bin/true (${process.version})`]: ['node', KOFFI_FLOOR, '/bin/true'],
    [`node koffi-floor.cjs -- /bin/true (${node24Version})`]: [NODE24, KOFFI_FLOOR, '/bin/true'],
    [`memshim npm (${process.version}) -- /bin/true`]: ['node', MEMSHIM, '--', '/bin/true'],
    [`memshim single executable (${node24Version}) -- /bin/true`]: [BINARY, '--', '/bin/true'],
  };
  const counts: Record<string, number> = {};
  for (const [name, argv] of Object.entries(commands)) {
    spawnSync(argv[0]!, argv.slice(1), { env, stdio: 'ignore' });
    const ran = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', ...argv], {
      env,
      encoding: 'utf8',
    });
    const collected = /Collected : (\d+)/.exec(ran.stderr)?.[1];
    counts[name] = collected === undefined ? NaN : Number(collected);
  }
  return counts;
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** One try: true when the init, as PID 1, ended after a SIGTERM sent `delayMs` after its exec. */
async function termHandled(argv: string[], delayMs: number): Promise<boolean> {
  const proc = spawn('unshare', ['--pid', '--fork', ...argv, '--', 'sleep', '30'], { env, stdio: 'ignore' });
  const closed = new Promise<void>((resolve) => proc.on('close', () => resolve()));
  // PID 1 of the namespace is unshare's fork until it execs the init: the delay counts from that exec.
  let init: number | undefined;
  while ((init = childrenOf(proc.pid!)[0]) === undefined || comm(init) === 'unshare' || comm(init) === '')
    await sleep(0);
  const execed = performance.now();
  const wait = delayMs - (performance.now() - execed);
  if (wait > 0) await sleep(wait);
  process.kill(init, 'SIGTERM');
  const handled = await Promise.race([closed.then(() => true), sleep(LOST_AFTER_MS).then(() => false)]);
  if (!handled) {
    process.kill(init, 'SIGKILL');
    await closed;
  }
  return handled;
}

async function signalWindow(argv: string[]): Promise<{ windowMs: number | null; lost: Record<number, number> }> {
  const lost: Record<number, number> = {};
  let windowMs: number | null = null;
  for (let delay = 0; delay <= MAX; delay += STEP) {
    let lostHere = 0;
    for (let i = 0; i < TRIES; i++) if (!(await termHandled(argv, delay))) lostHere++;
    lost[delay] = lostHere;
    if (lostHere > 0) windowMs = delay;
  }
  return { windowMs, lost };
}

function sizes(): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'memshim-bench-size-'));
  const stripped = join(dir, 'node');
  spawnSync('strip', ['--strip-all', '-o', stripped, NODE24]);
  const result: Record<string, number> = {
    'dist/memshim (single executable)': statSync(BINARY).size,
    [`Node ${node24Version} as published`]: statSync(NODE24).size,
    [`Node ${node24Version} stripped (what dist/memshim starts from)`]: existsSync(stripped)
      ? statSync(stripped).size
      : NaN,
  };
  result['injected: bundle, its code cache, koffi.node'] =
    result['dist/memshim (single executable)']! -
    result[`Node ${node24Version} stripped (what dist/memshim starts from)`]!;
  const seaBundle = join(REPO, 'dist', 'sea', 'memshim-sea.cjs');
  if (existsSync(seaBundle)) result['  of which the bundle (JS), what every start reads'] = statSync(seaBundle).size;
  const lazy = ['yargs.cjs', 'prom-client.cjs', 'pino-pretty.cjs', 'pidusage.cjs'].map((f) =>
    join(REPO, 'dist', 'sea', f),
  );
  if (lazy.every((f) => existsSync(f)))
    result['  of which the packages read at their first use (JS)'] = lazy.reduce((sum, f) => sum + statSync(f).size, 0);
  const koffiNode = join(REPO, 'node_modules', '@koromix', 'koffi-linux-x64', 'linux_x64', 'koffi.node');
  if (existsSync(koffiNode)) result['  of which koffi.node'] = statSync(koffiNode).size;
  result['dist/memshim.cjs (npm: the bundle every start reads)'] = statSync(join(REPO, 'dist', 'memshim.cjs')).size;
  result['dist/yargs.cjs (npm: read for --help, the subcommands, usage errors)'] = statSync(
    join(REPO, 'dist', 'yargs.cjs'),
  ).size;
  for (const tool of ['tini', 'tini-static', 'dumb-init']) {
    const path = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (path) result[tool] = statSync(path).size;
  }
  rmSync(dir, { recursive: true, force: true });
  return result;
}

async function main() {
  console.log(
    `machine: ${cpus().length} CPUs ${cpus()[0]?.model ?? ''}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the start; ${new Date().toISOString()}`,
  );
  const start = startup();
  if (Number.isNaN(MAX))
    MAX =
      Math.ceil(
        (1.6 *
          Math.max(
            ...Object.entries(start)
              .filter(([n]) => n.startsWith('node -e 0'))
              .map(([, t]) => t.wallMs),
          )) /
          10,
      ) * 10;
  if (Number.isNaN(STEP)) STEP = Math.max(1, Math.round(MAX / 16));
  // All at once: each reading waits until SETTLED_UNTIL_MS for the settled one.
  const memory: Record<string, ResidentMemory> = Object.fromEntries(
    await Promise.all(
      [
        ...Object.entries(INITS).map(([name, init]) => [name, { argv: init.argv, supervises: true }] as const),
        ...Object.entries(MEMORY_ONLY),
      ].map(async ([name, read]) => [name, await residentMemory(read.argv, env, read)] as const),
    ),
  );
  const windows: Record<string, { windowMs: number | null; lost: Record<number, number> }> = {};
  for (const [name, init] of Object.entries(INITS)) windows[name] = await signalWindow(init.argv);
  const size = sizes();
  const counted = values.instructions ? instructions() : null;

  const trueMs = start['/bin/true']!.wallMs;
  console.log(
    `\nStart-up (hyperfine -N, ${RUNS} interleaved rounds, one run of each command a round; medians; CPU = user+sys). /bin/true: ${trueMs.toFixed(2)} ms.\n`,
  );
  console.log('| command | wall | x its node -e 0 | CPU | x its node -e 0 |');
  console.log('|---|---|---|---|---|');
  const nodeOf = (name: string) =>
    start[`node -e 0 (${name.includes(node24Version) ? node24Version : process.version})`]!;
  for (const [command, timing] of Object.entries(start)) {
    const base = command.startsWith('memshim') || command.startsWith('node') ? nodeOf(command) : null;
    const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}x` : '');
    console.log(
      `| ${command} | ${timing.wallMs.toFixed(1)} ms | ${ratio(timing.wallMs, base?.wallMs)} | ${timing.cpuMs.toFixed(1)} ms | ${ratio(timing.cpuMs, base?.cpuMs)} |`,
    );
  }
  console.log(
    "\n--exec: from the start to the command's first instruction (wall of `--exec -- /bin/true` less /bin/true's):",
  );
  for (const name of Object.keys(INITS).filter((n) => n.startsWith('memshim'))) {
    console.log(
      `- ${name}: ${(start[`${name} --exec -- /bin/true`]!.wallMs - trueMs).toFixed(1)} ms (starting /bin/true directly: 0)`,
    );
  }

  console.log(
    `\nEarly-signal window: SIGTERM to the init as PID 1 at 0..${MAX} ms after its exec, every ${STEP} ms, ${TRIES} tries each; lost = still running ${LOST_AFTER_MS} ms later.\n`,
  );
  console.log('| init | lost when sent within | x its node -e 0 (wall) | tries lost |');
  console.log('|---|---|---|---|');
  for (const [name, result] of Object.entries(windows)) {
    const base = name.startsWith('memshim') ? nodeOf(name).wallMs : null;
    const lostTotal = Object.values(result.lost).reduce((a, b) => a + b, 0);
    const lostAt = Object.entries(result.lost)
      .filter(([, n]) => n > 0)
      .map(([d, n]) => `${d} ms: ${n}`)
      .join(', ');
    const window =
      result.windowMs === null ? 'never' : `${result.windowMs} ms (none lost from ${result.windowMs + STEP} ms)`;
    console.log(
      `| ${name} | ${window} | ${base && result.windowMs !== null ? `${(result.windowMs / base).toFixed(2)}x` : ''} | ${lostTotal}/${Object.keys(result.lost).length * TRIES}${lostAt ? ` (${lostAt})` : ''} |`,
    );
  }

  console.log(
    `\nMemory while supervising \`sleep\` (no health server; the inits side by side; the highest of 8 readings over the first 2 s, and of every reading, one each 500 ms, from ${SETTLED_AFTER_MS / 1000} to ${SETTLED_UNTIL_MS / 1000} s):\n`,
  );
  console.log('| init | RssAnon, first 2 s | RssAnon, settled | RssFile, first 2 s | RssFile, settled |');
  console.log('|---|---|---|---|---|');
  const mibOf = (kb: number) => `${(kb / 1024).toFixed(1)} MiB`;
  for (const [name, m] of Object.entries(memory))
    console.log(
      `| ${name} | ${mibOf(m.anonKb)} | ${mibOf(m.settledAnonKb)} | ${mibOf(m.fileKb)} | ${mibOf(m.settledFileKb)} |`,
    );

  console.log('\nSizes:\n');
  console.log('| file | size |');
  console.log('|---|---|');
  for (const [name, bytes] of Object.entries(size))
    console.log(`| ${name} | ${bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(0)} KiB` : mib(bytes)} |`);
  if (counted) {
    console.log('\nInstructions in user space (callgrind Ir, one start each, after a warm-up start):\n');
    console.log('| command | instructions | x its node -e 0 | above its node -e 0 |');
    console.log('|---|---|---|---|');
    for (const [command, count] of Object.entries(counted)) {
      const base = !command.startsWith('node -e 0')
        ? counted[`node -e 0 (${command.includes(node24Version) ? node24Version : process.version})`]
        : undefined;
      console.log(
        `| ${command} | ${(count / 1e6).toFixed(1)} M | ${base ? `${(count / base).toFixed(2)}x` : '1.00x'} | ${base ? `${((count - base) / 1e6).toFixed(1)} M` : ''} |`,
      );
    }
  }
  if (values.json)
    writeFileSync(values.json, JSON.stringify({ start, windows, memory, size, instructions: counted }, null, 2));
}

await main();
