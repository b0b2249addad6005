// The health server under connections that never finish (issue 9 item 12): a slow-header client and a silent
// one are closed by memshim, and a flood of idle connections neither grows without bound nor keeps a probe out.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { ensureBuilt, MEMSHIM } from '../helpers/memshim.js';
import { freePort } from '../helpers/free-port.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function healthz(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? null));
    });
    req.on('error', () => resolve(null));
    req.end();
  });
}

async function startWithHealth(t: Test) {
  ensureBuilt();
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, MEMSHIM_LOG_LEVEL: 'warn' };
  delete env.NODE_OPTIONS;
  const proc = spawn(MEMSHIM, ['--health-port', String(port), '--health-host', '127.0.0.1', '--', 'sleep', '300'], {
    env,
    stdio: 'ignore',
  });
  t.teardown(() => proc.kill('SIGKILL'));
  while ((await healthz(port)) !== 200) await sleep(50);
  return port;
}

// On 'close', which follows an 'error' too: memshim may close a connection with data unread by a reset, and the
// client then sees ECONNRESET (events.once would reject on that 'error').
const closed = (socket: Socket) =>
  socket.destroyed ? Promise.resolve() : new Promise<void>((resolve) => socket.once('close', () => resolve()));

t.test('a slow-header client and a silent one are closed by memshim, not held', async (t) => {
  const port = await startWithHealth(t);
  const slow = connect(port, '127.0.0.1');
  slow.on('error', () => {});
  slow.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
  // Until memshim closes it; a write racing the close fails, which is the point.
  let answered = false;
  const drip = setInterval(() => answered || slow.write('X-Slow: 1\r\n', () => {}), 1000);
  for (const event of ['data', 'end', 'close']) slow.once(event, () => ((answered = true), clearInterval(drip)));
  t.teardown(() => clearInterval(drip));
  const silent = connect(port, '127.0.0.1');
  silent.on('error', () => {});
  // Both read (and discard): a socket that does not read never sees the other end close.
  slow.resume();
  silent.resume();
  // Well within tap's timeout; Node's defaults hold both for a minute and more.
  const bound = sleep(40_000).then(() => 'still open after 40 s');
  t.equal(await Promise.race([closed(slow).then(() => 'closed'), bound]), 'closed', 'the slow-header connection');
  t.equal(await Promise.race([closed(silent).then(() => 'closed'), bound]), 'closed', 'the silent connection');
  t.equal(await healthz(port), 200, 'probes still answered');
});

t.test('a flood of idle connections is capped: the oldest go, a probe gets in', async (t) => {
  const port = await startWithHealth(t);
  const sockets: Socket[] = [];
  for (let i = 0; i < 400; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.resume();
    await once(socket, 'connect');
    sockets.push(socket);
  }
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  t.equal(await healthz(port), 200, 'a probe is answered with 400 idle connections open');
  await sleep(200);
  const open = sockets.filter((s) => !s.destroyed).length;
  t.ok(open < 400, `memshim closed some of the idle connections (${open} of 400 still open)`);
  t.ok(sockets[0]!.destroyed, 'the oldest went first');
});
