/*
 * crypto.h -- the key file, encryption at rest, keyed tokens, and the check
 * digits of card and routing numbers.
 *
 * The key file holds 32 random bytes (crypto_kdf master key).  Two subkeys
 * are derived from it: one for XSalsa20-Poly1305 secretbox (card and bank
 * account numbers at rest, decrypted only by payout writers) and one for
 * keyed BLAKE2b tokens (to match a number without storing it).  The file is
 * created by `payspool init` with mode 0600 and is refused if anyone but the
 * owner can read it.  It lives outside the spool.
 */
#ifndef PS_CRYPTO_H
#define PS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/redact.h"

#include <nettle/sha2.h>

struct ps_keys; /* opaque; secrets kept in sodium_malloc'd memory */

/*
 * SHA-256 in pieces, for what hashes large files (the input's snapshot,
 * output files, the archive's seal): nettle's, which takes the CPU's SHA
 * instructions where it has them.  Here (SHA-NI) 256 MB took 0.20 s
 * against libsodium's portable code's 0.98 s; the digests are the same.
 */
typedef struct sha256_ctx ps_sha256_state;
#define PS_SHA256_BYTES SHA256_DIGEST_SIZE
static inline void ps_sha256_init(ps_sha256_state *st)
{
    sha256_init(st);
}
static inline void ps_sha256_update(ps_sha256_state *st, const void *p,
                                    size_t n)
{
    sha256_update(st, n, p);
}
static inline void ps_sha256_final(ps_sha256_state *st,
                                   unsigned char out[PS_SHA256_BYTES])
{
    sha256_digest(st, PS_SHA256_BYTES, out);
}

/* Hex token: 32 bytes of keyed BLAKE2b -> 64 hex chars + NUL. */
#define PS_TOKEN_SIZE 65
/* Encrypted blob: 24-byte nonce + 16-byte MAC + plaintext. */
#define PS_SEALED_OVERHEAD 40
/* "411111******1111" style masks and "****6789" fit in this. */
#define PS_MASK_SIZE 24

/* Call once before anything else here (idempotent). */
int ps_crypto_init(struct ps_err *err);

/*
 * Create a new key file at path (O_EXCL, mode 0600).  If it already exists
 * and is a valid key file, returns 0 and leaves it alone (init is
 * idempotent); *created says which happened (may be NULL).
 */
int ps_keys_create(const char *path, int *created, struct ps_err *err);

/* Load the key file.  Refuses group/other-readable files (rule
 * KEY_FILE_MODE) and wrong sizes.  *out from ps_keys_free(). */
int ps_keys_load(const char *path, struct ps_keys **out, struct ps_err *err);
void ps_keys_free(struct ps_keys *keys);

/* Keyed token of a secret (e.g. a PAN), hex.  Same input, same token. */
int ps_keys_token(const struct ps_keys *keys, const char *secret,
                  char out[PS_TOKEN_SIZE], struct ps_err *err);

/*
 * Encrypt `len` bytes into out (len + PS_SEALED_OVERHEAD bytes, caller's
 * buffer).  Decrypt the reverse; fails with rule DECRYPT_FAILED on a
 * forged or corrupt blob.  `out` of open() receives len - overhead bytes.
 */
int ps_keys_seal(const struct ps_keys *keys, const void *plain, size_t len,
                 unsigned char *out, struct ps_err *err);
int ps_keys_open(const struct ps_keys *keys, const unsigned char *sealed,
                 size_t len, void *out, struct ps_err *err);

/* 1 if the digit string passes the Luhn check (13..19 digits), else 0. */
int ps_luhn_valid(const char *digits);

/*
 * Validate a card number: 13..19 ASCII digits (spaces and dashes between
 * groups are not accepted), Luhn.  Rules CARD_FORMAT, CARD_LUHN.
 */
int ps_card_check(const char *pan, struct ps_err *err);

/*
 * Validate an ABA routing number: exactly 9 digits and
 * 3(d1+d4+d7) + 7(d2+d5+d8) + (d3+d6+d9) = 0 mod 10.
 * Rules ROUTING_FORMAT, ABA_CHECK_DIGIT.
 */
int ps_aba_check(const char *rtn, struct ps_err *err);

/* Bank account number: 4..17 chars, digits (and '-' inside).
 * Rule ACCOUNT_NUMBER_FORMAT. */
int ps_bank_account_check(const char *acct, struct ps_err *err);

/* "411111******1111" from a PAN (BIN + last 4).  Returns out. */
const char *ps_mask_pan(const char *pan, char out[PS_MASK_SIZE]);
/* "****6789" from any number.  Returns out. */
const char *ps_mask_last4(const char *num, char out[PS_MASK_SIZE]);

/*
 * Streams at rest (archived and failed inputs): libsodium's
 * crypto_secretstream_xchacha20poly1305 under a third subkey (crypto_kdf,
 * context "payspool", id 3).  A stream is a header (PS_STREAM_HEADER
 * bytes, written first) and messages of up to any size, each
 * PS_STREAM_ABYTES longer encrypted; the last is marked final.  `ad`
 * (may be NULL) is authenticated with every message.  A message that
 * fails authentication (altered, reordered, from another stream or key)
 * is PS_ECRYPTO with rule ARCHIVE_TAMPERED; nothing is written to out.
 */
#define PS_STREAM_HEADER 24
#define PS_STREAM_ABYTES 17
struct ps_stream;
int ps_stream_seal_begin(const struct ps_keys *keys, struct ps_stream **out,
                         unsigned char header[PS_STREAM_HEADER],
                         struct ps_err *err);
int ps_stream_open_begin(const struct ps_keys *keys,
                         const unsigned char header[PS_STREAM_HEADER],
                         struct ps_stream **out, struct ps_err *err);
/* Encrypt len bytes into out (len + PS_STREAM_ABYTES). */
int ps_stream_push(struct ps_stream *s, const void *in, size_t len,
                   const void *ad, size_t adlen, int final, unsigned char *out,
                   struct ps_err *err);
/* Decrypt len bytes into out (len - PS_STREAM_ABYTES); *final is 1 for the
 * stream's last message. */
int ps_stream_pull(struct ps_stream *s, const unsigned char *in, size_t len,
                   const void *ad, size_t adlen, unsigned char *out,
                   int *final, struct ps_err *err);
void ps_stream_free(struct ps_stream *s);

/* The redactor, ps_redact_pans(): redact.h, included here (logs, result
 * files and reports use it through this header). */

#endif /* PS_CRYPTO_H */
