/*
 * store.h -- the SQLite store: the only code with SQL.
 *
 * One database file holds the business data and the engine's own state
 * (files, checkpoints, job runs), so one SQLite transaction can commit a
 * chunk of applied records together with its checkpoint.  The database is
 * opened in WAL mode with foreign keys on; versioned migrations bring an
 * older file up to date, and a file from a newer payspool is refused.
 *
 * Transactions nest: ps_store_begin() at depth 0 is BEGIN IMMEDIATE, deeper
 * it is a SAVEPOINT, so a function that must be atomic (txn apply) can be
 * called alone or inside a caller's chunk.
 *
 * Row functions take and fill the structs of model.h.  Errors: PS_ENOTFOUND
 * for a missing row, PS_ECONFLICT for a UNIQUE violation, PS_ESTATE when an
 * optimistic update found the row changed, PS_EBUSY when the database is
 * locked, PS_EINVAL (rule CONSTRAINT) when a CHECK or foreign key refused
 * a row, PS_ESTORE for anything else.
 *
 * The declarations are grouped by area, in the order of the files that
 * implement them: the connection (store.c, schema.c), businesses,
 * customers, accounts, ACH (ach.c), EWA, transactions, the ledger, files,
 * jobs, and outbound files (provider.c).  The reconciliation's queries
 * are in store/recon.h.

 */
#ifndef PS_STORE_H
#define PS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/model.h"

struct ps_store;

/* ---- the connection: opening, versions, transactions (store.c, schema.c) - */

/* Open (creating if needed) and migrate to the latest version. */
int ps_store_open(const char *path, struct ps_store **out, struct ps_err *err);
/* A second, read-only connection on main's database, for another thread
 * (the intake's, while the EWA writer thread owns main): it sees what is
 * committed, never main's transaction in progress.  Only lookups (the
 * request id of ps_store_txn_get_request, say) are made on it; close it
 * with ps_store_close.  Reads main's request-hash key first, so call it
 * on main's thread while nothing else uses main. */
int ps_store_open_reader(struct ps_store *main, struct ps_store **out,
                         struct ps_err *err);

/*
 * Open and migrate only up to `version` (tests build "previous version"
 * databases with it).  version <= 0 means the latest.
 */
int ps_store_open_version(const char *path, int version, struct ps_store **out,
                          struct ps_err *err);

void ps_store_close(struct ps_store *store);

/* The database's schema version, and the newest this build knows. */
int ps_store_version(struct ps_store *store);
int ps_store_latest_version(void);

/*
 * The schema-v4 rewrite (see schema.c), exposed for its tests: sql with
 * every `col IN ('A','B','C'...)` of three or more plain literals written
 * as `(col = 'A' OR col = 'B' OR ...)`; anything else unchanged.  A new
 * string (free()), or NULL when out of memory.
 */
char *ps_store_rewrite_in_lists(const char *sql);
/* The schema-v9 rewrite: sql without its `REFERENCES table(column)`
 * clauses.  A new string (free()), or NULL when out of memory. */
char *ps_store_strip_references(const char *sql);

int ps_store_begin(struct ps_store *store, struct ps_err *err);
/* A read snapshot: several SELECTs see one state of the database and
 * take no write lock.  End it with commit or rollback. */
int ps_store_begin_read(struct ps_store *store, struct ps_err *err);
/* A read snapshot on main and one on reader (ps_store_open_reader's),
 * the same state of the database: two threads read one state.  A third
 * connection holds the write lock while both begin (waiting, as a
 * writer, for a commit in progress).  End each with rollback. */
int ps_store_begin_read_pair(struct ps_store *main, struct ps_store *reader,
                             struct ps_err *err);
int ps_store_commit(struct ps_store *store, struct ps_err *err);
/*
 * 0 when the database file opened is still the one at its path (same
 * device and inode, still linked); PS_EIO with rule STORE_GONE when it was
 * deleted or replaced meanwhile.  The outermost commit checks it first;
 * call it before anything that tells the world a commit happened (a
 * result file published, an input archived).
 */
int ps_store_check_identity(struct ps_store *store, struct ps_err *err);
/* Undo the innermost begin.  Never fails (errors are logged). */
void ps_store_rollback(struct ps_store *store);

/* ---- businesses (business.c) --------------------------------------------- */

int ps_store_business_insert(struct ps_store *store,
                             const struct ps_business *b, struct ps_err *err);
/* By id or by name. */
int ps_store_business_get(struct ps_store *store, const char *name_or_id,
                          struct ps_business *out, struct ps_err *err);
/* Calls cb for each business in name order; a non-zero return stops. */
int ps_store_business_list(struct ps_store *store,
                           int (*cb)(void *ctx, const struct ps_business *b),
                           void *ctx, struct ps_err *err);

/* ---- customers (customer.c) ---------------------------------------------- */

int ps_store_customer_insert(struct ps_store *store,
                             const struct ps_customer *c, struct ps_err *err);
/* Updates names, email, phone, dba and updated_at (not status). */
int ps_store_customer_update(struct ps_store *store,
                             const struct ps_customer *c, struct ps_err *err);
int ps_store_customer_get(struct ps_store *store, const char *id,
                          struct ps_customer *out, struct ps_err *err);
int ps_store_customer_get_ext(struct ps_store *store, const char *business_id,
                              const char *external_id, struct ps_customer *out,
                              struct ps_err *err);
