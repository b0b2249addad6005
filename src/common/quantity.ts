// Sizes and CPU counts as people write them: plain bytes and Kubernetes quantities.
// "512Mi" -> 536870912, "1G" -> 1e9, "1.5" cpus, "1500m" cpus. Throws QuantityError on anything else:
// the CLI turns that into a one-line usage error (exit 2).

export class QuantityError extends Error {
  override name = 'QuantityError';
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 };
const DECIMAL: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };

const QUANTITY = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([KMGTP]i|[kKMGTP]|m)?\s*$/;

/** Bytes from "536870912", "512Mi", "0.5Gi", "1G", "64k". Rounds down to a whole byte; must be > 0. */
export function parseBytes(text: string): number {
  const match = QUANTITY.exec(text);
  const suffix = match?.[2];
  if (!match || suffix === 'm')
    throw new QuantityError(`not a memory size: "${text}" (use bytes or Ki, Mi, Gi, Ti, k, M, G, T)`);
  const scale = suffix ? (BINARY[suffix] ?? DECIMAL[suffix] ?? 1) : 1;
  const bytes = Math.floor(Number(match[1]) * scale);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new QuantityError(`memory size out of range: "${text}"`);
  return bytes;
}

/** CPUs from "1.5", "2", "500m". Must be > 0. */
export function parseCpus(text: string): number {
  const match = QUANTITY.exec(text);
  const suffix = match?.[2];
  if (!match || (suffix !== undefined && suffix !== 'm'))
    throw new QuantityError(`not a CPU count: "${text}" (use 1.5 or 1500m)`);
  const cpus = Number(match[1]) / (suffix === 'm' ? 1000 : 1);
  if (!Number.isFinite(cpus) || cpus <= 0 || cpus > 1e6) throw new QuantityError(`CPU count out of range: "${text}"`);
  return cpus;
}

/** "536870912" -> "512 MiB": for human output. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text =
    unit === 0 || Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1).replace(/\.?0+$/, '');
  return `${text} ${units[unit]}`;
}
