// What the runtime planners decide. A plan is computed by a pure function from limits + argv + env (+ a few
// facts gathered at the edge, such as the number of classes in a jar) and then shown (--dry-run) or applied.
import type { Limits } from '../cgroup/types.js';

export type RuntimeName = 'jvm' | 'node' | 'python' | 'go' | 'dotnet' | 'generic';
export const RUNTIME_NAMES: readonly RuntimeName[] = ['jvm', 'node', 'python', 'go', 'dotnet', 'generic'];

export type RiskLevel = 'info' | 'warn' | 'error';

/** One OOM-kill risk, logged before the child starts. `message` is one line: what will happen, what to change. */
export interface Risk {
  level: RiskLevel;
  code: string;
  message: string;
}

export interface PlanOptions {
  /** --runtime: force a runtime instead of detecting it. */
  runtime?: RuntimeName;
  /** false with --no-tune: keep only the init duties, set nothing but MEMSHIM_* variables. */
  tune: boolean;
  /** --python-memory-cap: setrlimit(RLIMIT_AS/DATA) below the limit so Python raises MemoryError. */
  pythonMemoryCap: boolean;
  /** false with --no-exit-on-oom: do not add -XX:+ExitOnOutOfMemoryError. */
  exitOnOutOfMemory: boolean;
  /** Bytes memshim itself keeps resident while it supervises (0 with --exec): taken out of the budget. */
  supervisorOverheadBytes: number;
}

/** Facts about the command that need I/O to learn; gathered by the caller, passed in so planners stay pure. */
export interface CommandFacts {
  /** The interpreter named by the script's `#!` line, when argv[0] is a script. */
  shebang?: string[];
  /** `.class` entries found in the -jar / -cp jars (nested BOOT-INF/lib jars included). */
  jarClassCount?: number;
  /** What the executable looks like when it is not a script: a Go or .NET binary. */
  binaryKind?: 'go' | 'dotnet';
  /** A shell script that starts `java` (Tomcat's catalina.sh, a Gradle or Maven appassembler start script). */
  javaWrapper?: JavaWrapper;
  /** The words of each `@argfile` and -XX:VMOptionsFile on a java command line, as the launcher expands them. */
  javaArgFiles?: Record<string, string[]>;
}

/** A start script that runs `java` with options from environment variables (`optionVariables`, in order). */
export interface JavaWrapper {
  kind: 'tomcat' | 'gradle' | 'maven';
  optionVariables: string[];
  /** Options written into the script itself (Gradle's DEFAULT_JVM_OPTS). */
  scriptOptions: string[];
}

export interface PlanInput {
  limits: Limits;
  argv: string[];
  env: Readonly<Record<string, string | undefined>>;
  options: PlanOptions;
  facts: CommandFacts;
}

/** A resource limit to apply to the child before exec (setrlimit through koffi). */
export interface RlimitSetting {
  resource: 'RLIMIT_AS' | 'RLIMIT_DATA' | 'RLIMIT_STACK';
  bytes: number;
}

export interface Plan {
  runtime: RuntimeName;
  /** The command to run, unchanged unless a runtime needs a flag on the command line. */
  argv: string[];
  /** Only what memshim sets or changes (appended NODE_OPTIONS / JAVA_TOOL_OPTIONS in full). */
  env: Record<string, string>;
  risks: Risk[];
  /** Human-readable lines that explain the decisions (budget breakdown, scaling at small limits, ...). */
  notes: string[];
  rlimits: RlimitSetting[];
}
