/*
 * test_recon.c -- unit tests for the daily reconciliation report
 * (recon.c and the STMTS_RECON queries of store.c).
 *
 * One scenario, built through the engine as the pipeline and the
 * provider exchange would build it: a business "acme" with the EWA
 * program "Early Pay" (card fee 2.99, ACH free), four employees enrolled
 * by roster lines, disbursements by ewa.disburse lines, a payroll line;
 * outbound payment files recorded as `outputs` rows with their
 * `output_items` (raw SQL: the payout writer is another issue), the
 * transactions driven by ps_engine_txn_event; a provider line rejected as
 * UNKNOWN_REFERENCE as a `record_results` row.  A second business
 * ("globex") has its own employee, disbursement and rejected line, which
 * must appear nowhere in acme's report.
 *
 *   day 1, Thu 2026-11-19: E1 100.00, E2 50.00, E4 40.00 by card, all in
 *          file F1 (PUSH_TO_CARD, 3 records, credits 190.00), transmitted.
 *   day 2, Fri 2026-11-20: E1's and E4's settle, E4's comes back
 *          (REVERSED); E1 30.00 by card in F2 (controls say 31.00: a
 *          mismatch), declined; E3 200.00 by ACH in F3 (NACHA), approved;
 *          E1's payroll deducts 50.00 of 102.99 due (ARREARS); the
 *          provider sends a line for an unknown reference (a card number).
 *
 * Apart from the scenario, two NACHA files of credits and debits whose
 * controls differ only in the debit total (by one cent): the file check
 * must report that one as a MISMATCH.
 *
 * Every number the report shows is checked against a value recomputed
 * here, independently: by hand from the scenario above, or with raw SQL
 * over a second sqlite3 connection (never with the code under test).
 *
 * The clock is frozen with PAYSPOOL_NOW, one value per business day.
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

#include <sqlite3.h>

#include "engine/apply.h"
#include "base/calendar.h"
#include "base/clock.h"
#include "engine/engine.h"
#include "base/err.h"
#include "formats/format.h"
#include "base/model.h"
#include "outbound/recon.h"
#include "store/recon.h"
#include "store/store.h"
#include "testutil.h"
#include "engine/txn.h"

#define DAY1_NOW "2026-11-19T10:00:00Z"
#define DAY2_NOW "2026-11-20T09:00:00Z"
#define DAY1 "2026-11-19"
#define DAY2 "2026-11-20"

#define CARD1 "4111111111111111"
#define CARD2 "5555555555554444"
#define CARD4 "4000056655665556"
#define CARDG "378282246310005"
#define ROUTING "021000021"
#define BANKNO "123456789"

/* ------------------------------------------------------------------ */
/* Fixture                                                             */
/* ------------------------------------------------------------------ */

struct fixture {
    char dir[PATH_MAX];
    char spool[PATH_MAX];
    struct ps_engine *eng;
    sqlite3 *raw;
    struct ps_calendar *cal;
    struct ps_business biz, other;
    char t1[PS_ID_SIZE], t2[PS_ID_SIZE], t3[PS_ID_SIZE], t4[PS_ID_SIZE];
    char t5[PS_ID_SIZE];
};

static void add_program(struct fixture *fx, const struct ps_business *b,
                        const char *name)
{
    struct ps_program p;
    struct ps_err err;
    memset(&p, 0, sizeof(p));
    ps_strlcpy(p.business_id, b->id, sizeof(p.business_id));
    ps_strlcpy(p.name, name, sizeof(p.name));
    ps_strlcpy(p.currency, "USD", sizeof(p.currency));
    p.advance_rate_bp = 5000;
    p.min_transfer = 1000;
    p.max_transfer = 50000;
    p.period_cap = 80000;
    p.max_outstanding = 200000;
    p.fee_card = 299;
    p.fee_ach = 0;
    p.debit_fallback = 0;
    p.max_debit_attempts = 0;
    p.bad_debt_after = 3;
    ps_err_clear(&err);
    if (ps_program_add(fx->eng, &p, &err) != 0)
        fail_msg("ps_program_add: %s [%s]", err.msg, err.rule);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct ps_err err;
    if (fx == NULL ||
        ps_test_tmpdir(fx->dir, sizeof(fx->dir), "test_recon") != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    setenv("PAYSPOOL_NOW", DAY1_NOW, 1);
    if (ps_test_join(fx->spool, sizeof(fx->spool), fx->dir, "spool") != 0)
        return -1;
    fx->eng = ps_test_engine_open(fx->dir);
    fx->raw = ps_test_sqlite_open(ps_test_path(fx->dir, PS_TEST_DB, 0));
    ps_err_clear(&err);
    if (ps_calendar_open(NULL, 0, &fx->cal, &err) != 0)
        fail_msg("ps_calendar_open: %s", err.msg);
    if (ps_business_add(fx->eng, "acme", "Acme Payroll", NULL, &fx->biz,
                        &err) != 0 ||
        ps_business_add(fx->eng, "globex", "Globex", NULL, &fx->other, &err) !=
            0)
        fail_msg("ps_business_add: %s [%s]", err.msg, err.rule);
    add_program(fx, &fx->biz, "Early Pay");
    add_program(fx, &fx->other, "Globex Pay");
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    sqlite3_close(fx->raw);
    ps_calendar_free(fx->cal);
    ps_engine_close(fx->eng);
    int rc = ps_test_rmtree(fx->dir);
    free(fx);
    ps_test_free_owned();
    unsetenv("PAYSPOOL_NOW");
    return rc;
}

/* ------------------------------------------------------------------ */
/* Driving the engine                                                  */
/* ------------------------------------------------------------------ */

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

/* One record as one document of its own (a fresh applier, so its book
 * sees what ps_engine_txn_event changed), which must be ACCEPTED. */
static void apply_ok(struct fixture *fx, const struct ps_business *b,
                     const struct ps_record *r)
{
    struct ps_applier *ap = NULL;
    struct ps_apply_result res;
    struct ps_source src = {NULL, "test.csv", 2};
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_applier_open(fx->eng, b, &ap, &err) != 0 ||
        ps_store_begin(fx->eng->store, &err) != 0 ||
        ps_applier_record(ap, r, &src, &res, &err) != 0 ||
        ps_applier_flush(ap, &err) != 0 ||
        ps_store_commit(fx->eng->store, &err) != 0)
        fail_msg("apply %s: %s [%s]", r->kind, err.msg, err.rule);
    ps_applier_close(ap);
    if (res.outcome != PS_ACCEPTED)
        fail_msg("%s not accepted: %s %s", r->kind, res.code, res.message);
}

static void roster(struct fixture *fx, const struct ps_business *b,
                   const char *program, const char *ext, const char *card)
{
    struct ps_record r;
    if (card != NULL)
        rec_make(&r, "ewa.enroll", "external_id", ext, "first_name", "Maria",
                 "last_name", "Gonzalez", "email", "maria@example.com",
                 "phone", "+14155550123", "employment_status", "ACTIVE",
                 "program", program, "enrollment_begin", "2026-01-01",
                 "card_number", card, "earned_wages", "3000.00",
                 "period_start", "2026-11-01", "period_end", "2026-11-30",
                 "currency", "USD", NULL);
    else
        rec_make(&r, "ewa.enroll", "external_id", ext, "first_name", "Ana",
                 "last_name", "Lopez", "email", "ana@example.com", "phone",
                 "+14155550124", "employment_status", "ACTIVE", "program",
                 program, "enrollment_begin", "2026-01-01", "routing_number",
                 ROUTING, "account_number", BANKNO, "bank_account_type",
                 "CHECKING", "earned_wages", "3000.00", "period_start",
                 "2026-11-01", "period_end", "2026-11-30", NULL);
    apply_ok(fx, b, &r);
}

