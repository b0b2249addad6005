// Python has no heap flag: memshim bounds its threads (CPython 3.13's own count, OpenMP/BLAS pools), keeps
// glibc from making an arena per thread, sizes gunicorn/uvicorn workers from memory and CPUs, and, opted in
// with --python-memory-cap, caps the data segment below the limit so that Python raises MemoryError with a
// traceback instead of dying to the kernel's SIGKILL. Pure: no I/O.
import { clamp, fmt, MiB, floorCpus, ceilCpus, emptyDecision, userEnv, type Budget, type RuntimeDecision } from './common.js';
import { minimumRisk } from './risks.js';
import type { PlanInput } from './types.js';

export const PYTHON_MINIMUM_BYTES = 32 * MiB;
/** Interpreter text, shared libraries and stack: resident, but outside RLIMIT_DATA. */
const OUTSIDE_DATA = 16 * MiB;
const CAP_SHARE = 0.9;
/** What one web worker of a typical app keeps resident. */
export const WORKER_BYTES = 96 * MiB;
const MAX_WORKERS = 12;

const THREAD_VARIABLES = ['PYTHON_CPU_COUNT', 'OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS', 'NUMEXPR_MAX_THREADS'] as const;

/** The RLIMIT_DATA that keeps the whole process (data + text + libraries) below the budget. */
export function pythonMemoryCap(totalBytes: number): number {
  return Math.max(8 * MiB, Math.floor((totalBytes * CAP_SHARE - OUTSIDE_DATA) / MiB) * MiB);
}

/** gunicorn's 2 × CPUs + 1, bounded by how many workers fit in memory, 1 to 12. */
export function webConcurrency(totalBytes: number, cpus: number): number {
  return clamp(Math.min(2 * ceilCpus(cpus) + 1, Math.floor(totalBytes / WORKER_BYTES)), 1, MAX_WORKERS);
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
    decision.notes.push(`thread pools set to ${threads} from the ${budget.cpus} CPU limit (Python before 3.13, OpenMP and BLAS count the host's CPUs; PYTHON_CPU_COUNT is read by 3.13+)`);
  }
  if (!userEnv(env, 'MALLOC_ARENA_MAX')) {
    decision.env.MALLOC_ARENA_MAX = '2';
    decision.notes.push('MALLOC_ARENA_MAX=2: glibc otherwise keeps up to 8 arenas per CPU, memory that is never given back');
  }
  const server = webServer(argv);
  const userWorkers = workersInArgv(argv) ?? (userEnv(env, 'WEB_CONCURRENCY') === undefined ? null : Number(env.WEB_CONCURRENCY));
  let workers = 1;
  if (server && budget.limited) {
    if (userWorkers === null) {
      workers = webConcurrency(budget.totalBytes, budget.effectiveCpus);
      decision.env.WEB_CONCURRENCY = String(workers);
      decision.notes.push(`WEB_CONCURRENCY=${workers} ${server} workers: 2 × CPUs + 1, at most ${fmt(budget.totalBytes)} / ${fmt(WORKER_BYTES)} per worker`);
    } else workers = Number.isInteger(userWorkers) && userWorkers > 0 ? userWorkers : 1;
  }
  if (options.pythonMemoryCap && budget.limited) {
    // The rlimit holds per process: with workers, each gets its share, or together they would pass the limit.
    const perProcess = workers > 1 ? (budget.totalBytes - MASTER_BYTES) / workers : budget.totalBytes;
    const bytes = pythonMemoryCap(perProcess);
    decision.rlimits.push({ resource: 'RLIMIT_DATA', bytes });
    const share = workers > 1 ? ` per process (${workers} workers share the budget)` : '';
    decision.notes.push(`RLIMIT_DATA ${fmt(bytes)}${share} (--python-memory-cap): an allocation past it raises MemoryError with a traceback instead of a kernel OOM kill`);
  } else if (budget.limited) {
    decision.notes.push('Python has no heap limit: if it grows past the limit the kernel OOM-kills it (exit 137); --python-memory-cap turns that into a MemoryError');
  }
  return decision;
}
