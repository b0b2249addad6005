import t from 'tap';
import fc from 'fast-check';
import { planCommand } from '../../src/runtimes/index.js';
import { jvmRegions, jvmDefaultHeap, JVM_MINIMUM_BYTES } from '../../src/runtimes/jvm.js';
import { parseJavaCommand, parseJvmSize } from '../../src/runtimes/jvm-args.js';
import { GiB, inputOf, LIMIT_SIZES, MiB, SUPERVISOR, flagMiB } from '../helpers/plan-input.js';

const XMX = /-Xmx(\d+)m/;
const codes = (plan: { risks: { code: string }[] }) => plan.risks.map((r) => r.code);

t.test(
  'JVM heap across limits 64 MiB .. 64 GiB: budget fits, grows with the limit, beats the JVM default from 512 MiB',
  async (t) => {
    // limit -> -Xmx in MiB (memshim's 48 MiB taken out, no jar); thread stacks counted at the 256 KiB they touch
    // (bench/non-heap.ts), not at -Xss
    const expected: [number, number][] = [
      [64 * MiB, 8],
      [128 * MiB, 23],
      [256 * MiB, 130],
      [512 * MiB, 367],
      [1 * GiB, 829],
      [2 * GiB, 1747],
      [4 * GiB, 3582],
      [16 * GiB, 15498],
      [64 * GiB, 64124],
    ];
    let previous = 0;
    for (const [limit, heapMiB] of expected) {
      const plan = planCommand(inputOf(['java', '-jar', 'app.jar'], limit));
      const xmx = flagMiB(plan.env.JAVA_TOOL_OPTIONS, XMX);
      t.equal(xmx, heapMiB, `-Xmx at ${limit / MiB} MiB`);
      t.ok(xmx! >= previous, 'never smaller for a bigger limit');
      previous = xmx!;
      const regions = jvmRegions(limit - SUPERVISOR, 0);
      if (limit - SUPERVISOR >= JVM_MINIMUM_BYTES)
        t.ok(
          regions.heapBytes + regions.nonHeapBytes + SUPERVISOR <= limit,
          `heap + non-heap + memshim fit in ${limit / MiB} MiB`,
        );
      if (limit >= 512 * MiB)
        t.ok(xmx! * MiB >= 2.5 * jvmDefaultHeap(limit), `at least 2.5x the JVM default heap at ${limit / MiB} MiB`);
      t.match(plan.env.JAVA_TOOL_OPTIONS, /-XX:\+ExitOnOutOfMemoryError/);
      t.equal(plan.runtime, 'jvm');
    }
    t.ok(
      planCommand(inputOf(['java', 'Main'], 64 * MiB)).risks.some(
        (r) => r.code === 'LIMIT_BELOW_RUNTIME_MINIMUM' && r.level === 'warn',
      ),
      '64 MiB is below the JVM minimum',
    );
    t.notOk(
      codes(planCommand(inputOf(['java', 'Main'], 128 * MiB))).includes('LIMIT_BELOW_RUNTIME_MINIMUM'),
      '128 MiB works',
    );
  },
);

t.test(
  'below 4 GiB the non-heap regions are scaled and the plan says so; at 64 GiB the Paketo defaults hold',
  async (t) => {
    const small = planCommand(inputOf(['java', '-jar', 'app.jar'], 128 * MiB));
    // A code cache below 32 MiB stops the JIT of a real server (Tomcat: half the throughput at 10m, bench/apps.ts).
    t.match(small.env.JAVA_TOOL_OPTIONS, /-XX:ReservedCodeCacheSize=32m/);
    t.ok(
      small.notes.some((n) => /scaled/.test(n) && /600 MiB/.test(n)),
      'a note explains the scaling',
    );
    const big = planCommand(inputOf(['java', '-jar', 'app.jar'], 64 * GiB));
    t.match(big.env.JAVA_TOOL_OPTIONS, /-XX:ReservedCodeCacheSize=240m/);
    t.notOk(big.notes.some((n) => /scaled/.test(n)));
    const regions = jvmRegions(64 * GiB, 0);
    t.equal(regions.threads, 250);
  },
);

