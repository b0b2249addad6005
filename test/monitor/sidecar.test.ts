// `memshim sidecar`: watching a process memshim did not start (as in a pod with a shared process namespace), in a
// real cgroup other than memshim's own. It finds the process, reads ITS limits, serves the endpoints, reports the
// kernel's OOM kill of it, and exits when it is gone.
import t, { type Test } from 'tap';
import { canMakeCgroups, TestCgroup } from '../helpers/real-cgroup.js';
import { startMemshim } from '../helpers/running.js';
import { runMemshim } from '../helpers/memshim.js';

const MiB = 1024 * 1024;

interface Status {
  source: string;
  child: { pid: number; running: boolean };
  limits: { memoryBytes: number };
  memshimPid: number;
  cgroup: { memoryPath: string };
  processes: { pid: number; name: string | null; cpuPercent: number | null; memoryBytes: number }[];
}
/** `memshim sidecar --pid PID` with the health server on a free port of 127.0.0.1, stopped when the test ends. */
async function startSidecar(t: Test, pid: number, ...options: string[]) {
  const run = startMemshim([
    'sidecar',
    '--pid',
    String(pid),
    ...options,
    '--health-port',
    '0',
    '--health-host',
    '127.0.0.1',
  ]);
  t.teardown(() => run.stop());
  return { run, port: (await run.waitFor('health_server')).port as number };
}

const HOG = 'a=[]\nwhile True: a.append(bytearray(1 << 20))';

