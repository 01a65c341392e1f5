/*
 * test_progress.c -- progress.c: the clock read only every check_every
 * units, log events by time (PAYSPOOL_NOW moves the clock) and never by
 * count, terminal redraws at most every PS_PROGRESS_DRAW_MS and cleared at
 * the end, the rate and ETA in int64 (truncated, saturating), and the
 * line's text.
 *
 * The expected numbers are worked out by hand in the comments, not taken
 * from the code under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/progress.h"
#include "testutil.h"

#define T0 "2026-11-20T22:00:00Z"
#define T0_MS INT64_C(1795212000000) /* 2026-11-20T22:00:00Z */

struct fixture {
    char dir[PATH_MAX - 64];
    char log[PATH_MAX];
};

/* What the fake display was given. */
static int draws, clears;
static char last_line[PS_PROGRESS_LINE];

static void fake_display(const char *line)
{
    if (line == NULL) {
        clears++;
        return;
    }
    draws++;
    snprintf(last_line, sizeof(last_line), "%s", line);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct ps_err err;
    if (fx == NULL ||
        ps_test_tmpdir(fx->dir, sizeof(fx->dir), "test_progress") != 0) {
        free(fx);
        return -1;
    }
    ps_test_join(fx->log, sizeof(fx->log), fx->dir, "test.log");
    if (ps_log_open(fx->log, PS_LOG_INFO, &err) != 0) {
        free(fx);
        return -1;
    }
    draws = clears = 0;
    last_line[0] = '\0';
    ps_progress_set_display(NULL);
    ps_progress_set_log_interval(PS_PROGRESS_LOG_MS);
    /* Read once unset, so setting T0 again restarts the frozen clock
     * there (clock.c) rather than going on from the last test's ticks. */
    unsetenv("PAYSPOOL_NOW");
    (void)ps_clock_now_ms();
    setenv("PAYSPOOL_NOW", T0, 1);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    unsetenv("PAYSPOOL_NOW");
    ps_progress_set_display(NULL);
    ps_log_close();
    unlink(fx->log);
    int rc = rmdir(fx->dir);
    free(fx);
    return rc;
}

/* Move the frozen clock to T0 + ms (it then ticks 1 ms per read). */
static void clock_at(int64_t ms)
{
    char buf[PS_TIME_SIZE];
    setenv("PAYSPOOL_NOW", ps_time_format(T0_MS + ms, buf), 1);
}

/* The log's lines, parsed; *n gets their number.  Frees with free_lines. */
static json_t **read_lines(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    json_t **v = NULL;
    *n = 0;
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        json_error_t e;
        json_t *o = json_loads(line, 0, &e);
        if (o == NULL)
            fail_msg("log line is not JSON: %s (%s)", line, e.text);
        v = realloc(v, (*n + 1) * sizeof(*v));
        assert_non_null(v);
        v[(*n)++] = o;
    }
    fclose(f);
    return v;
}

static void free_lines(json_t **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(v[i]);
    free(v);
}

static json_int_t int_of(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        fail_msg("no integer %s in the event", key);
    return json_integer_value(v);
}

/* The clock is read once at begin and then once per check_every units:
 * the frozen clock ticks one ms per read, so its value counts the reads. */
static void test_clock_read_every_n(void **state)
{
    struct ps_progress p;
    (void)state;
    ps_progress_begin(&p, "test.progress", "t", "records", 10000);
    assert_int_equal(p.start_ms, T0_MS); /* read 1 */
    assert_int_equal(p.check_every, PS_PROGRESS_CHECK_EVERY);
    for (int i = 0; i < 10 * PS_PROGRESS_CHECK_EVERY; i++)
        ps_progress_step(&p, 1); /* reads 2..11 */
    for (int i = 0; i < PS_PROGRESS_CHECK_EVERY - 1; i++)
        ps_progress_step(&p, 1); /* one short of the next read */
    assert_int_equal(ps_clock_now_ms(), T0_MS + 11);
    /* A step of many units at once reads the clock once. */
    ps_progress_step(&p, 5000);
    assert_int_equal(ps_clock_now_ms(), T0_MS + 13);
    ps_progress_end(&p);
}

/* Events come by time, every log interval, never by count: a million
 * records in a few milliseconds make none; five seconds make one. */
