/*
 * ledger.c -- the store's double-entry ledger: ledger accounts
 * (created on first use and cached per connection, see struct acct_slot
 * in store_int.h), entries, balances, the trial balance, and the orphan
 * scan that stands in for the foreign keys schema v9 dropped.
 *
 * How it fails: as every store function (store.h): PS_ENOTFOUND for a
 * missing row, PS_ECONFLICT for a UNIQUE violation, PS_EINVAL (rule
 * CONSTRAINT) for a CHECK or foreign key, PS_EBUSY, PS_ESTORE.
 * The account cache never fails: when it cannot grow it stops learning
 * and the next lookup asks the database.
 */
#include "store/store.h"
#include "store/store_int.h"
#include "base/keyindex.h"

#include <stdio.h>
#include <stdlib.h>

/* Rows created in [?1, ?2); NULL bounds: every row. */
#define ORPHAN_WHEN(x)                                                         \
    " AND (?1 IS NULL OR " x ".created_at >= ?1)"                              \
    " AND (?2 IS NULL OR " x ".created_at < ?2)"

#define ORPHAN_COUNT(label, table, x, cond)                                    \
    " SELECT '" label "', count(*) FROM " table " " x " WHERE " cond           \
    ORPHAN_WHEN(x)

/* ORPHANS nests ORPHAN_COUNT() by hand. */
/* clang-format off */
#define LEDGER_BALANCE_SQL(row_debits, row_credits, row_credit_where)         \
    "SELECT (SELECT ifnull(sum(amount),0) FROM ledger_entries"                 \
    "        WHERE debit_account = ?1)"                                        \
    "     + (SELECT ifnull(sum(" row_debits "),0) FROM transactions"           \
    "        WHERE debit_account = ?1)"                                        \
    "     - (SELECT ifnull(sum(amount),0) FROM ledger_entries"                 \
    "        WHERE credit_account = ?1)"                                       \
    "     - (SELECT ifnull(sum(" row_credits "),0) FROM transactions"          \
    "        WHERE " row_credit_where ")"
#define LEDGER_KIND_BALANCE_SQL(row_debits, row_credits, row_credit_where)    \
    "WITH a AS (SELECT id FROM ledger_accounts WHERE business_id = ?"          \
    " AND kind = ? AND currency = ?)"                                          \
    " SELECT ifnull((SELECT sum(amount) FROM ledger_entries"                   \
    "  WHERE debit_account IN a), 0)"                                          \
    " + ifnull((SELECT sum(" row_debits ") FROM transactions"                  \
    "  WHERE debit_account IN a), 0)"                                          \
    " - ifnull((SELECT sum(amount) FROM ledger_entries"                        \
    "  WHERE credit_account IN a), 0)"                                         \
    " - ifnull((SELECT sum(" row_credits ") FROM transactions"                 \
    "  WHERE " row_credit_where "), 0)"
#define TRIAL_BALANCE_SQL(row_legs)                                            \
    "WITH legs(account, debit, credit, currency) AS ("                         \
    "  SELECT debit_account, amount, 0, currency FROM ledger_entries"          \
    "  UNION ALL"                                                              \
    "  SELECT credit_account, 0, amount, currency FROM ledger_entries"         \
    "  UNION ALL" row_legs ")"                                                 \
    " SELECT a.currency, sum(l.debit), sum(l.credit),"                         \
    "  sum(l.debit) - sum(l.credit),"                                          \
    "  sum(l.currency <> a.currency)"                                          \
    " FROM legs l JOIN ledger_accounts a ON a.id = l.account"                  \
    " WHERE ?1 IS NULL OR a.business_id = ?1"                                  \
    " GROUP BY a.currency ORDER BY a.currency"
