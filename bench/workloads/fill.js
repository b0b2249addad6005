// Workload (a) for bench/oom-matrix: keep 1 MiB arrays on the V8 heap (131072 doubles, not a Buffer, which
// would live outside it) until Node runs out of heap. Prints "held N" (MiB retained) every 4 MiB.
const held = [];
for (let mib = 1; ; mib++) {
  held.push(new Array(131072).fill(mib + 0.5));
  if (mib % 4 === 0) process.stdout.write(`held ${mib}\n`);
}
