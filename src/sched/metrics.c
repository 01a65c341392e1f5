/*
 * metrics.c -- the Prometheus textfile and the scan heartbeat
 * (metrics.h).  Each metric family is one row of the table below (name,
 * type, help); its samples are gathered in a memory stream of its own
 * while the store's queries run (store/metrics.c), then every family is
 * written in the table's order, HELP and TYPE first, into a temporary
 * file that is synced and renamed over the last one.
 *
 * Counters (_total) only ever grow: intake counts files in a final
 * status only (APPLIED, REJECTED, DUPLICATE), not the ones still
 * RECEIVED or PROCESSING (those are the backlog).  Amounts are minor
 * units of the currency in their `currency` label, never added across
 * currencies.  Ratios are written from integers (no float arithmetic).
 *
 * How it fails: see metrics.h; a textfile that cannot be written leaves
 * the last one in place.
 */
#include "sched/metrics.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "intake/spool.h"
#include "outbound/reconstate.h"
#include "store/metrics.h"

enum fam_id {
    F_SCAN,
    F_BACKLOG,
    F_BACKLOG_ANSWERS,
    F_INTAKE_FILES,
    F_INTAKE_RECORDS,
    F_INTAKE_AMOUNT,
    F_PAYOUT_FILES,
    F_PAYOUT_ITEMS,
    F_PAYOUT_AMOUNT,
    F_ANSWERS,
    F_ANSWER_AMOUNT,
    F_JOB_SUCCESS,
    F_JOB_RUNS,
    F_JOB_RECORDS,
    F_JOB_AMOUNT,
    F_JOB_OK,
    F_RECON_TIME,
    F_RECON_TRIAL_OK,
    F_RECON_TRIAL,
    F_RECON_UNMATCHED,
    F_RECON_LATE,
    F_RECON_FILES,
    F_RECON_RATE,
    F_RECON_THRESHOLD,
    F_RECON_RATE_OVER,
    F_N
};

