/*
 * test_stream.c -- the line reader over a ps_stream (src/stream.c).
 *
 * The input comes from an in-memory stream whose read() hands out the
 * bytes in pseudo-random small pieces (1..max bytes, from a fixed seed),
 * so that line endings, CR/LF pairs and the limits fall across read and
 * buffer boundaries in many different ways.  Every result is compared
 * with a reference splitter written the obvious way over the whole
 * input: content, length, line number and byte offset of every line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/stream.h"

/* ---- an in-memory stream --------------------------------------------- */

struct mem {
    const char *data;
    size_t len;
    size_t pos;
    size_t max_piece; /* largest piece handed out by one read() */
    uint64_t rng;     /* xorshift state; piece sizes only */
    size_t fail_at;   /* read() fails once pos reaches this; SIZE_MAX: never */
    int fail_code;    /* PS_E* code of the failure */
    int eof_reads;    /* read() calls that returned 0 */
    long reads;       /* read() calls in all */
};

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static ssize_t mem_read(void *ctx, void *buf, size_t n, struct ps_err *err)
{
    struct mem *m = ctx;
    m->reads++;
    assert_true(n > 0);
    if (m->pos >= m->fail_at) {
        if (m->fail_code == PS_EIO)
            return ps_err_sys(err, EIO, "reading the test stream");
        return ps_err_set(err, m->fail_code, "UNWRAP_TOO_LARGE",
                          "stream limit hit at byte %zu", m->pos);
    }
    if (m->pos == m->len) {
        m->eof_reads++;
        return 0;
    }
    size_t piece = 1 + (size_t)(next_rand(&m->rng) % m->max_piece);
    if (piece > n)
        piece = n;
    if (piece > m->len - m->pos)
        piece = m->len - m->pos;
    if (m->fail_at != SIZE_MAX && piece > m->fail_at - m->pos)
        piece = m->fail_at - m->pos;
    memcpy(buf, m->data + m->pos, piece);
    m->pos += piece;
    return (ssize_t)piece;
}

struct reader {
    struct mem mem;
    struct ps_stream stream;
    struct ps_lines *lr; /* the_lines: one reader at a time */
};

/*
 * The reader's state is 74 KB: kept in static storage rather than on the
 * heap so that a failing assertion (which longjmps out of the test) does
 * not leak it under LeakSanitizer.
 */
static struct ps_lines the_lines;
static const struct reader *lines_in_use;

static void reader_open(struct reader *r, const char *data, size_t len,
                        size_t max_piece, uint64_t seed)
{
    memset(r, 0, sizeof(*r));
    r->mem.data = data;
    r->mem.len = len;
    r->mem.max_piece = max_piece;
    r->mem.rng = seed * 2654435761u + 1;
    r->mem.fail_at = SIZE_MAX;
    r->stream.read = mem_read;
    r->stream.ctx = &r->mem;
    assert_null(lines_in_use);
    lines_in_use = r;
    r->lr = &the_lines;
    ps_lines_init(r->lr, &r->stream);
}

static void reader_close(struct reader *r)
{
    assert_ptr_equal(lines_in_use, r);
    lines_in_use = NULL;
    r->lr = NULL;
}

/* Forget a reader left open by a failed test. */
static int reset_reader(void **state)
{
    (void)state;
    lines_in_use = NULL;
    return 0;
}

/* ---- the reference ------------------------------------------------- */

/*
 * Split data the obvious way: at every LF; one CR right before the LF (or
 * at the very end) is not part of the line; bytes after the last LF are a
 * last line.
 * Calls cb for each line with its 1-based number and start offset.
 */
static long reference_split(const char *data, size_t len,
                            void (*cb)(void *ctx, long no, const char *s,
                                       size_t n, size_t off),
                            void *ctx)
{
    long no = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && data[i] != '\n')
            continue;
        if (i == len && start == len)
            break;
        size_t n = i - start;
        if (n > 0 && data[start + n - 1] == '\r')
            n--;
        cb(ctx, ++no, data + start, n, start);
        start = i + 1;
    }
    return no;
}

struct check_ctx {
    struct reader *r;
    const char *label;
};

