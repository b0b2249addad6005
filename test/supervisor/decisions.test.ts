// The supervisor's pure decisions, as tables: what a received signal becomes, what a wait status means,
// what a spawn error exits with, how a command is found on PATH.
import t from 'tap';
import fc from 'fast-check';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decideForward, describeSignals, FORWARDED_SIGNALS, parseRewrite, SIG } from '../../src/supervisor/signals.js';
import { rawEnvironmentBlock } from '../../src/supervisor/raw-bytes.js';
import { decodeWaitStatus, endedProcess, isStopStatus } from '../../src/common/wait-status.js';
import { spawnFailure } from '../../src/supervisor/spawn.js';
import { resolveOnPath } from '../../src/common/path-search.js';

t.test('which signals are forwarded', async (t) => {
  for (const never of [SIG.KILL, SIG.STOP, SIG.CHLD, 4, 7, 8, 11, 32, 33])
    t.notOk(FORWARDED_SIGNALS.includes(never), `never ${never}`);
  for (const always of [1, 2, 3, 5, 6, 10, 12, 13, 14, 15, 18, 20, 21, 22, 23, 28, 30, 31, 34, 50, 64])
    t.ok(FORWARDED_SIGNALS.includes(always), `forwards ${always}`);
  t.equal(FORWARDED_SIGNALS.length, 31 - 7 + 31, '24 standard + 31 real-time');
});

t.test('decideForward: rewrite, drop, TTY stops, grace', async (t) => {
  const none = new Map<number, number>();
  const table: [
    string,
    number,
    Map<number, number>,
    boolean,
    { signal: number; suspendSelf: boolean; startsGrace: boolean },
  ][] = [
    ['TERM as is, starts the grace period', 15, none, false, { signal: 15, suspendSelf: false, startsGrace: true }],
    [
      'TERM rewritten to QUIT still starts it',
      15,
      parseRewrite(['15:3']),
      false,
      { signal: 3, suspendSelf: false, startsGrace: true },
    ],
    [
      'TERM dropped: no grace period',
      15,
      parseRewrite(['15:0']),
      false,
      { signal: 0, suspendSelf: false, startsGrace: false },
    ],
    ['WINCH dropped', 28, parseRewrite(['28:0']), false, { signal: 0, suspendSelf: false, startsGrace: false }],
    [
      'TSTP in group mode: STOP, and memshim stops too',
      20,
      none,
      false,
      { signal: 19, suspendSelf: true, startsGrace: false },
    ],
    ['TTIN in single-child mode: as is', 21, none, true, { signal: 21, suspendSelf: true, startsGrace: false }],
    [
      'TTOU rewritten wins over STOP',
      22,
      parseRewrite(['TTOU:USR1']),
      false,
      { signal: 10, suspendSelf: true, startsGrace: false },
    ],
    [
      'RT signal rewritten',
      34,
      parseRewrite(['RTMIN:RTMAX']),
      false,
      { signal: 64, suspendSelf: false, startsGrace: false },
    ],
  ];
  for (const [name, received, rewrite, single, expected] of table)
    t.same(decideForward(received, rewrite, single), expected, name);
  fc.assert(
    fc.property(fc.constantFrom(...FORWARDED_SIGNALS), fc.boolean(), (n, single) => {
      const d = decideForward(n, none, single);
      return [20, 21, 22].includes(n) ? d.suspendSelf : d.signal === n && !d.suspendSelf;
    }),
  );
});

t.test('decodeWaitStatus', async (t) => {
  t.same(decodeWaitStatus(0), { code: 0, signal: null, stopped: false });
  t.same(decodeWaitStatus(42 << 8), { code: 42, signal: null, stopped: false });
  t.same(decodeWaitStatus(255 << 8), { code: 255, signal: null, stopped: false });
  t.same(decodeWaitStatus(9), { code: null, signal: 9, stopped: false });
  t.same(decodeWaitStatus(0x80 | 11), { code: null, signal: 11, stopped: false }, 'core dumped');
  t.same(decodeWaitStatus((19 << 8) | 0x7f), { code: null, signal: 19, stopped: true });
});

t.test(
  "the reap loop's decoding (isStopStatus, endedProcess) says what decodeWaitStatus says, every status",
  async (t) => {
    let differ = 0;
    for (let status = 0; status <= 0xffff; status++) {
      const { code, signal, stopped } = decodeWaitStatus(status);
      if (isStopStatus(status) !== stopped) differ++;
      else if (!stopped) {
        const ended = endedProcess(7, status);
        if (ended.pid !== 7 || ended.code !== code || ended.signal !== signal) differ++;
      }
    }
    t.equal(differ, 0, '65536 statuses');
  },
);

t.test('spawnFailure: 127 for not found, 126 for the rest, one line naming the command', async (t) => {
  t.same(spawnFailure('java', 2, process.env.PATH), {
    exitCode: 127,
    reason: 'java: command not found (no such file or directory)',
  });
  t.equal(spawnFailure('x/y', 20, process.env.PATH).exitCode, 127);
  t.same(spawnFailure('/etc/passwd', 13, process.env.PATH), {
    exitCode: 126,
    reason: '/etc/passwd: cannot execute (permission denied)',
  });
  t.same(spawnFailure('/etc', 13, process.env.PATH), {
    exitCode: 126,
    reason: '/etc: cannot execute (is a directory)',
  });
  t.same(spawnFailure('./a.out', 8, process.env.PATH), {
    exitCode: 126,
    reason: './a.out: cannot execute (exec format error)',
  });
  t.equal(spawnFailure('x', 7, process.env.PATH).exitCode, 126);
});

t.test('resolveOnPath: like execvp, without the /bin/sh fallback', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'memshim-path-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  writeFileSync(join(dir, 'a', 'tool'), '');
  chmodSync(join(dir, 'a', 'tool'), 0o644);
  writeFileSync(join(dir, 'b', 'tool'), '');
  chmodSync(join(dir, 'b', 'tool'), 0o755);
  mkdirSync(join(dir, 'a', 'sub'));
  t.same(
    resolveOnPath('tool', `${dir}/a:${dir}/b`),
    { file: join(dir, 'b', 'tool') },
    'skips the one that is not executable',
  );
  t.same(resolveOnPath('sub', `${dir}/a`), { errno: 2 }, 'a directory is not a command');
  t.same(resolveOnPath('./rel/x', '/nowhere'), { file: './rel/x' }, 'a slash: no search');
  t.same(resolveOnPath('nothing-here', `${dir}/a`), { errno: 2 });
  if (process.getuid?.() !== 0)
    t.same(resolveOnPath('tool', `${dir}/a`), { errno: 13 }, 'found but not executable: EACCES');
});

t.test('the environment block: K=V strings, undefined left out, null-terminated', async (t) => {
  t.same(rawEnvironmentBlock({ A: '1', B: undefined, C: 'x=y' }, {}, null), ['A=1', 'C=x=y', null]);
});

t.test('describeSignals: ranges for runs', async (t) => {
  t.equal(describeSignals(Array.from({ length: 31 }, (_, i) => 34 + i)), 'SIGRTMIN..SIGRTMIN+30 (34-64)');
  t.equal(describeSignals([10, 12]), 'SIGUSR1, SIGUSR2');
  t.equal(describeSignals([1, 2, 3, 15]), 'SIGHUP..SIGQUIT (1-3), SIGTERM');
});
