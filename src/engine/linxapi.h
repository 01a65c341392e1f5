/*
 * linxapi.h -- LinX for the CLI and the scheduler, by business name and
 * request ref: settings, documents, listing, showing, extending,
 * cancelling.  The CLI reads and changes LinX only through these.
 */
#ifndef PS_LINXAPI_H
#define PS_LINXAPI_H

#include "base/err.h"
#include "engine/engine.h"
#include "engine/linx.h"

/* Set the business's LinX gateway URL (http:// or https://, rule
 * FIELD_VALUE). */
int ps_linx_set_gateway(struct ps_engine *eng, const char *business,
                        const char *url, struct ps_err *err);

/* Register document id/version with its title and the SHA-256 of the
 * file at path (hex into sha, 65 bytes).  Twice: PS_ECONFLICT (rule
 * DUPLICATE_RECORD). */
int ps_linx_document_add(struct ps_engine *eng, const char *business,
                         const char *id, const char *version,
                         const char *title, const char *path, char sha[65],
                         struct ps_err *err);

/* The requests of a business (NULL: every business), of a status (NULL:
 * every status), oldest first. */
int ps_linx_list(struct ps_engine *eng, const char *business,
                 const char *status,
                 int (*cb)(void *ctx, const struct ps_linx_row *), void *ctx,
                 struct ps_err *err);

/* Request ref of business: the row, and its history through cb (may be
 * NULL). */
int ps_linx_show(struct ps_engine *eng, const char *business, const char *ref,
                 struct ps_linx_row *out,
                 int (*cb)(void *ctx, const struct ps_linx_history_row *),
                 void *ctx, struct ps_err *err);

/* Cancel an active request (else LINX_NOT_ACTIVE). */
int ps_linx_cancel(struct ps_engine *eng, const char *business,
                   const char *ref, const char *reason,
                   struct ps_linx_row *out, struct ps_err *err);

/* Extend an active request to expires_at (ISO date or time). */
int ps_linx_extend_ref(struct ps_engine *eng, const char *business,
                       const char *ref, const char *expires_at,
                       struct ps_linx_row *out, struct ps_err *err);

#endif /* PS_LINXAPI_H */
