/*
 * test_clock.c -- dates, RFC 3339 times and the PAYSPOOL_NOW frozen clock
 * (src/clock.c).
 *
 * Expected epoch values were computed independently (Python datetime); the
 * day-by-day round trip walks its own calendar counter rather than trusting
 * the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/clock.h"

#define DAY_MS INT64_C(86400000)

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : dim[m - 1];
}

/* Each test starts and ends with the real clock. */
static int unfreeze(void **state)
{
    (void)state;
    unsetenv("PAYSPOOL_NOW");
    return 0;
}

/* Every day 1970-01-01 .. 2100-12-31: format, parse, compare. */
static void test_date_round_trip(void **state)
{
    char buf[PS_DATE_SIZE], want[32];
    struct ps_err err;
    int64_t days = 0;
    (void)state;

    for (int y = 1970; y <= 2100; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= month_days(y, m); d++, days++) {
                int64_t back = -1;
                snprintf(want, sizeof(want), "%04d-%02d-%02d", y, m, d);
                ps_date_format(days, buf);
                if (strcmp(buf, want) != 0)
                    fail_msg("day %lld: \"%s\", want \"%s\"", (long long)days,
                             buf, want);
                if (ps_date_parse(want, &back, &err) != 0)
                    fail_msg("parse \"%s\": %s", want, err.msg);
                if (back != days)
                    fail_msg("parse \"%s\": %lld, want %lld", want,
                             (long long)back, (long long)days);
            }
        }
    }
    assert_int_equal(days, 47846 + 1); /* 2100-12-31 is day 47846 */
}

/* The whole supported range, including before 1970, round trips. */
static void test_date_extremes(void **state)
{
    char buf[PS_DATE_SIZE];
    int64_t days = 0;
    (void)state;

    assert_int_equal(ps_date_parse("0000-01-01", &days, NULL), 0);
    assert_int_equal(days, -719528);
    assert_string_equal(ps_date_format(days, buf), "0000-01-01");
    assert_int_equal(ps_date_parse("9999-12-31", &days, NULL), 0);
    assert_int_equal(days, 2932896);
    assert_string_equal(ps_date_format(days, buf), "9999-12-31");
    assert_int_equal(ps_date_parse("1969-12-31", &days, NULL), 0);
    assert_int_equal(days, -1);
    assert_int_equal(ps_date_parse("0000-02-29", &days, NULL), 0);
    for (int64_t d = -719528; d <= 2932896; d += 97) {
        int64_t back = 0;
        ps_date_format(d, buf);
        assert_int_equal(ps_date_parse(buf, &back, NULL), 0);
        assert_int_equal(back, d);
    }
    /* Outside four-digit years: clamped, never garbage. */
    assert_string_equal(ps_date_format(-719529, buf), "0000-01-01");
    assert_string_equal(ps_date_format(INT64_MIN, buf), "0000-01-01");
    assert_string_equal(ps_date_format(2932897, buf), "9999-12-31");
    assert_string_equal(ps_date_format(INT64_MAX, buf), "9999-12-31");
}

static void test_date_leap(void **state)
{
    int64_t days = 0;
    (void)state;

    assert_int_equal(ps_date_parse("2024-02-29", &days, NULL), 0);
    assert_int_equal(days, 19782);
    assert_int_equal(ps_date_parse("2000-02-29", &days, NULL), 0);
    assert_int_equal(ps_date_parse("1600-02-29", &days, NULL), 0);
    assert_int_equal(ps_date_parse("2100-02-29", &days, NULL), PS_EINVAL);
    assert_int_equal(ps_date_parse("1900-02-29", &days, NULL), PS_EINVAL);
    assert_int_equal(ps_date_parse("2026-02-29", &days, NULL), PS_EINVAL);
    assert_int_equal(ps_date_parse("2024-02-30", &days, NULL), PS_EINVAL);
}

static void test_date_invalid(void **state)
{
    static const char *const bad[] = {"2026-02-29",
                                      "2026-13-01",
                                      "2026-00-10",
                                      "2026-01-00",
                                      "2026-01-32",
                                      "2026-04-31",
                                      "2026-06-31",
                                      "2026-09-31",
                                      "2026-11-31",
                                      "2026-1-01",
                                      "2026-01-1",
                                      "26-01-01",
                                      "02026-01-01",
                                      "2026-01-01x",
                                      "2026-01-01 ",
                                      " 2026-01-01",
                                      "2026-01-01T00:00:00Z",
                                      "2026/01/01",
                                      "2026.01.01",
                                      "20260101",
                                      "2026-0a-01",
                                      "+2026-01-01",
                                      "-2026-01-01",
                                      "2026-01--1",
                                      "2026-\xd9\xa1-01",
                                      "",
                                      "2026",
                                      "2026-01",
                                      "2026-01-",
                                      "yyyy-mm-dd"};
    struct ps_err err;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t days = 12345;
        ps_err_clear(&err);
        if (ps_date_parse(bad[i], &days, &err) != PS_EINVAL)
            fail_msg("\"%s\" accepted as day %lld", bad[i], (long long)days);
        assert_int_equal(days, 12345);
        assert_int_equal(err.code, PS_EINVAL);
        assert_string_equal(err.rule, "DATE_FORMAT");
        assert_true(err.msg[0] != '\0');
    }
    assert_int_equal(ps_date_parse(NULL, NULL, &err), PS_EINVAL);
    assert_string_equal(err.rule, "DATE_FORMAT");

    /* The message names the input and what is wrong with it. */
    ps_date_parse("2026-02-29", &(int64_t){0}, &err);
    assert_non_null(strstr(err.msg, "\"2026-02-29\""));
    assert_non_null(strstr(err.msg, "day 29"));
    ps_date_parse("2026-13-01", &(int64_t){0}, &err);
    assert_non_null(strstr(err.msg, "month 13"));
}