#define ORPHANS_SQL(fee)                                                       \
      "WITH o(ref, n) AS ("                                                    \
      ORPHAN_COUNT("transactions.business_id", "transactions", "t",            \
                   "NOT EXISTS (SELECT 1 FROM businesses p"                    \
                   " WHERE p.id = t.business_id)")                             \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("transactions.customer_id", "transactions", "t",            \
                   "NOT EXISTS (SELECT 1 FROM customers p"                     \
                   " WHERE p.id = t.customer_id)")                             \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("transactions.account_id", "transactions", "t",             \
                   "NOT EXISTS (SELECT 1 FROM financial_accounts p"            \
                   " WHERE p.id = t.account_id)")                              \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("transactions.profile_id", "transactions", "t",             \
                   "t.profile_id IS NOT NULL AND NOT EXISTS (SELECT 1"         \
                   " FROM ewa_profiles p WHERE p.id = t.profile_id)")          \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("transactions.debit_account", "transactions", "t",          \
                   "t.debit_account IS NOT NULL AND NOT EXISTS (SELECT 1"      \
                   " FROM ledger_accounts p WHERE p.id = t.debit_account)")    \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("transactions.credit_account", "transactions", "t",         \
                   "t.credit_account IS NOT NULL AND NOT EXISTS (SELECT 1"     \
                   " FROM ledger_accounts p WHERE p.id = t.credit_account)")   \
      fee " UNION ALL"                                                         \
      ORPHAN_COUNT("transaction_history.txn_id", "transaction_history", "h",   \
                   "NOT EXISTS (SELECT 1 FROM transactions p"                  \
                   " WHERE p.id = h.txn_id)")                                  \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("ledger_entries.txn_id", "ledger_entries", "e",             \
                   "e.txn_id IS NOT NULL AND NOT EXISTS (SELECT 1"             \
                   " FROM transactions p WHERE p.id = e.txn_id)")              \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("ledger_entries.debit_account", "ledger_entries", "e",      \
                   "NOT EXISTS (SELECT 1 FROM ledger_accounts p"               \
                   " WHERE p.id = e.debit_account)")                           \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("ledger_entries.credit_account", "ledger_entries", "e",     \
                   "NOT EXISTS (SELECT 1 FROM ledger_accounts p"               \
                   " WHERE p.id = e.credit_account)")                          \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("payroll_results.profile_id", "payroll_results", "r",       \
                   "NOT EXISTS (SELECT 1 FROM ewa_profiles p"                  \
                   " WHERE p.id = r.profile_id)")                              \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("payroll_results.file_id", "payroll_results", "r",          \
                   "r.file_id IS NOT NULL AND NOT EXISTS (SELECT 1"            \
                   " FROM files p WHERE p.id = r.file_id)")                    \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("ewa_eligibility_history.profile_id",                       \
                   "ewa_eligibility_history", "h",                             \
                   "NOT EXISTS (SELECT 1 FROM ewa_profiles p"                  \
                   " WHERE p.id = h.profile_id)") ")"                          \
      " SELECT ifnull(sum(n), 0), ifnull(group_concat(ref || ' ' || n, ', ')," \
      " '') FROM o WHERE n > 0"

/* This file's statements; PS_SQ_AREA (store_int.h) gives each its
 * cached slot and defines prep(). */
