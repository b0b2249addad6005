// What a Kubernetes user sees of a run, on this machine's real (v1) cgroups: a live limit change (in-place resize)
// logged within a monitor interval with what cannot follow and the risk, the thresholds and /metrics following it;
// the termination message and the --state-dir record kept current; the previous run's verdict at the next start.
// The v2 side (memory.oom.group=1, memory.events) is in test/v2/checks/.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { canMakeCgroups, TestCgroup } from '../helpers/real-cgroup.js';
import { startMemshim } from '../helpers/running.js';

const MiB = 1024 * 1024;

async function get(port: number, path: string) {
  return (await fetch(`http://127.0.0.1:${port}${path}`)).text();
}

function metric(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

t.test(
  'a live limit change: limits_changed, what cannot follow, the risk, the metrics',
  { skip: canMakeCgroups() ?? false },
  async (t) => {
    const group = TestCgroup.create('memshim-resize', { memoryBytes: 256 * MiB, cpus: 1 });
    t.teardown(() => group.remove());
    const run = startMemshim(
      [
        '--health-port',
        '0',
        '--health-host',
        '127.0.0.1',
        '--monitor-interval',
        '0.1',
        '--',
        'node',
        '-e',
        'setTimeout(() => {}, 60000)',
      ],
      { cgroup: group },
    );
    t.teardown(() => run.stop());
    const port = (await run.waitFor('health_server')).port as number;
    await run.waitFor('start');
    const before = await get(port, '/metrics');
    t.equal(metric(before, 'memshim_memory_limit_bytes'), 256 * MiB);
    t.match(before, /memshim_plan_info\{runtime="node",heap="--max-old-space-size=\d+"\} 1/);
    t.match(before, /memshim_plan_setting_info\{variable="NODE_OPTIONS",value="--max-old-space-size=\d+"\} 1/);
    t.match(before, /memshim_build_info\{version="[^"]+",nodejs="v\d+/);
    t.match(before, /memshim_limit_source_info\{limit="memory",source="cgroup",cgroup="[^"]*memshim-resize[^"]*"\} 1/);
    t.match(before, /memshim_memory_events_total\{event="oom_kill"\} 0/);

    group.setLimits({ memoryBytes: 128 * MiB });
    const changed = await run.waitFor('limits_changed');
    const version = group.dirs.version;
    t.same(changed.changes, [
      {
        limit: 'memory.max',
        file: version === 2 ? 'memory.max' : 'memory.limit_in_bytes',
        from: 256 * MiB,
        to: 128 * MiB,
      },
    ]);
    t.equal(changed.memoryBytes, 128 * MiB);
    t.equal(changed.previousMemoryBytes, 256 * MiB);
    t.match(changed.cannotFollow, /--max-old-space-size=\d+ \(Node\).*restart/);
    t.match(changed.msg, /limits changed: .*256 MiB -> 128 MiB/);
    const risk = await run
      .waitFor('risk', 20_000)
      .then(() => run.events('risk').find((r) => r.code === 'LIMIT_BELOW_RUNTIME'));
    // The heap memshim gave Node for 256 MiB is more than 128 MiB: the new limit is below it.
    t.ok(risk, 'the risk is logged');
    t.match(risk?.msg, /below the heap the runtime was given at start/);

    group.setLimits({ cpus: 0.5 });
    for (let i = 0; i < 200 && run.events('limits_changed').length < 2; i++)
      await new Promise((r) => setTimeout(r, 50));
    const cpu = run.events('limits_changed')[1]!;
    t.same(cpu.changes, [{ limit: 'cpu.max', file: version === 2 ? 'cpu.max' : 'cpu.cfs_quota_us', from: 1, to: 0.5 }]);
    const after = await get(port, '/metrics');
    t.equal(metric(after, 'memshim_memory_limit_bytes'), 128 * MiB, 'the metric follows');
    t.equal(metric(after, 'memshim_cpu_limit_cores'), 0.5);
    t.equal(metric(after, 'memshim_limit_changes_total{limit="memory.max"}'), 1);
    t.equal(metric(after, 'memshim_limit_changes_total{limit="cpu.max"}'), 1);
    const status = JSON.parse(await get(port, '/status'));
    t.equal(status.limits.memoryBytes, 128 * MiB, '/status follows');
  },
);

t.test(
  'termination message and state dir: kept current, the previous run read back',
  { skip: canMakeCgroups() ?? false },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'memshim-state-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const log = join(dir, 'termination-log');
    const state = join(dir, 'state');
    const group = TestCgroup.create('memshim-report', { memoryBytes: 96 * MiB, noSwap: true });
    t.teardown(() => group.remove());
    // Fills to 85% of the limit, says so, waits for a line, then exits 3.
    const fill = `
import sys
usage_file, limit = sys.argv[1], int(sys.argv[2])
held = []
while int(open(usage_file).read()) < 0.85 * limit:
    held.append(bytearray(1 << 20))
print('full', flush=True)
sys.stdin.readline()
sys.exit(3)
`;
    const usage = join(group.dirs.memory, group.dirs.version === 2 ? 'memory.current' : 'memory.usage_in_bytes');
    const run = startMemshim(
      [
        '--monitor-interval',
        '0.1',
        '--termination-log',
        log,
        '--state-dir',
        state,
        '--',
        'python3',
        '-c',
        fill,
        usage,
        String(96 * MiB),
      ],
      { cgroup: group, stdin: 'pipe' },
    );
    t.teardown(() => run.stop());
    // Written once the watch is attached, right after the spawn.
    for (let i = 0; i < 200 && !existsSync(log); i++) await new Promise((r) => setTimeout(r, 25));
    t.match(
      readFileSync(log, 'utf8'),
      /^memshim: python3 \(python\) running since .*limit 96 MiB \(cgroup\).*below the warning levels/,
      'the first verdict at start',
    );
    const above = await run.waitFor('memory_pressure');
    t.equal(above.level, 0.8);
    // Written at the crossing (the monitor's reading that logged it also rewrote the file).
    for (let i = 0; i < 100 && !/likely/.test(readFileSync(log, 'utf8')); i++)
      await new Promise((r) => setTimeout(r, 50));
    const warned = readFileSync(log, 'utf8');
    t.match(warned, /^memshim: an OOM kill is likely: the working set is above 80% of the memory limit; limit 96 MiB/);
    t.match(warned, /If this container ended with 137 \(OOMKilled\), that was the cause.*To avoid it: /s);
    const record = JSON.parse(readFileSync(join(state, 'memshim-run.json'), 'utf8'));
    t.equal(record.format, 'memshim-run/1');
    t.equal(record.level, 0.8);
    t.equal(record.end, null);
    t.equal(record.command, 'python3');
    run.child.stdin!.write('go\n');
    t.equal((await run.exited).code, 3);
    t.match(readFileSync(log, 'utf8'), /^memshim: python3 \(python\) exited with 3 \(exit 3\); limit 96 MiB/);
    t.same(JSON.parse(readFileSync(join(state, 'memshim-run.json'), 'utf8')).end, {
      code: 3,
      signal: null,
      oomKilled: false,
      at: JSON.parse(readFileSync(join(state, 'memshim-run.json'), 'utf8')).end.at,
    });
    t.notOk(existsSync(join(state, `.${run.child.pid}.memshim.tmp`)), 'no temporary file left');

    // The next start reads it back: logged, and on /metrics.
    const next = startMemshim(
      ['--health-port', '0', '--health-host', '127.0.0.1', '--state-dir', state, '--', 'sleep', '30'],
      { cgroup: group },
    );
    t.teardown(() => next.stop());
    const previous = await next.waitFor('previous_run');
    t.equal(previous.verdict, 'exited');
    t.equal(previous.code, 3);
    t.equal(previous.limitBytes, 96 * MiB);
    t.match(previous.msg, /exited with 3: limit 96 MiB \(cgroup\), last working set/);
    const port = (await next.waitFor('health_server')).port as number;
    const metrics = await get(port, '/metrics');
    t.equal(metric(metrics, 'memshim_previous_run_info{verdict="exited",certain="true"}'), 1);
    t.equal(metric(metrics, 'memshim_previous_run_exit_code'), 3);
    await next.stop();

    // A record with no end (memshim SIGKILLed above 90%): the next start infers the group kill.
    const file = join(state, 'memshim-run.json');
    const dead = { ...JSON.parse(readFileSync(file, 'utf8')), end: null, level: 0.95, cgroupId: 'elsewhere' };
    writeFileSync(file, JSON.stringify(dead));
    const third = startMemshim(['--state-dir', state, '--', 'true'], { cgroup: group });
    const inferred = await third.waitFor('previous_run');
    t.equal(inferred.verdict, 'oom_group_kill');
    t.equal(inferred.certain, false);
    t.equal(inferred.level, 50, 'an error line');
    t.match(inferred.msg, /most likely was OOM-killed with its whole cgroup/);
    t.equal((await third.exited).code, 0);
  },
);

