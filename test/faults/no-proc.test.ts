// Issue 9 item 3: a container without /proc mounted (a minimal runtime, a sandbox) must still start its command:
// memshim warns about what it cannot do and falls back ("warn and fall back, never block a start").
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cannotUnshare } from '../helpers/init.js';
import { shRaw } from '../helpers/sh-raw.js';

const skip =
  cannotUnshare() ||
  (spawnSync('unshare', ['--mount', 'sh', '-c', 'umount -l /proc']).status === 0
    ? false
    : 'cannot unmount /proc in a mount namespace');

for (const [mode, env] of [
  ['koffi', process.env],
  ['no koffi', { ...process.env, MEMSHIM_NO_KOFFI: '1' }],
] as const) {
  t.test(`no /proc (${mode}): the child starts, its status comes back, memshim warns`, { skip }, async (t) => {
    const ran = shRaw(
      `exec unshare --mount sh -c 'umount -l /proc && exec "$MEMSHIM" -- sh -c "echo started; exit 3"'`,
      env,
    );
    t.equal(ran.code, 3, `the child's status (stderr: ${ran.stderr.slice(0, 300)})`);
    t.equal(ran.stdout.toString(), 'started\n');
    t.notMatch(ran.stderr, /internal error/);
  });
}
