// `rlimit-probe`: prints, as the first thing it does, the soft RLIMIT_DATA and RLIMIT_STACK it was started with
// and its parent's pid: "<data> <stack> <ppid>". Static, so no dynamic loader runs before main: what it prints
// are the limits the process had when its program began, not a moment later.
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

int main(void) {
  struct rlimit data, stack;
  getrlimit(RLIMIT_DATA, &data);
  getrlimit(RLIMIT_STACK, &stack);
  printf("%llu %llu %d\n", (unsigned long long)data.rlim_cur, (unsigned long long)stack.rlim_cur, (int)getppid());
  return 0;
}
