import t from 'tap';
import { planCommand } from '../../src/runtimes/index.js';
import { detectRuntime, skipEnv } from '../../src/runtimes/detect.js';
import { GiB, inputOf, MiB } from '../helpers/plan-input.js';
import type { Limits } from '../../src/cgroup/types.js';

t.test('runtime detection from odd command lines', async (t) => {
  const table: [string[], { shebang?: string[]; binaryKind?: 'go' | 'dotnet' }, string][] = [
    [['java', '-cp', 'a.jar:b.jar', 'Main'], {}, 'jvm'],
    [['/usr/lib/jvm/java-17/bin/java', '-jar', 'app.jar'], {}, 'jvm'],
    [['node', '--max-old-space-size=4096', 'app.js'], {}, 'node'],
    [['/usr/bin/env', 'node', 'app.js'], {}, 'node'],
    [['env', 'FOO=1', '-u', 'BAR', 'python3', 'x.py'], {}, 'python'],
    [['npm', 'start'], {}, 'node'],
    [['python', '-m', 'gunicorn', 'app:app'], {}, 'python'],
    [['python3.12', 'app.py'], {}, 'python'],
    [['/usr/local/bin/uvicorn', 'app:app'], {}, 'python'],
    [['./serve'], { shebang: ['/usr/bin/env', 'node'] }, 'node'],
    [['./manage'], { shebang: ['/usr/bin/env', '-S', 'python3 -u'] }, 'python'],
    [['./tool'], { shebang: ['/usr/bin/python3.11'] }, 'python'],
    [['./tool'], { shebang: ['/bin/sh'] }, 'generic'],
    [['./server'], { binaryKind: 'go' }, 'go'],
    [['./Api'], { binaryKind: 'dotnet' }, 'dotnet'],
    [['dotnet', 'Api.dll'], {}, 'dotnet'],
    [['nginx', '-g', 'daemon off;'], {}, 'generic'],
    [['javac', 'X.java'], {}, 'generic'],
    [['pythonista'], {}, 'generic'],
  ];
  for (const [argv, facts, runtime] of table) t.equal(detectRuntime(argv, facts).runtime, runtime, argv.join(' '));
  t.equal(detectRuntime(['node', 'a.js'], {}, 'jvm').runtime, 'jvm', '--runtime forces');
  t.same(skipEnv(['/usr/bin/env', '-S', 'node --inspect', 'a.js']), ['node', '--inspect', 'a.js']);
});

t.test('the planners see the command through /usr/bin/env', async (t) => {
  const plan = planCommand(inputOf(['/usr/bin/env', 'node', '--max-old-space-size=4096', 'app.js'], GiB));
  t.equal(plan.runtime, 'node');
  t.ok(plan.risks.some((r) => r.code === 'HEAP_EXCEEDS_LIMIT'));
  t.same(plan.argv, ['/usr/bin/env', 'node', '--max-old-space-size=4096', 'app.js'], 'the command itself is unchanged');
});

t.test('limit risks: codes, levels, one line each', async (t) => {
  const table: { name: string; memory: number | null; limits?: Partial<Limits>; code: string; level: string }[] = [
    { name: 'no limit', memory: null, code: 'NO_MEMORY_LIMIT', level: 'info' },
    {
      name: 'memory.high below max',
      memory: GiB,
      limits: { memoryHighBytes: 768 * MiB },
      code: 'MEMORY_HIGH_BELOW_MAX',
      level: 'info',
    },
    { name: 'swap forbidden', memory: GiB, limits: { swapBytes: 0 }, code: 'SWAP_DISABLED', level: 'info' },
    { name: 'swap allowed', memory: GiB, limits: { swapBytes: GiB }, code: 'SWAP_ENABLED', level: 'info' },
    {
      name: 'half a CPU',
      memory: GiB,
      limits: { cpus: 0.5, cpuSource: 'cgroup' },
      code: 'CPU_BELOW_ONE',
      level: 'warn',
    },
  ];
  for (const row of table) {
    for (const argv of [['java', 'Main'], ['node', 'a.js'], ['./x']]) {
      const plan = planCommand(inputOf(argv, row.memory, { limits: row.limits }));
      const risk = plan.risks.find((r) => r.code === row.code);
      t.equal(risk?.level, row.level, `${row.name}, ${argv[0]}`);
      t.notMatch(risk?.message ?? '', /\n/);
    }
  }
  const none = planCommand(inputOf(['java', 'Main'], GiB, { limits: { memoryHighBytes: GiB } }));
  t.same(none.risks, [], 'memory.high at the limit and unknown swap: nothing to say');
  const unlimited = planCommand(inputOf(['java', 'Main'], null));
  t.notMatch(unlimited.env.JAVA_TOOL_OPTIONS ?? '', /-Xmx/, 'no limit: heap sizing left to the runtime');
  t.match(unlimited.env.JAVA_TOOL_OPTIONS, /ExitOnOutOfMemoryError/);
  const sorted = planCommand(
    inputOf(['java', '-Xmx2g', 'Main'], GiB, { limits: { swapBytes: 0, cpus: 0.5, cpuSource: 'cgroup' } }),
  ).risks.map((r) => r.level);
  t.same(sorted, ['error', 'warn', 'info'], 'errors first');
});
