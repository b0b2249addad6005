// What a user sees: `memshim -- CMD` in a real 64 MiB cgroup without swap on this machine, a memory hog, the
// kernel's OOM killer. Exactly one oom_kill event and exit 137 when the main process is the hog; nothing of the
// kind for a plain `kill -9`; a hog that is a grandchild is still caught.
import t from 'tap';
import { canMakeCgroups, TestCgroup } from '../helpers/real-cgroup.js';
import { startMemshim } from '../helpers/running.js';

const MiB = 1024 * 1024;
const HOG = 'a=[]\nwhile True: a.append(bytearray(1 << 20))';

t.test('memshim over a memory hog in 64 MiB', { skip: canMakeCgroups() ?? false }, async (t) => {
  const cgroups: TestCgroup[] = [];
  const fresh = () => {
    const group = TestCgroup.create('memshim-oom-e2e', { memoryBytes: 64 * MiB, noSwap: true });
    cgroups.push(group);
    return group;
  };
  t.teardown(() => cgroups.forEach((group) => group.remove()));

  await t.test('the main process is OOM-killed: one oom_kill event, exit 137', async (t) => {
    const group = fresh();
    const run = startMemshim(['--', 'python3', '-c', HOG], { cgroup: group });
    const { code } = await run.exited;
    t.equal(code, 137, 'memshim exits 137');
    const kills = run.events('oom_kill');
    t.equal(kills.length, 1, 'exactly one oom_kill event');
    const kill = kills[0]!;
    t.equal(kill.level, 50, 'an error');
    t.equal(kill.main, true, 'the main process');
    t.equal(kill.pid, run.events('start')[0]!.pid, 'the pid memshim started');
    t.equal(kill.command, 'python3');
    t.equal(kill.limitBytes, 64 * MiB);
    t.ok((kill.peakBytes as number) > 48 * MiB, 'the peak');
    t.type(kill.workingSetBeforeBytes, 'number', 'the working set before');
    t.match(kill.advice, /python-memory-cap|raise the memory limit/);
    t.equal(group.oomKills(), 1, 'the kernel counted one');
  });

  await t.test('kill -9 from outside is not an OOM kill', async (t) => {
    const group = fresh();
    const run = startMemshim(['--', 'sleep', '30'], { cgroup: group });
    const start = await run.waitFor('start');
    process.kill(start.pid as number, 'SIGKILL');
    const { code } = await run.exited;
    t.equal(code, 137, 'exit 137 (128 + SIGKILL) all the same');
    t.equal(run.events('oom_kill').length, 0, 'no oom_kill event');
    t.equal(run.events('child_exit')[0]?.signal, 9);
    t.equal(group.oomKills(), 0);
  });

  await t.test('a hog that is a grandchild is caught', async (t) => {
    const group = fresh();
    const run = startMemshim(['--', 'sh', '-c', `python3 -c '${HOG}'; exit 3`], { cgroup: group });
    const { code } = await run.exited;
    t.equal(code, 3, "the main process's own exit code");
    const kills = run.events('oom_kill');
    t.equal(kills.length, 1, 'exactly one oom_kill event');
    t.equal(kills[0]!.main, false, 'not the main process');
    t.not(kills[0]!.pid, run.events('start')[0]!.pid);
    t.match(kills[0]!.msg, /OOM-killed a process in its tree/);
  });
});
