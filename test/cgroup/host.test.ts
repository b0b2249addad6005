// The host's CPUs and memory as this machine's kernel tells them (src/cgroup/host.ts): the CPU count from the
// online mask is the count of CPUs /proc/stat lists and os.cpus() finds, and MemTotal is what os.totalmem() says.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { hostCpuCount, readHostMemory } from '../../src/cgroup/host.js';
import type { ReadWarning } from '../../src/cgroup/types.js';

t.test('the online CPUs: the same count as /proc/stat and os.cpus()', async (t) => {
  const listed = readFileSync('/proc/stat', 'utf8').match(/^cpu\d+ /gm)?.length;
  t.equal(hostCpuCount(), listed, `${readFileSync('/sys/devices/system/cpu/online', 'utf8').trim()}: /proc/stat`);
  t.equal(hostCpuCount(), cpus().length, 'os.cpus()');
});

t.test("the host's memory: MemTotal, as os.totalmem() reads it", async (t) => {
  const warnings: ReadWarning[] = [];
  t.equal(await readHostMemory('/proc', warnings), totalmem());
  t.same(warnings, []);
});
