// Which runtime a command starts: from the program's name, a script's `#!` line, `/usr/bin/env X`, or what the
// binary looks like (gathered by facts.ts). Pure: no I/O.
import type { CommandFacts, RuntimeName } from './types.js';

/** By the program's file name. */
export function runtimeOfProgram(program: string): RuntimeName | null {
  const name = program.split('/').pop() ?? '';
  if (name === 'java' || name === 'catalina.sh') return 'jvm'; // catalina.sh run: the official Tomcat image's CMD
  if (/^(node|nodejs|npm|npx|yarn|pnpm|pm2|pm2-runtime)$/.test(name)) return 'node'; // launchers run node, which reads NODE_OPTIONS
  if (/^(python|pypy)(\d+(\.\d+)?)?$/.test(name) || name === 'gunicorn' || name === 'uvicorn') return 'python';
  if (name === 'dotnet') return 'dotnet';
  return null;
}

/** `env [-S] [-i] [NAME=VALUE ...] PROGRAM ARGS`: the words from PROGRAM on. */
export function skipEnv(words: readonly string[]): string[] {
  if (!/(^|\/)env$/.test(words[0] ?? '')) return [...words];
  let i = 1;
  while (i < words.length) {
    const word = words[i]!;
    if (word === '-S' || word === '-i' || word === '-' || word === '--ignore-environment') i++;
    else if (word.startsWith('-S'))
      return [word.slice(2), ...words.slice(i + 1)].filter(Boolean).flatMap((w) => w.split(/\s+/));
    else if (word === '-u' || word === '--unset') i += 2;
    else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) i++;
    else break;
  }
  // `env -S "node --flag"` arrives from a shebang as one word.
  return words.slice(i).flatMap((w, index) => (index === 0 ? w.split(/\s+/) : [w]));
}

export interface Detection {
  runtime: RuntimeName;
  /** Why, for the plan's notes. */
  reason: string;
}

export function detectRuntime(argv: readonly string[], facts: CommandFacts, forced?: RuntimeName): Detection {
  if (forced) return { runtime: forced, reason: `--runtime ${forced}` };
  const command = skipEnv(argv);
  const byName = runtimeOfProgram(command[0] ?? '');
  if (byName) return { runtime: byName, reason: `the command is ${(command[0] ?? '').split('/').pop()}` };
  if (facts.shebang?.length) {
    const interpreter = skipEnv(facts.shebang)[0] ?? '';
    const byShebang = runtimeOfProgram(interpreter);
    if (byShebang) return { runtime: byShebang, reason: `the script's #! line names ${interpreter.split('/').pop()}` };
  }
  if (facts.javaWrapper)
    return {
      runtime: 'jvm',
      reason: `a ${facts.javaWrapper.kind} start script that runs java (options from ${facts.javaWrapper.optionVariables.join(', ')})`,
    };
  if (facts.binaryKind === 'go') return { runtime: 'go', reason: 'the binary carries Go build information' };
  if (facts.binaryKind === 'dotnet')
    return { runtime: 'dotnet', reason: 'a .runtimeconfig.json or .deps.json lies beside the binary' };
  return { runtime: 'generic', reason: 'no runtime recognised' };
}
