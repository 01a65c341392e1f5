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

/*
 * The same book loaded ahead, on a thread of its own from a reader
 * connection (the pipeline starts it when its check pass finds a
 * pain.001, whose apply pass loads the book on its first payment: the
 * load then runs beside the check, on the other core).  The book is good
 * only if no connection, this process's own included, committed to the
 * database from before the load to the take (the reader's PRAGMA
 * data_version, read before and after the scan and at the take): the
 * same rows a load at the take would read.  Start: 0, or the store's
 * error (*out NULL: no prefetch).  Take: joins the thread and frees pf;
 * the book (the caller's, for ps_paybook_free()) or NULL when it is not
 * good, failed or `want` is 0.  pf NULL: NULL.
 */
struct ps_paybook_prefetch;
int ps_paybook_prefetch_start(struct ps_engine *eng, const char *business_id,
                              struct ps_paybook_prefetch **out,
                              struct ps_err *err);
struct ps_paybook *ps_paybook_prefetch_take(struct ps_paybook_prefetch *pf,
                                            int want);

/* The customer with this external id, or NULL. */
const struct ps_payee *ps_paybook_find(const struct ps_paybook *book,
                                       const char *external_id);

#endif