static void test_log_by_time(void **state)
{
    struct fixture *fx = *state;
    struct ps_progress p;
    json_t **v;
    size_t n;

    ps_progress_begin(&p, "test.progress", "intake acme/pay.txt", "records",
                      4000000);
    p.check_every = 100000;
    p.next_check = 100000;
    for (int i = 0; i < 1000000; i++)
        ps_progress_step(&p, 1); /* 10 reads: 10 ms */
    v = read_lines(fx->log, &n);
    assert_int_equal(n, 0);
    free_lines(v, n);

    clock_at(4999); /* not yet */
    ps_progress_step(&p, 100000);
    v = read_lines(fx->log, &n);
    assert_int_equal(n, 0);
    free_lines(v, n);

    clock_at(5000);
    ps_progress_step(&p, 100000); /* done 1,200,000 at T0 + 5 s */
    v = read_lines(fx->log, &n);
    assert_int_equal(n, 1);
    assert_string_equal(json_string_value(json_object_get(v[0], "event")),
                        "test.progress");
    assert_string_equal(json_string_value(json_object_get(v[0], "level")),
                        "info");
    assert_string_equal(json_string_value(json_object_get(v[0], "what")),
                        "intake acme/pay.txt");
    assert_int_equal(int_of(v[0], "done"), 1200000);
    assert_int_equal(int_of(v[0], "total"), 4000000);
    assert_int_equal(int_of(v[0], "elapsed_ms"), 5000);
    /* 1,200,000 in 5 s: 240,000/s; 2,800,000 left: 11.67 s, 11 whole */
    assert_int_equal(int_of(v[0], "per_second"), 240000);
    assert_int_equal(int_of(v[0], "eta_seconds"), 11);
    free_lines(v, n);

    /* Within the next interval, however many records: nothing more. */
    p.check_every = 1;
    p.next_check = p.done + 1;
    for (int i = 0; i < 1000; i++)
        ps_progress_step(&p, 1); /* 1000 reads: T0 + 5.001 .. 6.000 s */
    v = read_lines(fx->log, &n);
    assert_int_equal(n, 1);
    free_lines(v, n);

    /* A shorter interval, as [log] progress_seconds sets it. */
    ps_progress_set_log_interval(2000);
    clock_at(7000);
    ps_progress_step(&p, 1);
    v = read_lines(fx->log, &n);
    assert_int_equal(n, 2);
    free_lines(v, n);

    /* A run of events ends with one more: where it got to. */
    ps_progress_end(&p);
    v = read_lines(fx->log, &n);
    assert_int_equal(n, 3);
    assert_int_equal(int_of(v[2], "done"), 1201001);
    free_lines(v, n);
    ps_progress_end(&p); /* twice: nothing */
    v = read_lines(fx->log, &n);
    assert_int_equal(n, 3);
    free_lines(v, n);
}

/* Short work that never reaches an interval logs nothing at all, not
 * even at its end. */
static void test_short_work_quiet(void **state)
{
    struct fixture *fx = *state;
    struct ps_progress p;
    size_t n;
    ps_progress_begin(&p, "test.progress", NULL, "rows", 0);
    for (int i = 0; i < 500; i++)
        ps_progress_step(&p, 1);
    ps_progress_end(&p);
    json_t **v = read_lines(fx->log, &n);
    assert_int_equal(n, 0);
    free_lines(v, n);
}

/* Without a total the event has no total and no ETA; below the log's
 * level there is none at all (and nothing leaks: ASan build). */
static void test_log_shapes(void **state)
{
    struct fixture *fx = *state;
    struct ps_progress p;
    struct ps_err err;
    json_t **v;
    size_t n;

    ps_progress_begin(&p, "recon.progress", "recon acme 2026-11-20", "rows",
                      0);
    clock_at(6000);
    ps_progress_step(&p, 64); /* one check: at T0 + 6 s */
    v = read_lines(fx->log, &n);
    assert_int_equal(n, 1);
    assert_int_equal(int_of(v[0], "done"), 64);
    assert_int_equal(int_of(v[0], "per_second"), 10); /* 64 in 6 s */
    assert_string_equal(json_string_value(json_object_get(v[0], "unit")),
                        "rows");
    assert_null(json_object_get(v[0], "total"));
    assert_null(json_object_get(v[0], "eta_seconds"));
    free_lines(v, n);
    ps_progress_end(&p);

    assert_int_equal(ps_log_open(fx->log, PS_LOG_WARN, &err), 0);
    ps_progress_begin(&p, "payout.progress", "payouts", "records", 1000);
    clock_at(20000);
    ps_progress_step(&p, 64);
    ps_progress_end(&p);
    v = read_lines(fx->log, &n);
    assert_int_equal(n, 2); /* the two info lines above, no more */
    free_lines(v, n);
}

