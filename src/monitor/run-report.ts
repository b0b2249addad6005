// The run's record in --state-dir and the termination message, kept current while memshim can still write: at
// the start, at every warning-level crossing (the working set, sustained PSI), when the peak grew by a step, at a
// limit change, at an OOM kill memshim saw, and at the end. Never at every reading, never a throw: a file that
// cannot be written is one warning, then left alone. The texts are built by run-verdict.ts.
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
  accessSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../common/log.js';
import type { CgroupLocation, Limits, MemoryUsage } from '../cgroup/types.js';
import type { Plan } from '../runtimes/types.js';
import { heapSetting } from '../runtimes/settings.js';
import { readMemoryUsage } from '../cgroup/usage.js';
import { oomAdvice, type OomReport } from './oom.js';
import { oomMessage } from './oom.js';
import {
  INITIAL_PRESSURE_STATE,
  INITIAL_THRESHOLD_STATE,
  MEMORY_LEVELS,
  stepPressure,
  stepThresholds,
  type PressureState,
  type ThresholdState,
} from './thresholds.js';
import {
  parseRunRecord,
  previousRunVerdict,
  RUN_RECORD_FORMAT,
  terminationMessage,
  type PreviousRun,
  type RunEnd,
  type RunRecord,
} from './run-verdict.js';
import type { Reading } from './monitor.js';

/** The kubelet's default terminationMessagePath. */
export const DEFAULT_TERMINATION_LOG = '/dev/termination-log';
/** The record's file name in --state-dir. */
export const RUN_RECORD_FILE = 'memshim-run.json';
/** The record is rewritten when the peak grew by this share of the limit (memory.peak only grows: bounded writes). */
const PEAK_STEP = 0.05;

/** --termination-log as given ('' turns it off); without it the kubelet's file when it exists and is writable. */
export function resolveTerminationLog(option: string | null): string | null {
  if (option !== null) return option === '' ? null : option;
  try {
    accessSync(DEFAULT_TERMINATION_LOG, constants.W_OK);
    return statSync(DEFAULT_TERMINATION_LOG).isFile() ? DEFAULT_TERMINATION_LOG : null;
  } catch {
    return null;
  }
}

/** The memory cgroup's identity across a restart in place: the device and inode of its directory. */
export function cgroupIdentity(location: CgroupLocation): string | null {
  if (location.memoryPath === null) return null;
  try {
    const stat = statSync(location.memoryPath);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return null;
  }
}

/**
 * Replace a file's content as one step where the directory allows it (a temporary file renamed over it), else in
 * place: written from the start, then cut to the new length, so a reader never finds it empty. The kubelet's
 * /dev/termination-log is a bind mount: a rename onto it fails (EBUSY), so it is written in place.
 */
export function replaceFile(path: string, text: string): void {
  const temporary = join(dirname(path), `.${process.pid}.memshim.tmp`);
  try {
    writeFileSync(temporary, text, { mode: 0o644 });
    renameSync(temporary, path);
    return;
  } catch {
    try {
      unlinkSync(temporary);
    } catch {
      /* never made */
    }
  }
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NONBLOCK, 0o644);
  try {
    if (!fstatSync(fd).isFile()) throw new Error('not a regular file');
    const data = Buffer.from(text, 'utf8');
    writeSync(fd, data, 0, data.length, 0);
    ftruncateSync(fd, data.length);
  } finally {
    closeSync(fd);
  }
}

export interface RunReporterOptions {
  terminationLog: string | null;
  stateDir: string | null;
  limits: Limits;
  /** Where to read the cgroup (the same as limits.cgroup for a supervisor). */
  location: CgroupLocation;
  plan: Plan;
  log: Logger;
  command: string | null;
  version: string;
  /** The cgroup's usage read just now, when the caller has it (health/watch.ts: one reading at start for all). */
  usage?: MemoryUsage;
}

export class RunReporter {
  private readonly options: RunReporterOptions;
  private readonly record: RunRecord;
  private thresholds: ThresholdState = INITIAL_THRESHOLD_STATE;
  private pressureState: PressureState = INITIAL_PRESSURE_STATE;
  private ratio: number | null = null;
  private peakWritten = 0;
  private oomText: string | null = null;
  private readonly failed = new Set<string>();
  /** The verdict on the previous run, when --state-dir held one. */
  previous: PreviousRun | null = null;

  constructor(options: RunReporterOptions) {
    this.options = options;
    const now = new Date().toISOString();
    const usage = options.usage ?? readMemoryUsage(options.location);
    this.record = {
      format: RUN_RECORD_FORMAT,
      memshimVersion: options.version,
      memshimPid: process.pid,
      startedAt: now,
      updatedAt: now,
      runtime: options.plan.runtime,
      command: options.command,
      limitBytes: options.limits.memoryBytes,
      limitSource: options.limits.memorySource,
      memoryHighBytes: options.limits.memoryHighBytes,
      cpus: options.limits.cpus,
      heap: heapSetting(options.plan),
      workingSetBytes: usage.workingSetBytes,
      peakBytes: usage.peakBytes,
      level: null,
      cgroupId: cgroupIdentity(options.location),
      oomGroupKills: usage.events.oomGroupKill,
      oomKills: usage.oomKills,
      end: null,
    };
  }

