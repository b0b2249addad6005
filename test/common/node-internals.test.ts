// One test per private Node API memshim uses (src/common/node-internals.ts, bin/memshim, the single executable's
// --expose-internals): when a Node upgrade removes one, this file says which.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { bundledExports } from '../helpers/bundled-module.js';
import {
  bindingSetFlagsFromString,
  libuvChildPids,
  setStreamBlocking,
  signalHandleClass,
} from '../../src/common/node-internals.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

t.test(
  'signal_wrap: a handle for a real-time signal, through process.binding (Node < 24)',
  { skip: NODE_MAJOR >= 24 ? 'Node >= 24 has no process.binding(signal_wrap)' : false },
  async (t) => {
    const Signal = signalHandleClass();
    t.type(Signal, 'function', 'process.binding("signal_wrap").Signal');
    if (!Signal) return;
    const handle = new Signal();
    const got = new Promise<number>((resolve) => (handle.onsignal = resolve));
    t.equal(handle.start(37), 0, 'listens for SIGRTMIN+3');
    process.kill(process.pid, 37);
    t.equal(await got, 37, 'and receives it');
    handle.close();
  },
);

/** `typeof internalBinding(BINDING).MEMBER` in a Node started with --expose-internals, as the single executable is. */
function typeOfInternal(binding: string, member: string) {
  const probe = `const { internalBinding } = require('internal/test/binding'); process.stdout.write(typeof internalBinding('${binding}').${member});`;
  return spawnSync(process.execPath, ['--expose-internals', '-e', probe], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
}

t.test("v8's setFlagsFromString through internalBinding with --expose-internals (the single executable)", async (t) => {
  const ran = typeOfInternal('v8', 'setFlagsFromString');
  t.equal(
    ran.stdout,
    'function',
    `internal/test/binding gives v8.setFlagsFromString (stderr: ${ran.stderr.trim().split('\n').at(-1)})`,
  );
});

t.test(
  "v8's setFlagsFromString without node:v8: process.binding('v8') on Node < 24, internalBinding with --expose-internals",
  async (t) => {
    const reachable = NODE_MAJOR < 24 || process.execArgv.includes('--expose-internals');
    const setFlags = bindingSetFlagsFromString();
    t.equal(typeof setFlags, reachable ? 'function' : 'object', reachable ? 'found' : 'null: node:v8 then');
    // In a fresh Node: the flag takes effect (a trace line from the next collection), node:v8 stays unloaded,
    // and nothing is printed about the private way.
    const probe = `
      ${bundledExports('src/common/node-internals.ts', ['bindingSetFlagsFromString'])}
      const setFlags = bindingSetFlagsFromString();
      if (setFlags === null) { process.stdout.write('null'); process.exit(0); }
      setFlags('--trace-gc');
      let kept = []; for (let i = 0; i < 300000; i++) { kept.push({ i }); if (kept.length > 1000) kept = []; }
      process.stdout.write(' v8 loaded: ' + process.moduleLoadList.includes('NativeModule v8'));`;
    const fresh = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    if (NODE_MAJOR >= 24) {
      t.equal(fresh.stdout, 'null', 'Node >= 24 without --expose-internals: no way but node:v8');
      return;
    }
    t.match(fresh.stdout, /Scavenge/, 'the flag took effect (--trace-gc printed a collection)');
    t.match(fresh.stdout, / v8 loaded: false/, 'node:v8 was not loaded');
    t.notMatch(fresh.stderr, /DEP0111|deprecat/i, 'no deprecation warning printed');
  },
);

t.test('signal_wrap through internalBinding with --expose-internals (what the single executable uses)', async (t) => {
  const ran = typeOfInternal('signal_wrap', 'Signal');
  t.equal(
    ran.stdout,
    'function',
    `internal/test/binding gives signal_wrap.Signal (stderr: ${ran.stderr.trim().split('\n').at(-1)})`,
  );
});

t.test(
  'without --expose-internals on Node >= 24 there is no way: null, and memshim forwards named signals only',
  { skip: NODE_MAJOR < 24 ? 'Node < 24 has process.binding' : false },
  async (t) => {
    t.equal(signalHandleClass(), null);
  },
);

t.test('process._getActiveHandles: the pids of the children libuv waits for', async (t) => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => void child.kill('SIGKILL'));
  t.ok(child.pid, 'spawned');
  t.ok(libuvChildPids().has(child.pid!), `finds ${child.pid}`);
});

t.test('stream._handle.setBlocking on a pipe', async (t) => {
  const child = spawn('cat', [], { stdio: ['pipe', 'ignore', 'ignore'] });
  t.teardown(() => void child.kill('SIGKILL'));
  t.equal(setStreamBlocking(child.stdin), true, "a pipe's handle has setBlocking");
  t.equal(setStreamBlocking({}), false, 'a stream without a handle: false');
  t.equal(setStreamBlocking(null), false);
});

t.test("Module._nodeModulePaths (bin/memshim gives the bundle its directory's search paths)", async (t) => {
  const Module = createRequire(import.meta.url)('node:module') as { _nodeModulePaths?: (dir: string) => string[] };
  t.type(Module._nodeModulePaths, 'function');
  const dir = join(dirname(new URL(import.meta.url).pathname), 'x');
  t.equal(Module._nodeModulePaths?.(dir)[0], join(dir, 'node_modules'));
});
