/*
 * cron.c -- cron expressions: the parser, the next-fire search in an IANA
 * zone, and the civil date and time of an instant in that zone.
 *
 * Parsing fails with PS_EINVAL and a CRON_* rule naming the field (see
 * cron.h), or PS_ENOMEM.  Nothing after parsing fails except through
 * libc: ps_cron_next() returns -1, the formatters write "".
 *
 * How the search works.  A schedule is a set of civil times (bit masks per
 * field).  Map every civil time C to an instant f(C): the unique instant
 * whose civil time is C; the earlier of the two when C is repeated by a
 * fall-back overlap; the end of the gap (the transition instant) when C is
 * skipped by a spring-forward gap.  f never decreases as C grows, so the
 * next fire after `after` is f of the first matching C with f(C) > after,
 * and every C up to the civil time of `after` has f(C) <= after.  The walk
 * therefore starts one second after the civil time of `after` and steps
 * field by field (next month, day, hour, minute, second: calendar
 * arithmetic, no libc), converting only the candidates.  The one case in
 * which a candidate maps back to or before `after` is the second pass
 * through an overlap (its first occurrence already went by), and then
 * the walk jumps to the end of the overlap.  Every matching civil time in
 * a gap maps to the same instant, so a gap fires once.
 *
 * Conversion avoids mktime(): glibc's mktime() normalises a time in a gap
 * by the length of the gap (02:30 -> 03:30, or back to 01:30 with
 * tm_isdst=1), and for a time in an overlap with tm_isdst=-1 picks one of
 * the two instants depending on the offset of its previous call.  Instead
 * f(C) reads UTC offsets with localtime_r() at instants around C (two
 * candidate offsets, one each side of a possible transition) and finds a
 * transition instant by bisection.  This assumes at most one offset change
 * within a day either side of C, true of every zone in the current
 * database.
 *
 * For a zone other than UTC, $TZ is pointed at the validated zone file and
 * restored afterwards, so none of this is thread-safe: payspool calls it
 * from the scheduler, which is single-threaded.
 */
#include "sched/cron.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(time_t) >= 8, "cron needs a 64-bit time_t");

#ifndef PS_ZONEINFO_DIR
#define PS_ZONEINFO_DIR "/usr/share/zoneinfo"
#endif

/* Longest expression accepted, in bytes. */
#define EXPR_MAX 1024

#define DAY INT64_C(86400)
/* How far ps_cron_next() looks ahead: 5 years, one of them leap. */
#define HORIZON (INT64_C(1826) * DAY)
/* The instants handled: 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z. */
#define T_MIN INT64_C(-62167219200)
#define T_MAX INT64_C(253402300799)

enum field { F_SEC, F_MIN, F_HOUR, F_DOM, F_MON, F_DOW, F_COUNT };

static const struct field_spec {
    const char *name;         /* for ps_err_field() */
    int min, max;             /* values accepted; day-of-week 7 is Sunday */
    int star_max;             /* the top of '*' (day-of-week: 6) */
    const char *const *names; /* three-letter names for min.., or NULL */
} specs[F_COUNT] = {
    {"second", 0, 59, 59, NULL},
    {"minute", 0, 59, 59, NULL},
    {"hour", 0, 23, 23, NULL},
    {"day-of-month", 1, 31, 31, NULL},
    {"month", 1, 12, 12,
     (const char *const[]){"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL",
                           "AUG", "SEP", "OCT", "NOV", "DEC", NULL}},
    {"day-of-week", 0, 7, 6,
     (const char *const[]){"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT",
                           NULL}},
};

struct ps_cron {
    uint64_t bits[F_COUNT]; /* bit v set: value v matches (dow: 0..6) */
    bool dom_star;          /* day-of-month text starts with '*' or '?' */
    bool dow_star;          /* day-of-week text starts with '*' or '?' */
    bool utc;               /* zone is "UTC": no libc conversion at all */
    char zone[PS_CRON_ZONE_MAX + 1];
    /* ":" PS_ZONEINFO_DIR "/" zone: the $TZ value while converting */
    char tzenv[sizeof(PS_ZONEINFO_DIR) + PS_CRON_ZONE_MAX + 2];
};