static void test_time_parse(void **state)
{
    static const struct {
        const char *in;
        int64_t ms;
    } good[] = {
        {"2026-11-21T18:36:54Z", INT64_C(1795286214000)},
        {"2026-11-21t18:36:54z", INT64_C(1795286214000)},
        {"2026-11-21T18:36:54.123Z", INT64_C(1795286214123)},
        {"2026-11-21T18:36:54.1Z", INT64_C(1795286214100)},
        {"2026-11-21T18:36:54.12Z", INT64_C(1795286214120)},
        {"2026-11-21T18:36:54.000Z", INT64_C(1795286214000)},
        {"2026-11-21T18:36:54.123456789Z", INT64_C(1795286214123)},
        {"2026-11-21T18:36:54.9999Z", INT64_C(1795286214999)},
        /* 18:36:54+05:30 is 13:06:54 UTC. */
        {"2026-11-21T18:36:54+05:30", INT64_C(1795266414000)},
        {"2026-11-21T18:36:54.5+05:30", INT64_C(1795266414500)},
        {"2026-11-21T13:06:54+00:00", INT64_C(1795266414000)},
        {"2026-11-21T13:06:54-00:00", INT64_C(1795266414000)},
        {"2026-11-21T05:06:54-08:00", INT64_C(1795266414000)},
        /* Offsets move the instant across midnight. */
        {"2026-11-21T00:30:00+01:00", INT64_C(1795217400000)},
        {"2026-11-20T23:30:00-23:59", INT64_C(1795303740000)},
        {"2026-11-20T22:00:00Z", INT64_C(1795212000000)},
        {"2026-11-21", INT64_C(1795219200000)},
        {"1970-01-01T00:00:00Z", 0},
        {"1970-01-01", 0},
        {"1969-12-31T23:59:59.999Z", -1},
        {"2024-02-29T23:59:59Z", (19782 + 1) * DAY_MS - 1000},
    };
    struct ps_err err;
    (void)state;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        int64_t ms = 0;
        if (ps_time_parse(good[i].in, &ms, &err) != 0)
            fail_msg("\"%s\": %s", good[i].in, err.msg);
        if (ms != good[i].ms)
            fail_msg("\"%s\": %lld, want %lld", good[i].in, (long long)ms,
                     (long long)good[i].ms);
    }
}

static void test_time_invalid(void **state)
{
    static const char *const bad[] = {
        "2026-11-21T24:00:00Z",
        "2026-11-21T23:60:00Z",
        "2026-11-21T23:59:60Z",
        "2026-11-21T18:36:54",
        "2026-11-21 18:36:54Z",
        "2026-11-21T18:36Z",
        "2026-11-21T18:36:54.Z",
        "2026-11-21T18:36:54.",
        "2026-11-21T18:36:54+05",
        "2026-11-21T18:36:54+05:3",
        "2026-11-21T18:36:54+0530",
        "2026-11-21T18:36:54+24:00",
        "2026-11-21T18:36:54+05:60",
        "2026-11-21T18:36:54ZZ",
        "2026-11-21T18:36:54Z ",
        "2026-11-21T18:36:54 Z",
        "2026-11-21T8:36:54Z",
        "2026-11-21T18:36:54.12a",
        "2026-11-21T18:36:54UTC",
        "2026-11-21T",
        "2026-02-29T00:00:00Z",
        "2026-11-21x",
        "T18:36:54Z",
        "",
        "2026-11-21T18:36:54.1.2Z",
        "2026-11-21T-1:36:54Z",
    };
    struct ps_err err;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms = 12345;
        ps_err_clear(&err);
        if (ps_time_parse(bad[i], &ms, &err) != PS_EINVAL)
            fail_msg("\"%s\" accepted as %lld", bad[i], (long long)ms);
        assert_int_equal(ms, 12345);
        assert_string_equal(err.rule, "TIME_FORMAT");
        assert_non_null(strstr(err.msg, bad[i]));
    }
    assert_int_equal(ps_time_parse(NULL, NULL, &err), PS_EINVAL);
    assert_string_equal(err.rule, "TIME_FORMAT");
    assert_int_equal(ps_time_parse("2026-11-21T24:00:00Z", NULL, NULL),
                     PS_EINVAL);
}

