/*
 * provider.c -- the store's side of outbound payment files: the
 * payout (push-to-card) and ACH candidates, ACH trace numbers, the
 * `outputs` and `output_items` of every file written, and the provider's
 * answers applied.
 *
 * How it fails: as every store function (store.h): PS_ENOTFOUND for a
 * missing row, PS_ECONFLICT for a UNIQUE violation, PS_EINVAL (rule
 * CONSTRAINT) for a CHECK or foreign key, PS_EBUSY, PS_ESTORE.
 */
#include "store/store.h"
#include "store/store_int.h"
#include "base/keyindex.h"
#include "base/money.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* A push-to-card send of business ?1.  Its account and customer must be
 * active and of that business too: checked in C (candidates), each
 * customer and account read once a call instead of two lookups a row. */
#define PAYOUT_DUE                                                             \
    " AND business_id = ?1 AND type = 'SEND' AND rail = 'PUSH_TO_CARD'"

/* An ACH transaction of business ?1 on an active bank account of an
 * active customer; a debit only under an active authorization. */
#define ACH_DUE                                                                \
    " AND business_id = ?1 AND rail = 'ACH'"                                   \
    " AND EXISTS (SELECT 1 FROM financial_accounts a"                          \
    "   WHERE a.id = t.account_id AND a.business_id = ?1"                      \
    "   AND a.status = 'ACTIVE' AND a.kind = 'EXTERNAL_BANK')"                 \
    " AND EXISTS (SELECT 1 FROM customers c"                                   \
    "   WHERE c.id = t.customer_id AND c.business_id = ?1"                     \
    "   AND c.status = 'ACTIVE')"                                              \
    " AND (type = 'SEND' OR EXISTS (SELECT 1 FROM debit_authorizations d"      \
    "   WHERE d.account_id = t.account_id AND d.status = 'ACTIVE'))"

/* Not yet handed to a provider: NEW, or PENDING before its first
 * attempt (SUBMIT without TRANSMIT).  A retry (PENDING after a provider
 * error, attempts > 0) is found by the partial index transactions_retry
 * instead, wherever it lies below the watermark (docs/store.md). */
#define FRESH " (status = 'NEW' OR (status = 'PENDING' AND attempts = 0))"
#define RETRY " status = 'PENDING' AND attempts > 0"

/* This file's statements; PS_SQ_AREA (store_int.h) gives each its
 * cached slot and defines prep().  The candidates: the retries, then the
 * fresh rows above the rail's watermark ?3, each in row order. */
