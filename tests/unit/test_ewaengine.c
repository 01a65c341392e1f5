/*
 * test_ewaengine.c -- unit tests for the EWA engine (ewabook.c, ewafile.c
 * and the EWA record kinds of apply.c), driven the way the pipeline drives
 * it: synthetic records of kind ewa.enroll, ewa.disburse, ewa.payroll,
 * customer.upsert, account.add and status.change through one
 * ps_applier per document, inside ps_store_begin / ps_applier_flush /
 * ps_store_commit chunks, on a real SQLite store.
 *
 * What is checked:
 *   - every disbursement refusal rule, each with its outcome and exact
 *     rule, and that nothing moved (profile balances, transaction rows,
 *     ledger entries, trial balance);
 *   - an accepted disbursement: the SEND, its rail and fee, the profile's
 *     balances after the flush, the ledger, the seed's payment page;
 *   - eligibility driven by roster and payroll lines, as a table, with the
 *     history rows (reason, source file and line) each change leaves;
 *   - the roster: customer, account and profile creation, re-sends,
 *     new cards, pay periods, unknown and foreign programs;
 *   - the pure decision ps_ewa_disburse_check, as a table on the
 *     boundaries of every limit.
 *
 * The clock is frozen at 2026-11-20T22:00:00Z (PAYSPOOL_NOW) before any
 * ps_* call.  Each test gets a fresh directory under $TMPDIR, removed
 * after.
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

#include <jansson.h>
#include <sqlite3.h>

#include "engine/apply.h"
#include "base/clock.h"
#include "engine/engine.h"
#include "base/err.h"
#include "engine/ewa.h"
#include "engine/ewabook.h"
#include "formats/format.h"
#include "engine/ledger.h"
#include "base/log.h"
#include "base/model.h"
#include "store/store.h"
#include "testutil.h"

#define FROZEN_NOW "2026-11-20T22:00:00Z"
#define NOW_MS "2026-11-20T22:00:00.000Z" /* ps_time_now's form */

#define CARD1 "4111111111111111"
#define CARD2 "5555555555554444"
#define CARD3 "4000056655665556"
#define ROUTING "021000021"
#define ROUTING2 "011000015"
#define BANKNO "123456789"

#define ROSTER_FILE "roster-2026-11-16.csv"
#define PAYROLL_FILE "payroll-2026-11-20.csv"
#define DISBURSE_FILE "disburse-2026-11-20.csv"
#define STATUS_FILE "status-2026-11-20.csv"

/* ------------------------------------------------------------------ */
/* Fixture                                                             */
/* ------------------------------------------------------------------ */

struct fixture {
    char dir[PATH_MAX];
    struct ps_engine *eng;
    sqlite3 *raw; /* a second connection, for counting rows */
    struct ps_business biz, other;
    struct ps_program prog, oprog;
    struct ps_applier *ap; /* for biz */
    long line;             /* source line of the next record */
    int in_chunk;
};

/*
 * "Early Pay" in USD: 50% of earned wages, 10.00 .. 500.00 a transfer,
 * 800.00 a pay period, 2000.00 outstanding, card fee 2.99, ACH free,
 * BAD_DEBT after 3 failed recoveries.
 */
static void program_defaults(struct ps_program *p, const struct ps_business *b,
                             const char *name)
{
    memset(p, 0, sizeof(*p));
    ps_strlcpy(p->business_id, b->id, sizeof(p->business_id));
    ps_strlcpy(p->name, name, sizeof(p->name));
    ps_strlcpy(p->currency, "USD", sizeof(p->currency));
    p->advance_rate_bp = 5000;
    p->min_transfer = 1000;
    p->max_transfer = 50000;
    p->period_cap = 80000;
    p->max_outstanding = 200000;
    p->fee_card = 299;
    p->fee_ach = 0;
    p->debit_fallback = 1;
    p->max_debit_attempts = 2;
    p->bad_debt_after = 3;
}

static void add_program(struct fixture *fx, struct ps_program *p)
{
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_program_add(fx->eng, p, &err) != 0)
        fail_msg("ps_program_add: %s [%s]", err.msg, err.rule);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct ps_err err;
    if (fx == NULL ||
        ps_test_tmpdir(fx->dir, sizeof(fx->dir), "test_ewaengine") != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    ps_err_clear(&err);
    fx->eng = ps_test_engine_open(fx->dir);
    fx->raw = ps_test_sqlite_open(ps_test_path(fx->dir, PS_TEST_DB, 0));
    if (ps_business_add(fx->eng, "acme", "Acme Payroll", NULL, &fx->biz,
                        &err) != 0 ||
        ps_business_add(fx->eng, "globex", "Globex", NULL, &fx->other, &err) !=
            0)
        fail_msg("ps_business_add: %s [%s]", err.msg, err.rule);
    program_defaults(&fx->prog, &fx->biz, "Early Pay");
    add_program(fx, &fx->prog);
    program_defaults(&fx->oprog, &fx->other, "Globex Pay");
    add_program(fx, &fx->oprog);
    if (ps_applier_open(fx->eng, &fx->biz, &fx->ap, &err) != 0)
        fail_msg("ps_applier_open: %s [%s]", err.msg, err.rule);
    fx->line = 1;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    if (fx->in_chunk) {
        ps_store_rollback(fx->eng->store);
        ps_applier_abandon(fx->ap);
    }
    ps_applier_close(fx->ap);
    sqlite3_close(fx->raw);
    ps_engine_close(fx->eng);
    int rc = ps_test_rmtree(fx->dir);
    free(fx);
    ps_test_free_owned();
    return rc;
}

/* ------------------------------------------------------------------ */
/* Records and chunks                                                  */
/* ------------------------------------------------------------------ */

/* A record of `kind` with (name, value) pairs up to a NULL name.  The
 * values are borrowed: they must outlive the record's use. */
static void rec_make(struct ps_record *r, const char *kind, ...)
{
    va_list ap;
    ps_record_reset(r);
    r->kind = kind;
    va_start(ap, kind);
    for (;;) {
        const char *name = va_arg(ap, const char *);
        if (name == NULL)
            break;
        ps_record_field(r, name, va_arg(ap, const char *));
    }
    va_end(ap);
}

static void chunk_begin(struct fixture *fx)
{
    struct ps_err err;
    ps_err_clear(&err);
    assert_false(fx->in_chunk);
    if (ps_store_begin(fx->eng->store, &err) != 0)
        fail_msg("ps_store_begin: %s [%s]", err.msg, err.rule);
    fx->in_chunk = 1;
}

/* As the pipeline does: write what the applier holds, then commit. */
static void chunk_commit(struct fixture *fx)
{
    struct ps_err err;
    ps_err_clear(&err);
    assert_true(fx->in_chunk);
    if (ps_applier_flush(fx->ap, &err) != 0)
        fail_msg("ps_applier_flush: %s [%s]", err.msg, err.rule);
    if (ps_store_commit(fx->eng->store, &err) != 0)
        fail_msg("ps_store_commit: %s [%s]", err.msg, err.rule);
    fx->in_chunk = 0;
}

/* One record inside the open chunk; an engine failure fails the test. */
static void apply_in(struct fixture *fx, const struct ps_record *r,
                     const char *file, long line, struct ps_apply_result *res)
{
    struct ps_source src = {NULL, file, line};
    struct ps_err err;
    ps_err_clear(&err);
    assert_true(fx->in_chunk);
    if (ps_applier_record(fx->ap, r, &src, res, &err) != 0)
        fail_msg("ps_applier_record(%s): engine failure %s [%s]", r->kind,
                 err.msg, err.rule);
}

/* One record in a chunk of its own. */
static void apply1(struct fixture *fx, const struct ps_record *r,
                   const char *file, struct ps_apply_result *res)
{
    chunk_begin(fx);
    apply_in(fx, r, file, fx->line++, res);
    chunk_commit(fx);
}

/* The outcome and rule (code NULL: ACCEPTED, which has no rule). */
static void expect(const struct ps_apply_result *res, enum ps_outcome outcome,
                   const char *code)
{
    if (res->outcome != outcome ||
        strcmp(res->code, code != NULL ? code : "") != 0)
        fail_msg("expected %s %s, got %s %s: %s", ps_outcome_name(outcome),
                 code != NULL ? code : "", ps_outcome_name(res->outcome),
                 res->code, res->message);
}

static void expect_ok(const struct ps_apply_result *res)
{
    expect(res, PS_ACCEPTED, NULL);
}

/* ---- record builders (the canonical fields apply.c reads) ---------- */

/* A roster line for `ext` with a card, ACTIVE unless employment says
 * otherwise, 3000.00 earned in the period 2026-11-01 .. 2026-11-15. */
static void roster_card(struct fixture *fx, const char *ext, const char *card,
                        const char *employment, struct ps_apply_result *res)
{
    struct ps_record r;
    rec_make(&r, "ewa.enroll", "external_id", ext, "first_name", "Maria",
             "last_name", "Gonzalez", "email", "maria@example.com", "phone",
             "+14155550123", "employment_status", employment, "program",
             "Early Pay", "enrollment_begin", "2026-01-01", "card_number", card,
             "earned_wages", "3000.00", "period_start", "2026-11-01",
             "period_end", "2026-11-15", "currency", "USD", NULL);
    apply1(fx, &r, ROSTER_FILE, res);
}

static void roster_bank(struct fixture *fx, const char *ext,
                        struct ps_apply_result *res)
{
    struct ps_record r;
    rec_make(&r, "ewa.enroll", "external_id", ext, "first_name", "Ana",
             "last_name", "Lopez", "email", "ana@example.com", "phone",
             "+14155550124", "employment_status", "ACTIVE", "program",
             "Early Pay", "enrollment_begin", "2026-01-01", "routing_number",
             ROUTING, "account_number", BANKNO, "bank_account_type", "CHECKING",
             "earned_wages", "3000.00", "period_start", "2026-11-01",
             "period_end", "2026-11-15", NULL);
    apply1(fx, &r, ROSTER_FILE, res);
}

/* An ELIGIBLE card profile, 3000.00 earned. */
static void enrolled(struct fixture *fx, const char *ext)
{
    struct ps_apply_result res;
    roster_card(fx, ext, CARD1, "ACTIVE", &res);
    expect_ok(&res);
}

static void disburse_rec(struct ps_record *r, const char *req, const char *ext,
                         const char *amount, const char *currency,
                         const char *rail)
{
    rec_make(r, "ewa.disburse", "request_id", req, "external_id", ext, "amount",
             amount, "currency", currency, "rail", rail, NULL);
}

static void disburse(struct fixture *fx, const char *req, const char *ext,
                     const char *amount, const char *currency, const char *rail,
                     struct ps_apply_result *res)
{
    struct ps_record r;
    disburse_rec(&r, req, ext, amount, currency, rail);
    apply1(fx, &r, DISBURSE_FILE, res);
}

static void payroll_rec(struct ps_record *r, const char *ext,
                        const char *pay_date, const char *deduction)
{
    rec_make(r, "ewa.payroll", "external_id", ext, "pay_date", pay_date,
             "gross", "2000.00", "net", "1500.00", "ewa_deduction", deduction,
             "currency", "USD", "period_start", "2026-11-01", "period_end",
             "2026-11-15", NULL);
}

static void payroll(struct fixture *fx, const char *ext, const char *pay_date,
                    const char *deduction, struct ps_apply_result *res)
{
    struct ps_record r;
    payroll_rec(&r, ext, pay_date, deduction);
    apply1(fx, &r, PAYROLL_FILE, res);
}

static void status_change(struct fixture *fx, const char *target,
                          const char *ext, const char *status,
                          struct ps_apply_result *res)
{
    struct ps_record r;
    rec_make(&r, "status.change", "target", target, "external_id", ext,
             "status", status, "reason", "set by the test", NULL);
    apply1(fx, &r, STATUS_FILE, res);
}

/* ---- reading the store back ---------------------------------------- */

static void get_profile(struct fixture *fx, const struct ps_business *b,
                        const char *ext, struct ps_profile *out)
{
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_store_profile_get_ext(fx->eng->store, b->id, ext, out, &err) != 0)
        fail_msg("profile %s: %s [%s]", ext, err.msg, err.rule);
}

