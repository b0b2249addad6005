// Everything the command line (and MEMSHIM_* variables) can say, already validated. Built by src/cli.ts.
import type { LogFormat, LogLevel } from './log.js';
import type { RuntimeName } from './runtimes/types.js';

export interface ReaderConfig {
  /** Root of /proc: a captured tree for fixtures, /proc/N/root/proc for the sidecar. */
  procfs: string;
  /** Root of /sys: mount points under /sys resolve under it. */
  sysfs: string;
  /** --memory / MEMSHIM_MEMORY, in bytes. */
  memoryOverride: number | null;
  /** --cpus / MEMSHIM_CPUS. */
  cpusOverride: number | null;
}

export interface LogConfig {
  format: LogFormat;
  level: LogLevel;
}

export interface RunConfig {
  reader: ReaderConfig;
  log: LogConfig;
  argv: string[];
  dryRun: boolean;
  json: boolean;
  runtime: RuntimeName | undefined;
  tune: boolean;
  pythonMemoryCap: boolean;
  exitOnOutOfMemory: boolean;
  /** --exec: replace memshim by the command, no supervision. */
  exec: boolean;
  /** --single-child: signals go to the child only, not its process group. */
  singleChild: boolean;
  /** --rewrite FROM:TO; TO 0 drops the signal. */
  rewrite: Map<number, number>;
  gracePeriodMs: number;
  monitor: boolean;
  monitorIntervalMs: number;
  healthPort: number | null;
  healthHost: string;
}

export interface StatusConfig {
  reader: ReaderConfig;
  json: boolean;
  url: string;
  check: boolean;
  /** --url given or MEMSHIM_HEALTH_PORT set: a memshim should answer there, and --check fails when none does. */
  serverExpected?: boolean;
}

export interface SidecarConfig {
  reader: ReaderConfig;
  log: LogConfig;
  pid: number | null;
  match: RegExp | null;
  monitorIntervalMs: number;
  healthPort: number | null;
  healthHost: string;
}

export const DEFAULT_HEALTH_PORT = 9464;
