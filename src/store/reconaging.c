/*
 * reconaging.c -- the reconciliation's EWA receivables by eligibility and
 * age (PS_RECON_Q_EWA_AGING, store/recon.h) without grouping every row
 * of the business: one walk of its transactions from the newest down,
 * stopping once every owing profile's age is known.
 *
 * The definition is the query RECON_EWA_AGING (store/recon.c,
 * docs/reconciliation.md): a profile owing amount_to_recover > 0 is aged
 * from the day of the first of its live disbursements (SEND,
 * EWA_DISBURSEMENT, not CANCELLED, DECLINED, ERROR or REVERSED), newest
 * first, whose running total of amount + fee reaches what it owes; the
 * oldest when none does; its creation when it has none.  Only that
 * disbursement's day counts (the age is in whole days), so the running
 * total is taken a day at a time: the answer is the first day, newest
 * first, whose total through it reaches the amount owed.
 *
 * The walk reads the rows in rowid order, newest first (the table's own
 * b-tree, no index, no sort); the definition sorts by created_at.  The
 * two agree as long as a profile's disbursements are written in the order
 * of their days, which the engine does (each row takes the clock when it
 * is written); a row met out of that order (a clock set back across a
 * midnight) makes the walk give way to the query, so the figures are the
 * query's in every case.  The same when a day does not parse as the
 * query's julianday() would read it.
 *
 * What it costs: the owing profiles in memory (an index by id), and the
 * rows from the newest back to the oldest disbursement an owing profile
 * is still aged from: the day's rows when debts are recovered within
 * days, not the whole history the query sorted.
 *
 * How it fails: as every store function (store.h); PS_ENOMEM out of
 * memory.  *fallback is set when the query must answer instead.
 */
#include "store/recon.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/keyindex.h"
#include "store/store.h"
#include "store/store_int.h"

/* The owing profiles of the business (the query's `o`). */
#define AGING_OWING                                                            \
    "SELECT p.id, p.eligibility_status, g.currency, k.amount_to_recover,"      \
    " p.created_at FROM ewa_profiles p JOIN ewa_counters k"                    \
    " ON k.profile = p.seq JOIN ewa_programs g ON g.id = p.program_id"         \
    " WHERE p.business_id = ?1 AND k.amount_to_recover > 0"

/* The business's live disbursements, newest row first (the query's `d`
 * without its profile join: the profile is found in memory). */
#define AGING_WALK                                                             \
    "SELECT t.profile_id, substr(t.created_at, 1, 10), t.amount + t.fee"       \
    " FROM transactions t NOT INDEXED WHERE t.business_id = ?1"                \
    " AND t.type = 'SEND' AND t.purpose = 'EWA_DISBURSEMENT'"                  \
    " AND t.status NOT IN ('CANCELLED', 'DECLINED', 'ERROR', 'REVERSED')"      \
    " AND t.profile_id IS NOT NULL ORDER BY t.rowid DESC"

struct owing {
    int64_t owed;
    int64_t total;  /* amount + fee through `day`, newest first */
    char day[11];   /* the day being added up ("" none yet) */
    char since[11]; /* the answer, once known */
    char created[11];
    char elig[24];
    char currency[4];
    int done;
};

struct bucket_row {
    const char *elig, *bucket, *currency;
    int64_t n, amount, min_age;
};

struct aging {
    struct ps_keyindex ix;
    struct owing *p;
    size_t n, cap;
    size_t open; /* profiles still being walked */
};

static int owing_load(struct ps_store *s, const char *business,
                      struct aging *a, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, AGING_OWING, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return ps_sq_error(s, rc, "prepare the owing profiles", err);
    sqlite3_bind_text(st, 1, business, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (a->n == a->cap) {
            size_t cap = a->cap != 0 ? a->cap * 2 : 1024;
            struct owing *n = realloc(a->p, cap * sizeof(*n));
            if (n == NULL)
                break;
            a->p = n;
            a->cap = cap;
        }
        const char *id = (const char *)sqlite3_column_text(st, 0);
        if (ps_keyindex_add(&a->ix, id != NULL ? id : "") != 0)
            break;
        struct owing *o = &a->p[a->n++];
        memset(o, 0, sizeof(*o));
        ps_sq_col_str(st, 1, o->elig, sizeof(o->elig));
        ps_sq_col_str(st, 2, o->currency, sizeof(o->currency));
        o->owed = sqlite3_column_int64(st, 3);
        ps_sq_col_str(st, 4, o->created, sizeof(o->created));
    }
    if (rc == SQLITE_ROW) {
        sqlite3_finalize(st);
        return ps_err_set(err, PS_ENOMEM, "ENOMEM",
                          "no memory for the owing EWA profiles");
    }
    rc = rc == SQLITE_DONE ? 0 : ps_sq_error(s, rc, "owing profiles", err);
    sqlite3_finalize(st);
    a->open = a->n;
    return rc;
}

/* One row of the walk: its profile's day total, or its answer.  1 when
 * the row is out of day order (the query must answer). */
