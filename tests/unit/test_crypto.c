/*
 * test_crypto.c -- unit tests for crypto.c: the key file (creation, mode,
 * size, symlinks), seal/open, tokens (with known-answer vectors computed
 * independently with Python's hashlib.blake2b), Luhn, ABA, bank account
 * checks, masks and PAN redaction.
 *
 * Each test gets a fresh directory under $TMPDIR (or /tmp), removed after.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base/crypto.h"
#include "testutil.h"

/*
 * Known-answer vectors for the master key bytes 0x00..0x1f, computed with
 * hashlib.blake2b(b'', digest_size=32, key=master,
 *     salt=struct.pack('<Q', id) + 8 * b'\0', person=b'payspool' + 8 * b'\0')
 * (what crypto_kdf_derive_from_key does), then for the token
 * hashlib.blake2b(b'4111111111111111', digest_size=32, key=token_subkey).
 * Tokens are stored, so this derivation must never change.
 */
#define KAT_BOX_KEY                                                            \
    "176e2de49409d73923de2afc3b3a8c2b6f0fff62e1d615d3c5bf4b12c2a7e62b"
#define KAT_TOKEN_4111                                                         \
    "545bf77b9e4c69e3ca7de760dd1a3950f8cdaa1e924caeec0275dfdfa4cfab0e"

/* The fixture: a fresh temporary directory (testutil.h). */
#define fixture ps_test_dir

/* Path of `name` inside the test directory (static buffer per slot). */
static const char *path_in(const struct fixture *fx, const char *name, int slot)
{
    return ps_test_path(fx->dir, name, (unsigned)slot);
}

static int setup(void **state)
{
    return ps_test_dir_setup(state, "test_crypto");
}

static int teardown(void **state)
{
    return ps_test_dir_teardown(state);
}

/* Write a file of `len` bytes with the given mode. */
static void write_file(const char *path, const void *data, size_t len,
                       mode_t mode)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0); /* despite the umask */
    assert_int_equal(close(fd), 0);
}

/* Write the known-answer master key (bytes 0..31) to path, mode 0600. */
static void write_kat_key(const char *path)
{
    unsigned char master[32];
    for (size_t i = 0; i < sizeof(master); i++)
        master[i] = (unsigned char)i;
    write_file(path, master, sizeof(master), 0600);
}

/* ------------------------------------------------------------------ */
/* Key file                                                            */
/* ------------------------------------------------------------------ */

static void test_key_create_mode(void **state)
{
    const char *key = path_in(*state, "spool.key", 0);
    struct ps_err err;
    struct stat st;
    int created = -1;
    ps_err_clear(&err);

    assert_int_equal(ps_keys_create(key, &created, &err), 0);
    assert_int_equal(created, 1);
    assert_int_equal(lstat(key, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, 32);

    struct ps_keys *keys = NULL;
    assert_int_equal(ps_keys_load(key, &keys, &err), 0);
    assert_non_null(keys);
    ps_keys_free(keys);
}

static void test_key_create_idempotent(void **state)
{
    const char *key = path_in(*state, "spool.key", 0);
    unsigned char before[32], after[32];
    struct ps_err err;
    int created = -1;
    ps_err_clear(&err);

    assert_int_equal(ps_keys_create(key, &created, &err), 0);
    assert_int_equal(created, 1);
    int fd = open(key, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, before, sizeof(before)), 32);
    close(fd);

    created = -1;
    assert_int_equal(ps_keys_create(key, &created, &err), 0);
    assert_int_equal(created, 0);
    assert_int_equal(ps_keys_create(key, NULL, &err), 0); /* NULL ok */

    fd = open(key, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, after, sizeof(after)), 32);
    close(fd);
    assert_memory_equal(before, after, sizeof(before));
}

