/*
 * clock.h -- the one source of "now", and RFC 3339 / ISO date helpers.
 *
 * Every timestamp payspool stores comes from ps_clock_now_ms().  Setting
 * PAYSPOOL_NOW=2026-11-20T22:00:00Z (any RFC 3339 UTC time) freezes the
 * clock, which makes demo and test outputs reproducible; each call then
 * advances one millisecond so ordering is preserved.
 */
#ifndef PS_CLOCK_H
#define PS_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* "2026-11-21T18:36:54.123Z" plus NUL */
#define PS_TIME_SIZE 25
/* "2026-11-21" plus NUL */
#define PS_DATE_SIZE 11

/* Milliseconds since the Unix epoch (or the frozen PAYSPOOL_NOW clock). */
int64_t ps_clock_now_ms(void);

/* Format ms since epoch as RFC 3339 UTC with milliseconds. Returns buf. */
const char *ps_time_format(int64_t ms, char buf[PS_TIME_SIZE]);

/* Now, formatted.  Returns buf. */
const char *ps_time_now(char buf[PS_TIME_SIZE]);

/* Today's UTC date "YYYY-MM-DD" (from the same clock).  Returns buf. */
const char *ps_date_today(char buf[PS_DATE_SIZE]);

/*
 * Parse "YYYY-MM-DD" (a real calendar date) into days since 1970-01-01.
 * Rule DATE_FORMAT on failure.
 */
int ps_date_parse(const char *s, int64_t *days, struct ps_err *err);

/* Format days since the epoch as "YYYY-MM-DD".  Returns buf. */
const char *ps_date_format(int64_t days, char buf[PS_DATE_SIZE]);

/* Proleptic Gregorian civil dates <-> days since 1970-01-01 (exact, Howard
 * Hinnant's algorithms); m 1..12, d 1..31. */
int64_t ps_date_from_civil(int64_t y, int m, int d);
void ps_date_civil(int64_t days, int64_t *y, int *m, int *d);
int ps_date_days_in_month(int64_t y, int m);
/* 0 = Sunday .. 6 = Saturday. */
int ps_date_weekday(int64_t days);

/*
 * Parse an RFC 3339 time ("2026-11-21T18:36:54Z", optional fraction, 'Z' or
 * +hh:mm offset) or a bare date (midnight UTC) into ms since the epoch.
 * Rule TIME_FORMAT on failure.
 */
int ps_time_parse(const char *s, int64_t *ms, struct ps_err *err);

#endif /* PS_CLOCK_H */
