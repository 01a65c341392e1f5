/*
 * txn.c -- the transaction state machine as one transition table.
 *
 * Each row is (from, event, to, guard).  The guard narrows a row:
 * CLEARED is reachable only by received (DEBIT) transactions, and a
 * provider error on a transmitted transaction becomes ERROR only once the
 * retry policy is exhausted (attempts are counted by TRANSMIT; until then
 * the transaction goes back to PENDING and the next payout resends it).
 * A (status, event) pair with no row is illegal and changes nothing;
 * terminal statuses have no rows, so they stay terminal.
 *
 * ps_txn_change() is the only writer of a transaction's status: it
 * finds the transition for the row in hand, and writes status, history
 * and ledger entries and the status event (event.h), and for a LinX
 * request's transaction the customer's SMS (linxtxn.h), inside the
 * caller's store transaction.  ps_txn_apply() wraps it in a transaction
 * of its own (a SAVEPOINT when the caller already holds one) with the
 * row read inside it.
 */
#include "engine/txn.h"

#include <stdio.h>
#include <string.h>

#include "engine/achfx.h"
#include "engine/event.h"
#include "engine/ledger.h"
#include "engine/linxtxn.h"

enum guard { G_NONE, G_DEBIT_ONLY, G_RETRY_LEFT, G_RETRY_EXHAUSTED };

struct transition {
    enum ps_txn_status from;
    enum ps_txn_event event;
    enum ps_txn_status to;
    enum guard guard;
};

static const struct transition table[] = {
    {PS_TXN_NEW, PS_EV_SUBMIT, PS_TXN_PENDING, G_NONE},
    {PS_TXN_NEW, PS_EV_CANCEL, PS_TXN_CANCELLED, G_NONE},
    {PS_TXN_PENDING, PS_EV_TRANSMIT, PS_TXN_PROCESSING, G_NONE},
    {PS_TXN_PENDING, PS_EV_CANCEL, PS_TXN_CANCELLED, G_NONE},
    {PS_TXN_PROCESSING, PS_EV_APPROVE, PS_TXN_APPROVED, G_NONE},
    {PS_TXN_PROCESSING, PS_EV_SETTLE, PS_TXN_SETTLED, G_NONE},
    {PS_TXN_PROCESSING, PS_EV_DECLINE, PS_TXN_DECLINED, G_NONE},
    {PS_TXN_PROCESSING, PS_EV_RETURN, PS_TXN_DECLINED, G_NONE},
    {PS_TXN_PROCESSING, PS_EV_PROVIDER_ERROR, PS_TXN_PENDING, G_RETRY_LEFT},
    {PS_TXN_PROCESSING, PS_EV_PROVIDER_ERROR, PS_TXN_ERROR, G_RETRY_EXHAUSTED},
    {PS_TXN_APPROVED, PS_EV_SETTLE, PS_TXN_SETTLED, G_NONE},
    {PS_TXN_APPROVED, PS_EV_DECLINE, PS_TXN_DECLINED, G_NONE},
    {PS_TXN_APPROVED, PS_EV_RETURN, PS_TXN_DECLINED, G_NONE},
    {PS_TXN_SETTLED, PS_EV_CLEAR, PS_TXN_CLEARED, G_DEBIT_ONLY},
    {PS_TXN_SETTLED, PS_EV_RETURN, PS_TXN_REVERSED, G_NONE},
    {PS_TXN_SETTLED, PS_EV_REVERSE, PS_TXN_REVERSED, G_NONE},
    {PS_TXN_CLEARED, PS_EV_RETURN, PS_TXN_REVERSED, G_NONE},
    {PS_TXN_CLEARED, PS_EV_REVERSE, PS_TXN_REVERSED, G_NONE},
};

static const char *const event_names[PS_EV_N] = {
    "SUBMIT", "TRANSMIT", "APPROVE", "SETTLE",  "CLEAR",
    "CANCEL", "DECLINE",  "RETURN",  "REVERSE", "PROVIDER_ERROR"};

const char *ps_txn_event_name(enum ps_txn_event ev)
{
    return (unsigned)ev < PS_EV_N ? event_names[ev] : "?";
}

int ps_txn_event_parse(const char *name)
{
    for (int i = 0; name != NULL && i < PS_EV_N; i++)
        if (strcmp(event_names[i], name) == 0)
            return i;
    return -1;
}

