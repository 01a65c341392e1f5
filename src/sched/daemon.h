/*
 * daemon.h -- the engine's main loop: intake passes over the spool and
 * the due jobs, every poll_seconds until stopped, or once (for cron).
 *
 * The loop owns no process-wide state: the caller installs the signal
 * handlers and hands in the two flags they set (the CLI's cmd_run.c does),
 * so the loop runs the same under a test harness.
 */
#ifndef PS_DAEMON_H
#define PS_DAEMON_H

#include <signal.h>

#include "base/err.h"
#include "engine/engine.h"
#include "intake/pipeline.h"
#include "intake/spool.h"
#include "sched/scheduler.h"

struct ps_daemon {
    /* In, borrowed for the call. */
    struct ps_engine *eng;
    const char *spool;
    struct ps_spool_config *cfg; /* rewritten in place on a reload */
    const char *config_path;     /* what a reload reads */
    long chunk;                  /* > 0: records per chunk, kept across
                                  * reloads (--chunk); 0: the config's */
    struct ps_sched_env *env;    /* the scheduler's; env->cfg == cfg */
    struct ps_jobs *jobs;        /* may be empty: no jobs run */
    int once;                    /* one pass, then return */
    int jobs_due;                /* with once: fire the due jobs too (a
                                  * pass of once alone is intake only) */
    int jobs_only;               /* no intake, only the jobs (fires the
                                  * due jobs, once or not) */
    /* Set asynchronously (a signal handler): stop at the next chunk
     * boundary; re-read config_path before the next pass (the loop
     * clears it). */
    volatile sig_atomic_t *stop;
    volatile sig_atomic_t *reload;
    /* Optional, may be NULL: called once, after the first pass (the
     * service manager's READY), and when the loop ends (STOPPING). */
    void (*on_ready)(void);
    void (*on_stopping)(void);
    /* Out. */
    int started;               /* the loop ran: stats are meaningful */
    struct ps_run_stats stats; /* every intake pass, summed */
    int jobs_failed;           /* job runs that failed in the last tick */
    struct ps_err job_err;     /* the first of them (when jobs_failed) */
};

/*
 * Run the loop.  Runs a crash left RUNNING are marked FAILED first (the
 * caller holds the engine lock).  Returns the last intake pass's result:
 * 0; PS_EBUSY (rule INTERRUPTED) when *stop cut a chunk short (the input
 * resumes next time: a clean stop); or the error of a pass that failed
 * (logged; the daemon keeps going after one, --once returns it).  Job
 * failures are logged and recorded on their runs, never returned: the
 * last tick's first one is in job_err (jobs_failed > 0), for --once to
 * exit non-zero on.
 */
int ps_daemon_run(struct ps_daemon *d, struct ps_err *err);

#endif /* PS_DAEMON_H */
