/*
 * scheduler.c -- jobs, their runs, and the scheduler that fires them.
 *
 * The scheduler only schedules (Postfix's rule): each step is a call into
 * the engine that is exactly-once on its own (intake by content hash and
 * checkpoints, payouts by transaction status, reports and exports by
 * sequence), so resuming a failed run from its failed step, or a rerun,
 * never applies anything twice.
 *
 * Input steps split the inbound files by what they hold, so that a nightly
 * run applies rosters and status changes (intake) before disbursement
 * requests (disburse) and those before payroll results (recover),
 * whatever order they were uploaded in.  A file is classified by the CSV
 * layout its header row matches; anything else (archives, other formats)
 * is intake.
 *
 * How it fails: job files name file, line and key; a failing step leaves
 * its run FAILED with the error, resumable; the daemon's tick logs and
 * goes on with the other jobs.
 */
#include "sched/scheduler.h"
#include "outbound/achout.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/clock.h"
#include "formats/csv/csv.h"
#include "outbound/ewaexport.h"
#include "formats/format.h"
#include "formats/nacha/nacha.h"
#include "base/fsutil.h"
#include "base/id.h"
#include "base/inifile.h"
#include "base/log.h"
#include "outbound/payout.h"
#include "outbound/recon.h"
#include "outbound/smsout.h"
#include "outbound/events.h"
#include "outbound/webhook.h"
#include "engine/linxapi.h"
#include "intake/pipeline.h"

/* ---- steps ---------------------------------------------------------- */

struct step_ctx {
    const struct ps_sched_env *env;
    const struct ps_job *job;
    int64_t date; /* business date, days */
    struct ps_job_run *run;
};

enum input_class { IN_INTAKE, IN_DISBURSE, IN_RECOVER };

/*
 * A NACHA file's step by what it holds (ps_nacha_classify): entries to pay
 * out are disbursement requests; returns and notifications of change
 * answer earlier days' entries and go with intake.  -1 when the peek is
 * not NACHA.
 */
static int classify_nacha(const unsigned char *peek, size_t n)
{
    switch (ps_nacha_classify(peek, n)) {
    case PS_NACHA_CLASS_NONE:
        return -1;
    case PS_NACHA_CLASS_ENTRIES:
        return IN_DISBURSE;
    case PS_NACHA_CLASS_RETURNS:
    case PS_NACHA_CLASS_NOC:
        return IN_INTAKE;
    }
    return IN_INTAKE;
}

/* Which step takes an inbound file: by the CSV layout of its header, or
 * for NACHA by what its entries are. */
static int classify(const char *path)
{
    unsigned char peek[PS_FORMAT_PEEK];
    const struct ps_csv_layout *layout = NULL;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ssize_t n;
    if (fd < 0)
        return IN_INTAKE; /* let intake meet (and report) the problem */
    n = read(fd, peek, sizeof(peek));
    close(fd);
    int nacha = n > 0 ? classify_nacha(peek, (size_t)n) : -1;
    if (nacha >= 0)
        return nacha;
    if (n <= 0 || ps_csv_detect(peek, (size_t)n, &layout, NULL) <= 0 ||
        layout == NULL)
        return IN_INTAKE;
    if (strcmp(layout->kind, "ewa.disburse") == 0)
        return IN_DISBURSE;
    if (strcmp(layout->kind, "ewa.payroll") == 0)
        return IN_RECOVER;
    return IN_INTAKE;
}

static int want_class(void *ctx, const char *path, const char *name)
{
    (void)name;
    return classify(path) == *(const int *)ctx;
}

/* One pipeline pass taking the inbound files of one class. */
static int input_pass(struct step_ctx *x, int cls, struct ps_err *err)
{
    struct ps_pipeline p;
    struct ps_spool_watch *watch = ps_spool_watch_new();
    if (watch == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    memset(&p, 0, sizeof(p));
    p.eng = x->env->eng;
    p.cfg = x->env->cfg;
    p.spool = x->env->spool;
    p.stop = x->env->stop;
    p.want = want_class;
    p.want_ctx = &cls;
    int rc = ps_pipeline_run_once(&p, watch, 0, err);
    ps_pipeline_release(&p);
    ps_spool_watch_free(watch);
    x->run->records += p.stats.records;
    return rc;
}

static int step_intake(struct step_ctx *x, struct ps_err *err)
{
    return input_pass(x, IN_INTAKE, err);
}

static int step_disburse(struct step_ctx *x, struct ps_err *err)
{
    return input_pass(x, IN_DISBURSE, err);
}

static int step_recover(struct step_ctx *x, struct ps_err *err)
{
    return input_pass(x, IN_RECOVER, err);
}

/* Call fn for every active business, in the store's order. */
static int each_business(struct step_ctx *x,
                         int (*fn)(struct step_ctx *, const struct ps_business *,
                                   struct ps_err *),
                         struct ps_err *err)
{
    struct ps_businesses l;
    int rc = ps_business_all(x->env->eng, &l, err);
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        if (l.v[i].status != PS_STATUS_ACTIVE)
            continue;
        if (x->env->stop != NULL && *x->env->stop)
            rc = ps_err_set(err, PS_EBUSY, "INTERRUPTED",
                            "stopped before business %s", l.v[i].name);
        else
            rc = fn(x, &l.v[i], err);
    }
    ps_businesses_free(&l);
    return rc;
}

