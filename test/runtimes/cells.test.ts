// The cells of bench/oom-matrix (issue 11) as planner tables, with memshim's real reservation: Java, Node and
// Python at 128 MiB .. 2 GiB, limit on the leaf and on a parent. What each plan must give so that memshim is
// never worse than the runtime's default or the 75% recipe: a heap that fits with the non-heap memory
// bench/non-heap.ts measured, at least the recipe's heap from 512 MiB up, room for a live set of half the limit
// at 128 MiB (Node's churn cell), and a risk before the start where nothing can fit.
import t from 'tap';
import { OWN_MEMORY_BYTES } from '../../src/commands/run.js';
import { planCommand } from '../../src/runtimes/index.js';
import { inputOf, MiB, GiB, flagMiB } from '../helpers/plan-input.js';

const LIMITS = [128 * MiB, 256 * MiB, 512 * MiB, 1 * GiB, 2 * GiB];
const PLACEMENTS = { leaf: {}, parent: { memoryLimitFrom: '/sys/fs/cgroup/memory/pod' } } as const;
/** The larger of the two packagings' reservations (npm, single executable), without the health server. */
const SUPERVISOR_OVERHEAD_BYTES = Math.max(...Object.values(OWN_MEMORY_BYTES).map((own) => own.supervising));
const options = { supervisorOverheadBytes: SUPERVISOR_OVERHEAD_BYTES };
const codes = (plan: { risks: { code: string }[] }) => plan.risks.map((r) => r.code);
/** Measured by bench/non-heap.ts (anonymous memory outside the heap at its peak, rounded up). */
const NODE_OUTSIDE_OLD_SPACE = 9 * MiB;
const JVM_OUTSIDE_HEAP = 16 * MiB;

for (const [placement, limits] of Object.entries(PLACEMENTS)) {
  t.test(`Node cells, limit on the ${placement}`, async (t) => {
    for (const limit of LIMITS) {
      const plan = planCommand(inputOf(['node', 'fill.js'], limit, { options, limits }));
      const oldSpace = flagMiB(plan.env.NODE_OPTIONS, /--max-old-space-size=(\d+)/)! * MiB;
      const semi = flagMiB(plan.env.NODE_OPTIONS, /--max-semi-space-size=(\d+)/) ?? 16;
      const at = `${limit / MiB} MiB`;
      t.ok(
        oldSpace + 3 * semi * MiB + NODE_OUTSIDE_OLD_SPACE + SUPERVISOR_OVERHEAD_BYTES <= limit,
        `fill at ${at}: old space, young generation, Node and memshim fit (no kernel kill)`,
      );
      t.ok(oldSpace >= limit / 2 + 16 * MiB, `churn at ${at}: a live set of half the limit fits with room to collect`);
      if (limit >= 512 * MiB) t.ok(oldSpace >= 0.75 * limit, `fill at ${at}: at least the 75% recipe's old space`);
      t.ok(semi <= 16, 'a semi-space set whatever Node would pick from the host');
    }
    // 80 MiB of old space survived the 64 MiB churn in 128 MiB when Node saw only the host (field measurement).
    t.ok(
      flagMiB(
        planCommand(inputOf(['node', 'a.js'], 128 * MiB, { options, limits })).env.NODE_OPTIONS,
        /--max-old-space-size=(\d+)/,
      )! >= 80,
    );
  });

  t.test(`Java cells, limit on the ${placement}`, async (t) => {
    for (const limit of LIMITS) {
      const plan = planCommand(inputOf(['java', '-cp', 'classes', 'Fill'], limit, { options, limits }));
      const heap = flagMiB(plan.env.JAVA_TOOL_OPTIONS, /-Xmx(\d+)m/)! * MiB;
      const at = `${limit / MiB} MiB`;
      t.ok(
        heap + JVM_OUTSIDE_HEAP + SUPERVISOR_OVERHEAD_BYTES <= limit,
        `fill at ${at}: a full heap and the JVM's measured native memory fit (no kernel kill)`,
      );
      if (limit >= 512 * MiB) t.ok(heap >= 0.75 * limit, `fill at ${at}: at least -XX:MaxRAMPercentage=75's heap`);
      if (limit >= 256 * MiB) t.ok(heap >= limit / 2 + 32 * MiB, `churn at ${at}: a live set of half the limit fits`);
      t.equal(plan.env.MALLOC_ARENA_MAX, '2');
    }
  });

  t.test(`Python cells, limit on the ${placement}`, async (t) => {
    for (const limit of LIMITS) {
      const capped = planCommand(
        inputOf(['python3', 'fill.py'], limit, { options: { ...options, pythonMemoryCap: true }, limits }),
      );
      const data = capped.rlimits.find((r) => r.resource === 'RLIMIT_DATA')!.bytes;
      t.ok(
        data + 8 * MiB + SUPERVISOR_OVERHEAD_BYTES <= limit,
        `fill at ${limit / MiB} MiB: MemoryError before the limit`,
      );
      // numpy with one OpenBLAS thread maps 85 MiB at import (bench/non-heap.ts): it must still start.
      t.ok(data >= 96 * MiB, 'a numpy app still imports numpy under the cap');
      t.ok(
        capped.rlimits.some((r) => r.resource === 'RLIMIT_STACK' && r.bytes === MiB),
        '32 threads fit in the cap',
      );
      const uncapped = planCommand(inputOf(['python3', 'fill.py'], limit, { options, limits }));
      t.ok(
        uncapped.risks.some(
          (r) =>
            r.code === 'PYTHON_NO_MEMORY_CAP' &&
            /kernel OOM-kills/.test(r.message) &&
            /--python-memory-cap/.test(r.message),
        ),
        'the default says before the start what will happen',
      );
    }
  });
}

t.test('where no setting can fit, the plan says before the start, with the smallest limit that would', async (t) => {
  const java = planCommand(inputOf(['java', '-Xmx600m', '-jar', 'app.jar'], 512 * MiB, { options }));
  const risk = java.risks.find((r) => r.code === 'HEAP_EXCEEDS_LIMIT')!;
  t.match(risk.message, /at least (\d+(\.\d+)?) MiB/);
  const needed = Number(/at least (\d+(?:\.\d+)?) MiB/.exec(risk.message)![1]);
  t.ok(needed > 600 + 16, 'the heap, its non-heap memory and memshim');
  const node = planCommand(inputOf(['node', '--max-old-space-size=200', 'a.js'], 192 * MiB, { options }));
  t.match(node.risks.find((r) => r.code === 'HEAP_EXCEEDS_LIMIT')!.message, /give the container at least/);
  const near = planCommand(inputOf(['node', '--max-old-space-size=180', 'a.js'], 192 * MiB, { options }));
  t.match(
    near.risks.find((r) => r.code === 'HEAP_PLUS_OVERHEAD_EXCEEDS_LIMIT')!.message,
    /give the container at least/,
  );
  t.same(
    codes(planCommand(inputOf(['node', 'a.js'], 128 * MiB, { options }))).filter((c) => c.startsWith('HEAP')),
    [],
    "memshim's own plan fits",
  );
});
