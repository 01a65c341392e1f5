/*
 * test_calendar.c -- the Federal Reserve banking calendar (src/calendar.c)
 * and its override file.
 *
 * The holiday table is the Federal Reserve's published schedule
 * (federalreserve.gov, "Holidays Observed by the Federal Reserve System"),
 * typed in by hand, not computed: in particular the Saturday rule (the Fed
 * stays open on the Friday before) and the Sunday rule (closed Monday).
 * Thanksgiving is checked on its own in years whose November has five
 * Thursdays (the fourth, not the last, is the holiday).
 */
#include "testutil.h"

#include "base/calendar.h"
#include "base/clock.h"

static int64_t day_of(const char *s)
{
    int64_t d;
    struct ps_err err;
    if (ps_date_parse(s, &d, &err) != 0)
        fail_msg("bad date in the test table: %s", s);
    return d;
}

struct row {
    const char *date;
    int open;
    const char *why; /* expected reason when closed */
};

static const struct row fed[] = {
    /* 2025: every holiday on a weekday. */
    {"2025-01-01", 0, "New Year's Day"},
    {"2025-01-20", 0, "Birthday of Martin Luther King, Jr."},
    {"2025-02-17", 0, "Washington's Birthday"},
    {"2025-05-26", 0, "Memorial Day"},
    {"2025-06-19", 0, "Juneteenth"},
    {"2025-07-04", 0, "Independence Day"},
    {"2025-09-01", 0, "Labor Day"},
    {"2025-10-13", 0, "Columbus Day"},
    {"2025-11-11", 0, "Veterans Day"},
    {"2025-11-27", 0, "Thanksgiving Day"},
    {"2025-12-25", 0, "Christmas Day"},
    /* 2026: July 4 is a Saturday, so Friday July 3 stays open. */
    {"2026-07-03", 1, ""},
    {"2026-07-04", 0, "Saturday"},
    {"2026-11-26", 0, "Thanksgiving Day"},
    {"2026-11-27", 1, ""},
    {"2026-12-25", 0, "Christmas Day"},
    /* 2027: July 4 is a Sunday (closed Monday the 5th); June 19 and
     * December 25 are Saturdays (the Fridays stay open). */
    {"2027-07-05", 0, "Independence Day"},
    {"2027-06-18", 1, ""},
    {"2027-12-24", 1, ""},
    {"2027-12-31", 1, ""}, /* New Year's Day 2028 is a Saturday */
    /* 2021/2022: New Year's Day 2022 on a Saturday leaves Dec 31 open;
     * Juneteenth 2022 and Christmas 2022 on Sundays close the Mondays. */
    {"2021-12-31", 1, ""},
    {"2022-06-20", 0, "Juneteenth"},
    {"2022-12-26", 0, "Christmas Day"},
    {"2023-01-02", 0, "New Year's Day"},
    {"2023-11-10", 1, ""}, /* Veterans Day 2023 is a Saturday */
    /* Juneteenth only from 2022. */
    {"2021-06-18", 1, ""},
    /* Plain weekdays and weekends. */
    {"2026-11-23", 1, ""},
    {"2026-11-22", 0, "Sunday"},
};

static void test_fed_holidays(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(fed) / sizeof(fed[0]); i++) {
        const char *why = NULL;
        int open = ps_calendar_is_banking_day(NULL, day_of(fed[i].date), &why);
        if (open != fed[i].open || strcmp(why, fed[i].why) != 0)
            fail_msg("%s: got %s (%s), wanted %s (%s)", fed[i].date,
                     open ? "open" : "closed", why,
                     fed[i].open ? "open" : "closed", fed[i].why);
    }
}

/* Every year has 11 holidays, minus those on a Saturday; none of the
 * listed days is a weekend day. */
static void test_holiday_counts(void **state)
{
    (void)state;
    for (int64_t y = 1990; y <= 2100; y++) {
        struct ps_holiday h[11];
        int n = ps_calendar_holidays(y, h, 11);
        int saturdays = 0;
        static const int fixed[][2] = {{1, 1}, {6, 19}, {7, 4}, {11, 11},
                                       {12, 25}};
        for (int i = 0; i < 5; i++) {
            if (i == 1 && y < 2022)
                continue;
            if (ps_date_weekday(ps_date_from_civil(y, fixed[i][0],
                                                   fixed[i][1])) == 6)
                saturdays++;
        }
        assert_int_equal(n, (y < 2022 ? 10 : 11) - saturdays);
        for (int i = 0; i < n; i++) {
            int wd = ps_date_weekday(h[i].day);
            assert_true(wd >= 1 && wd <= 5);
            if (i > 0)
                assert_true(h[i - 1].day < h[i].day);
        }
    }
}

