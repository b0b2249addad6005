// memshim's own isolate (src/common/own-heap.ts): the V8 flags exist in this Node, bin/memshim's copy is the same
// list, once set the young generation stops growing under a steady flow of surviving objects (what the monitor
// and scrapes make), setOwnHeapFlags() (the single executable's way) sets them after the built-ins it is given, and
// collectNow() collects at once, giving the young generation's pages back where asked (V8 12 on).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/memshim.js';
import { bundledExports } from '../helpers/bundled-module.js';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { collectInFull, collectNow, OWN_HEAP_FLAGS } from '../../src/common/own-heap.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

const CHURN = `
    const size = () => require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    const before = size();
    const kept = [];
    for (let i = 0; i < 400; i++) {
      for (let j = 0; j < 2000; j++) { const o = { i, j, s: 'x' + j, a: [j] }; if (j % 40 === 0) kept.push(o); }
      if (kept.length > 40000) kept.splice(0, 20000);
    }`;

/**
 * A fresh Node (this test process's young generation is already grown by tap's loaders) that sets `flags`, then
 * makes objects of which a share survives a few scavenges, as the monitor's readings and scrapes do: V8 doubles
 * its semi-spaces on such a flow. Prints the new space's size before and after, in bytes.
 */
function newSpaceAcrossChurn(flags: readonly string[]): { before: number; after: number } {
  const script = `
    const v8 = require('node:v8');
    for (const flag of ${JSON.stringify(flags)}) v8.setFlagsFromString(flag);
    ${CHURN}
    process.stdout.write(JSON.stringify({ before, after: size() }));`;
  const ran = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  return JSON.parse(ran.stdout) as { before: number; after: number };
}

/**
 * A fresh Node, with `nodeArgs`, that runs setOwnHeapFlags(['node:os']) (src/common/own-heap.ts bundled by esbuild
 * as the bundles hold it: a TypeScript loader would grow the young generation first), then the churn above:
 * which built-ins were loaded when it returned, and the new space's size before and after the churn.
 */
function setOwnHeapFlagsThenChurn(nodeArgs: string[]): { os: boolean; v8: boolean; before: number; after: number } {
  const script = `
    ${bundledExports('src/common/own-heap.ts', ['setOwnHeapFlags'])}
    setOwnHeapFlags(['node:os']);
    const loaded = new Set(process.moduleLoadList);
    ${CHURN}
    process.stdout.write(JSON.stringify({
      os: loaded.has('NativeModule os'), v8: loaded.has('NativeModule v8'), before, after: size() }));`;
  const ran = spawnSync(process.execPath, [...nodeArgs, '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  return JSON.parse(ran.stdout) as { os: boolean; v8: boolean; before: number; after: number };
}

t.test('every flag is one this Node knows (an unknown one would print an error line from PID 1)', async (t) => {
  const options = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
  for (const flag of OWN_HEAP_FLAGS) {
    const name = flag.replace(/^--(no-)?/, '').replace(/=.*$/, '');
    // --v8-options spells flags with dashes; the name may be listed as --NAME or --no-NAME.
    t.match(options, new RegExp(`^\\s*--${name}\\b`, 'm'), `${flag}: --${name} is listed by --v8-options`);
  }
});

// bin/memshim and the single executable's build (plain JS) hold copies.
t.test('bin/memshim and the single executable set the same list', async (t) => {
  for (const file of ['bin/memshim', 'scripts/build-binary.mjs']) {
    // On one line or, as prettier writes a long list, one flag a line.
    const copy = /^const OWN_HEAP_FLAGS = \[([^\]]*)\];$/m.exec(readFileSync(join(REPO, file), 'utf8'))?.[1];
    t.same(copy === undefined ? null : [...copy.matchAll(/'([^']*)'/g)].map((flag) => flag[1]), OWN_HEAP_FLAGS, file);
  }
});

t.test('with the flags, the young generation stops growing under a flow of surviving objects', async (t) => {
  const plain = newSpaceAcrossChurn([]);
  t.ok(plain.after > plain.before, `without them it grows: ${plain.before} -> ${plain.after} bytes (the control)`);
  const limited = newSpaceAcrossChurn(OWN_HEAP_FLAGS);
  // Node 20-24 keep the size they start with; Node 26's V8 still takes one step up from its smaller start
  // (2 -> 4 MiB here, against 2 -> 8 without the flags), then holds: at most one doubling, and less than without.
  t.ok(
    limited.after <= 2 * limited.before,
    `with them: ${limited.before} -> ${limited.after} bytes, one doubling at most`,
  );
  t.ok(limited.after < plain.after, `with them less than without (${limited.after} < ${plain.after} bytes)`);
});

for (const [how, nodeArgs, throughV8] of [
  [
    'with --expose-internals (the single executable): through internalBinding, node:v8 left unloaded',
    ['--expose-internals'],
    false,
  ],
  NODE_MAJOR < 24
    ? ([
        "without, Node < 24 (the npm install): through process.binding('v8'), node:v8 left unloaded",
        [],
        false,
      ] as const)
    : (['without, Node >= 24: through node:v8', [], true] as const),
] as const) {
  t.test(`setOwnHeapFlags ${how}`, async (t) => {
    const ran = setOwnHeapFlagsThenChurn([...nodeArgs]);
    t.ok(ran.os, 'the built-ins it is given are loaded');
    t.equal(ran.v8, throughV8, throughV8 ? 'node:v8 was loaded' : 'node:v8 was not loaded');
    t.ok(ran.after <= 2 * ran.before, `the flags hold: ${ran.before} -> ${ran.after} bytes, one doubling at most`);
  });
}

t.test('collectInFull(): from then on every collection of the heap is a full one', async (t) => {
  const kinds: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) kinds.push((entry as unknown as { detail: { kind: number } }).detail.kind);
  });
  observer.observe({ entryTypes: ['gc'] });
  // This file shares its process with other unit tests (scripts/test-unit.mjs): the flag goes as it came.
  t.teardown(() => {
    observer.disconnect();
    collectInFull(false);
  });
  // Short-lived garbage, kept a moment so that it escapes: what scavenges are for.
  const garbage = async () => {
    let kept: object[] = [];
    for (let i = 0; i < 300_000; i++) {
      kept.push({ i, text: String(i) });
      if (kept.length > 1000) kept = [];
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  };
  // Until the observer has seen collections (how much garbage makes one depends on the Node's young generation).
  const untilCollected = async () => {
    for (let round = 0; round < 40 && kinds.length === 0; round++) await garbage();
  };
  await untilCollected();
  const before = kinds.splice(0);
  t.ok(before.includes(constants.NODE_PERFORMANCE_GC_MINOR), `scavenges before (${before.join(' ')})`);
  collectInFull();
  await untilCollected();
  t.ok(kinds.length > 0, `collections after (${kinds.length})`);
  t.ok(
    kinds.every((kind) => kind === constants.NODE_PERFORMANCE_GC_MAJOR),
    `each of them a full one (${kinds.join(' ')})`,
  );
});

