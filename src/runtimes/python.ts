// Python has no heap flag: memshim bounds its threads (CPython 3.13's own count, OpenMP/BLAS pools), keeps
// glibc from making an arena per thread, sizes gunicorn/uvicorn workers from memory and CPUs, and, opted in
// with --python-memory-cap, caps the data segment below the limit so that Python raises MemoryError with a
// traceback instead of dying to the kernel's SIGKILL. RLIMIT_DATA counts address space, not resident memory:
// every private writable mapping, thread stacks (8 MiB each by default) and OpenBLAS's buffers included, so
// with the cap memshim also lowers the thread stack size and the BLAS thread count (bench/non-heap.ts measured
// both; docs/runtimes.md). Pure: no I/O.
import {
  clamp,
  fmt,
  MiB,
  floorCpus,
  ceilCpus,
  emptyDecision,
  userEnv,
  type Budget,
  type RuntimeDecision,
} from './common.js';
import { minimumRisk } from './risks.js';
import type { Risk } from './types.js';
import type { PlanInput } from './types.js';

export const PYTHON_MINIMUM_BYTES = 32 * MiB;
/**
 * What a capped Python keeps resident outside RLIMIT_DATA: the pages of the interpreter and its libraries it
 * keeps hot (file pages) and the main thread's stack. Nearly all of an idle python3's anonymous memory is inside
 * the cap (its VmData and anonymous memory, measured: docs/runtimes.md).
 */
const OUTSIDE_DATA = 8 * MiB;
const CAP_SHARE = 0.95;
/**
 * RLIMIT_STACK with the cap: glibc sizes every new thread's stack from it, and each stack counts in full against
 * RLIMIT_DATA while its resident size stays the same; CPython still reaches its recursion limit with far less
 * (both measured: docs/runtimes.md).
 */
export const CAPPED_STACK_BYTES = 1 * MiB;
/** What OpenBLAS (numpy) maps of VmData at import with one thread, and more per thread (docs/runtimes.md). */
export const BLAS_BASE_BYTES = 88 * MiB;
export const BLAS_PER_THREAD_BYTES = 40 * MiB;
/** What one web worker of a typical app keeps resident. */
export const WORKER_BYTES = 96 * MiB;
const MAX_WORKERS = 12;

const THREAD_VARIABLES = [
  'PYTHON_CPU_COUNT',
  'OMP_NUM_THREADS',
  'OPENBLAS_NUM_THREADS',
  'MKL_NUM_THREADS',
  'NUMEXPR_MAX_THREADS',
] as const;

/** The RLIMIT_DATA that keeps the whole process (data + the pages it keeps hot outside it) below the budget. */
export function pythonMemoryCap(totalBytes: number): number {
  return Math.max(8 * MiB, Math.floor((totalBytes * CAP_SHARE - OUTSIDE_DATA) / MiB) * MiB);
}

/** BLAS threads whose buffers fit under a cap (at least 1, at most the CPU count). */
export function cappedBlasThreads(capBytes: number, cpus: number): number {
  return clamp(Math.floor((capBytes / 2 - BLAS_BASE_BYTES) / BLAS_PER_THREAD_BYTES) + 1, 1, floorCpus(cpus));
}

/**
 * Workers for gunicorn/uvicorn. Under a CPU limit: one per whole CPU of the quota, plus one for I/O waits from
 * 2 CPUs up (3 workers on 1 CPU served 77-89% of one worker's throughput on a CPU-bound app, issue 11); with no
 * CPU limit gunicorn's 2 × CPUs + 1. Always bounded by how many workers fit in memory, 1 to 12.
 */
export function webConcurrency(totalBytes: number, cpus: number, cpuLimited = false): number {
  const byCpu = cpuLimited ? floorCpus(cpus) + (cpus >= 2 ? 1 : 0) : 2 * ceilCpus(cpus) + 1;
  return clamp(Math.min(byCpu, Math.floor(totalBytes / WORKER_BYTES)), 1, MAX_WORKERS);
}

/** `gunicorn ...`, `uvicorn ...`, `python -m gunicorn ...`, or a script whose name says so. */
export function webServer(argv: readonly string[]): 'gunicorn' | 'uvicorn' | null {
  const name = (argv[0] ?? '').split('/').pop() ?? '';
  if (name === 'gunicorn' || name === 'uvicorn') return name;
  const module = argv.indexOf('-m');
  const target = module > 0 ? argv[module + 1] : undefined;
  return target === 'gunicorn' || target === 'uvicorn' ? target : null;
}

/** The worker count given on the command line (-w N, -wN, --workers N, --workers=N): a number, NaN when unreadable, null when absent. */
function workersInArgv(argv: readonly string[]): number | null {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '-w' || word === '--workers') return Number(argv[i + 1]);
    const joined = /^(?:-w|--workers=)(.*)$/.exec(word);
    if (joined) return Number(joined[1]);
  }
  return null;
}

/** What a server's master process keeps beside its workers. */
const MASTER_BYTES = 32 * MiB;

