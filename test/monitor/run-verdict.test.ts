// What survives memshim, as tables: the settings a plan shows (memshim's words only, never the user's), the
// verdict on a previous run from its record, the termination message at each stage, the limit-change judgement.
import t from 'tap';
import { heapSetting, plannedSettings } from '../../src/runtimes/settings.js';
import { planCommand } from '../../src/runtimes/index.js';
import {
  parseRunRecord,
  previousRunVerdict,
  terminationMessage,
  truncateUtf8,
  RUN_RECORD_FORMAT,
  TERMINATION_MESSAGE_MAX_BYTES,
  type RunRecord,
} from '../../src/monitor/run-verdict.js';
import { diffLimits, judgeChange } from '../../src/monitor/limit-change.js';
import { inputOf, MiB } from '../helpers/plan-input.js';

t.test('plannedSettings: only the words memshim added to NODE_OPTIONS and JAVA_TOOL_OPTIONS', async (t) => {
  const env = { NODE_OPTIONS: '--require /secret/path.js --title=hunter2' };
  const plan = planCommand(inputOf(['node', 'app.js'], 512 * MiB, { env }));
  const settings = plannedSettings(plan, env);
  t.ok(settings.length > 0, 'memshim set something');
  t.notOk(JSON.stringify(settings).includes('secret'), 'no word of the user');
  t.notOk(JSON.stringify(settings).includes('hunter2'), 'no word of the user');
  t.ok(
    settings.some((s) => s.variable === 'NODE_OPTIONS' && /^--max-old-space-size=\d+$/.test(s.value)),
    'the heap flag, one word per setting',
  );
  const jenv = { JAVA_TOOL_OPTIONS: '-Dapi.key=s3cr3t' };
  const jvm = plannedSettings(planCommand(inputOf(['java', '-jar', 'app.jar'], 1024 * MiB, { env: jenv })), jenv);
  t.notOk(JSON.stringify(jvm).includes('s3cr3t'));
  t.ok(jvm.some((s) => /^-Xmx\d+m$/.test(s.value)));
});

t.test('heapSetting per runtime', async (t) => {
  const table: [string, Parameters<typeof heapSetting>[0], string | null, number | null][] = [
    [
      'jvm, last -Xmx wins',
      { runtime: 'jvm', env: { JAVA_TOOL_OPTIONS: '-Xmx1g -Xmx384m' }, rlimits: [] },
      '-Xmx384m',
      384 * MiB,
    ],
    [
      'node',
      { runtime: 'node', env: { NODE_OPTIONS: '--max-old-space-size=200 --max-semi-space-size=4' }, rlimits: [] },
      '--max-old-space-size=200',
      200 * MiB,
    ],
    ['go', { runtime: 'go', env: { GOMEMLIMIT: '460MiB' }, rlimits: [] }, 'GOMEMLIMIT=460MiB', 460 * MiB],
    [
      'dotnet',
      { runtime: 'dotnet', env: { DOTNET_GCHeapHardLimit: '0x10000000' }, rlimits: [] },
      'DOTNET_GCHeapHardLimit=0x10000000',
      256 * MiB,
    ],
    [
      'python rlimit',
      { runtime: 'python', env: {}, rlimits: [{ resource: 'RLIMIT_AS', bytes: 400 * MiB }] },
      'RLIMIT_AS=400MiB',
      400 * MiB,
    ],
    ['nothing set', { runtime: 'node', env: {}, rlimits: [] }, null, null],
    ['generic', { runtime: 'generic', env: {}, rlimits: [] }, null, null],
  ];
  for (const [name, plan, text, bytes] of table) {
    const heap = heapSetting(plan);
    t.equal(heap?.text ?? null, text, name);
    t.equal(heap?.bytes ?? null, bytes, name);
  }
});