static void test_time_format(void **state)
{
    char buf[PS_TIME_SIZE];
    (void)state;

    assert_string_equal(ps_time_format(0, buf), "1970-01-01T00:00:00.000Z");
    assert_string_equal(ps_time_format(-1, buf), "1969-12-31T23:59:59.999Z");
    assert_string_equal(ps_time_format(INT64_C(1795286214123), buf),
                        "2026-11-21T18:36:54.123Z");
    assert_string_equal(ps_time_format(-DAY_MS, buf),
                        "1969-12-31T00:00:00.000Z");
    assert_int_equal(strlen(buf), PS_TIME_SIZE - 1);
    /* Clamped to four-digit years. */
    assert_string_equal(ps_time_format(INT64_MIN, buf),
                        "0000-01-01T00:00:00.000Z");
    assert_string_equal(ps_time_format(INT64_MAX, buf),
                        "9999-12-31T23:59:59.999Z");

    /* parse(format(ms)) == ms over the whole range, fixed-seed LCG. */
    {
        uint64_t x = 42;
        const int64_t lo = INT64_C(-719528) * DAY_MS;
        const uint64_t span = (uint64_t)(INT64_C(2932897) * DAY_MS - lo);
        for (int i = 0; i < 100000; i++) {
            int64_t ms, back = 0;
            x = x * UINT64_C(6364136223846793005) +
                UINT64_C(1442695040888963407);
            ms = lo + (int64_t)(x % span);
            ps_time_format(ms, buf);
            if (ps_time_parse(buf, &back, NULL) != 0 || back != ms)
                fail_msg("%lld -> \"%s\" -> %lld", (long long)ms, buf,
                         (long long)back);
        }
    }
}

static void test_clock_real(void **state)
{
    int64_t a, b, wall;
    char buf[PS_DATE_SIZE];
    (void)state;

    unsetenv("PAYSPOOL_NOW");
    wall = (int64_t)time(NULL) * 1000;
    a = ps_clock_now_ms();
    b = ps_clock_now_ms();
    assert_true(b >= a);
    /* Same clock as time(2), give or take a minute. */
    assert_true(a > wall - 60000 && a < wall + 60000);
    ps_date_today(buf);
    assert_int_equal(ps_date_parse(buf, &(int64_t){0}, NULL), 0);
}

static void test_clock_frozen(void **state)
{
    char t[PS_TIME_SIZE], d[PS_DATE_SIZE];
    int64_t a, b, c;
    (void)state;

    assert_int_equal(setenv("PAYSPOOL_NOW", "2026-11-20T22:00:00Z", 1), 0);
    a = ps_clock_now_ms();
    b = ps_clock_now_ms();
    assert_int_equal(a, INT64_C(1795212000000));
    assert_int_equal(b - a, 1);
    assert_string_equal(ps_time_now(t), "2026-11-20T22:00:00.002Z");
    assert_string_equal(ps_date_today(d), "2026-11-20");
    c = ps_clock_now_ms();
    assert_int_equal(c, a + 4);

    /* A new value restarts the clock there. */
    assert_int_equal(setenv("PAYSPOOL_NOW", "2026-11-21T00:00:00+05:30", 1), 0);
    assert_int_equal(ps_clock_now_ms(), INT64_C(1795199400000));
    assert_int_equal(ps_clock_now_ms(), INT64_C(1795199400001));
    assert_string_equal(ps_date_today(d), "2026-11-20");

    /* Unset, then the same value again: restarts, not resumes. */
    unsetenv("PAYSPOOL_NOW");
    assert_true(ps_clock_now_ms() > INT64_C(1700000000000));
    setenv("PAYSPOOL_NOW", "2026-11-21T00:00:00+05:30", 1);
    assert_int_equal(ps_clock_now_ms(), INT64_C(1795199400000));

    /* A bare date freezes at midnight UTC. */
    setenv("PAYSPOOL_NOW", "2030-01-01", 1);
    assert_string_equal(ps_time_now(t), "2030-01-01T00:00:00.000Z");

    /* Unparsable values are ignored: the real clock runs. */
    setenv("PAYSPOOL_NOW", "tomorrow", 1);
    a = ps_clock_now_ms();
    assert_true(a > (int64_t)time(NULL) * 1000 - 60000);
    setenv("PAYSPOOL_NOW", "2026-02-29T00:00:00Z", 1);
    assert_true(ps_clock_now_ms() >= a);
    setenv("PAYSPOOL_NOW",
           "2026-11-20T22:00:00.000000000000000000000000000000000000000000"
           "0000000000000000000000000000Z",
           1);
    assert_true(ps_clock_now_ms() >= a);

    /* And an empty value means unset. */
    setenv("PAYSPOOL_NOW", "", 1);
    assert_true(ps_clock_now_ms() >= a);
    unsetenv("PAYSPOOL_NOW");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_round_trip),
        cmocka_unit_test(test_date_extremes),
        cmocka_unit_test(test_date_leap),
        cmocka_unit_test(test_date_invalid),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_time_invalid),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test_teardown(test_clock_real, unfreeze),
        cmocka_unit_test_teardown(test_clock_frozen, unfreeze),
    };
    return cmocka_run_group_tests(tests, unfreeze, NULL);
}
