// The single executable's own memory stays within what it takes out of the child's budget (src/commands/run.ts,
// OWN_MEMORY_BYTES['single-executable'], measured by bench/own-memory.ts), under load, and its --dry-run says
// that figure. The npm package: test/faults/own-memory.test.ts.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { BINARY, BINARY_SKIP, ensureBinary } from '../helpers/binary.js';
import { cannotUnshare } from '../helpers/init.js';
import { canMakeCgroups } from '../helpers/real-cgroup.js';
import { assertWithinReservation } from '../helpers/own-memory.js';
import { ownMemoryBytes } from '../../src/commands/run.js';

const MiB = 1024 * 1024;

t.before(() => {
  if (!BINARY_SKIP) ensureBinary();
});

t.test('--dry-run plans with the single executable figure', { skip: BINARY_SKIP }, async (t) => {
  for (const health of [false, true]) {
    const args = ['--dry-run', '--memory', '512Mi', ...(health ? ['--health-port', '9464'] : []), '--', 'node', 'a.js'];
    const ran = spawnSync(BINARY, args, { encoding: 'utf8', env: { PATH: process.env.PATH } });
    t.equal(ran.status, 0, ran.stderr);
    t.match(ran.stdout, `512 MiB limit − memshim ${ownMemoryBytes('single-executable', health) / MiB} MiB`);
  }
});

t.test(
  'scraped during orphan floods, the single executable stays within what it reserves',
  { skip: BINARY_SKIP || cannotUnshare() || canMakeCgroups() || false },
  async (t) => {
    await assertWithinReservation(t, BINARY, 'single-executable');
  },
);
