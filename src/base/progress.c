/*
 * progress.c -- records done of total, rate and ETA, on the terminal and
 * in the JSON log (see progress.h).
 *
 * The arithmetic is integer throughout (int64: counts, milliseconds, a
 * rate in units per second truncated, an ETA in milliseconds); a * b / c
 * is exact even where a * b passes 64 bits (muldiv()), and a result past
 * INT64_MAX saturates instead of wrapping.
 *
 * How it fails: it does not.  The terminal line is given to the display
 * the CLI installed (progress never writes to a descriptor itself); a
 * log event that cannot be built is dropped by the logger.
 */
#include "base/progress.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "base/clock.h"
#include "base/log.h"

static void (*display)(const char *line); /* the CLI's, or NULL */
static int line_drawn;                    /* a line is on the terminal */
static int64_t log_interval_ms = PS_PROGRESS_LOG_MS;

void ps_progress_set_display(void (*fn)(const char *line))
{
    ps_progress_hide();
    display = fn;
    /* A log line bound for the terminal clears the line first. */
    ps_log_set_stderr_hook(fn != NULL ? ps_progress_hide : NULL);
}

void ps_progress_set_log_interval(int64_t ms)
{
    log_interval_ms = ms >= 1 ? ms : PS_PROGRESS_LOG_MS;
}

/*
 * a * b / c for a, b >= 0 and c > 0, truncated, exact: when a * b does
 * not fit in 64 bits it is formed in two 64-bit halves and divided by
 * long division (128 steps; called a few times a second at most).  A
 * quotient past INT64_MAX saturates.
 */
static int64_t muldiv(int64_t a, int64_t b, int64_t c)
{
    if (a <= 0 || b <= 0 || c <= 0)
        return 0;
    if (a <= INT64_MAX / b)
        return a * b / c;
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b, uc = (uint64_t)c;
    uint64_t a_lo = ua & 0xffffffffu, a_hi = ua >> 32;
    uint64_t b_lo = ub & 0xffffffffu, b_hi = ub >> 32;
    uint64_t ll = a_lo * b_lo, lh = a_lo * b_hi, hl = a_hi * b_lo;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    uint64_t lo = (ll & 0xffffffffu) | (mid << 32);
    uint64_t hi = a_hi * b_hi + (lh >> 32) + (hl >> 32) + (mid >> 32);
    uint64_t rem = 0, q = 0;
    for (int i = 127; i >= 0; i--) {
        uint64_t bit = i >= 64 ? (hi >> (i - 64)) & 1u : (lo >> i) & 1u;
        rem = (rem << 1) | bit; /* rem < uc <= INT64_MAX: no carry out */
        if (rem >= uc) {
            rem -= uc;
            if (i >= 63)
                return INT64_MAX; /* the quotient needs bit 63 or more */
            q |= UINT64_C(1) << i;
        }
    }
    return (int64_t)q;
}

int64_t ps_progress_rate(const struct ps_progress *p, int64_t now_ms)
{
    int64_t elapsed = now_ms - p->start_ms;
    if (elapsed <= 0)
        return -1;
    return muldiv(p->done, 1000, elapsed);
}

int64_t ps_progress_eta_ms(const struct ps_progress *p, int64_t now_ms)
{
    int64_t elapsed = now_ms - p->start_ms;
    if (p->total <= 0 || p->done <= 0 || elapsed < 0)
        return -1;
    if (p->done >= p->total)
        return 0;
    /* the time the remaining units take at the average rate so far */
    return muldiv(p->total - p->done, elapsed, p->done);
}

/* n with thousands separators ("1,234,567") into buf (>= 27 bytes). */
static const char *grouped(int64_t n, char *buf, size_t size)
{
    char digits[24];
    int len = snprintf(digits, sizeof(digits), "%lld", (long long)n);
    size_t at = 0;
    int lead = digits[0] == '-' ? 1 : 0;
    for (int i = 0; i < len && at + 1 < size; i++) {
        if (i > lead && (len - i) % 3 == 0)
            buf[at++] = ',';
        if (at + 1 < size)
            buf[at++] = digits[i];
    }
    buf[at] = '\0';
    return buf;
}

/* A duration as "m:ss", or "h:mm:ss" from an hour up. */
static const char *duration(int64_t ms, char *buf, size_t size)
{
    int64_t s = ms / 1000;
    if (s >= 3600)
        snprintf(buf, size, "%lld:%02d:%02d", (long long)(s / 3600),
                 (int)(s / 60 % 60), (int)(s % 60));
    else
        snprintf(buf, size, "%d:%02d", (int)(s / 60), (int)(s % 60));
    return buf;
}

