// memshim run from sh, where argv and the environment can hold any bytes (Node's spawn takes only strings): the
// fault tests of issue 9.
import { spawnSync } from 'node:child_process';
import { ensureBuilt, MEMSHIM } from './memshim.js';

export interface RawRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs `sh -c SCRIPT` where $MEMSHIM is memshim (with tap's NODE_OPTIONS hooks removed, see
 * WITHOUT_TAP_HOOKS in memshim.ts): the script builds bytes with printf. stdout comes back as bytes.
 */
export function shRaw(script: string, env: NodeJS.ProcessEnv = process.env): RawRun {
  ensureBuilt();
  const clean: NodeJS.ProcessEnv = { ...env, MEMSHIM };
  delete clean.NODE_OPTIONS;
  const ran = spawnSync('sh', ['-c', script], { env: clean, timeout: 60_000 });
  return { code: ran.status, stdout: ran.stdout, stderr: ran.stderr.toString('utf8') };
}
