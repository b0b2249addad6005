// `memshim status`: asks a running memshim, else reads the cgroup; --check is a HEALTHCHECK (exit 1 when the child
// is down, memory is at or above 95%, or no memshim answers where one is expected); a bad --url is a usage error.
import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runMemshim } from '../helpers/memshim.js';
import { canMakeCgroups, TestCgroup } from '../helpers/real-cgroup.js';
import { startMemshim } from '../helpers/running.js';

const MiB = 1024 * 1024;

/** A port nothing listens on: bound, then closed. */
async function refusingPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The environment without MEMSHIM_HEALTH_PORT (the test runner's own may hold one). */
function envWithout(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.MEMSHIM_HEALTH_PORT;
  return env;
}

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
  t.match(
    text.stdout,
    new RegExp(`\\n  ${start.pid} +\\d+\\.\\d +[\\d.]+ (KiB|MiB) +sleep\\n`),
    'the child with CPU and memory (pidusage)',
  );
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
  const run = startMemshim(
    ['--health-port', '0', '--health-host', '127.0.0.1', '--grace-period', '60', '--', 'sh', '-c', script],
    { stdin: 'pipe' },
  );
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
  const port = await refusingPort();
  const result = runMemshim(['status', '--url', `http://127.0.0.1:${port}`]);
  t.equal(result.code, 0);
  t.match(
    result.stdout,
    new RegExp(`^no memshim answered at http://127\\.0\\.0\\.1:${port}: read the cgroup directly\\n`),
  );
  t.match(result.stdout, /read from the cgroup/);
  const json = JSON.parse(runMemshim(['status', '--json', '--url', `http://127.0.0.1:${port}`]).stdout);
  t.equal(json.source, 'cgroup');
  t.equal(json.child, null);
});

t.test('--check when a memshim is expected but none answers: exit 1, one line', async (t) => {
  // What the HEALTHCHECK saw before: a memshim whose health server could not bind (another server holds its
  // port and answers 404), and `memshim status --check` reading the cgroup instead and passing.
  const other = createServer((_req, res) => res.writeHead(404).end('not memshim\n')).listen(0, '127.0.0.1');
  await new Promise((resolve) => other.once('listening', resolve));
  t.teardown(() => new Promise((resolve) => other.close(resolve)));
  const port = String((other.address() as AddressInfo).port);
  const env = { ...envWithout(), MEMSHIM_HEALTH_PORT: port };
  const run = startMemshim(['--health-host', '127.0.0.1', '--', 'sleep', '30'], { env });
  t.teardown(() => run.stop());
  await run.waitFor('start');
  const failed = await run.waitFor('health_server');
  t.equal(failed.level, 50, 'memshim runs without its health server (an error line)');

  const byEnv = runMemshim(['status', '--check'], { env });
  t.equal(byEnv.code, 1, 'MEMSHIM_HEALTH_PORT set: exit 1');
  t.equal(
    byEnv.stdout,
    `UNHEALTHY: no memshim answered at http://127.0.0.1:${port} (a health server is expected there)\n`,
  );
  const json = runMemshim(['status', '--check', '--json'], { env });
  t.equal(json.code, 1);
  t.same(JSON.parse(json.stdout), {
    healthy: false,
    unhealthyReason: `no memshim answered at http://127.0.0.1:${port} (a health server is expected there)`,
  });

  const refused = await refusingPort();
  const byUrl = runMemshim(['status', '--check', '--url', `http://127.0.0.1:${refused}`], { env: envWithout() });
  t.equal(byUrl.code, 1, '--url given, nothing listening: exit 1');
  t.equal(
    byUrl.stdout,
    `UNHEALTHY: no memshim answered at http://127.0.0.1:${refused} (a health server is expected there)\n`,
  );
});

t.test('--check with no health server configured: the cgroup alone decides', async (t) => {
  const result = runMemshim(['status', '--check'], { env: envWithout() });
  t.equal(result.code, 0, `exit 0; stdout:\n${result.stdout}`);
  t.match(result.stdout, /^no memshim answered at http:\/\/127\.0\.0\.1:9464: read the cgroup directly\n/);
  t.match(result.stdout, /\nhealthy\n$/);
});

t.test('a --url that is not an http(s) URL: one line, exit 2', async (t) => {
  for (const url of ['http://[::1:bad', 'not a url', 'ftp://127.0.0.1:9464']) {
    for (const args of [
      ['status', '--url', url],
      ['status', '--check', '--url', url],
    ]) {
      const result = runMemshim(args);
      t.equal(result.code, 2, `${args.join(' ')}: exit 2`);
      t.equal(result.stderr, 'memshim: --url must be an http:// or https:// URL such as http://127.0.0.1:9464\n');
      t.equal(result.stdout, '');
    }
  }
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
  const run = startMemshim(
    ['--health-port', '0', '--health-host', '127.0.0.1', '--', 'python3', '-c', fill, usageFile, String(limit)],
    { cgroup: group },
  );
  t.teardown(() => run.stop());
  const port = (await run.waitFor('health_server')).port as number;
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200 && !run.stdout().includes('full'); i++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  t.match(run.stdout(), /full/, "the child's stdout passes through: it is full");
  const check = runMemshim(['status', '--check', '--url', url]);
  t.equal(check.code, 1, 'exit 1');
  t.match(check.stdout, /UNHEALTHY: memory at 9\d(\.\d)?% of the limit \(>= 95%\)/);
  t.equal(run.events('oom_kill').length, 0, 'no OOM kill on the way');
});
