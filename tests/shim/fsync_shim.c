/*
 * fsync_shim.c -- an LD_PRELOAD library that records the durability calls
 * of a process: fsync, fdatasync, rename, renameat, renameat2 and linkat
 * (the calls output.c makes to publish a file; linkat is its fallback
 * where RENAME_NOREPLACE is not supported).  Each call is passed on to the
 * real one (dlsym(RTLD_NEXT)) and then logged, one line per call, to the
 * file named by $PS_SHIM_LOG (nothing is logged when it is unset):
 *
 *   fsync <path> <rc>
 *   fdatasync <path> <rc>
 *   rename <old path> <new path> <rc>
 *   renameat <old path> <new path> <rc>
 *   renameat2 <old path> <new path> <rc>
 *   linkat <old path> <new path> <rc>
 *
 * Descriptors are resolved to paths with readlink(/proc/self/fd/N) at the
 * time of the call (so a temporary file fsynced before its rename shows
 * under its temporary name); directory descriptors of the *at calls are
 * resolved the same way and joined with the relative name.  Lines are
 * written with one write(2) to an O_APPEND descriptor, so that lines of
 * concurrent processes do not interleave.  errno is preserved.
 *
 * Test-only code: CMake builds it as a shared library for the durability
 * test (test_output_durability.c); it is never linked into payspool.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The shim's own exports are the wrapped libc functions; declare them
 * here for -Wmissing-prototypes (their libc declarations are in headers
 * that not every libc version exposes the same way). */
int fsync(int fd);
int fdatasync(int fd);
int rename(const char *oldpath, const char *newpath);
int renameat(int olddirfd, const char *oldpath, int newdirfd,
             const char *newpath);
int renameat2(int olddirfd, const char *oldpath, int newdirfd,
              const char *newpath, unsigned int flags);
int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
           int flags);

/* Path of descriptor fd into buf ("?" when it cannot be read). */
static void fd_path(int fd, char *buf, size_t size)
{
    char link[64];
    if (fd == AT_FDCWD) {
        if (getcwd(buf, size) == NULL)
            snprintf(buf, size, "?");
        return;
    }
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, size - 1);
    if (n < 0) {
        snprintf(buf, size, "?fd%d", fd);
        return;
    }
    buf[n] = '\0';
}

/* dirfd + name as one path into buf: name itself when absolute. */
static void at_path(int dirfd, const char *name, char *buf, size_t size)
{
    char dir[PATH_MAX];
    if (name != NULL && name[0] == '/') {
        snprintf(buf, size, "%s", name);
        return;
    }
    fd_path(dirfd, dir, sizeof(dir));
    snprintf(buf, size, "%s/%s", dir, name != NULL ? name : "");
}

static void log_line(const char *call, const char *a, const char *b, int rc)
{
    const char *log = getenv("PS_SHIM_LOG");
    char line[4 * PATH_MAX + 64];
    int saved = errno;
    if (log == NULL || log[0] == '\0')
        return;
    int n = b != NULL
                ? snprintf(line, sizeof(line), "%s %s %s %d\n", call, a, b, rc)
                : snprintf(line, sizeof(line), "%s %s %d\n", call, a, rc);
    if (n > 0 && (size_t)n < sizeof(line)) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            ssize_t w = write(fd, line, (size_t)n);
            (void)w;
            close(fd);
        }
    }
    errno = saved;
}

typedef int sync_fn(int);
typedef int rename_fn(const char *, const char *);
typedef int renameat_fn(int, const char *, int, const char *);
typedef int renameat2_fn(int, const char *, int, const char *, unsigned int);
typedef int linkat_fn(int, const char *, int, const char *, int);

/* The real function `name`, looked up once (copied out of dlsym's
 * void * with memcpy: ISO C has no cast from object to function pointer). */
#define REAL(type, name)                                                       \
    static type *real_##name;                                                  \
    if (real_##name == NULL) {                                                 \
        void *sym = dlsym(RTLD_NEXT, #name);                                   \
        memcpy(&real_##name, &sym, sizeof(sym));                               \
    }                                                                          \
    if (real_##name == NULL) {                                                 \
        errno = ENOSYS;                                                        \
        return -1;                                                             \
    }

int fsync(int fd)
{
    char p[PATH_MAX];
    REAL(sync_fn, fsync);
    fd_path(fd, p, sizeof(p)); /* before: the name it has while synced */
    int rc = real_fsync(fd);
    log_line("fsync", p, NULL, rc);
    return rc;
}

int fdatasync(int fd)
{
    char p[PATH_MAX];
    REAL(sync_fn, fdatasync);
    fd_path(fd, p, sizeof(p));
    int rc = real_fdatasync(fd);
    log_line("fdatasync", p, NULL, rc);
    return rc;
}

int rename(const char *oldpath, const char *newpath)
{
    char a[2 * PATH_MAX], b[2 * PATH_MAX];
    REAL(rename_fn, rename);
    at_path(AT_FDCWD, oldpath, a, sizeof(a));
    at_path(AT_FDCWD, newpath, b, sizeof(b));
    int rc = real_rename(oldpath, newpath);
    log_line("rename", a, b, rc);
    return rc;
}

int renameat(int olddirfd, const char *oldpath, int newdirfd,
             const char *newpath)
{
    char a[2 * PATH_MAX], b[2 * PATH_MAX];
    REAL(renameat_fn, renameat);
    at_path(olddirfd, oldpath, a, sizeof(a));
    at_path(newdirfd, newpath, b, sizeof(b));
    int rc = real_renameat(olddirfd, oldpath, newdirfd, newpath);
    log_line("renameat", a, b, rc);
    return rc;
}

int renameat2(int olddirfd, const char *oldpath, int newdirfd,
              const char *newpath, unsigned int flags)
{
    char a[2 * PATH_MAX], b[2 * PATH_MAX];
    REAL(renameat2_fn, renameat2);
    at_path(olddirfd, oldpath, a, sizeof(a));
    at_path(newdirfd, newpath, b, sizeof(b));
    int rc = real_renameat2(olddirfd, oldpath, newdirfd, newpath, flags);
    log_line("renameat2", a, b, rc);
    return rc;
}

int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
           int flags)
{
    char a[2 * PATH_MAX], b[2 * PATH_MAX];
    REAL(linkat_fn, linkat);
    at_path(olddirfd, oldpath, a, sizeof(a));
    at_path(newdirfd, newpath, b, sizeof(b));
    int rc = real_linkat(olddirfd, oldpath, newdirfd, newpath, flags);
    log_line("linkat", a, b, rc);
    return rc;
}
