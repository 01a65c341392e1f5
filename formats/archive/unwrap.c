/*
 * unwrap.c -- peel gzip, zip, tar and tar.gz wrappers off an input file,
 * streaming, and hand out each member as its own document.
 *
 * The input is a stack of levels.  Level 0 is the file itself, a source
 * with exactly one "member" (the file's bytes).  Every other level is a
 * decoder that reads its input from the current member of the level below:
 * zlib for gzip (concatenated members included), libarchive for zip
 * (streaming reader: flat memory, no central directory held) and tar.
 * Each level keeps the first PEEK_MAX bytes of its current member in a
 * peek buffer; the format is detected there by content (libarchive's
 * "bid" habit) and the bytes are then served again from the buffer, so
 * nothing is lost.  A member that is itself a wrapper gets a new level on
 * top; one that is not is a document.  A gzip whose content is a tar is
 * handled as tar.gz: the tar level sits on the gzip level at the same depth
 * and the gzip's own member name is left out of document names.  libarchive
 * reads only through our callbacks (no filters registered), so every byte
 * it decodes for us passes through raw_read(), where the limits are.
 *
 * Members are never skipped inside libarchive: before moving to the next
 * entry the current one is read out through raw_read(), so a skipped member
 * cannot decompress unseen (a zip entry with a data descriptor can only be
 * skipped by inflating it).
 *
 * Zip is read with libarchive's streaming reader on purpose (it also reads
 * nested zips, which cannot seek): the seekable one loads the whole
 * central directory, so its memory grows with the entry count.  The price:
 * zip link bits live only in the central directory, so a zip symlink
 * arrives as a regular member holding its target's name (see unwrap.h).
 *
 * How it fails: bad containers and broken limits are PS_EINVAL with an
 * UNWRAP_* rule (see unwrap.h), the input name in err->file and the member
 * path in err->field; a symlinked or special input path PS_EINVAL rule
 * NOT_REGULAR_FILE; a missing one PS_ENOTFOUND; read errors PS_EIO; limits
 * out of range PS_ECONFIG; allocation failures PS_ENOMEM.  The first error
 * is kept and returned by every later call.
 *
 * Memory per input: one 64 KiB scratch buffer, and per level a 64 KiB input
 * buffer plus zlib's or libarchive's state; levels are at most
 * 1 + 2 * max_depth.  Nothing grows with the input's size.
 */
#include "formats/archive/unwrap.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define BUF_SIZE (64 * 1024) /* bytes; every fixed buffer */
#define PEEK_MAX 512         /* bytes kept to detect a member's format */
#define READ_MAX (1 << 30)   /* bytes; one read asks for no more */
#define RATIO_FLOOR ((int64_t)1 << 20) /* bytes before the ratio applies */
#define DEPTH_MAX 32                   /* ceiling on limits.max_depth */
#define LEVELS_MAX (2 * DEPTH_MAX + 2) /* a tar.gz is two levels, 1 depth */

enum kind {
    KIND_PLAIN, /* not a wrapper; at level 0, the raw file */
    KIND_GZIP,
    KIND_ZIP,
    KIND_TAR
};

struct level {
    struct ps_unwrap *u;
    int idx;        /* position in u->lv; 0 is the file itself */
    enum kind kind; /* KIND_PLAIN only at level 0 */
    int depth;      /* wrappers around this level's members */
    int hidden;     /* member name left out of paths (gzip under a tar) */
    int started;    /* level 0 and gzip: their one member was handed out */
    int open;       /* a member is current */
    int eof;        /* the current member's data has ended */
    char *mname;    /* current member's path; NULL at level 0. malloc */
    unsigned char peek[PEEK_MAX]; /* first bytes of the current member */
    size_t peek_len, peek_pos;    /* bytes held, bytes served again */
    unsigned char *inbuf;         /* BUF_SIZE: input from below. malloc */
    struct archive *a;            /* zip, tar */
    z_stream z;                   /* gzip */
    int z_live;                   /* inflateInit2() succeeded */
    int z_in_member;              /* inside a gzip member: EOF = truncated */
    int z_end;                    /* the gzip stream ended cleanly */
};

