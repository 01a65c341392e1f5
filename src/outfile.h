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

#include "err.h"
#include "store.h"

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

#endif /* PS_OUTFILE_H */
