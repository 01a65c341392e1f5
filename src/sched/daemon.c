/*
 * daemon.c -- the engine's main loop (daemon.h): intake over the spool,
 * then the due jobs, then sleep poll_seconds; a reload flag re-reads the
 * configuration between passes, a stop flag ends the loop at a chunk
 * boundary.
 *
 * Fails only as its passes do; a failed pass is logged and the next one
 * runs (the input stays in work/ and resumes).
 */
#include "sched/daemon.h"
#include "intake/seal.h"

#include <jansson.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/progress.h"
#include "sched/metrics.h"

/* The engine settings the spool configuration holds. */
static void engine_settings(struct ps_engine *eng,
                            const struct ps_spool_config *cfg)
{
    eng->max_attempts = cfg->provider_max_attempts;
    eng->payout_max_records = cfg->payout_max_records;
    ps_progress_set_log_interval((int64_t)cfg->progress_seconds * 1000);
}

/* The provider folders of the bound pairs (intake/channel.h), made at
 * engine start and after a reload; a failure is logged, not fatal (the
 * scan skips a missing folder). */
static void provider_dirs(struct ps_daemon *d)
{
    struct ps_businesses l;
    struct ps_err e;
    ps_err_clear(&e);
    if (ps_business_all(d->eng, &l, &e) != 0) {
        ps_log_err(PS_LOG_ERROR, "engine.provider_dirs_failed", &e, NULL);
        return;
    }
    for (size_t i = 0; i < l.n; i++)
        if (ps_channel_dirs(d->spool, d->cfg, l.v[i].name, &e) != 0)
            ps_log_err(PS_LOG_ERROR, "engine.provider_dirs_failed", &e, "{s:s}",
                       "business", l.v[i].name);
    ps_businesses_free(&l);
}

/* Reopen the log file (logrotate renamed it) and re-read the
 * configuration; a bad file is logged and the old one kept. */
static void reload(struct ps_daemon *d)
{
    struct ps_spool_config fresh = *d->cfg;
    struct ps_err e;
    ps_err_clear(&e);
    if (ps_log_reopen(&e) != 0) {
        ps_log_err(PS_LOG_ERROR, "engine.log_reopen_failed", &e, NULL);
        ps_err_clear(&e);
    }
    if (ps_spool_config_load(d->config_path, 1, &fresh, &e) == 0) {
        if (d->chunk > 0)
            fresh.chunk_records = d->chunk;
        *d->cfg = fresh;
        engine_settings(d->eng, d->cfg);
        provider_dirs(d);
        ps_log(PS_LOG_INFO, "engine.reloaded", "{s:s}", "config",
               d->config_path);
    } else {
        ps_log_err(PS_LOG_ERROR, "engine.reload_failed", &e, NULL);
    }
}

/* The due jobs; a failed run is logged, FAILED, and resumable.  *acted
 * says whether a run started or was skipped. */
static void jobs_tick(struct ps_daemon *d, int *acted)
{
    struct ps_err jerr;
    ps_err_clear(&jerr);
    d->jobs_failed = 0;
    if (ps_sched_tick(d->env, d->jobs, ps_clock_now_ms() / 1000,
                      PS_SCHED_MISFIRE_SECONDS, acted, &jerr) != 0) {
        /* One pass (--once): the caller reports job_err itself, and a
         * failed run was logged as job.failed already; a second line
         * saying the same would be one more line of cron's mail. */
        if (!d->once)
            ps_log_err(PS_LOG_ERROR, "scheduler.failed", &jerr, NULL);
        d->jobs_failed = 1;
        d->job_err = jerr;
    }
}

/* Seconds of the monotonic clock (metrics pacing, whatever the engine's
 * clock says). */
static int64_t mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

/* The metrics file is rewritten (with its fsync) after the first pass,
 * after a pass whose jobs ran or skipped something, and otherwise every
 * PS_METRICS_IDLE_SECONDS, so what it shows (the last scan, the intake
 * counters) is at most that old; not at every poll: its payment-file
 * query reads every item (about 2 s of CPU for 1,000,000 items).
 * *written is the monotonic time of the last write, -1 for never. */
