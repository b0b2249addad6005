// The whole reader (not just the parsers) on trees whose every file holds random or malformed text, or is
// missing, or is a directory: readLimits always answers, with sane limits and a warning per odd file.
import t from 'tap';
import fc from 'fast-check';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readLimits } from '../../src/cgroup/index.js';
import { readCpuUsage, readMemoryUsage } from '../../src/cgroup/usage.js';

const V2_MOUNTINFO = '26 25 0:23 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n';
const V1_MOUNTINFO =
  '35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n34 31 0:31 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n';

const TREES = {
  v2: {
    'proc/self/cgroup': '0::/pod/app\n',
    'proc/self/mountinfo': V2_MOUNTINFO,
    'sys/fs/cgroup/cgroup.controllers': 'cpu memory cpuset\n',
    ...Object.fromEntries(
      ['pod', 'pod/app'].flatMap((dir) =>
        [
          'memory.max',
          'memory.high',
          'memory.swap.max',
          'cpu.max',
          'cpu.weight',
          'cpuset.cpus.effective',
          'memory.current',
          'memory.stat',
          'memory.events',
          'memory.pressure',
          'cpu.stat',
        ].map((f) => [`sys/fs/cgroup/${dir}/${f}`, '']),
      ),
    ),
  },
  v1: {
    'proc/self/cgroup': '4:memory:/pod/app\n2:cpu,cpuacct:/pod/app\n3:cpuset:/pod/app\n',
    'proc/self/mountinfo': V1_MOUNTINFO,
    ...Object.fromEntries(
      ['pod', 'pod/app'].flatMap((dir) => [
        ...[
          'memory.limit_in_bytes',
          'memory.soft_limit_in_bytes',
          'memory.memsw.limit_in_bytes',
          'memory.stat',
          'memory.usage_in_bytes',
          'memory.oom_control',
        ].map((f) => [`sys/fs/cgroup/memory/${dir}/${f}`, '']),
        ...['cpu.cfs_quota_us', 'cpu.cfs_period_us', 'cpu.shares', 'cpu.stat', 'cpuacct.usage'].map((f) => [
          `sys/fs/cgroup/cpu,cpuacct/${dir}/${f}`,
          '',
        ]),
        [`sys/fs/cgroup/cpuset/${dir}/cpuset.effective_cpus`, ''],
      ]),
    ),
  },
} satisfies Record<string, Record<string, string>>;

// What a file may hold: a plausible value, junk, nothing at all; or the file is missing or a directory.
const content = fc.oneof(
  fc.constantFrom(
    'max',
    '-1',
    '0',
    '100000',
    '536870912',
    '9223372036854771712',
    '150000 100000',
    'max 100000',
    '50000 0',
    '0-3',
    '3-1',
    'inactive_file 4096\n',
    '',
  ),
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.constant(Symbol.for('missing')),
  fc.constant(Symbol.for('directory')),
);

function writeTree(root: string, files: Record<string, string | symbol>): void {
  for (const [path, text] of Object.entries(files)) {
    const full = join(root, path);
    if (text === Symbol.for('missing')) continue;
    if (text === Symbol.for('directory')) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text as string);
  }
  mkdirSync(join(root, 'proc'), { recursive: true });
  writeFileSync(join(root, 'proc/meminfo'), 'MemTotal:        4194304 kB\n');
}

for (const [version, tree] of Object.entries(TREES)) {
  t.test(`property: a ${version} tree of random files never makes readLimits throw`, async (t) => {
    // Thousands of small files: on tmpfs where there is one (the disk here takes ~0.1 s per tree).
    const base = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), `memshim-robust-${version}-`));
    t.teardown(() => rmSync(base, { recursive: true, force: true }));
    let run = 0;
    const keys = Object.keys(tree);
    // proc/self/cgroup and mountinfo stay well formed in most runs, so the cgroup files are actually reached.
    const files = fc.record(
      Object.fromEntries(
        keys.map((k) => [
          k,
          k.startsWith('proc/')
            ? fc.oneof(
                { arbitrary: fc.constant((tree as Record<string, string>)[k]!), weight: 8 },
                { arbitrary: content, weight: 1 },
              )
            : content,
        ]),
      ),
    );
    await fc.assert(
      fc.asyncProperty(files, async (chosen) => {
        const root = join(base, String(run++));
        writeTree(root, chosen);
        const limits = await readLimits({
          procfs: join(root, 'proc'),
          sysfs: join(root, 'sys'),
          memoryOverride: null,
          cpusOverride: null,
        });
        readMemoryUsage(limits.cgroup);
        readCpuUsage(limits.cgroup);
        const host = 4194304 * 1024;
        return (
          limits.hostMemoryBytes === host &&
          Number.isSafeInteger(limits.memoryBytes) &&
          limits.memoryBytes > 0 &&
          limits.memoryBytes <= host &&
          (limits.memorySource === 'host') === (limits.memoryBytes === host) &&
          (limits.cpus === null || (Number.isFinite(limits.cpus) && limits.cpus > 0)) &&
          (limits.memoryHighBytes === null || limits.memoryHighBytes < host) &&
          (limits.swapBytes === null || limits.swapBytes >= 0) &&
          limits.affinityCpus > 0 &&
          limits.warnings.every((w) => w.file.startsWith(root) && w.message !== '' && w.fallback !== '')
        );
      }),
      { numRuns: 200 },
    );
    t.pass('200 random trees');
  });
}

t.test('a FIFO or a device in a captured tree is skipped with a warning, never read', async (t) => {
  const { cpSync, symlinkSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const root = t.testdir();
  cpSync(new URL('../fixtures/cgroup/k8s-v2-cgroup-namespace/', import.meta.url), root, { recursive: true });
  mkdirSync(`${root}/proc`, { recursive: true });
  rmSync(`${root}/proc/meminfo`, { force: true });
  execFileSync('mkfifo', [`${root}/proc/meminfo`]);
  const fifo = await readLimits({
    procfs: `${root}/proc`,
    sysfs: `${root}/sys`,
    memoryOverride: null,
    cpusOverride: null,
  });
  t.ok(
    fifo.warnings.some((w) => w.file.endsWith('meminfo') && /not a regular file/.test(w.message)),
    'the FIFO is named',
  );
  rmSync(`${root}/proc/meminfo`);
  symlinkSync('/dev/zero', `${root}/proc/meminfo`);
  const zero = await readLimits({
    procfs: `${root}/proc`,
    sysfs: `${root}/sys`,
    memoryOverride: null,
    cpusOverride: null,
  });
  t.ok(
    zero.warnings.some((w) => w.file.endsWith('meminfo')),
    'the device is named',
  );
  t.ok(zero.hostMemoryBytes > 0, 'the host memory falls back');
});
