/*
 * provider.c -- provider status answers (record kind txn.status) applied
 * to transactions.  See provider.h for the contract.  (The sandbox card
 * processor that writes such answers is sandbox/cardproc.c.)
 *
 * How it fails: a status line that cannot be applied is refused with its
 * own rule before anything of it is written; store failures, and any
 * failure after its first write, reach the caller as engine errors (the
 * chunk rolls back whole).
 */
#include "engine/provider.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine/achfx.h"
#include "base/log.h"
#include "base/money.h"
#include "store/store.h"
#include "engine/txn.h"
#include "engine/ewawriter.h"
#include "base/keyindex.h"

/* ---- status lines --------------------------------------------------- */

static const struct {
    const char *status;
    enum ps_txn_event ev;
} status_events[] = {
    {"APPROVED", PS_EV_APPROVE}, {"SETTLED", PS_EV_SETTLE},
    {"CLEARED", PS_EV_CLEAR},    {"DECLINED", PS_EV_DECLINE},
    {"ERROR", PS_EV_PROVIDER_ERROR}, {"RETURNED", PS_EV_RETURN},
};

static const char *field(const struct ps_record *rec, const char *name)
{
    const char *v = ps_record_get(rec, name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

__attribute__((format(printf, 5, 6))) static int
bad(struct ps_err *e, int code, const char *rule, const char *fld,
    const char *fmt, ...)
{
    char msg[PS_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ps_err_set(e, code, rule, "%s", msg);
    if (fld != NULL)
        ps_err_field(e, fld);
    return code;
}

/* The codes apply.c passes up as engine failures (the chunk rolls back)
 * rather than as a line's refusal: its engine_failure(), kept in step. */
static int ps_provider_engine_failure(int code)
{
    return code == PS_ESTORE || code == PS_EBUSY || code == PS_ENOMEM ||
           code == PS_EIO || code == PS_EINTERNAL || code == PS_ECRYPTO ||
           code == PS_ECONFIG || code == PS_EVERSION;
}

/* One answer line's fields (pointers into the record) and its event. */
struct line {
    const char *ref, *status, *amount, *cur, *code;
    const char *reason_code, *message, *settlement_date;
    enum ps_txn_event ev;
};

static int read_line(const struct ps_record *rec, struct line *l,
                     struct ps_err *e)
{
    int ev = -1;
    l->ref = field(rec, "reference");
    l->status = NULL;
    l->amount = field(rec, "amount");
    l->cur = field(rec, "currency");
    l->code = field(rec, "attempt");
    l->reason_code = field(rec, "reason_code");
    l->message = field(rec, "message");
    l->settlement_date = field(rec, "settlement_date");
    const char *status = field(rec, "status");
    if (l->ref == NULL || status == NULL || l->amount == NULL)
        return bad(e, PS_EINVAL, "FIELD_REQUIRED",
                   l->ref == NULL   ? "reference"
                   : status == NULL ? "status"
                                    : "amount",
                   "reference, status and amount are required");
    /* The table's own string: it outlives the record (the writer's). */
    for (size_t i = 0; i < sizeof(status_events) / sizeof(status_events[0]);
         i++)
        if (strcmp(status_events[i].status, status) == 0) {
            ev = (int)status_events[i].ev;
            l->status = status_events[i].status;
        }
    if (ev < 0)
        return bad(e, PS_EINVAL, "FIELD_VALUE", "status",
                   "unknown provider status %s", status);
    l->ev = (enum ps_txn_event)ev;
    return 0;
}

/* What a line does to transaction t, decided before anything is
 * written: the amount *v, the attempt answered, the history's reason
 * (reason, through args->src = s) and args.  Refusals in the order of
 * the rules.  A line that passes these reads the clock (its answer
 * row's time) whether it is applied or refused after: on two threads
 * the writer reads it, in the same order, so that a frozen test clock
 * (PAYSPOOL_NOW) ticks the same on one thread or two. */
static int check_line(struct ps_engine *eng, const struct line *l,
                      const struct ps_txn *t, int64_t *v, int *attempt,
                      char reason[PS_REASON_SIZE], struct ps_source *s,
                      struct ps_txn_args *args, struct ps_err *e)
{
    char amt[PS_MONEY_STRMAX];
    int rc;
    if (l->cur != NULL && strcmp(l->cur, t->currency) != 0)
        return bad(e, PS_EINVAL, "CURRENCY_MISMATCH", "currency",
                   "currency %s, the transaction is in %s", l->cur,
                   t->currency);
    if ((rc = ps_money_parse_cur(l->amount, t->currency, 0, v, e)) != 0) {
        ps_err_field(e, "amount");
        return rc;
    }
    if (*v != t->amount) {
        const struct ps_currency *c = ps_currency_find(t->currency);
        ps_money_format(t->amount, c != NULL ? c->exponent : 2, amt,
                        sizeof(amt));
        return bad(e, PS_EINVAL, "AMOUNT_MISMATCH", "amount",
                   "amount %s, the transaction is for %s", l->amount, amt);
    }
    *attempt = t->attempts;
    if (l->code != NULL) {
        char *end;
        long n = strtol(l->code, &end, 10);
        if (*end != '\0' || n < 1 || n > 1000)
            return bad(e, PS_EINVAL, "FIELD_VALUE", "attempt",
                       "attempt %s is not a number from 1 to 1000", l->code);
        *attempt = (int)n;
    }
    snprintf(reason, PS_REASON_SIZE, "provider %s%s%s%s%s", l->status,
             l->reason_code ? " " : "", l->reason_code ? l->reason_code : "",
             l->message ? ": " : "", l->message ? l->message : "");
    s->reason = reason;
    memset(args, 0, sizeof(*args));
    args->src = s;
    /* An ACH return's NACHA reason code drives the return's effects
     * (achfx.h); a card processor's codes ("05") are only reasons. */
    if (t->rail == PS_RAIL_ACH && ps_ach_return_code_valid(l->reason_code) &&
        (l->ev == PS_EV_RETURN || l->ev == PS_EV_DECLINE))
        args->return_code = l->reason_code;
    args->max_attempts = eng->max_attempts;
    return 0;
}

/* The refusals that follow the clock's read: an answer to another
 * attempt, or an event the transition table does not allow. */
static int check_state(const struct line *l, const struct ps_txn *t,
                       int attempt, const struct ps_txn_args *args,
                       struct ps_err *e)
{
    if (attempt != t->attempts)
        return bad(e, PS_ESTATE, "ATTEMPT_MISMATCH", "attempt",
                   "%s answers attempt %d; attempt %d is in flight",
                   l->status, attempt, t->attempts);
    return ps_txn_check(t, l->ev, args, e);
}

static int duplicate(struct ps_err *e, const char *status, int attempt,
                     const char *id)
{
    return bad(e, PS_ECONFLICT, "DUPLICATE_STATUS", "reference",
               "%s for attempt %d of transaction %s was applied before",
               status, attempt, id);
}

/* The answer row, then the transition (t: before, then after).  Past
 * the answer row, a failure cannot be this line's refusal (those were
 * checked): it fails the chunk, which rolls back whole, instead of
 * leaving the line half applied. */
static int write_answer(struct ps_engine *eng, const struct ps_answer_row *a,
                        struct ps_txn *t, enum ps_txn_event ev,
                        const struct ps_txn_args *args, struct ps_err *e)
{
    /* One statement: a conflict writes nothing. */
    int rc = ps_store_answer_insert(eng->store, a, e);
    if (rc == PS_ECONFLICT)
        return duplicate(e, a->status, a->attempt, t->id);
    if (rc != 0)
        return rc;
    rc = ps_engine_txn_change(eng, t, ev, args, e);
    if (rc != 0 && !ps_provider_engine_failure(rc)) {
        char why[PS_ERR_MSG_MAX];
        ps_strlcpy(why, e->msg, sizeof(why));
        ps_err_set(e, PS_EINTERNAL, "EINTERNAL",
                   "%s of transaction %s failed after its answer row was "
                   "written (%s): the chunk is rolled back",
                   a->status, t->id, why);
        rc = PS_EINTERNAL;
    }
    return rc;
}

static void fill_answer(struct ps_answer_row *a, const struct line *l,
                        const struct ps_txn *t, int attempt, int64_t v,
                        const char *business_id, const struct ps_source *src)
{
    memset(a, 0, sizeof(*a));
    a->txn_id = t->id;
    a->attempt = attempt;
    a->status = l->status;
    a->business_id = business_id;
    a->reason_code = l->reason_code;
    a->message = l->message;
    a->settlement_date = l->settlement_date;
    a->amount = v;
    a->currency = t->currency;
    a->source_file = src->file;
    a->source_line = src->line;
}

static void fill_result(struct ps_apply_result *res, const struct ps_txn *t,
                        enum ps_txn_status to, int attempt)
{
    snprintf(res->ids, sizeof(res->ids), "%s", t->id);
    snprintf(res->message, sizeof(res->message), "%s -> %s (attempt %d)",
             ps_enum_name(PS_NAMES_TXN_STATUS, (int)t->status),
             ps_enum_name(PS_NAMES_TXN_STATUS, (int)to), attempt);
    res->amount = t->amount;
    ps_strlcpy(res->currency, t->currency, sizeof(res->currency));
}

int ps_provider_apply_status(struct ps_engine *eng, const struct ps_business *b,
                             const struct ps_record *rec,
                             const struct ps_source *src,
                             struct ps_apply_result *res, struct ps_err *e)
{
    struct line l;
    struct ps_txn t, after;
    struct ps_answer_row a;
    struct ps_source s = *src;
    struct ps_txn_args args;
    char reason[PS_REASON_SIZE], now[PS_TIME_SIZE];
    int64_t v = 0;
    int rc, attempt;

    if ((rc = read_line(rec, &l, e)) != 0)
        return rc;
    /* Only this business's transactions exist for its provider files.
     * The card processor names a payout by its transaction id; the ODFI
     * names an ACH entry by its trace number (15 digits). */
    rc = ps_store_txn_get(eng->store, l.ref, &t, e);
    if (rc == PS_ENOTFOUND && strlen(l.ref) == 15 &&
        strspn(l.ref, "0123456789") == 15)
        rc = ps_store_txn_get_trace(eng->store, b->id, l.ref, &t, e);
    if (rc == PS_ENOTFOUND || (rc == 0 && strcmp(t.business_id, b->id) != 0))
        return bad(e, PS_ENOTFOUND, "UNKNOWN_REFERENCE", "reference",
                   "no transaction %s in business %s", l.ref, b->name);
    if (rc != 0 ||
        (rc = check_line(eng, &l, &t, &v, &attempt, reason, &s, &args, e)) !=
            0)
        return rc;
    fill_answer(&a, &l, &t, attempt, v, b->id, src);
    a.created_at = ps_time_now(now);

    /* No savepoint: every refusal is decided before the first write.
     * One that follows a line already applied is that line's duplicate,
     * as the answer row's key says (DUPLICATE_STATUS first, as when the
     * row was inserted first). */
    if ((rc = check_state(&l, &t, attempt, &args, e)) != 0) {
        struct ps_err dup;
        int seen = 0;
        ps_err_clear(&dup);
        int qc = ps_store_answer_exists(eng->store, t.id, attempt, l.status,
                                        &seen, &dup);
        if (qc != 0) {
            *e = dup;
            return qc;
        }
        return seen ? duplicate(e, l.status, attempt, t.id) : rc;
    }
    /* t was read in this store transaction: the change re-reads
     * nothing. */
    after = t;
    if ((rc = write_answer(eng, &a, &after, l.ev, &args, e)) != 0)
        return rc;
    fill_result(res, &t, after.status, attempt);
    return 0;
}

/* ---- on two threads --------------------------------------------------- */

/* What the lines queued since the last commit did: the status each
 * changed transaction is in after them (its other columns are as
 * committed), and the answers' keys "txn|attempt|status". */
struct ps_answers {
    struct ps_keyindex txns;
    enum ps_txn_status *status;
    size_t cap;
    struct ps_keyindex keys;
};

struct ps_answers *ps_answers_new(void)
{
    return calloc(1, sizeof(struct ps_answers));
}

void ps_answers_forget(struct ps_answers *x)
{
    if (x == NULL)
        return;
    ps_keyindex_free(&x->txns);
    ps_keyindex_free(&x->keys);
    memset(&x->txns, 0, sizeof(x->txns));
    memset(&x->keys, 0, sizeof(x->keys));
}

void ps_answers_free(struct ps_answers *x)
{
    if (x == NULL)
        return;
    ps_answers_forget(x);
    free(x->status);
    free(x);
}

static void answer_key(char *key, size_t size, const char *txn_id,
                       int attempt, const char *status)
{
    snprintf(key, size, "%s|%d|%s", txn_id, attempt, status);
}

/* Remember t's status after a queued line, and its answer's key. */
static int answers_add(struct ps_answers *x, const char *txn_id,
                       enum ps_txn_status to, const char *key)
{
    long k = ps_keyindex_find(&x->txns, txn_id);
    if (k < 0) {
        if (x->txns.n == x->cap) {
            size_t cap = x->cap != 0 ? 2 * x->cap : 1024;
            enum ps_txn_status *v = realloc(x->status, cap * sizeof(*v));
            if (v == NULL)
                return -1;
            x->status = v;
            x->cap = cap;
        }
        if (ps_keyindex_add(&x->txns, txn_id) != 0)
            return -1;
        k = (long)x->txns.n - 1;
    }
    x->status[k] = to;
    return ps_keyindex_add(&x->keys, key);
}

/* A line for the writer thread: the answer row's strings copied (the
 * record is gone when it is written), the transaction as it is before. */
struct answer_job {
    struct ps_engine *eng;
    struct ps_txn t;
    enum ps_txn_status to; /* as decided: the writer checks it */
    enum ps_txn_event ev;
    int attempt, max_attempts, has_return, tick_only;
    int64_t amount;
    const char *status, *file;
    long line;
    char business_id[PS_ID_SIZE];
    char reason[PS_REASON_SIZE];
    const char *reason_code, *message, *settlement_date; /* in text[] */
    char text[];
};

/* On the writer thread (ewawriter.h): the clock read and the writes of
 * ps_provider_apply_status, in the same order. */
static int answer_write(void *arg, int skip, struct ps_err *e)
{
    struct answer_job *j = arg;
    struct ps_answer_row a;
    struct ps_source s = {j->reason, j->file, j->line};
    struct ps_txn_args args;
    char now[PS_TIME_SIZE];
    int rc = 0;
    if (!skip)
        ps_time_now(now); /* every line past its first checks reads it */
    if (!skip && !j->tick_only) {
        memset(&a, 0, sizeof(a));
        a.txn_id = j->t.id;
        a.attempt = j->attempt;
        a.status = j->status;
        a.business_id = j->business_id;
        a.reason_code = j->reason_code;
        a.message = j->message;
        a.settlement_date = j->settlement_date;
        a.amount = j->amount;
        a.currency = j->t.currency;
        a.source_file = j->file;
        a.source_line = j->line;
        a.created_at = now;
        memset(&args, 0, sizeof(args));
        args.src = &s;
        args.max_attempts = j->max_attempts;
        args.return_code = j->has_return ? j->reason_code : NULL;
        rc = write_answer(j->eng, &a, &j->t, j->ev, &args, e);
        if (rc == 0 && j->t.status != j->to)
            rc = ps_err_set(e, PS_EINTERNAL, "EINTERNAL",
                            "transaction %s went to %s, decided %s",
                            j->t.id,
                            ps_enum_name(PS_NAMES_TXN_STATUS, (int)j->t.status),
                            ps_enum_name(PS_NAMES_TXN_STATUS, (int)j->to));
    }
    free(j);
    return rc;
}

static char *put(char **at, const char *v)
{
    if (v == NULL)
        return NULL;
    char *p = *at;
    size_t n = strlen(v) + 1;
    memcpy(p, v, n);
    *at += n;
    return p;
}

static struct answer_job *job_new(struct ps_engine *eng, const struct line *l,
                                  const struct ps_source *src)
{
    size_t n = 0;
    const char *v[3] = {l->reason_code, l->message, l->settlement_date};
    for (int i = 0; i < 3; i++)
        n += v[i] != NULL ? strlen(v[i]) + 1 : 0;
    struct answer_job *j = calloc(1, sizeof(*j) + n);
    if (j == NULL)
        return NULL;
    char *at = j->text;
    j->eng = eng;
    j->status = l->status;
    j->ev = l->ev;
    j->file = src->file;
    j->line = src->line;
    j->reason_code = put(&at, l->reason_code);
    j->message = put(&at, l->message);
    j->settlement_date = put(&at, l->settlement_date);
    return j;
}

/* The transaction as it is now: as committed (the reader), in the
 * status the lines queued since left it.  1: not there (perhaps an ACH
 * trace number, or a row of this chunk's: one thread decides). */
static int current(struct ps_answers *x, struct ps_store *reader,
                   const char *ref, struct ps_txn *t, struct ps_err *e)
{
    int rc = ps_store_txn_get(reader, ref, t, e);
    if (rc == PS_ENOTFOUND)
        return 1;
    if (rc != 0)
        return rc;
    long k = ps_keyindex_find(&x->txns, ref);
    if (k >= 0)
        t->status = x->status[k];
    return 0;
}

/* Long (about 90 lines): the decision of ps_provider_apply_status on
 * the intake thread, its writes queued (provider.h). */
int ps_provider_answer_post(struct ps_engine *eng, const struct ps_business *b,
                            struct ps_answers *x, struct ps_store *reader,
                            struct ps_ewa_writer *w, const struct ps_record *rec,
                            const struct ps_source *src,
                            struct ps_apply_result *res, int *alone,
                            struct ps_err *e)
{
    struct line l;
    struct ps_txn t;
    struct ps_source s = *src;
    struct ps_txn_args args;
    struct answer_job *j;
    enum ps_txn_status to;
    char key[PS_ID_SIZE + 48];
    int64_t v = 0;
    int rc, attempt;

    *alone = 0;
    if ((rc = read_line(rec, &l, e)) != 0)
        return rc;
    if ((rc = current(x, reader, l.ref, &t, e)) == 1) {
        *alone = 1;
        return 0;
    }
    if (rc == 0 && strcmp(t.business_id, b->id) != 0)
        return bad(e, PS_ENOTFOUND, "UNKNOWN_REFERENCE", "reference",
                   "no transaction %s in business %s", l.ref, b->name);
    if ((j = job_new(eng, &l, src)) == NULL)
        return ps_err_set(e, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if (rc != 0 ||
        (rc = check_line(eng, &l, &t, &v, &attempt, j->reason, &s, &args,
                         e)) != 0) {
        free(j);
        return rc;
    }
    answer_key(key, sizeof(key), t.id, attempt, l.status);
    if ((rc = check_state(&l, &t, attempt, &args, e)) == 0)
        rc = ps_txn_next(&t, l.ev, args.max_attempts, &to, e);
    /* Allowed, but answered in this chunk already: the answer row's key
     * refuses it, as on one thread.  (One answered in an earlier chunk
     * fails the writer's insert: the chunk is applied again alone.) */
    if (rc == 0 && ps_keyindex_find(&x->keys, key) >= 0)
        rc = duplicate(e, l.status, attempt, t.id);
    if (rc != 0) {
        /* Refused, the clock read as on one thread. */
        struct ps_err dup;
        int seen = ps_keyindex_find(&x->keys, key) >= 0;
        ps_err_clear(&dup);
        j->tick_only = 1;
        ps_ewa_writer_call(w, answer_write, j);
        if (!seen) {
            int qc = ps_store_answer_exists(reader, t.id, attempt, l.status,
                                            &seen, &dup);
            if (qc != 0) {
                *e = dup;
                return qc;
            }
        }
        return seen ? duplicate(e, l.status, attempt, t.id) : rc;
    }
    if (answers_add(x, t.id, to, key) != 0) {
        free(j);
        return ps_err_set(e, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    j->t = t;
    j->to = to;
    j->attempt = attempt;
    j->amount = v;
    j->max_attempts = args.max_attempts;
    j->has_return = args.return_code != NULL;
    ps_strlcpy(j->business_id, b->id, sizeof(j->business_id));
    ps_ewa_writer_call(w, answer_write, j);
    fill_result(res, &t, to, attempt);
    return 0;
}
