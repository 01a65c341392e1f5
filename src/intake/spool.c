/*
 * spool.c -- scan, stability, claim, archive and quarantine (Postfix's
 * queue-manager habits: folders are queues, a rename is a claim, nothing
 * is deleted, bad input is moved aside with its reason).
 *
 * How it fails: system call failures are PS_EIO with errno; a file taken
 * by another worker is PS_ENOTFOUND (rule CLAIMED_ELSEWHERE).  The
 * configuration file is spoolconf.c's.
 */
#include "intake/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/crypto.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/output.h"
#include "intake/seal.h"

#define PATH_SIZE 4096

/* ---- helpers -------------------------------------------------------- */

static int too_long(struct ps_err *err)
{
    return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
}

int ps_spool_business_dirs(const char *spool, const char *business,
                           struct ps_err *err)
{
    static const char *const sub[][2] = {
        {"inbound", ""},          {"work", ""},
        {"failed", ""},           {"outbound", "/results"},
        {"outbound", "/payouts"}, {"outbound", "/recon"},
        {"outbound", "/exports"}, {"outbound", "/outbox"}};
    for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
        char path[PATH_SIZE];
        int rc;
        if (ps_pathf(path, sizeof(path), "%s/%s/%s%s", spool, sub[i][0],
                     business, sub[i][1]) != 0)
            return too_long(err);
        if ((rc = ps_mkdir_p(path, 0750, err)) != 0)
            return rc;
    }
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Names that are never inputs: uploads in progress, our own markers. */
static int ignored_name(const char *name)
{
    static const char *const suffixes[] = {".part",   ".tmp",    ".filepart",
                                           ".done",   ".sha256", ".reason",
                                           ".partial"};
    if (name[0] == '.')
        return 1;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
        if (ends_with(name, suffixes[i]))
            return 1;
    return 0;
}

/* fsync a folder so a rename into it survives a power cut. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/*
 * rename(2) without overwriting: renameat2(RENAME_NOREPLACE), falling back
 * to link + unlink on file systems without it.  A taken name gets ".1",
 * ".2", ... before any extension-less end.  *final receives the name used.
 */
static int move_noclobber(const char *from, const char *dir, const char *name,
                          char *final, size_t size, struct ps_err *err)
{
    for (int i = 0; i < 1000; i++) {
        char to[PATH_SIZE];
        int r = i == 0 ? ps_pathf(to, sizeof(to), "%s/%s", dir, name)
                       : ps_pathf(to, sizeof(to), "%s/%s.%d", dir, name, i);
        if (r != 0)
            return too_long(err);
        if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0 ||
            ((errno == EINVAL || errno == ENOSYS) && link(from, to) == 0 &&
             unlink(from) == 0)) {
            ps_strlcpy(final, to, size);
            sync_dir(dir);
            return 0;
        }
        if (errno == ENOENT)
            return ps_err_set(err, PS_ENOTFOUND, "CLAIMED_ELSEWHERE",
                              "%s is gone (taken by another worker)", from);
        if (errno != EEXIST)
            return ps_err_sys(err, errno, "cannot move %s to %s", from, to);
    }
    return ps_err_set(err, PS_EIO, "NAME_EXHAUSTED",
                      "no free name for %s in %s", name, dir);
}

/* ---- stability watch ------------------------------------------------ */

/*
 * One watch serves every folder a pass scans (each business's inbound,
 * and any other): an entry is keyed by (folder, name), and a scan forgets
 * only the files of the folder it scanned.  Keyed by name alone, the scan
 * of a second business forgot the first's files, and with two businesses
 * no file without a .done marker ever became stable (issue 18).
 */
struct seen {
    char name[256];
    size_t folder;    /* index into ps_spool_watch.folders */
    int64_t size;
    int64_t mtime_ns;
    int64_t since_ms; /* when this (size, mtime) was first observed */
    int64_t scan;     /* last scan that saw it */
};

struct ps_spool_watch {
    struct seen *v;
    size_t n, cap;
    int64_t scan;
    char **folders; /* the folders scanned so far, never forgotten */
    size_t nfolders;
};

struct ps_spool_watch *ps_spool_watch_new(void)
{
    return calloc(1, sizeof(struct ps_spool_watch));
}

void ps_spool_watch_free(struct ps_spool_watch *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->nfolders; i++)
        free(w->folders[i]);
    free(w->folders);
    free(w->v);
    free(w);
}

