/*
 * cron.h -- cron schedules for the job scheduler: parse an expression, find
 * the next fire instant in the schedule's IANA time zone, and name the
 * business date of a run.
 *
 * Usage and semantics (for the README; "*\/" below is star-slash, which a C
 * comment cannot contain):
 *
 *   Expression    "m h dom mon dow" (5 fields) or "s m h dom mon dow"
 *                 (6 fields, seconds first), optionally prefixed by
 *                 "CRON_TZ=Area/City " (an IANA zone; the default is UTC).
 *                 Fields are separated by spaces or tabs.
 *
 *   Field         second 0-59, minute 0-59, hour 0-23, day-of-month 1-31,
 *                 month 1-12 or JAN-DEC, day-of-week 0-7 or SUN-SAT
 *                 (0 and 7 are both Sunday).  Names are three letters,
 *                 any case, and only in their own field.
 *
 *   Forms         *  n  a-b  *\/n  a-b/n  a/n (= a-max/n, as in Quartz)
 *                 and comma lists of these: "0,15,30-40/5".  In
 *                 day-of-week a/n runs to Saturday ("MON/2" is Mon, Wed,
 *                 Fri).  A range must not run backwards (write SAT,SUN or
 *                 6-7, not SAT-SUN); a step is 1 up to the width of the
 *                 field.  '?' is accepted as '*' in day-of-month and
 *                 day-of-week only (Quartz).  Macros such as @daily are
 *                 not supported.
 *
 *   Day rule      As in Vixie cron: when day-of-month and day-of-week are
 *                 both restricted, a day matches when EITHER matches
 *                 ("0 0 1 * MON" = the 1st and every Monday).  A field
 *                 counts as unrestricted when its text starts with '*' or
 *                 '?', so "0 0 *\/2 * MON" means odd-numbered days that
 *                 are Mondays, exactly as in Vixie cron and cronie.
 *
 *   Time zone     Fire times are civil times in the zone.  Daylight saving:
 *                 - a civil time skipped by a spring-forward gap fires at
 *                   the first instant after the gap (02:30 in New York on
 *                   2026-03-08 fires at 03:00 EDT), once, however many
 *                   matching civil times fell into the gap;
 *                 - a civil time repeated by a fall-back overlap fires
 *                   once, at its first occurrence (01:30 EDT, not again at
 *                   01:30 EST).  This holds for wildcard jobs too:
 *                   "*\/15 * * * *" fires 4 times in the repeated hour,
 *                   not 8, so on that night there are 75 real minutes
 *                   between 01:45 EDT and 02:00 EST.
 *
 *   Horizon       ps_cron_next() looks 5 years (1826 days) ahead; an
 *                 expression with no fire time in that window ("0 0 30 2
 *                 *", or Feb 29 across 2100) yields -1.
 *
 *   Business date The civil date in the zone of the fire instant
 *                 (ps_cron_local_date), so "CRON_TZ=America/New_York 30
 *                 23 * * *" runs for 2026-07-01 at 2026-07-02T03:30Z.
 *
 * Errors (ps_cron_parse, all PS_EINVAL), with err->field naming the field
 * ("second", "minute", "hour", "day-of-month", "month", "day-of-week",
 * or "CRON_TZ"):
 *   CRON_FIELD_COUNT   not 5 or 6 fields (no field named)
 *   CRON_SYNTAX        a malformed field: stray character, empty list
 *                      element, a name in the wrong field, '?' outside
 *                      the day fields, a macro, an over-long expression
 *   CRON_RANGE         a value outside the field, a backwards range, or a
 *                      step of 0 or wider than the field
 *   CRON_ZONE_UNKNOWN  the CRON_TZ name is empty, absolute, contains ".."
 *                      or characters outside [A-Za-z0-9/_+-], or
 *                      /usr/share/zoneinfo/<name> is not a TZif file
 *
 * Zone conversion uses libc (localtime_r with $TZ switched to the zone file
 * and restored afterwards), so these functions are not thread-safe: they
 * must only be called from the (single-threaded) scheduler.
 */
#ifndef PS_CRON_H
#define PS_CRON_H

#include <stdint.h>

#include "base/err.h"

/* Longest CRON_TZ zone name accepted, in bytes (IANA names are < 40). */
#define PS_CRON_ZONE_MAX 127

struct ps_cron; /* opaque */

/*
 * Parse `expr` (see above).  On success *out gets a schedule the caller
 * frees with ps_cron_free(); on failure *out is untouched and err says
 * which rule and field were broken.  Returns 0, PS_EINVAL or PS_ENOMEM.
 */
int ps_cron_parse(const char *expr, struct ps_cron **out, struct ps_err *err);

/* Free a schedule.  NULL does nothing. */
void ps_cron_free(struct ps_cron *c);

/* "UTC" or the CRON_TZ zone name; borrowed, valid until ps_cron_free(). */
const char *ps_cron_zone(const struct ps_cron *c);

/*
 * The first fire instant strictly after `after` (unix seconds, UTC), with
 * the DST rules above, or -1 when there is none within 5 years (1826
 * days) of `after`.  Also -1 when `after` lies outside years 0000-9999 or,
 * for a schedule with a zone, when $TZ cannot be switched (out of memory).
 */
int64_t ps_cron_next(const struct ps_cron *c, int64_t after);

/*
 * The civil date in the schedule's zone of instant t, "YYYY-MM-DD": the
 * business date of a run.  "" when t is outside years 0000-9999 or $TZ
 * cannot be switched.
 */
void ps_cron_local_date(const struct ps_cron *c, int64_t t, char out[11]);

/*
 * The civil time in the schedule's zone of instant t, ISO 8601 with its
 * UTC offset: "2026-03-08T03:00:00-04:00" ("+00:00" for UTC, never "Z").
 * "" as for ps_cron_local_date().
 */
void ps_cron_local_time(const struct ps_cron *c, int64_t t, char out[32]);

#endif /* PS_CRON_H */
