/*
 * progress.h -- how far long work has got: records done of total, rate,
 * ETA.
 *
 * The worker (intake of a document, a payout file, a reconciliation
 * report, an export) keeps a struct ps_progress on its stack:
 *
 *   struct ps_progress pg;
 *   ps_progress_begin(&pg, "payout.progress", "payouts acme", "records", n);
 *   for (...) { ...; ps_progress_step(&pg, 1); }
 *   ps_progress_end(&pg);
 *
 * Two things may come of it, both driven by the clock (ps_clock_now_ms(),
 * so PAYSPOOL_NOW drives it in tests), read only every check_every
 * records so a step costs an addition and a comparison:
 *   - a line on the terminal, redrawn in place at most every
 *     PS_PROGRESS_DRAW_MS, cleared by ps_progress_end().  Only when a
 *     display is installed (ps_progress_set_display): the CLI installs one
 *     when stderr is a terminal, so cron, systemd and pipes never see it;
 *   - a progress event in the JSON log, at info level, every log interval
 *     (default 5 s, [log] progress_seconds), whatever the terminal.
 *
 * Nothing here fails: progress is advice.  The state behind the display
 * (is a line drawn, the intervals) is global, like the logger's: one
 * thread.
 */
#ifndef PS_PROGRESS_H
#define PS_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#define PS_PROGRESS_DRAW_MS 250         /* terminal redraws at most 4/s */
#define PS_PROGRESS_LOG_MS 5000         /* default log interval */
#define PS_PROGRESS_CHECK_EVERY 64      /* records between clock reads */
#define PS_PROGRESS_LINE 160            /* a formatted line, NUL included */

struct ps_progress {
    const char *event; /* log event ("document.progress"); borrowed */
    const char *what;  /* "intake acme/pay.txt"; borrowed, may be NULL */
    const char *unit;  /* "records", "rows", "profiles"; borrowed */
    int64_t total;     /* units expected; 0 when not known */
    int64_t done;      /* units done so far */
    int64_t start_ms;  /* ps_clock_now_ms() at begin */
    int64_t last_draw_ms; /* last terminal redraw; < start_ms: none yet */
    int64_t last_log_ms;  /* last log event (or begin) */
    int64_t next_check;   /* read the clock when done reaches this */
    int64_t check_every;  /* units between clock reads (>= 1) */
    int logged;           /* progress events written */
    int active;           /* between begin and end */
};

/*
 * The terminal's sink: called with a line to draw in place of the last
 * one, or with NULL to clear it.  NULL (the default) draws nothing.
 */
void ps_progress_set_display(void (*fn)(const char *line));

/* Log interval in ms (>= 1; default PS_PROGRESS_LOG_MS). */
void ps_progress_set_log_interval(int64_t ms);

/* Start: event, what and unit as above, total 0 when unknown.  Reads the
 * clock once. */
void ps_progress_begin(struct ps_progress *p, const char *event,
                       const char *what, const char *unit, int64_t total);

/* The part of ps_progress_step that reads the clock (progress.c). */
void ps_progress_check(struct ps_progress *p);

/* n more units done.  Cheap: the clock is read every check_every units. */
static inline void ps_progress_step(struct ps_progress *p, int64_t n)
{
    p->done += n;
    if (p->active && p->done >= p->next_check)
        ps_progress_check(p);
}

/* Done: clear the terminal's line if one is drawn.  Safe on a struct
 * that was zeroed and never begun, and twice. */
void ps_progress_end(struct ps_progress *p);

/* Clear the terminal's line now, if one is drawn (the logger calls this
 * before it writes to stderr; the CLI before it prints an error).  The
 * next check draws it again. */
void ps_progress_hide(void);

/* Units per second at now_ms (int64, truncated); -1 when no time has
 * passed yet. */
int64_t ps_progress_rate(const struct ps_progress *p, int64_t now_ms);

/* Milliseconds left at the rate so far; -1 when unknown (no total, or
 * nothing done yet).  Saturates at INT64_MAX rather than overflow. */
int64_t ps_progress_eta_ms(const struct ps_progress *p, int64_t now_ms);

/*
 * The terminal line at now_ms into buf:
 *   "intake acme/pay.txt: 12,345 of 200,000 records (6%), 8,120/s, ETA 0:23"
 * or, without a total, "export acme: 1,200 profiles, 400/s".  Returns buf.
 */
const char *ps_progress_format(const struct ps_progress *p, int64_t now_ms,
                               char *buf, size_t size);

#endif /* PS_PROGRESS_H */
