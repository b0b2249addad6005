// `orphans N`: makes N orphans for PID 1 to reap. Forks N children that block on a pipe, then the parent
// (a grandchild of the caller) exits: its end of the pipe closes, all N wake and exit together, and every one
// is a zombie of whoever adopted it. The caller (this program's main process) then watches /proc until no
// process but PID 1 and itself is left, and prints "left Z <zombies still there> ms <release to none left>".
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Processes other than PID 1 and me; *zombies gets how many of them are zombies. */
static int others(int *zombies) {
  DIR *proc = opendir("/proc");
  struct dirent *entry;
  int count = 0;
  *zombies = 0;
  while ((entry = readdir(proc)) != NULL) {
    int pid = atoi(entry->d_name);
    if (pid <= 1 || pid == getpid()) continue;
    char path[64], state = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    if (fscanf(f, "%*d (%*[^)]) %c", &state) == 1) {
      count++;
      if (state == 'Z') (*zombies)++;
    }
    fclose(f);
  }
  closedir(proc);
  return count;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2000;
  int ready[2];
  if (pipe(ready) != 0) return 1;
  pid_t maker = fork();
  if (maker == 0) {
    int gate[2];
    if (pipe(gate) != 0) _exit(1);
    for (int i = 0; i < n; i++) {
      pid_t pid = fork();
      if (pid == 0) {
        char byte;
        close(gate[1]);
        close(ready[1]);
        while (read(gate[0], &byte, 1) > 0) {}
        _exit(0);
      }
      if (pid < 0) _exit(2);
    }
    _exit(0); /* closes gate[1]: every child wakes up and exits */
  }
  close(ready[1]);
  int status;
  waitpid(maker, &status, 0);
  double released = now_ms();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { printf("maker failed\n"); return 1; }
  int zombies = 0;
  double deadline = released + 30000;
  while (others(&zombies) > 0 && now_ms() < deadline) usleep(1000);
  printf("left %d zombies %d ms %.1f\n", others(&zombies), zombies, now_ms() - released);
  return 0;
}
