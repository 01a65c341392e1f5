/*
 * verify.c -- the SQL of `payspool ledger verify` (store/verify.h): each
 * ledger account's balance recomputed from the ledger's rows, beside the
 * balance the schema stores; the EWA receivable and the profiles'
 * amounts to recover counted from the rows that move them.
 *
 * The ledger's rows are of two kinds (schema v18, docs/store.md): the
 * ledger_entries and the transfers transaction rows carry
 * (debit_account, credit_account: their creation).  Neither has an
 * index by account (the entries' went in schema 33: a random-order
 * b-tree every settlement wrote), so both are summed per account in one
 * pass (TRANSFERS).  Before schema 20 no ledger balance is stored, so ACCOUNTS
 * returns NULL for the stored columns.  Since schema 20 each account's
 * debits_posted and credits_posted are on its narrow row of
 * ledger_balances (issue 21; no row: 0 and 0), and ACCOUNTS_STORED reads
 * them, to be compared.  A row model
 * whose ledger rows are the transfers changes this file's statements
 * and nothing above it.
 *
 * How it fails: as every store function (store.h).
 */
#include "store/verify.h"
#include "store/store.h"
#include "store/store_int.h"

/* The SQL keeps its own layout. */
/* clang-format off */
/* The statuses in which an EWA disbursement's advance and fee are
 * unwound (engine/ledger.c's table). */
#define UNWOUND "('CANCELLED','DECLINED','ERROR','REVERSED')"

/* What moves an EWA receivable, one row per movement, signed: the
 * advances and fees not unwound, payroll deductions, settled recovery
 * debits (a returned one is REVERSED: its two legs cancel). */
#define RECEIVABLE_MOVES                                                       \
    "moves(business_id, profile_id, currency, amount) AS ("                    \
    " SELECT business_id, profile_id, currency, amount + fee"                  \
    "  FROM transactions WHERE purpose = 'EWA_DISBURSEMENT'"                   \
    "  AND type = 'SEND' AND status NOT IN " UNWOUND                           \
    " UNION ALL"                                                               \
    " SELECT business_id, profile_id, currency, -amount"                       \
    "  FROM transactions WHERE purpose = 'EWA_RECOVERY'"                       \
    "  AND type = 'DEBIT' AND status = 'SETTLED'"                              \
    " UNION ALL"                                                               \
    " SELECT p.business_id, r.profile_id, coalesce(r.currency, g.currency),"   \
    "  -r.deduction FROM payroll_results r"                                    \
    "  JOIN ewa_profiles p ON p.id = r.profile_id"                             \
    "  JOIN ewa_programs g ON g.id = p.program_id WHERE r.deduction > 0)"

/* The transfers transaction rows carry, summed per account in one pass:
 * txs(account, debits, credits, bad), bad counting the legs whose other
 * side is in another currency or business.  ROWS_V18 reads the
 * creation's transfer (schema v18), ROWS_V29 the fee's too (v29,
 * PS_ROW_TRANSFERS in store_int.h): tr(d, c, amount, cur). */
#define ROWS_V18                                                               \
    " SELECT t.debit_account, t.credit_account, t.amount, t.currency"         \
    " FROM transactions t WHERE t.debit_account IS NOT NULL"
#define ROWS_V29                                                               \
    " SELECT t.debit_account, " PS_ROW_CREDIT ", " PS_ROW_AMOUNT ","           \
    " t.currency FROM" PS_ROW_TRANSFERS_FROM " WHERE" PS_ROW_TRANSFERS_WHERE
/* The ledger_entries, summed in the same pass: they have no index by
 * account since schema 33 (one pass over each kind of row, not a
 * search per account). */
#define ENTRY_ROWS                                                             \
    " UNION ALL SELECT e.debit_account, e.credit_account, e.amount,"           \
    " e.currency FROM ledger_entries e"
#define TRANSFERS(rows)                                                        \
    "rw(d, c, amount, cur) AS (" rows ENTRY_ROWS "),"                          \
    " tr(d, c, amount, bad) AS ("                                              \
    " SELECT r.d, r.c, r.amount,"                                              \
    "  r.cur <> da.currency OR r.cur <> ca.currency"                           \
    "  OR da.business_id <> ca.business_id"                                    \
    " FROM rw r"                                                               \
    " JOIN ledger_accounts da ON da.id = r.d"                                  \
    " JOIN ledger_accounts ca ON ca.id = r.c),"                                \
    " tx(account, debits, credits, bad) AS ("                                 \
    " SELECT d, sum(amount), 0, sum(bad) FROM tr GROUP BY d"                   \
    " UNION ALL SELECT c, 0, sum(amount), sum(bad) FROM tr GROUP BY c),"       \
    " txs(account, debits, credits, bad) AS ("                                 \
    " SELECT account, sum(debits), sum(credits), sum(bad) FROM tx"             \
    " GROUP BY account)"

