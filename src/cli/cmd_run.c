/*
 * cmd_run.c -- `payspool run [--once]`: the engine over the spool, intake
 * and the due jobs, as a daemon or one pass for cron.  The row takes the
 * engine lock; SIGTERM/SIGINT stop at a chunk boundary, SIGHUP reopens
 * the log file and reloads the configuration.  The daemon tells systemd
 * (sd_notify) when it is ready and when it stops.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli/cli_int.h"
#include "intake/pipeline.h"
#include "sched/daemon.h"

static void on_stop(int sig)
{
    (void)sig;
    cli_stop_requested = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    cli_reload_requested = 1;
}

/* systemd's Type=notify (docs/systemd/payspool.service): READY=1 once
 * the first scan is done, STOPPING=1 when the loop ends.  sd_notify does
 * nothing without NOTIFY_SOCKET (not under systemd, or --once). */
static void notify_ready(void)
{
    sd_notifyf(0, "READY=1\nSTATUS=scanning\nMAINPID=%ld", (long)getpid());
}

static void notify_stopping(void)
{
    sd_notify(0, "STOPPING=1");
}

static void print_stats(const struct cli_ctx *c, const struct ps_run_stats *st)
{
    if (c->json) {
        json_t *o = json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "inputs",
            (json_int_t)st->inputs, "documents", (json_int_t)st->documents,
            "rejectedDocuments", (json_int_t)st->rejected_docs,
            "duplicateInputs", (json_int_t)st->duplicate_inputs, "failedInputs",
            (json_int_t)st->failed_inputs, "records", (json_int_t)st->records,
            "accepted", (json_int_t)st->accepted, "rejected",
            (json_int_t)st->rejected, "duplicates", (json_int_t)st->duplicates);
        cli_print_json(o);
        json_decref(o);
        return;
    }
    /* One line: cron mails whatever a pass prints, and a clean pass is
     * worth one line of mail at most. */
    printf("inputs %ld, documents %ld (%ld rejected whole), duplicate inputs "
           "%ld, moved to failed/ %ld; records %ld: %ld accepted, %ld "
           "rejected, %ld duplicate\n",
           st->inputs, st->documents, st->rejected_docs, st->duplicate_inputs,
           st->failed_inputs, st->records, st->accepted, st->rejected,
           st->duplicates);
}

/*
 * run [--once [--jobs-due]] [--chunk N] [--jobs-only]: the row has set up
 * the configuration, calendar, jobs, engine (with keys) and the engine
 * lock; this installs the signal handlers and runs the loop
 * (sched/daemon.c).  The handlers stay here because they are
 * process-wide: the loop only reads the flags they set.
 *
 * Exit: the failed intake pass's status; else, when a due job's run
 * failed in this pass, that failure's status (the one `job run` gives for
 * it: 74 for I/O, 78 for configuration, 65 for data...); else 65 when an
 * input was rejected whole, a duplicate or moved to failed/; else 0.
 */
int cmd_run(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_daemon d;
    struct sigaction sa;
    long chunk;
    int rc;

    if (cli_int_opt(c, "chunk", 1, 1000000, c->cfg.chunk_records, &chunk,
                    err) != 0)
        return cli_fail(err);
    if (cli_opt(c, "jobs-due") != NULL && cli_opt(c, "once") == NULL)
        return cli_usage_error(c, "--jobs-due goes with --once (the daemon "
                                  "always fires the due jobs)");
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop; /* no SA_RESTART: sleeps end early */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);

    memset(&d, 0, sizeof(d));
    d.eng = c->eng;
    d.spool = c->spool;
    d.cfg = &c->cfg;
    d.config_path = c->config;
    d.chunk = cli_opt(c, "chunk") != NULL ? chunk : 0;
    d.env = &c->env;
    d.jobs = &c->jobs;
    d.once = cli_opt(c, "once") != NULL;
    d.jobs_due = cli_opt(c, "jobs-due") != NULL;
    d.jobs_only = cli_opt(c, "jobs-only") != NULL;
    d.stop = &cli_stop_requested;
    d.reload = &cli_reload_requested;
    if (!d.once) {
        d.on_ready = notify_ready;
        d.on_stopping = notify_stopping;
    }
    rc = ps_daemon_run(&d, err);
    if (!d.started)
        return cli_fail(err); /* recovery failed: no pass ran */
    print_stats(c, &d.stats);
    if (rc == PS_EBUSY && err->id == PS_CODE_INTERRUPTED)
        rc = 0; /* stopped cleanly at a chunk boundary */
    if (rc != 0)
        return cli_fail(err);
    if (d.jobs_failed > 0) {
        if (!c->json) /* the error object below is the job's error */
            fprintf(stderr, "payspool: a due job failed (its run is FAILED; "
                            "see payspool job status, resume with job "
                            "run)\n");
        return cli_fail(&d.job_err);
    }
    if (d.stats.rejected_docs > 0 || d.stats.duplicate_inputs > 0 ||
        d.stats.failed_inputs > 0)
        return EX_DATAERR;
    return EX_OK;
}
