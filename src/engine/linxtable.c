/*
 * linxtable.c -- the LinX request state machine as one transition table.
 *
 * Each row is (from, event, to).  A (status, event) pair with no row is
 * illegal; terminal statuses have no rows, so they stay terminal.  The
 * DECLINE rows also need a reason (predefined or free text), checked
 * before the table.  See linxtable.h.
 */
#include "engine/linxtable.h"

#include <string.h>

struct transition {
    enum ps_linx_status from;
    enum ps_linx_event event;
    enum ps_linx_status to;
};

static const struct transition table[] = {
    {PS_LINX_CREATED, PS_LEV_SEND, PS_LINX_SENT},
    {PS_LINX_CREATED, PS_LEV_EXPIRE, PS_LINX_EXPIRED},
    {PS_LINX_CREATED, PS_LEV_CANCEL, PS_LINX_CANCELLED},
    {PS_LINX_SENT, PS_LEV_OPEN, PS_LINX_IN_PROGRESS},
    {PS_LINX_SENT, PS_LEV_COMPLETE, PS_LINX_COMPLETED},
    {PS_LINX_SENT, PS_LEV_DECLINE, PS_LINX_DECLINED},
    {PS_LINX_SENT, PS_LEV_EXPIRE, PS_LINX_EXPIRED},
    {PS_LINX_SENT, PS_LEV_CANCEL, PS_LINX_CANCELLED},
    {PS_LINX_SENT, PS_LEV_FAIL, PS_LINX_FAILED},
    {PS_LINX_IN_PROGRESS, PS_LEV_COMPLETE, PS_LINX_COMPLETED},
    {PS_LINX_IN_PROGRESS, PS_LEV_DECLINE, PS_LINX_DECLINED},
    {PS_LINX_IN_PROGRESS, PS_LEV_EXPIRE, PS_LINX_EXPIRED},
    {PS_LINX_IN_PROGRESS, PS_LEV_CANCEL, PS_LINX_CANCELLED},
    {PS_LINX_IN_PROGRESS, PS_LEV_FAIL, PS_LINX_FAILED},
};

static const char *const status_names[PS_LINX_N] = {
    "CREATED",  "SENT",    "IN_PROGRESS", "COMPLETED",
    "DECLINED", "EXPIRED", "CANCELLED",   "FAILED"};

static const char *const event_names[PS_LEV_N] = {
    "SEND", "OPEN", "COMPLETE", "DECLINE", "EXPIRE", "CANCEL", "FAIL"};

static const char *const decline_names[PS_LDEC_N] = {
    "INCORRECT_AMOUNT", "NOT_RECOGNIZED", "DUPLICATE", "ALREADY_PAID",
    "FREE_TEXT"};

static int parse(const char *const *names, int n, const char *name)
{
    for (int i = 0; name != NULL && i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

const char *ps_linx_status_name(enum ps_linx_status st)
{
    return (unsigned)st < PS_LINX_N ? status_names[st] : "?";
}

int ps_linx_status_parse(const char *name)
{
    return parse(status_names, PS_LINX_N, name);
}

const char *ps_linx_event_name(enum ps_linx_event ev)
{
    return (unsigned)ev < PS_LEV_N ? event_names[ev] : "?";
}

int ps_linx_event_parse(const char *name)
{
    return parse(event_names, PS_LEV_N, name);
}

const char *ps_linx_decline_name(enum ps_linx_decline d)
{
    return (unsigned)d < PS_LDEC_N ? decline_names[d] : "?";
}

int ps_linx_status_terminal(enum ps_linx_status st)
{
    if ((unsigned)st >= PS_LINX_N)
        return 1;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].from == st)
            return 0;
    return 1;
}

int ps_linx_status_active(enum ps_linx_status st)
{
    return !ps_linx_status_terminal(st);
}

int ps_linx_decline_kind(const char *reason)
{
    int blank = 1;
    size_t n;
    if (reason == NULL)
        return -1;
    n = strlen(reason);
    if (n == 0 || n > PS_LINX_REASON_MAX)
        return -1;
    for (const char *c = reason; *c != '\0'; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return -1;
        if (*c != ' ')
            blank = 0;
    }
    if (blank)
        return -1;
    for (int i = 0; i < PS_LDEC_FREE_TEXT; i++)
        if (strcmp(decline_names[i], reason) == 0)
            return i;
    /* "FREE_TEXT" itself says nothing: the customer's words are wanted. */
    if (strcmp(reason, "FREE_TEXT") == 0)
        return -1;
    return PS_LDEC_FREE_TEXT;
}

int ps_linx_next(const char *id, enum ps_linx_status st, enum ps_linx_event ev,
                 const char *reason, enum ps_linx_status *next,
                 struct ps_err *err)
{
    if (id == NULL)
        id = "(new)";
    if ((unsigned)ev >= PS_LEV_N || (unsigned)st >= PS_LINX_N)
        return ps_err_set(err, PS_EINVAL, "LINX_ILLEGAL_TRANSITION",
                          "LinX request %s: unknown status %d or event %d", id,
                          (int)st, (int)ev);
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (table[i].from != st || table[i].event != ev)
            continue;
        if (ev == PS_LEV_DECLINE && ps_linx_decline_kind(reason) < 0)
            return ps_err_set(err, PS_EINVAL, "LINX_DECLINE_REASON",
                              "LinX request %s: a decline needs a reason: "
                              "INCORRECT_AMOUNT, NOT_RECOGNIZED, DUPLICATE, "
                              "ALREADY_PAID or printable text of at most %d "
                              "bytes",
                              id, PS_LINX_REASON_MAX);
        *next = table[i].to;
        return 0;
    }
    if (ps_linx_status_terminal(st))
        return ps_err_set(err, PS_ESTATE, "LINX_NOT_ACTIVE",
                          "LinX request %s is %s, no longer active: %s "
                          "refused",
                          id, ps_linx_status_name(st), ps_linx_event_name(ev));
    return ps_err_set(err, PS_ESTATE, "LINX_ILLEGAL_TRANSITION",
                      "LinX request %s: event %s is not allowed in status %s",
                      id, ps_linx_event_name(ev), ps_linx_status_name(st));
}
