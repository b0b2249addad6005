import t from 'tap';
import { planCommand } from '../../src/runtimes/index.js';
import { nodeDefaultHeap, nodeRegions, userNodeFlags } from '../../src/runtimes/node.js';
import { GiB, inputOf, LIMIT_SIZES, MiB, SUPERVISOR, flagMiB } from '../helpers/plan-input.js';

const OLD = /--max-old-space-size=(\d+)/;
const codes = (plan: { risks: { code: string }[] }) => plan.risks.map((r) => r.code);

t.test('Node old space across limits 64 MiB .. 64 GiB', async (t) => {
  // Node's own 16 MiB outside the heap (8 MiB anonymous + 8 MiB of hot code pages, bench/non-heap.ts), not 40
  const expected: Record<number, number> = {
    64: 16,
    128: 54,
    256: 163,
    512: 382,
    1024: 863,
    2048: 1836,
    4096: 3781,
    16384: 15455,
    65536: 62149,
  };
  let previous = 0;
  for (const limit of LIMIT_SIZES) {
    const plan = planCommand(inputOf(['node', 'server.js'], limit));
    const heap = flagMiB(plan.env.NODE_OPTIONS, OLD)!;
    t.equal(heap, expected[limit / MiB], `--max-old-space-size at ${limit / MiB} MiB`);
    t.ok(heap >= previous);
    previous = heap;
    const regions = nodeRegions(limit - SUPERVISOR);
    if (limit >= 128 * MiB)
      t.ok(regions.heapBytes + regions.nonHeapBytes + SUPERVISOR <= limit, `fits in ${limit / MiB} MiB`);
    // Node alone never goes below 259 MiB: memshim's heap is the one that fits small containers.
    if (limit <= 256 * MiB) t.ok(heap * MiB < nodeDefaultHeap(limit), 'smaller than Node would pick');
  }
  t.match(
    planCommand(inputOf(['node', 'a.js'], 128 * MiB)).env.NODE_OPTIONS,
    /--max-semi-space-size=2/,
    'a small young generation in a small container',
  );
  t.notMatch(
    planCommand(inputOf(['node', 'a.js'], 2 * GiB)).env.NODE_OPTIONS,
    /semi-space/,
    'V8 default from 1 GiB up',
  );
  t.ok(codes(planCommand(inputOf(['node', 'a.js'], 64 * MiB))).includes('LIMIT_BELOW_RUNTIME_MINIMUM'));
});

t.test('Node flags the user set are kept and judged', async (t) => {
  const limit = 1 * GiB;
  const argvFlag = planCommand(inputOf(['node', '--max-old-space-size=4096', 'app.js'], limit));
  t.notMatch(argvFlag.env.NODE_OPTIONS ?? '', OLD, 'no second --max-old-space-size');
  t.ok(argvFlag.risks.some((r) => r.code === 'HEAP_EXCEEDS_LIMIT' && r.level === 'error'));
  const separate = planCommand(inputOf(['node', '--max_old_space_size', '900', 'app.js'], limit));
  t.ok(codes(separate).includes('HEAP_PLUS_OVERHEAD_EXCEEDS_LIMIT'), '900 MiB + Node + memshim > 1 GiB');
  const env = planCommand(
    inputOf(['node', 'app.js'], limit, { env: { NODE_OPTIONS: '--enable-source-maps --max-old-space-size=512' } }),
  );
  t.equal(env.env.NODE_OPTIONS, undefined, 'NODE_OPTIONS left as the user wrote it');
  t.same(
    codes(env).filter((c) => c.startsWith('HEAP')),
    [],
  );
  const appended = planCommand(inputOf(['node', 'app.js'], limit, { env: { NODE_OPTIONS: '--enable-source-maps' } }));
  t.match(appended.env.NODE_OPTIONS, /^--enable-source-maps --max-old-space-size=\d+$/);
  const percent = planCommand(
    inputOf(['node', 'app.js'], limit, { env: { NODE_OPTIONS: '--max-old-space-size-percentage=100' } }),
  );
  t.ok(codes(percent).includes('HEAP_EXCEEDS_LIMIT'));
  const afterScript = userNodeFlags(['node', 'app.js', '--max-old-space-size=4096'], {});
  t.same(afterScript, {}, 'a flag after the script belongs to the script');
  t.same(userNodeFlags(['node', '-r', 'x', '--max-semi-space-size=4', 'a.js'], {}).semiSpace?.value, 4);
});

