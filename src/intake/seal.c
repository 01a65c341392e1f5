/*
 * seal.c -- inputs at rest, gzip then secretstream (seal.h): writing a
 * sealed file, reading one back for `payspool archive show`, and sealing
 * failed inputs after their days in clear.
 *
 * How it fails: system calls are PS_EIO with errno and the path; a file
 * whose authentication fails anywhere (altered byte, cut short, bytes
 * after the final message, another key file) is PS_EINVAL (bad data,
 * exit 65) with rule ARCHIVE_TAMPERED; a file without the magic is PS_EINVAL/ARCHIVE_FORMAT.
 */
#include "intake/seal.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <zlib.h>

#include "base/clock.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "engine/handle.h"
#include "intake/spoolconf.h"

#define PATH_SIZE 4096
#define CHUNK 65536 /* plaintext bytes per message */
#define MS_PER_DAY INT64_C(86400000)

static const unsigned char magic[8] = {'P', 'S', 'S', 'E', 'A', 'L', '1', '\n'};

/* ---- writing -------------------------------------------------------- */

/* Plaintext is gathered into CHUNK-byte messages; the last one, sent by
 * sealer_finish(), carries the final tag (it may be empty). */
struct sealer {
    struct ps_output *o;
    struct ps_stream *st;
    size_t used;
    unsigned char plain[CHUNK];
    unsigned char ct[4 + CHUNK + PS_STREAM_ABYTES];
};

static int sealer_emit(struct sealer *s, int final, struct ps_err *err)
{
    size_t n = s->used + PS_STREAM_ABYTES;
    int rc;
    s->ct[0] = (unsigned char)(n >> 24);
    s->ct[1] = (unsigned char)(n >> 16);
    s->ct[2] = (unsigned char)(n >> 8);
    s->ct[3] = (unsigned char)n;
    if ((rc = ps_stream_push(s->st, s->plain, s->used, magic, sizeof(magic),
                             final, s->ct + 4, err)) != 0)
        return rc;
    s->used = 0;
    return ps_output_write(s->o, s->ct, 4 + n, err);
}

static int sealer_put(struct sealer *s, const unsigned char *p, size_t len,
                      struct ps_err *err)
{
    while (len > 0) {
        if (s->used == CHUNK) {
            int rc = sealer_emit(s, 0, err);
            if (rc != 0)
                return rc;
        }
        size_t take = CHUNK - s->used < len ? CHUNK - s->used : len;
        memcpy(s->plain + s->used, p, take);
        s->used += take;
        p += take;
        len -= take;
    }
    return 0;
}

/* gzip `fd` into the sealer, with the original name and hash in the
 * gzip header (RFC 1952 FNAME and FCOMMENT).  Level 1: on a 1M-record
 * disbursement file (35 MB) zlib's level 6 takes 2.2 s here, level 1
 * 0.5 s, of a run whose whole budget is six; level 6's archive is 14%
 * smaller. */
static int gzip_into(int fd, int64_t limit, struct sealer *s,
                     const char *name, const char *sha256, struct ps_err *err)
{
    /* pread: a descriptor shared with other readers keeps its offset;
     * limit < 0 reads to the end. */
    int64_t at = 0;
    z_stream z;
    gz_header h;
    unsigned char in[65536], out[65536];
    char comment[96];
    int rc = 0, flush = Z_NO_FLUSH;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "deflateInit failed");
    memset(&h, 0, sizeof(h));
    snprintf(comment, sizeof(comment), "sha256=%s", sha256);
    h.name = (Bytef *)(uintptr_t)name;
    h.comment = (Bytef *)comment;
    h.os = 3; /* Unix */
    deflateSetHeader(&z, &h);
    while (rc == 0 && flush != Z_FINISH) {
        size_t want = sizeof(in);
        if (limit >= 0 && (int64_t)want > limit - at)
            want = (size_t)(limit - at);
        ssize_t n = want > 0 ? pread(fd, in, want, at) : 0;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = ps_err_sys(err, errno, "cannot read %s", name);
            break;
        }
        at += n;
        flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
        z.next_in = in;
        z.avail_in = (uInt)n;
        do {
            z.next_out = out;
            z.avail_out = sizeof(out);
            if (deflate(&z, flush) == Z_STREAM_ERROR) {
                rc = ps_err_set(err, PS_EINTERNAL, "DEFLATE", "deflate failed");
                break;
            }
            rc = sealer_put(s, out, sizeof(out) - z.avail_out, err);
        } while (rc == 0 && z.avail_out == 0);
    }
    deflateEnd(&z);
    return rc;
}

