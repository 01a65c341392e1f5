/*
 * verify.h -- the store side of `payspool ledger verify` (engine/query.c
 * compares, cli/cmd_ledger.c prints): every ledger account's balance
 * recomputed from the ledger's rows beside the balance the schema stores,
 * and the EWA counters beside the rows they count.  src/store/verify.c
 * owns the SQL, one statement per list, so that a change of the row
 * model swaps the SQL and keeps the comparison.
 *
 * Schema v15 (the model these statements read): the ledger's rows are
 * ledger_entries (one row = one balanced movement, debit account, credit
 * account, amount); no ledger balance is stored (stored = 0 in every
 * account row, unless the schema has ledger_balances (v20): then its
 * debits_posted and credits_posted are the stored balance); the stored
 * counters are ewa_counters.amount_to_recover (v21, one row per profile).
 *
 * Every list walks its rows in a fixed order (accounts by id, the rest
 * by business name, currency, external id) and calls cb once per row; a
 * non-zero return from cb stops the walk and is not an error.
 * business_id NULL: every business.
 *
 * How it fails: as every store function (store.h): PS_ESTORE, PS_EBUSY,
 * PS_ENOMEM from SQLite.
 */
#ifndef PS_STORE_VERIFY_H
#define PS_STORE_VERIFY_H

#include <stdint.h>

#include "base/err.h"
#include "base/model.h"

struct ps_store;

/* One ledger account. */
struct ps_verify_account_row {
    int64_t id;                   /* the ledger account's row id */
    char business[PS_NAME_SIZE];  /* the business's name (slug) */
    char kind[24];                /* FUNDING, CUSTOMER, ... */
    char currency[4];             /* the account's currency */
    char customer[PS_EXTID_SIZE]; /* CUSTOMER: the customer's external
                                     id; "" otherwise */
    int64_t debits, credits;      /* recomputed from the ledger's rows */
    int stored;                   /* 1: the schema stores a balance */
    int64_t stored_debits, stored_credits; /* when stored */
    /* its legs in another currency than its own, or whose other side is
     * an account of another currency or business */
    int64_t cross_currency;
};
int ps_store_verify_accounts(struct ps_store *s, const char *business_id,
                             int (*cb)(void *ctx,
                                       const struct ps_verify_account_row *),
                             void *ctx, struct ps_err *err);

/*
 * Per business and currency: the EWA_RECEIVABLE account's balance from
 * the ledger's rows, against the same figure counted from the rows that
 * move it: the advances and fees of EWA disbursements not unwound
 * (not CANCELLED, DECLINED, ERROR or REVERSED), less payroll deductions,
 * less settled EWA recovery debits (engine/ledger.c's table).
 */
struct ps_verify_receivable_row {
    char business[PS_NAME_SIZE];
    char currency[4];
    int64_t ledger;  /* debits - credits of EWA_RECEIVABLE */
    int64_t counted; /* from the transactions and payroll results */
};
int ps_store_verify_receivables(
    struct ps_store *s, const char *business_id,
    int (*cb)(void *ctx, const struct ps_verify_receivable_row *), void *ctx,
    struct ps_err *err);

/*
 * Per EWA profile: the amount to recover as stored, against the same
 * counted from its rows (its advances and fees not unwound, less its
 * payroll deductions, less its settled recovery debits), floored at 0 as
 * the engine floors it (what was recovered beyond the amount owed is owed
 * back to the employee, not a negative balance).
 */
struct ps_verify_profile_row {
    char business[PS_NAME_SIZE];
    char external_id[PS_EXTID_SIZE];
    char currency[4];
    int64_t stored;  /* ewa_counters.amount_to_recover */
    int64_t counted; /* from its rows, floored at 0 */
    /* Since schema 22: its transactions by their profile_id, and those
     * rightly linked on its chain (each to the one before it, the newest
     * ewa_counters.last_txn; docs/store.md): equal unless the chain is
     * damaged.  0 and 0 before. */
    int64_t txns, chained;
};
int ps_store_verify_profiles(struct ps_store *s, const char *business_id,
                             int (*cb)(void *ctx,
                                       const struct ps_verify_profile_row *),
                             void *ctx, struct ps_err *err);

#endif /* PS_STORE_VERIFY_H */
