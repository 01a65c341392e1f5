/*
 * fsutil.h -- small file-system helpers shared by the modules that touch
 * files (spool, outputs, the key file, the CLI's init).
 */
#ifndef PS_FSUTIL_H
#define PS_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

/* write(2) all of buf, retrying on EINTR and short writes.
 * 0, or -1 with errno set. */
int ps_write_all(int fd, const void *buf, size_t len);

/* mkdir -p with `mode` for every folder created. */
int ps_mkdir_p(const char *path, mode_t mode, struct ps_err *err);

/* snprintf into a path buffer: 0, or -1 when it would not fit (nothing
 * is ever silently cut). */
int ps_pathf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Crash points for tests: when PAYSPOOL_CRASH_AT names this point, the
 * process kills itself with SIGKILL right there, exactly as `kill -9`
 * would, so a test can prove that every crash window converges on the
 * next run.  Inert unless that variable is set.
 */
void ps_crash_point(const char *name);

#endif /* PS_FSUTIL_H */