static const struct family {
    const char *name, *type, *help;
} families[F_N] = {
    [F_SCAN] = {"payspool_last_scan_timestamp_seconds", "gauge",
                "Unix time of the last finished scan of the spool."},
    [F_BACKLOG] = {"payspool_backlog_files", "gauge",
                   "Input files per business waiting in inbound/, in "
                   "progress in work/, or in failed/."},
    [F_BACKLOG_ANSWERS] = {"payspool_backlog_answer_files", "gauge",
                           "Provider answer files waiting in "
                           "providers/<provider>/inbound/<business>/."},
    [F_INTAKE_FILES] = {"payspool_intake_files_total", "counter",
                        "Input documents by business, format and final "
                        "outcome."},
    [F_INTAKE_RECORDS] = {"payspool_intake_records_total", "counter",
                          "Records of finished input documents by "
                          "business, format and outcome."},
    [F_INTAKE_AMOUNT] = {"payspool_intake_accepted_amount_minor_total",
                         "counter",
                         "Amounts of the accepted records of applied "
                         "documents, minor units of the currency."},
    [F_PAYOUT_FILES] = {"payspool_payout_files_total", "counter",
                        "Outbound payment files written (NACHA, "
                        "PUSH_TO_CARD)."},
    [F_PAYOUT_ITEMS] = {"payspool_payout_items_total", "counter",
                        "Items sent in outbound payment files."},
    [F_PAYOUT_AMOUNT] = {"payspool_payout_amount_minor_total", "counter",
                         "Amounts sent in outbound payment files, minor "
                         "units of the currency."},
    [F_ANSWERS] = {"payspool_provider_answers_total", "counter",
                   "Provider answers applied, by status."},
    [F_ANSWER_AMOUNT] = {"payspool_provider_answer_amount_minor_total",
                         "counter",
                         "Amounts of the provider answers applied, minor "
                         "units of the currency."},
    [F_JOB_SUCCESS] = {"payspool_job_last_success_timestamp_seconds", "gauge",
                       "Unix time of the job's last completed run."},
    [F_JOB_RUNS] = {"payspool_job_runs_total", "counter",
                    "Runs by final status."},
    [F_JOB_RECORDS] = {"payspool_job_records_total", "counter",
                       "Records handled by the job's runs."},
    [F_JOB_AMOUNT] = {"payspool_job_amount_minor_total", "counter",
                      "Amounts of the payment file items the job's runs "
                      "wrote, minor units of the currency."},
    [F_JOB_OK] = {"payspool_job_last_run_ok", "gauge",
                  "1 when the latest run completed."},
    [F_RECON_TIME] = {"payspool_recon_last_report_timestamp_seconds", "gauge",
                      "Unix time of the business's last reconciliation."},
    [F_RECON_TRIAL_OK] = {"payspool_recon_trial_balance_ok", "gauge",
                          "1 when the last reconciliation's ledger trial "
                          "balance was zero in every currency."},
    [F_RECON_TRIAL] = {"payspool_recon_trial_balance_minor", "gauge",
                       "The last reconciliation's trial balance (debits - "
                       "credits; must be 0), minor units of the currency."},
    [F_RECON_UNMATCHED] = {"payspool_recon_unmatched_items", "gauge",
                           "Unmatched items of the last reconciliation."},
    [F_RECON_LATE] = {"payspool_recon_late_items", "gauge",
                      "Items past their expected settlement in the last "
                      "reconciliation."},
    [F_RECON_FILES] = {"payspool_recon_files_mismatched", "gauge",
                       "Outbound files whose items did not add up to their "
                       "controls in the last reconciliation."},
    [F_RECON_RATE] = {"payspool_recon_return_rate_ratio", "gauge",
                      "NACHA debit return rate of the last "
                      "reconciliation (returns / entries over 60 days)."},
    [F_RECON_THRESHOLD] = {"payspool_recon_return_rate_threshold_ratio",
                           "gauge", "NACHA's threshold of that rate."},
    [F_RECON_RATE_OVER] = {"payspool_recon_return_rate_over", "gauge",
                           "1 when the rate is over NACHA's threshold."},
};

struct prom {
    FILE *f[F_N]; /* each family's samples, in memory */
    char *buf[F_N];
    size_t len[F_N];
    const struct ps_sched_env *env;
};

/* A label value as the text format wants it: \\, \" and \n escaped. */
static void label_value(FILE *f, const char *v)
{
    for (; *v != '\0'; v++) {
        if (*v == '\\' || *v == '"')
            fputc('\\', f);
        if (*v == '\n') {
            fputs("\\n", f);
            continue;
        }
        fputc(*v, f);
    }
}

/* One sample: name{k="v",...} value; labels are (key, value) pairs
 * ended by NULL; value is text (an integer or a ratio). */
static void vsample(struct prom *p, enum fam_id id, const char *value,
                    va_list ap)
{
    FILE *f = p->f[id];
    const char *k;
    int n = 0;
    fputs(families[id].name, f);
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        fprintf(f, "%s%s=\"", n++ ? "," : "{", k);
        label_value(f, v != NULL ? v : "");
        fputc('"', f);
    }
    fprintf(f, "%s %s\n", n ? "}" : "", value);
}

static void sample(struct prom *p, enum fam_id id, int64_t value, ...)
{
    char v[32];
    va_list ap;
    snprintf(v, sizeof(v), "%lld", (long long)value);
    va_start(ap, value);
    vsample(p, id, v, ap);
    va_end(ap);
}

/* num / den as a decimal with six places, from integers. */
static void sample_ratio(struct prom *p, enum fam_id id, int64_t num,
                         int64_t den, ...)
{
    char v[48];
    va_list ap;
    int64_t ppm = den > 0 ? num * 1000000 / den : 0;
    snprintf(v, sizeof(v), "%lld.%06lld", (long long)(ppm / 1000000),
             (long long)(ppm % 1000000));
    va_start(ap, den);
    vsample(p, id, v, ap);
    va_end(ap);
}

