// Issues 9 (item 9), 11 and 12: memshim's own memory stays within what it takes out of the child's budget
// (src/commands/run.ts, OWN_MEMORY_BYTES, measured by bench/own-memory.ts), under load, and --dry-run says
// the figure it plans with. The npm package here; the single executable: test/packaging/own-memory.test.ts.
import t from 'tap';
import { MEMSHIM, runMemshim } from '../helpers/memshim.js';
import { cannotUnshare } from '../helpers/init.js';
import { canMakeCgroups } from '../helpers/real-cgroup.js';
import { assertWithinReservation } from '../helpers/own-memory.js';
import { ownMemoryBytes } from '../../src/commands/run.js';

const MiB = 1024 * 1024;
const skip = cannotUnshare() || canMakeCgroups() || false;

t.test('--dry-run plans with the npm package figure, with and without the health server', async (t) => {
  const plain = runMemshim(['--dry-run', '--memory', '512Mi', '--', 'node', 'app.js']);
  t.equal(plain.code, 0, plain.stderr);
  t.match(plain.stdout, `512 MiB limit − memshim ${ownMemoryBytes('npm', false) / MiB} MiB`);
  const health = runMemshim(['--dry-run', '--memory', '512Mi', '--health-port', '9464', '--', 'node', 'app.js']);
  t.match(health.stdout, `512 MiB limit − memshim ${ownMemoryBytes('npm', true) / MiB} MiB`);
  const exec = runMemshim(['--dry-run', '--exec', '--memory', '512Mi', '--', 'node', 'app.js']);
  t.notMatch(exec.stdout, '− memshim', '--exec: memshim is gone once the command runs, nothing reserved');
});

t.test('scraped during orphan floods, memshim stays within what it reserves (npm)', { skip }, async (t) => {
  await assertWithinReservation(t, MEMSHIM, 'npm');
});
