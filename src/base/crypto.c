/*
 * crypto.c -- the key file, encryption at rest, keyed tokens, check digits
 * of card, routing and bank account numbers, and PAN masking.
 *
 * Everything secret goes through libsodium.  The 32-byte master key is read
 * from the key file, three subkeys are derived from it (crypto_kdf, context
 * "payspool": id 1 for secretbox, id 2 for tokens, id 3 for the
 * secretstream of archived and failed inputs) and only the subkeys are
 * kept, in sodium_malloc'd memory (guard pages, mlock'd, read-only between
 * calls, wiped on free).  Stack copies of the master key are wiped with
 * sodium_memzero before returning.
 *
 * How it fails: key file problems (wrong size, wrong mode, symlink, not a
 * regular file) are PS_ECRYPTO with a KEY_FILE_* rule and a message that
 * says how to fix it; failed system calls are PS_EIO (ps_err_sys); a forged
 * or corrupt blob is PS_ECRYPTO/DECRYPT_FAILED; bad card, routing or account
 * numbers are PS_EINVAL with the rules documented in crypto.h.  No message
 * ever contains a full card or account number: at most a mask.
 */
#include "base/crypto.h"
#include "base/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define KEY_BYTES 32 /* size of the key file and of each subkey */
#define KDF_CONTEXT "payspool"
#define KDF_ID_SECRETBOX 1
#define KDF_ID_TOKEN 2
#define KDF_ID_ARCHIVE 3 /* secretstream key of inputs at rest (issue 18) */
#define PAN_MIN 13
#define PAN_MAX 19

_Static_assert(KEY_BYTES == crypto_kdf_KEYBYTES, "master key size");
_Static_assert(KEY_BYTES == crypto_secretbox_KEYBYTES, "secretbox key size");
_Static_assert(KEY_BYTES >= crypto_generichash_KEYBYTES_MIN &&
                   KEY_BYTES <= crypto_generichash_KEYBYTES_MAX,
               "token key size");
_Static_assert(sizeof(KDF_CONTEXT) - 1 == crypto_kdf_CONTEXTBYTES,
               "kdf context is exactly 8 bytes");
_Static_assert(PS_SEALED_OVERHEAD ==
                   crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES,
               "PS_SEALED_OVERHEAD matches secretbox");
_Static_assert(PS_TOKEN_SIZE == 2 * crypto_generichash_BYTES + 1,
               "PS_TOKEN_SIZE matches a hex BLAKE2b-256");
_Static_assert(PS_MASK_SIZE > PAN_MAX, "a masked PAN fits PS_MASK_SIZE");

/*
 * The whole struct lives in one sodium_malloc'd region, which is kept
 * read-only except while it is being filled in and wiped.
 */
struct ps_keys {
    unsigned char box[KEY_BYTES];   /* XSalsa20-Poly1305 key */
    unsigned char token[KEY_BYTES]; /* keyed BLAKE2b key */
    unsigned char archive[KEY_BYTES]; /* secretstream key (archives) */
};

_Static_assert(KEY_BYTES == crypto_secretstream_xchacha20poly1305_KEYBYTES,
               "secretstream key size");
_Static_assert(PS_STREAM_HEADER ==
                   crypto_secretstream_xchacha20poly1305_HEADERBYTES,
               "PS_STREAM_HEADER matches secretstream");
_Static_assert(PS_STREAM_ABYTES == crypto_secretstream_xchacha20poly1305_ABYTES,
               "PS_STREAM_ABYTES matches secretstream");

int ps_crypto_init(struct ps_err *err)
{
    /* 0: initialised now, 1: already initialised, -1: failure. */
    if (sodium_init() < 0)
        return ps_err_set(err, PS_ECRYPTO, "CRYPTO_INIT",
                          "libsodium failed to initialise");
    return 0;
}

/* ------------------------------------------------------------------ */
/* Key file                                                            */
/* ------------------------------------------------------------------ */

/*
 * Check an open key file: a regular file of exactly KEY_BYTES bytes that
 * only its owner may read or write.  Returns 0 or PS_ECRYPTO/PS_EIO.
 */
static int check_key_fd(int fd, const char *path, struct ps_err *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return ps_err_sys(err, errno, "cannot stat key file %s", path);
    if (!S_ISREG(st.st_mode))
        return ps_err_set(err, PS_ECRYPTO, "KEY_FILE_TYPE",
                          "key file %s is not a regular file", path);
    if ((st.st_mode & 077) != 0)
        return ps_err_set(err, PS_ECRYPTO, "KEY_FILE_MODE",
                          "key file %s has mode %04o: group and others must "
                          "have no access (run: chmod 600 %s)",
                          path, (unsigned)(st.st_mode & 07777), path);
    if (st.st_size != KEY_BYTES)
        return ps_err_set(err, PS_ECRYPTO, "KEY_FILE_SIZE",
                          "key file %s is %lld bytes, expected %d", path,
                          (long long)st.st_size, KEY_BYTES);
    return 0;
}