static void test_key_create_refuses_bad_existing(void **state)
{
    const char *key = path_in(*state, "spool.key", 0);
    unsigned char bytes[32] = {0};
    struct ps_err err;
    int created = 42;
    ps_err_clear(&err);

    write_file(key, bytes, sizeof(bytes), 0644);
    ps_test_expect_err(ps_keys_create(key, &created, &err), &err, PS_ECRYPTO,
                       "KEY_FILE_MODE");
    assert_int_equal(created, 42); /* out-parameter untouched on error */

    write_file(key, bytes, 16, 0600);
    ps_test_expect_err(ps_keys_create(key, &created, &err), &err, PS_ECRYPTO,
                       "KEY_FILE_SIZE");
    assert_int_equal(created, 42);
}

static void test_key_create_refuses_symlink(void **state)
{
    const char *target = path_in(*state, "elsewhere", 0);
    const char *key = path_in(*state, "spool.key", 1);
    struct ps_err err;
    ps_err_clear(&err);

    /* A dangling symlink must not be followed to create the target. */
    assert_int_equal(symlink(target, key), 0);
    ps_test_expect_err(ps_keys_create(key, NULL, &err), &err, PS_ECRYPTO,
                       "KEY_FILE_SYMLINK");
    assert_int_equal(access(target, F_OK), -1);
}

static void test_key_create_missing_dir(void **state)
{
    const char *key = path_in(*state, "no/such/dir/spool.key", 0);
    struct ps_err err;
    ps_err_clear(&err);
    ps_test_expect_err(ps_keys_create(key, NULL, &err), &err, PS_EIO,
                       "IO_ERROR");
    assert_int_equal(err.sys_errno, ENOENT);
}

static void test_key_load_refuses_mode(void **state)
{
    const char *key = path_in(*state, "spool.key", 0);
    struct ps_keys *keys = (struct ps_keys *)&keys; /* sentinel */
    struct ps_err err;
    ps_err_clear(&err);

    write_kat_key(key);
    assert_int_equal(chmod(key, 0644), 0);
    ps_test_expect_err(ps_keys_load(key, &keys, &err), &err, PS_ECRYPTO,
                       "KEY_FILE_MODE");
    assert_ptr_equal(keys, (struct ps_keys *)&keys);
    assert_non_null(strstr(err.msg, "chmod 600"));

    /* Any group or other bit is refused, even write-only or exec. */
    static const mode_t bad[] = {0640, 0604, 0620, 0602, 0610, 0601};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(chmod(key, bad[i]), 0);
        ps_test_expect_err(ps_keys_load(key, &keys, &err), &err, PS_ECRYPTO,
                           "KEY_FILE_MODE");
    }
    /* Owner-only modes are fine. */
    assert_int_equal(chmod(key, 0400), 0);
    assert_int_equal(ps_keys_load(key, &keys, &err), 0);
    ps_keys_free(keys);
}

static void test_key_load_refuses_size(void **state)
{
    const char *key = path_in(*state, "spool.key", 0);
    unsigned char bytes[64] = {1};
    static const size_t sizes[] = {0, 1, 31, 33, 64};
    struct ps_keys *keys = NULL;
    struct ps_err err;
    ps_err_clear(&err);

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        write_file(key, bytes, sizes[i], 0600);
        ps_test_expect_err(ps_keys_load(key, &keys, &err), &err, PS_ECRYPTO,
                           "KEY_FILE_SIZE");
        assert_null(keys);
    }
}

static void test_key_load_refuses_symlink(void **state)
{
    const char *real = path_in(*state, "real.key", 0);
    const char *link = path_in(*state, "spool.key", 1);
    struct ps_keys *keys = NULL;
    struct ps_err err;
    ps_err_clear(&err);

    write_kat_key(real);
    assert_int_equal(symlink(real, link), 0);
    ps_test_expect_err(ps_keys_load(link, &keys, &err), &err, PS_ECRYPTO,
                       "KEY_FILE_SYMLINK");
    assert_null(keys);
    assert_int_equal(ps_keys_load(real, &keys, &err), 0);
    ps_keys_free(keys);
}

