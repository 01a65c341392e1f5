/*
 * ewabook.h -- the EWA engine's working set for one business: disbursement
 * decisions and payroll recovery.
 *
 * A nightly disbursement file has one line per request for a business of
 * up to hundreds of thousands of employees.  Looking each employee up in
 * SQLite would cost a random read per line; instead the book loads every
 * profile of the business once (one query), decides each request in
 * memory, writes the transaction through the one creation path
 * (ps_txn_create: row, history, ledger), and writes the changed profile
 * balances when the caller's chunk commits (ps_ewa_book_flush), inside the
 * same SQLite transaction.  After a rollback the book is stale and must be
 * dropped (ps_ewa_book_free) and loaded again.
 *
 * Refusals each have their own rule (SPEC section 2, in this order: the
 * profile and its state first, then the amount, so a request for an
 * unknown or ineligible employee says so whatever its amount):
 *   PROFILE_NOT_FOUND        no profile with this externalId in the business
 *   NOT_ENROLLED             enrollmentStatus INACTIVE
 *   OUTSIDE_ENROLLMENT_WINDOW  today before enrollmentBegin or after End
 *   NOT_ELIGIBLE             eligibility is not ELIGIBLE (message says which)
 *   PROGRAM_SUSPENDED        the profile's program is SUSPENDED
 *   CUSTOMER_SUSPENDED       the customer is SUSPENDED
 *   ACCOUNT_SUSPENDED        the profile's financial account is SUSPENDED
 *   RAIL_NOT_AVAILABLE       the requested rail is not the account's
 *   AMOUNT_NOT_POSITIVE      zero or negative (money rules for bad text)
 *   WRONG_CURRENCY           a real currency, not the program's
 *   UNDER_TRANSFER_MINIMUM   below the program's per-transfer minimum
 *   OVER_TRANSFER_LIMIT      above the program's per-transfer maximum
 *   OVER_PERIOD_CAP          this period's disbursements would pass the cap
 *   OVER_AVAILABLE_WAGES     more than the share of earned wages left
 *   OVER_MAX_OUTSTANDING     amountToRecover + amount + fee above the limit
 *   DUPLICATE_REQUEST        the request id was used before (a DUPLICATE)
 */
#ifndef PS_EWABOOK_H
#define PS_EWABOOK_H

#include "engine/engine.h"

struct ps_ewa_book;

/* Load every profile of the business.  *out from ps_ewa_book_free(). */
int ps_ewa_book_load(struct ps_engine *eng, const char *business_id,
                     struct ps_ewa_book **out, struct ps_err *err);
void ps_ewa_book_free(struct ps_ewa_book *book);

/* A disbursement request as read from a file. */
struct ps_disburse_req {
    const char *request_id;
    const char *external_id;
    const char *amount;   /* decimal text */
    const char *currency; /* ISO 4217 code */
    const char *rail;     /* "CARD", "ACH", or NULL/"" for the account's */
};

/*
 * Decide and, when accepted, create the SEND (inside the caller's open
 * store transaction).  0 with *t filled (id, amount, fee, rail) when
 * accepted; a negative PS_E* with err's rule for a refusal (PS_ECONFLICT
 * for DUPLICATE_REQUEST) or an engine failure.
 */
int ps_ewa_book_disburse(struct ps_ewa_book *book,
                         const struct ps_disburse_req *req,
                         const struct ps_source *src, struct ps_txn *t,
                         struct ps_err *err);

/*
 * The same in three steps, for the writer thread (engine/ewawriter.c):
 * decide (the rules, the row prepared with its id and times; on a
 * refusal, used(used_ctx, ...) says whether the request id was used
 * when not NULL, the store being the writer's; else the store is asked
 * here), then write
 * (the row and its postings: the only step that touches the store, and
 * the only one that reads and sets the entry's ledger account and chain
 * head), then accept (the entry's counters, dirty for the flush).  A
 * write that fails leaves the book to be dropped with the rollback.
 */
/* Was request_id used by a transaction of the book's business?  0 and
 * its id in prior; PS_ENOTFOUND; else a failure (err set). */
typedef int (*ps_request_used_fn)(void *ctx, const char *request_id,
                                  char prior[PS_ID_SIZE], struct ps_err *err);

struct ps_ewa_post {
    size_t entry;
    struct ps_txn t;
    char now[PS_TIME_SIZE];
    struct ps_source src;
};
int ps_ewa_book_decide(struct ps_ewa_book *book,
                       const struct ps_disburse_req *req,
                       const struct ps_source *src, struct ps_ewa_post *post,
                       ps_request_used_fn used, void *used_ctx,
                       struct ps_err *err);
int ps_ewa_book_write(struct ps_ewa_book *book, const struct ps_ewa_post *post,
                      struct ps_err *err);
void ps_ewa_book_accept(struct ps_ewa_book *book,
                        const struct ps_ewa_post *post);

/* Write the balances of every profile changed since the last flush. */
int ps_ewa_book_flush(struct ps_ewa_book *book, struct ps_err *err);

/*
 * The pure decision, for tests and for the book: may a profile in state
 * *v take `amount` of `currency` on `rail` (-1: the account's) at `now`
 * (RFC 3339)?  0 and *fee, or PS_EINVAL/PS_ESTATE with the rule above.
 */
struct ps_disburse_view {
    const char *external_id;
    enum ps_enrollment enrollment;
    const char *enrollment_begin; /* RFC 3339 UTC */
    const char *enrollment_end;   /* "" = open */
    enum ps_eligibility eligibility;
    enum ps_status customer_status, account_status;
    enum ps_account_kind account_kind;
    int64_t amount_to_recover, earned_wages, period_disbursed;
};
int ps_ewa_disburse_check(const struct ps_disburse_view *v,
                          const struct ps_program *prog, int64_t amount,
                          const char *currency, int rail, const char *now,
                          int64_t *fee, struct ps_err *err);

#endif /* PS_EWABOOK_H */