/* A disbursement; its transaction id into id. */
static void disburse(struct fixture *fx, const struct ps_business *b,
                     const char *req, const char *ext, const char *amount,
                     const char *rail, char id[PS_ID_SIZE])
{
    struct ps_record r;
    sqlite3_stmt *st = NULL;
    rec_make(&r, "ewa.disburse", "request_id", req, "external_id", ext,
             "amount", amount, "currency", "USD", "rail", rail, NULL);
    apply_ok(fx, b, &r);
    assert_int_equal(sqlite3_prepare_v2(fx->raw,
                                        "SELECT id FROM transactions WHERE "
                                        "business_id = ? AND request_id = ?",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, b->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, req, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    ps_strlcpy(id, (const char *)sqlite3_column_text(st, 0), PS_ID_SIZE);
    sqlite3_finalize(st);
}

static void event(struct fixture *fx, const char *id, enum ps_txn_event ev)
{
    struct ps_source src = {"provider", "status.csv", 1};
    struct ps_txn_args args = {&src, 0, NULL, NULL};
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_engine_txn_event(fx->eng, id, ev, &args, NULL, &err) != 0)
        fail_msg("event %s on %s: %s [%s]", ps_txn_event_name(ev), id,
                 err.msg, err.rule);
}

static void exec_sql(struct fixture *fx, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(fx->raw, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

/* An outbound payment file as the payout writer records it. */
static void out_file(struct fixture *fx, const struct ps_business *b,
                     const char *id, const char *kind, const char *date,
                     const char *name, long records, int64_t credits,
                     const char *items[])
{
    char sql[PATH_MAX + 1024];
    int n = snprintf(sql, sizeof(sql),
             "INSERT INTO outputs(id, business_id, kind, business_date, seq,"
             " path, records, debit_total, credit_total, created_at)"
             " VALUES ('%s', '%s', '%s', '%s', 1, '%s/outbound/%s/payouts/%s',"
             " %ld, 0, %lld, '%sT12:00:00.000Z')",
             id, b->id, kind, date, fx->spool, b->name, name, records,
             (long long)credits, date);
    assert_true(n > 0 && (size_t)n < sizeof(sql));
    exec_sql(fx, sql);
    for (int i = 0; items[i] != NULL; i++) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO output_items(output_id, txn_id)"
                 " VALUES ('%s', '%s')",
                 id, items[i]);
        exec_sql(fx, sql);
    }
}

/* A provider status line rejected as an unknown reference. */
static void unknown_line(struct fixture *fx, const struct ps_business *b,
                         const char *file_id, const char *name,
                         const char *received, const char *reference,
                         int64_t amount)
{
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "INSERT INTO files(id, business_id, name, sha256, size, format,"
             " status, currency, received_at) VALUES ('%s', '%s', '%s',"
             " lower(hex(randomblob(32))), 100, 'csv', 'APPLIED', 'USD',"
             " '%s')",
             file_id, b->id, name, received);
    exec_sql(fx, sql);
    snprintf(sql, sizeof(sql),
             "INSERT INTO record_results(file_id, record_no, line, reference,"
             " outcome, code, message, amount) VALUES ('%s', 1, 2, '%s',"
             " 'REJECTED', 'UNKNOWN_REFERENCE', 'no transaction %s', %lld)",
             file_id, reference, reference, (long long)amount);
    exec_sql(fx, sql);
}

/* The scenario of the file comment. */
static void scenario(struct fixture *fx)
{
    char g1[PS_ID_SIZE];
    struct ps_record r;

    setenv("PAYSPOOL_NOW", DAY1_NOW, 1);
    roster(fx, &fx->biz, "Early Pay", "E1", CARD1);
    roster(fx, &fx->biz, "Early Pay", "E2", CARD2);
    roster(fx, &fx->biz, "Early Pay", "E3", NULL);
    roster(fx, &fx->biz, "Early Pay", "E4", CARD4);
    roster(fx, &fx->other, "Globex Pay", "G1", CARDG);
    disburse(fx, &fx->biz, "R1", "E1", "100.00", "CARD", fx->t1);
    disburse(fx, &fx->biz, "R2", "E2", "50.00", "CARD", fx->t2);
    disburse(fx, &fx->biz, "R4", "E4", "40.00", "CARD", fx->t4);
    disburse(fx, &fx->other, "G1", "G1", "25.00", "CARD", g1);
    {
        const char *items[] = {fx->t1, fx->t2, fx->t4, NULL};
        out_file(fx, &fx->biz, "F1", "PUSH_TO_CARD", DAY1,
                 "p2c-acme-20261119-001.csv", 3, 19000, items);
        const char *gitems[] = {g1, NULL};
        out_file(fx, &fx->other, "G1F", "PUSH_TO_CARD", DAY1,
                 "p2c-globex-20261119-001.csv", 1, 2500, gitems);
    }
    event(fx, fx->t1, PS_EV_SUBMIT);
    event(fx, fx->t2, PS_EV_SUBMIT);
    event(fx, fx->t4, PS_EV_SUBMIT);
    event(fx, g1, PS_EV_SUBMIT);
    event(fx, fx->t1, PS_EV_TRANSMIT);
    event(fx, fx->t2, PS_EV_TRANSMIT);
    event(fx, fx->t4, PS_EV_TRANSMIT);
    event(fx, g1, PS_EV_TRANSMIT);

    setenv("PAYSPOOL_NOW", DAY2_NOW, 1);
    event(fx, fx->t1, PS_EV_SETTLE);
    event(fx, fx->t4, PS_EV_SETTLE);
    event(fx, fx->t4, PS_EV_RETURN);
    disburse(fx, &fx->biz, "R5", "E1", "30.00", "CARD", fx->t5);
    disburse(fx, &fx->biz, "R3", "E3", "200.00", "ACH", fx->t3);
    {
        const char *i2[] = {fx->t5, NULL};
        const char *i3[] = {fx->t3, NULL};
        /* The controls say 31.00; the one item is 30.00. */
        out_file(fx, &fx->biz, "F2", "PUSH_TO_CARD", DAY2,
                 "p2c-acme-20261120-001.csv", 1, 3100, i2);
        out_file(fx, &fx->biz, "F3", "NACHA", DAY2, "ach-acme-20261120-A.ach",
                 1, 20000, i3);
    }
    event(fx, fx->t5, PS_EV_SUBMIT);
    event(fx, fx->t5, PS_EV_TRANSMIT);
    event(fx, fx->t5, PS_EV_DECLINE);
    event(fx, fx->t3, PS_EV_SUBMIT);
    event(fx, fx->t3, PS_EV_TRANSMIT);
    event(fx, fx->t3, PS_EV_APPROVE);
    rec_make(&r, "ewa.payroll", "external_id", "E1", "pay_date", DAY2,
             "gross", "2000.00", "net", "1500.00", "ewa_deduction", "50.00",
             "currency", "USD", "period_start", "2026-11-01", "period_end",
             "2026-11-30", NULL);
    apply_ok(fx, &fx->biz, &r);
    unknown_line(fx, &fx->biz, "PF1", "status-20261120.csv",
                 "2026-11-20T11:00:00.000Z", CARD1, 1234);
    unknown_line(fx, &fx->biz, "PF0", "status-20261119.csv",
                 "2026-11-19T11:00:00.000Z", "T-OLD", 500);
    unknown_line(fx, &fx->other, "PG1", "status-globex-20261120.csv",
                 "2026-11-20T11:00:00.000Z", "G-UNKNOWN", 700);
}

/* ------------------------------------------------------------------ */
/* Reading the report                                                  */
/* ------------------------------------------------------------------ */

enum col {
    C_SECTION,
    C_FILE,
    C_PROGRAM,
    C_RAIL,
    C_TYPE,
    C_FROM,
    C_STATUS,
    C_KIND,
    C_ELIG,
    C_BUCKET,
    C_REF,
    C_CUR,
    C_COUNT,
    C_AMOUNT,
    C_FEE,
    C_DETAIL,
    NCOLS
};

#define MAX_ROWS 256
struct csv {
    char *f[MAX_ROWS][NCOLS];
    int n;
    const char *text; /* the whole file */
};