static void test_key_load_refuses_non_regular(void **state)
{
    const char *dir = path_in(*state, "adir", 0);
    const char *fifo = path_in(*state, "afifo", 1);
    struct ps_keys *keys = NULL;
    struct ps_err err;
    ps_err_clear(&err);

    assert_int_equal(mkdir(dir, 0700), 0);
    ps_test_expect_err(ps_keys_load(dir, &keys, &err), &err, PS_ECRYPTO,
                       "KEY_FILE_TYPE");
    /* Must not block waiting for a writer. */
    assert_int_equal(mkfifo(fifo, 0600), 0);
    ps_test_expect_err(ps_keys_load(fifo, &keys, &err), &err, PS_ECRYPTO,
                       "KEY_FILE_TYPE");
    assert_null(keys);
}

static void test_key_load_missing(void **state)
{
    const char *key = path_in(*state, "absent.key", 0);
    struct ps_keys *keys = NULL;
    struct ps_err err;
    ps_err_clear(&err);
    ps_test_expect_err(ps_keys_load(key, &keys, &err), &err, PS_EIO,
                       "IO_ERROR");
    assert_int_equal(err.sys_errno, ENOENT);
    assert_null(keys);
    ps_keys_free(NULL); /* does nothing */
}

/* ------------------------------------------------------------------ */
/* Seal, open, token                                                   */
/* ------------------------------------------------------------------ */

static struct ps_keys *load_new_key(const struct fixture *fx, const char *name)
{
    const char *key = path_in(fx, name, 3);
    struct ps_keys *keys = NULL;
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(ps_keys_create(key, NULL, &err), 0);
    assert_int_equal(ps_keys_load(key, &keys, &err), 0);
    return keys;
}

static void test_seal_open_roundtrip(void **state)
{
    struct ps_keys *keys = load_new_key(*state, "a.key");
    const char plain[] = "021000021:123456789";
    unsigned char sealed1[sizeof(plain) + PS_SEALED_OVERHEAD];
    unsigned char sealed2[sizeof(plain) + PS_SEALED_OVERHEAD];
    char back[sizeof(plain)];
    struct ps_err err;
    ps_err_clear(&err);

    assert_int_equal(ps_keys_seal(keys, plain, sizeof(plain), sealed1, &err),
                     0);
    assert_int_equal(ps_keys_seal(keys, plain, sizeof(plain), sealed2, &err),
                     0);
    /* Random nonce: the same plaintext never seals to the same blob. */
    assert_memory_not_equal(sealed1, sealed2, sizeof(sealed1));
    assert_null(memmem(sealed1, sizeof(sealed1), plain, sizeof(plain) - 1));

    assert_int_equal(ps_keys_open(keys, sealed1, sizeof(sealed1), back, &err),
                     0);
    assert_memory_equal(back, plain, sizeof(plain));
    memset(back, 0, sizeof(back));
    assert_int_equal(ps_keys_open(keys, sealed2, sizeof(sealed2), back, &err),
                     0);
    assert_memory_equal(back, plain, sizeof(plain));

    /* Empty plaintext: a bare nonce + MAC. */
    unsigned char empty[PS_SEALED_OVERHEAD];
    assert_int_equal(ps_keys_seal(keys, "", 0, empty, &err), 0);
    assert_int_equal(ps_keys_open(keys, empty, sizeof(empty), back, &err), 0);
    ps_keys_free(keys);
}

