/*
 * custmerge.c -- a customer's contacts and addresses after an update.
 * See custmerge.h.
 */
#include "engine/custmerge.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct list {
    void *v;
    size_t n, cap, size;
    int rc;
    struct ps_err *err;
};

static int push(struct list *l, const void *item)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        void *v = realloc(l->v, cap * l->size);
        if (v == NULL)
            return (l->rc = ps_err_set(l->err, PS_ENOMEM, "NO_MEMORY",
                                       "out of memory"));
        l->v = v;
        l->cap = cap;
    }
    memcpy((char *)l->v + l->n * l->size, item, l->size);
    l->n++;
    return 0;
}

static int push_contact(void *ctx, const struct ps_contact *k)
{
    return push(ctx, k) != 0;
}

static int push_address(void *ctx, const struct ps_address *a)
{
    return push(ctx, a) != 0;
}

void ps_contacts_resolve(struct ps_contact *v, size_t n)
{
    int have = 0;
    for (size_t i = 0; i < n; i++)
        have |= v[i].primary == 1;
    for (size_t i = 0; i < n; i++)
        if (v[i].primary == PS_CONTACT_PRIMARY_AUTO) {
            v[i].primary = have ? 0 : 1;
            have = 1;
        }
}

static int same_contact(const struct ps_contact *a, const struct ps_contact *b)
{
    if (a->email[0] != '\0' && b->email[0] != '\0')
        return strcasecmp(a->email, b->email) == 0;
    return strcasecmp(a->first_name, b->first_name) == 0 &&
           strcasecmp(a->last_name, b->last_name) == 0;
}

#define TAKE(dst, src)                                                         \
    do {                                                                       \
        if ((src)[0] != '\0')                                                  \
            memcpy((dst), (src), sizeof(dst));                                 \
    } while (0)

/* Given contact g into the list: update its match, or add it. */
static int merge_one(struct list *l, const struct ps_contact *g)
{
    struct ps_contact *v = l->v, *k = NULL;
    int has_primary = 0;
    for (size_t i = 0; i < l->n; i++) {
        has_primary |= v[i].primary == 1;
        if (k == NULL && same_contact(&v[i], g))
            k = &v[i];
    }
    if (k == NULL) {
        struct ps_contact add = *g;
        if (add.primary == PS_CONTACT_PRIMARY_AUTO)
            add.primary = has_primary ? 0 : 1;
        if (push(l, &add) != 0)
            return l->rc;
        v = l->v;
        k = &v[l->n - 1];
    } else {
        TAKE(k->first_name, g->first_name);
        TAKE(k->last_name, g->last_name);
        TAKE(k->email, g->email);
        TAKE(k->phone, g->phone);
        if (g->primary != PS_CONTACT_PRIMARY_AUTO)
            k->primary = g->primary;
    }
    if (k->primary == 1)
        for (size_t i = 0; i < l->n; i++)
            if (&v[i] != k)
                v[i].primary = 0;
    return 0;
}

int ps_contacts_merged(struct ps_store *store, const char *customer_id,
                       const struct ps_contact *given, size_t ngiven,
                       struct ps_contact **out, size_t *nout,
                       struct ps_err *err)
{
    struct list l = {NULL, 0, 0, sizeof(struct ps_contact), 0, err};
    int rc;
    *out = NULL;
    *nout = 0;
    if (given != NULL && ngiven == 0)
        return 0; /* an empty list, not NULL: none left */
    rc = ps_store_customer_contacts(store, customer_id, push_contact, &l,
                                        err);
    if (rc == 0)
        rc = l.rc;
    for (size_t i = 0; rc == 0 && given != NULL && i < ngiven; i++)
        rc = merge_one(&l, &given[i]);
    if (rc != 0) {
        free(l.v);
        return rc;
    }
    *out = l.v;
    *nout = l.n;
    return 0;
}

struct addr_keep {
    struct list l;
    const struct ps_address *given;
    size_t ngiven;
};

static int keep_address(void *ctx, const struct ps_address *a)
{
    struct addr_keep *k = ctx;
    for (size_t i = 0; i < k->ngiven; i++)
        if (k->given[i].type == a->type)
            return 0; /* replaced by the given one(s) of its type */
    return push_address(&k->l, a);
}

int ps_addresses_merged(struct ps_store *store, const char *customer_id,
                        const struct ps_address *given, size_t ngiven,
                        struct ps_address **out, size_t *nout,
                        struct ps_err *err)
{
    struct addr_keep k = {{NULL, 0, 0, sizeof(struct ps_address), 0, err},
                          given, ngiven};
    int rc;
    *out = NULL;
    *nout = 0;
    if (given != NULL && ngiven == 0)
        return 0; /* an empty list, not NULL: none left */
    rc = ps_store_customer_addresses(store, customer_id, keep_address, &k,
                                         err);
    if (rc == 0)
        rc = k.l.rc;
    for (size_t i = 0; rc == 0 && given != NULL && i < ngiven; i++)
        rc = push(&k.l, &given[i]);
    if (rc != 0) {
        free(k.l.v);
        return rc;
    }
    *out = k.l.v;
    *nout = k.l.n;
    return 0;
}
