/*
 * test_log.c -- unit tests for log.c: each test logs to a file in a fresh
 * directory under $TMPDIR (or /tmp), reads it back and parses every line
 * with jansson.  Covers the line shape (ts, level, event, context), level
 * filtering, PAN redaction anywhere in the object, ps_log_err fields, bad
 * contexts, re-opening, stderr, errno, and concurrent appenders.
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
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "base/crypto.h"
#include "base/err.h"
#include "base/log.h"
#include "testutil.h"

struct fixture {
    char dir[PATH_MAX - 64]; /* room left for the file names below */
    char log[PATH_MAX];      /* dir/test.log */
    char other[PATH_MAX];    /* dir/other.log */
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    if (fx == NULL ||
        ps_test_tmpdir(fx->dir, sizeof(fx->dir), "test_log") != 0) {
        free(fx);
        return -1;
    }
    ps_test_join(fx->log, sizeof(fx->log), fx->dir, "test.log");
    ps_test_join(fx->other, sizeof(fx->other), fx->dir, "other.log");
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    ps_log_close();
    unlink(fx->log);
    unlink(fx->other);
    int rc = rmdir(fx->dir);
    free(fx);
    return rc;
}

/* Whole file as a NUL-terminated malloc'd string (the caller frees). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        if (n == 0)
            break;
        len += n;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/*
 * Parse the file as JSON Lines into an array of objects.  Every line must
 * end with '\n', be one JSON object and have no duplicate keys.
 */
static json_t *read_lines(const char *path)
{
    char *text = slurp(path);
    json_t *lines = json_array();
    char *p = text;
    assert_non_null(lines);
    while (*p != '\0') {
        char *nl = strchr(p, '\n');
        json_error_t jerr;
        if (nl == NULL)
            fail_msg("unterminated last line: %s", p);
        json_t *v = json_loadb(p, (size_t)(nl - p),
                               JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
        if (v == NULL || !json_is_object(v))
            fail_msg("bad line: %.*s (%s)", (int)(nl - p), p, jerr.text);
        json_array_append_new(lines, v);
        p = nl + 1;
    }
    free(text);
    return lines;
}

static const char *get_str(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (v == NULL || !json_is_string(v))
        fail_msg("\"%s\" missing or not a string", key);
    return json_string_value(v);
}

static json_int_t get_int(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (v == NULL || !json_is_integer(v))
        fail_msg("\"%s\" missing or not an integer", key);
    return json_integer_value(v);
}

/* "2026-11-21T18:36:54.123Z" */
static void assert_ts_shape(const char *ts)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    assert_int_equal(strlen(ts), strlen(shape));
    for (size_t i = 0; shape[i] != '\0'; i++) {
        if (shape[i] == 'd')
            assert_true(ts[i] >= '0' && ts[i] <= '9');
        else
            assert_int_equal(ts[i], shape[i]);
    }
}

static void open_log(const char *path, enum ps_log_level min)
{
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(ps_log_open(path, min, &err), 0);
}

/* ------------------------------------------------------------------ */

static void test_line_shape(void **state)
{
    struct fixture *fx = *state;
    open_log(fx->log, PS_LOG_DEBUG);
    ps_log(PS_LOG_INFO, "file.claimed", "{s:s, s:I, s:b, s:n, s:{s:i}}", "file",
           "payroll.csv", "bytes", (json_int_t)1234, "dry_run", 1, "nothing",
           "nested", "n", 7);
    ps_log_close();

    char *text = slurp(fx->log);
    /* Compact, fixed leading keys, exactly one newline-terminated line. */
    assert_int_equal(strncmp(text, "{\"ts\":\"", 7), 0);
    assert_non_null(strstr(text, "\",\"level\":\"info\",\"event\":"
                                 "\"file.claimed\",\"file\":"));
    assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1);
    free(text);

    json_t *lines = read_lines(fx->log);
    assert_int_equal(json_array_size(lines), 1);
    json_t *o = json_array_get(lines, 0);
    assert_ts_shape(get_str(o, "ts"));
    assert_string_equal(get_str(o, "level"), "info");
    assert_string_equal(get_str(o, "event"), "file.claimed");
    assert_string_equal(get_str(o, "file"), "payroll.csv");
    assert_int_equal(get_int(o, "bytes"), 1234);
    assert_true(json_is_true(json_object_get(o, "dry_run")));
    assert_true(json_is_null(json_object_get(o, "nothing")));
    assert_int_equal(get_int(json_object_get(o, "nested"), "n"), 7);
    assert_int_equal(json_object_size(o), 8);
    json_decref(lines);
}

