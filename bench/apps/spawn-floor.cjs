// The floor of a Node init: the least program that does what `memshim -- CMD` must do for a command that exits
// at once (bench/startup.ts runs it with /bin/true): write a log line, spawn the command with inherited stdio,
// write another, wait for it, write its exit, exit with its code. No limits read, no plan, no signals, no
// reaping: whatever memshim costs above this is memshim's own; this costs above `node -e 0` what Node itself
// needs to start a child (node:child_process and what it loads).
'use strict';
const { spawn } = require('node:child_process');
const { writeSync } = require('node:fs');

const log = (msg) => writeSync(2, `${JSON.stringify({ level: 30, time: Date.now(), msg })}\n`);
log('planning');
const child = spawn(process.argv[2], process.argv.slice(3), { stdio: 'inherit' });
log(`started ${process.argv[2]} (pid ${child.pid})`);
child.on('exit', (code, signal) => {
  log(`child exited with ${code ?? signal}`);
  process.exit(code ?? 1);
});
