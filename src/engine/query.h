/*
 * query.h -- the engine's read API: what the command line (and any other
 * caller above the engine) may look at, without the store.
 *
 * Every function reads; none changes a row.  Lists call cb once per row in
 * the store's order (documented at each function); a non-zero return from
 * cb stops the walk and is not an error.  Rows passed to cb are borrowed
 * for the call only.  Errors: PS_ENOTFOUND for an unknown id (with the
 * rule named below), PS_ESTORE when SQLite fails; out-parameters are
 * written only on success.
 *
 * The row types (ps_status_history_row, ps_trial_row, ps_job_run...) are
 * the store's, reached through this header: the CLI never includes
 * store/ itself.
 */
#ifndef PS_QUERY_H
#define PS_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/model.h"
#include "engine/engine.h"
#include "store/store.h"
#include "store/verify.h"

/* ---- the database --------------------------------------------------- */

/* The open database's schema version, and the newest this build knows. */
int ps_query_schema_version(struct ps_engine *eng);
int ps_query_schema_latest(void);

/* ---- businesses and programs ---------------------------------------- */

/* Every business, in name order. */
int ps_query_businesses(struct ps_engine *eng,
                        int (*cb)(void *ctx, const struct ps_business *b),
                        void *ctx, struct ps_err *err);
/* The business's EWA programs. */
int ps_query_programs(struct ps_engine *eng, const char *business_id,
                      int (*cb)(void *ctx, const struct ps_program *p),
                      void *ctx, struct ps_err *err);

/* ---- customers ------------------------------------------------------ */

int ps_query_customer_get(struct ps_engine *eng, const char *customer_id,
                          struct ps_customer *out, struct ps_err *err);
/* The customer of business b with this external id; PS_ENOTFOUND (rule
 * CUSTOMER_NOT_FOUND, "no customer EXT in NAME") when b has none: a
 * customer of another business is not found either. */
int ps_query_customer_in_business(struct ps_engine *eng,
                                  const struct ps_business *b,
                                  const char *external_id,
                                  struct ps_customer *out, struct ps_err *err);
int ps_query_customer_contacts(struct ps_engine *eng, const char *customer_id,
                               int (*cb)(void *ctx, const struct ps_contact *),
                               void *ctx, struct ps_err *err);
int ps_query_customer_addresses(struct ps_engine *eng, const char *customer_id,
                                int (*cb)(void *ctx, const struct ps_address *),
                                void *ctx, struct ps_err *err);
/*
 * The identity details some accounts need (LinX answers: engine/linxans.c),
 * masked for display: dob "****-**-DD" (the day, unsealed with the key
 * file; "****-**-**" when the engine has no keys), tax_id "***-**-NNNN".
 * Empty strings when not on file.  Never the clear value.
 */
struct ps_identity_mask {
    char dob[16];
    char tax_id[16];
};
int ps_query_customer_identity(struct ps_engine *eng, const char *customer_id,
                               struct ps_identity_mask *out,
                               struct ps_err *err);
/* Status changes, oldest first. */
int ps_query_customer_history(struct ps_engine *eng, const char *customer_id,
                              int (*cb)(void *ctx,
                                        const struct ps_status_history_row *),
                              void *ctx, struct ps_err *err);

/* ---- financial accounts --------------------------------------------- */

/* The customer's accounts (numbers masked: only bin and last4 are held). */
int ps_query_accounts(struct ps_engine *eng, const char *customer_id,
                      int (*cb)(void *ctx, const struct ps_account *),
                      void *ctx, struct ps_err *err);
int ps_query_account_get(struct ps_engine *eng, const char *account_id,
                         struct ps_account *out, struct ps_err *err);
/*
 * The account `account_id` when it belongs to business b.  PS_ENOTFOUND,
 * rule ACCOUNT_NOT_FOUND ("no account ID in NAME"), when it belongs to
 * another business: the caller cannot tell it from an unknown id, so one
 * business never learns of another's accounts.
 */
int ps_query_account_in_business(struct ps_engine *eng,
                                 const struct ps_business *b,
                                 const char *account_id, struct ps_account *out,
                                 struct ps_err *err);
/* Status changes, oldest first. */
int ps_query_account_history(struct ps_engine *eng, const char *account_id,
                             int (*cb)(void *ctx,
                                       const struct ps_status_history_row *),
                             void *ctx, struct ps_err *err);
/* Debit authorizations, active or revoked, oldest first. */
int ps_query_debit_auths(struct ps_engine *eng, const char *account_id,
                         int (*cb)(void *ctx, const struct ps_debit_auth *),
                         void *ctx, struct ps_err *err);
/* Notifications of change received, applied or refused, oldest first. */
int ps_query_account_changes(struct ps_engine *eng, const char *account_id,
                             int (*cb)(void *ctx,
                                       const struct ps_account_change *),
                             void *ctx, struct ps_err *err);

/* ---- transactions and the ledger ------------------------------------ */

int ps_query_txn_get(struct ps_engine *eng, const char *txn_id,
                     struct ps_txn *out, struct ps_err *err);
/* Its status changes, oldest first. */
int ps_query_txn_history(struct ps_engine *eng, const char *txn_id,
                         int (*cb)(void *ctx,
                                   const struct ps_txn_history_row *),
                         void *ctx, struct ps_err *err);
/* One row per currency; business_id NULL for the whole database. */
int ps_query_trial_balance(struct ps_engine *eng, const char *business_id,
                           int (*cb)(void *ctx, const struct ps_trial_row *),
                           void *ctx, struct ps_err *err);
