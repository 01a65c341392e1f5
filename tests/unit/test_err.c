/*
 * test_err.c -- the error value (src/err.c): ps_err_set/sys/at/field,
 * ps_err_str's one-line format and its variants, the sysexits mapping
 * that the README documents, ps_quote for untrusted bytes and
 * ps_strlcpy.
 *
 * Every buffer handed to a function under test sits between canary bytes,
 * so a write one byte too far fails the test even without ASan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/err.h"

#define CANARY 0x5a

/* A buffer of `size` usable bytes with CANARY_LEN guard bytes either side. */
#define CANARY_LEN 16
struct guarded {
    unsigned char before[CANARY_LEN];
    char buf[512];
    unsigned char after[CANARY_LEN];
};

static void guard_init(struct guarded *g)
{
    memset(g, CANARY, sizeof(*g));
}

/* Nothing was written outside buf[0..size). */
static void guard_check(const struct guarded *g, size_t size)
{
    for (size_t i = 0; i < CANARY_LEN; i++) {
        assert_int_equal(g->before[i], CANARY);
        assert_int_equal(g->after[i], CANARY);
    }
    for (size_t i = size; i < sizeof(g->buf); i++)
        if ((unsigned char)g->buf[i] != CANARY)
            fail_msg("byte %zu written past the %zu-byte buffer", i, size);
}

/* ---- ps_err_clear / ps_err_set ---------------------------------------- */

static void test_clear(void **state)
{
    struct ps_err e;
    (void)state;
    memset(&e, 0x7f, sizeof(e));
    ps_err_clear(&e);
    assert_int_equal(e.code, PS_OK);
    assert_int_equal(e.sys_errno, 0);
    assert_string_equal(e.rule, "");
    assert_string_equal(e.file, "");
    assert_int_equal(e.line, 0);
    assert_int_equal(e.offset, -1);
    assert_string_equal(e.field, "");
    assert_string_equal(e.msg, "");
    ps_err_clear(NULL); /* must not crash */
}

static void test_set_returns_code_and_fills(void **state)
{
    struct ps_err e;
    (void)state;
    ps_err_clear(&e);
    int rc = ps_err_set(&e, PS_EINVAL, "ABA_CHECK_DIGIT", "routing %s has %d",
                        "number", 9);
    assert_int_equal(rc, PS_EINVAL);
    assert_int_equal(e.code, PS_EINVAL);
    assert_string_equal(e.rule, "ABA_CHECK_DIGIT");
    assert_string_equal(e.msg, "routing number has 9");
    assert_int_equal(e.sys_errno, 0);

    /* Every code comes back unchanged, so `return ps_err_set(...)` works. */
    for (int code = PS_EINTERNAL; code <= PS_OK; code++)
        assert_int_equal(ps_err_set(&e, code, "PATH", "m"), code);
}

static void test_set_keeps_location_replaces_rest(void **state)
{
    struct ps_err e;
    (void)state;
    ps_err_clear(&e);
    ps_err_sys(&e, ENOENT, "first");
    assert_int_equal(e.sys_errno, ENOENT);
    ps_err_at(&e, "pay.csv", 12, 345);
    ps_err_field(&e, "amount");
    assert_int_equal(ps_err_set(&e, PS_ECONFLICT, "DUPLICATE_FILE", "second"),
                     PS_ECONFLICT);
    /* Location stays; code, rule, message and errno are replaced. */
    assert_string_equal(e.file, "pay.csv");
    assert_int_equal(e.line, 12);
    assert_int_equal(e.offset, 345);
    assert_string_equal(e.field, "amount");
    assert_int_equal(e.code, PS_ECONFLICT);
    assert_string_equal(e.rule, "DUPLICATE_FILE");
    assert_string_equal(e.msg, "second");
    assert_int_equal(e.sys_errno, 0);
}

