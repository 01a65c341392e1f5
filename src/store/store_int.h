/*
 * store_int.h -- private to the files of src/store/: the connection's struct,
 * the statement cache and the helpers every area file uses (as SQLite's
 * whereInt.h serves where.c and wherecode.c).  Nothing outside src/store/
 * includes it; the API is store/store.h and store/recon.h.
 *
 * Names: the shared helpers are ps_sq_* and live in sq.c, or here as
 * static inline functions where they run per statement or per column;
 * what one file lends another keeps that file's prefix
 * (ps_store_txn_read() lives in txn.c, ps_store_schema_migrate() in
 * schema.c); everything else in an area file is static.  BIND*, COL_*, GET_ONE
 * and FOR_EACH are shorthands over the ps_sq_* helpers.
 *
 * The statement cache.  Every statement is prepared once per connection
 * (SQLITE_PREPARE_PERSISTENT), on first use, and found again by an
 * integer slot: no string is hashed or compared per call.  Each area
 * file lists its statements in an X-macro list next to the functions
 * that run them and expands it with PS_SQ_AREA(area, LIST), which
 * defines the file's `enum stmt_id` (STMT_<name>), its `stmt_sql[]` text
 * and a static prep(s, STMT_<name>, &st, err).  The areas below each own
 * a range of PS_SQ_AREA_SLOTS slots: slot = area * PS_SQ_AREA_SLOTS + id,
 * so the cache is one flat array of pointers in struct ps_store, and a
 * static assertion refuses an area that outgrows its range.  The lookup
 * (ps_sq_prep(), inline) is an array load and a NULL test, as it was
 * when the store was one file.  Adding an area: a row in enum
 * ps_sq_area and a PS_SQ_AREA() in its file.
 *
 * How it fails: the helpers map SQLite's result codes onto PS_E* codes
 * (ps_sq_error(), below) with the message on err; none allocates.
 */
#ifndef PS_STORE_INT_H
#define PS_STORE_INT_H

#include <assert.h>
#include <sqlite3.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/err.h"
#include "base/model.h"

/* Not store/store.h: each file includes it first (a header of the API
 * never depends on this one, and this one only names its types). */
struct ps_status_history_row;
struct ps_txn;
struct ps_store;

/* ---- the statement cache ------------------------------------------- */

/* The areas, one per file; each owns PS_SQ_AREA_SLOTS cache slots. */
enum ps_sq_area {
    PS_SQ_AREA_BUSINESS, /* business.c */
    PS_SQ_AREA_CUSTOMER, /* customer.c */
    PS_SQ_AREA_ACCOUNT,  /* account.c */
    PS_SQ_AREA_EWA,      /* ewa.c */
    PS_SQ_AREA_TXN,      /* txn.c */
    PS_SQ_AREA_LEDGER,   /* ledger.c */
    PS_SQ_AREA_FILE,     /* file.c */
    PS_SQ_AREA_JOB,      /* job.c */
    PS_SQ_AREA_PROVIDER, /* provider.c */
    PS_SQ_AREA_RECON,    /* recon.c */
    PS_SQ_AREA_ACH,      /* ach.c */
    PS_SQ_AREA_ISO,      /* iso.c */
    PS_SQ_AREA_LINX,     /* linx.c */
    PS_SQ_AREA_METRICS,  /* metrics.c */
    PS_SQ_AREA_VERIFY,   /* verify.c */
    PS_SQ_AREA_N
};
#define PS_SQ_AREA_SLOTS 64

/* Savepoints nested deeper than this are refused (store.c begin()). */
#define PS_STORE_MAX_DEPTH 16
#define PS_SQ_SLOTS (PS_SQ_AREA_N * PS_SQ_AREA_SLOTS)

#define PS_SQ_X_ENUM(name, sql) STMT_##name,
#define PS_SQ_X_SQL(name, sql) sql,
/*
 * Expand an area's statement list LIST (a macro taking X, each row
 * X(NAME, "SQL")) into enum stmt_id, stmt_sql[] and prep().  prep()
 * borrows the cached statement, prepared on first use; the caller binds,
 * steps, and resets it with ps_sq_done() on every path.
 */
