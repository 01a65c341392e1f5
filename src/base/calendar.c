/*
 * calendar.c -- civil dates and the Federal Reserve banking calendar.
 *
 * Dates are converted to a day count with Howard Hinnant's civil-date
 * algorithms (exact for the proleptic Gregorian calendar), so weekdays and
 * "n banking days later" are integer arithmetic.  Holidays are computed
 * per year by rule and checked against the observed-date rule of the
 * Federal Reserve: Sunday -> Monday closed, Saturday -> nothing closed.
 *
 * How it fails: only the override file can fail (I/O, bad date, bad
 * section, a weekend "opened"); every error names the file, line and key.
 */
#include "base/calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/inifile.h"


/* ---- the Federal Reserve holidays -------------------------------------- */

/* The n-th (1-based) weekday wd of a month; n = -1 for the last one. */
static int64_t nth_weekday(int64_t y, int m, int wd, int n)
{
    if (n < 0) {
        int64_t last = ps_date_from_civil(y, m, ps_date_days_in_month(y, m));
        return last - (ps_date_weekday(last) - wd + 7) % 7;
    }
    int64_t first = ps_date_from_civil(y, m, 1);
    return first + (wd - ps_date_weekday(first) + 7) % 7 + 7 * (n - 1);
}

int ps_calendar_holidays(int64_t year, struct ps_holiday *out, int max)
{
    struct ps_holiday h[11];
    int n = 0;
    /* Fixed dates move to Monday when they fall on a Sunday; on a Saturday
     * the Fed does not close the Friday before, so nothing is closed. */
    struct fixed {
        int m, d, from;
        const char *name;
    };
    static const struct fixed fixed[] = {
        {1, 1, 0, "New Year's Day"},   {6, 19, 2022, "Juneteenth"},
        {7, 4, 0, "Independence Day"}, {11, 11, 0, "Veterans Day"},
        {12, 25, 0, "Christmas Day"},
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        int64_t d = ps_date_from_civil(year, fixed[i].m, fixed[i].d);
        int wd = ps_date_weekday(d);
        if (year < fixed[i].from || wd == 6)
            continue;
        h[n++] = (struct ps_holiday){wd == 0 ? d + 1 : d, fixed[i].name};
    }
    h[n++] = (struct ps_holiday){nth_weekday(year, 1, 1, 3),
                                 "Birthday of Martin Luther King, Jr."};
    h[n++] =
        (struct ps_holiday){nth_weekday(year, 2, 1, 3), "Washington's Birthday"};
    h[n++] = (struct ps_holiday){nth_weekday(year, 5, 1, -1), "Memorial Day"};
    h[n++] = (struct ps_holiday){nth_weekday(year, 9, 1, 1), "Labor Day"};
    h[n++] = (struct ps_holiday){nth_weekday(year, 10, 1, 2), "Columbus Day"};
    h[n++] =
        (struct ps_holiday){nth_weekday(year, 11, 4, 4), "Thanksgiving Day"};
    /* Date order, for listing (insertion sort: at most 11). */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && h[j - 1].day > h[j].day; j--) {
            struct ps_holiday t = h[j];
            h[j] = h[j - 1];
            h[j - 1] = t;
        }
    for (int i = 0; i < n && i < max; i++)
        out[i] = h[i];
    return n;
}

/* ---- overrides ---------------------------------------------------------- */

struct override {
    int64_t day;
    int open; /* 1: [open], 0: [closed] */
    char reason[96];
};

struct ps_calendar {
    struct override *ov; /* sorted by day, unique */
    size_t nov, cap;
};