t.test('--no-tune: Node default heap judged against the limit', async (t) => {
  const small = planCommand(inputOf(['node', 'a.js'], 256 * MiB, { options: { tune: false } }));
  t.same(Object.keys(small.env).sort(), ['MEMSHIM_CPU_LIMIT', 'MEMSHIM_MEMORY_LIMIT_BYTES']);
  t.ok(codes(small).includes('RUNTIME_DEFAULT_EXCEEDS_LIMIT'), '259 MiB of default heap does not fit 256 MiB');
  const parent = planCommand(
    inputOf(['node', 'a.js'], 2 * GiB, {
      options: { tune: false, supervisorOverheadBytes: 0 },
      limits: { memoryLimitFrom: '/sys/fs/cgroup/memory/pod' },
    }),
  );
  t.ok(
    codes(parent).includes('RUNTIME_DEFAULT_EXCEEDS_LIMIT'),
    'a parent limit is invisible to Node: it sizes from the host',
  );
  const big = planCommand(inputOf(['node', 'a.js'], 2 * GiB, { options: { tune: false, supervisorOverheadBytes: 0 } }));
  t.notOk(codes(big).includes('RUNTIME_DEFAULT_EXCEEDS_LIMIT'), 'half of a leaf limit fits');
});

t.test('UV_THREADPOOL_SIZE only where more CPUs than the default 4 help', async (t) => {
  for (const [cpus, size] of [
    [2, undefined],
    [4, undefined],
    [6, '6'],
    [7.5, '8'],
    [null, undefined],
  ] as const) {
    const plan = planCommand(
      inputOf(['node', 'a.js'], GiB, { limits: { cpus, cpuSource: cpus === null ? null : 'cgroup' } }),
    );
    t.equal(plan.env.UV_THREADPOOL_SIZE, size, `${cpus} CPUs`);
  }
  t.equal(
    planCommand(
      inputOf(['node', 'a.js'], GiB, { env: { UV_THREADPOOL_SIZE: '16' }, limits: { cpus: 8, cpuSource: 'cgroup' } }),
    ).env.UV_THREADPOOL_SIZE,
    undefined,
  );
});

t.test('npm / npx / yarn stay resident beside the app: their memory comes out of the heap', async (t) => {
  const direct = flagMiB(planCommand(inputOf(['node', 'server.js'], GiB)).env.NODE_OPTIONS, OLD)!;
  const viaNpm = planCommand(inputOf(['npm', 'start'], GiB));
  t.equal(viaNpm.runtime, 'node');
  // npm start measured at 15.4 MiB of anonymous memory beside the app (bench/non-heap.ts), counted at 24 MiB.
  t.ok(flagMiB(viaNpm.env.NODE_OPTIONS, OLD)! <= direct - 22, 'about 24 MiB less heap (less its 5% headroom)');
  t.ok(viaNpm.notes.some((n) => n.startsWith('npm stays resident')));
});

t.test('each launcher keeps out what it was measured to hold beside the app (bench/non-heap.ts)', async (t) => {
  const direct = flagMiB(planCommand(inputOf(['node', 'server.js'], GiB)).env.NODE_OPTIONS, OLD)!;
  // [launcher argv, MiB kept out]: peak anon around an idle Node, less that Node, + 8 MiB hot code, rounded up.
  for (const [argv, kept] of [
    [['npx', 'serve'], 24],
    [['yarn', 'start'], 64],
    [['/usr/local/bin/pnpm', 'start'], 64],
    [['pm2-runtime', 'app.js'], 32],
  ] as const) {
    const plan = planCommand(inputOf([...argv], GiB));
    const heap = flagMiB(plan.env.NODE_OPTIONS, OLD)!;
    // The heap shrinks by what is kept out, less the 5% headroom on it (the headroom is a share of the rest).
    t.ok(heap <= direct - Math.floor(kept * 0.95) && heap >= direct - kept - 1, `${argv[0]}: ${direct} -> ${heap}`);
    t.ok(
      plan.notes.some((n) => n.includes(`${kept} MiB more is kept out of the heap`)),
      `${argv[0]}: the note says ${kept} MiB`,
    );
  }
});