/* Parse the report (RFC 4180 quoting, LF lines) in place. */
static void csv_load(const char *path, struct csv *c)
{
    char *buf = ps_test_slurp(path, NULL);
    char *p;
    memset(c, 0, sizeof(*c));
    c->text = ps_test_own(strdup(buf));
    p = strchr(buf, '\n'); /* skip the header */
    assert_non_null(p);
    assert_true(strncmp(buf, "section,file,program,rail,type,from_status,"
                             "status,ledger_kind,eligibility,age_bucket,"
                             "reference,currency,count,amount,fee,detail\n",
                        (size_t)(p - buf + 1)) == 0);
    p++;
    while (*p != '\0') {
        assert_true(c->n < MAX_ROWS);
        for (int i = 0; i < NCOLS; i++) {
            char *out = p;
            c->f[c->n][i] = out;
            if (*p == '"') {
                p++;
                for (;;) {
                    if (*p == '"' && p[1] == '"') {
                        *out++ = '"';
                        p += 2;
                    } else if (*p == '"') {
                        p++;
                        break;
                    } else {
                        assert_true(*p != '\0');
                        *out++ = *p++;
                    }
                }
            } else {
                while (*p != ',' && *p != '\n' && *p != '\0')
                    *out++ = *p++;
            }
            char sep = *p;
            *out = '\0';
            if (i < NCOLS - 1)
                assert_int_equal(sep, ',');
            else
                assert_int_equal(sep, '\n');
            p++;
        }
        c->n++;
    }
}

/* Rows of `section` whose columns match the (col, value) pairs of ap up
 * to -1; the first into *out (may be NULL), returns how many. */
static int rows_v(struct csv *c, const char *section, char ***out,
                  va_list ap0)
{
    int n = 0;
    for (int r = 0; r < c->n; r++) {
        va_list ap;
        int ok = strcmp(c->f[r][C_SECTION], section) == 0;
        va_copy(ap, ap0);
        for (;;) {
            int col = va_arg(ap, int);
            if (col < 0)
                break;
            const char *v = va_arg(ap, const char *);
            if (ok && strcmp(c->f[r][col], v) != 0)
                ok = 0;
        }
        va_end(ap);
        if (ok) {
            if (n == 0 && out != NULL)
                *out = c->f[r];
            n++;
        }
    }
    return n;
}

static int rows(struct csv *c, const char *section, char ***out, ...)
{
    va_list ap;
    va_start(ap, out);
    int n = rows_v(c, section, out, ap);
    va_end(ap);
    return n;
}

/* The one row of `section` matching the pairs (up to -1); fails the test
 * unless there is exactly one. */
static char **one(struct csv *c, const char *section, ...)
{
    char **row = NULL;
    va_list ap;
    va_start(ap, section);
    int n = rows_v(c, section, &row, ap);
    va_end(ap);
    if (n != 1)
        fail_msg("%d rows in section %s, expected 1", n, section);
    return row;
}
#define ONE(c, section, ...) one(c, section, __VA_ARGS__, -1)

/* "-12.30" -> -1230, exactly (two decimals, as USD amounts are written). */
static int64_t cents_of(const char *s)
{
    int64_t sign = 1, v = 0;
    if (*s == '-') {
        sign = -1;
        s++;
    }
    for (; *s != '\0' && *s != '.'; s++)
        v = v * 10 + (*s - '0');
    assert_int_equal(*s, '.');
    assert_true(s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' &&
                s[3] == '\0');
    v = v * 100 + (s[1] - '0') * 10 + (s[2] - '0');
    return sign * v;
}

/* Minor units written as the report should: "-12.30". Independent of
 * ps_money_format. */
static const char *usd(int64_t v, char buf[32])
{
    int64_t a = v < 0 ? -v : v;
    snprintf(buf, 32, "%s%lld.%02lld", v < 0 ? "-" : "", (long long)(a / 100),
             (long long)(a % 100));
    return buf;
}

static void expect_amount(char **row, int64_t v)
{
    char b[32];
    assert_string_equal(row[C_AMOUNT], usd(v, b));
}

static void expect_count(char **row, int64_t n)
{
    char b[32];
    snprintf(b, sizeof(b), "%lld", (long long)n);
    assert_string_equal(row[C_COUNT], b);
}

