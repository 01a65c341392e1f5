/*
 * linx.h -- LinX requests: creation with a token, status changes through
 * the transition table (linxtable.h), token look-up, extension.
 *
 * ps_linx_apply() is the only writer of a request's status: it re-reads
 * the row, asks ps_linx_next(), and writes the status and its history row
 * in one store transaction (a SAVEPOINT inside the caller's).
 *
 * Tokens: ps_linx_create() draws PS_LINX_TOKEN_BYTES random bytes from
 * libsodium, hands the token out once (hex, in the link) and stores only
 * its keyed hash (ps_keys_token).  A token is looked up by hashing it
 * again.
 */
#ifndef PS_LINX_H
#define PS_LINX_H

#include "base/crypto.h"
#include "base/err.h"
#include "engine/linxtable.h"
#include "store/linx.h"
#include "store/store.h"

/* 32 random bytes: 256 bits, twice the minimum of 128. */
#define PS_LINX_TOKEN_BYTES 32
#define PS_LINX_TOKEN_SIZE (PS_LINX_TOKEN_BYTES * 2 + 1)
#define PS_LINX_LINK_SIZE 512

/* A mobile number in E.164: "+", a first digit 1-9, 8 to 15 digits in all
 * (rule MOBILE_FORMAT). */
int ps_linx_mobile_check(const char *mobile, struct ps_err *err);

/*
 * Create request *r (id, business_id, ref, mobile, activities, expires_at
 * and the optional fields filled by the caller; status, token hash and
 * times are set here) in status CREATED with its first history row.
 * The token is written to token (once: it is not kept) and the link,
 * gateway_url + "/" + token, to link (may be NULL).  A ref the business
 * used before gives PS_ECONFLICT (rule DUPLICATE_REQUEST).
 */
int ps_linx_create(struct ps_store *store, const struct ps_keys *keys,
                   const char *gateway_url, struct ps_linx_row *r,
                   const struct ps_source *src,
                   char token[PS_LINX_TOKEN_SIZE],
                   char link[PS_LINX_LINK_SIZE], struct ps_err *err);

/*
 * Apply ev to request `id`; reason is the decline reason for DECLINE, the
 * failure for FAIL, else the history's reason (may be NULL).  The new row
 * in *out (may be NULL).  On any error nothing changed.
 */
int ps_linx_apply(struct ps_store *store, const char *id,
                  enum ps_linx_event ev, const char *reason,
                  const struct ps_source *src, struct ps_linx_row *out,
                  struct ps_err *err);

/* The status of a row, from its name (CHECK constraints make it known). */
enum ps_linx_status ps_linx_row_status(const struct ps_linx_row *r);

/*
 * The request of a token.  Unknown: PS_ENOTFOUND (rule LINX_TOKEN_UNKNOWN).
 * A request no longer active: PS_ESTATE (rule LINX_NOT_ACTIVE); one whose
 * expiry has passed (now, ISO-8601 UTC) but not yet marked: PS_ESTATE
 * (rule LINX_EXPIRED).  *out is filled in both PS_ESTATE cases.
 */
int ps_linx_by_token(struct ps_store *store, const struct ps_keys *keys,
                     const char *token, const char *now,
                     struct ps_linx_row *out, struct ps_err *err);

/* Move an active request's expiry to expires_at (later than now and than
 * the current expiry: rule LINX_EXPIRY); else LINX_NOT_ACTIVE. */
int ps_linx_extend(struct ps_store *store, const char *id,
                   const char *expires_at, const struct ps_source *src,
                   struct ps_linx_row *out, struct ps_err *err);

/*
 * Queue an SMS for r's mobile: kind LINK, REMINDER, RESEND or STATUS,
 * body the text without the link; link (may be NULL) is kept sealed
 * until the SMS file is written.
 */
int ps_linx_queue_sms(struct ps_store *store, const struct ps_keys *keys,
                      const struct ps_linx_row *r, const char *kind,
                      const char *body, const char *link, struct ps_err *err);

#endif /* PS_LINX_H */