/* Disbursements per profile in the export's `payment` page, as the CLI's
 * default. */
#define EXPORT_PAGE 100

static int export_one(struct step_ctx *x, const struct ps_business *b,
                      struct ps_err *err)
{
    char path[1024];
    long count = 0;
    int rc = ps_ewaexport_write(x->env->eng, x->env->spool, b, EXPORT_PAGE,
                                path, sizeof(path), &count, err);
    if (rc == 0) {
        x->run->records += count;
        ps_log(PS_LOG_INFO, "job.export", "{s:s, s:s, s:I}", "business",
               b->name, "path", path, "profiles", (json_int_t)count);
    }
    return rc;
}

static int step_export(struct step_ctx *x, struct ps_err *err)
{
    return each_business(x, export_one, err);
}

static int payout_one(struct step_ctx *x, const struct ps_business *b,
                      struct ps_err *err)
{
    struct ps_payout_result res;
    int rc = ps_payout_run(x->env->eng, x->env->spool, b, x->date, &res, err);
    if (rc == 0) {
        x->run->records += res.records;
        x->run->amount += res.amount;
    }
    return rc;
}

static int step_payouts(struct step_ctx *x, struct ps_err *err)
{
    return each_business(x, payout_one, err);
}

static int cutoff_one(struct step_ctx *x, const struct ps_business *b,
                      struct ps_err *err)
{
    struct ps_ach_config ac;
    struct ps_ach_cutoff_result res;
    int rc = ps_ach_config_load(x->env->cfg->path, b->name, &ac, err);
    if (rc == 0)
        rc = ps_ach_cutoff(x->env->eng, x->env->spool, b, &ac, x->env->cal,
                           x->date, &res, err);
    if (rc == 0) {
        x->run->records += res.entries;
        x->run->amount += res.credit_total;
    }
    return rc;
}

/* The ACH cutoff: one NACHA file per business with ACH items. */
static int step_cutoff(struct step_ctx *x, struct ps_err *err)
{
    return each_business(x, cutoff_one, err);
}

/* A report whose trial balance is not zero is written, says so, and fails
 * the step (TRIAL_BALANCE_NOT_ZERO): the run is FAILED and alerts. */
static int recon_one(struct step_ctx *x, const struct ps_business *b,
                     struct ps_err *err)
{
    struct ps_recon_result res;
    int rc = ps_recon_run(x->env->eng, x->env->spool, b, x->date, x->env->cal,
                          &res, err);
    if (rc == 0)
        ps_log(PS_LOG_INFO, "job.reconciled", "{s:s, s:s, s:s}", "business",
               b->name, "report", res.csv_path, "summary", res.summary_path);
    return rc;
}

static int step_reconcile(struct step_ctx *x, struct ps_err *err)
{
    return each_business(x, recon_one, err);
}

/*
 * The business's events not yet in an events/ file (every customer,
 * account, LinX and transaction status event, however it was made),
 * written to outbound/<business>/events/, then the webhook deliveries
 * that are due.  Both the linx and the events step end with it.
 */
static int events_deliver(struct step_ctx *x, const struct ps_business *b,
                          int64_t now, long *events,
                          struct ps_webhook_result *hook, struct ps_err *err)
{
    int rc = ps_events_write(x->env->eng, x->env->spool, b, now, events, NULL,
                             0, err);
    if (rc == 0)
        rc = ps_webhook_deliver(x->env->eng, b, now,
                                ps_webhook_max_attempts(x->env->eng, b),
                                ps_webhook_timeout_ms(x->env->eng, b), hook,
                                err);
    return rc;
}

/* LinX: expire, remind, write the SMS and events files, deliver the
 * webhooks. */