/* One integer from raw SQL with text parameters ?1, ?2, ... (NULL ends). */
static int64_t sql_i64(struct fixture *fx, const char *sql, ...)
{
    sqlite3_stmt *st = NULL;
    va_list ap;
    int i = 1;
    if (sqlite3_prepare_v2(fx->raw, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(fx->raw));
    va_start(ap, sql);
    for (const char *v; (v = va_arg(ap, const char *)) != NULL; i++)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    va_end(ap);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void run_ok(struct fixture *fx, const char *date,
                   struct ps_recon_result *res, struct csv *c)
{
    int64_t day;
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(ps_date_parse(date, &day, &err), 0);
    memset(res, 0, sizeof(*res));
    if (ps_recon_run(fx->eng, fx->spool, &fx->biz, day, fx->cal, res, &err) !=
        0)
        fail_msg("ps_recon_run %s: %s [%s]", date, err.msg, err.rule);
    csv_load(res->csv_path, c);
    assert_int_equal(res->rows, c->n);
}

/* Debits minus credits of a ledger kind of acme, for entries before
 * `before` ('YYYY-MM-DD'): the position, recomputed leg by leg. */
static int64_t position(struct fixture *fx, const char *kind,
                        const char *before)
{
    return sql_i64(
        fx,
        "WITH e AS (SELECT debit_account, credit_account, amount, created_at"
        "  FROM ledger_entries UNION ALL SELECT debit_account,"
        "  credit_account, amount, created_at FROM transactions"
        "  WHERE debit_account IS NOT NULL" /* schema v18 */
        "  UNION ALL SELECT debit_account, fee_account, fee, created_at"
        "  FROM transactions WHERE fee_account IS NOT NULL)" /* v29 */
        " SELECT (SELECT ifnull(sum(e.amount), 0) FROM e"
        "  WHERE e.created_at < ?3 AND e.debit_account IN (SELECT id FROM"
        "  ledger_accounts WHERE business_id = ?1 AND kind = ?2))"
        " - (SELECT ifnull(sum(e.amount), 0) FROM e"
        "  WHERE e.created_at < ?3 AND e.credit_account IN (SELECT id FROM"
        "  ledger_accounts WHERE business_id = ?1 AND kind = ?2))",
        fx->biz.id, kind, before, NULL);
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

/* Transactions created on the day, and the day's status movements. */
static void test_transactions_and_movements(void **state)
{
    struct fixture *fx = *state;
    struct ps_recon_result res;
    struct csv c;
    char **r;
    scenario(fx);
    run_ok(fx, DAY2, &res, &c);

    /* By hand: day 2 created R5 (card 30.00 + 2.99, declined) and R3 (ACH
     * 200.00, no fee, approved). */
    assert_int_equal(rows(&c, "transactions", NULL, -1), 2);
    r = ONE(&c, "transactions", C_PROGRAM, "Early Pay", C_RAIL, "ACH",
            C_TYPE, "SEND", C_STATUS, "APPROVED", C_CUR, "USD");
    expect_count(r, 1);
    expect_amount(r, 20000);
    assert_string_equal(r[C_FEE], "0.00");
    r = ONE(&c, "transactions", C_RAIL, "PUSH_TO_CARD", C_STATUS,
            "DECLINED");
    expect_count(r, 1);
    expect_amount(r, 3000);
    assert_string_equal(r[C_FEE], "2.99");
    assert_int_equal(res.transactions, 2);
    /* And by SQL: every transaction of acme created on day 2. */
    assert_int_equal(sql_i64(fx,
                             "SELECT count(*) FROM transactions WHERE "
                             "business_id = ?1 AND substr(created_at, 1, 10)"
                             " = ?2",
                             fx->biz.id, DAY2, NULL),
                     2);

    /* Movements on day 2 by hand: t1 SETTLE; t4 SETTLE, RETURN; t5
     * created, SUBMIT, TRANSMIT, DECLINE; t3 created, SUBMIT, TRANSMIT,
     * APPROVE = 11 (globex's day-1 rows do not count). */
    int64_t moves = sql_i64(fx,
                            "SELECT (SELECT count(*) FROM "
                            "transaction_history h, "
                            "transactions t WHERE t.id = h.txn_id AND "
                            "t.business_id = ?1 AND "
                            "substr(h.created_at, 1, 10) = ?2) + "
                            "(SELECT count(*) FROM transactions t WHERE "
                            "t.business_id = ?1 AND " /* creations, v18 */
                            "substr(t.created_at, 1, 10) = ?2)",
                            fx->biz.id, DAY2, NULL);
    assert_int_equal(moves, 11);
    assert_int_equal(res.movements, 11);
    long total = 0;
    for (int i = 0; i < c.n; i++)
        if (strcmp(c.f[i][C_SECTION], "status_movements") == 0)
            total += strtol(c.f[i][C_COUNT], NULL, 10);
    assert_int_equal(total, 11);
    r = ONE(&c, "status_movements", C_RAIL, "PUSH_TO_CARD", C_FROM,
            "PROCESSING", C_STATUS, "SETTLED");
    expect_count(r, 2); /* t1 100.00 and t4 40.00 */
    expect_amount(r, 14000);
    r = ONE(&c, "status_movements", C_FROM, "SETTLED", C_STATUS,
            "REVERSED");
    expect_count(r, 1);
    expect_amount(r, 4000);
    r = ONE(&c, "status_movements", C_RAIL, "ACH", C_FROM, "", C_STATUS,
            "NEW");
    expect_count(r, 1);
    expect_amount(r, 20000);
}

/* Opening and closing positions on two consecutive days. */
static void test_positions_two_dates(void **state)
{
    struct fixture *fx = *state;
    struct ps_recon_result r1, r2;
    struct csv c1, c2;
    static const char *const kinds[] = {"CUSTOMER", "EWA_RECEIVABLE",
                                        "FEE_INCOME", "FUNDING"};
    scenario(fx);
    run_ok(fx, DAY1, &r1, &c1);
    run_ok(fx, DAY2, &r2, &c2);

    /* By hand. Day 1: three advances 190.00 and three fees 8.97. */
    expect_amount(ONE(&c1, "closing_position", C_KIND, "EWA_RECEIVABLE"),
                  19897);
    expect_amount(ONE(&c1, "closing_position", C_KIND, "CUSTOMER"), -19000);
    expect_amount(ONE(&c1, "closing_position", C_KIND, "FEE_INCOME"), -897);
    expect_amount(ONE(&c1, "opening_position", C_KIND, "EWA_RECEIVABLE"), 0);
    assert_int_equal(rows(&c1, "closing_position", NULL, C_KIND, "FUNDING",
                          -1),
                     0);
    /* Day 2 closes at: receivable 198.97 + 32.99 + 200.00 - 32.99 (R5
     * declined) - 42.99 (R4 returned) - 50.00 (payroll) = 305.98;
     * customers -250.00; funding -100 - 40 + 40 + 50 = -50.00; fees
     * -8.97 - 2.99 + 2.99 + 2.99 = -5.98. */
    expect_amount(ONE(&c2, "closing_position", C_KIND, "EWA_RECEIVABLE"),
                  30598);
    expect_amount(ONE(&c2, "closing_position", C_KIND, "CUSTOMER"), -25000);
    expect_amount(ONE(&c2, "closing_position", C_KIND, "FUNDING"), -5000);
    expect_amount(ONE(&c2, "closing_position", C_KIND, "FEE_INCOME"), -598);
    expect_amount(ONE(&c2, "opening_position", C_KIND, "FUNDING"), 0);

    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        char **o2 = NULL, **c1row = NULL;
        /* Day 2 opens where day 1 closed. */
        if (rows(&c1, "closing_position", &c1row, C_KIND, kinds[k], -1) ==
            1) {
            rows(&c2, "opening_position", &o2, C_KIND, kinds[k], -1);
            assert_non_null(o2);
            assert_string_equal(o2[C_AMOUNT], c1row[C_AMOUNT]);
        }
        /* And each number is the ledger recomputed leg by leg. */
        expect_amount(ONE(&c2, "opening_position", C_KIND, kinds[k]),
                      position(fx, kinds[k], DAY2));
        expect_amount(ONE(&c2, "closing_position", C_KIND, kinds[k]),
                      position(fx, kinds[k], "2026-11-21"));
    }
    /* The trial balance: zero, as the ledger of acme says. */
    assert_true(r2.trial_balanced);
    expect_amount(ONE(&c2, "trial_balance", C_CUR, "USD", C_STATUS,
                      "BALANCED"),
                  0);
    assert_int_equal(rows(&c2, "alert", NULL, -1), 0);
}

/* Each outbound file against its controls and the provider's answers. */
static void test_files_unmatched_late(void **state)
{
    struct fixture *fx = *state;
    struct ps_recon_result res;
    struct csv c;
    char **r;
    scenario(fx);
    run_ok(fx, DAY2, &res, &c);

    /* F1 (day 1, still has an open item), F2 and F3 (day 2); not
     * globex's. */
    assert_int_equal(res.files, 3);
    assert_int_equal(rows(&c, "file_check", NULL, -1), 3);
    assert_int_equal(rows(&c, "file_control", NULL, C_FILE,
                          "p2c-globex-20261119-001.csv", -1),
                     0);
    r = ONE(&c, "file_control", C_FILE, "p2c-acme-20261119-001.csv",
            C_STATUS, "RECORDS");
    expect_count(r, 3);
    expect_amount(ONE(&c, "file_control", C_FILE, "p2c-acme-20261119-001.csv",
                      C_STATUS, "CREDIT_TOTAL"),
                  19000);
    r = ONE(&c, "file_items", C_FILE, "p2c-acme-20261119-001.csv", C_STATUS,
            "SETTLED");
    expect_count(r, 1);
    expect_amount(r, 10000);
    assert_string_equal(r[C_TYPE], "CREDIT");
    r = ONE(&c, "file_items", C_FILE, "p2c-acme-20261119-001.csv", C_STATUS,
            "RETURNED");
    expect_count(r, 1);
    expect_amount(r, 4000);
    r = ONE(&c, "file_items", C_FILE, "p2c-acme-20261119-001.csv", C_STATUS,
            "AWAITING");
    expect_count(r, 1);
    expect_amount(r, 5000);
    (void)ONE(&c, "file_check", C_FILE, "p2c-acme-20261119-001.csv",
              C_STATUS, "MATCH");
    /* F2's controls (31.00) do not match its one item (30.00). */
    r = ONE(&c, "file_items", C_FILE, "p2c-acme-20261120-001.csv", C_STATUS,
            "DECLINED");
    expect_amount(r, 3000);
    ONE(&c, "file_check", C_FILE, "p2c-acme-20261120-001.csv", C_STATUS,
        "MISMATCH");
    assert_int_equal(res.files_mismatched, 1);
    r = ONE(&c, "file_items", C_FILE, "ach-acme-20261120-A.ach", C_STATUS,
            "CONFIRMED");
    assert_string_equal(r[C_RAIL], "ACH");
    expect_amount(r, 20000);
    ONE(&c, "file_check", C_FILE, "ach-acme-20261120-A.ach", C_STATUS,
        "MATCH");
    /* Recomputed: the items of every reported file add up to the rows. */
    const char *const fids[] = {"F1", "F2", "F3"};
    const char *const fnames[] = {"p2c-acme-20261119-001.csv",
                                  "p2c-acme-20261120-001.csv",
                                  "ach-acme-20261120-A.ach"};
    for (int i = 0; i < 3; i++) {
        int64_t n = 0, sum = 0;
        for (int k = 0; k < c.n; k++)
            if (strcmp(c.f[k][C_SECTION], "file_items") == 0 &&
                strcmp(c.f[k][C_FILE], fnames[i]) == 0) {
                n += strtol(c.f[k][C_COUNT], NULL, 10);
                sum += cents_of(c.f[k][C_AMOUNT]);
            }
        assert_int_equal(n, sql_i64(fx,
                                    "SELECT count(*) FROM output_items"
                                    " WHERE output_id = ?1",
                                    fids[i], NULL));
        assert_int_equal(sum, sql_i64(fx,
                                      "SELECT sum(t.amount) FROM"
                                      " output_items i, transactions t"
                                      " WHERE t.id = i.txn_id AND"
                                      " i.output_id = ?1",
                                      fids[i], NULL));
    }

    /* Unmatched: the day's unknown reference (redacted), not day 1's nor
     * globex's; and t2, transmitted with no answer. */
    assert_int_equal(res.unknown_references, 1);
    r = ONE(&c, "unmatched", C_STATUS, "UNKNOWN_REFERENCE");
    assert_string_equal(r[C_FILE], "status-20261120.csv");
    assert_string_equal(r[C_REF], "411111******1111");
    expect_amount(r, 1234);
    assert_int_equal(sql_i64(fx,
                             "SELECT count(*) FROM record_results r, files f"
                             " WHERE f.id = r.file_id AND f.business_id = ?1"
                             " AND r.code = 'UNKNOWN_REFERENCE' AND"
                             " substr(f.received_at, 1, 10) = ?2",
                             fx->biz.id, DAY2, NULL),
                     1);
    r = ONE(&c, "unmatched", C_STATUS, "AWAITING");
    assert_string_equal(r[C_REF], fx->t2);
    expect_amount(r, 5000);
    assert_int_equal(res.awaiting, 1);
    /* Friday: F1 (Thursday) is due by Friday, F3 by Monday: none late. */
    assert_int_equal(rows(&c, "late", NULL, -1), 0);
    assert_int_equal(res.late, 0);

    /* Monday 11-23: t2 is late (due Friday); t3 (APPROVED, file of Friday)
     * is due that Monday, not late yet. */
    run_ok(fx, "2026-11-23", &res, &c);
    assert_int_equal(res.late, 1);
    r = ONE(&c, "late", C_REF, fx->t2);
    assert_string_equal(r[C_STATUS], "PROCESSING");
    /* Tuesday: both. */
    run_ok(fx, "2026-11-24", &res, &c);
    assert_int_equal(res.late, 2);
    r = ONE(&c, "late", C_REF, fx->t3);
    assert_string_equal(r[C_STATUS], "APPROVED");
}

/* A NACHA file as the cutoff records it: sequence, both controls. */
static void nacha_file(struct fixture *fx, const char *id, int seq,
                       const char *name, long records, int64_t credits,
                       int64_t debits, const char *items[])
{
    char sql[PATH_MAX + 1024];
    int n = snprintf(
        sql, sizeof(sql),
        "INSERT INTO outputs(id, business_id, kind, business_date, seq,"
        " path, records, debit_total, credit_total, created_at)"
        " VALUES ('%s', '%s', 'NACHA', '%s', %d, '%s/outbound/acme/nacha/%s',"
        " %ld, %lld, %lld, '%sT12:00:00.000Z')",
        id, fx->biz.id, DAY2, seq, fx->spool, name, records, (long long)debits,
        (long long)credits, DAY2);
    assert_true(n > 0 && (size_t)n < sizeof(sql));
    exec_sql(fx, sql);
    for (int i = 0; items[i] != NULL; i++) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO output_items(output_id, txn_id)"
                 " VALUES ('%s', '%s')",
                 id, items[i]);
        exec_sql(fx, sql);
    }
}

