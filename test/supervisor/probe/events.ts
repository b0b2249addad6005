// Not a test by itself: contract.test.ts runs this file as PID 1 of a new PID namespace (MEMSHIM_EVENTS_PROBE=1)
// to watch the SupervisorHandle the way the monitor and the health server do, and print what it saw.
import { superviseSh } from '../../helpers/supervise-sh.js';

if (process.env.MEMSHIM_EVENTS_PROBE === '1') {
  // An orphan (sleep, once its shell exits), a signal through PID 1 (USR1, ignored by the child), exit 5 once
  // PID 1 has reaped the orphan (kill -0 succeeds on a zombie until it is reaped).
  const withOrphan =
    'trap "" USR1; pid=$(sh -c "sleep 0.1 >/dev/null & echo \\$!"); kill -USR1 1; while kill -0 $pid 2>/dev/null; do sleep 0.01; done; exit 5';
  // Without koffi (MEMSHIM_NO_KOFFI=1) no orphan is ever reaped: the child waits for the forwarded USR1 instead.
  const withoutOrphan = 'trap "got=1" USR1; kill -USR1 1; while [ -z "$got" ]; do sleep 0.01; done; exit 5';
  const script = process.env.MEMSHIM_NO_KOFFI === '1' ? withoutOrphan : withOrphan;
  const handle = await superviseSh(script);
  const events: unknown[][] = [];
  const pidAtReturn = handle.pid;
  handle.on('spawn', (pid: number) => events.push(['spawn', pid === pidAtReturn, handle.running]));
  handle.on('signal', (signal: number, target: number) => events.push(['signal', signal, target === -pidAtReturn!]));
  handle.on('reaped', (r: { pid: number; main: boolean; code: number | null; signal: number | null; at: number }) =>
    events.push([
      'reaped',
      r.main,
      r.code,
      r.signal,
      r.main === (r.pid === pidAtReturn),
      typeof r.at === 'number',
      handle.running,
    ]),
  );
  handle.on('shutdown', (reason: string) => events.push(['shutdown', reason, handle.shuttingDown]));
  const code = await handle.exitCode;
  process.stdout.write(
    `${JSON.stringify({ code, events, zombiesReaped: handle.stats.zombiesReaped, forwarded: [...handle.stats.signalsForwarded], running: handle.running })}\n`,
  );
  process.exit(0);
}