const char *ps_progress_format(const struct ps_progress *p, int64_t now_ms,
                               char *buf, size_t size)
{
    char done[32], total[40], rate[48], eta[48], pct[32], d[32];
    int64_t r = ps_progress_rate(p, now_ms);
    int64_t left = ps_progress_eta_ms(p, now_ms);

    if (r >= 0)
        snprintf(rate, sizeof(rate), ", %s/s", grouped(r, d, sizeof(d)));
    else
        snprintf(rate, sizeof(rate), ", -/s");
    eta[0] = pct[0] = total[0] = '\0';
    if (p->total > 0) {
        int64_t percent = muldiv(p->done, 100, p->total);
        snprintf(pct, sizeof(pct), " (%lld%%)",
                 (long long)(percent > 100 ? 100 : percent));
        snprintf(total, sizeof(total), " of ");
        grouped(p->total, total + 4, sizeof(total) - 4);
    }
    if (left >= 0)
        snprintf(eta, sizeof(eta), ", ETA %s", duration(left, d, sizeof(d)));
    snprintf(buf, size, "%s%s%s%s %s%s%s%s", p->what != NULL ? p->what : "",
             p->what != NULL ? ": " : "", grouped(p->done, done, sizeof(done)),
             total, p->unit, pct, rate, eta);
    return buf;
}

/*
 * One progress event in the JSON log; total and eta_seconds only when
 * known.  Plain integers only: a json_t argument ("o") would leak when
 * the logger drops the line below its level without packing it.
 */
static void log_event(struct ps_progress *p, int64_t now_ms)
{
    int64_t r = ps_progress_rate(p, now_ms);
    int64_t left = ps_progress_eta_ms(p, now_ms);
    json_int_t done = (json_int_t)p->done, total = (json_int_t)p->total;
    json_int_t elapsed = (json_int_t)(now_ms - p->start_ms);
    json_int_t rate = (json_int_t)(r > 0 ? r : 0);
    const char *what = p->what != NULL ? p->what : "";
    if (p->total > 0 && left >= 0)
        ps_log(PS_LOG_INFO, p->event,
               "{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "what", what, "unit",
               p->unit, "done", done, "total", total, "elapsed_ms", elapsed,
               "per_second", rate, "eta_seconds",
               (json_int_t)(left / 1000));
    else if (p->total > 0)
        ps_log(PS_LOG_INFO, p->event, "{s:s, s:s, s:I, s:I, s:I, s:I}",
               "what", what, "unit", p->unit, "done", done, "total", total,
               "elapsed_ms", elapsed, "per_second", rate);
    else
        ps_log(PS_LOG_INFO, p->event, "{s:s, s:s, s:I, s:I, s:I}", "what",
               what, "unit", p->unit, "done", done, "elapsed_ms", elapsed,
               "per_second", rate);
    p->logged++;
}

void ps_progress_begin(struct ps_progress *p, const char *event,
                       const char *what, const char *unit, int64_t total)
{
    memset(p, 0, sizeof(*p));
    p->event = event;
    p->what = what;
    p->unit = unit != NULL ? unit : "records";
    p->total = total > 0 ? total : 0;
    p->start_ms = ps_clock_now_ms();
    p->last_draw_ms = INT64_MIN; /* the first check draws */
    p->last_log_ms = p->start_ms;
    p->check_every = PS_PROGRESS_CHECK_EVERY;
    p->next_check = p->check_every;
    p->active = 1;
}

void ps_progress_check(struct ps_progress *p)
{
    char line[PS_PROGRESS_LINE];
    int64_t now = ps_clock_now_ms();

    p->next_check = p->done + (p->check_every > 0 ? p->check_every : 1);
    /* The event first: a logger writing to the terminal clears the line,
     * and the redraw below puts it back. */
    if (now - p->last_log_ms >= log_interval_ms) {
        log_event(p, now);
        p->last_log_ms = now;
        if (!line_drawn)
            p->last_draw_ms = INT64_MIN;
    }
    if (display != NULL && (p->last_draw_ms == INT64_MIN ||
                            now - p->last_draw_ms >= PS_PROGRESS_DRAW_MS)) {
        display(ps_progress_format(p, now, line, sizeof(line)));
        line_drawn = 1;
        p->last_draw_ms = now;
    }
}

void ps_progress_end(struct ps_progress *p)
{
    if (!p->active)
        return;
    p->active = 0;
    ps_progress_hide();
    /* A run of events gets its last one: the log shows where it ended. */
    if (p->logged > 0)
        log_event(p, ps_clock_now_ms());
}

void ps_progress_hide(void)
{
    if (line_drawn && display != NULL)
        display(NULL);
    line_drawn = 0;
}
