/*
 * snapshot.c -- the private copy of a claimed input that a pass reads
 * (why, and what it costs: snapshot.h).
 *
 * How it fails: system calls are PS_EIO with errno; a file still moving
 * while it is copied is PS_EBUSY (INPUT_CHANGED).
 */
#include "intake/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <unistd.h>

#include <sodium.h>

#include "base/crypto.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/output.h"
#include "intake/spool.h"
#include "base/sha256.h"

#define PATH_SIZE 4096
#define COPY_STEP ((size_t)8 << 20) /* bytes a copy_file_range() call */
#define HASH_BUF ((size_t)1 << 20)

static void dir_of(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        ps_strlcpy(dir, ".", size);
        return;
    }
    size_t n = (size_t)(slash - path);
    if (n >= size)
        n = size - 1;
    memcpy(dir, path, n);
    dir[n] = '\0';
}

static int rehash(struct ps_snapshot *s, struct ps_err *err)
{
    if (lseek(s->fd, 0, SEEK_SET) != 0)
        return ps_err_sys(err, errno, "cannot rewind the private copy");
    return ps_sha256_fd(s->fd, s->sha256, &s->size, err);
}

/*
 * The copy's hash, taken by a second thread as the copy is made: one
 * after the other they took 0.28 + 0.43 s for a 113 MB pain.001 here
 * (copy_file_range, then libsodium's SHA-256 of the copy), side by side
 * the longer of the two.  The thread hashes the copy's bytes, in order,
 * up to what the copy has written (`ready`); the digest is of the copy
 * as it stands when the copy is done, exactly as a read of it after.
 */
struct hasher {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int fd;            /* the copy */
    int64_t ready;     /* bytes of the copy written so far */
    int done, failed;  /* the copy is finished; it failed (stop) */
    int64_t hashed;    /* the thread's */
    int read_errno;    /* a read of the copy failed */
    struct ps_sha256 st;
};

static void hasher_publish(struct hasher *h, int64_t ready, int done,
                           int failed)
{
    if (h == NULL)
        return;
    pthread_mutex_lock(&h->mu);
    h->ready = ready;
    h->done |= done;
    h->failed |= failed;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

static void *hasher_run(void *arg)
{
    struct hasher *h = arg;
    unsigned char *buf = malloc(HASH_BUF);
    for (;;) {
        int64_t ready;
        int done, failed;
        pthread_mutex_lock(&h->mu);
        while (h->hashed == h->ready && !h->done && !h->failed)
            pthread_cond_wait(&h->cv, &h->mu);
        ready = h->ready;
        done = h->done;
        failed = h->failed;
        pthread_mutex_unlock(&h->mu);
        if (failed || buf == NULL)
            break;
        while (h->hashed < ready) {
            size_t want = (uint64_t)(ready - h->hashed) < HASH_BUF
                              ? (size_t)(ready - h->hashed)
                              : HASH_BUF;
            ssize_t n = pread(h->fd, buf, want, (off_t)h->hashed);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                h->read_errno = n < 0 ? errno : EIO;
                goto out;
            }
            ps_sha256_update(&h->st, buf, (size_t)n);
            h->hashed += n;
        }
        if (done && h->hashed == ready)
            break;
    }
out:
    if (buf == NULL)
        h->read_errno = ENOMEM;
    free(buf);
    return NULL;
}

/* Copy `from` (read from byte 0) into `to`, all of it: FICLONE where the
 * file system shares blocks, else copy_file_range(2), else read/write;
 * each step's progress told to h (may be NULL). */
