// memshim on a pseudo-terminal (Python's pty module), for the terminal hand-over and job-control tests.
import { spawnSync } from 'node:child_process';
import { ensureBuilt, MEMSHIM, WITHOUT_TAP_HOOKS } from './memshim.js';

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