/*
 * What payment.send keeps in memory of each customer of a business while
 * it applies a file (engine/paybook.c): one query for all.  A row per
 * ACTIVE account of each customer, in no particular order, or one row
 * with has_account 0 for a customer without any.
 */
struct ps_payee_row {
    char customer_id[PS_ID_SIZE];
    char external_id[PS_EXTID_SIZE];
    enum ps_status customer_status;
    int has_account;
    char account_id[PS_ID_SIZE];
    enum ps_account_kind account_kind;
    char account_created_at[PS_TIME_SIZE];
    int64_t account_row; /* its rowid: the order among equal created_at */
};
int ps_store_payee_scan(struct ps_store *store, const char *business_id,
                        int (*cb)(void *ctx, const struct ps_payee_row *),
                        void *ctx, struct ps_err *err);
/* PRAGMA data_version of this connection: two reads differ when another
 * connection committed in between (engine/paybook.h's prefetch). */
int ps_store_data_version(struct ps_store *store, int64_t *v,
                          struct ps_err *err);
/* Status change plus its history row (caller holds a transaction). */
int ps_store_customer_set_status(struct ps_store *store, const char *id,
                                 enum ps_status from, enum ps_status to,
                                 const struct ps_source *src, const char *at,
                                 struct ps_err *err);
/* Replace all contacts / addresses of a customer. */
int ps_store_customer_set_contacts(struct ps_store *store,
                                   const char *customer_id,
                                   const struct ps_contact *v, size_t n,
                                   struct ps_err *err);
int ps_store_customer_set_addresses(struct ps_store *store,
                                    const char *customer_id,
                                    const struct ps_address *v, size_t n,
                                    struct ps_err *err);
int ps_store_customer_contacts(struct ps_store *store, const char *customer_id,
                               int (*cb)(void *ctx, const struct ps_contact *),
                               void *ctx, struct ps_err *err);
int ps_store_customer_addresses(struct ps_store *store, const char *customer_id,
                                int (*cb)(void *ctx, const struct ps_address *),
                                void *ctx, struct ps_err *err);

/* One row of an account's (or customer's) status history. */
struct ps_status_history_row {
    int from_status; /* enum ps_status, -1 for creation */
    enum ps_status to_status;
    char reason[PS_REASON_SIZE];
    char source_file[PS_PATH_SIZE];
    long source_line;
    char created_at[PS_TIME_SIZE];
};

/* The customer's status changes, oldest first. */
int ps_store_customer_history(struct ps_store *store, const char *customer_id,
                              int (*cb)(void *ctx,
                                        const struct ps_status_history_row *),
                              void *ctx, struct ps_err *err);

/* ---- financial accounts (account.c) -------------------------------------- */

/* sealed: the encrypted full number (crypto.h), stored as a BLOB. */
int ps_store_account_insert(struct ps_store *store, const struct ps_account *a,
                            const unsigned char *sealed, size_t sealed_len,
                            struct ps_err *err);
int ps_store_account_get(struct ps_store *store, const char *id,
                         struct ps_account *out, struct ps_err *err);
/* The account of this customer with this token, if any. */
int ps_store_account_find_token(struct ps_store *store, const char *customer_id,
                                const char *token, struct ps_account *out,
                                struct ps_err *err);
/* The business's bank account with this routing number and account
 * number token (an active one first), if any: how a pain.001 names a
 * creditor by USABA routing and account number. */
int ps_store_account_find_bank(struct ps_store *store, const char *business_id,
                               const char *routing, const char *token,
                               struct ps_account *out, struct ps_err *err);
int ps_store_account_list(struct ps_store *store, const char *customer_id,
                          int (*cb)(void *ctx, const struct ps_account *),
                          void *ctx, struct ps_err *err);
/* Copy the sealed number into buf (size bytes); *len receives its size. */
int ps_store_account_sealed(struct ps_store *store, const char *id,
                            unsigned char *buf, size_t size, size_t *len,
                            struct ps_err *err);
int ps_store_account_set_status(struct ps_store *store, const char *id,
                                enum ps_status from, enum ps_status to,
                                const struct ps_source *src, const char *at,
                                struct ps_err *err);

/* The account's status changes, oldest first. */
int ps_store_account_history(struct ps_store *store, const char *account_id,
                             int (*cb)(void *ctx,
                                       const struct ps_status_history_row *),
                             void *ctx, struct ps_err *err);

/* ---- ACH: debit authorizations, recovery debits, NOCs (ach.c) ------------ */

int ps_store_debit_auth_insert(struct ps_store *store, const char *id,
                               const char *account_id,
                               enum ps_debit_auth_kind kind,
                               const char *reference, const char *at,
                               struct ps_err *err);
/* 1 with *kind set when the account has an ACTIVE authorization, else 0. */
int ps_store_debit_auth_active(struct ps_store *store, const char *account_id,
                               enum ps_debit_auth_kind *kind,
                               struct ps_err *err);
int ps_store_debit_auth_revoke(struct ps_store *store, const char *account_id,
                               const char *reason, const char *at,
                               struct ps_err *err);

/* 1 with *kind (may be NULL) set when the account has an ACTIVE consumer
 * (WEB or PPD) debit authorization, 0 when not, negative on error. */
int ps_store_debit_auth_consumer(struct ps_store *store, const char *account_id,
                                 enum ps_debit_auth_kind *kind,
                                 struct ps_err *err);