static void test_open_tampered(void **state)
{
    struct ps_keys *keys = load_new_key(*state, "a.key");
    struct ps_keys *other = load_new_key(*state, "b.key");
    const char plain[] = "4111111111111111";
    unsigned char sealed[sizeof(plain) + PS_SEALED_OVERHEAD];
    char back[sizeof(plain)];
    struct ps_err err;
    ps_err_clear(&err);

    assert_int_equal(ps_keys_seal(keys, plain, sizeof(plain), sealed, &err), 0);
    /* Flip one bit at every position: nonce, MAC and ciphertext. */
    for (size_t i = 0; i < sizeof(sealed); i++) {
        sealed[i] ^= 0x01;
        memset(back, 'x', sizeof(back));
        ps_test_expect_err(
            ps_keys_open(keys, sealed, sizeof(sealed), back, &err), &err,
            PS_ECRYPTO, "DECRYPT_FAILED");
        /* nothing written on failure */
        for (size_t j = 0; j < sizeof(back); j++)
            assert_int_equal(back[j], 'x');
        sealed[i] ^= 0x01;
    }
    /* Truncated blobs. */
    ps_test_expect_err(
        ps_keys_open(keys, sealed, sizeof(sealed) - 1, back, &err), &err,
        PS_ECRYPTO, "DECRYPT_FAILED");
    ps_test_expect_err(
        ps_keys_open(keys, sealed, PS_SEALED_OVERHEAD - 1, back, &err), &err,
        PS_ECRYPTO, "DECRYPT_FAILED");
    ps_test_expect_err(ps_keys_open(keys, sealed, 0, back, &err), &err,
                       PS_ECRYPTO, "DECRYPT_FAILED");
    /* Another key file. */
    ps_test_expect_err(ps_keys_open(other, sealed, sizeof(sealed), back, &err),
                       &err, PS_ECRYPTO, "DECRYPT_FAILED");
    /* Intact blob still opens. */
    assert_int_equal(ps_keys_open(keys, sealed, sizeof(sealed), back, &err), 0);
    assert_string_equal(back, plain);
    ps_keys_free(keys);
    ps_keys_free(other);
}

/* Streams at rest (archives): two messages, the last final; a changed
 * byte, a message from another stream or another key file is refused. */
static void test_stream(void **state)
{
    struct ps_keys *keys = load_new_key(*state, "a.key");
    struct ps_keys *other = load_new_key(*state, "b.key");
    unsigned char hdr[PS_STREAM_HEADER], hdr2[PS_STREAM_HEADER];
    unsigned char c1[5 + PS_STREAM_ABYTES], c2[3 + PS_STREAM_ABYTES];
    unsigned char back[8];
    struct ps_stream *w = NULL, *r = NULL;
    struct ps_err err;
    int final = -1;
    ps_err_clear(&err);
    assert_int_equal(ps_stream_seal_begin(keys, &w, hdr, &err), 0);
    assert_int_equal(ps_stream_push(w, "hello", 5, "ad", 2, 0, c1, &err), 0);
    assert_int_equal(ps_stream_push(w, "end", 3, "ad", 2, 1, c2, &err), 0);
    ps_stream_free(w);
    assert_null(memmem(c1, sizeof(c1), "hello", 5));

    assert_int_equal(ps_stream_open_begin(keys, hdr, &r, &err), 0);
    assert_int_equal(
        ps_stream_pull(r, c1, sizeof(c1), "ad", 2, back, &final, &err), 0);
    assert_memory_equal(back, "hello", 5);
    assert_int_equal(final, 0);
    assert_int_equal(
        ps_stream_pull(r, c2, sizeof(c2), "ad", 2, back, &final, &err), 0);
    assert_memory_equal(back, "end", 3);
    assert_int_equal(final, 1);
    ps_stream_free(r);

    /* Out of order (the final message first), a changed byte, other
     * associated data, another key file: refused. */
    assert_int_equal(ps_stream_open_begin(keys, hdr, &r, &err), 0);
    ps_test_expect_err(
        ps_stream_pull(r, c2, sizeof(c2), "ad", 2, back, &final, &err), &err,
        PS_ECRYPTO, "ARCHIVE_TAMPERED");
    ps_stream_free(r);
    c1[3] ^= 1;
    assert_int_equal(ps_stream_open_begin(keys, hdr, &r, &err), 0);
    ps_test_expect_err(
        ps_stream_pull(r, c1, sizeof(c1), "ad", 2, back, &final, &err), &err,
        PS_ECRYPTO, "ARCHIVE_TAMPERED");
    ps_stream_free(r);
    c1[3] ^= 1;
    assert_int_equal(ps_stream_open_begin(keys, hdr, &r, &err), 0);
    ps_test_expect_err(
        ps_stream_pull(r, c1, sizeof(c1), "xx", 2, back, &final, &err), &err,
        PS_ECRYPTO, "ARCHIVE_TAMPERED");
    ps_stream_free(r);
    assert_int_equal(ps_stream_open_begin(other, hdr, &r, &err), 0);
    ps_test_expect_err(
        ps_stream_pull(r, c1, sizeof(c1), "ad", 2, back, &final, &err), &err,
        PS_ECRYPTO, "ARCHIVE_TAMPERED");
    ps_stream_free(r);
    /* Each stream its own header (a fresh key and nonce). */
    assert_int_equal(ps_stream_seal_begin(keys, &w, hdr2, &err), 0);
    ps_stream_free(w);
    assert_memory_not_equal(hdr, hdr2, sizeof(hdr));
    ps_keys_free(keys);
    ps_keys_free(other);
}