int ps_txn_status_terminal(enum ps_txn_status st)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].from == st)
            return 0;
    return 1;
}

static int guard_ok(enum guard g, const struct ps_txn *t, int max_attempts)
{
    switch (g) {
    case G_NONE:
        return 1;
    case G_DEBIT_ONLY:
        return t->type == PS_TXN_DEBIT;
    case G_RETRY_LEFT:
        return t->attempts < max_attempts;
    case G_RETRY_EXHAUSTED:
        return t->attempts >= max_attempts;
    }
    return 0;
}

int ps_txn_next(const struct ps_txn *t, enum ps_txn_event ev, int max_attempts,
                enum ps_txn_status *next, struct ps_err *err)
{
    int known = 0;
    if (max_attempts <= 0)
        max_attempts = PS_TXN_MAX_ATTEMPTS;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        const struct transition *r = &table[i];
        if (r->from != t->status || r->event != ev)
            continue;
        known = 1;
        if (guard_ok(r->guard, t, max_attempts)) {
            *next = r->to;
            return 0;
        }
    }
    if (known && ev == PS_EV_CLEAR)
        return ps_err_set(err, PS_ESTATE, "ILLEGAL_TRANSITION",
                          "transaction %s: only received (DEBIT) "
                          "transactions can be CLEARED",
                          t->id);
    return ps_err_set(err, PS_ESTATE, "ILLEGAL_TRANSITION",
                      "transaction %s: event %s is not allowed in status %s%s",
                      t->id, ps_txn_event_name(ev),
                      ps_enum_name(PS_NAMES_TXN_STATUS, (int)t->status),
                      ps_txn_status_terminal(t->status) ? " (terminal)" : "");
}