t.test("--termination-log '' and a file that cannot be written: no message, one warning, the child runs", async (t) => {
  const off = startMemshim(['--termination-log', '', '--', 'true']);
  t.equal((await off.exited).code, 0);
  t.equal(off.events('report_file').length, 0);
  const bad = startMemshim(['--termination-log', '/proc/version', '--', 'sh', '-c', 'exit 4']);
  t.equal((await bad.exited).code, 4, "the child's code");
  t.equal(bad.events('report_file').length, 1, 'one warning, not one per write');
});

t.test(
  'replaceFile: a rename where it can, in place on a bind mount (the kubelet mounts /dev/termination-log)',
  async (t) => {
    const { replaceFile } = await import('../../src/monitor/run-report.js');
    const { execFileSync } = await import('node:child_process');
    const dir = mkdtempSync(join(tmpdir(), 'memshim-replace-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const plain = join(dir, 'plain');
    replaceFile(plain, 'a longer first text\n');
    replaceFile(plain, 'short\n');
    t.equal(readFileSync(plain, 'utf8'), 'short\n', 'replaced whole');
    const source = join(dir, 'host-side');
    const target = join(dir, 'termination-log');
    writeFileSync(source, '');
    writeFileSync(target, '');
    try {
      execFileSync('mount', ['--bind', source, target], { stdio: 'ignore' });
    } catch {
      t.comment('cannot bind-mount here (not root): the in-place path is not checked');
      return;
    }
    t.teardown(() => execFileSync('umount', [target], { stdio: 'ignore' }));
    replaceFile(target, 'a longer first verdict\n');
    replaceFile(target, 'shorter\n');
    t.equal(readFileSync(target, 'utf8'), 'shorter\n', 'written in place, cut to length');
    t.equal(readFileSync(source, 'utf8'), 'shorter\n', 'the kubelet (the other side of the mount) reads it');
    t.notOk(existsSync(join(dir, `.${process.pid}.memshim.tmp`)), 'the temporary file is gone');
  },
);
