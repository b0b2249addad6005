// A limit changed under a running memshim (in-place resize; on v1 a write to memory.limit_in_bytes) is told once, at
// the next monitor reading, with the file, the old and the new value (src/monitor/limit-watch.ts); the start itself
// tells none: what the start read is what later readings are compared with, so a resize during the start is told
// at the first reading after it. On this machine's real v1 cgroups; the v2 VM's test/v2/checks/50-resize.mjs does
// the same for memory.max, memory.high and cpu.max.
import t from 'tap';
import { once } from 'node:events';
import { canMakeCgroups, TestCgroup } from '../helpers/real-cgroup.js';
import { ensureBuilt, MEMSHIM } from '../helpers/memshim.js';
import { captureLog } from '../helpers/log-capture.js';
import { LimitWatch } from '../../src/monitor/limit-watch.js';
import { readLiveLimits } from '../../src/cgroup/limits.js';
import type { Limits } from '../../src/cgroup/types.js';

const MiB = 2 ** 20;

t.test(
  'memory.limit_in_bytes 256 -> 128 MiB under a running memshim: one limits_changed line',
  {
    skip: canMakeCgroups() ?? false,
  },
  async (t) => {
    ensureBuilt();
    const group = TestCgroup.create('limit-watch', { memoryBytes: 256 * MiB });
    const env: NodeJS.ProcessEnv = { ...process.env, MEMSHIM_LOG_LEVEL: 'info' };
    delete env.NODE_OPTIONS;
    const child = group.spawn(
      ['env', '-u', 'NODE_OPTIONS', process.execPath, MEMSHIM, '--monitor-interval', '0.2', '--', 'sleep', '30'],
      { stdio: ['ignore', 'ignore', 'pipe'], env },
    );
    const exited = once(child, 'exit');
    t.teardown(async () => {
      child.kill('SIGKILL');
      await exited;
      group.remove();
    });
    const lines: { event?: string; changes?: { file: string; from: number | null; to: number | null }[] }[] = [];
    let buffered = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      buffered += chunk;
      const complete = buffered.split('\n');
      buffered = complete.pop()!;
      for (const line of complete) lines.push(JSON.parse(line) as (typeof lines)[number]);
    });
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const seen = async (event: string) => {
      for (let i = 0; i < 300 && !lines.some((l) => l.event === event); i++) await sleep(50);
      return lines.filter((l) => l.event === event);
    };
    t.equal((await seen('start')).length, 1, 'the child started');
    await sleep(600); // three monitor readings of unchanged limits
    t.same(
      lines.filter((l) => l.event === 'limits_changed'),
      [],
      'no change told for limits that did not change',
    );
    group.setLimits({ memoryBytes: 128 * MiB });
    const changed = await seen('limits_changed');
    t.equal(changed.length, 1, 'one line');
    t.match(changed[0]?.changes, [{ file: 'memory.limit_in_bytes', from: 256 * MiB, to: 128 * MiB }]);
    await sleep(600);
    t.equal(lines.filter((l) => l.event === 'limits_changed').length, 1, 'and told once');
  },
);

t.test(
  "a resize after the start's reading: the watch's first check (the start's own tick) reads nothing, the next tells it",
  { skip: canMakeCgroups() ?? false },
  async (t) => {
    const group = TestCgroup.create('limit-watch-baseline', { memoryBytes: 256 * MiB, cpus: 1 });
    const captured = await captureLog();
    t.teardown(() => {
      group.remove();
      captured.close();
    });
    const location = group.location();
    const host = 1024 * 1024 * MiB;
    const start = readLiveLimits(location, host);
    t.same(start, { memoryMaxBytes: 256 * MiB, memoryHighBytes: null, cpus: group.dirs.cpu ? 1 : null });
    const limits = {
      cgroup: location,
      memoryBytes: 256 * MiB,
      memorySource: 'cgroup',
      hostMemoryBytes: host,
    } as Limits;
    const watch = new LimitWatch({ location, limits, plan: null, log: captured.log, baseline: start });
    group.setLimits({ memoryBytes: 128 * MiB });
    t.same(watch.check(null), [], 'the first check, in the tick of the start, compares nothing');
    t.match(watch.check(null), [{ limit: 'memory.max', from: 256 * MiB, to: 128 * MiB }], 'the next tells the resize');
    t.equal(limits.memoryBytes, 128 * MiB, 'the shared limits follow');
    t.equal(captured.events('limits_changed').length, 1);
    t.same(watch.check(null), [], 'and only once');
  },
);
