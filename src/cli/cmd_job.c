/*
 * cmd_job.c -- `payspool job list|status|run`: the scheduler's jobs and
 * their runs; and the JSON of jobs and runs that `status` shares.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/clock.h"
#include "base/money.h"
#include "cli/cli_int.h"
#include "sched/cron.h"
#include "sched/metrics.h"

json_t *cli_run_json(const struct ps_job_run *r)
{
    char amt[PS_MONEY_STRMAX];
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:i, s:s?, s:s?, s:s?, s:I, s:s, "
        "s:s, s:s?}",
        "id", r->id, "job", r->job, "businessDate", r->business_date, "status",
        r->status, "attempt", r->attempt, "step", r->step[0] ? r->step : NULL,
        "error", r->error[0] ? r->error : NULL, "rerunReason",
        r->rerun_reason[0] ? r->rerun_reason : NULL, "records",
        (json_int_t)r->records, "amount",
        ps_money_format(r->amount, 2, amt, sizeof(amt)), "startedAt",
        r->started_at, "finishedAt", r->finished_at[0] ? r->finished_at : NULL);
}

void cli_print_run(const struct ps_job_run *r)
{
    printf("%-16s %-10s %-9s %3d  %-9s %8lld  %s%s%s\n", r->job,
           r->business_date, r->status, r->attempt, r->step,
           (long long)r->records, r->started_at, r->error[0] ? "  " : "",
           r->error);
}

int cli_list_run(void *ctx, const struct ps_job_run *r)
{
    json_t *arr = ctx;
    if (arr != NULL)
        json_array_append_new(arr, cli_run_json(r));
    else
        cli_print_run(r);
    return 0;
}

json_t *cli_job_json(const struct ps_sched_env *env, const struct ps_job *j,
                     int64_t now)
{
    char next[32] = "";
    int64_t t = ps_sched_next_fire(env, j, now);
    json_t *steps = json_array();
    for (int i = 0; i < j->nsteps; i++)
        json_array_append_new(steps, json_string(j->steps[i]));
    if (t >= 0)
        ps_cron_local_time(j->cron, t, next);
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:s, s:i, s:s?, s:s?, s:s}", "name", j->name,
        "description", j->description, "schedule", j->schedule, "calendar",
        j->calendar == PS_JOB_BANKING_DAYS ? "banking-days" : "all-days",
        "steps", steps, "catchUp",
        j->catch_up == PS_CATCH_UP_RUN ? "run" : "skip", "catchUpDays",
        j->catch_up_days, "after", j->after[0] ? j->after : NULL, "nextRun",
        next[0] ? next : NULL, "file", j->path);
}

int cmd_job_list(struct cli_ctx *c, struct ps_err *err)
{
    int64_t now = ps_clock_now_ms() / 1000;
    json_t *arr = json_array();
    (void)err;
    for (size_t i = 0; i < c->jobs.n; i++) {
        json_t *o = cli_job_json(&c->env, &c->jobs.v[i], now);
        if (c->json)
            json_array_append_new(arr, o);
        else {
            const struct ps_job *j = &c->jobs.v[i];
            printf("%s  (%s)\n  schedule  %s, %s\n  steps    ", j->name,
                   j->path, j->schedule,
                   j->calendar == PS_JOB_BANKING_DAYS ? "banking days"
                                                      : "every day");
            for (int k = 0; k < j->nsteps; k++)
                printf(" %s", j->steps[k]);
            printf("\n  catch-up  %s (within %d days)%s%s\n  next run  %s\n",
                   j->catch_up == PS_CATCH_UP_RUN ? "run missed dates"
                                                  : "skip and alert",
                   j->catch_up_days, j->after[0] ? ", after " : "", j->after,
                   json_string_value(json_object_get(o, "nextRun"))
                       ? json_string_value(json_object_get(o, "nextRun"))
                       : "never");
            json_decref(o);
        }
    }
    if (c->json)
        cli_print_json(arr);
    json_decref(arr);
    return EX_OK;
}

/* job status [NAME]: the latest runs, newest first. */
int cmd_job_status(struct cli_ctx *c, struct ps_err *err)
{
    long limit;
    json_t *arr;
    if (cli_int_opt(c, "limit", 1, 100000, 20, &limit, err) != 0)
        return cli_fail(err);
    arr = c->json ? json_array() : NULL;
    if (!c->json)
        printf("%-16s %-10s %-9s %3s  %-9s %8s  %s\n", "JOB", "DATE", "STATUS",
               "TRY", "STEP", "RECORDS", "STARTED");
    if (ps_query_job_runs(c->eng, c->npos > 0 ? c->pos[0] : NULL, limit,
                          cli_list_run, arr, err) != 0) {
        json_decref(arr);
        return cli_fail(err);
    }
    if (arr != NULL) {
        cli_print_json(arr);
        json_decref(arr);
    }
    return EX_OK;
}

/* job run NAME [--date D] [--rerun --reason R]: one run now, under the
 * engine lock (the row takes it); runs a crash left RUNNING are FAILED
 * first. */
int cmd_job_run(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_run_opts o = {cli_opt(c, "rerun") != NULL, cli_opt(c, "reason")};
    struct ps_job_run r;
    const struct ps_job *j;
    int64_t day;
    int rc;
    if ((j = ps_jobs_find(&c->jobs, c->pos[0])) == NULL) {
        ps_err_set(err, PS_ENOTFOUND, "JOB_NOT_FOUND",
                   "no job named %s (see payspool job list)", c->pos[0]);
        return cli_fail(err);
    }
    if (cli_opt(c, "date") != NULL) {
        if (ps_date_parse(cli_opt(c, "date"), &day, err) != 0)
            return cli_fail(err);
    } else {
        char today[11];
        ps_cron_local_date(j->cron, ps_clock_now_ms() / 1000, today);
        ps_date_parse(today, &day, err);
    }
    if (ps_sched_recover(&c->env, NULL, err) != 0)
        return cli_fail(err);
    memset(&r, 0, sizeof(r));
    rc = ps_sched_run(&c->env, &c->jobs, j, day, &o, &r, err);
    if (rc == 0 || r.id[0] != '\0') {
        if (c->json) {
            json_t *rj = cli_run_json(&r);
            cli_print_json(rj);
            json_decref(rj);
        } else
            cli_print_run(&r);
    }
    ps_sched_metrics(&c->env, &c->jobs, NULL);
    return rc == 0 ? EX_OK : cli_fail(err);
}
