// In-place pod resize on v2: memory.max, memory.high and cpu.max change under a running container; memshim logs
// limits_changed within a monitor interval, says what cannot follow (the heap memshim gave Node at start: planned
// with --runtime node over a sleep, which starts at once in the slow VM), and the risk.
import { assert, equal, get, makeCgroup, memshim, removeCgroup, sample, sleep, CGROUP, MiB } from '../lib.mjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const checks = [
  [
    'resize: memory.max 256 -> 128 MiB, memory.high set, cpu.max 1 -> 0.5 CPU: limits_changed, the risk, /metrics',
    async () => {
      try {
        makeCgroup('v2-resize', { 'memory.max': 256 * MiB, 'cpu.max': '100000 100000' });
        const proc = memshim('v2-resize', [
          '--monitor-interval',
          '0.5',
          '--health-port',
          '9472',
          '--health-host',
          '127.0.0.1',
          '--runtime',
          'node',
          '--',
          'sleep',
          '600',
        ]);
        await proc.event('health_server', 180_000);
        writeFileSync(join(CGROUP, 'v2-resize/memory.max'), String(128 * MiB));
        writeFileSync(join(CGROUP, 'v2-resize/memory.high'), String(120 * MiB));
        writeFileSync(join(CGROUP, 'v2-resize/cpu.max'), '50000 100000');
        const changed = await proc.event('limits_changed');
        const all = async () => {
          for (let i = 0; i < 120; i++) {
            const files = proc.lines
              .filter((l) => l.event === 'limits_changed')
              .flatMap((l) => l.changes.map((c) => c.file));
            if (['memory.max', 'memory.high', 'cpu.max'].every((f) => files.includes(f))) return files;
            await sleep(500);
          }
          return null;
        };
        assert(
          await all(),
          'all three changes logged',
          proc.lines.filter((l) => l.event === 'limits_changed'),
        );
        const max = proc.lines
          .flatMap((l) => (l.event === 'limits_changed' ? l.changes : []))
          .find((c) => c.file === 'memory.max');
        assert(max.from === 256 * MiB && max.to === 128 * MiB, 'memory.max old -> new', max);
        assert(
          /--max-old-space-size=\d+ \(Node\)/.test(changed.cannotFollow ?? ''),
          "Node's heap cannot follow",
          changed,
        );
        const risk = await proc.line((l) => l.event === 'risk' && l.code === 'LIMIT_BELOW_RUNTIME', 30_000, 'the risk');
        assert(/below the heap the runtime was given/.test(risk.msg), 'the risk says why', risk);
        const metrics = (await get(9472, '/metrics')).text;
        equal(sample(metrics, 'memshim_memory_limit_bytes'), 128 * MiB, 'memshim_memory_limit_bytes follows');
        equal(sample(metrics, 'memshim_memory_high_bytes'), 120 * MiB, 'memshim_memory_high_bytes follows');
        equal(sample(metrics, 'memshim_cpu_limit_cores'), 0.5, 'memshim_cpu_limit_cores follows');
        proc.kill('SIGTERM');
        await proc.ended();
      } finally {
        await removeCgroup('v2-resize');
      }
    },
  ],
];
