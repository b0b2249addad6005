// memshim as a real init for the supervisor tests (and bench/init): PID 1 of a new PID namespace
// (`unshare --pid --fork --mount-proc`), or a plain child of the test; a reference init (tini, dumb-init) the
// same way.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ensureBuilt, MEMSHIM, WITHOUT_TAP_HOOKS } from './memshim.js';

/** Why PID-namespace tests cannot run here (a tap skip reason), or false. */
/** The prefix that makes a command PID 1 of a new PID namespace, with its own /proc. */
export const AS_PID1 = ['unshare', '--pid', '--fork', '--mount-proc'];

export function cannotUnshare(): string | false {
  if (process.getuid?.() !== 0) return 'needs root for unshare --pid';
  const probe = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']);
  return probe.status === 0 ? false : 'unshare --pid --fork --mount-proc does not work here';
}

export interface Init {
  /** The process the test started (unshare, or the init itself). */
  proc: ChildProcess;
  /** The init's pid (memshim, or the reference startInit ran) as the test sees it (outside the namespace). */
  memshimPid(): Promise<number>;
  /** Resolves with the first stdout line matching, waiting as long as it takes (tap's timeout bounds it). */
  line(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Every stdout line so far. */
  lines(): string[];
  stderr(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  /** true (default): memshim is PID 1 of a new PID namespace. */
  pid1?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Give memshim (and so the command) a pipe on stdin: proc.stdin. Default: /dev/null. */
  stdin?: boolean;
  /** The init's working directory (default: the test's). */
  cwd?: string;
}

/** Starts `memshim ARGS` with stdout piped (line by line) and stderr collected. */
export function startMemshim(args: string[], options: StartOptions = {}): Init {
  ensureBuilt();
  return startInit([MEMSHIM, ...args], options);
}

/**
 * Starts an init, memshim or a reference (`tini -- CMD`, `dumb-init -- CMD`), the same way: stdout piped (line
 * by line), stderr collected; memshimPid() is then the init's pid, whichever init it is.
 */
export function startInit(argv: string[], options: StartOptions = {}): Init {
  const pid1 = options.pid1 ?? true;
  const command = [...WITHOUT_TAP_HOOKS, ...(pid1 ? AS_PID1 : []), ...argv];
  const proc = spawn(command[0]!, command.slice(1), {
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  const seen: string[] = [];
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void; reject: (error: Error) => void }[] = [];
  let closed: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let stderr = '';
  // A wait for a line the init will never print (it ended) fails at once, saying how it ended and what it said,
  // rather than at tap's timeout with nothing to go on.
  const ended = (pattern: RegExp) =>
    new Error(
      `${argv.join(' ')} ended (code ${closed?.code}, signal ${closed?.signal}) with no line matching ${pattern}; ` +
        `its stderr ends: ${stderr.slice(-600)}`,
    );
  let partial = '';
  const took = (text: string) => {
    seen.push(text);
    for (const waiter of [...waiters]) {
      const match = text.match(waiter.pattern);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  };
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const text of parts) took(text);
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => {
      closed = { code, signal };
      if (partial) took(partial); // a last line with no newline
      for (const waiter of waiters.splice(0)) waiter.reject(ended(waiter.pattern));
      resolve(closed);
    }),
  );
  return {
    proc,
    exit,
    lines: () => [...seen],
    stderr: () => stderr,
    line(pattern) {
      for (const text of seen) {
        const match = text.match(pattern);
        if (match) return Promise.resolve(match);
      }
      if (closed) return Promise.reject(ended(pattern));
      return new Promise((resolve, reject) => waiters.push({ pattern, resolve, reject }));
    },
    async memshimPid() {
      // env execs in place: proc.pid is memshim itself, or unshare, whose only child is memshim (--fork).
      if (!pid1) return proc.pid!;
      for (;;) {
        const children = readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim();
        if (children) return Number(children.split(/\s+/)[0]);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}
