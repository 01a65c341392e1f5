/*
 * whsig.h -- webhook signatures as Standard Webhooks 1.0 makes them
 * (../shared/reference/webhooks.md): the secret "whsec_" + base64 of the
 * key bytes; the signature "v1," + base64 of HMAC-SHA256(key,
 * "<id>.<timestamp>.<body>").  libsodium only.
 */
#ifndef PS_WHSIG_H
#define PS_WHSIG_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define PS_WHSIG_KEY_MAX 64
/* "v1," + 44 base64 characters + NUL. */
#define PS_WHSIG_SIZE 48

/*
 * Decode a "whsec_<base64>" secret into key (up to PS_WHSIG_KEY_MAX
 * bytes, at least 24: rule WEBHOOK_SECRET).  Trailing white space (a
 * secret file's newline) is ignored.
 */
int ps_whsig_secret(const char *secret, unsigned char key[PS_WHSIG_KEY_MAX],
                    size_t *keylen, struct ps_err *err);

/* The webhook-signature header value for one attempt. */
void ps_whsig_sign(const unsigned char *key, size_t keylen, const char *id,
                   int64_t timestamp, const char *body, size_t bodylen,
                   char out[PS_WHSIG_SIZE]);

#endif /* PS_WHSIG_H */
