// Imported first by main.ts, for its effect: the early signal handlers (common/early-signals.ts) for every signal
// the supervisor forwards are installed while this module is evaluated, before the modules main.ts imports after
// it (the CLI parser and what it loads). Also bin/memshim's first require, as dist/early-signals.cjs, which also
// hands it the way to set memshim's V8 flags (below).
import { installEarlySignalHandlers } from './common/early-signals.js';
import { LISTENED_FROM_THE_START } from './supervisor/signals.js';

installEarlySignalHandlers(LISTENED_FROM_THE_START);

// For bin/memshim, which sets memshim's V8 flags (common/own-heap.ts) right after this module: the way to V8's
// setFlagsFromString that does not load node:v8 and, with it, Node's stream implementation.
export { bindingSetFlagsFromString } from './common/node-internals.js';
