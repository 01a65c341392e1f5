/*
 * cmd_calendar.c -- `payspool calendar is-banking-day|next|holidays`: the
 * Federal Reserve banking calendar (with the spool's override file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/clock.h"
#include "cli/cli_int.h"

static json_t *day_json(const struct ps_calendar *cal, int64_t day)
{
    char d[PS_DATE_SIZE];
    const char *why;
    int open = ps_calendar_is_banking_day(cal, day, &why);
    return json_pack("{s:s, s:b, s:s?}", "date", ps_date_format(day, d),
                     "bankingDay", open, "closedBecause", open ? NULL : why);
}

/* calendar is-banking-day DATE (a predicate) and calendar next DATE. */
int cmd_calendar_day(struct cli_ctx *c, struct ps_err *err)
{
    const struct ps_calendar *cal = c->cal;
    char d[PS_DATE_SIZE];
    int64_t day;
    long n;
    int next = strcmp(c->cmd->sub, "next") == 0;
    const char *why;
    if (ps_date_parse(c->pos[0], &day, err) != 0 ||
        cli_int_opt(c, "count", 1, 3650, 1, &n, err) != 0)
        return cli_fail(err);
    if (!next) {
        int open = ps_calendar_is_banking_day(cal, day, &why);
        if (c->json) {
            json_t *o = day_json(cal, day);
            cli_print_json(o);
            json_decref(o);
        } else if (open)
            printf("%s is a banking day\n", ps_date_format(day, d));
        else
            printf("%s is not a banking day: %s\n", ps_date_format(day, d),
                   why);
        /* A predicate, like test(1): scripts branch on the status. */
        return open ? EX_OK : 1;
    }
    json_t *arr = c->json ? json_array() : NULL;
    for (long i = 0; i < n; i++) {
        day = ps_calendar_next(cal, day);
        if (arr != NULL)
            json_array_append_new(arr, day_json(cal, day));
        else
            printf("%s\n", ps_date_format(day, d));
    }
    if (arr != NULL) {
        cli_print_json(arr);
        json_decref(arr);
    }
    return EX_OK;
}

int cmd_calendar_holidays(struct cli_ctx *c, struct ps_err *err)
{
    char d[PS_DATE_SIZE];
    (void)err;
    struct ps_holiday h[11];
    long year;
    char *end;
    year = strtol(c->pos[0], &end, 10);
    if (*end != '\0' || year < 1900 || year > 9999)
        return cli_usage_error(c, "year must be 1900..9999, not %s", c->pos[0]);
    int k = ps_calendar_holidays(year, h, 11);
    json_t *arr = c->json ? json_array() : NULL;
    for (int i = 0; i < k; i++) {
        if (arr != NULL)
            json_array_append_new(arr, json_pack("{s:s, s:s}", "date",
                                                 ps_date_format(h[i].day, d),
                                                 "holiday", h[i].name));
        else
            printf("%s  %s\n", ps_date_format(h[i].day, d), h[i].name);
    }
    if (arr != NULL) {
        cli_print_json(arr);
        json_decref(arr);
    }
    return EX_OK;
}
