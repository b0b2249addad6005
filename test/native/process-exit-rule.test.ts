// The parts of memshim's quick exit (src/native/process-exit.ts) that run in-process: which Node options keep
// Node's own exit, and the stdio reset that stands in for Node's (libc.ts, resetStdioAsNodeDoes) on a real pipe of
// this process's own. What the whole exit looks like from outside: process-exit.test.ts.
import t from 'tap';
import { loadKoffi } from '../../src/native/koffi.js';
import {
  F_GETFD,
  F_SETFD,
  FD_CLOEXEC,
  libc,
  O_NONBLOCK,
  resetStdioAsNodeDoes,
  restoreBlockingStdio,
  F_GETFL,
  F_SETFL,
} from '../../src/native/libc.js';
import { nodeTeardownNeeded } from '../../src/native/process-exit.js';

t.test('which Node options keep Node teardown', async (t) => {
  const cases: [string, string[], Record<string, string>, boolean][] = [
    ['no options', [], {}, false],
    ["the single executable's own", ['--expose-internals'], {}, false],
    ['heap size in NODE_OPTIONS', [], { NODE_OPTIONS: '--max-old-space-size=512' }, false],
    ["V8's spelling", [], { NODE_OPTIONS: ' --max_old_space_size=512  --no-warnings ' }, false],
    ['blank NODE_OPTIONS', [], { NODE_OPTIONS: '  ' }, false],
    ['coverage asked for', [], { NODE_V8_COVERAGE: '/tmp/coverage' }, true],
    ['a CPU profile', ['--cpu-prof'], {}, true],
    ['a preload', [], { NODE_OPTIONS: '--max-old-space-size=512 --require ./agent.js' }, true],
    ['a trace flag', [], { NODE_OPTIONS: '--trace-warnings' }, true],
    ['the inspector', ['--inspect=0'], {}, true],
    ['an option with its value apart', [], { NODE_OPTIONS: '--max-old-space-size 512' }, true],
    ["Node's compile cache", [], { NODE_COMPILE_CACHE: '/tmp/cache' }, true],
  ];
  for (const [name, execArgv, env, needed] of cases) t.equal(nodeTeardownNeeded(execArgv, env), needed, name);
  // The single executable is built to ignore NODE_OPTIONS (execArgvExtension 'none'): an app's own options are no
  // reason to keep Node's exit there.
  const appOptions = { NODE_OPTIONS: '--require ./agent.js' };
  t.equal(nodeTeardownNeeded(['--expose-internals'], appOptions, false), false, 'NODE_OPTIONS, not read');
  t.equal(nodeTeardownNeeded([], { ...appOptions, NODE_V8_COVERAGE: '/tmp/c' }, false), true, 'coverage, read');
});

const lib = libc(process.env);

t.test(
  "a pipe's O_NONBLOCK: cleared for the child, put back at the exit",
  { skip: lib ? false : 'no koffi' },
  async (t) => {
    const koffi = loadKoffi(process.env)!.load('libc.so.6');
    const pipe = koffi.func('int pipe(_Out_ int *fds)');
    const close = koffi.func('int close(int fd)');
    const nonblocking = (fd: number) => (lib!.fcntl(fd, F_GETFL) & O_NONBLOCK) !== 0;
    const setNonblocking = (fd: number, on: boolean) => {
      const flags = lib!.fcntl(fd, F_GETFL);
      lib!.fcntl(fd, F_SETFL, 'int', on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
    };
    const fds = [0, 0];
    t.equal(pipe(fds), 0);
    const [read, write] = fds as [number, number];
    t.teardown(() => void (close(read), close(write)));

    t.equal(libc(process.env), lib, 'bound once');
    t.equal(resetStdioAsNodeDoes(lib!, [write]), false, "nothing recorded yet: Node's exit is kept");
    setNonblocking(write, true);
    lib!.fcntl(write, F_SETFD, 'int', FD_CLOEXEC); // as Node marks its stdio
    restoreBlockingStdio(lib!, [write]);
    t.equal(nonblocking(write), false, 'blocking for the child');
    t.equal(lib!.fcntl(write, F_GETFD) & FD_CLOEXEC, 0, 'and inherited by it (no close-on-exec)');
    t.equal(resetStdioAsNodeDoes(lib!, [write]), true);
    t.equal(nonblocking(write), true, 'non-blocking again, as the caller had it');

    // What the caller had stays the reference: a later spawn's clearing does not replace it.
    restoreBlockingStdio(lib!, [write]);
    t.equal(resetStdioAsNodeDoes(lib!, [write]), true);
    t.equal(nonblocking(write), true);

    // A blocking pipe the child made non-blocking: blocking again.
    setNonblocking(read, false);
    restoreBlockingStdio(lib!, [read]);
    setNonblocking(read, true);
    t.equal(resetStdioAsNodeDoes(lib!, [read]), true);
    t.equal(nonblocking(read), false);

    // Closed since, or closed already when the child was started: nothing to give back, nothing in the way.
    const more = [0, 0];
    t.equal(pipe(more), 0);
    const [closedSince, closedBefore] = more as [number, number];
    restoreBlockingStdio(lib!, [closedSince]);
    close(closedSince);
    close(closedBefore);
    restoreBlockingStdio(lib!, [closedBefore]);
    t.equal(resetStdioAsNodeDoes(lib!, [closedSince, closedBefore]), true);
  },
);
