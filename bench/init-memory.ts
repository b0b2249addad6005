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

/** An init's resident memory: right after its start, and once it has settled into its long run. */
export interface ResidentMemory {
  /** The highest of 8 readings over the first 2 s. */
  anonKb: number;
  fileKb: number;
  /** The highest of the readings every 500 ms from SETTLED_AFTER_MS to SETTLED_UNTIL_MS: what a long run keeps. */
  settledAnonKb: number;
  settledFileKb: number;
}

/**
 * When the settled readings start: past memshim's switch to full collections (2 s after the spawn,
 * src/common/own-heap.ts), its first full collection, and enough monitor readings for its heap to take its
 * long-run shape (the single executable's RssAnon grew for half a minute and more after its start before the
 * seventh round: docs/packaging.md). Until SETTLED_UNTIL_MS: every reading in between counts, since memshim's
 * heap now falls back at each of its memory-reducing collections (src/native/own-memory.ts, checked every 10 s)
 * and a reading or two would catch its low or its high by chance.
 */
export const SETTLED_AFTER_MS = 30_000;
export const SETTLED_UNTIL_MS = 60_000;

/**
 * The init's own RssAnon/RssFile while its child sleeps: after start-up, and settled. Inits may run at once.
 * `supervises: false`: `argv` is a whole command that starts no child (a bare Node beside memshim), read from its
 * start.
 */
export async function residentMemory(
  argv: string[],
  env: NodeJS.ProcessEnv,
  { supervises = true }: { supervises?: boolean } = {},
): Promise<ResidentMemory> {
  const args = supervises ? [...argv.slice(1), '--', 'sleep', '90'] : argv.slice(1);
  const proc = spawn(argv[0]!, args, { env, stdio: 'ignore' });
  while (supervises && childrenOf(proc.pid!).length === 0) await sleep(10);
  const started = Date.now();
  const highest = async (readings: number, everyMs: number) => {
    let anonKb = 0;
    let fileKb = 0;
    for (let i = 0; i < readings; i++) {
      await sleep(everyMs);
      anonKb = Math.max(anonKb, statusKb(proc.pid!, 'RssAnon'));
      fileKb = Math.max(fileKb, statusKb(proc.pid!, 'RssFile'));
    }
    return { anonKb, fileKb };
  };
  const early = await highest(8, 250);
  await sleep(Math.max(0, SETTLED_AFTER_MS - (Date.now() - started)));
  const settled = await highest((SETTLED_UNTIL_MS - SETTLED_AFTER_MS) / 500, 500);
  proc.kill('SIGTERM');
  await new Promise((resolve) => proc.on('close', resolve));
  return { ...early, settledAnonKb: settled.anonKb, settledFileKb: settled.fileKb };
}
