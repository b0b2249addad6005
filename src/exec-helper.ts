// Imported first by main.ts, before listen-first.ts, for its effect: when memshim was started as its own exec
// helper (supervisor/rlimits.ts: a supervised child with rlimits), it becomes the command while this module is
// evaluated, before the early signal handlers and the CLI load. The helper starts fast, and a signal that
// reaches it before the exec has its default action, as it would on the command.
import { EXEC_HELPER, runExecHelper } from './supervisor/rlimits.js';

if (process.argv[2] === EXEC_HELPER) process.exit(runExecHelper(process.argv.slice(3), process.env));
