// memshim as PID 1 forwards what it receives: every catchable signal (the real-time ones too), to the
// child's group or to the child alone, rewritten or dropped as --rewrite says; TSTP stops the group; a child
// that ignores SIGTERM is killed once the grace period is over.
import t from 'tap';
import { FORWARDED_SIGNALS, SIG } from '../../src/supervisor/signals.js';
import { cannotUnshare, startMemshim } from '../helpers/init.js';
import { childrenOf, processState, until } from '../helpers/proc.js';
import { cProgram } from '../helpers/c-program.js';
import { logEvents } from '../helpers/log-lines.js';

const skip = cannotUnshare();

/** Starts memshim (PID 1) over the recorder; resolves once the recorder (and its grandchild) are ready. */
async function withRecorder(args: string[], fork = false) {
  const init = startMemshim(['--log-level', 'debug', ...args, '--', cProgram('recorder'), ...(fork ? ['fork'] : [])]);
  await init.line(/^child ready/);
  if (fork) await init.line(/^grandchild ready/);
  const memshim = await init.memshimPid();
  await until(() => childrenOf(memshim).length > 0);
  const child = childrenOf(memshim)[0]!;
  return { init, memshim, child };
}

t.test('every forwarded signal reaches the child, 1-31 and the real-time ones 34-64', { skip }, async (t) => {
  const { init, memshim } = await withRecorder(['--grace-period', '0.2']);
  const sent = FORWARDED_SIGNALS.filter((n) => n !== SIG.TERM && n !== SIG.TSTP && n !== SIG.TTIN && n !== SIG.TTOU);
  t.ok(
    sent.includes(34) && sent.includes(64) && sent.includes(SIG.USR1) && sent.includes(SIG.CONT),
    'the list holds RT and the usual ones',
  );
  for (const n of sent) {
    process.kill(memshim, n);
    await init.line(new RegExp(`^child sig ${n} `));
  }
  t.pass(`${sent.length} signals forwarded, each seen by the child's handler`);
  t.notOk(
    init.lines().some((line) => line.includes(`sig ${SIG.CHLD} `)),
    'SIGCHLD is never forwarded',
  );

  // Last: SIGTERM. The recorder survives it, so after the grace period memshim kills it: 128 + 9.
  process.kill(memshim, SIG.TERM);
  await init.line(/^child sig 15 /);
  const exit = await init.exit;
  t.equal(exit.code, 137, 'a child that ignores SIGTERM is SIGKILLed after the grace period; memshim exits 137');
  t.equal(logEvents(init.stderr(), 'grace_expired').length, 1, 'grace_expired logged');
  t.ok(logEvents(init.stderr(), 'signal_forwarded').length >= sent.length + 1, 'each forward is logged at debug');
  t.equal(logEvents(init.stderr(), 'shutdown')[0]?.reason, 'signal');
});

t.test('a shell that traps SIGTERM is killed after the grace period', { skip }, async (t) => {
  const init = startMemshim([
    '--log-level',
    'warn',
    '--grace-period',
    '0.3',
    '--',
    'sh',
    '-c',
    'trap "" TERM; echo ready; while :; do sleep 0.05; done',
  ]);
  await init.line(/^ready/);
  process.kill(await init.memshimPid(), 'SIGTERM');
  t.equal((await init.exit).code, 137);
});

t.test('--rewrite maps one signal to another and 0 drops one', { skip }, async (t) => {
  const { init, memshim, child } = await withRecorder([
    '--grace-period',
    '30',
    '--rewrite',
    '15:3',
    '--rewrite',
    'USR1:0',
    '--rewrite',
    'RTMIN+2:RTMIN+5',
  ]);
  process.kill(memshim, 'SIGTERM');
  await init.line(/^child sig 3 /);
  process.kill(memshim, 36);
  await init.line(/^child sig 39 /);
  process.kill(memshim, 'SIGUSR1');
  process.kill(memshim, 'SIGUSR2');
  await init.line(/^child sig 12 /);
  const seen = init
    .lines()
    .filter((line) => line.startsWith('child sig'))
    .map((line) => Number(line.split(' ')[2]));
  t.same(seen, [3, 39, 12], 'TERM arrived as QUIT, RTMIN+2 as RTMIN+5, USR1 not at all');
  process.kill(child, 'SIGKILL');
  t.equal((await init.exit).code, 137, "the child's death by SIGKILL is memshim's 137");
});

for (const singleChild of [false, true]) {
  t.test(
    singleChild ? '--single-child: only the child is signalled' : 'default: the whole process group is signalled',
    { skip },
    async (t) => {
      const { init, child } = await withRecorder(
        ['--grace-period', '0.2', ...(singleChild ? ['--single-child'] : [])],
        true,
      );
      const memshim = await init.memshimPid();
      const grandchild = childrenOf(child)[0]!;
      process.kill(memshim, 'SIGUSR1');
      await init.line(/^child sig 10 /);
      // Sent straight to the grandchild after memshim's forward: a forwarded USR1 would be seen before it.
      process.kill(grandchild, 'SIGUSR2');
      await init.line(/^grandchild sig 12 /);
      const grandchildGot = init
        .lines()
        .filter((line) => line.startsWith('grandchild sig'))
        .map((line) => Number(line.split(' ')[2]));
      t.same(
        grandchildGot,
        singleChild ? [12] : [10, 12],
        singleChild ? 'the grandchild got nothing from memshim' : 'the grandchild got USR1 too',
      );
      process.kill(child, 'SIGKILL');
      await init.exit;
      const target = logEvents(init.stderr(), 'signal_forwarded')[0]?.target as number;
      t.ok(singleChild ? target > 0 : target < 0, 'logged target: the pid, or minus the group id');
    },
  );
}

t.test('SIGTSTP stops the child group (as STOP, like dumb-init), SIGCONT resumes it', { skip }, async (t) => {
  const { init, memshim, child } = await withRecorder(['--grace-period', '0'], true);
  const grandchild = childrenOf(child)[0]!;
  process.kill(memshim, 'SIGTSTP');
  await until(() => processState(child) === 'T' && processState(grandchild) === 'T');
  t.pass('child and grandchild stopped');
  t.equal(processState(memshim) === 'T', false, 'PID 1 does not stop itself');
  process.kill(memshim, 'SIGCONT');
  await init.line(/^child sig 18 /);
  await init.line(/^grandchild sig 18 /);
  t.not(processState(child), 'T', 'running again');
  process.kill(memshim, 'SIGTERM');
  t.equal((await init.exit).code, 137, 'grace period 0: SIGKILL at once');
});