static const char *or_unknown(const char *s)
{
    return s[0] != '\0' ? s : "unknown";
}

/* ---- the store's figures ------------------------------------------- */

/* INTAKE: business, format, status, files, records, accepted, rejected,
 * duplicates */
static int intake_row(void *vp, const struct ps_recon_row *r)
{
    struct prom *p = vp;
    static const char *const rec[3] = {"accepted", "rejected", "duplicate"};
    const char *st = r->text[2];
    if (strcmp(st, "APPLIED") != 0 && strcmp(st, "REJECTED") != 0 &&
        strcmp(st, "DUPLICATE") != 0)
        return 0; /* not final yet: the backlog */
    sample(p, F_INTAKE_FILES, r->num[3], "business", r->text[0], "format",
           or_unknown(r->text[1]), "outcome", st, (char *)NULL);
    for (int i = 0; i < 3; i++)
        sample(p, F_INTAKE_RECORDS, r->num[5 + i], "business", r->text[0],
               "format", or_unknown(r->text[1]), "outcome", rec[i],
               (char *)NULL);
    return 0;
}

/* INTAKE_AMOUNTS: business, format, currency, amount */
static int intake_amount_row(void *vp, const struct ps_recon_row *r)
{
    sample(vp, F_INTAKE_AMOUNT, r->num[3], "business", r->text[0], "format",
           or_unknown(r->text[1]), "currency", r->text[2], (char *)NULL);
    return 0;
}

/* PAYOUT_FILES: business, kind, files */
static int payout_file_row(void *vp, const struct ps_recon_row *r)
{
    sample(vp, F_PAYOUT_FILES, r->num[2], "business", r->text[0], "kind",
           r->text[1], (char *)NULL);
    return 0;
}

/* ANSWERS: business, status, currency, answers, amount */
static int answer_row(void *vp, const struct ps_recon_row *r)
{
    sample(vp, F_ANSWERS, r->num[3], "business", r->text[0], "status",
           r->text[1], "currency", r->text[2], (char *)NULL);
    sample(vp, F_ANSWER_AMOUNT, r->num[4], "business", r->text[0], "status",
           r->text[1], "currency", r->text[2], (char *)NULL);
    return 0;
}

/* One outbound payment file's items of one direction and currency
 * (OUTPUT_ITEMS), kept to sum per business and per job run. */
struct item_sum {
    char business[PS_NAME_SIZE], kind[16], created[PS_TIME_SIZE];
    char direction[8], currency[4];
    int64_t items, amount; /* amount in minor units of currency */
};

struct item_sums {
    struct item_sum *v;
    size_t n, cap;
    int oom;
};

static int keep_item_sum(void *vs, const struct ps_recon_row *r)
{
    struct item_sums *s = vs;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct item_sum *v = realloc(s->v, cap * sizeof(*v));
        if (v == NULL) {
            s->oom = 1;
            return 1;
        }
        s->v = v;
        s->cap = cap;
    }
    struct item_sum *x = &s->v[s->n++];
    ps_strlcpy(x->business, r->text[0], sizeof(x->business));
    ps_strlcpy(x->kind, r->text[1], sizeof(x->kind));
    ps_strlcpy(x->created, r->text[2], sizeof(x->created));
    ps_strlcpy(x->direction, r->text[3], sizeof(x->direction));
    ps_strlcpy(x->currency, r->text[4], sizeof(x->currency));
    x->items = r->num[5];
    x->amount = r->num[6];
    return 0;
}

/* Sum s's rows that pass keep(row, ctx) by the labels same() compares,
 * into out (the first row of each group carries its labels); returns the
 * number of groups.  out has room for s->n rows. */
