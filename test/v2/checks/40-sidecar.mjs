// The sidecar in a pod with a shared PID namespace, as on Kubernetes (shareProcessNamespace: true): two
// container-like cgroups, each with its own cgroup and mount namespaces and memory.oom.group=1, one PID namespace
// held by a pause process. The app container is OOM-killed as a group; the sidecar, in the other container, sees
// it through the app's cgroup (memory.events, read through /proc/PID/root and a pinned directory) and says so.
import { readFileSync } from 'node:fs';
import { assert, equal, HOG, makeCgroup, MEMSHIM, removeCgroup, sleep, spawnIn, MiB } from '../lib.mjs';

async function childOf(pid) {
  for (let i = 0; i < 600; i++) {
    try {
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      if (children) return Number(children.split(' ')[0]);
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  throw new Error(`no child of ${pid}`);
}

export const checks = [
  [
    "sidecar: the app container's group OOM kill is reported with the process, the limit and the peak",
    async () => {
      let pause;
      try {
        makeCgroup('v2-pod', { 'memory.max': 512 * MiB });
        makeCgroup('v2-pod/pause');
        makeCgroup('v2-pod/app', { 'memory.max': 96 * MiB, 'memory.swap.max': 0, 'memory.oom.group': 1 });
        makeCgroup('v2-pod/side', { 'memory.oom.group': 1 });
        pause = spawnIn('v2-pod/pause', ['unshare', '-pf', '--mount-proc', 'sleep', '900']);
        const holder = await childOf(pause.child.pid);
        // The app waits 40 s before it allocates: the sidecar (slow to start in the VM) finds it first.
        const app = spawnIn('v2-pod/app', [HOG, '256', '2', '300', '40000'], { namespaces: true, pidnsOf: holder });
        const side = spawnIn(
          'v2-pod/side',
          [
            process.execPath,
            MEMSHIM,
            'sidecar',
            '--match',
            'v2/hog',
            '--monitor-interval',
            '0.5',
            '--health-port',
            '0',
            '--health-host',
            '127.0.0.1',
          ],
          { namespaces: true, pidnsOf: holder },
        );
        const start = await side.event('start', 180_000);
        assert(
          start.memoryBytes === 96 * MiB && start.memorySource === 'cgroup',
          "the sidecar reads the app container's limit",
          start,
        );
        const oom = await side.event('oom_kill', 240_000);
        assert(
          oom.main === true && oom.command === 'hog' && oom.groupKill === true,
          'the main process, a group kill',
          oom,
        );
        assert(oom.limitBytes === 96 * MiB && oom.peakBytes >= 90 * MiB, 'the limit and the peak', oom);
        assert(/with every process in its cgroup \(memory.oom.group=1\)/.test(oom.msg), 'said in words', oom.msg);
        const end = await side.event('child_exit');
        assert(end.oomKilled === true && end.code === 137, 'the end: OOM-killed, 137', end);
        equal((await side.ended()).code, 137, 'the sidecar exits 137');
        await app.ended();
      } finally {
        pause?.kill('SIGKILL');
        await removeCgroup('v2-pod');
      }
    },
  ],
];
