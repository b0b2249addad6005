// memshim's own memory under load, for the tests that hold it to what it reserves (src/commands/run.ts,
// OWN_MEMORY_BYTES): memshim as PID 1 of a new PID namespace, in a real cgroup of its own, its health server
// scraped (up to SCRAPES times, as bench/own-memory.ts does) while its child makes orphans for it to reap, or
// LONG_SCRAPES times over `sleep`; its RssAnon read all along.
import type { Test } from 'tap';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AS_PID1, startInit } from './init.js';
import { WITHOUT_TAP_HOOKS } from './memshim.js';
import { freePort } from './free-port.js';
import { compiledC, cProgram } from './c-program.js';
import { childrenOf } from './proc.js';
import { TestCgroup } from './real-cgroup.js';
import { ownMemoryBytes, type Packaging } from '../../src/commands/run.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** GET http://127.0.0.1:PORT/PATH: its status code, or null when it fails or times out. */
export function get(port: number, path: string, timeoutMs = 10_000): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

function rssAnonBytes(pid: number): number | null {
  try {
    const kb = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

/** As many scrapes as bench/own-memory.ts makes for the figure the reservation comes from. */
export const SCRAPES = 1000;

export interface UnderLoad {
  peakAnonBytes: number;
  /** Scrapes answered 200, of all made. */
  answered: number;
  scrapes: number;
  /** The child's "left N ms T" line: orphans still unreaped when it gave up waiting (null: no line). */
  left: number | null;
  code: number | null;
}

/** `binary --health-port P -- orphans N` (test/supervisor/c/orphans.c), scraped while the child runs. */
export function ownMemoryUnderLoad(binary: string, orphans: number): Promise<UnderLoad> {
  return scrapedUnder(binary, [cProgram('orphans'), String(orphans)], SCRAPES, { stop: false });
}

/** `binary --health-port P -- sleep 600` scraped `scrapes` times, then stopped with SIGTERM. */
export function ownMemoryUnderScrapes(binary: string, scrapes: number): Promise<UnderLoad> {
  return scrapedUnder(binary, ['sleep', '600'], scrapes, { stop: true });
}

/**
 * `binary ARGS` as PID 1 of a new PID namespace, moved into `group` before it starts (tap's NODE_OPTIONS removed);
 * its pid as this process sees it.
 */
async function memshimInCgroup(group: TestCgroup, binary: string, args: string[]) {
  const procs = join(group.dirs.memory, 'cgroup.procs');
  const run = startInit(
    ['/bin/sh', '-c', `echo $$ > '${procs}' && exec "$@"`, 'sh', ...WITHOUT_TAP_HOOKS, ...AS_PID1, binary, ...args],
    { pid1: false },
  );
  // sh execs env, env execs unshare: run.proc.pid is unshare, whose only child is memshim.
  let pid = 0;
  while (!pid) {
    pid = childrenOf(run.proc.pid!)[0] ?? 0;
    if (!pid) await sleep(5);
  }
  return { run, pid };
}

/**
 * memshim over `command`, scraped until `scrapesWanted` are made or the child is gone; then, with `stop`, memshim
 * gets SIGTERM, otherwise the child is left to finish.
 */
async function scrapedUnder(
  binary: string,
  command: string[],
  scrapesWanted: number,
  { stop }: { stop: boolean },
): Promise<UnderLoad> {
  const group = TestCgroup.create('own-memory');
  try {
    const port = await freePort();
    const { run, pid } = await memshimInCgroup(group, binary, [
      ...['--health-port', String(port), '--health-host', '127.0.0.1', '--', ...command],
    ]);
    let peak = 0;
    const sample = () => (peak = Math.max(peak, rssAnonBytes(pid) ?? 0));
    const sampler = setInterval(sample, 20);
    let done = false;
    void run.exit.then(() => (done = true));
    const paths = ['/metrics', '/healthz', '/status'];
    let scrapes = 0;
    let answered = 0;
    while (!done && scrapes < scrapesWanted) {
      const status = await get(port, paths[scrapes % paths.length]!);
      if (status === null && scrapes === 0) {
        await sleep(20); // not listening yet
        continue;
      }
      scrapes++;
      if (status === 200) answered++;
    }
    sample();
    if (stop && !done) process.kill(pid, 'SIGTERM');
    const { code } = await run.exit;
    clearInterval(sampler);
    const left = run.lines().find((l) => l.startsWith('left '));
    return { peakAnonBytes: peak, answered, scrapes, left: left ? Number(left.split(' ')[1]) : null, code };
  } finally {
    group.remove();
  }
}

/**
 * `binary -- flood ORPHANS PER 90` (bench/c/flood.c; no new wave after 90 s) as PID 1 in a cgroup of its own, no health server: memshim
 * reaps ORPHANS orphans, PER at a time, while its peak RssAnon is sampled every 20 ms.
 */
export async function ownMemoryUnderFlood(
  binary: string,
  orphans: number,
  per: number,
): Promise<UnderLoad & { made: number }> {
  const group = TestCgroup.create('own-memory-flood');
  try {
    const flood = compiledC(fileURLToPath(new URL('../../bench/c/', import.meta.url)), 'flood');
    const { run, pid } = await memshimInCgroup(group, binary, ['--', flood, String(orphans), String(per), '90']);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssAnonBytes(pid) ?? 0)), 20);
    const { code } = await run.exit;
    clearInterval(sampler);
    // "made N left L zombies Z ms T"
    const made = run
      .lines()
      .find((l) => l.startsWith('made '))
      ?.split(' ');
    const left = made ? Number(made[3]) : null;
    return { peakAnonBytes: peak, answered: 0, scrapes: 0, left, made: Number(made?.[1] ?? 0), code };
  } finally {
    group.remove();
  }
}

