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
 * Beside it, the same step writes the camt.053.001.08 end-of-day
 * statement of the business's FUNDING ledger account (opening and
 * closing booked balance, one entry per ledger movement of the day), and
 * the later pain.002.001.11 status reports of the pain.001 transactions
 * settled (ACSC) or declined, in error or returned (RJCT) that day, one
 * per original MsgId.
 *
 * How it fails: store and output errors as they are.
 */
#include "outbound/camt.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/output.h"
#include "formats/iso20022/iso20022.h"
#include "outbound/reconpipe.h"
#include "store/recon.h"
#include "store/store.h"

struct camt {
    struct ps_iso_writer w;
    struct ps_err *err;
    long entries;
    int rc; /* a callback's error: the store's iteration only stops */
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

/* A reason led by a NACHA return code ("R03", "R03 no account"): Rsn/Prtry
 * rather than an ISO code; the code is copied to out. */
static const char *rcode(const char *s, char out[4])
{
    if (!(s[0] == 'R' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
          s[2] <= '9' && (s[3] == '\0' || s[3] == ' ')))
        return NULL;
    memcpy(out, s, 3);
    out[3] = '\0';
    return out;
}

/* A transaction id (a UUID of 36 characters) as a Max35Text reference:
 * without its hyphens (32 hex digits) rather than cut. */
static const char *ref35(const char *id, char out[PS_ID_SIZE])
{
    size_t n = 0;
    if (strlen(id) <= 35)
        return id;
    for (; *id != '\0' && n + 1 < PS_ID_SIZE; id++)
        if (*id != '-')
            out[n++] = *id;
    out[n] = '\0';
    return out;
}

static int entry(void *ctx, const struct ps_iso_entry_row *row)
{
    struct camt *c = ctx;
    char info[96], rc3[4], ref[PS_ID_SIZE];
    int reversed = strcmp(row->status, "REVERSED") == 0;
    int booked = reversed || strcmp(row->status, "SETTLED") == 0 ||
                 strcmp(row->status, "CLEARED") == 0;
    /* A return, a decline or an error: RtrInf with the NACHA code (Prtry)
     * or the ISO code that fits the reason (Cd), and the reason's text. */
    const char *nacha = row->reason_code[0] != '\0' ? row->reason_code
                                                    : rcode(row->reason, rc3);
    int rtr = !booked || reversed;
    snprintf(info, sizeof(info), "%s%s%s", row->status,
             row->reason[0] != '\0' ? ": " : "", row->reason);
    struct ps_iso_entry e = {
        .amount = row->amount,
        .ccy = row->currency,
        .credit = reversed,
        .reversal = reversed,
        .sts = booked ? "BOOK" : "INFO",
        .date = row->date,
        .ntry_ref = ref35(row->txn_id, ref),
        .msg_id = row->msg_id,
        .pmt_inf_id = row->pmt_inf_id,
        .end_to_end_id = row->end_to_end_id,
        .rtr_rsn = rtr ? nacha : NULL,
        .rtr_cd = rtr && nacha == NULL ? ps_iso_reason_text(row->reason) : NULL,
        .rtr_info = rtr && row->reason[0] != '\0' ? row->reason : NULL,
        .info = info,
    };
    c->entries++;
    return c->rc = ps_iso_camt054_entry(&c->w, &e, c->err);
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
                                       entry, &c, err)) == 0 &&
            (rc = c.rc) == 0)
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

/* ---- the later pain.002 status reports ---- */

struct rpt {
    struct ps_iso_writer w;
    struct ps_output *o;
    struct ps_err *err;
    const struct ps_business *b;
    const char *dir, *day;
    int seq, n;       /* n: reports opened so far */
    int skip;         /* the current report was already complete */
    char msg[144];    /* the current report's original MsgId */
    char first[PS_PATH_SIZE];
    long txs;
    int rc; /* a callback's error: the store's iteration only stops */
};

/* Commit the open report, if any. */
static int rpt_close(struct rpt *r)
{
    char sha[PS_SHA256_HEX];
    int rc = 0;
    if (r->o == NULL)
        return 0;
    rc = ps_iso_pain002_end(&r->w, r->err);
    if (rc == 0)
        rc = ps_output_commit(r->o, sha, r->err);
    else
        ps_output_abort(r->o);
    r->o = NULL;
    return rc;
}

static int status_tx1(struct rpt *r, const struct ps_iso_entry_row *row);

static int status_tx(void *ctx, const struct ps_iso_entry_row *row)
{
    struct rpt *r = ctx;
    return r->rc = status_tx1(r, row);
}

