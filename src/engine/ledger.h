/*
 * ledger.h -- double-entry postings for every movement of money.
 *
 * Each entry moves an amount from one ledger account (credit side) to
 * another (debit side) of the same business and currency.  Which entries a
 * transaction posts is decided by one table over (purpose, new status);
 * see ledger.c.  The trial balance (debits minus credits over every
 * account, per currency) is zero at all times.
 */
#ifndef PS_LEDGER_H
#define PS_LEDGER_H

#include "base/err.h"
#include "base/model.h"
#include "store/store.h"

/*
 * Post the entries for transaction t entering status `to` from `from`
 * (from = -1 for creation).  Caller holds the store transaction.
 */
int ps_ledger_post_transition(struct ps_store *store, const struct ps_txn *t,
                              int from, enum ps_txn_status to, const char *at,
                              struct ps_err *err);

/* The ledger accounts of one transaction's business, currency and
 * customer, by kind; 0 = not known (looked up, or created, on use). */
struct ps_ledger_ids {
    int64_t id[PS_LEDGER_KIND_N];
};

/*
 * The transfer a creation records on the transaction row itself (schema
 * v18, docs/store.md): the first leg of the creation rule when it moves
 * the amount.  1 with its account kinds, 0 when creation moves nothing
 * on the row.  *fee_credit is the credit kind of the creation's fee leg
 * when the row carries it too (schema v29: a non-zero fee drawn on the
 * same debit account, Dr debit F / Cr fee_credit F), else -1.
 * ps_ledger_post_with() for creation posts the other legs.
 */
int ps_ledger_row_transfer(const struct ps_txn *t, enum ps_ledger_kind *debit,
                           enum ps_ledger_kind *credit, int *fee_credit);
/* 1 when creating t moves money (a transfer on the row or other
 * postings), 0 when its creation is the transaction row alone. */
int ps_ledger_creation_posts(const struct ps_txn *t);

/* The ledger account of kind for t: from ids when known, else looked up
 * (or created) and written back to ids (ids may be NULL). */
int ps_ledger_account(struct ps_store *store, const struct ps_txn *t,
                      enum ps_ledger_kind kind, struct ps_ledger_ids *ids,
                      int64_t *id, struct ps_err *err);

/*
 * ps_ledger_post_transition() with the accounts the caller knows (the
 * EWA book keeps them for every profile, so a disbursement looks none
 * up); those it had to look up are written back to ids.  ids NULL: look
 * every one up.
 */
int ps_ledger_post_with(struct ps_store *store, const struct ps_txn *t,
                        int from, enum ps_txn_status to,
                        struct ps_ledger_ids *ids, const char *at,
                        struct ps_err *err);

/*
 * An EWA recovery by payroll deduction (no transaction): the employer
 * withheld `amount` from the employee's pay and remits it to funding.
 * Debit FUNDING, credit EWA_RECEIVABLE.  reference names the source
 * (file and line) and is kept on the entry.
 */
int ps_ledger_post_payroll_recovery(struct ps_store *store,
                                    const char *business_id,
                                    const char *currency, int64_t amount,
                                    const char *reference, const char *at,
                                    struct ps_err *err);

/*
 * Check the trial balance: 0 when every currency nets to zero and no
 * entry crosses currencies; PS_EINVAL (rule TRIAL_BALANCE_NOT_ZERO) with
 * the first offending currency otherwise.  business_id NULL = all.
 */
int ps_ledger_check(struct ps_store *store, const char *business_id,
                    struct ps_err *err);

#endif /* PS_LEDGER_H */