/* An ACH DEBIT (a plain PAYMENT) of `amount` on the account of `like`. */
static void ach_debit(struct fixture *fx, const char *like, const char *req,
                      int64_t amount, char id[PS_ID_SIZE])
{
    struct ps_txn t, l;
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_store_txn_get(fx->eng->store, like, &l, &err) != 0)
        fail_msg("ps_store_txn_get: %s [%s]", err.msg, err.rule);
    memset(&t, 0, sizeof(t));
    ps_strlcpy(t.business_id, l.business_id, sizeof(t.business_id));
    ps_strlcpy(t.customer_id, l.customer_id, sizeof(t.customer_id));
    ps_strlcpy(t.account_id, l.account_id, sizeof(t.account_id));
    t.type = PS_TXN_DEBIT;
    t.rail = PS_RAIL_ACH;
    t.purpose = PS_PURPOSE_PAYMENT;
    t.amount = amount;
    ps_strlcpy(t.currency, "USD", sizeof(t.currency));
    ps_strlcpy(t.request_id, req, sizeof(t.request_id));
    if (ps_txn_create(fx->eng->store, &t, NULL, &err) != 0)
        fail_msg("ps_txn_create: %s [%s]", err.msg, err.rule);
    ps_strlcpy(id, t.id, PS_ID_SIZE);
}

/*
 * The file check compares all three controls: records, credit total and
 * debit total.  Two NACHA files of credits and debits: N1's controls are
 * right; N2's records and credit total are right and only its debit total
 * is off by one cent.  N2 alone is a MISMATCH.
 */
static void test_file_debit_mismatch(void **state)
{
    struct fixture *fx = *state;
    struct ps_recon_result res;
    struct csv c;
    char **r;
    char c1[PS_ID_SIZE], c2[PS_ID_SIZE], d1[PS_ID_SIZE], d2[PS_ID_SIZE];
    char acct[PS_ID_SIZE];
    struct ps_txn t;
    struct ps_err err;

    setenv("PAYSPOOL_NOW", DAY2_NOW, 1);
    roster(fx, &fx->biz, "Early Pay", "E3", NULL);
    disburse(fx, &fx->biz, "R3", "E3", "200.00", "ACH", c1);
    disburse(fx, &fx->biz, "R6", "E3", "100.00", "ACH", c2);
    ps_err_clear(&err);
    assert_int_equal(ps_store_txn_get(fx->eng->store, c1, &t, &err), 0);
    ps_strlcpy(acct, t.account_id, sizeof(acct));
    if (ps_account_authorize_debit(fx->eng, acct, PS_AUTH_WEB, "AUTH-1",
                                   &err) != 0)
        fail_msg("ps_account_authorize_debit: %s [%s]", err.msg, err.rule);
    ach_debit(fx, c1, "D1", 5000, d1);
    ach_debit(fx, c1, "D2", 3000, d2);
    {
        const char *i1[] = {c1, d1, NULL};
        const char *i2[] = {c2, d2, NULL};
        nacha_file(fx, "N1", 1, "ach-acme-20261120-A.ach", 2, 20000, 5000, i1);
        /* records 2 and credits 100.00 agree; debits say 29.99, the one
         * debit item is 30.00 */
        nacha_file(fx, "N2", 2, "ach-acme-20261120-B.ach", 2, 10000, 2999, i2);
    }
    run_ok(fx, DAY2, &res, &c);

    assert_int_equal(res.files, 2);
    /* N1: everything agrees */
    expect_amount(ONE(&c, "file_control", C_FILE, "ach-acme-20261120-A.ach",
                      C_STATUS, "DEBIT_TOTAL"),
                  5000);
    r = ONE(&c, "file_items", C_FILE, "ach-acme-20261120-A.ach", C_TYPE,
            "DEBIT");
    expect_amount(r, 5000);
    (void)ONE(&c, "file_check", C_FILE, "ach-acme-20261120-A.ach", C_STATUS,
              "MATCH");
    /* N2: the controls as recorded, the items as they are */
    expect_count(ONE(&c, "file_control", C_FILE, "ach-acme-20261120-B.ach",
                     C_STATUS, "RECORDS"),
                 2);
    expect_amount(ONE(&c, "file_control", C_FILE, "ach-acme-20261120-B.ach",
                      C_STATUS, "CREDIT_TOTAL"),
                  10000);
    expect_amount(ONE(&c, "file_control", C_FILE, "ach-acme-20261120-B.ach",
                      C_STATUS, "DEBIT_TOTAL"),
                  2999);
    expect_amount(ONE(&c, "file_items", C_FILE, "ach-acme-20261120-B.ach",
                      C_TYPE, "CREDIT"),
                  10000);
    expect_amount(ONE(&c, "file_items", C_FILE, "ach-acme-20261120-B.ach",
                      C_TYPE, "DEBIT"),
                  3000);
    r = ONE(&c, "file_check", C_FILE, "ach-acme-20261120-B.ach");
    if (strcmp(r[C_STATUS], "MISMATCH") != 0)
        fail_msg("a debit total off by 0.01 (credits and records agreeing)"
                 " checked %s: %s",
                 r[C_STATUS], r[C_DETAIL]);
    expect_count(r, 2);
    if (strstr(r[C_DETAIL], "debit total 29.99, items 30.00") == NULL)
        fail_msg("file_check detail: %s", r[C_DETAIL]);
    assert_int_equal(res.files_mismatched, 1);
    if (strstr(c.text, "MISMATCH") == NULL)
        fail_msg("no MISMATCH in the report");
}

