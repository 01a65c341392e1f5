/*
 * test_cron.c -- cron expressions (src/cron.c): parsing, the next-fire
 * search, DST gaps and overlaps in several zones, business dates.
 *
 * Expected instants were worked out by hand and checked with
 * `TZ=Zone date -d @SECONDS`; they are written as UTC ISO strings so a
 * failure reads like the table.  test_dst_oracle compares ps_cron_next()
 * with an independent brute-force walk (one localtime_r() per minute)
 * around every 2026 transition of several zones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/clock.h"
#include "sched/cron.h"
#include "testutil.h"

/* ---- helpers ---- */

/* Schedules parsed by a test, freed in the teardown (assertions longjmp). */
static struct {
    struct ps_cron *c[64];
    int n;
} owned;

static int free_owned(void **state)
{
    (void)state;
    while (owned.n > 0)
        ps_cron_free(owned.c[--owned.n]);
    return 0;
}

static struct ps_cron *parse_ok(const char *expr)
{
    struct ps_cron *c = NULL;
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_cron_parse(expr, &c, &err) != 0)
        fail_msg("parse \"%s\": %s [%s] field %s", expr, err.msg, err.rule,
                 err.field);
    assert_non_null(c);
    if (owned.n == (int)(sizeof(owned.c) / sizeof(owned.c[0])))
        fail_msg("too many schedules in one test");
    owned.c[owned.n++] = c;
    return c;
}

/* "2026-03-08T07:00:00Z" -> unix seconds (no libc time zone involved). */
static int64_t utc(const char *iso)
{
    int64_t ms;
    struct ps_err err;
    if (ps_time_parse(iso, &ms, &err) != 0)
        fail_msg("bad test time \"%s\": %s", iso, err.msg);
    return ms / 1000;
}

/* Unix seconds -> "2026-03-08T07:00:00Z", or "never" for -1. */
static const char *iso(int64_t t, char buf[32])
{
    if (t == -1)
        return strcpy(buf, "never");
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL)
        return strcpy(buf, "(out of range)");
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/*
 * Starting after `after`, the next fires of expr must be want[0], want[1],
 * ... (a NULL-terminated list; "never" for -1, which ends the list).
 */
static void expect_fires_(const char *expr, const char *after,
                          const char *const *want)
{
    struct ps_cron *c = parse_ok(expr);
    int64_t t = utc(after);
    char got[32];
    for (int i = 0; want[i] != NULL; i++) {
        int64_t prev = t;
        t = ps_cron_next(c, t);
        iso(t, got);
        if (strcmp(got, want[i]) != 0)
            fail_msg("\"%s\" fire %d after %s: got %s, want %s", expr, i + 1,
                     iso(prev, (char[32]){0}), got, want[i]);
        if (t == -1)
            break;
    }
}
#define expect_fires(expr, after, ...)                                         \
    expect_fires_((expr), (after), (const char *const[]){__VA_ARGS__, NULL})

/* ps_cron_parse(expr) must fail with PS_EINVAL, rule and field. */
static void expect_parse_err(const char *expr, const char *rule,
                             const char *field)
{
    struct ps_cron *c = (struct ps_cron *)&owned; /* must stay untouched */
    struct ps_err err;
    ps_err_clear(&err);
    int rc = ps_cron_parse(expr, &c, &err);
    if (rc != PS_EINVAL || strcmp(err.rule, rule) != 0 ||
        strcmp(err.field, field) != 0)
        fail_msg("parse \"%s\": rc %d rule %s field \"%s\" (%s); want "
                 "rule %s field \"%s\"",
                 expr, rc, err.rule, err.field, err.msg, rule, field);
    assert_ptr_equal(c, (struct ps_cron *)&owned);
    assert_true(err.msg[0] != '\0');
}

/* ---- parsing: every form, through what fires ---- */

