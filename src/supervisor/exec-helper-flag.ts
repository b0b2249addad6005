// The flag that starts memshim as its own exec helper (rlimits.ts), alone in its module: the single executable's
// main script (src/sea-main.ts) tells the helper apart by it without loading the supervisor.
export const EXEC_HELPER = '--exec-helper';
