// `flood N WAVE SECONDS`: N orphans for PID 1 to reap, WAVE at a time (the host's pid_max bounds how many can exist at
// once). Each wave: a maker forks WAVE children blocked on a pipe and exits; they wake together and are all
// orphans of PID 1 at once. The next wave starts when PID 1 has reaped the previous one (or after 30 s), and
// none starts after SECONDS (a loaded machine forks slowly). Prints "wave <i> left <n>" as it goes and
// "made <orphans> left <PID 1's children still there at the end> zombies <of them zombies> ms <total>".
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../test/supervisor/c/pid1-children.h"

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int n = argc > 1 ? atoi(argv[1]) : 20000;
  int per = argc > 2 ? atoi(argv[2]) : 5000;
  double seconds = argc > 3 ? atof(argv[3]) : 1e9;
  double start = now_ms();
  int done = 0;
  for (int i = 0; done < n && now_ms() - start < seconds * 1e3; done += per < n - done ? per : n - done, i++) {
    int size = n - done < per ? n - done : per;
    if (!orphan_wave(size)) { printf("maker failed in wave %d\n", i); return 1; }
    double deadline = now_ms() + 30000;
    while (children_of_pid1(0) > 0 && now_ms() < deadline) usleep(2000);
    printf("wave %d left %d\n", i, children_of_pid1(0));
  }
  usleep(200000);
  printf("made %d left %d zombies %d ms %.0f\n", done, children_of_pid1(0), children_of_pid1(1), now_ms() - start);
  return 0;
}
