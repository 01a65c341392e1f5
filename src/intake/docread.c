/*
 * docread.c -- open a document with the format that bids highest on its
 * first bytes (see docread.h).
 */
#include "intake/docread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/log.h"

static ssize_t peeked_read(void *ctx, void *buf, size_t n, struct ps_err *err)
{
    struct ps_docpeek *pk = ctx;
    if (pk->pos < pk->len) {
        size_t k = pk->len - pk->pos < n ? pk->len - pk->pos : n;
        memcpy(buf, pk->buf + pk->pos, k);
        pk->pos += k;
        return (ssize_t)k;
    }
    return pk->src->read(pk->src->ctx, buf, n, err);
}

static int peek_fill(struct ps_docpeek *pk, struct ps_stream *src,
                     struct ps_err *err)
{
    pk->src = src;
    pk->len = pk->pos = 0;
    while (pk->len < sizeof(pk->buf)) {
        ssize_t n = src->read(src->ctx, pk->buf + pk->len,
                              sizeof(pk->buf) - pk->len, err);
        if (n < 0)
            return (int)n;
        if (n == 0)
            break;
        pk->len += (size_t)n;
    }
    pk->s.read = peeked_read;
    pk->s.ctx = pk;
    return 0;
}

void ps_docread_stop(struct ps_docread *d)
{
    if (d->fmt != NULL && d->state != NULL)
        d->fmt->close(d->state);
    d->fmt = NULL;
    d->state = NULL;
}

int ps_docread_start(struct ps_docread *d, const struct ps_doc *doc,
                     const char *format, const char *options,
                     struct ps_err *err)
{
    int rc;
    memset(d, 0, sizeof(*d));
    d->doc = *doc;
    if ((rc = peek_fill(&d->pk, &d->doc.stream, err)) != 0 ||
        (rc = ps_format_detect(d->pk.buf, d->pk.len, d->doc.name,
                               format != NULL && format[0] ? format : NULL,
                               &d->fmt, err)) != 0 ||
        (rc = d->fmt->open(&d->pk.s, d->doc.name, &d->state, err)) != 0 ||
        (options != NULL && options[0] != '\0' && d->fmt->options != NULL &&
         (rc = d->fmt->options(d->state, options, err)) != 0)) {
        ps_err_at(err, d->doc.name, 0, -1);
        ps_docread_stop(d);
        return rc;
    }
    return 0;
}


/* ---- the spill (docread.h) ------------------------------------------ */

/*
 * A record in the spill: u32 length of the rest; i64 line, i64 offset;
 * u8 slots; then per slot (kind, reference, key, then each field) a tag
 * byte -- TAG_NAME_SAME (a field's name is the previous record's in that
 * place), TAG_VAL_SAME (so is its value), TAG_VAL_NULL -- and the name
 * (fields only) and value not said to be the same, each a u32 length
 * with its NUL and the bytes; then the rejection, raw, when the record
 * has one (u8 flag first).  A pain.001 record takes about 50 bytes: the
 * MsgId, PmtInfId, message name and every field name repeat.
 */
#define SPILL_BUF (1u << 20)
#define SLOTS (3 + PS_RECORD_MAX_FIELDS)
#define TAG_NAME_SAME 1u
#define TAG_VAL_SAME 2u
#define TAG_VAL_NULL 4u

struct slot {
    char *s;
    size_t cap;
    int set, null;
};

static int slot_same(const struct slot *sl, const char *v)
{
    if (!sl->set)
        return 0;
    if (v == NULL || sl->null)
        return v == NULL && sl->null;
    return strcmp(sl->s, v) == 0;
}

/* Keep a copy of v (NULL allowed); -1 when out of memory. */
static int slot_put(struct slot *sl, const char *v, size_t n)
{
    sl->set = 1;
    sl->null = v == NULL;
    if (v == NULL)
        return 0;
    if (n + 1 > sl->cap) {
        size_t cap = n + 1 < 64 ? 64 : 2 * (n + 1);
        char *p = realloc(sl->s, cap);
        if (p == NULL) {
            sl->set = 0;
            return -1;
        }
        sl->s = p;
        sl->cap = cap;
    }
    memcpy(sl->s, v, n);
    sl->s[n] = '\0';
    return 0;
}

static void slots_free(struct slot *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].s);
        v[i].s = NULL;
        v[i].cap = 0;
        v[i].set = 0;
    }
}

struct ps_spill {
    int fd;
    int broken;         /* a write failed: nothing more is kept */
    int64_t end;        /* bytes in the file */
    unsigned char *buf; /* bytes to be written at `end` */
    size_t used, cap;
    struct slot name[SLOTS], val[SLOTS]; /* the previous record's */
};