#define PS_SQ_AREA(area, LIST)                                                 \
    enum stmt_id { LIST(PS_SQ_X_ENUM) STMT_N };                                \
    static const char *const stmt_sql[STMT_N] = {LIST(PS_SQ_X_SQL)};           \
    _Static_assert(STMT_N <= PS_SQ_AREA_SLOTS,                                 \
                   #area " has more statements than its cache slots");         \
    static int prep(struct ps_store *s, enum stmt_id id, sqlite3_stmt **out,   \
                    struct ps_err *err)                                        \
    {                                                                          \
        return ps_sq_prep(s, (int)(area)*PS_SQ_AREA_SLOTS + (int)id,           \
                          stmt_sql[id], out, err);                             \
    }

/*
 * Ledger account ids seen in this connection, so posting an entry does not
 * look its accounts up every time (ledger.c).  Cleared on every rollback:
 * an account created inside a rolled-back transaction no longer exists.
 */
struct acct_slot {
    uint64_t hash; /* 0: empty */
    int64_t id;
    char key[PS_ID_SIZE * 2 + 32];
};

struct ps_payee_cache;

struct ps_store {
    sqlite3 *db;
    /* The payout candidates' customers and accounts kept from one file
     * of a run to the next (provider.c); NULL: none. */
    struct ps_payee_cache *payees;
    /* A transaction's status event names its history row instead of
     * holding its payload (schema v25, linx.c); 0 before.  last_history:
     * the id of the history row this connection inserted last (txn.c). */
    int event_history;
    int64_t last_history;
    /* Schema v33: such an event's row holds only its id, business,
     * entity type and history row (linx.c); the transaction and time of
     * the history row inserted last, to check that the event is its. */
    int event_narrow;
    char last_history_txn[PS_ID_SIZE];
    char last_history_customer[PS_ID_SIZE];
    char last_history_at[PS_TIME_SIZE];
    int depth;                        /* nesting of ps_store_begin() */
    sqlite3_stmt *stmts[PS_SQ_SLOTS]; /* by slot; NULL: not prepared yet */
    struct acct_slot *accts;          /* open addressing, power-of-two size */
    size_t naccts, acctcap;
    /* The deepest open savepoint in which the cache learnt an account
     * (created it, or read it, perhaps uncommitted); 0: none open.
     * Rolling back a savepoint at that depth or above forgets the whole
     * cache; a rollback deeper in (a refused record) keeps it, and
     * releasing a savepoint hands its accounts to the one around it. */
    int acct_depth;
    /* The business whose accounts were all read into the cache at once
     * (ps_store_ledger_accounts_preload), "" none: not read again while
     * the cache holds them. */
    char acct_biz[PS_ID_SIZE];
    /* The database file opened, to notice it deleted or replaced under
     * us (ps_store_check_identity); have_id 0 for ":memory:" and the
     * like. */
    int have_id;
    dev_t dev;
    ino_t ino;
    char *path;
    /* The key of request_hash (schema v17, store_keys), read on first
     * use; have_reqkey 0 until then. */
    unsigned char reqkey[16];
    int have_reqkey;
    /* The numbers (schema v31's seq) of the business and file of the
     * last record key written (file.c): ids are never reused and a
     * committed row's number never changes. */
    char key_business_id[PS_ID_SIZE], key_file_id[PS_ID_SIZE];
    int64_t key_business, key_file;
    int64_t last_txn_rowid; /* ps_store_txn_last_rowid */
    /* The legs posted in the open transaction, not yet added to their
     * accounts' debits_posted/credits_posted (schema v20's narrow
     * ledger_balances rows, ledger.c):
     * added once per account at the outermost commit, after the trial
     * balance of the legs is checked.  legmark[d]: nlegs when savepoint
     * depth d+1 began; rolling it back drops the legs after the mark.
     * balances 0: the schema has no such columns (before v20). */
    struct ps_leg *legs;
    size_t nlegs, legcap;
    size_t legmark[PS_STORE_MAX_DEPTH];
    int balances;
    /* The reconciliation counters' deltas of the open transaction
     * (schema v24's recon_counts, recon.c): added at the outermost
     * commit with the balances; cntmark as legmark.  recon_counts 0:
     * the schema has no such table. */
    struct ps_rcount *counts;
    size_t ncounts, countcap;
    size_t cntmark[PS_STORE_MAX_DEPTH];
    int recon_counts;
    /* The provider answers' sums the open transaction adds (schema
     * v32's answer_sums, provider.c): added at the outermost commit with
     * the counters; asummark as legmark.  answer_sums 0: no such table. */
    struct ps_asum *asums;
    size_t nasums, asumcap;
    size_t asummark[PS_STORE_MAX_DEPTH];
    int answer_sums;
    /* Each ledger account's business, kind and currency, by id (the
     * day totals of the legs, recon.c): loaded on first use, in id
     * order; a new account is appended (ids only grow). */
    struct ps_acct_kind *akinds;
    size_t nakinds, akindcap;
    char (*abiz)[PS_ID_SIZE]; /* the businesses akinds[].biz indexes */
    size_t nabiz, abizcap;
    /* The ids of the ledger entries written in the open transaction, per
     * UTC day of their row (schema v27's ledger_entry_days, recon.c):
     * added at the outermost commit with the day totals.  Not dropped
     * by a savepoint rolled back: a day's range may be wider than its
     * rows, never narrower.  entry_days 0: the schema has no such table. */
    struct ps_entry_day {
        char day[11];
        int64_t first, last;
    } edays[4];
    int nedays;
    int entry_days;
    /* Schema v29: a transaction row may carry its creation's fee
     * (fee_account); the readers of the ledger add that leg. */
    int fee_on_row;
    /* The first payment pages of a batch of EWA profiles, loaded by the
     * profile export (ewapages.c); NULL otherwise. */
    struct ps_pages *pages;
};

/* Profile profile_id's page from the loaded pages (ewapages.c): *served 0
 * when none are loaded, or they do not hold it (another profile, another
 * page): the query answers.  Called first by ps_store_txn_page_profile()
 * and ps_store_txn_count_profile(). */
int ps_store_profile_pages_page(struct ps_store *s, const char *profile_id,
                                int64_t offset, int64_t limit,
                                int (*cb)(void *, const struct ps_txn *),
                                void *ctx, int *served);
int ps_store_profile_pages_count(struct ps_store *s, const char *profile_id,
                                 int64_t *count, int *served);

/* One ledger account's key for ledger_day_totals (recon.c). */
struct ps_acct_kind {
    int64_t id;
    uint32_t biz; /* index into abiz */
    char kind[16];
    char currency[4];
};

/* Add the legs of the outermost commit to ledger_day_totals (schema
 * v24, recon.c): per business, account kind, currency and day, the
 * number of legs (each ps_leg counts its n) and debits - credits.
 * Called by ps_store_balance_flush() with the legs summed per account,
 * currency and day, in account order (each account's kind then found by
 * a forward walk, not a search a leg); nothing when the schema has no
 * such table. */
int ps_store_recon_legs(struct ps_store *s, const struct ps_leg *legs,
                        size_t n, struct ps_err *err);

/* The EWA receivables by eligibility and age of one business on `day`
 * (PS_RECON_Q_EWA_AGING's rows) from one walk of its disbursements,
 * newest first (reconaging.c); *fallback set: the walk cannot give the
 * query's figures (rows out of day order), run the query. */
struct ps_recon_row;
int ps_store_recon_aging(struct ps_store *s, const char *business,
                         const char *day,
                         int (*cb)(void *ctx, const struct ps_recon_row *),
                         void *ctx, int *fallback, struct ps_err *err);

/* What recon_counts must hold (RECON_COUNTS_WANT_SQL, recon.c), added
 * up from the rows into temp.verify_want (verifycounts.c), for the
 * counters' check; business_id NULL: every business. */
int ps_store_recon_want(struct ps_store *s, const char *business_id,
                        struct ps_err *err);
/* Each profile's transactions and those rightly linked on its chain
 * (verify.c's OWNED_SQL), from one walk of the transactions in rowid
 * order, into temp.verify_owned (verifycounts.c). */
int ps_store_verify_chains(struct ps_store *s, struct ps_err *err);

/* Ledger entry `id`, written at `at`, into its day's range of ids
 * (schema v27's ledger_entry_days, recon.c): kept in memory, added at
 * the outermost commit.  Called by ps_store_ledger_entry_insert(). */
int ps_store_recon_entry_day(struct ps_store *s, int64_t id, const char *at,
                             struct ps_err *err);

/* The page cache of a connection, KiB (PRAGMA cache_size = -this). */
#define PS_STORE_CACHE_KB "65536"

/* One delta of recon_counts (recon.c): a key and what it adds. */
struct ps_rcount {
    char business[PS_ID_SIZE];
    char day[11];
    char currency[4];
    signed char moved;    /* 0: CREATED (created that day, by status now) */
    signed char profiled; /* the transaction has a profile */
    signed char rail, type, from, status; /* enum values; from -1: none */
    int64_t n, amount, fee;
};

/* A transaction created / moved from status `from` to t->status (its
 * history row written at t->updated_at): the counters' deltas, added at
 * the outermost commit (at once outside a transaction).  Nothing when
 * the schema has no counters.  t is the whole row after the change. */
int ps_store_recon_count_create(struct ps_store *s, const struct ps_txn *t,
                                struct ps_err *err);
int ps_store_recon_count_move(struct ps_store *s, const struct ps_txn *t,
                              int from, struct ps_err *err);
/* A history row of t from `from` to `to` at `at`: the day's count of
 * status changes (kind MOVED), one a history row. */
int ps_store_recon_count_moved(struct ps_store *s, const struct ps_txn *t,
                               int from, enum ps_txn_status to, const char *at,
                               struct ps_err *err);
/* Fold the log's entries from index `from` on, one per key (a savepoint
 * released into the one around it: the log stays as small as the keys,
 * however many transactions a chunk changes one by one). */
void ps_store_recon_count_fold(struct ps_store *s, size_t from);
/* Add the logged deltas to recon_counts (one upsert per key). */
int ps_store_recon_count_flush(struct ps_store *s, struct ps_err *err);

/* One delta of answer_sums (provider.c): a business, an answer's status
 * and its transaction's currency, and what they add. */
struct ps_asum {
    char business[PS_ID_SIZE];
    char status[12];
    char currency[4];
    int64_t n, amount;
};
/* Fold the deltas from index `from` on, one per key (a savepoint released
 * into the one around it), and add them all to answer_sums (one upsert
 * per key) at the outermost commit. */
void ps_store_answer_sums_fold(struct ps_store *s, size_t from);
int ps_store_answer_sums_flush(struct ps_store *s, struct ps_err *err);

/* One leg of a posting: an account's debit or credit (ledger.c). */
struct ps_leg {
    int64_t account;
    int64_t debit, credit;
    int64_t n; /* how many legs these are (1; summed at the commit) */
    char currency[4];
    char day[11]; /* the UTC day of the leg's row (ledger_day_totals) */
};

/* Post a transfer's two legs: added to the accounts' stored balances at
 * the outermost commit (or at once outside a transaction).  Nothing when
 * the schema has no balances. */
int ps_store_balance_post(struct ps_store *s, int64_t debit_account,
                          int64_t credit_account, int64_t amount,
                          const char *currency, const char *at,
                          struct ps_err *err);
/* One leg alone: ps_store_balance_post() is two of these.  Exposed for
 * the test of the per-chunk trial balance. */
int ps_store_balance_leg(struct ps_store *s, int64_t account, int64_t debit,
                         int64_t credit, const char *currency, const char *at,
                         struct ps_err *err);
/* Add the legs posted to their accounts (one UPDATE per account, in
 * account order) after checking that debits equal credits in each
 * currency; refused with PS_EINTERNAL [LEDGER_UNBALANCED] when they do
 * not (the caller rolls back).  The legs are forgotten on success. */
int ps_store_balance_flush(struct ps_store *s, struct ps_err *err);

/* The migrations of the row model (schema_rows.c). */
extern const char *const ps_schema_v17[];
extern const char *const ps_schema_v18[];
extern const char *const ps_schema_v19[];
extern const char *const ps_schema_v20[];
extern const char *const ps_schema_v21[];
extern const char *const ps_schema_v22[];
extern const char *const ps_schema_v23[];
extern const char *const ps_schema_v24[];
extern const char *const ps_schema_v25[];
extern const char *const ps_schema_v26[];
extern const char *const ps_schema_v27[];
extern const char *const ps_schema_v28[];
extern const char *const ps_schema_v29[];

/*
 * The transfers transaction rows carry, one row per transfer, in one walk
 * of the table (CROSS JOIN keeps transactions outside; k is two constant
 * rows): k.leg 0 the creation's Dr debit_account / Cr credit_account of
 * amount (schema v18), k.leg 1 its fee's Dr debit_account / Cr
 * fee_account of fee (schema v29; only where fee_account is not NULL).
 * Use as "FROM" PS_ROW_TRANSFERS_FROM "WHERE" PS_ROW_TRANSFERS_WHERE, the
 * transfer's credit account PS_ROW_CREDIT and amount PS_ROW_AMOUNT, the
 * row's other columns as t.x.  Before v29 (no fee_account column) the
 * readers keep their statements of v18.
 */
#define PS_ROW_TRANSFERS_FROM                                                  \
    " transactions t CROSS JOIN (SELECT 0 AS leg UNION ALL SELECT 1) k"
#define PS_ROW_TRANSFERS_WHERE                                                 \
    " t.debit_account IS NOT NULL AND (k.leg = 0 OR t.fee_account IS NOT NULL)"
#define PS_ROW_CREDIT                                                          \
    "CASE k.leg WHEN 0 THEN t.credit_account ELSE t.fee_account END"
#define PS_ROW_AMOUNT "CASE k.leg WHEN 0 THEN t.amount ELSE t.fee END"
/* A row's debits on its debit_account: the amount, and the fee when the
 * row carries it (v29). */
#define PS_ROW_DEBITS(t)                                                       \
    t "amount + CASE WHEN " t "fee_account IS NULL THEN 0 ELSE " t "fee END"
extern const char *const ps_schema_v30[];
extern const char *const ps_schema_v31[];
extern const char *const ps_schema_v32[];
extern const char *const ps_schema_v33[];

/* The columns and joins of a FUNDING account's movements (a ledger entry
 * with its block's ISO 20022 references), for iso.c's query over every
 * entry and reconcamt.c's within a day's range; each row read by
 * ps_store_funding_move_read (iso.c). */
#define PS_FUNDING_MOVE_COLS                                                   \
    "SELECT e.id, e.amount, e.currency, da.kind = 'FUNDING',"                  \
    " ifnull(e.txn_id, e.reference), e.memo, m.msg_id, m.pmt_inf_id,"          \
    " CASE WHEN r.txn IS NOT NULL THEN ifnull(r.end_to_end_id, rt.request_id)" \
    " END FROM ledger_entries e"                                               \
    " JOIN ledger_accounts da ON da.id = e.debit_account"                      \
    " JOIN ledger_accounts ca ON ca.id = e.credit_account"                     \
    " LEFT JOIN transactions rt ON rt.id = e.txn_id"                           \
    " LEFT JOIN iso_refs r ON r.txn = rt.rowid"                                \
    " LEFT JOIN iso_msgs m ON m.id = r.msg"
struct ps_funding_move_row;
void ps_store_funding_move_read(sqlite3_stmt *st,
                                struct ps_funding_move_row *r);

/* Fill transactions.request_hash of every row with a request id (the
 * migration to schema v17, in its transaction; txn.c). */
int ps_store_txn_rehash(struct ps_store *s, struct ps_err *err);
/* Read the database's request-hash key into s (once per connection). */
int ps_store_request_key(struct ps_store *s, struct ps_err *err);

/* The same for transactions.profile_hash (schema v19). */
int ps_store_txn_profile_rehash(struct ps_store *s, struct ps_err *err);
/* A profile's transactions (schema 22), the CTE `chain(r)` of their
 * rowids, newest first, for a statement binding the profile's id as ?1:
 * from its counters row's last_txn, each row's profile_prev.  No index
 * of the transactions is involved: the chain is rowid lookups. */
#define PS_PROFILE_CHAIN                                                       \
    "WITH RECURSIVE chain(r) AS (SELECT k.last_txn FROM ewa_profiles p"        \
    " JOIN ewa_counters k ON k.profile = p.seq"                                \
    " WHERE p.id = ?1 AND k.last_txn IS NOT NULL"                              \
    " UNION ALL SELECT t.profile_prev FROM chain"                              \
    " JOIN transactions t ON t.rowid = chain.r"                                \
    " WHERE t.profile_prev IS NOT NULL) "
/* The key a profile's transactions were indexed by (schema v19 to 21): a 64-bit
 * hash of its id; readers compare the id too. */
int ps_store_profile_hash(struct ps_store *s, const char *profile_id,
                          int64_t *out, struct ps_err *err);

/* ---- helpers (sq.c) ------------------------------------------------ */

/*
 * Turn SQLite's rc (and the connection's extended code) into a PS_E*
 * code on err, message "<what>: <SQLite's>": PS_ECONFLICT for UNIQUE and
 * PRIMARY KEY, PS_EINVAL for other constraints, PS_EBUSY, PS_ENOMEM,
 * else PS_ESTORE.  Returns the code.
 */
int ps_sq_error(struct ps_store *s, int rc, const char *what,
                struct ps_err *err);
/* The slow path of ps_sq_prep(): prepare sql into slot (sq.c). */
int ps_sq_prepare(struct ps_store *s, int slot, const char *sql,
                  struct ps_err *err);

/*
 * Borrow the statement of cache slot `slot`, preparing sql on its first
 * use (call an area's prep(), which knows its slots).  Inline, as the
 * helpers below: they run for every statement and every column, and
 * were static in one file before the store was split.
 */
static inline int ps_sq_prep(struct ps_store *s, int slot, const char *sql,
                             sqlite3_stmt **out, struct ps_err *err)
{
    assert(slot >= 0 && slot < PS_SQ_SLOTS);
    if (s->stmts[slot] == NULL) {
        int rc = ps_sq_prepare(s, slot, sql, err);
        if (rc != 0)
            return rc;
    }
    *out = s->stmts[slot];
    return 0;
}

/* Reset a statement and clear its bindings. */
static inline void ps_sq_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Bind a string; "" and NULL become SQL NULL when nullable.  The text is
 * bound SQLITE_STATIC: it must live until the statement is reset. */
static inline void ps_sq_bind_str(sqlite3_stmt *st, int i, const char *v,
                                  int nullable)
{
    if (v == NULL || (nullable && v[0] == '\0'))
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}
#define BIND(st, i, v) ps_sq_bind_str(st, i, v, 0)
#define BIND_OPT(st, i, v) ps_sq_bind_str(st, i, v, 1)
#define BIND_INT(st, i, v) sqlite3_bind_int64(st, i, (sqlite3_int64)(v))
#define BIND_ENUM(st, i, table, v) BIND(st, i, ps_enum_name(table, (int)(v)))

/* Copy column i as text into dst (size bytes, truncated); NULL is "". */
static inline void ps_sq_col_str(sqlite3_stmt *st, int i, char *dst,
                                 size_t size)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    ps_strlcpy(dst, v != NULL ? (const char *)v : "", size);
}
#define COL_STR(st, i, field) ps_sq_col_str(st, i, field, sizeof(field))

