// Issue 9 (item 9): an orphan flood without the health server keeps memshim within what it reserves without it
// (OWN_MEMORY_BYTES, src/commands/run.ts). bench/faults.ts found the npm package at 16.8-17.3 MiB (18.9 by hand)
// over 20k orphans, past its 17 MiB: what each reap event kept for a moment was promoted and stayed until Node
// 20's first full collection (src/common/own-heap.ts, collectInFull). A file of its own: 20k orphans take 30-40 s.
import t from 'tap';
import { MEMSHIM } from '../helpers/memshim.js';
import { cannotUnshare } from '../helpers/init.js';
import { canMakeCgroups } from '../helpers/real-cgroup.js';
import { ownMemoryUnderFlood } from '../helpers/own-memory.js';
import { ownMemoryBytes } from '../../src/commands/run.js';

const MiB = 1024 * 1024;
const skip = cannotUnshare() || canMakeCgroups() || false;

t.test('20000 orphans in waves of 2000: memshim (npm) stays within what it reserves', { skip }, async (t) => {
  const load = await ownMemoryUnderFlood(MEMSHIM, 20000, 2000);
  t.equal(load.code, 0, 'every wave made its orphans; the child exited 0');
  t.equal(load.left, 0, `every orphan reaped (${load.made} made)`);
  const reserved = ownMemoryBytes('npm', false);
  t.ok(
    load.peakAnonBytes <= reserved,
    `peak RssAnon ${(load.peakAnonBytes / MiB).toFixed(1)} MiB within the ${reserved / MiB} MiB reserved`,
  );
});
