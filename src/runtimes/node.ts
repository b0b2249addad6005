// Node: --max-old-space-size from the budget minus Node's own memory outside the old space (its anonymous memory
// at rest, the code pages it keeps hot, the young generation, a share for buffers and native allocations),
// appended to NODE_OPTIONS. Needed because Node never sizes its heap below about 259 MiB, even in a 64 MiB
// container, and ignores a limit set on a parent cgroup. Flags the user set are kept and judged. Pure: no I/O.
// The constants come from bench/non-heap.ts (docs/runtimes.md, "Where the constants come from").
import {
  appendOptions,
  clamp,
  fmt,
  MiB,
  GiB,
  wholeMiB,
  ceilCpus,
  emptyDecision,
  splitOptions,
  userEnv,
  memorySeenByLeafReader,
  type Budget,
  type RuntimeDecision,
} from './common.js';
import { defaultHeapRisk, heapRisks, minimumRisk } from './risks.js';
import type { PlanInput } from './types.js';

/**
 * Node's own memory outside the old space and the young generation, as the cgroup is charged: anonymous memory
 * of an idle Node rounded up to 8 MiB, plus 8 MiB of the binary's pages it keeps hot (file pages: reclaimable, but
 * evicting the code a process runs only trades an OOM kill for thrashing). Not more: what was counted before was
 * mostly those file pages, which the kernel reclaims before it kills. Measured on each Node: docs/runtimes.md.
 */
const NODE_BASE = 16 * MiB;
/** V8's default --max-semi-space-size on 64-bit; the young generation holds about three of them. */
const DEFAULT_SEMI_SPACE_MIB = 16;
const HEADROOM_SHARE = 0.05;
const MIN_HEAP = 16 * MiB;
export const NODE_MINIMUM_BYTES = 64 * MiB;
/**
 * npm, npx, yarn, pnpm and pm2 stay resident beside the app they start (and read NODE_OPTIONS too): each one's
 * peak anonymous memory around an idle Node, less that Node (bench/non-heap.ts; the figures: docs/runtimes.md),
 * plus 8 MiB of hot code pages as for Node itself, rounded up to 8 MiB. npx is npm's exec: npm's figure.
 */
const LAUNCHER_BYTES: Record<string, number> = {
  npm: 24 * MiB,
  npx: 24 * MiB,
  yarn: 64 * MiB,
  pnpm: 64 * MiB,
  pm2: 32 * MiB,
  'pm2-runtime': 32 * MiB,
};
/** libuv's default thread pool. */
const UV_DEFAULT_THREADS = 4;

export interface NodeRegions {
  heapBytes: number;
  semiSpaceMiB: number;
  nonHeapBytes: number;
}

/** Semi-space shrinks with small budgets (a 16 MiB semi-space is 48 MiB of young generation, all of it used under churn). */
export function nodeRegions(totalBytes: number, userSemiSpaceMiB?: number): NodeRegions {
  const semiSpaceMiB = userSemiSpaceMiB ?? clamp(Math.floor(totalBytes / (32 * MiB)), 1, DEFAULT_SEMI_SPACE_MIB);
  const nonHeapBytes = NODE_BASE + 3 * semiSpaceMiB * MiB + Math.round(totalBytes * HEADROOM_SHARE);
  return { heapBytes: Math.max(MIN_HEAP, wholeMiB(totalBytes - nonHeapBytes) * MiB), semiSpaceMiB, nonHeapBytes };
}

/** Node's own heap limit (measured on Node 20-26): half the memory it sees, never below 259 MiB, at most about 4 GiB. */
export function nodeDefaultHeap(memorySeenBytes: number): number {
  return clamp(memorySeenBytes / 2, 259 * MiB, 4144 * MiB);
}

interface NodeFlag {
  value: number;
  source: string;
}

/** Node's own options: the words after `node` up to the script (or -e/-p), plus NODE_OPTIONS. */
export function userNodeFlags(
  argv: readonly string[],
  env: PlanInput['env'],
): { oldSpace?: NodeFlag; oldSpacePercent?: NodeFlag; semiSpace?: NodeFlag } {
  const words: { word: string; source: string }[] = splitOptions(userEnv(env, 'NODE_OPTIONS')).map((word) => ({
    word,
    source: 'NODE_OPTIONS',
  }));
  if (/(^|\/)(node|nodejs)$/.test(argv[0] ?? '')) {
    for (let i = 1; i < argv.length; i++) {
      const word = argv[i] ?? '';
      if (!word.startsWith('-') || word === '--') break;
      words.push({ word, source: 'the command line' });
      // A V8 size flag may take its value as the next word.
      if (/^--max[-_](old|semi)[-_]space[-_]size$/.test(word) && argv[i + 1] !== undefined)
        words.push({ word: `${word}=${argv[++i]}`, source: 'the command line' });
      if (
        word === '-e' ||
        word === '--eval' ||
        word === '-p' ||
        word === '--print' ||
        word === '-r' ||
        word === '--require'
      )
        i++;
    }
  }
  const flags: { oldSpace?: NodeFlag; oldSpacePercent?: NodeFlag; semiSpace?: NodeFlag } = {};
  for (const { word, source } of words) {
    const match =
      /^--max[-_](old[-_]space[-_]size[-_]percentage|old[-_]space[-_]size|semi[-_]space[-_]size)=(\d+(?:\.\d+)?)$/.exec(
        word,
      );
    if (!match) continue;
    const kind = match[1]!.replace(/_/g, '-');
    const value = Number(match[2]);
    if (kind === 'old-space-size') flags.oldSpace = { value: value * MiB, source: `--max-old-space-size in ${source}` };
    else if (kind === 'semi-space-size') flags.semiSpace = { value, source: `--max-semi-space-size in ${source}` };
    else flags.oldSpacePercent = { value, source: `--max-old-space-size-percentage in ${source}` };
  }
  return flags;
}

