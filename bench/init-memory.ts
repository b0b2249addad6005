// An init's own memory as the kernel accounts it (/proc/PID/status), for the benches that put memshim beside
// tini and dumb-init (init.ts, startup.ts, faults.ts).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { childrenOf } from '../test/helpers/proc.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A `NAME: N kB` field of /proc/PID/status, in kB; NaN when the process or the field is gone. */
export function statusKb(pid: number, field: string): number {
  try {
    return Number(
      new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN,
    );
  } catch {
    return NaN;
  }
}

/** The init's own RssAnon/RssFile while its child sleeps: the highest of a few readings after start-up. */
export async function residentMemory(
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ anonKb: number; fileKb: number }> {
  const proc = spawn(argv[0]!, [...argv.slice(1), '--', 'sleep', '30'], { env, stdio: 'ignore' });
  while (childrenOf(proc.pid!).length === 0) await sleep(10);
  let anonKb = 0;
  let fileKb = 0;
  for (let i = 0; i < 8; i++) {
    await sleep(250);
    anonKb = Math.max(anonKb, statusKb(proc.pid!, 'RssAnon'));
    fileKb = Math.max(fileKb, statusKb(proc.pid!, 'RssFile'));
  }
  proc.kill('SIGTERM');
  await new Promise((resolve) => proc.on('close', resolve));
  return { anonKb, fileKb };
}