static int linx_one(struct step_ctx *x, const struct ps_business *b,
                    struct ps_err *err)
{
    struct ps_linx_due_result due;
    struct ps_webhook_result hook = {0, 0, 0};
    char path[1100];
    long sms = 0, events = 0;
    int64_t now = ps_clock_now_ms();
    int rc = ps_linx_due(x->env->eng, b, now, &due, err);
    if (rc == 0)
        rc = ps_sms_write(x->env->eng, x->env->spool, b, now, &sms, path,
                          sizeof(path), err);
    if (rc == 0)
        rc = events_deliver(x, b, now, &events, &hook, err);
    if (rc == 0 && (sms > 0 || due.expired > 0 || events > 0 ||
                    hook.delivered + hook.failed + hook.dead > 0)) {
        x->run->records += sms;
        ps_log(PS_LOG_INFO, "job.linx",
               "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}",
               "business", b->name, "events", (json_int_t)events,
               "delivered", (json_int_t)hook.delivered, "retrying",
               (json_int_t)hook.failed, "dead", (json_int_t)hook.dead,
               "expired", (json_int_t)due.expired,
               "reminded", (json_int_t)due.reminded, "sms", (json_int_t)sms,
               "path", sms > 0 ? path : "");
    }
    return rc;
}

/* The events step: the SMS file (the customers' messages of the night's
 * LinX transaction status changes, and whatever else is pending), the
 * events/ file and webhooks (the nightly jobs' last step, so the night's
 * status events and SMS leave the same night).  Its events and SMS are
 * not the run's records: those count the inputs and payments. */
static int events_one(struct step_ctx *x, const struct ps_business *b,
                      struct ps_err *err)
{
    struct ps_webhook_result hook = {0, 0, 0};
    char path[1100];
    long events = 0, sms = 0;
    int64_t now = ps_clock_now_ms();
    int rc = ps_sms_write(x->env->eng, x->env->spool, b, now, &sms, path,
                          sizeof(path), err);
    if (rc == 0)
        rc = events_deliver(x, b, now, &events, &hook, err);
    if (rc == 0 && sms + events + hook.delivered + hook.failed + hook.dead > 0)
        ps_log(PS_LOG_INFO, "job.events", "{s:s, s:I, s:I, s:I, s:I, s:I, s:s}",
               "business", b->name, "events", (json_int_t)events,
               "delivered", (json_int_t)hook.delivered, "retrying",
               (json_int_t)hook.failed, "dead", (json_int_t)hook.dead, "sms",
               (json_int_t)sms, "path", sms > 0 ? path : "");
    return rc;
}

static int step_events(struct step_ctx *x, struct ps_err *err)
{
    return each_business(x, events_one, err);
}

static int step_linx(struct step_ctx *x, struct ps_err *err)
{
    return each_business(x, linx_one, err);
}

typedef int step_fn(struct step_ctx *x, struct ps_err *err);

static const struct step {
    const char *name;
    step_fn *fn;
} steps[] = {
    {"intake", step_intake},   {"disburse", step_disburse},
    {"cutoff", step_cutoff},   {"payouts", step_payouts},
    {"recover", step_recover},
    {"reconcile", step_reconcile}, {"export", step_export},
    {"linx", step_linx},       {"events", step_events},
};
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

static const struct step *find_step(const char *name)
{
    for (size_t i = 0; i < NSTEPS; i++)
        if (strcmp(steps[i].name, name) == 0)
            return &steps[i];
    return NULL;
}

/* ---- job files ------------------------------------------------------ */

struct jload {
    struct ps_job *job;
    int seen_section;
    unsigned have; /* bit per required key */
};

enum { HAVE_NAME = 1, HAVE_SCHEDULE = 2, HAVE_STEPS = 4 };

