// The point of the plans, on real cgroups (256 MiB, swap forbidden) with real runtimes: a program that fills
// memory is OOM-killed by the kernel on the runtime's defaults, and under `memshim --` gets the runtime's own
// out-of-memory error instead (V8 heap error, JVM exit 3, Python MemoryError), with no kernel OOM kill.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCgroup, canMakeCgroups } from '../helpers/real-cgroup.js';
import { MEMSHIM, ensureBuilt } from '../helpers/memshim.js';

const WORKLOADS = fileURLToPath(new URL('../../bench/workloads/', import.meta.url));
const LIMIT = 256 * 2 ** 20;
const skip = canMakeCgroups();

interface Outcome {
  code: number | null;
  signal: string | null;
  oomKills: number;
  stderr: string;
}

async function runIn(name: string, argv: string[]): Promise<Outcome> {
  const group = TestCgroup.create(name, { memoryBytes: LIMIT, noSwap: true });
  try {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    delete env.JAVA_TOOL_OPTIONS;
    const child = group.spawn(argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    );
    return { code, signal, oomKills: group.oomKills(), stderr };
  } finally {
    group.remove();
  }
}

t.test(
  'Node filling a 256 MiB container: kernel OOM kill alone, V8 heap error under memshim',
  { skip: skip ?? false },
  async (t) => {
    ensureBuilt();
    const alone = await runIn('rt-node-alone', ['node', join(WORKLOADS, 'fill.js')]);
    t.equal(alone.signal, 'SIGKILL', 'Node sizes its heap at 259 MiB and is killed by the kernel');
    t.ok(alone.oomKills >= 1);
    const shimmed = await runIn('rt-node-memshim', [MEMSHIM, '--', 'node', join(WORKLOADS, 'fill.js')]);
    t.equal(shimmed.oomKills, 0, 'no kernel OOM kill');
    t.match(shimmed.stderr, /heap out of memory|Reached heap limit/, "Node's own error, with its message");
    t.not(shimmed.code, 137);
  },
);

t.test(
  'the JVM under memshim exits with its own OutOfMemoryError (exit 3), not a kernel kill',
  { skip: skip ?? false },
  async (t) => {
    ensureBuilt();
    const classes = mkdtempSync(join(tmpdir(), 'memshim-rt-'));
    t.teardown(() => rmSync(classes, { recursive: true, force: true }));
    t.equal(spawnSync('javac', ['-d', classes, join(WORKLOADS, 'Fill.java')]).status, 0);
    const shimmed = await runIn('rt-java-memshim', [MEMSHIM, '--', 'java', '-cp', classes, 'Fill']);
    t.equal(shimmed.oomKills, 0);
    t.equal(shimmed.code, 3, '-XX:+ExitOnOutOfMemoryError');
    t.match(shimmed.stderr, /OutOfMemoryError/);
  },
);

t.test(
  'Python with --python-memory-cap raises MemoryError instead of dying to SIGKILL',
  { skip: skip ?? false },
  async (t) => {
    ensureBuilt();
    const alone = await runIn('rt-py-alone', ['python3', join(WORKLOADS, 'fill.py')]);
    t.equal(alone.signal, 'SIGKILL');
    t.ok(alone.oomKills >= 1);
    const capped = await runIn('rt-py-memshim', [
      MEMSHIM,
      '--python-memory-cap',
      '--',
      'python3',
      join(WORKLOADS, 'fill.py'),
    ]);
    t.equal(capped.oomKills, 0);
    t.equal(capped.code, 1);
    t.match(capped.stderr, /Traceback[\s\S]*MemoryError/);
  },
);