/* ---- calendar arithmetic (proleptic Gregorian, int64) ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of y-m-d (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil(). */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* 0 = Sunday. 1970-01-01 was a Thursday. */
static int weekday(int64_t days)
{
    return (int)(days - floor_div(days + 4, 7) * 7 + 4) % 7;
}

/* A civil time, seconds since 1970-01-01T00:00:00 of the zone's clock. */
struct civil {
    int64_t y;
    int mon, day, hour, min, sec;
};

static void civil_split(int64_t L, struct civil *cv)
{
    int64_t days = floor_div(L, DAY);
    int64_t sod = L - days * DAY;
    civil_from_days(days, &cv->y, &cv->mon, &cv->day);
    cv->hour = (int)(sod / 3600);
    cv->min = (int)(sod / 60 % 60);
    cv->sec = (int)(sod % 60);
}

/* ---- parsing ---- */

/* Quote len bytes of user input for a message. */
#define QUOTE(s, len, buf) ps_quote((s), (len), (buf), sizeof(buf))

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' ||
           ch == '\f';
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_alpha(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static char upper(char ch)
{
    return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

/* Record a PS_EINVAL error with `rule` and the field name; returns
 * PS_EINVAL (also when err is NULL). */
static int field_err(struct ps_err *err, const char *field, const char *rule,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int field_err(struct ps_err *err, const char *field, const char *rule,
                     const char *fmt, ...)
{
    char msg[PS_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ps_err_set(err, PS_EINVAL, rule, "%s", msg);
    if (err != NULL)
        ps_err_field(err, field);
    return PS_EINVAL;
}

#define FIELD_ERR(f, rule, ...)                                                \
    field_err(err, specs[(f)].name, rule, __VA_ARGS__)

/*
 * Read one value of field f at *p (before end): a decimal number or a
 * three-letter name.  Advances *p.  Returns 0 with *v set, or PS_EINVAL
 * (CRON_SYNTAX: no value, unknown name; CRON_RANGE: out of the field).
 * `text`/`tlen` is the whole field, for messages.
 */
static int read_value(enum field f, const char **p, const char *end,
                      const char *text, size_t tlen, int *v, struct ps_err *err)
{
    const struct field_spec *sp = &specs[f];
    char q[PS_QUOTE_MAX * 4 + 4];
    const char *s = *p;

    if (s < end && is_digit(*s)) {
        long n = 0;
        while (s < end && is_digit(*s)) {
            if (n <= 100000) /* no overflow; anything this big is out */
                n = n * 10 + (*s - '0');
            s++;
        }
        if (n < sp->min || n > sp->max)
            return FIELD_ERR(f, "CRON_RANGE",
                             "%s %ld in \"%s\" is out of range %d-%d", sp->name,
                             n, QUOTE(text, tlen, q), sp->min, sp->max);
        *p = s;
        *v = (int)n;
        return 0;
    }
    if (s < end && is_alpha(*s)) {
        const char *w = s;
        while (s < end && is_alpha(*s))
            s++;
        size_t wlen = (size_t)(s - w);
        for (int i = 0; wlen == 3 && sp->names != NULL && sp->names[i] != NULL;
             i++) {
            const char *nm = sp->names[i];
            if (upper(w[0]) == nm[0] && upper(w[1]) == nm[1] &&
                upper(w[2]) == nm[2]) {
                *p = s;
                *v = sp->min + i;
                return 0;
            }
        }
        char qw[PS_QUOTE_MAX * 4 + 4];
        return FIELD_ERR(f, "CRON_SYNTAX", "unknown %s name \"%s\" in \"%s\"",
                         sp->name, QUOTE(w, wlen, qw), QUOTE(text, tlen, q));
    }
    char qs[PS_QUOTE_MAX * 4 + 4];
    return FIELD_ERR(f, "CRON_SYNTAX", "%s \"%s\": expected a %s at \"%s\"",
                     sp->name, QUOTE(text, tlen, q),
                     sp->names != NULL ? "number or name" : "number",
                     QUOTE(s, (size_t)(end - s), qs));
}

/*
 * Parse one list element [s, end) of field f into *bits.  Forms: "*", "?"
 * (day fields), n, a-b, then optionally "/step".
 */
static int parse_element(enum field f, const char *s, const char *end,
                         const char *text, size_t tlen, uint64_t *bits,
                         struct ps_err *err)
{
    const struct field_spec *sp = &specs[f];
    char q[PS_QUOTE_MAX * 4 + 4];
    int lo, hi, step = 1, rc;
    bool single = false;

    if (s == end)
        return FIELD_ERR(f, "CRON_SYNTAX", "%s \"%s\" has an empty list item",
                         sp->name, QUOTE(text, tlen, q));
    if (*s == '?') {
        if (f != F_DOM && f != F_DOW)
            return FIELD_ERR(f, "CRON_SYNTAX",
                             "'?' is only allowed in day-of-month and "
                             "day-of-week, not in %s \"%s\"",
                             sp->name, QUOTE(text, tlen, q));
        if (end - s != 1)
            return FIELD_ERR(f, "CRON_SYNTAX",
                             "%s \"%s\": '?' must stand alone", sp->name,
                             QUOTE(text, tlen, q));
        s++;
        lo = sp->min;
        hi = sp->star_max;
    } else if (*s == '*') {
        s++;
        lo = sp->min;
        hi = sp->star_max;
    } else {
        if ((rc = read_value(f, &s, end, text, tlen, &lo, err)) != 0)
            return rc;
        hi = lo;
        single = true;
        if (s < end && *s == '-') {
            s++;
            if ((rc = read_value(f, &s, end, text, tlen, &hi, err)) != 0)
                return rc;
            single = false;
            if (lo > hi)
                return FIELD_ERR(f, "CRON_RANGE",
                                 "%s range \"%s\" runs backwards (%d > %d)",
                                 sp->name, QUOTE(text, tlen, q), lo, hi);
        }
    }
    if (s < end && *s == '/') {
        s++;
        if (s == end || !is_digit(*s))
            return FIELD_ERR(f, "CRON_SYNTAX",
                             "%s \"%s\": '/' must be followed by a number",
                             sp->name, QUOTE(text, tlen, q));
        long n = 0;
        while (s < end && is_digit(*s)) {
            if (n <= 100000)
                n = n * 10 + (*s - '0');
            s++;
        }
        int width = sp->star_max - sp->min + 1;
        if (n < 1 || n > width)
            return FIELD_ERR(f, "CRON_RANGE",
                             "%s step %ld in \"%s\" is out of range 1-%d",
                             sp->name, n, QUOTE(text, tlen, q), width);
        step = (int)n;
        if (single) { /* "a/n" = "a-max/n" (Quartz, ccronexpr) */
            if (f == F_DOW && lo == 7)
                lo = 0;        /* Sunday; "7/2" is "SUN/2" */
            hi = sp->star_max; /* day-of-week: up to Saturday */
        }
    }
    if (s != end) {
        char qs[PS_QUOTE_MAX * 4 + 4];
        return FIELD_ERR(f, "CRON_SYNTAX", "%s \"%s\": unexpected \"%s\"",
                         sp->name, QUOTE(text, tlen, q),
                         QUOTE(s, (size_t)(end - s), qs));
    }
    for (int v = lo; v <= hi; v += step)
        *bits |= UINT64_C(1) << (f == F_DOW && v == 7 ? 0 : v);
    return 0;
}

/* Parse field f, text [s, s+len), into c. */
static int parse_field(struct ps_cron *c, enum field f, const char *s,
                       size_t len, struct ps_err *err)
{
    const char *text = s, *end = s + len;
    uint64_t bits = 0;
    for (const char *e = s;; s = e + 1) {
        e = memchr(s, ',', (size_t)(end - s));
        if (e == NULL)
            e = end;
        int rc = parse_element(f, s, e, text, len, &bits, err);
        if (rc != 0)
            return rc;
        if (e == end)
            break;
    }
    c->bits[f] = bits;
    /* Vixie cron looks at the first character only: "*\/2" is a star. */
    bool star = len > 0 && (text[0] == '*' || text[0] == '?');
    if (f == F_DOM)
        c->dom_star = star;
    if (f == F_DOW)
        c->dow_star = star;
    return 0;
}

/*
 * Check the CRON_TZ name [name, name+len) and fill c->zone, c->tzenv and
 * c->utc.  "UTC" needs no zone file; anything else must be a TZif file
 * under PS_ZONEINFO_DIR.
 */
static int parse_zone(struct ps_cron *c, const char *name, size_t len,
                      struct ps_err *err)
{
    char q[PS_QUOTE_MAX * 4 + 4];
    const char *why = NULL;

    if (len == 0)
        why = "is empty";
    else if (len > PS_CRON_ZONE_MAX)
        why = "is too long";
    else if (name[0] == '/')
        why = "is an absolute path";
    else if (memmem(name, len, "..", 2) != NULL)
        why = "contains \"..\"";
    for (size_t i = 0; why == NULL && i < len; i++) {
        char ch = name[i];
        if (!(is_alpha(ch) || is_digit(ch) || ch == '/' || ch == '_' ||
              ch == '+' || ch == '-'))
            why = "has a character outside A-Z a-z 0-9 / _ + -";
        else if (ch == '/' && (i + 1 == len || name[i + 1] == '/'))
            why = "has an empty path component";
    }
    if (why != NULL)
        return field_err(err, "CRON_TZ", "CRON_ZONE_UNKNOWN",
                         "time zone \"%s\" %s", QUOTE(name, len, q), why);

    memcpy(c->zone, name, len);
    c->zone[len] = '\0';
    c->utc = strcmp(c->zone, "UTC") == 0;
    snprintf(c->tzenv, sizeof(c->tzenv), ":%s/%s", PS_ZONEINFO_DIR, c->zone);
    if (c->utc)
        return 0;

    /* tzenv minus its ':' is the file path. */
    int fd = open(c->tzenv + 1, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    char magic[4];
    if (fd < 0)
        why = errno == ENOENT || errno == ENOTDIR ? "is not in the zone "
                                                    "database"
                                                  : "cannot be read";
    else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        why = "is not a zone file";
    else if (read(fd, magic, sizeof(magic)) != (ssize_t)sizeof(magic) ||
             memcmp(magic, "TZif", 4) != 0)
        why = "is not a TZif zone file";
    if (fd >= 0)
        close(fd);
    if (why != NULL)
        return field_err(err, "CRON_TZ", "CRON_ZONE_UNKNOWN",
                         "time zone \"%s\" %s (%s)", c->zone, why,
                         c->tzenv + 1);
    return 0;
}

int ps_cron_parse(const char *expr, struct ps_cron **out, struct ps_err *err)
{
    static const char prefix[] = "CRON_TZ=";
    char q[PS_QUOTE_MAX * 4 + 4];
    struct ps_cron *c = NULL;
    const char *tok[F_COUNT + 1];
    size_t toklen[F_COUNT + 1];
    int ntok = 0, rc = 0;

    if (PS_NEVER(expr == NULL || out == NULL))
        return ps_err_set(err, PS_EINVAL, "CRON_SYNTAX", "no expression");
    size_t len = strlen(expr);
    if (len > EXPR_MAX)
        return ps_err_set(err, PS_EINVAL, "CRON_SYNTAX",
                          "cron expression is %zu bytes long; at most %d", len,
                          EXPR_MAX);
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY",
                          "out of memory parsing a cron expression");

    const char *p = expr, *end = expr + len;
    while (p < end && is_blank(*p))
        p++;
    if ((size_t)(end - p) >= sizeof(prefix) - 1 &&
        memcmp(p, prefix, sizeof(prefix) - 1) == 0) {
        const char *z = p + sizeof(prefix) - 1;
        p = z;
        while (p < end && !is_blank(*p))
            p++;
        if ((rc = parse_zone(c, z, (size_t)(p - z), err)) != 0)
            goto out;
    } else {
        parse_zone(c, "UTC", 3, err); /* cannot fail */
    }
    while (p < end && is_blank(*p))
        p++;
    if (p < end && *p == '@') {
        const char *e = p;
        while (e < end && !is_blank(*e))
            e++;
        rc = ps_err_set(err, PS_EINVAL, "CRON_SYNTAX",
                        "cron macro \"%s\" is not supported; write the "
                        "fields, e.g. \"0 0 * * *\" for @daily",
                        QUOTE(p, (size_t)(e - p), q));
        goto out;
    }
    while (p < end) {
        const char *t = p;
        while (p < end && !is_blank(*p))
            p++;
        if (ntok <= F_COUNT) {
            tok[ntok] = t;
            toklen[ntok] = (size_t)(p - t);
        }
        ntok++;
        while (p < end && is_blank(*p))
            p++;
    }
    if (ntok != 5 && ntok != 6) {
        rc = ps_err_set(err, PS_EINVAL, "CRON_FIELD_COUNT",
                        "cron expression \"%s\" has %d fields; want 5 "
                        "(m h dom mon dow) or 6 (s m h dom mon dow)",
                        QUOTE(expr, len, q), ntok);
        goto out;
    }
    int first = ntok == 5 ? F_MIN : F_SEC;
    if (ntok == 5)
        c->bits[F_SEC] = 1; /* second 0 */
    for (int i = 0; i < ntok; i++) {
        rc = parse_field(c, (enum field)(first + i), tok[i], toklen[i], err);
        if (rc != 0)
            goto out;
    }
    *out = c;
    c = NULL;
out:
    free(c);
    return rc;
}

void ps_cron_free(struct ps_cron *c)
{
    free(c);
}

const char *ps_cron_zone(const struct ps_cron *c)
{
    return c->zone;
}

/* ---- zone conversion ---- */

/* $TZ as it was before zone_enter(), to put back in zone_leave(). */
struct tzsave {
    bool switched; /* zone_enter() changed $TZ */
    bool had;      /* $TZ was set */
    char *heap;    /* the old value when it did not fit in buf */
    char buf[256];
};

/*
 * Point $TZ at c's zone file (nothing to do for UTC).  Returns 0, or -1
 * when memory runs out (nothing changed then).  Every successful call is
 * paired with zone_leave().
 */
static int zone_enter(const struct ps_cron *c, struct tzsave *sv)
{
    sv->switched = false;
    sv->heap = NULL;
    if (c->utc)
        return 0;
    const char *old = getenv("TZ");
    sv->had = old != NULL;
    if (old != NULL && strcmp(old, c->tzenv) == 0)
        return 0; /* already there (a caller's own TZ, say) */
    if (old != NULL) {
        size_t n = strlen(old);
        char *dst = sv->buf;
        if (n >= sizeof(sv->buf)) {
            dst = sv->heap = malloc(n + 1);
            if (dst == NULL)
                return -1;
        }
        memcpy(dst, old, n + 1);
    }
    if (setenv("TZ", c->tzenv, 1) != 0) {
        free(sv->heap);
        sv->heap = NULL;
        return -1;
    }
    tzset();
    sv->switched = true;
    return 0;
}

/* Put $TZ back as zone_enter() found it. */
static void zone_leave(struct tzsave *sv)
{
    if (!sv->switched)
        return;
    if (sv->had) {
        /* Best effort: setenv of a value glibc has seen before does not
         * allocate, and there is nothing better to do if it fails. */
        (void)setenv("TZ", sv->heap != NULL ? sv->heap : sv->buf, 1);
    } else {
        unsetenv("TZ");
    }
    tzset();
    free(sv->heap);
    sv->heap = NULL;
    sv->switched = false;
}

/* UTC offset in seconds at instant t (inside zone_enter()). */
static int64_t offset_at(const struct ps_cron *c, int64_t t)
{
    if (c->utc)
        return 0;
    time_t tt = (time_t)t;
    struct tm tm;
    if (localtime_r(&tt, &tm) == NULL)
        return 0;
    return (int64_t)tm.tm_gmtoff;
}

/*
 * The first instant in (lo, hi] whose offset is that of hi, given that lo
 * has another offset and there is one change in between: the transition.
 */
static int64_t transition(const struct ps_cron *c, int64_t lo, int64_t hi)
{
    int64_t want = offset_at(c, hi);
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (offset_at(c, mid) == want)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

/* f(C) of the file comment, and where an overlap containing C ends. */
struct mapped {
    int64_t t;           /* the instant C fires at */
    int64_t overlap_end; /* civil end of the overlap holding C, or INT64_MIN */
};

static void civil_to_instant(const struct ps_cron *c, int64_t C,
                             struct mapped *r)
{
    r->overlap_end = INT64_MIN;
    int64_t oa = offset_at(c, C - DAY), ob = offset_at(c, C + DAY);
    int64_t ta = C - oa, tb = C - ob;
    if (oa == ob) {
        r->t = ta;
        return;
    }
    bool va = offset_at(c, ta) == oa, vb = offset_at(c, tb) == ob;
    int64_t lo = ta < tb ? ta : tb, hi = ta < tb ? tb : ta;
    if (va && vb) { /* overlap: C happens twice; the first counts */
        r->t = lo;
        r->overlap_end = transition(c, lo, hi) + offset_at(c, lo);
    } else if (va) {
        r->t = ta;
    } else if (vb) {
        r->t = tb;
    } else { /* gap: C never happens; fire when the gap ends */
        r->t = transition(c, lo, hi);
    }
}

/* ---- the search ---- */

/* The lowest set bit of mask at or above `from`, or -1. */
static int next_bit(uint64_t mask, int from)
{
    if (from > 63)
        return -1;
    uint64_t m = mask >> from;
    return m == 0 ? -1 : from + __builtin_ctzll(m);
}

static bool day_matches(const struct ps_cron *c, int64_t y, int m, int d)
{
    bool dom = (c->bits[F_DOM] >> d) & 1;
    bool dow = (c->bits[F_DOW] >> weekday(days_from_civil(y, m, d))) & 1;
    /* Vixie cron: both restricted means either; else both must match
     * (and the unrestricted one always does). */
    if (c->dom_star || c->dow_star)
        return dom && dow;
    return dom || dow;
}

/*
 * The first civil time >= L that matches c into *out; false when it would
 * be later than `limit` (all civil seconds; any sign).
 */
static bool next_civil(const struct ps_cron *c, int64_t L, int64_t limit,
                       int64_t *out)
{
    struct civil t;
    int64_t limit_year;
    {
        struct civil lim;
        civil_split(limit, &lim);
        limit_year = lim.y;
    }
    civil_split(L, &t);
    for (;;) {
        if (t.sec > 59) {
            t.sec = 0;
            t.min++;
        }
        if (t.min > 59) {
            t.min = 0;
            t.hour++;
        }
        if (t.hour > 23) {
            t.hour = 0;
            t.day++;
        }
        if (t.day > days_in_month(t.y, t.mon)) {
            t.day = 1;
            t.mon++;
        }
        if (t.mon > 12) {
            t.mon = 1;
            t.y++;
        }
        if (t.y > limit_year)
            return false;

        int v = next_bit(c->bits[F_MON], t.mon);
        if (v != t.mon) {
            if (v < 0) {
                t.y++;
                v = next_bit(c->bits[F_MON], 1);
            }
            t.mon = v;
            t.day = 1;
            t.hour = t.min = t.sec = 0;
            continue;
        }
        if (!day_matches(c, t.y, t.mon, t.day)) {
            t.day++;
            t.hour = t.min = t.sec = 0;
            continue;
        }
        if ((v = next_bit(c->bits[F_HOUR], t.hour)) != t.hour) {
            if (v < 0) {
                t.day++;
                t.hour = 0;
            } else {
                t.hour = v;
            }
            t.min = t.sec = 0;
            continue;
        }
        if ((v = next_bit(c->bits[F_MIN], t.min)) != t.min) {
            if (v < 0) {
                t.hour++;
                t.min = 0;
            } else {
                t.min = v;
            }
            t.sec = 0;
            continue;
        }
        if ((v = next_bit(c->bits[F_SEC], t.sec)) != t.sec) {
            if (v < 0) {
                t.min++;
                t.sec = 0;
            } else {
                t.sec = v;
            }
            continue;
        }
        int64_t r = days_from_civil(t.y, t.mon, t.day) * DAY + t.hour * 3600 +
                    t.min * 60 + t.sec;
        *out = r;
        return r <= limit;
    }
}

int64_t ps_cron_next(const struct ps_cron *c, int64_t after)
{
    struct tzsave sv;
    int64_t result = -1;

    if (after < T_MIN || after > T_MAX || zone_enter(c, &sv) != 0)
        return -1;
    /* The last instant that may be returned; never past year 9999. */
    int64_t limit = after <= T_MAX - HORIZON ? after + HORIZON : T_MAX;
    /* Civil times beyond limit + 1 day map past limit (|offset| < 1 day). */
    int64_t civil_limit = limit + DAY;
    int64_t L = after + offset_at(c, after) + 1;
    /* Each round moves L forward; only overlaps need more than one, so
     * the bound is never reached with sane zone data. */
    for (int round = 0; round < 1000; round++) {
        int64_t C;
        if (!next_civil(c, L, civil_limit, &C))
            break;
        struct mapped m;
        civil_to_instant(c, C, &m);
        if (m.t > after) {
            if (m.t <= limit)
                result = m.t;
            break;
        }
        /* Second pass through an overlap: C fired at its first
         * occurrence, and so did every civil time up to the overlap's
         * end. */
        L = m.overlap_end > C ? m.overlap_end : C + 1;
    }
    zone_leave(&sv);
    return result;
}

/*
 * The civil time of instant t in c's zone and its offset.  Returns 0, or
 * -1 when t or the civil time is outside years 0000-9999 or $TZ cannot be
 * switched.
 */
static int local_parts(const struct ps_cron *c, int64_t t, struct civil *cv,
                       int64_t *off)
{
    struct tzsave sv;
    if (t < T_MIN || t > T_MAX || zone_enter(c, &sv) != 0)
        return -1;
    *off = offset_at(c, t);
    zone_leave(&sv);
    civil_split(t + *off, cv);
    return cv->y < 0 || cv->y > 9999 ? -1 : 0;
}

void ps_cron_local_date(const struct ps_cron *c, int64_t t, char out[11])
{
    struct civil cv;
    int64_t off;
    out[0] = '\0';
    if (local_parts(c, t, &cv, &off) != 0)
        return;
    char buf[64]; /* room for any int, to keep -Wformat-truncation quiet */
    snprintf(buf, sizeof(buf), "%04d-%02d-%02d", (int)cv.y, cv.mon, cv.day);
    ps_strlcpy(out, buf, 11);
}

void ps_cron_local_time(const struct ps_cron *c, int64_t t, char out[32])
{
    struct civil cv;
    int64_t off;
    out[0] = '\0';
    if (local_parts(c, t, &cv, &off) != 0)
        return;
    /* RFC 3339 has no seconds in an offset: historical LMT offsets such
     * as -04:56:02 are written to the minute, rounded towards zero. */
    int64_t a = off < 0 ? -off : off;
    char buf[96];
    snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
             (int)cv.y, cv.mon, cv.day, cv.hour, cv.min, cv.sec,
             off < 0 ? '-' : '+', (int)(a / 3600), (int)(a / 60 % 60));
    ps_strlcpy(out, buf, 32);
}
