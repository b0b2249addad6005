// A kernel OOM kill in a container cgroup, with memory.oom.group 0 (only the hog dies: memshim explains it) and
// 1 (the kubelet's setting on v2 since Kubernetes 1.28: the kernel kills the whole group, memshim included).
import { assert, equal, HOG, keyed, makeCgroup, memshim, readCgroup, removeCgroup, MiB } from '../lib.mjs';

export const checks = [
  [
    'memory.oom.group 0: the hog is killed, memshim reports oom_kill and exits 137; memory.events max, oom, oom_kill',
    async () => {
      try {
        makeCgroup('v2-oom0', { 'memory.max': 96 * MiB, 'memory.swap.max': 0, 'memory.oom.group': 0 });
        const proc = memshim('v2-oom0', ['--monitor-interval', '0.5', '--', HOG, '256', '2', '250']);
        const line = await proc.event('oom_kill');
        assert(line.main === true && line.limitBytes === 96 * MiB && line.command === 'hog', 'the main process, the limit, the command', line);
        const { code } = await proc.ended();
        equal(code, 137, 'memshim exits 137');
        const events = keyed(readCgroup('v2-oom0', 'memory.events'));
        assert(events.max > 0 && events.oom >= 1 && events.oom_kill === 1 && events.oom_group_kill === 0, 'memory.events', events);
      } finally {
        await removeCgroup('v2-oom0');
      }
    },
  ],
  [
    'memory.oom.group 1: the kernel kills memshim with the hog (SIGKILL); memory.events oom_group_kill 1',
    async () => {
      try {
        makeCgroup('v2-oom1', { 'memory.max': 96 * MiB, 'memory.swap.max': 0, 'memory.oom.group': 1 });
        const proc = memshim('v2-oom1', ['--monitor-interval', '0.5', '--', HOG, '256', '2', '250']);
        const { code, signal } = await proc.ended();
        assert(signal === 'SIGKILL' || code === 137, 'memshim itself was killed', { code, signal, stderr: proc.stderr.slice(-2000) });
        const events = keyed(readCgroup('v2-oom1', 'memory.events'));
        assert(events.oom_group_kill === 1 && events.oom_kill >= 2, 'one group kill, every process counted in oom_kill', events);
      } finally {
        await removeCgroup('v2-oom1');
      }
    },
  ],
];
