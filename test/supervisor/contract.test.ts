// The SupervisorHandle contract (src/supervisor/types.ts) as its users see it: events in order, for every
// process waited for, with the stats and flags that the health server reports.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REPO } from '../helpers/memshim.js';
import { AS_PID1, cannotUnshare } from '../helpers/init.js';
import { TS_LOADER } from '../helpers/ts-loader.js';

const PROBE = fileURLToPath(new URL('./probe/events.ts', import.meta.url));

interface Report {
  code: number;
  events: unknown[][];
  zombiesReaped: number;
  forwarded: [number, number][];
  running: boolean;
}

/** Runs probe/events.ts as PID 1 of a new PID namespace; its report, or null (with a failed assertion). */
function probe(t: Test, env: NodeJS.ProcessEnv = {}): Report | null {
  // env -u NODE_OPTIONS: tap's hooks must not load into the probe (WITHOUT_TAP_HOOKS in test/helpers/memshim.ts).
  const ran = spawnSync('env', ['-u', 'NODE_OPTIONS', ...AS_PID1, process.execPath, `--import=${TS_LOADER}`, PROBE], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, MEMSHIM_EVENTS_PROBE: '1', ...env },
  });
  const line = ran.stdout.trim().split('\n').pop() ?? '';
  t.ok(line.startsWith('{'), `the probe printed its report (${ran.stderr.slice(0, 400)})`);
  return line.startsWith('{') ? (JSON.parse(line) as Report) : null;
}

t.test(
  'events: spawn, signal, reaped (orphan and main child), shutdown; exitCode; stats',
  { skip: cannotUnshare() },
  async (t) => {
    const report = probe(t);
    if (!report) return;
    t.equal(report.code, 5, "exitCode: the child's status");
    t.same(report.events[0], ['spawn', true, true], "'spawn' first, with the pid the handle had on return, running");
    t.same(
      report.events.find((e) => e[0] === 'signal'),
      ['signal', 10, true],
      "'signal' (USR1) to the child's group",
    );
    const reaped = report.events.filter((e) => e[0] === 'reaped');
    t.same(
      reaped.at(-1),
      ['reaped', true, 5, null, true, true, false],
      "the main child's 'reaped' last, running false by then",
    );
    t.ok(
      reaped.some((e) => e[1] === false && e[2] === 0),
      "the orphan's 'reaped' (main: false)",
    );
    t.same(report.events.at(-1), ['shutdown', 'child-exited', true], "'shutdown' after the main child's reaping");
    t.ok(report.zombiesReaped >= 1, `stats.zombiesReaped ${report.zombiesReaped}`);
    t.same(report.forwarded, [[10, 1]], 'stats.signalsForwarded');
    t.equal(report.running, false);
  },
);

t.test(
  'the same contract without koffi (node:child_process): no orphan reaped, the rest alike',
  { skip: cannotUnshare() },
  async (t) => {
    const report = probe(t, { MEMSHIM_NO_KOFFI: '1' });
    if (!report) return;
    t.equal(report.code, 5, "exitCode: the child's status");
    t.same(
      report.events,
      [
        ['spawn', true, true],
        ['signal', 10, true],
        ['reaped', true, 5, null, true, true, false],
        ['shutdown', 'child-exited', true],
      ],
      "'spawn', 'signal' (USR1) to the group, the main child's 'reaped', 'shutdown'",
    );
    t.equal(report.zombiesReaped, 0, 'stats.zombiesReaped: none without koffi');
    t.same(report.forwarded, [[10, 1]], 'stats.signalsForwarded');
    t.equal(report.running, false);
  },
);
