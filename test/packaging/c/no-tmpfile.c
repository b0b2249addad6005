// LD_PRELOAD for test/packaging/koffi-temp.test.ts: every filesystem as one without O_TMPFILE (overlayfs before
// Linux 6.6, NFS, ...): open() and openat() with O_TMPFILE fail with EOPNOTSUPP, as the kernel answers there.
// Every other open goes through unchanged.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);

static int refused(int flags) { return (flags & O_TMPFILE) == O_TMPFILE; }

static mode_t mode_of(int flags, va_list args) {
  return (flags & O_CREAT) || refused(flags) ? va_arg(args, mode_t) : 0;
}

// The body of each: the mode argument taken as open() takes it, then refused or passed on by `call`.
#define REFUSE_OR(flags, call)          \
  va_list args;                         \
  va_start(args, flags);                \
  mode_t mode = mode_of(flags, args);   \
  va_end(args);                         \
  if (refused(flags)) {                 \
    errno = EOPNOTSUPP;                 \
    return -1;                          \
  }                                     \
  return call;

#define OPEN(name)                                                               \
  int name(const char *path, int flags, ...) {                                  \
    REFUSE_OR(flags, ((open_fn)dlsym(RTLD_NEXT, #name))(path, flags, mode))     \
  }

#define OPENAT(name)                                                                 \
  int name(int dir, const char *path, int flags, ...) {                             \
    REFUSE_OR(flags, ((openat_fn)dlsym(RTLD_NEXT, #name))(dir, path, flags, mode))  \
  }

OPEN(open)
OPEN(open64)
OPENAT(openat)
OPENAT(openat64)
