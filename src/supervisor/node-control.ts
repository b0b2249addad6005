// Processes without koffi (no place to load its native module, or no glibc): node:child_process starts the
// main child and libuv waits for it; nothing else can be waited for. Lost, and said once by supervise():
// reaping of adopted orphans (they stay zombies), the child subreaper, the plan's rlimits, and the terminal
// hand-over. detached: true is the only way node:child_process gives the child its own process group (for
// group forwarding), and it is setsid(): the child runs in a new session without a controlling terminal.
// Ctrl-C and Ctrl-Z still work (the terminal signals memshim's group, memshim forwards them), but the child
// cannot open /dev/tty nor do job control of its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { constants } from 'node:os';
import {
  ownChildren,
  type ChildRequest,
  type CollectRound,
  type ProcessControl,
  type SpawnResult,
  type WaitedProcess,
} from './process-control.js';
import { spawnFailure } from './spawn.js';
import { errnoOf } from '../common/errno.js';
import { raiseAroundSpawn } from './oom-score.js';
import { readProcStat } from '../common/proc-stat.js';

const SIGNALS = constants.signals as Record<string, number>;

const alive = (info: { state: string } | null): boolean => info !== null && info.state !== 'Z' && info.state !== 'X';

/**
 * Whether anything of the child's still runs: a member of its process group (wherever its orphans went:
 * memshim is no subreaper here) or one of memshim's own children. Zombies do not count: nobody reaps them.
 */
function anythingLeft(pgid: number): boolean {
  if (ownChildren().some((pid) => alive(readProcStat('/proc', pid)))) return true;
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue; // not a process
      const info = readProcStat('/proc', entry);
      if (info?.pgrp === pgid && alive(info)) return true;
    }
  } catch {
    // No /proc: the grace period still bounds the wait.
  }
  return false;
}

export class NodeProcessControl implements ProcessControl {
  private readonly exits: WaitedProcess[] = [];
  private child: ChildProcess | null = null;
  private exited = false;

  /** onChange: called when the main child ended (the supervisor then collects). */
  constructor(private readonly onChange: () => void) {}

  becomeSubreaper(): boolean {
    return false;
  }

  blockInMainThread(): boolean {
    return false;
  }

  setParentDeathSignal(): boolean {
    return false;
  }

  spawn(request: ChildRequest): SpawnResult | Promise<SpawnResult> {
    const env = Object.fromEntries(
      Object.entries(request.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    // String(): a numeric word after `--` can arrive as a number (yargs).
    const [file = '', ...args] = request.argv.map(String);
    let child: ChildProcess;
    try {
      child = raiseAroundSpawn(request.oomScoreGap, () =>
        spawn(file, args, { stdio: 'inherit', detached: true, env }),
      ).result;
    } catch (error) {
      return { ok: false, ...spawnFailure(request.command, errnoOf(error), request.env.PATH) };
    }
    const pid = child.pid;
    // Not started (ENOENT, EACCES, ...): Node tells why on the next tick.
    if (pid === undefined)
      return new Promise((resolve) =>
        child.once('error', (error) =>
          resolve({ ok: false, ...spawnFailure(request.command, errnoOf(error), request.env.PATH) }),
        ),
      );
    this.child = child;
    child.on('error', () => {}); // only kill errors could come now; the supervisor does not use child.kill()
    child.once('exit', (code, signal) => {
      this.exited = true;
      this.exits.push({ pid, code: signal ? null : code, signal: signal ? (SIGNALS[signal] ?? null) : null });
      this.onChange();
    });
    return { ok: true, pid, foreground: false };
  }

  collect(): CollectRound {
    const waited = this.exits.splice(0);
    if (!this.exited) return { waited, stopped: [], left: 'running' };
    // No SIGCHLD tells when the child's group is gone (its members may not be memshim's children): look again.
    return { waited, stopped: [], left: anythingLeft(this.child!.pid!) ? 'retry' : 'none' };
  }

  kill(pid: number, signal: number): number {
    try {
      process.kill(pid, signal);
      return 0;
    } catch (error) {
      return errnoOf(error);
    }
  }

  handTerminalBack(): void {}
}