t.test('metaspace follows the class count of the jars', async (t) => {
  const few = jvmRegions(4 * GiB, 100).metaspaceBytes;
  const many = jvmRegions(4 * GiB, 40_000).metaspaceBytes;
  t.equal(
    many - few,
    Math.round(0.35 * 40_000) * 5800 - Math.round(0.35 * 100) * 5800,
    '5,800 bytes per loaded class, 35% loaded',
  );
  const plan = planCommand(inputOf(['java', '-jar', 'app.jar'], 2 * GiB, { facts: { jarClassCount: 12_345 } }));
  t.ok(plan.notes.some((n) => n.includes('12345 classes')));
});

t.test('user-set JVM values are kept, not overridden, and judged', async (t) => {
  const limit = 512 * MiB;
  const table: {
    name: string;
    argv: string[];
    env?: Record<string, string>;
    risk: string | null;
    keepsXmx: boolean;
  }[] = [
    {
      name: 'JAVA_TOOL_OPTIONS -Xmx at the limit',
      argv: ['java', '-jar', 'a.jar'],
      env: { JAVA_TOOL_OPTIONS: '-Xmx512m' },
      risk: 'HEAP_EXCEEDS_LIMIT',
      keepsXmx: true,
    },
    {
      name: 'JDK_JAVA_OPTIONS -Xmx above the limit',
      argv: ['java', '-jar', 'a.jar'],
      env: { JDK_JAVA_OPTIONS: '-Xmx1g' },
      risk: 'HEAP_EXCEEDS_LIMIT',
      keepsXmx: true,
    },
    {
      name: 'command-line -Xmx too big with the non-heap',
      argv: ['java', '-Xmx450m', '-jar', 'a.jar'],
      risk: 'HEAP_PLUS_OVERHEAD_EXCEEDS_LIMIT',
      keepsXmx: true,
    },
    { name: '-XX:MaxHeapSize that fits', argv: ['java', '-XX:MaxHeapSize=256m', 'Main'], risk: null, keepsXmx: true },
    {
      name: '-XX:MaxRAMPercentage=100',
      argv: ['java', '-XX:MaxRAMPercentage=100', 'Main'],
      risk: 'HEAP_EXCEEDS_LIMIT',
      keepsXmx: true,
    },
    {
      name: '-XX:MaxRAMPercentage=75 with memshim beside it',
      argv: ['java', '-XX:MaxRAMPercentage=75', 'Main'],
      risk: 'HEAP_PLUS_OVERHEAD_EXCEEDS_LIMIT',
      keepsXmx: true,
    },
    {
      name: '-Xmx after the main class is an app argument',
      argv: ['java', 'Main', '-Xmx4g'],
      risk: null,
      keepsXmx: false,
    },
  ];
  for (const row of table) {
    const plan = planCommand(inputOf(row.argv, limit, { env: row.env ?? {} }));
    const options = plan.env.JAVA_TOOL_OPTIONS ?? '';
    t.equal(
      XMX.test(options) && !(row.env?.JAVA_TOOL_OPTIONS ?? '').includes('-Xmx'),
      !row.keepsXmx,
      `${row.name}: memshim ${row.keepsXmx ? 'adds no' : 'adds its'} -Xmx`,
    );
    if (row.risk) t.ok(codes(plan).includes(row.risk), `${row.name}: ${row.risk}`);
    else
      t.notOk(
        codes(plan).some((c) => c.startsWith('HEAP')),
        `${row.name}: no heap risk`,
      );
  }
  const appended = planCommand(
    inputOf(['java', '-jar', 'a.jar'], limit, { env: { JAVA_TOOL_OPTIONS: '-Dfoo=bar -XX:-ExitOnOutOfMemoryError' } }),
  );
  t.match(
    appended.env.JAVA_TOOL_OPTIONS,
    /^-Dfoo=bar -XX:-ExitOnOutOfMemoryError -Xmx\d+m /,
    'appended after the user words',
  );
  t.notMatch(
    appended.env.JAVA_TOOL_OPTIONS,
    /\+ExitOnOutOfMemoryError/,
    'the user opted out of ExitOnOutOfMemoryError',
  );
  const optOut = planCommand(inputOf(['java', 'Main'], limit, { options: { exitOnOutOfMemory: false } }));
  t.notMatch(optOut.env.JAVA_TOOL_OPTIONS, /ExitOnOutOfMemoryError/, '--no-exit-on-oom');
  const heapRisk = planCommand(inputOf(['java', 'Main'], limit, { env: { JAVA_TOOL_OPTIONS: '-Xmx2g' } })).risks.find(
    (r) => r.code === 'HEAP_EXCEEDS_LIMIT',
  )!;
  t.equal(heapRisk.level, 'error');
  t.notMatch(heapRisk.message, /\n/, 'one line');
  t.notMatch(heapRisk.message, /-Xmx2g/, 'the variable text itself is not repeated');
  t.match(heapRisk.message, /2 GiB.*512 MiB.*OOM-kill.*lower it to/);
});