#define PROVIDER_STMTS(X)                                                      \
    X(PAYOUT_RETRIES, "SELECT " TXN_COLS " FROM transactions t WHERE" RETRY   \
                      PAYOUT_DUE " ORDER BY rowid LIMIT ?2")                   \
    X(PAYOUT_FRESH, "SELECT " TXN_COLS " FROM transactions t"                  \
                    " WHERE rowid > ?3 AND" FRESH PAYOUT_DUE                   \
                    " ORDER BY rowid LIMIT ?2")                                \
    X(ACH_RETRIES, "SELECT " TXN_COLS " FROM transactions t WHERE" RETRY      \
                   ACH_DUE " ORDER BY rowid LIMIT ?2")                         \
    X(ACH_FRESH, "SELECT " TXN_COLS " FROM transactions t"                     \
                 " WHERE rowid > ?3 AND" FRESH ACH_DUE                         \
                 " ORDER BY rowid LIMIT ?2")                                   \
    /* A payee's one read: whether active, and what the file needs of it   \
     * (the holder's name parts; the sealed card number). */               \
    X(CUSTOMER_ACTIVE, "SELECT status = 'ACTIVE', type = 'BUSINESS',"         \
                       " ifnull(first_name,''), ifnull(middle_name,''),"      \
                       " ifnull(last_name,''), ifnull(dba_name,'')"           \
                       " FROM customers WHERE id = ?1 AND business_id = ?2")  \
    X(ACCOUNT_ACTIVE, "SELECT status = 'ACTIVE', sealed"                      \
                      " FROM financial_accounts"                               \
                      " WHERE id = ?1 AND business_id = ?2")                   \
    /* The same of every customer or account of the business, when a run   \
     * needs so many that one pass in row order beats a random lookup      \
     * each (active_fill): NOT INDEXED, or the planner walks the           \
     * business's index and reads the rows at random. */                   \
    X(CUSTOMER_SCAN, "SELECT id, status = 'ACTIVE', type = 'BUSINESS',"       \
                     " ifnull(first_name,''), ifnull(middle_name,''),"        \
                     " ifnull(last_name,''), ifnull(dba_name,'')"             \
                     " FROM customers NOT INDEXED WHERE business_id = ?1")    \
    X(ACCOUNT_SCAN, "SELECT id, status = 'ACTIVE', sealed"                    \
                    " FROM financial_accounts NOT INDEXED"                     \
                    " WHERE business_id = ?1")                                 \
    X(CUSTOMER_ROWS, "SELECT ifnull(max(rowid), 0) FROM customers")           \
    X(ACCOUNT_ROWS, "SELECT ifnull(max(rowid), 0) FROM financial_accounts")   \
    X(MARK_GET, "SELECT last_seq, ifnull(last_id, '') FROM outbound_marks"     \
                " WHERE business_id = ?1 AND rail = ?2")                       \
    X(MARK_ROW_ID, "SELECT id FROM transactions WHERE rowid = ?1")             \
    X(MARK_FIRST_FRESH, "SELECT min(rowid) FROM transactions"                  \
                        " WHERE rowid > ?3 AND business_id = ?1"               \
                        " AND rail = ?2 AND" FRESH)                            \
    X(MARK_BELOW, "SELECT rowid, id FROM transactions WHERE rowid < ?1"        \
                  " ORDER BY rowid DESC LIMIT 1")                              \
    X(MARK_SET,                                                                \
      "INSERT INTO outbound_marks(business_id, rail, last_seq, last_id)"       \
      " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (business_id, rail)"               \
      " DO UPDATE SET last_seq = excluded.last_seq,"                           \
      " last_id = excluded.last_id")                                           \
    X(ACH_TRACE_MAX,                                                           \
      "SELECT ifnull(max(CAST(substr(trace_number, 9) AS INTEGER)), 0)"        \
      " FROM transactions WHERE business_id = ? AND rail = 'ACH'"              \
      " AND substr(trace_number, 1, 8) = ?")                                   \
    X(OUTPUT_NEXT_SEQ,                                                         \
      "SELECT ifnull(max(seq), 0) + 1 FROM outputs"                            \
      " WHERE business_id = ? AND kind = ? AND business_date = ?")             \
    X(OUTPUT_INSERT,                                                           \
      "INSERT INTO outputs(id, business_id, kind, business_date, seq, path,"   \
      " sha256, records, debit_total, credit_total, file_key, created_at,"     \
      " detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")                           \
    X(OUTPUT_ITEM_INSERT,                                                      \
      "INSERT INTO output_items(output_id, txn_id, line, attempt,"             \
      " holder_name, detail) VALUES (?,?,?,?,?,?)")                            \
    X(OUTPUT_LIST,                                                             \
      "SELECT id, business_id, kind, business_date, seq, path,"                \
      " ifnull(sha256,''), records, debit_total, credit_total, created_at,"    \
      " ifnull(file_key,''), ifnull(detail,'')"                                \
      " FROM outputs WHERE business_id = ? AND kind = ?"                       \
      " ORDER BY business_date, seq")                                          \
    X(OUTPUT_ITEMS,                                                            \
      "SELECT i.txn_id, ifnull(i.line, 0), ifnull(i.attempt, 0),"              \
      " ifnull(i.holder_name, ''), t.account_id, t.amount, t.currency,"        \
      " ifnull(i.detail, '')"                                                  \
      " FROM output_items i JOIN transactions t ON t.id = i.txn_id"            \
      " WHERE i.output_id = ? ORDER BY i.line")                                \
    X(ANSWER_EXISTS, "SELECT 1 FROM provider_answers WHERE txn_id = ?1"      \
                     " AND attempt = ?2 AND status = ?3")                     \
    X(ANSWER_INSERT,                                                           \
      "INSERT INTO provider_answers(txn_id, attempt, status, business_id,"     \
      " reason_code, message, settlement_date, amount, source_file,"           \
      " source_line, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)")          \
    X(ANSWER_SUM_ADD,                                                          \
      "INSERT INTO answer_sums(business_id, status, currency, answers,"        \
      " amount) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (business_id,"         \
      " status, currency) DO UPDATE SET"                                       \
      " answers = answer_sums.answers + excluded.answers,"                     \
      " amount = answer_sums.amount + excluded.amount")

PS_SQ_AREA(PS_SQ_AREA_PROVIDER, PROVIDER_STMTS)