static int status_tx1(struct rpt *r, const struct ps_iso_entry_row *row)
{
    char name[PS_OUTPUT_NAME_MAX + 1], msgid[40], now[PS_TIME_SIZE];
    char info[160], rc3[4];
    int rc = 0;
    if (r->n == 0 || strcmp(r->msg, row->msg_id) != 0) {
        if ((rc = rpt_close(r)) != 0)
            return rc;
        r->n++;
        r->skip = 0;
        ps_strlcpy(r->msg, row->msg_id, sizeof(r->msg));
        snprintf(name, sizeof(name), "pain002-%.60s-%.4s%.2s%.2s-%03d-%03d.xml",
                 r->b->name, r->day, r->day + 5, r->day + 8, r->seq, r->n);
        if (r->n == 1)
            snprintf(r->first, sizeof(r->first), "%s/%s", r->dir, name);
        rc = ps_output_open(r->dir, name, 0640, &r->o, r->err);
        if (rc == PS_ECONFLICT) { /* written by an earlier run: keep it */
            char sha[PS_SHA256_HEX];
            r->o = NULL;
            r->skip = 1;
            return ps_output_complete(r->dir, name, sha, r->err);
        }
        if (rc != 0)
            return rc;
        const char *bid = r->b->id;
        snprintf(msgid, sizeof(msgid), "PS002-%.10s-%03d-%03d-%.10s", r->day,
                 r->seq, r->n,
                 strlen(bid) > 10 ? bid + strlen(bid) - 10 : bid);
        struct ps_iso_pain002 g = {
            .msg_id = msgid,
            .cre_dt_tm = ps_time_now(now),
            .orgnl_msg_id = row->msg_id,
            .orgnl_msg_nm_id = "pain.001",
            .orgnl_nb_of_txs = -1,
        };
        struct ps_iso_sink sink = {out_write, r->o};
        if ((rc = ps_iso_pain002_begin(&r->w, sink, &g, r->err)) != 0) {
            ps_output_abort(r->o);
            r->o = NULL;
            return rc;
        }
    }
    if (r->skip)
        return 0;
    int ok = strcmp(row->status, "SETTLED") == 0 ||
             strcmp(row->status, "CLEARED") == 0;
    snprintf(info, sizeof(info), "%s%s%s", row->status,
             row->reason[0] != '\0' ? ": " : "", row->reason);
    struct ps_iso_txsts t = {
        .pmt_inf_id = row->pmt_inf_id,
        .end_to_end_id = row->end_to_end_id,
        .tx_sts = ok ? "ACSC" : "RJCT",
        .rsn = ok ? NULL : ps_iso_reason_text(row->reason),
        .info = ok ? NULL : info,
        .rsn_prtry = ok                            ? NULL
                     : row->reason_code[0] != '\0' ? row->reason_code
                                                  : rcode(row->reason, rc3),
    };
    r->txs++;
    if ((rc = ps_iso_pain002_tx(&r->w, &t, r->err)) != 0) {
        ps_output_abort(r->o);
        r->o = NULL;
    }
    return rc;
}

int ps_pain002_status_write(struct ps_engine *eng, const char *dir,
                            const struct ps_business *b, const char *day,
                            const char *next_day, int seq, int *reports,
                            char *first, size_t size, struct ps_err *err)
{
    struct rpt r;
    int rc;
    memset(&r, 0, sizeof(r));
    r.err = err;
    r.b = b;
    r.dir = dir;
    r.day = day;
    r.seq = seq;
    rc = ps_store_iso_status(eng->store, b->id, day, next_day, status_tx, &r,
                             err);
    if (rc == 0)
        rc = r.rc;
    if (rc == 0)
        rc = rpt_close(&r);
    else if (r.o != NULL)
        ps_output_abort(r.o);
    *reports = rc == 0 ? r.n : 0;
    ps_strlcpy(first, rc == 0 ? r.first : "", size);
    return rc;
}

/* ---- the camt.053 end-of-day statement of the FUNDING account ---- */

struct stmt_pos {
    char ccy[4];
    int64_t opening, closing; /* debits - credits: money at the bank */
};

struct stmt {
    struct ps_iso_writer w;
    struct ps_err *err;
    const char *day;
    int n, cap; /* one statement per currency, as many as there are */
    struct stmt_pos *pos;
    struct ps_recon_pipe *pipe; /* the writer thread (reconpipe.h) */
    int rc; /* a callback's error: the store's iteration only stops */
};

/* POSITIONS: kind, currency, opening_legs, opening, closing_legs, closing */
static int funding_pos(void *ctx, const struct ps_recon_row *row)
{
    struct stmt *s = ctx;
    if (strcmp(row->text[0], "FUNDING") != 0)
        return 0;
    if (s->n == s->cap) {
        int cap = s->cap == 0 ? 8 : s->cap * 2;
        struct stmt_pos *p = realloc(s->pos, (size_t)cap * sizeof(*p));
        if (p == NULL)
            return s->rc = ps_err_set(s->err, PS_ENOMEM, "NO_MEMORY",
                                      "no memory for the statement's %d "
                                      "currencies",
                                      cap);
        s->pos = p;
        s->cap = cap;
    }
    ps_strlcpy(s->pos[s->n].ccy, row->text[1], sizeof(s->pos[s->n].ccy));
    s->pos[s->n].opening = row->num[3];
    s->pos[s->n].closing = row->num[5];
    s->n++;
    return 0;
}

