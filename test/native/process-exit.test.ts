// How memshim's process ends (src/native/process-exit.ts): after its last line and with the child's status, by
// _exit(2) instead of Node's teardown, unless Node was asked for something that teardown writes (the rule, and the
// stdio reset on a pipe of its own, in process-exit-rule.test.ts, in-process). What a user
// sees: every exit status and every last line as before, in both packagings; stdio's O_NONBLOCK flag left as the
// caller had it, as Node's exit leaves it; a coverage directory or a profile asked of memshim's own Node still
// gets its file. strace shows which way the process ended: Node's teardown joins V8's worker threads (each ends
// with exit(2)), _exit(2) ends them all at once (exit_group(2) alone).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, MEMSHIM, withoutTapHooks } from '../helpers/memshim.js';
import { BINARY, BINARY_SKIP, ensureBinary } from '../helpers/binary.js';

// Whether strace can trace here (installed, and ptrace allowed: a container may refuse it).
const STRACE = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=exit_group', 'true']).status === 0;
// Every memshim here starts through withoutTapHooks: with tap's preload in NODE_OPTIONS, its Node's exit would be
// kept (rightly), and the quick exit not seen.
const packagings: [string, string[], string | false, () => void][] = [
  ['npm install', [process.execPath, MEMSHIM], false, ensureBuilt],
  ['single executable', [BINARY], BINARY_SKIP, ensureBinary],
];
/** strace's options: every thread's exit(2) and the process's exit_group(2), nothing else. */
const TRACE_EXITS = ['-f', '-qq', '-e', 'trace=exit,exit_group', '-e', 'signal=none'];

/** memshim's environment as a container gives it: no coverage of the test runner's. */
function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MEMSHIM_LOG_LEVEL: 'info' };
  delete env.NODE_V8_COVERAGE;
  delete env.NODE_EXTRA_CA_CERTS;
  return { ...env, ...extra };
}