/* Inputs are sealed with the key file's key: none, no seal. */
static int no_keys(const char *orig_name, struct ps_err *err)
{
    return ps_err_set(err, PS_ECONFIG, "KEYS_REQUIRED",
                      "inputs are encrypted at rest: the key file is "
                      "needed to archive or seal %s",
                      orig_name);
}

int ps_seal_write(const struct ps_keys *keys, int fd, const char *orig_name,
                  const char *sha256, const char *dir, const char *name,
                  struct ps_err *err)
{
    unsigned char header[PS_STREAM_HEADER];
    struct sealer *s;
    int rc;
    if (keys == NULL)
        return no_keys(orig_name, err);
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if ((rc = ps_output_open(dir, name, 0640, &s->o, err)) != 0) {
        free(s);
        return rc;
    }
    rc = ps_stream_seal_begin(keys, &s->st, header, err);
    if (rc == 0)
        rc = ps_output_write(s->o, magic, sizeof(magic), err);
    if (rc == 0)
        rc = ps_output_write(s->o, header, sizeof(header), err);
    if (rc == 0)
        rc = gzip_into(fd, -1, s, orig_name, sha256, err);
    if (rc == 0)
        rc = sealer_emit(s, 1, err);
    if (rc == 0)
        rc = ps_output_commit(s->o, NULL, err);
    else
        ps_output_abort(s->o);
    ps_stream_free(s->st);
    sodium_memzero(s->plain, sizeof(s->plain));
    free(s);
    return rc;
}

/* ---- writing on a thread of its own ---------------------------------- */

struct ps_seal_job {
    pthread_t thread;
    struct sealer *s;
    int fd; /* the job's own (dup) */
    int64_t size;
    char *orig_name;
    char sha256[PS_SHA256_HEX];
    int rc;
    struct ps_err err;
};

static void job_free(struct ps_seal_job *j)
{
    if (j->s != NULL) {
        ps_stream_free(j->s->st);
        sodium_memzero(j->s->plain, sizeof(j->s->plain));
        free(j->s);
    }
    if (j->fd >= 0)
        close(j->fd);
    free(j->orig_name);
    free(j);
}

static void *job_run(void *arg)
{
    struct ps_seal_job *j = arg;
    j->rc = gzip_into(j->fd, j->size, j->s, j->orig_name, j->sha256, &j->err);
    if (j->rc == 0)
        j->rc = sealer_emit(j->s, 1, &j->err);
    return NULL;
}

