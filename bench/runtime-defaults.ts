// What runtimes see of a container on their own, and what they see under memshim — on this machine's real
// cgroups. Prints one table. Run as root:  npm run bench -- bench/runtime-defaults.ts
//
// Each row starts the runtime inside a fresh cgroup (limit on the leaf, or on its parent only, as systemd and
// Kubernetes do for pods) and asks it what it believes: Node's V8 heap limit and available parallelism,
// the JVM's MaxHeapSize and ActiveProcessorCount, Python's cpu count. Then the same under `memshim --`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCgroup, canMakeCgroups } from '../test/helpers/real-cgroup.js';
import { MEMSHIM, ensureBuilt } from '../test/helpers/memshim.js';

const MiB = 2 ** 20;
const JAVA_PROBE = join(mkdtempSync(join(tmpdir(), 'memshim-bench-')), 'Cpus.java');
writeFileSync(
  JAVA_PROBE,
  'public class Cpus { public static void main(String[] a) { System.out.println(Runtime.getRuntime().availableProcessors()); } }\n',
);

interface Shape {
  name: string;
  memoryBytes?: number;
  cpus?: number;
  /** Put the limits on the parent and run in a child without limits. */
  onParent: boolean;
}

const SHAPES: Shape[] = [
  { name: '64 MiB', memoryBytes: 64 * MiB, onParent: false },
  { name: '512 MiB', memoryBytes: 512 * MiB, onParent: false },
  { name: '2 GiB, 0.5 CPU', memoryBytes: 2048 * MiB, cpus: 0.5, onParent: false },
  { name: '768 MiB, 0.5 CPU on the parent', memoryBytes: 768 * MiB, cpus: 0.5, onParent: true },
];

const PROBES: { name: string; argv: string[]; read: (out: string) => string }[] = [
  {
    name: 'Node heap limit',
    argv: ['node', '-e', "console.log(require('v8').getHeapStatistics().heap_size_limit)"],
    read: (out) => `${Math.round(Number(out.trim().split('\n').pop()) / MiB)} MiB`,
  },
  {
    // Node has no flag for its CPU count (os.availableParallelism() ignores quotas); what can be sized is
    // libuv's thread pool: UV_THREADPOOL_SIZE, 4 when unset.
    name: 'Node libuv threads',
    argv: ['node', '-e', 'console.log(process.env.UV_THREADPOOL_SIZE || 4)'],
    read: (out) => out.trim().split('\n').pop() ?? '?',
  },
  {
    name: 'JVM heap',
    argv: ['java', '-XX:+PrintFlagsFinal', '-version'],
    read: (out) => {
      const m = /MaxHeapSize\s*=\s*(\d+)/.exec(out);
      return m ? `${Math.round(Number(m[1]) / MiB)} MiB` : '?';
    },
  },
  {
    // Java 11+ runs a single source file directly: the answer the application itself would get.
    name: 'JVM CPUs',
    argv: ['java', JAVA_PROBE],
    read: (out) => out.trim().split('\n').pop() ?? '?',
  },
  {
    // What OpenBLAS (numpy) starts: OPENBLAS_NUM_THREADS when set, else os.cpu_count(), which ignores quotas.
    name: 'Python BLAS threads',
    argv: ['python3', '-c', "import os; print(os.environ.get('OPENBLAS_NUM_THREADS') or os.cpu_count())"],
    read: (out) => out.trim().split('\n').pop() ?? '?',
  },
];

function run(group: TestCgroup, argv: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = group.spawn(argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MEMSHIM_LOG_LEVEL: 'silent' },
    });
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    child.on('close', () => resolve(out));
  });
}

async function main(): Promise<void> {
  const why = canMakeCgroups();
  if (why) {
    console.error(`runtime-defaults: ${why}`);
    process.exit(1);
  }
  ensureBuilt();
  const header = ['container', 'probe', 'runtime default', 'under memshim'];
  const rows: string[][] = [];
  for (const shape of SHAPES) {
    const limits = { memoryBytes: shape.memoryBytes, cpus: shape.cpus, noSwap: true };
    const outer = TestCgroup.create('bench-defaults', limits);
    const inner = shape.onParent ? outer.child('app') : outer;
    try {
      for (const probe of PROBES) {
        const plain = probe.read(await run(inner, probe.argv));
        const shimmed = probe.read(await run(inner, [MEMSHIM, '--', ...probe.argv]));
        rows.push([shape.name, probe.name, plain, shimmed]);
      }
    } finally {
      outer.remove();
    }
  }
  printTable(header, rows);
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

await main();
