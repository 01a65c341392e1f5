/*
 * camt.c -- the camt.054.001.08 notification the reconciliation step
 * writes for a business and a business date (camt.h): one entry per
 * transaction a pain.001 created whose status was last set that day to
 * settled or cleared (BOOK, DBIT), declined or in error (INFO), or
 * reversed (BOOK, CRDT, RvslInd), each with the MsgId, PmtInfId and
 * EndToEndId a bank's reconciliation matches on.  Nothing is written for
 * a day without such a transaction.  No account or card number: the
 * account named is the business's name in payspool.
 *
 * How it fails: store and output errors as they are.
 */
#include "outbound/camt.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/output.h"
#include "formats/iso20022/iso20022.h"
#include "store/store.h"

struct camt {
    struct ps_iso_writer w;
    struct ps_err *err;
    long entries;
};

static int any(void *ctx, const struct ps_iso_entry_row *row)
{
    (void)row;
    ((struct camt *)ctx)->entries++;
    return 1; /* one is enough */
}

static int out_write(void *ctx, const char *buf, size_t n, struct ps_err *err)
{
    return ps_output_write(ctx, buf, n, err);
}

static int entry(void *ctx, const struct ps_iso_entry_row *row)
{
    struct camt *c = ctx;
    int reversed = strcmp(row->status, "REVERSED") == 0;
    int booked = reversed || strcmp(row->status, "SETTLED") == 0 ||
                 strcmp(row->status, "CLEARED") == 0;
    struct ps_iso_entry e = {
        .amount = row->amount,
        .ccy = row->currency,
        .credit = reversed,
        .reversal = reversed,
        .sts = booked ? "BOOK" : "INFO",
        .date = row->date,
        .ntry_ref = row->txn_id,
        .msg_id = row->msg_id,
        .pmt_inf_id = row->pmt_inf_id,
        .end_to_end_id = row->end_to_end_id,
        .info = row->status,
    };
    c->entries++;
    return ps_iso_camt054_entry(&c->w, &e, c->err);
}

int ps_camt054_write(struct ps_engine *eng, const char *dir,
                     const struct ps_business *b, const char *day,
                     const char *next_day, int seq, char *path, size_t size,
                     struct ps_err *err)
{
    char name[PS_OUTPUT_NAME_MAX + 1], msgid[40], ntf[40], now[PS_TIME_SIZE];
    char sha[PS_SHA256_HEX];
    struct ps_output *o = NULL;
    struct camt c;
    int rc;
    memset(&c, 0, sizeof(c));
    c.err = err;
    path[0] = '\0';
    if ((rc = ps_store_iso_entries(eng->store, b->id, day, next_day, any, &c,
                                   err)) != 0 ||
        c.entries == 0)
        return rc;
    snprintf(name, sizeof(name), "camt054-%.60s-%.4s%.2s%.2s-%03d.xml",
             b->name, day, day + 5, day + 8, seq);
    rc = ps_output_open(dir, name, 0640, &o, err);
    if (rc == PS_ECONFLICT)
        rc = ps_output_complete(dir, name, sha, err);
    else if (rc == 0) {
        snprintf(msgid, sizeof(msgid), "PS054-%.10s-%03d-%.12s", day, seq,
                 strlen(b->id) > 12 ? b->id + strlen(b->id) - 12 : b->id);
        snprintf(ntf, sizeof(ntf), "%.22s-%.10s", b->name, day);
        struct ps_iso_camt054 n = {msgid, ps_time_now(now), ntf, b->name,
                                   NULL};
        struct ps_iso_sink sink = {out_write, o};
        c.entries = 0;
        if ((rc = ps_iso_camt054_begin(&c.w, sink, &n, err)) == 0 &&
            (rc = ps_store_iso_entries(eng->store, b->id, day, next_day,
                                       entry, &c, err)) == 0)
            rc = ps_iso_camt054_end(&c.w, err);
        if (rc == 0)
            rc = ps_output_commit(o, sha, err);
        else
            ps_output_abort(o);
    }
    if (rc == 0)
        snprintf(path, size, "%s/%s", dir, name);
    return rc;
}
