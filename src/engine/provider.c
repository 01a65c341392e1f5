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

/* Long (about 140 lines): the line's checks, every refusal decided
 * before the answer row and the transition are written (provider.h). */
int ps_provider_apply_status(struct ps_engine *eng, const struct ps_business *b,
                             const struct ps_record *rec,
                             const struct ps_source *src,
                             struct ps_apply_result *res, struct ps_err *e)
{
    const char *ref = field(rec, "reference"), *status = field(rec, "status");
    const char *amount = field(rec, "amount"), *cur = field(rec, "currency");
    const char *code = field(rec, "attempt");
    struct ps_txn t, after;
    struct ps_answer_row a;
    struct ps_source s = *src;
    struct ps_txn_args args;
    char reason[PS_REASON_SIZE], now[PS_TIME_SIZE], amt[PS_MONEY_STRMAX];
    int64_t v = 0;
    int rc, ev = -1, attempt;

    if (ref == NULL || status == NULL || amount == NULL)
        return bad(e, PS_EINVAL, "FIELD_REQUIRED",
                   ref == NULL      ? "reference"
                   : status == NULL ? "status"
                                    : "amount",
                   "reference, status and amount are required");
    for (size_t i = 0; i < sizeof(status_events) / sizeof(status_events[0]);
         i++)
        if (strcmp(status_events[i].status, status) == 0)
            ev = (int)status_events[i].ev;
    if (ev < 0)
        return bad(e, PS_EINVAL, "FIELD_VALUE", "status",
                   "unknown provider status %s", status);

    /* Only this business's transactions exist for its provider files.
     * The card processor names a payout by its transaction id; the ODFI
     * names an ACH entry by its trace number (15 digits). */
    rc = ps_store_txn_get(eng->store, ref, &t, e);
    if (rc == PS_ENOTFOUND && strlen(ref) == 15 &&
        strspn(ref, "0123456789") == 15)
        rc = ps_store_txn_get_trace(eng->store, b->id, ref, &t, e);
    if (rc == PS_ENOTFOUND || (rc == 0 && strcmp(t.business_id, b->id) != 0))
        return bad(e, PS_ENOTFOUND, "UNKNOWN_REFERENCE", "reference",
                   "no transaction %s in business %s", ref, b->name);
    if (rc != 0)
        return rc;
    if (cur != NULL && strcmp(cur, t.currency) != 0)
        return bad(e, PS_EINVAL, "CURRENCY_MISMATCH", "currency",
                   "currency %s, the transaction is in %s", cur, t.currency);
    if ((rc = ps_money_parse_cur(amount, t.currency, 0, &v, e)) != 0) {
        ps_err_field(e, "amount");
        return rc;
    }
    if (v != t.amount) {
        const struct ps_currency *c = ps_currency_find(t.currency);
        ps_money_format(t.amount, c != NULL ? c->exponent : 2, amt,
                        sizeof(amt));
        return bad(e, PS_EINVAL, "AMOUNT_MISMATCH", "amount",
                   "amount %s, the transaction is for %s", amount, amt);
    }
    attempt = t.attempts;
    if (code != NULL) {
        char *end;
        long n = strtol(code, &end, 10);
        if (*end != '\0' || n < 1 || n > 1000)
            return bad(e, PS_EINVAL, "FIELD_VALUE", "attempt",
                       "attempt %s is not a number from 1 to 1000", code);
        attempt = (int)n;
    }

    snprintf(reason, sizeof(reason), "provider %s%s%s%s%s", status,
             field(rec, "reason_code") ? " " : "",
             field(rec, "reason_code") ? field(rec, "reason_code") : "",
             field(rec, "message") ? ": " : "",
             field(rec, "message") ? field(rec, "message") : "");
    s.reason = reason;
    memset(&a, 0, sizeof(a));
    a.txn_id = t.id;
    a.attempt = attempt;
    a.status = status;
    a.business_id = b->id;
    a.reason_code = field(rec, "reason_code");
    a.message = field(rec, "message");
    a.settlement_date = field(rec, "settlement_date");
    a.amount = v;
    a.source_file = src->file;
    a.source_line = src->line;
    a.created_at = ps_time_now(now);
    memset(&args, 0, sizeof(args));
    args.src = &s;
    /* An ACH return's NACHA reason code drives the return's effects
     * (achfx.h); a card processor's codes ("05") are only reasons. */
    if (t.rail == PS_RAIL_ACH && ps_ach_return_code_valid(a.reason_code) &&
        (ev == PS_EV_RETURN || ev == PS_EV_DECLINE))
        args.return_code = a.reason_code;

    args.max_attempts = eng->max_attempts;

    /* No savepoint: every refusal is decided before the first write.
     * One that follows a line already applied is that line's duplicate,
     * as the answer row's key says (DUPLICATE_STATUS first, as when the
     * row was inserted first). */
    if (attempt != t.attempts)
        rc = bad(e, PS_ESTATE, "ATTEMPT_MISMATCH", "attempt",
                 "%s answers attempt %d; attempt %d is in flight", status,
                 attempt, t.attempts);
    else
        rc = ps_txn_check(&t, (enum ps_txn_event)ev, &args, e);
    if (rc != 0) {
        struct ps_err dup;
        int seen = 0;
        ps_err_clear(&dup);
        int qc = ps_store_answer_exists(eng->store, t.id, attempt, status,
                                        &seen, &dup);
        if (qc != 0) {
            *e = dup;
            return qc;
        }
        if (seen)
            return bad(e, PS_ECONFLICT, "DUPLICATE_STATUS", "reference",
                       "%s for attempt %d of transaction %s was applied "
                       "before",
                       status, attempt, t.id);
        return rc;
    }
    /* One statement: a conflict writes nothing. */
    rc = ps_store_answer_insert(eng->store, &a, e);
    if (rc == PS_ECONFLICT)
        return bad(e, PS_ECONFLICT, "DUPLICATE_STATUS", "reference",
                   "%s for attempt %d of transaction %s was applied before",
                   status, attempt, t.id);
    if (rc != 0)
        return rc;
    /* t was read in this store transaction: the change re-reads
     * nothing.  Past the answer row, a failure cannot be this line's
     * refusal (those were checked): it fails the chunk, which rolls back
     * whole, instead of leaving the line half applied. */
    after = t;
    rc = ps_engine_txn_change(eng, &after, (enum ps_txn_event)ev, &args, e);
    if (rc != 0 && !ps_provider_engine_failure(rc)) {
        char why[PS_ERR_MSG_MAX];
        ps_strlcpy(why, e->msg, sizeof(why));
        ps_err_set(e, PS_EINTERNAL, "EINTERNAL",
                   "%s of transaction %s failed after its answer row was "
                   "written (%s): the chunk is rolled back",
                   status, t.id, why);
        rc = PS_EINTERNAL;
    }
    if (rc != 0)
        return rc;
    snprintf(res->ids, sizeof(res->ids), "%s", t.id);
    snprintf(res->message, sizeof(res->message), "%s -> %s (attempt %d)",
             ps_enum_name(PS_NAMES_TXN_STATUS, (int)t.status),
             ps_enum_name(PS_NAMES_TXN_STATUS, (int)after.status), attempt);
    res->amount = t.amount;
    ps_strlcpy(res->currency, t.currency, sizeof(res->currency));
    return 0;
}