/* One debit authorization of an account, active or revoked. */
struct ps_debit_auth {
    char id[PS_ID_SIZE];
    enum ps_debit_auth_kind kind;
    char reference[PS_REASON_SIZE];
    int active; /* 0: REVOKED */
    char revoke_reason[PS_REASON_SIZE];
    char authorized_at[PS_TIME_SIZE];
    char revoked_at[PS_TIME_SIZE]; /* "" while active */
};
/* The account's debit authorizations, oldest first. */
int ps_store_debit_auth_list(struct ps_store *store, const char *account_id,
                             int (*cb)(void *ctx, const struct ps_debit_auth *),
                             void *ctx, struct ps_err *err);

/* EWA_RECOVERY DEBITs of the profile still in flight (NEW, PENDING,
 * PROCESSING or APPROVED). */
int ps_store_recovery_in_flight(struct ps_store *store, const char *profile_id,
                                int64_t *count, struct ps_err *err);

/* Rewrite a bank account's routing number, bank type, last4, token and
 * updated_at from a; the sealed number too unless sealed is NULL.
 * PS_ENOTFOUND when a->id is not a bank account. */
int ps_store_account_update_bank(struct ps_store *store,
                                 const struct ps_account *a,
                                 const unsigned char *sealed, size_t sealed_len,
                                 struct ps_err *err);

/* One notification of change received for an account (table
 * account_changes), applied or only recorded. */
struct ps_account_change {
    char id[PS_ID_SIZE];
    char business_id[PS_ID_SIZE];
    char account_id[PS_ID_SIZE];
    char txn_id[PS_ID_SIZE];   /* the original transaction, "" if unknown */
    char change_code[4];       /* C01.. */
    int refused;               /* 1: a refused NOC (C61..C69) */
    char original_trace[16];   /* "" if unknown */
    /* What changed, account numbers masked ("account ****6789 ->
     * ****1234; type CHECKING -> SAVINGS"), or why nothing did. */
    char what_changed[PS_REASON_SIZE * 2];
    char source_file[PS_PATH_SIZE];
    long source_line;
    char created_at[PS_TIME_SIZE];
};
int ps_store_account_change_insert(struct ps_store *store,
                                   const struct ps_account_change *c,
                                   struct ps_err *err);
/* The account's changes, oldest first. */
int ps_store_account_changes(struct ps_store *store, const char *account_id,
                             int (*cb)(void *ctx,
                                       const struct ps_account_change *),
                             void *ctx, struct ps_err *err);

/* ---- EWA: programs, profiles, eligibility, payroll (ewa.c) --------------- */

int ps_store_program_insert(struct ps_store *store, const struct ps_program *p,
                            struct ps_err *err);
/* By id, or by name within the business. */
int ps_store_program_get(struct ps_store *store, const char *business_id,
                         const char *name_or_id, struct ps_program *out,
                         struct ps_err *err);
int ps_store_program_list(struct ps_store *store, const char *business_id,
                          int (*cb)(void *ctx, const struct ps_program *),
                          void *ctx, struct ps_err *err);

int ps_store_profile_insert(struct ps_store *store, const struct ps_profile *p,
                            struct ps_err *err);
int ps_store_profile_get(struct ps_store *store, const char *id,
                         struct ps_profile *out, struct ps_err *err);
int ps_store_profile_get_ext(struct ps_store *store, const char *business_id,
                             const char *external_id, struct ps_profile *out,
                             struct ps_err *err);
/* Writes every mutable field of p (everything but ids and created_at). */
int ps_store_profile_update(struct ps_store *store, const struct ps_profile *p,
                            struct ps_err *err);
/* One eligibility history row. */
int ps_store_eligibility_insert(struct ps_store *store, const char *id,
                                const char *profile_id, int from_status,
                                enum ps_eligibility to,
                                const struct ps_source *src, const char *at,
                                struct ps_err *err);
struct ps_eligibility_row {
    char id[PS_ID_SIZE];
    int from_status; /* -1 for the first row */
    enum ps_eligibility status;
    char reason[PS_REASON_SIZE];
    char source_file[PS_PATH_SIZE];
    long source_line;
    char created_at[PS_TIME_SIZE];
};
int ps_store_eligibility_list(struct ps_store *store, const char *profile_id,
                              int (*cb)(void *ctx,
                                        const struct ps_eligibility_row *),
                              void *ctx, struct ps_err *err);

/*
 * What the EWA engine keeps in memory of each profile of a business while
 * it applies a disbursement file (ewabook.c): one query for all.
 */
struct ps_book_row {
    int64_t row; /* its ewa_counters key (seq), for ps_store_profile_balances */
    char id[PS_ID_SIZE];
    char external_id[PS_EXTID_SIZE];
    char customer_id[PS_ID_SIZE];
    char account_id[PS_ID_SIZE];
    char program_id[PS_ID_SIZE];
    enum ps_enrollment enrollment;
    char enrollment_begin[PS_TIME_SIZE];
    char enrollment_end[PS_TIME_SIZE];
    enum ps_eligibility eligibility;
    int64_t amount_to_recover, earned_wages, period_disbursed;
    enum ps_status customer_status, account_status;
    enum ps_account_kind account_kind;
    char account_last4[5];
    /* The customer's ledger account in the program's currency, 0 when
     * it has none yet (created on its first posting). */
    int64_t ledger_customer;
    int64_t last_txn; /* the profile's last transaction (0: none), schema 22 */
};
int ps_store_book_scan(struct ps_store *store, const char *business_id,
                       int (*cb)(void *ctx, const struct ps_book_row *),
                       void *ctx, struct ps_err *err);
