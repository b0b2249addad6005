// What a user sees of memshim's init duties from outside: exit codes passed through, 127/126 with one line,
// orphans reaped (as PID 1, and as child subreaper when not PID 1), leftovers stopped at shutdown, the child's
// clean signal state, and --exec leaving nothing of memshim behind.
import t from 'tap';
import fc from 'fast-check';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cannotUnshare, startMemshim } from '../helpers/init.js';
import { cProgram } from '../helpers/c-program.js';
import { logEvents } from '../helpers/log-lines.js';
import { processState } from '../helpers/proc.js';

const skip = cannotUnshare();

/** memshim as PID 1 running `sh -c SCRIPT`; resolves with its exit code, stdout lines and stderr. */
async function runShell(script: string, args: string[] = [], pid1 = true) {
  const init = startMemshim(['--log-level', 'warn', '--no-monitor', ...args, '--', 'sh', '-c', script], { pid1 });
  const exit = await init.exit;
  return { code: exit.code, lines: init.lines(), stderr: init.stderr() };
}

t.test('exit codes 0-255 pass through (boundaries and a random sample)', { skip }, async (t) => {
  const codes = [
    0,
    1,
    2,
    126,
    127,
    128,
    254,
    255,
    ...fc.sample(fc.integer({ min: 3, max: 253 }), { numRuns: 8, seed: 4 }),
  ];
  const results = await Promise.all(codes.map((code) => runShell(`exit ${code}`)));
  t.same(
    results.map((r) => r.code),
    codes,
  );
});

t.test('death by signal N exits 128+N', { skip }, async (t) => {
  const signals = [1, 2, 3, 6, 9, 10, 15, 31];
  const results = await Promise.all(signals.map((n) => runShell(`kill -${n} $$`)));
  t.same(
    results.map((r) => r.code),
    signals.map((n) => 128 + n),
  );
});

t.test('127 when the command is not found, 126 when it cannot be executed; one line naming it', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'memshim-exec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const notExecutable = join(dir, 'not-executable');
  writeFileSync(notExecutable, '#!/bin/sh\necho no\n');
  const noFormat = join(dir, 'no-format');
  writeFileSync(noFormat, '\x7fELF garbage');
  chmodSync(noFormat, 0o755);
  const cases: [string[], number, RegExp][] = [
    [['memshim-no-such-command'], 127, /memshim-no-such-command: command not found/],
    [[join(dir, 'missing')], 127, /missing: command not found/],
    [[notExecutable], 126, /not-executable: cannot execute \(permission denied\)/],
    [[dir], 126, /cannot execute/],
    [[noFormat], 126, /no-format: cannot execute \(exec format error\)/],
  ];
  for (const [argv, code, line] of cases) {
    for (const mode of [[], ['--exec']]) {
      const init = startMemshim(['--log-level', 'warn', '--no-monitor', ...mode, '--', ...argv]);
      t.equal((await init.exit).code, code, `${argv[0]} ${mode.join('')}: ${code}`);
      const errors = init
        .stderr()
        .trim()
        .split('\n')
        .filter((l) => l.includes('"level":50'));
      t.equal(errors.length, 1, 'one error line');
      t.match(errors[0], line);
    }
  }
});

t.test('2000 orphans re-parented to PID 1 are all reaped, none left', { skip }, async (t) => {
  const init = startMemshim(['--log-level', 'warn', '--', cProgram('orphans'), '2000']);
  const [, left] = (await init.line(/^left (\d+) ms/))!;
  t.equal(Number(left), 0, 'PID 1 has no child left but the watcher: no zombie, no orphan');
  t.equal((await init.exit).code, 0);
});

t.test(
  'a backlog of 2000 zombies (memshim stopped while they died) is reaped once it runs again',
  { skip },
  async (t) => {
    const init = startMemshim(['--log-level', 'warn', '--', cProgram('orphans'), '2000', 'backlog'], { stdin: true });
    const memshim = await init.memshimPid();
    await init.line(/^armed/);
    process.kill(memshim, 'SIGSTOP');
    init.proc.stdin!.write('g');
    await init.line(/^backlog/);
    process.kill(memshim, 'SIGCONT');
    init.proc.stdin!.write('g');
    const [, left] = (await init.line(/^left (\d+) ms/))!;
    t.equal(Number(left), 0);
    t.equal((await init.exit).code, 0);
  },
);