static size_t group_sums(const struct item_sums *s, struct item_sum *out,
                         int (*keep)(const struct item_sum *, const void *),
                         const void *ctx, int by_business)
{
    size_t n = 0, k;
    for (size_t i = 0; i < s->n; i++) {
        const struct item_sum *x = &s->v[i];
        if (keep != NULL && !keep(x, ctx))
            continue;
        for (k = 0; k < n; k++)
            if (strcmp(out[k].direction, x->direction) == 0 &&
                strcmp(out[k].currency, x->currency) == 0 &&
                (!by_business || (strcmp(out[k].business, x->business) == 0 &&
                                  strcmp(out[k].kind, x->kind) == 0)))
                break;
        if (k == n) {
            out[n] = *x;
            out[n].items = out[n].amount = 0;
            n++;
        }
        out[k].items += x->items;
        out[k].amount += x->amount;
    }
    return n;
}

static void payout_metrics(struct prom *p, const struct item_sums *s,
                           struct item_sum *tmp)
{
    size_t n = group_sums(s, tmp, NULL, NULL, 1);
    for (size_t i = 0; i < n; i++) {
        const struct item_sum *x = &tmp[i];
        sample(p, F_PAYOUT_ITEMS, x->items, "business", x->business, "kind",
               x->kind, "direction", x->direction, "currency", x->currency,
               (char *)NULL);
        sample(p, F_PAYOUT_AMOUNT, x->amount, "business", x->business, "kind",
               x->kind, "direction", x->direction, "currency", x->currency,
               (char *)NULL);
    }
}

/* A job's runs: when each started and finished ("" while running). */
struct windows {
    struct window {
        char from[PS_TIME_SIZE], to[PS_TIME_SIZE];
    } * v;
    size_t n, cap;
    int oom;
};

/* A file written while one of the runs ran (RFC 3339 UTC times compare
 * as text). */
static int in_a_run(const struct item_sum *x, const void *vw)
{
    const struct windows *w = vw;
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(x->created, w->v[i].from) >= 0 &&
            (w->v[i].to[0] == '\0' || strcmp(x->created, w->v[i].to) <= 0))
            return 1;
    return 0;
}

struct totals {
    int64_t records, runs[4];
    struct ps_job_run last;
    int have_last;
    struct windows w;
};

static const char *const run_status[4] = {"COMPLETED", "FAILED", "SKIPPED",
                                          "RUNNING"};

static int add_run(void *ctx, const struct ps_job_run *r)
{
    struct totals *t = ctx;
    if (!t->have_last) {
        t->last = *r;
        t->have_last = 1;
    }
    t->records += r->records;
    for (int i = 0; i < 4; i++)
        if (strcmp(r->status, run_status[i]) == 0)
            t->runs[i]++;
    if (t->w.n == t->w.cap) {
        size_t cap = t->w.cap ? t->w.cap * 2 : 16;
        struct window *v = realloc(t->w.v, cap * sizeof(*v));
        if (v == NULL) {
            t->w.oom = 1;
            return 1;
        }
        t->w.v = v;
        t->w.cap = cap;
    }
    ps_strlcpy(t->w.v[t->w.n].from, r->started_at, PS_TIME_SIZE);
    ps_strlcpy(t->w.v[t->w.n].to, r->finished_at, PS_TIME_SIZE);
    t->w.n++;
    return 0;
}

/* Per job: runs, records, last success, and the payment file items its
 * runs wrote (s, summed in tmp). */