/* The two balances a disbursement moves, on the profile's narrow
 * ewa_counters row (schema 21) of key `row` (ps_book_row.row, as the book
 * scanned it); row 0: find the profile by `id`.  PS_ENOTFOUND when there
 * is no such row. */
int ps_store_profile_balances(struct ps_store *store, int64_t row,
                              const char *id,
                              int64_t amount_to_recover,
                              int64_t period_disbursed, const char *at,
                              struct ps_err *err);
/* The same, and the profile's last transaction (its chain's head, see
 * ps_profile_link) when last_txn > 0. */
int ps_store_profile_flush(struct ps_store *store, int64_t row,
                           const char *id, int64_t amount_to_recover,
                           int64_t period_disbursed, int64_t last_txn,
                           const char *at, struct ps_err *err);
/*
 * The profile export's reads (ewapages.c): the first payment page (of
 * `size`, newest first) and the count of each of the n profiles `ids`,
 * loaded from one walk of the transactions in rowid order rather than a
 * walk of each profile's chain (a random read a transaction); until
 * ps_store_profile_pages_drop(), ps_store_txn_page_profile() and
 * ps_store_txn_count_profile() answer from it for those profiles (the
 * same rows, docs/store.md).  Within one read snapshot.
 * ps_store_profile_pages_batch(): how many profiles, of `profiles`, a
 * batch takes to stay near its memory budget.
 */
int ps_store_profile_pages_batch(struct ps_store *store, size_t profiles,
                                 size_t *batch, struct ps_err *err);
int ps_store_profile_pages_load(struct ps_store *store,
                                const char *const *ids, size_t n, int size,
                                struct ps_err *err);
void ps_store_profile_pages_drop(struct ps_store *store);

/* Every profile of a business, by externalId. */
int ps_store_profile_scan(struct ps_store *store, const char *business_id,
                          int (*cb)(void *ctx, const struct ps_profile *),
                          void *ctx, struct ps_err *err);

/* One payroll result line applied to a profile; (profile, pay date) is
 * UNIQUE: a second one gives PS_ECONFLICT. */
struct ps_payroll_row {
    char profile_id[PS_ID_SIZE];
    char pay_date[PS_DATE_SIZE];
    int64_t gross, net, deduction, due; /* minor units */
    char currency[4];
    const char *outcome; /* RECOVERED, SHORTFALL, NOTHING_DUE */
    const char *source_file;
    long source_line;
    char created_at[PS_TIME_SIZE];
};
int ps_store_payroll_insert(struct ps_store *store,
                            const struct ps_payroll_row *r,
                            struct ps_err *err);

/* ---- transactions (txn.c) ------------------------------------------------ */

int ps_store_txn_insert(struct ps_store *store, const struct ps_txn *t,
                        struct ps_err *err);
/*
 * The transfers a transaction row carries (docs/store.md): its creation's
 * Dr debit / Cr credit of t->amount (schema v18) and, when fee_credit is
 * not 0, its fee's Dr debit / Cr fee_credit of t->fee (schema v29, the
 * row's fee_account; only for a non-zero fee).  debit 0: none.
 */
struct ps_row_transfer {
    int64_t debit, credit, fee_credit;
};
/*
 * Insert a new transaction that records its own creation (schema v18):
 * src (reason, file, line; NULL: none) and the creation's ledger
 * transfers x (NULL or debit 0: it moves nothing, or
 * ps_store_txn_set_transfer() follows).  No history row is written
 * for a creation: ps_store_txn_history() reads it from the row.
 */
/*
 * A transaction of a profile (t->profile_id) joins the profile's chain
 * (schema 22): its profile_prev is the profile's last transaction, and it
 * becomes the last.  The head is the profile's ewa_counters.last_txn:
 * with link NULL (or link->row 0) the store reads and writes it here;
 * a caller that keeps it in memory (the EWA book) passes link->row (the
 * counters key), link->prev (the head it knows), gets link->rowid (the
 * new row's) and writes the head itself (ps_store_profile_flush), before
 * anything else creates a transaction of the profile.
 */
struct ps_profile_link {
    int64_t row, prev, rowid;
};
/* The rowid of the last transaction row this connection inserted (0:
 * none yet). */
int64_t ps_store_txn_last_rowid(const struct ps_store *store);
int ps_store_txn_create(struct ps_store *store, const struct ps_txn *t,
                        const struct ps_source *src,
                        const struct ps_row_transfer *x,
                        struct ps_profile_link *link, struct ps_err *err);
int ps_store_txn_set_transfer(struct ps_store *store, const struct ps_txn *t,
                              const struct ps_row_transfer *x,
                              struct ps_err *err);
int ps_store_txn_get(struct ps_store *store, const char *id, struct ps_txn *out,
                     struct ps_err *err);
/* The business's ACH transaction with this trace number; PS_ENOTFOUND. */
int ps_store_txn_get_trace(struct ps_store *store, const char *business_id,
                           const char *trace, struct ps_txn *out,
                           struct ps_err *err);
int ps_store_txn_get_request(struct ps_store *store, const char *business_id,
                             const char *request_id, struct ps_txn *out,
                             struct ps_err *err);
