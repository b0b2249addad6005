// `npm run test:unit`: the edit-loop tier. Pure and in-process tests only: no root, no cgroups made, no bundle
// spawned (the CLI is tested through main()), so it runs in seconds anywhere. A test file belongs here when it
// needs none of those; `npm test` runs every file, these included.
// Coverage is on for this tier: the line, branch, function and statement percentages of src/ may not fall
// below test/coverage-floor.json. When they rise, raise the floor (`npm run test:unit -- --raise` writes the new
// figures): it only goes up. Tap's own 100% check is off (--allow-incomplete-coverage): the floor replaces it.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FLOOR = new URL('../test/coverage-floor.json', import.meta.url);
const SUMMARY = new URL('../.tap/report/coverage-summary.json', import.meta.url);

export const UNIT_TESTS = [
  'test/cgroup/fixtures.test.ts',
  'test/cgroup/parse.test.ts',
  'test/cgroup/robust.test.ts',
  'test/cli/fast-path.test.ts',
  'test/cli/main.test.ts',
  'test/common/log-sink.test.ts',
  'test/common/log.test.ts',
  'test/common/node-internals.test.ts',
  'test/common/own-heap.test.ts',
  'test/common/quantity.test.ts',
  'test/monitor/oom.test.ts',
  'test/monitor/thresholds.test.ts',
  'test/runtimes/detect-risks.test.ts',
  'test/runtimes/jvm.test.ts',
  'test/runtimes/node.test.ts',
  'test/runtimes/python-go-dotnet.test.ts',
  'test/supervisor/decisions.test.ts',
  'test/supervisor/lifecycle-steps.test.ts',
  'test/supervisor/raw-bytes.test.ts',
];

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
        ...UNIT_TESTS,
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
