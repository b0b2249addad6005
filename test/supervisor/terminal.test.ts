// memshim on a terminal (a real pty from Python's pty module): the child's group takes the foreground, so
// Ctrl-C reaches the child straight from the terminal, as it would without memshim. And the plan's rlimits
// hold in the child from its start (--python-memory-cap).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { ensureBuilt, MEMSHIM } from '../helpers/memshim.js';
import { logEvents } from './harness.js';

// Runs argv on a new pty; writes `answer` once `cue` was printed; prints what the terminal showed, then the status.
const PTY_DRIVER = `
import json, os, pty, sys
argv, cue, answer = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
seen, sent = b'', False
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
    if cue and not sent and cue.encode() in seen:
        os.write(fd, answer.encode())
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors='replace'))
print('STATUS', os.waitstatus_to_exitcode(status))
`;

function onPty(args: string[], cue = '', answer = '') {
  ensureBuilt();
  // env -u NODE_OPTIONS: tap's hooks would otherwise load into memshim (see harness.ts).
  const argv = ['env', '-u', 'NODE_OPTIONS', MEMSHIM, ...args];
  const ran = spawnSync('python3', ['-c', PTY_DRIVER, JSON.stringify([argv, cue, answer])], { encoding: 'utf8' });
  // The terminal echoes Ctrl-C as ^C in front of the next line.
  const output = ran.stdout.replace(/\r/g, '').replace(/\^C/g, '\n');
  return { output, status: Number(/STATUS (-?\d+)/.exec(output)?.[1]) };
}

const skip = spawnSync('python3', ['-c', 'import pty']).status === 0 ? false : 'needs python3 with pty';

t.test('on a terminal, the child is the foreground process group', { skip }, async (t) => {
  const { output, status } = onPty(['--log-level', 'warn', '--no-monitor', '--', 'python3', '-c', 'import os; print("foreground", os.tcgetpgrp(0) == os.getpgrp(), os.getpgrp() == os.getpid())']);
  t.match(output, /foreground True True/, 'the child leads its own group and owns the terminal');
  t.equal(status, 0);
});

t.test('Ctrl-C on the terminal reaches the child directly, not through memshim', { skip }, async (t) => {
  const { output, status } = onPty(['--log-level', 'debug', '--no-monitor', '--', 'sh', '-c', 'echo ready; exec sleep 100'], 'ready', '\x03');
  t.equal(status, 130, 'the child died of SIGINT: 128 + 2');
  t.equal(logEvents(output, 'signal_forwarded').length, 0, 'memshim (in the background group) got no SIGINT to forward');
  t.equal(logEvents(output, 'child_exit')[0]?.signal, 2);
});

t.test('--python-memory-cap: the rlimit holds in the child from its start, stdio and signals as usual', async (t) => {
  ensureBuilt();
  const script = 'import resource, os; print(resource.getrlimit(resource.RLIMIT_DATA)[0], os.get_blocking(1)); print(os.getppid())';
  const ran = spawnSync('env', ['-u', 'NODE_OPTIONS', MEMSHIM, '--log-level', 'warn', '--no-monitor', '--memory', '512Mi', '--python-memory-cap', '--', 'python3', '-c', script], { encoding: 'utf8' });
  const [limit, blocking] = ran.stdout.split('\n')[0]!.split(' ');
  t.ok(Number(limit) > 0 && Number(limit) < 512 * 2 ** 20, `RLIMIT_DATA ${limit} below the 512Mi limit`);
  t.equal(blocking, 'True');
  t.equal(Number(ran.stdout.split('\n')[1]), ran.pid, 'python is memshim\'s own child (the helper exec\'d in place)');
  t.equal(ran.status, 0);
});