/* The rail's watermark: every transaction at or below it is not fresh
 * (FRESH) for the rail.  A mark whose row no longer has the id it had
 * (rowids renumbered, as VACUUM may do to a table with a TEXT key) is
 * not trusted: 0, a scan from the start. */
static int mark_get(struct ps_store *s, const char *business_id,
                    const char *rail, int64_t *mark, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    char id[PS_ID_SIZE] = "", at[PS_ID_SIZE] = "";
    int rc = prep(s, STMT_MARK_GET, &st, err);
    *mark = 0;
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, rail);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *mark = sqlite3_column_int64(st, 0);
        COL_STR(st, 1, id);
    }
    ps_sq_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ps_sq_error(s, rc, "read an outbound watermark", err);
    if (*mark <= 0)
        return 0;
    if ((rc = prep(s, STMT_MARK_ROW_ID, &st, err)) != 0)
        return rc;
    BIND_INT(st, 1, *mark);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
        COL_STR(st, 0, at);
    ps_sq_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ps_sq_error(s, rc, "check an outbound watermark", err);
    if (strcmp(at, id) != 0)
        *mark = 0;
    return 0;
}

/* Whether ids are active, and what a payout needs of them, as read once
 * each (candidates): an open-addressing table of id -> 0/1 and the
 * row's bytes (payee_bytes) in a pool, doubled at half full.  Once its
 * lookups pass a sixteenth of the table's rows (active_many), the set reads every row
 * of the business in one pass (active_fill) and is `full`: an id not in
 * it is not the business's, as a lookup would find. */
struct active_slot {
    char id[PS_ID_SIZE];
    int active; /* -1: empty slot */
    size_t off, len; /* the row's bytes in the pool */
};
struct active_set {
    struct active_slot *v;
    size_t cap, n;
    unsigned char *pool;
    size_t used, size;
    int full;
    long lookups;
    int64_t rows; /* the table's largest row id; -1: not read yet */
};

/* The sets of payout candidates kept from one file of a run to the next
 * (ps_store_payout_payees_keep): valid while no connection has written
 * since (data_version: the others; total_changes: this one). */
struct ps_payee_cache {
    char business[PS_ID_SIZE];
    struct active_set sets[2];
    int stamped;
    int64_t data_version, changes;
};

static struct active_slot *active_slot(struct active_slot *v, size_t cap,
                                       const char *id)
{
    size_t i = (size_t)ps_hash_str(id) & (cap - 1);
    while (v[i].active >= 0 && strcmp(v[i].id, id) != 0)
        i = (i + 1) & (cap - 1);
    return &v[i];
}

static int active_grow(struct active_set *a)
{
    size_t cap = a->cap > 0 ? a->cap * 2 : 1024;
    struct active_slot *v = malloc(cap * sizeof(*v));
    if (v == NULL)
        return -1;
    for (size_t i = 0; i < cap; i++)
        v[i].active = -1;
    for (size_t i = 0; i < a->cap; i++)
        if (a->v[i].active >= 0)
            *active_slot(v, cap, a->v[i].id) = a->v[i];
    free(a->v);
    a->v = v;
    a->cap = cap;
    return 0;
}

/* The payee bytes of the row st stands on: a customer's kind byte and
 * its four name parts, each NUL-terminated (CUSTOMER_ACTIVE); an
 * account's sealed number (ACCOUNT_ACTIVE), appended to a's pool. */
static int payee_bytes(struct active_set *a, sqlite3_stmt *st, int base,
                       struct active_slot *sl)
{
    int ncol = sqlite3_column_count(st);
    size_t need = 1;
    for (int c = base + 1; c < ncol; c++)
        need += (size_t)sqlite3_column_bytes(st, c) + 1;
    if (a->used + need > a->size) {
        size_t sz = a->size > 0 ? a->size : 65536;
        while (a->used + need > sz)
            sz *= 2;
        unsigned char *p = realloc(a->pool, sz);
        if (p == NULL)
            return -1;
        a->pool = p;
        a->size = sz;
    }
    sl->off = a->used;
    if (ncol - base == 2) { /* the sealed number: its bytes alone */
        const void *b = sqlite3_column_blob(st, base + 1);
        size_t n = (size_t)sqlite3_column_bytes(st, base + 1);
        if (n > 0)
            memcpy(a->pool + a->used, b, n);
        a->used += n;
    } else {
        a->pool[a->used++] = (unsigned char)sqlite3_column_int(st, base + 1);
        for (int c = base + 2; c < ncol; c++) {
            const unsigned char *t = sqlite3_column_text(st, c);
            size_t n = (size_t)sqlite3_column_bytes(st, c);
            if (n > 0)
                memcpy(a->pool + a->used, t, n);
            a->used += n;
            a->pool[a->used++] = '\0';
        }
    }
    sl->len = a->used - sl->off;
    return 0;
}