static void test_token(void **state)
{
    struct ps_keys *a = load_new_key(*state, "a.key");
    struct ps_keys *b = load_new_key(*state, "b.key");
    char t1[PS_TOKEN_SIZE], t2[PS_TOKEN_SIZE], t3[PS_TOKEN_SIZE],
        t4[PS_TOKEN_SIZE];
    struct ps_err err;
    ps_err_clear(&err);

    assert_int_equal(ps_keys_token(a, "4111111111111111", t1, &err), 0);
    assert_int_equal(ps_keys_token(a, "4111111111111111", t2, &err), 0);
    assert_int_equal(ps_keys_token(a, "4111111111111112", t3, &err), 0);
    assert_int_equal(ps_keys_token(b, "4111111111111111", t4, &err), 0);
    assert_int_equal(strlen(t1), 64);
    assert_int_equal(strspn(t1, "0123456789abcdef"), 64);
    assert_string_equal(t1, t2);
    assert_string_not_equal(t1, t3);
    assert_string_not_equal(t1, t4);
    ps_keys_free(a);
    ps_keys_free(b);
}

/* The subkey derivation is pinned by independently computed vectors. */
static void test_known_answers(void **state)
{
    const char *key = path_in(*state, "kat.key", 0);
    struct ps_keys *keys = NULL;
    char tok[PS_TOKEN_SIZE];
    struct ps_err err;
    ps_err_clear(&err);

    write_kat_key(key);
    assert_int_equal(ps_keys_load(key, &keys, &err), 0);
    assert_int_equal(ps_keys_token(keys, "4111111111111111", tok, &err), 0);
    assert_string_equal(tok, KAT_TOKEN_4111);

    /* A blob sealed directly with the expected secretbox subkey opens. */
    unsigned char box_key[crypto_secretbox_KEYBYTES];
    assert_int_equal(sodium_hex2bin(box_key, sizeof(box_key), KAT_BOX_KEY,
                                    strlen(KAT_BOX_KEY), NULL, NULL, NULL),
                     0);
    const char plain[] = "hello";
    unsigned char sealed[sizeof(plain) + PS_SEALED_OVERHEAD];
    char back[sizeof(plain)];
    randombytes_buf(sealed, crypto_secretbox_NONCEBYTES);
    assert_int_equal(crypto_secretbox_easy(sealed + crypto_secretbox_NONCEBYTES,
                                           (const unsigned char *)plain,
                                           sizeof(plain), sealed, box_key),
                     0);
    assert_int_equal(ps_keys_open(keys, sealed, sizeof(sealed), back, &err), 0);
    assert_string_equal(back, plain);
    ps_keys_free(keys);
}

