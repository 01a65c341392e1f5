/*
 * retry.h -- `payspool files retry ID --reason TEXT`: an input rejected
 * whole is taken back from failed/<business>/ into inbound/<business>/
 * (a provider's answer, files.source set: into its provider's folder,
 * channel.h), once, after its cause was fixed (a CSV layout added, say), and the next
 * pass checks and applies it as a new input.
 *
 * Exactly-once stays whole: the retried document rows are marked (store
 * table file_retries), which only lets intake check the same content
 * again; a content APPLIED or PROCESSING anywhere in the business is
 * still a DUPLICATE, and the UNIQUE index on applied content still holds.
 */
#ifndef PS_RETRY_H
#define PS_RETRY_H

#include <stddef.h>

#include "base/err.h"
#include "engine/engine.h"
#include "store/store.h"

/*
 * Retry the input of document file_id in spool: the caller is an
 * operator (actor: a user name) giving a reason.  On success out (may be
 * NULL) holds the retry of file_id (to_path: where the input now is).
 *
 * Refused, with rule NOT_RETRYABLE (PS_ESTATE), when the document is not
 * REJECTED (applied, in progress, a DUPLICATE), was retried before, is no
 * longer in failed/ or no longer holds the bytes received, or when the
 * same content was applied since by another copy; inbound/<b>/<name>
 * taken by another file is PS_ECONFLICT (NOT_RETRYABLE too).  A missing
 * reason is REASON_REQUIRED, an unknown id NOT_FOUND (PS_ENOTFOUND).
 *
 * The retry is recorded first, then the input moved (rename, never over
 * another file) with a .done marker: a crash between leaves a recorded
 * retry whose input is still in failed/, which running the same retry
 * again finishes.
 */
int ps_retry_input(struct ps_engine *eng, const char *spool,
                   const char *file_id, const char *reason, const char *actor,
                   struct ps_file_retry *out, struct ps_err *err);

#endif /* PS_RETRY_H */