  get active(): boolean {
    return this.options.terminationLog !== null || this.options.stateDir !== null;
  }

  /** Read and judge the previous run's record (logging `previous_run`), then write this run's. */
  start(): PreviousRun | null {
    const { stateDir, log } = this.options;
    if (stateDir !== null) {
      const file = join(stateDir, RUN_RECORD_FILE);
      let text: string | null = null;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
          log.warn({ event: 'state_dir', file }, `cannot read ${file}: ${(error as Error).message}`);
      }
      const previous = text === null ? null : parseRunRecord(text);
      if (text !== null && previous === null)
        log.warn({ event: 'state_dir', file }, `${file} is not a memshim run record: ignored (and replaced)`);
      if (previous) {
        // The counter as this run's record took it, in the same tick (start() follows the construction).
        this.previous = previousRunVerdict(previous, {
          cgroupId: this.record.cgroupId,
          oomGroupKillsNow: this.record.oomGroupKills,
        });
        const v = this.previous;
        const level =
          v.kind === 'oom_group_kill' || v.kind === 'oom_kill'
            ? 'error'
            : v.kind === 'exited' && v.code === 0
              ? 'info'
              : 'warn';
        log[level](
          {
            event: 'previous_run',
            verdict: v.kind,
            certain: v.certain,
            code: v.code,
            signal: v.signal,
            command: previous.command,
            runtime: previous.runtime,
            limitBytes: previous.limitBytes,
            workingSetBytes: previous.workingSetBytes,
            peakBytes: previous.peakBytes,
            heap: previous.heap?.text ?? null,
            startedAt: previous.startedAt,
            updatedAt: previous.updatedAt,
          },
          v.message,
        );
      }
      try {
        mkdirSync(stateDir, { recursive: true });
      } catch {
        /* the write below says why */
      }
    }
    this.write();
    return this.previous;
  }

  /** A monitor reading: rewrite only when a level was crossed or the peak grew by a step. */
  onReading(reading: Reading): void {
    this.ratio = reading.ratio;
    const threshold = stepThresholds(this.thresholds, reading.ratio);
    this.thresholds = threshold.state;
    const psi = reading.memory.psiSome;
    const pressure = stepPressure(this.pressureState, psi ? psi.avg10 : null);
    this.pressureState = pressure.state;
    this.record.workingSetBytes = reading.memory.workingSetBytes;
    if (reading.memory.peakBytes !== null) this.record.peakBytes = reading.memory.peakBytes;
    if (reading.memory.events.oomGroupKill !== null) this.record.oomGroupKills = reading.memory.events.oomGroupKill;
    if (reading.memory.oomKills !== null) this.record.oomKills = reading.memory.oomKills;
    const peakGrew =
      this.record.peakBytes !== null && this.record.peakBytes - this.peakWritten >= this.record.limitBytes * PEAK_STEP;
    if (threshold.event || pressure.event || peakGrew) this.write();
  }

  /** The limits changed under the running container (in-place resize). */
  onLimits(limits: Pick<Limits, 'memoryBytes' | 'memorySource' | 'memoryHighBytes' | 'cpus'>): void {
    Object.assign(this.record, {
      limitBytes: limits.memoryBytes,
      limitSource: limits.memorySource,
      memoryHighBytes: limits.memoryHighBytes,
      cpus: limits.cpus,
    });
    this.write();
  }

  onOomKill(report: OomReport): void {
    if (report.victim.main) this.oomText = oomMessage(report);
  }

  /** The child's end: the last word. */
  finish(end: Omit<RunEnd, 'at'>): void {
    this.record.end = { ...end, at: new Date().toISOString() };
    const usage = readMemoryUsage(this.options.location);
    if (usage.peakBytes !== null) this.record.peakBytes = usage.peakBytes;
    this.write();
  }

  private write(): void {
    this.record.updatedAt = new Date().toISOString();
    const level = this.thresholds.level;
    this.record.level = level < 0 ? null : MEMORY_LEVELS[level]!;
    this.peakWritten = this.record.peakBytes ?? 0;
    const { stateDir, terminationLog } = this.options;
    if (stateDir !== null) this.put(join(stateDir, RUN_RECORD_FILE), `${JSON.stringify(this.record)}\n`);
    if (terminationLog !== null) {
      const advice = oomAdvice(
        this.options.plan,
        { ...this.options.limits, memoryBytes: this.record.limitBytes },
        { pid: null, main: true, command: this.record.command, count: 1 },
        this.record.peakBytes,
      );
      this.put(
        terminationLog,
        terminationMessage({
          record: this.record,
          ratio: this.ratio,
          pressure: this.pressureState.warned,
          advice,
          oomMessage: this.oomText,
        }),
      );
    }
  }

  private put(path: string, text: string): void {
    if (this.failed.has(path)) return;
    try {
      replaceFile(path, text);
    } catch (error) {
      this.failed.add(path);
      this.options.log.warn(
        { event: 'report_file', file: path },
        `cannot write ${path}: ${(error as Error).message}; not trying again`,
      );
    }
  }
}
