/*
 * job.c -- the store's side of the scheduler: job runs (one
 * per job, business date and attempt) and each job's last fired and
 * last successful times.
 *
 * How it fails: as every store function (store.h): PS_ENOTFOUND for a
 * missing row, PS_ECONFLICT for a UNIQUE violation, PS_EINVAL (rule
 * CONSTRAINT) for a CHECK or foreign key, PS_EBUSY, PS_ESTORE.
 * Inserting a run while the job has one RUNNING gives PS_EBUSY
 * (RUN_IN_PROGRESS).
 */
#include "store/store.h"
#include "store/store_int.h"

/* The columns read_job_run() reads, in its order. */
#define JOB_RUN_COLS                                                           \
    "id, job, business_date, status, attempt, ifnull(rerun_reason,''),"        \
    " ifnull(error,''), ifnull(step,''), records, amount, ifnull(pid,0),"      \
    " started_at, ifnull(finished_at,'')"

/* This file's statements; PS_SQ_AREA (store_int.h) gives each its
 * cached slot and defines prep(). */
#define JOB_STMTS(X)                                                           \
    X(JOB_RUN_LATEST, "SELECT " JOB_RUN_COLS " FROM job_runs"                  \
                      " WHERE job = ? AND business_date = ?"                   \
                      " ORDER BY attempt DESC LIMIT 1")                        \
    X(JOB_RUN_INSERT,                                                          \
      "INSERT INTO job_runs(id, job, business_date, status, attempt,"          \
      " rerun_reason, error, step, records, amount, pid, started_at,"          \
      " finished_at) VALUES (?,?,?,?,?,nullif(?,''),nullif(?,''),"             \
      " nullif(?,''),?,?,?,?,nullif(?,''))")                                   \
    X(JOB_RUN_UPDATE,                                                          \
      "UPDATE job_runs SET status = ?2, error = nullif(?3,''),"                \
      " step = nullif(?4,''), records = ?5, amount = ?6,"                      \
      " finished_at = nullif(?7,'') WHERE id = ?1")                            \
    X(JOB_RUN_CRASHED,                                                         \
      "UPDATE job_runs SET status = 'FAILED', finished_at = ?1,"               \
      " error = 'interrupted: the engine stopped during step '"                \
      " || ifnull(step,'?') || ' (process ' || ifnull(pid,'?') || ')'"         \
      " WHERE status = 'RUNNING'")                                             \
    X(JOB_RUN_LIST, "SELECT " JOB_RUN_COLS " FROM job_runs"                    \
                    " WHERE ?1 = '' OR job = ?1"                               \
                    " ORDER BY started_at DESC, attempt DESC LIMIT ?2")        \
    X(JOB_STATE_GET, "SELECT ifnull(last_fired,''), ifnull(last_success,'')"   \
                     " FROM job_state WHERE job = ?")                          \
    X(JOB_STATE_SET, "INSERT INTO job_state(job, last_fired, last_success)"    \
                     " VALUES (?1, nullif(?2,''), nullif(?3,''))"              \
                     " ON CONFLICT(job) DO UPDATE SET"                         \
                     " last_fired = ifnull(nullif(?2,''), last_fired),"        \
                     " last_success = ifnull(nullif(?3,''), last_success)")

PS_SQ_AREA(PS_SQ_AREA_JOB, JOB_STMTS)

static void read_job_run(sqlite3_stmt *st, struct ps_job_run *r)
{
    COL_STR(st, 0, r->id);
    COL_STR(st, 1, r->job);
    COL_STR(st, 2, r->business_date);
    COL_STR(st, 3, r->status);
    r->attempt = sqlite3_column_int(st, 4);
    COL_STR(st, 5, r->rerun_reason);
    COL_STR(st, 6, r->error);
    COL_STR(st, 7, r->step);
    r->records = sqlite3_column_int64(st, 8);
    r->amount = sqlite3_column_int64(st, 9);
    r->pid = sqlite3_column_int64(st, 10);
    COL_STR(st, 11, r->started_at);
    COL_STR(st, 12, r->finished_at);
}

int ps_store_job_run_latest(struct ps_store *s, const char *job,
                            const char *business_date, struct ps_job_run *out,
                            struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_JOB_RUN_LATEST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, job);
    BIND(st, 2, business_date);
    GET_ONE(s, st, "job run", err, read_job_run(st, out));
}

int ps_store_job_run_insert(struct ps_store *s, const struct ps_job_run *r,
                            struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_JOB_RUN_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, r->id);
    BIND(st, 2, r->job);
    BIND(st, 3, r->business_date);
    BIND(st, 4, r->status);
    BIND_INT(st, 5, r->attempt);
    BIND(st, 6, r->rerun_reason);
    BIND(st, 7, r->error);
    BIND(st, 8, r->step);
    BIND_INT(st, 9, r->records);
    BIND_INT(st, 10, r->amount);
    BIND_INT(st, 11, r->pid);
    BIND(st, 12, r->started_at);
    BIND(st, 13, r->finished_at);
    rc = ps_sq_exec_step(s, st, "insert job run", err);
    if (rc == PS_ECONFLICT)
        return ps_err_set(err, PS_EBUSY, "RUN_IN_PROGRESS",
                          "job %s already has a run in progress (or run %d "
                          "of %s exists)",
                          r->job, r->attempt, r->business_date);
    return rc;
}

int ps_store_job_run_update(struct ps_store *s, const struct ps_job_run *r,
                            struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_JOB_RUN_UPDATE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, r->id);
    BIND(st, 2, r->status);
    BIND(st, 3, r->error);
    BIND(st, 4, r->step);
    BIND_INT(st, 5, r->records);
    BIND_INT(st, 6, r->amount);
    BIND(st, 7, r->finished_at);
    return ps_sq_exec_step(s, st, "update job run", err);
}

int ps_store_job_runs_crashed(struct ps_store *s, const char *at, long *n,
                              struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_JOB_RUN_CRASHED, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, at);
    rc = ps_sq_exec_step(s, st, "mark crashed job runs", err);
    if (rc == 0 && n != NULL)
        *n = (long)sqlite3_changes(s->db);
    return rc;
}

int ps_store_job_run_list(struct ps_store *s, const char *job, long limit,
                          int (*cb)(void *, const struct ps_job_run *),
                          void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_JOB_RUN_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, job != NULL ? job : "");
    BIND_INT(st, 2, limit);
    FOR_EACH(s, st, "list job runs", err, struct ps_job_run, read_job_run, cb,
             ctx);
}

int ps_store_job_state(struct ps_store *s, const char *job,
                       char last_fired[PS_TIME_SIZE],
                       char last_success[PS_TIME_SIZE], struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_JOB_STATE_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, job);
    GET_ONE(s, st, "job state", err, {
        ps_sq_col_str(st, 0, last_fired, PS_TIME_SIZE);
        ps_sq_col_str(st, 1, last_success, PS_TIME_SIZE);
    });
}

int ps_store_job_state_set(struct ps_store *s, const char *job,
                           const char *last_fired, const char *last_success,
                           struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_JOB_STATE_SET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, job);
    BIND(st, 2, last_fired != NULL ? last_fired : "");
    BIND(st, 3, last_success != NULL ? last_success : "");
    return ps_sq_exec_step(s, st, "save job state", err);
}
