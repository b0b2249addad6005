// The small cells of issue 11 on real cgroups (128 MiB, swap forbidden, limit on the program's own cgroup or on
// its parent): Node's churn (a live set of half the limit) survives under memshim as it does alone; and
// --python-memory-cap, which counts address space, still lets a threaded app and a numpy app run while a
// program that fills memory gets MemoryError, not a kernel kill.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCgroup, canMakeCgroups } from '../helpers/real-cgroup.js';
import { MEMSHIM, ensureBuilt } from '../helpers/memshim.js';
import { BINARY, BINARY_SKIP, ensureBinary } from '../helpers/binary.js';

const WORKLOADS = fileURLToPath(new URL('../../bench/workloads/', import.meta.url));
const LIMIT = 128 * 2 ** 20;
const skip = canMakeCgroups();
const haveNumpy = spawnSync('python3', ['-c', 'import numpy']).status === 0;
/** The rlimits are set by memshim's own exec helper: run in both packagings (src/supervisor/rlimits.ts). */
const PACKAGINGS = [
  { name: 'npm', memshim: MEMSHIM, ensure: ensureBuilt, skip: false as const },
  { name: 'single executable', memshim: BINARY, ensure: ensureBinary, skip: BINARY_SKIP },
];

interface Outcome {
  code: number | null;
  signal: string | null;
  oomKills: number;
  stdout: string;
  stderr: string;
}

async function runIn(name: string, argv: string[], placement: 'leaf' | 'parent' = 'leaf'): Promise<Outcome> {
  const group = TestCgroup.create(name, { memoryBytes: LIMIT, noSwap: true });
  const inner = placement === 'parent' ? group.child('app') : group;
  try {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    // `env -u NODE_OPTIONS` as well: tap's processinfo puts its --import hooks back into NODE_OPTIONS of every
    // process a test spawns (WITHOUT_TAP_HOOKS in test/helpers/memshim.ts), and its loader's memory in a 128 MiB cgroup is not
    // what a user's container holds (it got memshim's Node child kernel-killed at 28 MiB of live set).
    const child = inner.spawn(['env', '-u', 'NODE_OPTIONS', ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-4096)));
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    );
    return { code, signal, oomKills: Math.max(inner.oomKills(), group.oomKills()), stdout, stderr };
  } finally {
    group.remove();
  }
}

for (const placement of ['leaf', 'parent'] as const) {
  t.test(
    `Node churn, 64 MiB live in 128 MiB (limit on the ${placement}): survives under memshim`,
    { skip: skip ?? false },
    async (t) => {
      ensureBuilt();
      const run = await runIn(
        `small-node-${placement}`,
        [MEMSHIM, '--', 'node', join(WORKLOADS, 'churn.js'), '64', '3'],
        placement,
      );
      t.equal(run.oomKills, 0, 'no kernel OOM kill');
      t.match(run.stdout, /^survived/m, "no V8 heap error: memshim's old space holds the live set");
      t.equal(run.code, 0);
    },
  );
}

for (const p of PACKAGINGS) {
  t.test(`${p.name}: --python-memory-cap in 128 MiB: 32 threads run`, { skip: skip ?? p.skip }, async (t) => {
    p.ensure();
    const run = await runIn(`small-py-threads-${p.name.replace(/ /g, '-')}`, [
      p.memshim,
      '--python-memory-cap',
      '--',
      'python3',
      join(WORKLOADS, 'probe.py'),
      'threads',
      '32',
      '0',
    ]);
    t.equal(run.code, 0, run.stderr.split('\n').slice(-2).join(' '));
    t.match(run.stdout, /^ready/m);
  });

  t.test(
    `${p.name}: --python-memory-cap in 128 MiB: numpy imports and multiplies`,
    { skip: skip ?? (haveNumpy ? p.skip : 'python3 has no numpy') },
    async (t) => {
      p.ensure();
      const run = await runIn(`small-py-numpy-${p.name.replace(/ /g, '-')}`, [
        p.memshim,
        '--python-memory-cap',
        '--',
        'python3',
        join(WORKLOADS, 'probe.py'),
        'numpy',
        '0',
      ]);
      t.equal(run.code, 0, run.stderr.split('\n').slice(-2).join(' '));
      t.match(run.stdout, /^ready/m);
    },
  );

  for (const placement of ['leaf', 'parent'] as const) {
    t.test(
      `${p.name}: --python-memory-cap in 128 MiB (limit on the ${placement}): filling memory is a MemoryError, not a kernel kill`,
      { skip: skip ?? p.skip },
      async (t) => {
        p.ensure();
        const run = await runIn(
          `small-py-fill-${placement}-${p.name.replace(/ /g, '-')}`,
          [p.memshim, '--python-memory-cap', '--', 'python3', join(WORKLOADS, 'fill.py')],
          placement,
        );
        t.equal(run.oomKills, 0);
        t.match(run.stderr, /MemoryError/);
        t.not(run.code, 137);
      },
    );
  }
}
