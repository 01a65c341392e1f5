/*
 * isoresult.c -- the pain.002.001.11 status report written beside the CSV
 * result of every applied pain.001 document (isoresult.h).
 *
 * The report pairs, in record order, the store's record results (outcome,
 * code, message: rows for the records not accepted) with what the apply
 * pass kept of each record in a side file (MsgId, PmtInfId, EndToEndId):
 * the document is not parsed again, and nothing is held whole, so a
 * document of a million transactions costs what one does.
 *
 * The side file, work/<business>/.<input>.<index>.pain002ids, is a list
 * of NUL-terminated entries, each led by its kind: 'M' the MsgId and 'N'
 * the message name (before the first record), 'P' a PmtInfId (when it
 * changes), 'E' a record's EndToEndId (one per record, in order).  XML
 * text holds no NUL, so no entry needs escaping.  The apply pass writes
 * it from its first record, a resumed pass too (it reads the records
 * applied before the crash again and skips them): what it holds is a
 * function of the document alone, not of how often it was resumed.  It is
 * made durable before the document's last commit, so a crash after that
 * commit finds it whole; it is removed once the report is published.  A
 * document applied by a version that kept none is read again, as before.
 *
 * The report is written through base/output.h (temporary name, fsync,
 * rename, .sha256, .done) under outbound/<business>/results/<file
 * id>.pain002.xml, before the CSV result is published: a crash between
 * them finds it complete on resume.
 *
 * How it fails: I/O and store errors as they are; a side file cut short
 * is PS_EINTERNAL (it was synced before the commit that made the document
 * APPLIED).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intake/isoresult.h"
#include "intake/docread.h"
#include "intake/walk.h"
#include "intake/spool.h"
#include "engine/query.h"
#include "base/clock.h"
#include "base/output.h"
#include "formats/iso20022/iso20022.h"

/* ---- the side file, written by the apply pass ------------------------ */

struct ps_isoids {
    int fd;
    char path[4096];
    char pmtinf[1040]; /* the last PmtInfId written */
    int started;       /* a record was written (so M and N were) */
    size_t used;
    char buf[65536];
};

