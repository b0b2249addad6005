// Runs the built memshim (bin/memshim -> dist/memshim.cjs) as a user would, and gives back what it printed.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const MEMSHIM = fileURLToPath(new URL('../../bin/memshim', import.meta.url));

/**
 * A command prefix that starts memshim through `env -u NODE_OPTIONS`: tap's processinfo puts its --import hooks
 * into NODE_OPTIONS of every process a test spawns (whatever env the test passes), and in memshim those hooks
 * (signal-exit) re-raise each SIGTERM memshim handles, so memshim would see every SIGTERM twice.
 */
export const WITHOUT_TAP_HOOKS = ['env', '-u', 'NODE_OPTIONS'];

/**
 * spawn's file and arguments for `command` through WITHOUT_TAP_HOOKS (deleting NODE_OPTIONS from the env a test
 * passes is not enough: tap puts it back); `nodeOptions`: the NODE_OPTIONS the command gets instead of none.
 */
export function withoutTapHooks(command: readonly string[], nodeOptions?: string): [string, string[]] {
  const [env, ...args] = [...WITHOUT_TAP_HOOKS, ...(nodeOptions ? [`NODE_OPTIONS=${nodeOptions}`] : []), ...command];
  return [env!, args];
}

export function ensureBuilt(): void {
  if (!existsSync(new URL('../../dist/memshim.cjs', import.meta.url))) {
    const built = spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('npm run build failed');
  }
}

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runMemshim(args: string[], options: SpawnSyncOptions = {}): Ran {
  ensureBuilt();
  // Without tap's loaders in memshim's own Node: memshim runs as a user runs it.
  const result = spawnSync(...withoutTapHooks([MEMSHIM, ...args]), { encoding: 'utf8', timeout: 60_000, ...options });
  return {
    code: result.status,
    signal: result.signal,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
  };
}
