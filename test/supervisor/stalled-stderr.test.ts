// A log pipe nobody drains must never freeze memshim (issue 9 item 1). The child fills the stderr it shares with
// memshim (2 MB into a pipe whose reader stalled: a blocked logging driver); memshim then has lines to log (each
// forwarded signal, at debug). It must still forward signals, answer /healthz, count what it could not write,
// exit with the child's status, and leave the child's stderr as it was (blocking).
import t from 'tap';
import { spawn } from 'node:child_process';
import { constants, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { request } from 'node:http';
import { ensureBuilt, MEMSHIM } from '../helpers/memshim.js';
import { cannotUnshare } from '../helpers/init.js';
import { childrenOf } from '../helpers/proc.js';
import { freePort } from '../helpers/free-port.js';
import { stalledPipe } from '../helpers/stalled-pipe.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function get(port: number, path: string): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve(null));
    req.end();
  });
}

function descendants(pid: number): number[] {
  return childrenOf(pid).flatMap((child) => [child, ...descendants(child)]);
}

const wchan = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/wchan`, 'utf8');
  } catch {
    return '';
  }
};

// The child: reports each SIGUSR1 and the flags of its fd 2, exits 7 on SIGTERM, and has a writer fill stderr.
// --single-child: signals reach sh alone; were `sleep` or the writer killed by them, sh would report it on the
// stderr it shares, and block there itself (dash prints "User defined signal 1").
const CHILD = `trap 'echo usr1 $(grep flags /proc/$$/fdinfo/2)' USR1; trap 'exit 7' TERM; head -c 2000000 /dev/zero >&2 & echo ready; while :; do sleep 0.05; done`;

t.test(
  'a stalled stderr pipe: signals forwarded, /healthz answered, the exit status kept',
  { skip: cannotUnshare() },
  async (t) => {
    ensureBuilt();
    const { fd: held } = stalledPipe(t);
    const port = await freePort();
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const proc = spawn(
      'unshare',
      [
        '--pid',
        '--fork',
        '--mount-proc',
        MEMSHIM,
        '--single-child',
        '--log-level',
        'debug',
        '--health-port',
        String(port),
        '--health-host',
        '127.0.0.1',
        '--',
        'sh',
        '-c',
        CHILD,
      ],
      { env, stdio: ['ignore', 'pipe', held] },
    );
    t.teardown(() => proc.kill('SIGKILL'));
    const exit = once(proc, 'close') as Promise<[number | null, string | null]>;
    const lines: string[] = [];
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
    while (!lines.includes('ready')) await sleep(20);
    let memshim = 0;
    while (!memshim) {
      memshim = childrenOf(proc.pid!)[0] ?? 0;
      await sleep(10);
    }
    // Until the writer is blocked in the full pipe.
    while (!descendants(memshim).some((pid) => /pipe_write$/.test(wchan(pid)))) await sleep(20);

    for (let i = 1; i <= 3; i++) {
      process.kill(memshim, 'SIGUSR1');
      while (lines.filter((l) => l.startsWith('usr1')).length < i) await sleep(20);
      t.pass(`SIGUSR1 number ${i} reached the child`);
    }
    const flags = lines
      .filter((l) => l.startsWith('usr1'))
      .map((l) => parseInt(/flags:\s+(\d+)/.exec(l)?.[1] ?? 'x', 8));
    t.ok(
      flags.length === 3 && flags.every((f) => Number.isInteger(f) && (f & constants.O_NONBLOCK) === 0),
      `the child's stderr stays blocking (${flags.map((f) => f.toString(8))})`,
    );
    const health = await get(port, '/healthz');
    t.equal(health?.status, 200, '/healthz answers');
    const metrics = await get(port, '/metrics');
    t.match(metrics?.body, /^memshim_log_lines_dropped_total \d+$/m, 'the lines it could not write are counted');
    process.kill(memshim, 'SIGTERM');
    const [code] = await exit;
    t.equal(code, 7, "the child's exit status, with stderr still unread");
  },
);
