// Linux signal numbers and names, both ways. Linux numbering (x86_64 and arm64 agree on 1-31; glibc reserves
// 32 and 33, so the real-time signals are 34..64). Shared by the supervisor, the --rewrite parser and the reports.
import { constants } from 'node:os';

export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

const BY_NAME = constants.signals as Record<string, number>;

/** "SIGTERM", "TERM", "15", "RTMIN+3" -> number; undefined when not a Linux signal. */
export function signalNumber(text: string): number | undefined {
  const trimmed = text.trim().toUpperCase();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    return n >= 0 && n <= SIGRTMAX ? n : undefined;
  }
  const name = trimmed.startsWith('SIG') ? trimmed.slice(3) : trimmed;
  const rt = /^RTM(IN|AX)([+-]\d+)?$/.exec(name);
  if (rt) {
    const n = (rt[1] === 'IN' ? SIGRTMIN : SIGRTMAX) + Number(rt[2] ?? 0);
    return n >= SIGRTMIN && n <= SIGRTMAX ? n : undefined;
  }
  return BY_NAME[`SIG${name}`];
}

export function signalName(signal: number): string {
  if (signal >= SIGRTMIN && signal <= SIGRTMAX)
    return signal === SIGRTMIN ? 'SIGRTMIN' : `SIGRTMIN+${signal - SIGRTMIN}`;
  return Object.keys(BY_NAME).find((name) => BY_NAME[name] === signal) ?? `signal ${signal}`;
}