static int64_t count_sql(struct fixture *fx, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(fx->raw, sql, -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

struct trial {
    int rows;
    int64_t debits, balance;
};

static int trial_row(void *ctx, const struct ps_trial_row *r)
{
    struct trial *t = ctx;
    t->rows++;
    t->debits += r->debits;
    t->balance += r->balance;
    assert_int_equal(r->debits, r->credits);
    assert_int_equal(r->mismatched, 0);
    return 0;
}

/* The trial balance is zero; returns the total of debits posted. */
static int64_t ledger_debits(struct fixture *fx)
{
    struct trial t = {0, 0, 0};
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(ps_ledger_check(fx->eng->store, NULL, &err), 0);
    assert_int_equal(
        ps_store_trial_balance(fx->eng->store, NULL, trial_row, &t, &err), 0);
    assert_int_equal(t.balance, 0);
    return t.debits;
}

static int64_t kind_balance(struct fixture *fx, enum ps_ledger_kind kind)
{
    int64_t bal = 0;
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(ps_store_ledger_kind_balance(fx->eng->store, fx->biz.id,
                                                  kind, "USD", &bal, &err),
                     0);
    return bal;
}

#define MAX_HIST 16
struct hist {
    struct ps_eligibility_row row[MAX_HIST];
    int n;
};

static int hist_row(void *ctx, const struct ps_eligibility_row *r)
{
    struct hist *h = ctx;
    if (h->n < MAX_HIST)
        h->row[h->n] = *r;
    h->n++;
    return 0;
}

static void history(struct fixture *fx, const char *profile_id, struct hist *h)
{
    struct ps_err err;
    ps_err_clear(&err);
    memset(h, 0, sizeof(*h));
    assert_int_equal(ps_store_eligibility_list(fx->eng->store, profile_id,
                                               hist_row, h, &err),
                     0);
    assert_true(h->n <= MAX_HIST);
}

/* Everything a refused disbursement must leave alone. */
struct snap {
    int64_t atr, pd; /* the profile's balances (0 if no profile) */
    int64_t txns, entries, payrolls, debits;
};

static void snap_take(struct fixture *fx, const struct ps_business *b,
                      const char *ext, struct snap *s)
{
    struct ps_profile p;
    struct ps_err err;
    ps_err_clear(&err);
    memset(s, 0, sizeof(*s));
    if (ext != NULL &&
        ps_store_profile_get_ext(fx->eng->store, b->id, ext, &p, &err) == 0) {
        s->atr = p.amount_to_recover;
        s->pd = p.period_disbursed;
    }
    s->txns = count_sql(fx, "SELECT count(*) FROM transactions");
    s->entries = count_sql(fx, "SELECT count(*) FROM ledger_entries");
    s->payrolls = count_sql(fx, "SELECT count(*) FROM payroll_results");
    s->debits = ledger_debits(fx);
}

static void assert_unchanged(struct fixture *fx, const struct ps_business *b,
                             const char *ext, const struct snap *before)
{
    struct snap now;
    snap_take(fx, b, ext, &now);
    assert_int_equal(now.atr, before->atr);
    assert_int_equal(now.pd, before->pd);
    assert_int_equal(now.txns, before->txns);
    assert_int_equal(now.entries, before->entries);
    assert_int_equal(now.payrolls, before->payrolls);
    assert_int_equal(now.debits, before->debits);
}

/*
 * A disbursement that must be refused with `outcome` and `code`, and
 * change nothing; `msg` (may be NULL) must appear in the message.  The
 * request id is fresh unless req is given.
 */
static void refused(struct fixture *fx, const char *req, const char *ext,
                    const char *amount, const char *currency, const char *rail,
                    enum ps_outcome outcome, const char *code, const char *msg)
{
    struct ps_apply_result res;
    struct snap before;
    char id[32];
    if (req == NULL) {
        snprintf(id, sizeof(id), "REF-%ld", fx->line);
        req = id;
    }
    snap_take(fx, &fx->biz, ext, &before);
    disburse(fx, req, ext, amount, currency, rail, &res);
    expect(&res, outcome, code);
    assert_true(res.message[0] != '\0');
    assert_string_equal(res.ids, "");
    assert_int_equal(res.amount, 0);
    if (msg != NULL && strstr(res.message, msg) == NULL)
        fail_msg("message \"%s\" does not mention \"%s\"", res.message, msg);
    assert_unchanged(fx, &fx->biz, ext, &before);
    if (outcome == PS_REJECTED) {
        /* the refused request id stays unused */
        struct ps_txn t;
        struct ps_err err;
        ps_err_clear(&err);
        assert_int_equal(
            ps_store_txn_get_request(fx->eng->store, fx->biz.id, req, &t, &err),
            PS_ENOTFOUND);
    }
}

static void rejected(struct fixture *fx, const char *ext, const char *amount,
                     const char *currency, const char *rail, const char *code)
{
    refused(fx, NULL, ext, amount, currency, rail, PS_REJECTED, code, NULL);
}

/* An accepted disbursement; returns its transaction. */
static void accepted(struct fixture *fx, const char *req, const char *ext,
                     const char *amount, const char *rail, struct ps_txn *out)
{
    struct ps_apply_result res;
    struct ps_err err;
    ps_err_clear(&err);
    disburse(fx, req, ext, amount, "USD", rail, &res);
    expect_ok(&res);
    if (out != NULL &&
        ps_store_txn_get(fx->eng->store, res.ids, out, &err) != 0)
        fail_msg("transaction %s: %s [%s]", res.ids, err.msg, err.rule);
}

/* Reopen the applier: a new document sees what others changed. */
static void reopen(struct fixture *fx)
{
    struct ps_err err;
    ps_err_clear(&err);
    ps_applier_close(fx->ap);
    fx->ap = NULL;
    if (ps_applier_open(fx->eng, &fx->biz, &fx->ap, &err) != 0)
        fail_msg("ps_applier_open: %s [%s]", err.msg, err.rule);
}

/* An ELIGIBLE profile in the other business, through its own applier. */
static void enroll_other(struct fixture *fx, const char *ext)
{
    struct ps_applier *mine = fx->ap;
    struct ps_apply_result res;
    struct ps_record r;
    assert_int_equal(ps_applier_open(fx->eng, &fx->other, &fx->ap, NULL), 0);
    rec_make(&r, "ewa.enroll", "external_id", ext, "first_name", "John",
             "last_name", "Smith", "email", "john@example.com", "phone",
             "+14155550199", "program", "Globex Pay", "card_number", CARD2,
             "earned_wages", "3000.00", NULL);
    apply1(fx, &r, ROSTER_FILE, &res);
    ps_applier_close(fx->ap);
    fx->ap = mine;
    expect_ok(&res);
}

/* ------------------------------------------------------------------ */
/* Disbursement refusals: one test per rule                            */
/* ------------------------------------------------------------------ */

static void test_refuse_profile_not_found(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_profile gp;
    struct snap gbefore;
    enrolled(fx, "EMP-1");

    enroll_other(fx, "G-1");
    get_profile(fx, &fx->other, "G-1", &gp);
    assert_int_equal(gp.eligibility, PS_ELIG_ELIGIBLE);
    snap_take(fx, &fx->other, "G-1", &gbefore);

    rejected(fx, "NOBODY", "100.00", "USD", "", "PROFILE_NOT_FOUND");
    /* externalIds match exactly */
    rejected(fx, "emp-1", "100.00", "USD", "", "PROFILE_NOT_FOUND");
    /* a profile of another business is not found here */
    rejected(fx, "G-1", "100.00", "USD", "", "PROFILE_NOT_FOUND");
    assert_unchanged(fx, &fx->other, "G-1", &gbefore);
    /* a customer without a profile is not a profile */
    {
        struct ps_record r;
        rec_make(&r, "customer.upsert", "external_id", "CUST-ONLY",
                 "first_name", "Solo", "last_name", "Person", "email",
                 "solo@example.com", "phone", "+14155550111", NULL);
        apply1(fx, &r, ROSTER_FILE, &res);
        expect_ok(&res);
    }
    rejected(fx, "CUST-ONLY", "100.00", "USD", "", "PROFILE_NOT_FOUND");
    /* the same request for the one that exists goes through */
    accepted(fx, "OK-1", "EMP-1", "100.00", "", NULL);
}

static void test_refuse_not_enrolled(void **state)
{
    struct fixture *fx = *state;
    struct ps_profile p;
    struct ps_err err;
    ps_err_clear(&err);
    enrolled(fx, "EMP-1");
    get_profile(fx, &fx->biz, "EMP-1", &p);
    assert_int_equal(ps_ewa_set_enrollment(fx->eng, p.id, PS_ENROLL_INACTIVE,
                                           NULL, NULL, &err),
                     0);
    refused(fx, NULL, "EMP-1", "100.00", "USD", "", PS_REJECTED, "NOT_ENROLLED",
            "INACTIVE");
    /* a roster line enrolls again */
    enrolled(fx, "EMP-1");
    accepted(fx, "OK-1", "EMP-1", "100.00", "", NULL);
}

static void test_refuse_outside_window(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_record r;

    /* begins tomorrow */
    rec_make(&r, "ewa.enroll", "external_id", "EMP-F", "first_name", "Fu",
             "last_name", "Ture", "email", "f@example.com", "phone",
             "+14155550101", "program", "Early Pay", "enrollment_begin",
             "2026-11-21", "card_number", CARD1, "earned_wages", "3000.00",
             NULL);
    apply1(fx, &r, ROSTER_FILE, &res);
    expect_ok(&res);
    refused(fx, NULL, "EMP-F", "100.00", "USD", "", PS_REJECTED,
            "OUTSIDE_ENROLLMENT_WINDOW", "2026-11-21");

    /* ended on the first */
    rec_make(&r, "ewa.enroll", "external_id", "EMP-P", "first_name", "Pa",
             "last_name", "St", "email", "p@example.com", "phone",
             "+14155550102", "program", "Early Pay", "enrollment_begin",
             "2026-01-01", "enrollment_end", "2026-11-01", "card_number", CARD2,
             "earned_wages", "3000.00", NULL);
    apply1(fx, &r, ROSTER_FILE, &res);
    expect_ok(&res);
    refused(fx, NULL, "EMP-P", "100.00", "USD", "", PS_REJECTED,
            "OUTSIDE_ENROLLMENT_WINDOW", "ended");

    /* an end tomorrow is still open today */
    rec_make(&r, "ewa.enroll", "external_id", "EMP-T", "first_name", "To",
             "last_name", "Morrow", "email", "t@example.com", "phone",
             "+14155550103", "program", "Early Pay", "enrollment_begin",
             "2026-01-01", "enrollment_end", "2026-11-21", "card_number", CARD3,
             "earned_wages", "3000.00", NULL);
    apply1(fx, &r, ROSTER_FILE, &res);
    expect_ok(&res);
    accepted(fx, "OK-T", "EMP-T", "100.00", "", NULL);
}

static void test_refuse_not_eligible(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_profile p;
    struct ps_customer c;
    struct ps_account a;
    struct ps_err err;
    ps_err_clear(&err);

    /* NEW: enrolled through the API, never on a roster */
    {
        struct ps_record r;
        rec_make(&r, "customer.upsert", "external_id", "EMP-N", "first_name",
                 "Nu", "last_name", "Eve", "email", "n@example.com", "phone",
                 "+14155550104", NULL);
        apply1(fx, &r, ROSTER_FILE, &res);
        expect_ok(&res);
        rec_make(&r, "account.add", "external_id", "EMP-N", "account_kind",
                 "CARD", "card_number", CARD1, NULL);
        apply1(fx, &r, ROSTER_FILE, &res);
        expect_ok(&res);
        assert_int_equal(ps_store_customer_get_ext(fx->eng->store, fx->biz.id,
                                                   "EMP-N", &c, &err),
                         0);
        assert_int_equal(
            ps_store_account_get(fx->eng->store, res.ids, &a, &err), 0);
        memset(&p, 0, sizeof(p));
        ps_strlcpy(p.business_id, fx->biz.id, sizeof(p.business_id));
        ps_strlcpy(p.external_id, "EMP-N", sizeof(p.external_id));
        ps_strlcpy(p.customer_id, c.id, sizeof(p.customer_id));
        ps_strlcpy(p.account_id, a.id, sizeof(p.account_id));
        ps_strlcpy(p.program_id, fx->prog.id, sizeof(p.program_id));
        ps_strlcpy(p.enrollment_begin, "2026-01-01",
                   sizeof(p.enrollment_begin));
        assert_int_equal(ps_ewa_enroll(fx->eng, &p, NULL, &err), 0);
        assert_int_equal(p.eligibility, PS_ELIG_NEW);
    }
    refused(fx, NULL, "EMP-N", "100.00", "USD", "", PS_REJECTED, "NOT_ELIGIBLE",
            "NEW");

    /* INELIGIBLE: terminated on the roster */
    roster_card(fx, "EMP-I", CARD2, "TERMINATED", &res);
    expect_ok(&res);
    refused(fx, NULL, "EMP-I", "100.00", "USD", "", PS_REJECTED, "NOT_ELIGIBLE",
            "INELIGIBLE");

    /* ARREARS: a payroll that deducted nothing of what was due */
    enrolled(fx, "EMP-A");
    accepted(fx, "A-1", "EMP-A", "100.00", "", NULL);
    payroll(fx, "EMP-A", "2026-11-20", "0.00", &res);
    expect_ok(&res);
    get_profile(fx, &fx->biz, "EMP-A", &p);
    assert_int_equal(p.eligibility, PS_ELIG_ARREARS);
    refused(fx, NULL, "EMP-A", "10.00", "USD", "", PS_REJECTED, "NOT_ELIGIBLE",
            "ARREARS");

    /* BAD_DEBT: three failed recoveries in a row */
    enrolled(fx, "EMP-B");
    accepted(fx, "B-1", "EMP-B", "100.00", "", NULL);
    payroll(fx, "EMP-B", "2026-10-01", "0.00", &res);
    expect_ok(&res);
    payroll(fx, "EMP-B", "2026-10-15", "10.00", &res);
    expect_ok(&res);
    payroll(fx, "EMP-B", "2026-11-01", "0.00", &res);
    expect_ok(&res);
    get_profile(fx, &fx->biz, "EMP-B", &p);
    assert_int_equal(p.eligibility, PS_ELIG_BAD_DEBT);
    assert_int_equal(p.failed_recoveries, 3);
    assert_int_equal(p.amount_to_recover, 10299 - 1000);
    refused(fx, NULL, "EMP-B", "10.00", "USD", "", PS_REJECTED, "NOT_ELIGIBLE",
            "BAD_DEBT");

    /* DISABLED */
    enrolled(fx, "EMP-D");
    status_change(fx, "EWA", "EMP-D", "DISABLED", &res);
    expect_ok(&res);
    refused(fx, NULL, "EMP-D", "10.00", "USD", "", PS_REJECTED, "NOT_ELIGIBLE",
            "DISABLED");

    /* INELIGIBLE set by hand, not by the roster */
    enrolled(fx, "EMP-H");
    status_change(fx, "EWA", "EMP-H", "INELIGIBLE", &res);
    expect_ok(&res);
    refused(fx, NULL, "EMP-H", "10.00", "USD", "", PS_REJECTED, "NOT_ELIGIBLE",
            "INELIGIBLE");
}

/* The engine API cannot suspend a program; the row is changed behind its
 * back, as an operator's tool would. */
static void test_refuse_program_suspended(void **state)
{
    struct fixture *fx = *state;
    char *sql;
    enrolled(fx, "EMP-1");
    sql = sqlite3_mprintf("UPDATE ewa_programs SET status = 'SUSPENDED' "
                          "WHERE id = %Q",
                          fx->prog.id);
    assert_non_null(sql);
    assert_int_equal(sqlite3_exec(fx->raw, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_free(sql);
    reopen(fx);
    refused(fx, NULL, "EMP-1", "100.00", "USD", "", PS_REJECTED,
            "PROGRAM_SUSPENDED", "Early Pay");
}

static void test_refuse_customer_suspended(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    enrolled(fx, "EMP-1");
    accepted(fx, "OK-1", "EMP-1", "100.00", "", NULL); /* book loaded */
    status_change(fx, "CUSTOMER", "EMP-1", "SUSPENDED", &res);
    expect_ok(&res);
    rejected(fx, "EMP-1", "100.00", "USD", "", "CUSTOMER_SUSPENDED");
    /* reactivated, it disburses again */
    status_change(fx, "CUSTOMER", "EMP-1", "ACTIVE", &res);
    expect_ok(&res);
    accepted(fx, "OK-2", "EMP-1", "100.00", "", NULL);
}

static void test_refuse_account_suspended(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_record r;
    enrolled(fx, "EMP-1");
    accepted(fx, "OK-1", "EMP-1", "100.00", "", NULL); /* book loaded */
    rec_make(&r, "status.change", "target", "ACCOUNT", "external_id", "EMP-1",
             "account_last4", "1111", "status", "SUSPENDED", "reason",
             "card reported lost", NULL);
    apply1(fx, &r, STATUS_FILE, &res);
    expect_ok(&res);
    rejected(fx, "EMP-1", "100.00", "USD", "", "ACCOUNT_SUSPENDED");
    rejected(fx, "EMP-1", "100.00", "USD", "CARD", "ACCOUNT_SUSPENDED");
}

static void test_refuse_rail_not_available(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    enrolled(fx, "EMP-C");
    roster_bank(fx, "EMP-K", &res);
    expect_ok(&res);
    refused(fx, NULL, "EMP-C", "100.00", "USD", "ACH", PS_REJECTED,
            "RAIL_NOT_AVAILABLE", "ACH");
    refused(fx, NULL, "EMP-K", "100.00", "USD", "CARD", PS_REJECTED,
            "RAIL_NOT_AVAILABLE", "PUSH_TO_CARD");
    refused(fx, NULL, "EMP-K", "100.00", "USD", "PUSH_TO_CARD", PS_REJECTED,
            "RAIL_NOT_AVAILABLE", NULL);
    /* not a rail at all */
    rejected(fx, "EMP-C", "100.00", "USD", "WIRE", "RAIL_UNKNOWN");
    rejected(fx, "EMP-C", "100.00", "USD", "card", "RAIL_UNKNOWN");
}

static void test_refuse_amount_not_positive(void **state)
{
    struct fixture *fx = *state;
    enrolled(fx, "EMP-1");
    rejected(fx, "EMP-1", "0", "USD", "", "AMOUNT_NOT_POSITIVE");
    rejected(fx, "EMP-1", "0.00", "USD", "", "AMOUNT_NOT_POSITIVE");
    rejected(fx, "EMP-1", "-5.00", "USD", "", "AMOUNT_NOT_POSITIVE");
    rejected(fx, "EMP-1", "-0.01", "USD", "", "AMOUNT_NOT_POSITIVE");
}

static void test_refuse_money_format(void **state)
{
    struct fixture *fx = *state;
    enrolled(fx, "EMP-1");
    rejected(fx, "EMP-1", "12.345", "USD", "", "MONEY_TOO_MANY_DECIMALS");
    rejected(fx, "EMP-1", "1e3", "USD", "", "MONEY_EXPONENT");
    rejected(fx, "EMP-1", "12,50", "USD", "", "MONEY_FORMAT");
    rejected(fx, "EMP-1", "-0", "USD", "", "MONEY_NEGATIVE_ZERO");
    rejected(fx, "EMP-1", "", "USD", "", "FIELD_REQUIRED");
    /* JPY has no minor unit: "100.5" is too precise for it */
    rejected(fx, "EMP-1", "100.5", "JPY", "", "MONEY_TOO_MANY_DECIMALS");
}

static void test_refuse_currency_unknown(void **state)
{
    struct fixture *fx = *state;
    enrolled(fx, "EMP-1");
    rejected(fx, "EMP-1", "100.00", "ABC", "", "CURRENCY_UNKNOWN");
    rejected(fx, "EMP-1", "100.00", "usd", "", "CURRENCY_UNKNOWN");
    rejected(fx, "EMP-1", "100.00", "", "", "FIELD_REQUIRED");
}

static void test_refuse_wrong_currency(void **state)
{
    struct fixture *fx = *state;
    enrolled(fx, "EMP-1");
    refused(fx, NULL, "EMP-1", "100.00", "EUR", "", PS_REJECTED,
            "WRONG_CURRENCY", "USD");
    rejected(fx, "EMP-1", "100", "JPY", "", "WRONG_CURRENCY");
}

static void test_refuse_under_minimum(void **state)
{
    struct fixture *fx = *state;
    struct ps_txn t;
    enrolled(fx, "EMP-1");
    refused(fx, NULL, "EMP-1", "9.99", "USD", "", PS_REJECTED,
            "UNDER_TRANSFER_MINIMUM", "10.00");
    rejected(fx, "EMP-1", "0.01", "USD", "", "UNDER_TRANSFER_MINIMUM");
    accepted(fx, "MIN", "EMP-1", "10.00", "", &t);
    assert_int_equal(t.amount, 1000);
}

static void test_refuse_over_transfer_limit(void **state)
{
    struct fixture *fx = *state;
    struct ps_txn t;
    enrolled(fx, "EMP-1");
    refused(fx, NULL, "EMP-1", "500.01", "USD", "", PS_REJECTED,
            "OVER_TRANSFER_LIMIT", "500.00");
    accepted(fx, "MAX", "EMP-1", "500.00", "", &t);
    assert_int_equal(t.amount, 50000);
}

static void test_refuse_over_period_cap(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    enrolled(fx, "EMP-1");
    accepted(fx, "P-1", "EMP-1", "500.00", "", NULL);
    /* 300.00 left of the 800.00 cap */
    refused(fx, NULL, "EMP-1", "300.01", "USD", "", PS_REJECTED,
            "OVER_PERIOD_CAP", "300.00");
    accepted(fx, "P-2", "EMP-1", "300.00", "", NULL);
    refused(fx, NULL, "EMP-1", "10.00", "USD", "", PS_REJECTED,
            "OVER_PERIOD_CAP", "0.00");

    /* in one chunk: the book counts what it accepted before the flush */
    enrolled(fx, "EMP-2");
    {
        struct ps_record r;
        chunk_begin(fx);
        disburse_rec(&r, "Q-1", "EMP-2", "500.00", "USD", "");
        apply_in(fx, &r, DISBURSE_FILE, fx->line++, &res);
        expect_ok(&res);
        disburse_rec(&r, "Q-2", "EMP-2", "300.01", "USD", "");
        apply_in(fx, &r, DISBURSE_FILE, fx->line++, &res);
        expect(&res, PS_REJECTED, "OVER_PERIOD_CAP");
        chunk_commit(fx);
    }
}

static void test_refuse_over_available_wages(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_record r;
    /* 100.00 earned: 50.00 available */
    rec_make(&r, "ewa.enroll", "external_id", "EMP-W", "first_name", "Wa",
             "last_name", "Ges", "email", "w@example.com", "phone",
             "+14155550105", "program", "Early Pay", "card_number", CARD1,
             "earned_wages", "100.00", "period_start", "2026-11-01", NULL);
    apply1(fx, &r, ROSTER_FILE, &res);
    expect_ok(&res);
    refused(fx, NULL, "EMP-W", "50.01", "USD", "", PS_REJECTED,
            "OVER_AVAILABLE_WAGES", "50.00");
    accepted(fx, "W-1", "EMP-W", "40.00", "", NULL);
    refused(fx, NULL, "EMP-W", "10.01", "USD", "", PS_REJECTED,
            "OVER_AVAILABLE_WAGES", "10.00");
    accepted(fx, "W-2", "EMP-W", "10.00", "", NULL);

    /* nothing earned yet: nothing available */
    rec_make(&r, "ewa.enroll", "external_id", "EMP-Z", "first_name", "Ze",
             "last_name", "Ro", "email", "z@example.com", "phone",
             "+14155550106", "program", "Early Pay", "card_number", CARD2,
             NULL);
    apply1(fx, &r, ROSTER_FILE, &res);
    expect_ok(&res);
    rejected(fx, "EMP-Z", "10.00", "USD", "", "OVER_AVAILABLE_WAGES");
}

static void test_refuse_over_max_outstanding(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_record r;
    struct ps_program tight;
    struct ps_profile p;
    /* 100.00 outstanding at most */
    program_defaults(&tight, &fx->biz, "Tight");
    tight.max_outstanding = 10000;
    add_program(fx, &tight);
    rec_make(&r, "ewa.enroll", "external_id", "EMP-M", "first_name", "Ma",
             "last_name", "Xi", "email", "m@example.com", "phone",
             "+14155550107", "program", "Tight", "card_number", CARD1,
             "earned_wages", "3000.00", NULL);
    apply1(fx, &r, ROSTER_FILE, &res);
    expect_ok(&res);
    /* 97.02 + 2.99 = 100.01 */
    refused(fx, NULL, "EMP-M", "97.02", "USD", "", PS_REJECTED,
            "OVER_MAX_OUTSTANDING", "100.00");
    /* 97.01 + 2.99 = 100.00 */
    accepted(fx, "M-1", "EMP-M", "97.01", "", NULL);
    get_profile(fx, &fx->biz, "EMP-M", &p);
    assert_int_equal(p.amount_to_recover, 10000);
    rejected(fx, "EMP-M", "10.00", "USD", "", "OVER_MAX_OUTSTANDING");
}

static void test_refuse_duplicate_request(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_record r;
    struct ps_profile p;
    struct ps_txn first;
    enrolled(fx, "EMP-1");
    enrolled(fx, "EMP-2");

    /* twice in one chunk */
    chunk_begin(fx);
    disburse_rec(&r, "D-1", "EMP-1", "100.00", "USD", "");
    apply_in(fx, &r, DISBURSE_FILE, 10, &res);
    expect_ok(&res);
    ps_strlcpy(first.id, res.ids, sizeof(first.id));
    apply_in(fx, &r, DISBURSE_FILE, 11, &res);
    expect(&res, PS_DUPLICATE, "DUPLICATE_REQUEST");
    assert_non_null(strstr(res.message, "D-1"));
    chunk_commit(fx);
    get_profile(fx, &fx->biz, "EMP-1", &p);
    assert_int_equal(p.amount_to_recover, 10299);
    assert_int_equal(p.period_disbursed, 10000);
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM transactions"), 1);

    /* in a later chunk, and in a later document */
    refused(fx, "D-1", "EMP-1", "100.00", "USD", "", PS_DUPLICATE,
            "DUPLICATE_REQUEST", "D-1");
    reopen(fx);
    refused(fx, "D-1", "EMP-1", "100.00", "USD", "", PS_DUPLICATE,
            "DUPLICATE_REQUEST", NULL);
    /* the id is the business's: another employee cannot reuse it */
    refused(fx, "D-1", "EMP-2", "100.00", "USD", "", PS_DUPLICATE,
            "DUPLICATE_REQUEST", NULL);

    /* re-sent requests that would now fail a rule are still DUPLICATE */
    accepted(fx, "D-2", "EMP-1", "500.00", "", NULL); /* cap: 200.00 left */
    refused(fx, "D-2", "EMP-1", "500.00", "USD", "", PS_DUPLICATE,
            "DUPLICATE_REQUEST", NULL);
    refused(fx, "D-1", "EMP-1", "100.00", "EUR", "", PS_DUPLICATE,
            "DUPLICATE_REQUEST", first.id);
    refused(fx, "D-1", "EMP-1", "12.345", "USD", "", PS_DUPLICATE,
            "DUPLICATE_REQUEST", NULL);
    status_change(fx, "CUSTOMER", "EMP-1", "SUSPENDED", &res);
    expect_ok(&res);
    refused(fx, "D-1", "EMP-1", "100.00", "USD", "", PS_DUPLICATE,
            "DUPLICATE_REQUEST", NULL);
    status_change(fx, "EWA", "EMP-1", "DISABLED", &res);
    expect_ok(&res);
    refused(fx, "D-2", "EMP-1", "500.00", "USD", "", PS_DUPLICATE,
            "DUPLICATE_REQUEST", NULL);

    /* and a refused request's id was never used: it can come again */
    refused(fx, "D-3", "EMP-2", "9.00", "USD", "", PS_REJECTED,
            "UNDER_TRANSFER_MINIMUM", NULL);
    accepted(fx, "D-3", "EMP-2", "10.00", "", NULL);
}

/* ------------------------------------------------------------------ */
/* Accepted disbursements                                              */
/* ------------------------------------------------------------------ */

static void test_accept_card(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_record r;
    struct ps_profile p;
    struct ps_txn t;
    struct ps_err err;
    json_t *o = NULL;
    ps_err_clear(&err);
    enrolled(fx, "EMP-1");
    get_profile(fx, &fx->biz, "EMP-1", &p);

    chunk_begin(fx);
    disburse_rec(&r, "REQ-1", "EMP-1", "100.00", "USD", "");
    apply_in(fx, &r, DISBURSE_FILE, 7, &res);
    expect_ok(&res);
    assert_int_equal(res.amount, 10000);
    assert_string_equal(res.currency, "USD");
    assert_string_equal(res.message, "PUSH_TO_CARD, fee 2.99");
    /* the balances wait in the book until the flush */
    {
        struct ps_profile mid;
        get_profile(fx, &fx->biz, "EMP-1", &mid);
        assert_int_equal(mid.amount_to_recover, 0);
    }
    chunk_commit(fx);

    assert_int_equal(ps_store_txn_get(fx->eng->store, res.ids, &t, &err), 0);
    assert_int_equal(t.type, PS_TXN_SEND);
    assert_int_equal(t.purpose, PS_PURPOSE_EWA_DISBURSEMENT);
    assert_int_equal(t.rail, PS_RAIL_PUSH_TO_CARD);
    assert_int_equal(t.status, PS_TXN_NEW);
    assert_int_equal(t.amount, 10000);
    assert_int_equal(t.fee, 299);
    assert_string_equal(t.currency, "USD");
    assert_string_equal(t.request_id, "REQ-1");
    assert_string_equal(t.profile_id, p.id);
    assert_string_equal(t.customer_id, p.customer_id);
    assert_string_equal(t.account_id, p.account_id);
    assert_string_equal(t.business_id, fx->biz.id);

    get_profile(fx, &fx->biz, "EMP-1", &p);
    assert_int_equal(p.amount_to_recover, 10299);
    assert_int_equal(p.period_disbursed, 10000);
    assert_int_equal(p.eligibility, PS_ELIG_ELIGIBLE);

    /* Dr RECEIVABLE 102.99 / Cr CUSTOMER 100.00, Cr FEE_INCOME 2.99 */
    assert_int_equal(ledger_debits(fx), 10299);
    assert_int_equal(kind_balance(fx, PS_LEDGER_EWA_RECEIVABLE), 10299);
    assert_int_equal(kind_balance(fx, PS_LEDGER_FEE_INCOME), -299);
    assert_int_equal(kind_balance(fx, PS_LEDGER_CUSTOMER), -10000);
    assert_int_equal(kind_balance(fx, PS_LEDGER_FUNDING), 0);

    /* the transaction's creation names the file and line */
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM transactions"
                                   " WHERE source_file = '" DISBURSE_FILE
                                   "' AND source_line = 7"),
                     1);

    /* the seed's object: amountToRecover and the payment page */
    assert_int_equal(ps_ewa_show(fx->eng, fx->biz.id, "EMP-1", 0, 20, &o, &err),
                     0);
    assert_string_equal(
        json_string_value(json_object_get(o, "amountToRecover")), "102.99");
    {
        json_t *pay = json_object_get(o, "payment");
        json_t *item = json_array_get(json_object_get(pay, "content"), 0);
        assert_int_equal(
            json_integer_value(json_object_get(pay, "totalElements")), 1);
        assert_non_null(item);
        assert_string_equal(
            json_string_value(json_object_get(item, "transactionId")), t.id);
        assert_string_equal(json_string_value(json_object_get(item, "amount")),
                            "100.00");
        assert_string_equal(
            json_string_value(json_object_get(item, "transactionType")),
            "SEND");
    }
    json_decref(o);

    /* a second one adds up; rail CARD named explicitly */
    accepted(fx, "REQ-2", "EMP-1", "50.00", "CARD", &t);
    assert_int_equal(t.rail, PS_RAIL_PUSH_TO_CARD);
    get_profile(fx, &fx->biz, "EMP-1", &p);
    assert_int_equal(p.amount_to_recover, 10299 + 5299);
    assert_int_equal(p.period_disbursed, 15000);
    assert_int_equal(kind_balance(fx, PS_LEDGER_EWA_RECEIVABLE), 15598);
}

static void test_accept_bank(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_profile p;
    struct ps_account a;
    struct ps_txn t;
    struct ps_err err;
    ps_err_clear(&err);
    roster_bank(fx, "EMP-K", &res);
    expect_ok(&res);
    get_profile(fx, &fx->biz, "EMP-K", &p);
    assert_int_equal(
        ps_store_account_get(fx->eng->store, p.account_id, &a, &err), 0);
    assert_int_equal(a.kind, PS_ACCOUNT_EXTERNAL_BANK);
    assert_string_equal(a.routing_number, ROUTING);
    assert_string_equal(a.last4, "6789");

    disburse(fx, "K-1", "EMP-K", "200.00", "USD", "", &res);
    expect_ok(&res);
    assert_string_equal(res.message, "ACH, no fee");
    assert_int_equal(ps_store_txn_get(fx->eng->store, res.ids, &t, &err), 0);
    assert_int_equal(t.rail, PS_RAIL_ACH);
    assert_int_equal(t.fee, 0);
    assert_int_equal(t.purpose, PS_PURPOSE_EWA_DISBURSEMENT);
    assert_string_equal(t.account_id, a.id);
    accepted(fx, "K-2", "EMP-K", "10.00", "ACH", &t);
    assert_int_equal(t.rail, PS_RAIL_ACH);
    get_profile(fx, &fx->biz, "EMP-K", &p);
    assert_int_equal(p.amount_to_recover, 21000);
    assert_int_equal(p.period_disbursed, 21000);
    assert_int_equal(kind_balance(fx, PS_LEDGER_FEE_INCOME), 0);
    assert_int_equal(kind_balance(fx, PS_LEDGER_EWA_RECEIVABLE), 21000);
    assert_int_equal(ledger_debits(fx), 21000);
}

/* A rollback drops the book: what it held is gone with the chunk. */
static void test_rollback_abandons(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_record r;
    struct ps_profile p;
    enrolled(fx, "EMP-1");
    chunk_begin(fx);
    disburse_rec(&r, "RB-1", "EMP-1", "500.00", "USD", "");
    apply_in(fx, &r, DISBURSE_FILE, 1, &res);
    expect_ok(&res);
    ps_store_rollback(fx->eng->store);
    ps_applier_abandon(fx->ap);
    fx->in_chunk = 0;
    get_profile(fx, &fx->biz, "EMP-1", &p);
    assert_int_equal(p.amount_to_recover, 0);
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM transactions"), 0);
    /* the retried chunk sees the full cap again */
    accepted(fx, "RB-1", "EMP-1", "500.00", "", NULL);
    accepted(fx, "RB-2", "EMP-1", "300.00", "", NULL);
    get_profile(fx, &fx->biz, "EMP-1", &p);
    assert_int_equal(p.amount_to_recover, 80000 + 2 * 299);
}

/* ------------------------------------------------------------------ */
/* Eligibility from roster and payroll files: a table                  */
/* ------------------------------------------------------------------ */

struct elig_case {
    const char *from;       /* eligibility before the event */
    const char *employment; /* the roster's employment before */
    int advanced;           /* 1: 100.00 advanced, 102.99 due */
    int failures;           /* failed recoveries before */
    const char *event;      /* "roster" or "payroll" */
    const char *arg;        /* roster: employment; payroll: deduction */
    enum ps_outcome outcome;
    const char *code; /* rule when not ACCEPTED */
    const char *to;
    int failed;
    int64_t atr;        /* amountToRecover after */
    const char *reason; /* the new history row's reason; NULL: no row */
};

static const struct elig_case elig_cases[] = {
    /* the roster follows employment */
    {"ELIGIBLE", "ACTIVE", 0, 0, "roster", "TERMINATED", PS_ACCEPTED, NULL,
     "INELIGIBLE", 0, 0, "employment TERMINATED on the roster"},
    {"ELIGIBLE", "ACTIVE", 0, 0, "roster", "LEAVE", PS_ACCEPTED, NULL,
     "INELIGIBLE", 0, 0, "employment LEAVE on the roster"},
    {"ARREARS", "ACTIVE", 1, 1, "roster", "TERMINATED", PS_ACCEPTED, NULL,
     "INELIGIBLE", 1, 10299, "employment TERMINATED"},
    {"NEW", "ACTIVE", 0, 0, "roster", "ACTIVE", PS_ACCEPTED, NULL, "ELIGIBLE",
     0, 0, "employment ACTIVE on the employer's roster"},
    {"NEW", "ACTIVE", 0, 0, "roster", "TERMINATED", PS_ACCEPTED, NULL,
     "INELIGIBLE", 0, 0, "employment TERMINATED"},
    /* re-hire */
    {"INELIGIBLE", "TERMINATED", 0, 0, "roster", "ACTIVE", PS_ACCEPTED, NULL,
     "ELIGIBLE", 0, 0, "ACTIVE again on the roster (was TERMINATED)"},
    {"INELIGIBLE", "LEAVE", 0, 0, "roster", "ACTIVE", PS_ACCEPTED, NULL,
     "ELIGIBLE", 0, 0, "(was LEAVE)"},
    /* back while recoveries are still failing: ARREARS */
    {"INELIGIBLE", "LEAVE", 1, 1, "roster", "ACTIVE", PS_ACCEPTED, NULL,
     "ARREARS", 1, 10299, "(was LEAVE)"},
    /* INELIGIBLE by hand, not by the roster: ACTIVE changes nothing */
    {"INELIGIBLE", "ACTIVE", 0, 0, "roster", "ACTIVE", PS_ACCEPTED, NULL,
     "INELIGIBLE", 0, 0, NULL},
    {"INELIGIBLE", "TERMINATED", 0, 0, "roster", "LEAVE", PS_ACCEPTED, NULL,
     "INELIGIBLE", 0, 0, NULL},
    {"ELIGIBLE", "ACTIVE", 0, 0, "roster", "ACTIVE", PS_ACCEPTED, NULL,
     "ELIGIBLE", 0, 0, NULL},
    {"BAD_DEBT", "ACTIVE", 1, 3, "roster", "TERMINATED", PS_ACCEPTED, NULL,
     "BAD_DEBT", 3, 10299, NULL},
    {"DISABLED", "ACTIVE", 0, 0, "roster", "ACTIVE", PS_ACCEPTED, NULL,
     "DISABLED", 0, 0, NULL},
    {"DISABLED", "ACTIVE", 0, 0, "roster", "TERMINATED", PS_ACCEPTED, NULL,
     "DISABLED", 0, 0, NULL},

    /* payroll: full, short, nothing due */
    {"ELIGIBLE", "ACTIVE", 1, 0, "payroll", "102.99", PS_ACCEPTED, NULL,
     "ELIGIBLE", 0, 0, NULL},
    {"ELIGIBLE", "ACTIVE", 1, 0, "payroll", "50.00", PS_ACCEPTED, NULL,
     "ARREARS", 1, 5299, "short by 52.99: deducted 50.00 of 102.99 due"},
    {"ELIGIBLE", "ACTIVE", 1, 0, "payroll", "0.00", PS_ACCEPTED, NULL,
     "ARREARS", 1, 10299, "short by 102.99"},
    {"ELIGIBLE", "ACTIVE", 0, 0, "payroll", "0.00", PS_ACCEPTED, NULL,
     "ELIGIBLE", 0, 0, NULL},
    {"ARREARS", "ACTIVE", 1, 1, "payroll", "102.99", PS_ACCEPTED, NULL,
     "ELIGIBLE", 0, 0, "recovered in full by the payroll of 2026-11-20"},
    {"ARREARS", "ACTIVE", 1, 0, "payroll", "102.99", PS_ACCEPTED, NULL,
     "ELIGIBLE", 0, 0, "recovered in full"},
    {"ARREARS", "ACTIVE", 1, 1, "payroll", "2.99", PS_ACCEPTED, NULL, "ARREARS",
     2, 10000, NULL},
    /* the third failure in a row: BAD_DEBT */
    {"ARREARS", "ACTIVE", 1, 2, "payroll", "0.00", PS_ACCEPTED, NULL,
     "BAD_DEBT", 3, 10299, "3 consecutive failed recoveries"},
    /* INELIGIBLE keeps recovering, and counts failures too */
    {"INELIGIBLE", "TERMINATED", 1, 0, "payroll", "40.00", PS_ACCEPTED, NULL,
     "INELIGIBLE", 1, 6299, NULL},
    {"INELIGIBLE", "TERMINATED", 1, 1, "payroll", "102.99", PS_ACCEPTED, NULL,
     "INELIGIBLE", 0, 0, NULL},
    {"INELIGIBLE", "TERMINATED", 1, 2, "payroll", "1.00", PS_ACCEPTED, NULL,
     "BAD_DEBT", 3, 10199, "3 consecutive failed recoveries"},
    /* BAD_DEBT takes no recovery, and owes nothing to a payroll */
    {"BAD_DEBT", "ACTIVE", 1, 3, "payroll", "10.00", PS_REJECTED,
     "RECOVERY_STOPPED", "BAD_DEBT", 3, 10299, NULL},
    {"BAD_DEBT", "ACTIVE", 1, 3, "payroll", "0.00", PS_ACCEPTED, NULL,
     "BAD_DEBT", 3, 10299, NULL},
    /* DISABLED is final: failing recoveries do not move it */
    {"DISABLED", "ACTIVE", 1, 2, "payroll", "1.00", PS_ACCEPTED, NULL,
     "DISABLED", 3, 10199, NULL},
    {"DISABLED", "ACTIVE", 1, 0, "payroll", "102.99", PS_ACCEPTED, NULL,
     "DISABLED", 0, 0, NULL},
    /* more than is due, or than was paid */
    {"ELIGIBLE", "ACTIVE", 1, 0, "payroll", "103.00", PS_REJECTED,
     "DEDUCTION_EXCEEDS_DUE", "ELIGIBLE", 0, 10299, NULL},
    {"ELIGIBLE", "ACTIVE", 0, 0, "payroll", "0.01", PS_REJECTED,
     "DEDUCTION_EXCEEDS_DUE", "ELIGIBLE", 0, 0, NULL},
    {"ELIGIBLE", "ACTIVE", 1, 0, "payroll", "2000.01", PS_REJECTED,
     "DEDUCTION_EXCEEDS_GROSS", "ELIGIBLE", 0, 10299, NULL},
    {"ELIGIBLE", "ACTIVE", 1, 0, "payroll", "10.001", PS_REJECTED,
     "MONEY_TOO_MANY_DECIMALS", "ELIGIBLE", 0, 10299, NULL},
};

static enum ps_eligibility elig_of(const char *name)
{
    int v = ps_enum_parse(PS_NAMES_ELIGIBILITY, name);
    assert_true(v >= 0);
    return (enum ps_eligibility)v;
}

/* A NEW profile: customer and card from records, enrolled by the API. */
static void make_new_profile(struct fixture *fx, const char *ext)
{
    struct ps_apply_result res;
    struct ps_record r;
    struct ps_customer c;
    struct ps_profile p;
    struct ps_err err;
    ps_err_clear(&err);
    rec_make(&r, "customer.upsert", "external_id", ext, "first_name", "Nu",
             "last_name", "Eve", "email", "n@example.com", "phone",
             "+14155550104", NULL);
    apply1(fx, &r, ROSTER_FILE, &res);
    expect_ok(&res);
    rec_make(&r, "account.add", "external_id", ext, "account_kind", "CARD",
             "card_number", CARD1, NULL);
    apply1(fx, &r, ROSTER_FILE, &res);
    expect_ok(&res);
    assert_int_equal(
        ps_store_customer_get_ext(fx->eng->store, fx->biz.id, ext, &c, &err),
        0);
    memset(&p, 0, sizeof(p));
    ps_strlcpy(p.business_id, fx->biz.id, sizeof(p.business_id));
    ps_strlcpy(p.external_id, ext, sizeof(p.external_id));
    ps_strlcpy(p.customer_id, c.id, sizeof(p.customer_id));
    ps_strlcpy(p.account_id, res.ids, sizeof(p.account_id));
    ps_strlcpy(p.program_id, fx->prog.id, sizeof(p.program_id));
    if (ps_ewa_enroll(fx->eng, &p, NULL, &err) != 0)
        fail_msg("ps_ewa_enroll: %s [%s]", err.msg, err.rule);
}

/* Bring profile `ext` to the row's starting point through records. */
static void elig_start(struct fixture *fx, const struct elig_case *c,
                       const char *ext)
{
    struct ps_apply_result res;
    struct ps_profile p;
    enum ps_eligibility from = elig_of(c->from);
    if (from == PS_ELIG_NEW) {
        make_new_profile(fx, ext);
    } else {
        enrolled(fx, ext);
        if (c->advanced)
            accepted(fx, ext, ext, "100.00", "", NULL); /* request id = ext */
        for (int k = 0; k < c->failures; k++) {
            char date[32];
            snprintf(date, sizeof(date), "2026-10-%02d", k + 1);
            payroll(fx, ext, date, "0.00", &res);
            expect_ok(&res);
        }
        if (strcmp(c->employment, "ACTIVE") != 0) {
            roster_card(fx, ext, CARD1, c->employment, &res);
            expect_ok(&res);
        }
        get_profile(fx, &fx->biz, ext, &p);
        if (p.eligibility != from) {
            /* the rest by hand, as an operator would */
            status_change(fx, "EWA", ext, c->from, &res);
            expect_ok(&res);
        }
    }
    get_profile(fx, &fx->biz, ext, &p);
    assert_int_equal(p.eligibility, from);
    assert_int_equal(p.employment,
                     ps_enum_parse(PS_NAMES_EMPLOYMENT, c->employment));
    assert_int_equal(p.failed_recoveries, c->failures);
    assert_int_equal(p.amount_to_recover, c->advanced ? 10299 : 0);
}

static void elig_event(struct fixture *fx, const struct elig_case *c,
                       const char *ext, long line, struct ps_apply_result *res)
{
    struct ps_record r;
    int roster = strcmp(c->event, "roster") == 0;
    if (roster)
        rec_make(&r, "ewa.enroll", "external_id", ext, "employment_status",
                 c->arg, "program", "Early Pay", NULL);
    else
        payroll_rec(&r, ext, "2026-11-20", c->arg);
    chunk_begin(fx);
    apply_in(fx, &r, roster ? ROSTER_FILE : PAYROLL_FILE, line, res);
    chunk_commit(fx);
}

static void test_eligibility_table(void **state)
{
    struct fixture *fx = *state;
    size_t n = sizeof(elig_cases) / sizeof(elig_cases[0]);
    for (size_t i = 0; i < n; i++) {
        const struct elig_case *c = &elig_cases[i];
        struct ps_apply_result res;
        struct ps_profile p;
        struct hist before, after;
        struct snap s;
        char ext[16];
        long line = 100 + (long)i;
        snprintf(ext, sizeof(ext), "EL-%02zu", i);
        print_message("row %zu: %s/%s, %s %s -> %s\n", i, c->from,
                      c->employment, c->event, c->arg, c->to);

        elig_start(fx, c, ext);
        get_profile(fx, &fx->biz, ext, &p);
        history(fx, p.id, &before);

        elig_event(fx, c, ext, line, &res);
        expect(&res, c->outcome, c->code);
        get_profile(fx, &fx->biz, ext, &p);
        assert_string_equal(
            ps_enum_name(PS_NAMES_ELIGIBILITY, (int)p.eligibility), c->to);
        assert_int_equal(p.failed_recoveries, c->failed);
        assert_int_equal(p.amount_to_recover, c->atr);
        /* the receivable is what the profiles still owe, and the trial
         * balance is zero (ledger_debits checks it) */
        (void)ledger_debits(fx);
        assert_int_equal(kind_balance(fx, PS_LEDGER_EWA_RECEIVABLE),
                         count_sql(fx,
                                   "SELECT ifnull(sum(amount_to_recover), 0)"
                                   " FROM ewa_counters"));
        history(fx, p.id, &after);
        if (c->reason == NULL) {
            assert_int_equal(after.n, before.n);
        } else {
            const struct ps_eligibility_row *h = &after.row[after.n - 1];
            assert_int_equal(after.n, before.n + 1);
            assert_int_equal(h->status, p.eligibility);
            assert_int_equal(h->from_status, (int)elig_of(c->from));
            if (strstr(h->reason, c->reason) == NULL)
                fail_msg("row %zu: reason \"%s\" lacks \"%s\"", i, h->reason,
                         c->reason);
            assert_string_equal(h->reason, p.eligibility_reason);
            assert_string_equal(h->id, p.eligibility_id);
            assert_string_equal(h->source_file, strcmp(c->event, "roster") == 0
                                                    ? ROSTER_FILE
                                                    : PAYROLL_FILE);
            assert_int_equal(h->source_line, line);
        }

        /* The same line again changes nothing: a payroll is a DUPLICATE
         * (whatever it would do now), a roster line a no-op. */
        if (c->outcome == PS_ACCEPTED) {
            snap_take(fx, &fx->biz, ext, &s);
            elig_event(fx, c, ext, line + 1000, &res);
            if (strcmp(c->event, "payroll") == 0)
                expect(&res, PS_DUPLICATE, "DUPLICATE_PAYROLL");
            else
                expect_ok(&res);
            assert_unchanged(fx, &fx->biz, ext, &s);
            get_profile(fx, &fx->biz, ext, &p);
            assert_string_equal(
                ps_enum_name(PS_NAMES_ELIGIBILITY, (int)p.eligibility), c->to);
            assert_int_equal(p.failed_recoveries, c->failed);
            history(fx, p.id, &before);
            assert_int_equal(before.n, after.n);
        }
    }
}

/* What a payroll line does to the ledger and the pay period. */
static void test_payroll_recovery_ledger(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_profile p;
    enrolled(fx, "EMP-1");
    accepted(fx, "R-1", "EMP-1", "100.00", "", NULL);
    payroll(fx, "EMP-1", "2026-11-20", "60.00", &res);
    expect_ok(&res);
    assert_int_equal(res.amount, 6000);
    assert_non_null(strstr(res.message, "SHORTFALL"));
    assert_non_null(strstr(res.message, "deducted 60.00 of 102.99 due"));
    /* Dr FUNDING 60.00 / Cr RECEIVABLE 60.00 */
    assert_int_equal(kind_balance(fx, PS_LEDGER_EWA_RECEIVABLE), 10299 - 6000);
    assert_int_equal(kind_balance(fx, PS_LEDGER_FUNDING), 6000);
    assert_int_equal(ledger_debits(fx), 10299 + 6000);
    get_profile(fx, &fx->biz, "EMP-1", &p);
    assert_int_equal(p.amount_to_recover, 4299);
    /* the payroll closed the pay period */
    assert_int_equal(p.period_disbursed, 0);
    assert_int_equal(p.earned_wages, 0);

    /* unknown profile; a profile of another business */
    enroll_other(fx, "G-1");
    payroll(fx, "NOBODY", "2026-11-20", "0.00", &res);
    expect(&res, PS_REJECTED, "PROFILE_NOT_FOUND");
    payroll(fx, "G-1", "2026-11-20", "0.00", &res);
    expect(&res, PS_REJECTED, "PROFILE_NOT_FOUND");
    /* wrong currency */
    {
        struct ps_record r;
        rec_make(&r, "ewa.payroll", "external_id", "EMP-1", "pay_date",
                 "2026-12-04", "gross", "2000.00", "net", "1500.00",
                 "ewa_deduction", "42.99", "currency", "EUR", NULL);
        apply1(fx, &r, PAYROLL_FILE, &res);
        expect(&res, PS_REJECTED, "WRONG_CURRENCY");
        rec_make(&r, "ewa.payroll", "external_id", "EMP-1", "pay_date",
                 "2026-12-04", "gross", "2000.00", "net", "2000.01",
                 "ewa_deduction", "42.99", NULL);
        apply1(fx, &r, PAYROLL_FILE, &res);
        expect(&res, PS_REJECTED, "NET_EXCEEDS_GROSS");
    }
    /* the rest recovers it in full */
    payroll(fx, "EMP-1", "2026-12-04", "42.99", &res);
    expect_ok(&res);
    get_profile(fx, &fx->biz, "EMP-1", &p);
    assert_int_equal(p.amount_to_recover, 0);
    assert_int_equal(p.eligibility, PS_ELIG_ELIGIBLE);
    assert_int_equal(kind_balance(fx, PS_LEDGER_EWA_RECEIVABLE), 0);
    assert_int_equal(kind_balance(fx, PS_LEDGER_FUNDING), 10299);
}

/* Disbursements and payroll lines in one chunk: the payroll sees what
 * the book accepted before it. */
static void test_payroll_after_disburse_same_chunk(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_record r;
    struct ps_profile p;
    enrolled(fx, "EMP-1");
    chunk_begin(fx);
    disburse_rec(&r, "S-1", "EMP-1", "100.00", "USD", "");
    apply_in(fx, &r, DISBURSE_FILE, 1, &res);
    expect_ok(&res);
    payroll_rec(&r, "EMP-1", "2026-11-20", "102.99");
    apply_in(fx, &r, PAYROLL_FILE, 2, &res);
    expect_ok(&res);
    assert_non_null(strstr(res.message, "RECOVERED"));
    chunk_commit(fx);
    get_profile(fx, &fx->biz, "EMP-1", &p);
    assert_int_equal(p.amount_to_recover, 0);
    assert_int_equal(p.period_disbursed, 0);
}

/* ------------------------------------------------------------------ */
/* Roster                                                              */
/* ------------------------------------------------------------------ */

struct acct_count {
    int n;
};

static int count_acct(void *ctx, const struct ps_account *a)
{
    (void)a;
    ((struct acct_count *)ctx)->n++;
    return 0;
}

static int accounts_of(struct fixture *fx, const char *customer_id)
{
    struct acct_count c = {0};
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(ps_store_account_list(fx->eng->store, customer_id,
                                           count_acct, &c, &err),
                     0);
    return c.n;
}

static void test_roster_creates(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_record r;
    struct ps_customer c;
    struct ps_account a;
    struct ps_profile p;
    struct hist h;
    struct ps_err err;
    ps_err_clear(&err);

    rec_make(&r, "ewa.enroll", "external_id", "EMP-R", "first_name", "Maria",
             "middle_name", "Elena", "last_name", "Gonzalez", "email",
             "maria@example.com", "phone", "+14155550123", "employment_status",
             "ACTIVE", "program", "Early Pay", "enrollment_begin", "2026-01-01",
             "enrollment_end", "2027-01-01", "card_number", CARD1,
             "earned_wages", "3000.00", "period_start", "2026-11-01",
             "period_end", "2026-11-15", "currency", "USD", NULL);
    chunk_begin(fx);
    apply_in(fx, &r, ROSTER_FILE, 2, &res);
    chunk_commit(fx);
    expect_ok(&res);
    assert_string_equal(res.message, "enrolled; eligibility ELIGIBLE");

    get_profile(fx, &fx->biz, "EMP-R", &p);
    assert_string_equal(res.ids, p.id);
    assert_int_equal(ps_store_customer_get_ext(fx->eng->store, fx->biz.id,
                                               "EMP-R", &c, &err),
                     0);
    assert_string_equal(p.customer_id, c.id);
    assert_int_equal(c.type, PS_CUSTOMER_INDIVIDUAL);
    assert_int_equal(c.status, PS_STATUS_ACTIVE);
    assert_string_equal(c.first_name, "Maria");
    assert_string_equal(c.middle_name, "Elena");
    assert_string_equal(c.last_name, "Gonzalez");
    assert_string_equal(c.email, "maria@example.com");
    assert_int_equal(
        ps_store_account_get(fx->eng->store, p.account_id, &a, &err), 0);
    assert_string_equal(a.customer_id, c.id);
    assert_int_equal(a.kind, PS_ACCOUNT_EXTERNAL_CARD);
    assert_int_equal(a.status, PS_STATUS_ACTIVE);
    assert_string_equal(a.bin, "411111");
    assert_string_equal(a.last4, "1111");
    assert_string_equal(a.display_name, "Card ****1111");
    assert_int_equal(accounts_of(fx, c.id), 1);
    assert_string_equal(p.program_id, fx->prog.id);
    assert_int_equal(p.enrollment, PS_ENROLL_ACTIVE);
    assert_string_equal(p.enrollment_begin, "2026-01-01T00:00:00.000Z");
    assert_string_equal(p.enrollment_end, "2027-01-01T00:00:00.000Z");
    assert_int_equal(p.eligibility, PS_ELIG_ELIGIBLE);
    assert_int_equal(p.employment, PS_EMPLOY_ACTIVE);
    assert_int_equal(p.earned_wages, 300000);
    assert_string_equal(p.period_start, "2026-11-01");
    assert_string_equal(p.period_end, "2026-11-15");
    assert_int_equal(p.amount_to_recover, 0);

    /* NEW then ELIGIBLE, both from roster line 2 */
    history(fx, p.id, &h);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.row[0].from_status, -1);
    assert_int_equal(h.row[0].status, PS_ELIG_NEW);
    assert_string_equal(h.row[0].reason, "enrolled from the employer's roster");
    assert_string_equal(h.row[0].source_file, ROSTER_FILE);
    assert_int_equal(h.row[0].source_line, 2);
    assert_int_equal(h.row[1].from_status, PS_ELIG_NEW);
    assert_int_equal(h.row[1].status, PS_ELIG_ELIGIBLE);
    assert_string_equal(h.row[1].reason,
                        "employment ACTIVE on the employer's roster");
    assert_string_equal(h.row[1].source_file, ROSTER_FILE);
    assert_int_equal(h.row[1].source_line, 2);
    assert_string_equal(h.row[1].id, p.eligibility_id);

    /* the same line again: nothing new */
    {
        struct ps_profile p2;
        chunk_begin(fx);
        apply_in(fx, &r, ROSTER_FILE, 3, &res);
        chunk_commit(fx);
        expect_ok(&res);
        assert_string_equal(res.message, "updated; eligibility ELIGIBLE");
        assert_string_equal(res.ids, p.id);
        get_profile(fx, &fx->biz, "EMP-R", &p2);
        assert_string_equal(p2.account_id, p.account_id);
        assert_string_equal(p2.customer_id, p.customer_id);
        assert_string_equal(p2.eligibility_id, p.eligibility_id);
        assert_int_equal(accounts_of(fx, c.id), 1);
        history(fx, p.id, &h);
        assert_int_equal(h.n, 2);
        assert_int_equal(count_sql(fx, "SELECT count(*) FROM customers"), 1);
        assert_int_equal(count_sql(fx, "SELECT count(*) FROM ewa_profiles"), 1);
    }
}

static void test_roster_new_card_moves_profile(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_profile p1, p2, p3;
    struct ps_account a;
    struct ps_txn t;
    struct ps_err err;
    ps_err_clear(&err);
    enrolled(fx, "EMP-1");
    get_profile(fx, &fx->biz, "EMP-1", &p1);

    roster_card(fx, "EMP-1", CARD2, "ACTIVE", &res);
    expect_ok(&res);
    get_profile(fx, &fx->biz, "EMP-1", &p2);
    assert_string_not_equal(p2.account_id, p1.account_id);
    assert_int_equal(
        ps_store_account_get(fx->eng->store, p2.account_id, &a, &err), 0);
    assert_string_equal(a.last4, "4444");
    assert_string_equal(a.customer_id, p1.customer_id);
    assert_int_equal(accounts_of(fx, p1.customer_id), 2);
    /* the old card is still there, and still ACTIVE */
    assert_int_equal(
        ps_store_account_get(fx->eng->store, p1.account_id, &a, &err), 0);
    assert_int_equal(a.status, PS_STATUS_ACTIVE);
    /* disbursements go to the new card */
    accepted(fx, "NC-1", "EMP-1", "10.00", "", &t);
    assert_string_equal(t.account_id, p2.account_id);

    /* back to the first card: found by token, not added again */
    roster_card(fx, "EMP-1", CARD1, "ACTIVE", &res);
    expect_ok(&res);
    get_profile(fx, &fx->biz, "EMP-1", &p3);
    assert_string_equal(p3.account_id, p1.account_id);
    assert_int_equal(accounts_of(fx, p1.customer_id), 2);
    accepted(fx, "NC-2", "EMP-1", "10.00", "", &t);
    assert_string_equal(t.account_id, p1.account_id);
    /* a line without an account keeps the one the profile has */
    {
        struct ps_record r;
        rec_make(&r, "ewa.enroll", "external_id", "EMP-1", "program",
                 "Early Pay", NULL);
        apply1(fx, &r, ROSTER_FILE, &res);
        expect_ok(&res);
        get_profile(fx, &fx->biz, "EMP-1", &p3);
        assert_string_equal(p3.account_id, p1.account_id);
    }
}

static void test_roster_bank_account(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_profile p1, p2;
    struct ps_record r;
    roster_bank(fx, "EMP-K", &res);
    expect_ok(&res);
    get_profile(fx, &fx->biz, "EMP-K", &p1);
    roster_bank(fx, "EMP-K", &res);
    expect_ok(&res);
    get_profile(fx, &fx->biz, "EMP-K", &p2);
    assert_string_equal(p2.account_id, p1.account_id);
    assert_int_equal(accounts_of(fx, p1.customer_id), 1);

    /* the same number without its routing number: refused, not guessed */
    rec_make(&r, "ewa.enroll", "external_id", "EMP-K", "program", "Early Pay",
             "account_number", BANKNO, NULL);
    apply1(fx, &r, ROSTER_FILE, &res);
    expect(&res, PS_REJECTED, "FIELD_REQUIRED");
    assert_non_null(strstr(res.message, "routing_number"));
    rec_make(&r, "account.add", "external_id", "EMP-K", "account_kind", "BANK",
             "account_number", BANKNO, NULL);
    apply1(fx, &r, ROSTER_FILE, &res);
    expect(&res, PS_REJECTED, "FIELD_REQUIRED");
    assert_int_equal(accounts_of(fx, p1.customer_id), 1);

    /* the same number at another bank is another account */
    rec_make(&r, "ewa.enroll", "external_id", "EMP-K", "program", "Early Pay",
             "routing_number", ROUTING2, "account_number", BANKNO, NULL);
    apply1(fx, &r, ROSTER_FILE, &res);
    expect_ok(&res);
    get_profile(fx, &fx->biz, "EMP-K", &p2);
    assert_string_not_equal(p2.account_id, p1.account_id);
    assert_int_equal(accounts_of(fx, p1.customer_id), 2);
}

static void test_roster_period(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_record r;
    struct ps_profile p;
    enrolled(fx, "EMP-1");
    accepted(fx, "PD-1", "EMP-1", "500.00", "", NULL);
    accepted(fx, "PD-2", "EMP-1", "300.00", "", NULL);
    rejected(fx, "EMP-1", "10.00", "USD", "", "OVER_PERIOD_CAP");

    /* the same period again: what was taken stays taken */
    roster_card(fx, "EMP-1", CARD1, "ACTIVE", &res);
    expect_ok(&res);
    get_profile(fx, &fx->biz, "EMP-1", &p);
    assert_int_equal(p.period_disbursed, 80000);
    rejected(fx, "EMP-1", "10.00", "USD", "", "OVER_PERIOD_CAP");

    /* a new period starts at zero, with its own earnings */
    rec_make(&r, "ewa.enroll", "external_id", "EMP-1", "program", "Early Pay",
             "earned_wages", "600.00", "period_start", "2026-11-16",
             "period_end", "2026-11-30", NULL);
    apply1(fx, &r, ROSTER_FILE, &res);
    expect_ok(&res);
    get_profile(fx, &fx->biz, "EMP-1", &p);
    assert_int_equal(p.period_disbursed, 0);
    assert_int_equal(p.earned_wages, 60000);
    assert_string_equal(p.period_start, "2026-11-16");
    assert_string_equal(p.period_end, "2026-11-30");
    assert_int_equal(p.amount_to_recover, 80000 + 2 * 299);
    /* 300.00 available (50% of 600.00) */
    rejected(fx, "EMP-1", "300.01", "USD", "", "OVER_AVAILABLE_WAGES");
    accepted(fx, "PD-3", "EMP-1", "300.00", "", NULL);
    get_profile(fx, &fx->biz, "EMP-1", &p);
    assert_int_equal(p.period_disbursed, 30000);

    /* bad period */
    rec_make(&r, "ewa.enroll", "external_id", "EMP-1", "program", "Early Pay",
             "period_start", "2026-12-16", "period_end", "2026-12-01", NULL);
    apply1(fx, &r, ROSTER_FILE, &res);
    expect(&res, PS_REJECTED, "PERIOD_ENDS_BEFORE_START");
}

/* Issue 18, defect 11e: a money field holding a card number (a shifted
 * column) or an absurd amount is refused, never stored, never echoed. */
static void test_roster_payroll_absurd_amounts(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_record r;
    struct ps_customer c;
    struct ps_err err;
    static const struct {
        const char *earned, *rule;
    } cases[] = {
        /* a card number as it is: the record's own check (apply.c) */
        {"4111111111111111", "CARD_NUMBER_MISPLACED"},
        /* one a money parse would take apart: the amount's own check */
        {"41111111111111.11", "LOOKS_LIKE_CARD_NUMBER"},
        {"0004111111111111111", "CARD_NUMBER_MISPLACED"},
        {"99999999.00", "AMOUNT_TOO_LARGE"},
        {"10000000.01", "AMOUNT_TOO_LARGE"},
    };
    ps_err_clear(&err);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rec_make(&r, "ewa.enroll", "external_id", "EMP-C", "first_name",
                 "Card", "last_name", "Shift", "email", "c@example.com",
                 "phone", "+14155550177", "employment_status", "ACTIVE",
                 "program", "Early Pay", "enrollment_begin", "2026-01-01",
                 "enrollment_end", "2027-01-01", "card_number", CARD1,
                 "earned_wages", cases[i].earned, "period_start",
                 "2026-11-01", "period_end", "2026-11-15", NULL);
        apply1(fx, &r, ROSTER_FILE, &res);
        expect(&res, PS_REJECTED, cases[i].rule);
        assert_null(strstr(res.message, "4111111111111"));
    }
    /* nothing of the lines stayed */
    assert_int_equal(ps_store_customer_get_ext(fx->eng->store, fx->biz.id,
                                               "EMP-C", &c, &err),
                     PS_ENOTFOUND);
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM ewa_profiles"), 0);
    /* the largest plausible amount is taken */
    rec_make(&r, "ewa.enroll", "external_id", "EMP-C", "first_name", "Card",
             "last_name", "Shift", "email", "c@example.com", "phone",
             "+14155550177", "employment_status", "ACTIVE", "program",
             "Early Pay", "enrollment_begin", "2026-01-01", "enrollment_end",
             "2027-01-01", "card_number", CARD1, "earned_wages",
             "10000000.00", "period_start", "2026-11-01", "period_end",
             "2026-11-15", NULL);
    apply1(fx, &r, ROSTER_FILE, &res);
    expect_ok(&res);
    /* payroll: gross, net and deduction alike */
    rec_make(&r, "ewa.payroll", "external_id", "EMP-C", "pay_date",
             "2026-11-20", "gross", "4111111111111111", "net", "1500.00",
             "ewa_deduction", "0.00", NULL);
    apply1(fx, &r, PAYROLL_FILE, &res);
    expect(&res, PS_REJECTED, "CARD_NUMBER_MISPLACED");
    assert_null(strstr(res.message, "4111111111111"));
    rec_make(&r, "ewa.payroll", "external_id", "EMP-C", "pay_date",
             "2026-11-20", "gross", "2000.00", "net", "1500.00",
             "ewa_deduction", "5555555555554444", NULL);
    apply1(fx, &r, PAYROLL_FILE, &res);
    expect(&res, PS_REJECTED, "CARD_NUMBER_MISPLACED");
    rec_make(&r, "ewa.payroll", "external_id", "EMP-C", "pay_date",
             "2026-11-20", "gross", "20000000.00", "net", "1500.00",
             "ewa_deduction", "0.00", NULL);
    apply1(fx, &r, PAYROLL_FILE, &res);
    expect(&res, PS_REJECTED, "AMOUNT_TOO_LARGE");
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM payroll_results"),
                     0);
}