static void test_set_defaults(void **state)
{
    struct ps_err e;
    (void)state;
    ps_err_clear(&e);
    /* No rule: the code's short name stands in.  No format: no message. */
    ps_err_set(&e, PS_ENOTFOUND, "NOT_FOUND", "old message");
    assert_int_equal(ps_err_set(&e, PS_ENOTFOUND, NULL, NULL), PS_ENOTFOUND);
    assert_string_equal(e.rule, "ENOTFOUND");
    assert_string_equal(e.msg, "");
}

static void test_set_truncates(void **state)
{
    struct ps_err e;
    char longmsg[PS_ERR_MSG_MAX * 2];
    (void)state;
    memset(longmsg, 'm', sizeof(longmsg) - 1);
    longmsg[sizeof(longmsg) - 1] = '\0';
    ps_err_clear(&e);
    ps_err_set(&e, PS_EINVAL, "MONEY_TOO_MANY_DECIMALS", "%s", longmsg);
    assert_int_equal(strlen(e.msg), PS_ERR_MSG_MAX - 1);
    assert_memory_equal(e.msg, longmsg, PS_ERR_MSG_MAX - 1);
    /* The next field after msg was not touched. */
    assert_string_equal(e.file, "");
#ifdef NDEBUG
    /* A release build lets a rule missing from the table through (a debug
     * build asserts): kept as text, cut to fit, id UNKNOWN. */
    char longrule[PS_ERR_RULE_MAX * 2];
    memset(longrule, 'R', sizeof(longrule) - 1);
    longrule[sizeof(longrule) - 1] = '\0';
    ps_err_set(&e, PS_EINVAL, longrule, "%s", longmsg);
    assert_int_equal(strlen(e.rule), PS_ERR_RULE_MAX - 1);
    assert_int_equal(e.id, PS_CODE_UNKNOWN);
    assert_string_equal(e.file, "");
#endif
}

/* Every error carries its rule's code: set, defaulted, or by ps_err_sys. */
static void test_set_fills_id(void **state)
{
    struct ps_err e;
    (void)state;
    ps_err_clear(&e);
    assert_int_equal(e.id, PS_CODE_NONE);
    ps_err_set(&e, PS_EINVAL, "ABA_CHECK_DIGIT", "m");
    assert_int_equal(e.id, PS_CODE_ABA_CHECK_DIGIT);
    ps_err_set(&e, PS_ENOMEM, NULL, "out of memory");
    assert_string_equal(e.rule, "ENOMEM");
    assert_int_equal(e.id, PS_CODE_ENOMEM);
    ps_err_sys(&e, ENOENT, "open %s", "x");
    assert_string_equal(e.rule, "IO_ERROR");
    assert_int_equal(e.id, PS_CODE_IO_ERROR);
    /* A copy keeps it; clearing forgets it. */
    struct ps_err copy = e;
    assert_int_equal(copy.id, PS_CODE_IO_ERROR);
    ps_err_clear(&e);
    assert_int_equal(e.id, PS_CODE_NONE);
}

static void test_null_err_is_safe(void **state)
{
    (void)state;
    assert_int_equal(ps_err_set(NULL, PS_EBUSY, "DATABASE_BUSY", "x %d", 1),
                     PS_EBUSY);
    assert_int_equal(ps_err_set(NULL, PS_EINVAL, NULL, NULL), PS_EINVAL);
    assert_int_equal(ps_err_sys(NULL, ENOENT, "open %s", "x"), PS_EIO);
    /* No code to return without an error value: anything but 0. */
    assert_true(ps_err_at(NULL, "f", 1, 2) < 0);
    assert_true(ps_err_field(NULL, "f") < 0);
}

/* ---- ps_err_sys ----------------------------------------------------- */