/*
 * Move t->id from `from` to t->status, writing attempts, trace_number and
 * updated_at from t; the row found by t->rowid when set (as read), its
 * id checked.  PS_ESTATE when the row is no longer in `from`
 * (someone else moved it).
 */
int ps_store_txn_update(struct ps_store *store, const struct ps_txn *t,
                        enum ps_txn_status from, struct ps_err *err);
/* The id of the history row this connection inserted last
 * (ps_store_txn_history_insert), for the status event that names it;
 * 0 when the schema's events do not name history rows (before v25). */
int64_t ps_store_txn_history_last(const struct ps_store *store);
/* t's history row of a change from from_status to `to` at `at` (t: the
 * row as it is after that step: its id, and what the day's counters of
 * status changes key on, one count a history row).  return_code: the
 * NACHA return reason ("R01"...) of an ACH return, else NULL (the
 * history's reason_code column). */
int ps_store_txn_history_insert(struct ps_store *store, const struct ps_txn *t,
                                int from_status, enum ps_txn_status to,
                                const char *event, const struct ps_source *src,
                                const char *return_code, const char *at,
                                struct ps_err *err);
struct ps_txn_history_row {
    int from_status; /* -1 for creation */
    enum ps_txn_status to_status;
    char event[32];
    char reason[PS_REASON_SIZE];
    char source_file[PS_PATH_SIZE];
    long source_line;
    char created_at[PS_TIME_SIZE];
    char return_code[4]; /* an ACH return's reason code, else "" */
};
int ps_store_txn_history(struct ps_store *store, const char *txn_id,
                         int (*cb)(void *ctx,
                                   const struct ps_txn_history_row *),
                         void *ctx, struct ps_err *err);
/* SEND transactions of a profile, newest first, one page. */
int ps_store_txn_count_profile(struct ps_store *store, const char *profile_id,
                               int64_t *count, struct ps_err *err);
int ps_store_txn_page_profile(struct ps_store *store, const char *profile_id,
                              int64_t offset, int64_t limit,
                              int (*cb)(void *ctx, const struct ps_txn *),
                              void *ctx, struct ps_err *err);

/* ---- the ledger (ledger.c) ----------------------------------------------- */

enum ps_ledger_kind {
    PS_LEDGER_FUNDING,        /* the business's funding account */
    PS_LEDGER_CUSTOMER,       /* one per customer: owed / paid to them */
    PS_LEDGER_EWA_RECEIVABLE, /* advances to be recovered */
    PS_LEDGER_FEE_INCOME,     /* fees earned */
    PS_LEDGER_KIND_N
};
const char *ps_ledger_kind_name(enum ps_ledger_kind kind);

/* Id of the ledger account, created on first use.  customer_id only for
 * PS_LEDGER_CUSTOMER (NULL otherwise). */
int ps_store_ledger_account(struct ps_store *store, const char *business_id,
                            enum ps_ledger_kind kind, const char *currency,
                            const char *customer_id, int64_t *id,
                            struct ps_err *err);
/* Remember every ledger account of the business (one query), so that
 * ps_store_ledger_account() finds them without one. */
int ps_store_ledger_accounts_preload(struct ps_store *store,
                                     const char *business_id,
                                     struct ps_err *err);
int ps_store_ledger_entry_insert(struct ps_store *store, const char *txn_id,
                                 const char *reference, int64_t debit_account,
                                 int64_t credit_account, int64_t amount,
                                 const char *currency, const char *memo,
                                 const char *at, struct ps_err *err);
/* Debits minus credits of one ledger account. */
int ps_store_ledger_balance(struct ps_store *store, int64_t account_id,
                            int64_t *balance, struct ps_err *err);

struct ps_trial_row {
    char currency[4];
    int64_t debits;     /* minor units */
    int64_t credits;    /* minor units */
    int64_t balance;    /* debits - credits over every account: must be 0 */
    int64_t mismatched; /* entries whose accounts are in another currency */
};
/* One row per currency; business_id NULL for the whole store. */
int ps_store_trial_balance(struct ps_store *store, const char *business_id,
                           int (*cb)(void *ctx, const struct ps_trial_row *),
                           void *ctx, struct ps_err *err);
/*
 * What the foreign keys the schema-v9 rewrite dropped would have caught:
 * *n rows of the unchained tables, created in [from, to) (RFC 3339 or
 * date prefixes; NULL: unbounded), whose parent row is missing, and in
 * detail which ("ledger_entries.txn_id 2, ...", "" when none).  A scan
 * of those tables; the parents are looked up only for rows in range.
 */
int ps_store_orphans(struct ps_store *store, const char *from, const char *to,
                     int64_t *n, char *detail, size_t size,
                     struct ps_err *err);
/* Sum of balances of every ledger account of a kind (and currency). */
int ps_store_ledger_kind_balance(struct ps_store *store,
                                 const char *business_id,
                                 enum ps_ledger_kind kind, const char *currency,
                                 int64_t *balance, struct ps_err *err);

/* ---- files, checkpoints, record results, keys (file.c) ------------------- */

int ps_store_file_insert(struct ps_store *store, const struct ps_file *f,
                         struct ps_err *err);
/* Writes status, format, reason, counts, paths and completed_at. */
int ps_store_file_update(struct ps_store *store, const struct ps_file *f,
                         struct ps_err *err);
int ps_store_file_get(struct ps_store *store, const char *id,
                      struct ps_file *out, struct ps_err *err);
