// Threshold crossings as a user sees them: memshim over a process that fills its real cgroup to 86% of the limit,
// holds it for many monitor readings, frees it and holds again. One line when it crosses 80%, one when it falls
// back below; nothing for every reading in between.
import t from 'tap';
import { join } from 'node:path';
import { canMakeCgroups, TestCgroup } from '../helpers/real-cgroup.js';
import { startMemshim } from '../helpers/running.js';

const MiB = 1024 * 1024;
// Fills to the target, then waits for a line on stdin, frees, waits for another line, exits: the test says when,
// after it saw the line it expects, so no timing is assumed.
const FILL = `
import sys
usage_file, limit, target = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
held = []
while int(open(usage_file).read()) < target * limit:
    held.append(bytearray(1 << 20))
sys.stdin.readline()
del held[:]
sys.stdin.readline()
`;

t.test('crossing 80% and falling back: one line each', { skip: canMakeCgroups() ?? false }, async (t) => {
  const limit = 128 * MiB;
  const group = TestCgroup.create('memshim-thresholds', { memoryBytes: limit, noSwap: true });
  t.teardown(() => group.remove());
  const usageFile = join(group.dirs.memory, group.dirs.version === 2 ? 'memory.current' : 'memory.usage_in_bytes');
  const run = startMemshim(
    ['--monitor-interval', '0.1', '--', 'python3', '-c', FILL, usageFile, String(limit), '0.86'],
    { cgroup: group, stdin: 'pipe' },
  );
  t.teardown(() => run.stop());
  await run.waitFor('memory_pressure');
  // Several more readings at 86%: still one line.
  const readings = async (n: number) => new Promise((resolve) => setTimeout(resolve, n * 100));
  await readings(5);
  run.child.stdin!.write('free\n');
  for (let i = 0; i < 500 && run.events('memory_pressure').length < 2; i++) await readings(0.2);
  await readings(5);
  run.child.stdin!.write('exit\n');
  const { code } = await run.exited;
  t.equal(code, 0);
  const pressure = run.events('memory_pressure').map((e) => `${e.kind} ${e.level}`);
  t.same(pressure, ['above 0.8', 'below 0.8'], 'exactly one line up and one line down');
  const above = run.events('memory_pressure')[0]!;
  t.equal(above.level, 0.8);
  t.equal(above.limitBytes, limit);
  t.ok((above.ratio as number) >= 0.8 && (above.ratio as number) < 0.9, `ratio ${above.ratio}`);
  t.equal(run.events('oom_kill').length, 0, 'no OOM kill');
});

t.test('--no-monitor: no readings, no memory lines', { skip: canMakeCgroups() ?? false }, async (t) => {
  const limit = 128 * MiB;
  const group = TestCgroup.create('memshim-nomonitor', { memoryBytes: limit, noSwap: true });
  t.teardown(() => group.remove());
  const usageFile = join(group.dirs.memory, group.dirs.version === 2 ? 'memory.current' : 'memory.usage_in_bytes');
  const run = startMemshim(
    ['--no-monitor', '--monitor-interval', '0.1', '--', 'python3', '-c', FILL, usageFile, String(limit), '0.86'],
    { cgroup: group, stdin: 'pipe' },
  );
  t.teardown(() => run.stop());
  run.child.stdin!.write('free\nexit\n');
  t.equal((await run.exited).code, 0);
  t.equal(run.events('memory_pressure').length, 0);
});