/* The terminal: drawn at the first check, then at most every
 * PS_PROGRESS_DRAW_MS; cleared by end, by hide; nothing without a
 * display. */
static void test_display(void **state)
{
    struct ps_progress p;
    (void)state;

    ps_progress_begin(&p, "test.progress", "t", "records", 1000);
    p.check_every = 1;
    p.next_check = 1;
    ps_progress_step(&p, 1); /* no display installed */
    assert_int_equal(draws, 0);

    ps_progress_set_display(fake_display);
    ps_progress_begin(&p, "test.progress", "payouts acme", "records", 1000);
    p.check_every = 1;
    p.next_check = 1;
    ps_progress_step(&p, 1); /* first check: drawn */
    assert_int_equal(draws, 1);
    for (int i = 0; i < 100; i++)
        ps_progress_step(&p, 1); /* 100 ms of frozen ticks: no redraw */
    assert_int_equal(draws, 1);
    clock_at(PS_PROGRESS_DRAW_MS + 50);
    ps_progress_step(&p, 1);
    assert_int_equal(draws, 2);
    assert_non_null(strstr(last_line, "payouts acme: 102 of 1,000 records"));
    assert_int_equal(clears, 0);

    /* The logger hides the line before it writes to the terminal; the
     * CLI does too before an error. */
    ps_progress_hide();
    assert_int_equal(clears, 1);
    ps_progress_hide(); /* nothing drawn: nothing to clear */
    assert_int_equal(clears, 1);

    clock_at(2 * PS_PROGRESS_DRAW_MS + 100);
    ps_progress_step(&p, 1);
    assert_int_equal(draws, 3);
    ps_progress_end(&p);
    assert_int_equal(clears, 2);

    /* A struct zeroed and never begun: end does nothing. */
    struct ps_progress z;
    memset(&z, 0, sizeof(z));
    ps_progress_end(&z);
    assert_int_equal(clears, 2);
}

/* A log line written to the terminal (stderr) first clears the progress
 * line, which the next check draws again; a log going to a file leaves
 * it alone. */
static void test_log_clears_line(void **state)
{
    struct fixture *fx = *state;
    struct ps_progress p;
    struct ps_err err;
    int saved = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY);
    assert_true(saved >= 0 && null >= 0);

    ps_progress_set_display(fake_display);
    ps_progress_begin(&p, "test.progress", "t", "records", 100);
    p.check_every = 1;
    p.next_check = 1;
    ps_progress_step(&p, 1);
    assert_int_equal(draws, 1);
    ps_log(PS_LOG_INFO, "test.to_file", NULL); /* to the file */
    assert_int_equal(clears, 0);

    assert_int_equal(dup2(null, STDERR_FILENO), STDERR_FILENO);
    assert_int_equal(ps_log_open(NULL, PS_LOG_INFO, &err), 0);
    ps_log(PS_LOG_DEBUG, "test.dropped", NULL); /* below the level */
    assert_int_equal(clears, 0);
    ps_log(PS_LOG_INFO, "test.to_stderr", NULL);
    assert_int_equal(clears, 1);
    ps_progress_step(&p, 1); /* within the redraw interval: not yet */
    assert_int_equal(draws, 1);
    clock_at(1000);
    ps_progress_step(&p, 1);
    assert_int_equal(draws, 2);
    ps_progress_end(&p);
    assert_int_equal(clears, 2);

    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    close(saved);
    close(null);
    assert_int_equal(ps_log_open(fx->log, PS_LOG_INFO, &err), 0);
}

