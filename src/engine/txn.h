/*
 * txn.h -- the transaction state machine.
 *
 * One transition table over the ten statuses of the seed; one function
 * (ps_txn_change, which ps_txn_apply wraps in a transaction of its own)
 * that applies an event.  The status change, its history row and its
 * ledger entries commit in one SQLite transaction, or nothing changes.
 * No other code writes a transaction's status.
 */
#ifndef PS_TXN_H
#define PS_TXN_H

#include "base/err.h"
#include "base/model.h"
#include "store/store.h"

struct ps_ledger_ids; /* engine/ledger.h */

enum ps_txn_event {
    PS_EV_SUBMIT,         /* NEW -> PENDING: handed to a processing domain */
    PS_EV_TRANSMIT,       /* PENDING -> PROCESSING: sent to the provider */
    PS_EV_APPROVE,        /* PROCESSING -> APPROVED */
    PS_EV_SETTLE,         /* PROCESSING|APPROVED -> SETTLED */
    PS_EV_CLEAR,          /* SETTLED -> CLEARED (received, i.e. DEBIT) */
    PS_EV_CANCEL,         /* NEW|PENDING -> CANCELLED */
    PS_EV_DECLINE,        /* PROCESSING|APPROVED -> DECLINED */
    PS_EV_RETURN,         /* before settlement DECLINED, after REVERSED */
    PS_EV_REVERSE,        /* SETTLED|CLEARED -> REVERSED */
    PS_EV_PROVIDER_ERROR, /* retry (-> PENDING) or, when exhausted, ERROR */
    PS_EV_N
};

/* Provider attempts before PROVIDER_ERROR means ERROR, by default. */
#define PS_TXN_MAX_ATTEMPTS 3

const char *ps_txn_event_name(enum ps_txn_event ev);
/* -1 when unknown.  Accepts the names above ("SETTLE", ...). */
int ps_txn_event_parse(const char *name);

/* 1 for CANCELLED, DECLINED, REVERSED and ERROR.  CLEARED is not: a
 * cleared ACH debit can still be returned (R05/R07/R10/R11 within 60
 * days), which reverses it. */
int ps_txn_status_terminal(enum ps_txn_status st);

/*
 * The pure part: where (t's status, ev) leads, given the retry policy.
 * Returns 0 and *next, or PS_ESTATE (rule ILLEGAL_TRANSITION) with a
 * message naming the status and event.  Writes nothing.
 */
int ps_txn_next(const struct ps_txn *t, enum ps_txn_event ev, int max_attempts,
                enum ps_txn_status *next, struct ps_err *err);

/*
 * Create a transaction in status NEW: fills t->id, t->status, attempts and
 * timestamps; writes the row, its first history row and the creation
 * postings in one store transaction.  A request id seen before in the
 * business gives PS_ECONFLICT (rule DUPLICATE_REQUEST).
 */
int ps_txn_create(struct ps_store *store, struct ps_txn *t,
                  const struct ps_source *src, struct ps_err *err);

/*
 * The same inside the caller's open transaction, without a savepoint of
 * its own (a savepoint per record costs a copy of every page it touches):
 * for bulk appliers that roll their whole chunk back on a store failure.
 * A refusal (a bad request id, DUPLICATE_REQUEST) is reported before
 * anything is written; any failure once the row is written is PS_ESTORE
 * (rule STORE_ERROR) whatever its cause, so it is never taken for the
 * record's refusal with the row left half posted in the transaction.
 */
int ps_txn_create_in(struct ps_store *store, struct ps_txn *t,
                     const struct ps_source *src, struct ps_err *err);
/* The same with the ledger accounts the caller already knows (ids, see
 * ledger.h); an account looked up or created is written back to ids.
 * link: the head of the profile's chain the caller keeps, or NULL (see
 * ps_store_txn_create). */
int ps_txn_create_in_ids(struct ps_store *store, struct ps_txn *t,
                         const struct ps_source *src,
                         struct ps_ledger_ids *ids,
                         struct ps_profile_link *link, struct ps_err *err);
