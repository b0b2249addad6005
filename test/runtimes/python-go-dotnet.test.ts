import t from 'tap';
import { planCommand } from '../../src/runtimes/index.js';
import { parseGoMemLimit } from '../../src/runtimes/go.js';
import { parseDotnetHex } from '../../src/runtimes/dotnet.js';
import { webConcurrency } from '../../src/runtimes/python.js';
import { GiB, inputOf, LIMIT_SIZES, MiB, SUPERVISOR } from '../helpers/plan-input.js';

const codes = (plan: { risks: { code: string }[] }) => plan.risks.map((r) => r.code);

t.test('Python: threads from the CPU limit, arena cap, workers, and the opt-in memory cap across limits', async (t) => {
  for (const limit of LIMIT_SIZES) {
    const plan = planCommand(
      inputOf(['python3', '-m', 'gunicorn', 'app:app'], limit, {
        options: { pythonMemoryCap: true },
        limits: { cpus: 1.5, cpuSource: 'cgroup' },
      }),
    );
    t.equal(plan.runtime, 'python');
    for (const name of [
      'PYTHON_CPU_COUNT',
      'OMP_NUM_THREADS',
      'OPENBLAS_NUM_THREADS',
      'MKL_NUM_THREADS',
      'NUMEXPR_MAX_THREADS',
    ])
      t.equal(plan.env[name], '1', `${name} at 1.5 CPUs`);
    t.equal(plan.env.MALLOC_ARENA_MAX, '2');
    const workers = Number(plan.env.WEB_CONCURRENCY);
    t.ok(
      workers >= 1 && workers <= 5 && (workers === 1 || workers * 96 * MiB <= limit - SUPERVISOR),
      `WEB_CONCURRENCY ${workers} fits ${limit / MiB} MiB`,
    );
    const cap = plan.rlimits[0]!;
    t.equal(cap.resource, 'RLIMIT_DATA');
    t.ok(cap.bytes < limit - SUPERVISOR, 'the cap is below the budget');
    // What a capped python3 keeps resident outside RLIMIT_DATA, measured by bench/non-heap.ts: its hot file pages
    // (8 MiB); its anonymous memory is nearly all inside VmData (idle: 6.8 MiB anon, VmData 8 MiB).
    if (limit >= 128 * MiB)
      t.ok(
        cap.bytes + 8 * MiB <= (limit - SUPERVISOR) * 0.95 + 1,
        'room for the hot pages of the interpreter and libraries',
      );
    t.same(
      plan.rlimits[1],
      { resource: 'RLIMIT_STACK', bytes: MiB },
      'thread stacks of 1 MiB: each counts in full against RLIMIT_DATA',
    );
  }
  t.same(planCommand(inputOf(['python3', 'app.py'], GiB)).rlimits, [], 'no cap unless asked');
  t.equal(planCommand(inputOf(['python3', 'app.py'], GiB)).env.WEB_CONCURRENCY, undefined, 'not a web server');
  t.equal(
    planCommand(inputOf(['gunicorn', '-w', '3', 'app:app'], GiB)).env.WEB_CONCURRENCY,
    undefined,
    'workers given on the command line',
  );
  t.equal(
    planCommand(inputOf(['uvicorn', 'app:app'], GiB, { env: { WEB_CONCURRENCY: '7' } })).env.WEB_CONCURRENCY,
    undefined,
    'user value kept',
  );
  t.equal(
    planCommand(
      inputOf(['python3.12', 'x.py'], GiB, { env: { OMP_NUM_THREADS: '8' }, limits: { cpus: 2, cpuSource: 'cgroup' } }),
    ).env.OMP_NUM_THREADS,
    undefined,
  );
  t.equal(webConcurrency(8 * GiB, 2), 5, '2 x 2 + 1 with no CPU limit');
  t.equal(webConcurrency(200 * MiB, 8), 2, 'bounded by memory');
  t.equal(webConcurrency(64 * GiB, 64), 12, 'at most 12');
});

t.test('Go: GOMEMLIMIT at 90% of the budget, GOMAXPROCS rounded down, user values judged', async (t) => {
  const go = { facts: { binaryKind: 'go' as const } };
  for (const limit of LIMIT_SIZES) {
    const plan = planCommand(inputOf(['./server'], limit, { ...go, limits: { cpus: 2.5, cpuSource: 'cgroup' } }));
    t.equal(plan.runtime, 'go');
    t.equal(plan.env.GOMEMLIMIT, `${Math.floor(((limit - SUPERVISOR) * 0.9) / MiB)}MiB`);
    t.equal(plan.env.GOMAXPROCS, '2');
  }
  const user = planCommand(inputOf(['./server'], 512 * MiB, { ...go, env: { GOMEMLIMIT: '1GiB', GOMAXPROCS: '8' } }));
  t.equal(user.env.GOMEMLIMIT, undefined);
  t.equal(user.env.GOMAXPROCS, undefined);
  t.ok(codes(user).includes('HEAP_EXCEEDS_LIMIT'));
  t.ok(
    codes(planCommand(inputOf(['./server'], 512 * MiB, { ...go, env: { GOMEMLIMIT: '480MiB' } }))).includes(
      'HEAP_PLUS_OVERHEAD_EXCEEDS_LIMIT',
    ),
    '480 MiB + memshim 48 MiB',
  );
  for (const [text, value] of [
    ['512MiB', 512 * MiB],
    ['1GiB', GiB],
    ['1000', 1000],
    ['100B', 100],
    ['off', 'off'],
    ['1gb', null],
  ] as const)
    t.equal(parseGoMemLimit(text), value, text);
});

