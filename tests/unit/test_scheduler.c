/*
 * test_scheduler.c -- unit tests for scheduler.c: which input step takes
 * which inbound file, driven through the public path (job files loaded by
 * ps_jobs_load, runs made by ps_sched_run) on a real store and spool.
 *
 * The input steps split the inbound files by kind: disbursement requests
 * go to "disburse", payroll results to "recover", everything else
 * (rosters, customers, accounts, status changes, provider answers, ODFI
 * returns and notifications of change, archives, other formats, files no
 * reader knows) to "intake".  The routing table is written out below, one
 * row per inbound kind, from scheduler.c's header and its NACHA rule, not
 * derived from the code.  For each row a fresh spool gets that one file
 * (with its .done marker); the two steps that must not take it run first
 * and must leave it in inbound/, then the step that must take it runs and
 * the file must be gone from inbound/ (processed, archived or failed:
 * whatever the step made of it, it was taken).
 *
 * The clock is frozen (PAYSPOOL_NOW) before any ps_* call.  Each row gets
 * a fresh directory under $TMPDIR (or /tmp), removed after.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "base/calendar.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "engine/engine.h"
#include "intake/spool.h"
#include "sched/scheduler.h"
#include "store/store.h"
#include "testutil.h"

#define FROZEN_NOW "2026-11-20T23:00:00Z"
#define RUN_DATE "2026-11-20"

#define OK(call)                                                               \
    do {                                                                       \
        ps_err_clear(&err);                                                    \
        if ((call) != 0)                                                       \
            fail_msg("%s: %s [%s]", #call, err.msg, err.rule);                 \
    } while (0)

enum step { INTAKE, DISBURSE, RECOVER, NSTEP };
static const char *const step_name[NSTEP] = {"intake", "disburse", "recover"};

/* How a row's bytes are made from its source. */
enum shape {
    AS_IS,      /* the fixture's bytes, or the inline text */
    NO_NEWLINE, /* NACHA records run together, no line ends */
    CRLF,       /* every \n made \r\n */
    GZIP,       /* gzip-compressed */
};

struct route_case {
    const char *what;    /* the kind of inbound file */
    const char *fixture; /* under $PS_FIXTURES, or NULL: text below */
    const char *text;    /* inline content when fixture is NULL */
    enum shape shape;
    const char *name; /* its name in inbound/ */
    enum step step;   /* the step that must take it */
};

/* A card processor's answers to a payout file, and the ODFI's settlement
 * answers to a NACHA file: the same provider-status layout. */
#define PROVIDER_CSV                                                           \
    "reference,status,reason_code,message,settlement_date,amount,currency,"    \
    "attempt\n"                                                                \
    "0190f4a2-5c3e-7abc-8def-0123456789ab,SETTLED,00,approved,2026-11-23,"     \
    "25.00,USD,1\n"                                                            \
    "0190f4a2-5c3e-7abc-8def-0123456789ac,DECLINED,05,do not honor,,30.13,"    \
    "USD,1\n"
#define PSTEST "PSTEST 1\nSEND|R0000001|C0001|1.01|USD\nTOTAL|1|1.01|USD\n"

