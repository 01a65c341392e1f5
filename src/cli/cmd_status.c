/*
 * cmd_status.c -- `payspool status` (last and next runs, backlog,
 * failures) and `payspool health` (the same, as an exit status: 0
 * healthy, 69 not; a scan older than [health] max_scan_age is said on
 * stderr).
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "base/clock.h"
#include "base/fsutil.h"
#include "cli/cli_int.h"
#include "intake/spool.h"
#include "sched/metrics.h"


struct health {
    int failed, overdue;
    json_t *failures;
};

/* The status of every job: its latest run and next fire.  Fills h. */
static json_t *jobs_status(struct cli_ctx *c, int64_t now, struct health *h,
                           struct ps_err *err)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < c->jobs.n; i++) {
        const struct ps_job *j = &c->jobs.v[i];
        json_t *runs = json_array();
        json_t *o = cli_job_json(&c->env, j, now);
        char fired[PS_TIME_SIZE] = "", success[PS_TIME_SIZE] = "";
        if (ps_query_job_runs(c->eng, j->name, 1, cli_list_run, runs, err) !=
            0) {
            json_decref(runs);
            json_decref(o);
            json_decref(arr);
            return NULL;
        }
        ps_query_job_state(c->eng, j->name, fired, success, NULL);
        json_t *last = json_array_get(runs, 0);
        if (last != NULL) {
            const char *st = json_string_value(json_object_get(last, "status"));
            if (strcmp(st, "FAILED") == 0 || strcmp(st, "SKIPPED") == 0) {
                h->failed++;
                json_array_append(h->failures, last);
            }
            json_object_set(o, "lastRun", last);
        } else
            json_object_set_new(o, "lastRun", json_null());
        /* Overdue: a fire time that has passed more than 15 minutes ago
         * without the daemon recording it. */
        int64_t lf = 0;
        json_object_set_new(o, "overdue", json_false());
        if (fired[0] != '\0' && ps_time_parse(fired, &lf, NULL) == 0) {
            int64_t due = ps_sched_next_fire(&c->env, j, lf / 1000);
            if (due >= 0 && now - due > 900) {
                h->overdue++;
                json_object_set_new(o, "overdue", json_true());
            }
        }
        json_object_set_new(o, "lastSuccess",
                            success[0] ? json_string(success) : json_null());
        json_decref(runs);
        json_array_append_new(arr, o);
    }
    return arr;
}

int cmd_status(struct cli_ctx *c, struct ps_err *err)
{
    struct health h = {0, 0, json_array()};
    char dir[CLI_PATH];
    int64_t now = ps_clock_now_ms() / 1000;
    json_t *jobs = jobs_status(c, now, &h, err);
    if (jobs == NULL) {
        json_decref(h.failures);
        return cli_fail(err);
    }
    ps_pathf(dir, sizeof(dir), "%s/inbound", c->spool);
    long inbound = ps_spool_count_inputs(dir, 1);
    /* providers/<p>/inbound/<b>/NAME: the providers' answers waiting */
    ps_pathf(dir, sizeof(dir), "%s/providers", c->spool);
    long answers = ps_spool_count_inputs(dir, 3);
    ps_pathf(dir, sizeof(dir), "%s/work", c->spool);
    long work = ps_spool_count_inputs(dir, 2);
    ps_pathf(dir, sizeof(dir), "%s/failed", c->spool);
    long failed_files = ps_spool_count_inputs(dir, 1);
    json_t *o =
        json_pack("{s:o, s:{s:I, s:I, s:I, s:I}, s:o, s:b}", "jobs", jobs,
                  "spool", "inbound", (json_int_t)inbound, "providerInbound",
                  (json_int_t)answers, "inProgress", (json_int_t)work,
                  "failedInputs", (json_int_t)failed_files, "failures",
                  h.failures, "healthy", h.failed == 0 && h.overdue == 0);
    if (c->json)
        cli_print_json(o);
    else {
        size_t i;
        json_t *j;
        printf("spool     %s\nbacklog   %ld waiting in inbound, %ld in "
               "providers' folders, %ld in progress, %ld in failed/\n",
               c->spool, inbound, answers, work, failed_files);
        json_array_foreach(jobs, i, j)
        {
            json_t *last = json_object_get(j, "lastRun");
            const char *next = json_string_value(json_object_get(j, "nextRun"));
            printf("job       %s: ",
                   json_string_value(json_object_get(j, "name")));
            if (json_is_object(last))
                printf("last %s %s (attempt %lld)",
                       json_string_value(json_object_get(last, "businessDate")),
                       json_string_value(json_object_get(last, "status")),
                       (long long)json_integer_value(
                           json_object_get(last, "attempt")));
            else
                printf("never run");
            printf(", next %s%s\n", next ? next : "never",
                   json_is_true(json_object_get(j, "overdue")) ? " (OVERDUE)"
                                                               : "");
        }
        json_array_foreach(h.failures, i, j)
            printf("FAILED    %s %s: %s\n",
                   json_string_value(json_object_get(j, "job")),
                   json_string_value(json_object_get(j, "businessDate")),
                   json_string_value(json_object_get(j, "error")));
    }
    json_decref(o);
    return EX_OK;
}