/*
 * A movement as the writer thread gets it (reconpipe.h): its numbers,
 * then memo, MsgId, PmtInfId and EndToEndId (the reference when there is
 * none), each ended by a NUL.  The thread formats it: the entries are
 * nearly all of the statement, and this thread still reads them.
 */
struct move_rec {
    int64_t entry_id, amount;
    int32_t into_funding;
    char ccy[4];
};

static int funding_move(void *ctx, const struct ps_funding_move_row *m)
{
    struct stmt *s = ctx;
    char rec[sizeof(struct move_rec) + sizeof(m->memo) + 3 * 144 +
             sizeof(m->reference)];
    char ref[PS_ID_SIZE];
    struct move_rec h = {m->entry_id, m->amount, m->into_funding, {0}};
    const char *str[4] = {m->memo, m->msg_id, m->pmt_inf_id,
                          m->end_to_end_id[0] != '\0'
                              ? m->end_to_end_id
                              : ref35(m->reference, ref)};
    size_t n = sizeof(h);
    memcpy(h.ccy, m->currency, sizeof(h.ccy));
    h.ccy[3] = '\0';
    memcpy(rec, &h, sizeof(h));
    for (int i = 0; i < 4; i++) {
        size_t l = strnlen(str[i], 143);
        memcpy(rec + n, str[i], l);
        rec[n + l] = '\0';
        n += l + 1;
    }
    return s->rc = ps_recon_pipe_record(s->pipe, rec, n, s->err);
}

/* On the writer thread: one movement's entry (ctx the statement's day). */
static int move_entry(void *ctx, struct ps_output *o, const void *rec,
                      size_t n, struct ps_err *err)
{
    struct move_rec h;
    const char *str[4], *p = (const char *)rec + sizeof(h);
    char ref[32];
    (void)n;
    memcpy(&h, rec, sizeof(h));
    for (int i = 0; i < 4; i++) {
        str[i] = p;
        p += strlen(p) + 1;
    }
    snprintf(ref, sizeof(ref), "L%lld", (long long)h.entry_id);
    /* The bank's view of the business's account: money in is a credit. */
    struct ps_iso_entry e = {
        .amount = h.amount,
        .ccy = h.ccy,
        .credit = h.into_funding,
        .sts = "BOOK",
        .date = ctx,
        .ntry_ref = ref,
        .msg_id = str[1],
        .pmt_inf_id = str[2],
        .end_to_end_id = str[3],
        .info = str[0][0] != '\0' ? str[0] : NULL,
    };
    struct ps_iso_writer w;
    memset(&w, 0, sizeof(w));
    w.sink = (struct ps_iso_sink){out_write, o};
    return ps_iso_camt053_entry(&w, &e, err);
}

/* ps_camt053_write() on one connection (the engine's, or a reader's on
 * the same snapshot: ps_camt053_start()). */