/* Column i parsed with name table `table`. */
static inline int ps_sq_col_enum(sqlite3_stmt *st, int i, enum ps_names table)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    int e = ps_enum_parse(table, v != NULL ? (const char *)v : "");
    /* CHECK constraints make an unknown name impossible. */
    return PS_NEVER(e < 0) ? 0 : e;
}

/* Run a statement that returns no rows, and reset it. */
int ps_sq_exec_step(struct ps_store *s, sqlite3_stmt *st, const char *what,
                    struct ps_err *err);
/* Run an UPDATE expected to touch exactly one row; 0 rows -> zero_code
 * (PS_ESTATE: rule STATE_CHANGED, else NOT_FOUND). */
int ps_sq_exec_one(struct ps_store *s, sqlite3_stmt *st, const char *what,
                   int zero_code, struct ps_err *err);
/* Run SQL text outside the cache (pragmas, transactions, migrations). */
int ps_sq_exec_sql(struct ps_store *s, const char *sql, struct ps_err *err);

/*
 * Status changes with a history row, for customers and accounts: run
 * update (?1 id, ?2 from, ?3 to, ?4 at; exactly one row, else PS_ESTATE),
 * then history (?1 id, ?2 from, ?3 to, ?4 reason, ?5 file, ?6 line,
 * ?7 at).  Both are borrowed cached statements.
 */
