# Probe for bench/non-heap and the --python-memory-cap check: what a Python process maps (VmData, the figure
# RLIMIT_DATA limits: the heap plus every private writable mapping, thread stacks included) against what it
# keeps resident. Modes: idle; threads N (N threads parked in a pool, as a threaded server has); numpy (import
# numpy and multiply two 512x512 matrices: OpenBLAS maps its buffers at import). Prints "ready VmData=.. VmRSS=.."
# in KiB and exits after SECONDS.
import sys
import threading
import time

mode = sys.argv[1]
seconds = float(sys.argv[3] if mode == "threads" else sys.argv[2])
stop = threading.Event()
if mode == "threads":
    for _ in range(int(sys.argv[2])):
        threading.Thread(target=stop.wait, daemon=True).start()
elif mode == "numpy":
    import numpy

    a = numpy.ones((512, 512))
    b = (a @ a).sum()


def status(name):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return -1


print(f"ready VmData={status('VmData')} VmRSS={status('VmRSS')}", flush=True)
time.sleep(seconds)
stop.set()