/* clang-format off */
static const struct route_case route_cases[] = {
    /* CSV by layout: what intake applies first */
    {"roster", "/csv/valid/roster.csv", NULL, AS_IS, "roster.csv", INTAKE},
    {"roster (Paychex)", "/csv/valid/roster-paychex.csv", NULL, AS_IS,
     "roster-paychex.csv", INTAKE},
    {"customers", "/csv/valid/customers.csv", NULL, AS_IS, "customers.csv",
     INTAKE},
    {"accounts", "/csv/valid/accounts.csv", NULL, AS_IS, "accounts.csv",
     INTAKE},
    {"status changes", "/csv/valid/status.csv", NULL, AS_IS, "status.csv",
     INTAKE},
    {"provider answers", NULL, PROVIDER_CSV, AS_IS, "provider-status.csv",
     INTAKE},
    /* CSV: disbursement requests, payroll results */
    {"disbursement requests", "/csv/valid/disbursements.csv", NULL, AS_IS,
     "disbursements.csv", DISBURSE},
    {"disbursement requests, CRLF", "/csv/valid/disbursements.csv", NULL,
     CRLF, "disbursements-crlf.csv", DISBURSE},
    {"payroll results", "/csv/valid/payroll.csv", NULL, AS_IS, "payroll.csv",
     RECOVER},
    {"payroll results (ADP)", "/csv/valid/payroll-adp.csv", NULL, AS_IS,
     "payroll-adp.csv", RECOVER},
    /* NACHA: entries to pay out are disbursement requests */
    {"NACHA PPD credits", "/nacha/valid/ppd-payroll.ach", NULL, AS_IS,
     "ppd-payroll.ach", DISBURSE},
    {"NACHA PPD credits, CRLF", "/nacha/valid/ppd-crlf.ach", NULL, AS_IS,
     "ppd-crlf.ach", DISBURSE},
    {"NACHA PPD credits, no line ends", "/nacha/valid/ppd-no-newlines.ach",
     NULL, AS_IS, "ppd-no-newlines.ach", DISBURSE},
    {"NACHA CCD", "/nacha/valid/ccd-funding.ach", NULL, AS_IS,
     "ccd-funding.ach", DISBURSE},
    {"NACHA WEB debits", "/nacha/valid/web-ewa-debits.ach", NULL, AS_IS,
     "web-ewa-debits.ach", DISBURSE},
    /* NACHA: ODFI returns and notifications of change answer earlier
     * days' entries: intake, whatever the line ends */
    {"ODFI returns", "/nacha/valid/returns.ach", NULL, AS_IS, "returns.ach",
     INTAKE},
    {"ODFI returns, CRLF", "/nacha/valid/returns.ach", NULL, CRLF,
     "returns-crlf.ach", INTAKE},
    {"ODFI returns, no line ends", "/nacha/valid/returns.ach", NULL,
     NO_NEWLINE, "returns-flat.ach", INTAKE},
    {"ODFI notifications of change", "/nacha/valid/noc.ach", NULL, AS_IS,
     "noc.ach", INTAKE},
    {"ODFI notifications of change, CRLF", "/nacha/valid/noc.ach", NULL, CRLF,
     "noc-crlf.ach", INTAKE},
    {"ODFI notifications of change, no line ends", "/nacha/valid/noc.ach",
     NULL, NO_NEWLINE, "noc-flat.ach", INTAKE},
    /* everything else is intake's */
    {"pstest", NULL, PSTEST, AS_IS, "batch.txt", INTAKE},
    {"gzip of disbursement requests (an archive: intake unwraps it)",
     "/csv/valid/disbursements.csv", NULL, GZIP, "disbursements.csv.gz",
     INTAKE},
    {"gzip of payroll results", "/csv/valid/payroll.csv", NULL, GZIP,
     "payroll.csv.gz", INTAKE},
    {"CSV of no known layout", NULL, "colour,size\nred,10\n", AS_IS,
     "unknown.csv", INTAKE},
    {"text no reader knows", NULL, "hello, scheduler\n", AS_IS, "hello.txt",
     INTAKE},
    {"empty file", NULL, "", AS_IS, "empty.csv", INTAKE},
};
/* clang-format on */
#define NCASES (sizeof(route_cases) / sizeof(route_cases[0]))

/* a b c, no separator, into buf; fails the test when it does not fit. */
static void concat(char *buf, size_t size, const char *a, const char *b,
                   const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    if (la + lb + lc >= size)
        fail_msg("path too long: %s%s%s", a, b, c);
    memcpy(buf, a, la);
    memcpy(buf + la, b, lb);
    memcpy(buf + la + lb, c, lc + 1);
}

