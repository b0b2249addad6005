// A cgroup v1 soft limit (memory.soft_limit_in_bytes, Docker's --memory-reservation) is a reclaim target under
// host memory pressure, not v2's memory.high: nothing is throttled above it (issue 9 item 14). On this machine's
// real v1 cgroups: memshim must name it so and not raise MEMORY_HIGH_BELOW_MAX for it.
import t from 'tap';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canMakeCgroups, ownControllerDir, TestCgroup } from '../helpers/real-cgroup.js';
import { ensureBuilt, MEMSHIM } from '../helpers/memshim.js';

const MiB = 2 ** 20;
const cannot =
  canMakeCgroups() ?? (ownControllerDir('memory')?.version === 1 ? null : 'a cgroup v1 file; this host is v2');

async function dryRun(group: TestCgroup, json: boolean): Promise<string> {
  ensureBuilt();
  const child = group.spawn(
    [process.execPath, MEMSHIM, '--dry-run', ...(json ? ['--json'] : []), '--', 'java', '-jar', 'app.jar'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`memshim exited ${code}: ${stderr}`);
  return stdout;
}

t.test(
  'v1 memory.soft_limit_in_bytes: a reclaim target, not "high", no MEMORY_HIGH_BELOW_MAX',
  { skip: cannot ?? false },
  async (t) => {
    const group = TestCgroup.create('soft-limit', { memoryBytes: 512 * MiB });
    t.teardown(() => group.remove());
    writeFileSync(join(group.dirs.memory, 'memory.soft_limit_in_bytes'), String(256 * MiB));
    const report = JSON.parse(await dryRun(group, true));
    t.equal(report.limits.memoryBytes, 512 * MiB);
    t.equal(report.limits.memoryHighBytes, null, 'memory.high is a v2 file: not set here');
    t.equal(report.limits.memorySoftLimitBytes, 256 * MiB, 'the soft limit under its own name');
    t.notMatch(
      report.risks.map((r: { code: string }) => r.code),
      ['MEMORY_HIGH_BELOW_MAX'],
      'not judged like memory.high',
    );
    const text = await dryRun(group, false);
    t.notMatch(text, /throttled/, 'nothing is throttled above a v1 soft limit');
    t.match(text, /soft limit\s+256 MiB\s+\(reclaimed down to this under host memory pressure/);
  },
);
