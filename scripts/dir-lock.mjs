// A lock between processes that share a directory of the repository (.cache/, dist/): held by making a directory,
// the holder's pid written inside, so that a holder that died (a killed test run) does not keep others out.
// Test files run in parallel and more than one may need the same download or build at the same moment: two npm
// installs into one prefix, or two builds writing the same staging files, corrupt each other.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Runs `work` holding the lock directory `lock`, waiting up to `waitMs` for another holder (then throws, naming
 * `what`). Synchronous, as its callers are: the waits are blocking sleeps of 200 ms.
 */
export function withDirLock(lock, what, waitMs, work) {
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    if (holderGone(lock)) rmSync(lock, { recursive: true, force: true });
    else if (Date.now() > deadline)
      throw new Error(`another process has held ${lock} for ${waitMs / 60_000} min (${what})`);
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
  try {
    writeFileSync(join(lock, 'pid'), String(process.pid));
    return work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function holderGone(lock) {
  let pid;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    return false; // just made, its pid not written yet (or just removed): look again
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return error.code === 'ESRCH';
  }
}