static int copy_all(int from, int to, struct hasher *h, struct ps_err *err)
{
    char buf[65536];
    loff_t in = 0, out = 0;
    struct stat st;
    if (ioctl(to, FICLONE, from) == 0) {
        if (fstat(to, &st) != 0)
            return ps_err_sys(err, errno, "cannot stat the private copy");
        hasher_publish(h, (int64_t)st.st_size, 0, 0);
        return 0;
    }
    for (;;) {
        ssize_t n = copy_file_range(from, &in, to, &out, COPY_STEP, 0);
        if (n == 0)
            return 0;
        if (n > 0) {
            hasher_publish(h, (int64_t)out, 0, 0);
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
            errno != EOPNOTSUPP)
            return ps_err_sys(err, errno, "cannot copy the claimed input");
        break; /* no in-kernel copy here: by hand, from where it stopped */
    }
    for (;;) {
        ssize_t n = pread(from, buf, sizeof(buf), (off_t)in);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ps_err_sys(err, errno, "cannot read the claimed input");
        if (n == 0)
            return 0;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = pwrite(to, buf + done, (size_t)(n - done),
                               (off_t)(out + done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return ps_err_sys(err, errno, "cannot write the private copy");
            done += w;
        }
        in += n;
        out += n;
        hasher_publish(h, (int64_t)out, 0, 0);
    }
}

/* The hash still being taken after the copy (ps_snapshot_begin()). */
struct ps_snapshot_hashing {
    struct hasher h;
    pthread_t t;
};

/* Stop the thread (when `stop`: the caller no longer wants the digest),
 * join it and take its digest into s. */
static int hashing_end(struct ps_snapshot *s, int stop, struct ps_err *err)
{
    struct ps_snapshot_hashing *hs = s->hashing;
    unsigned char digest[PS_SHA256_BYTES];
    int rc = 0;
    if (hs == NULL)
        return 0;
    s->hashing = NULL;
    if (stop)
        hasher_publish(&hs->h, hs->h.ready, 1, 1);
    pthread_join(hs->t, NULL);
    pthread_cond_destroy(&hs->h.cv);
    pthread_mutex_destroy(&hs->h.mu);
    if (!stop && hs->h.read_errno != 0)
        rc = ps_err_sys(err, hs->h.read_errno,
                        "cannot read the private copy to hash it");
    if (!stop && rc == 0) {
        ps_sha256_final(&hs->h.st, digest);
        sodium_bin2hex(s->sha256, sizeof(s->sha256), digest, sizeof(digest));
        s->size = hs->h.hashed;
    }
    free(hs);
    return rc;
}

/* Copy and hash side by side (struct hasher); one after the other for a
 * file under one copy step, or when the thread cannot start.  With `wait`
 * 0 the thread may still be hashing on return (s->hashing: its digest is
 * taken by ps_snapshot_hashed()); s->size is the bytes copied. */
static int copy_hashed(struct ps_snapshot *s, int wait, struct ps_err *err)
{
    struct ps_snapshot_hashing *hs;
    struct hasher *h;
    int rc;
    if ((rc = ps_crypto_init(err)) != 0)
        return rc;
    /* Under one copy step the thread would only cost its start. */
    if (s->orig_st.st_size < (off_t)COPY_STEP ||
        (hs = calloc(1, sizeof(*hs))) == NULL)
        goto alone;
    h = &hs->h;
    h->fd = s->fd;
    ps_sha256_init(&h->st);
    if (pthread_mutex_init(&h->mu, NULL) != 0) {
        free(hs);
        goto alone;
    }
    if (pthread_cond_init(&h->cv, NULL) != 0) {
        pthread_mutex_destroy(&h->mu);
        free(hs);
        goto alone;
    }
    if (pthread_create(&hs->t, NULL, hasher_run, h) != 0) {
        pthread_cond_destroy(&h->cv);
        pthread_mutex_destroy(&h->mu);
        free(hs);
        goto alone;
    }
    s->hashing = hs;
    rc = copy_all(s->orig, s->fd, h, err);
    if (rc != 0) {
        (void)hashing_end(s, 1, NULL);
        return rc;
    }
    s->size = h->ready;
    hasher_publish(h, h->ready, 1, 0);
    return wait ? hashing_end(s, 0, err) : 0;
alone:
    if ((rc = copy_all(s->orig, s->fd, NULL, err)) != 0)
        return rc;
    return rehash(s, err);
}

static int same_stat(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
           a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
           a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static int snapshot_take(const char *work_path, struct ps_snapshot *s, int wait,
                         struct ps_err *err)
{
    char dir[PATH_SIZE];
    struct stat after;
    int rc;
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->orig = open(work_path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (s->orig < 0)
        return ps_err_sys(err, errno, "cannot open %s", work_path);
    /* payspool owns a claimed file: no write bits (best effort: only its
     * owner may change them; the copy is what protects the run). */
    (void)fchmod(s->orig, 0440);
    if (fstat(s->orig, &s->orig_st) != 0) {
        rc = ps_err_sys(err, errno, "cannot stat %s", work_path);
        goto fail;
    }
    if (!S_ISREG(s->orig_st.st_mode)) {
        rc = ps_err_set(err, PS_EINVAL, "NOT_REGULAR_FILE",
                        "%s is not a regular file", work_path);
        goto fail;
    }
    dir_of(work_path, dir, sizeof(dir));
    s->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0400);
    if (s->fd < 0) {
        rc = ps_err_sys(err, errno, "cannot create a private copy in %s", dir);
        goto fail;
    }
    if ((rc = copy_hashed(s, wait, err)) != 0)
        goto fail;
    if (fstat(s->orig, &after) != 0) {
        rc = ps_err_sys(err, errno, "cannot stat %s", work_path);
        goto fail;
    }
    if (after.st_size != s->orig_st.st_size ||
        after.st_mtim.tv_sec != s->orig_st.st_mtim.tv_sec ||
        after.st_mtim.tv_nsec != s->orig_st.st_mtim.tv_nsec) {
        rc = ps_err_set(err, PS_EBUSY, "INPUT_CHANGED",
                        "%s changed while it was being copied (still being "
                        "written?); left in work/ for the next pass",
                        work_path);
        goto fail;
    }
    s->orig_st = after;
    return 0;
fail:
    ps_snapshot_close(s);
    return rc;
}

int ps_snapshot_take(const char *work_path, struct ps_snapshot *s,
                     struct ps_err *err)
{
    return snapshot_take(work_path, s, 1, err);
}

int ps_snapshot_begin(const char *work_path, struct ps_snapshot *s,
                      struct ps_err *err)
{
    return snapshot_take(work_path, s, 0, err);
}

int ps_snapshot_hashed(struct ps_snapshot *s, struct ps_err *err)
{
    return hashing_end(s, 0, err);
}

int ps_snapshot_prefix(struct ps_snapshot *s, int64_t size,
                       const char *sha256, struct ps_err *err)
{
    int rc;
    if (size < 0 || size > s->size)
        return 0;
    /* The copy is ours to cut: if the prefix is not the recorded input,
     * the input changed and the copy is thrown away anyway. */
    if (ftruncate(s->fd, (off_t)size) != 0)
        return ps_err_sys(err, errno, "cannot cut the private copy");
    if ((rc = rehash(s, err)) != 0)
        return rc;
    return strcmp(s->sha256, sha256) == 0;
}

int ps_snapshot_orig_changed(const struct ps_snapshot *s)
{
    struct stat now;
    if (s->orig < 0 || fstat(s->orig, &now) != 0)
        return 1;
    return !same_stat(&now, &s->orig_st) || now.st_size != s->size;
}

int ps_snapshot_install(struct ps_snapshot *s, const char *work_path,
                        struct ps_err *err)
{
    char dir[PATH_SIZE], tmp[PATH_SIZE], self[64];
    const char *base = strrchr(work_path, '/');
    base = base != NULL ? base + 1 : work_path;
    dir_of(work_path, dir, sizeof(dir));
    if (ps_pathf(tmp, sizeof(tmp), "%s/.%s.applied", dir, base) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
    if (fsync(s->fd) != 0)
        return ps_err_sys(err, errno, "cannot sync the private copy");
    /* A leftover of a crash at this very step is ours: replace it. */
    (void)unlink(tmp);
    snprintf(self, sizeof(self), "/proc/self/fd/%d", s->fd);
    if (linkat(AT_FDCWD, self, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) != 0)
        return ps_err_sys(err, errno, "cannot name the private copy %s", tmp);
    if (rename(tmp, work_path) != 0) {
        int e = errno;
        (void)unlink(tmp);
        return ps_err_sys(err, e, "cannot put the private copy at %s",
                          work_path);
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    /* The claimed file is now the copy. */
    if (s->orig >= 0)
        close(s->orig);
    s->orig = open(work_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (s->orig >= 0)
        (void)fstat(s->orig, &s->orig_st);
    return 0;
}

int ps_snapshot_keep_changed(const char *spool, const char *business,
                             const char *work_path, struct ps_snapshot *s,
                             char *out, size_t size, struct ps_err *err)
{
    char side[PATH_SIZE], dir[PATH_SIZE];
    struct ps_err why;
    const char *base = strrchr(work_path, '/');
    int rc;
    base = base != NULL ? base + 1 : work_path;
    ps_err_clear(&why);
    ps_err_set(&why, PS_EINVAL, "FILE_CHANGED_AFTER_CLAIM",
               "the file changed in work/ after it was claimed; what was "
               "applied is the %lld bytes of sha256 %s (archived), this copy "
               "is the file as changed: nothing of the change was applied",
               (long long)s->size, s->sha256);
    ps_err_at(&why, base, 0, -1);
    dir_of(work_path, dir, sizeof(dir));
    if (ps_pathf(side, sizeof(side), "%s/.%s.changed", dir, base) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
    (void)unlink(side); /* a crash's, at this very step */
    if (link(work_path, side) != 0)
        return ps_err_sys(err, errno, "cannot keep %s", work_path);
    if ((rc = ps_spool_quarantine_name(spool, business, work_path, NULL, out,
                                       size, err)) != 0 ||
        (rc = ps_spool_quarantine_move(side, out, &why, err)) != 0 ||
        (rc = ps_snapshot_install(s, work_path, err)) != 0)
        return rc;
    ps_log_err(PS_LOG_WARN, "file.changed_after_claim", &why,
               "{s:s, s:s, s:s}", "business", business, "file", base,
               "kept_as", out);
    return 0;
}

void ps_snapshot_close(struct ps_snapshot *s)
{
    (void)hashing_end(s, 1, NULL);
    if (s->fd >= 0)
        close(s->fd);
    if (s->orig >= 0)
        close(s->orig);
    s->fd = -1;
    s->orig = -1;
}