/* Documents of inputs with this content in the business, by doc_index. */
int ps_store_files_by_sha(struct ps_store *store, const char *business_id,
                          const char *sha256,
                          int (*cb)(void *ctx, const struct ps_file *),
                          void *ctx, struct ps_err *err);
/* Documents of the business received under this input name, oldest
 * first (resumption: the rows of an input in work/ whose bytes changed). */
int ps_store_files_by_name(struct ps_store *store, const char *business_id,
                           const char *name,
                           int (*cb)(void *ctx, const struct ps_file *),
                           void *ctx, struct ps_err *err);
/*
 * A retry of an input rejected whole (`payspool files retry`): one row
 * per document row of the input.  A retried row is no longer seen by
 * ps_store_files_by_sha: the input taken back is checked as new.
 */
struct ps_file_retry {
    char id[PS_ID_SIZE];
    char file_id[PS_ID_SIZE]; /* the rejected document's row */
    char business_id[PS_ID_SIZE];
    char name[PS_PATH_SIZE];  /* the input's name */
    char sha256[65];          /* of the input */
    char from_path[PS_PATH_SIZE]; /* failed/<b>/<name> */
    char to_path[PS_PATH_SIZE];   /* inbound/<b>/<name> */
    char reason[PS_REASON_SIZE];  /* the operator's */
    char actor[64];               /* who asked (the user name) */
    char retried_at[PS_TIME_SIZE];
};
/* PS_ECONFLICT when that document was retried before. */
int ps_store_file_retry_insert(struct ps_store *store,
                               const struct ps_file_retry *r,
                               struct ps_err *err);
int ps_store_file_retry_delete(struct ps_store *store, const char *id,
                               struct ps_err *err);
/* The retries of one document row, oldest first. */
int ps_store_file_retries(struct ps_store *store, const char *file_id,
                          int (*cb)(void *ctx, const struct ps_file_retry *),
                          void *ctx, struct ps_err *err);
/* The latest retry of an input of f's business, content and name made
 * no later than f was received: what f is a retry of.  PS_ENOTFOUND. */
int ps_store_file_retry_before(struct ps_store *store, const struct ps_file *f,
                               struct ps_file_retry *out, struct ps_err *err);
/* Newest first; business_id NULL for all; at most limit rows. */
int ps_store_file_list(struct ps_store *store, const char *business_id,
                       long limit, int (*cb)(void *ctx, const struct ps_file *),
                       void *ctx, struct ps_err *err);

struct ps_checkpoint {
    int64_t byte_offset;   /* in the document: start of the last record
                            * done (informational; resume skips by
                            * record number) */
    long record_no;        /* records done (applied or not) */
    int64_t result_offset; /* bytes of the result file written */
    long accepted, rejected, duplicates;
    int64_t amount_accepted;
};
/* PS_ENOTFOUND when the document has none yet. */
int ps_store_checkpoint_get(struct ps_store *store, const char *file_id,
                            struct ps_checkpoint *out, struct ps_err *err);
int ps_store_checkpoint_put(struct ps_store *store, const char *file_id,
                            const struct ps_checkpoint *cp, const char *at,
                            struct ps_err *err);

struct ps_record_result_row {
    long record_no;
    long line;
    char reference[144]; /* a request id, or an ISO EndToEndId: 35
                          * characters of up to 4 bytes */
    char outcome[12];
    char code[PS_ERR_RULE_MAX];
    char message[PS_ERR_MSG_MAX];
    char ids[128];
    int64_t amount;
};
int ps_store_record_result_insert(struct ps_store *store, const char *file_id,
                                  const struct ps_record_result_row *r,
                                  struct ps_err *err);
int ps_store_record_results(struct ps_store *store, const char *file_id,
                            int (*cb)(void *ctx,
                                      const struct ps_record_result_row *),
                            void *ctx, struct ps_err *err);
/* Claim a per-record idempotency key; PS_ECONFLICT if it was seen. */
int ps_store_record_key_insert(struct ps_store *store, const char *business_id,
                               const char *key, const char *file_id,
                               long record_no, struct ps_err *err);
/* A format's duplicate key for a whole file (e.g. the NACHA header
 * tuple); PS_ECONFLICT with the earlier file's id in *prior. */
int ps_store_file_key_insert(struct ps_store *store, const char *business_id,
                             const char *kind, const char *key,
                             const char *file_id, char prior[PS_ID_SIZE],
                             struct ps_err *err);

/* The engine guard: one engine per spool. */
/* Record this process as the running engine (after taking the flock). */
int ps_store_guard_take(struct ps_store *store, long pid, const char *host,
                        const char *at, struct ps_err *err);
int ps_store_guard_release(struct ps_store *store, long pid,
                           struct ps_err *err);

/* ---- the scheduler's job runs and job state (job.c) ---------------------- */

/* A run of a job for a business date; status RUNNING, COMPLETED, FAILED or
 * SKIPPED (a missed date not caught up). */
struct ps_job_run {
    char id[PS_ID_SIZE];
    char job[64];
    char business_date[PS_DATE_SIZE];
    char status[12];
    int attempt; /* 1, then 2... for a resume or a rerun */
    char rerun_reason[256];
    char error[512];
    char step[32]; /* the step running, or where it failed */
    int64_t records;
    int64_t amount; /* minor units */
    int64_t pid;
    char started_at[PS_TIME_SIZE], finished_at[PS_TIME_SIZE];
};

