// The supervisor's lifecycle (src/supervisor/lifecycle.ts) as tables: a story of events, the actions it must
// give, in order. No process, no timer: milliseconds. lifecycle.test.ts and the fault tests check the same
// rules with real processes and signals.
import t from 'tap';
import {
  INITIAL_LIFECYCLE,
  step,
  type LifecycleAction,
  type LifecycleConfig,
  type LifecycleEvent,
  type LifecycleState,
} from '../../src/supervisor/lifecycle.js';

const BASE: LifecycleConfig = {
  singleChild: false,
  rewrite: new Map(),
  gracePeriodMs: 5000,
  stopDelayMs: 0,
  remapExit: new Map(),
};
const TERM = 15;
const INT = 2;
const KILL = 9;
const USR1 = 10;

/** Runs the events from the start; the actions of each step, flattened, and the last state. */
function story(
  events: LifecycleEvent[],
  config: Partial<LifecycleConfig> = {},
): { actions: LifecycleAction[]; state: LifecycleState } {
  let state = INITIAL_LIFECYCLE;
  const actions: LifecycleAction[] = [];
  for (const event of events) {
    const next = step({ ...BASE, ...config }, state, event);
    state = next.state;
    actions.push(...next.actions);
  }
  return { actions, state };
}

const start: LifecycleEvent = { kind: 'start', early: [] };
const spawned: LifecycleEvent = { kind: 'spawned' };
const sig = (signal: number): LifecycleEvent => ({ kind: 'signal', signal });
const reaped = (mainStatus: number | null, left: 'none' | 'running' | 'retry' = 'none'): LifecycleEvent => ({
  kind: 'collected',
  mainStatus,
  left,
});
const fired = (timer: 'stop-delay' | 'grace' | 'after-kill' | 'retry'): LifecycleEvent => ({ kind: 'timer', timer });
const fwd = (received: number, signal = received): LifecycleAction => ({ kind: 'forward', received, signal });
const timerStart = (timer: 'stop-delay' | 'grace' | 'after-kill' | 'retry', ms: number): LifecycleAction => ({
  kind: 'start-timer',
  timer,
  ms,
});
const exit = (
  code: number,
  why: 'child' | 'spawn-failed' | 'early-signal' | 'leftovers' = 'child',
): LifecycleAction => ({ kind: 'exit', code, why });

t.test('the plain life: spawn, forward, the child exits alone, exit with its status', async (t) => {
  const { actions, state } = story([start, spawned, sig(USR1), reaped(3)]);
  t.same(actions, [
    { kind: 'spawn' },
    fwd(USR1),
    { kind: 'shutdown', reason: 'child-exited', nothingLeft: true, stopDelayMs: 0 },
    exit(3),
  ]);
  t.equal(state.phase, 'finished');
});

