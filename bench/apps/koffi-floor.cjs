// The floor of a Node init built as memshim is: bench/apps/spawn-floor.cjs with the child started the way memshim
// starts it, posix_spawnp through koffi (the chosen FFI: libuv then knows no child, docs/pid1.md), and waited for
// with waitpid. Log, load koffi and libc, spawn the command with inherited stdio, log, wait, log its exit, exit
// with its code, through _exit(2) as memshim does since its eleventh start-up round (src/native/process-exit.ts:
// no Node teardown). No limits read, no plan, no signal handlers, no reaping: what memshim costs above this is its
// own; this costs above `node -e 0` what Node and koffi need to start a child that way.
'use strict';
const koffi = require('koffi');
const { writeSync } = require('node:fs');

const log = (msg) => writeSync(2, `${JSON.stringify({ level: 30, time: Date.now(), msg })}\n`);
log('planning');
const lib = koffi.load('libc.so.6');
const posixSpawnp = lib.func(
  'int posix_spawnp(_Out_ int *pid, const char *file, void *fa, void *attr, const char **argv, const char **envp)',
);
const waitpid = lib.func('int waitpid(int pid, _Out_ int *status, int options)');
const exit = lib.func('void _exit(int status)');
const command = process.argv.slice(2);
const environment = Object.entries(process.env).map(([name, value]) => `${name}=${value}`);
const pid = [0];
if (posixSpawnp(pid, command[0], null, null, [...command, null], [...environment, null]) !== 0) process.exit(127);
log(`started ${command[0]} (pid ${pid[0]})`);
const status = [0];
waitpid(pid[0], status, 0);
// A normal exit: its code; killed by a signal: 128 + the signal, as a shell says it.
const code = (status[0] & 0x7f) === 0 ? (status[0] >> 8) & 0xff : 128 + (status[0] & 0x7f);
log(`child exited with ${code}`);
exit(code);