static int job_metrics(struct prom *p, const struct ps_jobs *jobs,
                       const struct item_sums *s, struct item_sum *tmp,
                       struct ps_err *err)
{
    for (size_t i = 0; i < jobs->n; i++) {
        const char *name = jobs->v[i].name;
        char fired[PS_TIME_SIZE], success[PS_TIME_SIZE];
        struct totals t;
        int64_t ms;
        int rc;
        memset(&t, 0, sizeof(t));
        rc = ps_store_job_run_list(p->env->eng->store, name, 1000000, add_run,
                                   &t, err);
        if (rc == 0 && t.w.oom)
            rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        if (rc != 0) {
            free(t.w.v);
            return rc;
        }
        if (ps_store_job_state(p->env->eng->store, name, fired, success,
                               NULL) == 0 &&
            success[0] != '\0' && ps_time_parse(success, &ms, NULL) == 0)
            sample(p, F_JOB_SUCCESS, ms / 1000, "job", name, (char *)NULL);
        for (int k = 0; k < 4; k++)
            sample(p, F_JOB_RUNS, t.runs[k], "job", name, "status",
                   run_status[k], (char *)NULL);
        sample(p, F_JOB_RECORDS, t.records, "job", name, (char *)NULL);
        if (t.have_last)
            sample(p, F_JOB_OK, strcmp(t.last.status, "COMPLETED") == 0, "job",
                   name, (char *)NULL);
        size_t n = group_sums(s, tmp, in_a_run, &t.w, 0);
        for (size_t k = 0; k < n; k++)
            sample(p, F_JOB_AMOUNT, tmp[k].amount, "job", name, "direction",
                   tmp[k].direction, "currency", tmp[k].currency, (char *)NULL);
        free(t.w.v);
    }
    return 0;
}

/* ---- the spool's folders and the reconciliations ------------------- */


/* providers/<p>/inbound/<business>/: per provider folder. */
static void answer_backlog(struct prom *p, const char *business)
{
    char dir[PS_PATH_SIZE], sub[PS_PATH_SIZE];
    DIR *d;
    if (ps_pathf(dir, sizeof(dir), "%s/providers", p->env->spool) != 0 ||
        (d = opendir(dir)) == NULL)
        return;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.' ||
            ps_pathf(sub, sizeof(sub), "%s/%s/inbound/%s", dir, e->d_name,
                     business) != 0 ||
            access(sub, F_OK) != 0)
            continue;
        sample(p, F_BACKLOG_ANSWERS, ps_spool_count_inputs(sub, 1), "provider", e->d_name,
               "business", business, (char *)NULL);
    }
    closedir(d);
}

static void backlog(struct prom *p, const char *business)
{
    static const char *const queue[3][2] = {
        {"inbound", "waiting"}, {"work", "in_progress"}, {"failed", "failed"}};
    char dir[PS_PATH_SIZE];
    for (int q = 0; q < 3; q++)
        if (ps_pathf(dir, sizeof(dir), "%s/%s/%s", p->env->spool, queue[q][0],
                     business) == 0)
            sample(p, F_BACKLOG, ps_spool_count_inputs(dir, 1), "business", business,
                   "queue", queue[q][1], (char *)NULL);
    answer_backlog(p, business);
}

/* The last reconciliation's findings (outbound/reconstate.h). */
static void recon_alerts(struct prom *p, const char *b)
{
    struct ps_recon_state r;
    struct ps_err e;
    ps_err_clear(&e);
    if (ps_recon_state_read(p->env->spool, b, &r, &e) != 0)
        return; /* none yet, or unreadable: no samples rather than 0s */
    sample(p, F_RECON_TIME, r.generated_s, "business", b, (char *)NULL);
    sample(p, F_RECON_TRIAL_OK, r.trial_balanced, "business", b, (char *)NULL);
    for (int i = 0; i < r.ntrial; i++)
        sample(p, F_RECON_TRIAL, r.trial[i].balance, "business", b, "currency",
               r.trial[i].currency, (char *)NULL);
    sample(p, F_RECON_UNMATCHED, r.unknown_references, "business", b, "kind",
           "unknown_reference", (char *)NULL);
    sample(p, F_RECON_UNMATCHED, r.awaiting, "business", b, "kind", "awaiting",
           (char *)NULL);
    sample(p, F_RECON_LATE, r.late, "business", b, (char *)NULL);
    sample(p, F_RECON_FILES, r.files_mismatched, "business", b, (char *)NULL);
    for (int i = 0; i < r.nrates; i++) {
        const struct ps_recon_rate *x = &r.rates[i];
        sample_ratio(p, F_RECON_RATE, x->returns, x->entries, "business", b,
                     "category", x->category, (char *)NULL);
        sample_ratio(p, F_RECON_THRESHOLD, x->threshold_bp, 10000, "business",
                     b, "category", x->category, (char *)NULL);
        sample(p, F_RECON_RATE_OVER, x->over, "business", b, "category",
               x->category, (char *)NULL);
    }
}