static int walk_row(struct aging *a, struct owing *o, const char *day,
                    int64_t amount)
{
    int cmp = o->day[0] != '\0' ? strcmp(day, o->day) : -1;
    if (cmp > 0 || (o->done && strcmp(day, o->since) > 0))
        return 1; /* newer than a row met before it */
    if (o->done)
        return 0;
    if (cmp < 0) { /* a day older than the last: that one did not reach */
        ps_strlcpy(o->day, day, sizeof(o->day));
    }
    o->total += amount;
    if (o->total >= o->owed) {
        ps_strlcpy(o->since, o->day, sizeof(o->since));
        o->done = 1;
        a->open--;
    }
    return 0;
}

static int walk(struct ps_store *s, const char *business, struct aging *a,
                int *fallback, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, AGING_WALK, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return ps_sq_error(s, rc, "prepare the disbursements' walk", err);
    sqlite3_bind_text(st, 1, business, -1, SQLITE_STATIC);
    while (a->open > 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        long k = ps_keyindex_find(&a->ix, id != NULL ? id : "");
        if (k < 0)
            continue; /* a profile that owes nothing */
        const char *day = (const char *)sqlite3_column_text(st, 1);
        if (walk_row(a, &a->p[k], day != NULL ? day : "",
                     sqlite3_column_int64(st, 2)) != 0) {
            *fallback = 1;
            break;
        }
    }
    if (a->open == 0 || *fallback)
        rc = SQLITE_DONE;
    rc = rc == SQLITE_DONE ? 0
                           : ps_sq_error(s, rc, "walk the disbursements", err);
    sqlite3_finalize(st);
    return rc;
}

static const char *bucket_of(int64_t age)
{
    return age <= 7 ? "0-7" : age <= 14 ? "8-14" : age <= 30 ? "15-30"
                          : age <= 60   ? "31-60"
                                        : ">60";
}

/* The query's ORDER BY 1, min(age), 3 (BINARY collation: strcmp). */
static int bucket_order(const void *x, const void *y)
{
    const struct bucket_row *a = x, *b = y;
    int c = strcmp(a->elig, b->elig);
    if (c == 0)
        c = a->min_age < b->min_age ? -1 : a->min_age > b->min_age;
    return c != 0 ? c : strcmp(a->currency, b->currency);
}

static int emit(struct aging *a, int64_t today,
                int (*cb)(void *ctx, const struct ps_recon_row *), void *ctx,
                int *fallback, struct ps_err *err)
{
    struct bucket_row *rows = NULL;
    size_t nrows = 0;
    int rc = 0;
    if (a->n > 0 && (rows = calloc(a->n, sizeof(*rows))) == NULL)
        return ps_err_set(err, PS_ENOMEM, "ENOMEM",
                          "no memory for the receivables' buckets");
    for (size_t i = 0; i < a->n; i++) {
        const struct owing *o = &a->p[i];
        /* none reaching: the oldest; none at all: the creation */
        const char *since = o->done ? o->since
                            : o->day[0] != '\0' ? o->day
                                                : o->created;
        int64_t d = 0;
        struct ps_err perr;
        if (ps_date_parse(since, &d, &perr) != 0) {
            *fallback = 1;
            break;
        }
        int64_t age = today - d > 0 ? today - d : 0;
        const char *bucket = bucket_of(age);
        size_t r = 0;
        while (r < nrows && !(strcmp(rows[r].elig, o->elig) == 0 &&
                              rows[r].bucket == bucket &&
                              strcmp(rows[r].currency, o->currency) == 0))
            r++;
        if (r == nrows)
            rows[nrows++] = (struct bucket_row){o->elig, bucket, o->currency,
                                                0, 0, age};
        rows[r].n++;
        rows[r].amount += o->owed;
        if (age < rows[r].min_age)
            rows[r].min_age = age;
    }
    if (!*fallback) {
        if (nrows > 1)
            qsort(rows, nrows, sizeof(*rows), bucket_order);
        for (size_t r = 0; r < nrows; r++) {
            struct ps_recon_row row = {.ncols = 5};
            row.text[0] = rows[r].elig;
            row.text[1] = rows[r].bucket;
            row.text[2] = rows[r].currency;
            row.text[3] = "";
            row.text[4] = "";
            row.num[3] = rows[r].n;
            row.num[4] = rows[r].amount;
            if (cb(ctx, &row) != 0)
                break;
        }
    }
    free(rows);
    return rc;
}

int ps_store_recon_aging(struct ps_store *s, const char *business,
                         const char *day,
                         int (*cb)(void *ctx, const struct ps_recon_row *),
                         void *ctx, int *fallback, struct ps_err *err)
{
    struct aging a;
    int64_t today = 0;
    struct ps_err perr;
    int rc;
    memset(&a, 0, sizeof(a));
    *fallback = 0;
    if (business == NULL || day == NULL ||
        ps_date_parse(day, &today, &perr) != 0) {
        *fallback = 1;
        return 0;
    }
    if ((rc = owing_load(s, business, &a, err)) == 0 &&
        (rc = walk(s, business, &a, fallback, err)) == 0 && !*fallback)
        rc = emit(&a, today, cb, ctx, fallback, err);
    ps_keyindex_free(&a.ix);
    free(a.p);
    return rc;
}