/* Every customer or account of the business into a (scan: CUSTOMER_SCAN,
 * ACCOUNT_SCAN); a is full then. */
static int active_fill(struct ps_store *s, struct active_set *a, int scan,
                       const char *business_id, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, scan, &st, err), oom = 0;
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        struct active_slot *sl;
        if (id == NULL || ((a->n + 1) * 2 > a->cap && active_grow(a) != 0)) {
            oom = id != NULL;
            continue;
        }
        sl = active_slot(a->v, a->cap, id);
        if (sl->active >= 0)
            continue; /* looked up already */
        sl->off = sl->len = 0;
        sl->active = sqlite3_column_int(st, 1) == 1;
        if (sl->active && payee_bytes(a, st, 1, sl) != 0) {
            sl->active = -1;
            oom = 1;
            continue;
        }
        ps_strlcpy(sl->id, id, sizeof(sl->id));
        a->n++;
    }
    ps_sq_done(st);
    if (oom)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if (rc != SQLITE_DONE)
        return ps_sq_error(s, rc, "read customers or accounts", err);
    a->full = 1;
    return 0;
}

/* Whether a's lookups have come to a sixteenth of the table's rows (of
 * statement `rows`), and to 64: a pass over the business's rows is
 * cheaper then (1M rows: 62,500 random reads against one pass). */
static int active_many(struct ps_store *s, struct active_set *a, int rows,
                       int *many, struct ps_err *err)
{
    *many = 0;
    if (a->rows < 0) {
        sqlite3_stmt *st = NULL;
        int rc = prep(s, rows, &st, err);
        if (rc != 0)
            return rc;
        rc = sqlite3_step(st);
        a->rows = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        ps_sq_done(st);
        if (rc != SQLITE_ROW)
            return ps_sq_error(s, rc, "count customers or accounts", err);
    }
    *many = a->lookups >= 64 && a->lookups >= a->rows / 16;
    return 0;
}

/* *sl: the slot of row id of statement `which` (CUSTOMER_ACTIVE,
 * ACCOUNT_ACTIVE), its active flag 1 when ACTIVE and of business_id,
 * read once per set. */
static int active_get(struct ps_store *s, struct active_set *a, int which,
                      const char *id, const char *business_id,
                      const struct active_slot **out, struct ps_err *err)
{
    struct active_slot *sl;
    sqlite3_stmt *st = NULL;
    int rc, oom = 0, many = 0, cust = which == STMT_CUSTOMER_ACTIVE;
    if (!a->full &&
        ((rc = active_many(s, a, cust ? STMT_CUSTOMER_ROWS : STMT_ACCOUNT_ROWS,
                           &many, err)) != 0 ||
         (many && (rc = active_fill(s, a,
                                    cust ? STMT_CUSTOMER_SCAN
                                         : STMT_ACCOUNT_SCAN,
                                    business_id, err)) != 0)))
        return rc;
    if ((a->n + 1) * 2 > a->cap && active_grow(a) != 0)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    sl = active_slot(a->v, a->cap, id);
    *out = sl;
    if (sl->active >= 0)
        return 0;
    if (a->full) { /* not the business's */
        ps_strlcpy(sl->id, id, sizeof(sl->id));
        sl->active = 0;
        sl->off = sl->len = 0;
        a->n++;
        return 0;
    }
    a->lookups++;
    if ((rc = prep(s, which, &st, err)) != 0)
        return rc;
    BIND(st, 1, id);
    BIND(st, 2, business_id);
    sl->off = sl->len = 0;
    int active = (rc = sqlite3_step(st)) == SQLITE_ROW &&
                 sqlite3_column_int(st, 0) == 1;
    if (active)
        oom = payee_bytes(a, st, 0, sl) != 0;
    ps_sq_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ps_sq_error(s, rc, "read a customer or account status", err);
    if (oom)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    ps_strlcpy(sl->id, id, sizeof(sl->id));
    sl->active = active;
    a->n++;
    return 0;
}

