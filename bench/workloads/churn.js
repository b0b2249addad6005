// Workload (b) for bench/oom-matrix: a live set of LIVE_MIB 1 MiB arrays on the V8 heap, then heavy garbage
// for SECONDS: short-lived 64 KiB arrays and live chunks replaced at random. Prints "held N", then "survived".
const live = Number(process.argv[2]);
const end = Date.now() + Number(process.argv[3]) * 1000;
const chunk = (doubles, value) => new Array(doubles).fill(value + 0.5);
const held = [];
for (let mib = 1; mib <= live; mib++) {
  held.push(chunk(131072, mib));
  if (mib % 4 === 0 || mib === live) process.stdout.write(`held ${mib}\n`);
}
let sink = 0;
let seed = 1;
while (Date.now() < end) {
  for (let i = 0; i < 64; i++) sink += chunk(8192, i).length;
  seed = (seed * 1103515245 + 12345) % 2147483648;
  held[seed % held.length] = chunk(131072, seed);
}
process.stdout.write(`survived ${sink > 0 ? '' : '?'}\n`);