const record = (more: Partial<RunRecord> = {}): RunRecord => ({
  format: RUN_RECORD_FORMAT,
  memshimVersion: 'dev',
  memshimPid: 1,
  startedAt: '2026-12-01T05:00:00.000Z',
  updatedAt: '2026-12-01T05:01:00.000Z',
  runtime: 'node',
  command: 'node',
  limitBytes: 256 * MiB,
  limitSource: 'cgroup',
  memoryHighBytes: null,
  cpus: null,
  heap: { text: '--max-old-space-size=150', bytes: 150 * MiB },
  workingSetBytes: 120 * MiB,
  peakBytes: 130 * MiB,
  level: null,
  cgroupId: '0:41',
  oomGroupKills: 0,
  oomKills: 0,
  end: null,
  ...more,
});
const end = (code: number, signal: number | null, oomKilled = false) => ({
  code,
  signal,
  oomKilled,
  at: '2026-12-01T05:02:00.000Z',
});

t.test('previousRunVerdict', async (t) => {
  const table: [
    string,
    RunRecord,
    { cgroupId: string | null; oomGroupKillsNow: number | null },
    string,
    boolean,
    number | null,
  ][] = [
    ['exited 0', record({ end: end(0, null) }), { cgroupId: null, oomGroupKillsNow: null }, 'exited', true, 0],
    ['exited 3', record({ end: end(3, null) }), { cgroupId: null, oomGroupKillsNow: null }, 'exited', true, 3],
    ['signal 15', record({ end: end(143, 15) }), { cgroupId: null, oomGroupKillsNow: null }, 'signaled', true, 143],
    [
      'OOM kill memshim saw',
      record({ end: end(137, 9, true) }),
      { cgroupId: null, oomGroupKillsNow: null },
      'oom_kill',
      true,
      137,
    ],
    [
      'no end, same cgroup, group counter up',
      record(),
      { cgroupId: '0:41', oomGroupKillsNow: 1 },
      'oom_group_kill',
      true,
      137,
    ],
    [
      'no end, another cgroup, was above 95%',
      record({ level: 0.95 }),
      { cgroupId: '0:99', oomGroupKillsNow: 0 },
      'oom_group_kill',
      false,
      137,
    ],
    [
      'no end, same cgroup, counter still, was at 90%',
      record({ level: 0.9 }),
      { cgroupId: '0:41', oomGroupKillsNow: 0 },
      'oom_group_kill',
      false,
      137,
    ],
    [
      'no end, only 80%',
      record({ level: 0.8 }),
      { cgroupId: '0:99', oomGroupKillsNow: null },
      'memshim_died',
      false,
      null,
    ],
    ['no end, quiet', record(), { cgroupId: '0:99', oomGroupKillsNow: null }, 'memshim_died', false, null],
  ];
  for (const [name, rec, evidence, kind, certain, code] of table) {
    const verdict = previousRunVerdict(rec, evidence);
    t.equal(verdict.kind, kind, `${name}: kind`);
    t.equal(verdict.certain, certain, `${name}: certain`);
    t.equal(verdict.code, code, `${name}: code`);
    t.match(verdict.message, /limit 256 MiB/, `${name}: the figures`);
    t.match(verdict.message, /heap --max-old-space-size=150/, `${name}: the heap`);
  }
});

t.test('parseRunRecord: only a whole record of this format', async (t) => {
  t.same(parseRunRecord(JSON.stringify(record())), record());
  t.equal(parseRunRecord('{"format":"memshim-run/0"}'), null);
  t.equal(parseRunRecord('{"format":"memshim-run/1","limi'), null, 'a torn write');
  t.equal(parseRunRecord(''), null);
});

