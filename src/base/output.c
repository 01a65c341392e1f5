/*
 * output.c -- atomic, durable, no-clobber output files (see output.h).
 *
 * One output is one temporary file in the destination folder, opened
 * against a descriptor of that folder (so the folder cannot be swapped
 * under us between checks), a 64 KiB write buffer and a running SHA-256 of
 * everything appended.  Commit publishes three files in order, each with
 * the same steps (publish()): write temp, fsync it, rename it into place
 * without replacing anything, fsync the folder.  NAME first, then
 * NAME.sha256, then NAME.done; the folder fsync after each step keeps that
 * order on disk too, so NAME.done is never durable before the others.
 *
 * How it fails: bad names and modes are PS_EINVAL, a name that is taken is
 * PS_ECONFLICT (checked at open, and enforced again by the no-replace
 * rename at commit: the check at open is only a courtesy), failed system
 * calls are PS_EIO with errno.  A failed write spoils the output; nothing
 * is published from a spoiled output.  Whatever fails, no temporary file
 * is left behind (unless unlinking it fails too, which is logged).
 */
#include "base/output.h"
#include "base/fsutil.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base/crypto.h"
#include "base/log.h"
#include "base/sha256.h"

#define BUF_SIZE (64 * 1024) /* write buffer and ps_sha256_fd read size */
#define PRINTF_STACK 1024    /* printf lines up to this size need no malloc */
#define TMP_ATTEMPTS 4       /* tries at a fresh random temporary name */
#define SHA256_SUFFIX ".sha256"
#define DONE_SUFFIX ".done"

/*
 * Temporary name: "." NAME SUFFIX ".tmp." PID "." 16-hex.  The decoration
 * is 1 + 5 + 10 (pid, at most) + 1 + 16 = 33 bytes; with the longest
 * suffix (".sha256", 7) that is the 40 bytes PS_OUTPUT_NAME_MAX leaves.
 */
_Static_assert(PS_OUTPUT_NAME_MAX + 40 <= NAME_MAX,
               "temporary names of the longest output name fit NAME_MAX");
_Static_assert(PS_SHA256_HEX == 2 * PS_SHA256_BYTES + 1,
               "PS_SHA256_HEX matches a hex SHA-256");

struct ps_output {
    int dirfd;                    /* the destination folder */
    int fd;                       /* the temporary file, -1 once closed */
    mode_t mode;                  /* permission bits of every file */
    int failed;                   /* 1 after a failed write: spoiled */
    size_t size;                  /* bytes appended so far */
    size_t used;                  /* bytes waiting in buf */
    struct ps_sha256 sha;          /* of every byte appended */
    char dir[PATH_MAX];           /* folder path, for messages */
    char name[NAME_MAX + 1];      /* final name of the content */
    char tmp[NAME_MAX + 1];       /* temporary name; "" when none */
    unsigned char buf[BUF_SIZE];  /* write buffer */
};

/* ------------------------------------------------------------------ */
/* System-call helpers                                                 */
/* ------------------------------------------------------------------ */

/* fsync the folder so that a new directory entry is durable. */
static int sync_dir(const struct ps_output *o, struct ps_err *err)
{
    /* Some file systems cannot fsync a directory (EINVAL); nothing more
     * can be done there, so that is not an error. */
    if (fsync(o->dirfd) != 0 && errno != EINVAL)
        return ps_err_sys(err, errno, "cannot fsync folder %s", o->dir);
    return 0;
}

/* Remove a temporary file; a failure only leaves litter, so it is logged,
 * not reported.  errno is preserved. */
static void remove_tmp(const struct ps_output *o, const char *tmp)
{
    int saved = errno;
    if (unlinkat(o->dirfd, tmp, 0) != 0 && errno != ENOENT)
        ps_log(PS_LOG_WARN, "output.tmp_left", "{s:s, s:s, s:s}", "dir", o->dir,
               "file", tmp, "error", strerror(errno));
    errno = saved;
}

/*
 * Rename tmp to final in the folder, failing with EEXIST rather than
 * replacing final.  File systems without RENAME_NOREPLACE (EINVAL) and old
 * kernels (ENOSYS) get link + unlink, which is just as no-clobber: link(2)
 * never replaces an entry.  Returns 0, or -1 with errno.
 */