/* ------------------------------------------------------------------ */
/* Card, routing and account numbers                                   */
/* ------------------------------------------------------------------ */

struct check_case {
    const char *in;
    int rc;           /* 0 or PS_EINVAL */
    const char *rule; /* when rc != 0 */
};

static void run_cases(const struct check_case *c, size_t n,
                      int (*check)(const char *, struct ps_err *))
{
    for (size_t i = 0; i < n; i++) {
        struct ps_err err;
        ps_err_clear(&err);
        int rc = check(c[i].in, &err);
        if (rc != c[i].rc || (rc != 0 && strcmp(err.rule, c[i].rule) != 0))
            fail_msg("case %zu \"%s\": got %d %s, want %d %s", i,
                     c[i].in != NULL ? c[i].in : "(null)", rc, err.rule,
                     c[i].rc, c[i].rc != 0 ? c[i].rule : "");
        /* No message ever echoes the full input. */
        if (rc != 0 && c[i].in != NULL && strlen(c[i].in) >= 4)
            assert_null(strstr(err.msg, c[i].in));
    }
}

static void test_card_check(void **state)
{
    static const struct check_case cases[] = {
        {"4111111111111111", 0, NULL},
        {"5555555555554444", 0, NULL},
        {"378282246310005", 0, NULL},
        {"6011111111111117", 0, NULL},
        {"4000056655665556", 0, NULL},
        {"4222222222222", 0, NULL}, /* 13 digits */
        {"6011000990139424", 0, NULL},
        {"4111111111111111110", 0, NULL}, /* 19 digits */
        /* one digit off */
        {"4111111111111112", PS_EINVAL, "CARD_LUHN"},
        {"5555555555554445", PS_EINVAL, "CARD_LUHN"},
        {"378282246310006", PS_EINVAL, "CARD_LUHN"},
        {"6011111111111118", PS_EINVAL, "CARD_LUHN"},
        {"4000056655665557", PS_EINVAL, "CARD_LUHN"},
        {"5111111111111111", PS_EINVAL, "CARD_LUHN"},
        /* format */
        {"411111111111", PS_EINVAL, "CARD_FORMAT"},         /* 12 */
        {"41111111111111111115", PS_EINVAL, "CARD_FORMAT"}, /* 20 */
        {"4111 1111 1111 1111", PS_EINVAL, "CARD_FORMAT"},
        {"4111-1111-1111-1111", PS_EINVAL, "CARD_FORMAT"},
        {"411111111111111a", PS_EINVAL, "CARD_FORMAT"},
        {" 4111111111111111", PS_EINVAL, "CARD_FORMAT"},
        {"4111111111111111\n", PS_EINVAL, "CARD_FORMAT"},
        {"\xd9\xa4\xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1", PS_EINVAL,
         "CARD_FORMAT"}, /* Arabic-Indic digits */
        {"", PS_EINVAL, "CARD_FORMAT"},
        {NULL, PS_EINVAL, "CARD_FORMAT"},
    };
    (void)state;
    run_cases(cases, sizeof(cases) / sizeof(cases[0]), ps_card_check);

    /* The Luhn message shows the mask, not the number. */
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(ps_card_check("4111111111111112", &err), PS_EINVAL);
    assert_non_null(strstr(err.msg, "411111******1112"));
}

static void test_luhn_valid(void **state)
{
    (void)state;
    assert_int_equal(ps_luhn_valid("4111111111111111"), 1);
    assert_int_equal(ps_luhn_valid("378282246310005"), 1);
    assert_int_equal(ps_luhn_valid("4111111111111112"), 0);
    assert_int_equal(ps_luhn_valid("0000000000000"), 1); /* 13 zeros */
    assert_int_equal(ps_luhn_valid("000000000000"), 0);  /* 12: too short */
    assert_int_equal(ps_luhn_valid("00000000000000000000"), 0); /* 20 */
    assert_int_equal(ps_luhn_valid("41111111111111x1"), 0);
    assert_int_equal(ps_luhn_valid(""), 0);
    assert_int_equal(ps_luhn_valid(NULL), 0);
}

