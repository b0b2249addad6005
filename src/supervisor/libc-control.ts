// Processes through libc (koffi): the main child from posix_spawnp (spawn.ts), through the exec helper when the
// plan has rlimits (rlimits.ts), every child of memshim waited for with waitpid(-1) (reaper.ts), the terminal
// handed over.
import type { Logger } from '../common/log.js';
import { PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG, SIG_BLOCK, signalSet, type Libc } from '../native/libc.js';
import type { ChildRequest, CollectRound, ProcessControl, SpawnResult } from './process-control.js';
import { reapRound } from './reaper.js';
import { withRlimits } from './rlimits.js';
import { spawnChild } from './spawn.js';
import { logScoreRaise, raiseAroundSpawn, type ScoreRaise } from './oom-score.js';

export class LibcProcessControl implements ProcessControl {
  constructor(
    private readonly lib: Libc,
    private readonly log: Logger,
  ) {}

  becomeSubreaper(): boolean {
    return this.lib.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) === 0;
  }

  blockInMainThread(signals: readonly number[]): boolean {
    // glibc's sigprocmask is pthread_sigmask for the calling thread: Node's main thread, where this runs.
    return this.lib.sigprocmask(SIG_BLOCK, signalSet(signals), null) === 0;
  }

  setParentDeathSignal(signal: number): boolean {
    return this.lib.prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0) === 0;
  }

  spawn(request: ChildRequest): SpawnResult {
    const launch = withRlimits(request.argv, request.env, request.rlimits);
    let raise: ScoreRaise | null = null;
    const result = spawnChild(this.lib, { ...launch, command: request.command }, (spawn) => {
      const raised = raiseAroundSpawn(request.oomScoreGap, spawn);
      raise = raised.raise;
      return raised.result;
    });
    logScoreRaise(this.log, raise);
    return result;
  }

  collect(): CollectRound {
    return reapRound(this.lib);
  }

  kill(pid: number, signal: number): number {
    return this.lib.kill(pid, signal) === 0 ? 0 : this.lib.errno();
  }

  handTerminalBack(pgid: number): void {
    // Only from the foreground: a background tcsetpgrp would bring SIGTTOU on memshim's group.
    if (this.lib.isatty(0) === 1 && this.lib.tcgetpgrp(0) === this.lib.getpgrp()) this.lib.tcsetpgrp(0, pgid);
  }
}