/* EWA receivables by eligibility and age, and against the ledger. */
static void test_ewa_receivables(void **state)
{
    struct fixture *fx = *state;
    struct ps_recon_result res;
    struct csv c;
    char **r;
    scenario(fx);
    run_ok(fx, DAY2, &res, &c);

    /* By hand: E1 ARREARS 52.99 (102.99 - 50.00), oldest unrecovered
     * advance on day 1: 1 day; E2 ELIGIBLE 52.99, 1 day; E3 ELIGIBLE
     * 200.00, 0 days; E4 owes nothing (returned). */
    r = ONE(&c, "ewa_receivables", C_ELIG, "ARREARS");
    assert_string_equal(r[C_BUCKET], "0-7");
    expect_count(r, 1);
    expect_amount(r, 5299);
    r = ONE(&c, "ewa_receivables", C_ELIG, "ELIGIBLE");
    assert_string_equal(r[C_BUCKET], "0-7");
    expect_count(r, 2);
    expect_amount(r, 25299);
    assert_int_equal(res.receivable_profiles, 3);
    /* By SQL: the profiles' balances per status. */
    assert_int_equal(sql_i64(fx,
                             "SELECT sum(k.amount_to_recover)"
                             " FROM ewa_profiles p"
                             " JOIN ewa_counters k ON k.profile = p.seq"
                             " WHERE business_id = ?1 AND"
                             " eligibility_status = 'ELIGIBLE'",
                             fx->biz.id, NULL),
                     25299);
    assert_int_equal(sql_i64(fx,
                             "SELECT sum(k.amount_to_recover)"
                             " FROM ewa_profiles p"
                             " JOIN ewa_counters k ON k.profile = p.seq"
                             " WHERE business_id = ?1 AND"
                             " eligibility_status = 'ARREARS'",
                             fx->biz.id, NULL),
                     5299);
    /* The check: 305.98 owed, the same in the ledger. */
    r = ONE(&c, "ewa_receivable_check", C_CUR, "USD");
    assert_string_equal(r[C_STATUS], "MATCH");
    expect_amount(r, 30598);
    expect_count(r, 3);
    assert_int_equal(position(fx, "EWA_RECEIVABLE", "9999"), 30598);

    /* Ages on 2026-12-20: day-1 advances are 31 days old, day 2's 30. */
    run_ok(fx, "2026-12-20", &res, &c);
    r = ONE(&c, "ewa_receivables", C_ELIG, "ELIGIBLE", C_BUCKET, "31-60");
    expect_count(r, 1);
    expect_amount(r, 5299);
    r = ONE(&c, "ewa_receivables", C_ELIG, "ELIGIBLE", C_BUCKET, "15-30");
    expect_count(r, 1);
    expect_amount(r, 20000);
    ONE(&c, "ewa_receivables", C_ELIG, "ARREARS", C_BUCKET, "31-60");
    run_ok(fx, "2027-01-30", &res, &c);
    r = ONE(&c, "ewa_receivables", C_ELIG, "ELIGIBLE", C_BUCKET, ">60");
    expect_count(r, 2);

    /* The two fallbacks, by SQL edits undone after: E4 owes 10.00 with
     * its only advance returned, so its age runs from its profile's
     * creation (day 1: 31 days on 2026-12-20); E3 owes 250.00, more than
     * its one live advance of 200.00, so from that advance (day 2: 30
     * days).  E2's 52.99 from day 1 shares E4's bucket. */
    exec_sql(fx, "UPDATE ewa_counters SET amount_to_recover = 1000"
                 " WHERE profile = (SELECT seq FROM ewa_profiles"
                 " WHERE external_id = 'E4')");
    exec_sql(fx, "UPDATE ewa_counters SET amount_to_recover = 25000"
                 " WHERE profile = (SELECT seq FROM ewa_profiles"
                 " WHERE external_id = 'E3')");
    run_ok(fx, "2026-12-20", &res, &c);
    r = ONE(&c, "ewa_receivables", C_ELIG, "ELIGIBLE", C_BUCKET, "31-60");
    expect_count(r, 2);
    expect_amount(r, 6299);
    r = ONE(&c, "ewa_receivables", C_ELIG, "ELIGIBLE", C_BUCKET, "15-30");
    expect_count(r, 1);
    expect_amount(r, 25000);
    assert_int_equal(res.receivable_profiles, 4);
    exec_sql(fx, "UPDATE ewa_counters SET amount_to_recover = 0"
                 " WHERE profile = (SELECT seq FROM ewa_profiles"
                 " WHERE external_id = 'E4')");
    exec_sql(fx, "UPDATE ewa_counters SET amount_to_recover = 20000"
                 " WHERE profile = (SELECT seq FROM ewa_profiles"
                 " WHERE external_id = 'E3')");

    /* A profile balance changed behind the ledger's back: reported, not
     * fatal. */
    exec_sql(fx, "UPDATE ewa_counters SET amount_to_recover ="
                 " amount_to_recover + 100 WHERE profile = (SELECT seq"
                 " FROM ewa_profiles WHERE external_id = 'E2')");
    run_ok(fx, DAY2, &res, &c);
    r = ONE(&c, "ewa_receivable_check", C_CUR, "USD");
    assert_string_equal(r[C_STATUS], "DIFFERENCE");
    r = ONE(&c, "alert", C_STATUS, "EWA_RECEIVABLE_DIFFERENCE");
    expect_amount(r, 100);
    assert_int_equal(res.receivable_diffs, 1);
    assert_non_null(strstr(ps_test_slurp(res.summary_path, NULL),
                           "WARNING: EWA receivable in USD"));
}