static void test_roster_program_not_found(void **state)
{
    struct fixture *fx = *state;
    struct ps_apply_result res;
    struct ps_record r;
    struct ps_customer c;
    struct ps_err err;
    const char *progs[] = {"No Such Program", "Globex Pay", fx->oprog.id,
                           "early pay"};
    ps_err_clear(&err);
    for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
        rec_make(&r, "ewa.enroll", "external_id", "EMP-X", "first_name", "Ex",
                 "last_name", "Ample", "email", "x@example.com", "phone",
                 "+14155550109", "program", progs[i], "card_number", CARD1,
                 NULL);
        apply1(fx, &r, ROSTER_FILE, &res);
        expect(&res, PS_REJECTED, "PROGRAM_NOT_FOUND");
        assert_non_null(strstr(res.message, "program"));
    }
    /* nothing of the line stayed */
    assert_int_equal(ps_store_customer_get_ext(fx->eng->store, fx->biz.id,
                                               "EMP-X", &c, &err),
                     PS_ENOTFOUND);
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM financial_accounts"),
                     0);
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM ewa_profiles"), 0);
    /* a missing program name */
    rec_make(&r, "ewa.enroll", "external_id", "EMP-X", "card_number", CARD1,
             NULL);
    apply1(fx, &r, ROSTER_FILE, &res);
    expect(&res, PS_REJECTED, "FIELD_REQUIRED");
    /* by its id, the business's own program is found */
    rec_make(&r, "ewa.enroll", "external_id", "EMP-X", "first_name", "Ex",
             "last_name", "Ample", "email", "x@example.com", "phone",
             "+14155550109", "program", fx->prog.id, "card_number", CARD1,
             NULL);
    apply1(fx, &r, ROSTER_FILE, &res);
    expect_ok(&res);
}

