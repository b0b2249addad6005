// The child's exit status is memshim's, whatever comes after the child exited: memshim still writes its last
// lines then (up to about a second when its stderr is stalled) and a TERM or INT that arrives meanwhile must not
// end it by the signal's default action, which would replace that status with 128+N. PID 1 of a namespace would
// not see such a signal anyway (the kernel drops what init has no handler for); memshim under another init
// (docker --init, a pod sharing its process namespace) would.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { ensureBuilt, MEMSHIM } from '../helpers/memshim.js';
import { BINARY, BINARY_SKIP, ensureBinary } from '../helpers/binary.js';
import { childrenOf, until } from '../helpers/proc.js';
import { stalledPipe } from '../helpers/stalled-pipe.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const [name, entry, build, skip] of [
  ['npm', MEMSHIM, ensureBuilt, false],
  ['single executable', BINARY, ensureBinary, BINARY_SKIP],
] as const) {
  t.test(
    `${name}: a SIGTERM after the child exited, while memshim's stderr is stalled: the child's status`,
    { skip },
    async (t) => {
      build();
      // memshim's stderr a pipe already full: none of its lines goes out.
      const { dir, fd: stderr } = stalledPipe(t, { full: true });
      const env: NodeJS.ProcessEnv = { ...process.env, MEMSHIM_LOG_LEVEL: 'info' };
      delete env.NODE_OPTIONS;
      const marker = join(dir, 'ran');
      const proc = spawn(entry, ['--', 'sh', '-c', `: > ${marker}; exit 5`], {
        env,
        stdio: ['ignore', 'ignore', stderr],
      });
      const exit = once(proc, 'exit') as Promise<[number | null, string | null]>;
      // The child ran (its marker) and is gone: watching for it to appear first could miss a child that quick.
      await until(() => existsSync(marker) && childrenOf(proc.pid!).length === 0);
      await sleep(100);
      process.kill(proc.pid!, 'SIGTERM');
      const [code, signal] = await exit;
      t.same({ code, signal }, { code: 5, signal: null }, 'exit 5, not killed by the SIGTERM');
    },
  );
}