int ps_seal_begin(const struct ps_keys *keys, int fd, int64_t size,
                  const char *orig_name, const char *sha256, const char *dir,
                  const char *name, struct ps_seal_job **out,
                  struct ps_err *err)
{
    unsigned char header[PS_STREAM_HEADER];
    struct ps_seal_job *j;
    int rc;
    if (keys == NULL)
        return no_keys(orig_name, err);
    if ((j = calloc(1, sizeof(*j))) == NULL ||
        (j->s = calloc(1, sizeof(*j->s))) == NULL ||
        (j->orig_name = strdup(orig_name)) == NULL) {
        if (j != NULL) {
            j->fd = -1;
            job_free(j);
        }
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    j->size = size;
    ps_strlcpy(j->sha256, sha256, sizeof(j->sha256));
    if ((j->fd = dup(fd)) < 0) {
        rc = ps_err_sys(err, errno, "cannot duplicate the descriptor of %s",
                        orig_name);
        job_free(j);
        return rc;
    }
    if ((rc = ps_output_open(dir, name, 0640, &j->s->o, err)) != 0) {
        job_free(j);
        return rc;
    }
    rc = ps_stream_seal_begin(keys, &j->s->st, header, err);
    if (rc == 0)
        rc = ps_output_write(j->s->o, magic, sizeof(magic), err);
    if (rc == 0)
        rc = ps_output_write(j->s->o, header, sizeof(header), err);
    if (rc == 0 && pthread_create(&j->thread, NULL, job_run, j) != 0)
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY",
                        "cannot start the archive's sealing thread");
    if (rc != 0) {
        ps_output_abort(j->s->o);
        job_free(j);
        return rc;
    }
    *out = j;
    return 0;
}

int ps_seal_end(struct ps_seal_job *j, int publish, struct ps_err *err)
{
    if (j == NULL)
        return 0;
    pthread_join(j->thread, NULL);
    int rc = j->rc;
    if (rc != 0 && err != NULL)
        *err = j->err;
    if (rc == 0 && publish)
        rc = ps_output_commit(j->s->o, NULL, err);
    else
        ps_output_abort(j->s->o);
    job_free(j);
    return rc;
}

/* ---- reading -------------------------------------------------------- */

struct reader {
    int fd;
    const char *path;
    struct ps_stream *st;
    z_stream z;
    gz_header h;
    char comment[96];
    ps_sha256_state sha;
    int (*sink)(void *, const void *, size_t, struct ps_err *);
    void *ctx;
    unsigned char ct[CHUNK + PS_STREAM_ABYTES];
    unsigned char plain[CHUNK];
    unsigned char out[CHUNK];
};

static int tampered(const char *path, const char *what, struct ps_err *err)
{
    return ps_err_set(err, PS_EINVAL, "ARCHIVE_TAMPERED",
                      "%s fails authentication (%s): it was altered, cut "
                      "short or sealed under another key file; refusing it",
                      path, what);
}

/* Read exactly len bytes: 1 read, 0 at end of file before any, -1 on a
 * short read or an error (err set). */
static int read_exact(struct reader *r, unsigned char *buf, size_t len,
                      struct ps_err *err)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(r->fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ps_err_sys(err, errno, "cannot read %s", r->path);
            return -1;
        }
        if (n == 0) {
            if (got == 0)
                return 0;
            tampered(r->path, "cut short", err);
            return -1;
        }
        got += (size_t)n;
    }
    return 1;
}

/* Inflate one decrypted message; the content goes to the hash and, when
 * emitting, to the sink. */
static int inflate_msg(struct reader *r, const unsigned char *p, size_t len,
                       int emit, int *ended, struct ps_err *err)
{
    r->z.next_in = (Bytef *)(uintptr_t)p;
    r->z.avail_in = (uInt)len;
    while (!*ended && (r->z.avail_in > 0 || r->z.avail_out == 0)) {
        r->z.next_out = r->out;
        r->z.avail_out = sizeof(r->out);
        int zr = inflate(&r->z, Z_NO_FLUSH);
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
            return ps_err_set(err, PS_EINVAL, "ARCHIVE_FORMAT",
                              "%s: the sealed content is not gzip data",
                              r->path);
        size_t n = sizeof(r->out) - r->z.avail_out;
        ps_sha256_update(&r->sha, r->out, n);
        if (emit && n > 0) {
            int rc = r->sink(r->ctx, r->out, n, err);
            if (rc != 0)
                return rc;
        }
        if (zr == Z_STREAM_END)
            *ended = 1;
        if (zr == Z_BUF_ERROR)
            break;
    }
    if (*ended && r->z.avail_in > 0)
        return ps_err_set(err, PS_EINVAL, "ARCHIVE_FORMAT",
                          "%s: data after the gzip stream", r->path);
    return 0;
}