/*
 * [health] max_scan_age (seconds, 0: not checked): the last scan of the
 * spool (the daemon's or `run --once`'s heartbeat, sched/metrics.h) must
 * be at most that old on the engine's clock.  1 when fresh; else 0 with
 * why (the last scan time, its age and the limit) in why[size].
 */
static int scan_fresh(struct cli_ctx *c, int64_t now_ms, char *why,
                      size_t size)
{
    int limit = c->cfg.health_max_scan_age;
    char at[PS_TIME_SIZE];
    int64_t last;
    long pid;
    struct ps_err e;
    if (limit <= 0)
        return 1;
    ps_err_clear(&e);
    if (ps_sched_scan_read(c->spool, &last, &pid, &e) == 0) {
        if ((now_ms - last) / 1000 <= limit)
            return 1;
        ps_err_set(&e, PS_ESTATE, "SCAN_TOO_OLD",
                   "the spool was last scanned at %s (process %ld), %lld s "
                   "ago, over the limit of %d s",
                   ps_time_format(last, at), pid,
                   (long long)((now_ms - last) / 1000), limit);
    }
    snprintf(why, size, "%s [%s]; limit %d s ([health] max_scan_age)",
             e.msg, e.rule, limit);
    return 0;
}

/*
 * health's verdict under --json, on stdout:
 *   {"healthy": bool, "reasons": [sentence...], "failures": [run...],
 *    "overdue": [job name...]}
 * reasons says why in words (empty when healthy).  Takes failures.
 */
static void print_health(int healthy, json_t *reasons, json_t *failures,
                         json_t *overdue)
{
    json_t *o = json_pack("{s:b, s:o, s:o, s:o}", "healthy", healthy,
                          "reasons", reasons, "failures", failures, "overdue",
                          overdue);
    cli_print_json(o);
    json_decref(o);
}

int cli_health_unavailable(struct cli_ctx *c, const struct ps_err *err)
{
    char buf[1024];
    if (c->json)
        print_health(0,
                     json_pack("[s]", ps_err_str(err, buf, sizeof(buf))),
                     json_array(), json_array());
    return EX_UNAVAILABLE;
}

/* Exit status: 0 healthy; 69 (unavailable) when the database cannot be
 * read, a job's latest run failed or was skipped, a job is overdue, or
 * the last scan is older than [health] max_scan_age.  The last says why
 * on stderr; under --json every reason is in the verdict on stdout. */
int cmd_health(struct cli_ctx *c, struct ps_err *err)
{
    struct health h = {0, 0, json_array()};
    int healthy;
    int64_t now = ps_clock_now_ms();
    char why[PS_ERR_MSG_MAX + 128];
    json_t *jobs = jobs_status(c, now / 1000, &h, err);
    int fresh = scan_fresh(c, now, why, sizeof(why));
    healthy = jobs != NULL && h.failed == 0 && h.overdue == 0 && fresh;
    if (!fresh && !c->json)
        fprintf(stderr, "payspool health: %s\n", why);
    if (c->json) {
        json_t *reasons = json_array(), *overdue = json_array(), *v;
        char buf[1024];
        size_t i;
        if (jobs == NULL)
            json_array_append_new(
                reasons, json_string(ps_err_str(err, buf, sizeof(buf))));
        if (!fresh)
            json_array_append_new(reasons, json_string(why));
        json_array_foreach(h.failures, i, v)
        {
            snprintf(buf, sizeof(buf), "job %s: the run of %s is %s%s%s",
                     json_string_value(json_object_get(v, "job")),
                     json_string_value(json_object_get(v, "businessDate")),
                     json_string_value(json_object_get(v, "status")),
                     json_is_string(json_object_get(v, "error")) ? ": " : "",
                     json_is_string(json_object_get(v, "error"))
                         ? json_string_value(json_object_get(v, "error"))
                         : "");
            json_array_append_new(reasons, json_string(buf));
        }
        json_array_foreach(jobs, i, v)
        {
            const char *name = json_string_value(json_object_get(v, "name"));
            if (!json_is_true(json_object_get(v, "overdue")))
                continue;
            json_array_append_new(overdue, json_string(name));
            snprintf(buf, sizeof(buf),
                     "job %s is overdue: a fire time passed more than 15 "
                     "minutes ago without a run",
                     name);
            json_array_append_new(reasons, json_string(buf));
        }
        print_health(healthy, reasons, json_incref(h.failures), overdue);
    }
    json_decref(jobs);
    json_decref(h.failures);
    return healthy ? EX_OK : EX_UNAVAILABLE;
}