int ps_spill_open(struct ps_spill **out, const char *work_path,
                  struct ps_err *err)
{
    struct ps_spill *s;
    char dir[4096];
    const char *slash = strrchr(work_path, '/');
    *out = NULL;
    if (slash == NULL)
        ps_strlcpy(dir, ".", sizeof(dir));
    else if ((size_t)(slash - work_path) < sizeof(dir))
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - work_path), work_path);
    else
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
    if ((s = calloc(1, sizeof(*s))) == NULL ||
        (s->buf = malloc(SPILL_BUF)) == NULL) {
        free(s);
        return 0;
    }
    s->cap = SPILL_BUF;
    s->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (s->fd < 0) {
        /* No unnamed files here: the document is read twice instead. */
        ps_log(PS_LOG_DEBUG, "spill.unavailable", "{s:s, s:i}", "dir", dir,
               "errno", errno);
        free(s->buf);
        free(s);
        return 0;
    }
    *out = s;
    return 0;
}

void ps_spill_close(struct ps_spill *s)
{
    if (s == NULL)
        return;
    close(s->fd);
    slots_free(s->name, SLOTS);
    slots_free(s->val, SLOTS);
    free(s->buf);
    free(s);
}

static int spill_flush(struct ps_spill *s)
{
    size_t done = 0;
    while (done < s->used) {
        ssize_t w = pwrite(s->fd, s->buf + done, s->used - done,
                           (off_t)(s->end + (int64_t)done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    s->end += (int64_t)s->used;
    s->used = 0;
    return 0;
}

/* Room for n more bytes in the buffer. */
static int spill_room(struct ps_spill *s, size_t n)
{
    if (s->used + n <= s->cap)
        return 0;
    if (spill_flush(s) != 0)
        return -1;
    if (n > s->cap) {
        unsigned char *p = realloc(s->buf, n);
        if (p == NULL)
            return -1;
        s->buf = p;
        s->cap = n;
    }
    return 0;
}

static void put_bytes(struct ps_spill *s, const void *p, size_t n)
{
    memcpy(s->buf + s->used, p, n);
    s->used += n;
}

static void put_str(struct ps_spill *s, const char *v, size_t n)
{
    uint32_t len = (uint32_t)(n + 1);
    put_bytes(s, &len, sizeof(len));
    put_bytes(s, v, n + 1);
}

/* The bytes a record takes at most (every name and value written). */
static size_t rec_bound(const struct ps_record *rec, const char **v,
                        size_t nslots)
{
    size_t n = 4 + 8 + 8 + 1 + 1 + sizeof(rec->err);
    for (size_t i = 0; i < nslots; i++) {
        n += 1 + 2 * 4 + (v[i] != NULL ? strlen(v[i]) + 1 : 0);
        if (i >= 3)
            n += strlen(rec->name[i - 3]) + 1;
    }
    return n;
}

static int spill_put(struct ps_spill *s, const struct ps_record *rec)
{
    const char *v[SLOTS];
    size_t nslots = 3 + rec->nfields, start;
    uint32_t len;
    int64_t line = rec->line, off = rec->offset;
    unsigned char n = (unsigned char)nslots, flag = rec->err.code != 0;
    v[0] = rec->kind;
    v[1] = rec->reference;
    v[2] = rec->key;
    for (size_t i = 0; i < rec->nfields; i++)
        v[3 + i] = rec->value[i];
    if (spill_room(s, rec_bound(rec, v, nslots)) != 0)
        return -1;
    start = s->used;
    s->used += sizeof(len);
    put_bytes(s, &line, sizeof(line));
    put_bytes(s, &off, sizeof(off));
    put_bytes(s, &n, 1);
    for (size_t i = 0; i < nslots; i++) {
        const char *name = i >= 3 ? rec->name[i - 3] : NULL;
        unsigned char tag = 0;
        size_t nl = 0, vl = 0;
        if (name != NULL && slot_same(&s->name[i], name))
            tag |= TAG_NAME_SAME;
        if (v[i] == NULL)
            tag |= TAG_VAL_NULL;
        else if (slot_same(&s->val[i], v[i]))
            tag |= TAG_VAL_SAME;
        put_bytes(s, &tag, 1);
        if (name != NULL && !(tag & TAG_NAME_SAME)) {
            nl = strlen(name);
            put_str(s, name, nl);
            if (slot_put(&s->name[i], name, nl) != 0)
                return -1;
        }
        if (!(tag & (TAG_VAL_SAME | TAG_VAL_NULL))) {
            vl = strlen(v[i]);
            put_str(s, v[i], vl);
        }
        if (!(tag & TAG_VAL_SAME) && slot_put(&s->val[i], v[i], vl) != 0)
            return -1;
    }
    put_bytes(s, &flag, 1);
    if (flag)
        put_bytes(s, &rec->err, sizeof(rec->err));
    len = (uint32_t)(s->used - start - sizeof(len));
    memcpy(s->buf + start, &len, sizeof(len));
    return 0;
}

static int spill_next(void *state, struct ps_record *rec, struct ps_err *err)
{
    struct ps_docread *d = state;
    int rc = d->inner->next(d->inner_state, rec, err);
    if (rc > 0 && !d->spill->broken) {
        if (spill_put(d->spill, rec) != 0)
            d->spill->broken = 1;
        else
            d->seg_records++;
    }
    return rc;
}

static void spilled(struct ps_docread *d, struct ps_spillseg *seg);

static int spill_finish(void *state, struct ps_doc_totals *totals,
                        struct ps_err *err)
{
    struct ps_docread *d = state;
    int rc = d->inner->finish(d->inner_state, totals, err);
    if (rc == 0 && d->seg != NULL)
        spilled(d, d->seg);
    return rc;
}

static void spill_close(void *state)
{
    struct ps_docread *d = state;
    d->inner->close(d->inner_state);
    if (d->spill != NULL && d->spill->end + (int64_t)d->spill->used >
                                d->seg_start) {
        /* Not a whole document (ps_docread_spilled() was not called):
         * its records are written over by the next. */
        if (d->spill->end > d->seg_start)
            d->spill->end = d->seg_start;
        d->spill->used = 0;
    }
}

static void spill_start(struct ps_docread *d, struct ps_spill *s,
                        struct ps_spillseg *seg)
{
    /* Only where a replay is measured cheaper than a second parse: a
     * pain.001's SAX2 parse (docs/benchmarks.md, session 27); a CSV or
     * NACHA line costs about what its replay would. */
    if (s == NULL || s->broken || d->fmt == NULL ||
        strcmp(d->fmt->name, "iso20022") != 0)
        return;
    d->inner = d->fmt;
    d->inner_state = d->state;
    d->wrap = *d->fmt;
    d->wrap.next = spill_next;
    d->wrap.finish = spill_finish;
    d->wrap.close = spill_close;
    d->wrap.options = NULL;
    d->wrap.problems = NULL;
    d->wrap.validate = NULL;
    d->fmt = &d->wrap;
    d->state = d;
    d->spill = s;
    d->seg = seg;
    d->seg_start = s->end + (int64_t)s->used;
    d->seg_records = 0;
    /* A segment is replayed alone: its first record names everything. */
    for (size_t i = 0; i < SLOTS; i++)
        s->name[i].set = s->val[i].set = 0;
}

static void spilled(struct ps_docread *d, struct ps_spillseg *seg)
{
    if (!d->spill->broken && spill_flush(d->spill) != 0)
        d->spill->broken = 1;
    if (d->spill->broken) {
        ps_log(PS_LOG_WARN, "spill.failed", "{s:s, s:i}", "document",
               d->doc.name, "errno", errno);
        return;
    }
    seg->spill = d->spill;
    seg->start = d->seg_start;
    seg->end = d->spill->end;
    seg->records = d->seg_records;
    seg->valid = 1;
    d->seg_start = d->spill->end; /* spill_close() keeps it */
}

/* ---- replaying a segment -------------------------------------------- */

struct replay {
    const struct ps_spill *sp;
    int64_t next_read, end; /* file offsets */
    unsigned char *buf;
    size_t cap, len, off; /* unread bytes: buf[off, len) */
    struct slot name[SLOTS], val[SLOTS];
};

/* n unread bytes in the buffer: 0, 1 at the segment's end, -1 on error. */
static int replay_need(struct replay *r, size_t n, struct ps_err *err)
{
    if (r->len - r->off >= n)
        return 0;
    memmove(r->buf, r->buf + r->off, r->len - r->off);
    r->len -= r->off;
    r->off = 0;
    if (n > r->cap) {
        unsigned char *p = realloc(r->buf, n);
        if (p == NULL)
            return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        r->buf = p;
        r->cap = n;
    }
    while (r->len < n) {
        size_t want = r->cap - r->len;
        if ((int64_t)want > r->end - r->next_read)
            want = (size_t)(r->end - r->next_read);
        if (want == 0)
            return r->len == 0 ? 1
                               : ps_err_set(err, PS_EINTERNAL, "SPILL_CORRUPT",
                                            "the spill of records ends "
                                            "inside a record");
        ssize_t got = pread(r->sp->fd, r->buf + r->len, want,
                            (off_t)r->next_read);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return ps_err_sys(err, got < 0 ? errno : EIO,
                              "cannot read the spill of records");
        r->len += (size_t)got;
        r->next_read += got;
    }
    return 0;
}

static void get_bytes(struct replay *r, const unsigned char **p, void *out,
                      size_t n)
{
    (void)r;
    memcpy(out, *p, n);
    *p += n;
}

static int get_str(struct replay *r, const unsigned char **p,
                   const unsigned char *end, struct slot *sl)
{
    uint32_t n;
    if (end - *p < 4)
        return -1;
    get_bytes(r, p, &n, sizeof(n));
    if (n == 0 || (size_t)(end - *p) < n)
        return -1;
    if (slot_put(sl, (const char *)*p, n - 1) != 0)
        return -1;
    *p += n;
    return 0;
}

static int replay_next(void *state, struct ps_record *rec, struct ps_err *err)
{
    struct replay *r = state;
    const unsigned char *p, *end;
    uint32_t len;
    int64_t line, off;
    unsigned char n, flag;
    int rc = replay_need(r, sizeof(len), err);
    if (rc != 0)
        return rc > 0 ? 0 : rc;
    memcpy(&len, r->buf + r->off, sizeof(len));
    if ((rc = replay_need(r, sizeof(len) + len, err)) != 0)
        return rc > 0 ? ps_err_set(err, PS_EINTERNAL, "SPILL_CORRUPT",
                                   "the spill of records ends inside a "
                                   "record")
                      : rc;
    p = r->buf + r->off + sizeof(len);
    end = p + len;
    r->off += sizeof(len) + len;
    ps_record_reset(rec);
    get_bytes(r, &p, &line, sizeof(line));
    get_bytes(r, &p, &off, sizeof(off));
    get_bytes(r, &p, &n, 1);
    if (n < 3 || n > SLOTS)
        goto bad;
    rec->line = (long)line;
    rec->offset = off;
    for (size_t i = 0; i < n; i++) {
        unsigned char tag;
        if (p >= end)
            goto bad;
        get_bytes(r, &p, &tag, 1);
        if (i >= 3 && !(tag & TAG_NAME_SAME) &&
            get_str(r, &p, end, &r->name[i]) != 0)
            goto bad;
        if (tag & TAG_VAL_NULL)
            r->val[i].null = 1, r->val[i].set = 1;
        else if (!(tag & TAG_VAL_SAME) && get_str(r, &p, end, &r->val[i]) != 0)
            goto bad;
        if ((i >= 3 && !r->name[i].set) || !r->val[i].set)
            goto bad;
    }
    rec->kind = r->val[0].null ? NULL : r->val[0].s;
    rec->reference = r->val[1].null ? NULL : r->val[1].s;
    rec->key = r->val[2].null ? NULL : r->val[2].s;
    for (size_t i = 3; i < n; i++)
        ps_record_field(rec, r->name[i].s, r->val[i].null ? NULL : r->val[i].s);
    if (p >= end)
        goto bad;
    get_bytes(r, &p, &flag, 1);
    if (flag) {
        if ((size_t)(end - p) < sizeof(rec->err))
            goto bad;
        get_bytes(r, &p, &rec->err, sizeof(rec->err));
    }
    if (p != end)
        goto bad;
    return 1;
bad:
    return ps_err_set(err, PS_EINTERNAL, "SPILL_CORRUPT",
                      "the spill of records does not read back");
}

static void replay_close(void *state)
{
    struct replay *r = state;
    slots_free(r->name, SLOTS);
    slots_free(r->val, SLOTS);
    free(r->buf);
    free(r);
}

static const struct ps_format replay_format = {
    .name = "replay",
    .description = "the records a check pass kept (docread.h)",
    .next = replay_next,
    .close = replay_close,
};

static int replay_start(struct ps_docread *d, const struct ps_spillseg *seg,
                        struct ps_err *err)
{
    struct replay *r;
    memset(d, 0, sizeof(*d));
    if ((r = calloc(1, sizeof(*r))) == NULL ||
        (r->buf = malloc(SPILL_BUF)) == NULL) {
        free(r);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    r->sp = seg->spill;
    r->cap = SPILL_BUF;
    r->next_read = seg->start;
    r->end = seg->end;
    d->fmt = &replay_format;
    d->state = r;
    return 0;
}

int ps_docread_check(struct ps_docread *d, const struct ps_doc *doc,
                     const char *options, struct ps_spill *s,
                     struct ps_spillseg *seg, struct ps_err *err)
{
    int rc = ps_docread_start(d, doc, NULL, options, err);
    memset(seg, 0, sizeof(*seg));
    if (rc == 0)
        spill_start(d, s, seg);
    return rc;
}

int ps_docread_open(struct ps_docread *d, const struct ps_spillseg *seg,
                    const struct ps_doc *doc, const char *format,
                    const char *options, struct ps_err *err)
{
    if (seg != NULL && seg->valid)
        return replay_start(d, seg, err);
    return ps_docread_start(d, doc, format, options, err);
}
