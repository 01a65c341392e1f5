/*
 * fsutil.c -- write-all, mkdir -p, and checked path formatting.
 */
#include "base/fsutil.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int ps_write_all(int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int ps_pathf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int ps_mkdir_p(const char *path, mode_t mode, struct ps_err *err)
{
    char tmp[4096];
    if (ps_pathf(tmp, sizeof(tmp), "%s", path) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
    for (char *p = tmp + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, mode) != 0 && errno != EEXIST)
            return ps_err_sys(err, errno, "cannot create %s", tmp);
        *p = '/';
    }
    if (mkdir(tmp, mode) != 0 && errno != EEXIST)
        return ps_err_sys(err, errno, "cannot create %s", tmp);
    return 0;
}

void ps_crash_point(const char *name)
{
    const char *at = getenv("PAYSPOOL_CRASH_AT");
    if (at != NULL && strcmp(at, name) == 0)
        kill(getpid(), SIGKILL);
}
