// memshim passes the command's argv and the environment it does not change byte for byte. Node hands them to
// JavaScript decoded as UTF-8, so a byte that is not UTF-8 (\xff in a Latin-1 file name, a binary token in a
// variable) is already U+FFFD in process.argv and process.env. The kernel keeps what memshim was given in
// /proc/self/cmdline and /proc/self/environ: where a string memshim is about to pass is exactly what one of
// those entries decodes to, the entry's own bytes are passed instead (libc through koffi takes bytes). A string
// memshim built or changed (a variable of the plan, a JVM flag) has no such entry and goes as UTF-8, as it
// should. Without /proc nothing can be restored: strings go as they are. Without koffi (node:child_process and
// process.execve take strings only) nothing can be passed as bytes: lossyForStrings() names what is changed.
import { isAscii } from 'node:buffer';
import { readFileBytes } from '../cgroup/files.js';
import type { Logger } from '../common/log.js';

type WarnLog = Pick<Logger, 'warn'>;

const REPLACEMENT = '\uFFFD';

/** What memshim was given that Node's strings lose: the entries of its argv and environment that are not UTF-8. */
export interface Raw {
  /** memshim's own argv, each entry as the kernel holds it, with what Node made of it. */
  argv: { text: string; bytes: Buffer }[];
  /** The environment memshim was started with, by variable name as Node decodes it. */
  env: Map<string, { value: string; bytes: Buffer }>;
  /** Variables whose name is not UTF-8: Node leaves them out of process.env altogether. */
  unnamed: Buffer[];
}

let cached: Raw | null | undefined;

function entries(dump: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (let end = dump.indexOf(0); end !== -1; end = dump.indexOf(0, from)) {
    out.push(dump.subarray(from, end));
    from = end + 1;
  }
  if (from < dump.length) out.push(dump.subarray(from));
  return out;
}

/** Only entries that are not valid UTF-8 matter: the others are their own UTF-8 encoding. */
function lossy(bytes: Buffer, text: string): boolean {
  return text.includes(REPLACEMENT) && !Buffer.from(text).equals(bytes);
}

/** Pure: the lossy entries of an argv and an environment as the kernel holds them (NUL-separated dumps). */
export function parseRaw(cmdline: Buffer, environ: Buffer): Raw {
  // No byte above 0x7f (the common case, scanned in native code): every entry is its own UTF-8.
  if (isAscii(cmdline) && isAscii(environ)) return { argv: [], env: new Map(), unnamed: [] };
  const argv = entries(cmdline)
    .map((bytes) => ({ text: bytes.toString('utf8'), bytes }))
    .filter((entry) => lossy(entry.bytes, entry.text));
  const env = new Map<string, { value: string; bytes: Buffer }>();
  const unnamed: Buffer[] = [];
  for (const bytes of entries(environ)) {
    const name = bytes.subarray(0, Math.max(0, bytes.indexOf(0x3d)));
    if (lossy(name, name.toString('utf8'))) {
      unnamed.push(bytes);
      continue;
    }
    const text = bytes.toString('utf8');
    const eq = text.indexOf('=');
    // The first of two entries with one name is the one getenv() (and so Node) sees.
    if (eq > 0 && lossy(bytes, text) && !env.has(text.slice(0, eq)))
      env.set(text.slice(0, eq), { value: text.slice(eq + 1), bytes });
  }
  return { argv, env, unnamed };
}

/** This process's own, read once; null without /proc, or past the reader's MAX_BYTES (nothing can be restored then). */
function raw(): Raw | null {
  if (cached !== undefined) return cached;
  const cmdline = readFileBytes('/proc/self/cmdline');
  const environ = readFileBytes('/proc/self/environ');
  cached = cmdline.ok && environ.ok ? parseRaw(cmdline.bytes, environ.bytes) : null;
  return cached;
}

const terminated = (bytes: Buffer): Buffer => Buffer.concat([bytes, Buffer.from([0])]);

/** One word of argv (or a path) as memshim was given it: its bytes when Node's string of it is lossy. */
export function rawWord(text: string, given: Raw | null = raw()): string | Buffer {
  if (!text.includes(REPLACEMENT)) return text;
  const found = given?.argv.find((entry) => entry.text === text);
  return found ? terminated(found.bytes) : text;
}

/** argv for execve/posix_spawn: each word as memshim was given it, where Node's string of it is lossy. */
export function rawArgv(argv: readonly string[], given: Raw | null = raw()): (string | Buffer)[] {
  return argv.map((word) => rawWord(String(word), given));
}

/**
 * "K=V" entries for execve/posix_spawn, null-terminated: a variable memshim passes unchanged keeps its bytes,
 * and those whose names are not UTF-8 (which Node cannot show, so nobody in memshim changed them) come along.
 * `carried` maps a variable of env to the one of memshim's own whose value it passes on under another name
 * (the exec helper's NODE_OPTIONS, rlimits.ts): its bytes are kept too.
 */
export function rawEnvironmentBlock(
  env: Readonly<Record<string, string | undefined>>,
  carried: Readonly<Record<string, string>> = {},
  given: Raw | null = raw(),
): (string | Buffer | null)[] {
  const block: (string | Buffer | null)[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const entry =
      key.includes(REPLACEMENT) || value.includes(REPLACEMENT) ? given?.env.get(carried[key] ?? key) : undefined;
    block.push(
      entry && entry.value === value
        ? terminated(Buffer.concat([Buffer.from(`${key}=`), entry.bytes.subarray(entry.bytes.indexOf(0x3d) + 1)]))
        : `${key}=${value}`,
    );
  }
  for (const bytes of given?.unnamed ?? []) block.push(terminated(bytes));
  block.push(null);
  return block;
}

/**
 * What cannot reach the child exactly when only strings can be passed (no koffi): the names of the variables
 * and the positions in argv whose bytes are not UTF-8. Names and positions only: values can be secrets.
 */
export function lossyForStrings(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  given: Raw | null = raw(),
): { variables: string[]; arguments: number[]; unnamedVariables: number } {
  const variables = Object.entries(env)
    .filter(
      ([key, value]) =>
        value !== undefined &&
        (key.includes(REPLACEMENT) || value.includes(REPLACEMENT)) &&
        given?.env.get(key)?.value === value,
    )
    .map(([key]) => key);
  const positions = argv
    .map((word, i) => (rawWord(String(word), given) instanceof Buffer ? i : -1))
    .filter((i) => i >= 0);
  return { variables, arguments: positions, unnamedVariables: given?.unnamed.length ?? 0 };
}

/** Without koffi: one warning when some of argv or the environment cannot reach the command as given. */
export function warnIfChanged(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  log: WarnLog,
  given: Raw | null = raw(),
): void {
  const changed = lossyForStrings(argv, env, given);
  if (changed.variables.length === 0 && changed.arguments.length === 0 && changed.unnamedVariables === 0) return;
  const what = [
    changed.variables.length ? `the values of ${changed.variables.join(', ')}` : '',
    changed.arguments.length ? `the arguments at ${changed.arguments.join(', ')}` : '',
  ].filter(Boolean);
  const parts = [
    what.length ? `bytes that are not UTF-8 in ${what.join(' and ')} are passed as U+FFFD` : '',
    changed.unnamedVariables ? `${changed.unnamedVariables} variable(s) whose names are not UTF-8 are left out` : '',
  ];
  log.warn(
    { event: 'bytes_changed', ...changed },
    `without koffi only strings reach the command: ${parts.filter(Boolean).join('; ')}`,
  );
}
