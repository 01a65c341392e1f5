/*
 * clock.c -- the one source of "now"; RFC 3339 times and ISO dates.
 *
 * The calendar is proleptic Gregorian, converted with Howard Hinnant's
 * days_from_civil / civil_from_days algorithms: exact integer arithmetic, no
 * time zone database, no timegm().  Parsers are strict: fixed widths,
 * ASCII digits only, real calendar dates, nothing trailing.  Formatting
 * covers the years 0000..9999 (what four digits can show); values outside
 * are clamped to that range.
 *
 * How it fails: the parsers return PS_EINVAL with rule DATE_FORMAT or
 * TIME_FORMAT and a message quoting the input.  The clock itself cannot
 * fail: an unparsable PAYSPOOL_NOW is ignored and the real clock is used,
 * so callers that care (main.c) should check it with ps_time_parse() at
 * start-up.  The frozen-clock state is guarded by a mutex.
 */
#include "base/clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MS_PER_SEC INT64_C(1000)
#define MS_PER_DAY INT64_C(86400000)

/* 0000-01-01 and 9999-12-31 as days since 1970-01-01. */
#define DAYS_MIN INT64_C(-719528)
#define DAYS_MAX INT64_C(2932896)

/* Input longer than this is shown truncated in error messages. */

/* The frozen clock: PAYSPOOL_NOW as last seen, its value, calls since. */
static pthread_mutex_t frozen_lock = PTHREAD_MUTEX_INITIALIZER;
static char frozen_src[64];
static int frozen_ok;        /* 1 when frozen_src parsed */
static int64_t frozen_base;  /* ms since epoch */
static int64_t frozen_ticks; /* calls answered since frozen_src was seen */

