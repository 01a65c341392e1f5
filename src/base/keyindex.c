/*
 * keyindex.c -- entries found by a string key; see keyindex.h.
 */
#include "base/keyindex.h"

#include <stdlib.h>
#include <string.h>

uint64_t ps_hash_str(const char *s)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a offset basis */
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The slot of key: its first entry's, or the empty one where it goes. */
static unsigned *slot_of(const struct ps_keyindex *x, const char *key)
{
    size_t mask = x->nslots - 1;
    for (size_t i = (size_t)ps_hash_str(key) & mask;; i = (i + 1) & mask) {
        unsigned s = x->slots[i];
        if (s == 0 || strcmp(x->arena + x->off[s - 1], key) == 0)
            return &x->slots[i];
    }
}

/* Twice the slots (1,024 at first), the entries placed again. */
static int grow_slots(struct ps_keyindex *x)
{
    size_t n = x->nslots != 0 ? x->nslots * 2 : 1024;
    unsigned *slots = calloc(n, sizeof(*slots));
    if (slots == NULL)
        return -1;
    free(x->slots);
    x->slots = slots;
    x->nslots = n;
    for (size_t k = 0; k < x->n; k++) {
        unsigned *s = slot_of(x, x->arena + x->off[k]);
        if (*s == 0)
            *s = (unsigned)(k + 1);
    }
    return 0;
}

int ps_keyindex_add(struct ps_keyindex *x, const char *key)
{
    size_t len = strlen(key) + 1;
    if ((x->n + 1) * 2 > x->nslots && grow_slots(x) != 0)
        return -1;
    if (x->n == x->ncap) {
        size_t cap = x->ncap != 0 ? x->ncap * 2 : 1024;
        size_t *off = realloc(x->off, cap * sizeof(*off));
        if (off == NULL)
            return -1;
        x->off = off;
        x->ncap = cap;
    }
    if (x->len + len > x->cap) {
        size_t cap = x->cap != 0 ? x->cap * 2 : 65536;
        while (cap < x->len + len)
            cap *= 2;
        char *arena = realloc(x->arena, cap);
        if (arena == NULL)
            return -1;
        x->arena = arena;
        x->cap = cap;
    }
    memcpy(x->arena + x->len, key, len);
    x->off[x->n] = x->len;
    x->len += len;
    unsigned *s = slot_of(x, key);
    if (*s == 0)
        *s = (unsigned)(x->n + 1);
    x->n++;
    return 0;
}

long ps_keyindex_find(const struct ps_keyindex *x, const char *key)
{
    if (x->nslots == 0)
        return -1;
    unsigned s = *slot_of(x, key);
    return s != 0 ? (long)s - 1 : -1;
}

void ps_keyindex_free(struct ps_keyindex *x)
{
    free(x->slots);
    free(x->arena);
    free(x->off);
    memset(x, 0, sizeof(*x));
}
