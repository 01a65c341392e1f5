/*
 * isoresult.c -- the pain.002.001.11 status report written beside the CSV
 * result of every applied pain.001 document (isoresult.h).
 *
 * The report pairs, in document order, the store's record results
 * (outcome, code, message) with the document read again through its
 * format (MsgId, PmtInfId, EndToEndId): nothing is held whole, so a
 * document of a million transactions costs what one does.  It is written
 * through base/output.h (temporary name, fsync, rename, .sha256, .done)
 * under outbound/<business>/results/<file id>.pain002.xml, before the CSV
 * result is published: a crash between them finds it complete on resume.
 *
 * How it fails: I/O and store errors as they are; a document that no
 * longer reads as it did is PS_EINTERNAL (RESULT_MISMATCH is not a rule:
 * the record results are the truth and the report keeps their reference).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/isoresult.h"
#include "intake/docread.h"
#include "intake/walk.h"
#include "intake/spool.h"
#include "engine/query.h"
#include "base/clock.h"
#include "base/output.h"
#include "formats/iso20022/iso20022.h"

struct pair {
    struct ps_docread d;
    struct ps_iso_writer w;
    struct ps_record rec;
    int more; /* the document has records left */
    long n;   /* the current record's number, 1-based (as record_no) */
    struct ps_err *err;
};

static int out_write(void *ctx, const char *buf, size_t n, struct ps_err *err)
{
    return ps_output_write(ctx, buf, n, err);
}

/* The next record of the document, or none (more = 0). */
static int pull(struct pair *p)
{
    int rc = p->more ? p->d.fmt->next(p->d.state, &p->rec, p->err) : 0;
    if (rc < 0)
        return rc;
    p->more = rc > 0;
    p->n += p->more;
    return 0;
}

/* The status of the document's current record: accepted (row NULL), or
 * as the store's result row says. */
static int emit(struct pair *p, const struct ps_record_result_row *row)
{
    struct ps_iso_txsts t;
    char info[PS_ERR_MSG_MAX + PS_ERR_RULE_MAX + 4];
    const char *pmtinf = ps_record_get(&p->rec, "pmt_inf_id");
    int accepted = row == NULL || strcmp(row->outcome, "ACCEPTED") == 0;
    memset(&t, 0, sizeof(t));
    t.pmt_inf_id = pmtinf != NULL ? pmtinf : "-";
    t.end_to_end_id = row != NULL ? row->reference : p->rec.reference;
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
    char dir[4096], name[96], msgid[40], now[PS_TIME_SIZE];
    char sha[PS_SHA256_HEX];
    struct ps_output *o = NULL;
    struct pair *p;
    int rc;
    if (strcmp(f->format, "iso20022") != 0)
        return 0;
    snprintf(dir, sizeof(dir), "%s/outbound/%s/results", spool, b->name);
    snprintf(name, sizeof(name), "%s.pain002.xml", f->id);
    if ((rc = ps_spool_business_dirs(spool, b->name, err)) != 0)
        return rc;
    rc = ps_output_open(dir, name, 0640, &o, err);
    if (rc == PS_ECONFLICT) /* written before a crash */
        return ps_output_complete(dir, name, sha, err);
    if (rc != 0)
        return rc;
    if ((p = calloc(1, sizeof(*p))) == NULL) {
        ps_output_abort(o);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    p->err = err;
    /* A walk of its own: the pipeline's has moved past the document. */
    if ((rc = ps_walk_open(&wk, fd, input, limits, err)) != 0 ||
        (rc = ps_walk_to(&wk, index, input, err)) != 0 ||
        (rc = ps_docread_start(&p->d, &wk.doc, "iso20022", NULL, err)) != 0)
        goto out;
    p->more = 1;
    if ((rc = pull(p)) != 0)
        goto stop;
    snprintf(msgid, sizeof(msgid), "PS-%.32s", f->id);
    const char *orgnl = p->more ? ps_record_get(&p->rec, "msg_id") : NULL;
    const char *nm = p->more ? ps_record_get(&p->rec, "msg_nm_id") : NULL;
    struct ps_iso_pain002 g = {
        .msg_id = msgid,
        .cre_dt_tm = f->completed_at[0] ? f->completed_at : ps_time_now(now),
        .orgnl_msg_id = orgnl != NULL ? orgnl : "-",
        .orgnl_msg_nm_id = nm != NULL ? nm : "pain.001.001.09",
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
    ps_docread_stop(&p->d);
out:
    ps_walk_close(&wk);
    free(p);
    if (rc == 0)
        return ps_output_commit(o, sha, err);
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