/*
 * Thanksgiving is the fourth Thursday of November, not the last.  Typed in
 * from the published dates: in 2018, 2023, 2028, 2029, 2034 and 2035
 * November has five Thursdays, and Thanksgiving is the fourth (the 22nd
 * or 23rd) while the last (the 29th or 30th) is an ordinary banking day;
 * the other years have four, where the two rules agree.
 */
static const struct {
    int year;
    const char *thanksgiving, *last_thursday; /* "" when it is the same */
} thanksgivings[] = {
    {2018, "2018-11-22", "2018-11-29"}, {2020, "2020-11-26", ""},
    {2022, "2022-11-24", ""},           {2023, "2023-11-23", "2023-11-30"},
    {2024, "2024-11-28", ""},           {2027, "2027-11-25", ""},
    {2028, "2028-11-23", "2028-11-30"}, {2029, "2029-11-22", "2029-11-29"},
    {2033, "2033-11-24", ""},           {2034, "2034-11-23", "2034-11-30"},
    {2035, "2035-11-22", "2035-11-29"},
};

static void test_thanksgiving_fourth_thursday(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(thanksgivings) / sizeof(thanksgivings[0]);
         i++) {
        const char *why = NULL;
        int64_t tg = day_of(thanksgivings[i].thanksgiving);
        int open = ps_calendar_is_banking_day(NULL, tg, &why);
        if (open || strcmp(why, "Thanksgiving Day") != 0)
            fail_msg("%s: got %s (%s), wanted closed (Thanksgiving Day)",
                     thanksgivings[i].thanksgiving, open ? "open" : "closed",
                     why);
        /* the Friday after is open */
        assert_int_equal(ps_calendar_is_banking_day(NULL, tg + 1, &why), 1);
        /* in a five-Thursday November the last Thursday is a banking day */
        if (thanksgivings[i].last_thursday[0] != '\0') {
            int64_t last = day_of(thanksgivings[i].last_thursday);
            open = ps_calendar_is_banking_day(NULL, last, &why);
            if (!open)
                fail_msg("%s, the fifth Thursday of November, is closed "
                         "(%s): Thanksgiving is the fourth, %s",
                         thanksgivings[i].last_thursday, why,
                         thanksgivings[i].thanksgiving);
            assert_int_equal(last - tg, 7);
        }
        /* and the year's holiday list has it on the fourth Thursday */
        struct ps_holiday h[11];
        int n = ps_calendar_holidays(thanksgivings[i].year, h, 11), found = 0;
        for (int k = 0; k < n; k++)
            if (strcmp(h[k].name, "Thanksgiving Day") == 0) {
                assert_int_equal(h[k].day, tg);
                found++;
            }
        assert_int_equal(found, 1);
    }

    /* The rule for every year: a Thursday from the 22nd to the 28th. */
    for (int64_t y = 1990; y <= 2100; y++) {
        struct ps_holiday h[11];
        int n = ps_calendar_holidays(y, h, 11), found = 0;
        for (int k = 0; k < n; k++) {
            int64_t yy;
            int m, d;
            if (strcmp(h[k].name, "Thanksgiving Day") != 0)
                continue;
            found++;
            ps_date_civil(h[k].day, &yy, &m, &d);
            assert_int_equal(ps_date_weekday(h[k].day), 4);
            assert_int_equal(yy, y);
            assert_int_equal(m, 11);
            if (d < 22 || d > 28)
                fail_msg("Thanksgiving %lld on November %d: not the fourth "
                         "Thursday",
                         (long long)y, d);
        }
        assert_int_equal(found, 1);
    }
}

