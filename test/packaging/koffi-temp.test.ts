// The single executable writes koffi's native module to a temporary file to load it (src/native/sea-native.ts).
// Where the filesystem has O_TMPFILE the file never has a name: nothing is left behind, whatever kills memshim.
// Elsewhere (test/packaging/c/no-tmpfile.c, preloaded, makes every filesystem one without it) the file lives in a
// private directory for the moment of the write, and a SIGKILL then leaves the directory behind: it must not stay
// for good ($TMPDIR may be an emptyDir kept across container restarts). A later start removes what dead memshims
// left and keeps what live ones hold: at once where it makes a named file itself, a second after its start where
// it needs none.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BINARY, BINARY_SKIP, ensureBinary } from '../helpers/binary.js';
import { compiledC } from '../helpers/c-program.js';
import { O_TMPFILE, STALE_SCAN_DELAY_MS } from '../../src/native/sea-native.js';

if (BINARY_SKIP) {
  t.plan(0, BINARY_SKIP);
} else {
  ensureBinary();
  const noTmpfile = compiledC(fileURLToPath(new URL('./c/', import.meta.url)), 'no-tmpfile', [
    '-shared',
    '-fPIC',
    '-ldl',
  ]);

  const privateTmp = (t: { teardown(fn: () => void): void }) => {
    const dir = mkdtempSync(join(tmpdir(), 'memshim-koffi-test-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };
  const env = (dir: string, named: boolean): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, TMPDIR: dir, MEMSHIM_LOG_LEVEL: 'warn' };
    delete e.NODE_OPTIONS;
    if (named) e.LD_PRELOAD = noTmpfile;
    return e;
  };
  const leftovers = (dir: string) => readdirSync(dir).filter((name) => name.startsWith('memshim-koffi-'));
  /** The directory of a memshim that is gone, and of one that is alive (this test process), as a kill leaves them. */
  const plant = (dir: string) => {
    const deadPid = spawnSync('true').pid!;
    for (const pid of [deadPid, process.pid]) {
      const path = join(dir, `memshim-koffi-${pid}-AbC123`);
      mkdirSync(path);
      writeFileSync(join(path, 'koffi.node'), 'left by a killed start');
    }
    return `memshim-koffi-${process.pid}-AbC123`;
  };
  const hasTmpfile = (dir: string) => {
    try {
      closeSync(openSync(dir, O_TMPFILE | constants.O_RDWR, 0o600));
      return true;
    } catch {
      return false;
    }
  };
  const tmpfileSkip = hasTmpfile(tmpdir()) ? false : `${tmpdir()} has no O_TMPFILE (its filesystem or this kernel)`;
  /** `count` starts of `-- sleep 0.5`, each SIGKILLed at another moment of its start-up; how many were killed. */
  const killDuringStarts = async (dir: string, named: boolean, count: number) => {
    let killed = 0;
    for (let i = 0; i < count; i++) {
      const child = spawn(BINARY, ['--', 'sleep', '0.5'], { env: env(dir, named), stdio: 'ignore' });
      const closed = new Promise((resolve) => child.on('close', resolve));
      // Spread over the start-up (tens of milliseconds): koffi is loaded just before the spawn.
      await new Promise((resolve) => setTimeout(resolve, (i * 7) % 120));
      if (child.kill('SIGKILL')) killed++;
      await closed;
    }
    return killed;
  };

  t.test(
    'without O_TMPFILE: a start removes the directories of dead memshims and keeps those of live ones',
    async (t) => {
      const dir = privateTmp(t);
      const live = plant(dir);
      const ran = spawnSync(BINARY, ['--', 'true'], { env: env(dir, true), encoding: 'utf8' });
      t.equal(ran.status, 0, ran.stderr);
      t.same(leftovers(dir), [live], "only the live process's directory is left");
    },
  );

  t.test('without O_TMPFILE: SIGKILL at any moment of the start, nothing is left once a later start ran', async (t) => {
    const dir = privateTmp(t);
    const killed = await killDuringStarts(dir, true, 40);
    const during = leftovers(dir).length;
    const ran = spawnSync(BINARY, ['--', 'true'], { env: env(dir, true), encoding: 'utf8' });
    t.equal(ran.status, 0, ran.stderr);
    t.same(leftovers(dir), [], `nothing left (the kills had left ${during} of ${killed})`);
  });

  t.test(
    'with O_TMPFILE: SIGKILL at any moment of the start leaves nothing at all',
    { skip: tmpfileSkip },
    async (t) => {
      const dir = privateTmp(t);
      const killed = await killDuringStarts(dir, false, 40);
      t.ok(killed > 0, `${killed} starts killed`);
      t.same(readdirSync(dir), [], 'nothing in $TMPDIR, no later start needed');
    },
  );

  t.test(
    'with O_TMPFILE: what dead memshims left goes a second after a start, off its start path',
    { skip: tmpfileSkip },
    async (t) => {
      const dir = privateTmp(t);
      const live = plant(dir);
      const quick = spawnSync(BINARY, ['--', 'true'], { env: env(dir, false), encoding: 'utf8' });
      t.equal(quick.status, 0, quick.stderr);
      t.equal(leftovers(dir).length, 2, 'a start that ends at once does not look');
      const seconds = String((STALE_SCAN_DELAY_MS + 1500) / 1000);
      const longer = spawnSync(BINARY, ['--', 'sleep', seconds], { env: env(dir, false), encoding: 'utf8' });
      t.equal(longer.status, 0, longer.stderr);
      t.same(leftovers(dir), [live], `one that runs ${seconds} s removes the dead one's, keeps the live one's`);
    },
  );
}