/* Validate and fill a new transaction row; writes nothing. */
static int new_row(struct ps_txn *row, char now[PS_TIME_SIZE],
                   struct ps_err *err)
{
    if (row->amount <= 0)
        return ps_err_set(err, PS_EINVAL, "AMOUNT_NOT_POSITIVE",
                          "transaction amount must be positive");
    if (row->fee < 0)
        return ps_err_set(err, PS_EINVAL, "FEE_NEGATIVE",
                          "transaction fee must not be negative");
    if (row->type == PS_TXN_DEBIT && row->rail != PS_RAIL_ACH)
        return ps_err_set(err, PS_EINVAL, "DEBIT_NEEDS_ACH",
                          "a DEBIT transaction must use the ACH rail");
    /* The ledger has postings only for these pairs: money must never move
     * without its entries. */
    if ((row->purpose == PS_PURPOSE_EWA_DISBURSEMENT &&
         row->type != PS_TXN_SEND) ||
        (row->purpose == PS_PURPOSE_EWA_RECOVERY && row->type != PS_TXN_DEBIT))
        return ps_err_set(err, PS_EINVAL, "PURPOSE_TYPE_MISMATCH",
                          "an EWA disbursement must be a SEND and an EWA "
                          "recovery a DEBIT");
    if (strlen(row->request_id) > 64)
        return ps_err_set(err, PS_EINVAL, "REQUEST_ID_FORMAT",
                          "a request id is at most 64 characters");
    for (const char *c = row->request_id; *c != '\0'; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
            return ps_err_set(err, PS_EINVAL, "REQUEST_ID_FORMAT",
                              "a request id is printable ASCII without "
                              "spaces");
    if (row->fee != 0 && row->purpose != PS_PURPOSE_EWA_DISBURSEMENT)
        return ps_err_set(err, PS_EINVAL, "FEE_NOT_ALLOWED",
                          "only EWA disbursements carry a fee");
    ps_id_new(row->id);
    ps_time_now(now);
    ps_strlcpy(row->created_at, now, sizeof(row->created_at));
    ps_strlcpy(row->updated_at, now, sizeof(row->updated_at));
    row->status = PS_TXN_NEW;
    row->attempts = 0;
    row->rowid = 0; /* not stored yet */
    return 0;
}

/* The writes of a creation: the row, which records the creation and
 * carries its transfer (schema v18) and its fee's (v29), then the other
 * creation postings, if any.  The row goes first, so a duplicate request
 * id fails before anything is written; transfers whose accounts the
 * caller did not know are set on the row once they are looked up. */
static int insert_new(struct ps_store *store, const struct ps_txn *row,
                      const struct ps_source *src, struct ps_ledger_ids *ids,
                      struct ps_profile_link *link, const char *now,
                      int *written, struct ps_err *err)
{
    enum ps_ledger_kind dk = PS_LEDGER_FUNDING, ck = PS_LEDGER_FUNDING;
    int fk = -1;
    struct ps_row_transfer x = {0, 0, 0};
    int on_row = ps_ledger_row_transfer(row, &dk, &ck, &fk);
    if (on_row && ids != NULL && ids->id[dk] != 0 && ids->id[ck] != 0 &&
        (fk < 0 || ids->id[fk] != 0)) {
        x.debit = ids->id[dk];
        x.credit = ids->id[ck];
        x.fee_credit = fk < 0 ? 0 : ids->id[fk];
    }
    int rc = ps_store_txn_create(store, row, src, &x, link, err);
    if (rc == PS_ECONFLICT)
        rc = ps_err_set(err, PS_ECONFLICT, "DUPLICATE_REQUEST",
                        "request id %s was already used in this business",
                        row->request_id);
    *written = rc == 0;
    if (rc == 0 && on_row && x.debit == 0 &&
        (rc = ps_ledger_account(store, row, dk, ids, &x.debit, err)) == 0 &&
        (rc = ps_ledger_account(store, row, ck, ids, &x.credit, err)) == 0 &&
        (fk < 0 || (rc = ps_ledger_account(store, row, (enum ps_ledger_kind)fk,
                                           ids, &x.fee_credit, err)) == 0))
        rc = ps_store_txn_set_transfer(store, row, &x, err);
    if (rc == 0)
        rc = ps_ledger_post_with(store, row, -1, PS_TXN_NEW, ids, now, err);
    return rc;
}

int ps_txn_create(struct ps_store *store, struct ps_txn *t,
                  const struct ps_source *src, struct ps_err *err)
{
    struct ps_txn row = *t;
    char now[PS_TIME_SIZE];
    int rc;

    if ((rc = new_row(&row, now, err)) != 0)
        return rc;
    if ((rc = ps_store_begin(store, err)) != 0)
        return rc;
    int written = 0;
    if ((rc = insert_new(store, &row, src, NULL, NULL, now, &written,
                         err)) != 0 ||
        (rc = ps_store_commit(store, err)) != 0) {
        ps_store_rollback(store);
        return rc;
    }
    *t = row;
    return 0;
}

int ps_txn_prepare(struct ps_txn *t, char now[PS_TIME_SIZE],
                   struct ps_err *err)
{
    struct ps_txn row = *t;
    int rc = new_row(&row, now, err);
    if (rc == 0)
        *t = row;
    return rc;
}

int ps_txn_create_in_ids(struct ps_store *store, struct ps_txn *t,
                         const struct ps_source *src,
                         struct ps_ledger_ids *ids,
                         struct ps_profile_link *link, struct ps_err *err)
{
    struct ps_txn row = *t;
    char now[PS_TIME_SIZE];
    int rc;
    if ((rc = new_row(&row, now, err)) != 0 ||
        (rc = ps_txn_create_prepared(store, &row, src, ids, link, now, err)) !=
            0)
        return rc;
    *t = row;
    return 0;
}

int ps_txn_create_prepared(struct ps_store *store, const struct ps_txn *t,
                           const struct ps_source *src,
                           struct ps_ledger_ids *ids,
                           struct ps_profile_link *link, const char *now,
                           struct ps_err *err)
{
    const struct ps_txn row = *t;
    int written = 0;
    int rc = insert_new(store, &row, src, ids, link, now, &written, err);
    if (rc == 0)
        return 0;
    if (!written || rc == PS_ESTORE || rc == PS_EBUSY || rc == PS_ENOMEM ||
        rc == PS_EIO)
        return rc;
    /* No savepoint here: a failure after the row (a transfer, a fee, an
     * account) is never the record's refusal, which would leave the row
     * half posted in the caller's transaction; it is the store's, and
     * the caller rolls its whole transaction back (a chunk: redone as
     * the resume path does). */
    char why[PS_ERR_MSG_MAX];
    ps_strlcpy(why, err != NULL ? err->msg : "", sizeof(why));
    return ps_err_set(err, PS_ESTORE, "STORE_ERROR",
                      "transaction %s written, its ledger postings failed: "
                      "%s",
                      row.id, why);
}

int ps_txn_create_in(struct ps_store *store, struct ps_txn *t,
                     const struct ps_source *src, struct ps_err *err)
{
    return ps_txn_create_in_ids(store, t, src, NULL, NULL, err);
}

/* A creation that posts nothing is one INSERT (insert_new: no transfer
 * to set, no creation posting; the request-hash retry writes only once
 * the first attempt has written nothing), and SQLite undoes a failed
 * statement whole: no savepoint is needed for a refusal to leave nothing
 * behind.  Any other creation keeps its savepoint. */
int ps_txn_create_nested(struct ps_store *store, struct ps_txn *t,
                         const struct ps_source *src, struct ps_err *err)
{
    if (ps_ledger_creation_posts(t))
        return ps_txn_create(store, t, src, err);
    return ps_txn_create_in_ids(store, t, src, NULL, NULL, err);
}

/*
 * A return code must be a known one, on an ACH transaction, with an event
 * that ends it as returned.  The history's source is then *s, whose
 * reason (in buf) starts with the code and its meaning unless the
 * caller's reason already names the code.
 */
static int return_source(const struct ps_txn *t, enum ps_txn_event ev,
                         const struct ps_txn_args *args, struct ps_source *s,
                         char *buf, size_t size, struct ps_err *err)
{
    const char *code = args->return_code;
    const char *why = s->reason;
    char label[160];
    if (!ps_ach_return_code_valid(code))
        return ps_err_set(err, PS_EINVAL, "RETURN_CODE",
                          "transaction %s: %.8s is not a NACHA return reason "
                          "code (R01..R85)",
                          t->id, code);
    if (ev != PS_EV_RETURN && ev != PS_EV_DECLINE && ev != PS_EV_REVERSE)
        return ps_err_set(err, PS_EINVAL, "RETURN_CODE_EVENT",
                          "transaction %s: return code %s goes with RETURN, "
                          "DECLINE or REVERSE, not %s",
                          t->id, code, ps_txn_event_name(ev));
    if (t->rail != PS_RAIL_ACH)
        return ps_err_set(err, PS_EINVAL, "RETURN_CODE_RAIL",
                          "transaction %s is not on the ACH rail: no return "
                          "code %s",
                          t->id, code);
    if (why != NULL && strstr(why, code) != NULL)
        return 0;
    ps_ach_return_label(code, label, sizeof(label));
    if (why != NULL && why[0] != '\0')
        snprintf(buf, size, "%s: %s", label, why);
    else
        snprintf(buf, size, "%s", label);
    s->reason = buf;
    return 0;
}

/* The change's event to the business's event outbox (event.h), in this
 * transaction: one row per status change, none at creation. */
static int status_event(struct ps_store *store, const struct ps_txn *t,
                        enum ps_txn_status from, enum ps_txn_event ev,
                        const struct ps_source *src, const char *now,
                        int64_t history_id, struct ps_err *err)
{
    struct ps_status_event e = {
        t->business_id,
        "TRANSACTION",
        t->id,
        t->customer_id,
        t->request_id,
        ps_enum_name(PS_NAMES_TXN_STATUS, (int)from),
        ps_enum_name(PS_NAMES_TXN_STATUS, (int)t->status),
        ps_txn_event_name(ev),
        src->reason,
        now,
    };
    return ps_status_event_of(store, &e, history_id, err);
}

/* Why ev cannot change t, or 0 and the status it leads to; the history
 * source with a return code's label in *s (buf). */
static int refusal(const struct ps_txn *t, enum ps_txn_event ev,
                   const struct ps_txn_args *args, struct ps_source *s,
                   char *buf, size_t size, enum ps_txn_status *to,
                   struct ps_err *err)
{
    int rc;
    if ((unsigned)ev >= PS_EV_N)
        return ps_err_set(err, PS_EINVAL, "UNKNOWN_EVENT",
                          "unknown transaction event %d", (int)ev);
    if (args->return_code != NULL &&
        (rc = return_source(t, ev, args, s, buf, size, err)) != 0)
        return rc;
    return ps_txn_next(t, ev, args->max_attempts, to, err);
}

int ps_txn_check(const struct ps_txn *t, enum ps_txn_event ev,
                 const struct ps_txn_args *args, struct ps_err *err)
{
    static const struct ps_txn_args no_args;
    struct ps_source src = {NULL, NULL, 0};
    enum ps_txn_status to;
    char reason[PS_REASON_SIZE];
    if (args == NULL)
        args = &no_args;
    if (args->src != NULL)
        src = *args->src;
    return refusal(t, ev, args, &src, reason, sizeof(reason), &to, err);
}

int ps_txn_changes(struct ps_store *store, struct ps_txn *t,
                   const enum ps_txn_event *ev, int n,
                   const struct ps_txn_args *args, struct ps_txn *steps,
                   struct ps_err *err)
{
    static const struct ps_txn_args no_args;
    struct ps_txn step[PS_TXN_CHANGES_MAX], cur;
    enum ps_txn_status from[PS_TXN_CHANGES_MAX], to;
    struct ps_source src[PS_TXN_CHANGES_MAX], base = {NULL, NULL, 0};
    char now[PS_TXN_CHANGES_MAX][PS_TIME_SIZE];
    char reason[PS_TXN_CHANGES_MAX][PS_REASON_SIZE];
    int64_t hid = 0;
    int rc, k;

