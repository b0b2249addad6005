// The monitor's decisions as tables: a sequence of readings in, the log-worthy events out. No spam is the point:
// long runs of readings near a level must produce at most one line per real crossing.
import t from 'tap';
import fc from 'fast-check';
import {
  INITIAL_PRESSURE_STATE,
  INITIAL_THRESHOLD_STATE,
  PRESSURE_READINGS,
  stepPressure,
  stepThresholds,
  workingSetRatio,
  type PressureEvent,
  type ThresholdEvent,
} from '../../src/monitor/thresholds.js';

function runThresholds(ratios: (number | null)[]): string[] {
  let state = INITIAL_THRESHOLD_STATE;
  const out: string[] = [];
  for (const ratio of ratios) {
    const step = stepThresholds(state, ratio);
    state = step.state;
    if (step.event) out.push(describe(step.event));
  }
  return out;
}

function describe(event: ThresholdEvent): string {
  return `${event.kind} ${event.level}${event.from === null ? '' : ` from ${event.from}`}`;
}

t.test('threshold crossings: each logged once, and once when falling back below', async (t) => {
  const table: [string, (number | null)[], string[]][] = [
    ['quiet under 80%', [0.1, 0.5, 0.79, 0.7999], []],
    ['one crossing of 80%, staying above', [0.5, 0.81, 0.85, 0.82, 0.88], ['above 0.8']],
    [
      'climbing through every level',
      [0.5, 0.8, 0.85, 0.9, 0.93, 0.95, 0.99],
      ['above 0.8', 'above 0.9 from 0.8', 'above 0.95 from 0.9'],
    ],
    ['a jump over all levels is one line naming the highest', [0.5, 0.97], ['above 0.95']],
    ['back below 80% once', [0.85, 0.7, 0.6, 0.5], ['above 0.8', 'below 0.8 from 0.8']],
    ['wobbling around 80% inside the hysteresis: no spam', [0.8, 0.799, 0.801, 0.785, 0.8, 0.79, 0.81], ['above 0.8']],
    ['falling from 95% to 50% is one line', [0.96, 0.5], ['above 0.95', 'below 0.8 from 0.95']],
    ['falling from 95% to 85% names 90%', [0.96, 0.85], ['above 0.95', 'below 0.9 from 0.95']],
    ['down then up again is logged again', [0.85, 0.5, 0.85], ['above 0.8', 'below 0.8 from 0.8', 'above 0.8']],
    ['no reading changes nothing', [0.85, null, Number.NaN, 0.85], ['above 0.8']],
    ['exactly at a level counts as crossing it', [0.9], ['above 0.9']],
    ['just over the hysteresis counts as below', [0.9, 0.8799], ['above 0.9', 'below 0.9 from 0.9']],
  ];
  for (const [name, ratios, expected] of table) t.same(runThresholds(ratios), expected, name);
});

t.test(
  'property: never two lines in a row of the same kind and level; never more lines than real swings',
  async (t) => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1.2, noNaN: true }), { maxLength: 200 }), (ratios) => {
        let state = INITIAL_THRESHOLD_STATE;
        let previous: ThresholdEvent | null = null;
        for (const ratio of ratios) {
          const step = stepThresholds(state, ratio);
          if (step.event && previous) {
            if (step.event.kind === previous.kind && step.event.level === previous.level) return false;
            // Alternation: a rise must follow a fall (or start), a fall must follow a rise.
            if (step.event.kind === 'above' && previous.kind === 'above' && step.event.level <= previous.level)
              return false;
          }
          if (step.event) previous = step.event;
          state = step.state;
        }
        return true;
      }),
    );
    // Readings that sit in a narrow band never produce more than one line.
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.79, max: 0.8099, noNaN: true }), { maxLength: 300 }),
        (ratios) => runThresholds([0.85, ...ratios]).length === 1,
      ),
    );
    t.pass('properties hold');
  },
);

function runPressure(values: (number | null)[]): PressureEvent['kind'][] {
  let state = INITIAL_PRESSURE_STATE;
  const out: PressureEvent['kind'][] = [];
  for (const value of values) {
    const step = stepPressure(state, value);
    state = step.state;
    if (step.event) out.push(step.event.kind);
  }
  return out;
}

t.test('sustained memory pressure: warned once after several readings, relieved once', async (t) => {
  const high = Array<number>(PRESSURE_READINGS).fill(25);
  const low = Array<number>(PRESSURE_READINGS).fill(1);
  const table: [string, (number | null)[], PressureEvent['kind'][]][] = [
    ['no PSI at all (v1)', [null, null, null, null], []],
    ['calm', [0, 0.5, 2, 0], []],
    ['one busy reading is not sustained', [50, 0, 50, 0, 50], []],
    ['sustained: warned once however long it lasts', [...high, ...high, ...high], ['sustained']],
    ['relieved once it stays low', [...high, 30, ...low, ...low], ['sustained', 'relieved']],
    ['between half and the threshold is neither', [...high, 7, 7, 7, 7, 7], ['sustained']],
    ['again after relief', [...high, ...low, ...high], ['sustained', 'relieved', 'sustained']],
    ['a missing reading does not break a streak', [25, null, 25, 25], ['sustained']],
  ];
  for (const [name, values, expected] of table) t.same(runPressure(values), expected, name);
});

t.test('working set ratio', async (t) => {
  t.equal(workingSetRatio(50, 100), 0.5);
  t.equal(workingSetRatio(null, 100), null);
  t.equal(workingSetRatio(50, null), null);
  t.equal(workingSetRatio(50, 0), null);
});