static int set_str(char *dst, size_t size, const char *v, const char *key,
                   struct ps_err *err)
{
    if (strlen(v) >= size)
        return ps_err_set(err, PS_ECONFIG, "JOB_VALUE_TOO_LONG",
                          "%s is longer than %zu characters", key, size - 1);
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static int valid_name(const char *v)
{
    if (v[0] == '\0')
        return 0;
    for (const char *c = v; *c != '\0'; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_'))
            return 0;
    return 1;
}

static int parse_steps(struct ps_job *j, const char *v, struct ps_err *err)
{
    char buf[512];
    char *save = NULL;
    if (set_str(buf, sizeof(buf), v, "steps", err) != 0)
        return PS_ECONFIG;
    j->nsteps = 0;
    for (char *t = strtok_r(buf, ", \t", &save); t != NULL;
         t = strtok_r(NULL, ", \t", &save)) {
        if (find_step(t) == NULL) {
            char known[256] = "";
            for (size_t i = 0; i < NSTEPS; i++) {
                strncat(known, i ? ", " : "",
                        sizeof(known) - strlen(known) - 1);
                strncat(known, steps[i].name,
                        sizeof(known) - strlen(known) - 1);
            }
            return ps_err_set(err, PS_ECONFIG, "JOB_UNKNOWN_STEP",
                              "unknown step '%s' (steps: %s)", t, known);
        }
        if (j->nsteps == PS_JOB_MAX_STEPS)
            return ps_err_set(err, PS_ECONFIG, "JOB_TOO_MANY_STEPS",
                              "at most %d steps", PS_JOB_MAX_STEPS);
        memcpy(j->steps[j->nsteps++], t, strlen(t) + 1);
    }
    if (j->nsteps == 0)
        return ps_err_set(err, PS_ECONFIG, "JOB_NO_STEPS",
                          "steps must name at least one step");
    return 0;
}

static int on_job_entry(void *user, const char *section, const char *key,
                        const char *v, int line, struct ps_err *err)
{
    struct jload *l = user;
    struct ps_job *j = l->job;
    (void)line;
    if (strcmp(section, "job") != 0)
        return ps_err_set(err, PS_ECONFIG, "JOB_SECTION",
                          "unknown section [%s]: a job file has one [job]",
                          section);
    l->seen_section = 1;
    if (strcmp(key, "name") == 0) {
        if (!valid_name(v) || strlen(v) >= sizeof(j->name))
            return ps_err_set(err, PS_ECONFIG, "JOB_NAME",
                              "name must be 1..%zu of a-z 0-9 - _",
                              sizeof(j->name) - 1);
        memcpy(j->name, v, strlen(v) + 1);
        l->have |= HAVE_NAME;
        return 0;
    }
    if (strcmp(key, "description") == 0)
        return set_str(j->description, sizeof(j->description), v, key, err);
    if (strcmp(key, "schedule") == 0) {
        struct ps_cron *c = NULL;
        int rc = set_str(j->schedule, sizeof(j->schedule), v, key, err);
        if (rc == 0 && (rc = ps_cron_parse(v, &c, err)) != 0) {
            err->code = PS_ECONFIG;
            return PS_ECONFIG;
        }
        if (rc != 0)
            return rc;
        ps_cron_free(j->cron);
        j->cron = c;
        l->have |= HAVE_SCHEDULE;
        return 0;
    }
    if (strcmp(key, "calendar") == 0) {
        if (strcmp(v, "banking-days") == 0)
            j->calendar = PS_JOB_BANKING_DAYS;
        else if (strcmp(v, "all-days") == 0)
            j->calendar = PS_JOB_ALL_DAYS;
        else
            return ps_err_set(err, PS_ECONFIG, "JOB_CALENDAR",
                              "calendar is banking-days or all-days, not '%s'",
                              v);
        return 0;
    }
    if (strcmp(key, "steps") == 0) {
        int rc = parse_steps(j, v, err);
        if (rc == 0)
            l->have |= HAVE_STEPS;
        return rc;
    }
    if (strcmp(key, "catch_up") == 0) {
        if (strcmp(v, "run") == 0)
            j->catch_up = PS_CATCH_UP_RUN;
        else if (strcmp(v, "skip") == 0)
            j->catch_up = PS_CATCH_UP_SKIP;
        else
            return ps_err_set(err, PS_ECONFIG, "JOB_CATCH_UP",
                              "catch_up is run or skip, not '%s'", v);
        return 0;
    }
    if (strcmp(key, "catch_up_days") == 0) {
        char *end;
        long n = strtol(v, &end, 10);
        if (v[0] == '\0' || *end != '\0' || n < 0 || n > 31)
            return ps_err_set(err, PS_ECONFIG, "JOB_CATCH_UP_DAYS",
                              "catch_up_days is 0..31, not '%s'", v);
        j->catch_up_days = (int)n;
        return 0;
    }
    if (strcmp(key, "after") == 0) {
        if (!valid_name(v) || strlen(v) >= sizeof(j->after))
            return ps_err_set(err, PS_ECONFIG, "JOB_AFTER",
                              "after names one job, not '%s'", v);
        memcpy(j->after, v, strlen(v) + 1);
        return 0;
    }
    return ps_err_set(err, PS_ECONFIG, "JOB_UNKNOWN_KEY",
                      "unknown key '%s' (name, description, schedule, "
                      "calendar, steps, catch_up, catch_up_days, after)",
                      key);
}

static int load_one(const char *path, struct ps_job *j, struct ps_err *err)
{
    struct jload l = {j, 0, 0};
    memset(j, 0, sizeof(*j));
    j->calendar = PS_JOB_BANKING_DAYS;
    j->catch_up = PS_CATCH_UP_RUN;
    j->catch_up_days = 3;
    snprintf(j->path, sizeof(j->path), "%s", path);
    int rc = ps_inifile_parse(path, on_job_entry, &l, err);
    if (rc != 0)
        return rc == PS_ENOTFOUND ? PS_EIO : rc;
    static const struct {
        unsigned bit;
        const char *key;
    } req[] = {{HAVE_NAME, "name"},
               {HAVE_SCHEDULE, "schedule"},
               {HAVE_STEPS, "steps"}};
    for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
        if (!(l.have & req[i].bit)) {
            ps_err_set(err, PS_ECONFIG, "JOB_MISSING_KEY",
                       "[job] needs %s = ...", req[i].key);
            ps_err_at(err, path, 0, -1);
            return ps_err_field(err, req[i].key);
        }
    return 0;
}

static int cmp_job(const void *a, const void *b)
{
    return strcmp(((const struct ps_job *)a)->name,
                  ((const struct ps_job *)b)->name);
}

/* A dependency chain longer than the number of jobs is a cycle. */
static int check_after(const struct ps_jobs *js, struct ps_err *err)
{
    for (size_t i = 0; i < js->n; i++) {
        const struct ps_job *j = &js->v[i];
        size_t hops = 0;
        if (j->after[0] != '\0' && ps_jobs_find(js, j->after) == NULL) {
            ps_err_set(err, PS_ECONFIG, "JOB_AFTER_UNKNOWN",
                       "job %s runs after %s, which is not a job", j->name,
                       j->after);
            ps_err_at(err, j->path, 0, -1);
            return ps_err_field(err, "after");
        }
        for (const struct ps_job *k = j; k != NULL && k->after[0] != '\0';
             k = ps_jobs_find(js, k->after))
            if (++hops > js->n) {
                ps_err_set(err, PS_ECONFIG, "JOB_AFTER_CYCLE",
                           "job %s depends on itself through 'after'",
                           j->name);
                ps_err_at(err, j->path, 0, -1);
                return ps_err_field(err, "after");
            }
    }
    return 0;
}

int ps_jobs_load(const char *dir, int required, struct ps_jobs *out,
                 struct ps_err *err)
{
    struct ps_jobs js = {NULL, 0};
    size_t cap = 0;
    int rc = 0;
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT && !required) {
            *out = js;
            return 0;
        }
        if (errno == ENOENT || errno == ENOTDIR)
            return ps_err_set(err, PS_ENOTFOUND, "JOBS_DIR_NOT_FOUND",
                              "the jobs folder %s does not exist", dir);
        return ps_err_set(err, PS_ECONFIG, "JOBS_DIR_UNREADABLE",
                          "cannot read the jobs folder %s: %s", dir,
                          strerror(errno));
    }
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        char path[sizeof(js.v[0].path)];
        if (e->d_name[0] == '.' || len < 5 ||
            strcmp(e->d_name + len - 4, ".job") != 0)
            continue;
        if (js.n == cap) {
            cap = cap != 0 ? cap * 2 : 8;
            struct ps_job *v = realloc(js.v, cap * sizeof(*v));
            if (v == NULL) {
                rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
                break;
            }
            js.v = v;
        }
        if (ps_pathf(path, sizeof(path), "%s/%s", dir, e->d_name) != 0) {
            rc = ps_err_set(err, PS_ECONFIG, "PATH_TOO_LONG",
                            "path too long: %s/%s", dir, e->d_name);
            break;
        }
        rc = load_one(path, &js.v[js.n], err);
        js.n++; /* even when failed: its cron is freed below */
    }
    closedir(d);
    if (rc == 0) {
        if (js.n > 1) /* qsort(NULL, 0) is undefined behaviour */
            qsort(js.v, js.n, sizeof(*js.v), cmp_job);
        for (size_t i = 1; rc == 0 && i < js.n; i++)
            if (strcmp(js.v[i - 1].name, js.v[i].name) == 0) {
                rc = ps_err_set(err, PS_ECONFIG, "JOB_DUPLICATE",
                                "job %s is defined in %s and %s",
                                js.v[i].name, js.v[i - 1].path, js.v[i].path);
                ps_err_at(err, js.v[i].path, 0, -1);
                ps_err_field(err, "name");
            }
    }
    if (rc == 0)
        rc = check_after(&js, err);
    if (rc != 0) {
        ps_jobs_free(&js);
        return rc;
    }
    *out = js;
    return 0;
}

