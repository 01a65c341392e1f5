/*
 * retry.c -- an input rejected whole taken back into the spool, once
 * (retry.h).  What it checks, in order: the document, its input's other
 * documents, the content elsewhere, the bytes in failed/; then it records
 * the retry and moves the input.
 *
 * How it fails: NOT_RETRYABLE (PS_ESTATE, or PS_ECONFLICT when the
 * inbound name is taken), NOT_FOUND, the store's errors, PS_EIO.
 */
#include "intake/retry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fsutil.h"
#include "base/id.h"
#include "base/log.h"
#include "base/output.h"
#include "intake/channel.h"

#define MAX_DOCS 4096 /* documents of one input retried together */

/* What the content lookup found for the retried input. */
struct scan {
    const struct ps_file *doc; /* the document asked for */
    struct ps_file_retry *retries; /* one per document of its input */
    int n;
    int applied;               /* the content is APPLIED or PROCESSING */
    struct ps_file first_applied;
    int other_status;          /* a document of the input not REJECTED */
};

static int collect(void *ctx, const struct ps_file *f)
{
    struct scan *s = ctx;
    if (f->status == PS_FILE_APPLIED || f->status == PS_FILE_PROCESSING) {
        if (!s->applied)
            s->first_applied = *f;
        s->applied = 1;
        return 0;
    }
    /* The documents of the same input: same name, same place in failed/. */
    if (strcmp(f->name, s->doc->name) != 0 ||
        strcmp(f->archive_path, s->doc->archive_path) != 0)
        return 0;
    if (f->status != PS_FILE_REJECTED)
        s->other_status = 1;
    if (s->n < MAX_DOCS) {
        struct ps_file_retry *r = &s->retries[s->n++];
        ps_strlcpy(r->file_id, f->id, sizeof(r->file_id));
    }
    return 0;
}

static int not_retryable(struct ps_err *err, const struct ps_file *f,
                         const char *why)
{
    return ps_err_set(err, PS_ESTATE, "NOT_RETRYABLE",
                      "document %s (%s) cannot be retried: %s", f->id, f->name,
                      why);
}

/* The first retry of the document, if any (PS_ENOTFOUND: none). */
static int first_retry(void *ctx, const struct ps_file_retry *r)
{
    *(struct ps_file_retry *)ctx = *r;
    return 1;
}

/* The input in failed/ must still be the bytes received: a file changed
 * or sealed since is not put back. */
static int same_bytes(const char *path, const char *sha, struct ps_err *err)
{
    char got[PS_SHA256_HEX];
    int64_t size = 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return ps_err_sys(err, errno, "cannot open %s", path);
    int rc = ps_sha256_fd(fd, got, &size, err);
    close(fd);
    if (rc != 0)
        return rc;
    return strcmp(got, sha) == 0 ? 0 : 1;
}

/* Move the input from failed/ to inbound/ (never over another file) and
 * mark it complete; both folders synced. */
static int move_back(const char *from, const char *to, struct ps_err *err)
{
    char marker[PS_PATH_SIZE + 8], dir[PS_PATH_SIZE];
    int fd;
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) != 0) {
        if (errno == EEXIST)
            return ps_err_set(err, PS_ECONFLICT, "NOT_RETRYABLE",
                              "%s exists: another file of that name waits "
                              "in inbound/; retry once it is taken",
                              to);
        return ps_err_sys(err, errno, "cannot move %s to %s", from, to);
    }
    if (ps_pathf(marker, sizeof(marker), "%s.done", to) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
    fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return ps_err_sys(err, errno, "cannot create %s", marker);
    (void)fsync(fd);
    close(fd);
    for (int i = 0; i < 2; i++) {
        const char *p = i == 0 ? from : to;
        const char *slash = strrchr(p, '/');
        size_t len = slash != NULL ? (size_t)(slash - p) : 0;
        if (len == 0 || len >= sizeof(dir))
            continue;
        memcpy(dir, p, len);
        dir[len] = '\0';
        if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
            (void)fsync(fd);
            close(fd);
        }
    }
    return 0;
}

/* Record one retry row per document of the input, in one transaction. */
static int record(struct ps_engine *eng, struct scan *s, struct ps_err *err)
{
    int rc = ps_store_begin(eng->store, err);
    for (int i = 0; rc == 0 && i < s->n; i++)
        rc = ps_store_file_retry_insert(eng->store, &s->retries[i], err);
    if (rc == 0)
        return ps_store_commit(eng->store, err);
    ps_store_rollback(eng->store);
    if (rc == PS_ECONFLICT)
        return not_retryable(err, s->doc, "it was retried already");
    return rc;
}

/* Long (about 100 lines): the checks of the file's opening comment in
 * their order, each refusal with its own message, one exit path. */
int ps_retry_input(struct ps_engine *eng, const char *spool,
                   const char *file_id, const char *reason, const char *actor,
                   struct ps_file_retry *out, struct ps_err *err)
{
    struct ps_file f;
    struct ps_business b;
    struct ps_file_retry prev, base;
    struct scan s;
    char to[PS_PATH_SIZE];
    struct stat st;
    int rc;