/* The messages of the file, from after the header to the end. */
static int read_messages(struct reader *r, int emit, struct ps_err *err)
{
    unsigned char lenbuf[4];
    int final = 0, ended = 0, rc;
    for (;;) {
        int got = read_exact(r, lenbuf, 4, err);
        if (got < 0)
            return err->code;
        if (got == 0)
            return final ? 0 : tampered(r->path, "no final message", err);
        if (final)
            return tampered(r->path, "bytes after the final message", err);
        size_t n = (size_t)lenbuf[0] << 24 | (size_t)lenbuf[1] << 16 |
                   (size_t)lenbuf[2] << 8 | lenbuf[3];
        if (n < PS_STREAM_ABYTES || n > sizeof(r->ct))
            return tampered(r->path, "bad message length", err);
        if ((got = read_exact(r, r->ct, n, err)) <= 0)
            return got == 0 ? tampered(r->path, "cut short", err) : err->code;
        if ((rc = ps_stream_pull(r->st, r->ct, n, magic, sizeof(magic),
                                 r->plain, &final, err)) != 0)
            return tampered(r->path, "a message", err);
        if ((rc = inflate_msg(r, r->plain, n - PS_STREAM_ABYTES, emit, &ended,
                              err)) != 0)
            return rc;
        if (final && !ended)
            return ps_err_set(err, PS_EINVAL, "ARCHIVE_FORMAT",
                              "%s: the gzip stream is incomplete", r->path);
    }
}

/* One pass over the file: authenticate, inflate, hash (and sink when
 * emitting).  hex receives the content's hash. */