static void test_next_prev_add(void **state)
{
    (void)state;
    char d[PS_DATE_SIZE];
    /* Wednesday before Thanksgiving -> Friday after it. */
    assert_string_equal(
        ps_date_format(ps_calendar_next(NULL, day_of("2026-11-25")), d),
        "2026-11-27");
    /* Christmas 2026 is a Friday: next after Thursday the 24th is Monday. */
    assert_string_equal(
        ps_date_format(ps_calendar_next(NULL, day_of("2026-12-24")), d),
        "2026-12-28");
    assert_string_equal(
        ps_date_format(ps_calendar_prev(NULL, day_of("2026-12-28")), d),
        "2026-12-24");
    /* Two banking days after Friday 2027-07-02: Tue 6th, Wed 7th. */
    assert_string_equal(
        ps_date_format(ps_calendar_add(NULL, day_of("2027-07-02"), 2), d),
        "2027-07-07");
    assert_string_equal(
        ps_date_format(ps_calendar_add(NULL, day_of("2027-07-07"), -2), d),
        "2027-07-02");
    /* 0: the day itself when open, else the next banking day. */
    assert_string_equal(
        ps_date_format(ps_calendar_add(NULL, day_of("2026-11-26"), 0), d),
        "2026-11-27");
    assert_string_equal(
        ps_date_format(ps_calendar_add(NULL, day_of("2026-11-27"), 0), d),
        "2026-11-27");
}

static const char *write_file(const char *dir, const char *name,
                              const char *text)
{
    const char *path = ps_test_path(dir, name, 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_overrides(void **state)
{
    struct ps_test_dir *fx = *state;
    struct ps_calendar *cal = NULL;
    struct ps_err err;
    const char *why;
    const char *path = write_file(fx->dir, "ok.calendar",
                                  "; extra closures\n"
                                  "[closed]\n"
                                  "2026-12-24 = Christmas Eve closure\n"
                                  "2026-11-23 =\n"
                                  "[open]\n"
                                  "2026-11-26 = opened by order\n");
    assert_int_equal(ps_calendar_open(path, 1, &cal, &err), 0);
    assert_int_equal(ps_calendar_is_banking_day(cal, day_of("2026-12-24"), &why),
                     0);
    assert_string_equal(why, "Christmas Eve closure");
    assert_int_equal(ps_calendar_is_banking_day(cal, day_of("2026-11-23"), &why),
                     0);
    assert_string_equal(why, "closed by override");
    assert_int_equal(ps_calendar_is_banking_day(cal, day_of("2026-11-26"), &why),
                     1);
    char d[PS_DATE_SIZE];
    assert_string_equal(
        ps_date_format(ps_calendar_next(cal, day_of("2026-12-23")), d),
        "2026-12-28");
    ps_calendar_free(cal);

    /* The default location may be missing; a named file may not. */
    const char *missing = ps_test_path(fx->dir, "missing.calendar", 1);
    assert_int_equal(ps_calendar_open(missing, 0, &cal, &err), 0);
    ps_calendar_free(cal);
    cal = NULL;
    ps_test_expect_err(ps_calendar_open(missing, 1, &cal, &err), &err,
                       PS_ENOTFOUND, "FILE_NOT_FOUND");
    assert_null(cal);
}

struct bad {
    const char *text;
    const char *rule;
    long line;
    const char *field;
};

static void test_override_errors(void **state)
{
    struct ps_test_dir *fx = *state;
    static const struct bad bad[] = {
        {"[closed]\n2026-02-30 = no such day\n", "CALENDAR_DATE", 2,
         "2026-02-30"},
        {"[holidays]\n2026-12-24 = x\n", "CALENDAR_SECTION", 2, "2026-12-24"},
        {"[open]\n\n2026-11-28 = a Saturday\n", "CALENDAR_OPEN_WEEKEND", 3,
         "2026-11-28"},
        {"[closed]\n2026-12-24 = a\n2026-12-24 = b\n", "CALENDAR_DUPLICATE",
         3, "2026-12-24"},
        {"[closed]\nthis is not ini\n", "INI_SYNTAX", 2, ""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ps_calendar *cal = NULL;
        struct ps_err err;
        const char *path = write_file(fx->dir, "bad.calendar", bad[i].text);
        int rc = ps_calendar_open(path, 1, &cal, &err);
        assert_int_equal(rc, PS_ECONFIG);
        assert_null(cal);
        assert_string_equal(err.rule, bad[i].rule);
        assert_int_equal(err.line, bad[i].line);
        assert_string_equal(err.field, bad[i].field);
        assert_string_equal(err.file, path);
    }
}

static int setup(void **state)
{
    return ps_test_dir_setup(state, "calendar");
}

static int teardown(void **state)
{
    return ps_test_dir_teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fed_holidays),
        cmocka_unit_test(test_holiday_counts),
        cmocka_unit_test(test_thanksgiving_fourth_thursday),
        cmocka_unit_test(test_next_prev_add),
        cmocka_unit_test_setup_teardown(test_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_override_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