/* An unbalanced ledger: the report says so loudly and the run fails. */
static void test_trial_balance_not_zero(void **state)
{
    struct fixture *fx = *state;
    struct ps_recon_result res;
    struct ps_err err;
    struct csv c;
    int64_t day;
    char sql[1536];
    scenario(fx);
    /* An entry whose credit side is another business's account: acme's
     * own ledger is then 7.00 out.  With its day totals, as the store
     * posts it (schema 24: recon's trial balance reads them). */
    snprintf(sql, sizeof(sql),
             "INSERT INTO ledger_entries(reference, debit_account,"
             " credit_account, amount, currency, memo, created_at)"
             " VALUES ('forced', (SELECT id FROM ledger_accounts WHERE"
             " business_id = '%s' AND kind = 'FUNDING'), (SELECT id FROM"
             " ledger_accounts WHERE business_id = '%s' AND kind ="
             " 'EWA_RECEIVABLE'), 700, 'USD', 'unbalanced',"
             " '2026-11-20T13:00:00.000Z');"
             "INSERT INTO ledger_day_totals(business_id, kind, currency, day,"
             " legs, debits, credits, mismatched) VALUES ('%s', 'FUNDING',"
             " 'USD', '2026-11-20', 1, 700, 0, 0), ('%s', 'EWA_RECEIVABLE',"
             " 'USD', '2026-11-20', 1, 0, 700, 0) ON CONFLICT (business_id,"
             " kind, currency, day) DO UPDATE SET legs = legs + 1,"
             " debits = debits + excluded.debits,"
             " credits = credits + excluded.credits",
             fx->biz.id, fx->other.id, fx->biz.id, fx->other.id);
    exec_sql(fx, sql);
    ps_err_clear(&err);
    memset(&res, 0, sizeof(res));
    assert_int_equal(ps_date_parse(DAY2, &day, &err), 0);
    ps_test_expect_err(
        ps_recon_run(fx->eng, fx->spool, &fx->biz, day, fx->cal, &res, &err),
        &err, PS_EINVAL, "TRIAL_BALANCE_NOT_ZERO");
    /* Written all the same, and recorded. */
    assert_false(res.trial_balanced);
    assert_int_equal(res.ntrial, 1);
    assert_int_equal(res.trial[0].balance, 700);
    csv_load(res.csv_path, &c);
    char **r = ONE(&c, "alert", C_STATUS, "TRIAL_BALANCE_NOT_ZERO");
    expect_amount(r, 700);
    assert_non_null(strstr(r[C_DETAIL], "LEDGER TRIAL BALANCE IS NOT ZERO"));
    /* The alert comes right after the report line. */
    assert_string_equal(c.f[1][C_SECTION], "alert");
    expect_amount(ONE(&c, "trial_balance", C_STATUS, "NOT_ZERO"), 700);
    const char *txt = ps_test_slurp(res.summary_path, NULL);
    assert_true(strncmp(txt, "!!!!", 4) == 0);
    assert_non_null(strstr(txt, "LEDGER TRIAL BALANCE IS NOT ZERO"));
    assert_int_equal(sql_i64(fx,
                             "SELECT count(*) FROM outputs WHERE kind ="
                             " 'RECON' AND business_id = ?1 AND path = ?2",
                             fx->biz.id, res.csv_path, NULL),
                     1);
    /* The same number by SQL: acme's legs, debits minus credits. */
    assert_int_equal(sql_i64(fx,
                             "WITH e AS (SELECT debit_account,"
                             " credit_account, amount FROM ledger_entries"
                             " UNION ALL SELECT debit_account,"
                             " credit_account, amount FROM transactions"
                             " WHERE debit_account IS NOT NULL UNION ALL"
                             " SELECT debit_account, fee_account, fee"
                             " FROM transactions"
                             " WHERE fee_account IS NOT NULL)"
                             " SELECT (SELECT sum(e.amount) FROM"
                             " e JOIN ledger_accounts a ON"
                             " a.id = e.debit_account WHERE a.business_id ="
                             " ?1) - (SELECT sum(e.amount) FROM"
                             " e JOIN ledger_accounts a ON"
                             " a.id = e.credit_account WHERE a.business_id ="
                             " ?1)",
                             fx->biz.id, NULL),
                     700);
}

/* No card or account number anywhere in the outputs. */
static void test_no_card_numbers(void **state)
{
    struct fixture *fx = *state;
    struct ps_recon_result res;
    struct csv c;
    static const char *const secrets[] = {CARD1, CARD2, CARD4, CARDG,
                                          BANKNO};
    scenario(fx);
    run_ok(fx, DAY2, &res, &c);
    const char *txt = ps_test_slurp(res.summary_path, NULL);
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        if (strstr(c.text, secrets[i]) != NULL)
            fail_msg("%s in the CSV", secrets[i]);
        if (strstr(txt, secrets[i]) != NULL)
            fail_msg("%s in the summary", secrets[i]);
    }
    /* Nor anything of globex. */
    assert_null(strstr(c.text, "globex"));
    assert_null(strstr(c.text, "G-UNKNOWN"));
}

/* Reruns write a new sequence; nothing is overwritten. */
static void test_rerun_new_sequence(void **state)
{
    struct fixture *fx = *state;
    struct ps_recon_result r1, r2, r3;
    struct csv c;
    char path[PATH_MAX];
    scenario(fx);
    run_ok(fx, DAY2, &r1, &c);
    char *first = ps_test_slurp(r1.csv_path, NULL);
    run_ok(fx, DAY2, &r2, &c);
    assert_int_equal(r1.seq, 1);
    assert_int_equal(r2.seq, 2);
    assert_non_null(strstr(r1.csv_path, "/outbound/acme/recon/"
                                        "recon-acme-20261120-001.csv"));
    assert_non_null(strstr(r2.summary_path, "recon-acme-20261120-002.txt"));
    assert_string_equal(ps_test_slurp(r1.csv_path, NULL), first);
    /* A name already taken on disk (not in the store) is skipped. */
    assert_int_equal(ps_test_join(path, sizeof(path), fx->spool,
                                  "outbound/acme/recon/"
                                  "recon-acme-20261120-003.txt"),
                     0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("someone else's\n", f);
    fclose(f);
    run_ok(fx, DAY2, &r3, &c);
    assert_int_equal(r3.seq, 4);
    assert_string_equal(ps_test_slurp(path, NULL), "someone else's\n");
    /* Sidecars, and the outputs rows. */
    assert_true(snprintf(path, sizeof(path), "%s.done", r3.csv_path) > 0);
    ps_test_slurp(path, NULL);
    assert_true(snprintf(path, sizeof(path), "%s.sha256", r3.summary_path) >
                0);
    ps_test_slurp(path, NULL);
    assert_int_equal(sql_i64(fx,
                             "SELECT count(*) FROM outputs WHERE kind ="
                             " 'RECON' AND business_id = ?1 AND"
                             " business_date = ?2",
                             fx->biz.id, DAY2, NULL),
                     3);
    assert_int_equal(sql_i64(fx,
                             "SELECT max(seq) FROM outputs WHERE kind ="
                             " 'RECON' AND business_id = ?1",
                             fx->biz.id, NULL),
                     4);
}

/* The camt.053 has one statement per currency of the FUNDING account, as
 * many as there are (more than the 8 it once stopped at), each with its
 * balances in the currency's exponent. */
static void test_camt053_many_currencies(void **state)
{
    static const char *const ccy[] = {"EUR", "GBP", "JPY", "CAD", "AUD",
                                      "CHF", "MXN", "SEK", "NOK", "DKK",
                                      "BHD"};
    struct fixture *fx = *state;
    struct ps_recon_result r;
    struct csv c;
    char sql[2048];
    size_t n = sizeof(ccy) / sizeof(ccy[0]);
    scenario(fx);
    for (size_t i = 0; i < n; i++) {
        /* Money in: Dr FUNDING, Cr FEE_INCOME, both acme's (balanced). */
        snprintf(sql, sizeof(sql),
                 "INSERT INTO ledger_accounts(business_id, kind, currency)"
                 " VALUES ('%s', 'FUNDING', '%s'), ('%s', 'FEE_INCOME', '%s');"
                 "INSERT INTO ledger_entries(reference, debit_account,"
                 " credit_account, amount, currency, memo, created_at)"
                 " VALUES ('fx-%s', (SELECT id FROM ledger_accounts WHERE"
                 " business_id = '%s' AND kind = 'FUNDING' AND currency ="
                 " '%s'), (SELECT id FROM ledger_accounts WHERE business_id ="
                 " '%s' AND kind = 'FEE_INCOME' AND currency = '%s'), %zu,"
                 " '%s', 'deposit', '2026-11-20T12:00:00.000Z');"
                 /* as the store posts it: the day totals too (v24) */
                 "INSERT INTO ledger_day_totals(business_id, kind, currency,"
                 " day, legs, debits, credits, mismatched) VALUES ('%s',"
                 " 'FUNDING', '%s', '2026-11-20', 1, %zu, 0, 0), ('%s',"
                 " 'FEE_INCOME', '%s', '2026-11-20', 1, 0, %zu, 0)",
                 fx->biz.id, ccy[i], fx->biz.id, ccy[i], ccy[i], fx->biz.id,
                 ccy[i], fx->biz.id, ccy[i], 1000 + i, ccy[i], fx->biz.id,
                 ccy[i], 1000 + i, fx->biz.id, ccy[i], 1000 + i);
        exec_sql(fx, sql);
    }
    run_ok(fx, DAY2, &r, &c);
    assert_true(r.camt053_path[0] != '\0');
    const char *x = ps_test_slurp(r.camt053_path, NULL);
    size_t stmts = 0;
    for (const char *p = x; (p = strstr(p, "<Stmt>")) != NULL; p++)
        stmts++;
    assert_int_equal(stmts, n + 1); /* and USD */
    for (size_t i = 0; i < n; i++) {
        char id[48];
        snprintf(id, sizeof(id), "-%s</Id>", ccy[i]);
        assert_non_null(strstr(x, id));
    }
    /* The last currencies' closing balances: CRDT, in their exponent. */
    assert_non_null(strstr(x, "<Amt Ccy=\"DKK\">10.09</Amt>"));
    assert_non_null(strstr(x, "<Amt Ccy=\"BHD\">1.010</Amt>"));
    assert_non_null(strstr(x, "<Amt Ccy=\"JPY\">1002</Amt>"));
}

/* Normalise SQL for comparison: whitespace runs become one space, none
 * after '(' or before ')'. */
static void squash(const char *in, char *out, size_t size)
{
    size_t n = 0;
    int space = 0;
    for (; *in != '\0' && n + 2 < size; in++) {
        if (*in == ' ' || *in == '\n' || *in == '\t') {
            space = 1;
            continue;
        }
        if (space && n > 0 && out[n - 1] != '(' && *in != ')')
            out[n++] = ' ';
        space = 0;
        out[n++] = *in;
    }
    out[n] = '\0';
}

/* docs/reconciliation.md shows each query exactly as the engine runs it. */
static void test_sql_documented(void **state)
{
    (void)state;
    static char readme[1 << 18], want[1 << 13];
    squash(ps_test_slurp(PS_SOURCE_DIR "/docs/reconciliation.md", NULL), readme,
           sizeof(readme));
    for (int q = 0; q < PS_RECON_Q_N; q++) {
        const char *sql = ps_store_recon_sql((enum ps_recon_query)q);
        assert_non_null(sql);
        squash(sql, want, sizeof(want));
        if (strstr(readme, want) == NULL)
            fail_msg("query %d is not in docs/reconciliation.md as it "
                     "runs:\n%s",
                     q, want);
    }
}

/* The receivables by eligibility and age as text, one line a row. */
static int aging_cat(void *ctx, const struct ps_recon_row *row)
{
    char *buf = ctx;
    size_t n = strlen(buf);
    snprintf(buf + n, 4096 - n, "%s|%s|%s|%lld|%lld\n", row->text[0],
             row->text[1], row->text[2], (long long)row->num[3],
             (long long)row->num[4]);
    return 0;
}

/* The same rows from the walk (ps_store_recon_query) and from the
 * query that defines them (its SQL text, run as it is). */
static void aging_both(struct fixture *fx, const char *day, char walk[4096],
                       char query[4096])
{
    struct ps_recon_params prm = {.business = fx->biz.id, .day = day};
    struct ps_err err;
    sqlite3_stmt *st = NULL;
    ps_err_clear(&err);
    walk[0] = query[0] = '\0';
    assert_int_equal(ps_store_recon_query(fx->eng->store,
                                          PS_RECON_Q_EWA_AGING, &prm,
                                          aging_cat, walk, &err),
                     0);
    assert_int_equal(sqlite3_prepare_v2(fx->raw,
                                        ps_store_recon_sql(
                                            PS_RECON_Q_EWA_AGING),
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":business"),
                      fx->biz.id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":day"), day, -1,
                      SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct ps_recon_row row = {.ncols = 5};
        for (int i = 0; i < 5; i++) {
            const unsigned char *v = sqlite3_column_text(st, i);
            row.text[i] = v != NULL ? (const char *)v : "";
            row.num[i] = sqlite3_column_int64(st, i);
        }
        aging_cat(query, &row);
    }
    sqlite3_finalize(st);
}

