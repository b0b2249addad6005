// The v2 tier's few helpers: plain Node (the emulated VM runs code 20-40x slower, and TypeScript's loader alone
// takes half a minute there), no test framework. A check is an async function that throws on failure; main.mjs
// runs them in order and prints TAP. Everything runs as root inside the VM, on its pure cgroup v2 tree.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const MEMSHIM = join(ROOT, 'dist/memshim.cjs');
/** Static helpers test/v2/run compiles before the VM boots. */
export const HOG = join(ROOT, '.cache/v2/hog');
export const CHURN = join(ROOT, '.cache/v2/churn');
export const CGROUP = '/sys/fs/cgroup';
export const MiB = 1024 * 1024;

export class CheckError extends Error {}

export function assert(condition, message, detail) {
  if (!condition)
    throw new CheckError(
      detail === undefined
        ? message
        : `${message}\n${typeof detail === 'string' ? detail : JSON.stringify(detail, null, 2)}`,
    );
}

export function equal(actual, expected, message) {
  assert(actual === expected, `${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A cgroup under the VM's root, its parents' controllers enabled, with `files` written (name -> value). */
export function makeCgroup(path, files = {}) {
  const parts = path.split('/').filter(Boolean);
  let dir = CGROUP;
  for (const part of parts) {
    try {
      writeFileSync(join(dir, 'cgroup.subtree_control'), '+memory +cpu +cpuset +pids');
    } catch {
      /* already on */
    }
    dir = join(dir, part);
    if (!existsSync(dir)) mkdirSync(dir);
  }
  for (const [name, value] of Object.entries(files)) writeFileSync(join(dir, name), String(value));
  return dir;
}

export function readCgroup(path, file) {
  return readFileSync(join(CGROUP, path, file), 'utf8');
}

/** memory.events (or any flat keyed file) as an object of numbers. */
export function keyed(text) {
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => line.split(' '))
      .map(([k, v]) => [k, Number(v)]),
  );
}

/** Kill everything in the cgroup tree and remove it, leaves first. */
export async function removeCgroup(path) {
  const dir = join(CGROUP, path);
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    if (entry.isDirectory()) await removeCgroup(join(path, entry.name));
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      writeFileSync(join(dir, 'cgroup.kill'), '1');
    } catch {
      /* empty already */
    }
    try {
      rmdirSync(dir);
      return;
    } catch {
      await sleep(50);
    }
  }
}

/**
 * Run argv inside cgroup `path` from its first instruction. `namespaces`: give it, like a container, a private
 * cgroup namespace rooted at that cgroup and a mount namespace where cgroup2 is mounted afresh at /sys/fs/cgroup
 * (so only its own cgroup and below are visible, exactly as in a pod).
 */
export function spawnIn(path, argv, { env = {}, namespaces = false, pidnsOf = null } = {}) {
  let inner = argv;
  if (namespaces) {
    const mountProc = pidnsOf === null ? '' : 'mount -t proc proc /proc && ';
    inner = [
      'unshare',
      '-Cm',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      `umount -l /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && ${mountProc}exec "$@"`,
      'sh',
      ...argv,
    ];
  }
  // Into another process's PID namespace (a pod's shared one): nsenter forks, the child is in the namespace.
  if (pidnsOf !== null) inner = ['nsenter', '-t', String(pidnsOf), '-p', '--', ...inner];
  const script = `echo $$ > ${join(CGROUP, path, 'cgroup.procs')} && exec "$@"`;
  const child = spawn('/bin/sh', ['-c', script, 'sh', ...inner], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Proc(child);
}

/** memshim (the bundle) with these arguments, run inside cgroup `path`. */
export function memshim(path, args, options = {}) {
  return spawnIn(path, [process.execPath, MEMSHIM, ...args], options);
}

/** A running process: its output kept, its JSON log lines parsed, its end awaited. */
export class Proc {
  constructor(child) {
    this.child = child;
    this.stdout = '';
    this.stderr = '';
    /** memshim's JSON log lines (stderr), in order. */
    this.lines = [];
    this.waiters = [];
    let partial = '';
    child.stdout.on('data', (d) => (this.stdout += d));
    child.stderr.on('data', (d) => {
      this.stderr += d;
      partial += d;
      const parts = partial.split('\n');
      partial = parts.pop();
      for (const text of parts) {
        if (!text.startsWith('{')) continue;
        try {
          this.lines.push(JSON.parse(text));
        } catch {
          continue;
        }
        this.wake();
      }
    });
    this.exit = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    this.exit.then(() => this.wake());
    this.done = false;
    this.exit.then(() => (this.done = true));
  }

  wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The first log line matching `predicate`, waiting for it up to timeoutMs (or until the process ends). */
  async line(predicate, timeoutMs = 120_000, what = 'a log line') {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(predicate);
      if (found) return found;
      if (this.done || Date.now() > deadline)
        throw new CheckError(
          `no ${what} (${this.done ? 'process ended' : 'timed out'}); stderr:\n${this.stderr.slice(-4000)}`,
        );
      await Promise.race([
        new Promise((r) => this.waiters.push(r)),
        sleep(Math.min(1000, Math.max(0, deadline - Date.now()))),
      ]);
    }
  }

  event(name, timeoutMs) {
    return this.line((l) => l.event === name, timeoutMs, `"${name}" event`);
  }

  kill(signal = 'SIGTERM') {
    try {
      this.child.kill(signal);
    } catch {
      /* gone */
    }
  }

  async ended(timeoutMs = 120_000) {
    const result = await Promise.race([this.exit, sleep(timeoutMs).then(() => null)]);
    if (result === null) {
      this.kill('SIGKILL');
      throw new CheckError(`did not end within ${timeoutMs} ms; stderr:\n${this.stderr.slice(-4000)}`);
    }
    return result;
  }
}

/** GET a memshim health endpoint's text. */
export async function get(port, path) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, text: await response.text() };
}

/** One sample's value from Prometheus text: `name{labels}` exactly as written, or just `name`. */
export function sample(metricsText, series) {
  for (const line of metricsText.split('\n')) {
    if (line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    if (line.slice(0, at) === series) return Number(line.slice(at + 1));
  }
  return null;
}
