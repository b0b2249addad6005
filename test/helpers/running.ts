// Runs bin/memshim as a process the test can watch while it runs (async, unlike test/helpers/memshim.ts): inside a
// real test cgroup or not, its JSON log lines parsed as they come, its exit awaited.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { ensureBuilt, MEMSHIM } from './memshim.js';
import type { TestCgroup } from './real-cgroup.js';
import { jsonLines } from './log-lines.js';

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Parsed JSON log lines so far (other lines ignored). */
  lines: () => Record<string, unknown>[];
  events: (name: string) => Record<string, unknown>[];
  /** Resolves with the first line of this event (rejects after timeoutMs). */
  waitFor: (name: string, timeoutMs?: number) => Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** For teardowns: SIGTERM (memshim stops its child and exits), SIGKILL if it is still there after 3 s. */
  stop: () => Promise<void>;
}

/** stdin 'pipe': the child reads memshim's stdin, so a test can let it go on (`read x` in sh) when it is ready. */
export function startMemshim(
  args: string[],
  options: { cgroup?: TestCgroup; env?: NodeJS.ProcessEnv; stdin?: 'pipe' } = {},
): Running {
  ensureBuilt();
  const argv = [process.execPath, MEMSHIM, ...args];
  const spawnOptions = {
    env: options.env ?? process.env,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'] as ('ignore' | 'pipe')[],
  };
  const child = options.cgroup
    ? options.cgroup.spawn(argv, spawnOptions)
    : spawn(argv[0]!, argv.slice(1), spawnOptions);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = once(child, 'close').then(() => ({ code: child.exitCode, signal: child.signalCode }));
  const lines = () => jsonLines(err);
  const events = (name: string) => lines().filter((line) => line.event === name);
  const waitFor = async (name: string, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = events(name)[0];
      if (found) return found;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no "${name}" event; stderr:\n${err}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  return { child, stdout: () => out, stderr: () => err, lines, events, waitFor, exited, stop };
}
