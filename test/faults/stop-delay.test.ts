// Issue 10 section 4: --stop-delay S (MEMSHIM_STOP_DELAY). On SIGTERM /readyz answers 503 at once, the child
// keeps running (and serving) for S seconds, then gets SIGTERM and the grace period starts. A second SIGTERM or
// a SIGINT during the delay skips the rest of it. Real signals, real HTTP.
import t from 'tap';
import { cannotUnshare, startMemshim } from '../helpers/init.js';
import { logEvents } from '../helpers/log-lines.js';
import { until } from '../helpers/proc.js';

const skip = cannotUnshare();

async function status(port: number, path: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  await response.text();
  return response.status;
}

/** memshim with the health server on a free port over a child that prints each SIGTERM/SIGINT and exits on the second. */
async function start(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const script =
    "n=0; trap 'n=$((n+1)); echo got TERM; [ $n -ge 1 ] && exit 0' TERM; trap 'echo got INT' INT; echo ready; while :; do sleep 0.02; done";
  const init = startMemshim(
    [
      '--log-level',
      'debug',
      '--no-monitor',
      '--health-port',
      '0',
      '--health-host',
      '127.0.0.1',
      ...args,
      '--',
      'sh',
      '-c',
      script,
    ],
    { env, pid1: false },
  );
  await init.line(/^ready/);
  await until(() => logEvents(init.stderr(), 'health_server').length > 0);
  const port = Number(logEvents(init.stderr(), 'health_server')[0]!.port);
  const memshim = await init.memshimPid();
  return { init, port, memshim };
}

t.test(
  'SIGTERM: /readyz 503 at once, the child untouched during the delay; a second SIGTERM skips the rest',
  { skip },
  async (t) => {
    const { init, port, memshim } = await start(['--stop-delay', '600', '--grace-period', '5']);
    t.equal(await status(port, '/readyz'), 200, 'ready before');
    process.kill(memshim, 'SIGTERM');
    await until(() => logEvents(init.stderr(), 'shutdown').length > 0);
    t.equal(await status(port, '/readyz'), 503, '/readyz 503 once SIGTERM came');
    t.notOk(init.lines().includes('got TERM'), 'the child has not been told yet (the delay is 600 s)');
    process.kill(memshim, 'SIGTERM');
    await init.line(/^got TERM/);
    t.equal((await init.exit).code, 0, "the child's own exit on its SIGTERM");
    t.equal(init.lines().filter((l) => l === 'got TERM').length, 1, 'SIGTERM reached the child once');
    t.equal(logEvents(init.stderr(), 'shutdown')[0]?.stopDelayMs, 600_000);
  },
);

t.test('the delay runs out: SIGTERM forwarded, then the child exits (MEMSHIM_STOP_DELAY)', { skip }, async (t) => {
  const { init, port, memshim } = await start(['--grace-period', '5'], { ...process.env, MEMSHIM_STOP_DELAY: '0.3' });
  process.kill(memshim, 'SIGTERM');
  await until(() => logEvents(init.stderr(), 'shutdown').length > 0);
  t.equal(await status(port, '/readyz'), 503);
  await init.line(/^got TERM/);
  t.equal((await init.exit).code, 0);
});

t.test('SIGINT during the delay: the held SIGTERM goes, then the SIGINT', { skip }, async (t) => {
  const { init, memshim } = await start(['--stop-delay', '600']);
  process.kill(memshim, 'SIGTERM');
  await until(() => logEvents(init.stderr(), 'shutdown').length > 0);
  process.kill(memshim, 'SIGINT');
  t.equal((await init.exit).code, 0);
  // The shell runs its traps in signal-number order, so the order memshim sent them is read from its log.
  t.same(
    logEvents(init.stderr(), 'signal_forwarded').map((e) => e.signal),
    [15, 2],
    'SIGTERM first, then SIGINT, each once',
  );
});

t.test('bad values are usage errors naming what was typed', async (t) => {
  const { runMemshim } = await import('../helpers/memshim.js');
  for (const [args, env, line] of [
    [['--stop-delay', 'soon'], {}, /--stop-delay .*"soon"/],
    [[], { MEMSHIM_STOP_DELAY: '-1' }, /MEMSHIM_STOP_DELAY .*"-1"/],
    [['--exec', '--stop-delay', '3'], {}, /--exec .*--stop-delay/],
  ] as const) {
    const ran = runMemshim([...args, '--', 'true'], { env: { ...process.env, ...env } });
    t.equal(ran.code, 2, `${args.join(' ')} ${JSON.stringify(env)}`);
    t.match(ran.stderr, line);
  }
});
