// The monitor's decisions, as pure functions of the previous state and one reading: when does a reading deserve
// a log line? Once when the working set crosses 80%, 90% or 95% of the limit, once when it falls back below, and
// once when memory pressure (PSI) stays high for several readings. Never one line per reading: a working set
// that sits at 80.1% and wobbles by a few pages must not log every 1.5 s, hence the hysteresis.

/** Fractions of the memory limit that are worth a line when the working set crosses them. */
export const MEMORY_LEVELS = [0.8, 0.9, 0.95] as const;

/** How far below a level the working set must fall before it counts as back below (fraction of the limit). */
export const LEVEL_HYSTERESIS = 0.02;

export interface ThresholdState {
  /** Index into MEMORY_LEVELS of the highest level the working set is above; -1 below all of them. */
  level: number;
}

export const INITIAL_THRESHOLD_STATE: ThresholdState = { level: -1 };

export type ThresholdEvent =
  /** The working set rose above `level` (the highest one crossed in this reading); it was below `from` before (null: below all). */
  | { kind: 'above'; level: number; from: number | null; ratio: number }
  /** The working set fell back below `level` (the lowest it is now under); it had been above `from`. */
  | { kind: 'below'; level: number; from: number; ratio: number };

/**
 * One reading of working set / limit. Rising, every level at or under the ratio counts at once (one event names
 * the highest); falling, a level is left only when the ratio is LEVEL_HYSTERESIS under it.
 * A ratio that is null or not finite (no reading) changes nothing.
 */
export function stepThresholds(
  state: ThresholdState,
  ratio: number | null,
): { state: ThresholdState; event: ThresholdEvent | null } {
  if (ratio === null || !Number.isFinite(ratio)) return { state, event: null };
  let level = state.level;
  while (level + 1 < MEMORY_LEVELS.length && ratio >= MEMORY_LEVELS[level + 1]!) level++;
  if (level > state.level) {
    return {
      state: { level },
      event: {
        kind: 'above',
        level: MEMORY_LEVELS[level]!,
        from: state.level < 0 ? null : MEMORY_LEVELS[state.level]!,
        ratio,
      },
    };
  }
  while (level >= 0 && ratio < MEMORY_LEVELS[level]! - LEVEL_HYSTERESIS) level--;
  if (level < state.level) {
    return {
      state: { level },
      event: { kind: 'below', level: MEMORY_LEVELS[level + 1]!, from: MEMORY_LEVELS[state.level]!, ratio },
    };
  }
  return { state, event: null };
}

/** PSI `some avg10` (percent of the last 10 s in which some task stalled on memory) that counts as pressure. */
export const PRESSURE_PERCENT = 10;
/** Consecutive readings at or over PRESSURE_PERCENT before the warning: one busy moment is not "sustained". */
export const PRESSURE_READINGS = 3;

export interface PressureState {
  /** Readings in a row at or above the threshold (while not warned) or under half of it (while warned). */
  streak: number;
  warned: boolean;
}

export const INITIAL_PRESSURE_STATE: PressureState = { streak: 0, warned: false };

export type PressureEvent = { kind: 'sustained'; avg10: number } | { kind: 'relieved'; avg10: number };

/**
 * One PSI reading. Warns once after PRESSURE_READINGS readings in a row at or over PRESSURE_PERCENT; says it is
 * over once after as many readings in a row under half of it. null (no PSI on this kernel or cgroup) changes nothing.
 */
export function stepPressure(
  state: PressureState,
  avg10: number | null,
): { state: PressureState; event: PressureEvent | null } {
  if (avg10 === null || !Number.isFinite(avg10)) return { state, event: null };
  const counts = state.warned ? avg10 < PRESSURE_PERCENT / 2 : avg10 >= PRESSURE_PERCENT;
  const streak = counts ? state.streak + 1 : 0;
  if (streak < PRESSURE_READINGS) return { state: { streak, warned: state.warned }, event: null };
  return {
    state: { streak: 0, warned: !state.warned },
    event: { kind: state.warned ? 'relieved' : 'sustained', avg10 },
  };
}

/** Working set as a fraction of the limit; null when either is unknown. */
export function workingSetRatio(workingSetBytes: number | null, limitBytes: number | null): number | null {
  if (workingSetBytes === null || limitBytes === null || limitBytes <= 0) return null;
  return workingSetBytes / limitBytes;
}