void ps_jobs_free(struct ps_jobs *jobs)
{
    if (jobs == NULL)
        return;
    for (size_t i = 0; i < jobs->n; i++)
        ps_cron_free(jobs->v[i].cron);
    free(jobs->v);
    jobs->v = NULL;
    jobs->n = 0;
}

const struct ps_job *ps_jobs_find(const struct ps_jobs *jobs, const char *name)
{
    for (size_t i = 0; i < jobs->n; i++)
        if (strcmp(jobs->v[i].name, name) == 0)
            return &jobs->v[i];
    return NULL;
}

/* ---- runs ----------------------------------------------------------- */

static int run_day(const struct ps_sched_env *env, const struct ps_job *job,
                   int64_t day, const char **why)
{
    if (job->calendar == PS_JOB_ALL_DAYS)
        return 1;
    return ps_calendar_is_banking_day(env->cal, day, why);
}

/* The latest run of (job, date): 1 found, 0 none, < 0 error. */
static int latest(const struct ps_sched_env *env, const char *job,
                  const char *date, struct ps_job_run *r, struct ps_err *err)
{
    int rc = ps_store_job_run_latest(env->eng->store, job, date, r, err);
    if (rc == PS_ENOTFOUND) {
        ps_err_clear(err);
        return 0;
    }
    return rc == 0 ? 1 : rc;
}

