// OOM diagnosis, the acting part: keeps the OOM-kill counter memshim has already explained, re-reads it at every
// death memshim waits for and at every monitor reading, and logs ONE `oom_kill` error event per kill.
//
// Why both: the main child or an adopted orphan killed by the kernel is seen at its wait (SIGKILL + counter up:
// the victim is known). A grandchild killed by the kernel is waited for by its parent, not by memshim: the counter
// moves with no SIGKILL death in sight. That is explained at the next death memshim sees (the parent exiting, as
// `sh -c 'hog; exit 3'` does), or, when nobody dies (a worker pool that restarts its worker), after a short grace
// period following the reading that saw it — never twice, since every report advances `seen`.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Logger } from '../common/log.js';
import type { CgroupLocation, Limits, MemoryUsage } from '../cgroup/types.js';
import type { Plan } from '../runtimes/types.js';
import type { Reaped } from '../supervisor/types.js';
import { parseProcCgroup } from '../cgroup/parse.js';
import { readMemoryUsage, readOomKills } from '../cgroup/usage.js';
import {
  attributeDeath,
  attributeUnexplained,
  oomMessage,
  oomReport,
  SIGKILL,
  type OomAttribution,
  type OomReport,
  type OomVictim,
} from './oom.js';
import { kernelPidsAreOurs, nowMicros, readOomKillsSince } from './kernel-log.js';
import type { MemoryMonitor, Reading } from './monitor.js';

/** How long an unexplained increment waits for the death that would explain it (the reap follows the kill closely). */
export const UNEXPLAINED_GRACE_MS = 750;
/** Kernel-log records this much older than the last quiet reading still count (clocks and ordering). */
const KERNEL_LOG_SLACK_MICROS = 2_000_000;
/** v1 sub-cgroups searched for counters (the counter there is the victim's cgroup's only). */
const MAX_SUBGROUPS = 64;

export interface OomWatchOptions {
  location: CgroupLocation;
  limits: Limits;
  plan: Plan | null;
  log: Logger;
  /** The monitor, when on: its latest reading is "the working set just before". */
  monitor: MemoryMonitor | null;
  /** The main process's executable name (argv[0]'s basename; never its arguments). */
  mainCommand: string | null;
  /** Told every report after its line is logged (the run record, the termination message). */
  onReport?: (report: OomReport) => void;
  /** The cgroup's usage read just now, when the caller has it (health/watch.ts: also the monitor's first reading). */
  usage?: MemoryUsage;
}

export class OomWatch {
  private readonly options: OomWatchOptions;
  private seen: number;
  /** memory.events oom_group_kill already explained (v2, kernel 5.17+). */
  private groupSeen: number;
  /** The last reading in which the counter had not moved: the state of memory "just before" a kill. */
  private lastQuiet: Reading | null = null;
  private lastQuietMicros = nowMicros();
  private grace: NodeJS.Timeout | null = null;
  private mainPid: number | null = null;
  private mainCommand: string | null;
  /** In the host's root memory cgroup every other cgroup is a sub-cgroup: their OOM kills are not memshim's. */
  private readonly atHostRoot = inHostRootMemoryCgroup();
  /** Every report logged, in order. */
  readonly reports: OomReport[] = [];
  /** The usage the baseline was counted from: the monitor's first reading when it is that same one (health/watch.ts). */
  private readonly baselineUsage: MemoryUsage;

  constructor(options: OomWatchOptions) {
    this.options = options;
    this.mainCommand = options.mainCommand;
    const usage = options.usage ?? readMemoryUsage(options.location);
    this.baselineUsage = usage;
    this.seen = this.counter(usage.oomKills) ?? 0;
    this.groupSeen = usage.events.oomGroupKill ?? 0;
    options.monitor?.onReading((reading) => this.onReading(reading));
  }

  /** The pid of the main process, for the sidecar (which never waits) and for naming the victim; its name after an exec. */
  setMainPid(pid: number | null, command?: string): void {
    this.mainPid = pid;
    if (command !== undefined) this.mainCommand = command;
  }

  /** OOM kills counted by the kernel in memshim's cgroup tree (null: the kernel does not say). */
  counter(own: number | null = readOomKills(this.options.location)): number | null {
    const { location } = this.options;
    // v2's counter is hierarchical; v1 counts only in the victim's own cgroup, so add the sub-cgroups a grandchild
    // may have moved to.
    if (own === null || location.version === 2 || location.memoryPath === null || this.atHostRoot) return own;
    let total = own;
    for (const dir of subgroups(location.memoryPath)) total += readOomKills({ ...location, memoryPath: dir }) ?? 0;
    return total;
  }

  /** A process memshim waited for (or, in the sidecar, saw vanish). Returns the report when it was an OOM kill. */
  onDeath(death: Pick<Reaped, 'pid' | 'main' | 'signal'>): OomReport | null {
    // An orphan that exited by itself says nothing about OOM kills: skip the cgroup reads (2000 orphans would
    // cost 2000 of them). Its increments, if any, are caught by the next reading or by flush().
    if (!death.main && death.signal !== SIGKILL) return null;
    const attribution = attributeDeath(this.seen, this.counter(), death.signal);
    return this.report(attribution, death);
  }

