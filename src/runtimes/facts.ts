// The I/O edge of planning: facts about the command that the pure planners need. (First cut: none; issue 3
// adds the shebang, jar class count and binary kind.)
import type { CommandFacts } from './types.js';

export async function gatherFacts(_argv: readonly string[], _env: NodeJS.ProcessEnv): Promise<CommandFacts> {
  return {};
}
