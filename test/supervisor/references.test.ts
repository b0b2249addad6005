// memshim side by side with issue 4's references, tini and dumb-init: the same scenarios, each init as PID 1 of
// its own PID namespace, run at once. What each init did is recorded (a table at the end of the output) and
// memshim is asserted to do at least what each reference does; where a reference differs by design, memshim's
// documented behaviour is asserted and the difference named in the message. A reference that is not installed
// is skipped with the reason (.ci/run installs both as root).
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { MEMSHIM } from '../helpers/memshim.js';
import { cannotUnshare, startInit, startMemshim } from '../helpers/init.js';
import { childrenOf } from '../helpers/proc.js';
import { cProgram } from '../helpers/c-program.js';

const skip = cannotUnshare();

type Mode = 'group' | 'child';

interface InitUnderTest {
  name: string;
  /** The init and its options, before `-- CMD`. */
  argv: string[];
  /** Who a signal sent to the init reaches when no option says otherwise. */
  defaultMode: Mode;
  /** Options for each target: the child's whole process group, or the child alone. */
  modeFlags: Record<Mode, string[]>;
  /** Why it cannot run here (a tap skip reason), or false. */
  missing: string | false;
}

function notInstalled(binary: string): string | false {
  return spawnSync(binary, ['--version']).error
    ? `${binary} is not installed here (apt-get install -y ${binary}; .ci/run installs it as root): nothing to compare with`
    : false;
}

// --grace-period 1: the group-mode scenario leaves a grandchild that survives SIGTERM after the child's death.
const MEMSHIM_INIT: InitUnderTest = {
  name: 'memshim',
  argv: [MEMSHIM, '--log-level', 'warn', '--no-monitor', '--grace-period', '1'],
  defaultMode: 'group',
  modeFlags: { group: [], child: ['--single-child'] },
  missing: false,
};
const REFERENCES: InitUnderTest[] = [
  {
    name: 'tini',
    argv: ['tini'],
    defaultMode: 'child',
    modeFlags: { group: ['-g'], child: [] },
    missing: notInstalled('tini'),
  },
  {
    name: 'dumb-init',
    argv: ['dumb-init'],
    defaultMode: 'group',
    modeFlags: { group: [], child: ['-c'] },
    missing: notInstalled('dumb-init'),
  },
];

/** `INIT [flags] -- COMMAND` as PID 1 of a new PID namespace (memshim through test/helpers/init.ts: built, no tap hooks). */
function start(init: InitUnderTest, command: string[], flags: string[] = []) {
  const args = [...flags, '--', ...command];
  return init === MEMSHIM_INIT ? startMemshim([...init.argv.slice(1), ...args]) : startInit([...init.argv, ...args]);
}

/** Sends a signal to a process that may be gone already (an init's shutdown may have got there first). */
function killIfThere(pid: number, signal: NodeJS.Signals | number): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: it is gone, which is what the kill was for.
  }
}

/** scenario -> init -> what it did, for the table at the end. */
const observed = new Map<string, Map<string, string>>();

/**
 * Runs one scenario under memshim and every installed reference at once; records what each did (describe);
 * then, for each reference, a subtest comparing memshim with it (skipped, with the reason, when not installed).
 */
async function sideBySide<R>(
  t: Test,
  scenario: string,
  run: (init: InitUnderTest) => Promise<R>,
  describe: (result: R, init: InitUnderTest) => string,
  compare: (t: Test, memshim: R, reference: R, init: InitUnderTest) => void,
): Promise<{ memshim: R; byReference: Map<InitUnderTest, R> }> {
  const inits = [MEMSHIM_INIT, ...REFERENCES.filter((init) => !init.missing)];
  const results = await Promise.all(inits.map(run));
  const row = new Map<string, string>();
  inits.forEach((init, i) => row.set(init.name, describe(results[i]!, init)));
  observed.set(scenario, row);
  const memshim = results[0]!;
  for (const reference of REFERENCES) {
    const i = inits.indexOf(reference);
    await t.test(`memshim against ${reference.name}`, { skip: reference.missing }, async (t) =>
      compare(t, memshim, results[i]!, reference),
    );
  }
  return { memshim, byReference: new Map(inits.slice(1).map((init, n) => [init, results[n + 1]!])) };
}

