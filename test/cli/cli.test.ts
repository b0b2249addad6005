// The command line as a user meets it: help, version, usage errors (one line, exit 2), and the dry run.
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runMemshim } from '../helpers/memshim.js';

t.test('--help reads well and names every part', async (t) => {
  const ran = runMemshim(['--help']);
  t.equal(ran.code, 0);
  for (const text of [
    'Usage: memshim [options] -- COMMAND',
    'memshim status',
    'memshim sidecar',
    '--dry-run',
    '--memory',
    '--cpus',
    '--exec',
    '--rewrite',
    '--grace-period',
    '--health-port',
    'Examples:',
    'Exit codes:',
  ]) {
    t.match(ran.stdout, text, `mentions ${text}`);
  }
  t.equal(runMemshim(['-h']).stdout, ran.stdout, '-h is --help');
});

t.test('--version prints the package version', async (t) => {
  const { version } = (await import('../../package.json', { with: { type: 'json' } })).default as { version: string };
  const ran = runMemshim(['--version']);
  t.equal(ran.code, 0);
  t.equal(ran.stdout.trim(), version);
});

// Every usage error, in-process through main(): test/cli/main.test.ts. Here the real bundle, once.
t.test('a usage error from the real bundle: one line on stderr, exit 2', async (t) => {
  const ran = runMemshim(['--memory', '12X', '--', 'true'], {
    env: { ...process.env, MEMSHIM_MEMORY: '', MEMSHIM_CPUS: '' },
  });
  t.equal(ran.code, 2);
  t.match(ran.stderr, /not a memory size: "12X"/);
  t.equal(ran.stderr.trim().split('\n').length, 1, `one line: ${ran.stderr}`);
  t.equal(ran.stdout, '', 'prints nothing on stdout');
  const badEnv = runMemshim(['--dry-run', '--', 'true'], { env: { ...process.env, MEMSHIM_MEMORY: 'lots' } });
  t.equal(badEnv.code, 2, 'a bad MEMSHIM_MEMORY is a usage error too');
  t.match(badEnv.stderr, /not a memory size: "lots"/);
});

t.test('--dry-run --json: the contract keys, the command untouched, overrides honoured', async (t) => {
  const ran = runMemshim([
    '--dry-run',
    '--json',
    '--memory',
    '512Mi',
    '--cpus',
    '1500m',
    '--',
    'node',
    '--max-old-space-size=64',
    'app.js',
    '--',
    'x',
  ]);
  t.equal(ran.code, 0, ran.stderr);
  const report = JSON.parse(ran.stdout) as Record<string, any>;
  t.same(Object.keys(report).sort(), [...Object.keys(report)].sort());
  for (const key of ['cgroup', 'limits', 'runtime', 'env', 'argv', 'risks']) t.ok(key in report, `has ${key}`);
  for (const key of ['version', 'memoryPath', 'cpuPath']) t.ok(key in report.cgroup, `cgroup.${key}`);
  for (const key of [
    'memoryBytes',
    'memorySource',
    'memoryHighBytes',
    'swapBytes',
    'cpus',
    'cpuSource',
    'hostMemoryBytes',
    'hostCpus',
  ])
    t.ok(key in report.limits, `limits.${key}`);
  t.equal(report.limits.memoryBytes, 512 * 2 ** 20);
  t.equal(report.limits.memorySource, 'option');
  t.equal(report.limits.cpus, 1.5);
  t.equal(report.limits.cpuSource, 'option');
  t.same(
    report.argv.slice(-4),
    ['--max-old-space-size=64', 'app.js', '--', 'x'],
    'arguments after the command pass through as given',
  );
  t.equal(report.env.MEMSHIM_MEMORY_LIMIT_BYTES, String(512 * 2 ** 20));
  t.equal(report.env.MEMSHIM_CPU_LIMIT, '1.5');
  t.ok(Array.isArray(report.risks));
  for (const risk of report.risks) {
    t.match(risk.level, /^(info|warn|error)$/);
    t.match(risk.code, /^[A-Z][A-Z0-9_]*$/);
    t.notMatch(risk.message, /\n/, 'a risk message is one line');
  }
});