static void test_aba_check(void **state)
{
    static const struct check_case cases[] = {
        {"011000015", 0, NULL},
        {"021000021", 0, NULL},
        {"026009593", 0, NULL},
        {"121000248", 0, NULL},
        {"011000028", 0, NULL},
        {"000000000", 0, NULL}, /* passes the arithmetic */
        {"021000022", PS_EINVAL, "ABA_CHECK_DIGIT"},
        {"011000016", PS_EINVAL, "ABA_CHECK_DIGIT"},
        {"121000249", PS_EINVAL, "ABA_CHECK_DIGIT"},
        {"12100024", PS_EINVAL, "ROUTING_FORMAT"},   /* 8 digits */
        {"0210000210", PS_EINVAL, "ROUTING_FORMAT"}, /* 10 digits */
        {"02100002A", PS_EINVAL, "ROUTING_FORMAT"},
        {"ABCDEFGHI", PS_EINVAL, "ROUTING_FORMAT"},
        {"021-000-021", PS_EINVAL, "ROUTING_FORMAT"},
        {" 21000021", PS_EINVAL, "ROUTING_FORMAT"},
        {"", PS_EINVAL, "ROUTING_FORMAT"},
        {NULL, PS_EINVAL, "ROUTING_FORMAT"},
    };
    (void)state;
    run_cases(cases, sizeof(cases) / sizeof(cases[0]), ps_aba_check);
}

static void test_bank_account_check(void **state)
{
    static const struct check_case cases[] = {
        {"1234", 0, NULL},
        {"12345678901234567", 0, NULL}, /* 17 */
        {"0001", 0, NULL},
        {"12-34", 0, NULL},
        {"1-2-3-4", 0, NULL},
        {"123-456-789", 0, NULL},
        {"123", PS_EINVAL, "ACCOUNT_NUMBER_FORMAT"},
        {"123456789012345678", PS_EINVAL, "ACCOUNT_NUMBER_FORMAT"}, /* 18 */
        {"1-2-3-4-5-6-7-8-9-0", PS_EINVAL, "ACCOUNT_NUMBER_FORMAT"},
        {"-1234", PS_EINVAL, "ACCOUNT_NUMBER_FORMAT"},
        {"1234-", PS_EINVAL, "ACCOUNT_NUMBER_FORMAT"},
        {"12--34", PS_EINVAL, "ACCOUNT_NUMBER_FORMAT"},
        {"12 34", PS_EINVAL, "ACCOUNT_NUMBER_FORMAT"},
        {"1234A", PS_EINVAL, "ACCOUNT_NUMBER_FORMAT"},
        {"12.34", PS_EINVAL, "ACCOUNT_NUMBER_FORMAT"},
        {"----", PS_EINVAL, "ACCOUNT_NUMBER_FORMAT"},
        {"", PS_EINVAL, "ACCOUNT_NUMBER_FORMAT"},
        {NULL, PS_EINVAL, "ACCOUNT_NUMBER_FORMAT"},
    };
    (void)state;
    run_cases(cases, sizeof(cases) / sizeof(cases[0]), ps_bank_account_check);
}

/* ------------------------------------------------------------------ */
/* Masks and redaction                                                 */
/* ------------------------------------------------------------------ */

