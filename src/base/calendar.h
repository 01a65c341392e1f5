/*
 * calendar.h -- civil dates and the Federal Reserve banking calendar.
 *
 * A banking day is a weekday on which the Federal Reserve Banks are open.
 * The 11 holidays are computed by rule (New Year's Day, Martin Luther King
 * Jr.'s Birthday, Washington's Birthday, Memorial Day, Juneteenth from
 * 2022, Independence Day, Labor Day, Columbus Day, Veterans Day,
 * Thanksgiving Day, Christmas Day).  A fixed-date holiday on a Sunday
 * closes the Monday after; on a Saturday the Fed stays open on the Friday
 * before, which is where many calendars go wrong.
 *
 * An override file (INI, read with libinih) adds closures the rules do not
 * know and can reopen a day:
 *
 *   [closed]
 *   2026-12-24 = Christmas Eve (bank closure by proclamation)
 *   [open]
 *   2027-07-05 = open by order (example)
 *
 * Errors in it name the file, line and key.
 */
#ifndef PS_CALENDAR_H
#define PS_CALENDAR_H

#include <stdint.h>

#include "base/clock.h"
#include "base/err.h"

/* Dates are days since 1970-01-01 (clock.h parses and formats them). */

struct ps_calendar;

/*
 * The rules plus, when path is not NULL, the override file at path.  A
 * missing file is an error only when `required` (it was named
 * explicitly); the default location may simply not exist.
 */
int ps_calendar_open(const char *path, int required, struct ps_calendar **out,
                     struct ps_err *err);
void ps_calendar_free(struct ps_calendar *cal);

/*
 * 1 when day is a banking day, 0 when not.  When why is not NULL it is set
 * to the reason the day is closed ("Saturday", "Thanksgiving Day", an
 * override's text) or to "" on a banking day; borrowed from cal.
 */
int ps_calendar_is_banking_day(const struct ps_calendar *cal, int64_t day,
                               const char **why);
/* The first banking day strictly after day, and strictly before it. */
int64_t ps_calendar_next(const struct ps_calendar *cal, int64_t day);
int64_t ps_calendar_prev(const struct ps_calendar *cal, int64_t day);
/* day moved by n banking days (n > 0 forward, n < 0 back; 0: day itself
 * if it is a banking day, else the next one). */
int64_t ps_calendar_add(const struct ps_calendar *cal, int64_t day, int n);

/*
 * The rule holidays of a year in date order (observed dates: a Sunday
 * holiday is listed on its Monday; a Saturday one is left out because it
 * closes nothing).  Fills at most max; returns how many exist.
 */
struct ps_holiday {
    int64_t day;
    const char *name; /* static */
};
int ps_calendar_holidays(int64_t year, struct ps_holiday *out, int max);

#endif