t.test('ActiveProcessorCount from the CPU limit, unless the user set it', async (t) => {
  const table: [number | null, string | null][] = [
    [0.5, '1'],
    [1.5, '2'],
    [4, '4'],
    [null, null],
  ];
  for (const [cpus, count] of table) {
    const plan = planCommand(
      inputOf(['java', 'Main'], 1 * GiB, { limits: { cpus, cpuSource: cpus === null ? null : 'cgroup' } }),
    );
    t.equal(
      /-XX:ActiveProcessorCount=(\d+)/.exec(plan.env.JAVA_TOOL_OPTIONS ?? '')?.[1] ?? null,
      count,
      `${cpus} CPUs`,
    );
  }
  const user = planCommand(
    inputOf(['java', '-XX:ActiveProcessorCount=8', 'Main'], 1 * GiB, { limits: { cpus: 1, cpuSource: 'cgroup' } }),
  );
  t.notMatch(user.env.JAVA_TOOL_OPTIONS, /ActiveProcessorCount/);
});

t.test('--no-tune sets nothing for the JVM but still judges what the user set', async (t) => {
  const plan = planCommand(inputOf(['java', '-Xmx1g', 'Main'], 512 * MiB, { options: { tune: false } }));
  t.same(Object.keys(plan.env).sort(), ['MEMSHIM_CPU_LIMIT', 'MEMSHIM_MEMORY_LIMIT_BYTES']);
  t.ok(codes(plan).includes('HEAP_EXCEEDS_LIMIT'));
});

t.test('java command lines', async (t) => {
  t.same(parseJavaCommand(['java', '-cp', 'a.jar:b.jar', 'Main', '-cp', 'x']), {
    options: [],
    jar: null,
    classpath: ['a.jar', 'b.jar'],
    mainClass: 'Main',
  });
  t.same(parseJavaCommand(['java', '-Xmx1g', '-jar', 'app.jar', '-Xmx2g']), {
    options: ['-Xmx1g'],
    jar: 'app.jar',
    classpath: null,
    mainClass: null,
  });
  t.same(parseJavaCommand(['java', '--class-path=lib/*', '-Dx=1', 'com.example.App']), {
    options: ['-Dx=1'],
    jar: null,
    classpath: ['lib/*'],
    mainClass: 'com.example.App',
  });
  t.same(parseJavaCommand(['java', '-m', 'mod/app.Main', '-Xmx1g']).options, []);
  for (const [text, bytes] of [
    ['512m', 512 * MiB],
    ['1G', GiB],
    ['1024k', MiB],
    ['536870912', 512 * MiB],
    ['12x', null],
    ['', null],
  ] as const)
    t.equal(parseJvmSize(text), bytes, text);
});

t.test('property: for any limit from 128 MiB up, the JVM plan fits the limit with memshim beside it', async () => {
  fc.assert(
    fc.property(fc.integer({ min: 128, max: 65536 }), fc.integer({ min: 0, max: 100_000 }), (limitMiB, classes) => {
      const limit = limitMiB * MiB;
      const r = jvmRegions(limit - SUPERVISOR, classes);
      return r.heapBytes + r.nonHeapBytes + SUPERVISOR <= limit || r.heapBytes === 8 * MiB;
    }),
  );
});