int ps_store_job_run_latest(struct ps_store *s, const char *job,
                            const char *business_date, struct ps_job_run *out,
                            struct ps_err *err);
/* PS_EBUSY (RUN_IN_PROGRESS) when the job already has a RUNNING run. */
int ps_store_job_run_insert(struct ps_store *s, const struct ps_job_run *r,
                            struct ps_err *err);
int ps_store_job_run_update(struct ps_store *s, const struct ps_job_run *r,
                            struct ps_err *err);
/* At start-up, under the engine lock: every RUNNING run was interrupted. */
int ps_store_job_runs_crashed(struct ps_store *s, const char *at, long *n,
                              struct ps_err *err);
/* Newest first; job NULL = all jobs. */
int ps_store_job_run_list(struct ps_store *s, const char *job, long limit,
                          int (*cb)(void *, const struct ps_job_run *),
                          void *ctx, struct ps_err *err);
/* PS_ENOTFOUND when the job has never fired. */
int ps_store_job_state(struct ps_store *s, const char *job,
                       char last_fired[PS_TIME_SIZE],
                       char last_success[PS_TIME_SIZE], struct ps_err *err);
/* NULL or "" leaves a field as it is. */
int ps_store_job_state_set(struct ps_store *s, const char *job,
                           const char *last_fired, const char *last_success,
                           struct ps_err *err);

/* ---- outbound files: candidates, outputs, answers (provider.c) ----------- */

/* SEND transactions on PUSH_TO_CARD in NEW or PENDING whose customer and
 * account are ACTIVE: what the next payout file pays; the first `limit`
 * of them (all when limit <= 0).  Retries (PENDING after a provider
 * error) first, then the others in row order from the rail's watermark
 * (ps_store_outbound_mark_advance, docs/store.md): no row below it is
 * read. */
int ps_store_payout_candidates(struct ps_store *store, const char *business_id,
                               long limit,
                               int (*cb)(void *ctx, const struct ps_txn *),
                               void *ctx, struct ps_err *err);

/* A payout candidate's payee, read once a customer and account a call:
 * the holder's name parts and the account's sealed card number (never
 * in clear).  The pointers hold during the callback only. */
struct ps_payout_payee {
    int business; /* a BUSINESS customer: its dba_name names it */
    const char *first_name, *middle_name, *last_name, *dba_name;
    const unsigned char *sealed;
    size_t sealed_len;
};
/* ps_store_payout_candidates() with each row's payee.  What it read of
 * customers and accounts (all of the business's, once a call needs many)
 * is kept for the next call after ps_store_payout_payees_keep(), which
 * the caller makes right after committing the file: the next call uses
 * it only if no connection has written anything since (data_version,
 * total_changes), so a customer suspended in between is read again.
 * Called outside a transaction (ps_store_begin), it keeps nothing. */
int ps_store_payout_payees(struct ps_store *store, const char *business_id,
                           long limit,
                           int (*cb)(void *ctx, const struct ps_txn *,
                                     const struct ps_payout_payee *),
                           void *ctx, struct ps_err *err);
void ps_store_payout_payees_keep(struct ps_store *store);
/* Forget it (the end of a run; ps_store_close() does too). */
void ps_store_payout_payees_drop(struct ps_store *store);

/* One outbound file (table outputs). */
struct ps_output_row {
    char id[PS_ID_SIZE];
    char business_id[PS_ID_SIZE];
    char kind[16];                   /* PUSH_TO_CARD, NACHA, ... */
    char business_date[PS_DATE_SIZE];
    int seq;                         /* per business, kind and date, 1.. */
    char path[PS_PATH_SIZE];         /* relative to the spool */
    char sha256[65];                 /* of the content, known before writing */
    long records;
    int64_t debit_total, credit_total; /* minor units */
    char file_key[64];               /* "" if none */
    char created_at[PS_TIME_SIZE];
    char detail[512]; /* the format's own header data (NACHA: JSON), "" */
};
/* One line of an outbound file (table output_items). */
struct ps_output_item_row {
    char txn_id[PS_ID_SIZE];
    long line;                       /* 1-based data line */
    int attempt;                     /* provider attempt it carries */
    char holder_name[PS_TEXT_SIZE];  /* as written */
    /* From the transaction, on reading: */
    char account_id[PS_ID_SIZE];
    int64_t amount; /* minor units */
    char currency[4];
    char detail[512]; /* the line as written but its secrets (NACHA entry
                         fields as JSON, no account number), "" */
};
/* ACH transactions (SEND and DEBIT) in NEW or PENDING whose customer
 * and bank account are ACTIVE -- debits only under an ACTIVE debit
 * authorization -- retries first, then in row order from the watermark:
 * what the next NACHA file carries. */
int ps_store_ach_candidates(struct ps_store *store, const char *business_id,
                            int (*cb)(void *ctx, const struct ps_txn *),
                            void *ctx, struct ps_err *err);
/* Move the business's watermark on `rail` (table outbound_marks) up to
 * the last transaction below the first one still NEW (or PENDING before
 * its first attempt) on that rail: call it in the store transaction that
 * moved the file's transactions, before its commit.  A transaction held
 * back (a suspended customer or account) keeps the mark below it. */
int ps_store_outbound_mark_advance(struct ps_store *store,
                                   const char *business_id, enum ps_rail rail,
                                   struct ps_err *err);
/* The highest 7-digit trace sequence the business has used with this
 * 8-digit ODFI prefix, 0 for none. */
