/*
 * scheduler.h -- jobs, their runs, and the scheduler that fires them.
 * (Not sched.h: that name is the system header <sched.h>, which
 * <pthread.h> includes and src/ on the include path would shadow.)
 *
 * A job (jobs/<name>.job, INI) is a schedule (cron in a time zone), a
 * calendar (banking days or all days), steps run in order, a catch-up
 * policy and an optional dependency:
 *
 *   [job]
 *   name        = nightly-ewa
 *   description = the nightly EWA cycle
 *   schedule    = CRON_TZ=America/New_York 0 22 * * 1-5
 *   calendar    = banking-days          ; or all-days
 *   steps       = intake, disburse, payouts, recover, reconcile, export
 *   catch_up    = run                   ; or skip (raise an alert instead)
 *   catch_up_days = 3                   ; missed dates older than this: skip
 *   after       = other-job             ; optional, same business date
 *
 * A run is (job, business date): the business date is the civil date of
 * the fire time in the job's zone.  A COMPLETED run is never repeated
 * unless asked (--rerun with a reason); a FAILED run (or one interrupted
 * by a crash, marked FAILED at start-up) is resumed from the step that
 * failed, as attempt n + 1.  Two runs of one job never overlap (a UNIQUE
 * index on RUNNING rows, and the engine lock around everything).
 */
#ifndef PS_SCHEDULER_H
#define PS_SCHEDULER_H

#include <signal.h>
#include <stdint.h>

#include "base/calendar.h"
#include "sched/cron.h"
#include "engine/engine.h"
#include "base/err.h"
#include "intake/spool.h"
#include "store/store.h"

#define PS_JOB_MAX_STEPS 12
#define PS_JOB_NAME_MAX 64
/* A fire found later than this (the engine was down) is a missed one. */
#define PS_SCHED_MISFIRE_SECONDS 300

enum ps_job_calendar { PS_JOB_BANKING_DAYS, PS_JOB_ALL_DAYS };
enum ps_job_catch_up { PS_CATCH_UP_RUN, PS_CATCH_UP_SKIP };

struct ps_job {
    char name[PS_JOB_NAME_MAX];
    char description[160];
    char path[1024]; /* the file it came from */
    char schedule[160];
    struct ps_cron *cron; /* owned */
    enum ps_job_calendar calendar;
    enum ps_job_catch_up catch_up;
    int catch_up_days; /* missed business dates older than this are skipped */
    int nsteps;
    char steps[PS_JOB_MAX_STEPS][24];
    char after[PS_JOB_NAME_MAX]; /* "" when none */
};

struct ps_jobs {
    struct ps_job *v; /* sorted by name */
    size_t n;
};

/*
 * Load every *.job file of dir.  Errors name the file, line and key:
 * unknown keys, a bad schedule, an unknown step, a duplicate name, a
 * dependency on an unknown job or a dependency cycle.  A missing dir is an
 * empty set, unless required (the operator named it): JOBS_DIR_NOT_FOUND
 * (PS_ENOTFOUND); a dir that cannot be read is JOBS_DIR_UNREADABLE
 * (PS_ECONFIG).  An empty dir is an empty set.
 */
int ps_jobs_load(const char *dir, int required, struct ps_jobs *out,
                 struct ps_err *err);
void ps_jobs_free(struct ps_jobs *jobs);
const struct ps_job *ps_jobs_find(const struct ps_jobs *jobs, const char *name);

/* What the steps work with.  Borrowed. */
struct ps_sched_env {
    struct ps_engine *eng;
    const char *spool;
    const struct ps_spool_config *cfg;
    const struct ps_calendar *cal;
    volatile sig_atomic_t *stop;
};

struct ps_run_opts {
    int rerun;          /* repeat a COMPLETED run */
    const char *reason; /* required with rerun */
};

/*
 * Run job for business_date (days since the epoch) now, resuming a failed
 * run.  out (may be NULL) gets the run row as it ended.  Errors:
 * RUN_COMPLETED (PS_ECONFLICT) without rerun, RERUN_NEEDS_REASON,
 * NOT_A_BANKING_DAY, DEPENDENCY_NOT_MET (PS_ESTATE), RUN_IN_PROGRESS
 * (PS_EBUSY), or the failing step's own error (the run is then FAILED and
 * resumable).
 */
int ps_sched_run(const struct ps_sched_env *env, const struct ps_jobs *jobs,
                 const struct ps_job *job, int64_t business_date,
                 const struct ps_run_opts *opts, struct ps_job_run *out,
                 struct ps_err *err);

/* At start-up under the engine lock: RUNNING runs were interrupted by a
 * crash; mark them FAILED (resumable).  *n gets how many. */
int ps_sched_recover(const struct ps_sched_env *env, long *n,
                     struct ps_err *err);

/*
 * The daemon's tick at now (unix seconds): for each job, every fire time
 * since it last fired is run, caught up or skipped per its policy.  A fire
 * more than misfire_seconds late is a missed one.  A job seen for the
 * first time starts from now (no back-fill).  Failing runs are logged and
 * do not stop the other jobs; the first error is returned.  *acted (may
 * be NULL) is set when a run was made or a date skipped.
 */
int ps_sched_tick(const struct ps_sched_env *env, const struct ps_jobs *jobs,
                  int64_t now, int misfire_seconds, int *acted,
                  struct ps_err *err);

/* The next fire time of job after now that lands on a run day, or -1. */
int64_t ps_sched_next_fire(const struct ps_sched_env *env,
                           const struct ps_job *job, int64_t now);

/* ps_sched_metrics(), the Prometheus textfile: sched/metrics.h. */

#endif /* PS_SCHEDULER_H */