int ps_sq_set_status(struct ps_store *s, sqlite3_stmt *update,
                     sqlite3_stmt *history, const char *what, const char *id,
                     enum ps_status from, enum ps_status to,
                     const struct ps_source *src, const char *at,
                     struct ps_err *err);
/* Step st (a status history SELECT, bound) calling cb per row. */
int ps_sq_status_history(struct ps_store *s, sqlite3_stmt *st,
                         int (*cb)(void *ctx,
                                   const struct ps_status_history_row *),
                         void *ctx, struct ps_err *err);

/*
 * Step a bound SELECT expecting at most one row; read it with fn.
 * PS_ENOTFOUND (rule NOT_FOUND, message "<what> not found") when empty.
 * Returns from the calling function.
 */
#define GET_ONE(s, st, what, err, read_stmt)                                   \
    do {                                                                       \
        int rc_ = sqlite3_step(st);                                            \
        int ret_ = 0;                                                          \
        if (rc_ == SQLITE_ROW) {                                               \
            read_stmt;                                                         \
        } else if (rc_ == SQLITE_DONE) {                                       \
            ret_ = ps_err_set(err, PS_ENOTFOUND, "NOT_FOUND", "%s not found",  \
                              what);                                           \
        } else {                                                               \
            ret_ = ps_sq_error(s, rc_, what, err);                             \
        }                                                                      \
        ps_sq_done(st);                                                        \
        return ret_;                                                           \
    } while (0)