/* One ps_lines_next() must give exactly this line. */
static void expect_line(void *ctx, long no, const char *s, size_t n, size_t off)
{
    struct check_ctx *c = ctx;
    struct ps_err err;
    size_t len = 12345;
    int64_t at = -7;
    ps_err_clear(&err);
    int rc = ps_lines_next(c->r->lr, &len, &at, &err);
    if (rc != 1)
        fail_msg("%s: line %ld: rc %d (%s [%s])", c->label, no, rc, err.msg,
                 err.rule);
    if (len != n || memcmp(c->r->lr->cur, s, n) != 0)
        fail_msg("%s: line %ld: got %zu bytes, want %zu", c->label, no, len, n);
    if (c->r->lr->cur[n] != '\0')
        fail_msg("%s: line %ld is not NUL-terminated", c->label, no);
    if (at != (int64_t)off)
        fail_msg("%s: line %ld: offset %lld, want %zu", c->label, no,
                 (long long)at, off);
    if (c->r->lr->line != no)
        fail_msg("%s: line number %ld, want %ld", c->label, c->r->lr->line, no);
}

static void expect_end(struct reader *r, const char *label)
{
    struct ps_err err;
    size_t len = 99;
    int64_t at = 99;
    ps_err_clear(&err);
    for (int i = 0; i < 2; i++) { /* the end stays the end */
        int rc = ps_lines_next(r->lr, &len, &at, &err);
        if (rc != 0)
            fail_msg("%s: want the end, got rc %d (%s)", label, rc, err.msg);
    }
    assert_int_equal(err.code, PS_OK);
}

/* Compare the reader with the reference, for several piece sizes. */
static void check_all(const char *data, size_t len, const char *label)
{
    static const size_t pieces[] = {1, 2, 3, 7, 64, 100000};
    for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
        for (uint64_t seed = 1; seed <= 4; seed++) {
            struct reader r;
            struct check_ctx c = {&r, label};
            reader_open(&r, data, len, pieces[p], seed);
            long n = reference_split(data, len, expect_line, &c);
            expect_end(&r, label);
            assert_int_equal(r.lr->line, n);
            assert_int_equal(r.lr->offset, (int64_t)len);
            reader_close(&r);
        }
    }
}

/* ---- endings ------------------------------------------------------- */

struct want {
    const char *s;
    int64_t off;
};

/* Read data and require exactly these lines (s NULL ends the list). */
static void expect_lines(const char *data, size_t len, const struct want *w,
                         size_t max_piece, uint64_t seed)
{
    struct reader r;
    struct ps_err err;
    long no = 0;
    reader_open(&r, data, len, max_piece, seed);
    ps_err_clear(&err);
    for (; w[no].s != NULL; no++) {
        size_t n;
        int64_t off;
        int rc = ps_lines_next(r.lr, &n, &off, &err);
        if (rc != 1)
            fail_msg("line %ld: rc %d [%s]", no + 1, rc, err.rule);
        assert_int_equal(n, strlen(w[no].s));
        assert_string_equal(r.lr->cur, w[no].s);
        assert_int_equal(off, w[no].off);
        assert_int_equal(r.lr->line, no + 1);
    }
    expect_end(&r, "expect_lines");
    reader_close(&r);
}

static void expect_lines_all(const char *data, size_t len, const struct want *w)
{
    for (size_t p = 1; p <= 7; p++)
        for (uint64_t seed = 1; seed <= 8; seed++)
            expect_lines(data, len, w, p, seed);
    expect_lines(data, len, w, SIZE_MAX / 2, 1);
    check_all(data, len, "expect_lines_all");
}

#define LEN(s) (sizeof(s) - 1)

static void test_lf(void **state)
{
    static const char in[] = "a\nbb\nccc\n";
    static const struct want w[] = {{"a", 0}, {"bb", 2}, {"ccc", 5}, {0, 0}};
    (void)state;
    expect_lines_all(in, LEN(in), w);
}

static void test_crlf(void **state)
{
    static const char in[] = "a\r\nbb\r\nccc\r\n";
    static const struct want w[] = {{"a", 0}, {"bb", 3}, {"ccc", 7}, {0, 0}};
    (void)state;
    expect_lines_all(in, LEN(in), w);
}

static void test_mixed(void **state)
{
    static const char in[] = "a\r\nb\nc\r\nd";
    static const struct want w[] = {
        {"a", 0}, {"b", 3}, {"c", 5}, {"d", 8}, {0, 0}};
    (void)state;
    expect_lines_all(in, LEN(in), w);
}

