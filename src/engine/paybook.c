/*
 * paybook.c -- payment.send's in-memory book of a business's customers;
 * see paybook.h.
 *
 * How it fails: ps_paybook_load() returns the store's error, or
 * PS_ENOMEM, with nothing allocated; the rest cannot fail.
 */
#include "engine/paybook.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ps_paybook {
    struct ps_payee *e;
    size_t n, cap;
    unsigned *slots; /* entry index + 1, 0 empty; power-of-two size */
    size_t nslots;
    char *arena; /* external ids, NUL-separated */
    size_t arena_len, arena_cap;
    int failed; /* out of memory while loading */
};

static uint64_t hash_str(const char *k)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *k != '\0'; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ULL;
    return h;
}

static int add_row(void *ctx, const struct ps_payee_row *r)
{
    struct ps_paybook *b = ctx;
    size_t len = strlen(r->external_id) + 1;
    if (b->n == b->cap) {
        size_t cap = b->cap != 0 ? b->cap * 2 : 1024;
        struct ps_payee *n = realloc(b->e, cap * sizeof(*n));
        if (n == NULL)
            goto nomem;
        b->e = n;
        b->cap = cap;
    }
    if (b->arena_len + len > b->arena_cap) {
        /* Entries point into the arena only after loading (below). */
        size_t cap = b->arena_cap != 0 ? b->arena_cap * 2 : 65536;
        while (cap < b->arena_len + len)
            cap *= 2;
        char *n = realloc(b->arena, cap);
        if (n == NULL)
            goto nomem;
        b->arena = n;
        b->arena_cap = cap;
    }
    struct ps_payee *e = &b->e[b->n++];
    memset(e, 0, sizeof(*e));
    memcpy(b->arena + b->arena_len, r->external_id, len);
    e->external_id = (const char *)(uintptr_t)b->arena_len; /* offset */
    b->arena_len += len;
    ps_strlcpy(e->customer_id, r->customer_id, sizeof(e->customer_id));
    e->customer_status = r->customer_status;
    e->has_account = r->has_account;
    if (r->has_account) {
        ps_strlcpy(e->account_id, r->account_id, sizeof(e->account_id));
        e->account_kind = r->account_kind;
    }
    return 0;
nomem:
    b->failed = 1;
    return 1;
}

void ps_paybook_free(struct ps_paybook *b)
{
    if (b == NULL)
        return;
    free(b->e);
    free(b->slots);
    free(b->arena);
    free(b);
}

int ps_paybook_load(struct ps_engine *eng, const char *business_id,
                    struct ps_paybook **out, struct ps_err *err)
{
    struct ps_paybook *b = calloc(1, sizeof(*b));
    int rc;
    if (b == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    rc = ps_store_payee_scan(eng->store, business_id, add_row, b, err);
    if (rc == 0 && b->failed)
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY",
                        "out of memory loading the customers");
    if (rc == 0) {
        b->nslots = 1024;
        while (b->nslots < b->n * 2)
            b->nslots *= 2;
        if ((b->slots = calloc(b->nslots, sizeof(*b->slots))) == NULL)
            rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    if (rc != 0) {
        ps_paybook_free(b);
        return rc;
    }
    size_t mask = b->nslots - 1;
    for (size_t k = 0; k < b->n; k++) {
        struct ps_payee *e = &b->e[k];
        e->external_id = b->arena + (uintptr_t)e->external_id;
        size_t i = (size_t)hash_str(e->external_id) & mask;
        while (b->slots[i] != 0)
            i = (i + 1) & mask;
        b->slots[i] = (unsigned)(k + 1);
    }
    *out = b;
    return 0;
}

const struct ps_payee *ps_paybook_find(const struct ps_paybook *b,
                                       const char *ext)
{
    size_t mask = b->nslots - 1;
    for (size_t i = (size_t)hash_str(ext) & mask;; i = (i + 1) & mask) {
        unsigned s = b->slots[i];
        if (s == 0)
            return NULL;
        if (strcmp(b->e[s - 1].external_id, ext) == 0)
            return &b->e[s - 1];
    }
}
