// Bad input as users type it (issue 9 item 13): one line naming what the user typed (the variable when it came
// from one), a documented exit code; odd but valid input warns and runs.
import t, { type Test } from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMemshim } from '../helpers/memshim.js';

const clean = {
  ...process.env,
  MEMSHIM_MEMORY: '',
  MEMSHIM_CPUS: '',
  MEMSHIM_HEALTH_PORT: '',
  MEMSHIM_LOG_LEVEL: '',
  MEMSHIM_LOG_FORMAT: '',
};

function usageError(t: Test, args: string[], env: NodeJS.ProcessEnv, says: RegExp, notSays?: RegExp) {
  const ran = runMemshim(args, { env: { ...clean, ...env } });
  const what = `${Object.entries(env)
    .map(([k, v]) => `${k}=${v} `)
    .join('')}memshim ${args.join(' ')}`;
  t.equal(ran.code, 2, `exit 2 for ${what}`);
  t.match(ran.stderr, says, `${what} says ${says}`);
  if (notSays) t.notMatch(ran.stderr, notSays, `${what} does not say ${notSays}`);
  t.equal(ran.stderr.trim().split('\n').length, 1, `one line: ${ran.stderr}`);
}

t.test('a bad variable is named as the variable, not as a flag the user never typed', async (t) => {
  usageError(
    t,
    ['--dry-run', '--', 'true'],
    { MEMSHIM_HEALTH_PORT: 'abc' },
    /MEMSHIM_HEALTH_PORT.*"abc"/,
    /--health-port/,
  );
  usageError(t, ['--dry-run', '--', 'true'], { MEMSHIM_MEMORY: 'abc' }, /MEMSHIM_MEMORY.*"abc"/);
  usageError(t, ['--dry-run', '--', 'true'], { MEMSHIM_CPUS: 'many' }, /MEMSHIM_CPUS.*"many"/);
  usageError(t, ['--dry-run', '--', 'true'], { MEMSHIM_LOG_LEVEL: 'loud' }, /MEMSHIM_LOG_LEVEL.*"loud"/);
  usageError(t, ['--memory', 'abc', '--dry-run', '--', 'true'], {}, /--memory.*"abc"/);
  usageError(t, ['--health-port', 'abc', '--', 'true'], {}, /--health-port.*"abc"/);
});

t.test('level and format names are taken in any case', async (t) => {
  for (const env of [{ MEMSHIM_LOG_LEVEL: 'WARN' }, { MEMSHIM_LOG_LEVEL: 'Debug', MEMSHIM_LOG_FORMAT: 'JSON' }]) {
    const ran = runMemshim(['--', 'true'], { env: { ...clean, ...env } });
    t.equal(ran.code, 0, `${JSON.stringify(env)}: ${ran.stderr}`);
  }
  const warn = runMemshim(['--', 'true'], { env: { ...clean, MEMSHIM_LOG_LEVEL: 'WARN' } });
  t.notMatch(warn.stderr, /"level":30/, 'WARN means warn: no info lines');
});

t.test('an empty command, an unknown flag, an uncatchable signal: usage errors', async (t) => {
  usageError(t, ['--', ''], {}, /command/);
  usageError(t, ['--bogus', '--', 'true'], {}, /Unknown argument: --bogus/, /bogusFlag|bogus,/);
  usageError(t, ['--rewrite', '9:15', '--', 'true'], {}, /KILL.*cannot be caught/);
  usageError(t, ['--rewrite', 'STOP:TERM', '--', 'true'], {}, /STOP.*cannot be caught/);
  usageError(t, ['sidecar', '--pid', 'abc'], {}, /--pid must be a process id, not "abc"/, /NaN/);
});

t.test('--memory below what any runtime needs is refused and says why', async (t) => {
  usageError(t, ['--memory', '100', '--dry-run', '--', 'true'], {}, /--memory 100 is 100 bytes.*(MiB|Mi)/);
  usageError(t, ['--dry-run', '--', 'true'], { MEMSHIM_MEMORY: '100' }, /MEMSHIM_MEMORY 100 is 100 bytes/);
  const fine = runMemshim(['--memory', '64Mi', '--dry-run', '--json', '--', 'true'], { env: clean });
  t.equal(fine.code, 0, fine.stderr);
});

t.test('--cpus above the host warns and plans with it as given', async (t) => {
  const ran = runMemshim(['--cpus', '100000', '--dry-run', '--json', '--', 'true'], { env: clean });
  t.equal(ran.code, 0, ran.stderr);
  const report = JSON.parse(ran.stdout);
  t.equal(report.limits.cpus, 100000);
  t.match(report.warnings, [{ file: '--cpus', message: /more than this host's \d+ CPUs/ }]);
});

t.test('a directory as the command: "is a directory", 126', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'memshim-dir-'));
  const ran = runMemshim(['--', dir], { env: clean });
  t.equal(ran.code, 126);
  t.match(ran.stderr, /is a directory/);
});

t.test('an internal error is one line; the stack only at debug, never a build path', async (t) => {
  // A sidecar reading a /proc that is a file: not a usage error, an internal one (found by hand; any will do).
  const args = ['sidecar', '--match', 'x', '--procfs', '/dev/null', '--health-port', '0'];
  const plain = runMemshim(args, { env: clean });
  t.equal(plain.code, 1);
  t.match(plain.stderr, /^memshim: internal error: .*ENOTDIR/);
  t.equal(plain.stderr.trim().split('\n').length, 1, `one line: ${plain.stderr}`);
  t.notMatch(plain.stderr, /memshim\.cjs|\/dist\/|\n\s+at /);
  const debug = runMemshim(args, { env: { ...clean, MEMSHIM_LOG_LEVEL: 'debug' } });
  t.equal(debug.code, 1);
  t.match(debug.stderr, /\n\s+at /, 'the stack at debug');
});