/* Whether payout candidate t's customer and account are both active
 * and of its business (PAYOUT_DUE's other half); *p its payee then. */
static int payout_due(struct ps_store *s, struct active_set *sets,
                      const struct ps_txn *t, int *due, struct ps_payout_payee *p,
                      struct ps_err *err)
{
    const struct active_slot *c = NULL, *a = NULL;
    int rc = active_get(s, &sets[0], STMT_CUSTOMER_ACTIVE, t->customer_id,
                        t->business_id, &c, err);
    *due = rc == 0 && c->active == 1;
    if (rc == 0 && *due) {
        rc = active_get(s, &sets[1], STMT_ACCOUNT_ACTIVE, t->account_id,
                        t->business_id, &a, err);
        *due = rc == 0 && a->active == 1;
    }
    if (rc != 0 || !*due)
        return rc;
    const char *names = (const char *)sets[0].pool + c->off;
    p->business = names[0] == 1;
    p->first_name = names + 1;
    p->middle_name = p->first_name + strlen(p->first_name) + 1;
    p->last_name = p->middle_name + strlen(p->middle_name) + 1;
    p->dba_name = p->last_name + strlen(p->last_name) + 1;
    p->sealed = sets[1].pool + a->off;
    p->sealed_len = a->len;
    return 0;
}

/* Where candidates' rows go: cb (with the payee on payouts) */
struct cand_sink {
    int (*cb)(void *ctx, const struct ps_txn *);
    int (*pcb)(void *ctx, const struct ps_txn *, const struct ps_payout_payee *);
    void *ctx;
};

/* Rows of statement `which` (business ?1, limit ?2, mark ?3) to the
 * sink; *n counts them.  With sets (payouts), only the rows payout_due
 * passes, up to limit (the statement then has none). */
static int candidates(struct ps_store *s, int which, const char *business_id,
                      long limit, int64_t mark, struct active_set *sets,
                      const struct cand_sink *k, long *n, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, which, &st, err), due = 1;
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND_INT(st, 2, limit > 0 && sets == NULL ? limit : -1);
    if (which == STMT_PAYOUT_FRESH || which == STMT_ACH_FRESH)
        BIND_INT(st, 3, mark);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct ps_txn t;
        struct ps_payout_payee p;
        memset(&t, 0, sizeof(t));
        memset(&p, 0, sizeof(p));
        ps_store_txn_read(st, &t);
        if (sets != NULL && payout_due(s, sets, &t, &due, &p, err) != 0) {
            ps_sq_done(st);
            return err->code;
        }
        if (!due)
            continue;
        (*n)++;
        if ((k->pcb != NULL ? k->pcb(k->ctx, &t, &p) : k->cb(k->ctx, &t)) !=
                0 ||
            (limit > 0 && *n >= limit))
            break;
    }
    ps_sq_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ps_sq_error(s, rc, "select outbound transactions", err);
    return 0;
}

static int due(struct ps_store *s, const char *business_id, const char *rail,
               int retries, int fresh, long limit, struct active_set *sets,
               const struct cand_sink *k, struct ps_err *err)
{
    int64_t mark;
    long n = 0;
    int rc = mark_get(s, business_id, rail, &mark, err);
    if (rc == 0)
        rc = candidates(s, retries, business_id, limit, 0, sets, k, &n, err);
    if (rc == 0 && (limit <= 0 || n < limit))
        rc = candidates(s, fresh, business_id, limit > 0 ? limit - n : 0, mark,
                        sets, k, &n, err);
    return rc;
}

static void sets_free(struct active_set *sets)
{
    for (int i = 0; i < 2; i++) {
        /* the pool of accounts holds sealed numbers: wiped all the same */
        if (sets[i].pool != NULL)
            sodium_memzero(sets[i].pool, sets[i].used);
        free(sets[i].pool);
        free(sets[i].v);
        memset(&sets[i], 0, sizeof(sets[i]));
        sets[i].rows = -1;
    }
}

/* Writes by other connections (PRAGMA data_version) and by this one. */
static int write_stamp(struct ps_store *s, int64_t *dv, int64_t *changes,
                       struct ps_err *err)
{
    int rc = ps_store_data_version(s, dv, err);
    *changes = sqlite3_total_changes64(s->db);
    return rc;
}

