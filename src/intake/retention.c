/*
 * retention.c -- `payspool archive prune`: the archive's date folders
 * past retention removed, what payspool wrote there only (retention.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/clock.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "intake/retention.h"
#include "intake/seal.h"

#define PRUNE_PATH 4096

struct prune {
    int64_t cutoff; /* days since the epoch: folders before it go */
    int dry_run;
    ps_prune_fn fn;
    void *ctx;
    struct ps_prune_stats *st;
    struct ps_err *err;
    int failed; /* the first error is in err */
};

static void prune_fail(struct prune *p, int sys_errno, const char *what,
                       const char *path)
{
    if (!p->failed)
        (void)ps_err_sys(p->err, sys_errno, "%s %s", what, path);
    p->failed = 1;
    ps_log(PS_LOG_ERROR, "archive.prune_failed", "{s:s, s:s}", "path", path,
           "error", strerror(sys_errno));
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The archived input a name belongs to: its length without .sha256 or
 * .done, when the rest is an archive payspool writes; else 0. */
static size_t archive_base(const char *name)
{
    size_t n = strlen(name);
    if (ends_with(name, ".sha256"))
        n -= strlen(".sha256");
    else if (ends_with(name, ".done"))
        n -= strlen(".done");
    char base[NAME_MAX + 1];
    if (n == 0 || n > NAME_MAX)
        return 0;
    memcpy(base, name, n);
    base[n] = '\0';
    return ends_with(base, PS_SEAL_SUFFIX) || ends_with(base, ".gz") ? n : 0;
}

static void fsync_dir(struct prune *p, const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0)
        prune_fail(p, errno, "cannot sync the folder", dir);
    if (fd >= 0)
        close(fd);
}

/* Remove the folder when it is empty; 1 when it is gone. */
static int drop_if_empty(struct prune *p, const char *dir, const char *parent)
{
    if (p->dry_run)
        return 0;
    if (rmdir(dir) != 0) {
        if (errno != ENOTEMPTY && errno != EEXIST)
            prune_fail(p, errno, "cannot remove the folder", dir);
        return 0;
    }
    p->st->folders++;
    fsync_dir(p, parent);
    return 1;
}

/* One business folder of a date past retention. */
static void prune_business(struct prune *p, const char *dir)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0) {
        prune_fail(p, errno, "cannot read", dir);
        return;
    }
    int removed = 0;
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        char path[PRUNE_PATH];
        struct stat st;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
            ps_pathf(path, sizeof(path), "%s/%s", dir, name) != 0)
            goto next;
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
            archive_base(name) == 0) {
            p->st->kept++;
            ps_log(PS_LOG_WARN, "archive.prune_kept", "{s:s, s:s}", "path",
                   path, "reason", "not an archive payspool writes");
            goto next;
        }
        if (!p->dry_run && unlink(path) != 0) {
            prune_fail(p, errno, "cannot remove", path);
            goto next;
        }
        removed = 1;
        p->st->bytes += st.st_size;
        /* The input itself, once: its .sha256 and .done go with it. */
        if (strlen(name) == archive_base(name)) {
            p->st->files++;
            ps_log(PS_LOG_INFO, "archive.pruned", "{s:s, s:I, s:b}", "path",
                   path, "bytes", (json_int_t)st.st_size, "dryRun",
                   p->dry_run);
            if (p->fn != NULL)
                p->fn(p->ctx, path, st.st_size);
        }
    next:
        free(ents[i]);
    }
    free(ents);
    if (removed && !p->dry_run)
        fsync_dir(p, dir);
}

/* The digits of a date part: "2026" (width 4) or "07" (width 2); -1. */
static int date_part(const char *s, size_t width)
{
    int v = 0;
    if (strlen(s) != width)
        return -1;
    for (size_t i = 0; i < width; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/*
 * Walk archive/ (level 0), YYYY (1), MM (2), DD (3): a date folder past
 * retention has each business folder pruned, then goes if empty.  ymd
 * holds the parts read so far.
 */
static void walk(struct prune *p, const char *dir, int level, int ymd[3])
{
    static const size_t width[3] = {4, 2, 2};
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0) {
        if (level > 0 || errno != ENOENT)
            prune_fail(p, errno, "cannot read", dir);
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        char path[PRUNE_PATH];
        struct stat st;
        int v;
        if (name[0] == '.' ||
            ps_pathf(path, sizeof(path), "%s/%s", dir, name) != 0 ||
            lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            goto next;
        if (level == 3) { /* a business folder of a date past retention */
            prune_business(p, path);
            (void)drop_if_empty(p, path, dir);
            goto next;
        }
        if ((v = date_part(name, width[level])) < 0)
            goto next; /* not a date: not ours to judge */
        ymd[level] = v;
        if (level == 2) {
            if (ymd[1] < 1 || ymd[1] > 12 || v < 1 ||
                v > ps_date_days_in_month(ymd[0], ymd[1]) ||
                ps_date_from_civil(ymd[0], ymd[1], v) >= p->cutoff)
                goto next;
        }
        walk(p, path, level + 1, ymd);
        /* A year or month folder goes only when its last day is past
         * retention too: today's archiving may be creating it. */
        if (level == 2 ||
            (level == 1 && v >= 1 && v <= 12 &&
             ps_date_from_civil(ymd[0], v, ps_date_days_in_month(ymd[0], v)) <
                 p->cutoff) ||
            (level == 0 && ps_date_from_civil(v, 12, 31) < p->cutoff))
            (void)drop_if_empty(p, path, dir);
    next:
        free(ents[i]);
    }
    free(ents);
}

int ps_archive_prune(const char *spool, int days, int dry_run, ps_prune_fn fn,
                     void *ctx, struct ps_prune_stats *st, struct ps_err *err)
{
    char dir[PRUNE_PATH];
    int ymd[3] = {0, 0, 0};
    memset(st, 0, sizeof(*st));
    if (days < 1)
        return ps_err_set(err, PS_EINVAL, "RETENTION_NOT_SET",
                          "the retention is %d days; it must be 1 or more",
                          days);
    if (ps_pathf(dir, sizeof(dir), "%s/archive", spool) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG",
                          "the spool's path is too long");
    int64_t today = ps_clock_now_ms() / 86400000;
    struct prune p = {today - days, dry_run, fn, ctx, st, err, 0};
    walk(&p, dir, 0, ymd);
    return p.failed ? PS_EIO : 0;
}
