// OOM diagnosis, the pure part: which deaths are OOM kills, and what the report advises.
import t from 'tap';
import {
  attributeDeath,
  attributeUnexplained,
  oomAdvice,
  oomMessage,
  oomReport,
  suggestLimit,
  SIGKILL,
} from '../../src/monitor/oom.js';
import type { Limits } from '../../src/cgroup/types.js';
import type { Plan } from '../../src/runtimes/types.js';

const MiB = 1024 * 1024;

t.test('attribution of a death: only a SIGKILL while the counter moved is the victim', async (t) => {
  const table: [string, number, number | null, number | null, string][] = [
    ['kill -9 from outside: counter still', 0, 0, SIGKILL, 'none 0'],
    ['OOM kill of this process', 0, 1, SIGKILL, 'this 1'],
    ['normal exit, counter still', 2, 2, null, 'none 2'],
    ['exit 3 after its child was OOM-killed (grandchild)', 0, 1, null, 'other 1 x1'],
    ['SIGTERM death while a grandchild was OOM-killed', 0, 1, 15, 'other 1 x1'],
    ['two kills at once, the SIGKILL death explains one', 3, 5, SIGKILL, 'this 4'],
    ['counter unknown (no memory cgroup): never an OOM kill', 0, null, SIGKILL, 'none 0'],
  ];
  for (const [name, seen, now, signal, expected] of table) {
    const a = attributeDeath(seen, now, signal);
    t.equal(`${a.kind} ${a.seen}${a.kind === 'other' ? ` x${a.count}` : ''}`, expected, name);
  }
  t.same(attributeUnexplained(4, 5), { kind: 'other', seen: 5, count: 1 });
  t.same(attributeUnexplained(5, 5), { kind: 'none', seen: 5 });
  t.same(attributeUnexplained(5, null), { kind: 'none', seen: 5 });
});

const limits = { memoryBytes: 64 * MiB } as Limits;
function plan(runtime: Plan['runtime'], env: Record<string, string> = {}, rlimits: Plan['rlimits'] = []): Plan {
  return { runtime, argv: ['x', 'SECRET-ARG'], env, risks: [], notes: [], rlimits };
}
const main = { pid: 42, main: true, command: 'app', count: 1 };

t.test('advice names the setting that would have avoided the kill', async (t) => {
  const table: [string, Plan | null, RegExp][] = [
    [
      'jvm with the -Xmx memshim set',
      plan('jvm', { JAVA_TOOL_OPTIONS: '-Dpassword=hunter2 -Xmx40m -XX:+ExitOnOutOfMemoryError' }),
      /lower the heap \(memshim set -Xmx40m\)/,
    ],
    [
      'node with --max-old-space-size',
      plan('node', { NODE_OPTIONS: '--require ./secret.js --max-old-space-size=40' }),
      /lower --max-old-space-size \(memshim set --max-old-space-size=40\)/,
    ],
    ['python without a cap', plan('python'), /--python-memory-cap/],
    [
      'python with a cap',
      plan('python', {}, [{ resource: 'RLIMIT_AS', bytes: 48 * MiB }]),
      /address-space cap memshim set \(48 MiB\)/,
    ],
    ['go', plan('go', { GOMEMLIMIT: '50MiB' }), /lower GOMEMLIMIT \(memshim set 50MiB\)/],
    [
      'dotnet',
      plan('dotnet', { DOTNET_GCHeapHardLimit: '0x3000000' }),
      /DOTNET_GCHeapHardLimit \(memshim set 0x3000000\)/,
    ],
    ['generic', plan('generic'), /raise the memory limit to 128 MiB or more/],
    ['no plan (sidecar)', null, /raise the memory limit/],
  ];
  for (const [name, p, pattern] of table) {
    const advice = oomAdvice(p, limits, main, 64 * MiB);
    t.match(advice, pattern, name);
    t.notMatch(advice, /hunter2|secret\.js|SECRET-ARG/, `${name}: only the one flag, no other value`);
  }
  t.match(
    oomAdvice(plan('jvm'), limits, { pid: 7, main: false, command: 'python3', count: 1 }, 64 * MiB),
    /a process other than the main one \(python3\)/,
  );
});

t.test('suggested limit: half again over what it reached, in 64 MiB steps', async (t) => {
  t.equal(suggestLimit(64 * MiB, 64 * MiB), 128 * MiB);
  t.equal(suggestLimit(512 * MiB, 500 * MiB), 768 * MiB);
  t.equal(suggestLimit(100 * MiB, null), 192 * MiB);
});

t.test('the event line says who, limit, peak, working set before, and the fix', async (t) => {
  const report = oomReport({
    plan: plan('generic'),
    limits,
    victim: main,
    peakBytes: 64 * MiB,
    workingSetBeforeBytes: 60 * MiB,
    oomKills: 1,
  });
  t.equal(
    oomMessage(report),
    'the kernel OOM-killed the main process (app, pid 42): limit 64 MiB, peak 64 MiB, working set just before 60 MiB. To avoid it: the process has no memory cap of its own: make it hold less, or raise the memory limit to 128 MiB or more',
  );
  const other = oomReport({
    plan: null,
    limits,
    victim: { pid: null, main: false, command: null, count: 2 },
    peakBytes: null,
    workingSetBeforeBytes: null,
    oomKills: 2,
  });
  t.match(
    oomMessage(other),
    /^the kernel OOM-killed 2 processes in its tree: limit 64 MiB, peak unknown, working set just before unknown/,
  );
});

t.test('kernel log records: the oom-kill line names the task', async (t) => {
  const { parseOomKillRecord } = await import('../../src/monitor/kernel-log.js');
  const record =
    '6,498,571783682,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/process_api/x/probe,task_memcg=/process_api/x/probe,task=python3,pid=8054,uid=0\n SUBSYSTEM=memory';
  t.same(parseOomKillRecord(record), {
    pid: 8054,
    task: 'python3',
    memcg: '/process_api/x/probe',
    atMicros: 571783682,
  });
  t.equal(
    parseOomKillRecord('6,499,571783699,-;Memory cgroup out of memory: Killed process 8054 (python3)'),
    null,
    'not the oom-kill line',
  );
  t.equal(parseOomKillRecord('6,500,1,-;oom-kill:constraint=CONSTRAINT_NONE,task=,pid=x'), null, 'malformed');
  t.equal(parseOomKillRecord(''), null);
});
