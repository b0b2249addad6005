# Workload (a) for bench/oom-matrix: keep 1 MiB bytes objects (written, so resident) until Python cannot get
# more memory. Prints "held N" (MiB retained) every 4 MiB. Python has no heap limit: without a cap the kernel
# OOM-kills it; under an RLIMIT_DATA cap it raises MemoryError.
held = []
mib = 0
while True:
    held.append(b"\x01" * (1 << 20))
    mib += 1
    if mib % 4 == 0:
        print(f"held {mib}", flush=True)