/*
 * Open an existing key file for reading without following a final
 * symlink.  O_NONBLOCK so a FIFO planted at the path cannot hang us before
 * check_key_fd() rejects it; it changes nothing for regular files.
 * Returns 0 and sets *fd, or an error.
 */
static int open_key_file(const char *path, int *fd, struct ps_err *err)
{
    int f = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (f < 0) {
        if (errno == ELOOP)
            return ps_err_set(err, PS_ECRYPTO, "KEY_FILE_SYMLINK",
                              "key file %s is a symbolic link; refusing it",
                              path);
        return ps_err_sys(err, errno, "cannot open key file %s", path);
    }
    *fd = f;
    return 0;
}

/* read(2) exactly len bytes; -1 with errno on error, EIO on early EOF. */
static int read_all(int fd, unsigned char *buf, size_t len)
{
    while (len > 0) {
        ssize_t r = read(fd, buf, len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0) {
            errno = EIO; /* file shrank after fstat */
            return -1;
        }
        buf += r;
        len -= (size_t)r;
    }
    return 0;
}

/*
 * fsync the directory holding path so that the new directory entry is
 * durable, not just the file's data.
 */
static int sync_parent_dir(const char *path, struct ps_err *err)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        ps_strlcpy(dir, ".", sizeof(dir));
    } else if (slash == path) {
        ps_strlcpy(dir, "/", sizeof(dir));
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof(dir))
            return ps_err_set(err, PS_EIO, "IO_ERROR",
                              "key file path is too long");
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ps_err_sys(err, errno, "cannot open directory %s", dir);
    /* Some file systems cannot fsync a directory (EINVAL); nothing more
     * can be done there, so that is not an error. */
    if (fsync(fd) != 0 && errno != EINVAL) {
        int e = errno;
        close(fd);
        return ps_err_sys(err, e, "cannot fsync directory %s", dir);
    }
    close(fd);
    return 0;
}

/*
 * Contract (crypto.h): create the key file at path with O_EXCL and mode
 * 0600, write 32 random bytes, fsync it and its directory.  If the path
 * already exists it must be a valid key file (see check_key_fd); it is
 * left alone and *created is 0.  On a failed write the half-made file is
 * removed so that a retry starts clean.  *created is written only on
 * success.
 */
int ps_keys_create(const char *path, int *created, struct ps_err *err)
{
    unsigned char master[KEY_BYTES];
    int fd = -1;
    int rc = ps_crypto_init(err);
    if (rc != 0)
        return rc;

    fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno != EEXIST)
            return ps_err_sys(err, errno, "cannot create key file %s", path);
        rc = open_key_file(path, &fd, err);
        if (rc == 0)
            rc = check_key_fd(fd, path, err);
        if (fd >= 0)
            close(fd);
        if (rc == 0 && created != NULL)
            *created = 0;
        return rc;
    }

    crypto_kdf_keygen(master);
    if (ps_write_all(fd, master, sizeof(master)) != 0) {
        rc = ps_err_sys(err, errno, "cannot write key file %s", path);
        goto fail;
    }
    if (fsync(fd) != 0) {
        rc = ps_err_sys(err, errno, "cannot fsync key file %s", path);
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = ps_err_sys(err, errno, "cannot close key file %s", path);
        goto fail;
    }
    fd = -1;
    rc = sync_parent_dir(path, err);
    if (rc != 0)
        goto out; /* the key itself is complete; keep it */
    if (created != NULL)
        *created = 1;
    goto out;

fail:
    if (fd >= 0)
        close(fd);
    unlink(path);
out:
    sodium_memzero(master, sizeof(master));
    return rc;
}

/*
 * Contract (crypto.h): load and check the key file, derive the two
 * subkeys.  *out is written only on success and is freed with
 * ps_keys_free().  Errors: PS_ECRYPTO (KEY_FILE_*), PS_EIO, PS_ENOMEM.
 */
