/*
 * ewapages.c -- the first payment page of many EWA profiles at once, for
 * the profile export (store.h, ps_store_profile_pages_load()).
 *
 * A profile's page is read by walking its chain of transactions
 * (PS_PROFILE_CHAIN, one rowid look-up a transaction): for an export of
 * every profile that is one random look-up per transaction of the
 * business, which on a database larger than memory is a disk read each
 * (2,000,000 disbursements: 85 s, most of it waiting).  Instead, the
 * export loads the pages of a batch of profiles from one walk of the
 * transactions in rowid order (the table's own b-tree, read in order,
 * once a batch), and ps_store_txn_page_profile() and
 * ps_store_txn_count_profile() answer from it while it is loaded.
 *
 * The same rows as the chain's query: a profile's transactions of type
 * SEND (any business: the chain has no business either), newest first
 * (created_at DESC, id DESC, SQLite's BINARY order, strcmp), their count,
 * the first page of `size`; any other page is left to the query.  Only
 * the columns the profile object prints are kept (id, created_at, type,
 * status, rail, purpose, currency, amount, profile id; not the fee,
 * which the object does not print); the rest of the transaction is left
 * empty: nothing else reads pages while the export holds them.
 *
 * Memory: the batch's rows, about 100 bytes each; a batch takes as many
 * profiles as keep the table's rows (max(rowid), an upper bound) under
 * PAGES_ROWS in each batch, on average.
 *
 * How it fails: as every store function (store.h); PS_ENOMEM.
 */
#include <stdlib.h>
#include <string.h>

#include "base/keyindex.h"
#include "store/store.h"
#include "store/store_int.h"

/* Rows of transactions a batch is sized for (about 90 MB of them: each
 * walk reads every row of the table, so 1,986,000 disbursements take two
 * walks, not three; the export's peak RSS at 2,000,000 is about 180 MB,
 * docs/benchmarks.md). */
#define PAGES_ROWS 1200000

#define PAGES_WALK                                                             \
    "SELECT profile_id, id, created_at, type, status, rail, purpose,"          \
    " currency, amount FROM transactions NOT INDEXED"                     \
    " WHERE profile_id IS NOT NULL AND type = 'SEND' ORDER BY rowid"

struct prow {
    uint32_t prof;     /* the batch's profile number */
    uint32_t off;      /* id, then created_at, in the arena */
    int64_t amount;
    unsigned char type, status, rail, purpose;
    char currency[4];
    unsigned char idlen, atlen; /* their lengths (ids and times are short) */
};

_Static_assert(PS_ID_SIZE <= 256 && PS_TIME_SIZE <= 256,
               "a row's id and time lengths fit in a byte");

struct ps_pages {
    struct ps_keyindex ix; /* the batch's profile ids */
    struct prow *rows;
    size_t nrows, rowcap;
    char *arena;
    size_t len, cap;
    size_t *start; /* profile k's rows: order[start[k] .. start[k+1]) */
    uint32_t *order;
    int size;
};

static const char *arena_at(const struct ps_pages *g, size_t off)
{
    return g->arena + off;
}

static int arena_put(struct ps_pages *g, const char *a, size_t la,
                     const char *b, size_t lb, uint32_t *off)
{
    la++, lb++; /* with their NULs */
    if (g->len + la + lb > g->cap) {
        size_t cap = g->cap != 0 ? g->cap * 2 : 1 << 20;
        while (cap < g->len + la + lb)
            cap *= 2;
        char *n = realloc(g->arena, cap);
        if (n == NULL || cap > UINT32_MAX)
            return -1;
        g->arena = n;
        g->cap = cap;
    }
    *off = (uint32_t)g->len;
    memcpy(g->arena + g->len, a, la);
    memcpy(g->arena + g->len + la, b, lb);
    g->len += la + lb;
    return 0;
}

static void pages_free(struct ps_pages *g)
{
    if (g == NULL)
        return;
    ps_keyindex_free(&g->ix);
    free(g->rows);
    free(g->arena);
    free(g->start);
    free(g->order);
    free(g);
}

