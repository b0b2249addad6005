// A leftover that counts the SIGTERMs it gets: one line "term <pid>" per delivery on stdout. The handler stays
// a while in the handler (SIGTERM blocked meanwhile), so a second SIGTERM sent right after the first is not
// merged with it by the kernel but delivered when the handler returns: a duplicate shows as a second line.
// Prints "ready <pid>" once its handler is in place, then waits for SIGKILL.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void on_term(int n) {
  (void)n;
  char line[64];
  int len = snprintf(line, sizeof line, "term %d\n", (int)getpid());
  (void)!write(1, line, len);
  struct timespec wait = {0, 300 * 1000 * 1000};
  nanosleep(&wait, NULL);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, NULL);
  char line[64];
  int len = snprintf(line, sizeof line, "ready %d\n", (int)getpid());
  (void)!write(1, line, len);
  for (;;) pause();
}
