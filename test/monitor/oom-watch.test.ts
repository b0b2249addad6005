// OOM diagnosis against real kernel OOM kills in a real v1/v2 cgroup of this machine (64 MiB, no swap): the hog is
// started inside the cgroup, its death is handed to the OomWatch as the supervisor would hand it, and the log lines
// are read back. Also: a plain `kill -9` is not an OOM kill, and a grandchild hog is caught at its parent's exit.
import t from 'tap';
import { once } from 'node:events';
import { constants } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { canMakeCgroups, TestCgroup } from '../helpers/real-cgroup.js';
import { OomWatch } from '../../src/monitor/oom-watch.js';
import { MemoryMonitor } from '../../src/monitor/monitor.js';
import type { Limits } from '../../src/cgroup/types.js';
import type { Plan } from '../../src/runtimes/types.js';
import { captureLog } from '../helpers/log-capture.js';
import { readOomKillsSince } from '../../src/monitor/kernel-log.js';

function kernelLogReadable(): boolean {
  return readOomKillsSince(0).length > 0;
}

const MiB = 1024 * 1024;
export const HOG = 'a=[]\nwhile True: a.append(bytearray(1 << 20))';

function limitsOf(group: TestCgroup): Limits {
  return { cgroup: group.location(), memoryBytes: 64 * MiB, memorySource: 'cgroup' } as Limits;
}

const plan: Plan = { runtime: 'python', argv: ['python3'], env: {}, risks: [], notes: [], rlimits: [] };

async function death(child: ChildProcess): Promise<{ pid: number; code: number | null; signal: number | null }> {
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { pid: child.pid!, code, signal: signal ? constants.signals[signal] : null };
}

t.test('real OOM kills and a plain kill -9', { skip: canMakeCgroups() ?? false }, async (t) => {
  const group = TestCgroup.create('memshim-oom-watch', { memoryBytes: 64 * MiB, noSwap: true });
  const captured = await captureLog();
  t.teardown(() => {
    group.remove();
    captured.close();
  });
  const monitor = new MemoryMonitor({
    location: group.location(),
    limitBytes: 64 * MiB,
    log: captured.log,
    intervalMs: 100,
  });
  const watch = new OomWatch({
    location: group.location(),
    limits: limitsOf(group),
    plan,
    log: captured.log,
    monitor,
    mainCommand: 'python3',
  });
  monitor.start();
  t.teardown(() => monitor.stop());

  await t.test('the hog is OOM-killed: one oom_kill event naming it as the main process', async (t) => {
    const hog = group.spawn(['python3', '-c', HOG]);
    watch.setMainPid(hog.pid!);
    const died = await death(hog);
    t.equal(died.signal, 9, 'the kernel killed it with SIGKILL');
    const report = watch.onDeath({ pid: died.pid, main: true, signal: died.signal });
    t.ok(report, 'reported as an OOM kill');
    const events = captured.events('oom_kill');
    t.equal(events.length, 1, 'exactly one oom_kill event');
    const event = events[0]!;
    t.equal(event.level, 50, 'at error level');
    t.equal(event.main, true);
    t.equal(event.pid, died.pid);
    t.equal(event.command, 'python3');
    t.equal(event.limitBytes, 64 * MiB);
    t.ok((event.peakBytes as number) >= 60 * MiB, `peak near the limit (${event.peakBytes})`);
    t.type(event.workingSetBeforeBytes, 'number', 'the working set of the last reading before the kill');
    t.match(event.advice, /--python-memory-cap/);
    t.match(event.msg, /the kernel OOM-killed the main process \(python3, pid \d+\): limit 64 MiB/);
    // The monitor's next readings see the counter already explained: no second event.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    watch.flush();
    t.equal(captured.events('oom_kill').length, 1, 'still one after more readings');
  });

  await t.test('kill -9 from outside is not an OOM kill', async (t) => {
    const sleeper = group.spawn(['sleep', '30']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(sleeper.pid!, 'SIGKILL');
    const died = await death(sleeper);
    t.equal(died.signal, 9);
    t.equal(watch.onDeath({ pid: died.pid, main: true, signal: died.signal }), null, 'not reported');
    t.equal(captured.events('oom_kill').length, 1, 'no new oom_kill event');
  });

  await t.test('a grandchild hog is caught when its parent exits', async (t) => {
    const parent = group.spawn(['sh', '-c', `python3 -c '${HOG}'; exit 3`]);
    watch.setMainPid(parent.pid!);
    const died = await death(parent);
    t.equal(died.code, 3, 'the parent exited normally');
    const report = watch.onDeath({ pid: died.pid, main: true, signal: died.signal });
    t.ok(report, 'the counter moved: reported');
    const events = captured.events('oom_kill');
    t.equal(events.length, 2, 'exactly one more oom_kill event');
    t.equal(events[1]!.main, false, 'not the main process');
    t.equal(events[1]!.process, 'other');
    t.equal(
      events[1]!.command,
      kernelLogReadable() ? 'python3' : null,
      'named from the kernel log when it is readable',
    );
    watch.flush();
    t.equal(captured.events('oom_kill').length, 2, 'never twice');
  });

  await t.test(
    "v1: a process that moved to a sub-cgroup is still counted (the counter is the victim cgroup's only)",
    async (t) => {
      const sub = group.child('worker');
      const parent = sub.spawn(['sh', '-c', `python3 -c '${HOG}'; exit 5`]);
      const died = await death(parent);
      t.equal(died.code, 5);
      const before = captured.events('oom_kill').length;
      t.ok(watch.onDeath({ pid: died.pid, main: true, signal: died.signal }), 'reported');
      t.equal(captured.events('oom_kill').length, before + 1, 'one event');
      if (group.dirs.version === 1) t.equal(sub.oomKills(), 1, 'counted in the sub-cgroup');
    },
  );

  await t.test(
    'an OOM kill nobody reaps (a pool restarting its worker) is reported after the grace period',
    async (t) => {
      const parent = group.spawn(['sh', '-c', `python3 -c '${HOG}'; sleep 30`]);
      t.teardown(() => parent.kill('SIGKILL'));
      const before = captured.events('oom_kill').length;
      for (let i = 0; i < 100 && captured.events('oom_kill').length === before; i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      t.equal(captured.events('oom_kill').length, before + 1, 'one event from the monitor readings');
      parent.kill('SIGKILL');
      const died = await death(parent);
      t.equal(
        watch.onDeath({ pid: died.pid, main: true, signal: died.signal }),
        null,
        'the later kill -9 of the parent is not one',
      );
      t.equal(captured.events('oom_kill').length, before + 1);
    },
  );
});
