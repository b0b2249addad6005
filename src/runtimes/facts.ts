// The I/O edge of planning: what the pure planners need to know about the command and cannot see in argv.
// The `#!` line of a script, the `.class` count of the -jar / -cp jars (nested BOOT-INF/lib jars included), and
// whether a binary is Go (its `\xff Go buildinf:` section) or a .NET apphost (a .runtimeconfig.json /
// .deps.json beside it), whether a script is a start script that runs `java` (catalina.sh, Gradle, Maven
// appassembler) and the words of a java command's @argfiles. Every read is best-effort: a file that cannot be
// read just leaves its fact unknown.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { resolveOnPath } from '../common/path-search.js';
import { skipEnv, runtimeOfProgram } from './detect.js';
import { splitOptions } from './common.js';
import { expandArgFiles, parseArgFile, parseJavaCommand } from './jvm-args.js';
import { countJarClasses } from './zip.js';
import type { CommandFacts, JavaWrapper } from './types.js';

const GO_BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

/**
 * A start script that runs java: Tomcat's catalina.sh, the scripts Gradle's application plugin and Maven's
 * appassembler generate. Which `$X_OPTS` variables it passes to java is read from the script itself.
 */
export function javaWrapperOf(path: string, text: string): JavaWrapper | null {
  let kind: JavaWrapper['kind'] | null = null;
  if (/catalina\.sh$/.test(path) || /org\.apache\.catalina\.startup\.Bootstrap/.test(text)) kind = 'tomcat';
  else if (/DEFAULT_JVM_OPTS=/.test(text) && /JAVACMD/.test(text)) kind = 'gradle';
  else if (/JAVACMD/.test(text) && /(appassembler|\bREPO=)/i.test(text)) kind = 'maven';
  if (!kind) return null;
  const named = [...text.matchAll(/\$\{?([A-Z][A-Z0-9_]*_OPTS)\b/g)]
    .map((m) => m[1]!)
    .filter((name) => name !== 'DEFAULT_JVM_OPTS');
  const optionVariables = [
    ...new Set(kind === 'tomcat' ? ['JAVA_OPTS', 'CATALINA_OPTS', ...named] : ['JAVA_OPTS', ...named]),
  ];
  const defaults = /^DEFAULT_JVM_OPTS=(['"])(.*)\1\s*$/m.exec(text)?.[2] ?? '';
  return { kind, optionVariables, scriptOptions: splitOptions(defaults.replace(/\\?"/g, ' ').replace(/'/g, ' ')) };
}

/** The words of every @argfile and -XX:VMOptionsFile= before the main class, read best-effort (64 KiB each). */
function readJavaArgFiles(argv: readonly string[]): Record<string, string[]> {
  const files: Record<string, string[]> = {};
  for (const word of argv.slice(1)) {
    if (word === '-jar' || (!word.startsWith('-') && !word.startsWith('@'))) break;
    const path = word.startsWith('@')
      ? word.slice(1)
      : word.startsWith('-XX:VMOptionsFile=')
        ? word.slice('-XX:VMOptionsFile='.length)
        : null;
    if (!path || word.startsWith('@@')) continue;
    try {
      files[word] = parseArgFile(readFileSync(path, 'utf8').slice(0, 64 * 1024));
    } catch {
      /* unreadable: the launcher will say so; the plan goes on without its words */
    }
  }
  return files;
}

export async function gatherFacts(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<CommandFacts> {
  const facts: CommandFacts = {};
  const command = skipEnv(argv);
  const program = command[0];
  if (!program) return facts;
  if (/(^|\/)java$/.test(program)) {
    const argFiles = readJavaArgFiles(command);
    if (Object.keys(argFiles).length) facts.javaArgFiles = argFiles;
    const classes = countClasses(expandArgFiles(command, argFiles), env);
    if (classes !== undefined) facts.jarClassCount = classes;
    return facts;
  }
  // Named runtimes need nothing more; catalina.sh is read for the _OPTS variables it passes on.
  if (runtimeOfProgram(program) && !/catalina\.sh$/.test(program)) return facts;
  const path = resolveProgram(program, env.PATH);
  if (!path) return facts;
  const file = ProgramFile.open(path);
  if (!file) return facts;
  try {
    const head = file.head.length >= 4 ? file.head : null;
    if (head && head.toString('latin1', 0, 2) === '#!') {
      const line = head.toString('utf8', 2, SHEBANG_BYTES).split('\n')[0]!.trim();
      if (line) facts.shebang = line.split(/\s+/);
      const wrapper = javaWrapperOf(path, head.toString('utf8'));
      if (wrapper) facts.javaWrapper = wrapper;
    } else if (head && head.readUInt32BE(0) === 0x7f454c46) {
      if (existsSync(`${path}.runtimeconfig.json`) || existsSync(`${path}.deps.json`)) facts.binaryKind = 'dotnet';
      else if (hasGoBuildInfo(file)) facts.binaryKind = 'go';
    }
  } finally {
    file.close();
  }
  return facts;
}

/** The file a command name runs (execvp's PATH search), when it is a file that can be read. */
export function resolveProgram(program: string, searchPath: string | undefined): string | null {
  const found = resolveOnPath(program, searchPath);
  return 'file' in found && isFile(found.file) ? found.file : null;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** What of a script's first line is its `#!` line; what of a script is searched for a java start script's marks. */
const SHEBANG_BYTES = 256;
const HEAD_BYTES = 64 * 1024;

/**
 * The program file, opened once for every fact read from it: its first 64 KiB are read once and shared (the
 * `#!` line, a start script's text, the ELF header); what lies further (an ELF's section table) is read through
 * the same descriptor.
 */
export class ProgramFile {
  private constructor(
    private readonly fd: number,
    readonly head: Buffer,
  ) {}

  static open(path: string): ProgramFile | null {
    let fd: number | null = null;
    try {
      fd = openSync(path, 'r');
      // Not zeroed: only the bytes read are ever looked at (the subarray), and a 64 KiB fill touches pages for nothing.
      const head = Buffer.allocUnsafe(HEAD_BYTES);
      const file = new ProgramFile(fd, head.subarray(0, readSync(fd, head, 0, HEAD_BYTES, 0)));
      fd = null;
      return file;
    } catch {
      return null;
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }

  /** Up to `length` bytes at `offset` (fewer at the end of the file); null when they cannot be read. */
  at(offset: number, length: number): Buffer | null {
    // The whole file is in the head when it is shorter than the head.
    if (offset + length <= this.head.length || this.head.length < HEAD_BYTES)
      return this.head.subarray(offset, offset + length);
    try {
      const buffer = Buffer.allocUnsafe(length);
      return buffer.subarray(0, readSync(this.fd, buffer, 0, length, offset));
    } catch {
      return null;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** A 64-bit little-endian ELF with a `.go.buildinfo` section that starts with Go's magic. */
export function hasGoBuildInfo(file: ProgramFile): boolean {
  const header = file.at(0, 64);
  if (!header || header.length < 64 || header[4] !== 2 || header[5] !== 1) return false;
  const sectionsAt = Number(header.readBigUInt64LE(0x28));
  const entrySize = header.readUInt16LE(0x3a);
  const count = header.readUInt16LE(0x3c);
  const namesIndex = header.readUInt16LE(0x3e);
  if (!sectionsAt || entrySize < 64 || count === 0 || count > 4096) return false;
  const table = file.at(sectionsAt, entrySize * count);
  if (!table || table.length < entrySize * count) return false;
  const names = table.subarray(namesIndex * entrySize);
  const nameTable = file.at(Number(names.readBigUInt64LE(0x18)), Number(names.readBigUInt64LE(0x20)));
  if (!nameTable) return false;
  for (let i = 0; i < count; i++) {
    const section = table.subarray(i * entrySize);
    const nameAt = section.readUInt32LE(0);
    const name = nameTable.toString('latin1', nameAt, nameTable.indexOf(0, nameAt));
    if (name !== '.go.buildinfo') continue;
    const magic = file.at(Number(section.readBigUInt64LE(0x18)), GO_BUILDINFO_MAGIC.length);
    return !!magic && magic.equals(GO_BUILDINFO_MAGIC);
  }
  return false;
}

/** Classes in the jars a `java` command loads: -jar X, else -cp / --class-path, else CLASSPATH. */
function countClasses(argv: readonly string[], env: NodeJS.ProcessEnv): number | undefined {
  const command = parseJavaCommand(argv);
  const entries = command.jar ? [command.jar] : (command.classpath ?? (env.CLASSPATH ?? '').split(':').filter(Boolean));
  let total: number | undefined;
  for (const jar of entries.flatMap(expandWildcard)) {
    if (!jar.endsWith('.jar') && !jar.endsWith('.war') && !(command.jar === jar)) continue;
    try {
      total = (total ?? 0) + countJarClasses(jar);
    } catch {
      /* not a jar or not readable: the estimate goes on without it */
    }
  }
  return total;
}

/** `lib/*` on a class path means every jar in lib/. */
function expandWildcard(entry: string): string[] {
  if (!entry.endsWith('/*') && entry !== '*') return [entry];
  const dir = entry === '*' ? '.' : entry.slice(0, -2);
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith('.jar'))
      .map((name) => join(dir, name));
  } catch {
    return [];
  }
}