/* The index of folder `dir` in the watch, added if new; -1 out of memory. */
static long watch_folder(struct ps_spool_watch *w, const char *dir)
{
    for (size_t i = 0; i < w->nfolders; i++)
        if (strcmp(w->folders[i], dir) == 0)
            return (long)i;
    char **v = realloc(w->folders, (w->nfolders + 1) * sizeof(*v));
    if (v == NULL)
        return -1;
    w->folders = v;
    if ((v[w->nfolders] = strdup(dir)) == NULL)
        return -1;
    return (long)w->nfolders++;
}

/* Record an observation; returns how long it has looked like this. */
static int64_t observe(struct ps_spool_watch *w, size_t folder,
                       const char *name, int64_t size, int64_t mtime_ns,
                       int64_t now_ms)
{
    for (size_t i = 0; i < w->n; i++) {
        struct seen *s = &w->v[i];
        if (s->folder != folder || strcmp(s->name, name) != 0)
            continue;
        s->scan = w->scan;
        if (s->size != size || s->mtime_ns != mtime_ns) {
            s->size = size;
            s->mtime_ns = mtime_ns;
            s->since_ms = now_ms;
        }
        return now_ms - s->since_ms;
    }
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 32;
        struct seen *v = realloc(w->v, cap * sizeof(*v));
        if (v == NULL)
            return -1;
        w->v = v;
        w->cap = cap;
    }
    struct seen *s = &w->v[w->n++];
    ps_strlcpy(s->name, name, sizeof(s->name));
    s->folder = folder;
    s->size = size;
    s->mtime_ns = mtime_ns;
    s->since_ms = now_ms;
    s->scan = w->scan;
    return 0;
}

/* Forget the files of `folder` that its latest scan did not see. */
static void forget_gone(struct ps_spool_watch *w, size_t folder)
{
    size_t j = 0;
    for (size_t i = 0; i < w->n; i++)
        if (w->v[i].folder != folder || w->v[i].scan == w->scan)
            w->v[j++] = w->v[i];
    w->n = j;
}

/* ---- scan and claim ------------------------------------------------- */

struct cand {
    struct ps_spool_entry e;
    int64_t mtime_ns;
};

/* Append a file to a growable candidate list. */
static int cand_push(struct cand **c, size_t *n, size_t *cap, const char *name,
                     int64_t size, int64_t mtime_ns, struct ps_err *err)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 32;
        struct cand *v = realloc(*c, ncap * sizeof(*v));
        if (v == NULL)
            return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        *c = v;
        *cap = ncap;
    }
    ps_strlcpy((*c)[*n].e.name, name, sizeof((*c)[*n].e.name));
    (*c)[*n].e.size = size;
    (*c)[*n].mtime_ns = mtime_ns;
    (*n)++;
    return 0;
}

static int by_mtime(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->mtime_ns != y->mtime_ns)
        return x->mtime_ns < y->mtime_ns ? -1 : 1;
    return strcmp(x->e.name, y->e.name);
}

/* Does the name hold a control character (a newline, a tab, DEL...)?
 * Such a name cannot be written into our line-based outputs, logs and
 * result files as it is, and a pass once failed on it forever. */
static int control_name(const char *name)
{
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return 1;
    return 0;
}

/*
 * Move inbound entry `name` to failed/ with `why` (a refusal found by the
 * scan: not a regular file, a bad name).  `safe` is the name it gets
 * there (its own name when NULL).
 */
static void quarantine_entry(const char *spool, const char *business,
                             const char *dir, const char *name,
                             const char *safe, struct ps_err *why)
{
    char path[PATH_SIZE], like[PATH_SIZE], out[PATH_SIZE];
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_pathf(path, sizeof(path), "%s/%s", dir, name) != 0 ||
        ps_pathf(like, sizeof(like), "%s/%s", dir,
                 safe != NULL ? safe : name) != 0 ||
        ps_spool_quarantine_name(spool, business, like, NULL, out,
                                 sizeof(out), &err) != 0 ||
        ps_spool_quarantine_move(path, out, why, &err) != 0)
        ps_log_err(PS_LOG_ERROR, "spool.quarantine_failed", &err, "{s:s, s:s}",
                   "business", business, "file", safe != NULL ? safe : name);
    else
        ps_log_err(PS_LOG_WARN, "spool.refused", why, "{s:s, s:s}", "business",
                   business, "moved_to", out);
}