static int payouts_due(struct ps_store *s, const char *business_id,
                       long limit, const struct cand_sink *k,
                       struct ps_err *err)
{
    struct active_set own[2];
    struct ps_payee_cache *c = s->payees;
    int64_t dv = 0, changes = 0;
    int rc;
    /* Kept sets only inside a write transaction (BEGIN IMMEDIATE): no
     * other connection commits from its start, when data_version is
     * read, to its end.  Else (ps_store_payout_candidates) this call's
     * own. */
    if (c == NULL || s->depth == 0) {
        memset(own, 0, sizeof(own));
        own[0].rows = own[1].rows = -1;
        rc = due(s, business_id, "PUSH_TO_CARD", STMT_PAYOUT_RETRIES,
                 STMT_PAYOUT_FRESH, limit, own, k, err);
        sets_free(own);
        return rc;
    }
    if ((rc = write_stamp(s, &dv, &changes, err)) != 0)
        return rc;
    if (!c->stamped || c->data_version != dv || c->changes != changes ||
        strcmp(c->business, business_id) != 0) {
        sets_free(c->sets);
        ps_strlcpy(c->business, business_id, sizeof(c->business));
    }
    c->stamped = 0; /* until ps_store_payout_payees_keep() */
    rc = due(s, business_id, "PUSH_TO_CARD", STMT_PAYOUT_RETRIES,
             STMT_PAYOUT_FRESH, limit, c->sets, k, err);
    if (rc != 0)
        sets_free(c->sets);
    return rc;
}

int ps_store_payout_candidates(struct ps_store *s, const char *business_id,
                               long limit,
                               int (*cb)(void *ctx, const struct ps_txn *),
                               void *ctx, struct ps_err *err)
{
    const struct cand_sink k = {cb, NULL, ctx};
    struct ps_payee_cache *c = s->payees;
    s->payees = NULL; /* its own sets */
    int rc = payouts_due(s, business_id, limit, &k, err);
    s->payees = c;
    return rc;
}

int ps_store_payout_payees(struct ps_store *s, const char *business_id,
                           long limit,
                           int (*cb)(void *ctx, const struct ps_txn *,
                                     const struct ps_payout_payee *),
                           void *ctx, struct ps_err *err)
{
    const struct cand_sink k = {NULL, cb, ctx};
    if (s->payees == NULL) {
        if ((s->payees = calloc(1, sizeof(*s->payees))) == NULL)
            return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        s->payees->sets[0].rows = s->payees->sets[1].rows = -1;
    }
    return payouts_due(s, business_id, limit, &k, err);
}

void ps_store_payout_payees_keep(struct ps_store *s)
{
    struct ps_payee_cache *c = s->payees;
    struct ps_err err;
    if (c == NULL)
        return;
    if (s->depth != 0 ||
        write_stamp(s, &c->data_version, &c->changes, &err) != 0)
        ps_store_payout_payees_drop(s); /* read again next time */
    else
        c->stamped = 1;
}

void ps_store_payout_payees_drop(struct ps_store *s)
{
    if (s->payees == NULL)
        return;
    sets_free(s->payees->sets);
    free(s->payees);
    s->payees = NULL;
}

int ps_store_ach_candidates(struct ps_store *s, const char *business_id,
                            int (*cb)(void *ctx, const struct ps_txn *),
                            void *ctx, struct ps_err *err)
{
    const struct cand_sink k = {cb, NULL, ctx};
    return due(s, business_id, "ACH", STMT_ACH_RETRIES, STMT_ACH_FRESH, 0,
               NULL, &k, err);
}

int ps_store_outbound_mark_advance(struct ps_store *s, const char *business_id,
                                   enum ps_rail rail, struct ps_err *err)
{
    const char *r = ps_enum_name(PS_NAMES_RAIL, (int)rail);
    sqlite3_stmt *st = NULL;
    int64_t mark, first = INT64_MAX, seq = 0;
    char id[PS_ID_SIZE] = "";
    int rc = mark_get(s, business_id, r, &mark, err);
    if (rc != 0 || (rc = prep(s, STMT_MARK_FIRST_FRESH, &st, err)) != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, r);
    BIND_INT(st, 3, mark);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL)
        first = sqlite3_column_int64(st, 0);
    ps_sq_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ps_sq_error(s, rc, "find the first fresh transaction", err);
    /* The new mark: the last row below the first one still fresh. */
    if ((rc = prep(s, STMT_MARK_BELOW, &st, err)) != 0)
        return rc;
    BIND_INT(st, 1, first);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        seq = sqlite3_column_int64(st, 0);
        COL_STR(st, 1, id);
    }
    ps_sq_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ps_sq_error(s, rc, "read the watermark's row", err);
    if (seq <= mark)
        return 0; /* nothing passed */
    if ((rc = prep(s, STMT_MARK_SET, &st, err)) != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, r);
    BIND_INT(st, 3, seq);
    BIND(st, 4, id);
    return ps_sq_exec_step(s, st, "set an outbound watermark", err);
}