static int step_index(const struct ps_job *job, const char *name)
{
    for (int i = 0; i < job->nsteps; i++)
        if (strcmp(job->steps[i], name) == 0)
            return i;
    return 0;
}

static int finish(const struct ps_sched_env *env, struct ps_job_run *r,
                  const char *status, const struct ps_err *why)
{
    struct ps_err e;
    char now[PS_TIME_SIZE];
    snprintf(r->status, sizeof(r->status), "%s", status);
    ps_time_now(now);
    snprintf(r->finished_at, sizeof(r->finished_at), "%s", now);
    if (why != NULL)
        ps_err_str(why, r->error, sizeof(r->error));
    ps_err_clear(&e);
    int rc = ps_store_job_run_update(env->eng->store, r, &e);
    if (rc != 0)
        ps_log_err(PS_LOG_ERROR, "job.update_failed", &e, "{s:s}", "job",
                   r->job);
    if (strcmp(status, "COMPLETED") == 0 &&
        ps_store_job_state_set(env->eng->store, r->job, NULL, now, &e) != 0)
        ps_log_err(PS_LOG_ERROR, "job.update_failed", &e, "{s:s}", "job",
                   r->job);
    return rc;
}

int ps_sched_run(const struct ps_sched_env *env, const struct ps_jobs *jobs,
                 const struct ps_job *job, int64_t business_date,
                 const struct ps_run_opts *opts, struct ps_job_run *out,
                 struct ps_err *err)
{
    static const struct ps_run_opts none = {0, NULL};
    struct ps_job_run prev, r;
    char date[PS_DATE_SIZE];
    const char *why = "";
    int start = 0, rc;
    if (opts == NULL)
        opts = &none;
    ps_date_format(business_date, date);
    if (opts->rerun && (opts->reason == NULL || opts->reason[0] == '\0'))
        return ps_err_set(err, PS_EINVAL, "RERUN_NEEDS_REASON",
                          "a rerun needs --reason: it is kept with the run");
    if (!run_day(env, job, business_date, &why))
        return ps_err_set(err, PS_ESTATE, "NOT_A_BANKING_DAY",
                          "job %s runs on banking days; %s is not one (%s)",
                          job->name, date, why);
    memset(&r, 0, sizeof(r));
    r.attempt = 1;
    if ((rc = latest(env, job->name, date, &prev, err)) < 0)
        return rc;
    if (rc == 1) {
        if (strcmp(prev.status, "RUNNING") == 0)
            return ps_err_set(err, PS_EBUSY, "RUN_IN_PROGRESS",
                              "job %s is already running for %s (pid %lld)",
                              job->name, date, (long long)prev.pid);
        if (strcmp(prev.status, "COMPLETED") == 0 && !opts->rerun)
            return ps_err_set(err, PS_ECONFLICT, "RUN_COMPLETED",
                              "job %s already completed for %s (attempt "
                              "%d, %s); use --rerun --reason TEXT to run it "
                              "again",
                              job->name, date, prev.attempt, prev.finished_at);
        r.attempt = prev.attempt + 1;
        if (strcmp(prev.status, "FAILED") == 0 && !opts->rerun)
            start = step_index(job, prev.step); /* resume */
    }
    if (job->after[0] != '\0') {
        const struct ps_job *dep = ps_jobs_find(jobs, job->after);
        struct ps_job_run d;
        int found = latest(env, job->after, date, &d, err);
        if (found < 0)
            return found;
        if (dep != NULL && (found == 0 || strcmp(d.status, "COMPLETED") != 0))
            return ps_err_set(err, PS_ESTATE, "DEPENDENCY_NOT_MET",
                              "job %s runs after %s, which has not completed "
                              "for %s (%s)",
                              job->name, job->after, date,
                              found ? d.status : "no run yet");
    }

