// Limits read in a leaf under a parent, as on a Kubernetes node: the pod's cgroup (the parent) holds the memory
// and CPU limits, the container's cgroup (the leaf) its own; the effective limit is the smallest over both.
import { assert, equal, makeCgroup, memshim, removeCgroup, MiB } from '../lib.mjs';

async function dryRun(path, env = {}, namespaces = false) {
  const proc = memshim(path, ['--dry-run', '--json', '--', 'sh', '-c', 'true'], { env, namespaces });
  const { code } = await proc.ended();
  equal(code, 0, `dry run exit (stderr: ${proc.stderr.slice(-2000)})`);
  return JSON.parse(proc.stdout);
}

export const checks = [
  [
    'memory.max, memory.high, memory.swap.max and cpu.max of a parent bind the leaf',
    async () => {
      try {
        makeCgroup('v2-pod', { 'memory.max': 300 * MiB, 'memory.high': 280 * MiB, 'cpu.max': '75000 100000' });
        makeCgroup('v2-pod/app', { 'memory.max': 400 * MiB, 'memory.high': 200 * MiB, 'memory.swap.max': 0 });
        const report = await dryRun('v2-pod/app');
        const l = report.limits;
        assert(
          l.memoryBytes === 300 * MiB && l.memorySource === 'cgroup' && /v2-pod$/.test(l.memoryLimitFrom ?? ''),
          'memory limit from the parent',
          l,
        );
        assert(l.memoryHighBytes === 200 * MiB, 'memory.high: the leaf (smaller than the parent)', l);
        assert(l.swapBytes === 0, 'swap forbidden by the leaf', l);
        assert(
          l.cpus === 0.75 && l.cpuSource === 'cgroup' && /v2-pod$/.test(l.cpuLimitFrom ?? ''),
          'cpu.max of the parent: 0.75',
          l,
        );
        equal(report.cgroup.version, 2, 'cgroup version');
      } finally {
        await removeCgroup('v2-pod');
      }
    },
  ],
  [
    'a cpuset of one CPU is the CPU limit when no quota is set',
    async () => {
      try {
        makeCgroup('v2-pin', { 'cpuset.cpus': '1' });
        makeCgroup('v2-pin/app');
        const l = (await dryRun('v2-pin/app')).limits;
        assert(l.cpus === 1 && l.cpuSource === 'cpuset' && l.affinityCpus === 1, 'one CPU from the cpuset', l);
      } finally {
        await removeCgroup('v2-pin');
      }
    },
  ],
  [
    'in a private cgroup namespace only the container cgroup is seen: a pod-level limit needs MEMSHIM_MEMORY',
    async () => {
      try {
        makeCgroup('v2-podlimit', { 'memory.max': 300 * MiB });
        makeCgroup('v2-podlimit/ctr', { 'cpu.max': '50000 100000' });
        const inside = await dryRun('v2-podlimit/ctr', {}, true);
        equal(inside.cgroup.version, 2, 'v2 inside the namespace');
        // The pod's 300 MiB sits above the namespace's root: invisible, as on Kubernetes with pod-level resources.
        assert(
          inside.limits.memorySource === 'host',
          'the parent limit is invisible from the namespace',
          inside.limits,
        );
        assert(inside.limits.cpus === 0.5, "the container's own cpu.max is seen", inside.limits);
        const told = await dryRun('v2-podlimit/ctr', { MEMSHIM_MEMORY: '300Mi' }, true);
        assert(
          told.limits.memoryBytes === 300 * MiB && told.limits.memorySource === 'option',
          'MEMSHIM_MEMORY (the downward API) fills the gap',
          told.limits,
        );
      } finally {
        await removeCgroup('v2-podlimit');
      }
    },
  ],
];
