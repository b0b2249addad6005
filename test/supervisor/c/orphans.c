// `orphans N [backlog]`: makes N orphans for PID 1 to reap. Forks N children that block on a pipe, then the parent
// (a grandchild of the caller) exits: its end of the pipe closes, all N wake and exit together, and every one
// is a zombie of whoever adopted it. The caller (this program's main process) then watches PID 1's children
// until none but itself is left, and prints "left <PID 1's children still there> ms <release to none left>".
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pid1-children.h"

/* Processes left for PID 1 to reap, besides me. */
static int others(void) { return children_of_pid1(0); }

/* Zombies among PID 1's children. */
static int zombies(void) { return children_of_pid1(1); }

static void await_go(const char *say) {
  char byte;
  printf("%s\n", say);
  fflush(stdout);
  if (read(0, &byte, 1) != 1) exit(3);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2000;
  /* backlog: the caller stops PID 1 before the release and resumes it once all N are zombies. */
  int backlog = argc > 2 && strcmp(argv[2], "backlog") == 0;
  if (backlog) await_go("armed");
  int made = orphan_wave(n);
  double released = now_ms();
  if (!made) { printf("maker failed\n"); return 1; }
  if (backlog) {
    while (zombies() < n) usleep(2000);
    await_go("backlog");
    released = now_ms();
  }
  double deadline = released + 30000;
  while (others() > 0 && now_ms() < deadline) usleep(1000);
  double took = now_ms() - released;
  printf("left %d ms %.1f\n", others(), took);
  return 0;
}