#define LEDGER_STMTS(X)                                                        \
    X(LEDGER_ACCOUNT_GET,                                                      \
      "SELECT id FROM ledger_accounts WHERE business_id = ? AND kind = ?"      \
      " AND currency = ? AND ifnull(customer_id,'') = ifnull(?,'')")           \
    X(LEDGER_ACCOUNT_SCAN,                                                     \
      "SELECT id, kind, currency, customer_id FROM ledger_accounts"            \
      " WHERE business_id = ?")                                                \
    X(LEDGER_ACCOUNT_INSERT,                                                   \
      "INSERT INTO ledger_accounts(business_id, kind, currency,"               \
      " customer_id) VALUES (?,?,?,?)")                                        \
    X(LEDGER_ENTRY_INSERT,                                                     \
      "INSERT INTO ledger_entries(txn_id, reference, debit_account,"           \
      " credit_account, amount, currency, memo, created_at)"                   \
      " VALUES (?,?,?,?,?,?,?,?)")                                             \
    /* A chunk's legs, added once per account (schema v20). */          \
    X(LEDGER_BALANCE_ADD,                                                      \
      "INSERT INTO ledger_balances(account, debits_posted, credits_posted)"    \
      " VALUES (?1, ?2, ?3) ON CONFLICT (account) DO UPDATE SET"               \
      " debits_posted = ledger_balances.debits_posted"                         \
      " + excluded.debits_posted, credits_posted ="                            \
      " ledger_balances.credits_posted + excluded.credits_posted")             \
    /* The ledger is the entries and the transfers transactions carry  \
     * (schema v18; the fee's too since v29): each sum is over both. */ \
    X(LEDGER_BALANCE, LEDGER_BALANCE_SQL("amount", "amount",                   \
                                         "credit_account = ?1"))               \
    X(LEDGER_BALANCE_V29,                                                      \
      LEDGER_BALANCE_SQL(PS_ROW_DEBITS(""),                                    \
                         "CASE WHEN credit_account = ?1 THEN amount ELSE 0"    \
                         " END + CASE WHEN fee_account = ?1 THEN fee"          \
                         " ELSE 0 END",                                        \
                         "credit_account = ?1 OR fee_account = ?1"))           \
    X(LEDGER_KIND_BALANCE, LEDGER_KIND_BALANCE_SQL("amount", "amount",         \
                                                   "credit_account IN a"))     \
    X(LEDGER_KIND_BALANCE_V29,                                                 \
      LEDGER_KIND_BALANCE_SQL(PS_ROW_DEBITS(""),                               \
                              "CASE WHEN credit_account IN a THEN amount"      \
                              " ELSE 0 END + CASE WHEN fee_account IN a"       \
                              " THEN fee ELSE 0 END",                          \
                              "credit_account IN a OR fee_account IN a"))      \
    X(TRIAL_BALANCE, TRIAL_BALANCE_SQL(                                        \
      "  SELECT debit_account, amount, 0, currency FROM transactions"          \
      "  WHERE debit_account IS NOT NULL"                                      \
      "  UNION ALL"                                                            \
      "  SELECT credit_account, 0, amount, currency FROM transactions"         \
      "  WHERE credit_account IS NOT NULL"))                                   \
    X(TRIAL_BALANCE_V29, TRIAL_BALANCE_SQL(                                    \
      "  SELECT t.debit_account, " PS_ROW_AMOUNT ", 0, t.currency"             \
      "  FROM" PS_ROW_TRANSFERS_FROM " WHERE" PS_ROW_TRANSFERS_WHERE           \
      "  UNION ALL"                                                            \
      "  SELECT " PS_ROW_CREDIT ", 0, " PS_ROW_AMOUNT ", t.currency"           \
      "  FROM" PS_ROW_TRANSFERS_FROM " WHERE" PS_ROW_TRANSFERS_WHERE))         \
    X(ORPHANS, ORPHANS_SQL(""))                                                \
    X(ORPHANS_V29, ORPHANS_SQL(                                                \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("transactions.fee_account", "transactions", "t",            \
                   "t.fee_account IS NOT NULL AND NOT EXISTS (SELECT 1"        \
                   " FROM ledger_accounts p WHERE p.id = t.fee_account)")))
/* clang-format on */

PS_SQ_AREA(PS_SQ_AREA_LEDGER, LEDGER_STMTS)

static const char *const ledger_kind_names[PS_LEDGER_KIND_N] = {
    "FUNDING", "CUSTOMER", "EWA_RECEIVABLE", "FEE_INCOME"};

const char *ps_ledger_kind_name(enum ps_ledger_kind kind)
{
    return (unsigned)kind < PS_LEDGER_KIND_N ? ledger_kind_names[kind] : "?";
}

