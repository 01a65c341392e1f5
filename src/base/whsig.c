/*
 * whsig.c -- webhook signatures (Standard Webhooks 1.0).  See whsig.h.
 */
#include "base/whsig.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

int ps_whsig_secret(const char *secret, unsigned char key[PS_WHSIG_KEY_MAX],
                    size_t *keylen, struct ps_err *err)
{
    size_t n;
    if (secret == NULL || strncmp(secret, "whsec_", 6) != 0)
        return ps_err_set(err, PS_EINVAL, "WEBHOOK_SECRET",
                          "a webhook secret is whsec_ and the base64 of its "
                          "key");
    secret += 6;
    n = strlen(secret);
    while (n > 0 && (secret[n - 1] == '\n' || secret[n - 1] == '\r' ||
                     secret[n - 1] == ' '))
        n--;
    if (sodium_init() < 0 ||
        sodium_base642bin(key, PS_WHSIG_KEY_MAX, secret, n, NULL, keylen,
                          NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        *keylen < 24)
        return ps_err_set(err, PS_EINVAL, "WEBHOOK_SECRET",
                          "a webhook secret is whsec_ and the base64 of 24 "
                          "to 64 key bytes");
    return 0;
}

void ps_whsig_sign(const unsigned char *key, size_t keylen, const char *id,
                   int64_t timestamp, const char *body, size_t bodylen,
                   char out[PS_WHSIG_SIZE])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char head[128];
    int n = snprintf(head, sizeof(head), "%s.%" PRId64 ".", id, timestamp);
    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)head,
                                  (unsigned long long)n);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, bodylen);
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "v1,", 3);
    sodium_bin2base64(out + 3, PS_WHSIG_SIZE - 3, mac, sizeof(mac),
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(&st, sizeof(st));
}