/* Floor division and its remainder (always 0 <= r < d) for d > 0. */
static int64_t floor_div(int64_t a, int64_t d)
{
    int64_t q = a / d;
    return (a % d < 0) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t d)
{
    int64_t r = a % d;
    return r < 0 ? r + d : r;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int ps_date_days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/*
 * Days since 1970-01-01 of a valid civil date (Hinnant).  Years run March
 * to February so the leap day is last; yoe is in [0, 399], doy in
 * [0, 365], doe in [0, 146096].
 */
int64_t ps_date_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/*
 * The civil date of days since 1970-01-01 (Hinnant); the inverse of
 * ps_date_from_civil(), with mp the month counted from March, in [0, 11].
 */
void ps_date_civil(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/*
 * Read exactly n ASCII digits (n <= 9) from s into *out.  Stops at the
 * first non-digit, so a short NUL-terminated string is never overread.
 */
static int read_digits(const char *s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/*
 * Parse "YYYY-MM-DD" at the start of s (what follows is the caller's).  On
 * failure writes a reason into why and returns -1.
 */
static int parse_date(const char *s, int64_t *days, char *why, size_t size)
{
    int y, m, d;

    if (read_digits(s, 4, &y) != 0 || s[4] != '-' ||
        read_digits(s + 5, 2, &m) != 0 || s[7] != '-' ||
        read_digits(s + 8, 2, &d) != 0) {
        snprintf(why, size, "expected YYYY-MM-DD");
        return -1;
    }
    if (m < 1 || m > 12) {
        snprintf(why, size, "month %02d out of range 01..12", m);
        return -1;
    }
    if (d < 1 || d > ps_date_days_in_month(y, m)) {
        snprintf(why, size, "day %02d out of range for %04d-%02d", d, y, m);
        return -1;
    }
    *days = ps_date_from_civil(y, m, d);
    return 0;
}

int ps_date_parse(const char *s, int64_t *days, struct ps_err *err)
{
    char q[PS_QUOTE_MAX * 4 + 4], why[64];
    int64_t v;

    if (s == NULL)
        return ps_err_set(err, PS_EINVAL, "DATE_FORMAT", "no date given");
    if (parse_date(s, &v, why, sizeof(why)) != 0)
        return ps_err_set(err, PS_EINVAL, "DATE_FORMAT",
                          "invalid date \"%s\": %s",
                          ps_quote(s, strlen(s), q, sizeof(q)), why);
    if (s[10] != '\0')
        return ps_err_set(err, PS_EINVAL, "DATE_FORMAT",
                          "invalid date \"%s\": unexpected text after "
                          "YYYY-MM-DD",
                          ps_quote(s, strlen(s), q, sizeof(q)));
    *days = v;
    return 0;
}

/*
 * Grammar (RFC 3339 section 5.6, plus a bare full-date):
 *
 *   full-date ["T" HH ":" MM ":" SS ["." 1*DIGIT] ("Z" / ("+"/"-") HH ":" MM)]
 *
 * "T" and "Z" may be lower case (RFC 3339 allows it).  Fraction digits
 * beyond milliseconds are dropped (truncated, not rounded).  A leap second
 * (SS = 60) is refused: Unix time cannot represent it.
 */
int ps_time_parse(const char *s, int64_t *ms, struct ps_err *err)
{
    char q[PS_QUOTE_MAX * 4 + 4], why[64];
    int64_t days, v;
    int hh, mi, ss, frac = 0, off = 0;
    const char *p;

    if (s == NULL)
        return ps_err_set(err, PS_EINVAL, "TIME_FORMAT", "no time given");
    if (parse_date(s, &days, why, sizeof(why)) != 0)
        goto bad;
    p = s + 10;
    if (*p == '\0') {
        *ms = days * MS_PER_DAY;
        return 0;
    }
    if ((*p != 'T' && *p != 't') || read_digits(p + 1, 2, &hh) != 0 ||
        p[3] != ':' || read_digits(p + 4, 2, &mi) != 0 || p[6] != ':' ||
        read_digits(p + 7, 2, &ss) != 0) {
        snprintf(why, sizeof(why), "expected THH:MM:SS after the date");
        goto bad;
    }
    if (hh > 23 || mi > 59 || ss > 59) {
        snprintf(why, sizeof(why), "time %02d:%02d:%02d out of range", hh, mi,
                 ss);
        goto bad;
    }
    p += 9;
    if (*p == '.') {
        int n = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, n++)
            if (n < 3)
                frac = frac * 10 + (*p - '0');
        if (n == 0) {
            snprintf(why, sizeof(why), "no digits after '.'");
            goto bad;
        }
        for (; n < 3; n++)
            frac *= 10;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (read_digits(p + 1, 2, &oh) != 0 || p[3] != ':' ||
            read_digits(p + 4, 2, &om) != 0 || oh > 23 || om > 59) {
            snprintf(why, sizeof(why), "bad UTC offset, expected +HH:MM");
            goto bad;
        }
        off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        snprintf(why, sizeof(why), "expected 'Z' or a +HH:MM offset");
        goto bad;
    }
    if (*p != '\0') {
        snprintf(why, sizeof(why), "unexpected text after the time");
        goto bad;
    }
    /* Local time minus its offset is UTC. */
    v = days * MS_PER_DAY + ((hh * 60 + mi - off) * 60 + ss) * MS_PER_SEC +
        frac;
    *ms = v;
    return 0;

bad:
    return ps_err_set(err, PS_EINVAL, "TIME_FORMAT", "invalid time \"%s\": %s",
                      ps_quote(s, strlen(s), q, sizeof(q)), why);
}

/*
 * Write v (0 <= v < 10^n) as exactly n digits, zero-padded.  Done by hand
 * rather than with snprintf() so the fixed widths are evident (and the
 * compiler need not prove the ranges).
 */
static void put_digits(char *p, int n, int64_t v)
{
    while (n-- > 0) {
        p[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* "YYYY-MM-DD" (10 bytes, no NUL) for a date in years 0000..9999. */
static void put_date(char *p, int64_t y, int m, int d)
{
    put_digits(p, 4, y);
    p[4] = '-';
    put_digits(p + 5, 2, m);
    p[7] = '-';
    put_digits(p + 8, 2, d);
}

const char *ps_date_format(int64_t days, char buf[PS_DATE_SIZE])
{
    int64_t y;
    int m, d;

    if (days < DAYS_MIN)
        days = DAYS_MIN;
    if (days > DAYS_MAX)
        days = DAYS_MAX;
    ps_date_civil(days, &y, &m, &d);
    put_date(buf, y, m, d);
    buf[10] = '\0';
    return buf;
}

const char *ps_time_format(int64_t ms, char buf[PS_TIME_SIZE])
{
    int64_t days, rem, y;
    int m, d;

    days = floor_div(ms, MS_PER_DAY);
    rem = floor_mod(ms, MS_PER_DAY);
    if (days < DAYS_MIN) {
        days = DAYS_MIN;
        rem = 0;
    } else if (days > DAYS_MAX) {
        days = DAYS_MAX;
        rem = MS_PER_DAY - 1;
    }
    ps_date_civil(days, &y, &m, &d);
    put_date(buf, y, m, d);
    buf[10] = 'T';
    put_digits(buf + 11, 2, rem / 3600000);
    buf[13] = ':';
    put_digits(buf + 14, 2, rem / 60000 % 60);
    buf[16] = ':';
    put_digits(buf + 17, 2, rem / 1000 % 60);
    buf[19] = '.';
    put_digits(buf + 20, 3, rem % 1000);
    buf[23] = 'Z';
    buf[24] = '\0';
    return buf;
}

static int64_t real_now_ms(void)
{
    struct timespec ts;

    /* CLOCK_REALTIME cannot fail with a valid clock id and pointer. */
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * MS_PER_SEC + ts.tv_nsec / 1000000;
}

/*
 * PAYSPOOL_NOW is read on every call, so a test may set, change or unset
 * it at any time; a new value (or the same one set again after an unset)
 * restarts the frozen clock at that instant.  Values longer than
 * frozen_src are treated as unparsable.
 */
int64_t ps_clock_now_ms(void)
{
    const char *env = getenv("PAYSPOOL_NOW");
    int64_t now, base;

    pthread_mutex_lock(&frozen_lock);
    if (env == NULL || env[0] == '\0') {
        frozen_src[0] = '\0'; /* setting it again restarts the clock */
        frozen_ok = 0;
    } else if (strcmp(env, frozen_src) != 0) {
        if (strlen(env) < sizeof(frozen_src) &&
            ps_time_parse(env, &base, NULL) == 0) {
            ps_strlcpy(frozen_src, env, sizeof(frozen_src));
            frozen_base = base;
            frozen_ticks = 0;
            frozen_ok = 1;
        } else {
            /* Not remembered: parsed again (and refused) on every call. */
            frozen_src[0] = '\0';
            frozen_ok = 0;
        }
    }
    now = frozen_ok ? frozen_base + frozen_ticks++ : real_now_ms();
    pthread_mutex_unlock(&frozen_lock);
    return now;
}

const char *ps_time_now(char buf[PS_TIME_SIZE])
{
    return ps_time_format(ps_clock_now_ms(), buf);
}

int ps_date_weekday(int64_t days)
{
    return (int)floor_mod(days + 4, 7); /* 1970-01-01 was a Thursday */
}

const char *ps_date_today(char buf[PS_DATE_SIZE])
{
    return ps_date_format(floor_div(ps_clock_now_ms(), MS_PER_DAY), buf);
}
