// JVM: a heap from a memory budget in the way of the Cloud Foundry / Paketo memory calculator
// (heap = total − metaspace − code cache − thread stacks − direct memory − headroom), but one that still works
// at 128 MiB: below 4 GiB the fixed regions of the calculator (240 MiB code cache, 250 thread stacks) would eat
// the whole container (it gives up below about 600 MiB), so they are scaled with the budget, down to floors.
// Regions with a cap the JVM enforces (metaspace, code cache, direct memory) are counted at their cap; thread
// stacks and the JVM's own native memory at what bench/non-heap.ts measured them to cost the cgroup.
// Flags go to JAVA_TOOL_OPTIONS (appended); anything the user set is kept and judged instead. Pure: no I/O.
import {
  appendOptions,
  clamp,
  fmt,
  GiB,
  MiB,
  wholeMiB,
  ceilCpus,
  emptyDecision,
  userEnv,
  type Budget,
  type RuntimeDecision,
} from './common.js';
import { expandArgFiles, parseJavaCommand, userJvmFlags, userJvmOptions, type UserJvmFlags } from './jvm-args.js';
import { defaultHeapRisk, heapRisks, minimumRisk } from './risks.js';
import type { PlanInput } from './types.js';

/** Below this budget the non-heap regions are scaled down from the calculator's defaults. */
export const FULL_SCALE_BYTES = 4 * GiB;
/** The calculator's defaults: -XX:ReservedCodeCacheSize, threads × -Xss, -XX:MaxDirectMemorySize. */
const CODE_CACHE = 240 * MiB;
const THREADS = 250;
const DEFAULT_STACK = 1 * MiB;
/**
 * What a thread's stack costs the cgroup: the pages it touched, not -Xss (reserved address space). Counted at
 * about twice what a thread that recursed 200 frames and parked touched (bench/non-heap.ts, docs/runtimes.md),
 * for request handlers with deeper stacks.
 */
const TOUCHED_STACK = 256 * 1024;
const DIRECT = 10 * MiB;
/** Floors of the scaled regions: a JVM still compiles, runs a servlet container's threads and does NIO with these. */
const MIN_CODE_CACHE = 16 * MiB;
/**
 * The smallest -XX:ReservedCodeCacheSize memshim sets. The code cache is committed only as code is compiled, and
 * a full one stops the JIT: Tomcat's examples under load had 10 MiB of compiled code after 20 s, and with the cap
 * at 10 MiB served half the default's requests (bench/apps.ts). So the cap is at least 32 MiB, and the budget
 * counts the scaled share (at least 16 MiB) of it.
 */
const MIN_CODE_CACHE_CAP = 32 * MiB;
/** Tomcat 10 at 192 MiB ran 38 threads (issue 11): a floor the smallest servers reach. */
const MIN_THREADS = 40;
const MIN_DIRECT = 2 * MiB;
const MIN_METASPACE = 16 * MiB;
/** Classes the JDK itself loads for a typical server app (the calculator counts 35% of the whole JRE's). */
const JDK_LOADED_CLASSES = 2500;
/** The calculator's share of an application's classes that get loaded. */
const LOADED_SHARE = 0.35;
/**
 * Native memory outside every region (GC structures, JIT arenas, CDS, symbol tables, libc): fixed + a share.
 * The fixed part covers what a JVM with a full small heap keeps outside it, metaspace and code cache included
 * (docs/runtimes.md); the share, G1's remembered sets (from 1792 MiB), a few % of the heap.
 */
const HEADROOM_FIXED = 8 * MiB;
const HEADROOM_SHARE = 0.03;
const HEADROOM_MAX = 1 * GiB;
/** A heap below this is not worth starting a JVM for. */
export const MIN_HEAP = 8 * MiB;
/** The smallest budget the scaled regions plus a minimal heap fit into. */
export const JVM_MINIMUM_BYTES = 80 * MiB;

export interface JvmRegions {
  scale: number;
  heapBytes: number;
  metaspaceBytes: number;
  /** What the budget counts for the code cache (what gets compiled), at most its cap. */
  codeCacheBytes: number;
  /** -XX:ReservedCodeCacheSize. */
  codeCacheCapBytes: number;
  threads: number;
  stackBytes: number;
  directBytes: number;
  headroomBytes: number;
  /** What one thread's stack is counted at: the touched part of -Xss. */
  stackChargeBytes: number;
  /** Everything outside the heap: metaspace + code cache + threads × touched stack + direct + headroom. */
  nonHeapBytes: number;
}

