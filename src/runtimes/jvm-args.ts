// Reading a `java` command line and the JVM option variables: where the classes come from (for the class
// count) and which memory flags the user already set (kept, then judged). Pure: no I/O.
import { splitOptions, userEnv } from './common.js';
import type { PlanInput } from './types.js';

/** Launcher options whose value is the next word. */
const TAKES_VALUE = new Set([
  '-cp',
  '-classpath',
  '--class-path',
  '-p',
  '--module-path',
  '--upgrade-module-path',
  '--add-modules',
  '--add-reads',
  '--add-exports',
  '--add-opens',
  '--limit-modules',
  '--patch-module',
  '--source',
  '--enable-native-access',
]);

export interface JavaCommand {
  /** JVM and launcher options before the main class / -jar / -m, in order. */
  options: string[];
  jar: string | null;
  /** -cp / -classpath / --class-path entries, split on ':'. */
  classpath: string[] | null;
  mainClass: string | null;
}

export function parseJavaCommand(argv: readonly string[]): JavaCommand {
  const options: string[] = [];
  const command: JavaCommand = { options, jar: null, classpath: null, mainClass: null };
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i] ?? '';
    if (word === '-jar') {
      command.jar = argv[i + 1] ?? null;
      break;
    }
    if (word === '-m' || word === '--module') break;
    if (word.startsWith('--module=')) break;
    if (!word.startsWith('-')) {
      if (word.startsWith('@')) continue; // an argument file: its options are not read (the risk check cannot see them)
      command.mainClass = word;
      break;
    }
    if (TAKES_VALUE.has(word)) {
      const value = argv[i + 1];
      i++;
      if (value !== undefined && (word === '-cp' || word === '-classpath' || word === '--class-path'))
        command.classpath = value.split(':').filter(Boolean);
      continue;
    }
    if (word.startsWith('--class-path='))
      command.classpath = word.slice('--class-path='.length).split(':').filter(Boolean);
    else options.push(word);
  }
  return command;
}

