// Issue 9 item 8: tini's -e and -p. --remap-exit FROM:TO (repeatable, MEMSHIM_REMAP_EXIT) turns the child's
// status FROM into TO (143:0: a JVM stopped by SIGTERM counts as a clean stop). --pdeathsig SIG
// (MEMSHIM_PDEATHSIG): when memshim's parent dies, memshim gets SIG and treats it as a signal to forward.
// Bad values are usage errors: one line naming what was typed, exit 2.
import t from 'tap';
import { spawn } from 'node:child_process';
import { MEMSHIM } from '../helpers/memshim.js';
import { runMemshim } from '../helpers/memshim.js';
import { cannotUnshare, startMemshim } from '../helpers/init.js';
import { cProgram } from '../helpers/c-program.js';

const skip = cannotUnshare();

t.test('--remap-exit: the child status FROM becomes TO; others pass as they are', { skip }, async (t) => {
  const cases: [string[], string, number][] = [
    [['--remap-exit', '143:0'], 'kill -TERM $$', 0],
    [['--remap-exit', '143:0', '--remap-exit', '3:4'], 'exit 3', 4],
    [['--remap-exit', '143:0'], 'exit 7', 7],
    [[], 'kill -TERM $$', 143],
  ];
  for (const [args, script, code] of cases) {
    const init = startMemshim(['--log-level', 'warn', '--no-monitor', ...args, '--', 'sh', '-c', script]);
    t.equal((await init.exit).code, code, `${args.join(' ')} ${script}`);
  }
  const env = { ...process.env, MEMSHIM_REMAP_EXIT: '143:0,3:9' };
  const fromEnv = startMemshim(['--log-level', 'warn', '--no-monitor', '--', 'sh', '-c', 'exit 3'], { env });
  t.equal((await fromEnv.exit).code, 9, 'MEMSHIM_REMAP_EXIT=143:0,3:9');
});

t.test('--remap-exit 143:0 with a real SIGTERM to memshim', { skip }, async (t) => {
  const init = startMemshim([
    '--log-level',
    'warn',
    '--no-monitor',
    '--remap-exit',
    '143:0',
    '--',
    'sh',
    '-c',
    'echo ready; exec sleep 100',
  ]);
  await init.line(/^ready/);
  process.kill(await init.memshimPid(), 'SIGTERM');
  t.equal((await init.exit).code, 0);
});

t.test('--pdeathsig: the parent dies, memshim gets the signal and forwards it', { skip }, async (t) => {
  for (const [args, env] of [
    [['--pdeathsig', 'USR1'], {}],
    [[], { MEMSHIM_PDEATHSIG: 'SIGUSR1' }],
  ] as const) {
    // The parent: a shell that starts memshim in the background and exits when the test writes a line.
    const parent = spawn(
      'sh',
      [
        '-c',
        `"$0" "$@" & read line`,
        MEMSHIM,
        '--log-level',
        'warn',
        '--no-monitor',
        '--grace-period',
        '0.2',
        ...args,
        '--',
        cProgram('recorder'),
      ],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS')), ...env },
      },
    );
    let seen = '';
    const saw = (pattern: RegExp) =>
      new Promise<void>((resolve) => {
        const check = () => pattern.test(seen) && resolve();
        parent.stdout!.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          check();
        });
        check();
      });
    await saw(/child ready (\d+)/);
    const recorder = Number(/child ready (\d+)/.exec(seen)![1]);
    parent.stdin!.end('go\n');
    await saw(/child sig 10 /);
    t.pass(`${args.join(' ') || JSON.stringify(env)}: the recorder got SIGUSR1 when memshim's parent died`);
    process.kill(recorder, 'SIGKILL');
  }
});

t.test('bad values: one line naming what was typed, exit 2', async (t) => {
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['--remap-exit', '143'], {}, /--remap-exit .*"143"/],
    [['--remap-exit', '300:0'], {}, /--remap-exit .*"300:0"/],
    [['--remap-exit', 'a:b'], {}, /--remap-exit .*"a:b"/],
    [[], { MEMSHIM_REMAP_EXIT: '143:x' }, /MEMSHIM_REMAP_EXIT .*"143:x"/],
    [['--pdeathsig', 'NOPE'], {}, /--pdeathsig .*"NOPE"/],
    [['--pdeathsig', '99'], {}, /--pdeathsig .*"99"/],
    [[], { MEMSHIM_PDEATHSIG: 'NOPE' }, /MEMSHIM_PDEATHSIG .*"NOPE"/],
  ];
  for (const [args, env, line] of cases) {
    const ran = runMemshim([...args, '--', 'true'], { env: { ...process.env, ...env } });
    t.equal(ran.code, 2, `${args.join(' ')} ${JSON.stringify(env)}`);
    t.equal(ran.stderr.trim().split('\n').length, 1, 'one line');
    t.match(ran.stderr, line);
  }
});