/** The calculator's metaspace estimate: 14,000,000 bytes + 5,800 per loaded class. */
export function metaspaceEstimate(appClasses: number): number {
  return 14_000_000 + 5800 * Math.round(JDK_LOADED_CLASSES + LOADED_SHARE * appClasses);
}

/** The memory regions for a budget; regions the user fixed keep the user's size. */
export function jvmRegions(totalBytes: number, appClasses: number, user: UserJvmFlags = {}): JvmRegions {
  const scale = clamp(totalBytes / FULL_SCALE_BYTES, 0, 1);
  const codeCacheBytes = user.codeCache?.value ?? clamp(Math.round(CODE_CACHE * scale), MIN_CODE_CACHE, CODE_CACHE);
  const codeCacheCapBytes = user.codeCache?.value ?? Math.max(codeCacheBytes, MIN_CODE_CACHE_CAP);
  const threads = clamp(Math.round(THREADS * scale), MIN_THREADS, THREADS);
  const stackBytes = user.threadStack?.value ?? DEFAULT_STACK;
  const stackChargeBytes = Math.min(stackBytes, TOUCHED_STACK);
  const directBytes = user.directMemory?.value ?? clamp(Math.round(totalBytes * 0.05), MIN_DIRECT, DIRECT);
  // Metaspace is not scaled by the budget (classes need what they need), only capped at a fifth of a small one.
  const metaspaceBytes =
    user.metaspace?.value ??
    Math.min(metaspaceEstimate(appClasses), Math.max(MIN_METASPACE, Math.round(totalBytes * 0.2)));
  const headroomBytes = Math.min(HEADROOM_MAX, HEADROOM_FIXED + Math.round(totalBytes * HEADROOM_SHARE));
  const nonHeapBytes = metaspaceBytes + codeCacheBytes + threads * stackChargeBytes + directBytes + headroomBytes;
  const heapBytes = Math.max(MIN_HEAP, wholeMiB(totalBytes - nonHeapBytes) * MiB);
  return {
    scale,
    heapBytes,
    metaspaceBytes,
    codeCacheBytes,
    codeCacheCapBytes,
    threads,
    stackBytes,
    stackChargeBytes,
    directBytes,
    headroomBytes,
    nonHeapBytes,
  };
}

/** HotSpot's own heap in a container it can see (measured, JDK 17): 50% of small limits up to 128 MiB, else 25%. */
export function jvmDefaultHeap(memoryBytes: number): number {
  return Math.max(memoryBytes * 0.25, Math.min(memoryBytes * 0.5, 128 * MiB));
}

const m = (bytes: number) => `${wholeMiB(bytes)}m`;