static void refuse_not_regular(const char *spool, const char *business,
                               const char *dir, const char *name,
                               const char *what)
{
    struct ps_err why;
    /* Cleared first: ps_err_set() leaves line and field as they were, and
     * the .reason printed them from uninitialised stack (issue 18). */
    ps_err_clear(&why);
    ps_err_set(&why, PS_EINVAL, "NOT_REGULAR_FILE",
               "%s is a %s, not a regular file: refused", name, what);
    ps_err_at(&why, name, 0, -1);
    quarantine_entry(spool, business, dir, name, NULL, &why);
}

/* A complete file whose name has control characters: to failed/ under
 * the name with each of them replaced by '_', never applied. */
static void refuse_bad_name(const char *spool, const char *business,
                            const char *dir, const char *name)
{
    char safe[256];
    struct ps_err why;
    ps_strlcpy(safe, name, sizeof(safe));
    for (char *c = safe; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '_';
    ps_err_clear(&why);
    ps_err_set(&why, PS_EINVAL, "BAD_FILE_NAME",
               "the file name holds control characters (shown here as '_'): "
               "%s; refused, nothing applied",
               safe);
    ps_err_at(&why, safe, 0, -1);
    quarantine_entry(spool, business, dir, name, safe, &why);
}

int ps_spool_scan(const char *spool, const char *business,
                  const struct ps_spool_config *cfg,
                  struct ps_spool_watch *watch, int64_t now_ms,
                  int (*cb)(void *ctx, const struct ps_spool_entry *e),
                  void *ctx, struct ps_err *err)
{
    char dir[PATH_SIZE];
    if (ps_pathf(dir, sizeof(dir), "%s/inbound/%s", spool, business) != 0)
        return too_long(err);
    return ps_spool_scan_dir(spool, business, dir, cfg, watch, now_ms, cb, ctx,
                             err);
}

int ps_spool_scan_dir(const char *spool, const char *business, const char *dir,
                      const struct ps_spool_config *cfg,
                      struct ps_spool_watch *watch, int64_t now_ms,
                      int (*cb)(void *ctx, const struct ps_spool_entry *e),
                      void *ctx, struct ps_err *err)
{
    struct cand *c = NULL;
    size_t n = 0, cap = 0;
    int pending = 0, rc = 0;
    long folder;
    DIR *d;
    struct dirent *de;

    if ((d = opendir(dir)) == NULL) {
        if (errno == ENOENT)
            return 0;
        return ps_err_sys(err, errno, "cannot read %s", dir);
    }
    if ((folder = watch_folder(watch, dir)) < 0) {
        closedir(d);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    watch->scan++;
    while ((de = readdir(d)) != NULL) {
        struct stat st, mk;
        char marker[300];
        if (ignored_name(de->d_name))
            continue;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue; /* gone meanwhile */
        if (S_ISDIR(st.st_mode))
            continue;
        if (!S_ISREG(st.st_mode)) {
            refuse_not_regular(spool, business, dir, de->d_name,
                               S_ISLNK(st.st_mode) ? "symbolic link"
                                                   : "special file");
            continue;
        }
        int64_t mtime_ns =
            (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        int64_t stable =
            observe(watch, (size_t)folder, de->d_name, (int64_t)st.st_size,
                    mtime_ns, now_ms);
        /* A marker counts only if it is not older than the data: a stale
         * one left from an earlier upload of the same name must not let a
         * half-written file through. */
        int done_marker =
            ps_pathf(marker, sizeof(marker), "%s.done", de->d_name) == 0 &&
            fstatat(dirfd(d), marker, &mk, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(mk.st_mode) &&
            (mk.st_mtim.tv_sec > st.st_mtim.tv_sec ||
             (mk.st_mtim.tv_sec == st.st_mtim.tv_sec &&
              mk.st_mtim.tv_nsec >= st.st_mtim.tv_nsec));
        int old_enough =
            now_ms - mtime_ns / 1000000 >= (int64_t)cfg->min_age_seconds * 1000;
        if (!done_marker &&
            !(old_enough && stable >= (int64_t)cfg->stable_seconds * 1000)) {
            pending++;
            continue;
        }
        if (control_name(de->d_name)) {
            refuse_bad_name(spool, business, dir, de->d_name);
            continue;
        }
        if ((rc = cand_push(&c, &n, &cap, de->d_name, (int64_t)st.st_size,
                            mtime_ns, err)) != 0)
            goto out;
    }
    forget_gone(watch, (size_t)folder);
    if (n > 1)
        qsort(c, n, sizeof(*c), by_mtime);
    for (size_t i = 0; i < n; i++)
        if (cb(ctx, &c[i].e) != 0)
            break;
out:
    closedir(d);
    free(c);
    return rc != 0 ? rc : pending;
}

void ps_spool_work_name(const char *name, char *out, size_t size)
{
    ps_strlcpy(out, name, size);
    ps_redact_pans(out);
}

int ps_spool_claim(const char *spool, const char *business, const char *name,
                   char *path, size_t size, struct ps_err *err)
{
    char from[PATH_SIZE], dir[PATH_SIZE], marker[PATH_SIZE],
        to_marker[PATH_SIZE], safe[PATH_SIZE];
    int rc;
    ps_spool_work_name(name, safe, sizeof(safe));
    if (ps_pathf(from, sizeof(from), "%s/inbound/%s/%s", spool, business,
                 name) != 0 ||
        ps_pathf(dir, sizeof(dir), "%s/work/%s", spool, business) != 0)
        return too_long(err);
    if ((rc = ps_mkdir_p(dir, 0750, err)) != 0)
        return rc;
    if ((rc = move_noclobber(from, dir, safe, path, size, err)) != 0)
        return rc;
    /* payspool owns a claimed file: no write bits from now on (best
     * effort, only the owner may; each pass reads a private copy anyway,
     * intake/snapshot.h). */
    (void)chmod(path, 0440);
    /* The marker follows; it is only a marker, so losing the race for it
     * does not matter. */
    if (ps_pathf(marker, sizeof(marker), "%s.done", from) == 0 &&
        ps_pathf(to_marker, sizeof(to_marker), "%s.done", path) == 0)
        (void)renameat2(AT_FDCWD, marker, AT_FDCWD, to_marker,
                        RENAME_NOREPLACE);
    return 0;
}

/* A claim moves the data file, then its marker: a crash between the two
 * leaves NAME.done in inbound/ with no NAME beside it.  The leftover in
 * work/ takes its marker back when its work name is the inbound name (a
 * name with a card number in it was redacted, and a suffixed one was not
 * the first of its name: their markers stay).  A NAME back in inbound/
 * is a new upload, and the marker is its own. */
static void reclaim_marker(const char *spool, const char *business,
                           const char *dir, const char *name)
{
    char in[PATH_SIZE], marker[PATH_SIZE], to[PATH_SIZE];
    struct stat st;
    if (ps_pathf(in, sizeof(in), "%s/inbound/%s/%s", spool, business, name) !=
            0 ||
        ps_pathf(marker, sizeof(marker), "%s.done", in) != 0 ||
        ps_pathf(to, sizeof(to), "%s/%s.done", dir, name) != 0)
        return;
    if (lstat(in, &st) == 0 || errno != ENOENT)
        return;
    (void)renameat2(AT_FDCWD, marker, AT_FDCWD, to, RENAME_NOREPLACE);
}

int ps_spool_leftovers(const char *spool, const char *business,
                       int (*cb)(void *ctx, const char *path), void *ctx,
                       struct ps_err *err)
{
    char dir[PATH_SIZE];
    struct cand *c = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    DIR *d;
    struct dirent *de;
    if (ps_pathf(dir, sizeof(dir), "%s/work/%s", spool, business) != 0)
        return too_long(err);
    if ((d = opendir(dir)) == NULL)
        return errno == ENOENT ? 0
                               : ps_err_sys(err, errno, "cannot read %s", dir);
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (ignored_name(de->d_name) ||
            fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode))
            continue;
        if ((rc = cand_push(&c, &n, &cap, de->d_name, (int64_t)st.st_size,
                            (int64_t)st.st_mtim.tv_sec * 1000000000 +
                                st.st_mtim.tv_nsec,
                            err)) != 0)
            goto out;
    }
    if (n > 1)
        qsort(c, n, sizeof(*c), by_mtime);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char path[PATH_SIZE];
        if (ps_pathf(path, sizeof(path), "%s/%s", dir, c[i].e.name) != 0)
            continue;
        reclaim_marker(spool, business, dir, c[i].e.name);
        rc = cb(ctx, path);
    }
out:
    closedir(d);
    free(c);
    return rc;
}

/* ---- archive and quarantine ----------------------------------------- */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s != NULL ? s + 1 : path;
}