static void test_no_context(void **state)
{
    struct fixture *fx = *state;
    open_log(fx->log, PS_LOG_DEBUG);
    ps_log(PS_LOG_DEBUG, "tick", NULL);
    ps_log(PS_LOG_INFO, "utf8 \xc3\xa9\xe2\x82\xac", NULL);
    ps_log_close();

    json_t *lines = read_lines(fx->log);
    assert_int_equal(json_array_size(lines), 2);
    json_t *o = json_array_get(lines, 0);
    assert_int_equal(json_object_size(o), 3);
    assert_string_equal(get_str(o, "level"), "debug");
    assert_string_equal(get_str(o, "event"), "tick");
    /* UTF-8 is kept as is, not \u-escaped. */
    assert_string_equal(get_str(json_array_get(lines, 1), "event"),
                        "utf8 \xc3\xa9\xe2\x82\xac");
    char *text = slurp(fx->log);
    assert_non_null(strstr(text, "utf8 \xc3\xa9\xe2\x82\xac"));
    free(text);
    json_decref(lines);
}

static void test_level_filter(void **state)
{
    struct fixture *fx = *state;
    open_log(fx->log, PS_LOG_WARN);
    ps_log(PS_LOG_DEBUG, "d", NULL);
    ps_log(PS_LOG_INFO, "i", NULL);
    ps_log(PS_LOG_WARN, "w", NULL);
    ps_log(PS_LOG_ERROR, "e", NULL);
    struct ps_err e;
    ps_err_clear(&e);
    ps_err_set(&e, PS_EINVAL, "PATH", "m");
    ps_log_err(PS_LOG_INFO, "ie", &e, NULL);
    ps_log_err(PS_LOG_ERROR, "ee", &e, NULL);

    /* Re-opening the same file appends and changes the level. */
    open_log(fx->log, PS_LOG_DEBUG);
    ps_log(PS_LOG_DEBUG, "d2", NULL);
    ps_log_close();

    json_t *lines = read_lines(fx->log);
    static const char *const want[][2] = {
        {"warn", "w"}, {"error", "e"}, {"error", "ee"}, {"debug", "d2"}};
    assert_int_equal(json_array_size(lines), 4);
    for (size_t i = 0; i < 4; i++) {
        json_t *o = json_array_get(lines, i);
        assert_string_equal(get_str(o, "level"), want[i][0]);
        assert_string_equal(get_str(o, "event"), want[i][1]);
    }
    json_decref(lines);
}

static void test_level_parse(void **state)
{
    (void)state;
    assert_int_equal(ps_log_level_parse("debug"), PS_LOG_DEBUG);
    assert_int_equal(ps_log_level_parse("info"), PS_LOG_INFO);
    assert_int_equal(ps_log_level_parse("warn"), PS_LOG_WARN);
    assert_int_equal(ps_log_level_parse("error"), PS_LOG_ERROR);
    assert_int_equal(ps_log_level_parse("warning"), -1);
    assert_int_equal(ps_log_level_parse("INFO"), -1);
    assert_int_equal(ps_log_level_parse(""), -1);
    assert_int_equal(ps_log_level_parse(NULL), -1);
}