    ps_id_new(r.id);
    snprintf(r.job, sizeof(r.job), "%s", job->name);
    snprintf(r.business_date, sizeof(r.business_date), "%s", date);
    snprintf(r.status, sizeof(r.status), "RUNNING");
    if (opts->rerun)
        snprintf(r.rerun_reason, sizeof(r.rerun_reason), "%s", opts->reason);
    snprintf(r.step, sizeof(r.step), "%s", job->steps[start]);
    r.pid = (int64_t)getpid();
    ps_time_now(r.started_at);
    if ((rc = ps_store_job_run_insert(env->eng->store, &r, err)) != 0)
        return rc;
    ps_log(PS_LOG_INFO, "job.started", "{s:s, s:s, s:i, s:s, s:s?}", "job",
           job->name, "business_date", date, "attempt", r.attempt, "from_step",
           r.step, "rerun_reason", opts->rerun ? opts->reason : NULL);

    struct step_ctx x = {env, job, business_date, &r};
    for (int i = start; i < job->nsteps; i++) {
        snprintf(r.step, sizeof(r.step), "%s", job->steps[i]);
        if ((rc = ps_store_job_run_update(env->eng->store, &r, err)) != 0)
            break;
        ps_log(PS_LOG_INFO, "job.step", "{s:s, s:s, s:s}", "job", job->name,
               "business_date", date, "step", r.step);
        if ((rc = find_step(r.step)->fn(&x, err)) != 0)
            break;
    }
    if (rc != 0) {
        finish(env, &r, "FAILED", err);
        ps_log_err(PS_LOG_ERROR, "job.failed", err, "{s:s, s:s, s:s}", "job",
                   job->name, "business_date", date, "step", r.step);
    } else {
        rc = finish(env, &r, "COMPLETED", NULL);
        ps_log(PS_LOG_INFO, "job.completed", "{s:s, s:s, s:I}", "job",
               job->name, "business_date", date, "records",
               (json_int_t)r.records);
    }
    if (out != NULL)
        *out = r;
    return rc;
}

int ps_sched_recover(const struct ps_sched_env *env, long *n,
                     struct ps_err *err)
{
    char now[PS_TIME_SIZE];
    long k = 0;
    int rc = ps_store_job_runs_crashed(env->eng->store, ps_time_now(now), &k,
                                       err);
    if (rc == 0 && k > 0)
        ps_log(PS_LOG_WARN, "job.crashed_runs", "{s:I}", "runs", (json_int_t)k);
    if (n != NULL)
        *n = k;
    return rc;
}

/* ---- the daemon's tick ---------------------------------------------- */

static int64_t parse_time_s(const char *s)
{
    int64_t ms;
    return ps_time_parse(s, &ms, NULL) == 0 ? ms / 1000 : -1;
}

static int save_fired(const struct ps_sched_env *env, const char *job,
                      int64_t t, struct ps_err *err)
{
    char at[PS_TIME_SIZE];
    return ps_store_job_state_set(env->eng->store, job,
                                  ps_time_format(t * 1000, at), NULL, err);
}

/* Record a missed business date as SKIPPED and raise the alert. */
static int skip_missed(const struct ps_sched_env *env, const struct ps_job *job,
                       const char *date, int attempt, int64_t fired,
                       struct ps_err *err)
{
    struct ps_job_run r;
    char when[32];
    memset(&r, 0, sizeof(r));
    ps_id_new(r.id);
    snprintf(r.job, sizeof(r.job), "%s", job->name);
    snprintf(r.business_date, sizeof(r.business_date), "%s", date);
    snprintf(r.status, sizeof(r.status), "SKIPPED");
    r.attempt = attempt;
    ps_cron_local_time(job->cron, fired, when);
    snprintf(r.error, sizeof(r.error),
             "missed: due at %s while the engine was down; catch_up=%s%s",
             when, job->catch_up == PS_CATCH_UP_RUN ? "run" : "skip",
             job->catch_up == PS_CATCH_UP_RUN ? " but past catch_up_days" : "");
    r.pid = (int64_t)getpid();
    ps_time_now(r.started_at);
    snprintf(r.finished_at, sizeof(r.finished_at), "%s", r.started_at);
    ps_log(PS_LOG_ERROR, "job.missed", "{s:s, s:s, s:s, s:s}", "job",
           job->name, "business_date", date, "due", when, "alert", r.error);
    return ps_store_job_run_insert(env->eng->store, &r, err);
}