static int rename_noreplace(const struct ps_output *o, const char *tmp,
                            const char *final)
{
    if (renameat2(o->dirfd, tmp, o->dirfd, final, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (linkat(o->dirfd, tmp, o->dirfd, final, 0) != 0)
        return -1;
    /* final is in place; a leftover second link to it is only litter. */
    remove_tmp(o, tmp);
    return 0;
}

/*
 * Create a fresh temporary file for `final`, with exactly o->mode.  On
 * success writes its name to tmp and its descriptor to *fd.
 */
static int create_tmp(const struct ps_output *o, const char *final,
                      char tmp[NAME_MAX + 1], int *fd, struct ps_err *err)
{
    for (int attempt = 0; attempt < TMP_ATTEMPTS; attempt++) {
        unsigned char rnd[8];
        char hex[2 * sizeof(rnd) + 1];
        randombytes_buf(rnd, sizeof(rnd));
        sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
        int n = snprintf(tmp, NAME_MAX + 1, ".%s.tmp.%ld.%s", final,
                         (long)getpid(), hex);
        if (n < 0 || n > NAME_MAX)
            return ps_err_set(err, PS_EINTERNAL, "OUTPUT_NAME",
                              "temporary name for %s is too long", final);
        int f = openat(o->dirfd, tmp,
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       o->mode);
        if (f < 0) {
            if (errno == EEXIST || errno == EINTR)
                continue;
            return ps_err_sys(err, errno, "cannot create %s/%s", o->dir, tmp);
        }
        /* The umask may have narrowed the mode given to openat(). */
        if (fchmod(f, o->mode) != 0) {
            int e = errno;
            close(f);
            remove_tmp(o, tmp);
            return ps_err_sys(err, e, "cannot chmod %s/%s", o->dir, tmp);
        }
        *fd = f;
        return 0;
    }
    return ps_err_set(err, PS_EIO, "IO_ERROR",
                      "cannot find a free temporary name for %s/%s", o->dir,
                      final);
}

/*
 * The one publishing step: fsync and close the temporary file *fd (owned:
 * closed and set to -1 whatever happens), rename tmp to final without
 * replacing anything, fsync the folder.  If final could not be put in
 * place, tmp is removed.  Returns 0, PS_ECONFLICT/OUTPUT_EXISTS or PS_EIO.
 */
static int publish(const struct ps_output *o, int *fd, const char *tmp,
                   const char *final, struct ps_err *err)
{
    int rc = 0;
    int f = *fd;
    *fd = -1;
    if (fsync(f) != 0) {
        rc = ps_err_sys(err, errno, "cannot fsync %s/%s", o->dir, tmp);
        close(f);
        goto fail;
    }
    /* close() can report a deferred write error (NFS): check it. */
    if (close(f) != 0) {
        rc = ps_err_sys(err, errno, "cannot close %s/%s", o->dir, tmp);
        goto fail;
    }
    if (rename_noreplace(o, tmp, final) != 0) {
        if (errno == EEXIST)
            rc = ps_err_set(err, PS_ECONFLICT, "OUTPUT_EXISTS",
                            "%s/%s already exists; not overwriting it", o->dir,
                            final);
        else
            rc = ps_err_sys(err, errno, "cannot rename %s/%s to %s", o->dir,
                            tmp, final);
        goto fail;
    }
    return sync_dir(o, err);
fail:
    remove_tmp(o, tmp);
    return rc;
}

/*
 * Publish a small sidecar file NAME SUFFIX holding `len` bytes of data,
 * with the same steps and mode as the content.
 */
static int publish_sidecar(const struct ps_output *o, const char *suffix,
                           const void *data, size_t len, struct ps_err *err)
{
    char final[NAME_MAX + 1];
    char tmp[NAME_MAX + 1];
    int fd = -1;
    int n = snprintf(final, sizeof(final), "%s%s", o->name, suffix);
    if (n < 0 || (size_t)n >= sizeof(final))
        return ps_err_set(err, PS_EINTERNAL, "OUTPUT_NAME",
                          "name %s%s is too long", o->name, suffix);
    int rc = create_tmp(o, final, tmp, &fd, err);
    if (rc != 0)
        return rc;
    if (ps_write_all(fd, data, len) != 0) {
        rc = ps_err_sys(err, errno, "cannot write %s/%s", o->dir, tmp);
        close(fd);
        remove_tmp(o, tmp);
        return rc;
    }
    return publish(o, &fd, tmp, final, err);
}

/* ------------------------------------------------------------------ */
/* Open                                                                */
/* ------------------------------------------------------------------ */

/* See ps_output_open() in output.h for what a valid name is. */
static int check_name(const char *name, struct ps_err *err)
{
    if (name == NULL || name[0] == '\0')
        return ps_err_set(err, PS_EINVAL, "OUTPUT_NAME",
                          "output name is empty");
    size_t len = strlen(name);
    char q[PS_QUOTE_MAX * 4 + 4];
    ps_quote(name, len, q, sizeof(q));
    if (len > PS_OUTPUT_NAME_MAX)
        return ps_err_set(err, PS_EINVAL, "OUTPUT_NAME",
                          "output name %s is %zu bytes, at most %d allowed", q,
                          len, PS_OUTPUT_NAME_MAX);
    if (name[0] == '.')
        return ps_err_set(err, PS_EINVAL, "OUTPUT_NAME",
                          "output name %s starts with '.'", q);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        /* A backslash or newline would make sha256sum escape the name. */
        if (*p == '/' || *p == '\\' || *p < 0x20 || *p == 0x7f)
            return ps_err_set(err, PS_EINVAL, "OUTPUT_NAME",
                              "output name %s must be a plain file name (no "
                              "'/', '\\' or control characters)",
                              q);
    }
    return 0;
}

/* Open the folder without following a final symlink. */
static int open_dir(struct ps_output *o, const char *dir, struct ps_err *err)
{
    o->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (o->dirfd >= 0)
        return 0;
    int e = errno;
    struct stat st;
    if (e == ENOENT)
        return ps_err_set(err, PS_ENOTFOUND, "OUTPUT_DIR",
                          "output folder %s does not exist", dir);
    /* O_DIRECTORY|O_NOFOLLOW on a symlink fails with ENOTDIR or ELOOP. */
    if (e == ELOOP || (e == ENOTDIR && lstat(dir, &st) == 0))
        return ps_err_set(err, PS_ECONFIG, "OUTPUT_DIR",
                          "output folder %s is %s", dir,
                          e == ELOOP || S_ISLNK(st.st_mode)
                              ? "a symbolic link; give the real path"
                              : "not a folder");
    return ps_err_sys(err, e, "cannot open output folder %s", dir);
}

/* PS_ECONFLICT if NAME SUFFIX exists in the folder (even as a symlink). */
static int check_free(const struct ps_output *o, const char *suffix,
                      struct ps_err *err)
{
    char path[NAME_MAX + 1];
    struct stat st;
    int n = snprintf(path, sizeof(path), "%s%s", o->name, suffix);
    if (n < 0 || (size_t)n >= sizeof(path))
        return ps_err_set(err, PS_EINTERNAL, "OUTPUT_NAME",
                          "name %s%s is too long", o->name, suffix);
    if (fstatat(o->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return ps_err_set(err, PS_ECONFLICT, "OUTPUT_EXISTS",
                          "%s/%s already exists; not overwriting it", o->dir,
                          path);
    if (errno != ENOENT)
        return ps_err_sys(err, errno, "cannot stat %s/%s", o->dir, path);
    return 0;
}

/*
 * Contract (output.h).  NAME.sha256 is checked as well as NAME and
 * NAME.done: finding it taken only at commit would leave NAME published
 * without NAME.done.
 */
int ps_output_open(const char *dir, const char *name, mode_t mode,
                   struct ps_output **out, struct ps_err *err)
{
    assert(dir != NULL && out != NULL);
    int rc = check_name(name, err);
    if (rc != 0)
        return rc;
    if ((mode & ~(mode_t)0777) != 0)
        return ps_err_set(err, PS_EINVAL, "OUTPUT_MODE",
                          "output mode %04o: only permission bits (0777) "
                          "are allowed",
                          (unsigned)mode);
    if (strlen(dir) >= PATH_MAX)
        return ps_err_set(err, PS_EINVAL, "OUTPUT_DIR",
                          "output folder path is too long");
    rc = ps_crypto_init(err); /* randombytes, sha256 */
    if (rc != 0)
        return rc;

    struct ps_output *o = malloc(sizeof(*o));
    if (o == NULL)
        return ps_err_set(err, PS_ENOMEM, NULL, "out of memory");
    o->dirfd = -1;
    o->fd = -1;
    o->mode = mode;
    o->failed = 0;
    o->size = 0;
    o->used = 0;
    o->tmp[0] = '\0';
    ps_strlcpy(o->dir, dir, sizeof(o->dir));
    ps_strlcpy(o->name, name, sizeof(o->name));
    ps_sha256_init(&o->sha);

    rc = open_dir(o, dir, err);
    if (rc == 0)
        rc = check_free(o, "", err);
    if (rc == 0)
        rc = check_free(o, SHA256_SUFFIX, err);
    if (rc == 0)
        rc = check_free(o, DONE_SUFFIX, err);
    if (rc == 0)
        rc = create_tmp(o, o->name, o->tmp, &o->fd, err);
    if (rc != 0) {
        ps_output_abort(o);
        return rc;
    }
    *out = o;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

/* Spoil the output after a failed write; returns the error. */
static int spoil(struct ps_output *o, int e, struct ps_err *err)
{
    o->failed = 1;
    return ps_err_sys(err, e, "cannot write %s/%s", o->dir, o->tmp);
}

static int spoiled(const struct ps_output *o, struct ps_err *err)
{
    return ps_err_set(err, PS_ESTATE, "OUTPUT_FAILED",
                      "output %s/%s: an earlier write failed", o->dir, o->name);
}

/* Write the buffer out; the hash takes it here, a buffer at a time, not
 * at each small write (the same bytes in the same order). */
static int flush(struct ps_output *o, struct ps_err *err)
{
    if (o->used == 0)
        return 0;
    ps_sha256_update(&o->sha, o->buf, o->used);
    if (ps_write_all(o->fd, o->buf, o->used) != 0)
        return spoil(o, errno, err);
    o->used = 0;
    return 0;
}

int ps_output_write(struct ps_output *o, const void *buf, size_t len,
                    struct ps_err *err)
{
    assert(o != NULL && (buf != NULL || len == 0));
    if (o->failed)
        return spoiled(o, err);
    if (len == 0)
        return 0;
    o->size += len;
    if (o->used + len <= BUF_SIZE) {
        memcpy(o->buf + o->used, buf, len);
        o->used += len;
        return 0;
    }
    /* Too big for what is left: empty the buffer, then write large
     * chunks straight through and buffer only a small tail. */
    int rc = flush(o, err);
    if (rc != 0)
        return rc;
    if (len >= BUF_SIZE) {
        ps_sha256_update(&o->sha, buf, len);
        if (ps_write_all(o->fd, buf, len) != 0)
            return spoil(o, errno, err);
        return 0;
    }
    memcpy(o->buf, buf, len);
    o->used = len;
    return 0;
}

int ps_output_printf(struct ps_output *o, struct ps_err *err, const char *fmt,
                     ...)
{
    char stack[PRINTF_STACK];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(stack, sizeof(stack), fmt, ap);
    va_end(ap);
    if (n < 0)
        return ps_err_set(err, PS_EINTERNAL, "OUTPUT_FORMAT",
                          "cannot format output line for %s", o->name);
    if ((size_t)n < sizeof(stack))
        return ps_output_write(o, stack, (size_t)n, err);

    char *heap = malloc((size_t)n + 1); /* freed below */
    if (heap == NULL)
        return ps_err_set(err, PS_ENOMEM, NULL, "out of memory");
    va_start(ap, fmt);
    int m = vsnprintf(heap, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = m == n ? ps_output_write(o, heap, (size_t)n, err)
                    : ps_err_set(err, PS_EINTERNAL, "OUTPUT_FORMAT",
                                 "output line for %s changed length", o->name);
    free(heap);
    return rc;
}

size_t ps_output_size(const struct ps_output *o)
{
    return o->size;
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */
/* ------------------------------------------------------------------ */

/* First characters a spreadsheet may read as the start of a formula. */
static int formula_start(char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' ||
           c == '\r';
}

/*
 * Append one encoded cell at buf[pos..]; returns the new position, which
 * may pass size (nothing is written past it), as snprintf counts.
 */
static size_t encode_cell(const char *cell, char *buf, size_t size, size_t pos)
{
#define PUT(ch)                                                                \
    do {                                                                       \
        if (pos < size)                                                        \
            buf[pos] = (ch);                                                   \
        pos++;                                                                 \
    } while (0)
    if (cell == NULL || cell[0] == '\0')
        return pos;
    size_t len = strlen(cell);
    int neutralise = formula_start(cell[0]);
    int quote = neutralise || cell[0] == ' ' || cell[len - 1] == ' ' ||
                strpbrk(cell, ",\"\r\n") != NULL;
    if (quote)
        PUT('"');
    if (neutralise)
        PUT('\'');
    for (const char *p = cell; *p != '\0'; p++) {
        if (*p == '"')
            PUT('"'); /* a quote inside is written twice */
        PUT(*p);
    }
    if (quote)
        PUT('"');
    return pos;
#undef PUT
}

size_t ps_csv_encode_row(const char *const *cells, size_t n, char *buf,
                         size_t size)
{
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            if (pos < size)
                buf[pos] = ',';
            pos++;
        }
        pos = encode_cell(cells[i], buf, size, pos);
    }
    if (pos < size)
        buf[pos] = '\n';
    pos++;
    if (size > 0)
        buf[pos < size ? pos : size - 1] = '\0';
    return pos;
}

/* Encode with encode() into a stack buffer, or a heap one when longer. */
static int write_encoded(struct ps_output *o, const char *const *cells,
                         size_t n, int row, struct ps_err *err)
{
    char small[4096];
    char *buf = small;
    size_t need;
    int rc;
    if (row)
        need = ps_csv_encode_row(cells, n, small, sizeof(small));
    else
        need = encode_cell(cells[0], small, sizeof(small), 0);
    if (need >= sizeof(small)) {
        if ((buf = malloc(need + 1)) == NULL)
            return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        if (row)
            ps_csv_encode_row(cells, n, buf, need + 1);
        else
            encode_cell(cells[0], buf, need + 1, 0);
    }
    rc = ps_output_write(o, buf, need, err);
    if (buf != small)
        free(buf);
    return rc;
}

int ps_output_csv_cell(struct ps_output *o, const char *cell,
                       struct ps_err *err)
{
    return write_encoded(o, &cell, 1, 0, err);
}

int ps_output_csv_row(struct ps_output *o, const char *const *cells, size_t n,
                      struct ps_err *err)
{
    assert(cells != NULL || n == 0);
    return write_encoded(o, cells, n, 1, err);
}

/* ------------------------------------------------------------------ */
/* Commit and abort                                                    */
/* ------------------------------------------------------------------ */

int ps_output_commit(struct ps_output *o, char sha256[PS_SHA256_HEX],
                     struct ps_err *err)
{
    assert(o != NULL);
    unsigned char digest[PS_SHA256_BYTES];
    char hex[PS_SHA256_HEX];
    char line[PS_SHA256_HEX + 2 + NAME_MAX + 2]; /* "<hex>  NAME\n" */
    int rc;

    if (o->failed) {
        rc = spoiled(o, err);
        goto out;
    }
    rc = flush(o, err);
    if (rc != 0)
        goto out;
    rc = publish(o, &o->fd, o->tmp, o->name, err);
    o->tmp[0] = '\0'; /* published, or removed by publish() */
    if (rc != 0)
        goto out;
    ps_crash_point("output-published");

    /*
     * NAME is in place from here on.  If a sidecar fails now, NAME stays
     * but NAME.done is never written: a reader waiting for NAME.done never
     * picks up this output, and an operator can see from the error (and
     * the missing .done) that it is unfinished.  Removing NAME instead
     * would race with anyone already looking at it.
     */
    ps_sha256_final(&o->sha, digest);
    sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
    int n = snprintf(line, sizeof(line), "%s  %s\n", hex, o->name);
    if (n < 0 || (size_t)n >= sizeof(line)) {
        rc = ps_err_set(err, PS_EINTERNAL, "OUTPUT_NAME",
                        "checksum line for %s is too long", o->name);
        goto out;
    }
    rc = publish_sidecar(o, SHA256_SUFFIX, line, (size_t)n, err);
    if (rc == 0)
        rc = publish_sidecar(o, DONE_SUFFIX, "", 0, err);
    if (rc != 0 && err != NULL) {
        /* Keep code, rule and errno; say that NAME is there but unmarked. */
        char msg[PS_ERR_MSG_MAX], rule[PS_ERR_RULE_MAX];
        int sys_errno = err->sys_errno;
        ps_strlcpy(msg, err->msg, sizeof(msg));
        ps_strlcpy(rule, err->rule, sizeof(rule));
        ps_err_set(err, rc, rule, "%s/%s was written but not marked done: %s",
                   o->dir, o->name, msg);
        err->sys_errno = sys_errno;
    }
    if (rc != 0)
        goto out;
    if (sha256 != NULL)
        memcpy(sha256, hex, PS_SHA256_HEX);
out:
    ps_output_abort(o); /* nothing left to remove after success */
    return rc;
}

int ps_output_complete(const char *dir, const char *name,
                       char sha256[PS_SHA256_HEX], struct ps_err *err)
{
    struct ps_output *o = NULL;
    char hex[PS_SHA256_HEX];
    char line[PS_SHA256_HEX + 2 + NAME_MAX + 2];
    struct stat st;
    int rc = check_name(name, err), fd = -1;
    if (rc != 0 || (rc = ps_crypto_init(err)) != 0)
        return rc;
    if ((o = calloc(1, sizeof(*o))) == NULL)
        return ps_err_set(err, PS_ENOMEM, NULL, "out of memory");
    o->dirfd = -1;
    o->fd = -1;
    ps_strlcpy(o->dir, dir, sizeof(o->dir));
    ps_strlcpy(o->name, name, sizeof(o->name));
    if ((rc = open_dir(o, dir, err)) != 0)
        goto out;
    fd = openat(o->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        rc = errno == ENOENT
                 ? ps_err_set(err, PS_ENOTFOUND, "OUTPUT_MISSING",
                              "%s/%s does not exist", dir, name)
                 : ps_err_sys(err, errno, "cannot open %s/%s", dir, name);
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = ps_err_set(err, PS_ECONFIG, "OUTPUT_NOT_FILE",
                        "%s/%s is not a regular file", dir, name);
        goto out;
    }
    o->mode = st.st_mode & 0777;
    if ((rc = ps_sha256_fd(fd, hex, NULL, err)) != 0)
        goto out;
    if (check_free(o, SHA256_SUFFIX, NULL) == 0) {
        int n = snprintf(line, sizeof(line), "%s  %s\n", hex, name);
        if (n < 0 || (size_t)n >= sizeof(line)) {
            rc = ps_err_set(err, PS_EINTERNAL, "OUTPUT_NAME",
                            "checksum line for %s is too long", name);
            goto out;
        }
        if ((rc = publish_sidecar(o, SHA256_SUFFIX, line, (size_t)n, err)) != 0)
            goto out;
    }
    if (check_free(o, DONE_SUFFIX, NULL) == 0 &&
        (rc = publish_sidecar(o, DONE_SUFFIX, "", 0, err)) != 0)
        goto out;
    if (sha256 != NULL)
        memcpy(sha256, hex, PS_SHA256_HEX);
out:
    if (fd >= 0)
        close(fd);
    ps_output_abort(o);
    return rc;
}

void ps_output_abort(struct ps_output *o)
{
    if (o == NULL)
        return;
    if (o->fd >= 0)
        close(o->fd);
    if (o->tmp[0] != '\0' && o->dirfd >= 0)
        remove_tmp(o, o->tmp);
    if (o->dirfd >= 0)
        close(o->dirfd);
    sodium_memzero(&o->sha, sizeof(o->sha));
    free(o);
}

/* ------------------------------------------------------------------ */
/* Hashing inputs                                                      */
/* ------------------------------------------------------------------ */

int ps_sha256_fd(int fd, char hex[PS_SHA256_HEX], int64_t *size,
                 struct ps_err *err)
{
    int rc = ps_crypto_init(err);
    if (rc != 0)
        return rc;
    unsigned char *buf = malloc(BUF_SIZE); /* freed below */
    if (buf == NULL)
        return ps_err_set(err, PS_ENOMEM, NULL, "out of memory");
    struct ps_sha256 st;
    ps_sha256_init(&st);
    int64_t total = 0;
    for (;;) {
        ssize_t r = read(fd, buf, BUF_SIZE);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = ps_err_sys(err, errno, "cannot read file to hash it");
            goto out;
        }
        if (r == 0)
            break;
        ps_sha256_update(&st, buf, (size_t)r);
        total += r;
    }
    unsigned char digest[PS_SHA256_BYTES];
    ps_sha256_final(&st, digest);
    sodium_bin2hex(hex, PS_SHA256_HEX, digest, sizeof(digest));
    if (size != NULL)
        *size = total;
out:
    free(buf);
    return rc;
}