static int on_entry(void *user, const char *section, const char *key,
                    const char *value, int line, struct ps_err *err)
{
    struct ps_calendar *c = user;
    int64_t day;
    int open;
    (void)line;
    if (strcmp(section, "closed") == 0)
        open = 0;
    else if (strcmp(section, "open") == 0)
        open = 1;
    else
        return ps_err_set(err, PS_ECONFIG, "CALENDAR_SECTION",
                          "unknown section [%s]: use [closed] or [open]",
                          section);
    if (ps_date_parse(key, &day, err) != 0)
        return ps_err_set(err, PS_ECONFIG, "CALENDAR_DATE",
                          "'%s' is not a date (YYYY-MM-DD, a real day)", key);
    if (open && (ps_date_weekday(day) == 0 || ps_date_weekday(day) == 6))
        return ps_err_set(err, PS_ECONFIG, "CALENDAR_OPEN_WEEKEND",
                          "%s is a weekend day: the Fed never opens on one",
                          key);
    for (size_t i = 0; i < c->nov; i++)
        if (c->ov[i].day == day)
            return ps_err_set(err, PS_ECONFIG, "CALENDAR_DUPLICATE",
                              "%s is listed twice", key);
    if (c->nov == c->cap) {
        size_t cap = c->cap != 0 ? c->cap * 2 : 16;
        struct override *n = realloc(c->ov, cap * sizeof(*n));
        if (n == NULL)
            return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        c->ov = n;
        c->cap = cap;
    }
    struct override *o = &c->ov[c->nov++];
    o->day = day;
    o->open = open;
    snprintf(o->reason, sizeof(o->reason), "%s",
             value[0] != '\0' ? value
                              : (open ? "opened by override"
                                      : "closed by override"));
    return 0;
}

static int cmp_override(const void *a, const void *b)
{
    const struct override *x = a, *y = b;
    return (x->day > y->day) - (x->day < y->day);
}

int ps_calendar_open(const char *path, int required, struct ps_calendar **out,
                     struct ps_err *err)
{
    struct ps_calendar *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if (path != NULL) {
        int rc = ps_inifile_parse(path, on_entry, c, err);
        if (rc == PS_ENOTFOUND && !required)
            rc = 0;
        if (rc != 0) {
            ps_calendar_free(c);
            return rc;
        }
        if (c->nov > 1) /* qsort(NULL, 0) is undefined behaviour */
            qsort(c->ov, c->nov, sizeof(*c->ov), cmp_override);
    }
    ps_err_clear(err);
    *out = c;
    return 0;
}

void ps_calendar_free(struct ps_calendar *cal)
{
    if (cal == NULL)
        return;
    free(cal->ov);
    free(cal);
}

static const struct override *find_override(const struct ps_calendar *c,
                                            int64_t day)
{
    size_t lo = 0, hi = c->nov;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->ov[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nov && c->ov[lo].day == day ? &c->ov[lo] : NULL;
}

int ps_calendar_is_banking_day(const struct ps_calendar *cal, int64_t day,
                               const char **why)
{
    static const char *const weekend[2] = {"Sunday", "Saturday"};
    const char *reason = "";
    const struct override *o =
        cal != NULL ? find_override(cal, day) : NULL;
    int wd = ps_date_weekday(day), open = 1;
    int64_t year;
    int m, d;
    ps_date_civil(day, &year, &m, &d);
    if (o != NULL) {
        open = o->open;
        reason = open ? "" : o->reason;
    } else if (wd == 0 || wd == 6) {
        open = 0;
        reason = weekend[wd == 6];
    } else {
        /* Eleven dates of arithmetic: cheaper to compute than to cache. */
        struct ps_holiday hol[11];
        int n = ps_calendar_holidays(year, hol, 11);
        for (int i = 0; i < n; i++)
            if (hol[i].day == day) {
                open = 0;
                reason = hol[i].name;
                break;
            }
    }
    if (why != NULL)
        *why = reason;
    return open;
}

static int64_t step(const struct ps_calendar *cal, int64_t day, int dir)
{
    do
        day += dir;
    while (!ps_calendar_is_banking_day(cal, day, NULL));
    return day;
}

int64_t ps_calendar_next(const struct ps_calendar *cal, int64_t day)
{
    return step(cal, day, 1);
}

int64_t ps_calendar_prev(const struct ps_calendar *cal, int64_t day)
{
    return step(cal, day, -1);
}

int64_t ps_calendar_add(const struct ps_calendar *cal, int64_t day, int n)
{
    if (n == 0)
        return ps_calendar_is_banking_day(cal, day, NULL) ? day
                                                          : step(cal, day, 1);
    for (; n > 0; n--)
        day = step(cal, day, 1);
    for (; n < 0; n++)
        day = step(cal, day, -1);
    return day;
}