/* The same in two steps (the EWA writer thread, ewabook.h): validate and
 * fill t (id, status, times; now gets the time), writing nothing; then
 * write the prepared row, its transfer and postings. */
int ps_txn_prepare(struct ps_txn *t, char now[PS_TIME_SIZE],
                   struct ps_err *err);
int ps_txn_create_prepared(struct ps_store *store, const struct ps_txn *t,
                           const struct ps_source *src,
                           struct ps_ledger_ids *ids,
                           struct ps_profile_link *link, const char *now,
                           struct ps_err *err);

/*
 * For a caller holding the store transaction whose refused records must
 * leave nothing behind (the intake appliers): like ps_txn_create, but
 * without a savepoint when the creation is the row alone (one INSERT,
 * undone whole by SQLite when it fails; no ledger posting), which saves
 * the statement journal's writes per record.  A creation that posts
 * (EWA) keeps its savepoint.
 */
int ps_txn_create_nested(struct ps_store *store, struct ps_txn *t,
                         const struct ps_source *src, struct ps_err *err);

struct ps_txn_args {
    const struct ps_source *src; /* history: reason, file, line */
    int max_attempts;            /* 0: PS_TXN_MAX_ATTEMPTS */
    const char *trace_number;    /* set with TRANSMIT for ACH, or NULL */
    /* The NACHA return reason ("R01"...) when the event is an ACH return
     * (RETURN, DECLINE or REVERSE of an ACH transaction), else NULL.  It
     * is kept in the history row's reason and drives the return's
     * effects (achfx.h). */
    const char *return_code;
};

/*
 * Apply ev to transaction `id`.  On success the new row is in *out (may be
 * NULL).  On any error nothing was changed.
 *
 * With args->return_code: the code must be one ps_ach_return_code_valid()
 * knows (else PS_EINVAL, rule RETURN_CODE), the event RETURN, DECLINE or
 * REVERSE (rule RETURN_CODE_EVENT) and the transaction on the ACH rail
 * (rule RETURN_CODE_RAIL); the history reason starts with the code and
 * its meaning, e.g. "R01 (insufficient funds): <src->reason>".
 */
int ps_txn_apply(struct ps_store *store, const char *id, enum ps_txn_event ev,
                 const struct ps_txn_args *args, struct ps_txn *out,
                 struct ps_err *err);

/*
 * The status change itself, the one path every status change takes
 * (ps_txn_apply is it with a read and a transaction around it): *t is
 * the row as read inside the caller's store transaction, and becomes
 * the row after.  Every refusal (ILLEGAL_TRANSITION, the return-code
 * rules, UNKNOWN_EVENT) is returned before anything is written; an error
 * after the first write (a store failure) leaves writes the caller must
 * roll back with its whole transaction.  No savepoint of its own, so a
 * batch (a payout file, an ACH cutoff) pays none per record.
 */
int ps_txn_change(struct ps_store *store, struct ps_txn *t,
                  enum ps_txn_event ev, const struct ps_txn_args *args,
                  struct ps_err *err);
/* Up to this many status changes of one row at once (ps_txn_changes). */
#define PS_TXN_CHANGES_MAX 2
/*
 * ps_txn_change() for the events ev[0..n-1] in order (n 1 to
 * PS_TXN_CHANGES_MAX), e.g. a payout's SUBMIT then TRANSMIT: each step
 * is checked against the transition table from the status the one
 * before leads to, every refusal before the first write; then ONE row
 * write (ps_store_txn_update from t's status to the last step's) and,
 * per step, its history row, ledger effect and event as ps_txn_change
 * writes them.  steps (n rows, or NULL) gets the row after each step.
 */
int ps_txn_changes(struct ps_store *store, struct ps_txn *t,
                   const enum ps_txn_event *ev, int n,
                   const struct ps_txn_args *args, struct ps_txn *steps,
                   struct ps_err *err);
/* The refusal ps_txn_change() would give for ev on t, or 0: it writes
 * nothing (a caller deciding a line's outcome before its first write). */
int ps_txn_check(const struct ps_txn *t, enum ps_txn_event ev,
                 const struct ps_txn_args *args, struct ps_err *err);

#endif /* PS_TXN_H */
