// The memory monitor: every --monitor-interval, one cheap synchronous reading of the cgroup (a handful of small
// files), fed to the pure state machines in thresholds.ts, which decide the rare reading worth a line. The timer
// is unref'd: the monitor never keeps memshim alive on its own.
import { monotonicMs } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { CgroupLocation, CpuUsage, MemoryUsage } from '../cgroup/types.js';
import { readCpuUsage, readMemoryUsage } from '../cgroup/usage.js';
import { formatBytes } from '../common/quantity.js';
import {
  INITIAL_PRESSURE_STATE,
  INITIAL_THRESHOLD_STATE,
  PRESSURE_PERCENT,
  stepPressure,
  stepThresholds,
  workingSetRatio,
  type PressureState,
  type ThresholdState,
} from './thresholds.js';

export interface Reading {
  memory: MemoryUsage;
  /** Working set / limit, null when unknown. */
  ratio: number | null;
  /** monotonicMs() of the reading. */
  at: number;
}

export interface MonitorOptions {
  location: CgroupLocation;
  /** Updated by setLimit() when the limit changes live. */
  limitBytes: number;
  log: Logger;
  intervalMs: number;
}

export class MemoryMonitor {
  private readonly options: MonitorOptions;
  private thresholds: ThresholdState = INITIAL_THRESHOLD_STATE;
  private pressure: PressureState = INITIAL_PRESSURE_STATE;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners: ((reading: Reading) => void)[] = [];
  /** The latest reading (taken by the interval or on demand). */
  latest: Reading | null = null;
  /** Readings taken so far (for the benchmark and the tests: proof that the interval runs). */
  readings = 0;

  constructor(options: MonitorOptions) {
    this.options = options;
  }

  /** `first`: the usage the caller read just now, taken as the first reading instead of reading it again. */
  start(first?: MemoryUsage): void {
    if (this.timer) return;
    this.read(first);
    this.timer = setInterval(() => this.read(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The memory limit changed under the running container (in-place resize): the levels follow from the next reading. */
  setLimit(limitBytes: number): void {
    this.options.limitBytes = limitBytes;
  }

  /** Called after every reading, the interval's and the on-demand ones. */
  onReading(listener: (reading: Reading) => void): void {
    this.listeners.push(listener);
  }

  /** A reading no older than maxAgeMs: the latest one, or a fresh one (for /metrics and /status). */
  current(maxAgeMs: number): Reading {
    if (this.latest && monotonicMs() - this.latest.at <= maxAgeMs) return this.latest;
    return this.read();
  }

  cpu(): CpuUsage {
    return readCpuUsage(this.options.location);
  }

  /** Read now (or take `memory`, read just now), decide what is worth saying, tell the listeners. Never throws. */
  read(memory: MemoryUsage = readMemoryUsage(this.options.location)): Reading {
    const reading: Reading = {
      memory,
      ratio: workingSetRatio(memory.workingSetBytes, this.options.limitBytes),
      at: monotonicMs(),
    };
    this.readings++;
    this.latest = reading;
    this.decide(reading);
    for (const listener of this.listeners) listener(reading);
    return reading;
  }

  private decide(reading: Reading): void {
    const { log, limitBytes } = this.options;
    const threshold = stepThresholds(this.thresholds, reading.ratio);
    this.thresholds = threshold.state;
    const event = threshold.event;
    if (event) {
      const fields = {
        event: 'memory_pressure',
        kind: event.kind,
        level: event.level,
        ratio: round(event.ratio),
        workingSetBytes: reading.memory.workingSetBytes,
        limitBytes,
      };
      const percent = `${Math.round(event.level * 100)}%`;
      const used = `${formatBytes(reading.memory.workingSetBytes ?? 0)} of ${formatBytes(limitBytes)}`;
      if (event.kind === 'above')
        log[event.level >= 0.95 ? 'error' : 'warn'](
          fields,
          `working set above ${percent} of the memory limit (${used}): the kernel OOM-kills at 100%`,
        );
      else log.info(fields, `working set back below ${percent} of the memory limit (${used})`);
    }
    const psi = reading.memory.psiSome;
    const pressure = stepPressure(this.pressure, psi ? psi.avg10 : null);
    this.pressure = pressure.state;
    if (pressure.event) {
      const fields = {
        event: 'memory_pressure',
        kind: pressure.event.kind,
        psiSomeAvg10: pressure.event.avg10,
        workingSetBytes: reading.memory.workingSetBytes,
        limitBytes,
      };
      if (pressure.event.kind === 'sustained')
        log.warn(
          fields,
          `sustained memory pressure: tasks stalled on memory ${pressure.event.avg10}% of the last 10 s (over ${PRESSURE_PERCENT}%): reclaim is thrashing, an OOM kill may follow`,
        );
      else log.info(fields, `memory pressure is over (${pressure.event.avg10}% of the last 10 s)`);
    }
  }
}

function round(ratio: number): number {
  return Math.round(ratio * 10_000) / 10_000;
}
