# Workload (b) for bench/oom-matrix: a live set of LIVE_MIB 1 MiB bytes objects, then heavy garbage for
# SECONDS: short-lived 64 KiB objects and live chunks replaced at random. Prints "held N", then "survived".
import random
import sys
import time

live = int(sys.argv[1])
end = time.monotonic() + float(sys.argv[2])
held = []
for mib in range(1, live + 1):
    held.append(b"\x01" * (1 << 20))
    if mib % 4 == 0 or mib == live:
        print(f"held {mib}", flush=True)
rng = random.Random(1)
sink = 0
while time.monotonic() < end:
    for i in range(64):
        sink += len(bytes([i & 255]) * (64 << 10))
    held[rng.randrange(len(held))] = b"\x02" * (1 << 20)
print("survived", flush=True)