  /** Stop the grace timer (at shutdown), explaining what is still unexplained first. */
  flush(): void {
    if (this.grace) clearTimeout(this.grace);
    this.grace = null;
    this.report(attributeUnexplained(this.seen, this.counter()), null);
  }

  private onReading(reading: Reading): void {
    // The very usage the baseline was counted from: nothing can have moved (and v1's sub-cgroups need no new walk).
    const counter = reading.memory === this.baselineUsage ? this.seen : this.counter(reading.memory.oomKills);
    if (counter === null || counter <= this.seen) {
      this.lastQuiet = reading;
      this.lastQuietMicros = nowMicros();
      return;
    }
    if (this.grace) return;
    this.grace = setTimeout(() => {
      this.grace = null;
      this.report(attributeUnexplained(this.seen, this.counter()), null);
    }, UNEXPLAINED_GRACE_MS);
    this.grace.unref();
  }

  private report(attribution: OomAttribution, death: Pick<Reaped, 'pid' | 'main' | 'signal'> | null): OomReport | null {
    this.seen = attribution.seen;
    if (attribution.kind === 'none') return null;
    const victim = this.victim(attribution, death);
    const fresh = readMemoryUsage(this.options.location);
    const before = this.lastQuiet ?? this.options.monitor?.latest ?? null;
    const groupKills = fresh.events.oomGroupKill;
    const groupKill = groupKills !== null && groupKills > this.groupSeen;
    if (groupKill) this.groupSeen = groupKills;
    const report = oomReport({
      groupKill,
      plan: this.options.plan,
      limits: this.options.limits,
      victim,
      peakBytes: fresh.peakBytes,
      workingSetBeforeBytes: before?.memory.workingSetBytes ?? null,
      oomKills: fresh.oomKills,
    });
    this.reports.push(report);
    this.options.log.error(
      {
        event: 'oom_kill',
        pid: victim.pid,
        main: victim.main,
        process: victim.main ? 'main' : 'other',
        command: victim.command,
        count: victim.count,
        limitBytes: report.limitBytes,
        peakBytes: report.peakBytes,
        workingSetBeforeBytes: report.workingSetBeforeBytes,
        oomKills: report.oomKills,
        groupKill: report.groupKill,
        suggestedLimitBytes: report.suggestedLimitBytes,
        advice: report.advice,
      },
      oomMessage(report),
    );
    this.options.onReport?.(report);
    return report;
  }

  private victim(
    attribution: Exclude<OomAttribution, { kind: 'none' }>,
    death: Pick<Reaped, 'pid' | 'main' | 'signal'> | null,
  ): OomVictim {
    const kernel = readOomKillsSince(this.lastQuietMicros - KERNEL_LOG_SLACK_MICROS);
    if (attribution.kind === 'this' && death) {
      const named = kernelPidsAreOurs() ? kernel.find((k) => k.pid === death.pid) : undefined;
      const main = death.main || death.pid === this.mainPid;
      return { pid: death.pid, main, command: named?.task ?? (main ? this.mainCommand : null), count: 1 };
    }
    // Not waited for by memshim: the kernel log, when readable, names it (its pid only where the kernel's pids are
    // memshim's: not inside a container's PID namespace); the main process when its pid matches.
    const count = attribution.kind === 'other' ? attribution.count : 1;
    const last = kernel[kernel.length - 1];
    const pid = last !== undefined && kernelPidsAreOurs() ? last.pid : null;
    const main = pid !== null && pid === this.mainPid;
    return { pid, main, command: last?.task ?? null, count };
  }
}

/** The host's own root memory cgroup, as seen from the host's cgroup namespace (not a container's root). */
function inHostRootMemoryCgroup(): boolean {
  try {
    const memory = parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8')).find((line) =>
      line.controllers.includes('memory'),
    );
    return memory?.path === '/' && readlinkSync('/proc/self/ns/cgroup') === 'cgroup:[4026531835]';
  } catch {
    return false;
  }
}

/**
 * A directory's link count is 2 plus its subdirectories on cgroupfs (kernfs) and on every file system that counts
 * them (those that do not say 1): 2 means none, and the listing of its thirty-odd control files, at every reading,
 * is not needed.
 */
function hasNoSubdirectories(dir: string): boolean {
  try {
    return statSync(dir).nlink === 2;
  } catch {
    return false;
  }
}

function subgroups(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 4 || found.length >= MAX_SUBGROUPS || hasNoSubdirectories(dir)) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || found.length >= MAX_SUBGROUPS) continue;
      const sub = join(dir, entry.name);
      found.push(sub);
      walk(sub, depth + 1);
    }
  };
  walk(root, 0);
  return found;
}

/** The name to report for the main process: the executable only, never an argument. */
export function commandName(argv: readonly string[]): string | null {
  return argv[0] ? basename(argv[0]) : null;
}