/* The bytes of a row, in a test-owned buffer. */
static char *case_bytes(const struct route_case *c, size_t *len)
{
    const char *fix = getenv("PS_FIXTURES");
    char *src;
    size_t n;
    if (c->fixture != NULL) {
        char path[PATH_MAX];
        if (fix == NULL)
            fail_msg("PS_FIXTURES is not set");
        concat(path, sizeof(path), fix, c->fixture, "");
        src = ps_test_slurp(path, &n);
    } else {
        n = strlen(c->text);
        src = ps_test_own(malloc(n + 1));
        memcpy(src, c->text, n + 1);
    }
    char *out = ps_test_own(malloc(2 * n + 1));
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (c->shape == NO_NEWLINE && (src[i] == '\n' || src[i] == '\r'))
            continue;
        if (c->shape == CRLF && src[i] == '\n' &&
            (i == 0 || src[i - 1] != '\r'))
            out[o++] = '\r';
        out[o++] = src[i];
    }
    *len = o;
    return out;
}

/* Write inbound/acme/<name> with the row's bytes, then NAME.done after
 * it (a marker newer than its file: complete). */
static void drop(const char *spool, const struct route_case *c)
{
    char path[PATH_MAX], done[PATH_MAX];
    size_t len;
    char *bytes = case_bytes(c, &len);
    concat(path, sizeof(path), spool, "/inbound/acme/", c->name);
    concat(done, sizeof(done), path, ".done", "");
    if (c->shape == GZIP) {
        gzFile g = gzopen(path, "wb");
        assert_non_null(g);
        assert_int_equal(gzwrite(g, bytes, (unsigned)len), (int)len);
        assert_int_equal(gzclose(g), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(bytes, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
    }
    FILE *m = fopen(done, "wb");
    assert_non_null(m);
    assert_int_equal(fclose(m), 0);
}

static int in_inbound(const char *spool, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    concat(path, sizeof(path), spool, "/inbound/acme/", name);
    return lstat(path, &st) == 0;
}

/* One job file per input step: take-intake, take-disburse, take-recover,
 * every day of the calendar. */
static void write_jobs(const char *dir)
{
    for (int s = 0; s < NSTEP; s++) {
        char path[PATH_MAX], base[64];
        snprintf(base, sizeof(base), "/take-%s.job", step_name[s]);
        concat(path, sizeof(path), dir, base, "");
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f,
                "[job]\nname = take-%s\nschedule = 0 1 * * *\n"
                "calendar = all-days\nsteps = %s\n",
                step_name[s], step_name[s]);
        assert_int_equal(fclose(f), 0);
    }
}

/* Run job take-<step> for RUN_DATE; it must complete. */
static void run_step(const struct ps_sched_env *env, const struct ps_jobs *jobs,
                     enum step s, const struct route_case *c)
{
    char name[64];
    struct ps_job_run run;
    struct ps_err err;
    int64_t day;
    snprintf(name, sizeof(name), "take-%s", step_name[s]);
    const struct ps_job *job = ps_jobs_find(jobs, name);
    assert_non_null(job);
    OK(ps_date_parse(RUN_DATE, &day, &err));
    memset(&run, 0, sizeof(run));
    ps_err_clear(&err);
    if (ps_sched_run(env, jobs, job, day, NULL, &run, &err) != 0)
        fail_msg("%s: step %s failed: %s [%s]", c->what, step_name[s], err.msg,
                 err.rule);
    assert_string_equal(run.status, "COMPLETED");
}

static void check_route(const struct route_case *c)
{
    char dir[PATH_MAX], jobdir[PATH_MAX];
    struct ps_spool_config cfg;
    struct ps_calendar *cal = NULL;
    struct ps_business biz;
    struct ps_jobs jobs;
    struct ps_err err;

    print_message("%s (%s) -> %s\n", c->what, c->name, step_name[c->step]);
    if (ps_test_tmpdir(dir, sizeof(dir), "test_scheduler") != 0)
        fail_msg("no temporary directory");
    struct ps_engine *eng = ps_test_engine_open(dir);
    ps_spool_config_default(&cfg);
    OK(ps_calendar_open(NULL, 0, &cal, &err));
    OK(ps_business_add(eng, "acme", "Acme", NULL, &biz, &err));
    OK(ps_spool_business_dirs(dir, "acme", &err));
    concat(jobdir, sizeof(jobdir), dir, "/jobs", "");
    assert_int_equal(mkdir(jobdir, 0700), 0);
    write_jobs(jobdir);
    memset(&jobs, 0, sizeof(jobs));
    OK(ps_jobs_load(jobdir, 1, &jobs, &err));
    assert_int_equal(jobs.n, NSTEP);
    struct ps_sched_env env = {eng, dir, &cfg, cal, NULL};

    drop(dir, c);
    assert_true(in_inbound(dir, c->name));
    /* The steps that must leave it alone first, intake among them when
     * it is not intake's: a file no step wants would stay for ever. */
    for (int s = 0; s < NSTEP; s++) {
        if ((enum step)s == c->step)
            continue;
        run_step(&env, &jobs, (enum step)s, c);
        if (!in_inbound(dir, c->name))
            fail_msg("%s (%s): taken by step %s, expected %s", c->what, c->name,
                     step_name[s], step_name[c->step]);
    }
    run_step(&env, &jobs, c->step, c);
    if (in_inbound(dir, c->name))
        fail_msg("%s (%s): step %s left it in inbound/", c->what, c->name,
                 step_name[c->step]);

    ps_jobs_free(&jobs);
    ps_calendar_free(cal);
    ps_engine_close(eng);
    assert_int_equal(ps_test_rmtree(dir), 0);
    ps_test_free_owned();
}

/* Every inbound kind of the table, each in its own spool. */
static void test_routing_table(void **state)
{
    (void)state;
    int taken[NSTEP] = {0, 0, 0};
    for (size_t i = 0; i < NCASES; i++) {
        check_route(&route_cases[i]);
        taken[route_cases[i].step]++;
    }
    /* every step is exercised */
    assert_true(taken[INTAKE] > 0 && taken[DISBURSE] > 0 && taken[RECOVER] > 0);
}

/* An empty jobs folder is an empty set: no qsort(NULL, 0), which the
 * UBSan build (nonnull-attribute) aborts on (issue 18, defect 11c). */
static void test_empty_jobs_folder(void **state)
{
    char dir[PATH_MAX];
    struct ps_jobs jobs = {NULL, 0};
    struct ps_err err;
    (void)state;
    ps_err_clear(&err);
    assert_int_equal(ps_test_tmpdir(dir, sizeof(dir), "test_scheduler"), 0);
    OK(ps_jobs_load(dir, 1, &jobs, &err));
    assert_int_equal(jobs.n, 0);
    ps_jobs_free(&jobs);
    /* A missing folder: no jobs by default, an error when asked for. */
    char missing[PATH_MAX + 16];
    snprintf(missing, sizeof(missing), "%s/none", dir);
    OK(ps_jobs_load(missing, 0, &jobs, &err));
    assert_int_equal(jobs.n, 0);
    assert_int_equal(ps_jobs_load(missing, 1, &jobs, &err), PS_ENOTFOUND);
    assert_string_equal(err.rule, "JOBS_DIR_NOT_FOUND");
    assert_int_equal(ps_test_rmtree(dir), 0);
}

int main(void)
{
    struct ps_err err;
    /* Freeze the clock before any ps_* call reads it. */
    if (setenv("PAYSPOOL_NOW", FROZEN_NOW, 1) != 0)
        return 1;
    ps_err_clear(&err);
    ps_log_open(NULL, PS_LOG_WARN, &err);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routing_table),
        cmocka_unit_test(test_empty_jobs_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