const cases: [name: string, events: LifecycleEvent[], config: Partial<LifecycleConfig>, expected: LifecycleAction[]][] =
  [
    [
      'spawn fails: its code, nothing else',
      [start, { kind: 'spawn-failed', exitCode: 127 }],
      {},
      [{ kind: 'spawn' }, exit(127, 'spawn-failed')],
    ],
    [
      'SIGTERM: forwarded, shutdown, grace; the child exits: its status',
      [start, spawned, sig(TERM), reaped(143)],
      {},
      [
        { kind: 'spawn' },
        fwd(TERM),
        { kind: 'shutdown', reason: 'signal', nothingLeft: false, stopDelayMs: 0 },
        timerStart('grace', 5000),
        exit(143),
      ],
    ],
    [
      'SIGTERM twice: forwarded twice, one shutdown, one deadline',
      [start, spawned, sig(TERM), sig(TERM)],
      {},
      [
        { kind: 'spawn' },
        fwd(TERM),
        { kind: 'shutdown', reason: 'signal', nothingLeft: false, stopDelayMs: 0 },
        timerStart('grace', 5000),
        fwd(TERM),
      ],
    ],
    [
      'grace over: SIGKILL to everyone, the last wait, a collect; the child reaped: 137',
      [start, spawned, sig(TERM), fired('grace'), reaped(137)],
      {},
      [
        { kind: 'spawn' },
        fwd(TERM),
        { kind: 'shutdown', reason: 'signal', nothingLeft: false, stopDelayMs: 0 },
        timerStart('grace', 5000),
        { kind: 'signal-everyone', signal: KILL, why: 'grace-expired' },
        timerStart('after-kill', 1000),
        { kind: 'collect' },
        exit(137),
      ],
    ],
    [
      'killed and still not gone after the last wait: exit anyway with 137',
      [start, spawned, sig(TERM), fired('grace'), fired('after-kill')],
      {},
      [
        { kind: 'spawn' },
        fwd(TERM),
        { kind: 'shutdown', reason: 'signal', nothingLeft: false, stopDelayMs: 0 },
        timerStart('grace', 5000),
        { kind: 'signal-everyone', signal: KILL, why: 'grace-expired' },
        timerStart('after-kill', 1000),
        { kind: 'collect' },
        exit(137, 'leftovers'),
      ],
    ],
    [
      'the child exits, leftovers remain: SIGTERM to them, grace; they go: its status',
      [start, spawned, reaped(3, 'running'), reaped(null, 'none')],
      {},
      [
        { kind: 'spawn' },
        { kind: 'shutdown', reason: 'child-exited', nothingLeft: false, stopDelayMs: 0 },
        { kind: 'signal-everyone', signal: TERM, why: 'child-exited' },
        timerStart('grace', 5000),
        exit(3),
      ],
    ],
    [
      'SIGTERM, then the child exits with leftovers: they get SIGTERM, the first deadline stands',
      [start, spawned, sig(TERM), reaped(0, 'running')],
      {},
      [
        { kind: 'spawn' },
        fwd(TERM),
        { kind: 'shutdown', reason: 'signal', nothingLeft: false, stopDelayMs: 0 },
        timerStart('grace', 5000),
        { kind: 'signal-everyone', signal: TERM, why: 'child-exited' },
      ],
    ],
    [
      'the child is reaped after SIGKILL with leftovers: no SIGTERM after the SIGKILL',
      [start, spawned, sig(TERM), fired('grace'), reaped(137, 'running')],
      {},
      [
        { kind: 'spawn' },
        fwd(TERM),
        { kind: 'shutdown', reason: 'signal', nothingLeft: false, stopDelayMs: 0 },
        timerStart('grace', 5000),
        { kind: 'signal-everyone', signal: KILL, why: 'grace-expired' },
        timerStart('after-kill', 1000),
        { kind: 'collect' },
      ],
    ],
    [
      'signals after the child exited are not forwarded (nobody to take them)',
      [start, spawned, reaped(0, 'running'), sig(USR1), sig(TERM)],
      {},
      [
        { kind: 'spawn' },
        { kind: 'shutdown', reason: 'child-exited', nothingLeft: false, stopDelayMs: 0 },
        { kind: 'signal-everyone', signal: TERM, why: 'child-exited' },
        timerStart('grace', 5000),
      ],
    ],
    [
      'retry: one timer at a time, a collect when it fires',
      [start, spawned, reaped(null, 'retry'), reaped(null, 'retry'), fired('retry')],
      {},
      [{ kind: 'spawn' }, timerStart('retry', 10), { kind: 'collect' }],
    ],
    [
      '--rewrite 15:0: SIGTERM dropped (said), no shutdown',
      [start, spawned, sig(TERM)],
      { rewrite: new Map([[TERM, 0]]) },
      [{ kind: 'spawn' }, fwd(TERM, 0)],
    ],
    [
      '--rewrite 15:3: SIGQUIT forwarded, the grace period still starts',
      [start, spawned, sig(TERM)],
      { rewrite: new Map([[TERM, 3]]) },
      [
        { kind: 'spawn' },
        fwd(TERM, 3),
        { kind: 'shutdown', reason: 'signal', nothingLeft: false, stopDelayMs: 0 },
        timerStart('grace', 5000),
      ],
    ],
    [
      'SIGTSTP: STOP to the group and memshim stops too',
      [start, spawned, sig(20)],
      {},
      [{ kind: 'spawn' }, fwd(20, 19), { kind: 'suspend-self' }],
    ],
    [
      '--single-child SIGTSTP: TSTP as is',
      [start, spawned, sig(20)],
      { singleChild: true },
      [{ kind: 'spawn' }, fwd(20), { kind: 'suspend-self' }],
    ],
  ];

for (const [name, events, config, expected] of cases) {
  t.test(name, async (t) => {
    t.same(story(events, config).actions, expected);
  });
}

t.test(
  '--stop-delay: SIGTERM means not ready at once, SIGTERM forwarded when the delay ends, then the grace',
  async (t) => {
    const config = { stopDelayMs: 3000 };
    const { actions, state } = story([start, spawned, sig(TERM), sig(USR1), fired('stop-delay')], config);
    t.same(actions, [
      { kind: 'spawn' },
      { kind: 'shutdown', reason: 'signal', nothingLeft: false, stopDelayMs: 3000 },
      timerStart('stop-delay', 3000),
      fwd(USR1),
      fwd(TERM),
      timerStart('grace', 5000),
    ]);
    t.equal(state.phase, 'stopping');
    t.equal(state.shutdown, 'signal', 'shutdown (so /readyz 503) from the first SIGTERM');
  },
);

t.test('--stop-delay: a second SIGTERM skips the rest; the held SIGTERM goes once', async (t) => {
  const { actions } = story([start, spawned, sig(TERM), sig(TERM), fired('stop-delay'), sig(TERM)], {
    stopDelayMs: 3000,
  });
  t.same(
    actions,
    [
      { kind: 'spawn' },
      { kind: 'shutdown', reason: 'signal', nothingLeft: false, stopDelayMs: 3000 },
      timerStart('stop-delay', 3000),
      { kind: 'cancel-timer', timer: 'stop-delay' },
      fwd(TERM),
      timerStart('grace', 5000),
      fwd(TERM),
    ],
    'a late stop-delay timer does nothing; a third SIGTERM is forwarded as any is while stopping',
  );
});