static void test_lone_cr_is_data(void **state)
{
    /* Only one CR right before the LF is part of the ending. */
    static const char in[] = "x\ry\nz\r\r\n\r\n";
    static const struct want w[] = {{"x\ry", 0}, {"z\r", 4}, {"", 8}, {0, 0}};
    (void)state;
    expect_lines_all(in, LEN(in), w);
}

static void test_last_line_without_newline(void **state)
{
    static const char one[] = "abc";
    static const struct want w1[] = {{"abc", 0}, {0, 0}};
    static const char two[] = "a\nbc";
    static const struct want w2[] = {{"a", 0}, {"bc", 2}, {0, 0}};
    static const char cr[] = "a\nbc\r";
    static const struct want w3[] = {{"a", 0}, {"bc", 2}, {0, 0}};
    (void)state;
    expect_lines_all(one, LEN(one), w1);
    expect_lines_all(two, LEN(two), w2);
    expect_lines_all(cr, LEN(cr), w3);
}

static void test_empty_lines(void **state)
{
    static const char in[] = "\n\n\r\n";
    static const struct want w[] = {{"", 0}, {"", 1}, {"", 2}, {0, 0}};
    static const char mid[] = "a\n\nb\n\n";
    static const struct want w2[] = {
        {"a", 0}, {"", 2}, {"b", 3}, {"", 5}, {0, 0}};
    (void)state;
    expect_lines_all(in, LEN(in), w);
    expect_lines_all(mid, LEN(mid), w2);
}

static void test_empty_input(void **state)
{
    struct reader r;
    (void)state;
    reader_open(&r, "", 0, 7, 1);
    expect_end(&r, "empty");
    assert_int_equal(r.lr->line, 0);
    assert_int_equal(r.lr->offset, 0);
    assert_true(r.mem.eof_reads >= 1);
    reader_close(&r);
}

/* Random text over a small alphabet, against the reference. */
static void test_random_against_reference(void **state)
{
    static const char alpha[] = "ab\r\n\n";
    char buf[3000];
    uint64_t s = 88172645463325252u;
    (void)state;
    for (int round = 0; round < 40; round++) {
        size_t len = (size_t)(next_rand(&s) % sizeof(buf));
        for (size_t i = 0; i < len; i++)
            buf[i] = alpha[next_rand(&s) % (sizeof(alpha) - 1)];
        check_all(buf, len, "random");
    }
}

/* ---- limits ----------------------------------------------------------- */

static char *repeat(char c, size_t n, const char *tail)
{
    size_t t = strlen(tail);
    char *s = malloc(n + t + 1);
    assert_non_null(s);
    memset(s, c, n);
    memcpy(s + n, tail, t + 1);
    return s;
}

static void test_line_max_ok(void **state)
{
    static const char *const tails[] = {"\nnext\n", "\nnext", ""};
    (void)state;
    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        char *in = repeat('x', PS_LINE_MAX, tails[i]);
        for (size_t p = 1; p <= 7; p += 3) {
            struct reader r;
            struct ps_err err;
            size_t n;
            int64_t off;
            reader_open(&r, in, strlen(in), p, 3);
            ps_err_clear(&err);
            assert_int_equal(ps_lines_next(r.lr, &n, &off, &err), 1);
            assert_int_equal(n, PS_LINE_MAX);
            assert_int_equal(off, 0);
            assert_int_equal(strlen(r.lr->cur), PS_LINE_MAX);
            assert_memory_equal(r.lr->cur, in, PS_LINE_MAX);
            if (tails[i][0] != '\0') {
                assert_int_equal(ps_lines_next(r.lr, &n, &off, &err), 1);
                assert_string_equal(r.lr->cur, "next");
                assert_int_equal(off, PS_LINE_MAX + 1);
                assert_int_equal(r.lr->line, 2);
            }
            expect_end(&r, "line max");
            reader_close(&r);
        }
        /* Whole reads too (the 64 KB buffer fills in one go). */
        check_all(in, strlen(in), "line max");
        free(in);
    }
}

