// memshim where koffi cannot load (MEMSHIM_NO_KOFFI=1, the debugging switch that makes loadKoffi() return null
// as a read-only single executable does): the command still runs under node:child_process, as PID 1 or not.
// Exit codes, 128+N, forwarding, the grace period and 127/126 are as with koffi; what is lost is one warning.
import t from 'tap';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cannotUnshare, startMemshim } from '../helpers/init.js';
import { childrenOf, processState, until } from '../helpers/proc.js';
import { cProgram } from '../helpers/c-program.js';
import { logEvents } from '../helpers/log-lines.js';
import { onPty, ptyUnsupported } from '../helpers/pty.js';

const skip = cannotUnshare();
const env = { ...process.env, MEMSHIM_NO_KOFFI: '1' };

function levelLines(stderr: string, level: number): string[] {
  return stderr.split('\n').filter((line) => line.includes(`"level":${level},`));
}

async function runShell(script: string, pid1 = true) {
  const init = startMemshim(['--log-level', 'warn', '--no-monitor', '--', 'sh', '-c', script], { env, pid1 });
  return { code: (await init.exit).code, stderr: init.stderr(), lines: init.lines() };
}

t.test('the command runs; its exit code and 128+N pass through; one warning says what is off', { skip }, async (t) => {
  const codes = [0, 7, 255];
  const signals = [1, 10, 15];
  const results = await Promise.all([
    ...codes.map((code) => runShell(`exit ${code}`)),
    ...signals.map((n) => runShell(`kill -${n} $$`)),
  ]);
  t.same(
    results.map((r) => r.code),
    [...codes, ...signals.map((n) => 128 + n)],
  );
  for (const { stderr } of results) {
    const warnings = levelLines(stderr, 40);
    t.equal(warnings.length, 1, 'exactly one warning', { stderr });
    t.match(
      warnings[0],
      /without koffi \(MEMSHIM_NO_KOFFI=1 is set\): no reaping of orphans \(they stay zombies\); no child subreaper; no rlimits \(--python-memory-cap\); no terminal hand-over/,
    );
  }
  const notPid1 = await runShell('echo hello; exit 4', false);
  t.equal(notPid1.code, 4, 'not PID 1 too');
  t.same(notPid1.lines, ['hello'], "the child's stdout is memshim's");
  t.equal(levelLines(notPid1.stderr, 40).length, 1);
});

t.test('127 for a missing command, 126 for one that cannot be executed, with one error line', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'memshim-nokoffi-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const notExecutable = join(dir, 'not-executable');
  writeFileSync(notExecutable, '#!/bin/sh\necho no\n');
  chmodSync(notExecutable, 0o644);
  const cases: [string, number, RegExp][] = [
    ['memshim-no-such-command', 127, /memshim-no-such-command: command not found/],
    [notExecutable, 126, /not-executable: cannot execute \(permission denied\)/],
  ];
  for (const [command, code, line] of cases) {
    const init = startMemshim(['--log-level', 'warn', '--no-monitor', '--', command], { env });
    t.equal((await init.exit).code, code, `${command}: ${code}`);
    const errors = levelLines(init.stderr(), 50);
    t.equal(errors.length, 1, 'one error line');
    t.match(errors[0], line);
  }
});

t.test(
  "signals reach the child's group; SIGTERM is forwarded, and after the grace period the child is killed",
  { skip },
  async (t) => {
    const init = startMemshim(
      ['--log-level', 'debug', '--no-monitor', '--grace-period', '0.3', '--', cProgram('recorder'), 'fork'],
      { env },
    );
    await init.line(/^child ready/);
    await init.line(/^grandchild ready/);
    const memshim = await init.memshimPid();
    // SIGRTMIN+2 too: the signal source needs no koffi (Node 20's signal_wrap).
    for (const n of [10, 1, 36]) {
      process.kill(memshim, n);
      await init.line(new RegExp(`^child sig ${n} `));
      await init.line(new RegExp(`^grandchild sig ${n} `));
    }
    t.pass('USR1, HUP and SIGRTMIN+2 reached the child and its group');
    process.kill(memshim, 'SIGTERM');
    await init.line(/^child sig 15 /);
    t.equal((await init.exit).code, 137, 'the recorder survives SIGTERM: SIGKILL after the grace period, 128+9');
    t.equal(logEvents(init.stderr(), 'grace_expired').length, 1);
    t.equal(logEvents(init.stderr(), 'shutdown')[0]?.reason, 'signal');
  },
);