/* ------------------------------------------------------------------ */
/* The pure decision                                                   */
/* ------------------------------------------------------------------ */

struct check_case {
    const char *name;
    int64_t amount;
    const char *currency; /* NULL: USD */
    int rail;             /* -1: the account's */
    const char *now;      /* NULL: NOW_MS */
    int64_t atr, earned, pd;
    /* states by name; NULL: ACTIVE / ELIGIBLE / card */
    const char *enrollment, *begin, *end, *elig, *cust, *acct, *kind,
        *prog_status;
    int rc;
    const char *rule; /* NULL: accepted */
    int64_t fee;
};

#define EARN 300000 /* 3000.00: 1500.00 available */
#define ATR_MAX_CARD (200000 - 10000 - 299)

static const struct check_case check_cases[] = {
    {"card, fee", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, 0, NULL, 299},
    {"bank, free", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL, NULL,
     NULL, NULL, "BANK", NULL, 0, NULL, 0},
    {"card asked", 10000, NULL, PS_RAIL_PUSH_TO_CARD, NULL, 0, EARN, 0, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, 299},
    {"ach asked", 10000, NULL, PS_RAIL_ACH, NULL, 0, EARN, 0, NULL, NULL, NULL,
     NULL, NULL, NULL, "BANK", NULL, 0, NULL, 0},
    {"ach on card", 10000, NULL, PS_RAIL_ACH, NULL, 0, EARN, 0, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, PS_EINVAL, "RAIL_NOT_AVAILABLE", 0},
    {"card on bank", 10000, NULL, PS_RAIL_PUSH_TO_CARD, NULL, 0, EARN, 0, NULL,
     NULL, NULL, NULL, NULL, NULL, "BANK", NULL, PS_EINVAL,
     "RAIL_NOT_AVAILABLE", 0},
    /* amounts */
    {"min", 1000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, 0, NULL, 299},
    {"min - 1", 999, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, PS_EINVAL, "UNDER_TRANSFER_MINIMUM", 0},
    {"1", 1, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, PS_EINVAL, "UNDER_TRANSFER_MINIMUM", 0},
    {"max", 50000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, 0, NULL, 299},
    {"max + 1", 50001, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, PS_EINVAL, "OVER_TRANSFER_LIMIT", 0},
    {"INT64_MAX", INT64_MAX, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, PS_EINVAL, "OVER_TRANSFER_LIMIT", 0},
    {"zero", 0, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, PS_EINVAL, "AMOUNT_NOT_POSITIVE", 0},
    {"negative", -1, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, PS_EINVAL, "AMOUNT_NOT_POSITIVE", 0},
    {"INT64_MIN", INT64_MIN, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, PS_EINVAL, "AMOUNT_NOT_POSITIVE", 0},
    {"EUR", 10000, "EUR", -1, NULL, 0, EARN, 0, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, PS_EINVAL, "WRONG_CURRENCY", 0},
    /* the pay-period cap (800.00) */
    {"cap exactly", 50000, NULL, -1, NULL, 0, EARN, 30000, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, 0, NULL, 299},
    {"cap + 1", 50000, NULL, -1, NULL, 0, EARN, 30001, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, PS_EINVAL, "OVER_PERIOD_CAP", 0},
    {"cap used", 1000, NULL, -1, NULL, 0, EARN, 80000, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, PS_EINVAL, "OVER_PERIOD_CAP", 0},
    {"cap passed", 1000, NULL, -1, NULL, 0, EARN, 90000, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, PS_EINVAL, "OVER_PERIOD_CAP", 0},
    /* earned wages: 50% */
    {"wages exactly", 10000, NULL, -1, NULL, 0, 20000, 0, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, 0, NULL, 299},
    {"wages + 1", 10001, NULL, -1, NULL, 0, 20000, 0, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, PS_EINVAL, "OVER_AVAILABLE_WAGES", 0},
    {"wages less taken", 10000, NULL, -1, NULL, 0, 30000, 5000, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, 299},
    {"wages less taken + 1", 10001, NULL, -1, NULL, 0, 30000, 5000, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, PS_EINVAL, "OVER_AVAILABLE_WAGES", 0},
    {"wages odd cent", 1000, NULL, -1, NULL, 0, 2001, 0, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, 0, NULL, 299},
    {"wages odd cent + 1", 1001, NULL, -1, NULL, 0, 2001, 0, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, PS_EINVAL, "OVER_AVAILABLE_WAGES", 0},
    {"no wages", 1000, NULL, -1, NULL, 0, 0, 0, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, PS_EINVAL, "OVER_AVAILABLE_WAGES", 0},
    {"taken more than share", 1000, NULL, -1, NULL, 0, 20000, 15000, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, PS_EINVAL, "OVER_AVAILABLE_WAGES", 0},
    {"huge wages", 50000, NULL, -1, NULL, 0, INT64_MAX, 0, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, 0, NULL, 299},
    /* maximum outstanding (2000.00), fee included */
    {"outstanding exactly", 10000, NULL, -1, NULL, ATR_MAX_CARD, EARN, 0, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, 299},
    {"outstanding + 1", 10000, NULL, -1, NULL, ATR_MAX_CARD + 1, EARN, 0, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, PS_EINVAL,
     "OVER_MAX_OUTSTANDING", 0},
    {"outstanding bank", 10000, NULL, -1, NULL, 190000, EARN, 0, NULL, NULL,
     NULL, NULL, NULL, NULL, "BANK", NULL, 0, NULL, 0},
    {"outstanding bank + 1", 10000, NULL, -1, NULL, 190001, EARN, 0, NULL, NULL,
     NULL, NULL, NULL, NULL, "BANK", NULL, PS_EINVAL, "OVER_MAX_OUTSTANDING",
     0},
    {"outstanding overflow", 10000, NULL, -1, NULL, INT64_MAX - 100, EARN, 0,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, PS_EINVAL,
     "OVER_MAX_OUTSTANDING", 0},
    /* enrollment */
    {"inactive", 10000, NULL, -1, NULL, 0, EARN, 0, "INACTIVE", NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, PS_ESTATE, "NOT_ENROLLED", 0},
    {"begins later", 10000, NULL, -1, NULL, 0, EARN, 0, NULL,
     "2026-11-20T22:00:00.001Z", NULL, NULL, NULL, NULL, NULL, NULL, PS_ESTATE,
     "OUTSIDE_ENROLLMENT_WINDOW", 0},
    {"begins now", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NOW_MS, NULL, NULL,
     NULL, NULL, NULL, NULL, 0, NULL, 299},
    {"ends now", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NOW_MS, NULL,
     NULL, NULL, NULL, NULL, PS_ESTATE, "OUTSIDE_ENROLLMENT_WINDOW", 0},
    {"ends later", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL,
     "2026-11-20T22:00:00.001Z", NULL, NULL, NULL, NULL, NULL, 0, NULL, 299},
    {"ended", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL,
     "2026-11-01T00:00:00.000Z", NULL, NULL, NULL, NULL, NULL, PS_ESTATE,
     "OUTSIDE_ENROLLMENT_WINDOW", 0},
    /* eligibility */
    {"NEW", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL, "NEW", NULL,
     NULL, NULL, NULL, PS_ESTATE, "NOT_ELIGIBLE", 0},
    {"INELIGIBLE", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL,
     "INELIGIBLE", NULL, NULL, NULL, NULL, PS_ESTATE, "NOT_ELIGIBLE", 0},
    {"ARREARS", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL, "ARREARS",
     NULL, NULL, NULL, NULL, PS_ESTATE, "NOT_ELIGIBLE", 0},
    {"BAD_DEBT", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL,
     "BAD_DEBT", NULL, NULL, NULL, NULL, PS_ESTATE, "NOT_ELIGIBLE", 0},
    {"DISABLED", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL,
     "DISABLED", NULL, NULL, NULL, NULL, PS_ESTATE, "NOT_ELIGIBLE", 0},
    /* program, customer, account */
    {"program suspended", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, "SUSPENDED", PS_ESTATE, "PROGRAM_SUSPENDED", 0},
    {"customer suspended", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL,
     NULL, "SUSPENDED", NULL, NULL, NULL, PS_ESTATE, "CUSTOMER_SUSPENDED", 0},
    {"account suspended", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL, NULL,
     NULL, NULL, "SUSPENDED", NULL, NULL, PS_ESTATE, "ACCOUNT_SUSPENDED", 0},
    /* the order of the rules (ewabook.h) */
    {"inactive before ineligible", 10000, NULL, -1, NULL, 0, EARN, 0,
     "INACTIVE", NULL, NULL, "BAD_DEBT", NULL, NULL, NULL, NULL, PS_ESTATE,
     "NOT_ENROLLED", 0},
    {"window before ineligible", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL,
     "2026-11-01T00:00:00.000Z", "BAD_DEBT", NULL, NULL, NULL, NULL, PS_ESTATE,
     "OUTSIDE_ENROLLMENT_WINDOW", 0},
    {"ineligible before program", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL,
     NULL, "ARREARS", NULL, NULL, NULL, "SUSPENDED", PS_ESTATE, "NOT_ELIGIBLE",
     0},
    {"program before customer", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL,
     NULL, NULL, "SUSPENDED", NULL, NULL, "SUSPENDED", PS_ESTATE,
     "PROGRAM_SUSPENDED", 0},
    {"customer before account", 10000, NULL, -1, NULL, 0, EARN, 0, NULL, NULL,
     NULL, NULL, "SUSPENDED", "SUSPENDED", NULL, NULL, PS_ESTATE,
     "CUSTOMER_SUSPENDED", 0},
    {"account before rail", 10000, NULL, PS_RAIL_ACH, NULL, 0, EARN, 0, NULL,
     NULL, NULL, NULL, NULL, "SUSPENDED", NULL, NULL, PS_ESTATE,
     "ACCOUNT_SUSPENDED", 0},
    {"rail before amount", 0, NULL, PS_RAIL_ACH, NULL, 0, EARN, 0, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, PS_EINVAL, "RAIL_NOT_AVAILABLE", 0},
    {"amount before currency", 0, "EUR", -1, NULL, 0, EARN, 0, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, PS_EINVAL, "AMOUNT_NOT_POSITIVE", 0},
    {"currency before minimum", 1, "EUR", -1, NULL, 0, EARN, 0, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, PS_EINVAL, "WRONG_CURRENCY", 0},
    {"limit before cap", 50001, NULL, -1, NULL, 0, EARN, 80000, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, PS_EINVAL, "OVER_TRANSFER_LIMIT", 0},
    {"cap before wages", 10000, NULL, -1, NULL, 0, 0, 80000, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, PS_EINVAL, "OVER_PERIOD_CAP", 0},
    {"wages before outstanding", 10000, NULL, -1, NULL, INT64_MAX, 0, 0, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, PS_EINVAL,
     "OVER_AVAILABLE_WAGES", 0},
};

