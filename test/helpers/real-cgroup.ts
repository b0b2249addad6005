// Real cgroups for tests and benchmarks on this machine: made under the test process's own cgroup (read from
// /proc/self/cgroup), with real limits, removed afterwards. Works on v1 (memory and cpu controllers, mounted
// together or apart) and on v2. Processes are moved in by writing their pid to cgroup.procs; the simplest way
// to start one inside is `spawnInCgroup`, which runs `sh -c 'echo $$ > procs; exec "$@"'`.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type SpawnOptions, type ChildProcess } from 'node:child_process';
import type { CgroupLocation } from '../../src/cgroup/types.js';

export interface ControllerDir {
  /** Absolute directory of the controller's hierarchy for this process. */
  own: string;
  version: 1 | 2;
}

function mounts(): { point: string; type: string; options: string; root: string }[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [left, right = ''] = line.split(' - ');
      const fields = left!.split(' ');
      const [type = '', , options = ''] = right.split(' ');
      return { root: fields[3]!, point: fields[4]!, type, options };
    });
}

/** The directory of this process's cgroup for a v1 controller ('memory', 'cpu'), or the v2 one when no v1 has it. */
export function ownControllerDir(controller: 'memory' | 'cpu' | 'cpuset' | 'pids'): ControllerDir | null {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean);
  const all = mounts();
  for (const line of lines) {
    const [, list, path] = line.split(':') as [string, string, string];
    if (list === '' || !list.split(',').includes(controller)) continue;
    const mount = all.find((m) => m.type === 'cgroup' && m.options.split(',').includes(controller));
    if (!mount) continue;
    const relative = mount.root === '/' ? path : path.startsWith(mount.root) ? path.slice(mount.root.length) : path;
    return { own: join(mount.point, relative), version: 1 };
  }
  const unified = lines.find((l) => l.startsWith('0::'));
  const mount = all.find((m) => m.type === 'cgroup2');
  if (unified && mount) {
    const dir = join(mount.point, unified.slice(3));
    const controllers = existsSync(join(dir, 'cgroup.controllers'))
      ? readFileSync(join(dir, 'cgroup.controllers'), 'utf8')
      : '';
    const parentControllers = existsSync(join(mount.point, 'cgroup.controllers'))
      ? readFileSync(join(mount.point, 'cgroup.controllers'), 'utf8')
      : '';
    if (controllers.split(/\s+/).includes(controller) || parentControllers.split(/\s+/).includes(controller))
      return { own: dir, version: 2 };
  }
  return null;
}

export function canMakeCgroups(): string | null {
  if (process.getuid?.() !== 0) return 'needs root to create cgroups';
  if (!ownControllerDir('memory')) return 'no memory cgroup controller found';
  return null;
}

export interface TestCgroupLimits {
  memoryBytes?: number;
  /** CPUs as quota/period (period 100 ms). */
  cpus?: number;
  /** Forbid swap too (v1 memsw / v2 swap.max = 0) so a hog is OOM-killed instead of swapped out. */
  noSwap?: boolean;
}

/** One cgroup (a directory per controller) under the test's own cgroup. Nest with `child()`. */
export class TestCgroup {
  readonly dirs: { memory: string; cpu: string | null; version: 1 | 2 };
  private readonly children: TestCgroup[] = [];

  private constructor(dirs: { memory: string; cpu: string | null; version: 1 | 2 }) {
    this.dirs = dirs;
  }

  static create(name: string, limits: TestCgroupLimits = {}): TestCgroup {
    const memory = ownControllerDir('memory');
    if (!memory) throw new Error('no memory cgroup controller');
    const cpu = ownControllerDir('cpu');
    const unique = `${name}-${process.pid}-${Date.now().toString(36)}`;
    const group = new TestCgroup({
      memory: join(memory.own, unique),
      cpu: cpu && cpu.own !== memory.own ? join(cpu.own, unique) : cpu ? join(memory.own, unique) : null,
      version: memory.version,
    });
    group.make(limits);
    return group;
  }

  /** Where memshim's readers find this group (no mount roots: the paths are given whole). */
  location(): CgroupLocation {
    return {
      version: this.dirs.version,
      memoryPath: this.dirs.memory,
      cpuPath: this.dirs.cpu,
      cpusetPath: null,
      memoryMountRoot: null,
      cpuMountRoot: null,
      cpusetMountRoot: null,
    };
  }