    memset(&s, 0, sizeof(s));
    if ((rc = ps_store_file_get(eng->store, file_id, &f, err)) != 0)
        return rc;
    if (reason == NULL || reason[0] == '\0')
        return not_retryable(err, &f, "a retry needs a reason");
    if (f.status != PS_FILE_REJECTED)
        return not_retryable(
            err, &f,
            f.status == PS_FILE_DUPLICATE
                ? "it is a DUPLICATE: its content was received before"
                : "only a document rejected whole can be retried, and this "
                  "one was applied or is in progress");
    if ((rc = ps_business_find(eng, f.business_id, &b, err)) != 0)
        return rc;
    /* A provider's answer goes back to that provider's folder (channel.h):
     * trust follows the folder, and the business's inbound refuses
     * answers (ANSWER_NOT_FROM_PROVIDER). */
    if ((f.source[0] != '\0'
             ? ps_channel_folder(to, sizeof(to), spool, f.source, b.name,
                                 err) != 0 ||
                   ps_pathf(to + strlen(to), sizeof(to) - strlen(to), "/%s",
                            f.name) != 0
             : ps_pathf(to, sizeof(to), "%s/inbound/%s/%s", spool, b.name,
                        f.name) != 0))
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");

    if ((s.retries = calloc(MAX_DOCS, sizeof(*s.retries))) == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    memset(&prev, 0, sizeof(prev));
    if ((rc = ps_store_file_retries(eng->store, f.id, first_retry, &prev,
                                    err)) != 0)
        goto out;
    if (prev.id[0] != '\0') {
        /* Retried before: refused, unless a crash came between the record
         * and the move (the input still in failed/, and no later rejection
         * there since): then finish it. */
        struct ps_file was = f;
        ps_strlcpy(was.archive_path, prev.from_path, sizeof(was.archive_path));
        s.doc = &was;
        if ((rc = ps_store_files_by_sha(eng->store, f.business_id, f.sha256,
                                        collect, &s, err)) != 0)
            goto out;
        if (s.n > 0 || s.applied || lstat(prev.from_path, &st) != 0 ||
            lstat(to, &st) == 0) {
            rc = not_retryable(err, &f, "it was retried already");
            goto out;
        }
        if ((rc = move_back(prev.from_path, prev.to_path, err)) == 0 &&
            out != NULL)
            *out = prev;
        goto out;
    }
    if (f.archive_path[0] == '\0' || strstr(f.archive_path, "/failed/") == NULL ||
        lstat(f.archive_path, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = not_retryable(err, &f, "its input is no longer in failed/");
        goto out;
    }
    s.doc = &f;
    if ((rc = ps_store_files_by_sha(eng->store, f.business_id, f.sha256,
                                    collect, &s, err)) != 0)
        goto out;
    if (s.applied) {
        rc = ps_err_set(err, PS_ESTATE, "NOT_RETRYABLE",
                        "document %s (%s) cannot be retried: the same content "
                        "was applied since as %s (document %s, received %s)",
                        f.id, f.name, s.first_applied.name, s.first_applied.id,
                        s.first_applied.received_at);
        goto out;
    }
    if (s.other_status || s.n == 0 || s.n >= MAX_DOCS) {
        rc = not_retryable(err, &f, "a document of its input was not "
                                    "rejected whole");
        goto out;
    }
    if ((rc = same_bytes(f.archive_path, f.sha256, err)) != 0) {
        if (rc == 1)
            rc = not_retryable(err, &f, "the file in failed/ is no longer the "
                                        "bytes received");
        goto out;
    }
    if (lstat(to, &st) == 0) {
        rc = ps_err_set(err, PS_ECONFLICT, "NOT_RETRYABLE",
                        "%s exists: another file of that name waits in "
                        "inbound/; retry once it is taken",
                        to);
        goto out;
    }

    memset(&base, 0, sizeof(base));
    ps_strlcpy(base.business_id, f.business_id, sizeof(base.business_id));
    ps_strlcpy(base.name, f.name, sizeof(base.name));
    ps_strlcpy(base.sha256, f.sha256, sizeof(base.sha256));
    ps_strlcpy(base.from_path, f.archive_path, sizeof(base.from_path));
    ps_strlcpy(base.to_path, to, sizeof(base.to_path));
    ps_strlcpy(base.reason, reason, sizeof(base.reason));
    ps_strlcpy(base.actor, actor != NULL && actor[0] ? actor : "?",
               sizeof(base.actor));
    ps_time_now(base.retried_at);
    for (int i = 0; i < s.n; i++) {
        char keep[PS_ID_SIZE];
        ps_strlcpy(keep, s.retries[i].file_id, sizeof(keep));
        s.retries[i] = base;
        ps_strlcpy(s.retries[i].file_id, keep, sizeof(keep));
        ps_id_new(s.retries[i].id);
    }
    if ((rc = record(eng, &s, err)) != 0)
        goto out;
    if ((rc = move_back(f.archive_path, to, err)) != 0) {
        /* Not moved (the name was taken meanwhile): the record goes. */
        struct ps_err ignore;
        for (int i = 0; i < s.n; i++)
            (void)ps_store_file_retry_delete(eng->store, s.retries[i].id,
                                             &ignore);
        goto out;
    }
    ps_log(PS_LOG_INFO, "file.retried", "{s:s, s:s, s:s, s:s, s:i}",
           "business", b.name, "file", f.name, "document", f.id, "by",
           base.actor, "documents", s.n);
    if (out != NULL) {
        for (int i = 0; i < s.n; i++)
            if (strcmp(s.retries[i].file_id, f.id) == 0)
                *out = s.retries[i];
    }
out:
    free(s.retries);
    return rc;
}
