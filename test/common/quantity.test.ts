import t from 'tap';
import fc from 'fast-check';
import { formatBytes, parseBytes, parseCpus, QuantityError } from '../../src/common/quantity.js';

t.test('memory sizes in bytes and Kubernetes quantities', async (t) => {
  const table: [string, number][] = [
    ['536870912', 536870912],
    ['512Mi', 512 * 2 ** 20],
    ['0.5Gi', 2 ** 29],
    ['1G', 1e9],
    ['64k', 64000],
    ['64K', 64000],
    ['2Ti', 2 * 2 ** 40],
    [' 128Mi ', 128 * 2 ** 20],
  ];
  for (const [text, bytes] of table) t.equal(parseBytes(text), bytes, text);
  for (const bad of ['', 'abc', '-1', '0', '512MB', '1.5.2G', '500m', 'Mi', '1e9'])
    t.throws(() => parseBytes(bad), QuantityError, `rejects "${bad}"`);
});

t.test('CPU counts', async (t) => {
  t.equal(parseCpus('1.5'), 1.5);
  t.equal(parseCpus('500m'), 0.5);
  t.equal(parseCpus('2'), 2);
  for (const bad of ['', '0', '-1', '1Gi', 'two', '0m'])
    t.throws(() => parseCpus(bad), QuantityError, `rejects "${bad}"`);
});

t.test('formatBytes reads well', async (t) => {
  t.equal(formatBytes(512 * 2 ** 20), '512 MiB');
  t.equal(formatBytes(1536 * 2 ** 20), '1.5 GiB');
  t.equal(formatBytes(100), '100 B');
});

t.test('parsers never throw anything but QuantityError', async (t) => {
  fc.assert(
    fc.property(fc.string(), (text) => {
      for (const parse of [parseBytes, parseCpus]) {
        try {
          const value = parse(text);
          if (!(value > 0)) return false;
        } catch (error) {
          if (!(error instanceof QuantityError)) return false;
        }
      }
      return true;
    }),
  );
  t.pass('no unexpected exception');
});
