// A kernel OOM kill in a container cgroup, with memory.oom.group 0 (only the hog dies: memshim explains it) and
// 1 (the kubelet's setting on v2 since Kubernetes 1.28: the kernel kills the whole group, memshim included, and
// only what memshim wrote before, the termination message and the --state-dir record, tells why).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  assert,
  equal,
  get,
  HOG,
  keyed,
  makeCgroup,
  memshim,
  readCgroup,
  removeCgroup,
  sample,
  ROOT,
  MiB,
} from '../lib.mjs';

export const checks = [
  [
    'memory.oom.group 0: a hog under sh is killed, memshim says so; memory.events and /metrics count max, oom, oom_kill',
    async () => {
      try {
        makeCgroup('v2-oom0', { 'memory.max': 96 * MiB, 'memory.swap.max': 0, 'memory.oom.group': 0 });
        const proc = memshim('v2-oom0', [
          '--monitor-interval',
          '0.5',
          '--health-port',
          '9471',
          '--health-host',
          '127.0.0.1',
          '--',
          'sh',
          '-c',
          `${HOG} 256 4 250; exec sleep 600`,
        ]);
        const line = await proc.event('oom_kill');
        assert(
          line.command === 'hog' && line.limitBytes === 96 * MiB && line.groupKill === false,
          'the hog, the limit, no group kill',
          line,
        );
        const events = keyed(readCgroup('v2-oom0', 'memory.events'));
        assert(
          events.max > 0 && events.oom >= 1 && events.oom_kill === 1 && events.oom_group_kill === 0,
          'memory.events',
          events,
        );
        const metrics = (await get(9471, '/metrics')).text;
        for (const [event, value] of Object.entries({
          max: events.max,
          oom: events.oom,
          oom_kill: 1,
          oom_group_kill: 0,
        })) {
          const got = sample(metrics, `memshim_memory_events_total{event="${event}"}`);
          // max and oom may have moved on between the two reads: at least what the file said.
          assert(
            got !== null && got >= value,
            `memshim_memory_events_total{event="${event}"} >= ${value}`,
            metrics
              .split('\n')
              .filter((l) => l.includes('events'))
              .join('\n'),
          );
        }
        equal(sample(metrics, 'memshim_oom_kills_total'), 1, 'memshim_oom_kills_total');
        proc.kill('SIGTERM');
        equal((await proc.ended()).code, 143, 'memshim ends with the SIGTERMed sleep');
      } finally {
        await removeCgroup('v2-oom0');
      }
    },
  ],
  [
    'memory.oom.group 1: memshim dies with the hog; the termination message and the state dir say why, the next start too',
    async () => {
      const dir = mkdtempSync(join(ROOT, '.cache/v2/state-'));
      const log = join(dir, 'termination-log');
      const state = join(dir, 'state');
      try {
        makeCgroup('v2-oom1', { 'memory.max': 128 * MiB, 'memory.swap.max': 0, 'memory.oom.group': 1 });
        // Slowly (2 MiB every 400 ms) so that the monitor sees 80, 90 and 95% before the kill.
        const proc = memshim('v2-oom1', [
          '--monitor-interval',
          '0.3',
          '--termination-log',
          log,
          '--state-dir',
          state,
          '--',
          HOG,
          '256',
          '2',
          '400',
        ]);
        const { code, signal } = await proc.ended(300_000);
        assert(signal === 'SIGKILL', 'memshim itself was killed', { code, signal, stderr: proc.stderr.slice(-3000) });
        const events = keyed(readCgroup('v2-oom1', 'memory.events'));
        assert(
          events.oom_group_kill === 1 && events.oom_kill >= 2,
          'one group kill, every process counted in oom_kill',
          events,
        );
        assert(
          proc.lines.some((l) => l.event === 'memory_pressure' && l.kind === 'above'),
          'a threshold crossing was logged before',
          proc.stderr.slice(-3000),
        );
        const message = readFileSync(log, 'utf8');
        assert(
          /^memshim: an OOM kill is likely: the working set is above (80|90|95)% of the memory limit; limit 128 MiB \(cgroup\)/.test(
            message,
          ),
          'the termination message warned',
          message,
        );
        assert(
          /To avoid it: /.test(message) && Buffer.byteLength(message) <= 4096,
          'with what to change, within 4096 bytes',
          message,
        );
        const record = JSON.parse(readFileSync(join(state, 'memshim-run.json'), 'utf8'));
        assert(
          record.end === null && record.level >= 0.8 && record.oomGroupKills === 0,
          'the record: no end, a level, the group counter before',
          record,
        );

        // The container restarts in the same cgroup: the group counter moved since the record, so it is certain.
        const next = memshim('v2-oom1', ['--state-dir', state, '--', 'true']);
        const previous = await next.event('previous_run');
        assert(
          previous.verdict === 'oom_group_kill' && previous.certain === true && previous.level === 50,
          'previous_run: OOM-killed with the whole group',
          previous,
        );
        assert(
          /OOM-killed with its whole cgroup/.test(previous.msg) && /limit 128 MiB/.test(previous.msg),
          'with the figures',
          previous.msg,
        );
        equal((await next.ended()).code, 0, 'the next run');
        assert(!existsSync(join(state, `.${proc.child.pid}.memshim.tmp`)), 'no temporary file left');
      } finally {
        await removeCgroup('v2-oom1');
        rmSync(dir, { recursive: true, force: true });
      }
    },
  ],
];