static void test_sys_appends_strerror(void **state)
{
    struct ps_err e;
    char want[PS_ERR_MSG_MAX];
    (void)state;
    ps_err_clear(&e);
    assert_int_equal(ps_err_sys(&e, ENOENT, "open %s", "in/pay.csv"), PS_EIO);
    assert_int_equal(e.code, PS_EIO);
    assert_int_equal(e.sys_errno, ENOENT);
    assert_string_equal(e.rule, "IO_ERROR");
    snprintf(want, sizeof(want), "open in/pay.csv: %s", strerror(ENOENT));
    assert_string_equal(e.msg, want);

    /* errno 0: nothing appended. */
    ps_err_sys(&e, 0, "short read");
    assert_string_equal(e.msg, "short read");
    assert_int_equal(e.sys_errno, 0);
}

static void test_sys_long_message(void **state)
{
    struct ps_err e;
    char longmsg[PS_ERR_MSG_MAX + 10];
    (void)state;
    memset(longmsg, 'x', sizeof(longmsg) - 1);
    longmsg[sizeof(longmsg) - 1] = '\0';
    ps_err_clear(&e);
    ps_err_sys(&e, EACCES, "%s", longmsg);
    assert_int_equal(strlen(e.msg), PS_ERR_MSG_MAX - 1);
    assert_int_equal(e.sys_errno, EACCES);
    /* Room for only part of the suffix: cut, still terminated. */
    longmsg[PS_ERR_MSG_MAX - 8] = '\0';
    ps_err_sys(&e, EACCES, "%s", longmsg);
    assert_true(strlen(e.msg) <= PS_ERR_MSG_MAX - 1);
    assert_memory_equal(e.msg, longmsg, PS_ERR_MSG_MAX - 8);
}

/* ---- ps_err_at / ps_err_field --------------------------------------- */

