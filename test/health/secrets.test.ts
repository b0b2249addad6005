// Secrets live in env and argv. A value placed in both must appear in no log line (at trace level, the most
// verbose), in no endpoint and not in `memshim status` output, while memshim runs and tunes a Node child whose
// NODE_OPTIONS it extends.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { MEMSHIM } from '../helpers/memshim.js';
import { startMemshim } from '../helpers/running.js';

const ENV_SECRET = 's3cr3t-env-7f3a9c';
const ARGV_SECRET = 's3cr3t-argv-41d2e8';

t.test('a secret in env and argv appears in no endpoint and no log line', async (t) => {
  const env = {
    ...process.env,
    API_TOKEN: ENV_SECRET,
    NODE_OPTIONS: `--conditions=${ENV_SECRET}`,
    DB_URL: `postgres://u:${ENV_SECRET}@db/x`,
  };
  const run = startMemshim(
    [
      '--memory',
      '512Mi',
      '--log-level',
      'trace',
      '--health-port',
      '0',
      '--health-host',
      '127.0.0.1',
      '--monitor-interval',
      '0.1',
      '--',
      'node',
      '-e',
      'setInterval(() => {}, 1000)',
      '--',
      `--token=${ARGV_SECRET}`,
    ],
    { env },
  );
  t.teardown(() => run.stop());
  const port = (await run.waitFor('health_server')).port as number;
  await run.waitFor('start');
  await new Promise((resolve) => setTimeout(resolve, 300));

  const bodies: Record<string, string> = {};
  for (const path of ['/healthz', '/readyz', '/metrics', '/status', '/nothing']) {
    bodies[path] = await (await fetch(`http://127.0.0.1:${port}${path}`)).text();
  }
  const status = JSON.parse(bodies['/status']!);
  t.equal(status.plan.runtime, 'node', 'the child was planned as Node');
  t.ok(status.plan.setVariables.includes('NODE_OPTIONS'), 'NODE_OPTIONS is named: memshim extended it');
  const cli = spawnSync(process.execPath, [MEMSHIM, 'status', '--json', '--url', `http://127.0.0.1:${port}`], {
    encoding: 'utf8',
  });
  const cliText = spawnSync(process.execPath, [MEMSHIM, 'status', '--url', `http://127.0.0.1:${port}`], {
    encoding: 'utf8',
  });
  t.equal(cli.status, 0);
  t.equal(JSON.parse(cli.stdout).child.pid, status.child.pid, 'memshim status asked the running memshim');

  process.kill(run.child.pid!, 'SIGTERM');
  await run.exited;
  const everything: Record<string, string> = {
    ...bodies,
    'memshim stderr (log)': run.stderr(),
    'memshim stdout': run.stdout(),
    'memshim status --json': cli.stdout + cli.stderr,
    'memshim status': cliText.stdout + cliText.stderr,
  };
  t.ok(run.lines().length > 5, `${run.lines().length} log lines checked`);
  for (const [where, text] of Object.entries(everything)) {
    t.notOk(text.includes(ENV_SECRET), `env secret not in ${where}`);
    t.notOk(text.includes(ARGV_SECRET), `argv secret not in ${where}`);
  }
});
