// The child of bench/faults.ts. Prints "ready <pid>" once its handlers are in place. SIGUSR1: counted, and with
// `stall` one line "usr1" on stdout each. SIGTERM: prints "term <usr1 count>" and exits 7 (a status no init makes
// up). `target stall BYTES` first forks a writer of BYTES to the shared stderr: with nobody reading it, the pipe
// fills and the writer blocks there, as a chatty application behind a stalled log driver would.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t usr1 = 0;
static int stall = 0;

static void on_usr1(int n) {
  (void)n;
  usr1++;
  if (stall) (void)!write(1, "usr1\n", 5);
}

static void on_term(int n) {
  (void)n;
  char line[64];
  int len = snprintf(line, sizeof line, "term %d\n", (int)usr1);
  (void)!write(1, line, len);
  _exit(7);
}

int main(int argc, char **argv) {
  stall = argc > 2 && strcmp(argv[1], "stall") == 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  if (stall) {
    long bytes = atol(argv[2]);
    if (fork() == 0) {
      signal(SIGUSR1, SIG_IGN); /* only the main process answers */
      static char block[4096];
      memset(block, 'x', sizeof block);
      for (long done = 0; done < bytes; done += sizeof block) (void)!write(2, block, sizeof block);
      _exit(0);
    }
  }
  printf("ready %d\n", (int)getpid());
  fflush(stdout);
  for (;;) pause();
}