t.test('exit codes pass through: 0, 3, 255, and 128+N for a death by signal N', { skip }, async (t) => {
  const cases: [script: string, code: number][] = [
    ['exit 0', 0],
    ['exit 3', 3],
    ['exit 255', 255],
    ['kill -TERM $$', 143],
    ['kill -USR1 $$', 138],
  ];
  const { memshim: mine } = await sideBySide(
    t,
    'exit 0 / 3 / 255, killed by TERM / USR1',
    (init) => Promise.all(cases.map(([script]) => start(init, ['sh', '-c', script]).exit.then((exit) => exit.code))),
    (codes) => codes.join(' / '),
    (t, mine, theirs, reference) => t.same(mine, theirs, `memshim exits with the codes ${reference.name} exits with`),
  );
  t.same(
    mine,
    cases.map(([, code]) => code),
    "memshim: the child's code, 128+N for signal N",
  );
});

t.test('SIGUSR1, SIGHUP, real-time signals and SIGTERM sent to PID 1 reach the child', { skip }, async (t) => {
  const signals = [10, 1, 34, 40, 64, 15];
  // Both references forward every one of them (checked by hand): each wait for the child's line ends.
  const run = async (init: InitUnderTest) => {
    const recorder = start(init, [cProgram('recorder')]);
    await recorder.line(/^child ready/);
    const pid1 = await recorder.memshimPid();
    const child = childrenOf(pid1)[0]!;
    for (const n of signals) {
      process.kill(pid1, n);
      await recorder.line(new RegExp(`^child sig ${n} `));
    }
    killIfThere(child, 'SIGKILL');
    const exit = await recorder.exit;
    const seen = recorder
      .lines()
      .filter((line) => line.startsWith('child sig'))
      .map((line) => Number(line.split(' ')[2]));
    return { seen, code: exit.code };
  };
  const { memshim: mine } = await sideBySide(
    t,
    'USR1 HUP 34 40 64 TERM to PID 1; child then SIGKILLed',
    run,
    (r) => `child saw ${r.seen.join(' ')}; exit ${r.code}`,
    (t, mine, theirs, reference) => {
      t.same(mine.seen, theirs.seen, `the child saw the signals it sees under ${reference.name}, once each`);
      t.equal(mine.code, theirs.code, `a child killed by SIGKILL: the exit code ${reference.name} gives`);
    },
  );
  t.same(mine.seen, signals, 'memshim: each signal forwarded once, in order');
  t.equal(mine.code, 137);
});

t.test('200 orphans re-parented to PID 1 are reaped, none left as zombies', { skip }, async (t) => {
  const run = async (init: InitUnderTest) => {
    const orphans = start(init, [cProgram('orphans'), '200']);
    const [, left] = (await orphans.line(/^left (\d+) ms/))!;
    return { left: Number(left), code: (await orphans.exit).code };
  };
  const { memshim: mine } = await sideBySide(
    t,
    '200 orphans',
    run,
    (r) => `${r.left} left; exit ${r.code}`,
    (t, mine, theirs, reference) =>
      t.same(mine, theirs, `as under ${reference.name}: ${theirs.left} left, exit ${theirs.code}`),
  );
  t.same(mine, { left: 0, code: 0 }, 'memshim: every orphan reaped (PID 1 has no child but the watcher), exit 0');
});

t.test('a command that is not found', { skip }, async (t) => {
  const command = 'memshim-no-such-command';
  const run = async (init: InitUnderTest) => {
    const missing = start(init, [command]);
    const code = (await missing.exit).code;
    return {
      code,
      said:
        missing
          .stderr()
          .split('\n')
          .find((line) => line.includes(command)) ?? '',
    };
  };
  const { memshim: mine } = await sideBySide(
    t,
    'missing command',
    run,
    (r) => `exit ${r.code}`,
    (t, mine, theirs, reference) =>
      t.equal(
        mine.code,
        127,
        theirs.code === 127
          ? `127, as ${reference.name}`
          : `${reference.name} exits ${theirs.code}: a difference by design, memshim keeps its documented 127 (a shell's "command not found")`,
      ),
  );
  t.equal(mine.code, 127);
  t.match(mine.said, /memshim-no-such-command: command not found/, 'one line naming the command and the reason');
});