int ps_keys_load(const char *path, struct ps_keys **out, struct ps_err *err)
{
    unsigned char master[KEY_BYTES];
    struct ps_keys *keys = NULL;
    int fd = -1;
    int rc = ps_crypto_init(err);
    if (rc != 0)
        return rc;

    rc = open_key_file(path, &fd, err);
    if (rc != 0)
        return rc;
    rc = check_key_fd(fd, path, err);
    if (rc != 0)
        goto out;
    if (read_all(fd, master, sizeof(master)) != 0) {
        rc = ps_err_sys(err, errno, "cannot read key file %s", path);
        goto out;
    }

    keys = sodium_malloc(sizeof(*keys));
    if (keys == NULL) {
        rc = ps_err_set(err, PS_ENOMEM, NULL,
                        "cannot allocate secure memory for keys");
        goto out;
    }
    if (crypto_kdf_derive_from_key(keys->box, sizeof(keys->box),
                                   KDF_ID_SECRETBOX, KDF_CONTEXT,
                                   master) != 0 ||
        crypto_kdf_derive_from_key(keys->token, sizeof(keys->token),
                                   KDF_ID_TOKEN, KDF_CONTEXT, master) != 0 ||
        crypto_kdf_derive_from_key(keys->archive, sizeof(keys->archive),
                                   KDF_ID_ARCHIVE, KDF_CONTEXT, master) != 0) {
        rc = ps_err_set(err, PS_ECRYPTO, "KEY_DERIVE",
                        "cannot derive subkeys from key file %s", path);
        goto out;
    }
    /* Best effort: a failure here only loses the extra protection. */
    (void)sodium_mprotect_readonly(keys);
    *out = keys;
    keys = NULL;

out:
    sodium_memzero(master, sizeof(master));
    if (fd >= 0)
        close(fd);
    ps_keys_free(keys);
    return rc;
}

void ps_keys_free(struct ps_keys *keys)
{
    if (keys == NULL)
        return;
    (void)sodium_mprotect_readwrite(keys);
    sodium_memzero(keys, sizeof(*keys));
    sodium_free(keys);
}

/* ------------------------------------------------------------------ */
/* Tokens and sealing                                                  */
/* ------------------------------------------------------------------ */

/*
 * Contract (crypto.h): out receives 64 lower-case hex chars and a NUL.
 * Deterministic for one key file; different under another.  out is
 * written only on success.
 */
int ps_keys_token(const struct ps_keys *keys, const char *secret,
                  char out[PS_TOKEN_SIZE], struct ps_err *err)
{
    unsigned char hash[crypto_generichash_BYTES];
    if (PS_NEVER(keys == NULL || secret == NULL))
        return ps_err_set(err, PS_EINTERNAL, NULL,
                          "ps_keys_token: NULL argument");
    if (crypto_generichash(hash, sizeof(hash), (const unsigned char *)secret,
                           strlen(secret), keys->token,
                           sizeof(keys->token)) != 0)
        return ps_err_set(err, PS_ECRYPTO, "TOKEN_FAILED",
                          "cannot compute token");
    sodium_bin2hex(out, PS_TOKEN_SIZE, hash, sizeof(hash));
    sodium_memzero(hash, sizeof(hash));
    return 0;
}

/*
 * Contract (crypto.h): out (len + PS_SEALED_OVERHEAD bytes) receives
 * nonce || MAC || ciphertext.  A fresh random nonce each call, so sealing
 * the same plaintext twice gives different blobs.
 */
int ps_keys_seal(const struct ps_keys *keys, const void *plain, size_t len,
                 unsigned char *out, struct ps_err *err)
{
    if (PS_NEVER(keys == NULL || out == NULL || (plain == NULL && len > 0)))
        return ps_err_set(err, PS_EINTERNAL, NULL,
                          "ps_keys_seal: NULL argument");
    if (len > crypto_secretbox_MESSAGEBYTES_MAX - PS_SEALED_OVERHEAD)
        return ps_err_set(err, PS_EINVAL, "SEAL_TOO_LARGE",
                          "plaintext of %zu bytes is too large to seal", len);
    randombytes_buf(out, crypto_secretbox_NONCEBYTES);
    if (crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES,
                              (const unsigned char *)plain,
                              (unsigned long long)len, out, keys->box) != 0)
        return ps_err_set(err, PS_ECRYPTO, "SEAL_FAILED", "cannot encrypt");
    return 0;
}

/*
 * Contract (crypto.h): verify and decrypt a blob made by ps_keys_seal().
 * out receives len - PS_SEALED_OVERHEAD bytes, and only if the MAC checks
 * (libsodium verifies before it writes).  A short, forged or corrupt blob,
 * or one sealed under another key, is PS_ECRYPTO/DECRYPT_FAILED.
 */
