// `hog TOTAL_MIB [STEP_MIB] [STEP_MS] [WAIT_MS] [HOLD_S]`: the memory hog of the v2 tier. Waits WAIT_MS (so a
// sidecar can find it first), then allocates and touches STEP_MIB every STEP_MS until TOTAL_MIB, then holds it
// HOLD_S seconds (default: until killed) and exits 0. Gradual on purpose: memshim's monitor must see the working
// set cross 80/90/95% before the kernel's OOM killer acts. Static C: starts at once even in the emulated VM.
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) != 0) {}
}

int main(int argc, char **argv) {
  long total = argc > 1 ? atol(argv[1]) : 256, step = argc > 2 ? atol(argv[2]) : 4;
  long step_ms = argc > 3 ? atol(argv[3]) : 50, wait_ms = argc > 4 ? atol(argv[4]) : 0;
  long hold_s = argc > 5 ? atol(argv[5]) : -1;
  if (wait_ms > 0) sleep_ms(wait_ms);
  for (long done = 0; done < total; done += step) {
    char *block = malloc(step << 20);
    if (!block) return 3;
    memset(block, 1, step << 20);
    if (step_ms > 0) sleep_ms(step_ms);
  }
  if (hold_s < 0) for (;;) pause();
  sleep_ms(hold_s * 1000);
  return 0;
}