/* Each account with its two sums; `stored` the stored balance's two
 * columns, or NULL, NULL where the schema stores none. */
#define ACCOUNTS_SQL(rows, stored)                                             \
    "WITH " TRANSFERS(rows)                                                    \
    " SELECT a.id, b.name, a.kind, a.currency, coalesce(c.external_id, ''),"   \
    " coalesce(x.debits, 0), coalesce(x.credits, 0),"                         \
    " " stored ", coalesce(x.bad, 0)"                                          \
    " FROM ledger_accounts a JOIN businesses b ON b.id = a.business_id"        \
    " LEFT JOIN customers c ON c.id = a.customer_id"                           \
    " LEFT JOIN txs x ON x.account = a.id"                                     \
    " WHERE ?1 IS NULL OR a.business_id = ?1 ORDER BY a.id"

#define STORED_BALANCE                                                         \
    "coalesce((SELECT debits_posted FROM ledger_balances"                      \
    " WHERE account = a.id), 0),"                                              \
    " coalesce((SELECT credits_posted FROM ledger_balances"                    \
    " WHERE account = a.id), 0)"
#define RECEIVABLES_SQL(rows)                                                  \
      "WITH " RECEIVABLE_MOVES ", " TRANSFERS(rows) ","                        \
      " counted(business_id, currency, amount) AS ("                           \
      "  SELECT business_id, currency, sum(amount) FROM moves"                 \
      "  GROUP BY business_id, currency),"                                     \
      " ledger(business_id, currency, amount) AS ("                            \
      "  SELECT a.business_id, a.currency,"                                    \
      "   sum(coalesce(x.debits, 0) - coalesce(x.credits, 0))"                 \
      "  FROM ledger_accounts a LEFT JOIN txs x ON x.account = a.id"           \
      "  WHERE a.kind = 'EWA_RECEIVABLE'"                                      \
      "  GROUP BY a.business_id, a.currency),"                                 \
      " keys(business_id, currency) AS ("                                      \
      "  SELECT business_id, currency FROM counted"                            \
      "  UNION SELECT business_id, currency FROM ledger)"                      \
      " SELECT b.name, k.currency, coalesce(l.amount, 0),"                     \
      "  coalesce(c.amount, 0)"                                                \
      " FROM keys k JOIN businesses b ON b.id = k.business_id"                 \
      " LEFT JOIN ledger l ON l.business_id = k.business_id"                   \
      "  AND l.currency = k.currency"                                          \
      " LEFT JOIN counted c ON c.business_id = k.business_id"                  \
      "  AND c.currency = k.currency"                                          \
      " WHERE ?1 IS NULL OR k.business_id = ?1"                                \
      " ORDER BY b.name, k.currency"