struct ps_unwrap {
    int fd;
    char *name;    /* the input's name in documents and errors. malloc */
    int64_t fsize; /* bytes on disk: the ratio's denominator */
    int64_t pos;   /* next byte of the file to read (pread: the fd may be
                      shared with other readers, ps_unwrap_open_fd) */
    struct ps_unwrap_limits lim;
    int64_t ratio_cap;      /* max_ratio * fsize, saturated; bytes */
    int64_t cap;            /* most bytes decoders may produce without error */
    int64_t produced;       /* bytes produced by all decoders so far */
    long nmembers;          /* archive entries seen, all levels */
    int ndocs;              /* documents handed out */
    int top;                /* index of the deepest level */
    int done;               /* ps_unwrap_next() returned 0 */
    int doc_live;           /* the last document handed out is still current */
    int failed;             /* 0, or the sticky error code */
    struct ps_err saved;    /* the sticky error */
    int cb_failed;          /* a libarchive read callback failed ... */
    struct ps_err cb_err;   /* ... with this error */
    unsigned char *scratch; /* BUF_SIZE, to drain members. malloc */
    char *docname;          /* current document's name. malloc */
    struct level *lv[LEVELS_MAX];
};

void ps_unwrap_limits_default(struct ps_unwrap_limits *l)
{
    l->max_depth = 3;
    l->max_members = 1000;
    l->max_bytes = (int64_t)4 << 30;
    l->max_ratio = 200;
}

static const char *kind_name(enum kind k)
{
    switch (k) {
    case KIND_GZIP:
        return "gzip";
    case KIND_ZIP:
        return "zip";
    case KIND_TAR:
        return "tar";
    default:
        return "file";
    }
}

/* The name of a member, escaped and shortened for a message. */
static const char *quote(const char *s, char *buf, size_t size)
{
    return ps_quote(s, strlen(s), buf, size);
}

/* ------------------------------------------------------------------ */
/* Detection                                                           */

/*
 * A tar header: "ustar" at offset 257, or a checksum field (octal, at
 * 148..155) that matches the header's byte sum with that field counted as
 * spaces (unsigned, or signed as some old tars did).
 */
static int is_tar(const unsigned char *h)
{
    unsigned long want = 0, sum = 0;
    long ssum = 0;
    int digits = 0;
    size_t i;

    if (memcmp(h + 257, "ustar", 5) == 0)
        return 1;
    for (i = 148; i < 156 && h[i] == ' '; i++)
        ;
    for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++, digits++)
        want = want * 8 + (unsigned long)(h[i] - '0');
    if (digits == 0 || (i < 156 && h[i] != ' ' && h[i] != '\0'))
        return 0;
    for (i = 0; i < 512; i++) {
        unsigned char c = i >= 148 && i < 156 ? ' ' : h[i];
        sum += c;
        ssum += (signed char)c;
    }
    return sum == want || (ssum >= 0 && (unsigned long)ssum == want);
}

static enum kind detect(const unsigned char *p, size_t n)
{
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
        return KIND_GZIP;
    if (n >= 4 && p[0] == 'P' && p[1] == 'K' &&
        ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6)))
        return KIND_ZIP;
    if (n >= 512 && is_tar(p))
        return KIND_TAR;
    return KIND_PLAIN;
}

/*
 * The rule a member path breaks, or PS_CODE_NONE.  '\\' counts as a
 * separator and "C:" as a root: the files may be unpacked on Windows one
 * day.
 */
static enum ps_code path_rule(const char *p)
{
    const char *s = p;

