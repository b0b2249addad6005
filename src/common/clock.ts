// A monotonic clock in milliseconds, for intervals only (its origin is arbitrary). Not performance.now(): the
// global `performance` is made at its first use, and loading Node's performance implementation was a part of
// every start of PID 1 (before the spawn, where the supervisor notes its start).
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