void ps_store_profile_pages_drop(struct ps_store *s)
{
    pages_free(s->pages);
    s->pages = NULL;
}

int ps_store_profile_pages_batch(struct ps_store *s, size_t profiles,
                                 size_t *batch, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT ifnull(max(rowid), 0)"
                                       " FROM transactions",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return ps_sq_error(s, rc, "prepare the transactions' count", err);
    rc = sqlite3_step(st);
    int64_t rows = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    rc = rc == SQLITE_ROW ? 0 : ps_sq_error(s, rc, "transactions' count", err);
    sqlite3_finalize(st);
    size_t k = (size_t)(rows / PAGES_ROWS) + 1;
    *batch = profiles / k + 1;
    return rc;
}

static int page_order(const void *x, const void *y, void *vg)
{
    const struct ps_pages *g = vg;
    const struct prow *a = &g->rows[*(const uint32_t *)x];
    const struct prow *b = &g->rows[*(const uint32_t *)y];
    const char *ia = arena_at(g, a->off), *ib = arena_at(g, b->off);
    /* created_at DESC, id DESC */
    int c = strcmp(ib + b->idlen + 1, ia + a->idlen + 1);
    return c != 0 ? c : strcmp(ib, ia);
}

/* Each profile's rows together, newest first. */
static int pages_sort(struct ps_pages *g)
{
    size_t np = g->ix.n;
    if ((g->start = calloc(np + 1, sizeof(*g->start))) == NULL ||
        (g->nrows > 0 &&
         (g->order = malloc(g->nrows * sizeof(*g->order))) == NULL))
        return -1;
    for (size_t i = 0; i < g->nrows; i++)
        g->start[g->rows[i].prof + 1]++;
    for (size_t k = 0; k < np; k++)
        g->start[k + 1] += g->start[k];
    size_t *fill = calloc(np + 1, sizeof(*fill));
    if (fill == NULL)
        return -1;
    for (size_t i = 0; i < g->nrows; i++) {
        uint32_t k = g->rows[i].prof;
        g->order[g->start[k] + fill[k]++] = (uint32_t)i;
    }
    free(fill);
    for (size_t k = 0; k < np; k++)
        if (g->start[k + 1] - g->start[k] > 1)
            qsort_r(g->order + g->start[k], g->start[k + 1] - g->start[k],
                    sizeof(*g->order), page_order, g);
    return 0;
}

static int walk_row(struct ps_pages *g, sqlite3_stmt *st)
{
    const char *pid = (const char *)sqlite3_column_text(st, 0);
    long k = ps_keyindex_find(&g->ix, pid != NULL ? pid : "");
    if (k < 0)
        return 0;
    if (g->nrows == g->rowcap) {
        size_t cap = g->rowcap != 0 ? g->rowcap * 2 : 4096;
        struct prow *n = realloc(g->rows, cap * sizeof(*n));
        if (n == NULL)
            return -1;
        g->rows = n;
        g->rowcap = cap;
    }
    struct prow *r = &g->rows[g->nrows];
    const char *id = (const char *)sqlite3_column_text(st, 1);
    const char *at = (const char *)sqlite3_column_text(st, 2);
    size_t idlen = id != NULL ? (size_t)sqlite3_column_bytes(st, 1) : 0;
    size_t atlen = at != NULL ? (size_t)sqlite3_column_bytes(st, 2) : 0;
    /* What a ps_txn holds (the chain's query truncates the same way). */
    if (idlen >= sizeof(((struct ps_txn *)0)->id))
        idlen = sizeof(((struct ps_txn *)0)->id) - 1;
    if (atlen >= sizeof(((struct ps_txn *)0)->created_at))
        atlen = sizeof(((struct ps_txn *)0)->created_at) - 1;
    if (arena_put(g, id != NULL ? id : "", idlen, at != NULL ? at : "", atlen,
                  &r->off) != 0)
        return -1;
    r->idlen = (unsigned char)idlen;
    r->atlen = (unsigned char)atlen;
    r->prof = (uint32_t)k;
    r->type = (unsigned char)ps_sq_col_enum(st, 3, PS_NAMES_TXN_TYPE);
    r->status = (unsigned char)ps_sq_col_enum(st, 4, PS_NAMES_TXN_STATUS);
    r->rail = (unsigned char)ps_sq_col_enum(st, 5, PS_NAMES_RAIL);
    r->purpose = (unsigned char)ps_sq_col_enum(st, 6, PS_NAMES_PURPOSE);
    ps_sq_col_str(st, 7, r->currency, sizeof(r->currency));
    r->amount = sqlite3_column_int64(st, 8);
    g->nrows++;
    return 0;
}