static int read_pass(const struct ps_keys *keys, struct reader *r, int emit,
                     char hex[PS_SHA256_HEX], struct ps_err *err)
{
    unsigned char head[sizeof(magic) + PS_STREAM_HEADER];
    unsigned char digest[PS_SHA256_BYTES];
    int rc, got;
    if ((r->fd = open(r->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return ps_err_sys(err, errno, "cannot open %s", r->path);
    got = read_exact(r, head, sizeof(head), err);
    if (got <= 0 || memcmp(head, magic, sizeof(magic)) != 0) {
        close(r->fd);
        if (got < 0 && err->code != PS_EINVAL)
            return err->code;
        return ps_err_set(err, PS_EINVAL, "ARCHIVE_FORMAT",
                          "%s is not an encrypted payspool archive", r->path);
    }
    memset(&r->z, 0, sizeof(r->z));
    memset(&r->h, 0, sizeof(r->h));
    r->h.comment = (Bytef *)r->comment;
    r->h.comm_max = sizeof(r->comment) - 1;
    memset(r->comment, 0, sizeof(r->comment));
    ps_sha256_init(&r->sha);
    if (inflateInit2(&r->z, 16 + MAX_WBITS) != Z_OK) {
        close(r->fd);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "inflateInit failed");
    }
    inflateGetHeader(&r->z, &r->h);
    rc = ps_stream_open_begin(keys, head + sizeof(magic), &r->st, err);
    if (rc == 0)
        rc = read_messages(r, emit, err);
    ps_stream_free(r->st);
    r->st = NULL;
    inflateEnd(&r->z);
    close(r->fd);
    ps_sha256_final(&r->sha, digest);
    sodium_bin2hex(hex, PS_SHA256_HEX, digest, sizeof(digest));
    return rc;
}

int ps_seal_read(const struct ps_keys *keys, const char *path,
                 int (*sink)(void *ctx, const void *buf, size_t len,
                             struct ps_err *err),
                 void *ctx, char sha256[PS_SHA256_HEX], struct ps_err *err)
{
    char hex[PS_SHA256_HEX], again[PS_SHA256_HEX];
    struct reader *r;
    int rc;
    if (keys == NULL)
        return ps_err_set(err, PS_ECONFIG, "KEYS_REQUIRED",
                          "reading an archive needs the key file");
    if ((r = calloc(1, sizeof(*r))) == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    r->path = path;
    r->sink = sink;
    r->ctx = ctx;
    /* Pass 1 writes nothing: a tampered file gives nothing. */
    rc = read_pass(keys, r, 0, hex, err);
    if (rc == 0 && strncmp(r->comment, "sha256=", 7) == 0 &&
        strcmp(r->comment + 7, hex) != 0)
        rc = tampered(path, "content does not match its hash", err);
    if (rc == 0 && sha256 != NULL)
        ps_strlcpy(sha256, hex, PS_SHA256_HEX);
    if (rc == 0 && sink != NULL) {
        rc = read_pass(keys, r, 1, again, err);
        /* Changed between the passes: what was sunk is not what was
         * checked. */
        if (rc == 0 && strcmp(hex, again) != 0)
            rc = tampered(path, "changed while read", err);
    }
    sodium_memzero(r->plain, sizeof(r->plain));
    sodium_memzero(r->out, sizeof(r->out));
    free(r);
    return rc;
}

/* ---- failed inputs -------------------------------------------------- */

int ps_seal_exists(const char *path)
{
    char sealed[PATH_SIZE];
    struct stat st;
    return lstat(path, &st) == 0 ||
           (ps_pathf(sealed, sizeof(sealed), "%s%s", path, PS_SEAL_SUFFIX) ==
                0 &&
            lstat(sealed, &st) == 0);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The inputs of failed/<b>/: not sidecars, not sealed already. */
static int failed_input(const char *name)
{
    return name[0] != '.' && !ends_with(name, ".reason") &&
           !ends_with(name, ".sha256") && !ends_with(name, ".done") &&
           !ends_with(name, PS_SEAL_SUFFIX);
}

static int hash_sink(void *ctx, const void *buf, size_t len,
                     struct ps_err *err)
{
    (void)err;
    ps_sha256_update(ctx, buf, len);
    return 0;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Seal dir/name (a regular file) as dir/<safe name>.gz.enc, check the
 * sealed copy reads back to the same bytes, then remove the clear one. */
static int seal_one(const struct ps_keys *keys, const char *dir,
                    const char *name, struct ps_err *err)
{
    char path[PATH_SIZE], sealed[PS_OUTPUT_NAME_MAX + 1];
    char spath[PATH_SIZE], sha[PS_SHA256_HEX], back[PS_SHA256_HEX];
    int fd, rc;
    size_t n = 0;
    if (ps_pathf(path, sizeof(path), "%s/%s", dir, name) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
    /* output.c refuses control characters and backslashes in names. */
    for (const char *s = name; *s != '\0' && n + 8 < sizeof(sealed); s++)
        sealed[n++] = (unsigned char)*s < 0x20 || *s == 0x7f || *s == '\\'
                          ? '_'
                          : *s;
    sealed[n] = '\0';
    ps_strlcpy(sealed + n, PS_SEAL_SUFFIX, sizeof(sealed) - n);
    if (ps_pathf(spath, sizeof(spath), "%s/%s", dir, sealed) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return ps_err_sys(err, errno, "cannot open %s", path);
    rc = ps_sha256_fd(fd, sha, NULL, err);
    if (rc == 0 && lseek(fd, 0, SEEK_SET) != 0)
        rc = ps_err_sys(err, errno, "cannot rewind %s", path);
    if (rc == 0)
        rc = ps_seal_write(keys, fd, name, sha, dir, sealed, err);
    close(fd);
    if (rc == PS_ECONFLICT) /* sealed before a crash: check it below */
        rc = ps_output_complete(dir, sealed, NULL, err);
    if (rc != 0)
        return rc;
    /* Never remove the clear copy unless the sealed one gives it back. */
    ps_sha256_state st;
    unsigned char digest[PS_SHA256_BYTES];
    ps_sha256_init(&st);
    if ((rc = ps_seal_read(keys, spath, hash_sink, &st, NULL, err)) != 0)
        return rc;
    ps_sha256_final(&st, digest);
    sodium_bin2hex(back, sizeof(back), digest, sizeof(digest));
    if (strcmp(back, sha) != 0)
        return ps_err_set(err, PS_ECONFLICT, "OUTPUT_EXISTS",
                          "%s exists and is not a sealed copy of %s; both "
                          "are left as they are",
                          spath, path);
    if (unlink(path) != 0)
        return ps_err_sys(err, errno, "cannot remove %s", path);
    sync_dir(dir);
    ps_log(PS_LOG_INFO, "failed.sealed", "{s:s, s:s}", "file", path, "to",
           spath);
    return 0;
}

/* Seconds-precise age test: the .reason's mtime, else the input's ctime. */
static int old_enough(const char *dir, const char *name,
                      const struct stat *st, int days, int64_t now_ms)
{
    char rpath[PATH_SIZE];
    struct stat rs;
    int64_t since = (int64_t)st->st_ctim.tv_sec * 1000;
    if (days <= 0)
        return 1;
    if (ps_pathf(rpath, sizeof(rpath), "%s/%s.reason", dir, name) == 0 &&
        stat(rpath, &rs) == 0)
        since = (int64_t)rs.st_mtim.tv_sec * 1000;
    return now_ms - since >= (int64_t)days * MS_PER_DAY;
}

static int seal_business(const struct ps_keys *keys, const char *dir,
                         int days, int64_t now_ms, int *sealed)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (d == NULL)
        return 0; /* a business without a failed/ folder yet */
    while ((de = readdir(d)) != NULL) {
        char path[PATH_SIZE];
        struct stat st;
        struct ps_err e;
        if (!failed_input(de->d_name) ||
            ps_pathf(path, sizeof(path), "%s/%s", dir, de->d_name) != 0 ||
            lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
            !old_enough(dir, de->d_name, &st, days, now_ms))
            continue;
        ps_err_clear(&e);
        if (seal_one(keys, dir, de->d_name, &e) == 0)
            (*sealed)++;
        else
            ps_log_err(PS_LOG_WARN, "failed.seal_failed", &e, "{s:s}", "file",
                       path);
    }
    closedir(d);
    return 0;
}

int ps_seal_failed(const struct ps_keys *keys, const char *spool, int days,
                   int *sealed, struct ps_err *err)
{
    char root[PATH_SIZE];
    int count = 0;
    DIR *d;
    struct dirent *de;
    int64_t now_ms = ps_clock_now_ms();
    if (sealed != NULL)
        *sealed = 0;
    if (days < 0)
        return 0; /* never */
    if (keys == NULL)
        return ps_err_set(err, PS_ECONFIG, "KEYS_REQUIRED",
                          "sealing failed inputs needs the key file");
    if (ps_pathf(root, sizeof(root), "%s/failed", spool) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
    if ((d = opendir(root)) == NULL)
        return errno == ENOENT ? 0
                               : ps_err_sys(err, errno, "cannot read %s", root);
    while ((de = readdir(d)) != NULL) {
        char dir[PATH_SIZE];
        if (de->d_name[0] == '.' ||
            ps_pathf(dir, sizeof(dir), "%s/%s", root, de->d_name) != 0)
            continue;
        seal_business(keys, dir, days, now_ms, &count);
    }
    closedir(d);
    if (sealed != NULL)
        *sealed = count;
    return 0;
}

void ps_seal_failed_step(struct ps_engine *eng, const char *spool,
                         const struct ps_spool_config *cfg)
{
    struct ps_err e;
    int n = 0;
    ps_err_clear(&e);
    if (ps_seal_failed(eng->keys, spool, cfg->seal_failed_after_days, &n,
                       &e) != 0)
        ps_log_err(PS_LOG_WARN, "failed.seal_failed", &e, NULL);
    else if (n > 0)
        ps_log(PS_LOG_INFO, "failed.sealed_pass", "{s:i}", "sealed", n);
}