t.test('collectNow(): a full collection at once, and no gc() left behind', async (t) => {
  const kinds: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) kinds.push((entry as unknown as { detail: { kind: number } }).detail.kind);
  });
  observer.observe({ entryTypes: ['gc'] });
  t.teardown(() => observer.disconnect());
  collectNow();
  // The entries come on a later turn of the event loop.
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.ok(kinds.includes(constants.NODE_PERFORMANCE_GC_MAJOR), `a full collection (${kinds.join(' ')})`);
  const { runInNewContext } = await import('node:vm');
  t.equal(runInNewContext('typeof gc'), 'undefined', 'a context made after it has no gc(): the flag is off again');
  const before = kinds.length;
  collectNow({ reduceMemory: true });
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.ok(
    kinds.slice(before).includes(constants.NODE_PERFORMANCE_GC_MAJOR),
    `reduceMemory, in this process: a full collection (${kinds.slice(before).join(' ')})`,
  );
  t.equal(runInNewContext('typeof gc'), 'undefined', 'and no gc() after it either');
});

/**
 * In a fresh process of this Node (bundled, as the bundles hold it): collectNow({ reduceMemory: true }), then the
 * kinds of the collections it made, and the young generation's resident size before and after.
 */
function reducingCollection(): { kinds: number[]; before: number; after: number } {
  const script = `
    ${bundledExports('src/common/own-heap.ts', ['collectNow'])}
    const { PerformanceObserver } = require('node:perf_hooks');
    const newSpace = () => require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    const entries = [];
    new PerformanceObserver((list) => entries.push(...list.getEntries())).observe({ entryTypes: ['gc'] });
    let garbage = [];
    for (let i = 0; i < 20000; i++) garbage.push({ i, s: 'x' + i });
    garbage = null;
    const before = newSpace().physical_space_size;
    collectNow({ reduceMemory: true });
    const after = newSpace().physical_space_size;
    setTimeout(() => process.stdout.write(JSON.stringify({
      kinds: entries.map((e) => e.detail.kind), before, after })), 50);`;
  const ran = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  return JSON.parse(ran.stdout) as { kinds: number[]; before: number; after: number };
}

// Node 20's V8 (11) takes gc()'s options otherwise: a full collection there. Node 24's and 26's run this same test
// in .ci/node-matrix (the unit tier on each): the single executable's Node among them.
t.test('collectNow({ reduceMemory }): V8 12 on, its memory-reducing collection; Node 20, a full one', async (t) => {
  const reducing = Number(process.versions.v8.split('.')[0]) >= 12;
  const { kinds, before, after } = reducingCollection();
  t.ok(kinds.includes(constants.NODE_PERFORMANCE_GC_MAJOR), `a full collection (${kinds.join(' ')})`);
  if (reducing) {
    const majors = kinds.filter((kind) => kind === constants.NODE_PERFORMANCE_GC_MAJOR).length;
    t.ok(majors >= 2, `V8 ${process.versions.v8}: its collection of all it can, two full ones at least (${majors})`);
    t.ok(after < before, `the young generation gave pages back (${before} -> ${after} bytes)`);
  }
});