export function planPython(input: PlanInput, budget: Budget): RuntimeDecision {
  const decision = emptyDecision();
  const { argv, env, options } = input;
  decision.risks.push(...minimumRisk(budget, 'Python', PYTHON_MINIMUM_BYTES));
  if (!options.tune) return decision;

  if (budget.cpus !== null) {
    const threads = String(floorCpus(budget.cpus));
    for (const name of THREAD_VARIABLES) if (!userEnv(env, name)) decision.env[name] = threads;
    decision.notes.push(
      `thread pools set to ${threads} from the ${budget.cpus} CPU limit (Python before 3.13, OpenMP and BLAS count the host's CPUs; PYTHON_CPU_COUNT is read by 3.13+)`,
    );
  }
  if (!userEnv(env, 'MALLOC_ARENA_MAX')) {
    decision.env.MALLOC_ARENA_MAX = '2';
    decision.notes.push(
      'MALLOC_ARENA_MAX=2: glibc otherwise keeps up to 8 arenas per CPU, memory that is never given back',
    );
  }
  const server = webServer(argv);
  const userWorkers =
    workersInArgv(argv) ?? (userEnv(env, 'WEB_CONCURRENCY') === undefined ? null : Number(env.WEB_CONCURRENCY));
  let workers = 1;
  if (server && budget.limited) {
    const cpuLimited = budget.cpus !== null;
    if (userWorkers === null) {
      workers = webConcurrency(budget.totalBytes, budget.effectiveCpus, cpuLimited);
      decision.env.WEB_CONCURRENCY = String(workers);
      const rule = cpuLimited
        ? `one per whole CPU of the ${budget.cpus} CPU limit${budget.effectiveCpus >= 2 ? ' + 1' : ''}`
        : `2 × ${ceilCpus(budget.effectiveCpus)} CPUs + 1`;
      decision.notes.push(
        `WEB_CONCURRENCY=${workers} ${server} workers: ${rule}, at most ${fmt(budget.totalBytes)} / ${fmt(WORKER_BYTES)} per worker`,
      );
    } else {
      workers = Number.isInteger(userWorkers) && userWorkers > 0 ? userWorkers : 1;
      decision.risks.push(...workerRisks(server, workers, budget));
    }
  }
  if (options.pythonMemoryCap && budget.limited) {
    // The rlimit holds per process: with workers, each gets its share, or together they would pass the limit.
    const perProcess = workers > 1 ? (budget.totalBytes - MASTER_BYTES) / workers : budget.totalBytes;
    const bytes = pythonMemoryCap(perProcess);
    decision.rlimits.push({ resource: 'RLIMIT_DATA', bytes }, { resource: 'RLIMIT_STACK', bytes: CAPPED_STACK_BYTES });
    const share = workers > 1 ? ` per process (${workers} workers share the budget)` : '';
    decision.notes.push(
      `RLIMIT_DATA ${fmt(bytes)}${share} (--python-memory-cap): an allocation past it raises MemoryError with a traceback instead of a kernel OOM kill`,
    );
    decision.notes.push(
      `RLIMIT_STACK ${fmt(CAPPED_STACK_BYTES)}: each thread's stack counts in full against RLIMIT_DATA (8 MiB each by default); 1 MiB is ample for CPython's recursion limit`,
    );
    const blas = String(cappedBlasThreads(bytes, budget.effectiveCpus));
    for (const name of ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS'] as const) {
      if (!userEnv(env, name) && Number(decision.env[name] ?? Infinity) > Number(blas)) decision.env[name] = blas;
    }
    decision.notes.push(
      `OPENBLAS_NUM_THREADS=${decision.env.OPENBLAS_NUM_THREADS ?? env.OPENBLAS_NUM_THREADS}: OpenBLAS maps about ${fmt(BLAS_BASE_BYTES)} at import and ${fmt(BLAS_PER_THREAD_BYTES)} per thread, all counted by RLIMIT_DATA`,
    );
    if (bytes < BLAS_BASE_BYTES + 16 * MiB) {
      const enough =
        Math.ceil(
          (((BLAS_BASE_BYTES + 32 * MiB + OUTSIDE_DATA) / CAP_SHARE) * workers +
            (workers > 1 ? MASTER_BYTES : 0) +
            budget.supervisorBytes) /
            MiB,
        ) * MiB;
      decision.risks.push({
        level: 'warn',
        code: 'PYTHON_CAP_TIGHT_FOR_NUMPY',
        message: `the --python-memory-cap RLIMIT_DATA of ${fmt(bytes)}${share} leaves ${fmt(Math.max(0, bytes - BLAS_BASE_BYTES))} for data once numpy is imported (its OpenBLAS maps about ${fmt(BLAS_BASE_BYTES)}): a numpy app ends in MemoryError early; give the container at least ${fmt(enough)} or drop the cap`,
      });
    }
  } else if (budget.limited) {
    decision.risks.push({
      level: 'info',
      code: 'PYTHON_NO_MEMORY_CAP',
      message: `Python has no heap limit: if it grows past the ${fmt(budget.limitBytes)} limit the kernel OOM-kills it (exit 137, no traceback); --python-memory-cap makes it raise MemoryError instead`,
    });
  }
  return decision;
}

/** A worker count the user set, judged against the memory and the CPU limit. */
function workerRisks(server: string, workers: number, budget: Budget): Risk[] {
  const risks: Risk[] = [];
  const fit = Math.max(1, Math.floor((budget.totalBytes - MASTER_BYTES) / WORKER_BYTES));
  if (workers > fit) {
    risks.push({
      level: 'warn',
      code: 'WORKERS_EXCEED_LIMIT',
      message: `${workers} ${server} workers at about ${fmt(WORKER_BYTES)} each need more than the ${fmt(budget.limitBytes)} limit: as they grow, the kernel OOM-kills workers (exit 137); use ${fit} worker${fit === 1 ? '' : 's'} or raise the limit to ${fmt(MASTER_BYTES + workers * WORKER_BYTES + budget.supervisorBytes)}`,
    });
  }
  if (budget.cpus !== null && workers > 2 * ceilCpus(budget.cpus) + 1) {
    risks.push({
      level: 'info',
      code: 'WORKERS_EXCEED_CPU',
      message: `${workers} ${server} workers share a ${budget.cpus} CPU limit: beyond 2 × CPUs + 1 they only take turns on the quota and each keeps its memory; ${webConcurrency(budget.totalBytes, budget.cpus, true)} would do`,
    });
  }
  return risks;
}