static void test_forms(void **state)
{
    (void)state;
    /* 2026-01-01 is a Thursday. */
    expect_fires("* * * * *", "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z",
                 "2026-01-01T00:02:00Z");
    expect_fires("7 * * * *", "2026-01-01T00:00:00Z", "2026-01-01T00:07:00Z",
                 "2026-01-01T01:07:00Z");
    expect_fires("1,2,58 * * * *", "2026-01-01T00:00:00Z",
                 "2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z",
                 "2026-01-01T00:58:00Z", "2026-01-01T01:01:00Z");
    expect_fires("5-7 * * * *", "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z",
                 "2026-01-01T00:06:00Z", "2026-01-01T00:07:00Z",
                 "2026-01-01T01:05:00Z");
    expect_fires("5-10/2 * * * *", "2026-01-01T00:00:00Z",
                 "2026-01-01T00:05:00Z", "2026-01-01T00:07:00Z",
                 "2026-01-01T00:09:00Z", "2026-01-01T01:05:00Z");
    expect_fires("*/20 * * * *", "2026-01-01T00:00:00Z", "2026-01-01T00:20:00Z",
                 "2026-01-01T00:40:00Z", "2026-01-01T01:00:00Z");
    /* a/n is a-max/n (Quartz "0/15"). */
    expect_fires("50/5 * * * *", "2026-01-01T00:00:00Z", "2026-01-01T00:50:00Z",
                 "2026-01-01T00:55:00Z", "2026-01-01T01:50:00Z");
    /* On day-of-week it runs up to Saturday; 7/n starts on Sunday. */
    expect_fires("0 0 * * MON/2", "2026-01-01T00:00:00Z",
                 "2026-01-02T00:00:00Z", "2026-01-05T00:00:00Z",
                 "2026-01-07T00:00:00Z", "2026-01-09T00:00:00Z",
                 "2026-01-12T00:00:00Z");
    expect_fires("0 0 * * 7/3", "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z",
                 "2026-01-04T00:00:00Z", "2026-01-07T00:00:00Z",
                 "2026-01-10T00:00:00Z");
    expect_fires("0,10-12,*/30 * * * *", "2026-01-01T00:00:00Z",
                 "2026-01-01T00:10:00Z", "2026-01-01T00:11:00Z",
                 "2026-01-01T00:12:00Z", "2026-01-01T00:30:00Z",
                 "2026-01-01T01:00:00Z");
    expect_fires("0 9-17/4 * * *", "2026-01-01T00:00:00Z",
                 "2026-01-01T09:00:00Z", "2026-01-01T13:00:00Z",
                 "2026-01-01T17:00:00Z", "2026-01-02T09:00:00Z");
    expect_fires("0 0 1 jan-MAR/2 *", "2026-01-01T00:00:00Z",
                 "2026-03-01T00:00:00Z", "2027-01-01T00:00:00Z");
    expect_fires("0 0 1 Feb,11 *", "2026-01-01T00:00:00Z",
                 "2026-02-01T00:00:00Z", "2026-11-01T00:00:00Z",
                 "2027-02-01T00:00:00Z");
    expect_fires("0 0 * * sat,Sun", "2026-01-01T00:00:00Z",
                 "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z",
                 "2026-01-10T00:00:00Z");
    /* 7 is Sunday, also inside ranges. */
    expect_fires("0 0 * * 7", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z",
                 "2026-01-11T00:00:00Z");
    expect_fires("0 0 * * 5-7", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z",
                 "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z",
                 "2026-01-09T00:00:00Z");
    expect_fires("0 0 * * MON-FRI/2", "2026-01-01T00:00:00Z",
                 "2026-01-02T00:00:00Z", "2026-01-05T00:00:00Z",
                 "2026-01-07T00:00:00Z");
    /* '?' is '*' in the day fields (Quartz). */
    expect_fires("0 0 ? * MON", "2026-01-01T00:00:00Z", "2026-01-05T00:00:00Z",
                 "2026-01-12T00:00:00Z");
    expect_fires("0 0 1 * ?", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z",
                 "2026-03-01T00:00:00Z");
    /* Blanks around and between fields. */
    expect_fires("  0\t0   1 * *  ", "2026-01-01T00:00:00Z",
                 "2026-02-01T00:00:00Z");
    /* Strictly after: a fire time equal to `after` is not returned. */
    expect_fires("0 0 1 1 *", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
    expect_fires("0 0 1 1 *", "2025-12-31T23:59:59Z", "2026-01-01T00:00:00Z");
    /* Year rollover from the last second of a year. */
    expect_fires("* * * * * *", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z");
}

static void test_seconds_field(void **state)
{
    (void)state;
    expect_fires("*/20 0 0 * * *", "2026-01-01T00:00:00Z",
                 "2026-01-01T00:00:20Z", "2026-01-01T00:00:40Z",
                 "2026-01-02T00:00:00Z");
    expect_fires("30 * * * * *", "2026-01-01T00:00:00Z", "2026-01-01T00:00:30Z",
                 "2026-01-01T00:01:30Z");
    expect_fires("0 0 12 1 JAN ?", "2026-01-01T00:00:00Z",
                 "2026-01-01T12:00:00Z", "2027-01-01T12:00:00Z");
    expect_fires("59 59 23 31 12 *", "2026-06-01T00:00:00Z",
                 "2026-12-31T23:59:59Z", "2027-12-31T23:59:59Z");
    /* Five fields fire at second 0 only. */
    expect_fires("* * * * *", "2026-01-01T00:00:30Z", "2026-01-01T00:01:00Z");
}

static void test_zone_names(void **state)
{
    (void)state;
    assert_string_equal(ps_cron_zone(parse_ok("0 0 * * *")), "UTC");
    assert_string_equal(ps_cron_zone(parse_ok("CRON_TZ=UTC 0 0 * * *")), "UTC");
    assert_string_equal(
        ps_cron_zone(parse_ok("CRON_TZ=America/New_York 0 0 * * *")),
        "America/New_York");
    assert_string_equal(
        ps_cron_zone(parse_ok("  CRON_TZ=Etc/GMT+5 0 0 0 * * *")), "Etc/GMT+5");
    assert_string_equal(
        ps_cron_zone(parse_ok("CRON_TZ=America/Port-au-Prince 0 0 * * *")),
        "America/Port-au-Prince");
    /* Etc/GMT+5 is UTC-5 (POSIX sign). */
    expect_fires("CRON_TZ=Etc/GMT+5 0 0 * * *", "2026-01-01T00:00:00Z",
                 "2026-01-01T05:00:00Z");
    ps_cron_free(NULL);
}

/* ---- parse errors ---- */

static void test_parse_errors(void **state)
{
    static const struct {
        const char *expr, *rule, *field;
    } cases[] = {
        {"", "CRON_FIELD_COUNT", ""},
        {"   ", "CRON_FIELD_COUNT", ""},
        {"* * * *", "CRON_FIELD_COUNT", ""},
        {"* * * * * * *", "CRON_FIELD_COUNT", ""},
        {"CRON_TZ=UTC", "CRON_FIELD_COUNT", ""},
        {"@daily", "CRON_SYNTAX", ""},
        {"60 * * * * *", "CRON_RANGE", "second"},
        {"60 * * * *", "CRON_RANGE", "minute"},
        {"* 24 * * *", "CRON_RANGE", "hour"},
        {"* * 0 * *", "CRON_RANGE", "day-of-month"},
        {"* * 32 * *", "CRON_RANGE", "day-of-month"},
        {"* * * 0 *", "CRON_RANGE", "month"},
        {"* * * 13 *", "CRON_RANGE", "month"},
        {"* * * * 8", "CRON_RANGE", "day-of-week"},
        {"99999999999999999999 * * * *", "CRON_RANGE", "minute"},
        {"10-5 * * * *", "CRON_RANGE", "minute"},
        {"* * * * SAT-SUN", "CRON_RANGE", "day-of-week"},
        {"*/0 * * * *", "CRON_RANGE", "minute"},
        {"*/61 * * * *", "CRON_RANGE", "minute"},
        {"* */25 * * *", "CRON_RANGE", "hour"},
        {"* * * * 1-3/8", "CRON_RANGE", "day-of-week"},
        {"a * * * *", "CRON_SYNTAX", "minute"},
        {"MON * * * *", "CRON_SYNTAX", "minute"},
        {"-1 * * * *", "CRON_SYNTAX", "minute"},
        {"+1 * * * *", "CRON_SYNTAX", "minute"},
        {"1,,2 * * * *", "CRON_SYNTAX", "minute"},
        {"1, * * * *", "CRON_SYNTAX", "minute"},
        {",1 * * * *", "CRON_SYNTAX", "minute"},
        {"1-2-3 * * * *", "CRON_SYNTAX", "minute"},
        {"1- * * * *", "CRON_SYNTAX", "minute"},
        {"*/ * * * *", "CRON_SYNTAX", "minute"},
        {"*/x * * * *", "CRON_SYNTAX", "minute"},
        {"*/2/2 * * * *", "CRON_SYNTAX", "minute"},
        {"** * * * *", "CRON_SYNTAX", "minute"},
        {"1.5 * * * *", "CRON_SYNTAX", "minute"},
        {"? * * * *", "CRON_SYNTAX", "minute"},
        {"* ? * * *", "CRON_SYNTAX", "hour"},
        {"0 0 * ? *", "CRON_SYNTAX", "month"},
        {"? 0 0 * * *", "CRON_SYNTAX", "second"},
        {"* * ?/2 * *", "CRON_SYNTAX", "day-of-month"},
        {"* * * FOO *", "CRON_SYNTAX", "month"},
        {"* * * * JAN", "CRON_SYNTAX", "day-of-week"},
        {"* * * MON *", "CRON_SYNTAX", "month"},
        {"* * * * MONDAY", "CRON_SYNTAX", "day-of-week"},
        {"* * * JANUARY *", "CRON_SYNTAX", "month"},
        {"* * L * *", "CRON_SYNTAX", "day-of-month"},
        {"* * * * 5#3", "CRON_SYNTAX", "day-of-week"},
        {"CRON_TZ= 0 * * * *", "CRON_ZONE_UNKNOWN", "CRON_TZ"},
        {"CRON_TZ=Mars/Olympus_Mons 0 * * * *", "CRON_ZONE_UNKNOWN", "CRON_TZ"},
        {"CRON_TZ=america/new_york 0 * * * *", "CRON_ZONE_UNKNOWN", "CRON_TZ"},
        {"CRON_TZ=../../../etc/passwd 0 * * * *", "CRON_ZONE_UNKNOWN",
         "CRON_TZ"},
        {"CRON_TZ=America/../Europe/London 0 * * * *", "CRON_ZONE_UNKNOWN",
         "CRON_TZ"},
        {"CRON_TZ=/usr/share/zoneinfo/UTC 0 * * * *", "CRON_ZONE_UNKNOWN",
         "CRON_TZ"},
        {"CRON_TZ=America 0 * * * *", "CRON_ZONE_UNKNOWN", "CRON_TZ"},
        {"CRON_TZ=America/ 0 * * * *", "CRON_ZONE_UNKNOWN", "CRON_TZ"},
        {"CRON_TZ=America//New_York 0 * * * *", "CRON_ZONE_UNKNOWN", "CRON_TZ"},
        {"CRON_TZ=zone1970.tab 0 * * * *", "CRON_ZONE_UNKNOWN", "CRON_TZ"},
        /* A file in the zone directory that is not TZif. */
        {"CRON_TZ=leapseconds 0 * * * *", "CRON_ZONE_UNKNOWN", "CRON_TZ"},
        {"CRON_TZ=Europe/London\xc3\xa9 0 * * * *", "CRON_ZONE_UNKNOWN",
         "CRON_TZ"},
        /* The prefix is case-sensitive and must come first. */
        {"cron_tz=UTC 0 * * * *", "CRON_SYNTAX", "second"}, /* 6 fields */
        {"0 * * * * CRON_TZ=UTC", "CRON_SYNTAX", "day-of-week"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_parse_err(cases[i].expr, cases[i].rule, cases[i].field);

    /* Too long. */
    char big[2048];
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, "0 0 * * *", 9);
    expect_parse_err(big, "CRON_SYNTAX", "");

    /* The message names the offending text. */
    struct ps_cron *c = NULL;
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(ps_cron_parse("0 25 * * *", &c, &err), PS_EINVAL);
    assert_non_null(strstr(err.msg, "25"));
    assert_non_null(strstr(err.msg, "0-23"));
    assert_null(c);

    /* err may be NULL. */
    assert_int_equal(ps_cron_parse("0 25 * * *", &c, NULL), PS_EINVAL);
    assert_int_equal(ps_cron_parse("CRON_TZ=Nowhere 0 * * * *", &c, NULL),
                     PS_EINVAL);
    assert_null(c);
}

/* ---- day-of-month / day-of-week, leap years, never ---- */

static void test_vixie_day_rule(void **state)
{
    (void)state;
    /* Both restricted: either.  2026-01-13 is a Tuesday; Fridays are 2, 9,
     * 16. */
    expect_fires("0 0 13 * FRI", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z",
                 "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z",
                 "2026-01-16T00:00:00Z");
    expect_fires("0 0 1,15 * 1", "2026-01-01T00:00:00Z", "2026-01-05T00:00:00Z",
                 "2026-01-12T00:00:00Z", "2026-01-15T00:00:00Z",
                 "2026-01-19T00:00:00Z");
    /* "1-31" is restricted text, so OR: every day. */
    expect_fires("0 0 1-31 * MON", "2026-01-01T00:00:00Z",
                 "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z");
    /* A field starting with '*' is unrestricted, even "*\/2": AND, as in
     * Vixie cron and cronie.  Odd days that are Mondays: Jan 5, 19, Feb 9.
     */
    expect_fires("0 0 */2 * MON", "2026-01-01T00:00:00Z",
                 "2026-01-05T00:00:00Z", "2026-01-19T00:00:00Z",
                 "2026-02-09T00:00:00Z");
    /* dow '*' with dom restricted: dom alone. */
    expect_fires("0 0 31 * *", "2026-01-01T00:00:00Z", "2026-01-31T00:00:00Z",
                 "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z");
    /* dom '*' with dow restricted: dow alone. */
    expect_fires("0 0 * * 3", "2026-01-01T00:00:00Z", "2026-01-07T00:00:00Z",
                 "2026-01-14T00:00:00Z");
}

static void test_leap_and_never(void **state)
{
    (void)state;
    expect_fires("0 0 29 2 *", "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z",
                 "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z");
    /* 2100 is not a leap year: 2096 -> 2104, eight years. */
    expect_fires("0 0 29 2 *", "2099-03-01T00:00:00Z", "2104-02-29T00:00:00Z");
    expect_fires("0 0 29 2 *", "2096-03-01T00:00:00Z", "never");
    /* The horizon is 1826 days: 2026-01-01 + 1826 days = 2031-01-01. */
    expect_fires("0 0 1 1 *", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
    expect_fires("0 0 1 1 * ", "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z");
    /* OR: the 29th or any Monday, but only in February. */
    expect_fires("0 0 29 2 MON", "2026-01-01T00:00:00Z", "2026-02-02T00:00:00Z",
                 "2026-02-09T00:00:00Z", "2026-02-16T00:00:00Z",
                 "2026-02-23T00:00:00Z", "2027-02-01T00:00:00Z");
    expect_fires("0 0 30 2 *", "2026-01-01T00:00:00Z", "never");
    expect_fires("0 0 31 2,4,6,9,11 *", "2026-01-01T00:00:00Z", "never");
    expect_fires("CRON_TZ=America/New_York 0 0 30 2 *", "2026-01-01T00:00:00Z",
                 "never");
    /* From mid-year to the next leap day. */
    expect_fires("0 0 29 2 *", "2031-06-01T00:00:00Z", "2032-02-29T00:00:00Z");

    /* Out-of-range `after`. */
    struct ps_cron *c = parse_ok("* * * * *");
    assert_int_equal(ps_cron_next(c, INT64_MAX), -1);
    assert_int_equal(ps_cron_next(c, INT64_MIN), -1);
    assert_int_equal(ps_cron_next(c, INT64_C(253402300799)), -1);
    assert_int_equal(ps_cron_next(c, -1), 0);
    assert_int_equal(ps_cron_next(c, INT64_C(-62167219200)),
                     INT64_C(-62167219200) + 60);
}

/* ---- daylight saving time ---- */

static void test_dst_table(void **state)
{
    (void)state;
    /* America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z);
     * 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z). */
    /* In the gap: 03:00 EDT, once; then 02:30 EDT the next day. */
    expect_fires("CRON_TZ=America/New_York 30 2 * * *", "2026-03-08T05:00:00Z",
                 "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z");
    /* Two matching times in the gap fire once. */
    expect_fires("CRON_TZ=America/New_York 0,30 2 * * *",
                 "2026-03-08T05:00:00Z", "2026-03-08T07:00:00Z",
                 "2026-03-09T06:00:00Z", "2026-03-09T06:30:00Z");
    /* 02:00 (gap) and 03:00 fall on the same instant: once. */
    expect_fires("CRON_TZ=America/New_York 0 2,3 * * *", "2026-03-08T05:00:00Z",
                 "2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z",
                 "2026-03-09T07:00:00Z");
    /* Just before the gap, and the quarter hours across it. */
    expect_fires("CRON_TZ=America/New_York */15 * * * *",
                 "2026-03-08T06:40:00Z", "2026-03-08T06:45:00Z",
                 "2026-03-08T07:00:00Z", "2026-03-08T07:15:00Z");
    expect_fires("CRON_TZ=America/New_York * * * * * *", "2026-03-08T06:59:58Z",
                 "2026-03-08T06:59:59Z", "2026-03-08T07:00:00Z",
                 "2026-03-08T07:00:01Z");
    /* The overlap: 01:30 EDT (05:30Z) once, not 01:30 EST (06:30Z). */
    expect_fires("CRON_TZ=America/New_York 30 1 * * *", "2026-11-01T04:00:00Z",
                 "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z");
    expect_fires("CRON_TZ=America/New_York 59 1 * * *", "2026-11-01T04:00:00Z",
                 "2026-11-01T05:59:00Z", "2026-11-02T06:59:00Z");
    /* 02:30 after the overlap is EST. */
    expect_fires("CRON_TZ=America/New_York 30 2 * * *", "2026-11-01T04:00:00Z",
                 "2026-11-01T07:30:00Z");
    /* Every civil quarter hour once across the fall-back hour. */
    expect_fires(
        "CRON_TZ=America/New_York */15 * * * *", "2026-11-01T04:50:00Z",
        "2026-11-01T05:00:00Z", "2026-11-01T05:15:00Z", "2026-11-01T05:30:00Z",
        "2026-11-01T05:45:00Z", "2026-11-01T07:00:00Z", "2026-11-01T07:15:00Z");
    /* Asked during the second pass (01:10 EST): nothing until 02:00 EST. */
    expect_fires("CRON_TZ=America/New_York */15 * * * *",
                 "2026-11-01T06:10:00Z", "2026-11-01T07:00:00Z");
    expect_fires("CRON_TZ=America/New_York * * * * * *", "2026-11-01T05:59:58Z",
                 "2026-11-01T05:59:59Z", "2026-11-01T07:00:00Z",
                 "2026-11-01T07:00:01Z");
    /* Every second, asked during the second pass (01:10:00 EST): the
     * search jumps to the end of the overlap rather than stepping through
     * 3000 seconds that already fired. */
    expect_fires("CRON_TZ=America/New_York * * * * * *", "2026-11-01T06:10:00Z",
                 "2026-11-01T07:00:00Z", "2026-11-01T07:00:01Z");
    /* Hourly: 01:00 EDT, then 02:00 EST two real hours later. */
    expect_fires("CRON_TZ=America/New_York 0 * * * *", "2026-11-01T04:30:00Z",
                 "2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z");
    /* Seconds in the gap. */
    expect_fires("CRON_TZ=America/New_York 15 30 2 * * *",
                 "2026-03-07T12:00:00Z", "2026-03-08T07:00:00Z",
                 "2026-03-09T06:30:15Z");

    /* Europe/London: 2026-03-29 01:00 GMT -> 02:00 BST (01:00Z);
     * 2026-10-25 02:00 BST -> 01:00 GMT (01:00Z). */
    expect_fires("CRON_TZ=Europe/London 30 1 * * *", "2026-03-29T00:00:00Z",
                 "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z");
    expect_fires("CRON_TZ=Europe/London 30 1 * * *", "2026-10-25T00:00:00Z",
                 "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z");
    expect_fires("CRON_TZ=Europe/London 0 * * * *", "2026-10-24T23:30:00Z",
                 "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z",
                 "2026-10-25T03:00:00Z");

    /* Australia/Sydney: 2026-04-05 03:00 AEDT -> 02:00 AEST (16:00Z the
     * day before); 2026-10-04 02:00 AEST -> 03:00 AEDT (16:00Z before). */
    expect_fires("CRON_TZ=Australia/Sydney 30 2 * * *", "2026-04-04T12:00:00Z",
                 "2026-04-04T15:30:00Z", "2026-04-05T16:30:00Z");
    expect_fires("CRON_TZ=Australia/Sydney 30 2 * * *", "2026-10-03T12:00:00Z",
                 "2026-10-03T16:00:00Z", "2026-10-04T15:30:00Z");

    /* Australia/Lord_Howe shifts by 30 minutes: 2026-10-04 02:00 -> 02:30
     * (+10:30 -> +11, 15:30Z); 2026-04-05 02:00 -> 01:30 (15:00Z). */
    expect_fires("CRON_TZ=Australia/Lord_Howe 15 2 * * *",
                 "2026-10-03T12:00:00Z", "2026-10-03T15:30:00Z",
                 "2026-10-04T15:15:00Z");
    expect_fires("CRON_TZ=Australia/Lord_Howe 45 1 * * *",
                 "2026-04-04T12:00:00Z", "2026-04-04T14:45:00Z",
                 "2026-04-05T15:15:00Z");

    /* America/Santiago changes at midnight: 2026-09-06 00:00 -04 ->
     * 01:00 -03 (04:00Z), so that day's midnight fires at 01:00. */
    expect_fires("CRON_TZ=America/Santiago 0 0 * * *", "2026-09-05T12:00:00Z",
                 "2026-09-06T04:00:00Z", "2026-09-07T03:00:00Z");
}

/*
 * Brute force: every minute of a window, one localtime_r() each.  A minute
 * instant fires when its civil time is new (beyond every civil time seen
 * so far: not a second pass) and matches, or when it is the first instant
 * after a gap and the gap held a matching civil time.
 */
struct pattern {
    const char *expr;
    bool (*match)(const struct tm *civil);
};

static bool m_q15(const struct tm *t)
{
    return t->tm_min % 15 == 0;
}
static bool m_7(const struct tm *t)
{
    return t->tm_min % 7 == 0;
}
static bool m_hourly(const struct tm *t)
{
    return t->tm_min == 0;
}
static bool m_130_230(const struct tm *t)
{
    return t->tm_min == 30 && (t->tm_hour == 1 || t->tm_hour == 2);
}
static bool m_0030_2(const struct tm *t)
{
    return (t->tm_min == 0 || t->tm_min == 30) && t->tm_hour == 2;
}
static bool m_midnight(const struct tm *t)
{
    return t->tm_min == 0 && t->tm_hour == 0;
}
static bool m_2359(const struct tm *t)
{
    return t->tm_min == 59 && t->tm_hour == 23;
}
static bool m_145(const struct tm *t)
{
    return t->tm_min == 45 && t->tm_hour == 1;
}
static bool m_hour2(const struct tm *t)
{
    return t->tm_hour == 2;
}
static bool m_sun_1_3(const struct tm *t)
{
    return t->tm_wday == 0 && t->tm_hour >= 1 && t->tm_hour <= 3 &&
           t->tm_min % 20 == 10;
}

static const struct pattern patterns[] = {
    {"*/15 * * * *", m_q15},    {"*/7 * * * *", m_7},
    {"0 * * * *", m_hourly},    {"30 1,2 * * *", m_130_230},
    {"0,30 2 * * *", m_0030_2}, {"0 0 * * *", m_midnight},
    {"59 23 * * *", m_2359},    {"45 1 * * *", m_145},
    {"* 2 * * *", m_hour2},     {"10/20 1-3 * * SUN", m_sun_1_3},
};

static int64_t gmtoff_at(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    assert_non_null(localtime_r(&tt, &tm));
    return (int64_t)tm.tm_gmtoff;
}

static bool civil_matches(const struct pattern *p, int64_t civil)
{
    time_t tt = (time_t)civil;
    struct tm tm;
    assert_non_null(gmtime_r(&tt, &tm)); /* civil seconds as if UTC */
    return p->match(&tm);
}

#define ORACLE_MAX 4096

/* Fires in (start, end] by brute force, with $TZ already set. */
static int oracle(const struct pattern *p, int64_t start, int64_t end,
                  int64_t *out)
{
    int n = 0;
    int64_t prev_civil = start + gmtoff_at(start), seen = prev_civil;
    for (int64_t t = start + 60; t <= end; t += 60) {
        int64_t civil = t + gmtoff_at(t);
        bool fire = false;
        if (civil > seen) {
            fire = civil_matches(p, civil);
            for (int64_t m = prev_civil + 60; !fire && m < civil; m += 60)
                fire = m > seen && civil_matches(p, m); /* the gap */
            seen = civil;
        }
        if (fire) {
            assert_true(n < ORACLE_MAX);
            out[n++] = t;
        }
        prev_civil = civil;
    }
    return n;
}

static void test_dst_oracle(void **state)
{
    static const char *zones[] = {
        "America/New_York",    "Europe/London",    "Australia/Sydney",
        "Australia/Lord_Howe", "America/Santiago", "Pacific/Chatham",
        "Africa/Casablanca",   "Europe/Dublin",
    };
    static int64_t want[ORACLE_MAX];
    char zenv[256], expr[128], a[32], b[32];
    int64_t y0 = utc("2026-01-01T00:00:00Z"), y1 = utc("2027-01-01T00:00:00Z");
    int windows = 0;
    (void)state;

    const char *saved = getenv("TZ");
    char saved_buf[256] = "";
    if (saved != NULL)
        ps_strlcpy(saved_buf, saved, sizeof(saved_buf));

    for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
        snprintf(zenv, sizeof(zenv), ":/usr/share/zoneinfo/%s", zones[z]);
        /* Find the transitions of 2026, hour by hour. */
        int64_t trans[16];
        int ntrans = 0;
        setenv("TZ", zenv, 1);
        tzset();
        for (int64_t t = y0; t < y1 && ntrans < 16; t += 3600)
            if (gmtoff_at(t) != gmtoff_at(t + 3600))
                trans[ntrans++] = t;
        if (ntrans == 0)
            fail_msg("%s: no transition in 2026?", zones[z]);
        for (int i = 0; i < ntrans; i++) {
            int64_t start = trans[i] - 36 * 3600, end = trans[i] + 36 * 3600;
            for (size_t k = 0; k < sizeof(patterns) / sizeof(patterns[0]);
                 k++) {
                const struct pattern *p = &patterns[k];
                setenv("TZ", zenv, 1);
                tzset();
                int n = oracle(p, start, end, want);
                /* ps_cron_next() must not rely on our $TZ. */
                unsetenv("TZ");
                tzset();
                snprintf(expr, sizeof(expr), "CRON_TZ=%s %s", zones[z],
                         p->expr);
                struct ps_cron *c = parse_ok(expr);
                int64_t t = start;
                for (int j = 0;; j++) {
                    t = ps_cron_next(c, t);
                    if (t == -1 || t > end) {
                        if (j != n)
                            fail_msg("%s: %d fires in (%s, %s], want %d; "
                                     "next wanted %s",
                                     expr, j, iso(start, a), iso(end, b), n,
                                     iso(want[j], (char[32]){0}));
                        break;
                    }
                    if (j >= n || t != want[j])
                        fail_msg("%s: fire %d is %s, want %s", expr, j + 1,
                                 iso(t, a), j < n ? iso(want[j], b) : "none");
                }
                ps_cron_free(c);
                owned.n--;
                windows++;
            }
        }
    }
    assert_true(windows >= 16 * (int)(sizeof(patterns) / sizeof(patterns[0])));
    if (saved != NULL)
        setenv("TZ", saved_buf, 1);
    else
        unsetenv("TZ");
    tzset();
}

/* ---- business date and local time ---- */

static void test_local_date_time(void **state)
{
    char d[11], t[32];
    (void)state;

    /* Late evening in New York is the next UTC day. */
    struct ps_cron *ny = parse_ok("CRON_TZ=America/New_York 30 23 * * *");
    int64_t f = ps_cron_next(ny, utc("2026-07-01T12:00:00Z"));
    assert_int_equal(f, utc("2026-07-02T03:30:00Z"));
    ps_cron_local_date(ny, f, d);
    assert_string_equal(d, "2026-07-01");
    ps_cron_local_time(ny, f, t);
    assert_string_equal(t, "2026-07-01T23:30:00-04:00");
    ps_cron_local_time(ny, utc("2026-01-01T04:59:59Z"), t);
    assert_string_equal(t, "2025-12-31T23:59:59-05:00");
    ps_cron_local_date(ny, utc("2026-01-01T04:59:59Z"), d);
    assert_string_equal(d, "2025-12-31");
    /* A gap fire and the second pass of an overlap. */
    ps_cron_local_time(ny, utc("2026-03-08T07:00:00Z"), t);
    assert_string_equal(t, "2026-03-08T03:00:00-04:00");
    ps_cron_local_time(ny, utc("2026-11-01T05:30:00Z"), t);
    assert_string_equal(t, "2026-11-01T01:30:00-04:00");
    ps_cron_local_time(ny, utc("2026-11-01T06:30:00Z"), t);
    assert_string_equal(t, "2026-11-01T01:30:00-05:00");

    /* Early morning in Tokyo is the previous UTC day. */
    struct ps_cron *tk = parse_ok("CRON_TZ=Asia/Tokyo 0 5 * * *");
    f = ps_cron_next(tk, utc("2026-07-01T00:00:00Z"));
    assert_int_equal(f, utc("2026-07-01T20:00:00Z"));
    ps_cron_local_date(tk, f, d);
    assert_string_equal(d, "2026-07-02");
    ps_cron_local_time(tk, f, t);
    assert_string_equal(t, "2026-07-02T05:00:00+09:00");

    /* Offsets that are not whole hours. */
    ps_cron_local_time(parse_ok("CRON_TZ=Asia/Kolkata * * * * *"),
                       utc("2026-07-01T00:00:00Z"), t);
    assert_string_equal(t, "2026-07-01T05:30:00+05:30");
    ps_cron_local_time(parse_ok("CRON_TZ=Asia/Kathmandu * * * * *"),
                       utc("2026-07-01T00:00:00Z"), t);
    assert_string_equal(t, "2026-07-01T05:45:00+05:45");
    ps_cron_local_time(parse_ok("CRON_TZ=America/St_Johns * * * * *"),
                       utc("2026-01-01T00:00:00Z"), t);
    assert_string_equal(t, "2025-12-31T20:30:00-03:30");

    /* UTC. */
    struct ps_cron *u = parse_ok("0 0 * * *");
    ps_cron_local_time(u, utc("2026-01-01T00:00:00Z"), t);
    assert_string_equal(t, "2026-01-01T00:00:00+00:00");
    ps_cron_local_date(u, utc("2026-01-01T23:59:59Z"), d);
    assert_string_equal(d, "2026-01-01");
    ps_cron_local_date(u, -1, d);
    assert_string_equal(d, "1969-12-31");

    /* Out of range: empty. */
    ps_cron_local_date(ny, INT64_MAX, d);
    assert_string_equal(d, "");
    ps_cron_local_time(ny, INT64_MIN, t);
    assert_string_equal(t, "");
    ps_cron_local_time(u, INT64_C(253402300799), t);
    assert_string_equal(t, "9999-12-31T23:59:59+00:00");
    ps_cron_local_time(tk, INT64_C(253402300799), t); /* year 10000 */
    assert_string_equal(t, "");
}

/* The caller's $TZ and libc's idea of local time are left as they were. */
static void test_tz_restored(void **state)
{
    struct ps_cron *c = parse_ok("CRON_TZ=America/New_York 30 2 * * *");
    char d[11], t[32];
    struct tm tm;
    time_t noon = (time_t)utc("2026-07-01T12:00:00Z");
    (void)state;

    setenv("TZ", "Asia/Tokyo", 1);
    tzset();
    assert_int_equal(ps_cron_next(c, utc("2026-03-08T05:00:00Z")),
                     utc("2026-03-08T07:00:00Z"));
    ps_cron_local_date(c, (int64_t)noon, d);
    ps_cron_local_time(c, (int64_t)noon, t);
    assert_string_equal(getenv("TZ"), "Asia/Tokyo");
    assert_non_null(localtime_r(&noon, &tm));
    assert_int_equal(tm.tm_gmtoff, 9 * 3600);

    /* A long $TZ value is saved on the heap. */
    char longtz[600];
    memset(longtz, 'x', sizeof(longtz) - 1);
    longtz[sizeof(longtz) - 1] = '\0';
    memcpy(longtz, "UTC0", 4);
    setenv("TZ", longtz, 1);
    tzset();
    assert_int_equal(ps_cron_next(c, utc("2026-03-08T05:00:00Z")),
                     utc("2026-03-08T07:00:00Z"));
    assert_string_equal(getenv("TZ"), longtz);

    unsetenv("TZ");
    tzset();
    assert_int_equal(ps_cron_next(c, utc("2026-03-08T05:00:00Z")),
                     utc("2026-03-08T07:00:00Z"));
    ps_cron_local_time(c, (int64_t)noon, t);
    assert_string_equal(t, "2026-07-01T08:00:00-04:00");
    assert_null(getenv("TZ"));

    /* Already the schedule's zone: still correct, still there. */
    setenv("TZ", ":/usr/share/zoneinfo/America/New_York", 1);
    tzset();
    assert_int_equal(ps_cron_next(c, utc("2026-03-08T05:00:00Z")),
                     utc("2026-03-08T07:00:00Z"));
    assert_string_equal(getenv("TZ"), ":/usr/share/zoneinfo/America/New_York");
    unsetenv("TZ");
    tzset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_forms, free_owned),
        cmocka_unit_test_teardown(test_seconds_field, free_owned),
        cmocka_unit_test_teardown(test_zone_names, free_owned),
        cmocka_unit_test_teardown(test_parse_errors, free_owned),
        cmocka_unit_test_teardown(test_vixie_day_rule, free_owned),
        cmocka_unit_test_teardown(test_leap_and_never, free_owned),
        cmocka_unit_test_teardown(test_dst_table, free_owned),
        cmocka_unit_test_teardown(test_dst_oracle, free_owned),
        cmocka_unit_test_teardown(test_local_date_time, free_owned),
        cmocka_unit_test_teardown(test_tz_restored, free_owned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
