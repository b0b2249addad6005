// Issue 9 item 7: memshim does not hold the directory it was started in (dumb-init does chdir("/")): a volume
// it was started in can be unmounted. The child keeps that directory.
import t from 'tap';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cannotUnshare, startMemshim } from '../helpers/init.js';

const skip = cannotUnshare();

for (const [mode, env] of [
  ['koffi', process.env],
  ['no koffi', { ...process.env, MEMSHIM_NO_KOFFI: '1' }],
] as const) {
  t.test(`memshim moves to / after the spawn, the child keeps its cwd (${mode})`, { skip }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'memshim-cwd-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const init = startMemshim(['--log-level', 'warn', '--no-monitor', '--', 'sh', '-c', 'pwd; exec sleep 100'], {
      env,
      pid1: false,
      cwd: dir,
    });
    const [cwdLine] = (await init.line(/^\/.*/))!;
    const memshim = await init.memshimPid();
    t.equal(cwdLine, dir, "the child's cwd is where memshim was started");
    // memshim moves in the same turn as the spawn; the child may print before that turn ends on a loaded
    // machine, so look again until it has (a wait for the state, not a limit on the time it takes).
    let cwd = readlinkSync(`/proc/${memshim}/cwd`);
    for (let tries = 0; cwd !== '/' && tries < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      cwd = readlinkSync(`/proc/${memshim}/cwd`);
    }
    t.equal(cwd, '/', "memshim's own cwd is /");
    process.kill(memshim, 'SIGTERM');
    t.equal((await init.exit).code, 143);
  });
}