export function planJvm(input: PlanInput, budget: Budget): RuntimeDecision {
  const decision = emptyDecision();
  const { argv, env, options, facts } = input;
  // The launcher expands @argfiles (and the JVM reads -XX:VMOptionsFile) before anything else: their words count.
  const isJava = /(^|\/)java$/.test(argv[0] ?? '');
  const command = parseJavaCommand(isJava ? expandArgFiles(argv, facts.javaArgFiles) : []);
  // A start script (catalina.sh, Gradle, Maven) runs the java launcher with its _OPTS variables.
  const wrapper = isJava
    ? undefined
    : (facts.javaWrapper ??
      (/catalina\.sh$/.test(argv[0] ?? '')
        ? { kind: 'tomcat', optionVariables: ['JAVA_OPTS', 'CATALINA_OPTS'], scriptOptions: [] }
        : undefined));
  const isLauncher = isJava || wrapper !== undefined;
  const user = userJvmFlags(
    userJvmOptions(
      command,
      env,
      isLauncher,
      wrapper && { variables: wrapper.optionVariables, scriptOptions: wrapper.scriptOptions },
    ),
  );
  const appClasses = facts.jarClassCount ?? 0;
  const regions = jvmRegions(budget.totalBytes, appClasses, user);

  decision.risks.push(...minimumRisk(budget, 'the JVM', JVM_MINIMUM_BYTES));
  const userHeap = user.maxHeap ?? percentageHeap(user, budget);
  if (userHeap) {
    decision.risks.push(
      ...heapRisks(budget, {
        source: userHeap.source,
        heapBytes: userHeap.value,
        nonHeapBytes: regions.nonHeapBytes,
        fix: `lower it to ${fmt(regions.heapBytes)} or remove it and let memshim size the heap`,
      }),
    );
  } else if (!options.tune) {
    decision.risks.push(
      ...defaultHeapRisk(
        budget,
        'the JVM',
        jvmDefaultHeap(budget.limitBytes),
        regions.nonHeapBytes,
        `set -Xmx${m(regions.heapBytes)}`,
      ),
    );
  }
  if (!options.tune) return decision;

  const added: string[] = [];
  if (budget.limited) {
    if (!userHeap) added.push(`-Xmx${m(regions.heapBytes)}`);
    if (!user.metaspace) added.push(`-XX:MaxMetaspaceSize=${m(regions.metaspaceBytes)}`);
    if (!user.codeCache) added.push(`-XX:ReservedCodeCacheSize=${m(regions.codeCacheCapBytes)}`);
    if (!user.directMemory) added.push(`-XX:MaxDirectMemorySize=${m(regions.directBytes)}`);
    decision.notes.push(budgetNote(budget, regions, appClasses, facts.jarClassCount !== undefined));
    if (regions.scale < 1) {
      decision.notes.push(
        `the budget is below ${fmt(FULL_SCALE_BYTES)}, so the Paketo calculator's fixed regions are scaled to ${Math.round(regions.scale * 1000) / 10}% (floors: code cache ${fmt(MIN_CODE_CACHE)} counted, ${fmt(MIN_CODE_CACHE_CAP)} reserved, ${MIN_THREADS} threads, metaspace ${fmt(MIN_METASPACE)}); with its defaults the calculator gives up below about 600 MiB`,
      );
    }
    if (userHeap)
      decision.notes.push(
        `the heap set by ${userHeap.source} is kept; memshim would have chosen ${fmt(regions.heapBytes)}`,
      );
  }
  if (budget.cpus !== null && !user.activeProcessorCount) {
    added.push(`-XX:ActiveProcessorCount=${ceilCpus(budget.cpus)}`);
    decision.notes.push(
      `-XX:ActiveProcessorCount=${ceilCpus(budget.cpus)} from the ${budget.cpus} CPU limit (Java 17 does not see a quota set on a parent cgroup)`,
    );
  }
  if (options.exitOnOutOfMemory && !user.outOfMemoryAction) {
    added.push('-XX:+ExitOnOutOfMemoryError');
    decision.notes.push(
      '-XX:+ExitOnOutOfMemoryError: a JVM out of heap exits (code 3) instead of limping on; --no-exit-on-oom leaves it out',
    );
  }
  if (added.length) decision.env.JAVA_TOOL_OPTIONS = appendOptions(userEnv(env, 'JAVA_TOOL_OPTIONS'), added);
  if (budget.limited && !userEnv(env, 'MALLOC_ARENA_MAX')) {
    // Native memory the JVM does not track: glibc's default arenas (up to 8 per CPU, one per thread that mallocs)
    // were most of it in a Tomcat at 192 MiB, and two cut it nearly in half (issue 11; docs/runtimes.md).
    decision.env.MALLOC_ARENA_MAX = '2';
    decision.notes.push(
      "MALLOC_ARENA_MAX=2: glibc otherwise gives the JVM's threads up to 8 malloc arenas per CPU, native memory outside every JVM limit",
    );
  }
  return decision;
}

/** A heap the user set through -XX:MaxRAMPercentage / MaxRAMFraction / MaxRAM instead of -Xmx. */
function percentageHeap(user: UserJvmFlags, budget: Budget): { value: number; source: string } | undefined {
  if (!user.maxRamPercentage && !user.maxRam) return undefined;
  const ram = user.maxRam ? Math.min(user.maxRam.value, budget.limitBytes) : budget.limitBytes;
  const percent = user.maxRamPercentage?.value ?? 25;
  return { value: Math.floor((ram * percent) / 100), source: (user.maxRamPercentage ?? user.maxRam)!.source };
}

function budgetNote(budget: Budget, r: JvmRegions, appClasses: number, counted: boolean): string {
  const from =
    budget.supervisorBytes > 0
      ? `${fmt(budget.limitBytes)} limit − memshim ${fmt(budget.supervisorBytes)} = ${fmt(budget.totalBytes)}`
      : `${fmt(budget.totalBytes)}`;
  const classes = counted ? `${appClasses} classes in the jars` : 'no jar to count classes in';
  return `JVM budget ${from}: heap ${fmt(r.heapBytes)}, metaspace ${fmt(r.metaspaceBytes)} (${classes}), code cache ${fmt(r.codeCacheBytes)}${r.codeCacheCapBytes > r.codeCacheBytes ? ` (of ${fmt(r.codeCacheCapBytes)} reserved)` : ''}, ${r.threads} thread stacks × ${fmt(r.stackChargeBytes)} touched (of -Xss ${fmt(r.stackBytes)}), direct ${fmt(r.directBytes)}, headroom ${fmt(r.headroomBytes)} (GC, JIT, libc)`;
}