static int ledger_account_lookup(struct ps_store *s, const char *business_id,
                                 enum ps_ledger_kind kind, const char *currency,
                                 const char *customer_id, int64_t *id,
                                 struct ps_err *err);

/* Never 0 (0 marks an empty slot). */
static uint64_t key_hash(const char *k)
{
    uint64_t h = ps_hash_str(k);
    return h != 0 ? h : 1;
}

static struct acct_slot *acct_slot(struct ps_store *s, const char *key,
                                   uint64_t h)
{
    size_t mask = s->acctcap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct acct_slot *sl = &s->accts[i];
        if (sl->hash == 0 || (sl->hash == h && strcmp(sl->key, key) == 0))
            return sl;
    }
}

/* Remember key -> id; a full table is simply not grown past a bound. */
static void acct_remember(struct ps_store *s, const char *key, uint64_t h,
                          int64_t id)
{
    if ((s->naccts + 1) * 2 > s->acctcap) {
        size_t cap = s->acctcap != 0 ? s->acctcap * 2 : 1024;
        struct acct_slot *old = s->accts;
        size_t oldcap = s->acctcap;
        if (cap > ((size_t)1 << 22))
            return; /* a cache, not a copy of the table */
        struct acct_slot *n = calloc(cap, sizeof(*n));
        if (n == NULL)
            return;
        s->accts = n;
        s->acctcap = cap;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].hash != 0)
                *acct_slot(s, old[i].key, old[i].hash) = old[i];
        free(old);
    }
    struct acct_slot *sl = acct_slot(s, key, h);
    if (s->acct_depth < s->depth)
        s->acct_depth = s->depth;
    if (sl->hash == 0)
        s->naccts++;
    sl->hash = h;
    sl->id = id;
    ps_strlcpy(sl->key, key, sizeof(sl->key));
}

/* The cache's key of a ledger account. */
static void acct_key(char *key, size_t size, const char *business_id, int kind,
                     const char *currency, const char *customer_id)
{
    snprintf(key, size, "%s|%d|%s|%s", business_id, kind, currency,
             customer_id != NULL ? customer_id : "");
}

int ps_store_ledger_accounts_preload(struct ps_store *s,
                                     const char *business_id,
                                     struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    char key[sizeof(((struct acct_slot *)0)->key)];
    if (strcmp(s->acct_biz, business_id) == 0)
        return 0; /* read before, and the cache kept them since */
    int rc = prep(s, STMT_LEDGER_ACCOUNT_SCAN, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 1);
        const char *cur = (const char *)sqlite3_column_text(st, 2);
        const char *cust = (const char *)sqlite3_column_text(st, 3);
        int k = 0;
        while (k < PS_LEDGER_KIND_N && kind != NULL &&
               strcmp(kind, ledger_kind_names[k]) != 0)
            k++;
        if (k == PS_LEDGER_KIND_N || cur == NULL)
            continue; /* cannot be: CHECKs; then it is looked up */
        acct_key(key, sizeof(key), business_id, k, cur, cust);
        acct_remember(s, key, key_hash(key), sqlite3_column_int64(st, 0));
    }
    ps_sq_done(st);
    if (rc != SQLITE_DONE)
        return ps_sq_error(s, rc, "load ledger accounts", err);
    ps_strlcpy(s->acct_biz, business_id, sizeof(s->acct_biz));
    return 0;
}

int ps_store_ledger_account(struct ps_store *s, const char *business_id,
                            enum ps_ledger_kind kind, const char *currency,
                            const char *customer_id, int64_t *id,
                            struct ps_err *err)
{
    char key[sizeof(((struct acct_slot *)0)->key)];
    acct_key(key, sizeof(key), business_id, (int)kind, currency, customer_id);
    uint64_t h = key_hash(key);
    if (s->acctcap > 0) {
        struct acct_slot *sl = acct_slot(s, key, h);
        if (sl->hash != 0) {
            *id = sl->id;
            return 0;
        }
    }
    int rc = ledger_account_lookup(s, business_id, kind, currency, customer_id,
                                   id, err);
    if (rc == 0)
        acct_remember(s, key, h, *id);
    return rc;
}