#define VERIFY_STMTS(X)                                                        \
    X(ACCOUNTS, ACCOUNTS_SQL(ROWS_V18, "NULL, NULL"))                          \
    X(ACCOUNTS_STORED, ACCOUNTS_SQL(ROWS_V18, STORED_BALANCE))                 \
    X(ACCOUNTS_STORED_V29, ACCOUNTS_SQL(ROWS_V29, STORED_BALANCE))             \
    X(RECEIVABLES, RECEIVABLES_SQL(ROWS_V18))                                  \
    X(RECEIVABLES_V29, RECEIVABLES_SQL(ROWS_V29))                              \
    X(PROFILES,                                                                \
      "WITH " RECEIVABLE_MOVES ","                                             \
      " counted(profile_id, amount) AS ("                                      \
      "  SELECT profile_id, sum(amount) FROM moves"                            \
      "  WHERE profile_id IS NOT NULL GROUP BY profile_id)"                    \
      " SELECT b.name, p.external_id, g.currency, k.amount_to_recover,"        \
      "  CASE WHEN c.amount > 0 THEN c.amount ELSE 0 END"                      \
      " FROM ewa_profiles p JOIN ewa_counters k ON k.profile = p.seq"          \
      " JOIN businesses b ON b.id = p.business_id"                             \
      " JOIN ewa_programs g ON g.id = p.program_id"                            \
      " LEFT JOIN counted c ON c.profile_id = p.id"                            \
      " WHERE ?1 IS NULL OR p.business_id = ?1"                                \
      " ORDER BY b.name, p.external_id")                                       \
    /* Since schema 22 also each profile's transactions, by its id and   \
     * linked on its chain (docs/store.md): a profile's transaction links \
     * to the one before it in rowid order, and its counters row's       \
     * last_txn is the newest.  linked - (head wrong) equals the count    \
     * only when the chain holds every transaction.  `owned` is counted   \
     * by one walk in rowid order (verifycounts.c, into                   \
     * temp.verify_owned): the definition is OWNED_SQL, a window sorting  \
     * every transaction by profile. */                                  \
    X(PROFILES_CHAINED,                                                        \
      "WITH " RECEIVABLE_MOVES ","                                            \
      " counted(profile_id, amount) AS ("                                      \
      "  SELECT profile_id, sum(amount) FROM moves"                            \
      "  WHERE profile_id IS NOT NULL GROUP BY profile_id),"                   \
      " owned(profile_id, n, linked, last) AS ("                               \
      "  SELECT profile_id, n, linked, last FROM temp.verify_owned)"           \
      " SELECT b.name, p.external_id, g.currency, k.amount_to_recover,"        \
      "  CASE WHEN c.amount > 0 THEN c.amount ELSE 0 END,"                     \
      "  coalesce(o.n, 0), coalesce(o.linked, 0)"                              \
      "  - (k.last_txn IS NOT o.last)"                                         \
      " FROM ewa_profiles p JOIN ewa_counters k ON k.profile = p.seq"          \
      " JOIN businesses b ON b.id = p.business_id"                             \
      " JOIN ewa_programs g ON g.id = p.program_id"                            \
      " LEFT JOIN counted c ON c.profile_id = p.id"                            \
      " LEFT JOIN owned o ON o.profile_id = p.id"                              \
      " WHERE ?1 IS NULL OR p.business_id = ?1"                                \
      " ORDER BY b.name, p.external_id")
/* What temp.verify_owned holds (ps_store_verify_chains()), as SQL. */
#define OWNED_SQL                                                              \
      "owned(profile_id, n, linked, last) AS ("                                \
      "  SELECT profile_id, count(*), sum(profile_prev IS prev), max(r)"       \
      "  FROM (SELECT profile_id, rowid AS r, profile_prev,"                   \
      "   lag(rowid) OVER (PARTITION BY profile_id ORDER BY rowid) AS prev"    \
      "   FROM transactions WHERE profile_id IS NOT NULL)"                     \
      "  GROUP BY profile_id)"
/* clang-format on */

PS_SQ_AREA(PS_SQ_AREA_VERIFY, VERIFY_STMTS)

/* Each GROUP BY (and the chain's window, before verifycounts.c) sorts
 * through a sorter that keeps up to the page cache's size in memory
 * before it spills to its temporary file, several at once in one
 * statement: with the store's 64 MB cache, verify took 285 MB at
 * 1,986,000 disbursements.  A smaller cache while its statements run
 * (recon.c's counters' check does the same, 8 MB); the store's own
 * after.  At 1,986,000: 32 MB 164 MB peak and 89 s; 8 MB 80-89 MB but
 * 110-130 s, the pages read again from the kernel (docs/benchmarks.md). */
#define VERIFY_CACHE_KB "32768"

static int cache_small(struct ps_store *s, struct ps_err *err)
{
    return ps_sq_exec_sql(s, "PRAGMA cache_size = -" VERIFY_CACHE_KB, err);
}

static int cache_back(struct ps_store *s, int rc, struct ps_err *err)
{
    struct ps_err e2;
    ps_err_clear(&e2);
    int rc2 = ps_sq_exec_sql(s, "PRAGMA cache_size = -" PS_STORE_CACHE_KB,
                             rc == 0 ? err : &e2);
    return rc != 0 ? rc : rc2;
}

static void read_account(sqlite3_stmt *st, struct ps_verify_account_row *r)
{
    r->id = sqlite3_column_int64(st, 0);
    COL_STR(st, 1, r->business);
    COL_STR(st, 2, r->kind);
    COL_STR(st, 3, r->currency);
    COL_STR(st, 4, r->customer);
    r->debits = sqlite3_column_int64(st, 5);
    r->credits = sqlite3_column_int64(st, 6);
    r->stored = sqlite3_column_type(st, 7) != SQLITE_NULL;
    r->stored_debits = sqlite3_column_int64(st, 7);
    r->stored_credits = sqlite3_column_int64(st, 8);
    r->cross_currency = sqlite3_column_int64(st, 9);
}