  child(name: string, limits: TestCgroupLimits = {}): TestCgroup {
    const group = new TestCgroup({
      memory: join(this.dirs.memory, name),
      cpu: this.dirs.cpu ? join(this.dirs.cpu, name) : null,
      version: this.dirs.version,
    });
    group.make(limits);
    this.children.push(group);
    return group;
  }

  private make(limits: TestCgroupLimits): void {
    mkdirSync(this.dirs.memory, { recursive: true });
    if (this.dirs.cpu && this.dirs.cpu !== this.dirs.memory) mkdirSync(this.dirs.cpu, { recursive: true });
    if (this.dirs.version === 2) {
      // Controllers must be enabled in the parent's subtree_control for the child to get the files.
      for (const dir of [join(this.dirs.memory, '..')]) {
        try {
          writeFileSync(join(dir, 'cgroup.subtree_control'), '+memory +cpu');
        } catch {
          /* already on, or not allowed here: the limit writes below say which */
        }
      }
    }
    this.setLimits(limits);
  }

  setLimits(limits: TestCgroupLimits): void {
    const v2 = this.dirs.version === 2;
    if (limits.memoryBytes !== undefined) {
      if (v2) {
        writeFileSync(join(this.dirs.memory, 'memory.max'), String(limits.memoryBytes));
        if (limits.noSwap) writeFileSync(join(this.dirs.memory, 'memory.swap.max'), '0');
      } else {
        writeFileSync(join(this.dirs.memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
        const memsw = join(this.dirs.memory, 'memory.memsw.limit_in_bytes');
        if (limits.noSwap && existsSync(memsw)) writeFileSync(memsw, String(limits.memoryBytes));
      }
    }
    if (limits.cpus !== undefined && this.dirs.cpu) {
      const quota = Math.round(limits.cpus * 100_000);
      if (v2) writeFileSync(join(this.dirs.cpu, 'cpu.max'), `${quota} 100000`);
      else {
        writeFileSync(join(this.dirs.cpu, 'cpu.cfs_period_us'), '100000');
        writeFileSync(join(this.dirs.cpu, 'cpu.cfs_quota_us'), String(quota));
      }
    }
  }

  /** Move a running process in (every controller). */
  addPid(pid: number): void {
    writeFileSync(join(this.dirs.memory, 'cgroup.procs'), String(pid));
    if (this.dirs.cpu && this.dirs.cpu !== this.dirs.memory)
      writeFileSync(join(this.dirs.cpu, 'cgroup.procs'), String(pid));
  }

  /** Start `argv` already inside this cgroup: nothing of it runs outside, not even for a moment. */
  spawn(argv: string[], options: SpawnOptions = {}): ChildProcess {
    const targets = [this.dirs.memory, this.dirs.cpu].filter((d, i, all): d is string => !!d && all.indexOf(d) === i);
    const script = `${targets.map((d) => `echo $$ > '${join(d, 'cgroup.procs')}'`).join(' && ')} && exec "$@"`;
    return spawn('/bin/sh', ['-c', script, 'sh', ...argv], options);
  }

  /** The OOM-kill counter of this cgroup (v2 memory.events oom_kill; v1 memory.oom_control oom_kill). */
  oomKills(): number {
    const file = this.dirs.version === 2 ? 'memory.events' : 'memory.oom_control';
    const match = /oom_kill (\d+)/.exec(readFileSync(join(this.dirs.memory, file), 'utf8'));
    return match ? Number(match[1]) : 0;
  }

  /** Kill whatever is left inside, then remove the directories, children first. */
  remove(): void {
    for (const child of this.children.splice(0)) child.remove();
    for (const dir of [this.dirs.memory, this.dirs.cpu]) {
      if (!dir || !existsSync(dir)) continue;
      for (let attempt = 0; attempt < 50; attempt++) {
        const pids = readPids(dir);
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
        try {
          // Sub-directories made by the code under test (not through child()) go first.
          for (const entry of readdirSync(dir, { withFileTypes: true }))
            if (entry.isDirectory()) removeTree(join(dir, entry.name));
          rmdirSync(dir);
          break;
        } catch {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
      }
    }
  }
}

function readPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function removeTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    if (entry.isDirectory()) removeTree(join(dir, entry.name));
  for (const pid of readPids(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmdirSync(dir);
}
