// Waiting for every process that becomes memshim's child: the main child and every orphan the kernel
// re-parents to PID 1 (or to memshim as child subreaper). One waitpid(-1, WNOHANG) loop per SIGCHLD, like
// tini. libuv waits by pid for the children it spawned itself (node:child_process, used by other parts of
// memshim or by libraries); taking one of those would leave its 'exit' unreported forever. So when such
// children exist, each candidate is first looked at with waitid(WNOWAIT) and a libuv child is left to libuv.
import { ECHILD, EINTR } from '../common/errno.js';
import { libuvChildPids } from '../common/node-internals.js';
import { endedProcess, isStopStatus } from '../common/wait-status.js';
import { OPAQUE_BYTES, P_ALL, WAIT, type Libc } from '../native/libc.js';
import type { CollectRound, WaitedProcess } from './process-control.js';

/** left 'retry': a libuv child is due (libuv reaps it), try again soon. */
export type ReapRound = CollectRound;

export function reapRound(lib: Libc): ReapRound {
  const waited: WaitedProcess[] = [];
  const stopped: number[] = [];
  const libuv = libuvChildPids();
  const info = libuv.size > 0 ? Buffer.alloc(OPAQUE_BYTES.siginfo) : null;
  const status = [0];
  for (;;) {
    let target = -1;
    if (info) {
      info.fill(0);
      if (lib.waitid(P_ALL, 0, info, WAIT.WEXITED | WAIT.WNOHANG | WAIT.WNOWAIT) === -1) {
        if (lib.errno() === EINTR) continue;
        return { waited, stopped, left: 'none' };
      }
      target = info.readInt32LE(16);
      if (target === 0) return { waited, stopped, left: 'running' };
      if (libuv.has(target)) return { waited, stopped, left: 'retry' };
    }
    // WUNTRACED: a stop is reported once, and the stopped child stays (job control, see supervisor.ts).
    const pid = lib.waitpid(target, status, WAIT.WNOHANG | WAIT.WUNTRACED);
    if (pid > 0) {
      if (isStopStatus(status[0]!)) stopped.push(pid);
      else waited.push(endedProcess(pid, status[0]!));
      continue;
    }
    if (pid === 0) return { waited, stopped, left: 'running' };
    const errno = lib.errno();
    if (errno === EINTR) continue;
    return { waited, stopped, left: errno === ECHILD ? 'none' : 'running' };
  }
}
