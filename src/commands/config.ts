// Everything the command line (and MEMSHIM_* variables) can say, already validated. Built by src/cli.ts, read by
// the commands; the layers below take only their own part (the cgroup reader its ReaderConfig).
import type { LogFormat, LogLevel } from '../common/log.js';
import type { ReaderConfig } from '../cgroup/types.js';
import type { RuntimeName } from '../runtimes/types.js';

export type { ReaderConfig };

export interface LogConfig {
  format: LogFormat;
  level: LogLevel;
}

export interface RunConfig {
  /** The environment memshim was started with: the plan reads it, the child inherits it (with the plan's over it). */
  env: Readonly<Record<string, string | undefined>>;
  reader: ReaderConfig;
  log: LogConfig;
  argv: string[];
  dryRun: boolean;
  json: boolean;
  /** --show-secrets: --dry-run shows secret-looking values as they are instead of masked. */
  showSecrets: boolean;
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
  /** --stop-delay: ms between SIGTERM (not ready from then on) and its forwarding to the child. */
  stopDelayMs: number;
  /** --remap-exit FROM:TO on the child's status. */
  remapExit: Map<number, number>;
  /** --pdeathsig: the signal memshim gets when its parent dies, or null. */
  parentDeathSignal: number | null;
  monitor: boolean;
  monitorIntervalMs: number;
  healthPort: number | null;
  healthHost: string;
  /** --termination-log as given ('' for none); null: the kubelet's /dev/termination-log when writable. */
  terminationLog: string | null;
  /** --state-dir: where the run is recorded and the previous one read back. */
  stateDir: string | null;
}

export interface StatusConfig {
  reader: ReaderConfig;
  json: boolean;
  url: string;
  check: boolean;
  /**
   * --url given or MEMSHIM_HEALTH_PORT set (src/cli.ts decides, from the environment main() was given): a memshim
   * should answer there, and with --check silence is unhealthy, not a reason to read the cgroup instead.
   */
  serverExpected: boolean;
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
