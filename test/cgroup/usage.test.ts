// readMemoryUsage / readCpuUsage: on captured trees of both versions, then on a real cgroup of this machine
// with a process inside that holds memory and is throttled.
import t from 'tap';
import { join } from 'node:path';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readMemoryUsage, readCpuUsage, readOomKills } from '../../src/cgroup/usage.js';
import type { CgroupLocation } from '../../src/cgroup/types.js';
import { canMakeCgroups, TestCgroup } from '../helpers/real-cgroup.js';
import { CAPTURED_FIXTURES } from '../helpers/cgroup-fixtures.js';

function location(version: 1 | 2, memoryPath: string | null, cpuPath: string | null): CgroupLocation {
  return {
    version,
    memoryPath,
    cpuPath,
    cpusetPath: null,
    memoryMountRoot: null,
    cpuMountRoot: null,
    cpusetMountRoot: null,
  };
}

t.test('v2 capture: current, working set, peak, oom_kill, PSI, cpu.stat', async (t) => {
  const leaf = join(CAPTURED_FIXTURES, 'v2-nested-limit-on-parent/sys/fs/cgroup/memshim-probe/app');
  const memory = readMemoryUsage(location(2, leaf, leaf));
  t.same(memory, {
    usageBytes: 811008,
    workingSetBytes: 811008 - 57344,
    peakBytes: 1748992,
    oomKills: 0,
    events: { low: 0, high: 0, max: 0, oom: 0, oomKill: 0, oomGroupKill: 0 },
    psiSome: { avg10: 0, avg60: 0, avg300: 0, total: 0 },
    psiFull: { avg10: 0, avg60: 0, avg300: 0, total: 0 },
  });
  t.same(readCpuUsage(location(2, leaf, leaf)), {
    periods: 0,
    throttledPeriods: 0,
    throttledSeconds: 0,
    usageSeconds: 0.007057,
  });
});

t.test('v1 capture: usage_in_bytes, total_inactive_file, max_usage, oom_control; no PSI', async (t) => {
  const root = join(CAPTURED_FIXTURES, 'v1-hybrid-nested-limit-on-parent/sys/fs/cgroup');
  const where = location(1, join(root, 'memory/memshim-probe/app'), join(root, 'cpu/memshim-probe/app'));
  t.same(readMemoryUsage(where), {
    usageBytes: 356352,
    workingSetBytes: 356352 - 8192,
    peakBytes: 811008,
    oomKills: 0,
    events: { low: null, high: null, max: 0, oom: null, oomKill: 0, oomGroupKill: null },
    psiSome: null,
    psiFull: null,
  });
  // cpuacct is a separate hierarchy in this capture and was not captured: usage is unknown, not zero.
  t.same(readCpuUsage(where), { periods: 0, throttledPeriods: 0, throttledSeconds: 0, usageSeconds: null });
});

t.test('nothing to read: nulls, no throw', async (t) => {
  t.same(readMemoryUsage(location(2, null, null)).usageBytes, null);
  t.same(readCpuUsage(location(1, '/nonexistent/cgroup', '/nonexistent/cgroup')), {
    periods: null,
    throttledPeriods: null,
    throttledSeconds: null,
    usageSeconds: null,
  });
  t.same(readMemoryUsage(location(1, '/nonexistent/cgroup', null)), {
    usageBytes: null,
    workingSetBytes: null,
    peakBytes: null,
    oomKills: null,
    events: { low: null, high: null, max: null, oom: null, oomKill: null, oomGroupKill: null },
    psiSome: null,
    psiFull: null,
  });
});

t.test(
  'real cgroup: a process holding 48 MiB under a 0.1 CPU quota',
  { skip: canMakeCgroups() ?? false },
  async (t) => {
    const group = TestCgroup.create('usage', { memoryBytes: 256 * 2 ** 20, cpus: 0.1 });
    t.teardown(() => group.remove());
    const child = group.spawn(
      ['python3', '-c', "import time; b = b'x' * (48 << 20); print('ready', flush=True); time.sleep(600)"],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    t.teardown(() => child.kill('SIGKILL'));
    await once(child.stdout!, 'data');
    const where = location(group.dirs.version, group.dirs.memory, group.dirs.cpu);
    const memory = readMemoryUsage(where);
    t.ok(
      memory.usageBytes !== null && memory.usageBytes >= 48 * 2 ** 20,
      `usage ${memory.usageBytes} holds the 48 MiB buffer`,
    );
    t.ok(
      memory.workingSetBytes !== null && memory.workingSetBytes <= memory.usageBytes!,
      'working set is at most usage',
    );
    t.ok(memory.peakBytes !== null && memory.peakBytes >= memory.usageBytes!, 'peak is at least usage');
    t.equal(memory.oomKills, 0);
    // Starting python and writing 48 MiB takes more than the 10 ms of CPU a 100 ms period allows: it was throttled.
    const cpu = readCpuUsage(where);
    t.ok(cpu.periods !== null && cpu.periods > 0, `periods ${cpu.periods}`);
    t.ok(cpu.throttledPeriods !== null && cpu.throttledPeriods > 0, `throttled periods ${cpu.throttledPeriods}`);
    t.ok(cpu.throttledSeconds !== null && cpu.throttledSeconds > 0, `throttled ${cpu.throttledSeconds} s`);
  },
);

t.test(
  'a file this kernel lacks is not looked for again; a cgroup that was gone is read whole when it is back',
  async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'memshim-usage-'));
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    const PSI = 'some avg10=1.50 avg60=0.00 avg300=0.00 total=10\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';
    const write = (dir: string, files: Record<string, string>) => {
      mkdirSync(dir, { recursive: true });
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    };
    const present = join(root, 'present');
    write(present, { 'memory.current': '4096\n', 'memory.events': 'oom_kill 2\n' });
    t.equal(readMemoryUsage(location(2, present, null)).psiSome, null, 'no memory.pressure: no PSI');
    t.equal(readMemoryUsage(location(2, present, null)).peakBytes, null, 'no memory.peak: no peak');
    write(present, { 'memory.pressure': PSI, 'memory.peak': '8192\n' });
    const again = readMemoryUsage(location(2, present, null));
    t.same([again.psiSome, again.peakBytes], [null, null], 'found absent once: not looked for again');
    t.equal(readOomKills(location(2, present, null)), 2, 'the kill counter alone');

    const gone = join(root, 'gone');
    t.equal(readMemoryUsage(location(2, gone, null)).usageBytes, null, 'a cgroup that is not there');
    write(gone, { 'memory.current': '4096\n', 'memory.pressure': PSI, 'memory.peak': '8192\n' });
    const back = readMemoryUsage(location(2, gone, null));
    t.same([back.psiSome?.avg10, back.peakBytes], [1.5, 8192], 'back: every file read');
  },
);
