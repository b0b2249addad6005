// On this machine's real cgroups: a parent with a memory limit and a CPU quota, a child with neither, and
// memshim started inside the child. It must report the parent's limits, as the kernel enforces them.
import t from 'tap';
import { once } from 'node:events';
import { spawn, spawnSync } from 'node:child_process';
import { canMakeCgroups, TestCgroup } from '../helpers/real-cgroup.js';
import { ensureBuilt, MEMSHIM } from '../helpers/memshim.js';
import { locateCgroup, readLimits } from '../../src/cgroup/index.js';
import type { DryRunReport } from '../../src/runtimes/dry-run.js';

const MiB = 2 ** 20;
const cannot = canMakeCgroups();

async function dryRunInside(group: TestCgroup, prefix: string[] = []): Promise<DryRunReport> {
  ensureBuilt();
  const child = group.spawn(
    [...prefix, process.execPath, MEMSHIM, '--dry-run', '--json', '--', 'java', '-jar', 'app.jar'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`memshim exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as DryRunReport;
}

t.test(
  'memshim --dry-run --json in a child cgroup reports the limits set on its parent',
  { skip: cannot ?? false },
  async (t) => {
    const parent = TestCgroup.create('limits-parent', { memoryBytes: 300 * MiB, cpus: 0.5 });
    t.teardown(() => parent.remove());
    const child = parent.child('app');
    const report = await dryRunInside(child);
    t.equal(report.cgroup.version, parent.dirs.version);
    t.equal(report.cgroup.memoryPath, child.dirs.memory, 'memory path is the child');
    t.equal(report.cgroup.cpuPath, child.dirs.cpu, 'cpu path is the child');
    t.equal(report.limits.memoryBytes, 300 * MiB);
    t.equal(report.limits.memorySource, 'cgroup');
    t.equal(report.limits.memoryLimitFrom, parent.dirs.memory, 'the limit came from the parent');
    t.equal(report.limits.cpus, 0.5);
    t.equal(report.limits.cpuSource, 'cgroup');
    t.equal(report.limits.cpuLimitFrom, parent.dirs.cpu);
    t.same(report.warnings, [], 'no warnings on a healthy host');
  },
);

t.test(
  'a smaller limit on the child wins over the parent; the child quota too',
  { skip: cannot ?? false },
  async (t) => {
    const parent = TestCgroup.create('limits-both', { memoryBytes: 400 * MiB, cpus: 1 });
    t.teardown(() => parent.remove());
    const child = parent.child('app', { memoryBytes: 200 * MiB, cpus: 0.25 });
    const report = await dryRunInside(child);
    t.equal(report.limits.memoryBytes, 200 * MiB);
    t.equal(report.limits.memoryLimitFrom, child.dirs.memory);
    t.equal(report.limits.cpus, 0.25);
    t.equal(report.limits.cpuLimitFrom, child.dirs.cpu);
  },
);

t.test(
  'inside a cgroup namespace unshared without a remount (mount roots /../..)',
  { skip: cannot ?? (spawnSync('unshare', ['--version']).status === 0 ? false : 'no unshare') },
  async (t) => {
    const parent = TestCgroup.create('limits-ns', { memoryBytes: 256 * MiB, cpus: 0.75 });
    t.teardown(() => parent.remove());
    const child = parent.child('app');
    const report = await dryRunInside(child, ['unshare', '--cgroup']);
    t.equal(report.cgroup.memoryPath, child.dirs.memory, 'found its own directory below the unknown namespace root');
    t.equal(report.limits.memoryBytes, 256 * MiB);
    t.equal(report.limits.cpus, 0.75);
  },
);

t.test('locateCgroup and readLimits for another pid (what the sidecar does)', { skip: cannot ?? false }, async (t) => {
  const parent = TestCgroup.create('limits-pid', { memoryBytes: 128 * MiB });
  t.teardown(() => parent.remove());
  const child = parent.child('app');
  const sleeper = child.spawn(['sleep', '60'], { stdio: 'ignore' });
  t.teardown(() => sleeper.kill('SIGKILL'));
  await once(sleeper, 'spawn');
  // The shell moves itself in, then execs sleep: wait until the pid is listed there.
  const location = await waitFor(() => {
    const where = locateCgroup('/proc', '/sys', sleeper.pid!);
    return where.memoryPath === child.dirs.memory ? where : null;
  });
  t.equal(location.memoryPath, child.dirs.memory);
  const limits = await readLimits(
    { procfs: '/proc', sysfs: '/sys', memoryOverride: null, cpusOverride: null },
    sleeper.pid!,
  );
  t.equal(limits.memoryBytes, 128 * MiB);
  t.equal(limits.memoryLimitFrom, parent.dirs.memory);
});

t.test('--memory and --cpus override the cgroup (source option)', { skip: cannot ?? false }, async (t) => {
  const parent = TestCgroup.create('limits-opt', { memoryBytes: 300 * MiB, cpus: 0.5 });
  t.teardown(() => parent.remove());
  ensureBuilt();
  const child = parent.spawn([process.execPath, MEMSHIM, '--dry-run', '--json', '--memory', '512Mi', '--', 'true'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, MEMSHIM_CPUS: '1500m' },
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
  await once(child, 'exit');
  const report = JSON.parse(stdout) as DryRunReport;
  t.equal(report.limits.memoryBytes, 512 * MiB);
  t.equal(report.limits.memorySource, 'option');
  t.equal(report.limits.cpus, 1.5);
  t.equal(report.limits.cpuSource, 'option');
});

async function waitFor<T>(probe: () => T | null): Promise<T> {
  for (;;) {
    const value = probe();
    if (value !== null) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