static void test_redaction(void **state)
{
    struct fixture *fx = *state;
    open_log(fx->log, PS_LOG_DEBUG);
    ps_log(PS_LOG_INFO, "card 4111111111111111 seen",
           "{s:{s:[s,s,{s:s}]}, s:s, s:I, s:I, s:f, s:{s:s}, s:s#}", "outer",
           "inner", "pan 5555555555554444 here", "order 1234567890123", "deep",
           "378282246310005", "plain", "4111111111111111", "as_int",
           (json_int_t)4111111111111111LL, "not_pan",
           (json_int_t)1234567890123LL, "as_real", 4111111111111111.0, "by_key",
           "6011111111111117", "value", "nul",
           "4111111111111111\0"
           "5555555555554444",
           33);
    ps_log_close();

    /* No clear PAN anywhere in the bytes written. */
    char *text = slurp(fx->log);
    static const char *const pans[] = {"4111111111111111", "5555555555554444",
                                       "378282246310005", "6011111111111117"};
    for (size_t i = 0; i < sizeof(pans) / sizeof(pans[0]); i++)
        if (strstr(text, pans[i]) != NULL)
            fail_msg("PAN %s in log: %s", pans[i], text);
    free(text);

    json_t *lines = read_lines(fx->log);
    json_t *o = json_array_get(lines, 0);
    assert_string_equal(get_str(o, "event"), "card 411111******1111 seen");
    json_t *inner = json_object_get(json_object_get(o, "outer"), "inner");
    assert_string_equal(json_string_value(json_array_get(inner, 0)),
                        "pan 555555******4444 here");
    assert_string_equal(json_string_value(json_array_get(inner, 1)),
                        "order 1234567890123");
    assert_string_equal(get_str(json_array_get(inner, 2), "deep"),
                        "378282*****0005");
    assert_string_equal(get_str(o, "plain"), "411111******1111");
    /* Numbers that would print a PAN become their redacted text. */
    assert_string_equal(get_str(o, "as_int"), "411111******1111");
    assert_string_equal(get_str(o, "as_real"), "411111******1111");
    assert_int_equal(get_int(o, "not_pan"), 1234567890123LL);
    /* Keys too. */
    json_t *by_key = json_object_get(o, "by_key");
    assert_int_equal(json_object_size(by_key), 1);
    assert_string_equal(get_str(by_key, "601111******1117"), "value");
    /* Both halves of a string with an embedded NUL. */
    json_t *nul = json_object_get(o, "nul");
    assert_int_equal(json_string_length(nul), 33);
    assert_memory_equal(json_string_value(nul),
                        "411111******1111\0"
                        "555555******4444",
                        33);
    json_decref(lines);
}

static void test_log_err_fields(void **state)
{
    struct fixture *fx = *state;
    struct ps_err e;
    open_log(fx->log, PS_LOG_DEBUG);

    ps_err_clear(&e);
    ps_err_set(&e, PS_EINVAL, "ABA_CHECK_DIGIT",
               "routing number fails the ABA check digit");
    ps_err_at(&e, "in/payroll.csv", 12, 345);
    ps_err_field(&e, "routing");
    ps_log_err(PS_LOG_ERROR, "record.rejected", &e, "{s:s, s:s, s:s}", "batch",
               "b1", "code", "OVERRIDE", "ts", "OVERRIDE");

    /* Only code, rule: no message, no location. */
    ps_err_clear(&e);
    ps_err_set(&e, PS_ENOMEM, NULL, NULL);
    ps_log_err(PS_LOG_WARN, "oom", &e, NULL);

    /* A PAN in a message; a Latin-1 file name (invalid UTF-8). */
    ps_err_clear(&e);
    ps_err_set(&e, PS_EINVAL, "CARD_LUHN", "bad card 4111111111111111");
    ps_err_at(&e, "caf\xe9.csv", 0, 0);
    ps_log_err(PS_LOG_ERROR, "card", &e, NULL);

    ps_log_err(PS_LOG_ERROR, "no.err", NULL, "{s:i}", "k", 1);
    ps_log_close();

    json_t *lines = read_lines(fx->log);
    assert_int_equal(json_array_size(lines), 4);

    json_t *o = json_array_get(lines, 0);
    assert_string_equal(get_str(o, "level"), "error");
    assert_string_equal(get_str(o, "event"), "record.rejected");
    assert_string_equal(get_str(o, "code"), "EINVAL");
    assert_string_equal(get_str(o, "rule"), "ABA_CHECK_DIGIT");
    assert_string_equal(get_str(o, "file"), "in/payroll.csv");
    assert_int_equal(get_int(o, "line"), 12);
    assert_int_equal(get_int(o, "offset"), 345);
    assert_string_equal(get_str(o, "field"), "routing");
    assert_string_equal(get_str(o, "message"),
                        "routing number fails the ABA check digit");
    assert_string_equal(get_str(o, "batch"), "b1");
    assert_ts_shape(get_str(o, "ts")); /* context cannot override */
    assert_int_equal(json_object_size(o), 11);

    o = json_array_get(lines, 1);
    assert_string_equal(get_str(o, "code"), "ENOMEM");
    assert_string_equal(get_str(o, "rule"), "ENOMEM");
    assert_null(json_object_get(o, "file"));
    assert_null(json_object_get(o, "line"));
    assert_null(json_object_get(o, "offset"));
    assert_null(json_object_get(o, "field"));
    assert_null(json_object_get(o, "message"));
    assert_int_equal(json_object_size(o), 5);

    o = json_array_get(lines, 2);
    assert_string_equal(get_str(o, "message"), "bad card 411111******1111");
    assert_string_equal(get_str(o, "file"), "caf?.csv");
    assert_int_equal(get_int(o, "offset"), 0);
    assert_null(json_object_get(o, "line"));

    o = json_array_get(lines, 3);
    assert_null(json_object_get(o, "code"));
    assert_int_equal(get_int(o, "k"), 1);
    json_decref(lines);
}

