// memshim as a real init for the supervisor tests (and bench/init): PID 1 of a new PID namespace
// (`unshare --pid --fork --mount-proc`), or a plain child of the test. Helper programs in C (test/supervisor/c)
// are compiled once per process into a temporary directory.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureBuilt, MEMSHIM } from '../helpers/memshim.js';
import { compiledC } from '../helpers/c-program.js';

const SOURCES = fileURLToPath(new URL('./c/', import.meta.url));

/** Path of the compiled test/supervisor/c/NAME.c (gcc), built on first use and removed at exit. */
export function cProgram(name: 'recorder' | 'orphans'): string {
  return compiledC(SOURCES, name);
}

/** Why PID-namespace tests cannot run here (a tap skip reason), or false. */
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

/**
 * Starts memshim through `env -u NODE_OPTIONS`: tap's processinfo puts its --import hooks into NODE_OPTIONS of
 * every process a test spawns (whatever env the test passes), and in memshim those hooks (signal-exit)
 * re-raise each SIGTERM memshim handles, so memshim would see every SIGTERM twice.
 */
const WITHOUT_TAP_HOOKS = ['env', '-u', 'NODE_OPTIONS'];

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
  const command = [...WITHOUT_TAP_HOOKS, ...(pid1 ? ['unshare', '--pid', '--fork', '--mount-proc'] : []), ...argv];
  const proc = spawn(command[0]!, command.slice(1), {
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  const seen: string[] = [];
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  let partial = '';
  let stderr = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const text of parts) {
      seen.push(text);
      for (const waiter of [...waiters]) {
        const match = text.match(waiter.pattern);
        if (match) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(match);
        }
      }
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal })),
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
      return new Promise((resolve) => waiters.push({ pattern, resolve }));
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

/** The direct children of a process (as seen from here). */
export function childrenOf(pid: number): number[] {
  try {
    // Every thread's list: a child belongs to the thread that forked it.
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** The one-letter state of a process (R S D T Z ...), or null when it is gone. */
export function processState(pid: number): string | null {
  try {
    return /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Polls until `check` is true (tap's timeout bounds the wait; no timing threshold here). */
export async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** memshim's JSON log lines (stderr) with the given event. */
export function logEvents(stderr: string, event: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.event === event);
}

// Runs argv on a new pty; for each [cue, answer] in turn, writes the answer once the cue was printed (after
// the previous one); prints what the terminal showed, then the exit status.
const PTY_DRIVER = `
import json, os, pty, sys
argv, steps = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
seen, mark = b'', 0
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
    sys.stdout.buffer.write(chunk)
    sys.stdout.flush()
    while steps and steps[0][0].encode() in seen[mark:]:
        mark = seen.index(steps[0][0].encode(), mark) + len(steps[0][0])
        os.write(fd, steps.pop(0)[1].encode())
_, status = os.waitpid(pid, 0)
print('STATUS', os.waitstatus_to_exitcode(status))
`;

/** memshim ARGS on a new pty (Python's pty module): what the terminal showed and the exit status. */
export function onPty(
  args: string[],
  steps: [cue: string, answer: string][] = [],
  argv = [...WITHOUT_TAP_HOOKS, MEMSHIM, ...args],
  env: NodeJS.ProcessEnv = process.env,
) {
  ensureBuilt();
  // env -u NODE_OPTIONS: tap's hooks would otherwise load into memshim (WITHOUT_TAP_HOOKS).
  // The timeout only stops a hung run (the test then fails on what was printed); it asserts nothing.
  const ran = spawnSync('python3', ['-c', PTY_DRIVER, JSON.stringify([argv, steps])], {
    encoding: 'utf8',
    timeout: 60_000,
    env,
  });
  // The terminal echoes Ctrl-C as ^C in front of the next line.
  const output = ran.stdout.replace(/\r/g, '').replace(/\^C/g, '\n');
  return { output, status: Number(/STATUS (-?\d+)/.exec(output)?.[1]) };
}

/** Why the pty tests cannot run here (a tap skip reason), or false. */
export function ptyUnsupported(): string | false {
  return spawnSync('python3', ['-c', 'import pty']).status === 0 ? false : 'needs python3 with pty';
}
