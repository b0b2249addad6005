// plan.rlimits (--python-memory-cap) must hold in the child from its first instruction. posix_spawn has no
// hook between fork and exec, and memshim cannot lower its own RLIMIT_AS around the spawn (V8 reserves far
// more address space than any such cap: glibc's spawn stack mmap would fail). So, only when there are limits,
// the child is memshim itself in a hidden mode, the exec helper: it sets them and execs the command in place
// (same pid) through the code of --exec (exec.ts execNow: stdio, signal mask and dispositions made what the
// command must see first, argv and the environment byte for byte). Both packagings start it the same way:
// `node dist/memshim.cjs --exec-helper ...` from npm, `dist/memshim --exec-helper ...` as the single
// executable. src/exec-helper.ts dispatches to it before anything else of memshim loads.
import { writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RlimitSetting } from '../runtimes/types.js';
import { RLIMIT } from '../native/libc.js';
import { isSingleExecutable } from '../native/sea-native.js';
import { EXIT } from '../common/exit-codes.js';
import { execNow, type ExecLog } from './exec.js';
import { EXEC_HELPER } from './exec-helper-flag.js';

/** The hidden first word that makes memshim the exec helper (not in --help: only memshim starts it). */
export { EXEC_HELPER };

/**
 * Carries the command's NODE_OPTIONS past the helper's own Node (which must not run with them). The single
 * executable ignores NODE_OPTIONS (scripts/build-binary.mjs), so there it stays as it is.
 */
const NODE_OPTIONS_CARRIER = 'MEMSHIM_CHILD_NODE_OPTIONS';

type Env = Readonly<Record<string, string | undefined>>;

export interface Launch {
  file: string;
  argv: readonly string[];
  env: Env;
  /** Variables of env that carry the bytes of another of memshim's (raw-bytes.ts): the carried NODE_OPTIONS. */
  carried: Readonly<Record<string, string>>;
}

/** The file this code runs from: the npm bundle, dist/memshim.cjs (import.meta.url is its URL there). */
function bundlePath(): string {
  return fileURLToPath(import.meta.url);
}

/** How to start argv so that `rlimits` hold in it: argv itself when there are none, else through the helper. */
export function withRlimits(argv: readonly string[], env: Env, rlimits: readonly RlimitSetting[]): Launch {
  if (rlimits.length === 0) return { file: argv[0] ?? '', argv, env, carried: {} };
  const limits = rlimits.map((limit) => `${limit.resource}=${limit.bytes}`);
  if (isSingleExecutable())
    return {
      file: process.execPath,
      argv: [process.execPath, EXEC_HELPER, ...limits, '--', ...argv],
      env,
      carried: {},
    };
  const helperEnv: Record<string, string | undefined> = { ...env, NODE_OPTIONS: undefined };
  if (env.NODE_OPTIONS !== undefined) helperEnv[NODE_OPTIONS_CARRIER] = env.NODE_OPTIONS;
  return {
    file: process.execPath,
    argv: [process.execPath, bundlePath(), EXEC_HELPER, ...limits, '--', ...argv],
    env: helperEnv,
    carried: { [NODE_OPTIONS_CARRIER]: 'NODE_OPTIONS' },
  };
}

/** The helper's log: nothing but warnings and errors, each one `memshim: ...` line on stderr, as memshim says a
 * command that cannot be run. */
function lineLog(): ExecLog {
  const say = (...args: unknown[]) => {
    const message = args.find((arg) => typeof arg === 'string');
    if (message !== undefined) writeSync(2, `memshim: ${message}\n`);
  };
  const quiet = () => {};
  return { debug: quiet, info: quiet, warn: say, error: say } as unknown as ExecLog;
}

/**
 * The helper: `RESOURCE=BYTES ... -- COMMAND ARGS` (what withRlimits() passed after EXEC_HELPER), `env` its own
 * environment. Becomes the command; returns only when it could not be run, with the exit code (127/126; 2 for
 * words withRlimits() never writes).
 */
export function runExecHelper(args: readonly string[], env: Env): number {
  const end = args.indexOf('--');
  const rlimits: RlimitSetting[] = [];
  for (const word of end < 0 ? args : args.slice(0, end)) {
    const [resource, bytes] = word.split('=');
    if (!resource || !(resource in RLIMIT) || !/^\d+$/.test(bytes ?? '')) {
      writeSync(2, `memshim: ${EXEC_HELPER} is memshim's own: not a limit (RLIMIT_...=BYTES) before --\n`);
      return EXIT.USAGE;
    }
    rlimits.push({ resource: resource as RlimitSetting['resource'], bytes: Number(bytes) });
  }
  const commandEnv: Record<string, string | undefined> = { ...env };
  const carried: Record<string, string> = {};
  if (NODE_OPTIONS_CARRIER in commandEnv) {
    commandEnv.NODE_OPTIONS = commandEnv[NODE_OPTIONS_CARRIER];
    delete commandEnv[NODE_OPTIONS_CARRIER];
    carried.NODE_OPTIONS = NODE_OPTIONS_CARRIER;
  }
  return execNow({ argv: end < 0 ? [] : args.slice(end + 1), env: commandEnv, rlimits, carried }, lineLog());
}
