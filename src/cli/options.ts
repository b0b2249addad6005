// The options of `memshim [options] -- CMD`, in one table that both parsers read: yargs (cli/yargs.ts: --help,
// usage errors, the subcommands) builds its options from it, and the start path's parser (cli/fast.ts) takes the
// same names, kinds, choices and defaults from it, so the two cannot drift apart. The order is --help's order.
import { LOG_LEVELS } from '../common/log.js';
import { RUNTIME_NAMES } from '../runtimes/types.js';
import { DEFAULT_HEALTH_PORT } from '../commands/config.js';

/** An option as yargs takes it (the subset memshim uses). */
export interface OptionSpec {
  type?: 'string' | 'boolean';
  array?: true;
  choices?: readonly string[];
  default?: string | boolean | string[];
  describe: string;
  group?: string;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** Where the limits come from: run, status and sidecar. */
export const READER_OPTIONS: OptionTable = {
  memory: {
    type: 'string',
    describe: 'Memory limit to plan for, overriding the cgroup (512Mi, 2G, bytes) [env MEMSHIM_MEMORY]',
    group: 'Limits:',
  },
  cpus: {
    type: 'string',
    describe: 'CPU limit to plan for, overriding the cgroup (1.5, 500m) [env MEMSHIM_CPUS]',
    group: 'Limits:',
  },
  procfs: {
    type: 'string',
    default: '/proc',
    describe: 'Where /proc is (a captured tree, another root)',
    group: 'Limits:',
  },
  sysfs: {
    type: 'string',
    default: '/sys',
    describe: 'Where /sys is; cgroup mount points resolve under it',
    group: 'Limits:',
  },
};

/** run and sidecar. */
export const LOG_OPTIONS: OptionTable = {
  'log-format': {
    choices: ['json', 'pretty'],
    describe: 'json lines, or pretty for people [env MEMSHIM_LOG_FORMAT]',
    group: 'Logging:',
  },
  'log-level': {
    choices: LOG_LEVELS,
    describe: 'Least level logged (default info) [env MEMSHIM_LOG_LEVEL]',
    group: 'Logging:',
  },
};

/** run and sidecar. */
export const HEALTH_OPTIONS: OptionTable = {
  'health-port': {
    type: 'string',
    describe: `Serve /healthz /readyz /metrics /status on this port (off unless set; ${DEFAULT_HEALTH_PORT} is usual) [env MEMSHIM_HEALTH_PORT]`,
    group: 'Watching:',
  },
  'health-host': {
    type: 'string',
    default: '0.0.0.0',
    describe: 'Address for the health server (all interfaces, for pod probes)',
    group: 'Watching:',
  },
  'monitor-interval': {
    type: 'string',
    default: '1.5',
    describe: 'Seconds between memory readings',
    group: 'Watching:',
  },
};

/** The run command's own options, after the three groups above. */
export const RUN_ONLY_OPTIONS: OptionTable = {
  'dry-run': {
    type: 'boolean',
    default: false,
    describe: 'Print the limits, the plan and the risks; run nothing',
  },
  json: { type: 'boolean', default: false, describe: 'With --dry-run: one JSON object' },
  'show-secrets': {
    type: 'boolean',
    default: false,
    describe:
      'With --dry-run: show values that look secret (passwords, tokens, keys in argv and variables) instead of ***',
  },
  runtime: {
    choices: RUNTIME_NAMES,
    describe: 'Force the runtime instead of detecting it',
    group: 'Tuning:',
  },
  tune: {
    type: 'boolean',
    default: true,
    describe: 'Tune the runtime (--no-tune keeps only the init duties)',
    group: 'Tuning:',
  },
  'python-memory-cap': {
    type: 'boolean',
    default: false,
    describe: 'setrlimit below the limit so Python raises MemoryError instead of being OOM-killed',
    group: 'Tuning:',
  },
  'exit-on-oom': {
    type: 'boolean',
    default: true,
    describe: 'Add -XX:+ExitOnOutOfMemoryError to the JVM (--no-exit-on-oom to leave it out)',
    group: 'Tuning:',
  },
  exec: {
    type: 'boolean',
    default: false,
    describe: 'Set up, then replace memshim by the command: no signals, reaping or monitoring',
    group: 'Init:',
  },
  'single-child': {
    type: 'boolean',
    default: false,
    describe: "Signal only the child, not its process group (tini's default)",
    group: 'Init:',
  },
  rewrite: {
    type: 'string',
    array: true,
    default: [],
    describe: 'Rewrite signal FROM to TO (15:3); TO 0 drops it',
    group: 'Init:',
  },
  'grace-period': {
    type: 'string',
    default: '5',
    describe: 'Seconds between SIGTERM and SIGKILL at shutdown',
    group: 'Init:',
  },
  'stop-delay': {
    type: 'string',
    describe: 'On SIGTERM: /readyz 503 at once, SIGTERM to the child S seconds later (drain) [env MEMSHIM_STOP_DELAY]',
    group: 'Init:',
  },
  'remap-exit': {
    type: 'string',
    array: true,
    default: [],
    describe: "Exit with TO when the child's status is FROM (143:0), repeatable [env MEMSHIM_REMAP_EXIT]",
    group: 'Init:',
  },
  pdeathsig: {
    type: 'string',
    describe: "Receive this signal when memshim's parent dies, and forward it (tini -p) [env MEMSHIM_PDEATHSIG]",
    group: 'Init:',
  },
  monitor: {
    type: 'boolean',
    default: true,
    describe: 'Watch memory while the child runs (--no-monitor to turn off)',
    group: 'Watching:',
  },
  'termination-log': {
    type: 'string',
    describe:
      "Keep a short verdict in this file for Kubernetes' pod status ('' for none; default /dev/termination-log when writable) [env MEMSHIM_TERMINATION_LOG]",
    group: 'Watching:',
  },
  'state-dir': {
    type: 'string',
    describe: 'Record each run here (an emptyDir) and report the previous one at start [env MEMSHIM_STATE_DIR]',
    group: 'Watching:',
  },
};

/** Every option of `memshim [options] -- CMD`, in --help's order. */
export const RUN_OPTIONS: OptionTable = { ...READER_OPTIONS, ...LOG_OPTIONS, ...HEALTH_OPTIONS, ...RUN_ONLY_OPTIONS };

/** What a parser hands over for the run command: yargs' parsed arguments, as far as memshim reads them. */
export interface RunArgs {
  /** The words before a `--` (`memshim CMD ARGS -- MORE`), and everything after the first one. */
  _: (string | number)[];
  '--'?: string[];
  memory?: string;
  cpus?: string;
  procfs: string;
  sysfs: string;
  'log-format'?: string;
  'log-level'?: string;
  'health-port'?: string;
  'health-host': string;
  'monitor-interval': string;
  'dry-run': boolean;
  json: boolean;
  'show-secrets': boolean;
  runtime?: string;
  tune: boolean;
  'python-memory-cap': boolean;
  'exit-on-oom': boolean;
  exec: boolean;
  'single-child': boolean;
  rewrite: string[];
  'grace-period': string;
  'stop-delay'?: string;
  'remap-exit': string[];
  pdeathsig?: string;
  monitor: boolean;
  'termination-log'?: string;
  'state-dir'?: string;
}