static int ledger_account_lookup(struct ps_store *s, const char *business_id,
                                 enum ps_ledger_kind kind, const char *currency,
                                 const char *customer_id, int64_t *id,
                                 struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LEDGER_ACCOUNT_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, ps_ledger_kind_name(kind));
    BIND(st, 3, currency);
    BIND_OPT(st, 4, customer_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        ps_sq_done(st);
        return 0;
    }
    ps_sq_done(st);
    if (rc != SQLITE_DONE)
        return ps_sq_error(s, rc, "read ledger account", err);
    if ((rc = prep(s, STMT_LEDGER_ACCOUNT_INSERT, &st, err)) != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, ps_ledger_kind_name(kind));
    BIND(st, 3, currency);
    BIND_OPT(st, 4, customer_id);
    if ((rc = ps_sq_exec_step(s, st, "insert ledger account", err)) != 0)
        return rc;
    *id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int ps_store_ledger_entry_insert(struct ps_store *s, const char *txn_id,
                                 const char *reference, int64_t debit_account,
                                 int64_t credit_account, int64_t amount,
                                 const char *currency, const char *memo,
                                 const char *at, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LEDGER_ENTRY_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND_OPT(st, 1, txn_id);
    BIND_OPT(st, 2, reference);
    BIND_INT(st, 3, debit_account);
    BIND_INT(st, 4, credit_account);
    BIND_INT(st, 5, amount);
    BIND(st, 6, currency);
    BIND(st, 7, memo);
    BIND(st, 8, at);
    if ((rc = ps_sq_exec_step(s, st, "insert ledger entry", err)) != 0 ||
        (rc = ps_store_recon_entry_day(s, sqlite3_last_insert_rowid(s->db),
                                       at, err)) != 0)
        return rc;
    return ps_store_balance_post(s, debit_account, credit_account, amount,
                                 currency, at, err);
}

/* ---- the balances on narrow account rows (schema v20) ---------------- */

static int leg_append(struct ps_store *s, int64_t account, int64_t debit,
                      int64_t credit, const char *currency, const char *at,
                      struct ps_err *err)
{
    if (s->nlegs == s->legcap) {
        size_t cap = s->legcap != 0 ? s->legcap * 2 : 4096;
        struct ps_leg *n = realloc(s->legs, cap * sizeof(*n));
        if (n == NULL)
            return ps_err_set(err, PS_ENOMEM, "ENOMEM",
                              "no memory for a transaction's ledger legs");
        s->legs = n;
        s->legcap = cap;
    }
    struct ps_leg *l = &s->legs[s->nlegs++];
    l->account = account;
    l->debit = debit;
    l->credit = credit;
    l->n = 1;
    ps_strlcpy(l->currency, currency, sizeof(l->currency));
    ps_strlcpy(l->day, at != NULL ? at : "", sizeof(l->day));
    return 0;
}

int ps_store_balance_leg(struct ps_store *s, int64_t account, int64_t debit,
                         int64_t credit, const char *currency, const char *at,
                         struct ps_err *err)
{
    if (!s->balances)
        return 0;
    int rc = leg_append(s, account, debit, credit, currency, at, err);
    /* Outside a transaction the posting is its own: so are its legs. */
    return rc == 0 && s->depth == 0 ? ps_store_balance_flush(s, err) : rc;
}

int ps_store_balance_post(struct ps_store *s, int64_t debit_account,
                          int64_t credit_account, int64_t amount,
                          const char *currency, const char *at,
                          struct ps_err *err)
{
    if (!s->balances)
        return 0;
    int rc = leg_append(s, debit_account, amount, 0, currency, at, err);
    if (rc == 0)
        rc = leg_append(s, credit_account, 0, amount, currency, at, err);
    return rc == 0 && s->depth == 0 ? ps_store_balance_flush(s, err) : rc;
}

