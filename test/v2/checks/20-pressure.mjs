// The pressure warning, driven by the kernel's real PSI: a hog held over memory.high with no swap to reclaim to
// is throttled by the kernel (time that PSI counts as stalled on memory), and memshim warns of sustained pressure.
import { assert, equal, CHURN, keyed, makeCgroup, memshim, readCgroup, removeCgroup, MiB } from '../lib.mjs';

export const checks = [
  [
    'memory.high throttling: PSI some avg10 rises, memshim warns once, memory.events counts high',
    async () => {
      try {
        // memshim lives in the cgroup too, and the kernel delays whoever charges pages over memory.high, in proportion
        // to the pages charged: a little over (the churn's 32 MiB rounds), the churn stalls and memshim barely does.
        makeCgroup('v2-psi', { 'memory.max': 1024 * MiB, 'memory.high': 100 * MiB, 'memory.swap.max': 0 });
        const proc = memshim('v2-psi', ['--monitor-interval', '0.5', '--', CHURN, '64', '32', '200']);
        let warned;
        try {
          warned = await proc.line(
            (l) => l.event === 'memory_pressure' && l.kind === 'sustained',
            300_000,
            'sustained-pressure warning',
          );
        } catch (error) {
          error.message += `\nmemory.pressure: ${readCgroup('v2-psi', 'memory.pressure')}\nmemory.events: ${readCgroup('v2-psi', 'memory.events')}\nmemory.current: ${readCgroup('v2-psi', 'memory.current')}`;
          throw error;
        }
        assert(warned.psiSomeAvg10 >= 10, 'warned at PSI some avg10 >= 10%', warned);
        const events = keyed(readCgroup('v2-psi', 'memory.events'));
        assert(events.high > 0, 'memory.events high counts the throttling', events);
        equal(events.oom_kill, 0, 'no OOM kill: memory.high throttles, it does not kill');
        proc.kill('SIGTERM');
        await proc.ended();
        equal(proc.lines.filter((l) => l.kind === 'sustained').length, 1, 'one warning, not one per reading');
      } finally {
        await removeCgroup('v2-psi');
      }
    },
  ],
];
