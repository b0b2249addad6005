/*
 * The command memshim starts inside the minimal root filesystem of test/packaging/container.test.ts: built
 * with `gcc -static`, so the root needs nothing for it (no shell, no libc, no Node).
 *   probe exit N        exit with N
 *   probe signals       print "ready", report SIGUSR1, SIGHUP and SIGRTMIN+2, exit 42 on SIGTERM
 *   probe orphans N     leave N orphans to PID 1 (half already dead, half dying 200 ms later), then wait until
 *                       /proc shows no zombie and no process but PID 1 and itself; print how it ended
 *   probe hog           allocate and touch memory until the kernel kills it
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t last_signal = 0;

static void on_signal(int sig) { last_signal = sig; }

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sigaction(SIGRTMIN + 2, &sa, NULL);
  printf("ready pid=%d ppid=%d\n", (int)getpid(), (int)getppid());
  fflush(stdout);
  for (;;) {
    pause();
    int sig = last_signal;
    last_signal = 0;
    if (sig == SIGTERM) {
      printf("got SIGTERM\n");
      fflush(stdout);
      return 42;
    }
    if (sig == SIGUSR1) printf("got SIGUSR1\n");
    if (sig == SIGHUP) printf("got SIGHUP\n");
    if (sig == SIGRTMIN + 2) printf("got SIGRTMIN+2\n");
    fflush(stdout);
  }
}

/* Counts the other processes in this PID namespace (not PID 1, not us) and, of them, the zombies. */
static void census(int *others, int *zombies) {
  *others = 0;
  *zombies = 0;
  DIR *proc = opendir("/proc");
  if (!proc) return;
  struct dirent *entry;
  while ((entry = readdir(proc)) != NULL) {
    int pid = atoi(entry->d_name);
    if (pid <= 1 || pid == getpid()) continue;
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *file = fopen(path, "r");
    if (!file) continue;
    size_t n = fread(stat, 1, sizeof stat - 1, file);
    fclose(file);
    stat[n] = '\0';
    char *close_paren = strrchr(stat, ')');
    (*others)++;
    if (close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z') (*zombies)++;
  }
  closedir(proc);
}

static int orphans(int count) {
  pid_t middle = fork();
  if (middle < 0) return 2;
  if (middle == 0) {
    for (int i = 0; i < count; i++) {
      pid_t orphan = fork();
      if (orphan == 0) {
        if (i % 2) sleep_ms(200);
        _exit(0);
      }
    }
    _exit(0); /* its children now belong to PID 1 */
  }
  waitpid(middle, NULL, 0);
  int others = 0, zombies = 0;
  for (int tries = 0; tries < 400; tries++) { /* 20 s at most: then report what is left */
    census(&others, &zombies);
    if (others == 0) break;
    sleep_ms(50);
  }
  printf("orphans=%d left=%d zombies=%d\n", count, others, zombies);
  fflush(stdout);
  return others == 0 ? 0 : 3;
}

static int hog(void) {
  const size_t chunk = 4 << 20;
  for (size_t total = 0;; total += chunk) {
    char *block = malloc(chunk);
    if (!block) return 4;
    memset(block, 1, chunk);
  }
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "exit") == 0) return atoi(argv[2]);
  if (argc >= 2 && strcmp(argv[1], "signals") == 0) return signals();
  if (argc >= 3 && strcmp(argv[1], "orphans") == 0) return orphans(atoi(argv[2]));
  if (argc >= 2 && strcmp(argv[1], "hog") == 0) return hog();
  fprintf(stderr, "usage: probe exit N | signals | orphans N | hog\n");
  return 2;
}
