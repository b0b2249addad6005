// What --dry-run and the plan show of the user's own values: argv words and variables whose NAME says they hold a
// secret (password, secret, token, key, credential) keep the name and lose the value; so does the password of a
// URL (scheme://user:PASSWORD@host). The output of --dry-run is pasted into CI logs and tickets. Pure: no I/O.
// memshim's own values never look like this (-Xmx512m, GOMEMLIMIT=...), so they are shown as they are.
import type { Plan } from './types.js';

export const MASK = '***';

/** Words in a name that mean its value is a secret (case-insensitive, anywhere in the name). */
const SECRET_NAME = /pass(word|wd)|secret|token|key|credential/i;

/** `-Dname=value`, `--name=value`, `-name=value`, `NAME=value`, `-XX:Name=value`: name and value of one word. */
const ASSIGNMENT = /^(-{0,2}[A-Za-z_][\w.:-]*?)=(.*)$/s;

/** An option written alone (`--password`), whose value is the next word. */
const OPTION = /^-{1,2}[A-Za-z][\w.-]*$/;

/** scheme://user:password@host: the password part. */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)([^\s@/]+)(@)/gi;

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** One word (an argv entry, a word of JAVA_TOOL_OPTIONS), masked when its name looks secret. */
export function maskWord(word: string): string {
  const assignment = ASSIGNMENT.exec(word);
  if (assignment && looksSecret(assignment[1]!)) return `${assignment[1]}=${MASK}`;
  return word.replace(URL_PASSWORD, `$1${MASK}$3`);
}

/** An argv: each word, and the word after an option alone whose name looks secret (`--password hunter2`). */
export function maskArgv(argv: readonly string[]): string[] {
  return argv.map((word, i) => {
    const previous = i > 0 ? argv[i - 1]! : '';
    if (i > 0 && OPTION.test(previous) && looksSecret(previous) && !word.startsWith('-')) return MASK;
    return maskWord(word);
  });
}

/** A variable: all of its value when its name looks secret, else each secret-looking word in it. */
export function maskVariable(name: string, value: string): string {
  if (looksSecret(name)) return MASK;
  return maskText(value);
}

/** Free text (a note, a risk's message, an option string): each whitespace-separated word. */
export function maskText(text: string): string {
  const words = text.split(/(\s+)/);
  const masked = maskArgv(words.filter((_, i) => i % 2 === 0));
  return words.map((part, i) => (i % 2 === 0 ? masked[i / 2]! : part)).join('');
}

export function maskEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, maskVariable(name, value)]));
}

/** The plan as --dry-run shows it unless --show-secrets: argv, variables, notes and risks masked. */
export function maskPlan(plan: Plan): Plan {
  return {
    ...plan,
    argv: maskArgv(plan.argv),
    env: maskEnv(plan.env),
    notes: plan.notes.map(maskText),
    risks: plan.risks.map((risk) => ({ ...risk, message: maskText(risk.message) })),
  };
}