t.test('--pid: its limits, the endpoints, and an exit when it ends', { skip: canMakeCgroups() ?? false }, async (t) => {
  const group = TestCgroup.create('memshim-sidecar', { memoryBytes: 128 * MiB });
  t.teardown(() => group.remove());
  // It runs until the test ends it: however slowly the sidecar starts, the target is there.
  const target = group.spawn(['sleep', '30']);
  const { run, port } = await startSidecar(t, target.pid!, '--monitor-interval', '0.1');
  const start = run.events('start')[0]!;
  t.equal(start.pid, target.pid);
  t.equal(start.command, 'sleep');
  t.equal(start.memoryBytes, 128 * MiB, "the target's limit, not memshim's");
  t.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as Status;
  t.equal(status.source, 'sidecar');
  t.equal(status.child.pid, target.pid);
  t.equal(status.child.running, true);
  t.equal(status.limits.memoryBytes, 128 * MiB);
  // The cgroup it found, as a path a person can look up (not the fd the sidecar keeps it open through).
  t.notMatch(status.cgroup.memoryPath, /^\/proc\/self\/fd\//);
  t.ok(
    status.cgroup.memoryPath.endsWith(group.dirs.memory),
    `memoryPath ${status.cgroup.memoryPath} is the target's cgroup ${group.dirs.memory}`,
  );
  t.ok(
    status.processes.some((p) => p.pid === target.pid && p.name === 'sleep' && p.memoryBytes > 0),
    'its own CPU and memory (pidusage)',
  );
  target.kill('SIGTERM');
  const { code } = await run.exited;
  // Its exit status is its parent's to read: the sidecar passes it on (143, SIGTERM) when it saw the zombie
  // before the parent reaped it, and exits 0 when the process was already gone without a trace.
  t.ok(code === 0 || code === 143, `exits when the process is gone, with its status when known: ${code}`);
  t.equal(run.events('child_exit')[0]?.oomKilled, false);
  t.equal(run.events('oom_kill').length, 0);
});

t.test(
  '--match: waits for the process, then reports its OOM kill and exits 137',
  { skip: canMakeCgroups() ?? false },
  async (t) => {
    const group = TestCgroup.create('memshim-sidecar-oom', { memoryBytes: 64 * MiB, noSwap: true });
    t.teardown(() => group.remove());
    const marker = `sidecar-target-${process.pid}`;
    const run = startMemshim([
      'sidecar',
      '--match',
      `(^|/)python3 -c [\\s\\S]* ${marker}$`,
      '--monitor-interval',
      '0.1',
      '--health-port',
      '0',
      '--health-host',
      '127.0.0.1',
    ]);
    t.teardown(() => run.stop());
    await run.waitFor('sidecar_waiting');
    // It fills memory only once told to (a line on stdin), after the sidecar found it.
    const hog = group.spawn(['python3', '-c', `import sys\nsys.stdin.readline()\n${HOG}`, marker], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    await run.waitFor('health_server');
    hog.stdin!.write('go\n');
    const { code } = await run.exited;
    t.equal(code, 137, `exit 137; stderr:\n${run.stderr()}`);
    t.equal(run.events('start')[0]?.pid, hog.pid, 'found the process by its command line');
    const kills = run.events('oom_kill');
    t.equal(kills.length, 1, 'exactly one oom_kill event');
    t.equal(kills[0]!.main, true);
    t.equal(kills[0]!.pid, hog.pid);
    t.equal(kills[0]!.limitBytes, 64 * MiB);
    t.notOk(run.stderr().includes(marker), 'the command line matched is never logged');
  },
);

t.test('the process itself, sampled with pidusage every interval: /status and /metrics', async (t) => {
  const { spawn } = await import('node:child_process');
  // Spins (until the test kills it) holding 48 MiB it wrote: CPU above 0, and the 48 MiB in its resident memory.
  const target = spawn('python3', [
    '-c',
    "import time\nb = b'x' * (48 << 20)\nend = time.time() + 30\nwhile time.time() < end: pass",
  ]);
  t.teardown(() => target.kill('SIGKILL'));
  const { run, port } = await startSidecar(t, target.pid!, '--monitor-interval', '0.1');
  let busy: Status['processes'][number] | undefined;
  for (let i = 0; i < 100 && !(busy && busy.cpuPercent! > 0 && busy.memoryBytes > 48 * MiB); i++) {
    const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as Status;
    busy = status.processes.find((p) => p.pid === target.pid);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.equal(busy?.name, 'python3', 'named by its executable');
  t.ok(busy!.cpuPercent! > 0, `CPU while it spins: ${busy?.cpuPercent}%`);
  t.ok(busy!.memoryBytes > 48 * MiB, `resident memory holds its 48 MiB buffer: ${busy?.memoryBytes}`);
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const resident = metrics.match(
    new RegExp(`^memshim_process_resident_bytes\\{pid="${target.pid}",name="python3"\\} (\\d+)$`, 'm'),
  );
  t.ok(resident && Number(resident[1]) > 48 * MiB, 'memshim_process_resident_bytes');
  t.match(
    metrics,
    new RegExp(`^memshim_process_cpu_percent\\{pid="${target.pid}",name="python3"\\} [\\d.]+$`, 'm'),
    'memshim_process_cpu_percent',
  );
});

t.test('SIGTERM to the sidecar: an ordinary end, exit 0, the process left alone', async (t) => {
  const { spawn } = await import('node:child_process');
  const target = spawn('sleep', ['30']);
  t.teardown(() => target.kill('SIGKILL'));
  const { run } = await startSidecar(t, target.pid!);
  run.child.kill('SIGTERM');
  t.equal((await run.exited).code, 0);
  t.equal(run.events('shutdown')[0]?.signal, 'SIGTERM');
  t.equal(target.exitCode, null, 'the watched process still runs');
});

t.test('--pid of no process: one line, exit 1', async (t) => {
  const result = runMemshim(['sidecar', '--pid', '999999999', '--health-port', '0']);
  t.equal(result.code, 1);
  t.equal(result.stderr, 'memshim: no process 999999999 (is the process namespace shared with this container?)\n');
});

t.test('reading /proc/N/stat and how a process ended', async (t) => {
  const { describeEnd } = await import('../../src/monitor/sidecar.js');
  const { parseProcStat } = await import('../../src/common/proc-stat.js');
  const fields = (state: string, exit: number) =>
    `1234 (we(ird) name) ${state} 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 200 1 1 1 1 1 1 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 ${exit}\n`;
  t.same(
    parseProcStat(fields('S', 0)),
    { comm: 'we(ird) name', state: 'S', ppid: 1, pgrp: 1234, startTime: 98765, exitStatus: 0 },
    'comm with spaces and parentheses',
  );
  t.equal(parseProcStat('garbage'), null);
  t.same(describeEnd(true, null), { code: 137, how: 'OOM-killed by the kernel' });
  t.same(describeEnd(false, parseProcStat(fields('Z', 3 << 8))), { code: 3, how: 'exited with 3' });
  t.same(describeEnd(false, parseProcStat(fields('Z', 15))), { code: 143, how: 'killed by signal 15' });
  t.same(describeEnd(false, null), { code: 0, how: 'gone (its exit status is for its parent to see)' });
});