t.test('terminationMessage at each stage', async (t) => {
  const input = {
    ratio: 0.47,
    pressure: false,
    advice: 'lower --max-old-space-size (memshim set --max-old-space-size=150)',
    oomMessage: null,
  };
  const quiet = terminationMessage({ ...input, record: record() });
  t.match(
    quiet,
    /running since .* limit 256 MiB \(cgroup\), working set 120 MiB \(47%\), peak 130 MiB, heap --max-old-space-size=150; below the warning levels/,
  );
  t.notMatch(quiet, /likely/);
  const high = terminationMessage({
    ...input,
    ratio: 0.91,
    record: record({ level: 0.9, workingSetBytes: 233 * MiB }),
  });
  t.match(high, /^memshim: an OOM kill is likely: the working set is above 90% of the memory limit/);
  t.match(high, /To avoid it: lower --max-old-space-size/);
  const pressure = terminationMessage({ ...input, pressure: true, record: record() });
  t.match(pressure, /OOM kill is likely: memory pressure is sustained/);
  t.match(
    terminationMessage({ ...input, record: record({ end: end(0, null) }) }),
    /node \(node\) exited with 0 \(exit 0\)/,
  );
  t.match(
    terminationMessage({ ...input, record: record({ end: end(143, 15) }) }),
    /was killed by signal 15 \(exit 143\)/,
  );
  const oom = terminationMessage({
    ...input,
    oomMessage: 'the kernel OOM-killed the main process (node, pid 7): ...',
    record: record({ end: end(137, 9, true) }),
  });
  t.match(oom, /was OOM-killed by the kernel \(exit 137\)\.\nthe kernel OOM-killed the main process/);
  const long = terminationMessage({ ...input, advice: 'é'.repeat(5000), record: record({ level: 0.95 }) });
  t.ok(Buffer.byteLength(long) <= TERMINATION_MESSAGE_MAX_BYTES, 'at most 4096 bytes');
  t.notMatch(long, /\uFFFD/, 'no character cut in two');
  t.equal(truncateUtf8('aé', 2), 'a');
});

t.test('diffLimits and judgeChange', async (t) => {
  const before = { memoryMaxBytes: 256 * MiB, memoryHighBytes: null, cpus: 2 };
  t.same(diffLimits(before, before, 2), [], 'nothing changed');
  const changes = diffLimits(before, { memoryMaxBytes: 128 * MiB, memoryHighBytes: 100 * MiB, cpus: 1 }, 2);
  t.same(
    changes.map((c) => c.file),
    ['memory.max', 'memory.high', 'cpu.max'],
  );
  t.same(
    diffLimits(before, { ...before, memoryMaxBytes: null }, 1).map((c) => c.file),
    ['memory.limit_in_bytes'],
    'v1 names',
  );
  const heap = { text: '--max-old-space-size=150', bytes: 150 * MiB };
  const shrink = judgeChange(changes, {
    runtime: 'node',
    heap,
    cpuSettings: ['UV_THREADPOOL_SIZE'],
    workingSetBytes: 60 * MiB,
    effectiveMemoryBytes: 128 * MiB,
  });
  t.match(shrink.summary, /memory.max 256 MiB -> 128 MiB, memory.high unlimited -> 100 MiB, cpu.max 2 CPU -> 1 CPU/);
  t.match(
    shrink.cannotFollow,
    /--max-old-space-size=150 \(Node\), UV_THREADPOOL_SIZE; a container restart re-tunes it/,
  );
  t.match(
    shrink.risk,
    /new memory limit 128 MiB is below the heap the runtime was given at start \(--max-old-space-size=150 = 150 MiB\)/,
  );
  const grow = judgeChange(diffLimits(before, { ...before, memoryMaxBytes: 512 * MiB }, 2), {
    runtime: 'node',
    heap,
    cpuSettings: [],
    workingSetBytes: 60 * MiB,
    effectiveMemoryBytes: 512 * MiB,
  });
  t.equal(grow.risk, null, 'a larger limit is no risk');
  t.match(grow.cannotFollow, /--max-old-space-size=150/, 'but the heap still does not follow');
  const tight = judgeChange(diffLimits(before, { ...before, memoryMaxBytes: 100 * MiB }, 2), {
    runtime: 'generic',
    heap: null,
    cpuSettings: [],
    workingSetBytes: 95 * MiB,
    effectiveMemoryBytes: 100 * MiB,
  });
  t.match(tight.risk, /working set 95 MiB is already at 95% of the new memory limit/);
  t.equal(tight.cannotFollow, null, 'nothing memshim set');
  const go = judgeChange(diffLimits(before, { ...before, cpus: 1 }, 2), {
    runtime: 'go',
    heap: null,
    cpuSettings: ['GOMAXPROCS'],
    workingSetBytes: null,
    effectiveMemoryBytes: 256 * MiB,
  });
  t.match(go.cannotFollow, /GOMAXPROCS \(set by memshim/);
});