static int verify_accounts(struct ps_store *s, const char *business_id,
                             int (*cb)(void *ctx,
                                       const struct ps_verify_account_row *),
                             void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    /* A schema that stores balances (issue 21: ledger_balances'
     * debits_posted, credits_posted, schema 20) has them compared; a
     * database without them (schema 15) has none to compare. */
    int stored = sqlite3_table_column_metadata(s->db, NULL, "ledger_balances",
                                               "debits_posted", NULL, NULL,
                                               NULL, NULL, NULL) == SQLITE_OK &&
                 sqlite3_table_column_metadata(s->db, NULL, "ledger_balances",
                                               "credits_posted", NULL, NULL,
                                               NULL, NULL, NULL) == SQLITE_OK;
    int rc = prep(s,
                  !stored         ? STMT_ACCOUNTS
                  : s->fee_on_row ? STMT_ACCOUNTS_STORED_V29
                                  : STMT_ACCOUNTS_STORED,
                  &st, err);
    if (rc != 0)
        return rc;
    BIND_OPT(st, 1, business_id);
    FOR_EACH(s, st, "verify ledger accounts", err, struct ps_verify_account_row,
             read_account, cb, ctx);
}

static void read_receivable(sqlite3_stmt *st,
                            struct ps_verify_receivable_row *r)
{
    COL_STR(st, 0, r->business);
    COL_STR(st, 1, r->currency);
    r->ledger = sqlite3_column_int64(st, 2);
    r->counted = sqlite3_column_int64(st, 3);
}

static int verify_receivables(
    struct ps_store *s, const char *business_id,
    int (*cb)(void *ctx, const struct ps_verify_receivable_row *), void *ctx,
    struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, s->fee_on_row ? STMT_RECEIVABLES_V29 : STMT_RECEIVABLES,
                  &st, err);
    if (rc != 0)
        return rc;
    BIND_OPT(st, 1, business_id);
    FOR_EACH(s, st, "verify EWA receivables", err,
             struct ps_verify_receivable_row, read_receivable, cb, ctx);
}

static void read_profile(sqlite3_stmt *st, struct ps_verify_profile_row *r)
{
    COL_STR(st, 0, r->business);
    COL_STR(st, 1, r->external_id);
    COL_STR(st, 2, r->currency);
    r->stored = sqlite3_column_int64(st, 3);
    r->counted = sqlite3_column_int64(st, 4);
    r->txns = sqlite3_column_int64(st, 5);    /* NULL before 22: 0 */
    r->chained = sqlite3_column_int64(st, 6); /* the same */
}

static int verify_profiles(struct ps_store *s, const char *business_id,
                             int (*cb)(void *ctx,
                                       const struct ps_verify_profile_row *),
                             void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int chained = sqlite3_table_column_metadata(s->db, NULL, "transactions",
                                                "profile_prev", NULL, NULL,
                                                NULL, NULL, NULL) == SQLITE_OK;
    int rc = chained ? ps_store_verify_chains(s, err) : 0;
    if (rc == 0)
        rc = prep(s, chained ? STMT_PROFILES_CHAINED : STMT_PROFILES, &st,
                  err);
    if (rc != 0)
        return rc;
    BIND_OPT(st, 1, business_id);
    FOR_EACH(s, st, "verify EWA profiles", err, struct ps_verify_profile_row,
             read_profile, cb, ctx);
}

/* The three lists with the small cache (cache_small). */
int ps_store_verify_accounts(struct ps_store *s, const char *business_id,
                             int (*cb)(void *ctx,
                                       const struct ps_verify_account_row *),
                             void *ctx, struct ps_err *err)
{
    int rc = cache_small(s, err);
    if (rc == 0)
        rc = verify_accounts(s, business_id, cb, ctx, err);
    return cache_back(s, rc, err);
}

int ps_store_verify_receivables(
    struct ps_store *s, const char *business_id,
    int (*cb)(void *ctx, const struct ps_verify_receivable_row *), void *ctx,
    struct ps_err *err)
{
    int rc = cache_small(s, err);
    if (rc == 0)
        rc = verify_receivables(s, business_id, cb, ctx, err);
    return cache_back(s, rc, err);
}

int ps_store_verify_profiles(struct ps_store *s, const char *business_id,
                             int (*cb)(void *ctx,
                                       const struct ps_verify_profile_row *),
                             void *ctx, struct ps_err *err)
{
    int rc = cache_small(s, err);
    if (rc == 0)
        rc = verify_profiles(s, business_id, cb, ctx, err);
    return cache_back(s, rc, err);
}
