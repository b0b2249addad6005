// Every captured tree (the shared captures from real hosts, and this project's own fixture per shape) read with
// --procfs/--sysfs pointed at it: the limits must be those in its expected.json. Keys an expected.json does not
// have are not checked; `warnings`, when present, lists every warning the tree must give (by file), no more.
import t, { type Test } from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readLimits, locateCgroup, readMemoryUsage, readCpuUsage } from '../../src/cgroup/index.js';
import type { Limits } from '../../src/cgroup/types.js';
import { readOomKills } from '../../src/cgroup/usage.js';
import {
  CAPTURED_FIXTURES,
  fixtureDirs,
  OWN_FIXTURES,
  SHARED_FIXTURES,
  sharedFixturesMissing,
} from '../helpers/cgroup-fixtures.js';

interface ExpectedWarning {
  file: string;
  /** A word the fallback must contain. */
  fallback?: string;
}

interface Expected {
  cgroupVersion?: 1 | 2 | null;
  memoryLimitBytes?: number;
  memorySource?: Limits['memorySource'];
  memoryLimitFrom?: string | null;
  memoryHighBytes?: number | null;
  swapLimitBytes?: number | null;
  cpuLimit?: number | null;
  cpuSource?: Limits['cpuSource'];
  cpuLimitFrom?: string | null;
  cpusetCpus?: number;
  cpuShares?: number | null;
  cpuWeight?: number | null;
  memoryPath?: string;
  cpuPath?: string;
  hostMemoryBytes?: number;
  memoryCurrentBytes?: number;
  oomKills?: number;
  cpuUsageSeconds?: number;
  warnings?: ExpectedWarning[];
}

async function checkTree(t: Test, root: string): Promise<void> {
  const expected = JSON.parse(readFileSync(join(root, 'expected.json'), 'utf8')) as Expected;
  const limits = await readLimits({
    procfs: join(root, 'proc'),
    sysfs: join(root, 'sys'),
    memoryOverride: null,
    cpusOverride: null,
  });
  const inTree = (path: string | null) => (path === null ? null : relative(root, path));
  const actual: Record<keyof Expected, unknown> = {
    cgroupVersion: limits.cgroup.version,
    memoryLimitBytes: limits.memoryBytes,
    memorySource: limits.memorySource,
    memoryLimitFrom: inTree(limits.memoryLimitFrom),
    memoryHighBytes: limits.memoryHighBytes,
    swapLimitBytes: limits.swapBytes,
    cpuLimit: limits.cpus,
    cpuSource: limits.cpuSource,
    cpuLimitFrom: inTree(limits.cpuLimitFrom),
    cpusetCpus: limits.affinityCpus,
    cpuShares: limits.cpuShares,
    cpuWeight: limits.cpuWeight,
    memoryPath: inTree(limits.cgroup.memoryPath),
    cpuPath: inTree(limits.cgroup.cpuPath),
    hostMemoryBytes: limits.hostMemoryBytes,
    memoryCurrentBytes: readMemoryUsage(limits.cgroup).usageBytes,
    oomKills: readMemoryUsage(limits.cgroup).oomKills,
    cpuUsageSeconds: readCpuUsage(limits.cgroup).usageSeconds,
    warnings: undefined,
  };
  for (const key of Object.keys(actual) as (keyof Expected)[]) {
    if (key in expected && key !== 'warnings') t.same(actual[key], expected[key], key);
  }
  t.equal(readOomKills(limits.cgroup), actual.oomKills, 'the OOM-kill counter read alone: what the whole reading says');
  const warnings = limits.warnings.map((w) => ({ ...w, file: relative(root, w.file) }));
  for (const warning of warnings) {
    t.ok(
      warning.message.length > 0 && warning.fallback.length > 0,
      `warning on ${warning.file} says what and what instead`,
    );
  }
  if (expected.warnings) {
    t.same(
      warnings.map((w) => w.file).sort(),
      expected.warnings.map((w) => w.file).sort(),
      'warnings name exactly the odd files',
    );
    for (const want of expected.warnings) {
      if (want.fallback === undefined) continue;
      const found = warnings.find((w) => w.file === want.file);
      t.match(found?.fallback ?? '', want.fallback, `${want.file}: fallback says "${want.fallback}"`);
    }
  }
  // locateCgroup alone (what the sidecar calls) agrees with readLimits.
  t.same(
    locateCgroup(join(root, 'proc'), join(root, 'sys'), 'self'),
    limits.cgroup,
    'locateCgroup gives the same location',
  );
}

t.test('shared captures from real hosts', async (t) => {
  const names = fixtureDirs(CAPTURED_FIXTURES);
  t.ok(names.length >= 2, `found ${names.join(', ')}`);
  for (const name of names) await t.test(name, (t) => checkTree(t, join(CAPTURED_FIXTURES, name)));
});

/** Every file under `root`, relative, with its content. */
function treeOf(root: string, dir = ''): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) for (const [p, text] of treeOf(root, path)) files.set(p, text);
    else if (statSync(join(root, path)).isFile()) files.set(path, readFileSync(join(root, path), 'latin1'));
  }
  return files;
}

t.test(
  "the repository's copy of the captures is the shared test bed's, byte for byte",
  { skip: sharedFixturesMissing },
  async (t) => {
    const shared = treeOf(SHARED_FIXTURES);
    const copy = treeOf(CAPTURED_FIXTURES);
    t.same([...copy.keys()].sort(), [...shared.keys()].sort(), 'the same files');
    for (const [path, text] of shared) if (copy.get(path) !== text) t.fail(`${path} differs`);
  },
);

t.test("this project's fixtures, one per shape", async (t) => {
  const names = fixtureDirs(OWN_FIXTURES);
  t.ok(names.length >= 10, `found ${names.join(', ')}`);
  for (const name of names) await t.test(name, (t) => checkTree(t, join(OWN_FIXTURES, name)));
});