static void test_bad_context(void **state)
{
    struct fixture *fx = *state;
    open_log(fx->log, PS_LOG_DEBUG);
    ps_log(PS_LOG_INFO, "null.string", "{s:s}", "k", (const char *)NULL);
    ps_log(PS_LOG_INFO, "not.object", "[i]", 1);
    ps_log(PS_LOG_INFO, "bad.utf8", "{s:s}", "k", "\xff\xfe");
    ps_log(PS_LOG_INFO, "bad.format", "{s:", "k");
    ps_log(PS_LOG_INFO, "nullable", "{s:s?}", "k", (const char *)NULL);
    ps_log_close();

    json_t *lines = read_lines(fx->log);
    assert_int_equal(json_array_size(lines), 5);
    for (size_t i = 0; i < 4; i++) {
        json_t *o = json_array_get(lines, i);
        assert_non_null(get_str(o, "log_error"));
        assert_null(json_object_get(o, "k"));
        assert_int_equal(json_object_size(o), 4);
    }
    assert_string_equal(get_str(json_array_get(lines, 1), "log_error"),
                        "context is not an object");
    json_t *o = json_array_get(lines, 4);
    assert_true(json_is_null(json_object_get(o, "k")));
    assert_null(json_object_get(o, "log_error"));
    json_decref(lines);
}

