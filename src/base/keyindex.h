/*
 * keyindex.h -- entries numbered 0, 1, ... found by a string key: the
 * keys copied into an arena of the index's own, an open-addressing table
 * of entry numbers over them.  The caller keeps its entries in an array
 * in the same order (the EWA book's profiles by external id, the payment
 * book's customers).
 *
 * How it fails: ps_keyindex_add() returns -1 out of memory, the index as
 * it was; nothing else can fail.  A zeroed struct is an empty index.
 */
#ifndef PS_KEYINDEX_H
#define PS_KEYINDEX_H

#include <stddef.h>
#include <stdint.h>

struct ps_keyindex {
    unsigned *slots; /* entry + 1, 0 empty; a power of two, or none */
    size_t nslots;
    char *arena; /* the keys, NUL-terminated in turn */
    size_t len, cap;
    size_t *off; /* entry k's key at arena + off[k] */
    size_t n, ncap;
};

/* FNV-1a of a string (not a keyed hash: for tables in memory only). */
uint64_t ps_hash_str(const char *s);

/* key as the next entry (number n); it is not looked for first.  0, or
 * -1 out of memory. */
int ps_keyindex_add(struct ps_keyindex *x, const char *key);

/* The number of key's entry (the first added), or -1. */
long ps_keyindex_find(const struct ps_keyindex *x, const char *key);

/* Entry k's key: valid until the next add. */
static inline const char *ps_keyindex_key(const struct ps_keyindex *x,
                                          size_t k)
{
    return x->arena + x->off[k];
}

void ps_keyindex_free(struct ps_keyindex *x);

#endif /* PS_KEYINDEX_H */