    if (n < 1 || n > PS_TXN_CHANGES_MAX)
        return ps_err_set(err, PS_EINTERNAL, "EINTERNAL",
                          "%d status changes at once (1 to %d)", n,
                          PS_TXN_CHANGES_MAX);
    if (args == NULL)
        args = &no_args;
    if (args->src != NULL)
        base = *args->src;
    /* Every refusal, of every step in order, before the first write
     * (ps_txn_check); each step's row is the transition table's. */
    cur = *t;
    for (k = 0; k < n; k++) {
        src[k] = base;
        if ((rc = refusal(&cur, ev[k], args, &src[k], reason[k],
                          sizeof(reason[k]), &to, err)) != 0)
            return rc;
        from[k] = cur.status;
        cur.status = to;
        /* A clock read a step, as when each was its own change (the
         * frozen test clock, PAYSPOOL_NOW, ticks a read). */
        ps_time_now(now[k]);
        ps_strlcpy(cur.updated_at, now[k], sizeof(cur.updated_at));
        if (ev[k] == PS_EV_TRANSMIT)
            cur.attempts++;
        if (args->trace_number != NULL)
            ps_strlcpy(cur.trace_number, args->trace_number,
                       sizeof(cur.trace_number));
        step[k] = cur;
    }

    /* One row write from the status read to the last step's (the store's
     * one status-change function); each step its history row, ledger
     * effect and event, in the caller's transaction. */
    if ((rc = ps_store_txn_update(store, &cur, from[0], err)) != 0)
        return rc;
    for (k = 0; k < n; k++)
        if ((rc = ps_store_txn_history_insert(
                 store, &step[k], (int)from[k], step[k].status,
                 ps_txn_event_name(ev[k]), &src[k], args->return_code, now[k],
                 err)) != 0 ||
            (hid = ps_store_txn_history_last(store)) < 0 ||
            (rc = ps_ledger_post_transition(store, &step[k], (int)from[k],
                                            step[k].status, now[k], err)) !=
                0 ||
            (rc = status_event(store, &step[k], from[k], ev[k], &src[k],
                               now[k], hid, err)) != 0 ||
            (rc = ps_linx_txn_status(store, &step[k], ps_txn_event_name(ev[k]),
                                     args->return_code, err)) != 0)
            return rc;
    if (steps != NULL)
        memcpy(steps, step, (size_t)n * sizeof(*steps));
    *t = cur;
    return 0;
}

int ps_txn_change(struct ps_store *store, struct ps_txn *t,
                  enum ps_txn_event ev, const struct ps_txn_args *args,
                  struct ps_err *err)
{
    return ps_txn_changes(store, t, &ev, 1, args, NULL, err);
}

int ps_txn_apply(struct ps_store *store, const char *id, enum ps_txn_event ev,
                 const struct ps_txn_args *args, struct ps_txn *out,
                 struct ps_err *err)
{
    struct ps_txn t;
    int rc;

    if ((unsigned)ev >= PS_EV_N)
        return ps_err_set(err, PS_EINVAL, "UNKNOWN_EVENT",
                          "unknown transaction event %d", (int)ev);
    if ((rc = ps_store_begin(store, err)) != 0)
        return rc;
    if ((rc = ps_store_txn_get(store, id, &t, err)) != 0 ||
        (rc = ps_txn_change(store, &t, ev, args, err)) != 0 ||
        (rc = ps_store_commit(store, err)) != 0) {
        ps_store_rollback(store);
        return rc;
    }
    if (out != NULL)
        *out = t;
    return 0;
}