t.test('the command may follow the options without --, and env overrides work', async (t) => {
  const ran = runMemshim(['--dry-run', '--json', 'python3', '-c', 'print(1)'], {
    env: { ...process.env, MEMSHIM_MEMORY: '1Gi', MEMSHIM_CPUS: '0.5' },
  });
  t.equal(ran.code, 0, ran.stderr);
  const report = JSON.parse(ran.stdout);
  t.same(report.argv.slice(-2), ['-c', 'print(1)']);
  t.equal(report.limits.memoryBytes, 2 ** 30);
  t.equal(report.limits.memorySource, 'option');
  t.equal(report.limits.cpus, 0.5);
});

t.test('--dry-run text is a readable summary and runs nothing', async (t) => {
  const marker = join(t.testdir(), 'ran');
  const ran = runMemshim(['--dry-run', '--memory', '256Mi', '--', 'touch', marker]);
  t.equal(ran.code, 0, ran.stderr);
  t.notOk(existsSync(marker), 'the command did not run');
  for (const text of [
    'dry run',
    'Limits',
    'memory   256 MiB',
    'Runtime',
    'Would set',
    'MEMSHIM_MEMORY_LIMIT_BYTES=268435456',
  ])
    t.match(ran.stdout, text);
});

t.test('a program named like a subcommand runs after --', async (t) => {
  const ran = runMemshim(['--dry-run', '--json', '--', 'status', '--check']);
  t.equal(ran.code, 0, ran.stderr);
  t.same(JSON.parse(ran.stdout).argv, ['status', '--check']);
  const split = runMemshim(['--dry-run', '--json', 'node', 'a.js', '--', '--flag']);
  t.same(JSON.parse(split.stdout).argv.slice(-3), ['a.js', '--', '--flag'], 'a later -- stays in the command');
});

t.test('subcommand help', async (t) => {
  for (const sub of ['status', 'sidecar']) {
    const ran = runMemshim([sub, '--help']);
    t.equal(ran.code, 0);
    t.match(ran.stdout, `Usage: memshim ${sub}`);
  }
});

t.test("the health server's own memory comes out of the runtime's budget", async (t) => {
  const heap = (extra: string[]) => {
    const ran = runMemshim(['--dry-run', '--json', '--memory', '512Mi', ...extra, '--', 'node', 'a.js']);
    return Number(/--max-old-space-size=(\d+)/.exec(JSON.parse(ran.stdout).env.NODE_OPTIONS)?.[1]);
  };
  const plain = heap([]);
  const withHealth = heap(['--health-port', '9464']);
  t.ok(plain > 0 && withHealth > 0, `heaps ${plain} and ${withHealth} MiB`);
  t.ok(withHealth < plain, 'a smaller heap with --health-port');
  t.ok(heap(['--exec']) > plain, 'a larger one with --exec: nothing of memshim stays');
});

t.test('each log line is one JSON object whose keys appear once', async (t) => {
  const ran = runMemshim(['--', 'sh', '-c', 'exit 4']);
  t.equal(ran.code, 4);
  const lines = ran.stderr.trim().split('\n');
  t.ok(lines.length >= 3, 'plan, start, child_exit at least');
  for (const line of lines) {
    const keys = [...line.matchAll(/"([A-Za-z_]+)":/g)].map((m) => m[1]);
    t.same(
      keys.filter((key, i) => keys.indexOf(key) !== i),
      [],
      `no key twice in ${line}`,
    );
    const event = JSON.parse(line);
    t.equal(typeof event.event, 'string', 'every line names its event');
    t.equal(typeof event.memshimPid, 'number', "memshim's own pid is memshimPid");
  }
  const start = lines.map((l) => JSON.parse(l)).find((e) => e.event === 'start');
  t.ok(start && start.pid !== start.memshimPid, "the start event's pid is the child's");
});

t.test('an override above the host is planned with, and said', async (t) => {
  const ran = runMemshim(['--dry-run', '--json', '--memory', '99Ti', '--', 'true']);
  t.equal(ran.code, 0);
  const report = JSON.parse(ran.stdout);
  t.equal(report.limits.memoryBytes, 99 * 2 ** 40);
  t.match(report.warnings, [{ file: '--memory', message: /more than this host's memory/ }]);
});