/* The walk of the disbursements, newest first, gives the query's rows:
 * on the scenario at several dates; with what is owed reaching back
 * part of the way (a newer day answers) or past every advance; and with
 * rows written out of the order of their days (the walk gives way to the
 * query). */
static void test_ewa_aging_walk(void **state)
{
    struct fixture *fx = *state;
    char walk[4096], query[4096];
    static const char *const days[] = {DAY1, DAY2, "2026-11-26",
                                       "2026-12-20", "2027-01-30"};
    scenario(fx);
    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
        aging_both(fx, days[i], walk, query);
        assert_true(query[0] != '\0');
        assert_string_equal(walk, query);
    }
    /* A second advance of E3's, days later: what it owes (both) reaches
     * back to day 2; then only the newer one's worth: the newer day. */
    exec_sql(fx, "INSERT INTO transactions(id, business_id, request_id,"
                 " type, purpose, rail, status, amount, fee, currency,"
                 " customer_id, account_id, profile_id, created_at,"
                 " updated_at) SELECT 'x-' || id, business_id,"
                 " 'x-' || request_id, type, purpose, rail, status, 3000, 0,"
                 " currency, customer_id, account_id, profile_id,"
                 " '2026-11-26T08:00:00Z', '2026-11-26T08:00:00Z'"
                 " FROM transactions WHERE profile_id = (SELECT id FROM"
                 " ewa_profiles WHERE external_id = 'E3')"
                 " AND type = 'SEND' AND purpose = 'EWA_DISBURSEMENT'"
                 " AND status NOT IN ('CANCELLED', 'DECLINED', 'ERROR',"
                 " 'REVERSED')");
    exec_sql(fx, "UPDATE ewa_counters SET amount_to_recover = 23000"
                 " WHERE profile = (SELECT seq FROM ewa_profiles"
                 " WHERE external_id = 'E3')");
    aging_both(fx, "2026-12-20", walk, query);
    assert_string_equal(walk, query);
    assert_non_null(strstr(walk, "ELIGIBLE|15-30|USD|1|23000\n"));
    exec_sql(fx, "UPDATE ewa_counters SET amount_to_recover = 2500"
                 " WHERE profile = (SELECT seq FROM ewa_profiles"
                 " WHERE external_id = 'E3')");
    aging_both(fx, "2026-12-20", walk, query);
    assert_string_equal(walk, query);
    assert_non_null(strstr(walk, "ELIGIBLE|15-30|USD|1|2500\n"));
    aging_both(fx, "2026-12-01", walk, query);
    assert_string_equal(walk, query);
    assert_non_null(strstr(walk, "ELIGIBLE|0-7|USD|1|2500\n"));
    /* Out of day order: E3's older row now dated after its newer one
     * (rowid order and day order disagree).  By days, newest first, the
     * 200.00 of 11-28 does not reach the 230.00 owed, the 30.00 of 11-26
     * does: aged from 11-26.  A walk by rowid alone would have met the
     * 30.00 first and stopped at 11-28's row. */
    exec_sql(fx, "UPDATE transactions SET created_at ="
                 " '2026-11-28T08:00:00Z' WHERE profile_id = (SELECT id FROM"
                 " ewa_profiles WHERE external_id = 'E3') AND id NOT LIKE"
                 " 'x-%' AND type = 'SEND'");
    exec_sql(fx, "UPDATE ewa_counters SET amount_to_recover = 23000"
                 " WHERE profile = (SELECT seq FROM ewa_profiles"
                 " WHERE external_id = 'E3')");
    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
        aging_both(fx, days[i], walk, query);
        assert_string_equal(walk, query);
    }
    aging_both(fx, "2026-12-05", walk, query);
    assert_string_equal(walk, query);
    /* 9 days from the 11-26 row (8-14), not 7 from 11-28's (0-7) */
    assert_non_null(strstr(walk, "ELIGIBLE|8-14|USD|1|23000\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_transactions_and_movements,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_positions_two_dates, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_files_unmatched_late, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_file_debit_mismatch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ewa_receivables, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ewa_aging_walk, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_trial_balance_not_zero, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_card_numbers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rerun_new_sequence, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_camt053_many_currencies, setup,
                                        teardown),
        cmocka_unit_test(test_sql_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
