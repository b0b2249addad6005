// `churn HOLD_MIB CHURN_MIB SECONDS`: holds HOLD_MIB, then for SECONDS maps, touches and unmaps CHURN_MIB over and
// over. Over memory.high with no swap, every round is charged anew and the kernel throttles this process (the
// over-high delay, which PSI counts as time stalled on memory) in proportion to the pages it charged: it stalls,
// while a process that charges a few pages (memshim, reading the cgroup) is barely delayed.
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

int main(int argc, char **argv) {
  long hold = argc > 1 ? atol(argv[1]) : 64, churn = argc > 2 ? atol(argv[2]) : 32, seconds = argc > 3 ? atol(argv[3]) : 30;
  char *held = malloc(hold << 20);
  if (!held) return 3;
  memset(held, 1, hold << 20);
  time_t end = time(NULL) + seconds;
  while (time(NULL) < end) {
    char *block = mmap(NULL, churn << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) return 3;
    memset(block, 1, churn << 20);
    munmap(block, churn << 20);
  }
  return 0;
}