static void test_at_and_field(void **state)
{
    struct ps_err e;
    char longname[PS_ERR_FILE_MAX + 50];
    (void)state;
    ps_err_clear(&e);
    ps_err_set(&e, PS_EINVAL, "PATH", "m");
    assert_int_equal(ps_err_at(&e, "pay.csv", 12, 345), PS_EINVAL);
    assert_string_equal(e.file, "pay.csv");
    assert_int_equal(e.line, 12);
    assert_int_equal(e.offset, 345);
    /* NULL file, line <= 0, offset < 0: each left as it was. */
    assert_int_equal(ps_err_at(&e, NULL, 0, -1), PS_EINVAL);
    assert_string_equal(e.file, "pay.csv");
    assert_int_equal(e.line, 12);
    assert_int_equal(e.offset, 345);
    ps_err_at(&e, "other.csv", -3, 0);
    assert_string_equal(e.file, "other.csv");
    assert_int_equal(e.line, 12);
    assert_int_equal(e.offset, 0);

    assert_int_equal(ps_err_field(&e, "amount"), PS_EINVAL);
    assert_string_equal(e.field, "amount");
    ps_err_set(&e, PS_ENOTFOUND, "NOT_FOUND", "x");
    assert_int_equal(ps_err_field(&e, "id"), PS_ENOTFOUND);
    assert_string_equal(e.field, "id");

    memset(longname, 'f', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    ps_err_at(&e, longname, 1, 1);
    assert_int_equal(strlen(e.file), PS_ERR_FILE_MAX - 1);
    ps_err_field(&e, longname);
    assert_int_equal(strlen(e.field), PS_ERR_FIELD_MAX - 1);
}

/* ---- ps_err_codename ------------------------------------------------ */

static void test_codename(void **state)
{
    static const struct {
        int code;
        const char *name;
    } t[] = {
        {PS_OK, "OK"},
        {PS_EINVAL, "EINVAL"},
        {PS_ENOMEM, "ENOMEM"},
        {PS_EIO, "EIO"},
        {PS_ESTORE, "ESTORE"},
        {PS_ENOTFOUND, "ENOTFOUND"},
        {PS_ECONFLICT, "ECONFLICT"},
        {PS_ESTATE, "ESTATE"},
        {PS_EBUSY, "EBUSY"},
        {PS_ECONFIG, "ECONFIG"},
        {PS_ECRYPTO, "ECRYPTO"},
        {PS_EVERSION, "EVERSION"},
        {PS_EINTERNAL, "EINTERNAL"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        assert_string_equal(ps_err_codename(t[i].code), t[i].name);
    assert_string_equal(ps_err_codename(-13), "EUNKNOWN");
    assert_string_equal(ps_err_codename(1), "EUNKNOWN");
}

/* ---- ps_err_str ----------------------------------------------------- */

struct str_case {
    const char *file;
    long line;
    int64_t offset;
    const char *field;
    const char *msg; /* NULL: no message */
    const char *rule;
    const char *want;
};

static void test_str_formats(void **state)
{
    static const struct str_case t[] = {
        {"pay.csv", 12, 345, "amount", "too many decimals",
         "MONEY_TOO_MANY_DECIMALS",
         "pay.csv:12 (byte 345): field amount: too many decimals "
         "[MONEY_TOO_MANY_DECIMALS]"},
        {"pay.csv", 12, -1, "amount", "bad", "PATH",
         "pay.csv:12: field amount: bad [PATH]"},
        {"pay.csv", 0, 345, "amount", "bad", "PATH",
         "pay.csv (byte 345): field amount: bad [PATH]"},
        {"pay.csv", 0, 0, NULL, "bad", "PATH", "pay.csv (byte 0): bad [PATH]"},
        {"pay.csv", 0, -1, NULL, "bad", "PATH", "pay.csv: bad [PATH]"},
        {"pay.csv", 3, -1, NULL, "bad", "PATH", "pay.csv:3: bad [PATH]"},
        {NULL, 7, -1, "phone", "bad", "PATH",
         "line 7: field phone: bad [PATH]"},
        {NULL, 7, -1, NULL, "bad", "PATH", "line 7: bad [PATH]"},
        {NULL, 0, -1, "email", "bad", "PATH", "field email: bad [PATH]"},
        {NULL, 0, -1, NULL, "just the message", "NUL_BYTE",
         "just the message [NUL_BYTE]"},
        /* No message: the code's name stands in. */
        {NULL, 0, -1, NULL, NULL, "NUL_BYTE", "EINVAL [NUL_BYTE]"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct ps_err e;
        char buf[512];
        ps_err_clear(&e);
        if (t[i].msg != NULL)
            ps_err_set(&e, PS_EINVAL, t[i].rule, "%s", t[i].msg);
        else
            ps_err_set(&e, PS_EINVAL, t[i].rule, NULL);
        ps_err_at(&e, t[i].file, t[i].line, t[i].offset);
        if (t[i].field != NULL)
            ps_err_field(&e, t[i].field);
        const char *got = ps_err_str(&e, buf, sizeof(buf));
        assert_ptr_equal(got, buf);
        if (strcmp(got, t[i].want) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, t[i].want);
    }
}

static void test_str_no_rule(void **state)
{
    struct ps_err e;
    char buf[128];
    (void)state;
    ps_err_clear(&e);
    e.code = PS_EIO;
    ps_strlcpy(e.msg, "disk gone", sizeof(e.msg));
    assert_string_equal(ps_err_str(&e, buf, sizeof(buf)), "disk gone");
    e.msg[0] = '\0';
    assert_string_equal(ps_err_str(&e, buf, sizeof(buf)), "EIO");
}

static void test_str_small_buffers(void **state)
{
    struct ps_err e;
    const char *full = "pay.csv:12 (byte 345): field amount: bad [PATH]";
    (void)state;
    ps_err_clear(&e);
    ps_err_set(&e, PS_EINVAL, "PATH", "bad");
    ps_err_at(&e, "pay.csv", 12, 345);
    ps_err_field(&e, "amount");
    for (size_t size = 1; size <= strlen(full) + 1; size++) {
        struct guarded g;
        guard_init(&g);
        ps_err_str(&e, g.buf, size);
        guard_check(&g, size);
        /* A prefix of the full line, as long as the buffer allows. */
        assert_int_equal(strlen(g.buf), size - 1);
        assert_memory_equal(g.buf, full, size - 1);
    }
    /* size 0: nothing written at all. */
    struct guarded g;
    guard_init(&g);
    assert_ptr_equal(ps_err_str(&e, g.buf, 0), g.buf);
    guard_check(&g, 0);
}

/* ---- ps_err_exit_status --------------------------------------------- */

static void test_exit_status_table(void **state)
{
    static const struct {
        int code;
        int status;
    } t[] = {
        {PS_OK, 0},         /* ok */
        {PS_EINVAL, 65},    /* bad data */
        {PS_ECONFLICT, 65}, /* a refused change: duplicate */
        {PS_ESTATE, 65},    /* a refused change: wrong state */
        {PS_ENOTFOUND, 66}, /* not found */
        {PS_ESTORE, 70},    /* internal */
        {PS_EINTERNAL, 70}, /* internal */
        {PS_EIO, 74},       /* I/O */
        {PS_EBUSY, 75},     /* busy, try again */
        {PS_ECONFIG, 78},   /* configuration */
        {PS_ECRYPTO, 78},   /* key file */
        {PS_EVERSION, 78},  /* newer database */
    };
    (void)state;
    /* The README's numbers are the sysexits.h ones. */
    assert_int_equal(EX_OK, 0);
    assert_int_equal(EX_DATAERR, 65);
    assert_int_equal(EX_NOINPUT, 66);
    assert_int_equal(EX_SOFTWARE, 70);
    assert_int_equal(EX_IOERR, 74);
    assert_int_equal(EX_TEMPFAIL, 75);
    assert_int_equal(EX_CONFIG, 78);
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (ps_err_exit_status(t[i].code) != t[i].status)
            fail_msg("%s: exit %d, want %d", ps_err_codename(t[i].code),
                     ps_err_exit_status(t[i].code), t[i].status);
    /* A code nobody knows is an internal error. */
    assert_int_equal(ps_err_exit_status(-99), 70);
    assert_int_equal(ps_err_exit_status(7), 70);
}

/*
 * README: "Exit statuses (sysexits.h): 0 ok, 64 usage, 65 ..., 66 ...,
 * 70 ..., 74 ..., 75 ..., 78 ...".  64 is the CLI's own (usage); every
 * PS_E* code must land on one of the others.
 */
static void test_exit_status_documented(void **state)
{
    static const int documented[] = {0, 65, 66, 70, 74, 75, 78};
    (void)state;
    for (int code = PS_EINTERNAL; code <= PS_OK; code++) {
        int st = ps_err_exit_status(code);
        int found = 0;
        for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
            found |= st == documented[i];
        if (!found)
            fail_msg("%s maps to exit %d, which the README does not list",
                     ps_err_codename(code), st);
    }
}

/* ---- ps_quote ------------------------------------------------------- */

static void test_quote_escapes(void **state)
{
    static const struct {
        const char *in;
        size_t len;
        const char *want;
    } t[] = {
        {"abc", 3, "abc"},
        {"", 0, ""},
        {"a\nb", 3, "a\\x0ab"},
        {"\r\t", 2, "\\x0d\\x09"},
        {"\x7f", 1, "\\x7f"},
        {"\x1f ~", 3, "\\x1f ~"},
        {"caf\xc3\xa9", 5, "caf\\xc3\\xa9"},
        {"\xff\x80", 2, "\\xff\\x80"},
        {"say \"hi\"", 8, "say \\x22hi\\x22"},
        {"a\\b", 3, "a\\x5cb"},
        {"a\0b", 3, "a\\x00b"}, /* len, not the NUL, ends the input */
        {"abcdef", 3, "abc"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char buf[PS_QUOTE_MAX * 4 + 4];
        const char *got = ps_quote(t[i].in, t[i].len, buf, sizeof(buf));
        assert_ptr_equal(got, buf);
        if (strcmp(got, t[i].want) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, t[i].want);
    }
}

static void test_quote_cuts(void **state)
{
    char in[PS_QUOTE_MAX * 2];
    char want[PS_QUOTE_MAX * 4 + 4];
    struct guarded g;
    (void)state;
    memset(in, 'a', sizeof(in));

    /* Exactly PS_QUOTE_MAX bytes: whole, no "...". */
    guard_init(&g);
    ps_quote(in, PS_QUOTE_MAX, g.buf, PS_QUOTE_MAX * 4 + 4);
    assert_int_equal(strlen(g.buf), PS_QUOTE_MAX);
    assert_null(strstr(g.buf, "..."));

    /* One more: PS_QUOTE_MAX bytes and "...". */
    ps_quote(in, PS_QUOTE_MAX + 1, g.buf, PS_QUOTE_MAX * 4 + 4);
    memset(want, 'a', PS_QUOTE_MAX);
    memcpy(want + PS_QUOTE_MAX, "...", 4);
    assert_string_equal(g.buf, want);
    guard_check(&g, PS_QUOTE_MAX * 4 + 4);

    /* The worst case fills the documented size exactly. */
    memset(in, 0xff, sizeof(in));
    guard_init(&g);
    ps_quote(in, sizeof(in), g.buf, PS_QUOTE_MAX * 4 + 4);
    assert_int_equal(strlen(g.buf), PS_QUOTE_MAX * 4 + 3);
    for (size_t i = 0; i < PS_QUOTE_MAX; i++)
        assert_memory_equal(g.buf + i * 4, "\\xff", 4);
    assert_string_equal(g.buf + PS_QUOTE_MAX * 4, "...");
    guard_check(&g, PS_QUOTE_MAX * 4 + 4);
}

static void test_quote_small_buffers(void **state)
{
    const char in[] = "ab\x01"
                      "cd";
    (void)state;
    for (size_t size = 0; size <= 12; size++) {
        struct guarded g;
        guard_init(&g);
        ps_quote(in, sizeof(in) - 1, g.buf, size);
        guard_check(&g, size);
        if (size == 0)
            continue;
        /* Terminated, and a prefix of the full rendering; an escape is
         * never cut in half. */
        size_t n = strlen(g.buf);
        assert_true(n < size);
        assert_memory_equal(g.buf, "ab\\x01cd", n);
        assert_true(n != 3 && n != 4 && n != 5);
    }
}

/* ---- ps_strlcpy ----------------------------------------------------- */

static void test_strlcpy(void **state)
{
    struct guarded g;
    (void)state;
    guard_init(&g);
    assert_ptr_equal(ps_strlcpy(g.buf, "hello", 16), g.buf);
    assert_string_equal(g.buf, "hello");
    guard_check(&g, 16);

    guard_init(&g);
    ps_strlcpy(g.buf, "hello", 6); /* exactly fits */
    assert_string_equal(g.buf, "hello");
    guard_check(&g, 6);

    guard_init(&g);
    ps_strlcpy(g.buf, "hello", 5); /* one short: cut */
    assert_string_equal(g.buf, "hell");
    guard_check(&g, 5);

    guard_init(&g);
    ps_strlcpy(g.buf, "hello", 1);
    assert_string_equal(g.buf, "");
    guard_check(&g, 1);

    guard_init(&g);
    assert_ptr_equal(ps_strlcpy(g.buf, "hello", 0), g.buf);
    guard_check(&g, 0); /* not even a NUL */

    guard_init(&g);
    ps_strlcpy(g.buf, NULL, 8);
    assert_string_equal(g.buf, "");
    guard_check(&g, 8);

    guard_init(&g);
    ps_strlcpy(g.buf, "", 8);
    assert_string_equal(g.buf, "");
    guard_check(&g, 8);

    /* A cut never splits a UTF-8 character: the one the end falls in is
     * left out whole. */
    guard_init(&g);
    ps_strlcpy(g.buf, "a\xc3\xa9", 3); /* "aé": room for "a" + 1 byte */
    assert_string_equal(g.buf, "a");
    guard_check(&g, 3);

    guard_init(&g);
    ps_strlcpy(g.buf, "\xe2\x82\xac\xe2\x82\xac", 6); /* "€€" */
    assert_string_equal(g.buf, "\xe2\x82\xac");
    guard_check(&g, 6);

    guard_init(&g);
    ps_strlcpy(g.buf, "\xf0\x9f\x98\x80!", 4); /* U+1F600: 4 bytes */
    assert_string_equal(g.buf, "");
    guard_check(&g, 4);

    guard_init(&g);
    ps_strlcpy(g.buf, "ab\xe9z", 4); /* Latin-1: byte-cut as before */
    assert_string_equal(g.buf, "ab\xe9");
    guard_check(&g, 4);

    guard_init(&g);
    ps_strlcpy(g.buf, "\x80\x80\x80\x80\x80\x80", 4); /* no lead byte */
    assert_string_equal(g.buf, "\x80\x80\x80");
    guard_check(&g, 4);
}

/* ---- ps_utf8_char ---------------------------------------------------- */

static void test_utf8_char(void **state)
{
    (void)state;
    assert_int_equal(ps_utf8_char("a", 1), 1);
    assert_int_equal(ps_utf8_char("\xc3\xa9", 2), 2);
    assert_int_equal(ps_utf8_char("\xe2\x82\xac", 3), 3);
    assert_int_equal(ps_utf8_char("\xf0\x9f\x98\x80", 4), 4);
    assert_int_equal(ps_utf8_char("\xc3\xa9", 1), 0);      /* cut short */
    assert_int_equal(ps_utf8_char("\xe9t\xe9", 3), 0);     /* Latin-1 */
    assert_int_equal(ps_utf8_char("\xc0\xaf", 2), 0);      /* overlong */
    assert_int_equal(ps_utf8_char("\xed\xa0\x80", 3), 0); /* surrogate */
    assert_int_equal(ps_utf8_char("\xf4\x90\x80\x80", 4), 0); /* >10FFFF */
    assert_int_equal(ps_utf8_char("\x1f", 1), 0);           /* C0 */
    assert_int_equal(ps_utf8_char("\x7f", 1), 0);           /* DEL */
    assert_int_equal(ps_utf8_char("\xc2\x85", 2), 0);      /* C1 */
    assert_int_equal(ps_utf8_char("", 0), 0);
    assert_int_equal(ps_utf8_chars("a\xc3\xa9\xe2\x82\xac", 6), 3);
    assert_int_equal(ps_utf8_chars("a\xc3", 2), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_set_returns_code_and_fills),
        cmocka_unit_test(test_set_keeps_location_replaces_rest),
        cmocka_unit_test(test_set_defaults),
        cmocka_unit_test(test_set_truncates),
        cmocka_unit_test(test_set_fills_id),
        cmocka_unit_test(test_null_err_is_safe),
        cmocka_unit_test(test_sys_appends_strerror),
        cmocka_unit_test(test_sys_long_message),
        cmocka_unit_test(test_at_and_field),
        cmocka_unit_test(test_codename),
        cmocka_unit_test(test_str_formats),
        cmocka_unit_test(test_str_no_rule),
        cmocka_unit_test(test_str_small_buffers),
        cmocka_unit_test(test_exit_status_table),
        cmocka_unit_test(test_exit_status_documented),
        cmocka_unit_test(test_quote_escapes),
        cmocka_unit_test(test_quote_cuts),
        cmocka_unit_test(test_quote_small_buffers),
        cmocka_unit_test(test_strlcpy),
        cmocka_unit_test(test_utf8_char),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