static int camt053_write(struct ps_store *store, const char *dir,
                         const struct ps_business *b, const char *day,
                         const char *next_day, int seq, const char *at,
                         char *path, size_t size, struct ps_err *err)
{
    char name[PS_OUTPUT_NAME_MAX + 1], msgid[40], id[40], now[PS_TIME_SIZE];
    char sha[PS_SHA256_HEX];
    struct ps_recon_params prm = {.business = b->id, .day = day,
                                  .next_day = next_day};
    struct ps_output *o = NULL;
    struct stmt s;
    int rc;
    memset(&s, 0, sizeof(s));
    s.err = err;
    s.day = day;
    path[0] = '\0';
    if ((rc = ps_store_recon_query(store, PS_RECON_Q_POSITIONS, &prm,
                                   funding_pos, &s, err)) != 0 ||
        (rc = s.rc) != 0 || s.n == 0) {
        free(s.pos);
        return rc; /* no FUNDING account yet: no statement */
    }
    snprintf(name, sizeof(name), "camt053-%.60s-%.4s%.2s%.2s-%03d.xml",
             b->name, day, day + 5, day + 8, seq);
    rc = ps_output_open(dir, name, 0640, &o, err);
    if (rc == PS_ECONFLICT)
        rc = ps_output_complete(dir, name, sha, err);
    else if (rc == 0) {
        const char *bid = b->id;
        snprintf(msgid, sizeof(msgid), "PS053-%.10s-%03d-%.12s", day, seq,
                 strlen(bid) > 12 ? bid + strlen(bid) - 12 : bid);
        /* A statement of every movement of the day is large (800 MB at
         * 2,000,000 disbursements): its entries' formatting, hashing and
         * writing on a thread of their own (reconpipe.h), while this one
         * reads the movements. */
        if (at != NULL)
            ps_strlcpy(now, at, sizeof(now));
        else
            ps_time_now(now);
        if ((rc = ps_recon_pipe_open(o, move_entry, (void *)day, &s.pipe,
                                     err)) == 0) {
            struct ps_iso_sink sink = {ps_recon_pipe_write, s.pipe};
            rc = ps_iso_camt053_begin(&s.w, sink, msgid, now, err);
        }
        for (int i = 0; rc == 0 && i < s.n; i++) {
            snprintf(id, sizeof(id), "%.18s-%.10s-%.3s", b->name, day,
                     s.pos[i].ccy);
            struct ps_iso_camt054 n = {msgid, now, id, b->name, s.pos[i].ccy};
            if ((rc = ps_iso_camt053_stmt(&s.w, &n, err)) == 0 &&
                (rc = ps_iso_camt053_balance(&s.w, "OPBD", s.pos[i].opening,
                                             s.pos[i].ccy, day, err)) == 0 &&
                (rc = ps_iso_camt053_balance(&s.w, "CLBD", s.pos[i].closing,
                                             s.pos[i].ccy, day, err)) == 0 &&
                (rc = ps_store_recon_funding_moves(store, b->id,
                                             s.pos[i].ccy, day, next_day,
                                             funding_move, &s, err)) == 0)
                rc = s.rc;
        }
        if (rc == 0)
            rc = ps_iso_camt053_end(&s.w, err);
        struct ps_err e2;
        ps_err_clear(&e2);
        int rc2 = ps_recon_pipe_close(s.pipe, rc == 0 ? err : &e2);
        if (rc == 0)
            rc = rc2;
        if (rc == 0)
            rc = ps_output_commit(o, sha, err);
        else
            ps_output_abort(o);
    }
    free(s.pos);
    if (rc == 0)
        snprintf(path, size, "%s/%s", dir, name);
    return rc;
}

int ps_camt053_write(struct ps_engine *eng, const char *dir,
                     const struct ps_business *b, const char *day,
                     const char *next_day, int seq, char *path, size_t size,
                     struct ps_err *err)
{
    return camt053_write(eng->store, dir, b, day, next_day, seq, NULL, path,
                         size, err);
}

/* ---- the statement on a thread of its own (ps_camt053_start) -------- */

struct ps_camt053_job {
    pthread_t thread;
    struct ps_store *store;
    const struct ps_business *b;
    char dir[PS_PATH_SIZE];
    char day[PS_DATE_SIZE], next_day[PS_DATE_SIZE];
    int seq;
    char now[PS_TIME_SIZE]; /* its generation time, taken by the caller */
    char path[PS_PATH_SIZE];
    int rc;
    struct ps_err err;
};

static void *camt053_main(void *arg)
{
    struct ps_camt053_job *j = arg;
    j->rc = camt053_write(j->store, j->dir, j->b, j->day, j->next_day, j->seq,
                          j->now, j->path, sizeof(j->path), &j->err);
    return NULL;
}

int ps_camt053_start(struct ps_store *reader, const char *dir,
                     const struct ps_business *b, const char *day,
                     const char *next_day, int seq,
                     struct ps_camt053_job **out, struct ps_err *err)
{
    struct ps_camt053_job *j = calloc(1, sizeof(*j)); /* freed by finish */
    *out = NULL;
    if (j == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if (strlen(dir) >= sizeof(j->dir)) {
        free(j);
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG",
                          "statement folder too long: %s", dir);
    }
    ps_strlcpy(j->dir, dir, sizeof(j->dir));
    j->store = reader;
    j->b = b;
    ps_strlcpy(j->day, day, sizeof(j->day));
    ps_strlcpy(j->next_day, next_day, sizeof(j->next_day));
    j->seq = seq;
    /* On the caller's thread: with a frozen clock (PAYSPOOL_NOW, each
     * call a millisecond on) the ticks keep one order. */
    ps_time_now(j->now);
    ps_err_clear(&j->err);
    if (pthread_create(&j->thread, NULL, camt053_main, j) != 0) {
        free(j);
        return ps_err_set(err, PS_EINTERNAL, NULL,
                          "cannot start the statement's thread");
    }
    *out = j;
    return 0;
}

int ps_camt053_finish(struct ps_camt053_job *j, char *path, size_t size,
                      struct ps_err *err)
{
    int rc;
    if (j == NULL)
        return 0;
    pthread_join(j->thread, NULL);
    rc = j->rc;
    if (rc != 0 && err != NULL)
        *err = j->err;
    if (rc == 0 && path != NULL)
        ps_strlcpy(path, j->path, size);
    free(j);
    return rc;
}
