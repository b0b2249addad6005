// Imported first by main.ts, for its effect: the early signal handlers (common/early-signals.ts) for every signal
// the supervisor forwards are installed while this module is evaluated, before the modules main.ts imports after
// it (the CLI parser and what it loads). Also bin/memshim's first require, as dist/early-signals.cjs.
import { installEarlySignalHandlers } from './common/early-signals.js';
import { LISTENED_FROM_THE_START } from './supervisor/signals.js';

installEarlySignalHandlers(LISTENED_FROM_THE_START);
