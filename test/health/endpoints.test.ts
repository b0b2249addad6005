// The health server over real HTTP: memshim supervising a real process in a real cgroup (128 MiB, 0.5 CPU),
// probed on an ephemeral port. /healthz and /readyz follow the child; /metrics is Prometheus text with the limits,
// usage, OOM kills, throttling and init counters; /status is JSON with the limits, the plan and the child.
import t from 'tap';
import { canMakeCgroups, TestCgroup } from '../helpers/real-cgroup.js';
import { startMemshim, type Running } from '../helpers/running.js';

const MiB = 1024 * 1024;

async function get(port: number, path: string, method = 'GET') {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

function metric(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

async function portOf(run: Running): Promise<number> {
  return (await run.waitFor('health_server')).port as number;
}

t.test('while the child runs', { skip: canMakeCgroups() ?? false }, async (t) => {
  const group = TestCgroup.create('memshim-health', { memoryBytes: 128 * MiB, cpus: 0.5 });
  t.teardown(() => group.remove());
  // The inner sh leaves an orphan (reaped by memshim: a zombie reaped); the main sleep ignores SIGUSR1.
  const script = 'sh -c "sleep 0.05 &"; trap "" USR1; exec sleep 30';
  const run = startMemshim(
    ['--health-port', '0', '--health-host', '127.0.0.1', '--monitor-interval', '0.2', '--', 'sh', '-c', script],
    { cgroup: group },
  );
  t.teardown(() => run.stop());
  const port = await portOf(run);
  const start = await run.waitFor('start');

  t.same(await get(port, '/healthz'), { status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' }, '/healthz 200');
  t.equal((await get(port, '/readyz')).status, 200, '/readyz 200');
  t.equal((await get(port, '/healthz', 'HEAD')).status, 200, 'HEAD works');
  t.equal((await get(port, '/nothing')).status, 404);
  t.equal((await get(port, '/healthz', 'POST')).status, 405);

  const status = JSON.parse((await get(port, '/status')).body);
  t.equal(status.source, 'memshim');
  t.equal(status.memshimPid, run.child.pid);
  t.equal(status.child.pid, start.pid, "the child's pid");
  t.equal(status.child.running, true);
  t.type(status.child.uptimeSeconds, 'number');
  t.equal(status.limits.memoryBytes, 128 * MiB);
  t.equal(status.limits.cpus, 0.5);
  t.equal(status.plan.runtime, 'generic');
  t.ok(status.plan.setVariables.includes('MEMSHIM_MEMORY_LIMIT_BYTES'), 'names of what memshim set');
  t.ok(Array.isArray(status.plan.risks));
  t.type(status.memory.workingSetBytes, 'number');

  // The orphan is reaped soon after it ends; then one signal is forwarded. Polled: no timing assumed.
  const until = async (done: (text: string) => boolean) => {
    for (let i = 0; i < 500; i++) {
      const text = (await get(port, '/metrics')).body;
      if (done(text)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  await until((text) => metric(text, 'memshim_zombies_reaped_total') === 1);
  process.kill(run.child.pid!, 'SIGUSR1');
  await until((text) => metric(text, 'memshim_signals_forwarded_total{signal="SIGUSR1"}') === 1);
  const metrics = await get(port, '/metrics');
  t.equal(metrics.status, 200);
  t.match(metrics.type, /^text\/plain; version=0\.0\.4/);
  const m = metrics.body;
  t.equal(metric(m, 'memshim_memory_limit_bytes'), 128 * MiB);
  t.ok(metric(m, 'memshim_memory_usage_bytes')! > 0, 'usage');
  t.ok(metric(m, 'memshim_memory_working_set_bytes')! > 0, 'working set');
  const ratio = metric(m, 'memshim_memory_working_set_ratio')!;
  t.ok(ratio > 0 && ratio < 1, `ratio ${ratio}`);
  t.equal(metric(m, 'memshim_oom_kills_total'), 0);
  t.equal(metric(m, 'memshim_cpu_limit_cores'), 0.5);
  t.type(metric(m, 'memshim_cpu_periods_total'), 'number');
  t.type(metric(m, 'memshim_cpu_throttled_periods_total'), 'number');
  t.type(metric(m, 'memshim_cpu_throttled_seconds_total'), 'number');
  t.equal(metric(m, 'memshim_child_up'), 1);
  t.equal(metric(m, 'memshim_zombies_reaped_total'), 1, 'the orphan');
  t.equal(metric(m, 'memshim_signals_forwarded_total{signal="SIGUSR1"}'), 1);
  t.match(m, /# HELP memshim_memory_working_set_bytes /);
  t.match(m, /# TYPE memshim_oom_kills_total counter/);
  t.equal(run.events('health_error').length, 0);
});

t.test('503 once the child died, while memshim shuts down', async (t) => {
  // The main sh prints the pid of a background sleep that ignores SIGTERM and exits when the test writes a line:
  // memshim then waits out the grace period for that sleep, until the test kills it.
  const script = '(trap "" TERM; exec sleep 30) & echo $!; read x';
  const run = startMemshim(
    ['--health-port', '0', '--health-host', '127.0.0.1', '--grace-period', '60', '--', 'sh', '-c', script],
    { stdin: 'pipe' },
  );
  t.teardown(() => run.stop());
  const port = await portOf(run);
  t.equal((await get(port, '/healthz')).status, 200, 'up first');
  run.child.stdin!.write('exit\n');
  await run.waitFor('shutdown');
  const healthz = await get(port, '/healthz');
  t.equal(healthz.status, 503, '/healthz 503');
  t.equal(healthz.body, 'the process is not running\n');
  t.equal((await get(port, '/readyz')).status, 503, '/readyz 503');
  const status = JSON.parse((await get(port, '/status')).body);
  t.equal(status.child.running, false);
  t.equal(status.child.shuttingDown, true);
  t.equal(metric((await get(port, '/metrics')).body, 'memshim_child_up'), 0);
  process.kill(Number(run.stdout().trim()), 'SIGKILL');
  t.equal((await run.exited).code, 0, "the main process's exit code");
});

t.test('a port already taken: one error line, the child still runs', async (t) => {
  const first = startMemshim(['--health-port', '0', '--health-host', '127.0.0.1', '--', 'sleep', '30']);
  t.teardown(() => first.stop());
  const port = await portOf(first);
  const second = startMemshim([
    '--health-port',
    String(port),
    '--health-host',
    '127.0.0.1',
    '--',
    'sh',
    '-c',
    'exit 4',
  ]);
  t.equal((await second.exited).code, 4, 'the child ran and its code came back');
  t.match(second.events('health_server')[0]?.msg, /cannot serve health endpoints on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
});
