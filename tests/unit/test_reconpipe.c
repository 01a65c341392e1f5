/*
 * test_reconpipe.c -- unit tests for outbound/reconpipe.c: bytes written
 * through the pipe in pieces of every size (one byte, across a block's
 * end, several blocks at once) reach the output in order, whole, with the
 * SHA-256 of those bytes; records, formatted on the thread by the pipe's
 * callback, come out in their place among the bytes; an empty pipe
 * publishes an empty output; a NULL pipe closes as nothing; a callback's
 * error comes back from a later write or from close.
 *
 * Each test gets a fresh directory under $TMPDIR (or /tmp), removed after.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/output.h"
#include "outbound/reconpipe.h"
#include "testutil.h"

#define fixture ps_test_dir

static int setup(void **state)
{
    return ps_test_dir_setup(state, "test_reconpipe");
}

static int teardown(void **state)
{
    return ps_test_dir_teardown(state);
}

static void hex_of(const unsigned char *b, size_t n, char hex[PS_SHA256_HEX])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, b, n);
    sodium_bin2hex(hex, PS_SHA256_HEX, digest, sizeof(digest));
}

/* 5 MB (five blocks of the pipe and a part) in pieces of varied sizes. */
static void test_pieces_in_order(void **state)
{
    const struct fixture *fx = *state;
    const size_t total = 5 * 1000 * 1000 + 12345;
    unsigned char *want = malloc(total);
    char hex[PS_SHA256_HEX], expect[PS_SHA256_HEX];
    struct ps_output *o = NULL;
    struct ps_recon_pipe *p = NULL;
    struct ps_err err;
    ps_err_clear(&err);
    assert_non_null(want);
    for (size_t i = 0; i < total; i++)
        want[i] = (unsigned char)((i * 2654435761u) >> 13);
    assert_int_equal(ps_output_open(fx->dir, "big.xml", 0640, &o, &err), 0);
    assert_int_equal(ps_recon_pipe_open(o, NULL, NULL, &p, &err), 0);
    size_t done = 0, step = 1;
    while (done < total) {
        size_t n = step % 997;
        if (step % 13 == 0)
            n = (1u << 20) + 3 * step; /* more than a block at once */
        if (n > total - done)
            n = total - done;
        assert_int_equal(
            ps_recon_pipe_write(p, (const char *)want + done, n, &err), 0);
        done += n;
        step = (step * 7 + 3) % 100003;
    }
    assert_int_equal(ps_recon_pipe_close(p, &err), 0);
    assert_int_equal(ps_output_size(o), total);
    assert_int_equal(ps_output_commit(o, hex, &err), 0);
    hex_of(want, total, expect);
    assert_string_equal(hex, expect);
    size_t len = 0;
    char *got = ps_test_slurp(ps_test_path(fx->dir, "big.xml", 0), &len);
    assert_int_equal(len, total);
    assert_memory_equal(got, want, total);
    free(got);
    free(want);
}

/* Nothing written: an empty output, its hash the empty string's. */
static void test_empty(void **state)
{
    const struct fixture *fx = *state;
    char hex[PS_SHA256_HEX], expect[PS_SHA256_HEX];
    struct ps_output *o = NULL;
    struct ps_recon_pipe *p = NULL;
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(ps_output_open(fx->dir, "empty.xml", 0640, &o, &err), 0);
    assert_int_equal(ps_recon_pipe_open(o, NULL, NULL, &p, &err), 0);
    assert_int_equal(ps_recon_pipe_close(p, &err), 0);
    assert_int_equal(ps_output_size(o), 0);
    assert_int_equal(ps_output_commit(o, hex, &err), 0);
    hex_of((const unsigned char *)"", 0, expect);
    assert_string_equal(hex, expect);
    assert_int_equal(ps_recon_pipe_close(NULL, &err), 0);
}

/* The record callback: "<n>" for a record holding the number n. */
static int rec_fmt(void *ctx, struct ps_output *o, const void *rec, size_t n,
                   struct ps_err *err)
{
    char buf[32];
    long v;
    (void)ctx;
    assert_int_equal(n, sizeof(v));
    memcpy(&v, rec, sizeof(v));
    int l = snprintf(buf, sizeof(buf), "<%ld>", v);
    return ps_output_write(o, buf, (size_t)l, err);
}

/* 300,000 records (several blocks) between bytes: the same text as
 * written in one go. */
static void test_records_in_place(void **state)
{
    const struct fixture *fx = *state;
    const long count = 300000;
    char *want = malloc((size_t)count * 24), hex[PS_SHA256_HEX];
    char expect[PS_SHA256_HEX];
    size_t wn = 0;
    struct ps_output *o = NULL;
    struct ps_recon_pipe *p = NULL;
    struct ps_err err;
    ps_err_clear(&err);
    assert_non_null(want);
    assert_int_equal(ps_output_open(fx->dir, "rec.xml", 0640, &o, &err), 0);
    assert_int_equal(ps_recon_pipe_open(o, rec_fmt, NULL, &p, &err), 0);
    for (long i = 0; i < count; i++) {
        if (i % 3 == 0) {
            assert_int_equal(ps_recon_pipe_write(p, "ab\n", 3, &err), 0);
            memcpy(want + wn, "ab\n", 3);
            wn += 3;
        }
        assert_int_equal(ps_recon_pipe_record(p, &i, sizeof(i), &err), 0);
        wn += (size_t)snprintf(want + wn, 24, "<%ld>", i);
    }
    assert_int_equal(ps_recon_pipe_close(p, &err), 0);
    assert_int_equal(ps_output_size(o), wn);
    assert_int_equal(ps_output_commit(o, hex, &err), 0);
    hex_of((const unsigned char *)want, wn, expect);
    assert_string_equal(hex, expect);
    size_t len = 0;
    char *got = ps_test_slurp(ps_test_path(fx->dir, "rec.xml", 0), &len);
    assert_int_equal(len, wn);
    assert_memory_equal(got, want, wn);
    free(got);
    free(want);
}

/* A callback that fails on record 5: the error comes back (from a write
 * once the thread has met it, at the latest from close). */
static int rec_fail(void *ctx, struct ps_output *o, const void *rec, size_t n,
                    struct ps_err *err)
{
    long v;
    (void)ctx;
    (void)n;
    memcpy(&v, rec, sizeof(v));
    if (v == 5)
        return ps_err_set(err, PS_EIO, "IO_ERROR", "record %ld failed", v);
    return ps_output_write(o, "x", 1, err);
}

static void test_record_error(void **state)
{
    const struct fixture *fx = *state;
    struct ps_output *o = NULL;
    struct ps_recon_pipe *p = NULL;
    struct ps_err err;
    int rc = 0;
    ps_err_clear(&err);
    assert_int_equal(ps_output_open(fx->dir, "bad.xml", 0640, &o, &err), 0);
    assert_int_equal(ps_recon_pipe_open(o, rec_fail, NULL, &p, &err), 0);
    for (long i = 0; i < 400000 && rc == 0; i++)
        rc = ps_recon_pipe_record(p, &i, sizeof(i), &err);
    int rc2 = ps_recon_pipe_close(p, rc == 0 ? &err : NULL);
    assert_int_equal(rc != 0 ? rc : rc2, PS_EIO);
    assert_non_null(strstr(err.msg, "record 5 failed"));
    ps_output_abort(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pieces_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_records_in_place, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_record_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
