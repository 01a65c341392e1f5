/*
 * channel.c -- the provider channel: folders, claim with the source
 * sidecar, the per-folder stability watches and the kind check (see
 * channel.h).  Uses base/ and intake/spool.h only.
 *
 * How it fails: system call failures are PS_EIO with errno; a file taken
 * elsewhere is PS_ENOTFOUND (CLAIMED_ELSEWHERE).  A refused document is
 * not an error here but an answer (ps_channel_refuse returns 1).
 */
#include "intake/channel.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"

#define PATH_SIZE 4096

unsigned ps_channel_kind(const char *kind)
{
    static const char *const answers[] = {"txn.status", "ach.return",
                                          "ach.noc", "linx.answer"};
    if (kind == NULL)
        return 0;
    for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
        if (strcmp(kind, answers[i]) == 0)
            return PS_CHANNEL_ANSWER;
    return PS_CHANNEL_OTHER;
}

int ps_channel_refuse(const char *provider, unsigned kinds, const char *docname,
                      struct ps_err *why)
{
    if (provider == NULL && (kinds & PS_CHANNEL_ANSWER)) {
        ps_err_set(why, PS_EINVAL, "ANSWER_NOT_FROM_PROVIDER",
                   "provider answers (settlements, returns, notifications "
                   "of change) are taken only from a provider's folder "
                   "(providers/<provider>/inbound/<business>/), never from "
                   "the business's inbound; nothing applied");
    } else if (provider != NULL && (kinds & PS_CHANNEL_OTHER)) {
        ps_err_set(why, PS_EINVAL, "NOT_A_PROVIDER_ANSWER",
                   "provider %s's folder takes provider answers only "
                   "(status files, returns, notifications of change); "
                   "nothing applied",
                   provider);
    } else {
        return 0;
    }
    ps_err_at(why, docname, 0, -1);
    return 1;
}

int ps_channel_folder(char *out, size_t size, const char *spool,
                      const char *provider, const char *business,
                      struct ps_err *err)
{
    if (ps_pathf(out, size, "%s/providers/%s/inbound/%s", spool, provider,
                 business) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
    return 0;
}

static int one_dir(const char *spool, const char *provider,
                   const char *business, struct ps_err *err)
{
    char dir[PATH_SIZE];
    int rc =
        ps_channel_folder(dir, sizeof(dir), spool, provider, business, err);
    return rc != 0 ? rc : ps_mkdir_p(dir, 0750, err);
}

int ps_channel_dirs(const char *spool, const struct ps_spool_config *cfg,
                    const char *business, struct ps_err *err)
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < cfg->nproviders; i++)
        if (ps_spool_config_bound(cfg, cfg->providers[i].name, business))
            rc = one_dir(spool, cfg->providers[i].name, business, err);
    if (rc == 0 && cfg->sandbox)
        rc = one_dir(spool, PS_SANDBOX_PROVIDER, business, err);
    return rc;
}

/* work/<business>/.NAME.source for work/<business>/NAME. */
static int sidecar_of(const char *work_path, char *out, size_t size)
{
    const char *slash = strrchr(work_path, '/');
    if (slash == NULL)
        return ps_pathf(out, size, ".%s.source", work_path);
    return ps_pathf(out, size, "%.*s/.%s.source", (int)(slash - work_path),
                    work_path, slash + 1);
}

/* Write the sidecar, O_EXCL: 0, or -1 with errno. */
static int sidecar_write(const char *path, const char *provider,
                         const struct stat *st)
{
    char buf[256];
    int n = snprintf(buf, sizeof(buf),
                     "provider=%s\ndev=%" PRIu64 "\nino=%" PRIu64 "\n",
                     provider, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
    int fd =
        open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    if (n < 0 || (size_t)n >= sizeof(buf) ||
        write(fd, buf, (size_t)n) != (ssize_t)n || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(path);
        errno = e != 0 ? e : EIO;
        return -1;
    }
    return close(fd);
}

/* Long (about 60 lines): the claim's steps in their crash-safe order
 * (sidecar, rename, marker) with the undo of each failure. */
int ps_channel_claim(const char *spool, const char *provider,
                     const char *business, const char *name, char *path,
                     size_t size, struct ps_err *err)
{
    char from[PATH_SIZE], dir[PATH_SIZE], to[PATH_SIZE], side[PATH_SIZE];
    char marker[PATH_SIZE], to_marker[PATH_SIZE], safe[PATH_SIZE];
    struct stat st, wst;
    int rc;
    ps_spool_work_name(name, safe, sizeof(safe));
    if (ps_channel_folder(dir, sizeof(dir), spool, provider, business, err) !=
            0 ||
        ps_pathf(from, sizeof(from), "%s/%s", dir, name) != 0 ||
        ps_pathf(dir, sizeof(dir), "%s/work/%s", spool, business) != 0 ||
        ps_pathf(to, sizeof(to), "%s/%s", dir, safe) != 0 ||
        sidecar_of(to, side, sizeof(side)) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
    if ((rc = ps_mkdir_p(dir, 0750, err)) != 0)
        return rc;
    if (lstat(from, &st) != 0)
        return errno == ENOENT
                   ? ps_err_set(err, PS_ENOTFOUND, "CLAIMED_ELSEWHERE",
                                "%s is gone (taken by another worker)", from)
                   : ps_err_sys(err, errno, "cannot stat %s", from);
    if (lstat(to, &wst) == 0)
        /* work/ still holds an input of this name (a crash's leftover,
         * resumed first): this one waits for a later pass. */
        return ps_err_set(err, PS_ENOTFOUND, "CLAIMED_ELSEWHERE",
                          "%s waits: work/ holds an input of that name", from);
    /* No input of this name in work/: a sidecar there is a crash's
     * leftover from before its rename, and stale. */
    (void)unlink(side);
    if (sidecar_write(side, provider, &st) != 0)
        return ps_err_sys(err, errno, "cannot write %s", side);
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) != 0 &&
        !((errno == EINVAL || errno == ENOSYS) && link(from, to) == 0 &&
          unlink(from) == 0)) {
        int e = errno;
        (void)unlink(side);
        if (e == ENOENT || e == EEXIST)
            return ps_err_set(err, PS_ENOTFOUND, "CLAIMED_ELSEWHERE",
                              "%s is gone (taken by another worker)", from);
        return ps_err_sys(err, e, "cannot move %s to %s", from, to);
    }
    /* payspool owns a claimed file, as ps_spool_claim() says: no write
     * bits from now on (best effort). */
    (void)chmod(to, 0440);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    if (ps_pathf(marker, sizeof(marker), "%s.done", from) == 0 &&
        ps_pathf(to_marker, sizeof(to_marker), "%s.done", to) == 0)
        (void)renameat2(AT_FDCWD, marker, AT_FDCWD, to_marker,
                        RENAME_NOREPLACE);
    ps_strlcpy(path, to, size);
    return 0;
}

