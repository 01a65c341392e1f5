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

/* An entry, with what picks its account while loading. */
struct entry {
    struct ps_payee p;
    char created_at[PS_TIME_SIZE]; /* the account's */
    int64_t row;                   /* the account's rowid */
};

struct ps_paybook {
    struct entry *e;
    size_t n, cap;
    unsigned *slots; /* entry index + 1, 0 empty; power-of-two size */
    size_t nslots;
    char *arena; /* external ids, NUL-separated */
    size_t arena_len, arena_cap;
    int loaded;  /* external_id points into the arena (else an offset) */
    int failed;  /* out of memory while loading */
};

static uint64_t hash_str(const char *k)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *k != '\0'; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ULL;
    return h;
}

static const char *ext_of(const struct ps_paybook *b, const struct entry *e)
{
    return b->loaded ? e->p.external_id
                     : b->arena + (uintptr_t)e->p.external_id;
}

/* The slot of ext: its entry's, or the empty one where it would go. */
static unsigned *slot_of(const struct ps_paybook *b, const char *ext)
{
    size_t mask = b->nslots - 1;
    for (size_t i = (size_t)hash_str(ext) & mask;; i = (i + 1) & mask) {
        unsigned s = b->slots[i];
        if (s == 0 || strcmp(ext_of(b, &b->e[s - 1]), ext) == 0)
            return &b->slots[i];
    }
}

/* Twice the slots, the entries placed again. */
static int grow_slots(struct ps_paybook *b)
{
    size_t n = b->nslots != 0 ? b->nslots * 2 : 1024;
    unsigned *slots = calloc(n, sizeof(*slots));
    if (slots == NULL)
        return -1;
    free(b->slots);
    b->slots = slots;
    b->nslots = n;
    for (size_t k = 0; k < b->n; k++)
        *slot_of(b, ext_of(b, &b->e[k])) = (unsigned)(k + 1);
    return 0;
}

/* A new entry for r's customer, without its account; NULL out of memory. */
static struct entry *add_entry(struct ps_paybook *b,
                               const struct ps_payee_row *r)
{
    size_t len = strlen(r->external_id) + 1;
    if ((b->n + 1) * 2 > b->nslots && grow_slots(b) != 0)
        return NULL;
    if (b->n == b->cap) {
        size_t cap = b->cap != 0 ? b->cap * 2 : 1024;
        struct entry *n = realloc(b->e, cap * sizeof(*n));
        if (n == NULL)
            return NULL;
        b->e = n;
        b->cap = cap;
    }
    if (b->arena_len + len > b->arena_cap) {
        /* Entries hold offsets into the arena until it is whole. */
        size_t cap = b->arena_cap != 0 ? b->arena_cap * 2 : 65536;
        while (cap < b->arena_len + len)
            cap *= 2;
        char *n = realloc(b->arena, cap);
        if (n == NULL)
            return NULL;
        b->arena = n;
        b->arena_cap = cap;
    }
    struct entry *e = &b->e[b->n++];
    memset(e, 0, sizeof(*e));
    memcpy(b->arena + b->arena_len, r->external_id, len);
    e->p.external_id = (const char *)(uintptr_t)b->arena_len; /* offset */
    b->arena_len += len;
    ps_strlcpy(e->p.customer_id, r->customer_id, sizeof(e->p.customer_id));
    e->p.customer_status = r->customer_status;
    *slot_of(b, r->external_id) = (unsigned)b->n;
    return e;
}

/* A row of the scan: its customer's entry, and its account when it is
 * the first ACTIVE one so far (created_at, then rowid). */
static int add_row(void *ctx, const struct ps_payee_row *r)
{
    struct ps_paybook *b = ctx;
    struct entry *e = NULL;
    if (b->nslots != 0) {
        unsigned s = *slot_of(b, r->external_id);
        if (s != 0)
            e = &b->e[s - 1];
    }
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
    if (rc == 0 && b->nslots == 0 && grow_slots(b) != 0)
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if (rc != 0) {
        ps_paybook_free(b);
        return rc;
    }
    for (size_t k = 0; k < b->n; k++)
        b->e[k].p.external_id = b->arena + (uintptr_t)b->e[k].p.external_id;
    b->loaded = 1;
    *out = b;
    return 0;
}

const struct ps_payee *ps_paybook_find(const struct ps_paybook *b,
                                       const char *ext)
{
    unsigned s = *slot_of(b, ext);
    return s != 0 ? &b->e[s - 1].p : NULL;
}
