// The single executable's own memory under a long run of scrapes of its health server stays within what it
// reserves with the health server (src/commands/run.ts, OWN_MEMORY_BYTES; issue 9, item 9). A file of its own,
// beside own-memory.test.ts: its 12000 scrapes took 10-50 s here, with tap's 120 s for each file. The npm
// package: test/faults/own-memory-scrapes.test.ts.
import t from 'tap';
import { BINARY, BINARY_SKIP, ensureBinary } from '../helpers/binary.js';
import { cannotUnshare } from '../helpers/init.js';
import { canMakeCgroups } from '../helpers/real-cgroup.js';
import { assertWithinReservationScraped } from '../helpers/own-memory.js';

const skip = BINARY_SKIP || cannotUnshare() || canMakeCgroups() || false;

t.before(() => {
  if (!skip) ensureBinary();
});

t.test('scraped thousands of times, the single executable stays within what it reserves', { skip }, async (t) => {
  await assertWithinReservationScraped(t, BINARY, 'single-executable');
});