/* Rate and ETA on a struct set by hand (start at 0 ms). */
static void test_arithmetic(void **state)
{
    struct ps_progress p;
    (void)state;
    memset(&p, 0, sizeof(p));
    p.unit = "records";
    p.total = 200000;
    p.done = 12345;
    /* 12,345,000 / 1,520 = 8,121.7: 8,121/s */
    assert_int_equal(ps_progress_rate(&p, 1520), 8121);
    /* 187,655 * 1,520 / 12,345 = 23,105.3 ms */
    assert_int_equal(ps_progress_eta_ms(&p, 1520), 23105);
    /* no time yet: rate unknown; ETA 0 ms at this pace */
    assert_int_equal(ps_progress_rate(&p, 0), -1);
    /* nothing done, no total, all done */
    p.done = 0;
    assert_int_equal(ps_progress_eta_ms(&p, 1000), -1);
    assert_int_equal(ps_progress_rate(&p, 1000), 0);
    p.done = 200000;
    assert_int_equal(ps_progress_eta_ms(&p, 1000), 0);
    p.total = 0;
    p.done = 5;
    assert_int_equal(ps_progress_eta_ms(&p, 1000), -1);

    /* Past what a * b holds: 3e9 left of 6e9 after 4e9 ms (the product
     * is 1.2e19 > INT64_MAX): exactly 4e9 ms more. */
    p.total = INT64_C(6000000000);
    p.done = INT64_C(3000000000);
    assert_int_equal(ps_progress_eta_ms(&p, INT64_C(4000000000)),
                     INT64_C(4000000000));
    /* 7e9 of 9e9 after 6e9 ms: 2e9 * 6e9 / 7e9 = 1,714,285,714.28 */
    p.total = INT64_C(9000000000);
    p.done = INT64_C(7000000000);
    assert_int_equal(ps_progress_eta_ms(&p, INT64_C(6000000000)),
                     INT64_C(1714285714));
    /* Saturates rather than wraps. */
    p.total = INT64_MAX;
    p.done = 1;
    assert_true(ps_progress_eta_ms(&p, INT64_C(1000000)) == INT64_MAX);
    /* 9e15 done in 1 ms: 9e18/s still fits; the rate does not wrap */
    p.done = INT64_C(9000000000000000);
    assert_true(ps_progress_rate(&p, 1) == INT64_C(9000000000000000000));
}

static void test_format(void **state)
{
    struct ps_progress p;
    char buf[PS_PROGRESS_LINE];
    (void)state;
    memset(&p, 0, sizeof(p));
    p.what = "intake acme/pay.txt";
    p.unit = "records";
    p.total = 200000;
    p.done = 12345;
    assert_string_equal(ps_progress_format(&p, 1520, buf, sizeof(buf)),
                        "intake acme/pay.txt: 12,345 of 200,000 records "
                        "(6%), 8,121/s, ETA 0:23");
    /* an hour and more: h:mm:ss; 1,000 of 1,000,000 after 3,727 ms:
     * 999,000 * 3,727 / 1,000 = 3,723,273 ms = 1:02:03 */
    p.total = 1000000;
    p.done = 1000;
    assert_string_equal(ps_progress_format(&p, 3727, buf, sizeof(buf)),
                        "intake acme/pay.txt: 1,000 of 1,000,000 records "
                        "(0%), 268/s, ETA 1:02:03");
    /* no total: no "of", no ETA; no time yet: no rate */
    p.what = "export acme";
    p.unit = "profiles";
    p.total = 0;
    p.done = 1200;
    assert_string_equal(ps_progress_format(&p, 3000, buf, sizeof(buf)),
                        "export acme: 1,200 profiles, 400/s");
    assert_string_equal(ps_progress_format(&p, 0, buf, sizeof(buf)),
                        "export acme: 1,200 profiles, -/s");
    p.what = NULL;
    p.done = 1234567;
    assert_string_equal(ps_progress_format(&p, 1000, buf, sizeof(buf)),
                        "1,234,567 profiles, 1,234,567/s");
    /* a small buffer is cut, never overrun */
    char small[12];
    ps_progress_format(&p, 1000, small, sizeof(small));
    assert_string_equal(small, "1,234,567 p");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_clock_read_every_n, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_log_by_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_work_quiet, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_log_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_display, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_clears_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_arithmetic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
