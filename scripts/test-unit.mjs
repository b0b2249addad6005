// `npm run test:unit`: the edit-loop tier. Pure and in-process tests only: no root, no cgroups made, no bundle
// spawned (the CLI is tested through main()), so it runs in seconds anywhere. A test file belongs here when it
// needs none of those; `npm test` runs every file, these included.
// Coverage is on for this tier: the line, branch, function and statement percentages of src/ may not fall
// below test/coverage-floor.json. When they rise, raise the floor (`npm run test:unit -- --raise` writes the new
// figures): it only goes up. Tap's own 100% check is off (--allow-incomplete-coverage): the floor replaces it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FLOOR = new URL('../test/coverage-floor.json', import.meta.url);
const SUMMARY = new URL('../.tap/report/coverage-summary.json', import.meta.url);

// The slowest first: they are dealt out in this order to the processes below.
export const UNIT_TESTS = [
  'test/cli/fast-path.test.ts',
  'test/cgroup/robust.test.ts',
  'test/cgroup/parse.test.ts',
  'test/common/own-heap.test.ts',
  'test/cli/main.test.ts',
  'test/cgroup/fixtures.test.ts',
  'test/common/log-sink.test.ts',
  'test/common/log.test.ts',
  'test/common/node-internals.test.ts',
  'test/common/quantity.test.ts',
  'test/monitor/oom.test.ts',
  'test/monitor/thresholds.test.ts',
  'test/native/process-exit-rule.test.ts',
  'test/runtimes/detect-risks.test.ts',
  'test/runtimes/jvm.test.ts',
  'test/runtimes/node.test.ts',
  'test/runtimes/python-go-dotnet.test.ts',
  'test/supervisor/decisions.test.ts',
  'test/supervisor/lifecycle-steps.test.ts',
  'test/supervisor/raw-bytes.test.ts',
];

// The files run in PROCESSES processes (tap's two jobs), not one each: a test process's start (Node, tap, its
// coverage hooks, the TypeScript hooks) was most of this tier's time. Each process is a generated module that
// imports its share of the files, dealt out in turn; their top-level tests join that process's root test, in
// order. A file here therefore must leave nothing behind for the next one (no top-level hooks, no changed
// process state); one that cannot belongs in `npm test` alone. `--per-file`: one process each, as tap does by
// default (to tell whether a failure comes from sharing a process; bench/test-tiers.ts compares the two).
const PROCESSES = 2;
const GROUPS = join(ROOT, '.tap', 'unit');
function groupFiles() {
  mkdirSync(GROUPS, { recursive: true });
  return Array.from({ length: PROCESSES }, (_, index) => {
    const file = join(GROUPS, `unit-${index + 1}.test.mjs`);
    const mine = UNIT_TESTS.filter((_, n) => n % PROCESSES === index);
    writeFileSync(
      file,
      mine.map((test) => `import ${JSON.stringify(pathToFileURL(join(ROOT, test)).href)};\n`).join(''),
    );
    return file;
  });
}

// --floor-only: compare the last run's summary with the floor, without running the tests again.
const tap = process.argv.includes('--floor-only')
  ? { status: 0 }
  : spawnSync(
      process.execPath,
      [
        fileURLToPath(new URL('../node_modules/tap/dist/esm/run.mjs', import.meta.url)),
        '--no-disable-coverage',
        '--allow-incomplete-coverage',
        '--coverage-report=json-summary',
        '--coverage-report=text-summary',
        '--timeout=120',
        ...(process.argv.includes('--per-file') ? UNIT_TESTS : groupFiles()),
      ],
      { cwd: ROOT, stdio: 'inherit' },
    );
if (tap.status !== 0) process.exit(tap.status ?? 1);

const KEYS = ['lines', 'branches', 'functions', 'statements'];
const total = JSON.parse(readFileSync(SUMMARY, 'utf8')).total;
const now = Object.fromEntries(KEYS.map((key) => [key, Math.floor(total[key].pct * 10) / 10]));
if (process.argv.includes('--raise')) {
  writeFileSync(FLOOR, `${JSON.stringify(now, null, 2)}\n`);
  console.log(`coverage floor raised to ${JSON.stringify(now)}`);
  process.exit(0);
}
const floor = JSON.parse(readFileSync(FLOOR, 'utf8'));
const below = KEYS.filter((key) => now[key] < floor[key]);
if (below.length) {
  console.error(
    `coverage fell below the floor (test/coverage-floor.json): ${below.map((key) => `${key} ${now[key]}% < ${floor[key]}%`).join(', ')}`,
  );
  process.exit(1);
}
const above = KEYS.filter((key) => now[key] > floor[key]);
if (above.length)
  console.log(
    `coverage is above the floor (${above.map((key) => `${key} ${now[key]}%`).join(', ')}): raise it with npm run test:unit -- --raise`,
  );