/* By account, then currency and day (the day totals' keys). */
static int leg_order(const void *a, const void *b)
{
    const struct ps_leg *x = a, *y = b;
    if (x->account != y->account)
        return (x->account > y->account) - (x->account < y->account);
    int c = strcmp(x->currency, y->currency);
    return c != 0 ? c : strcmp(x->day, y->day);
}

static int same_key(const struct ps_leg *x, const struct ps_leg *y)
{
    return x->account == y->account && strcmp(x->currency, y->currency) == 0 &&
           strcmp(x->day, y->day) == 0;
}

/* Debits = credits in each currency of the legs, else LEDGER_UNBALANCED. */
static int legs_balanced(const struct ps_store *s, struct ps_err *err)
{
    struct {
        char currency[4];
        int64_t debits, credits;
    } cur[8];
    size_t ncur = 0;
    for (size_t i = 0; i < s->nlegs; i++) {
        const struct ps_leg *l = &s->legs[i];
        size_t c = 0;
        while (c < ncur && strcmp(cur[c].currency, l->currency) != 0)
            c++;
        if (c == ncur) {
            if (ncur == sizeof(cur) / sizeof(cur[0]))
                return ps_err_set(err, PS_EINTERNAL, "LEDGER_UNBALANCED",
                                  "more than %zu currencies in one "
                                  "transaction",
                                  ncur);
            memcpy(cur[ncur].currency, l->currency, sizeof(l->currency));
            cur[ncur].debits = cur[ncur].credits = 0;
            ncur++;
        }
        cur[c].debits += l->debit;
        cur[c].credits += l->credit;
    }
    for (size_t c = 0; c < ncur; c++)
        if (cur[c].debits != cur[c].credits)
            return ps_err_set(err, PS_EINTERNAL, "LEDGER_UNBALANCED",
                              "the ledger legs of this transaction do not "
                              "balance in %s: debits %lld, credits %lld; "
                              "nothing of it is committed",
                              cur[c].currency, (long long)cur[c].debits,
                              (long long)cur[c].credits);
    return 0;
}

/*
 * The legs summed per account, currency and day (the day totals' keys:
 * nearly always one currency and one day an account), in place at the
 * front of s->legs; returns how many sums.  A chunk of 50,000
 * disbursements posts ~200,000 legs to ~45,000 accounts: summing them
 * first through a hash table leaves the sort (below) a quarter of the
 * work (it was 2% of a run), and the day totals a quarter of the legs,
 * in account order.
 */
static size_t legs_by_account(struct ps_store *s, struct ps_err *err,
                              int *rc)
{
    size_t cap = 64, n = 0;
    while (cap < s->nlegs * 2)
        cap *= 2;
    uint32_t *slot = calloc(cap, sizeof(*slot)); /* index + 1, 0 empty */
    *rc = 0;
    if (slot == NULL) {
        *rc = ps_err_set(err, PS_ENOMEM, "ENOMEM",
                         "no memory to sum a transaction's ledger legs");
        return 0;
    }
    for (size_t i = 0; i < s->nlegs; i++) {
        const struct ps_leg l = s->legs[i];
        size_t h = (size_t)(((uint64_t)l.account * 0x9E3779B97F4A7C15ULL) >>
                            32) &
                   (cap - 1);
        for (;; h = (h + 1) & (cap - 1)) {
            if (slot[h] == 0) {
                slot[h] = (uint32_t)(n + 1);
                s->legs[n++] = l; /* n <= i: never one not yet read */
                break;
            }
            struct ps_leg *a = &s->legs[slot[h] - 1];
            if (same_key(a, &l)) {
                a->debit += l.debit;
                a->credit += l.credit;
                a->n += l.n;
                break;
            }
        }
    }
    free(slot);
    return n;
}

