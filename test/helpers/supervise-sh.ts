// The supervisor in-process over `sh -c SCRIPT`, as the probes of test/*/probe drive it: the whole environment,
// no rlimits, no --rewrite, group forwarding, a 2 s grace period, and a logger that says nothing.
import { createLogger } from '../../src/common/log.js';
import { supervise } from '../../src/supervisor/supervisor.js';
import type { SupervisorHandle } from '../../src/supervisor/types.js';

export async function superviseSh(script: string): Promise<SupervisorHandle> {
  const log = await createLogger('json', 'silent');
  return supervise(
    {
      argv: ['sh', '-c', script],
      env: process.env,
      rlimits: [],
      singleChild: false,
      rewrite: new Map(),
      gracePeriodMs: 2000,
    },
    log,
  );
}