/* Its path in out; 0, or -1 if it does not fit. */
static int ids_path(char *out, size_t size, const char *dir,
                    const char *input, int index)
{
    int n = snprintf(out, size, "%s/.%s.%d.pain002ids", dir, input, index);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int ps_isoids_open(struct ps_isoids **out, const char *dir, const char *input,
                   int index, const char *format, struct ps_err *err)
{
    struct ps_isoids *x;
    *out = NULL;
    if (strcmp(format, "iso20022") != 0)
        return 0;
    if ((x = calloc(1, sizeof(*x))) == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if (ids_path(x->path, sizeof(x->path), dir, input, index) != 0) {
        free(x);
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "%s/%s: path too long",
                          dir, input);
    }
    /* Always afresh: a resumed pass writes the records before its
     * checkpoint again. */
    x->fd = open(x->path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                 0640);
    if (x->fd < 0) {
        int rc = ps_err_sys(err, errno, "cannot open %s", x->path);
        free(x);
        return rc;
    }
    *out = x;
    return 0;
}

static int ids_flush(struct ps_isoids *x, struct ps_err *err)
{
    size_t off = 0;
    while (off < x->used) {
        ssize_t n = write(x->fd, x->buf + off, x->used - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ps_err_sys(err, errno, "cannot write %s", x->path);
        off += (size_t)n;
    }
    x->used = 0;
    return 0;
}

/* One entry: its kind, its text (NULL is empty), a NUL. */
static int ids_put(struct ps_isoids *x, char kind, const char *text,
                   struct ps_err *err)
{
    size_t len = text != NULL ? strlen(text) : 0;
    int rc;
    if (len > sizeof(x->pmtinf) - 16)
        len = sizeof(x->pmtinf) - 16; /* the reader keeps 1 KiB of text */
    if (x->used + len + 2 > sizeof(x->buf) && (rc = ids_flush(x, err)) != 0)
        return rc;
    x->buf[x->used++] = kind;
    if (len > 0)
        memcpy(x->buf + x->used, text, len);
    x->used += len;
    x->buf[x->used++] = '\0';
    return 0;
}

int ps_isoids_record(struct ps_isoids *x, const struct ps_record *rec,
                     struct ps_err *err)
{
    const char *pmtinf;
    int rc;
    if (x == NULL)
        return 0;
    if (!x->started) {
        if ((rc = ids_put(x, 'M', ps_record_get(rec, "msg_id"), err)) != 0 ||
            (rc = ids_put(x, 'N', ps_record_get(rec, "msg_nm_id"), err)) != 0)
            return rc;
    }
    pmtinf = ps_record_get(rec, "pmt_inf_id");
    if (pmtinf == NULL)
        pmtinf = "";
    if (!x->started || strncmp(x->pmtinf, pmtinf, sizeof(x->pmtinf) - 16) != 0) {
        if ((rc = ids_put(x, 'P', pmtinf, err)) != 0)
            return rc;
        ps_strlcpy(x->pmtinf, pmtinf, sizeof(x->pmtinf) - 15);
    }
    x->started = 1;
    return ids_put(x, 'E', rec->reference, err);
}

int ps_isoids_sync(struct ps_isoids *x, struct ps_err *err)
{
    int rc;
    if (x == NULL)
        return 0;
    if ((rc = ids_flush(x, err)) != 0)
        return rc;
    if (fsync(x->fd) != 0)
        return ps_err_sys(err, errno, "cannot fsync %s", x->path);
    return 0;
}

void ps_isoids_close(struct ps_isoids *x)
{
    if (x == NULL)
        return;
    close(x->fd);
    free(x);
}

void ps_isoids_remove(const char *dir, const char *input, int index)
{
    char path[4096];
    if (ids_path(path, sizeof(path), dir, input, index) == 0)
        unlink(path);
}

/* ---- the report ------------------------------------------------------ */

/* The side file, read back entry by entry. */
struct ids_in {
    int fd; /* -1: none (the document is read again) */
    char path[4096];
    size_t start, end;
    int eof;
    char buf[131072];
};

/* The next entry (kind at [0], NUL-terminated), or NULL at the end. */
static int ids_next(struct ids_in *in, const char **entry, struct ps_err *err)
{
    for (;;) {
        char *nul = memchr(in->buf + in->start, '\0', in->end - in->start);
        if (nul != NULL) {
            *entry = in->buf + in->start;
            in->start = (size_t)(nul - in->buf) + 1;
            return 0;
        }
        if (in->eof) {
            *entry = NULL;
            if (in->start == in->end)
                return 0;
            return ps_err_set(err, PS_EINTERNAL, "EINTERNAL",
                              "%s ends inside an entry", in->path);
        }
        memmove(in->buf, in->buf + in->start, in->end - in->start);
        in->end -= in->start;
        in->start = 0;
        if (in->end == sizeof(in->buf))
            return ps_err_set(err, PS_EINTERNAL, "EINTERNAL",
                              "%s holds an entry over %zu bytes", in->path,
                              sizeof(in->buf));
        ssize_t n = read(in->fd, in->buf + in->end, sizeof(in->buf) - in->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ps_err_sys(err, errno, "cannot read %s", in->path);
        in->eof = n == 0;
        in->end += (size_t)n;
    }
}

struct pair {
    struct ids_in in;  /* the side file, or (fd -1) ... */
    struct ps_docread d; /* ... the document read again */
    struct ps_iso_writer w;
    struct ps_record rec;
    const char *msg_id, *msg_nm_id; /* as far as read, or NULL */
    const char *pmt_inf_id, *ref;   /* the current record's */
    char kept_msg[1040], kept_nm[1040], kept_pmt[1040];
    int more; /* the document has records left */
    long n;   /* the current record's number, 1-based (as record_no) */
    struct ps_err *err;
};

static int out_write(void *ctx, const char *buf, size_t n, struct ps_err *err)
{
    return ps_output_write(ctx, buf, n, err);
}

/* The next record from the side file: entries up to its 'E'. */
static int pull_ids(struct pair *p)
{
    const char *e = NULL;
    int rc;
    for (;;) {
        if ((rc = ids_next(&p->in, &e, p->err)) != 0)
            return rc;
        if (e == NULL) {
            p->more = 0;
            return 0;
        }
        char *to = e[0] == 'M'   ? p->kept_msg
                   : e[0] == 'N' ? p->kept_nm
                   : e[0] == 'P' ? p->kept_pmt
                                 : NULL;
        if (to != NULL) {
            ps_strlcpy(to, e + 1, sizeof(p->kept_msg));
            if (e[0] == 'M')
                p->msg_id = e[1] != '\0' ? p->kept_msg : NULL;
            else if (e[0] == 'N')
                p->msg_nm_id = e[1] != '\0' ? p->kept_nm : NULL;
            else
                p->pmt_inf_id = e[1] != '\0' ? p->kept_pmt : NULL;
            continue;
        }
        if (e[0] != 'E')
            return ps_err_set(p->err, PS_EINTERNAL, "EINTERNAL",
                              "%s holds an entry of kind %d", p->in.path,
                              (int)(unsigned char)e[0]);
        p->ref = e + 1; /* valid until the next read: used before it */
        p->n++;
        return 0;
    }
}

/* The next record of the document, or none (more = 0). */
static int pull(struct pair *p)
{
    if (!p->more)
        return 0;
    if (p->in.fd >= 0)
        return pull_ids(p);
    int rc = p->d.fmt->next(p->d.state, &p->rec, p->err);
    if (rc < 0)
        return rc;
    p->more = rc > 0;
    p->n += p->more;
    if (p->more) {
        p->msg_id = ps_record_get(&p->rec, "msg_id");
        p->msg_nm_id = ps_record_get(&p->rec, "msg_nm_id");
        p->pmt_inf_id = ps_record_get(&p->rec, "pmt_inf_id");
        p->ref = p->rec.reference;
    }
    return 0;
}

/* The status of the document's current record: accepted (row NULL), or
 * as the store's result row says. */
static int emit(struct pair *p, const struct ps_record_result_row *row)
{
    struct ps_iso_txsts t;
    char info[PS_ERR_MSG_MAX + PS_ERR_RULE_MAX + 4];
    int accepted = row == NULL || strcmp(row->outcome, "ACCEPTED") == 0;
    memset(&t, 0, sizeof(t));
    t.pmt_inf_id = p->pmt_inf_id != NULL ? p->pmt_inf_id : "-";
    t.end_to_end_id = row != NULL ? row->reference : p->ref;
    t.tx_sts = accepted ? "ACCP" : "RJCT";
    if (!accepted) {
        snprintf(info, sizeof(info), "%s: %s", row->code, row->message);
        t.rsn = ps_iso_reason(row->code);
        t.info = info;
    }
    int rc = ps_iso_pain002_tx(&p->w, &t, p->err);
    return rc != 0 ? rc : pull(p);
}

/*
 * One result row (the store keeps rows for the records not accepted, by
 * record number): the document's records before it were accepted.  By
 * number, not line: a document on one line has every record on line 1.
 */
static int one(void *ctx, const struct ps_record_result_row *row)
{
    struct pair *p = ctx;
    int rc = 0;
    while (rc == 0 && p->more && p->n < row->record_no)
        rc = emit(p, NULL);
    if (rc == 0 && p->more && p->n == row->record_no)
        rc = emit(p, row);
    return rc;
}

int ps_isoresult_publish(struct ps_engine *eng, const char *spool,
                         const struct ps_business *b, const struct ps_file *f,
                         int fd, const char *input,
                         const struct ps_unwrap_limits *limits, int index,
                         struct ps_err *err)
{
    struct ps_walk wk = {NULL, {0}, -1};
    char dir[4096], wdir[4096], name[96], msgid[40], now[PS_TIME_SIZE];
    char sha[PS_SHA256_HEX];
    struct ps_output *o = NULL;
    struct pair *p;
    int rc;
    if (strcmp(f->format, "iso20022") != 0)
        return 0;
    snprintf(dir, sizeof(dir), "%s/outbound/%s/results", spool, b->name);
    snprintf(wdir, sizeof(wdir), "%s/work/%s", spool, b->name);
    snprintf(name, sizeof(name), "%s.pain002.xml", f->id);
    if ((rc = ps_spool_business_dirs(spool, b->name, err)) != 0)
        return rc;
    rc = ps_output_open(dir, name, 0640, &o, err);
    if (rc == PS_ECONFLICT) { /* written before a crash */
        if ((rc = ps_output_complete(dir, name, sha, err)) == 0)
            ps_isoids_remove(wdir, input, index);
        return rc;
    }
    if (rc != 0)
        return rc;
    if ((p = calloc(1, sizeof(*p))) == NULL) {
        ps_output_abort(o);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    p->err = err;
    p->in.fd = -1;
    errno = ENOENT; /* a path too long: no side file either */
    if (ids_path(p->in.path, sizeof(p->in.path), wdir, input, index) == 0)
        p->in.fd = open(p->in.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (p->in.fd < 0 && errno != ENOENT) {
        rc = ps_err_sys(err, errno, "cannot open %s", p->in.path);
        goto out;
    }
    /* No side file (applied by a version that kept none): a walk of its
     * own, the pipeline's has moved past the document. */
    if (p->in.fd < 0 &&
        ((rc = ps_walk_open(&wk, fd, input, limits, err)) != 0 ||
         (rc = ps_walk_to(&wk, index, input, err)) != 0 ||
         (rc = ps_docread_start(&p->d, &wk.doc, "iso20022", NULL, err)) != 0))
        goto out;
    p->more = 1;
    if ((rc = pull(p)) != 0)
        goto stop;
    snprintf(msgid, sizeof(msgid), "PS-%.32s", f->id);
    struct ps_iso_pain002 g = {
        .msg_id = msgid,
        .cre_dt_tm = f->completed_at[0] ? f->completed_at : ps_time_now(now),
        .orgnl_msg_id = p->msg_id != NULL ? p->msg_id : "-",
        .orgnl_msg_nm_id = p->msg_nm_id != NULL ? p->msg_nm_id
                                                : "pain.001.001.09",
        .orgnl_nb_of_txs = f->records,
        .grp_sts = f->accepted == f->records ? "ACCP"
                   : f->accepted == 0        ? "RJCT"
                                             : "PART",
    };
    struct ps_iso_sink sink = {out_write, o};
    if ((rc = ps_iso_pain002_begin(&p->w, sink, &g, err)) == 0 &&
        (rc = ps_query_record_results(eng, f->id, one, p, err)) == 0) {
        while (rc == 0 && p->more)
            rc = emit(p, NULL);
        if (rc == 0)
            rc = ps_iso_pain002_end(&p->w, err);
    }
stop:
    if (p->d.fmt != NULL)
        ps_docread_stop(&p->d);
out:
    if (p->in.fd >= 0)
        close(p->in.fd);
    ps_walk_close(&wk);
    free(p);
    if (rc == 0 && (rc = ps_output_commit(o, sha, err)) == 0)
        ps_isoids_remove(wdir, input, index);
    else if (rc != 0)
        ps_output_abort(o);
    return rc;
}

int ps_isoresult_refused(const char *spool, const struct ps_business *b,
                         const struct ps_file *f, int fd, const char *input,
                         const struct ps_unwrap_limits *limits, int index,
                         const struct ps_err *why, struct ps_err *err)
{
    char dir[4096], name[96], msgid[40], info[PS_ERR_MSG_MAX + 64];
    char now[PS_TIME_SIZE];
    char sha[PS_SHA256_HEX];
    const char *orgnl = NULL, *nm = NULL;
    struct ps_walk wk = {NULL, {0}, -1};
    struct ps_output *o = NULL;
    struct pair *p;
    struct ps_err ignored;
    long n = 0;
    int rc;
    if (strcmp(f->format, "iso20022") != 0)
        return 0;
    snprintf(dir, sizeof(dir), "%s/outbound/%s/results", spool, b->name);
    snprintf(name, sizeof(name), "%s.pain002.xml", f->id);
    if ((rc = ps_spool_business_dirs(spool, b->name, err)) != 0)
        return rc;
    rc = ps_output_open(dir, name, 0640, &o, err);
    if (rc == PS_ECONFLICT)
        return ps_output_complete(dir, name, sha, err);
    if (rc != 0)
        return rc;
    if ((p = calloc(1, sizeof(*p))) == NULL) {
        ps_output_abort(o);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    /* Read the document again up to its problem, for its group header. */
    if ((rc = ps_walk_open(&wk, fd, input, limits, err)) != 0 ||
        (rc = ps_walk_to(&wk, index, input, err)) != 0)
        goto out;
    if (ps_docread_start(&p->d, &wk.doc, "iso20022", NULL, &ignored) == 0) {
        while (p->d.fmt->next(p->d.state, &p->rec, &ignored) > 0)
            n++;
        ps_iso_pain001_msg(p->d.state, &orgnl, &nm);
    }
    snprintf(msgid, sizeof(msgid), "PS-%.32s", f->id);
    snprintf(info, sizeof(info), "%s: %s", why->rule, why->msg);
    struct ps_iso_pain002 g = {
        .msg_id = msgid,
        .cre_dt_tm = f->completed_at[0] ? f->completed_at : ps_time_now(now),
        .orgnl_msg_id = orgnl != NULL ? orgnl : "-",
        .orgnl_msg_nm_id = nm != NULL ? nm : "pain.001",
        .orgnl_nb_of_txs = n,
        .grp_sts = "RJCT",
        .grp_rsn = ps_iso_reason(why->rule),
        .grp_info = info,
    };
    struct ps_iso_sink sink = {out_write, o};
    if ((rc = ps_iso_pain002_begin(&p->w, sink, &g, err)) == 0)
        rc = ps_iso_pain002_end(&p->w, err);
    if (p->d.fmt != NULL)
        ps_docread_stop(&p->d);
out:
    ps_walk_close(&wk);
    free(p);
    if (rc == 0)
        return ps_output_commit(o, sha, err);
    ps_output_abort(o);
    return rc;
}