#define PS_METRICS_IDLE_SECONDS 60
static void metrics_tick(struct ps_daemon *d, int changed, int64_t *written)
{
    struct ps_err e;
    int64_t now = mono_s();
    if (!changed && *written >= 0 &&
        now - *written < PS_METRICS_IDLE_SECONDS)
        return;
    ps_err_clear(&e);
    if (ps_sched_metrics(d->env, d->jobs, &e) != 0)
        ps_log_err(PS_LOG_ERROR, "scheduler.metrics_failed", &e, NULL);
    else
        *written = now;
}

int ps_daemon_run(struct ps_daemon *d, struct ps_err *err)
{
    struct ps_pipeline p;
    struct ps_spool_watch *watch = NULL;
    int rc, ready = 0;
    int64_t metrics_written = -1;

    memset(&d->stats, 0, sizeof(d->stats));
    d->started = 0;
    d->jobs_failed = 0;
    ps_err_clear(&d->job_err);
    if (d->chunk > 0)
        d->cfg->chunk_records = d->chunk;
    engine_settings(d->eng, d->cfg);
    /* Runs left RUNNING by a crash are FAILED now, and resumable. */
    if ((rc = ps_sched_recover(d->env, NULL, err)) != 0)
        return rc;
    provider_dirs(d);
    memset(&p, 0, sizeof(p));
    p.eng = d->eng;
    p.cfg = d->cfg;
    p.spool = d->spool;
    p.stop = d->stop;
    watch = ps_spool_watch_new();
    if (watch == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    ps_log(PS_LOG_INFO, "engine.started", "{s:s, s:b, s:i, s:I}", "spool",
           d->spool, "once", d->once, "pid", (int)getpid(), "chunk",
           (json_int_t)d->cfg->chunk_records);
    d->started = 1;
    for (;;) {
        if (*d->reload) {
            *d->reload = 0;
            reload(d);
        }
        int acted = 0;
        rc = d->jobs_only ? 0 : ps_pipeline_run_once(&p, watch, d->once, err);
        if (!d->jobs_only) { /* failed/ inputs encrypted after their days */
            struct ps_err se;
            ps_seal_failed_step(d->eng, d->spool, d->cfg);
            ps_err_clear(&se);
            if (ps_sched_scan_mark(d->spool, ps_clock_now_ms(), &se) != 0)
                ps_log_err(PS_LOG_ERROR, "engine.scan_mark_failed", &se,
                           NULL);
        }
        if (rc != 0 &&
            !(rc == PS_EBUSY && err->id == PS_CODE_INTERRUPTED)) {
            ps_log_err(PS_LOG_ERROR, "engine.failed", err, NULL);
            if (d->once)
                break;
            /* the daemon keeps going: the input stays in work/ */
        }
        /* A pass of --once is intake only unless the due jobs were asked
         * for: cron's `run --once` never fires a job by surprise. */
        if (d->jobs->n > 0 && !*d->stop &&
            (!d->once || d->jobs_due || d->jobs_only))
            jobs_tick(d, &acted);
        if (!*d->stop)
            metrics_tick(d, acted, &metrics_written);
        if (!ready && d->on_ready != NULL)
            d->on_ready(); /* the first scan is done */
        ready = 1;
        if (d->once || *d->stop)
            break;
        struct timespec ts = {d->cfg->poll_seconds, 0};
        /* The handlers are installed without SA_RESTART: a signal ends
         * the sleep early. */
        while (nanosleep(&ts, &ts) != 0 && !*d->stop && !*d->reload)
            ;
        if (*d->stop)
            break;
    }
    if (d->on_stopping != NULL)
        d->on_stopping();
    ps_log(PS_LOG_INFO, "engine.stopped", "{s:b, s:I, s:I}", "signalled",
           (int)*d->stop, "inputs", (json_int_t)p.stats.inputs, "records",
           (json_int_t)p.stats.records);
    d->stats = p.stats;
    ps_pipeline_release(&p);
    ps_spool_watch_free(watch);
    return rc;
}