int ps_keys_open(const struct ps_keys *keys, const unsigned char *sealed,
                 size_t len, void *out, struct ps_err *err)
{
    if (PS_NEVER(keys == NULL || (sealed == NULL && len > 0)))
        return ps_err_set(err, PS_EINTERNAL, NULL,
                          "ps_keys_open: NULL argument");
    if (len < PS_SEALED_OVERHEAD)
        return ps_err_set(err, PS_ECRYPTO, "DECRYPT_FAILED",
                          "sealed blob of %zu bytes is shorter than %d", len,
                          PS_SEALED_OVERHEAD);
    if (crypto_secretbox_open_easy(
            (unsigned char *)out, sealed + crypto_secretbox_NONCEBYTES,
            (unsigned long long)(len - crypto_secretbox_NONCEBYTES), sealed,
            keys->box) != 0)
        return ps_err_set(err, PS_ECRYPTO, "DECRYPT_FAILED",
                          "cannot decrypt: the data is corrupt, forged or "
                          "was sealed under another key");
    return 0;
}

/* ------------------------------------------------------------------ */
/* Streams at rest                                                     */
/* ------------------------------------------------------------------ */

/* One stream's state; sodium_malloc'd (it holds the per-stream key). */
struct ps_stream {
    crypto_secretstream_xchacha20poly1305_state st;
};

static int stream_new(struct ps_stream **out, struct ps_err *err)
{
    *out = sodium_malloc(sizeof(**out));
    if (*out == NULL)
        return ps_err_set(err, PS_ENOMEM, NULL,
                          "cannot allocate secure memory for a stream");
    return 0;
}

int ps_stream_seal_begin(const struct ps_keys *keys, struct ps_stream **out,
                         unsigned char header[PS_STREAM_HEADER],
                         struct ps_err *err)
{
    struct ps_stream *s;
    int rc;
    if (PS_NEVER(keys == NULL))
        return ps_err_set(err, PS_EINTERNAL, NULL, "no keys");
    if ((rc = stream_new(&s, err)) != 0)
        return rc;
    if (crypto_secretstream_xchacha20poly1305_init_push(&s->st, header,
                                                        keys->archive) != 0) {
        ps_stream_free(s);
        return ps_err_set(err, PS_ECRYPTO, "SEAL_FAILED",
                          "cannot start an encrypted stream");
    }
    *out = s;
    return 0;
}

int ps_stream_open_begin(const struct ps_keys *keys,
                         const unsigned char header[PS_STREAM_HEADER],
                         struct ps_stream **out, struct ps_err *err)
{
    struct ps_stream *s;
    int rc;
    if (PS_NEVER(keys == NULL))
        return ps_err_set(err, PS_EINTERNAL, NULL, "no keys");
    if ((rc = stream_new(&s, err)) != 0)
        return rc;
    if (crypto_secretstream_xchacha20poly1305_init_pull(&s->st, header,
                                                        keys->archive) != 0) {
        ps_stream_free(s);
        return ps_err_set(err, PS_ECRYPTO, "ARCHIVE_TAMPERED",
                          "the encrypted stream's header is invalid");
    }
    *out = s;
    return 0;
}

int ps_stream_push(struct ps_stream *s, const void *in, size_t len,
                   const void *ad, size_t adlen, int final, unsigned char *out,
                   struct ps_err *err)
{
    unsigned char tag = final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                              : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    if (crypto_secretstream_xchacha20poly1305_push(
            &s->st, out, NULL, (const unsigned char *)in,
            (unsigned long long)len, (const unsigned char *)ad,
            (unsigned long long)adlen, tag) != 0)
        return ps_err_set(err, PS_ECRYPTO, "SEAL_FAILED", "cannot encrypt");
    return 0;
}

int ps_stream_pull(struct ps_stream *s, const unsigned char *in, size_t len,
                   const void *ad, size_t adlen, unsigned char *out,
                   int *final, struct ps_err *err)
{
    unsigned char tag = 0;
    if (len < PS_STREAM_ABYTES ||
        crypto_secretstream_xchacha20poly1305_pull(
            &s->st, out, NULL, &tag, in, (unsigned long long)len,
            (const unsigned char *)ad, (unsigned long long)adlen) != 0)
        return ps_err_set(err, PS_ECRYPTO, "ARCHIVE_TAMPERED",
                          "the encrypted data fails authentication: it was "
                          "altered, or sealed under another key file");
    *final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    return 0;
}

void ps_stream_free(struct ps_stream *s)
{
    if (s != NULL)
        sodium_free(s); /* wipes it */
}