t.test('.NET: hexadecimal heap hard limit and processor count, user values judged', async (t) => {
  for (const limit of LIMIT_SIZES) {
    const plan = planCommand(inputOf(['dotnet', 'app.dll'], limit, { limits: { cpus: 1.5, cpuSource: 'cgroup' } }));
    t.equal(plan.runtime, 'dotnet');
    const value = plan.env.DOTNET_GCHeapHardLimit!;
    t.match(value, /^0x[0-9a-f]+$/, 'hexadecimal');
    const bytes = Number.parseInt(value.slice(2), 16);
    t.ok(bytes <= Math.max(16 * MiB, (limit - SUPERVISOR) * 0.75), `at most 75% of the budget at ${limit / MiB} MiB`);
    t.equal(plan.env.DOTNET_PROCESSOR_COUNT, '2');
  }
  t.equal(planCommand(inputOf(['./api'], GiB, { facts: { binaryKind: 'dotnet' } })).runtime, 'dotnet', 'an apphost');
  const user = planCommand(
    inputOf(['dotnet', 'app.dll'], 512 * MiB, { env: { DOTNET_GCHeapHardLimit: '0x40000000' } }),
  );
  t.equal(user.env.DOTNET_GCHeapHardLimit, undefined);
  t.ok(codes(user).includes('HEAP_EXCEEDS_LIMIT'), '0x40000000 = 1 GiB');
  t.ok(
    codes(
      planCommand(inputOf(['dotnet', 'a.dll'], 512 * MiB, { env: { COMPlus_GCHeapHardLimitPercent: '0x64' } })),
    ).includes('HEAP_EXCEEDS_LIMIT'),
    '0x64 = 100%',
  );
  t.equal(parseDotnetHex('4B'), 75);
  t.equal(parseDotnetHex('0x10'), 16);
  t.equal(parseDotnetHex('zz'), null);
});

t.test('every command gets MEMSHIM_MEMORY_LIMIT_BYTES and MEMSHIM_CPU_LIMIT; generic sets nothing else', async (t) => {
  const plan = planCommand(inputOf(['./run.sh'], 512 * MiB, { limits: { cpus: 1.5, cpuSource: 'cgroup' } }));
  t.equal(plan.runtime, 'generic');
  t.same(plan.env, { MEMSHIM_MEMORY_LIMIT_BYTES: String(512 * MiB), MEMSHIM_CPU_LIMIT: '1.5' });
  t.equal(
    planCommand(inputOf(['./run.sh'], 512 * MiB)).env.MEMSHIM_CPU_LIMIT,
    '2',
    'no CPU limit: the CPUs it may run on',
  );
});

t.test('the Python memory cap is per process: workers share the budget', async (t) => {
  const single = planCommand(inputOf(['python3', 'app.py'], 2 * GiB, { options: { pythonMemoryCap: true } }))
    .rlimits[0]!.bytes;
  const server = planCommand(
    inputOf(['gunicorn', 'app:app'], 2 * GiB, {
      options: { pythonMemoryCap: true },
      limits: { cpus: 2, cpuSource: 'cgroup' },
    }),
  );
  t.equal(server.env.WEB_CONCURRENCY, '3', 'one per CPU of the 2 CPU limit + 1');
  const perWorker = server.rlimits[0]!.bytes;
  t.ok(perWorker * 3 + 32 * MiB <= 2 * GiB - SUPERVISOR, 'three workers and the master fit the budget');
  t.ok(perWorker < single / 2.5);
  const userWorkers = planCommand(
    inputOf(['gunicorn', '--workers=2', 'app:app'], 2 * GiB, { options: { pythonMemoryCap: true } }),
  );
  t.equal(userWorkers.env.WEB_CONCURRENCY, undefined);
  t.ok(userWorkers.rlimits[0]!.bytes * 2 <= 2 * GiB - SUPERVISOR, "the user's 2 workers share it");
  t.ok(userWorkers.notes.some((n) => /2 workers share the budget/.test(n)));
});
