/*
 * sha256.h -- SHA-256, a buffer at a time: the `.sha256` of every output,
 * the snapshot's content hash, the archive's seal, the sealed document's
 * digest.
 *
 * Nettle's SHA-256 (libnettle8, already loaded by libarchive), not
 * libsodium's: on this machine kind Nettle uses the CPU's SHA
 * instructions and hashes about 1,350 MB/s against libsodium's 300 MB/s
 * (docs/benchmarks.md, "SHA-256 by Nettle").  A 580 MB pain.001 or an
 * 800 MB camt.053 spent 1.9 s and 2.6 s in the hash.  libsodium keeps
 * everything keyed: tokens, sealing, HMAC of webhooks.
 *
 * How it fails: it does not; the state is the caller's.
 */
#ifndef PS_SHA256_H
#define PS_SHA256_H

#include <nettle/sha2.h>
#include <stddef.h>

#define PS_SHA256_BYTES 32

struct ps_sha256 {
    struct sha256_ctx ctx;
};

void ps_sha256_init(struct ps_sha256 *h);
void ps_sha256_update(struct ps_sha256 *h, const void *p, size_t len);
/* The digest; h is ready for a new hash afterwards. */
void ps_sha256_final(struct ps_sha256 *h, unsigned char out[PS_SHA256_BYTES]);
/* The digest of one buffer. */
void ps_sha256(unsigned char out[PS_SHA256_BYTES], const void *p,
               size_t len);

#endif /* PS_SHA256_H */
