// memshim on a terminal (a real pty from Python's pty module): the child's group takes the foreground, so
// Ctrl-C reaches the child straight from the terminal, as it would without memshim. And the plan's rlimits
// hold in the child from its start (--python-memory-cap).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { ensureBuilt, MEMSHIM } from '../helpers/memshim.js';
import { logEvents } from '../helpers/log-lines.js';
import { onPty, ptyUnsupported } from '../helpers/pty.js';

const skip = ptyUnsupported();

t.test('on a terminal, the child is the foreground process group', { skip }, async (t) => {
  const { output, status } = onPty([
    '--log-level',
    'warn',
    '--no-monitor',
    '--',
    'python3',
    '-c',
    'import os; print("foreground", os.tcgetpgrp(0) == os.getpgrp(), os.getpgrp() == os.getpid())',
  ]);
  t.match(output, /foreground True True/, 'the child leads its own group and owns the terminal');
  t.equal(status, 0);
});

t.test('Ctrl-C on the terminal reaches the child directly, not through memshim', { skip }, async (t) => {
  const { output, status } = onPty(
    ['--log-level', 'debug', '--no-monitor', '--', 'sh', '-c', 'echo ready; exec sleep 100'],
    [['ready', '\x03']],
  );
  t.equal(status, 130, 'the child died of SIGINT: 128 + 2');
  t.equal(
    logEvents(output, 'signal_forwarded').length,
    0,
    'memshim (in the background group) got no SIGINT to forward',
  );
  t.equal(logEvents(output, 'child_exit')[0]?.signal, 2);
});

for (const [mode, env] of [
  ['', ''],
  [' (without koffi: memshim forwards what the terminal sends it)', 'MEMSHIM_NO_KOFFI=1 '],
]) {
  t.test(
    `job control from an interactive shell: Ctrl-Z stops the job, fg resumes it with the terminal${mode}`,
    { skip },
    async (t) => {
      // bash -i on the pty runs memshim as a job; the child prints a line per line it reads from the terminal.
      const memshim = `env -u NODE_OPTIONS ${env}${MEMSHIM} --log-level warn --no-monitor -- sh -c 'echo $((6*7))-ready; while read l; do echo got-$l; done'`;
      const { output, status } = onPty(
        [],
        [
          ['$ ', `${memshim}\n`],
          // Cues the typed command line does not hold: only the child's own output matches.
          ['42-ready', '\x1a'],
          ['Stopped', 'echo back-$((40+2))\n'],
          ['back-42', 'fg\n'],
          ['while read', 'line1\n'],
          ['got-line1', '\x03'],
          ['$ ', 'echo status=$?; exit\n'],
        ],
        ['env', 'PS1=$ ', 'bash', '--norc', '--noprofile', '-i'],
      );
      if (!/status=130/.test(output)) t.comment(output);
      t.match(output, /Stopped/, 'the shell saw its job stop (memshim stopped with the child)');
      t.match(output, /back-42/, 'the shell had the terminal back');
      t.match(output, /got-line1/, 'after fg the child reads the terminal again');
      t.match(output, /status=130/, 'Ctrl-C after fg: the child died of SIGINT, memshim exited 130');
      t.equal(status, 0);
    },
  );
}

t.test('--python-memory-cap: the rlimit holds in the child from its start, stdio and signals as usual', async (t) => {
  ensureBuilt();
  const script =
    'import resource, os; print(resource.getrlimit(resource.RLIMIT_DATA)[0], os.get_blocking(1)); print(os.getppid())';
  const ran = spawnSync(
    'env',
    [
      '-u',
      'NODE_OPTIONS',
      MEMSHIM,
      '--log-level',
      'warn',
      '--no-monitor',
      '--memory',
      '512Mi',
      '--python-memory-cap',
      '--',
      'python3',
      '-c',
      script,
    ],
    { encoding: 'utf8' },
  );
  const [limit, blocking] = ran.stdout.split('\n')[0]!.split(' ');
  t.ok(Number(limit) > 0 && Number(limit) < 512 * 2 ** 20, `RLIMIT_DATA ${limit} below the 512Mi limit`);
  t.equal(blocking, 'True');
  t.equal(Number(ran.stdout.split('\n')[1]), ran.pid, "python is memshim's own child (the helper exec'd in place)");
  t.equal(ran.status, 0);
});
