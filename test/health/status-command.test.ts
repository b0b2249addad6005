// `memshim status`: asks a running memshim, else reads the cgroup; --check is a HEALTHCHECK (exit 1 when the child
// is down or memory is at or above 95%).
import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runMemshim } from '../helpers/memshim.js';
import { canMakeCgroups, TestCgroup } from '../helpers/real-cgroup.js';
import { startMemshim } from '../monitor/run.js';

const MiB = 1024 * 1024;

t.test('asks a running memshim: summary with the child and per-process usage', async (t) => {
  const run = startMemshim(['--health-port', '0', '--health-host', '127.0.0.1', '--', 'sleep', '30']);
  t.teardown(() => run.stop());
  const port = (await run.waitFor('health_server')).port as number;
  const start = await run.waitFor('start');
  const url = `http://127.0.0.1:${port}`;

  const text = runMemshim(['status', '--url', url]);
  t.equal(text.code, 0);
  t.match(text.stdout, new RegExp(`memshim \\S+: memshim pid ${run.child.pid}`));
  t.match(text.stdout, new RegExp(`process  running, pid ${start.pid}, up \\d+s`));
  t.match(text.stdout, /memory   working set .* of 23|memory   working set/);
  t.match(text.stdout, new RegExp(`\\n  ${start.pid} +\\d+\\.\\d +[\\d.]+ (KiB|MiB) +sleep\\n`), 'the child with CPU and memory (pidusage)');
  t.match(text.stdout, /\nhealthy\n$/);

  const json = runMemshim(['status', '--json', '--url', url]);
  const report = JSON.parse(json.stdout);
  t.equal(report.source, 'memshim');
  t.equal(report.healthy, true);
  t.equal(report.child.pid, start.pid);
  t.ok(report.processes.some((p: { pid: number; memoryBytes: number }) => p.pid === start.pid && p.memoryBytes > 0));

  t.equal(runMemshim(['status', '--check', '--url', url]).code, 0, '--check: healthy');
});

t.test('--check fails when the child is down (memshim shutting down)', async (t) => {
  // As in endpoints.test.ts: a background sleep deaf to SIGTERM holds memshim in its grace period until killed.
  const script = '(trap "" TERM; exec sleep 30) & echo $!; read x';
  const run = startMemshim(['--health-port', '0', '--health-host', '127.0.0.1', '--grace-period', '60', '--', 'sh', '-c', script], { stdin: 'pipe' });
  t.teardown(() => run.stop());
  const port = (await run.waitFor('health_server')).port as number;
  run.child.stdin!.write('exit\n');
  await run.waitFor('shutdown');
  const check = runMemshim(['status', '--check', '--url', `http://127.0.0.1:${port}`]);
  t.equal(check.code, 1, 'exit 1');
  t.match(check.stdout, /UNHEALTHY: the child is not running/);
  process.kill(Number(run.stdout().trim()), 'SIGKILL');
  t.equal((await run.exited).code, 0);
});

t.test('no memshim answers: reads the cgroup directly', async (t) => {
  // A port that refuses: bind one, close it.
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  const result = runMemshim(['status', '--url', `http://127.0.0.1:${port}`]);
  t.equal(result.code, 0);
  t.match(result.stdout, new RegExp(`^no memshim answered at http://127\\.0\\.0\\.1:${port}: read the cgroup directly\\n`));
  t.match(result.stdout, /read from the cgroup/);
  const json = JSON.parse(runMemshim(['status', '--json', '--url', `http://127.0.0.1:${port}`]).stdout);
  t.equal(json.source, 'cgroup');
  t.equal(json.child, null);
});

t.test('--check: exit 1 at or above 95% of the limit', { skip: canMakeCgroups() ?? false }, async (t) => {
  const limit = 128 * MiB;
  const group = TestCgroup.create('memshim-status-check', { memoryBytes: limit, noSwap: true });
  t.teardown(() => group.remove());
  const usageFile = join(group.dirs.memory, group.dirs.version === 2 ? 'memory.current' : 'memory.usage_in_bytes');
  // Fills the cgroup (memshim included) to 96% of the limit in 256 KiB steps, says so, and holds it.
  const fill = `
import sys, time
held = []
while int(open(sys.argv[1]).read()) < 0.96 * int(sys.argv[2]):
    held.append(bytearray(1 << 18))
print('full', flush=True)
time.sleep(30)
`;
  const run = startMemshim(['--health-port', '0', '--health-host', '127.0.0.1', '--', 'python3', '-c', fill, usageFile, String(limit)], { cgroup: group });
  t.teardown(() => run.stop());
  const port = (await run.waitFor('health_server')).port as number;
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200 && !run.stdout().includes('full'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  t.match(run.stdout(), /full/, "the child's stdout passes through: it is full");
  const check = runMemshim(['status', '--check', '--url', url]);
  t.equal(check.code, 1, 'exit 1');
  t.match(check.stdout, /UNHEALTHY: memory at 9\d(\.\d)?% of the limit \(>= 95%\)/);
  t.equal(run.events('oom_kill').length, 0, 'no OOM kill on the way');
});