/* ---- the file ------------------------------------------------------ */

static int gather(struct prom *p, const struct ps_jobs *jobs,
                  struct ps_err *err)
{
    static const struct {
        enum ps_metrics_query q;
        int (*cb)(void *, const struct ps_recon_row *);
    } queries[] = {
        {PS_METRICS_Q_INTAKE, intake_row},
        {PS_METRICS_Q_INTAKE_AMOUNTS, intake_amount_row},
        {PS_METRICS_Q_PAYOUT_FILES, payout_file_row},
        {PS_METRICS_Q_ANSWERS, answer_row},
    };
    struct item_sums s = {NULL, 0, 0, 0};
    struct item_sum *tmp = NULL;
    struct ps_businesses l;
    int64_t scan_ms;
    long pid;
    int rc = 0;
    if (ps_sched_scan_read(p->env->spool, &scan_ms, &pid, NULL) == 0)
        sample(p, F_SCAN, scan_ms / 1000, (char *)NULL);
    /* The new payment files' sums, once; if another writer holds the
     * database, the query below sums them itself this time. */
    struct ps_err ke;
    ps_err_clear(&ke);
    if (ps_store_metrics_keep_sums(p->env->eng->store, &ke) != 0)
        ps_log_err(PS_LOG_DEBUG, "metrics.sums_later", &ke, NULL);
    for (size_t i = 0; rc == 0 && i < sizeof(queries) / sizeof(queries[0]); i++)
        rc = ps_store_metrics_query(p->env->eng->store, queries[i].q,
                                    queries[i].cb, p, err);
    if (rc == 0)
        rc = ps_store_metrics_query(p->env->eng->store,
                                    PS_METRICS_Q_OUTPUT_ITEMS, keep_item_sum,
                                    &s, err);
    if (rc == 0 && (s.oom || (tmp = calloc(s.n + 1, sizeof(*tmp))) == NULL))
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if (rc == 0) {
        payout_metrics(p, &s, tmp);
        rc = job_metrics(p, jobs, &s, tmp, err);
    }
    free(tmp);
    free(s.v);
    if (rc != 0 || (rc = ps_business_all(p->env->eng, &l, err)) != 0)
        return rc;
    for (size_t i = 0; i < l.n; i++) {
        backlog(p, l.v[i].name);
        recon_alerts(p, l.v[i].name);
    }
    ps_businesses_free(&l);
    return 0;
}

int ps_sched_metrics(const struct ps_sched_env *env, const struct ps_jobs *jobs,
                     struct ps_err *err)
{
    char dir[PS_PATH_SIZE], tmp[PS_PATH_SIZE + 32], path[PS_PATH_SIZE + 16];
    struct prom p;
    FILE *f = NULL;
    int rc = 0, k;