const char *ps_channel_source(const struct ps_spool_config *cfg,
                              const char *business, const char *work_path,
                              char *provider, size_t size)
{
    char side[PATH_SIZE], buf[256], name[PS_PROVIDER_NAME_MAX + 1];
    unsigned long long dev = 0, ino = 0;
    struct stat st;
    ssize_t n;
    int fd;
    if (sidecar_of(work_path, side, sizeof(side)) != 0 ||
        lstat(work_path, &st) != 0)
        return NULL;
    fd = open(side, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    if (sscanf(buf, "provider=%64[a-z0-9_-]\ndev=%llu\nino=%llu", name, &dev,
               &ino) != 3 ||
        dev != (unsigned long long)st.st_dev ||
        ino != (unsigned long long)st.st_ino ||
        !ps_spool_config_bound(cfg, name, business))
        return NULL; /* not this file's (or unbound): no provider trust */
    ps_strlcpy(provider, name, size);
    return provider;
}

int ps_channel_scan(const char *spool, const struct ps_spool_config *cfg,
                    const char *business, struct ps_channel_watches **set,
                    int (*scan)(void *ctx, const char *provider,
                                const char *dir, struct ps_spool_watch *w,
                                struct ps_err *err),
                    void *ctx, struct ps_err *err)
{
    int pending = 0;
    for (int i = -1; i < cfg->nproviders; i++) {
        const char *pn = i < 0 ? PS_SANDBOX_PROVIDER : cfg->providers[i].name;
        char dir[PATH_SIZE];
        struct ps_spool_watch *w;
        int rc;
        if (!ps_spool_config_bound(cfg, pn, business))
            continue;
        if ((w = ps_channel_watch(set, pn, business)) == NULL)
            return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        /* Made if missing (a binding added since init, a job run before
         * any engine start): the provider can upload from now on. */
        if ((rc = ps_channel_folder(dir, sizeof(dir), spool, pn, business,
                                    err)) != 0 ||
            (access(dir, F_OK) != 0 &&
             (rc = ps_mkdir_p(dir, 0750, err)) != 0) ||
            (rc = scan(ctx, pn, dir, w, err)) < 0)
            return rc;
        pending += rc;
    }
    return pending;
}

void ps_channel_forget(const char *work_path)
{
    char side[PATH_SIZE];
    struct stat st;
    if (lstat(work_path, &st) == 0 && !S_ISDIR(st.st_mode))
        return; /* still in work/: it resumes with its source */
    if (sidecar_of(work_path, side, sizeof(side)) == 0)
        (void)unlink(side);
}

/* ---- one stability watch per provider folder ------------------------ */

struct ps_channel_watches {
    struct ps_channel_watches *next;
    struct ps_spool_watch *watch;
    char provider[PS_PROVIDER_NAME_MAX + 1];
    char business[PS_PROVIDER_NAME_MAX + 1];
};

struct ps_spool_watch *ps_channel_watch(struct ps_channel_watches **set,
                                        const char *provider,
                                        const char *business)
{
    struct ps_channel_watches *w;
    for (w = *set; w != NULL; w = w->next)
        if (strcmp(w->provider, provider) == 0 &&
            strcmp(w->business, business) == 0)
            return w->watch;
    if ((w = calloc(1, sizeof(*w))) == NULL)
        return NULL;
    if ((w->watch = ps_spool_watch_new()) == NULL) {
        free(w);
        return NULL;
    }
    ps_strlcpy(w->provider, provider, sizeof(w->provider));
    ps_strlcpy(w->business, business, sizeof(w->business));
    w->next = *set;
    *set = w;
    return w->watch;
}

void ps_channel_watches_free(struct ps_channel_watches *set)
{
    while (set != NULL) {
        struct ps_channel_watches *next = set->next;
        ps_spool_watch_free(set->watch);
        free(set);
        set = next;
    }
}