static void test_masks(void **state)
{
    char m[PS_MASK_SIZE];
    (void)state;
    assert_string_equal(ps_mask_pan("4111111111111111", m), "411111******1111");
    assert_string_equal(ps_mask_pan("378282246310005", m), "378282*****0005");
    assert_string_equal(ps_mask_pan("4222222222222", m), "422222***2222");
    assert_string_equal(ps_mask_pan("4111111111111111110", m),
                        "411111*********1110");
    /* Not a PAN shape: fall back to last 4 so nothing more leaks. */
    assert_string_equal(ps_mask_pan("411111111111", m), "****1111");
    assert_string_equal(ps_mask_pan("4111 1111 1111 1111", m), "****1111");
    assert_string_equal(ps_mask_pan("41111111111111111115", m), "****1115");
    assert_string_equal(ps_mask_pan("", m), "****");
    assert_string_equal(ps_mask_pan(NULL, m), "****");
    assert_ptr_equal(ps_mask_pan("4111111111111111", m), m);

    assert_string_equal(ps_mask_last4("123456789", m), "****6789");
    assert_string_equal(ps_mask_last4("123-456-789", m), "****-789");
    assert_string_equal(ps_mask_last4("12345", m), "****2345");
    assert_string_equal(ps_mask_last4("1234", m), "****");
    assert_string_equal(ps_mask_last4("12", m), "****");
    assert_string_equal(ps_mask_last4("", m), "****");
    assert_string_equal(ps_mask_last4(NULL, m), "****");
    assert_ptr_equal(ps_mask_last4("123456789", m), m);
}

static void test_redact_pans(void **state)
{
    static const struct {
        const char *in;
        const char *out;
        int count;
    } cases[] = {
        {"card 4111111111111111 and order 1234567890123",
         "card 411111******1111 and order 1234567890123", 1},
        {"4111111111111111", "411111******1111", 1},
        {"x4111111111111111y", "x411111******1111y", 1},
        {"pan=5555555555554444;", "pan=555555******4444;", 1},
        {"\"4111111111111111\"", "\"411111******1111\"", 1},
        {"4111111111111111,5555555555554444 378282246310005",
         "411111******1111,555555******4444 378282*****0005", 3},
        {"4222222222222", "422222***2222", 1},               /* 13 */
        {"4111111111111111110", "411111*********1110", 1},   /* 19 */
        {"41111111111111111115", "41111111111111111115", 0}, /* 20 */
        {"411111111111111111111119", "411111111111111111111119", 0},
        {"4111111111111112", "4111111111111112", 0}, /* fails Luhn */
        {"411111111111", "411111111111", 0},         /* 12 digits */
        {"4111 1111 1111 1111", "4111 1111 1111 1111", 0},
        {"0000000000000", "000000***0000", 1}, /* Luhn-valid, so masked */
        {"caf\xc3\xa9 4111111111111111 \xe2\x82\xac",
         "caf\xc3\xa9 411111******1111 \xe2\x82\xac", 1},
        {"", "", 0},
        {"no digits here", "no digits here", 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[128];
        snprintf(buf, sizeof(buf), "%s", cases[i].in);
        int n = ps_redact_pans(buf);
        if (n != cases[i].count || strcmp(buf, cases[i].out) != 0)
            fail_msg("case %zu: got %d \"%s\", want %d \"%s\"", i, n, buf,
                     cases[i].count, cases[i].out);
        /* Idempotent: a redacted string has nothing left to redact. */
        assert_int_equal(ps_redact_pans(buf), 0);
    }
    assert_int_equal(ps_redact_pans(NULL), 0);
}

int main(void)
{
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_crypto_init(&err) != 0)
        return 1;
    assert_int_equal(ps_crypto_init(&err), 0); /* idempotent */

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_key_create_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_create_idempotent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_key_create_refuses_bad_existing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_create_refuses_symlink, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_key_create_missing_dir, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_key_load_refuses_mode, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_key_load_refuses_size, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_key_load_refuses_symlink, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_key_load_refuses_non_regular,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_load_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_open_roundtrip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_open_tampered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_known_answers, setup, teardown),
        cmocka_unit_test(test_card_check),
        cmocka_unit_test(test_luhn_valid),
        cmocka_unit_test(test_aba_check),
        cmocka_unit_test(test_bank_account_check),
        cmocka_unit_test(test_masks),
        cmocka_unit_test(test_redact_pans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