/** What each packaging's test asserts: 3000 orphans reaped during scrapes, memshim's peak within its reservation. */
export async function assertWithinReservation(t: Test, executable: string, packaging: Packaging): Promise<void> {
  const load = await ownMemoryUnderLoad(executable, 3000);
  t.equal(load.code, 0, 'the child made its orphans and exited 0');
  t.equal(load.left, 0, 'every orphan reaped');
  t.ok(load.answered > 0, `the health server answered ${load.answered} of ${load.scrapes} scrapes`);
  const reserved = ownMemoryBytes(packaging, true);
  const MiB = 1024 * 1024;
  t.ok(
    load.peakAnonBytes <= reserved,
    `peak RssAnon ${(load.peakAnonBytes / MiB).toFixed(1)} MiB within the ${reserved / MiB} MiB reserved`,
  );
}

/**
 * Enough scrapes for both growths issue 9 found (docs/pid1.md, "memshim's own memory"): the single executable's young
 * generation doubled twice by 4000, and the old generation of both packagings grew to about 4 times its live set
 * from 7000 on, past 32 MiB by 12000 (npm on Node 20).
 */
export const LONG_SCRAPES = 12000;

/** What each packaging's test asserts for a long run of scrapes: memshim's peak within its reservation. */
export async function assertWithinReservationScraped(t: Test, executable: string, packaging: Packaging): Promise<void> {
  const load = await ownMemoryUnderScrapes(executable, LONG_SCRAPES);
  t.equal(load.scrapes, LONG_SCRAPES, `memshim kept serving for ${LONG_SCRAPES} scrapes`);
  t.equal(load.answered, load.scrapes, `the health server answered all ${load.scrapes} scrapes`);
  const reserved = ownMemoryBytes(packaging, true);
  const MiB = 1024 * 1024;
  t.ok(
    load.peakAnonBytes <= reserved,
    `peak RssAnon ${(load.peakAnonBytes / MiB).toFixed(1)} MiB within the ${reserved / MiB} MiB reserved`,
  );
}