t.test("a signal to PID 1 reaches the child's whole group, or the child alone", { skip }, async (t) => {
  // The recorder's grandchild shares the child's process group: it sees USR1 only when the group is signalled.
  const run = (mode: Mode) => async (init: InitUnderTest) => {
    const recorder = start(init, [cProgram('recorder'), 'fork'], init.modeFlags[mode]);
    await recorder.line(/^child ready/);
    await recorder.line(/^grandchild ready/);
    const pid1 = await recorder.memshimPid();
    const child = childrenOf(pid1)[0]!;
    const grandchild = childrenOf(child)[0]!;
    process.kill(pid1, 'SIGUSR1');
    await recorder.line(/^child sig 10 /);
    // Sent straight to the grandchild after the init's forward: a USR1 from a group kill is seen before it.
    process.kill(grandchild, 'SIGUSR2');
    await recorder.line(/^grandchild sig 12 /);
    killIfThere(child, 'SIGKILL');
    await recorder.exit;
    return recorder.lines().some((line) => line.startsWith('grandchild sig 10 '));
  };
  const label = (init: InitUnderTest, mode: Mode) =>
    [init.name, ...init.modeFlags[mode]].join(' ') + (init.defaultMode === mode ? ' (default)' : '');
  const grandchildGotIt = new Map<InitUnderTest, boolean>();
  for (const mode of ['group', 'child'] as const) {
    await t.test(
      `${mode === 'group' ? 'the group' : 'the child alone'}: memshim ${MEMSHIM_INIT.modeFlags[mode].join(' ') || '(default)'}`,
      async (t) => {
        const { memshim, byReference } = await sideBySide(
          t,
          `USR1 to PID 1, ${mode} mode`,
          run(mode),
          (got, init) => `${label(init, mode)}: grandchild ${got ? 'got it' : 'did not'}`,
          (t, mine, theirs, reference) => t.equal(mine, theirs, `as ${label(reference, mode)}`),
        );
        t.equal(
          memshim,
          mode === 'group',
          mode === 'group'
            ? 'memshim: the grandchild got USR1 too'
            : 'memshim --single-child: the grandchild got nothing',
        );
        // Each init's run without options is its default.
        for (const [init, got] of [[MEMSHIM_INIT, memshim], ...byReference] as const)
          if (init.defaultMode === mode) grandchildGotIt.set(init, got);
      },
    );
  }
  t.equal(grandchildGotIt.get(MEMSHIM_INIT), true, "memshim's default: the child's whole group");
  for (const reference of REFERENCES) {
    await t.test(`default target: memshim against ${reference.name}`, { skip: reference.missing }, async (t) => {
      t.equal(
        grandchildGotIt.get(MEMSHIM_INIT),
        true,
        grandchildGotIt.get(reference)
          ? `the group by default, as ${reference.name}`
          : `${reference.name} signals the child alone by default: a difference by design, memshim's default is the group (dumb-init's way); --single-child is ${reference.name}'s way`,
      );
    });
  }
});

t.test('what each init did (the table)', { skip }, async (t) => {
  const names = [MEMSHIM_INIT, ...REFERENCES].map((init) => init.name);
  const rows = [...observed].map(
    ([scenario, row]) => `| ${scenario} | ${names.map((name) => row.get(name) ?? 'not installed').join(' | ')} |`,
  );
  t.comment([`| scenario | ${names.join(' | ')} |`, `|---|${names.map(() => '---|').join('')}`, ...rows].join('\n'));
  t.ok(
    [...observed.values()].every((row) => row.has('memshim')),
    'memshim ran every scenario',
  );
});
