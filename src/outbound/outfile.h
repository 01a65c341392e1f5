/*
 * outfile.h -- outbound payment files (push-to-card payouts, NACHA) that
 * are recorded before they are written.
 *
 * Both payment writers work the same way for crash safety: the file's
 * bytes are built in memory, its sha256 recorded with the transactions'
 * moves in one store transaction, and only then is the file published.
 * A crash in between leaves a recorded output without its NAME.done,
 * which the next run regenerates byte for byte and publishes.  The bytes
 * hold account or card numbers, so the buffer is wiped when freed and the
 * file is mode 0600.
 */
#ifndef PS_OUTFILE_H
#define PS_OUTFILE_H

#include <stddef.h>

#include "base/err.h"
#include "store/store.h"

/* A growing byte buffer, wiped (sodium_memzero) whenever it moves or is
 * freed; always NUL-terminated. */
struct ps_wbuf {
    char *p;
    size_t len, cap;
};

int ps_wbuf_add(struct ps_wbuf *b, const char *s, size_t n,
                struct ps_err *err);
void ps_wbuf_free(struct ps_wbuf *b);

/* The sha256 of the buffer's bytes, as 64 hex digits and a NUL. */
void ps_wbuf_sha256(const struct ps_wbuf *b, char sha[65]);

/*
 * Write bytes to <spool>/<rel> (mode 0600, with .sha256 and .done) unless
 * a crash already published them, and check that what is published
 * hashes to sha (rule OUTFILE_REGENERATE_MISMATCH).
 */
int ps_outfile_publish(const char *spool, const char *rel, const char *p,
                       size_t len, const char *sha, struct ps_err *err);

/* The business's outputs of a kind that have no NAME.done yet; *v from
 * malloc(), the caller frees it. */
int ps_outfile_unfinished(struct ps_store *store, const char *business_id,
                          const char *kind, const char *spool,
                          struct ps_output_row **v, size_t *n,
                          struct ps_err *err);

/* Transactions and output items gathered from the store's callbacks, for
 * both payment writers.  v from realloc(): the caller frees it; oom is set
 * (and the scan stopped) when memory ran out. */
struct ps_txn_vec {
    struct ps_txn *v;
    size_t n, cap;
    int oom;
};
int ps_txn_vec_collect(void *ctx, const struct ps_txn *t);

struct ps_item_vec {
    struct ps_output_item_row *v;
    size_t n, cap;
    int oom;
};
/* 0, or -1 (and oom set) when out of memory. */
int ps_item_vec_push(struct ps_item_vec *it, const struct ps_output_item_row *r);
int ps_item_vec_collect(void *ctx, const struct ps_output_item_row *r);

/*
 * The complete files of dir (NAME.done present) named prefix...suffix,
 * sorted by name, for the sandbox answering them: *names (and each name)
 * from malloc(), freed by ps_outfile_names_free().  None, not an error,
 * when dir does not exist yet.
 */
int ps_outfile_list_done(const char *dir, const char *prefix,
                         const char *suffix, char ***names, size_t *n,
                         struct ps_err *err);
void ps_outfile_names_free(char **names, size_t n);

#endif /* PS_OUTFILE_H */