static int name_or(enum ps_names table, const char *name, int dflt)
{
    if (name == NULL)
        return dflt;
    int v = ps_enum_parse(table, name);
    assert_true(v >= 0);
    return v;
}

static void test_disburse_check_table(void **state)
{
    struct ps_program prog;
    struct ps_business b;
    (void)state;
    memset(&b, 0, sizeof(b));
    program_defaults(&prog, &b, "Early Pay");
    for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
        const struct check_case *c = &check_cases[i];
        struct ps_disburse_view v;
        struct ps_err err;
        int64_t fee = -7; /* written only on success */
        memset(&v, 0, sizeof(v));
        v.external_id = "EMP-1";
        v.enrollment = (enum ps_enrollment)name_or(
            PS_NAMES_ENROLLMENT, c->enrollment, PS_ENROLL_ACTIVE);
        v.enrollment_begin =
            c->begin != NULL ? c->begin : "2026-01-01T00:00:00.000Z";
        v.enrollment_end = c->end != NULL ? c->end : "";
        v.eligibility = (enum ps_eligibility)name_or(PS_NAMES_ELIGIBILITY,
                                                     c->elig, PS_ELIG_ELIGIBLE);
        v.customer_status =
            (enum ps_status)name_or(PS_NAMES_STATUS, c->cust, PS_STATUS_ACTIVE);
        v.account_status =
            (enum ps_status)name_or(PS_NAMES_STATUS, c->acct, PS_STATUS_ACTIVE);
        v.account_kind = c->kind != NULL && strcmp(c->kind, "BANK") == 0
                             ? PS_ACCOUNT_EXTERNAL_BANK
                             : PS_ACCOUNT_EXTERNAL_CARD;
        v.amount_to_recover = c->atr;
        v.earned_wages = c->earned;
        v.period_disbursed = c->pd;
        prog.status = (enum ps_status)name_or(PS_NAMES_STATUS, c->prog_status,
                                              PS_STATUS_ACTIVE);
        ps_err_clear(&err);
        int rc = ps_ewa_disburse_check(
            &v, &prog, c->amount, c->currency != NULL ? c->currency : "USD",
            c->rail, c->now != NULL ? c->now : NOW_MS, &fee, &err);
        if (rc != c->rc ||
            strcmp(err.rule, c->rule != NULL ? c->rule : "") != 0)
            fail_msg("%s: expected %d %s, got %d %s (%s)", c->name, c->rc,
                     c->rule != NULL ? c->rule : "", rc, err.rule, err.msg);
        if (c->rule == NULL) {
            assert_int_equal(fee, c->fee);
            assert_int_equal(err.code, 0);
        } else {
            assert_int_equal(fee, -7);
            assert_int_equal(err.code, c->rc);
            assert_true(err.msg[0] != '\0');
            if (strcmp(c->rule, "NOT_ELIGIBLE") == 0 &&
                strstr(err.msg, c->elig) == NULL)
                fail_msg("%s: \"%s\" does not name %s", c->name, err.msg,
                         c->elig);
        }
    }
}