for (const [packaging, command, skip, ensure] of packagings) {
  t.test(`${packaging}: every status and its last line`, { skip }, async (t) => {
    ensure();
    const children: [string, number][] = [
      ['exit 0', 0],
      ['exit 3', 3],
      ['kill -TERM $$', 143],
      ['kill -KILL $$', 137],
    ];
    for (const [script, status] of children) {
      const run = spawnSync(...withoutTapHooks([...command, '--', 'sh', '-c', script]), {
        encoding: 'utf8',
        env: plainEnv(),
        timeout: 30_000,
      });
      t.equal(run.status, status, `sh -c '${script}': exit status`);
      const last = run.stderr.trim().split('\n').at(-1) ?? '';
      t.match(last, /"event":"shutdown"/, `sh -c '${script}': the last line is the shutdown line`);
    }
  });

  const straceSkip = skip || (STRACE ? false : 'strace cannot trace here (apt-get install strace; ptrace allowed)');
  t.test(`${packaging}: how the process ended (strace)`, { skip: straceSkip }, async (t) => {
    ensure();
    const dir = mkdtempSync(join(tmpdir(), 'memshim-exit-strace-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    /** The exits strace saw (its own file: memshim's stderr is not mixed in), by pid; memshim's pid is the first. */
    const traced = (name: string, extra: Record<string, string> = {}, nodeOptions?: string) => {
      const out = join(dir, name);
      const run = spawnSync(
        'strace',
        [...TRACE_EXITS, '-o', out, ...withoutTapHooks([...command, '--', 'true'], nodeOptions).flat()],
        { encoding: 'utf8', env: plainEnv(extra), timeout: 60_000 },
      );
      const lines = readFileSync(out, 'utf8').split('\n');
      const memshimPid = lines[0]!.split(' ')[0]!;
      return {
        status: run.status,
        threadExits: lines.filter((line) => /\bexit\(/.test(line)).length,
        memshimPid,
        lines,
      };
    };
    const quick = traced('quick');
    t.equal(quick.status, 0);
    t.equal(quick.threadExits, 0, 'no thread ended on its own: the process ended at once');
    t.ok(
      quick.lines.some((line) => line.startsWith(`${quick.memshimPid} `) && /exit_group\(0\)/.test(line)),
      "memshim's own exit_group(0)",
    );
    // Coverage asked of memshim's Node: Node's own exit, whose teardown ends each worker thread first.
    const coverage = traced('coverage', { NODE_V8_COVERAGE: join(dir, 'coverage') });
    t.equal(coverage.status, 0);
    t.ok(coverage.threadExits > 0, "with NODE_V8_COVERAGE: Node's teardown ran");
    if (packaging === 'npm install') {
      // An option outside the known-harmless ones in NODE_OPTIONS, which the npm install's Node reads: Node's exit.
      const kept = traced('kept', {}, '--trace-warnings');
      t.equal(kept.status, 0);
      t.ok(kept.threadExits > 0, "with --trace-warnings in NODE_OPTIONS: Node's teardown ran");
    } else {
      // The single executable ignores NODE_OPTIONS (a preload that is not there would stop a Node that read it).
      const ignored = traced('ignored', {}, `--require ${join(dir, 'missing.cjs')}`);
      t.equal(ignored.status, 0, 'NODE_OPTIONS not read');
      t.equal(ignored.threadExits, 0, 'and the process ended at once');
    }
  });

  t.test(`${packaging}: stdio's O_NONBLOCK as the caller had it`, { skip }, async (t) => {
    ensure();
    // memshim hands its child blocking stdio (it clears O_NONBLOCK, which belongs to the open file it shares with
    // its caller); at its exit the caller's flag comes back, as Node's exit puts it back, whatever the child did.
    const harness = `
import fcntl, json, os, subprocess, sys
r, w = os.pipe()
if sys.argv[1] == '1':
    fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
run = subprocess.run(sys.argv[2:], stdout=w, stderr=subprocess.DEVNULL)
print(json.dumps({'code': run.returncode, 'nonblocking': bool(fcntl.fcntl(w, fcntl.F_GETFL) & os.O_NONBLOCK)}))
`;
    const setNonblockingThenDie =
      'import fcntl, os; fcntl.fcntl(1, fcntl.F_SETFL, fcntl.fcntl(1, fcntl.F_GETFL) | os.O_NONBLOCK); os.kill(os.getpid(), 9)';
    const cases: [string, '0' | '1', string[], number, boolean][] = [
      ['a non-blocking pipe stays non-blocking', '1', ['true'], 0, true],
      [
        'a blocking pipe the child made non-blocking, then SIGKILL: blocking again',
        '0',
        ['python3', '-c', setNonblockingThenDie],
        137,
        false,
      ],
    ];
    for (const [name, nonblockingAtStart, child, code, nonblocking] of cases) {
      const [env, args] = withoutTapHooks([...command, '--', ...child]);
      const run = spawnSync('python3', ['-c', harness, nonblockingAtStart, env, ...args], {
        encoding: 'utf8',
        env: plainEnv(),
        timeout: 60_000,
      });
      t.equal(run.status, 0, run.stderr);
      t.same(JSON.parse(run.stdout), { code, nonblocking }, name);
    }
  });
}

t.test('what Node writes at its exit is still written: coverage, a heap profile', async (t) => {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'memshim-exit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const coverage = spawnSync(...withoutTapHooks([process.execPath, MEMSHIM, '--', 'sh', '-c', 'exit 3']), {
    encoding: 'utf8',
    env: plainEnv({ NODE_V8_COVERAGE: join(dir, 'coverage') }),
    timeout: 30_000,
  });
  t.equal(coverage.status, 3);
  t.ok(
    readdirSync(join(dir, 'coverage')).some((name) => /^coverage-\d+-.*\.json$/.test(name)),
    "memshim's own coverage file is there",
  );
  // A heap profile, not a CPU one: V8's CPU sampler signals memshim's thread with SIGPROF, which memshim forwards.
  const profiled = [process.execPath, '--heap-prof', `--heap-prof-dir=${join(dir, 'profile')}`, MEMSHIM];
  const profile = spawnSync(...withoutTapHooks([...profiled, '--', 'sh', '-c', 'exit 3']), {
    encoding: 'utf8',
    env: plainEnv(),
    timeout: 30_000,
  });
  t.equal(profile.status, 3);
  t.ok(
    readdirSync(join(dir, 'profile')).some((name) => name.endsWith('.heapprofile')),
    "memshim's own heap profile is there",
  );
});
