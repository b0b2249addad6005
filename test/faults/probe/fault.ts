// Not a test by itself: fault-signals.test.ts runs this (MEMSHIM_FAULT_PROBE=1). A supervising memshim gets a
// SIGSEGV by kill (forwarded: printed), then faults for real (strlen(NULL) through koffi): it must die of it.
import { loadKoffi } from '../../../src/native/koffi.js';
import { superviseSh } from '../../helpers/supervise-sh.js';

if (process.env.MEMSHIM_FAULT_PROBE === '1') {
  // The child outlives memshim's crash (nothing kills it then): it must not hold the test's stdout pipe, which
  // kept spawnSync waiting for its timeout, nor stay long. It ignores SEGV (kept across the exec).
  const handle = await superviseSh('trap "" SEGV; exec sleep 20 >/dev/null 2>&1');
  handle.on('signal', (signal: number) => {
    process.stdout.write(`forwarded ${signal}\n`);
    if (signal !== 11) return;
    const strlen = loadKoffi(process.env)!.load('libc.so.6').func('size_t strlen(void *s)');
    setImmediate(() => strlen(null));
  });
  handle.on('spawn', () => setTimeout(() => process.kill(process.pid, 'SIGSEGV'), 100));
  await handle.exitCode;
  process.stdout.write('memshim exited without faulting\n');
}