    if (p[0] == '/' || p[0] == '\\')
        return PS_CODE_UNWRAP_ABSOLUTE_PATH;
    if (((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')) &&
        p[1] == ':')
        return PS_CODE_UNWRAP_ABSOLUTE_PATH;
    while (*s != '\0') {
        size_t len = strcspn(s, "/\\");
        if (len == 2 && s[0] == '.' && s[1] == '.')
            return PS_CODE_UNWRAP_DOTDOT;
        s += len;
        if (*s != '\0')
            s++;
    }
    return PS_CODE_NONE;
}

/*
 * The document name inside a gzip whose container is called `container`:
 * its last component with ".gz"/".gzip" stripped, ".tgz" -> ".tar", else
 * "data".  From malloc(); NULL when out of memory.
 */
static char *gz_name(const char *container)
{
    const char *base = strrchr(container, '/');
    size_t n, keep = 0;
    const char *add = "";
    char *s;

    base = base != NULL ? base + 1 : container;
    n = strlen(base);
    if (n > 4 && strcasecmp(base + n - 4, ".tgz") == 0) {
        keep = n - 4;
        add = ".tar";
    } else if (n > 5 && strcasecmp(base + n - 5, ".gzip") == 0) {
        keep = n - 5;
    } else if (n > 3 && strcasecmp(base + n - 3, ".gz") == 0) {
        keep = n - 3;
    }
    if (keep == 0) {
        base = "data";
        keep = 4;
    }
    size_t addlen = strlen(add);
    s = malloc(keep + addlen + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, base, keep);
    memcpy(s + keep, add, addlen + 1);
    return s;
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

/* Append s at dst[at], within size; returns strlen(s) either way. */
static size_t put(char *dst, size_t size, size_t at, const char *s)
{
    size_t n = strlen(s);
    if (at + 1 < size) {
        size_t room = size - 1 - at;
        memcpy(dst + at, s, n < room ? n : room);
    }
    return n;
}

/*
 * The member path of the deepest current member: names of levels 1..top
 * joined by "!/".  Writes at most size bytes (NUL-terminated, cut short
 * if needed; dst may be NULL when size is 0); returns the full length.
 */
static size_t join_path(const struct ps_unwrap *u, char *dst, size_t size)
{
    size_t len = 0;
    for (int i = 1; i <= u->top; i++) {
        const struct level *lv = u->lv[i];
        if (lv->hidden || lv->mname == NULL)
            continue;
        if (len > 0)
            len += put(dst, size, len, "!/");
        len += put(dst, size, len, lv->mname);
    }
    if (size > 0)
        dst[len < size ? len : size - 1] = '\0';
    return len;
}

/* Put the location on an error and keep it: every later call returns it. */
static int fail(struct ps_unwrap *u, struct ps_err *err)
{
    char field[PS_ERR_FIELD_MAX];

    join_path(u, field, sizeof(field));
    err->line = 0;
    err->offset = -1;
    ps_err_at(err, u->name, 0, -1);
    ps_err_field(err, field);
    u->saved = *err;
    u->failed = err->code != 0 ? err->code : PS_EINTERNAL;
    u->doc_live = 0;
    return u->failed;
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */

static ssize_t member_read(struct ps_unwrap *u, struct level *lv, void *buf,
                           size_t n, struct ps_err *err);

/* Why a libarchive call failed: our read callback, or the data. */
static int archive_fail(struct ps_unwrap *u, struct level *lv,
                        struct ps_err *err)
{
    const char *msg = archive_error_string(lv->a);

    if (u->cb_failed) {
        if (err != &u->cb_err)
            *err = u->cb_err;
        return err->code;
    }
    if (archive_errno(lv->a) == ENOMEM)
        return ps_err_set(err, PS_ENOMEM, NULL, "out of memory reading %s",
                          kind_name(lv->kind));
    return ps_err_set(err, PS_EINVAL, "UNWRAP_CORRUPT", "damaged %s: %s",
                      kind_name(lv->kind), msg != NULL ? msg : "unknown error");
}

/* libarchive's read callback: the next bytes of the member below. */
static la_ssize_t ar_read_cb(struct archive *a, void *ctx, const void **buf)
{
    struct level *lv = ctx;
    struct ps_unwrap *u = lv->u;
    ssize_t r =
        member_read(u, u->lv[lv->idx - 1], lv->inbuf, BUF_SIZE, &u->cb_err);
    if (r < 0) {
        u->cb_failed = 1;
        archive_set_error(a, EIO, "%s", u->cb_err.msg);
        return ARCHIVE_FATAL;
    }
    *buf = lv->inbuf;
    return r;
}

static ssize_t file_read(struct ps_unwrap *u, void *buf, size_t n,
                         struct ps_err *err)
{
    for (;;) {
        if ((int64_t)n > u->fsize - u->pos)
            n = (size_t)(u->fsize - u->pos); /* never past the size opened */
        if (n == 0)
            return 0;
        ssize_t r = pread(u->fd, buf, n, (off_t)u->pos);
        if (r >= 0) {
            u->pos += r;
            return r;
        }
        if (errno != EINTR)
            return ps_err_sys(err, errno, "reading %s", u->name);
    }
}

/*
 * Inflate up to n bytes (n > 0) of gzip output.  Concatenated members are
 * one stream; input ending inside a member is UNWRAP_CORRUPT, as is
 * anything after a member that is not another member.
 */
static ssize_t gz_read(struct ps_unwrap *u, struct level *lv, void *buf,
                       size_t n, struct ps_err *err)
{
    z_stream *z = &lv->z;

    if (lv->z_end)
        return 0;
    z->next_out = buf;
    z->avail_out = (uInt)n;
    while (z->avail_out > 0) {
        size_t got = n - z->avail_out;
        int zr;
        if (z->avail_in == 0) {
            ssize_t r;
            if (got > 0)
                break;
            r = member_read(u, u->lv[lv->idx - 1], lv->inbuf, BUF_SIZE, err);
            if (r < 0)
                return r;
            if (r == 0) {
                if (lv->z_in_member)
                    return ps_err_set(err, PS_EINVAL, "UNWRAP_CORRUPT",
                                      "truncated gzip: the data ends "
                                      "inside a member");
                lv->z_end = 1;
                break;
            }
            z->next_in = lv->inbuf;
            z->avail_in = (uInt)r;
        }
        lv->z_in_member = 1;
        zr = inflate(z, Z_NO_FLUSH);
        if (zr == Z_STREAM_END) {
            /* Another member may follow (gzip -c a b > ab.gz). */
            lv->z_in_member = 0;
            if (inflateReset(z) != Z_OK)
                return ps_err_set(err, PS_EINTERNAL, NULL,
                                  "inflateReset failed");
            continue;
        }
        if (zr == Z_OK || (zr == Z_BUF_ERROR && z->avail_in == 0))
            continue;
        if (zr == Z_MEM_ERROR)
            return ps_err_set(err, PS_ENOMEM, NULL,
                              "out of memory inflating gzip");
        return ps_err_set(err, PS_EINVAL, "UNWRAP_CORRUPT", "damaged gzip: %s",
                          z->msg != NULL ? z->msg : "bad data");
    }
    return (ssize_t)(n - z->avail_out);
}

static int check_limits(struct ps_unwrap *u, struct ps_err *err)
{
    if (u->produced > u->lim.max_bytes)
        return ps_err_set(err, PS_EINVAL, "UNWRAP_TOO_LARGE",
                          "more than %lld bytes decompressed",
                          (long long)u->lim.max_bytes);
    if (u->produced >= RATIO_FLOOR && u->produced > u->ratio_cap)
        return ps_err_set(err, PS_EINVAL, "UNWRAP_RATIO",
                          "more than %lld bytes decompressed from %lld "
                          "(ratio above %lld)",
                          (long long)u->ratio_cap, (long long)u->fsize,
                          (long long)u->lim.max_ratio);
    return 0;
}

/*
 * Up to n bytes of the current member of lv, from its source (not the peek
 * buffer).  Decoder output is counted and checked here; a decoder is never
 * asked for more than one byte past u->cap.
 */
static ssize_t raw_read(struct ps_unwrap *u, struct level *lv, void *buf,
                        size_t n, struct ps_err *err)
{
    ssize_t r;
    int rc;

    if (n > READ_MAX)
        n = READ_MAX;
    if (lv->kind == KIND_PLAIN)
        return file_read(u, buf, n, err);
    if (u->cap - u->produced < (int64_t)n)
        n = (size_t)(u->cap - u->produced) + 1;
    if (lv->kind == KIND_GZIP) {
        r = gz_read(u, lv, buf, n, err);
    } else {
        r = archive_read_data(lv->a, buf, n);
        if (r < 0)
            return archive_fail(u, lv, err);
    }
    if (r > 0) {
        u->produced += r;
        rc = check_limits(u, err);
        if (rc < 0)
            return rc;
    }
    return r;
}

/* The current member of lv: peeked bytes first, then the rest. */
static ssize_t member_read(struct ps_unwrap *u, struct level *lv, void *buf,
                           size_t n, struct ps_err *err)
{
    ssize_t r;

    if (!lv->open || n == 0)
        return 0;
    if (lv->peek_pos < lv->peek_len) {
        size_t k = lv->peek_len - lv->peek_pos;
        if (k > n)
            k = n;
        memcpy(buf, lv->peek + lv->peek_pos, k);
        lv->peek_pos += k;
        return (ssize_t)k;
    }
    if (lv->eof)
        return 0;
    r = raw_read(u, lv, buf, n, err);
    if (r == 0)
        lv->eof = 1;
    return r;
}

/* Read the rest of lv's current member, counted, into the scratch buffer. */
static int drain(struct ps_unwrap *u, struct level *lv, struct ps_err *err)
{
    for (;;) {
        ssize_t r = member_read(u, lv, u->scratch, BUF_SIZE, err);
        if (r <= 0)
            return (int)r;
    }
}

/* Fill lv's peek buffer from its freshly opened member. */
static int peek_member(struct ps_unwrap *u, struct level *lv,
                       struct ps_err *err)
{
    lv->peek_len = 0;
    lv->peek_pos = 0;
    while (lv->peek_len < PEEK_MAX) {
        ssize_t r = raw_read(u, lv, lv->peek + lv->peek_len,
                             PEEK_MAX - lv->peek_len, err);
        if (r < 0)
            return (int)r;
        if (r == 0) {
            lv->eof = 1;
            break;
        }
        lv->peek_len += (size_t)r;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Levels                                                              */

static void open_member(struct level *lv)
{
    lv->open = 1;
    lv->eof = 0;
    lv->peek_len = 0;
    lv->peek_pos = 0;
}

static void end_member(struct level *lv)
{
    lv->open = 0;
    lv->eof = 0;
    lv->peek_len = 0;
    lv->peek_pos = 0;
    free(lv->mname);
    lv->mname = NULL;
}

static void level_free(struct level *lv)
{
    if (lv == NULL)
        return;
    if (lv->a != NULL)
        archive_read_free(lv->a);
    if (lv->z_live)
        inflateEnd(&lv->z);
    free(lv->inbuf);
    free(lv->mname);
    free(lv);
}

/*
 * Check an archive entry: 0 for a regular file, 1 for a directory (to be
 * skipped), or PS_EINVAL with the rule it breaks.
 */
static int check_entry(struct archive_entry *e, const char *path,
                       struct ps_err *err)
{
    char q[PS_QUOTE_MAX * 4 + 4];
    enum ps_code rule = path_rule(path);

    if (rule != PS_CODE_NONE)
        return ps_err_set(err, PS_EINVAL, ps_code_name(rule),
                          rule == PS_CODE_UNWRAP_DOTDOT
                              ? "member %s has a \"..\" component"
                              : "member %s has an absolute path",
                          quote(path, q, sizeof(q)));
    if (archive_entry_hardlink(e) != NULL ||
        archive_entry_hardlink_utf8(e) != NULL ||
        archive_entry_symlink(e) != NULL ||
        archive_entry_symlink_utf8(e) != NULL ||
        archive_entry_filetype(e) == AE_IFLNK)
        return ps_err_set(err, PS_EINVAL, "UNWRAP_LINK", "member %s is a link",
                          quote(path, q, sizeof(q)));
    switch (archive_entry_filetype(e)) {
    case AE_IFREG:
        return 0;
    case AE_IFDIR:
        return 1;
    default:
        return ps_err_set(err, PS_EINVAL, "UNWRAP_SPECIAL",
                          "member %s is a device, FIFO or socket",
                          quote(path, q, sizeof(q)));
    }
}

/* Move an archive level to its next regular-file entry: 1, or 0 at end. */
static int next_entry(struct ps_unwrap *u, struct level *lv, struct ps_err *err)
{
    int rc;

    if (lv->open) {
        rc = drain(u, lv, err);
        if (rc < 0)
            return rc;
    }
    end_member(lv);
    for (;;) {
        struct archive_entry *e;
        const char *path;
        int r = archive_read_next_header(lv->a, &e);

        if (r == ARCHIVE_EOF)
            return 0;
        /* WARN: e.g. a name not convertible to the locale; still usable. */
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return archive_fail(u, lv, err);
        path = archive_entry_pathname(e);
        if (path == NULL)
            path = archive_entry_pathname_utf8(e);
        if (path == NULL || path[0] == '\0')
            return ps_err_set(err, PS_EINVAL, "UNWRAP_CORRUPT",
                              "damaged %s: member without a name",
                              kind_name(lv->kind));
        lv->mname = strdup(path);
        if (lv->mname == NULL)
            return ps_err_set(err, PS_ENOMEM, NULL, "out of memory");
        if (++u->nmembers > u->lim.max_members)
            return ps_err_set(err, PS_EINVAL, "UNWRAP_TOO_MANY",
                              "more than %ld members", u->lim.max_members);
        rc = check_entry(e, lv->mname, err);
        if (rc < 0)
            return rc;
        open_member(lv);
        if (rc == 0)
            return 1;
        /* A directory: read out whatever data it claims, then on. */
        rc = drain(u, lv, err);
        if (rc < 0)
            return rc;
        end_member(lv);
    }
}

/* Move lv to its next member: 1 when one is current, 0 when none is left. */
static int advance(struct ps_unwrap *u, struct level *lv, struct ps_err *err)
{
    const char *container;
    int rc;

    switch (lv->kind) {
    case KIND_PLAIN:
        if (lv->started)
            return 0;
        lv->started = 1;
        open_member(lv);
        return 1;
    case KIND_GZIP:
        if (lv->started) {
            /* Read to the end: the trailer's CRC and length get checked. */
            rc = drain(u, lv, err);
            if (rc < 0)
                return rc;
            end_member(lv);
            return 0;
        }
        lv->started = 1;
        container = lv->idx > 1 ? u->lv[lv->idx - 1]->mname : u->name;
        lv->mname = gz_name(container != NULL ? container : "");
        if (lv->mname == NULL)
            return ps_err_set(err, PS_ENOMEM, NULL, "out of memory");
        open_member(lv);
        return 1;
    default:
        return next_entry(u, lv, err);
    }
}

/*
 * Put a decoder of kind k on top, reading the current member of the top
 * level.  merged: a tar straight inside a gzip (one wrapper, tar.gz).
 */
static int push(struct ps_unwrap *u, enum kind k, int depth, int merged,
                struct ps_err *err)
{
    struct level *parent = u->lv[u->top];
    struct level *lv;
    int r;

    if (PS_NEVER(u->top + 1 >= LEVELS_MAX))
        return ps_err_set(err, PS_EINTERNAL, NULL, "unwrap level overflow");
    lv = calloc(1, sizeof(*lv));
    if (lv == NULL)
        return ps_err_set(err, PS_ENOMEM, NULL, "out of memory");
    lv->u = u;
    lv->idx = u->top + 1;
    lv->kind = k;
    lv->depth = depth;
    u->lv[++u->top] = lv; /* from here on freed by ps_unwrap_close() */
    lv->inbuf = malloc(BUF_SIZE);
    if (lv->inbuf == NULL)
        return ps_err_set(err, PS_ENOMEM, NULL, "out of memory");
    if (k == KIND_GZIP) {
        int zr = inflateInit2(&lv->z, 16 + MAX_WBITS);
        if (zr != Z_OK)
            return ps_err_set(err, zr == Z_MEM_ERROR ? PS_ENOMEM : PS_EINTERNAL,
                              NULL, "inflateInit2 failed (%d)", zr);
        lv->z_live = 1;
        lv->z_in_member = 1;
        return 0;
    }
    if (merged)
        parent->hidden = 1;
    lv->a = archive_read_new();
    if (lv->a == NULL)
        return ps_err_set(err, PS_ENOMEM, NULL, "out of memory");
    /* Only the format detected, and no filters: we do the decompressing. */
    r = k == KIND_ZIP ? archive_read_support_format_zip_streamable(lv->a)
                      : archive_read_support_format_tar(lv->a);
    if (r != ARCHIVE_OK)
        return ps_err_set(err, PS_EINTERNAL, NULL,
                          "libarchive has no %s reader", kind_name(k));
    if (archive_read_open(lv->a, lv, NULL, ar_read_cb, NULL) != ARCHIVE_OK)
        return archive_fail(u, lv, err);
    return 0;
}

/* Find the next document: 1 with it current at the top level, 0 at end. */
static int step(struct ps_unwrap *u, struct ps_err *err)
{
    for (;;) {
        struct level *lv = u->lv[u->top];
        enum kind k;
        int rc, merged, depth;

        rc = advance(u, lv, err);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            if (u->top == 0)
                return 0;
            u->lv[u->top--] = NULL;
            level_free(lv);
            continue;
        }
        rc = peek_member(u, lv, err);
        if (rc < 0)
            return rc;
        k = detect(lv->peek, lv->peek_len);
        if (k == KIND_PLAIN) {
            if (u->ndocs == INT_MAX)
                return ps_err_set(err, PS_EINVAL, "UNWRAP_TOO_MANY",
                                  "more than %d documents", INT_MAX);
            return 1;
        }
        merged = lv->kind == KIND_GZIP && k == KIND_TAR;
        depth = merged ? lv->depth : lv->depth + 1;
        if (depth > u->lim.max_depth)
            return ps_err_set(err, PS_EINVAL, "UNWRAP_TOO_DEEP",
                              "%s nested %d deep (at most %d allowed)",
                              kind_name(k), depth, u->lim.max_depth);
        rc = push(u, k, depth, merged, err);
        if (rc < 0)
            return rc;
    }
}

/* ------------------------------------------------------------------ */
/* Public                                                              */

static ssize_t doc_read(void *ctx, void *buf, size_t n, struct ps_err *err)
{
    struct ps_unwrap *u = ctx;
    struct ps_err tmp;
    ssize_t r;

    if (err == NULL)
        err = &tmp;
    if (u->failed) {
        *err = u->saved;
        return u->failed;
    }
    if (!u->doc_live)
        return 0;
    r = member_read(u, u->lv[u->top], buf, n, err);
    if (r < 0)
        return fail(u, err);
    return r;
}

static int limits_ok(const struct ps_unwrap_limits *l)
{
    return l->max_depth >= 0 && l->max_depth <= DEPTH_MAX &&
           l->max_members >= 0 && l->max_bytes >= 0 && l->max_ratio >= 1;
}

/* ps_unwrap_open() on `path`, or on a duplicate of `fd` when path is
 * NULL. */
static int open_any(const char *path, int fd, const char *name,
                    const struct ps_unwrap_limits *limits,
                    struct ps_unwrap **out, struct ps_err *err)
{
    struct ps_unwrap *u = NULL;
    struct ps_err tmp;
    struct stat st;
    int rc = 0, flags;

    if (err == NULL)
        err = &tmp;
    ps_err_clear(err);
    if (name == NULL)
        name = path != NULL ? path : "input";
    u = calloc(1, sizeof(*u));
    if (u == NULL) {
        rc = ps_err_set(err, PS_ENOMEM, NULL, "out of memory");
        goto out;
    }
    u->fd = -1;
    if (limits != NULL)
        u->lim = *limits;
    else
        ps_unwrap_limits_default(&u->lim);
    if (!limits_ok(&u->lim)) {
        rc = ps_err_set(err, PS_ECONFIG, "UNWRAP_LIMITS",
                        "unwrap limits out of range (depth 0..%d, members "
                        "and bytes >= 0, ratio >= 1)",
                        DEPTH_MAX);
        goto out;
    }
    u->name = strdup(name);
    u->scratch = malloc(BUF_SIZE);
    u->lv[0] = calloc(1, sizeof(*u->lv[0]));
    if (u->name == NULL || u->scratch == NULL || u->lv[0] == NULL) {
        rc = ps_err_set(err, PS_ENOMEM, NULL, "out of memory");
        goto out;
    }
    u->lv[0]->u = u;
    u->lv[0]->kind = KIND_PLAIN;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    if (path != NULL)
        u->fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    else if ((u->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
        rc = ps_err_sys(err, errno, "duplicating the descriptor of %s", name);
        goto out;
    }
    if (u->fd < 0) {
        if (errno == ELOOP)
            rc = ps_err_set(err, PS_EINVAL, "NOT_REGULAR_FILE",
                            "%s is a symbolic link", name);
        else if (errno == ENOENT)
            rc = ps_err_set(err, PS_ENOTFOUND, NULL, "%s does not exist", name);
        else
            rc = ps_err_sys(err, errno, "opening %s", name);
        goto out;
    }
    if (fstat(u->fd, &st) != 0) {
        rc = ps_err_sys(err, errno, "fstat %s", name);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = ps_err_set(err, PS_EINVAL, "NOT_REGULAR_FILE",
                        "%s is not a regular file", name);
        goto out;
    }
    flags = fcntl(u->fd, F_GETFL);
    if (flags < 0 || fcntl(u->fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        rc = ps_err_sys(err, errno, "fcntl %s", name);
        goto out;
    }
    u->fsize = st.st_size;
    u->ratio_cap = u->fsize > INT64_MAX / u->lim.max_ratio
                       ? INT64_MAX
                       : u->fsize * u->lim.max_ratio;
    /* Below RATIO_FLOOR the ratio is not checked. */
    u->cap = u->ratio_cap > RATIO_FLOOR - 1 ? u->ratio_cap : RATIO_FLOOR - 1;
    if (u->cap > u->lim.max_bytes)
        u->cap = u->lim.max_bytes;
    if (u->cap > INT64_MAX - 1)
        u->cap = INT64_MAX - 1; /* room for the one byte past it */
    *out = u;
    u = NULL;
out:
    if (rc < 0)
        ps_err_at(err, name, 0, -1);
    ps_unwrap_close(u);
    return rc;
}

int ps_unwrap_open(const char *path, const char *name,
                   const struct ps_unwrap_limits *limits,
                   struct ps_unwrap **out, struct ps_err *err)
{
    return open_any(path, -1, name, limits, out, err);
}

int ps_unwrap_open_fd(int fd, const char *name,
                      const struct ps_unwrap_limits *limits,
                      struct ps_unwrap **out, struct ps_err *err)
{
    return open_any(NULL, fd, name, limits, out, err);
}

int ps_unwrap_next(struct ps_unwrap *u, struct ps_doc *doc, struct ps_err *err)
{
    struct ps_err tmp;
    size_t plen, nlen;
    char *s;
    int rc;

    if (err == NULL)
        err = &tmp;
    if (u->failed) {
        *err = u->saved;
        return u->failed;
    }
    u->doc_live = 0;
    if (u->done)
        return 0;
    ps_err_clear(err);
    rc = step(u, err);
    if (rc == 0)
        u->done = 1;
    if (rc <= 0)
        goto out;
    plen = join_path(u, NULL, 0);
    nlen = strlen(u->name);
    s = malloc(nlen + (plen > 0 ? plen + 2 : 0) + 1);
    if (s == NULL) {
        rc = ps_err_set(err, PS_ENOMEM, NULL, "out of memory");
        goto out;
    }
    memcpy(s, u->name, nlen + 1);
    if (plen > 0) {
        memcpy(s + nlen, "!/", 2);
        join_path(u, s + nlen + 2, plen + 1);
    }
    free(u->docname);
    u->docname = s;
    doc->name = s;
    doc->member = plen > 0 ? s + nlen + 2 : NULL;
    doc->index = u->ndocs++;
    doc->depth = u->lv[u->top]->depth;
    doc->stream.read = doc_read;
    doc->stream.ctx = u;
    u->doc_live = 1;
out:
    if (rc < 0)
        rc = fail(u, err);
    return rc;
}

void ps_unwrap_close(struct ps_unwrap *u)
{
    if (u == NULL)
        return;
    /* Top down: a level's archive may still point at the one below. */
    for (int i = LEVELS_MAX - 1; i >= 0; i--)
        level_free(u->lv[i]);
    if (u->fd >= 0)
        close(u->fd);
    free(u->docname);
    free(u->scratch);
    free(u->name);
    free(u);
}

/*
 * A zip keeps a member's file type only in its central directory, which
 * the streaming reader never sees, so a symlink member would pass as an
 * ordinary one.  For the outermost zip, read the central directory with
 * libarchive's seekable reader and refuse links and special files.
 * (Nested zips have no seekable stream; a link there reaches the formats
 * as a tiny document holding the target's name, never followed.)
 */
static int zip_central_check(const char *path, int from, const char *name,
                             struct ps_err *err)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    unsigned char magic[4];
    int fd, rc = 0, r;
    ssize_t got;

    if (a == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    /* (A duplicate shares the offset: rewound below, read only here.) */
    fd = path != NULL
             ? open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
             : fcntl(from, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        archive_read_free(a);
        return 0; /* ps_unwrap_open reports it */
    }
    got = read(fd, magic, sizeof(magic));
    if (got != 4 || memcmp(magic, "PK\x03\x04", 4) != 0) {
        close(fd);
        archive_read_free(a);
        return 0; /* not a zip */
    }
    archive_read_support_format_zip_seekable(a);
    if (lseek(fd, 0, SEEK_SET) != 0 ||
        archive_read_open_fd(a, fd, BUF_SIZE) != ARCHIVE_OK) {
        close(fd);
        archive_read_free(a);
        return 0; /* the streaming pass reports damage */
    }
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
           r == ARCHIVE_WARN) {
        mode_t type = archive_entry_filetype(e);
        const char *member = archive_entry_pathname(e);
        char q[PS_QUOTE_MAX * 4 + 4];
        quote(member ? member : "?", q, sizeof(q));
        if (type == AE_IFLNK || archive_entry_symlink(e) != NULL) {
            rc = ps_err_set(err, PS_EINVAL, "UNWRAP_LINK",
                            "member %s is a symbolic link", q);
        } else if (type != 0 && type != AE_IFREG && type != AE_IFDIR) {
            rc = ps_err_set(err, PS_EINVAL, "UNWRAP_SPECIAL",
                            "member %s is not a regular file", q);
        }
        if (rc != 0) {
            ps_err_at(err, name, 0, -1);
            ps_err_field(err, q);
            break;
        }
    }
    archive_read_free(a);
    close(fd);
    return rc;
}

static int verify_any(const char *path, int fd, const char *name,
                      const struct ps_unwrap_limits *limits, int *ndocs,
                      struct ps_err *err)
{
    struct ps_unwrap *u = NULL;
    struct ps_doc doc;
    int rc, n = 0;

    rc = open_any(path, fd, name, limits, &u, err);
    if (rc < 0)
        goto out;
    if ((rc = zip_central_check(path, fd, name, err)) != 0)
        goto out;
    while ((rc = ps_unwrap_next(u, &doc, err)) == 1) {
        ssize_t r;
        /* The scratch buffer is free while a document is read. */
        while ((r = doc.stream.read(doc.stream.ctx, u->scratch, BUF_SIZE,
                                    err)) > 0)
            ;
        if (r < 0) {
            rc = (int)r;
            goto out;
        }
        n++;
    }
    if (rc == 0 && ndocs != NULL)
        *ndocs = n;
out:
    ps_unwrap_close(u);
    return rc;
}

int ps_unwrap_verify(const char *path, const char *name,
                     const struct ps_unwrap_limits *limits, int *ndocs,
                     struct ps_err *err)
{
    return verify_any(path, -1, name, limits, ndocs, err);
}

int ps_unwrap_verify_fd(int fd, const char *name,
                        const struct ps_unwrap_limits *limits, int *ndocs,
                        struct ps_err *err)
{
    return verify_any(NULL, fd, name, limits, ndocs, err);
}