t.test('the main child exits: leftovers get SIGTERM, then SIGKILL after the grace period', { skip }, async (t) => {
  // A daemon that ignores SIGTERM and one that does not; the main child exits 3 at once.
  const script = `(trap "" TERM; echo stubborn $$; exec sleep 100) & (exec sleep 100) & sleep 0.1; echo started; exit 3`;
  const init = startMemshim(['--log-level', 'info', '--no-monitor', '--grace-period', '0.5', '--', 'sh', '-c', script]);
  const exit = await init.exit;
  t.equal(exit.code, 3, "memshim exits with the main child's status");
  t.equal(logEvents(init.stderr(), 'shutdown')[0]?.reason, 'child-exited');
  t.equal(logEvents(init.stderr(), 'grace_expired').length, 1, 'the stubborn one needed SIGKILL');
});

t.test('the child starts with an empty signal mask and default dispositions', { skip }, async (t) => {
  for (const mode of [[], ['--exec']]) {
    const init = startMemshim([
      '--log-level',
      'warn',
      '--no-monitor',
      ...mode,
      '--',
      'grep',
      '-E',
      '^Sig(Blk|Ign)',
      '/proc/self/status',
    ]);
    await init.exit;
    t.same(
      init.lines().filter(Boolean),
      ['SigBlk:\t0000000000000000', 'SigIgn:\t0000000000000000'],
      `mode ${mode.join('') || 'supervised'}`,
    );
  }
});

t.test('not PID 1: memshim becomes child subreaper (said at debug), adopts and reaps orphans', { skip }, async (t) => {
  // The inner shell starts sleep and exits: sleep is an orphan whose new parent must be memshim.
  const script = `pid=$(sh -c 'sleep 100 >/dev/null & echo $!'); echo orphan $pid; grep PPid /proc/$pid/status`;
  const init = startMemshim(['--log-level', 'debug', '--no-monitor', '--grace-period', '5', '--', 'sh', '-c', script], {
    pid1: false,
  });
  const [, orphan] = (await init.line(/^orphan (\d+)/))!;
  const [, ppid] = (await init.line(/^PPid:\s+(\d+)/))!;
  t.equal(Number(ppid), init.proc.pid, 'the orphan was re-parented to memshim');
  t.equal((await init.exit).code, 0, 'shutdown SIGTERMs the adopted sleep; memshim exits with the child status');
  t.equal(processState(Number(orphan)), null, 'the orphan is gone (reaped, not a zombie)');
  const subreaper = logEvents(init.stderr(), 'subreaper')[0];
  t.equal(subreaper?.level, 20, 'logged at debug');
  t.equal(subreaper?.ok, true);
  t.equal(logEvents(init.stderr(), 'reaped').length, 0, 'per-orphan lines only at trace');
});

t.test('--exec: the command replaces memshim, nothing of memshim stays', { skip }, async (t) => {
  const script = 'cat /proc/1/comm; for p in /proc/[0-9]*; do cat $p/comm; done | sort -u | tr "\\n" " "';
  const { code, lines } = await runShell(script, ['--exec']);
  t.equal(code, 0);
  t.equal(lines[0], 'sh', 'PID 1 is the command itself');
  t.notMatch(lines[1] ?? '', /node|memshim/, `no node process in the namespace: ${lines[1]}`);
  const passed = await runShell('exit 7', ['--exec']);
  t.equal(passed.code, 7);
});

t.test('--exec: stdio is blocking and stays open for the command', { skip }, async (t) => {
  const script = 'python3 -c "import os,sys; print(os.get_blocking(0), os.get_blocking(1), os.get_blocking(2))"';
  for (const mode of [[], ['--exec']]) {
    const { lines } = await runShell(script, mode);
    t.equal(lines[0], 'True True True', `mode ${mode.join('') || 'supervised'}`);
  }
});
