// What the orphan programs (test/supervisor/c/orphans.c, bench/c/flood.c) share: a monotonic clock in ms, whether
// a pid is a zombie, how many children PID 1 has, and a wave of orphans made for it. Included by both, static:
// one copy of the logic.
#ifndef MEMSHIM_PID1_CHILDREN_H
#define MEMSHIM_PID1_CHILDREN_H
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int is_zombie(int pid) {
  char stat[64], state = 0;
  snprintf(stat, sizeof stat, "/proc/%d/stat", pid);
  FILE *s = fopen(stat, "r");
  if (s && fscanf(s, "%*d (%*[^)]) %c", &state) != 1) state = 0;
  if (s) fclose(s);
  return state == 'Z';
}

/*
 * Children of PID 1 besides me (any of its threads may be the parent), from /proc/1/task/T/children, which lists
 * zombies too until they are reaped: all of them, or only the zombies. Cheap enough to poll each ms.
 */
static int children_of_pid1(int zombies_only) {
  char path[64];
  DIR *tasks = opendir("/proc/1/task");
  struct dirent *entry;
  int count = 0;
  while (tasks && (entry = readdir(tasks)) != NULL) {
    if (entry->d_name[0] == '.' || strlen(entry->d_name) > 20) continue;
    snprintf(path, sizeof path, "/proc/1/task/%s/children", entry->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    int pid;
    while (fscanf(f, "%d", &pid) == 1) {
      if (pid != getpid() && (!zombies_only || is_zombie(pid))) count++;
    }
    fclose(f);
  }
  if (tasks) closedir(tasks);
  return count;
}

/*
 * Makes n orphans for PID 1 at once: a maker forks n children blocked on a pipe and exits; its end of the pipe
 * closes, all n wake and exit together, and every one is a zombie of whoever adopted it. 1 when the maker made
 * them all.
 */
static int orphan_wave(int n) {
  pid_t maker = fork();
  if (maker == 0) {
    int gate[2];
    if (pipe(gate) != 0) _exit(1);
    for (int i = 0; i < n; i++) {
      pid_t pid = fork();
      if (pid == 0) {
        char byte;
        close(gate[1]);
        while (read(gate[0], &byte, 1) > 0) {}
        _exit(0);
      }
      if (pid < 0) _exit(2);
    }
    _exit(0); /* closes gate[1]: every child wakes up and exits */
  }
  int status;
  waitpid(maker, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

#endif