int ps_store_ach_trace_max(struct ps_store *store, const char *business_id,
                           const char *odfi, long *max, struct ps_err *err);
/* max(seq) + 1 for (business, kind, business_date), 1 for the first. */
int ps_store_output_next_seq(struct ps_store *store, const char *business_id,
                             const char *kind, const char *business_date,
                             int *seq, struct ps_err *err);
int ps_store_output_insert(struct ps_store *store,
                           const struct ps_output_row *o, struct ps_err *err);
int ps_store_output_item_insert(struct ps_store *store, const char *output_id,
                                const struct ps_output_item_row *it,
                                struct ps_err *err);
/* Outputs of a kind of the business, by business date and seq. */
int ps_store_output_list(struct ps_store *store, const char *business_id,
                         const char *kind,
                         int (*cb)(void *ctx, const struct ps_output_row *),
                         void *ctx, struct ps_err *err);
/* Items of an output, by line. */
int ps_store_output_items(struct ps_store *store, const char *output_id,
                          int (*cb)(void *ctx,
                                    const struct ps_output_item_row *),
                          void *ctx, struct ps_err *err);

/* One provider status line applied (table provider_answers); the key is
 * (txn_id, attempt, status): a second one gives PS_ECONFLICT. */
struct ps_answer_row {
    const char *txn_id;
    int attempt;
    const char *status; /* APPROVED, SETTLED, ... as the provider wrote */
    const char *business_id;
    const char *reason_code, *message, *settlement_date; /* may be NULL */
    int64_t amount; /* minor units */
    const char *currency; /* the transaction's (answer_sums) */
    const char *source_file;
    long source_line;
    const char *created_at;
};
/* The answer row, and its status's count and amount in answer_sums
 * (added at the outermost commit: what rolls back adds nothing). */
int ps_store_answer_insert(struct ps_store *store,
                           const struct ps_answer_row *a, struct ps_err *err);
/* Is there an answer row (txn_id, attempt, status)?  *exists 1 or 0. */
int ps_store_answer_exists(struct ps_store *store, const char *txn_id,
                           int attempt, const char *status, int *exists,
                           struct ps_err *err);

/* ---- ISO 20022 references (iso.c) --------------------------------------- */

/* The pain.001 references of a transaction it created. */
int ps_store_iso_ref_insert(struct ps_store *store, const char *business_id,
                            const char *txn_id, const char *msg_id,
                            const char *pmt_inf_id, const char *end_to_end_id,
                            struct ps_err *err);
/* The references of n transactions: cols holds 4 * n strings, each
 * transaction's txn_id, msg_id, pmt_inf_id and end_to_end_id in turn
 * (several rows an INSERT); an end_to_end_id of "" is the transaction's
 * request id (stored as NULL, schema 31).  Every transaction must be
 * there (PS_ESTORE otherwise). */
int ps_store_iso_refs_insert(struct ps_store *store, const char *business_id,
                             size_t n, const char *const *cols,
                             struct ps_err *err);
/* The same with each transaction's rowid known (rows[i], from
 * ps_store_txn_last_rowid when it was written): no look-up by id. */
int ps_store_iso_refs_insert_rows(struct ps_store *store,
                                  const char *business_id, size_t n,
                                  const char *const *cols, const int64_t *rows,
                                  struct ps_err *err);

/* A transaction with ISO references whose status was last set on a day. */
struct ps_iso_entry_row {
    char txn_id[PS_ID_SIZE];
    int64_t amount; /* minor units */
    char currency[4];
    char status[16];
    char date[11]; /* of the last status change, YYYY-MM-DD */
    char msg_id[144], pmt_inf_id[144], end_to_end_id[144];
    /* the last status change's reason and NACHA return code (R01...) */
    char reason[64], reason_code[8];
};
/* The business's transactions with ISO references settled, cleared,
 * declined, in error or reversed with updated_at in [day, next_day). */
int ps_store_iso_entries(struct ps_store *store, const char *business_id,
                         const char *day, const char *next_day,
                         int (*cb)(void *ctx, const struct ps_iso_entry_row *),
                         void *ctx, struct ps_err *err);
/* The same transactions with the reason of their last status change, in
 * order of MsgId, PmtInfId and id: the later pain.002 status reports. */
int ps_store_iso_status(struct ps_store *store, const char *business_id,
                        const char *day, const char *next_day,
                        int (*cb)(void *ctx, const struct ps_iso_entry_row *),
                        void *ctx, struct ps_err *err);

/* One ledger entry moving the business's FUNDING account (iso.c). */
struct ps_funding_move_row {
    int64_t entry_id;
    int64_t amount; /* minor units, > 0 */
    char currency[4];
    int into_funding; /* 1: Dr FUNDING (money in), 0: Cr FUNDING (out) */
    char reference[PS_ID_SIZE + 64]; /* the transaction id, or reference */
    char memo[128];
    char msg_id[144], pmt_inf_id[144], end_to_end_id[144]; /* "" if none */
};
/* The entries of [day, next_day) that debit or credit the business's
 * FUNDING account in one currency, in entry order (the camt.053). */
int ps_store_funding_moves(struct ps_store *store, const char *business_id,
                           const char *currency, const char *day,
                           const char *next_day,
                           int (*cb)(void *ctx,
                                     const struct ps_funding_move_row *),
                           void *ctx, struct ps_err *err);

#endif /* PS_STORE_H */