int ps_store_profile_pages_load(struct ps_store *s, const char *const *ids,
                                size_t n, int size, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    struct ps_pages *g = calloc(1, sizeof(*g));
    int rc = 0;
    ps_store_profile_pages_drop(s);
    if (g == NULL)
        return ps_err_set(err, PS_ENOMEM, "ENOMEM",
                          "no memory for the profiles' pages");
    g->size = size;
    for (size_t i = 0; i < n; i++)
        if (ps_keyindex_add(&g->ix, ids[i]) != 0) {
            pages_free(g);
            return ps_err_set(err, PS_ENOMEM, "ENOMEM",
                              "no memory for the profiles' pages");
        }
    if ((rc = sqlite3_prepare_v2(s->db, PAGES_WALK, -1, &st, NULL)) !=
        SQLITE_OK) {
        pages_free(g);
        return ps_sq_error(s, rc, "prepare the profiles' pages", err);
    }
    int oom = 0;
    while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW)
        oom = walk_row(g, st) != 0;
    rc = oom || rc == SQLITE_DONE
             ? 0
             : ps_sq_error(s, rc, "walk the profiles' transactions", err);
    sqlite3_finalize(st);
    if (rc == 0 && (oom || pages_sort(g) != 0))
        rc = ps_err_set(err, PS_ENOMEM, "ENOMEM",
                        "no memory for the pages of %zu profiles", n);
    if (rc != 0) {
        pages_free(g);
        return rc;
    }
    s->pages = g;
    return 0;
}

int ps_store_profile_pages_page(struct ps_store *s, const char *profile_id,
                                int64_t offset, int64_t limit,
                                int (*cb)(void *, const struct ps_txn *),
                                void *ctx, int *served)
{
    const struct ps_pages *g = s->pages;
    long k = g != NULL && offset == 0 && limit <= g->size
                 ? ps_keyindex_find(&g->ix, profile_id)
                 : -1;
    *served = k >= 0;
    if (k < 0)
        return 0;
    size_t from = g->start[k], to = g->start[k + 1];
    struct ps_txn t; /* what a row does not set stays empty */
    memset(&t, 0, sizeof(t));
    ps_strlcpy(t.profile_id, profile_id, sizeof(t.profile_id));
    for (size_t i = from; i < to && (int64_t)(i - from) < limit; i++) {
        const struct prow *r = &g->rows[g->order[i]];
        const char *id = arena_at(g, r->off);
        memcpy(t.id, id, (size_t)r->idlen + 1);
        memcpy(t.created_at, id + r->idlen + 1, (size_t)r->atlen + 1);
        t.type = (enum ps_txn_type)r->type;
        t.status = (enum ps_txn_status)r->status;
        t.rail = (enum ps_rail)r->rail;
        t.purpose = (enum ps_purpose)r->purpose;
        memcpy(t.currency, r->currency, sizeof(t.currency));
        t.amount = r->amount;
        if (cb(ctx, &t) != 0)
            break;
    }
    return 0;
}

int ps_store_profile_pages_count(struct ps_store *s, const char *profile_id,
                                 int64_t *count, int *served)
{
    const struct ps_pages *g = s->pages;
    long k = g != NULL ? ps_keyindex_find(&g->ix, profile_id) : -1;
    *served = k >= 0;
    if (k >= 0)
        *count = (int64_t)(g->start[k + 1] - g->start[k]);
    return 0;
}