/* ------------------------------------------------------------------ */
/* Check digits                                                        */
/* ------------------------------------------------------------------ */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Luhn over s[0..n) which the caller has checked is all digits. */
static int luhn_ok(const char *s, size_t n)
{
    return ps_luhn_run(s, n);
}

/*
 * Length of s if it is PAN_MIN..PAN_MAX ASCII digits, else 0.  Stops
 * reading after PAN_MAX + 1 characters.
 */
static size_t pan_digits(const char *s)
{
    size_t n = 0;
    if (s == NULL)
        return 0;
    while (n <= PAN_MAX && s[n] != '\0') {
        if (!is_digit(s[n]))
            return 0;
        n++;
    }
    /* n <= PAN_MAX here means the loop stopped at the NUL. */
    if (n < PAN_MIN || n > PAN_MAX)
        return 0;
    return n;
}

int ps_luhn_valid(const char *digits)
{
    size_t n = pan_digits(digits);
    return n != 0 && luhn_ok(digits, n);
}

int ps_card_check(const char *pan, struct ps_err *err)
{
    char mask[PS_MASK_SIZE];
    size_t n = pan_digits(pan);
    if (n == 0)
        return ps_err_set(err, PS_EINVAL, "CARD_FORMAT",
                          "card number must be %d to %d digits with no "
                          "spaces or dashes",
                          PAN_MIN, PAN_MAX);
    if (!luhn_ok(pan, n))
        return ps_err_set(err, PS_EINVAL, "CARD_LUHN",
                          "card number %s fails the Luhn check",
                          ps_mask_pan(pan, mask));
    return 0;
}

int ps_aba_check(const char *rtn, struct ps_err *err)
{
    static const unsigned weight[9] = {3, 7, 1, 3, 7, 1, 3, 7, 1};
    unsigned sum = 0;
    size_t i;
    /* The input is never echoed: a 9-digit value in the wrong column may
     * be an account number or an SSN. */
    for (i = 0; rtn != NULL && i < 9 && is_digit(rtn[i]); i++)
        sum += weight[i] * (unsigned)(rtn[i] - '0');
    if (rtn == NULL || i != 9 || rtn[9] != '\0')
        return ps_err_set(err, PS_EINVAL, "ROUTING_FORMAT",
                          "routing number must be exactly 9 digits");
    if (sum % 10 != 0)
        return ps_err_set(err, PS_EINVAL, "ABA_CHECK_DIGIT",
                          "routing number fails the ABA check digit");
    return 0;
}

int ps_bank_account_check(const char *acct, struct ps_err *err)
{
    size_t n;
    if (acct == NULL)
        return ps_err_set(err, PS_EINVAL, "ACCOUNT_NUMBER_FORMAT",
                          "bank account number is missing");
    for (n = 0; n <= 17 && acct[n] != '\0'; n++) {
        if (is_digit(acct[n]))
            continue;
        /* '-' only between two digits */
        if (acct[n] == '-' && n > 0 && is_digit(acct[n - 1]) &&
            is_digit(acct[n + 1]))
            continue;
        return ps_err_set(err, PS_EINVAL, "ACCOUNT_NUMBER_FORMAT",
                          "bank account number may contain only digits and "
                          "'-' between digits");
    }
    if (n < 4 || n > 17)
        return ps_err_set(err, PS_EINVAL, "ACCOUNT_NUMBER_FORMAT",
                          "bank account number must be 4 to 17 characters");
    return 0;
}

/* ------------------------------------------------------------------ */
/* Masks and redaction                                                 */
/* ------------------------------------------------------------------ */

/*
 * BIN + last 4 for a 13..19 digit PAN.  Anything else (too short, too
 * long, not all digits) gets the last-4 mask instead, so the result never
 * shows more than PCI allows whatever the input.
 */
const char *ps_mask_pan(const char *pan, char out[PS_MASK_SIZE])
{
    size_t n = pan_digits(pan);
    if (n == 0)
        return ps_mask_last4(pan, out);
    memcpy(out, pan, 6);
    memset(out + 6, '*', n - 10);
    memcpy(out + n - 4, pan + n - 4, 4);
    out[n] = '\0';
    return out;
}

/*
 * "****" + the last 4 characters.  Inputs of 4 characters or fewer give
 * just "****": showing "the last 4" of them would show all of it.
 */
const char *ps_mask_last4(const char *num, char out[PS_MASK_SIZE])
{
    size_t n = num != NULL ? strlen(num) : 0;
    memcpy(out, "****", 4);
    if (n > 4) {
        memcpy(out + 4, num + n - 4, 4);
        out[8] = '\0';
    } else {
        out[4] = '\0';
    }
    return out;
}
