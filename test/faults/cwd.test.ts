// Issue 9 item 7: memshim does not hold the directory it was started in (dumb-init does chdir("/")): a volume
// it was started in can be unmounted. The child keeps that directory.
import t from 'tap';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cannotUnshare, startMemshim } from '../supervisor/harness.js';

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
    // memshim moves in the same turn as the spawn: by the time the child has printed, it is done.
    t.equal(readlinkSync(`/proc/${memshim}/cwd`), '/', "memshim's own cwd is /");
    process.kill(memshim, 'SIGTERM');
    t.equal((await init.exit).code, 143);
  });
}