/* ------------------------------------------------------------------ */

int main(void)
{
    struct ps_err err;
    if (setenv("PAYSPOOL_NOW", FROZEN_NOW, 1) != 0)
        return 1;
    ps_err_clear(&err);
    ps_log_open(NULL, PS_LOG_WARN, &err);

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_refuse_profile_not_found),
        T(test_refuse_not_enrolled),
        T(test_refuse_outside_window),
        T(test_refuse_not_eligible),
        T(test_refuse_program_suspended),
        T(test_refuse_customer_suspended),
        T(test_refuse_account_suspended),
        T(test_refuse_rail_not_available),
        T(test_refuse_amount_not_positive),
        T(test_refuse_money_format),
        T(test_refuse_currency_unknown),
        T(test_refuse_wrong_currency),
        T(test_refuse_under_minimum),
        T(test_refuse_over_transfer_limit),
        T(test_refuse_over_period_cap),
        T(test_refuse_over_available_wages),
        T(test_refuse_over_max_outstanding),
        T(test_refuse_duplicate_request),
        T(test_accept_card),
        T(test_accept_bank),
        T(test_rollback_abandons),
        T(test_eligibility_table),
        T(test_payroll_recovery_ledger),
        T(test_payroll_after_disburse_same_chunk),
        T(test_roster_creates),
        T(test_roster_new_card_moves_profile),
        T(test_roster_bank_account),
        T(test_roster_period),
        T(test_roster_program_not_found),
        T(test_roster_payroll_absurd_amounts),
        cmocka_unit_test(test_disburse_check_table),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
