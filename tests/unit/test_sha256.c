/*
 * test_sha256.c -- unit tests for sha256.c: FIPS 180-2's known answers,
 * the empty input, and a long input fed in every kind of piece (empty,
 * one byte, across Nettle's 64-byte blocks, large) giving the one-shot
 * digest; the reference digests are from Python's hashlib.sha256.  Every
 * `.sha256` payspool ever wrote must still verify, so the digest of the
 * same bytes must never change.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"

static void hex(const unsigned char d[PS_SHA256_BYTES], char out[65])
{
    for (int i = 0; i < PS_SHA256_BYTES; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_known_answers(void **state)
{
    (void)state;
    unsigned char d[PS_SHA256_BYTES];
    char h[65];
    ps_sha256(d, "abc", 3);
    hex(d, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223"
                           "b00361a396177a9cb410ff61f20015ad");
    ps_sha256(d, "", 0);
    hex(d, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb924"
                           "27ae41e4649b934ca495991b7852b855");
}

#define LONG_LEN 1000003 /* not a multiple of the 64-byte block */
#define LONG_SHA                                                               \
    "987ab1b5b3b71c1d1053a817cffc3695c96e78c2b068d558c6b340a8255c3ed8"

static void test_pieces(void **state)
{
    (void)state;
    unsigned char *b = malloc(LONG_LEN);
    assert_non_null(b);
    for (size_t i = 0; i < LONG_LEN; i++)
        b[i] = (unsigned char)((i * 7 + 3) & 255);
    unsigned char one[PS_SHA256_BYTES], d[PS_SHA256_BYTES];
    char h[65];
    ps_sha256(one, b, LONG_LEN);
    hex(one, h);
    assert_string_equal(h, LONG_SHA);

    /* Pieces of 0, 1, 63, 64, 65 and 100,000 bytes, in turn. */
    static const size_t sizes[] = {0, 1, 63, 64, 65, 100000};
    struct ps_sha256 st;
    ps_sha256_init(&st);
    size_t at = 0, k = 0;
    while (at < LONG_LEN) {
        size_t n = sizes[k++ % 6];
        if (n > LONG_LEN - at)
            n = LONG_LEN - at;
        ps_sha256_update(&st, b + at, n);
        at += n;
    }
    ps_sha256_final(&st, d);
    assert_memory_equal(d, one, PS_SHA256_BYTES);

    /* The state is ready again after final: the same digest once more. */
    ps_sha256_update(&st, b, LONG_LEN);
    ps_sha256_final(&st, d);
    assert_memory_equal(d, one, PS_SHA256_BYTES);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