int ps_store_ach_trace_max(struct ps_store *s, const char *business_id,
                           const char *odfi, long *max, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ACH_TRACE_MAX, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, odfi);
    GET_ONE(s, st, "trace sequence", err,
            *max = (long)sqlite3_column_int64(st, 0));
}

int ps_store_output_next_seq(struct ps_store *s, const char *business_id,
                             const char *kind, const char *business_date,
                             int *seq, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_OUTPUT_NEXT_SEQ, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, kind);
    BIND(st, 3, business_date);
    GET_ONE(s, st, "output sequence", err, *seq = sqlite3_column_int(st, 0));
}

int ps_store_output_insert(struct ps_store *s, const struct ps_output_row *o,
                           struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_OUTPUT_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, o->id);
    BIND(st, 2, o->business_id);
    BIND(st, 3, o->kind);
    BIND(st, 4, o->business_date);
    BIND_INT(st, 5, o->seq);
    BIND(st, 6, o->path);
    BIND_OPT(st, 7, o->sha256);
    BIND_INT(st, 8, o->records);
    BIND_INT(st, 9, o->debit_total);
    BIND_INT(st, 10, o->credit_total);
    BIND_OPT(st, 11, o->file_key);
    BIND(st, 12, o->created_at);
    BIND_OPT(st, 13, o->detail);
    return ps_sq_exec_step(s, st, "insert output", err);
}

int ps_store_output_item_insert(struct ps_store *s, const char *output_id,
                                const struct ps_output_item_row *it,
                                struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_OUTPUT_ITEM_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, output_id);
    BIND(st, 2, it->txn_id);
    BIND_INT(st, 3, it->line);
    BIND_INT(st, 4, it->attempt);
    BIND(st, 5, it->holder_name);
    BIND_OPT(st, 6, it->detail);
    return ps_sq_exec_step(s, st, "insert output item", err);
}

static void read_output(sqlite3_stmt *st, struct ps_output_row *o)
{
    COL_STR(st, 0, o->id);
    COL_STR(st, 1, o->business_id);
    COL_STR(st, 2, o->kind);
    COL_STR(st, 3, o->business_date);
    o->seq = sqlite3_column_int(st, 4);
    COL_STR(st, 5, o->path);
    COL_STR(st, 6, o->sha256);
    o->records = (long)sqlite3_column_int64(st, 7);
    o->debit_total = sqlite3_column_int64(st, 8);
    o->credit_total = sqlite3_column_int64(st, 9);
    COL_STR(st, 10, o->created_at);
    COL_STR(st, 11, o->file_key);
    COL_STR(st, 12, o->detail);
}

int ps_store_output_list(struct ps_store *s, const char *business_id,
                         const char *kind,
                         int (*cb)(void *ctx, const struct ps_output_row *),
                         void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_OUTPUT_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, kind);
    FOR_EACH(s, st, "list outputs", err, struct ps_output_row, read_output, cb,
             ctx);
}

static void read_output_item(sqlite3_stmt *st, struct ps_output_item_row *it)
{
    COL_STR(st, 0, it->txn_id);
    it->line = (long)sqlite3_column_int64(st, 1);
    it->attempt = sqlite3_column_int(st, 2);
    COL_STR(st, 3, it->holder_name);
    COL_STR(st, 4, it->account_id);
    it->amount = sqlite3_column_int64(st, 5);
    COL_STR(st, 6, it->currency);
    COL_STR(st, 7, it->detail);
}

int ps_store_output_items(struct ps_store *s, const char *output_id,
                          int (*cb)(void *ctx,
                                    const struct ps_output_item_row *),
                          void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_OUTPUT_ITEMS, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, output_id);
    FOR_EACH(s, st, "list output items", err, struct ps_output_item_row,
             read_output_item, cb, ctx);
}

static int asum_same(const struct ps_asum *x, const struct ps_asum *y)
{
    return strcmp(x->status, y->status) == 0 &&
           strcmp(x->currency, y->currency) == 0 &&
           strcmp(x->business, y->business) == 0;
}