/** A JVM size: 512m, 1g, 1024k, 536870912 (bytes). null when it is not one. */
export function parseJvmSize(text: string): number | null {
  const match = /^(\d+)([kKmMgGtT]?)$/.exec(text.trim());
  if (!match) return null;
  const scale = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[
    match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'
  ];
  const bytes = Number(match[1]) * scale;
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** One JVM option word with where it came from, in the order the JVM reads them (a later one wins). */
export interface SourcedOption {
  word: string;
  source: string;
}

/**
 * Every JVM option the user gave, in the JVM's order: JAVA_TOOL_OPTIONS, then JDK_JAVA_OPTIONS (the `java`
 * launcher prepends it to the command line), then the command line, then _JAVA_OPTIONS (which overrides all).
 */
export function userJvmOptions(
  command: JavaCommand,
  env: PlanInput['env'],
  isJavaLauncher: boolean,
  wrapper?: { variables: string[]; scriptOptions: string[] },
): SourcedOption[] {
  const from = (name: string) => splitOptions(userEnv(env, name)).map((word) => ({ word, source: name }));
  return [
    ...from('JAVA_TOOL_OPTIONS'),
    ...(isJavaLauncher ? from('JDK_JAVA_OPTIONS') : []),
    // A start script puts its own options, then its _OPTS variables, on the java command line it runs.
    ...(wrapper?.scriptOptions ?? []).map((word) => ({ word, source: 'the start script' })),
    ...(wrapper?.variables ?? []).flatMap(from),
    ...command.options.map((word) => ({ word, source: 'the command line' })),
    ...from('_JAVA_OPTIONS'),
  ];
}

export interface SetValue<T> {
  value: T;
  /** "-Xmx in JAVA_TOOL_OPTIONS": the flag and where, for risk messages. */
  source: string;
}

/** The memory-related flags the user set (last one wins, as in the JVM). */
export interface UserJvmFlags {
  maxHeap?: SetValue<number>;
  maxRamPercentage?: SetValue<number>;
  maxRam?: SetValue<number>;
  threadStack?: SetValue<number>;
  metaspace?: SetValue<number>;
  codeCache?: SetValue<number>;
  directMemory?: SetValue<number>;
  activeProcessorCount?: SetValue<number>;
  /** Any of ±ExitOnOutOfMemoryError / ±CrashOnOutOfMemoryError: the user chose what an OOM does. */
  outOfMemoryAction?: SetValue<string>;
}

function xxValue(word: string, name: string): string | null {
  const prefix = `-XX:${name}=`;
  return word.startsWith(prefix) ? word.slice(prefix.length) : null;
}

export function userJvmFlags(options: readonly SourcedOption[]): UserJvmFlags {
  const flags: UserJvmFlags = {};
  const sized = (text: string | null, flag: string, source: string, scale = 1): SetValue<number> | undefined => {
    if (text === null) return undefined;
    const bytes = scale === 1 ? parseJvmSize(text) : /^\d+$/.test(text) ? Number(text) * scale : null;
    return bytes === null ? undefined : { value: bytes, source: `${flag} in ${source}` };
  };
  for (const { word, source } of options) {
    let set: SetValue<number> | undefined;
    if (
      (set = sized(
        word.startsWith('-Xmx') ? word.slice(4) : xxValue(word, 'MaxHeapSize'),
        word.startsWith('-Xmx') ? '-Xmx' : '-XX:MaxHeapSize',
        source,
      ))
    )
      flags.maxHeap = set;
    else if ((set = sized(word.startsWith('-Xss') ? word.slice(4) : null, '-Xss', source))) flags.threadStack = set;
    else if ((set = sized(xxValue(word, 'ThreadStackSize'), '-XX:ThreadStackSize', source, 1024)))
      flags.threadStack = set; // in KiB
    else if ((set = sized(xxValue(word, 'MaxMetaspaceSize'), '-XX:MaxMetaspaceSize', source))) flags.metaspace = set;
    else if ((set = sized(xxValue(word, 'ReservedCodeCacheSize'), '-XX:ReservedCodeCacheSize', source)))
      flags.codeCache = set;
    else if ((set = sized(xxValue(word, 'MaxDirectMemorySize'), '-XX:MaxDirectMemorySize', source)))
      flags.directMemory = set;
    else if ((set = sized(xxValue(word, 'MaxRAM'), '-XX:MaxRAM', source))) flags.maxRam = set;
    else if (xxValue(word, 'MaxRAMPercentage') !== null) {
      const percent = Number(xxValue(word, 'MaxRAMPercentage'));
      if (Number.isFinite(percent))
        flags.maxRamPercentage = { value: percent, source: `-XX:MaxRAMPercentage in ${source}` };
    } else if (xxValue(word, 'MaxRAMFraction') !== null) {
      const fraction = Number(xxValue(word, 'MaxRAMFraction'));
      if (Number.isFinite(fraction) && fraction > 0)
        flags.maxRamPercentage = { value: 100 / fraction, source: `-XX:MaxRAMFraction in ${source}` };
    } else if (xxValue(word, 'ActiveProcessorCount') !== null) {
      const count = Number(xxValue(word, 'ActiveProcessorCount'));
      if (Number.isInteger(count))
        flags.activeProcessorCount = { value: count, source: `-XX:ActiveProcessorCount in ${source}` };
    } else if (/^-XX:[+-](ExitOnOutOfMemoryError|CrashOnOutOfMemoryError)$/.test(word)) {
      flags.outOfMemoryAction = { value: word, source };
    }
  }
  return flags;
}

/** The java launcher's @argfile syntax: words split on white space, quotes group, # starts a comment line. */
export function parseArgFile(text: string): string[] {
  return splitOptions(
    text
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .join('\n'),
  );
}

/**
 * A java command line as the JVM reads it: each @argfile replaced by its words (the launcher does that first),
 * each -XX:VMOptionsFile= followed by its words. `files` holds what facts.ts read; an unread file stays as written.
 */
export function expandArgFiles(argv: readonly string[], files: Record<string, string[]> | undefined): string[] {
  if (!files) return [...argv];
  return argv.flatMap((word, i) => {
    const words = i > 0 ? files[word] : undefined;
    if (!words) return [word];
    return word.startsWith('@') ? words : [word, ...words];
  });
}
