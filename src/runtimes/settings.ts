// What a plan set, as names and values that are safe to show anywhere (a metric label, the termination message,
// the state dir): memshim's own tokens only. NODE_OPTIONS and JAVA_TOOL_OPTIONS are appended to, so their full
// value holds whatever the user put there (a -Dpassword=..., a --require of a private path): only the words
// memshim added are taken. Pure: no I/O.
import { parseDotnetHex } from './dotnet.js';
import { parseGoMemLimit } from './go.js';
import { MiB } from './common.js';
import type { Plan } from './types.js';

/** Variables memshim appends its words to instead of setting them whole. */
const APPENDED = new Set(['NODE_OPTIONS', 'JAVA_TOOL_OPTIONS']);

export interface PlannedSetting {
  variable: string;
  /** The value memshim set, or for an appended variable one word memshim added. */
  value: string;
}

/** Every setting memshim chose, in a stable order; `env` is the environment the child would otherwise have had. */
export function plannedSettings(
  plan: Pick<Plan, 'env'>,
  env: Readonly<Record<string, string | undefined>>,
): PlannedSetting[] {
  const settings: PlannedSetting[] = [];
  for (const variable of Object.keys(plan.env).sort()) {
    const value = plan.env[variable]!;
    if (!APPENDED.has(variable)) {
      settings.push({ variable, value });
      continue;
    }
    const before = new Set(words(env[variable] ?? ''));
    for (const word of words(value)) if (!before.has(word)) settings.push({ variable, value: word });
  }
  return settings;
}

function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

/** The setting that caps how big the runtime's heap grows, as a word a user can search for, and its size. */
export interface HeapSetting {
  /** e.g. "-Xmx384m", "--max-old-space-size=384", "GOMEMLIMIT=460MiB", "RLIMIT_AS=400MiB". */
  text: string;
  bytes: number | null;
}

const JVM_UNITS: Record<string, number> = { '': 1, k: 1024, m: MiB, g: 1024 * MiB, t: 1024 * 1024 * MiB };

/**
 * The heap cap in effect for the child among what the plan's variables say (the last -Xmx or --max-old-space-size
 * wins, as for the runtimes), or null when memshim left the runtime to its own default.
 */
export function heapSetting(plan: Pick<Plan, 'runtime' | 'env' | 'rlimits'>): HeapSetting | null {
  const last = (text: string | undefined, pattern: RegExp): RegExpExecArray | null => {
    let found: RegExpExecArray | null = null;
    for (const word of words(text ?? '')) found = pattern.exec(word) ?? found;
    return found;
  };
  switch (plan.runtime) {
    case 'jvm': {
      const xmx = last(plan.env.JAVA_TOOL_OPTIONS, /^-Xmx(\d+)([kmgt]?)$/i);
      return xmx ? { text: xmx[0], bytes: Number(xmx[1]) * JVM_UNITS[xmx[2]!.toLowerCase()]! } : null;
    }
    case 'node': {
      const old = last(plan.env.NODE_OPTIONS, /^--max[-_]old[-_]space[-_]size=(\d+)$/);
      return old ? { text: old[0], bytes: Number(old[1]) * MiB } : null;
    }
    case 'go': {
      const limit = plan.env.GOMEMLIMIT;
      if (limit === undefined) return null;
      const bytes = parseGoMemLimit(limit);
      return { text: `GOMEMLIMIT=${limit}`, bytes: typeof bytes === 'number' ? bytes : null };
    }
    case 'dotnet': {
      const hard = plan.env.DOTNET_GCHeapHardLimit;
      return hard === undefined ? null : { text: `DOTNET_GCHeapHardLimit=${hard}`, bytes: parseDotnetHex(hard) };
    }
    case 'python': {
      const cap = plan.rlimits[0];
      return cap ? { text: `${cap.resource}=${Math.floor(cap.bytes / MiB)}MiB`, bytes: cap.bytes } : null;
    }
    default:
      return null;
  }
}