t.test(
  "the main child exits: what is left of its group gets SIGTERM; memshim exits with the child's code",
  { skip },
  async (t) => {
    // Not PID 1: the background sleep is re-parented to the real init, not to memshim; only its group finds it.
    for (const pid1 of [true, false]) {
      const init = startMemshim(
        [
          '--log-level',
          'info',
          '--no-monitor',
          '--grace-period',
          '30',
          '--',
          'sh',
          '-c',
          'sleep 1000 & echo sleeper $!; exit 3',
        ],
        { env, pid1 },
      );
      const exit = await init.exit;
      t.equal(exit.code, 3, `pid1=${pid1}: the child's code, well before the grace period`);
      t.equal(logEvents(init.stderr(), 'grace_expired').length, 0, 'the leftover ended on SIGTERM');
      if (!pid1) {
        const [, sleeper] = (await init.line(/^sleeper (\d+)/))!;
        await until(() => processState(Number(sleeper)) === null || processState(Number(sleeper)) === 'Z');
        t.pass('the sleeper is gone');
      }
    }
  },
);

t.test('orphans are not reaped without koffi (the loss the warning names)', { skip }, async (t) => {
  // A grandchild that exits while its parent (the main child) has already gone: re-parented to PID 1, a zombie.
  const init = startMemshim(
    ['--log-level', 'warn', '--no-monitor', '--', 'sh', '-c', '(sleep 0.1 &); echo started; read line'],
    { env, stdin: true },
  );
  await init.line(/^started/);
  const memshim = await init.memshimPid();
  await until(() => childrenOf(memshim).some((pid) => processState(pid) === 'Z'));
  t.pass('an adopted process stays a zombie');
  init.proc.stdin!.end('\n');
  t.equal((await init.exit).code, 0);
});

t.test('--exec without koffi: process.execve where Node has it, else one error line and 126', { skip }, async (t) => {
  const init = startMemshim(
    ['--log-level', 'warn', '--no-monitor', '--exec', '--', 'sh', '-c', 'grep SigIgn /proc/$$/status; exit 3'],
    { env },
  );
  const exit = await init.exit;
  if (typeof (process as { execve?: unknown }).execve === 'function') {
    t.equal(exit.code, 3, 'the command replaced memshim');
    t.same(init.lines(), ['SigIgn:\t0000000000000000'], 'no signal left ignored (Node ignores SIGPIPE)');
  } else {
    t.equal(exit.code, 126, `Node ${process.versions.node} has no process.execve`);
    const errors = levelLines(init.stderr(), 50);
    t.equal(errors.length, 1, 'one error line');
    t.match(errors[0], /--exec needs koffi on this Node \(MEMSHIM_NO_KOFFI=1 is set\) or Node >= 22\.15/);
  }
});

t.test(
  'on a terminal without koffi: the child runs in its own session; Ctrl-C reaches it through memshim',
  { skip: ptyUnsupported() },
  async (t) => {
    const probe = 'import os; print("own session", os.getsid(0) == os.getpid(), "stdin a tty", os.isatty(0))';
    const session = onPty(['--log-level', 'warn', '--no-monitor', '--', 'python3', '-c', probe], [], undefined, env);
    t.match(
      session.output,
      /own session True stdin a tty True/,
      'setsid (detached): no controlling terminal, the terminal still its stdin',
    );
    t.equal(session.status, 0);
    const { output, status } = onPty(
      ['--log-level', 'debug', '--no-monitor', '--', 'sh', '-c', 'echo ready; exec sleep 100'],
      [['ready', '\x03']],
      undefined,
      env,
    );
    t.equal(status, 130, 'the child died of SIGINT: 128 + 2');
    t.equal(
      logEvents(output, 'signal_forwarded')[0]?.signal,
      2,
      'memshim (the foreground group) got SIGINT and forwarded it',
    );
  },
);
