/*
 * verifycounts.c -- what recon_counts must hold, recomputed from the rows
 * for `payspool ledger verify` (ps_store_recon_counts_check(), recon.c),
 * added up here instead of by SQL's GROUP BY: the transactions created
 * on each day by status now, and the status changes of each day (every
 * history row joined to its transaction), streamed once each and added
 * into their few keys in memory, then put into a temporary table that
 * the comparison reads as it read its `want` CTE.
 *
 * SQLite has no hash aggregate: its GROUP BY sorted every history row on
 * nine columns (6,000,000 rows at 1,986,000 disbursements; the sort was
 * most of the check's time and spilled to temporary files).  The keys
 * are a business's days, rails, types and statuses: a few hundred.
 *
 * The definition is unchanged (RECON_COUNTS_CHECK_SQL, recon.c): the
 * same rows, the same key, the same sums; only where they are added up
 * moved.
 *
 * The same for each EWA profile's chain (ps_store_verify_chains()): its
 * transactions, those linked to the one before them in rowid order, and
 * the newest, from one walk of the transactions in rowid order with a
 * small state per profile, instead of a window sorting every
 * transaction by profile (verify.c's OWNED_SQL, the definition).
 *
 * How it fails: as every store function (store.h); PS_ENOMEM out of
 * memory.
 */
#include "store/recon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/keyindex.h"
#include "store/store.h"
#include "store/store_int.h"

/* The rows, one per transaction, then one per history row; the columns
 * of the check's `want` but n, amount and fee (each row counts 1). */
static const char created_sql[] =
    "SELECT t.business_id, substr(t.created_at, 1, 10),"
    " t.profile_id IS NOT NULL, t.rail, t.type, '', t.status, t.currency,"
    " t.amount, t.fee FROM transactions t"
    " WHERE ?1 IS NULL OR t.business_id = ?1";
static const char moved_sql[] =
    "SELECT t.business_id, substr(h.created_at, 1, 10),"
    " t.profile_id IS NOT NULL, t.rail, t.type, ifnull(h.from_status, ''),"
    " h.to_status, t.currency, t.amount, t.fee"
    " FROM transaction_history h JOIN transactions t ON t.id = h.txn_id"
    " WHERE ?1 IS NULL OR t.business_id = ?1";

