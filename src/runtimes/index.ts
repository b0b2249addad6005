// Entry point of the planners: detect the runtime, let its planner decide, add what every command gets
// (MEMSHIM_MEMORY_LIMIT_BYTES, MEMSHIM_CPU_LIMIT) and the risks that depend only on the limits.
// Pure: limits + argv + env + facts -> plan. Shown by --dry-run, applied by the supervisor.
import { budgetOf, type RuntimeDecision, type Budget } from './common.js';
import { detectRuntime, skipEnv } from './detect.js';
import { planDotnet } from './dotnet.js';
import { planGeneric } from './generic.js';
import { planGo } from './go.js';
import { planJvm } from './jvm.js';
import { planNode } from './node.js';
import { planPython } from './python.js';
import { limitRisks } from './risks.js';
import type { Plan, PlanInput, RuntimeName, RiskLevel } from './types.js';

const PLANNERS: Record<RuntimeName, (input: PlanInput, budget: Budget) => RuntimeDecision> = {
  jvm: planJvm,
  node: planNode,
  python: planPython,
  go: planGo,
  dotnet: planDotnet,
  generic: planGeneric,
};

const SEVERITY: Record<RiskLevel, number> = { error: 0, warn: 1, info: 2 };

export function planCommand(input: PlanInput): Plan {
  const { limits, options } = input;
  const detection = detectRuntime(input.argv, input.facts, options.runtime);
  const budget = budgetOf(input);
  // Planners read the command as the runtime sees it: `/usr/bin/env node app.js` is `node app.js`.
  const decision = PLANNERS[detection.runtime]({ ...input, argv: skipEnv(input.argv) }, budget);
  const notes = [`runtime ${detection.runtime}: ${detection.reason}`];
  if (!options.tune)
    notes.push(
      '--no-tune: nothing is set but MEMSHIM_MEMORY_LIMIT_BYTES and MEMSHIM_CPU_LIMIT; values the user set are still judged',
    );
  const risks = [...decision.risks, ...limitRisks(limits)].sort((a, b) => SEVERITY[a.level] - SEVERITY[b.level]);
  return {
    runtime: detection.runtime,
    argv: decision.argv ?? [...input.argv],
    env: {
      ...decision.env,
      MEMSHIM_MEMORY_LIMIT_BYTES: String(limits.memoryBytes),
      MEMSHIM_CPU_LIMIT: String(budget.cpus ?? budget.effectiveCpus),
    },
    risks,
    notes: [...notes, ...decision.notes],
    rlimits: decision.rlimits,
  };
}

export { detectRuntime } from './detect.js';
