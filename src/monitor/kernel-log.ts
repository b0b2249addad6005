// Who did the kernel kill? The cgroup counter says only that it killed someone; the kernel log names the task:
//   oom-kill:constraint=CONSTRAINT_MEMCG,...,task_memcg=/a/b,task=python3,pid=8054,uid=0
// /dev/kmsg is readable by root on a host and usually not inside a container (no CAP_SYSLOG, or not mounted):
// then this says nothing and the report names the victim as far as memshim itself knows it. Read only when an
// OOM kill is already known, never on the monitor's interval.
import { closeSync, constants, openSync, readlinkSync, readSync } from 'node:fs';

export interface KernelOomKill {
  pid: number;
  task: string;
  /** The victim's memory cgroup as the kernel names it (a host path, even inside a cgroup namespace). */
  memcg: string | null;
  /** Microseconds since boot (the clock of process.hrtime). */
  atMicros: number;
}

const RECORD = /^\d+,\d+,(\d+),[^;]*;oom-kill:(.*)$/;

/** One /dev/kmsg record, or null when it is not an oom-kill line. */
export function parseOomKillRecord(record: string): KernelOomKill | null {
  const match = RECORD.exec(record.split('\n', 1)[0] ?? '');
  if (!match) return null;
  const fields = new Map(
    match[2]!.split(',').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)] as const),
  );
  const pid = Number(fields.get('pid'));
  const task = fields.get('task');
  if (!Number.isInteger(pid) || pid <= 0 || !task) return null;
  return { pid, task, memcg: fields.get('task_memcg') ?? null, atMicros: Number(match[1]) };
}

/** oom-kill records logged at or after `sinceMicros` (since boot), oldest first; [] when the log cannot be read. */
export function readOomKillsSince(sinceMicros: number, device = '/dev/kmsg'): KernelOomKill[] {
  let fd: number;
  try {
    fd = openSync(device, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return [];
  }
  const found: KernelOomKill[] = [];
  const buffer = Buffer.alloc(8192);
  try {
    // Each read returns one record; EAGAIN: no more; EPIPE: a record was overwritten while reading, go on.
    for (let records = 0; records < 100_000; records++) {
      let length: number;
      try {
        length = readSync(fd, buffer, 0, buffer.length, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EPIPE') continue;
        break;
      }
      if (length <= 0) break;
      const kill = parseOomKillRecord(buffer.toString('utf8', 0, length));
      if (kill && kill.atMicros >= sinceMicros) found.push(kill);
    }
  } finally {
    closeSync(fd);
  }
  return found;
}

/** Microseconds since boot now, on the kernel log's clock. */
export function nowMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** The kernel's own PID namespace (PROC_PID_INIT_INO): the pids in its log are the ones memshim sees only there. */
const INIT_PID_NAMESPACE = 'pid:[4026531836]';

/** Whether the pids of the kernel log are memshim's pids (not so inside a container's PID namespace). */
export function kernelPidsAreOurs(): boolean {
  try {
    return readlinkSync('/proc/self/ns/pid') === INIT_PID_NAMESPACE;
  } catch {
    return false;
  }
}