static const char want_create_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS verify_want(business_id, day, kind,"
    " profiled, rail, type, from_status, status, currency, n, amount, fee)";
static const char want_insert_sql[] =
    "INSERT INTO temp.verify_want VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
    " ?9, ?10, ?11, ?12)";

/* The key's eight text columns (and kind) joined by \x1f; its sums. */
struct want {
    int64_t n, amount, fee;
};

struct wants {
    struct ps_keyindex ix;
    struct want *w;
    size_t n, cap;
};

static int want_add(struct wants *a, const char *key, int64_t amount,
                    int64_t fee)
{
    long k = ps_keyindex_find(&a->ix, key);
    if (k < 0) {
        if (a->n == a->cap) {
            size_t cap = a->cap != 0 ? a->cap * 2 : 256;
            struct want *w = realloc(a->w, cap * sizeof(*w));
            if (w == NULL)
                return -1;
            a->w = w;
            a->cap = cap;
        }
        if (ps_keyindex_add(&a->ix, key) != 0)
            return -1;
        k = (long)a->n++;
        memset(&a->w[k], 0, sizeof(a->w[k]));
    }
    a->w[k].n++;
    a->w[k].amount += amount;
    a->w[k].fee += fee;
    return 0;
}

/* Stream one of the two statements into the keys (kind CREATED or
 * MOVED). */
static int stream(struct ps_store *s, const char *sql, const char *kind,
                  const char *business_id, struct wants *a,
                  struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    char key[512];
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return ps_sq_error(s, rc, "prepare the counters' recomputation",
                           err);
    if (business_id != NULL)
        sqlite3_bind_text(st, 1, business_id, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        size_t at = 0;
        for (int c = 0; c < 8; c++) {
            const char *v = c == 2 ? (sqlite3_column_int(st, 2) ? "1" : "0")
                                   : (const char *)sqlite3_column_text(st, c);
            size_t l = v != NULL ? strlen(v) : 0;
            if (at + l + 2 + strlen(kind) >= sizeof(key))
                l = 0; /* a value longer than any column holds: "" */
            memcpy(key + at, v != NULL ? v : "", l);
            at += l;
            key[at++] = '\x1f';
            if (c == 1) { /* the kind after the day, as in the table */
                size_t kl = strlen(kind);
                memcpy(key + at, kind, kl);
                at += kl;
                key[at++] = '\x1f';
            }
        }
        key[at] = '\0';
        if (want_add(a, key, sqlite3_column_int64(st, 8),
                     sqlite3_column_int64(st, 9)) != 0) {
            sqlite3_finalize(st);
            return ps_err_set(err, PS_ENOMEM, "ENOMEM",
                              "no memory for the counters' recomputation");
        }
    }
    rc = rc == SQLITE_DONE ? 0
                           : ps_sq_error(s, rc, "recompute the counters", err);
    sqlite3_finalize(st);
    return rc;
}

/* End savepoint sp: released after rc 0, rolled back and released
 * otherwise (rc kept). */
static int release(struct ps_store *s, const char *sp, int rc,
                   struct ps_err *err)
{
    char sql[80];
    if (rc != 0) {
        snprintf(sql, sizeof(sql), "ROLLBACK TO %s; RELEASE %s", sp, sp);
        sqlite3_exec(s->db, sql, NULL, NULL, NULL);
        return rc;
    }
    snprintf(sql, sizeof(sql), "RELEASE %s", sp);
    return ps_sq_exec_sql(s, sql, err);
}

/* The keys into temp.verify_want, each split back into its columns. */
static int want_write(struct ps_store *s, const struct wants *a,
                      struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = ps_sq_exec_sql(s, "SAVEPOINT verify_want", err);
    if (rc != 0)
        return rc;
    rc = sqlite3_prepare_v2(s->db, want_insert_sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return ps_sq_error(s, rc, "prepare the counters' recomputation",
                           err);
    for (size_t k = 0; rc == SQLITE_OK && k < a->n; k++) {
        char key[512];
        const char *col[9];
        ps_strlcpy(key, ps_keyindex_key(&a->ix, k), sizeof(key));
        char *p = key;
        for (int c = 0; c < 9; c++) {
            col[c] = p;
            char *e = strchr(p, '\x1f');
            if (e != NULL) {
                *e = '\0';
                p = e + 1;
            }
        }
        for (int c = 0; c < 9; c++) {
            if (c == 3)
                sqlite3_bind_int(st, 4, strcmp(col[3], "1") == 0);
            else
                sqlite3_bind_text(st, c + 1, col[c], -1, SQLITE_TRANSIENT);
        }
        sqlite3_bind_int64(st, 10, a->w[k].n);
        sqlite3_bind_int64(st, 11, a->w[k].amount);
        sqlite3_bind_int64(st, 12, a->w[k].fee);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? sqlite3_reset(st) : rc;
    }
    sqlite3_finalize(st);
    rc = rc == SQLITE_OK ? 0
                         : ps_sq_error(s, rc, "keep the counters' "
                                              "recomputation", err);
    return release(s, "verify_want", rc, err);
}

int ps_store_recon_want(struct ps_store *s, const char *business_id,
                        struct ps_err *err)
{
    struct wants a;
    int rc;
    memset(&a, 0, sizeof(a));
    if ((rc = ps_sq_exec_sql(s, want_create_sql, err)) == 0 &&
        (rc = ps_sq_exec_sql(s, "DELETE FROM temp.verify_want", err)) == 0 &&
        (rc = stream(s, created_sql, "CREATED", business_id, &a, err)) == 0 &&
        (rc = stream(s, moved_sql, "MOVED", business_id, &a, err)) == 0)
        rc = want_write(s, &a, err);
    ps_keyindex_free(&a.ix);
    free(a.w);
    return rc;
}

/* ---- each profile's chain ------------------------------------------- */

static const char chains_sql[] =
    "SELECT rowid, profile_id, profile_prev FROM transactions"
    " WHERE profile_id IS NOT NULL ORDER BY rowid";
static const char owned_create_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS verify_owned(profile_id TEXT PRIMARY"
    " KEY, n, linked, last)";
static const char owned_insert_sql[] =
    "INSERT INTO temp.verify_owned VALUES (?1, ?2, ?3, ?4)";

struct owned {
    int64_t n, linked, last; /* last: its newest rowid, 0 none yet */
};

static int chains_walk(struct ps_store *s, struct ps_keyindex *ix,
                       struct owned **o, size_t *n, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc = sqlite3_prepare_v2(s->db, chains_sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return ps_sq_error(s, rc, "prepare the profiles' chains", err);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 1);
        long k = ps_keyindex_find(ix, id != NULL ? id : "");
        if (k < 0) {
            if (*n == cap) {
                size_t c = cap != 0 ? cap * 2 : 1024;
                struct owned *m = realloc(*o, c * sizeof(*m));
                if (m == NULL)
                    break;
                *o = m;
                cap = c;
            }
            if (ps_keyindex_add(ix, id != NULL ? id : "") != 0)
                break;
            k = (long)(*n)++;
            memset(&(*o)[k], 0, sizeof((*o)[k]));
        }
        struct owned *p = &(*o)[k];
        int64_t r = sqlite3_column_int64(st, 0);
        /* profile_prev IS the rowid before it (NULL for the first) */
        int null_prev = sqlite3_column_type(st, 2) == SQLITE_NULL;
        if (p->last == 0 ? null_prev
                         : !null_prev && sqlite3_column_int64(st, 2) == p->last)
            p->linked++;
        p->n++;
        p->last = r;
    }
    if (rc == SQLITE_ROW) {
        sqlite3_finalize(st);
        return ps_err_set(err, PS_ENOMEM, "ENOMEM",
                          "no memory for the profiles' chains");
    }
    rc = rc == SQLITE_DONE ? 0
                           : ps_sq_error(s, rc, "walk the profiles' chains",
                                         err);
    sqlite3_finalize(st);
    return rc;
}

static int owned_write(struct ps_store *s, const struct ps_keyindex *ix,
                       const struct owned *o, size_t n, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = ps_sq_exec_sql(s, "SAVEPOINT verify_owned", err);
    if (rc != 0)
        return rc;
    rc = sqlite3_prepare_v2(s->db, owned_insert_sql, -1, &st, NULL);
    for (size_t k = 0; rc == SQLITE_OK && k < n; k++) {
        sqlite3_bind_text(st, 1, ps_keyindex_key(ix, k), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, o[k].n);
        sqlite3_bind_int64(st, 3, o[k].linked);
        sqlite3_bind_int64(st, 4, o[k].last);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? sqlite3_reset(st) : rc;
    }
    sqlite3_finalize(st);
    rc = rc == SQLITE_OK ? 0
                         : ps_sq_error(s, rc, "keep the profiles' chains",
                                       err);
    return release(s, "verify_owned", rc, err);
}

int ps_store_verify_chains(struct ps_store *s, struct ps_err *err)
{
    struct ps_keyindex ix;
    struct owned *o = NULL;
    size_t n = 0;
    int rc;
    memset(&ix, 0, sizeof(ix));
    if ((rc = ps_sq_exec_sql(s, owned_create_sql, err)) == 0 &&
        (rc = ps_sq_exec_sql(s, "DELETE FROM temp.verify_owned", err)) ==
            0 &&
        (rc = chains_walk(s, &ix, &o, &n, err)) == 0)
        rc = owned_write(s, &ix, o, n, err);
    ps_keyindex_free(&ix);
    free(o);
    return rc;
}
