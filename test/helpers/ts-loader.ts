// For a test that starts a TypeScript probe in a Node of its own (`node --import=${TS_LOADER} probe.ts`), with
// tap's NODE_OPTIONS removed: the hooks tap's test processes run with (ts-hooks.mjs).
export const TS_LOADER = new URL('./ts-register.mjs', import.meta.url).href;