/* Catch job up to now.  Returns 0, or the first error of a run. */
static int tick_job(const struct ps_sched_env *env, const struct ps_jobs *jobs,
                    const struct ps_job *job, int64_t now, int misfire,
                    int *acted, struct ps_err *err)
{
    char fired[PS_TIME_SIZE], success[PS_TIME_SIZE], today[11];
    int64_t t, today_day;
    int rc = ps_store_job_state(env->eng->store, job->name, fired, success,
                                err);
    if (rc == PS_ENOTFOUND || (rc == 0 && fired[0] == '\0')) {
        ps_err_clear(err);
        return save_fired(env, job->name, now, err); /* starts from now */
    }
    if (rc != 0)
        return rc;
    ps_cron_local_date(job->cron, now, today);
    if (ps_date_parse(today, &today_day, err) != 0)
        return PS_EINTERNAL;
    for (t = ps_cron_next(job->cron, parse_time_s(fired)); t >= 0 && t <= now;
         t = ps_cron_next(job->cron, t)) {
        char date[11];
        int64_t day;
        struct ps_job_run prev;
        if (env->stop != NULL && *env->stop)
            return 0;
        ps_cron_local_date(job->cron, t, date);
        if (ps_date_parse(date, &day, err) != 0)
            return PS_EINTERNAL;
        int found = run_day(env, job, day, NULL)
                        ? latest(env, job->name, date, &prev, err)
                        : 2; /* not a run day: nothing to do */
        if (found < 0)
            return found;
        /* A date with a run of any status is dealt with: a FAILED one
         * waits for an operator to resume it (`job run`). */
        if (found == 0) {
            *acted = 1;
            int late = now - t > misfire;
            int too_old = today_day - day > job->catch_up_days;
            if (late && (job->catch_up == PS_CATCH_UP_SKIP || too_old)) {
                if ((rc = skip_missed(env, job, date, 1, t, err)) != 0)
                    return rc;
            } else {
                rc = ps_sched_run(env, jobs, job, day, NULL, NULL, err);
                if (rc == PS_ESTATE &&
                    err->id == PS_CODE_DEPENDENCY_NOT_MET) {
                    if (!too_old)
                        return 0; /* wait for it: retried next tick */
                    if ((rc = skip_missed(env, job, date, 1, t, err)) != 0)
                        return rc;
                } else if (rc == PS_EBUSY) {
                    return 0; /* running elsewhere: try again later */
                } else if (rc != 0) {
                    /* FAILED and logged; an operator resumes it.  Move
                     * on so one bad date does not block the next. */
                    struct ps_err keep = *err;
                    if (save_fired(env, job->name, t, err) != 0)
                        return err->code;
                    *err = keep;
                    return rc;
                }
            }
        }
        if ((rc = save_fired(env, job->name, t, err)) != 0)
            return rc;
    }
    return 0;
}

int ps_sched_tick(const struct ps_sched_env *env, const struct ps_jobs *jobs,
                  int64_t now, int misfire_seconds, int *acted,
                  struct ps_err *err)
{
    struct ps_err first;
    int first_rc = 0, any = 0;
    ps_err_clear(&first);
    for (size_t i = 0; i < jobs->n; i++) {
        int rc = tick_job(env, jobs, &jobs->v[i], now, misfire_seconds, &any,
                          err);
        if (rc != 0 && first_rc == 0) {
            first_rc = rc;
            first = *err;
        }
    }
    if (acted != NULL)
        *acted = any;
    if (first_rc != 0)
        *err = first;
    return first_rc;
}

int64_t ps_sched_next_fire(const struct ps_sched_env *env,
                           const struct ps_job *job, int64_t now)
{
    int64_t t = now;
    for (int i = 0; i < 1000; i++) {
        char date[11];
        int64_t day;
        t = ps_cron_next(job->cron, t);
        if (t < 0)
            return -1;
        ps_cron_local_date(job->cron, t, date);
        if (ps_date_parse(date, &day, NULL) == 0 &&
            run_day(env, job, day, NULL))
            return t;
    }
    return -1;
}