/**
 * Node processes pm2 starts in cluster mode (`-i N`, `--instances N`; max / 0 = one per CPU, -1 = one less),
 * each with the NODE_OPTIONS memshim sets; 1 for anything else.
 */
export function nodeInstances(argv: readonly string[], cpus: number): number {
  if (!/(^|\/)pm2(-runtime)?$/.test(argv[0] ?? '')) return 1;
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') break;
    const value = word === '-i' || word === '--instances' ? argv[i + 1] : /^(?:-i|--instances=)(.+)$/.exec(word)?.[1];
    if (value === undefined) continue;
    const whole = Math.max(1, Math.floor(cpus + 1e-9));
    if (value === 'max' || value === '0') return whole;
    const n = Number(value);
    if (Number.isInteger(n) && n < 0) return Math.max(1, whole + n);
    return Number.isInteger(n) && n > 0 ? n : 1;
  }
  return 1;
}

export function planNode(input: PlanInput, budget: Budget): RuntimeDecision {
  const decision = emptyDecision();
  const { argv, env, options, limits } = input;
  const user = userNodeFlags(argv, env);
  const packageManager = /(^|\/)(npm|npx|yarn|pnpm|pm2|pm2-runtime)$/.exec(argv[0] ?? '')?.[2];
  const launcherBytes = packageManager ? LAUNCHER_BYTES[packageManager]! : 0;
  const instances = nodeInstances(argv, budget.effectiveCpus);
  // Each of the instances gets the same NODE_OPTIONS: the budget beside the launcher is shared between them.
  const appBytes = Math.max(0, Math.floor((budget.totalBytes - launcherBytes) / instances));
  const regions = nodeRegions(appBytes, user.semiSpace?.value);
  const nonHeapBytes =
    regions.nonHeapBytes + launcherBytes + (instances - 1) * (regions.heapBytes + regions.nonHeapBytes);
  decision.risks.push(...minimumRisk(budget, 'Node', NODE_MINIMUM_BYTES));

  const userHeap =
    user.oldSpace ??
    (user.oldSpacePercent && {
      value: Math.floor((budget.limitBytes * user.oldSpacePercent.value) / 100),
      source: user.oldSpacePercent.source,
    });
  const fix = `set --max-old-space-size=${wholeMiB(regions.heapBytes)}`;
  if (userHeap)
    decision.risks.push(
      ...heapRisks(budget, {
        source: userHeap.source,
        heapBytes: userHeap.value,
        nonHeapBytes,
        fix: `lower it to ${wholeMiB(regions.heapBytes)} or remove it and let memshim size the heap`,
      }),
    );
  else if (!options.tune)
    decision.risks.push(
      ...defaultHeapRisk(budget, 'Node', nodeDefaultHeap(memorySeenByLeafReader(limits)), nonHeapBytes, fix),
    );
  if (!options.tune) return decision;

  const added: string[] = [];
  if (budget.limited) {
    if (!userHeap) added.push(`--max-old-space-size=${wholeMiB(regions.heapBytes)}`);
    if (!user.semiSpace && regions.semiSpaceMiB < DEFAULT_SEMI_SPACE_MIB)
      added.push(`--max-semi-space-size=${regions.semiSpaceMiB}`);
    const from =
      budget.supervisorBytes > 0
        ? `${fmt(budget.limitBytes)} limit − memshim ${fmt(budget.supervisorBytes)} = ${fmt(budget.totalBytes)}`
        : fmt(budget.totalBytes);
    if (packageManager)
      decision.notes.push(
        `${packageManager} stays resident beside the app: ${fmt(launcherBytes)} more is kept out of the heap; run node directly to give the app that memory`,
      );
    if (instances > 1)
      decision.notes.push(
        `${instances} Node instances (${packageManager} -i) each get this heap: together they fit the budget`,
      );
    decision.notes.push(
      `Node budget ${from}: old space ${fmt(regions.heapBytes)}, young generation 3 × ${regions.semiSpaceMiB} MiB semi-space, ${fmt(NODE_BASE)} for Node itself, headroom ${fmt(Math.round(appBytes * HEADROOM_SHARE))} (buffers, native)`,
    );
    if (userHeap)
      decision.notes.push(
        `the heap set by ${userHeap.source} is kept; memshim would have chosen ${fmt(regions.heapBytes)}`,
      );
    if (budget.totalBytes < 2 * GiB && !userHeap)
      decision.notes.push(
        `without it Node would size its heap at ${fmt(nodeDefaultHeap(memorySeenByLeafReader(limits)))}`,
      );
  }
  if (added.length) decision.env.NODE_OPTIONS = appendOptions(userEnv(env, 'NODE_OPTIONS'), added);
  if (budget.cpus !== null && ceilCpus(budget.cpus) > UV_DEFAULT_THREADS && !userEnv(env, 'UV_THREADPOOL_SIZE')) {
    decision.env.UV_THREADPOOL_SIZE = String(Math.min(1024, ceilCpus(budget.cpus)));
    decision.notes.push(
      `UV_THREADPOOL_SIZE=${decision.env.UV_THREADPOOL_SIZE}: file, DNS and crypto work can use every one of the ${budget.cpus} CPUs (libuv's default is 4)`,
    );
  }
  return decision;
}
