/*
 * sha256.c -- SHA-256 by Nettle (sha256.h says why not libsodium's).
 */
#include "base/sha256.h"

void ps_sha256_init(struct ps_sha256 *h)
{
    sha256_init(&h->ctx);
}

void ps_sha256_update(struct ps_sha256 *h, const void *p, size_t len)
{
    if (len > 0)
        sha256_update(&h->ctx, len, (const uint8_t *)p);
}

void ps_sha256_final(struct ps_sha256 *h, unsigned char out[PS_SHA256_BYTES])
{
    sha256_digest(&h->ctx, PS_SHA256_BYTES, out);
}

void ps_sha256(unsigned char out[PS_SHA256_BYTES], const void *p, size_t len)
{
    struct ps_sha256 h;
    ps_sha256_init(&h);
    ps_sha256_update(&h, p, len);
    ps_sha256_final(&h, out);
}
