// A real memshim logger (src/common/log.ts, JSON lines) writing to a temporary file, and the lines it wrote, parsed.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger, type LogLevel } from '../../src/common/log.js';

export interface CapturedLog {
  log: Logger;
  /** Every line written so far, parsed. */
  lines(): Record<string, unknown>[];
  /** The lines with this `event`. */
  events(name: string): Record<string, unknown>[];
  text(): string;
  close(): void;
}

export async function captureLog(level: LogLevel = 'debug'): Promise<CapturedLog> {
  const dir = mkdtempSync(join(tmpdir(), 'memshim-log-'));
  const file = join(dir, 'log.jsonl');
  const fd = openSync(file, 'w');
  const log = await createLogger('json', level, fd);
  const text = () => readFileSync(file, 'utf8');
  const lines = () =>
    text()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    log,
    text,
    lines,
    events: (name) => lines().filter((line) => line.event === name),
    close: () => {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
