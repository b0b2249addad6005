// The exec helper's two ends, in-process: what the supervisor starts when the plan has rlimits (withRlimits), and
// how the helper reads what it was given (runExecHelper) up to the exec. The exec itself, in both packagings:
// test/supervisor/rlimits.test.ts.
import t from 'tap';
import { EXEC_HELPER, runExecHelper, withRlimits } from '../../src/supervisor/rlimits.js';
import { execCommand } from '../../src/supervisor/exec.js';
import { captureLog } from '../helpers/log-capture.js';

t.test('withRlimits: no limits, the command itself', async (t) => {
  const env = { PATH: '/bin', NODE_OPTIONS: '--x' };
  t.same(withRlimits(['python3', '-c', 'x'], env, []), {
    file: 'python3',
    argv: ['python3', '-c', 'x'],
    env,
    carried: {},
  });
});

t.test("withRlimits: memshim's own bundle as the helper, NODE_OPTIONS carried past its Node", async (t) => {
  const launch = withRlimits(['python3', 'app.py'], { PATH: '/bin', NODE_OPTIONS: '--x' }, [
    { resource: 'RLIMIT_DATA', bytes: 100 },
    { resource: 'RLIMIT_STACK', bytes: 8 },
  ]);
  t.equal(launch.file, process.execPath);
  t.equal(launch.argv[0], process.execPath);
  t.match(launch.argv[1], /rlimits\.(ts|js|cjs)$/, 'the code that is running: dist/memshim.cjs once bundled');
  t.same(launch.argv.slice(2), [EXEC_HELPER, 'RLIMIT_DATA=100', 'RLIMIT_STACK=8', '--', 'python3', 'app.py']);
  t.same(launch.env, { PATH: '/bin', NODE_OPTIONS: undefined, MEMSHIM_CHILD_NODE_OPTIONS: '--x' });
  t.same(launch.carried, { MEMSHIM_CHILD_NODE_OPTIONS: 'NODE_OPTIONS' });
  const without = withRlimits(['python3'], { PATH: '/bin' }, [{ resource: 'RLIMIT_AS', bytes: 1 }]);
  t.notOk('MEMSHIM_CHILD_NODE_OPTIONS' in without.env, 'no NODE_OPTIONS: nothing carried');
});

t.test('runExecHelper: words withRlimits never writes are a usage error', async (t) => {
  t.equal(runExecHelper(['RLIMIT_NOPE=1', '--', 'python3'], {}), 2);
  t.equal(runExecHelper(['RLIMIT_DATA=lots', '--', 'python3'], {}), 2);
  t.equal(runExecHelper(['python3'], {}), 2, 'no -- at all');
});

t.test('runExecHelper: a command that is not there is 127, before any limit is set', async (t) => {
  t.equal(runExecHelper(['RLIMIT_DATA=1', '--', 'memshim-no-such-command'], { PATH: '/nonexistent' }), 127);
});

t.test('execCommand: a command that is not there is 127 and one error, as the helper says it', async (t) => {
  const captured = await captureLog();
  t.teardown(captured.close);
  const code = await execCommand(
    { argv: ['memshim-no-such-command'], env: { PATH: '/nonexistent' }, rlimits: [] },
    captured.log,
  );
  t.equal(code, 127);
  t.same(
    captured.events('exec_failed').map((line) => line.msg),
    ['memshim-no-such-command: command not found (no such file or directory)'],
  );
  t.equal(captured.events('exec').length, 1, 'said what it was about to do first');
});
