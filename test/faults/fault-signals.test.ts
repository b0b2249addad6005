// Issue 9 item 6: SIGILL, SIGBUS, SIGFPE and SIGSEGV sent by another process (kill) are signals like any other:
// memshim forwards them and lives on (dumb-init does the same), as PID 1 and not. A real fault in memshim
// itself still ends it, at once, with that signal (a handler that returned would run the faulting instruction
// again, forever): probe/fault.ts makes one inside a supervising memshim, after a kill -SEGV from outside.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REPO } from '../helpers/memshim.js';
import { cannotUnshare, startMemshim } from '../helpers/init.js';
import { childrenOf, until } from '../helpers/proc.js';
import { cProgram } from '../helpers/c-program.js';
import { TS_LOADER } from '../helpers/ts-loader.js';

const skip = cannotUnshare();
const FAULTS = [4, 7, 8, 11];

for (const pid1 of [true, false]) {
  t.test(
    `kill -ILL/-BUS/-FPE/-SEGV: forwarded, memshim lives (${pid1 ? 'PID 1' : 'not PID 1'})`,
    { skip },
    async (t) => {
      const init = startMemshim(
        ['--log-level', 'warn', '--no-monitor', '--grace-period', '0.2', '--', cProgram('recorder')],
        { pid1 },
      );
      await init.line(/^child ready/);
      const memshim = await init.memshimPid();
      await until(() => childrenOf(memshim).length > 0);
      for (const n of FAULTS) {
        process.kill(memshim, n);
        await init.line(new RegExp(`^child sig ${n} `));
        t.pass(`signal ${n} forwarded`);
      }
      // Twice more each, quickly: memshim is ready for the next one as soon as it forwarded the last.
      for (const n of [...FAULTS, ...FAULTS]) process.kill(memshim, n);
      process.kill(memshim, 'SIGTERM');
      const exit = await init.exit;
      t.equal(exit.code, 137, 'memshim lived to stop the recorder (it survives SIGTERM: SIGKILL after the grace)');
    },
  );
}

const PROBE = fileURLToPath(new URL('./probe/fault.ts', import.meta.url));

t.test(
  'a real SIGSEGV in memshim itself still ends it with SIGSEGV, after a kill -SEGV was forwarded',
  { skip: cannotUnshare() },
  async (t) => {
    // The timeout stops a memshim that would loop on its own fault (the test then fails on the signal); it asserts nothing.
    const ran = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, `--import=${TS_LOADER}`, PROBE], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, MEMSHIM_FAULT_PROBE: '1' },
    });
    t.match(ran.stdout, /forwarded 11/, `the kill -SEGV from outside was forwarded (${ran.stderr.slice(0, 300)})`);
    t.equal(ran.signal, 'SIGSEGV', 'the real fault ended memshim with SIGSEGV');
  },
);