t.test('--stop-delay: SIGINT skips the rest: the held SIGTERM, then the SIGINT itself', async (t) => {
  const { actions } = story([start, spawned, sig(TERM), sig(INT)], { stopDelayMs: 3000 });
  t.same(actions.slice(3), [
    { kind: 'cancel-timer', timer: 'stop-delay' },
    fwd(TERM),
    timerStart('grace', 5000),
    fwd(INT),
  ]);
});

t.test('--stop-delay: the child exits during the delay: no wait, its status', async (t) => {
  const { actions } = story([start, spawned, sig(TERM), reaped(0)], { stopDelayMs: 3000 });
  t.same(actions.slice(3), [{ kind: 'cancel-timer', timer: 'stop-delay' }, exit(0)]);
  const left = story([start, spawned, sig(TERM), reaped(0, 'running')], { stopDelayMs: 3000 });
  t.same(left.actions.slice(3), [
    { kind: 'cancel-timer', timer: 'stop-delay' },
    { kind: 'signal-everyone', signal: TERM, why: 'child-exited' },
    timerStart('grace', 5000),
  ]);
});

t.test('--stop-delay: SIGINT alone is forwarded as usual, no delay', async (t) => {
  t.same(story([start, spawned, sig(INT)], { stopDelayMs: 3000 }).actions, [{ kind: 'spawn' }, fwd(INT)]);
});

t.test(
  'signals before the spawn: a stop signal means no child and 128+N; others are forwarded once it runs',
  async (t) => {
    for (const n of [1, 2, 3, 15]) {
      const { actions, state } = story([{ kind: 'start', early: [USR1, n] }]);
      t.same(actions, [{ kind: 'exit', code: 128 + n, why: 'early-signal', signal: n }], `signal ${n}`);
      t.equal(state.phase, 'finished');
    }
    t.same(story([{ kind: 'start', early: [USR1, 12] }, spawned]).actions, [{ kind: 'spawn' }, fwd(USR1), fwd(12)]);
    t.same(
      story([{ kind: 'start', early: [TERM] }], { rewrite: new Map([[TERM, 0]]) }).actions,
      [{ kind: 'spawn' }],
      'a SIGTERM --rewrite drops does not stop the start',
    );
    t.same(
      story([{ kind: 'start', early: [TERM] }], { remapExit: new Map([[143, 0]]) }).actions,
      [{ kind: 'exit', code: 0, why: 'early-signal', signal: TERM }],
      '--remap-exit 143:0 applies',
    );
  },
);

t.test('signals while the spawn is under way are held, then forwarded; a SIGTERM then stops as usual', async (t) => {
  t.same(story([start, sig(USR1), sig(TERM), spawned]).actions, [
    { kind: 'spawn' },
    fwd(USR1),
    fwd(TERM),
    { kind: 'shutdown', reason: 'signal', nothingLeft: false, stopDelayMs: 0 },
    timerStart('grace', 5000),
  ]);
  t.same(story([sig(USR1), start, spawned]).actions, [{ kind: 'spawn' }, fwd(USR1)], 'before start too');
});

t.test("--remap-exit applies to the child status, not to memshim's own codes", async (t) => {
  const remapExit = new Map([
    [143, 0],
    [127, 5],
  ]);
  t.same(story([start, spawned, sig(TERM), reaped(143)], { remapExit }).actions.at(-1), exit(0));
  t.same(story([start, spawned, reaped(3)], { remapExit }).actions.at(-1), exit(3));
  t.same(
    story([start, { kind: 'spawn-failed', exitCode: 127 }], { remapExit }).actions.at(-1),
    exit(127, 'spawn-failed'),
  );
});

t.test('finished: every event is ignored', async (t) => {
  const { state } = story([start, spawned, reaped(0)]);
  for (const event of [sig(TERM), reaped(1), fired('grace'), fired('after-kill'), spawned]) {
    t.same(step(BASE, state, event), { state, actions: [] });
  }
});

t.test('the main child: running from its spawn until it is waited for, in any phase', async (t) => {
  t.equal(story([start]).state.child, 'not-started');
  t.equal(story([start, spawned]).state.child, 'running');
  t.equal(story([start, spawned, sig(15)]).state.child, 'running', 'stopping: it still runs');
  const gone = story([start, spawned, sig(15), { kind: 'main-reaped' }]);
  t.equal(gone.state.child, 'reaped');
  t.equal(gone.state.phase, 'stopping', 'the phase is the one collected() decides');
  t.same(gone.actions, story([start, spawned, sig(15)]).actions, 'no action of its own');
  t.equal(story([start, { kind: 'spawn-failed', exitCode: 127 }]).state.child, 'not-started');
});