static void test_reopen_and_mode(void **state)
{
    struct fixture *fx = *state;
    struct ps_err err;
    struct stat st;
    mode_t old = umask(022);
    ps_err_clear(&err);

    open_log(fx->log, PS_LOG_INFO);
    ps_log(PS_LOG_INFO, "first", NULL);
    /* A failed re-open keeps the old destination. */
    assert_int_equal(ps_log_open("/nonexistent-dir/x.log", PS_LOG_INFO, &err),
                     PS_EIO);
    assert_int_equal(err.sys_errno, ENOENT);
    ps_log(PS_LOG_INFO, "second", NULL);
    open_log(fx->other, PS_LOG_INFO);
    ps_log(PS_LOG_INFO, "third", NULL);
    ps_log_close();
    umask(old);

    assert_int_equal(stat(fx->log, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    json_t *a = read_lines(fx->log);
    json_t *b = read_lines(fx->other);
    assert_int_equal(json_array_size(a), 2);
    assert_string_equal(get_str(json_array_get(a, 1), "event"), "second");
    assert_int_equal(json_array_size(b), 1);
    assert_string_equal(get_str(json_array_get(b, 0), "event"), "third");
    json_decref(a);
    json_decref(b);
}

/* SIGHUP after logrotate renamed the file: ps_log_reopen() opens the name
 * again, at the same level; the renamed file keeps the earlier lines. */
static void test_reopen_after_rename(void **state)
{
    struct fixture *fx = *state;
    struct ps_err err;
    ps_err_clear(&err);

    open_log(fx->log, PS_LOG_WARN);
    ps_log(PS_LOG_WARN, "before", NULL);
    assert_int_equal(rename(fx->log, fx->other), 0);
    assert_int_equal(ps_log_reopen(&err), 0);
    ps_log(PS_LOG_INFO, "filtered", NULL); /* the level is kept */
    ps_log(PS_LOG_WARN, "after", NULL);
    ps_log_close();
    assert_int_equal(ps_log_reopen(&err), 0); /* stderr: nothing to do */

    json_t *a = read_lines(fx->other);
    json_t *b = read_lines(fx->log);
    assert_int_equal(json_array_size(a), 1);
    assert_string_equal(get_str(json_array_get(a, 0), "event"), "before");
    assert_int_equal(json_array_size(b), 1);
    assert_string_equal(get_str(json_array_get(b, 0), "event"), "after");
    json_decref(a);
    json_decref(b);
}

static void test_stderr(void **state)
{
    struct fixture *fx = *state;
    int fd = open(fx->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int saved = dup(STDERR_FILENO);
    assert_true(fd >= 0 && saved >= 0);
    assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);

    open_log(NULL, PS_LOG_INFO);
    ps_log(PS_LOG_INFO, "to.stderr.null", NULL);
    open_log("-", PS_LOG_INFO);
    ps_log(PS_LOG_INFO, "to.stderr.dash", NULL);
    ps_log_close(); /* must not close stderr */
    ps_log(PS_LOG_INFO, "after.close", NULL);

    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    close(saved);
    close(fd);

    json_t *lines = read_lines(fx->log);
    assert_int_equal(json_array_size(lines), 3);
    assert_string_equal(get_str(json_array_get(lines, 2), "event"),
                        "after.close");
    json_decref(lines);
}

static void test_errno_preserved(void **state)
{
    struct fixture *fx = *state;
    open_log(fx->log, PS_LOG_INFO);
    errno = EACCES;
    ps_log(PS_LOG_INFO, "a", "{s:s}", "k", "v");
    assert_int_equal(errno, EACCES);
    ps_log(PS_LOG_DEBUG, "filtered", NULL);
    assert_int_equal(errno, EACCES);
    ps_log(PS_LOG_INFO, "bad", "{s:s}", "k", (const char *)NULL);
    assert_int_equal(errno, EACCES);
}

static void test_long_line(void **state)
{
    struct fixture *fx = *state;
    size_t n = 100000;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'a', n);
    big[n] = '\0';
    memcpy(big + n / 2, "4111111111111111", 16);
    open_log(fx->log, PS_LOG_INFO);
    ps_log(PS_LOG_INFO, "big", "{s:s}", "v", big);
    ps_log_close();

    json_t *lines = read_lines(fx->log);
    assert_int_equal(json_array_size(lines), 1);
    const char *v = get_str(json_array_get(lines, 0), "v");
    assert_int_equal(strlen(v), n);
    assert_memory_equal(v + n / 2, "411111******1111", 16);
    json_decref(lines);
    free(big);
}

/*
 * Several processes, each with its own descriptor on the same file, write
 * lines larger than PIPE_BUF and than the stack buffer: every line must
 * come back whole.
 */
static void test_concurrent_append(void **state)
{
    enum { NPROC = 4, NLINES = 150, PAD = 6000 };
    struct fixture *fx = *state;
    static char pad[PAD + 1];
    pid_t pids[NPROC];
    memset(pad, 'x', PAD);

    for (int p = 0; p < NPROC; p++) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            struct ps_err err;
            if (ps_log_open(fx->log, PS_LOG_INFO, &err) != 0)
                _exit(1);
            for (int i = 0; i < NLINES; i++)
                ps_log(PS_LOG_INFO, "concurrent", "{s:i, s:i, s:s}", "proc", p,
                       "seq", i, "pad", pad);
            ps_log_close();
            _exit(0);
        }
    }
    for (int p = 0; p < NPROC; p++) {
        int status;
        assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }

    json_t *lines = read_lines(fx->log);
    static unsigned char seen[NPROC][NLINES];
    memset(seen, 0, sizeof(seen));
    assert_int_equal(json_array_size(lines), NPROC * NLINES);
    for (size_t i = 0; i < json_array_size(lines); i++) {
        json_t *o = json_array_get(lines, i);
        json_int_t p = get_int(o, "proc"), s = get_int(o, "seq");
        assert_true(p >= 0 && p < NPROC && s >= 0 && s < NLINES);
        assert_int_equal(strlen(get_str(o, "pad")), PAD);
        seen[p][s]++;
    }
    for (int p = 0; p < NPROC; p++)
        for (int s = 0; s < NLINES; s++)
            assert_int_equal(seen[p][s], 1);
    json_decref(lines);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_line_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_context, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_filter, setup, teardown),
        cmocka_unit_test(test_level_parse),
        cmocka_unit_test_setup_teardown(test_redaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_err_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_context, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_and_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_after_rename, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stderr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errno_preserved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_append, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