/* An answer's delta: onto a recent one of its key in the same savepoint
 * (a chunk's answers are of a few keys), else a new entry. */
static int asum_add(struct ps_store *s, const struct ps_answer_row *a,
                    struct ps_err *err)
{
    struct ps_asum k;
    if (!s->answer_sums)
        return 0;
    memset(&k, 0, sizeof(k));
    ps_strlcpy(k.business, a->business_id, sizeof(k.business));
    ps_strlcpy(k.status, a->status, sizeof(k.status));
    ps_strlcpy(k.currency, a->currency != NULL ? a->currency : "",
               sizeof(k.currency));
    size_t low = s->depth > 0 ? s->asummark[s->depth - 1] : 0;
    for (size_t i = s->nasums; i > low && i + 8 > s->nasums; i--) {
        struct ps_asum *c = &s->asums[i - 1];
        if (asum_same(c, &k)) {
            c->n++;
            return ps_money_add(c->amount, a->amount, &c->amount, err);
        }
    }
    if (s->nasums == s->asumcap) {
        size_t cap = s->asumcap != 0 ? s->asumcap * 2 : 16;
        struct ps_asum *n = realloc(s->asums, cap * sizeof(*n));
        if (n == NULL)
            return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        s->asums = n;
        s->asumcap = cap;
    }
    k.n = 1;
    k.amount = a->amount;
    s->asums[s->nasums++] = k;
    return 0;
}

void ps_store_answer_sums_fold(struct ps_store *s, size_t from)
{
    size_t nkeys = from;
    for (size_t i = from; i < s->nasums; i++) {
        size_t k = from;
        while (k < nkeys && !asum_same(&s->asums[k], &s->asums[i]))
            k++;
        if (k == nkeys)
            s->asums[nkeys++] = s->asums[i];
        else {
            /* Each delta was checked when it was added; a sum past
             * int64 is saturated, a wrong figure an upsert would refuse
             * anyway. */
            s->asums[k].n += s->asums[i].n;
            if (ps_money_add(s->asums[k].amount, s->asums[i].amount,
                             &s->asums[k].amount, NULL) != 0)
                s->asums[k].amount = INT64_MAX;
        }
    }
    s->nasums = nkeys;
}

int ps_store_answer_sums_flush(struct ps_store *s, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (s->nasums == 0)
        return 0;
    if ((rc = prep(s, STMT_ANSWER_SUM_ADD, &st, err)) != 0)
        return rc;
    ps_store_answer_sums_fold(s, 0);
    for (size_t k = 0; k < s->nasums; k++) {
        const struct ps_asum *c = &s->asums[k];
        BIND(st, 1, c->business);
        BIND(st, 2, c->status);
        BIND(st, 3, c->currency);
        BIND_INT(st, 4, c->n);
        BIND_INT(st, 5, c->amount);
        if ((rc = ps_sq_exec_step(s, st, "add to the answers' sums", err)) !=
            0)
            return rc;
    }
    s->nasums = 0;
    return 0;
}

int ps_store_answer_insert(struct ps_store *s, const struct ps_answer_row *a,
                           struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ANSWER_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, a->txn_id);
    BIND_INT(st, 2, a->attempt);
    BIND(st, 3, a->status);
    BIND(st, 4, a->business_id);
    BIND_OPT(st, 5, a->reason_code);
    BIND_OPT(st, 6, a->message);
    BIND_OPT(st, 7, a->settlement_date);
    BIND_INT(st, 8, a->amount);
    BIND_OPT(st, 9, a->source_file);
    BIND_INT(st, 10, a->source_line);
    BIND(st, 11, a->created_at);
    if ((rc = ps_sq_exec_step(s, st, "insert provider answer", err)) != 0)
        return rc;
    if ((rc = asum_add(s, a, err)) != 0)
        return rc;
    return s->depth == 0 ? ps_store_answer_sums_flush(s, err) : 0;
}

int ps_store_answer_exists(struct ps_store *s, const char *txn_id,
                           int attempt, const char *status, int *exists,
                           struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ANSWER_EXISTS, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, txn_id);
    BIND_INT(st, 2, attempt);
    BIND(st, 3, status);
    rc = sqlite3_step(st);
    *exists = rc == SQLITE_ROW;
    ps_sq_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ps_sq_error(s, rc, "read a provider answer", err);
    return 0;
}
