// Issue 9 item 2: memshim must not kill its application with a SIGPIPE its own write raised. Its stderr is a
// pipe whose reader went away (a logging driver restarted, a closed `docker logs`); memshim has a line to log
// (a forwarded signal, at debug): the write fails, and that must stay memshim's business. The child is told
// USR1 and exits 3: memshim must exit 3, not 141 (the child killed by a forwarded SIGPIPE).
import t from 'tap';
import { cannotUnshare, startMemshim } from '../helpers/init.js';

const skip = cannotUnshare();

for (const [mode, env] of [
  ['koffi', process.env],
  ['no koffi', { ...process.env, MEMSHIM_NO_KOFFI: '1' }],
] as const) {
  for (const pid1 of [true, false]) {
    t.test(
      `stderr closed under memshim (${mode}, ${pid1 ? 'PID 1' : 'not PID 1'}): the child's status, no SIGPIPE forwarded`,
      { skip },
      async (t) => {
        // The child's own stderr goes elsewhere: its writes to the dead pipe would be its own SIGPIPE.
        const script = 'exec 2>/dev/null; trap "exit 3" USR1; echo ready; while :; do sleep 0.02; done';
        const init = startMemshim(
          ['--log-level', 'debug', '--no-monitor', '--grace-period', '2', '--', 'sh', '-c', script],
          { env, pid1 },
        );
        await init.line(/^ready/);
        init.proc.stderr!.destroy();
        process.kill(await init.memshimPid(), 'SIGUSR1');
        const exit = await init.exit;
        t.equal(exit.code, 3, 'the child exited 3 on USR1; memshim passes that on');
      },
    );
  }
}
