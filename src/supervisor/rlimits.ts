// plan.rlimits (--python-memory-cap) must hold in the child from its first instruction. posix_spawn has no
// hook between fork and exec, and memshim cannot lower its own RLIMIT_AS around the spawn (V8 reserves far
// more address space than any such cap: glibc's spawn stack mmap would fail). So, only when there are limits,
// the child is a short-lived Node that sets them and execs the command in place (same pid): its own
// stdio, signal mask and dispositions are made what the command must see first (Node marks fds 0-2
// close-on-exec and ignores SIGPIPE). Inside the single executable there is no plain `node` to run that
// helper: the limits are then set on the child right after the spawn (prlimit), a moment late.
import { createRequire } from 'node:module';
import type { RlimitSetting } from '../runtimes/types.js';
import { RLIMIT } from '../native/libc.js';
import { isSingleExecutable } from '../native/sea-native.js';

/** Carries the command's NODE_OPTIONS past the helper (which must not run with them). */
const NODE_OPTIONS_CARRIER = 'MEMSHIM_CHILD_NODE_OPTIONS';

// Exits 127/126 with one line when the command cannot be run, as memshim itself would.
const HELPER = `'use strict';
const [koffiPath, limitsJson, ...argv] = process.argv.slice(1);
const koffi = require(koffiPath);
const c = koffi.load('libc.so.6');
const setrlimit = c.func('int setrlimit(int, void *)'), getrlimit = c.func('int getrlimit(int, void *)');
const fcntl = c.func('int fcntl(int, int, ...)'), signal = c.func('void *signal(int, void *)');
const sigprocmask = c.func('int sigprocmask(int, void *, void *)');
const execvpe = c.func('int execvpe(const char *, const char **, const char **)');
for (const [resource, bytes] of JSON.parse(limitsJson)) {
  const rlim = new BigUint64Array(2);
  getrlimit(resource, rlim);
  const soft = BigInt(bytes);
  rlim[0] = rlim[1] < soft ? rlim[1] : soft;
  setrlimit(resource, rlim);
}
for (const fd of [0, 1, 2]) { fcntl(fd, 2, 'int', 0); const fl = fcntl(fd, 3); if (fl >= 0) fcntl(fd, 4, 'int', fl & ~0o4000); }
for (let n = 1; n <= 64; n++) if (n !== 9 && n !== 19 && n !== 32 && n !== 33) signal(n, null);
sigprocmask(2, Buffer.alloc(128), null);
const env = Object.assign({}, process.env);
if ('${NODE_OPTIONS_CARRIER}' in env) { env.NODE_OPTIONS = env.${NODE_OPTIONS_CARRIER}; delete env.${NODE_OPTIONS_CARRIER}; }
execvpe(argv[0], [...argv, null], [...Object.entries(env).map(([k, v]) => k + '=' + v), null]);
const errno = koffi.errno();
const description = require('node:util').getSystemErrorMap().get(-errno)?.[1] ?? 'error ' + errno;
const notFound = errno === 2 || errno === 20;
process.stderr.write('memshim: ' + argv[0] + ': ' + (notFound ? 'command not found' : 'cannot execute') + ' (' + description + ')\\n');
process.exit(notFound ? 127 : 126);
`;

export interface Launch {
  file: string;
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Limits the caller must set on the child itself right after the spawn (no helper possible). */
  lateRlimits: readonly RlimitSetting[];
}

/** How to start argv so that `rlimits` hold in it: argv itself when there are none. */
export function withRlimits(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  rlimits: readonly RlimitSetting[],
): Launch {
  const plain: Launch = { file: argv[0] ?? '', argv, env, lateRlimits: [] };
  if (rlimits.length === 0) return plain;
  let koffiPath: string;
  try {
    koffiPath = createRequire(import.meta.url).resolve('koffi');
  } catch {
    return { ...plain, lateRlimits: rlimits };
  }
  if (isSingleExecutable()) return { ...plain, lateRlimits: rlimits };
  const helperEnv: Record<string, string | undefined> = { ...env, NODE_OPTIONS: undefined };
  if (env.NODE_OPTIONS !== undefined) helperEnv[NODE_OPTIONS_CARRIER] = env.NODE_OPTIONS;
  const limits = rlimits.map((limit) => [RLIMIT[limit.resource], limit.bytes]);
  return {
    file: process.execPath,
    argv: [process.execPath, '-e', HELPER, '--', koffiPath, JSON.stringify(limits), ...argv],
    env: helperEnv,
    lateRlimits: [],
  };
}