    memset(&p, 0, sizeof(p));
    p.env = env;
    if (ps_pathf(dir, sizeof(dir), "%s/metrics", env->spool) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG",
                          "spool path too long: %s", env->spool);
    if ((rc = ps_mkdir_p(dir, 0750, err)) != 0)
        return rc;
    snprintf(path, sizeof(path), "%s/payspool.prom", dir);
    snprintf(tmp, sizeof(tmp), "%s/.payspool.prom.%ld", dir, (long)getpid());
    for (k = 0; k < F_N; k++)
        if ((p.f[k] = open_memstream(&p.buf[k], &p.len[k])) == NULL) {
            rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
            goto out;
        }
    if ((rc = gather(&p, jobs, err)) != 0)
        goto out;
    if ((f = fopen(tmp, "w")) == NULL) {
        rc = ps_err_sys(err, errno, "cannot write %s", tmp);
        goto out;
    }
    for (k = 0; k < F_N; k++) {
        fclose(p.f[k]);
        p.f[k] = NULL;
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", families[k].name,
                families[k].help, families[k].name, families[k].type);
        fwrite(p.buf[k], 1, p.len[k], f);
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        rc = ps_err_sys(err, errno, "cannot write %s", tmp);
    if (fclose(f) != 0 && rc == 0)
        rc = ps_err_sys(err, errno, "cannot write %s", tmp);
    f = NULL;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = ps_err_sys(err, errno, "cannot rename %s", tmp);
    if (rc != 0)
        unlink(tmp);
out:
    for (k = 0; k < F_N; k++) {
        if (p.f[k] != NULL)
            fclose(p.f[k]);
        free(p.buf[k]);
    }
    return rc;
}

/* ---- the scan heartbeat -------------------------------------------- */

int ps_sched_scan_mark(const char *spool, int64_t now_ms, struct ps_err *err)
{
    char dir[PS_PATH_SIZE], tmp[PS_PATH_SIZE + 32], path[PS_PATH_SIZE + 16];
    char at[PS_TIME_SIZE];
    json_t *o;
    int rc;
    if (ps_pathf(dir, sizeof(dir), "%s/metrics", spool) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG",
                          "spool path too long: %s", spool);
    if ((rc = ps_mkdir_p(dir, 0750, err)) != 0)
        return rc;
    snprintf(path, sizeof(path), "%s/scan.json", dir);
    snprintf(tmp, sizeof(tmp), "%s/.scan.json.%ld", dir, (long)getpid());
    o = json_pack("{s:s, s:I}", "lastScan", ps_time_format(now_ms, at), "pid",
                  (json_int_t)getpid());
    if (o == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    rc = json_dump_file(o, tmp, JSON_COMPACT);
    json_decref(o);
    if (rc != 0 || rename(tmp, path) != 0) {
        rc = ps_err_sys(err, errno, "cannot write %s", path);
        unlink(tmp);
        return rc;
    }
    return 0;
}

int ps_sched_scan_read(const char *spool, int64_t *at_ms, long *pid,
                       struct ps_err *err)
{
    char path[PS_PATH_SIZE + 32];
    json_error_t je;
    json_t *o;
    const char *at = NULL;
    json_int_t who = 0;
    int64_t ms;
    if (ps_pathf(path, sizeof(path), "%s/metrics/scan.json", spool) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG",
                          "spool path too long: %s", spool);
    if (access(path, F_OK) != 0)
        return errno == ENOENT
                   ? ps_err_set(err, PS_ENOTFOUND, "NO_SCAN",
                                "no scan of %s recorded yet (%s)", spool, path)
                   : ps_err_sys(err, errno, "cannot read %s", path);
    if ((o = json_load_file(path, 0, &je)) == NULL)
        return ps_err_set(err, PS_EINVAL, "SCAN_STATE", "%s: %s", path,
                          je.text);
    if (json_unpack(o, "{s:s, s:I}", "lastScan", &at, "pid", &who) != 0 ||
        ps_time_parse(at, &ms, NULL) != 0) {
        json_decref(o);
        return ps_err_set(err, PS_EINVAL, "SCAN_STATE",
                          "%s is not a scan heartbeat", path);
    }
    json_decref(o);
    *at_ms = ms;
    *pid = (long)who;
    return 0;
}
