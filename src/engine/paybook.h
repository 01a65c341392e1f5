/*
 * paybook.h -- payment.send's working set for one business: each
 * customer, by external id, with its first ACTIVE financial account.
 *
 * A pain.001 or pstest file of a payroll run has one payment per
 * employee of a business of up to hundreds of thousands.  Looking each
 * one up in SQLite cost four random reads a record (the customer by
 * external id, its accounts, then the creation's checks read both again
 * by id); the book loads them all with one query on the first payment of
 * a document and answers from memory (ps_engine_txn_create_for() then
 * checks the same rules on what it holds).  Payments change no customer
 * or account, so the book stays true while only payments are applied;
 * the applier (apply.c) drops it before any other kind of record, and
 * after a rolled-back chunk.
 */
#ifndef PS_PAYBOOK_H
#define PS_PAYBOOK_H

#include "engine/engine.h"

struct ps_paybook;

/* One customer of the book. */
struct ps_payee {
    char customer_id[PS_ID_SIZE];
    char account_id[PS_ID_SIZE]; /* "" when has_account is 0 */
    const char *external_id;     /* in the book */
    enum ps_status customer_status;
    enum ps_account_kind account_kind;
    int has_account; /* an ACTIVE account: the first by created_at */
};

/* Load every customer of the business.  *out from ps_paybook_free(). */
int ps_paybook_load(struct ps_engine *eng, const char *business_id,
                    struct ps_paybook **out, struct ps_err *err);
void ps_paybook_free(struct ps_paybook *book);

/* The customer with this external id, or NULL. */
const struct ps_payee *ps_paybook_find(const struct ps_paybook *book,
                                       const char *external_id);

#endif
