// Signals that reach memshim before its supervisor listens (the start-up's first milliseconds) are kept, not
// dropped: a stop signal means the child is never started (exit 128+N), any other is forwarded once it runs.
// To land a signal in that window every time, memshim is held inside it: the command is a `java -jar` whose jar
// is a FIFO, which the planner opens to count classes (open() blocks until the test opens the other end). The
// test waits until /proc says memshim catches SIGRTMAX (the last early handler installed), sends the signal, then
// lets memshim go on. Both packagings: the npm install and the single executable.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MEMSHIM, ensureBuilt } from '../helpers/memshim.js';
import { BINARY, ensureBinary } from '../helpers/binary.js';

const SIGRTMAX = 64;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function catches(pid: number, signal: number): boolean {
  try {
    const mask = /^SigCgt:\s+([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return mask !== undefined && (BigInt(`0x${mask}`) >> BigInt(signal - 1)) & 1n ? true : false;
  } catch {
    return false;
  }
}

interface Held {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

/**
 * Runs `memshim [options] -- DIR/java -jar DIR/app.jar` with app.jar a FIFO; sends `signals` once the early handlers
 * are installed and memshim is blocked opening the FIFO; then opens the FIFO's other end so memshim goes on.
 */
async function heldAtStart(
  entry: string[],
  options: string[],
  signals: (NodeJS.Signals | number)[],
): Promise<Held & { started: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'memshim-early-'));
  try {
    const jar = join(dir, 'app.jar');
    const marker = join(dir, 'started');
    spawnSync('mkfifo', [jar]);
    const java = join(dir, 'java');
    writeFileSync(java, `#!/bin/sh\n: > ${marker}\nexec sleep 30\n`);
    chmodSync(java, 0o755);
    const env: NodeJS.ProcessEnv = { ...process.env, MEMSHIM_LOG_LEVEL: 'info' };
    delete env.NODE_OPTIONS;
    // tap's process tracking puts its --import back into NODE_OPTIONS of every spawn: `env -u` takes it out, so
    // memshim starts as a user's would (the loader and its signal-exit listeners change what a signal does).
    const child = spawn('env', ['-u', 'NODE_OPTIONS', ...entry, ...options, '--', java, '-jar', jar], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    const ended = () => child.exitCode !== null || child.signalCode !== null;
    while (!ended() && !catches(child.pid!, SIGRTMAX)) await sleep(2);
    // A memshim that ended before it got there (it could not start): no FIFO reader is coming, and the test fails
    // on what it said.
    if (!ended()) {
      // kill(1): Node's kill() takes no real-time signal numbers.
      for (const signal of signals)
        spawnSync('kill', [typeof signal === 'number' ? `-${signal}` : `-${signal.slice(3)}`, String(child.pid)]);
      // The writer's open returns once memshim's open of the read end does: memshim was blocked there all along.
      closeSync(openSync(jar, 'w'));
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const result = await closed;
    clearTimeout(timer);
    return { ...result, stderr, stdout, started: existsSync(marker) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const packagings: [string, string[], () => void][] = [
  ['npm install', [MEMSHIM], ensureBuilt],
  ['single executable', [BINARY], ensureBinary],
];

for (const [name, entry, build] of packagings) {
  t.test(name, async (t) => {
    build();

    t.test('a SIGTERM before the spawn: the child is not started, exit 143', async (t) => {
      const ran = await heldAtStart(entry, [], ['SIGTERM']);
      t.equal(ran.code, 143, ran.stderr);
      t.notOk(ran.started, 'the command never ran');
      t.match(ran.stderr, /"event":"early_signal"/);
    });

    t.test('a SIGHUP before the spawn: exit 129; SIGINT 130; SIGQUIT 131', async (t) => {
      for (const [signal, code] of [
        ['SIGHUP', 129],
        ['SIGINT', 130],
        ['SIGQUIT', 131],
      ] as const) {
        const ran = await heldAtStart(entry, [], [signal]);
        t.equal(ran.code, code, `${signal}: ${ran.stderr}`);
        t.notOk(ran.started, `${signal}: the command never ran`);
      }
    });

    t.test('a SIGUSR1 before the spawn is forwarded to the child once it runs', async (t) => {
      // The child has no handler: the forwarded USR1 kills it (before its first line, often), memshim exits 128+10.
      const ran = await heldAtStart(entry, [], ['SIGUSR1']);
      t.equal(ran.code, 138, ran.stderr);
      t.match(ran.stderr, /"event":"child_exit".*"signal":10/);
    });

    t.test('a real-time signal before the spawn is forwarded too', async (t) => {
      const ran = await heldAtStart(entry, [], [34]);
      t.equal(ran.code, 128 + 34, ran.stderr);
      t.match(ran.stderr, /"event":"child_exit".*"signal":34/);
    });

    t.test('--exec: a SIGTERM before the exec: the command is not started, exit 143', async (t) => {
      const ran = await heldAtStart(entry, ['--exec'], ['SIGTERM']);
      t.equal(ran.code, 143, ran.stderr);
      t.notOk(ran.started, 'the command never ran');
    });

    t.test('--dry-run: a SIGTERM that came early ends memshim as it would have without the handlers', async (t) => {
      const ran = await heldAtStart(entry, ['--dry-run'], ['SIGTERM']);
      t.equal(ran.signal, 'SIGTERM', ran.stderr);
      t.notOk(ran.started);
    });
  });
}
