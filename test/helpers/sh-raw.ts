// Shared by the fault tests (issue 9): the C helpers of test/faults/c compiled once per process, and a way to
// run memshim from sh, where argv and the environment can hold any bytes (Node's spawn takes only strings).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureBuilt, MEMSHIM } from '../helpers/memshim.js';
import { compiledC } from '../helpers/c-program.js';

const SOURCES = fileURLToPath(new URL('./c/', import.meta.url));

/** Path of the compiled test/faults/c/NAME.c, built on first use and removed at exit. */
export function faultProgram(name: 'term-counter'): string {
  return compiledC(SOURCES, name);
}

export interface RawRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs `sh -c SCRIPT` where $MEMSHIM is memshim (with tap's NODE_OPTIONS hooks removed, see
 * test/supervisor/harness.ts): the script builds bytes with printf. stdout comes back as bytes.
 */
export function shRaw(script: string, env: NodeJS.ProcessEnv = process.env): RawRun {
  ensureBuilt();
  const clean: NodeJS.ProcessEnv = { ...env, MEMSHIM };
  delete clean.NODE_OPTIONS;
  const ran = spawnSync('sh', ['-c', script], { env: clean, timeout: 60_000 });
  return { code: ran.status, stdout: ran.stdout, stderr: ran.stderr.toString('utf8') };
}
