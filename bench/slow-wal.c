// A slow disk for SQLite's write-ahead log, to force the lock-bound regime (bench/run.sh --regimes lock): loaded with
// LD_PRELOAD into every server, it sleeps AEGIS_BENCH_WAL_DELAY_US microseconds (default 50) before each write to a
// file whose name ends in "-wal". SQLite writes the log while it holds its one write lock, so each commit holds the
// lock longer without using more CPU, as on a slow or busy disk, whichever server or library does the writing.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_FD 65536
static unsigned char wal[MAX_FD];

static void mark(int fd, const char *path) {
  if (fd >= 0 && fd < MAX_FD) {
    size_t n = strlen(path);
    wal[fd] = n > 4 && strcmp(path + n - 4, "-wal") == 0;
  }
}

int open64(const char *path, int flags, ...) {
  static int (*real)(const char *, int, ...);
  if (!real) real = dlsym(RTLD_NEXT, "open64");
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) {
    va_list args;
    va_start(args, flags);
    mode = va_arg(args, mode_t);
    va_end(args);
  }
  int fd = real(path, flags, mode);
  mark(fd, path);
  return fd;
}

int open(const char *path, int flags, ...) {
  static int (*real)(const char *, int, ...);
  if (!real) real = dlsym(RTLD_NEXT, "open");
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) {
    va_list args;
    va_start(args, flags);
    mode = va_arg(args, mode_t);
    va_end(args);
  }
  int fd = real(path, flags, mode);
  mark(fd, path);
  return fd;
}

ssize_t pwrite64(int fd, const void *buffer, size_t count, off_t offset) {
  static ssize_t (*real)(int, const void *, size_t, off_t);
  static long delay = -1;
  if (!real) real = dlsym(RTLD_NEXT, "pwrite64");
  if (delay < 0) {
    const char *value = getenv("AEGIS_BENCH_WAL_DELAY_US");
    delay = value ? atol(value) : 50;
  }
  if (fd >= 0 && fd < MAX_FD && wal[fd] && delay > 0) {
    struct timespec pause = { delay / 1000000, (delay % 1000000) * 1000 };
    nanosleep(&pause, NULL);
  }
  return real(fd, buffer, count, offset);
}
