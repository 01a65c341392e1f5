/*
 * paybook.c -- payment.send's in-memory book of a business's customers;
 * see paybook.h.
 *
 * How it fails: ps_paybook_load() returns the store's error, or
 * PS_ENOMEM, with nothing allocated; the rest cannot fail.
 */
#include "engine/paybook.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/keyindex.h"

/* An entry, with what picks its account while loading. */
struct entry {
    struct ps_payee p;
    char created_at[PS_TIME_SIZE]; /* the account's */
    int64_t row;                   /* the account's rowid */
};

struct ps_paybook {
    struct entry *e;
    size_t n, cap;
    struct ps_keyindex ix; /* the entries by external id */
    int failed;            /* out of memory while loading */
};

/* A new entry for r's customer, without its account; NULL out of memory.
 * Its external_id points at its key once the book is loaded. */
static struct entry *add_entry(struct ps_paybook *b,
                               const struct ps_payee_row *r)
{
    if (b->n == b->cap) {
        size_t cap = b->cap != 0 ? b->cap * 2 : 1024;
        struct entry *n = realloc(b->e, cap * sizeof(*n));
        if (n == NULL)
            return NULL;
        b->e = n;
        b->cap = cap;
    }
    if (ps_keyindex_add(&b->ix, r->external_id) != 0)
        return NULL;
    struct entry *e = &b->e[b->n++];
    memset(e, 0, sizeof(*e));
    ps_strlcpy(e->p.customer_id, r->customer_id, sizeof(e->p.customer_id));
    e->p.customer_status = r->customer_status;
    return e;
}

/* A row of the scan: its customer's entry, and its account when it is
 * the first ACTIVE one so far (created_at, then rowid). */
static int add_row(void *ctx, const struct ps_payee_row *r)
{
    struct ps_paybook *b = ctx;
    long k = ps_keyindex_find(&b->ix, r->external_id);
    struct entry *e = k >= 0 ? &b->e[k] : NULL;
    if (e == NULL && (e = add_entry(b, r)) == NULL) {
        b->failed = 1;
        return 1;
    }
    if (!r->has_account)
        return 0;
    int c = e->p.has_account
                ? strcmp(r->account_created_at, e->created_at)
                : -1;
    if (c < 0 || (c == 0 && r->account_row < e->row)) {
        e->p.has_account = 1;
        ps_strlcpy(e->p.account_id, r->account_id, sizeof(e->p.account_id));
        e->p.account_kind = r->account_kind;
        ps_strlcpy(e->created_at, r->account_created_at,
                   sizeof(e->created_at));
        e->row = r->account_row;
    }
    return 0;
}

void ps_paybook_free(struct ps_paybook *b)
{
    if (b == NULL)
        return;
    free(b->e);
    ps_keyindex_free(&b->ix);
    free(b);
}

static int load_from(struct ps_store *store, const char *business_id,
                     struct ps_paybook **out, struct ps_err *err)
{
    struct ps_paybook *b = calloc(1, sizeof(*b));
    int rc;
    if (b == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    rc = ps_store_payee_scan(store, business_id, add_row, b, err);
    if (rc == 0 && b->failed)
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY",
                        "out of memory loading the customers");
    if (rc != 0) {
        ps_paybook_free(b);
        return rc;
    }
    for (size_t k = 0; k < b->n; k++)
        b->e[k].p.external_id = ps_keyindex_key(&b->ix, k);
    *out = b;
    return 0;
}

int ps_paybook_load(struct ps_engine *eng, const char *business_id,
                    struct ps_paybook **out, struct ps_err *err)
{
    return load_from(eng->store, business_id, out, err);
}

struct ps_paybook_prefetch {
    pthread_t t;
    struct ps_store *reader;
    char business_id[PS_ID_SIZE];
    struct ps_paybook *book; /* the thread's, NULL when it failed */
    int64_t version;         /* data_version before and after the scan */
};

static void *prefetch_run(void *arg)
{
    struct ps_paybook_prefetch *pf = arg;
    struct ps_err e;
    int64_t after = 0;
    ps_err_clear(&e);
    if (ps_store_data_version(pf->reader, &pf->version, &e) != 0 ||
        load_from(pf->reader, pf->business_id, &pf->book, &e) != 0)
        return NULL;
    if (ps_store_data_version(pf->reader, &after, &e) != 0 ||
        after != pf->version) {
        ps_paybook_free(pf->book);
        pf->book = NULL;
    }
    return NULL;
}

int ps_paybook_prefetch_start(struct ps_engine *eng, const char *business_id,
                              struct ps_paybook_prefetch **out,
                              struct ps_err *err)
{
    struct ps_paybook_prefetch *pf = calloc(1, sizeof(*pf));
    int rc;
    *out = NULL;
    if (pf == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    ps_strlcpy(pf->business_id, business_id, sizeof(pf->business_id));
    if ((rc = ps_store_open_reader(eng->store, &pf->reader, err)) != 0) {
        free(pf);
        return rc;
    }
    if (pthread_create(&pf->t, NULL, prefetch_run, pf) != 0) {
        ps_store_close(pf->reader);
        free(pf);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY",
                          "cannot start a thread to load the customers");
    }
    *out = pf;
    return 0;
}

struct ps_paybook *ps_paybook_prefetch_take(struct ps_paybook_prefetch *pf,
                                            int want)
{
    struct ps_paybook *book;
    struct ps_err e;
    int64_t now = 0;
    if (pf == NULL)
        return NULL;
    pthread_join(pf->t, NULL);
    book = pf->book;
    ps_err_clear(&e);
    if (book != NULL &&
        (!want || ps_store_data_version(pf->reader, &now, &e) != 0 ||
         now != pf->version)) {
        ps_paybook_free(book);
        book = NULL;
    }
    ps_store_close(pf->reader);
    free(pf);
    return book;
}

const struct ps_payee *ps_paybook_find(const struct ps_paybook *b,
                                       const char *ext)
{
    long k = ps_keyindex_find(&b->ix, ext);
    return k >= 0 ? &b->e[k].p : NULL;
}