/* Step a bound SELECT calling cb(ctx, &row) per row; cb != 0 stops.
 * Returns from the calling function. */
#define FOR_EACH(s, st, what, err, rowtype, read_fn, cb, ctx)                  \
    do {                                                                       \
        int rc_, ret_ = 0;                                                     \
        while ((rc_ = sqlite3_step(st)) == SQLITE_ROW) {                       \
            rowtype row_;                                                      \
            memset(&row_, 0, sizeof(row_));                                    \
            read_fn(st, &row_);                                                \
            if (cb(ctx, &row_) != 0)                                           \
                break;                                                         \
        }                                                                      \
        if (rc_ != SQLITE_ROW && rc_ != SQLITE_DONE)                           \
            ret_ = ps_sq_error(s, rc_, what, err);                             \
        ps_sq_done(st);                                                        \
        return ret_;                                                           \
    } while (0)

/* ---- row helpers one area lends another ----------------------------- */

/* The columns ps_store_txn_read() reads, in its order (txn.c; the
 * provider's candidate queries select them too). */
#define TXN_COLS                                                               \
    "id, business_id, customer_id, account_id, ifnull(profile_id,''),"         \
    " type, rail, purpose, amount, fee, currency, status,"                     \
    " ifnull(request_id,''), ifnull(trace_number,''), attempts,"               \
    " created_at, updated_at, rowid"
void ps_store_txn_read(sqlite3_stmt *st, struct ps_txn *t);

/* ---- schema and migrations (schema.c) ------------------------------- */

/* Read the database's schema version into *version (0: none yet). */
int ps_store_schema_version(struct ps_store *s, int *version,
                            struct ps_err *err);
/* Bring the database at path to schema version target, one migration per
 * transaction; PS_EVERSION when it is newer than this build. */
int ps_store_schema_migrate(struct ps_store *s, const char *path, int target,
                            struct ps_err *err);

/* Step st to its end, each row as a struct ps_recon_row (text and
 * number of every column) to cb until it returns non-zero; a step error
 * names `what`.  Finishes st (ps_sq_done).  The reconciliation's and the
 * metrics' queries (recon.c, metrics.c). */
struct ps_recon_row;
int ps_sq_recon_rows(struct ps_store *s, sqlite3_stmt *st, const char *what,
                     int (*cb)(void *ctx, const struct ps_recon_row *),
                     void *ctx, struct ps_err *err);

#endif /* PS_STORE_INT_H */