/* The archive's folder (made) and name of an input. */
static int archive_place(const char *spool, const char *business,
                         const char *work_path, const char *sha256,
                         const char *date, char dir[PATH_SIZE],
                         char name[400], struct ps_err *err)
{
    char masked[256];
    int rc;
    int64_t days;
    /* The archive's name shows no card number (the name inside does). */
    ps_strlcpy(masked, base_name(work_path), sizeof(masked));
    ps_redact_pans(masked);
    if ((rc = ps_date_parse(date, &days, err)) != 0)
        return rc;
    if (ps_pathf(dir, PATH_SIZE, "%s/archive/%.4s/%.2s/%.2s/%s", spool, date,
                 date + 5, date + 8, business) != 0 ||
        ps_pathf(name, 400, "%s.%.12s" PS_SEAL_SUFFIX, masked, sha256) != 0)
        return too_long(err);
    return ps_mkdir_p(dir, 0750, err);
}

struct ps_spool_sealing {
    struct ps_seal_job *job;
    char dir[PATH_SIZE], name[400];
};

int ps_spool_archive_begin(const struct ps_keys *keys, const char *spool,
                           const char *business, const char *work_path,
                           int fd, int64_t size, const char *sha256,
                           const char *date, struct ps_spool_sealing **job,
                           struct ps_err *err)
{
    struct ps_spool_sealing *j = calloc(1, sizeof(*j));
    int rc;
    if (j == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if ((rc = archive_place(spool, business, work_path, sha256, date, j->dir,
                            j->name, err)) != 0 ||
        (rc = ps_seal_begin(keys, fd, size, base_name(work_path), sha256,
                            j->dir, j->name, &j->job, err)) != 0) {
        free(j);
        return rc;
    }
    *job = j;
    return 0;
}

int ps_spool_archive_end(struct ps_spool_sealing *j, char *out, size_t size,
                         struct ps_err *err)
{
    if (j == NULL)
        return 0;
    int rc = ps_seal_end(j->job, out != NULL, err);
    if (rc == PS_ECONFLICT && out != NULL)
        /* NAME appeared meanwhile (output.h): completed as below. */
        rc = ps_output_complete(j->dir, j->name, NULL, err);
    if (rc == 0 && out != NULL && ps_pathf(out, size, "%s/%s", j->dir, j->name) != 0)
        rc = too_long(err);
    free(j);
    return out != NULL ? rc : 0;
}

int ps_spool_archive(const struct ps_keys *keys, const char *spool,
                     const char *business, const char *work_path,
                     const char *sha256, const char *date, char *out,
                     size_t size, struct ps_err *err)
{
    char dir[PATH_SIZE], name[400];
    int fd, rc;
    if ((rc = archive_place(spool, business, work_path, sha256, date, dir, name,
                            err)) != 0)
        return rc;
    if ((fd = open(work_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return ps_err_sys(err, errno, "cannot open %s", work_path);
    rc = ps_seal_write(keys, fd, base_name(work_path), sha256, dir, name, err);
    if (rc == PS_ECONFLICT) {
        /* The same content under the same name was archived before a
         * crash: finish its sidecars if the crash beat them. */
        rc = ps_output_complete(dir, name, NULL, err);
    }
    close(fd);
    if (rc != 0)
        return rc;
    if (out != NULL && ps_pathf(out, size, "%s/%s", dir, name) != 0)
        return too_long(err);
    return 0;
}

int ps_spool_release(const char *work_path, struct ps_err *err)
{
    char marker[PATH_SIZE];
    if (unlink(work_path) != 0 && errno != ENOENT)
        return ps_err_sys(err, errno, "cannot remove %s", work_path);
    if (ps_pathf(marker, sizeof(marker), "%s.done", work_path) == 0)
        (void)unlink(marker);
    return 0;
}

int ps_spool_quarantine_name(const char *spool, const char *business,
                             const char *path, const char *planned, char *out,
                             size_t size, struct ps_err *err)
{
    char dir[PATH_SIZE], short_name[201];
    struct stat st;
    int rc;
    /* A destination chosen before a crash, whose move never happened. */
    if (planned != NULL && planned[0] != '\0' && lstat(planned, &st) != 0) {
        ps_strlcpy(out, planned, size);
        return 0;
    }
    if (ps_pathf(dir, sizeof(dir), "%s/failed/%s", spool, business) != 0)
        return too_long(err);
    if ((rc = ps_mkdir_p(dir, 0750, err)) != 0)
        return rc;
    /* A name too long for its .reason keeps its first 200 bytes. */
    ps_strlcpy(short_name, base_name(path), sizeof(short_name));
    ps_redact_pans(short_name); /* failed/ names show no card number */
    for (int i = 0; i < 1000; i++) {
        char to[PATH_SIZE], side[PATH_SIZE];
        int r = i == 0
                    ? ps_pathf(to, sizeof(to), "%s/%s", dir, short_name)
                    : ps_pathf(to, sizeof(to), "%s/%s.%d", dir, short_name, i);
        if (r != 0 || ps_pathf(side, sizeof(side), "%s.reason", to) != 0)
            return too_long(err);
        /* Both the name and its .reason must be free: an old reason must
         * never seem to describe a new file. */
        if (lstat(to, &st) == 0 || lstat(side, &st) == 0)
            continue;
        ps_strlcpy(out, to, size);
        return 0;
    }
    return ps_err_set(err, PS_EIO, "NAME_EXHAUSTED", "no free name in %s", dir);
}

int ps_spool_quarantine_move(const char *path, const char *target,
                             const struct ps_err *why, struct ps_err *err)
{
    char rdir[PATH_SIZE], rname[400], marker[PATH_SIZE];
    char now[PS_TIME_SIZE], desc[1024], text[4096];
    struct ps_output *o = NULL;
    struct stat st;
    int rc;
    ps_strlcpy(rdir, target, sizeof(rdir));
    if (strrchr(rdir, '/') == NULL)
        return ps_err_set(err, PS_EINVAL, "PATH", "bad target %s", target);
    *strrchr(rdir, '/') = '\0';
    if (ps_pathf(rname, sizeof(rname), "%s.reason", base_name(target)) != 0)
        return too_long(err);
    /* The reason first: once the input is in failed/, it has its reason. */
    rc = ps_output_open(rdir, rname, 0640, &o, err);
    if (rc == PS_ECONFLICT) {
        rc = ps_output_complete(rdir, rname, NULL, err); /* ours, a crash */
    } else if (rc == 0) {
        /* The whole reason passes the redactor (the name is the
         * sender's; the message is masked already, err.c). */
        snprintf(text, sizeof(text),
                 "file: %s\nrule: %s\nmessage: %s\nline: %ld\n"
                 "byte_offset: %lld\nfield: %s\nrejected_at: %s\n"
                 "description: %s\n",
                 base_name(target), why->rule, why->msg, why->line,
                 (long long)(why->offset >= 0 ? why->offset : 0), why->field,
                 ps_time_now(now), ps_err_str(why, desc, sizeof(desc)));
        ps_redact_pans(text);
        rc = ps_output_write(o, text, strlen(text), err);
        if (rc == 0)
            rc = ps_output_commit(o, NULL, err);
        else
            ps_output_abort(o);
    }
    if (rc != 0)
        return rc;
    if (renameat2(AT_FDCWD, path, AT_FDCWD, target, RENAME_NOREPLACE) != 0 &&
        !((errno == EINVAL || errno == ENOSYS) && link(path, target) == 0 &&
          unlink(path) == 0)) {
        if (errno == ENOENT && lstat(target, &st) == 0)
            return 0; /* moved before a crash */
        return ps_err_sys(err, errno, "cannot move %s to %s", path, target);
    }
    sync_dir(rdir);
    if (ps_pathf(marker, sizeof(marker), "%s.done", path) == 0)
        (void)unlink(marker);
    return 0;
}

int ps_spool_quarantine(const char *spool, const char *business,
                        const char *path, const struct ps_err *why, char *out,
                        size_t size, struct ps_err *err)
{
    char target[PATH_SIZE];
    int rc = ps_spool_quarantine_name(spool, business, path, NULL, target,
                                      sizeof(target), err);
    if (rc == 0)
        rc = ps_spool_quarantine_move(path, target, why, err);
    if (rc == 0 && out != NULL)
        ps_strlcpy(out, target, size);
    return rc;
}

int ps_spool_ignored_name(const char *name)
{
    return ignored_name(name);
}

long ps_spool_count_inputs(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    long n = 0;
    if (d == NULL)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char path[4096];
        struct stat st;
        if (e->d_name[0] == '.' ||
            ps_pathf(path, sizeof(path), "%s/%s", dir, e->d_name) != 0 ||
            lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth > 0)
            n += ps_spool_count_inputs(path, depth - 1);
        else if (S_ISREG(st.st_mode) && !ps_spool_ignored_name(e->d_name))
            n++;
    }
    closedir(d);
    return n;
}