int ps_store_balance_flush(struct ps_store *s, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (s->nlegs == 0)
        return 0;
    if ((rc = legs_balanced(s, err)) != 0 ||
        (rc = prep(s, STMT_LEDGER_BALANCE_ADD, &st, err)) != 0)
        return rc;
    size_t n = legs_by_account(s, err, &rc);
    if (rc != 0)
        return rc;
    s->nlegs = n; /* summed: a failure below rolls the transaction back */
    /* In account order: each page of ledger_accounts visited once. */
    qsort(s->legs, n, sizeof(*s->legs), leg_order);
    /* The day totals of the account kinds (schema v24), same commit,
     * from every leg (a leg's day and currency count there). */
    if ((rc = ps_store_recon_legs(s, s->legs, n, err)) != 0)
        return rc;
    for (size_t i = 0; i < n;) {
        /* An account's sums of each currency and day, added as one. */
        int64_t account = s->legs[i].account, debit = 0, credit = 0;
        for (; i < n && s->legs[i].account == account; i++) {
            debit += s->legs[i].debit;
            credit += s->legs[i].credit;
        }
        BIND_INT(st, 1, account);
        BIND_INT(st, 2, debit);
        BIND_INT(st, 3, credit);
        if ((rc = ps_sq_exec_one(s, st, "add to a ledger account's balance",
                                 PS_ENOTFOUND, err)) != 0)
            return rc;
    }
    s->nlegs = 0;
    return 0;
}

int ps_store_ledger_balance(struct ps_store *s, int64_t account_id,
                            int64_t *balance, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, s->fee_on_row ? STMT_LEDGER_BALANCE_V29 : STMT_LEDGER_BALANCE, &st,
                  err);
    if (rc != 0)
        return rc;
    BIND_INT(st, 1, account_id);
    GET_ONE(s, st, "ledger balance", err,
            *balance = sqlite3_column_int64(st, 0));
}

int ps_store_ledger_kind_balance(struct ps_store *s, const char *business_id,
                                 enum ps_ledger_kind kind, const char *currency,
                                 int64_t *balance, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s,
                  s->fee_on_row ? STMT_LEDGER_KIND_BALANCE_V29
                                : STMT_LEDGER_KIND_BALANCE,
                  &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, ps_ledger_kind_name(kind));
    BIND(st, 3, currency);
    GET_ONE(s, st, "ledger balance", err,
            *balance = sqlite3_column_int64(st, 0));
}

static void read_trial(sqlite3_stmt *st, struct ps_trial_row *r)
{
    COL_STR(st, 0, r->currency);
    r->debits = sqlite3_column_int64(st, 1);
    r->credits = sqlite3_column_int64(st, 2);
    r->balance = sqlite3_column_int64(st, 3);
    r->mismatched = sqlite3_column_int64(st, 4);
}

int ps_store_trial_balance(struct ps_store *s, const char *business_id,
                           int (*cb)(void *, const struct ps_trial_row *),
                           void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, s->fee_on_row ? STMT_TRIAL_BALANCE_V29 : STMT_TRIAL_BALANCE, &st,
                  err);
    if (rc != 0)
        return rc;
    BIND_OPT(st, 1, business_id);
    FOR_EACH(s, st, "trial balance", err, struct ps_trial_row, read_trial, cb,
             ctx);
}

int ps_store_orphans(struct ps_store *s, const char *from, const char *to,
                     int64_t *n, char *detail, size_t size, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, s->fee_on_row ? STMT_ORPHANS_V29 : STMT_ORPHANS, &st, err);
    if (rc != 0)
        return rc;
    BIND_OPT(st, 1, from);
    BIND_OPT(st, 2, to);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        ps_sq_done(st);
        return ps_sq_error(s, rc, "look for rows without their parent", err);
    }
    *n = sqlite3_column_int64(st, 0);
    ps_sq_col_str(st, 1, detail, size);
    ps_sq_done(st);
    return 0;
}