/* The CR of a CRLF ending is not part of the line's length. */
static void test_line_max_crlf_ok(void **state)
{
    static char in[PS_LINE_MAX + 8];
    struct reader r;
    struct ps_err err;
    size_t n;
    int64_t off;
    (void)state;
    memset(in, 'y', PS_LINE_MAX);
    strcpy(in + PS_LINE_MAX, "\r\nz\r\n");
    reader_open(&r, in, strlen(in), 5, 1);
    ps_err_clear(&err);
    int rc = ps_lines_next(r.lr, &n, &off, &err);
    if (rc != 1)
        fail_msg("a %d-byte line with CRLF: rc %d [%s] %s", PS_LINE_MAX, rc,
                 err.rule, err.msg);
    assert_int_equal(n, PS_LINE_MAX);
    assert_int_equal(ps_lines_next(r.lr, &n, &off, &err), 1);
    assert_string_equal(r.lr->cur, "z");
    assert_int_equal(off, PS_LINE_MAX + 2);
    reader_close(&r);
}

static void expect_error(const char *in, size_t len, size_t good_lines,
                         const char *rule, long err_line)
{
    static const size_t pieces[] = {1, 4, 7, SIZE_MAX / 2};
    for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
        struct reader r;
        struct ps_err err;
        size_t n;
        int64_t off;
        char want[64];
        reader_open(&r, in, len, pieces[p], p + 1);
        ps_err_clear(&err);
        for (size_t i = 0; i < good_lines; i++)
            assert_int_equal(ps_lines_next(r.lr, &n, &off, &err), 1);
        n = 777;
        off = 777;
        assert_int_equal(ps_lines_next(r.lr, &n, &off, &err), PS_EINVAL);
        assert_int_equal(err.code, PS_EINVAL);
        assert_string_equal(err.rule, rule);
        /* The message names the line; out-parameters are left alone. */
        snprintf(want, sizeof(want), "line %ld ", err_line);
        if (strstr(err.msg, want) == NULL)
            fail_msg("\"%s\" does not name line %ld", err.msg, err_line);
        assert_int_equal(r.lr->line, err_line);
        assert_int_equal(n, 777);
        assert_int_equal(off, 777);
        reader_close(&r);
    }
}

static void test_line_too_long(void **state)
{
    (void)state;
    char *in = repeat('x', PS_LINE_MAX + 1, "\nnext\n");
    expect_error(in, strlen(in), 0, "LINE_TOO_LONG", 1);
    free(in);
    in = repeat('x', PS_LINE_MAX + 1, ""); /* at the end, no newline */
    expect_error(in, strlen(in), 0, "LINE_TOO_LONG", 1);
    free(in);

    /* After good lines; and far longer than the 64 KB buffer. */
    char *big = repeat('z', 200000, "\n");
    char *mixed = malloc(strlen(big) + 16);
    assert_non_null(mixed);
    strcpy(mixed, "ok\r\n\nfine\n");
    strcat(mixed, big);
    expect_error(mixed, strlen(mixed), 3, "LINE_TOO_LONG", 4);
    free(mixed);
    free(big);
}

static void test_nul_byte(void **state)
{
    static const char a[] = "ab\0c\n";
    static const char b[] = "ok\nfine\r\n\0\n";
    static const char c[] = "\0";
    static const char d[] = "last line x\0";
    (void)state;
    expect_error(a, LEN(a), 0, "NUL_BYTE", 1);
    expect_error(b, LEN(b), 2, "NUL_BYTE", 3);
    expect_error(c, LEN(c), 0, "NUL_BYTE", 1);
    expect_error(d, LEN(d), 0, "NUL_BYTE", 1);
}

/* ---- the stream's own errors -------------------------------------- */

