// Issue 9 item 5: at shutdown each process gets SIGTERM once, even one that is both in the child's process
// group (so the group signal reaches it) and memshim's own child (an orphan it adopted). A program that takes
// a second SIGTERM as "exit now" must get its graceful shutdown. term-counter prints one line per SIGTERM it
// handles, and its handler lingers so that a second one cannot merge with the first.
import t from 'tap';
import { cannotUnshare, startMemshim } from '../helpers/init.js';
import { faultProgram } from '../helpers/c-program.js';

const skip = cannotUnshare();

for (const pid1 of [true, false]) {
  t.test(
    `a leftover in the child's group and adopted by memshim gets one SIGTERM (${pid1 ? 'PID 1' : 'subreaper'})`,
    { skip },
    async (t) => {
      // The counter starts in the background (same group), the shell exits: the counter is an orphan, memshim's.
      const init = startMemshim(
        [
          '--log-level',
          'warn',
          '--no-monitor',
          '--grace-period',
          '1.5',
          '--',
          'sh',
          '-c',
          `${faultProgram('term-counter')} & sleep 0.3; exit 3`,
        ],
        { pid1 },
      );
      await init.line(/^ready \d+/);
      const exit = await init.exit;
      t.equal(exit.code, 3, "the main child's status");
      t.equal(
        init.lines().filter((line) => line.startsWith('term ')).length,
        1,
        `one SIGTERM: ${JSON.stringify(init.lines())}`,
      );
    },
  );
}
