// The single executable writes koffi's native module to a private temporary directory to load it. A SIGKILL
// during a start must not leave it behind for good ($TMPDIR may be an emptyDir kept across container restarts):
// the next start removes what dead memshims left, and keeps what live ones hold.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BINARY, ensureBinary } from '../helpers/binary.js';

if (process.platform !== 'linux' || process.arch !== 'x64') {
  t.plan(0, 'the single executable is Linux x64 only');
} else {
  ensureBinary();

  const privateTmp = (t: { teardown(fn: () => void): void }) => {
    const dir = mkdtempSync(join(tmpdir(), 'memshim-koffi-test-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };
  const env = (dir: string): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, TMPDIR: dir, MEMSHIM_LOG_LEVEL: 'warn' };
    delete e.NODE_OPTIONS;
    return e;
  };
  const leftovers = (dir: string) => readdirSync(dir).filter((name) => name.startsWith('memshim-koffi-'));

  t.test('a start removes the directories of dead memshims and keeps those of live ones', async (t) => {
    const dir = privateTmp(t);
    const gone = spawnSync('true');
    const deadPid = gone.pid!;
    const dead = join(dir, `memshim-koffi-${deadPid}-AbC123`);
    const live = join(dir, `memshim-koffi-${process.pid}-XyZ789`);
    for (const path of [dead, live]) {
      mkdirSync(path);
      writeFileSync(join(path, 'koffi.node'), 'left by a killed start');
    }
    const ran = spawnSync(BINARY, ['--', 'true'], { env: env(dir), encoding: 'utf8' });
    t.equal(ran.status, 0, ran.stderr);
    t.same(leftovers(dir), [`memshim-koffi-${process.pid}-XyZ789`], "only the live process's directory is left");
  });

  t.test('SIGKILL at any moment of the start: nothing is left once a later start ran', async (t) => {
    const dir = privateTmp(t);
    let killed = 0;
    for (let i = 0; i < 40; i++) {
      const child = spawn(BINARY, ['--', 'sleep', '0.5'], { env: env(dir), stdio: 'ignore' });
      const closed = new Promise((resolve) => child.on('close', resolve));
      // Spread over the start-up (tens of milliseconds): koffi is loaded just before the spawn.
      await new Promise((resolve) => setTimeout(resolve, (i * 7) % 120));
      if (child.kill('SIGKILL')) killed++;
      await closed;
    }
    const during = leftovers(dir).length;
    const ran = spawnSync(BINARY, ['--', 'true'], { env: env(dir), encoding: 'utf8' });
    t.equal(ran.status, 0, ran.stderr);
    t.same(leftovers(dir), [], `nothing left (the kills had left ${during} of ${killed})`);
  });
}