static void test_stream_error_propagates(void **state)
{
    static const char in[] = "line1\nline2\nline3\n";
    static const int codes[] = {PS_EIO, PS_EINVAL};
    (void)state;
    for (size_t k = 0; k < sizeof(codes) / sizeof(codes[0]); k++) {
        for (size_t p = 1; p <= 7; p++) {
            struct reader r;
            struct ps_err err;
            size_t n;
            int64_t off;
            reader_open(&r, in, LEN(in), p, p);
            r.mem.fail_at = 9; /* inside "line2" */
            r.mem.fail_code = codes[k];
            ps_err_clear(&err);
            assert_int_equal(ps_lines_next(r.lr, &n, &off, &err), 1);
            assert_string_equal(r.lr->cur, "line1");
            /* The partial "lin" is not returned as a line. */
            assert_int_equal(ps_lines_next(r.lr, &n, &off, &err), codes[k]);
            assert_int_equal(err.code, codes[k]);
            if (codes[k] == PS_EIO) {
                assert_string_equal(err.rule, "IO_ERROR");
                assert_int_equal(err.sys_errno, EIO);
            } else {
                assert_string_equal(err.rule, "UNWRAP_TOO_LARGE");
                assert_string_equal(err.msg, "stream limit hit at byte 9");
            }
            reader_close(&r);
        }
    }
}

static void test_stream_error_before_any_byte(void **state)
{
    struct reader r;
    struct ps_err err;
    size_t n;
    int64_t off;
    (void)state;
    reader_open(&r, "abc\n", 4, 3, 1);
    r.mem.fail_at = 0;
    r.mem.fail_code = PS_EIO;
    ps_err_clear(&err);
    assert_int_equal(ps_lines_next(r.lr, &n, &off, &err), PS_EIO);
    assert_int_equal(err.sys_errno, EIO);
    assert_int_equal(r.lr->line, 0);
    reader_close(&r);
}

/* ---- volume ------------------------------------------------------- */

#define MANY 100000

static void read_many(const char *in, size_t len, size_t max_piece)
{
    struct reader r;
    struct ps_err err;
    char want[32];
    int64_t expect_off = 0;
    reader_open(&r, in, len, max_piece, 42);
    ps_err_clear(&err);
    for (long i = 1; i <= MANY; i++) {
        size_t n;
        int64_t off;
        int w = snprintf(want, sizeof(want), "line %ld%s", i,
                         i % 3 == 0 ? " crlf" : "");
        int rc = ps_lines_next(r.lr, &n, &off, &err);
        if (rc != 1)
            fail_msg("line %ld: rc %d [%s]", i, rc, err.rule);
        if (n != (size_t)w || strcmp(r.lr->cur, want) != 0)
            fail_msg("line %ld: got \"%s\"", i, r.lr->cur);
        if (off != expect_off || r.lr->line != i)
            fail_msg("line %ld: offset %lld (want %lld), number %ld", i,
                     (long long)off, (long long)expect_off, r.lr->line);
        expect_off += w + (i % 3 == 0 ? 2 : 1);
    }
    expect_end(&r, "many");
    assert_int_equal(expect_off, (int64_t)len);
    reader_close(&r);
}

static void test_hundred_thousand_lines(void **state)
{
    size_t cap = (size_t)MANY * 24, len = 0;
    char *in = malloc(cap);
    (void)state;
    assert_non_null(in);
    for (long i = 1; i <= MANY; i++) {
        int w = snprintf(in + len, cap - len, "line %ld%s", i,
                         i % 3 == 0 ? " crlf\r\n" : "\n");
        assert_true(w > 0 && (size_t)w < cap - len);
        len += (size_t)w;
    }
    read_many(in, len, 7);
    read_many(in, len, 5000);
    read_many(in, len, SIZE_MAX / 2);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_lf, reset_reader),
        cmocka_unit_test_setup(test_crlf, reset_reader),
        cmocka_unit_test_setup(test_mixed, reset_reader),
        cmocka_unit_test_setup(test_lone_cr_is_data, reset_reader),
        cmocka_unit_test_setup(test_last_line_without_newline, reset_reader),
        cmocka_unit_test_setup(test_empty_lines, reset_reader),
        cmocka_unit_test_setup(test_empty_input, reset_reader),
        cmocka_unit_test_setup(test_random_against_reference, reset_reader),
        cmocka_unit_test_setup(test_line_max_ok, reset_reader),
        cmocka_unit_test_setup(test_line_max_crlf_ok, reset_reader),
        cmocka_unit_test_setup(test_line_too_long, reset_reader),
        cmocka_unit_test_setup(test_nul_byte, reset_reader),
        cmocka_unit_test_setup(test_stream_error_propagates, reset_reader),
        cmocka_unit_test_setup(test_stream_error_before_any_byte, reset_reader),
        cmocka_unit_test_setup(test_hundred_thousand_lines, reset_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