/* Rows whose parent row is missing (see ps_store_orphans): *n of them,
 * and in detail (size bytes) which. */
int ps_query_orphans(struct ps_engine *eng, int64_t *n, char *detail,
                     size_t size, struct ps_err *err);

/* ---- ledger verify -------------------------------------------------- */

/*
 * `payspool ledger verify`: every ledger account's balance recomputed
 * from the ledger's rows and compared with the balance the schema stores
 * (none in schema v15), the trial balance per currency (sum of debits =
 * sum of credits, over the recomputed balances and over the stored
 * ones), each business's EWA receivable against the rows that move it,
 * and each EWA profile's amount to recover against the rows it counts
 * (store/verify.h says which).
 *
 * cb gets one call per currency of the trial balance (ok or not) and one
 * per difference found elsewhere, and with PS_VERIFY_EVERY_ACCOUNT in
 * flags one per ledger account too (figure "balance", left its debits and
 * right its credits from the ledger's rows, ok); a non-zero return stops
 * the walk.  sum
 * counts what was checked and the differences.  Returns 0 whether or not
 * there were differences (sum->differences says); an error only when the
 * store fails.  business_id NULL: every business.
 */
enum ps_verify_check {
    PS_VERIFY_TRIAL,      /* per currency: debits against credits */
    PS_VERIFY_ACCOUNT,    /* one ledger account */
    PS_VERIFY_RECEIVABLE, /* a business's EWA_RECEIVABLE account */
    PS_VERIFY_PROFILE,    /* an EWA profile's amount to recover */
    PS_VERIFY_RECON_COUNT, /* a key of the reconciliation's day counters */
    PS_VERIFY_ORPHANS      /* rows whose parent row is missing (any
                            * business, every row: ps_store_orphans) */
};
struct ps_verify_finding {
    enum ps_verify_check check;
    int ok;               /* PS_VERIFY_TRIAL only: 1 when it balances */
    const char *business; /* the business's name; "" for the trial */
    int64_t account;      /* the ledger account's row id; 0: none */
    /* what, masked: "CUSTOMER NWL-10421" (a ledger account's kind and
     * customer), "EWA profile NWL-10480"; never an account or card
     * number */
    const char *subject;
    const char *currency;
    const char *figure;     /* which figure: "debits", "amountToRecover" */
    const char *left_name;  /* "from the ledger's rows", ... */
    const char *right_name; /* "stored", ... */
    int64_t left, right;    /* minor units; differ unless ok */
    int count;              /* left and right count rows, not money */
};
struct ps_verify_summary {
    int64_t accounts;        /* ledger accounts recomputed */
    int64_t stored_accounts; /* of which with a stored balance */
    int64_t currencies;      /* trial balance rows */
    int64_t receivables;     /* business and currency pairs */
    int64_t profiles;        /* EWA profiles */
    int64_t differences;     /* every check that did not agree */
};
#define PS_VERIFY_EVERY_ACCOUNT 1u
int ps_query_ledger_verify(
    struct ps_engine *eng, const char *business_id, unsigned flags,
    int (*cb)(void *ctx, const struct ps_verify_finding *f), void *ctx,
    struct ps_verify_summary *sum, struct ps_err *err);

/* ---- files received ------------------------------------------------- */

/* Newest first; business_id NULL for all; at most limit rows. */
int ps_query_files(struct ps_engine *eng, const char *business_id, long limit,
                   int (*cb)(void *ctx, const struct ps_file *), void *ctx,
                   struct ps_err *err);
int ps_query_file_get(struct ps_engine *eng, const char *file_id,
                      struct ps_file *out, struct ps_err *err);
/* The document's rejected and duplicate records, in record order. */
int ps_query_record_results(struct ps_engine *eng, const char *file_id,
                            int (*cb)(void *ctx,
                                      const struct ps_record_result_row *),
                            void *ctx, struct ps_err *err);

/* The retries of a document (`files retry`), oldest first. */
int ps_query_file_retries(struct ps_engine *eng, const char *file_id,
                          int (*cb)(void *ctx, const struct ps_file_retry *),
                          void *ctx, struct ps_err *err);
/* What input retry f came in by, if any: PS_ENOTFOUND when none. */
int ps_query_file_retry_of(struct ps_engine *eng, const struct ps_file *f,
                           struct ps_file_retry *out, struct ps_err *err);

/* ---- job runs ------------------------------------------------------- */

/* Newest first; job NULL for every job; at most limit rows. */
int ps_query_job_runs(struct ps_engine *eng, const char *job, long limit,
                      int (*cb)(void *ctx, const struct ps_job_run *),
                      void *ctx, struct ps_err *err);
/* When the job last fired and last succeeded (RFC 3339, "" if never);
 * PS_ENOTFOUND when it has never fired (the buffers untouched). */
int ps_query_job_state(struct ps_engine *eng, const char *job,
                       char last_fired[PS_TIME_SIZE],
                       char last_success[PS_TIME_SIZE], struct ps_err *err);

/* ---- the engine guard (one engine per spool) ------------------------ */

/*
 * Not reads: the guard row naming the process that runs the engine on
 * this database.  The caller takes the spool's flock first (the flock is
 * what excludes; the row says who holds it).  release ignores a row of
 * another pid.
 */
int ps_query_guard_take(struct ps_engine *eng, long pid, const char *host,
                        const char *at, struct ps_err *err);
int ps_query_guard_release(struct ps_engine *eng, long pid, struct ps_err *err);

#endif /* PS_QUERY_H */
