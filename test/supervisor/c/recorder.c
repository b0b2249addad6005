// Records every signal it receives, one line each on stdout: "<role> sig <N> <CLOCK_MONOTONIC ns>".
// Prints "<role> ready <pid>" once its handlers are in place. `recorder fork` also starts a second recorder
// ("grandchild") in the same process group, for the group-versus-single-child tests.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *role = "child";

static void on_signal(int n) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  char line[96];
  int len = snprintf(line, sizeof line, "%s sig %d %lld\n", role, n, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  (void)!write(1, line, len);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && strcmp(argv[1], "fork") == 0) {
    pid_t pid = fork();
    if (pid == 0) role = "grandchild";
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigfillset(&sa.sa_mask);
  for (int n = 1; n <= 64; n++) {
    if (n == SIGKILL || n == SIGSTOP || n == SIGCHLD || n == 32 || n == 33) continue;
    sigaction(n, &sa, NULL);
  }
  printf("%s ready %d\n", role, (int)getpid());
  for (;;) pause();
}
