/*
 * test_payout.c -- unit tests for the provider exchange: the push-to-card
 * payout file (payout.c), provider status lines applied through the
 * applier as the pipeline does (kind txn.status, provider.c), and the
 * sandbox provider.
 *
 * What is checked:
 *   - selection (NEW and PENDING SENDs on PUSH_TO_CARD of this business,
 *     not a suspended account's, nor those of a customer suspended after
 *     the disbursement, which wait) and the transitions with their
 *     history;
 *   - the file, byte for byte: header, lines with the full card number,
 *     trailer with count and total; mode 0600; its outputs row and items;
 *   - no card number in the log;
 *   - crash regeneration: the file and its .done removed after the commit
 *     come back identical; a regeneration that would differ is refused;
 *   - status lines for every status, unknown references (also another
 *     business's), impossible transitions, amount mismatches, duplicates,
 *     provider errors retried by the next payout until max_attempts, then
 *     ERROR; the trial balance stays zero;
 *   - the sandbox provider's rules, settlement date and idempotence.
 *
 * The clock is frozen at 2026-11-20T22:00:00Z (PAYSPOOL_NOW).
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

#include <sqlite3.h>

#include "engine/apply.h"
#include "base/calendar.h"
#include "base/clock.h"
#include "engine/engine.h"
#include "base/err.h"
#include "formats/format.h"
#include "engine/ledger.h"
#include "base/log.h"
#include "outbound/payout.h"
#include "engine/provider.h"
#include "sandbox/cardproc.h"
#include "store/store.h"
#include "testutil.h"

#define FROZEN_NOW "2026-11-20T22:00:00Z"
#define CARD1 "4111111111111111"
#define CARD2 "5555555555554444"
#define CARD3 "4000056655665556"
#define ANSWERS "answers.csv"

struct fixture {
    char dir[PATH_MAX / 4];
    char spool[PATH_MAX / 2];
    struct ps_engine *eng;
    sqlite3 *raw;
    struct ps_business biz, other;
    struct ps_txn t[3]; /* 25.00 Maria, 30.13 Ana, 40.99 Li, in biz */
    struct ps_txn foreign; /* 10.00 in other */
    struct ps_txn held;    /* 11.00 on a suspended account */
    int64_t day;           /* 2026-11-20 */
    long line;
};

static void ok(int rc, const struct ps_err *err, const char *what)
{
    if (rc != 0)
        fail_msg("%s: %s [%s]", what, err->msg, err->rule);
}

/* A customer with a card account and a SEND of `amount` minor units. */
static void customer_txn(struct fixture *fx, const struct ps_business *b,
                         const char *ext, const char *first,
                         const char *last, const char *card, int64_t amount,
                         struct ps_txn *t, struct ps_account *acct)
{
    struct ps_customer c;
    struct ps_account a;
    struct ps_err err;
    ps_err_clear(&err);
    memset(&c, 0, sizeof(c));
    ps_strlcpy(c.business_id, b->id, sizeof(c.business_id));
    ps_strlcpy(c.external_id, ext, sizeof(c.external_id));
    c.type = PS_CUSTOMER_INDIVIDUAL;
    ps_strlcpy(c.first_name, first, sizeof(c.first_name));
    ps_strlcpy(c.last_name, last, sizeof(c.last_name));
    ps_strlcpy(c.email, "someone@example.com", sizeof(c.email));
    ps_strlcpy(c.phone, "+14155550123", sizeof(c.phone));
    ok(ps_customer_create(fx->eng, &c, NULL, 0, NULL, 0, NULL, &err), &err,
       "customer");
    ok(ps_account_add_card(fx->eng, c.id, "card", card, &a, &err), &err,
       "card");
    memset(t, 0, sizeof(*t));
    ps_strlcpy(t->business_id, b->id, sizeof(t->business_id));
    ps_strlcpy(t->customer_id, c.id, sizeof(t->customer_id));
    ps_strlcpy(t->account_id, a.id, sizeof(t->account_id));
    ps_strlcpy(t->currency, "USD", sizeof(t->currency));
    ps_strlcpy(t->request_id, ext, sizeof(t->request_id));
    t->type = PS_TXN_SEND;
    t->purpose = PS_PURPOSE_PAYMENT;
    t->amount = amount;
    ok(ps_engine_txn_create(fx->eng, t, NULL, &err), &err, "txn");
    if (acct != NULL)
        *acct = a;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct ps_account held;
    struct ps_err err;
    if (fx == NULL || ps_test_tmpdir(fx->dir, sizeof(fx->dir), "test_payout"))
        return -1;
    *state = fx;
    setenv("PAYSPOOL_NOW", FROZEN_NOW, 1);
    ps_err_clear(&err);
    ps_log_open(NULL, PS_LOG_WARN, &err);
    fx->eng = ps_test_engine_open(fx->dir);
    fx->raw = ps_test_sqlite_open(ps_test_path(fx->dir, PS_TEST_DB, 0));
    ps_test_join(fx->spool, sizeof(fx->spool), fx->dir, "spool");
    ok(ps_business_add(fx->eng, "acme", "Acme", NULL, &fx->biz, &err), &err,
       "business");
    ok(ps_business_add(fx->eng, "globex", "Globex", NULL, &fx->other, &err),
       &err, "business");
    customer_txn(fx, &fx->biz, "E1", "Maria", "Gonzalez", CARD1, 2500,
                 &fx->t[0], NULL);
    customer_txn(fx, &fx->biz, "E2", "Ana", "Lopez", CARD2, 3013, &fx->t[1],
                 NULL);
    customer_txn(fx, &fx->biz, "E3", "Li", "Wei", CARD3, 4099, &fx->t[2],
                 NULL);
    customer_txn(fx, &fx->other, "G1", "Gus", "Other", CARD1, 1000,
                 &fx->foreign, NULL);
    customer_txn(fx, &fx->biz, "E4", "Held", "Back", CARD2, 1100, &fx->held,
                 &held);
    struct ps_source why = {"test", NULL, 0};
    ok(ps_account_set_status(fx->eng, held.id, PS_STATUS_SUSPENDED, &why,
                             &err),
       &err, "suspend");
    ok(ps_date_parse("2026-11-20", &fx->day, &err), &err, "date");
    fx->line = 1;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    ps_log_close();
    sqlite3_close(fx->raw);
    ps_engine_close(fx->eng);
    int rc = ps_test_rmtree(fx->dir);
    free(fx);
    ps_test_free_owned();
    unsetenv("PAYSPOOL_NOW");
    return rc;
}

static struct ps_txn get_txn(struct fixture *fx, const char *id)
{
    struct ps_txn t;
    struct ps_err err;
    ps_err_clear(&err);
    ok(ps_store_txn_get(fx->eng->store, id, &t, &err), &err, "txn get");
    return t;
}

static enum ps_txn_status status_of(struct fixture *fx, const struct ps_txn *t)
{
    return get_txn(fx, t->id).status;
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

static void payout(struct fixture *fx, struct ps_payout_result *r)
{
    struct ps_err err;
    ps_err_clear(&err);
    ok(ps_payout_run(fx->eng, fx->spool, &fx->biz, fx->day, r, &err), &err,
       "ps_payout_run");
}

static int trial_row(void *ctx, const struct ps_trial_row *r)
{
    (void)ctx;
    assert_int_equal(r->balance, 0);
    assert_int_equal(r->debits, r->credits);
    return 0;
}

static void balanced(struct fixture *fx)
{
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(
        ps_store_trial_balance(fx->eng->store, NULL, trial_row, NULL, &err), 0);
}

/* One provider status line through the applier, in a chunk of its own. */
static void status_line(struct fixture *fx, const struct ps_business *b,
                        const char *ref, const char *status,
                        const char *amount, const char *attempt,
                        struct ps_apply_result *res)
{
    struct ps_applier *ap = NULL;
    struct ps_record rec;
    struct ps_source src = {NULL, ANSWERS, fx->line++};
    struct ps_err err;
    ps_err_clear(&err);
    ps_record_reset(&rec);
    rec.kind = "txn.status";
    ps_record_field(&rec, "reference", ref);
    ps_record_field(&rec, "status", status);
    ps_record_field(&rec, "reason_code", "00");
    ps_record_field(&rec, "message", "from the test");
    ps_record_field(&rec, "amount", amount);
    ps_record_field(&rec, "currency", "USD");
    if (attempt != NULL)
        ps_record_field(&rec, "attempt", attempt);
    ok(ps_applier_open(fx->eng, b, &ap, &err), &err, "applier");
    ok(ps_store_begin(fx->eng->store, &err), &err, "begin");
    if (ps_applier_record(ap, &rec, &src, res, &err) != 0)
        fail_msg("engine failure: %s [%s]", err.msg, err.rule);
    ok(ps_applier_flush(ap, &err), &err, "flush");
    ok(ps_store_commit(fx->eng->store, &err), &err, "commit");
    ps_applier_close(ap);
}

static void expect(const struct ps_apply_result *res, enum ps_outcome o,
                   const char *code)
{
    if (res->outcome != o || strcmp(res->code, code ? code : "") != 0)
        fail_msg("expected %s %s, got %s %s: %s", ps_outcome_name(o),
                 code ? code : "", ps_outcome_name(res->outcome), res->code,
                 res->message);
}

static const char *payout_path(struct fixture *fx, int seq)
{
    static char buf[PATH_MAX];
    snprintf(buf, sizeof(buf),
             "%s/outbound/acme/payouts/p2c-acme-20261120-%03d.csv", fx->spool,
             seq);
    return buf;
}

/* The payout file `seq` holds exactly these lines, in this order, with
 * its trailer of n records totalling `total`. */
struct want_line {
    const struct ps_txn *t;
    const char *card, *amount, *name;
};

static void expect_payout(struct fixture *fx, int seq,
                          const struct want_line *lines, int n,
                          const char *total)
{
    char want[2048];
    size_t len = (size_t)snprintf(
        want, sizeof(want),
        "reference,card_number,amount,currency,name,attempt\n");
    for (int i = 0; i < n; i++) {
        len += (size_t)snprintf(want + len, sizeof(want) - len,
                                "%s,%s,%s,USD,%s,1\n", lines[i].t->id,
                                lines[i].card, lines[i].amount, lines[i].name);
        assert_true(len < sizeof(want));
    }
    snprintf(want + len, sizeof(want) - len,
             "#trailer,file,business_date,currency,records,total\n"
             "#trailer,p2c-acme-20261120-%03d.csv,2026-11-20,USD,%d,%s\n",
             seq, n, total);
    assert_string_equal(ps_test_slurp(payout_path(fx, seq), NULL), want);
}

/* ---- payouts --------------------------------------------------------- */

static void test_payout_file(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct stat st;
    char path[PATH_MAX + 8];

    payout(fx, &r);
    assert_string_equal(r.path, payout_path(fx, 1));
    assert_int_equal(r.records, 3);
    assert_int_equal(r.amount, 2500 + 3013 + 4099);
    assert_string_equal(r.currency, "USD");
    assert_int_equal(r.regenerated, 0);

    const struct want_line lines[] = {
        {&fx->t[0], CARD1, "25.00", "Maria Gonzalez"},
        {&fx->t[1], CARD2, "30.13", "Ana Lopez"},
        {&fx->t[2], CARD3, "40.99", "Li Wei"}};
    expect_payout(fx, 1, lines, 3, "96.12");
    assert_int_equal(stat(r.path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s.done", r.path);
    assert_int_equal(stat(path, &st), 0);

    for (int i = 0; i < 3; i++) {
        struct ps_txn t = get_txn(fx, fx->t[i].id);
        assert_int_equal(t.status, PS_TXN_PROCESSING);
        assert_int_equal(t.attempts, 1);
    }
    /* Another business's and a suspended account's are not paid. */
    assert_int_equal(status_of(fx, &fx->foreign), PS_TXN_NEW);
    assert_int_equal(status_of(fx, &fx->held), PS_TXN_NEW);
    assert_int_equal(
        count_sql(fx, "SELECT count(*) FROM transaction_history WHERE "
                      "source_file = 'p2c-acme-20261120-001.csv' AND "
                      "(event = 'SUBMIT' OR event = 'TRANSMIT')"),
        6);
    assert_int_equal(
        count_sql(fx, "SELECT count(*) FROM outputs WHERE kind = "
                      "'PUSH_TO_CARD' AND seq = 1 AND records = 3 AND "
                      "credit_total = 9612 AND business_date = '2026-11-20' "
                      "AND length(sha256) = 64"),
        1);
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM output_items"), 3);
    balanced(fx);

    /* Nothing left to pay: no file. */
    payout(fx, &r);
    assert_string_equal(r.path, "");
    assert_int_equal(r.records, 0);
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM outputs"), 1);
}

/* [payouts] max_records 2 with three due: two files in one run, oldest
 * first, each with its own trailer, outputs row and items. */
static void test_payout_split(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;

    fx->eng->payout_max_records = 2;
    payout(fx, &r);
    assert_string_equal(r.path, payout_path(fx, 1));
    assert_int_equal(r.files, 2);
    assert_int_equal(r.records, 3);
    assert_int_equal(r.amount, 2500 + 3013 + 4099);
    assert_string_equal(r.currency, "USD");

    const struct want_line first[] = {
        {&fx->t[0], CARD1, "25.00", "Maria Gonzalez"},
        {&fx->t[1], CARD2, "30.13", "Ana Lopez"}};
    const struct want_line second[] = {{&fx->t[2], CARD3, "40.99", "Li Wei"}};
    expect_payout(fx, 1, first, 2, "55.13");
    expect_payout(fx, 2, second, 1, "40.99");
    for (int i = 0; i < 3; i++)
        assert_int_equal(status_of(fx, &fx->t[i]), PS_TXN_PROCESSING);
    assert_int_equal(
        count_sql(fx, "SELECT count(*) FROM outputs WHERE kind ="
                      " 'PUSH_TO_CARD' AND ((seq = 1 AND records = 2 AND"
                      " credit_total = 5513) OR (seq = 2 AND records = 1 AND"
                      " credit_total = 4099))"),
        2);
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM output_items"), 3);
    balanced(fx);

    /* Nothing left: no file, not even an empty one. */
    payout(fx, &r);
    assert_int_equal(r.files, 0);
    assert_string_equal(r.path, "");
}

/* Due transactions of both statuses are paid oldest first across them,
 * oldest meaning created first: the row order, which the watermark reads
 * (schema v23, docs/store.md), not created_at, which the test sets in
 * the opposite order to show it is not what orders the file.  Maria's
 * (NEW) is the oldest, Ana's (PENDING, submitted before) next, then
 * Li's (NEW); with two a file, the first file holds Maria's and Ana's.
 * The PENDING one is only transmitted, the NEW ones submitted first. */
static void test_payout_oldest_first_across_statuses(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct ps_source src = {"test", NULL, 0};
    struct ps_txn_args args = {&src, 0, NULL, NULL};
    struct ps_err err;
    char sql[512];
    ps_err_clear(&err);
    ok(ps_engine_txn_event(fx->eng, fx->t[1].id, PS_EV_SUBMIT, &args, NULL,
                           &err),
       &err, "submit");
    const char *const ages[3] = {"2026-11-20T21:00:00.000Z",
                                 "2026-11-20T20:00:00.000Z",
                                 "2026-11-20T19:00:00.000Z"};
    for (int i = 0; i < 3; i++) {
        snprintf(sql, sizeof(sql),
                 "UPDATE transactions SET created_at = '%s' WHERE id = '%s'",
                 ages[i], fx->t[i].id);
        assert_int_equal(sqlite3_exec(fx->raw, sql, NULL, NULL, NULL),
                         SQLITE_OK);
    }
    fx->eng->payout_max_records = 2;
    payout(fx, &r);
    assert_int_equal(r.files, 2);
    const struct want_line first[] = {
        {&fx->t[0], CARD1, "25.00", "Maria Gonzalez"},
        {&fx->t[1], CARD2, "30.13", "Ana Lopez"}};
    const struct want_line second[] = {{&fx->t[2], CARD3, "40.99", "Li Wei"}};
    expect_payout(fx, 1, first, 2, "55.13");
    expect_payout(fx, 2, second, 1, "40.99");
    /* One SUBMIT for Ana's (the test's own), two for the others. */
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM transaction_history"
                                   " WHERE event = 'SUBMIT'"),
                     3);
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM transaction_history"
                                   " WHERE event = 'TRANSMIT'"),
                     3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(status_of(fx, &fx->t[i]), PS_TXN_PROCESSING);
    balanced(fx);
}

/* A transaction whose account or customer belongs to another business
 * (which the engine never writes, but a damaged or hand-edited store
 * might hold) is not paid. */
static void test_payout_other_business_rows(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    char sql[512];
    snprintf(sql, sizeof(sql),
             "UPDATE transactions SET account_id = '%s' WHERE id = '%s';"
             "UPDATE transactions SET customer_id = '%s' WHERE id = '%s';",
             fx->foreign.account_id, fx->t[0].id, fx->foreign.customer_id,
             fx->t[1].id);
    assert_int_equal(sqlite3_exec(fx->raw, sql, NULL, NULL, NULL), SQLITE_OK);
    payout(fx, &r);
    assert_int_equal(r.records, 1);
    const struct want_line lines[] = {{&fx->t[2], CARD3, "40.99", "Li Wei"}};
    expect_payout(fx, 1, lines, 1, "40.99");
    assert_int_equal(status_of(fx, &fx->t[0]), PS_TXN_NEW);
    assert_int_equal(status_of(fx, &fx->t[1]), PS_TXN_NEW);
}

/* Exactly max_records due: one full file, and no empty second. */
static void test_payout_split_exact(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    fx->eng->payout_max_records = 3;
    payout(fx, &r);
    assert_int_equal(r.files, 1);
    assert_int_equal(r.records, 3);
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM outputs"), 1);
}

static void test_payout_no_pan_in_logs(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct ps_err err;
    const char *log = ps_test_path(fx->dir, "payspool.log", 1);
    ps_err_clear(&err);
    ok(ps_log_open(log, PS_LOG_DEBUG, &err), &err, "log");
    payout(fx, &r);
    ps_log_close();
    char *text = ps_test_slurp(log, NULL);
    assert_non_null(strstr(text, "payout.written"));
    assert_null(strstr(text, CARD1));
    assert_null(strstr(text, CARD2));
    assert_null(strstr(text, CARD3));
    assert_null(strstr(r.path, CARD1));
}

static void test_payout_needs_keys(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct ps_err err;
    struct ps_keys *keys = fx->eng->keys;
    ps_err_clear(&err);
    fx->eng->keys = NULL;
    int rc = ps_payout_run(fx->eng, fx->spool, &fx->biz, fx->day, &r, &err);
    fx->eng->keys = keys;
    ps_test_expect_err(rc, &err, PS_ECONFIG, "KEYS_REQUIRED");
    assert_int_equal(status_of(fx, &fx->t[0]), PS_TXN_NEW);
}

static void remove_published(const char *path)
{
    char side[PATH_MAX + 16];
    unlink(path);
    snprintf(side, sizeof(side), "%s.done", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s.sha256", path);
    unlink(side);
}

static void test_payout_regenerate(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct ps_err err;
    int n = -1;
    payout(fx, &r);
    char *before = ps_test_slurp(r.path, NULL);

    /* As if the process died after the commit, before the file. */
    remove_published(r.path);
    payout(fx, &r);
    assert_int_equal(r.regenerated, 1);
    assert_string_equal(r.path, ""); /* nothing new: nobody paid twice */
    assert_string_equal(ps_test_slurp(payout_path(fx, 1), NULL), before);
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM outputs"), 1);
    assert_int_equal(get_txn(fx, fx->t[0].id).attempts, 1);

    /* Published but without .done (killed between the two). */
    char done[PATH_MAX + 8];
    snprintf(done, sizeof(done), "%s.done", payout_path(fx, 1));
    assert_int_equal(unlink(done), 0);
    ps_err_clear(&err);
    ok(ps_payout_recover(fx->eng, fx->spool, &fx->biz, &n, &err), &err,
       "recover");
    assert_int_equal(n, 1);
    assert_int_equal(access(done, F_OK), 0);
    assert_string_equal(ps_test_slurp(payout_path(fx, 1), NULL), before);

    /* Complete: nothing to do. */
    ok(ps_payout_recover(fx->eng, fx->spool, &fx->biz, &n, &err), &err,
       "recover");
    assert_int_equal(n, 0);
}

static void test_payout_regenerate_mismatch(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct ps_err err;
    payout(fx, &r);
    remove_published(r.path);
    assert_int_equal(sqlite3_exec(fx->raw,
                                  "UPDATE output_items SET holder_name = "
                                  "'Someone Else' WHERE line = 1",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    ps_err_clear(&err);
    int rc = ps_payout_run(fx->eng, fx->spool, &fx->biz, fx->day, &r, &err);
    ps_test_expect_err(rc, &err, PS_EINTERNAL, "PAYOUT_REGENERATE_MISMATCH");
    assert_int_equal(access(payout_path(fx, 1), F_OK), -1);
}

/* ---- status lines ------------------------------------------------------ */

static void test_status_every_status(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct ps_apply_result res;
    payout(fx, &r);

    status_line(fx, &fx->biz, fx->t[0].id, "SETTLED", "25.00", "1", &res);
    expect(&res, PS_ACCEPTED, NULL);
    assert_int_equal(status_of(fx, &fx->t[0]), PS_TXN_SETTLED);
    assert_int_equal(res.amount, 2500);

    status_line(fx, &fx->biz, fx->t[1].id, "APPROVED", "30.13", NULL, &res);
    expect(&res, PS_ACCEPTED, NULL);
    assert_int_equal(status_of(fx, &fx->t[1]), PS_TXN_APPROVED);
    status_line(fx, &fx->biz, fx->t[1].id, "SETTLED", "30.13", NULL, &res);
    expect(&res, PS_ACCEPTED, NULL);
    assert_int_equal(status_of(fx, &fx->t[1]), PS_TXN_SETTLED);
    /* CLEARED is for received (DEBIT) transactions only. */
    status_line(fx, &fx->biz, fx->t[1].id, "CLEARED", "30.13", NULL, &res);
    expect(&res, PS_REJECTED, "ILLEGAL_TRANSITION");
    status_line(fx, &fx->biz, fx->t[1].id, "RETURNED", "30.13", NULL, &res);
    expect(&res, PS_ACCEPTED, NULL);
    assert_int_equal(status_of(fx, &fx->t[1]), PS_TXN_REVERSED);

    status_line(fx, &fx->biz, fx->t[2].id, "DECLINED", "40.99", "1", &res);
    expect(&res, PS_ACCEPTED, NULL);
    assert_int_equal(status_of(fx, &fx->t[2]), PS_TXN_DECLINED);
    assert_int_equal(
        count_sql(fx, "SELECT count(*) FROM transaction_history WHERE "
                      "source_file = 'answers.csv' AND reason LIKE "
                      "'provider %'"),
        5);
    balanced(fx);
}

static void test_status_error_and_returned(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct ps_apply_result res;
    payout(fx, &r);
    status_line(fx, &fx->biz, fx->t[0].id, "ERROR", "25.00", "1", &res);
    expect(&res, PS_ACCEPTED, NULL);
    assert_int_equal(status_of(fx, &fx->t[0]), PS_TXN_PENDING);
    status_line(fx, &fx->biz, fx->t[1].id, "RETURNED", "30.13", "1", &res);
    expect(&res, PS_ACCEPTED, NULL);
    assert_int_equal(status_of(fx, &fx->t[1]), PS_TXN_DECLINED);
    balanced(fx);
}

static void test_status_unknown_reference(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct ps_apply_result res;
    struct ps_err err;
    ps_err_clear(&err);
    payout(fx, &r);
    ok(ps_payout_run(fx->eng, fx->spool, &fx->other, fx->day, &r, &err), &err,
       "other payout");
    status_line(fx, &fx->biz, "00000000-0000-7000-8000-000000000000",
                "SETTLED", "25.00", NULL, &res);
    expect(&res, PS_REJECTED, "UNKNOWN_REFERENCE");
    /* Another business's transaction is unknown here. */
    status_line(fx, &fx->biz, fx->foreign.id, "SETTLED", "10.00", NULL, &res);
    expect(&res, PS_REJECTED, "UNKNOWN_REFERENCE");
    assert_int_equal(status_of(fx, &fx->foreign), PS_TXN_PROCESSING);
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM provider_answers"),
                     0);
}

static void test_status_impossible(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct ps_apply_result res;
    payout(fx, &r);
    status_line(fx, &fx->biz, fx->t[0].id, "DECLINED", "25.00", NULL, &res);
    expect(&res, PS_ACCEPTED, NULL);
    int64_t hist = count_sql(fx, "SELECT count(*) FROM transaction_history");
    int64_t entries = count_sql(fx, "SELECT count(*) FROM ledger_entries");
    status_line(fx, &fx->biz, fx->t[0].id, "SETTLED", "25.00", NULL, &res);
    expect(&res, PS_REJECTED, "ILLEGAL_TRANSITION");
    assert_int_equal(status_of(fx, &fx->t[0]), PS_TXN_DECLINED);
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM transaction_history"),
                     hist);
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM ledger_entries"),
                     entries);
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM provider_answers"),
                     1);
    /* An answer before the payout: NEW cannot settle. */
    status_line(fx, &fx->biz, fx->held.id, "SETTLED", "11.00", NULL, &res);
    expect(&res, PS_REJECTED, "ILLEGAL_TRANSITION");
    balanced(fx);
}

/* A failure after an answer line's first write cannot be the line's
 * refusal (those are decided before it writes, with no savepoint a line):
 * it is an engine failure, and the chunk rolls back whole: no answer
 * row, no status, no history of it stays.  A trigger makes the history
 * row fail after the answer row and the status update are written. */
static void test_status_fails_after_first_write(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct ps_apply_result res;
    struct ps_applier *ap = NULL;
    struct ps_record rec;
    struct ps_source src = {NULL, ANSWERS, 1};
    struct ps_err err;
    ps_err_clear(&err);
    payout(fx, &r);
    int64_t hist = count_sql(fx, "SELECT count(*) FROM transaction_history");
    assert_int_equal(sqlite3_exec(fx->raw,
                                  "CREATE TRIGGER test_fail BEFORE INSERT ON"
                                  " transaction_history WHEN NEW.event ="
                                  " 'SETTLE' BEGIN SELECT RAISE(ABORT,"
                                  " 'test'); END;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    ps_record_reset(&rec);
    rec.kind = "txn.status";
    ps_record_field(&rec, "reference", fx->t[0].id);
    ps_record_field(&rec, "status", "SETTLED");
    ps_record_field(&rec, "amount", "25.00");
    ps_record_field(&rec, "currency", "USD");
    ok(ps_applier_open(fx->eng, &fx->biz, &ap, &err), &err, "applier");
    ok(ps_store_begin(fx->eng->store, &err), &err, "begin");
    memset(&res, 0, sizeof(res));
    assert_int_not_equal(ps_applier_record(ap, &rec, &src, &res, &err), 0);
    assert_string_equal(err.rule, "EINTERNAL");
    ps_store_rollback(fx->eng->store);
    ps_applier_close(ap);
    assert_int_equal(status_of(fx, &fx->t[0]), PS_TXN_PROCESSING);
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM provider_answers"),
                     0);
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM transaction_history"),
                     hist);
    assert_int_equal(
        sqlite3_exec(fx->raw, "DROP TRIGGER test_fail", NULL, NULL, NULL),
        SQLITE_OK);
    /* The same line once nothing stands in its way: applied. */
    status_line(fx, &fx->biz, fx->t[0].id, "SETTLED", "25.00", "1", &res);
    expect(&res, PS_ACCEPTED, NULL);
    assert_int_equal(status_of(fx, &fx->t[0]), PS_TXN_SETTLED);
    balanced(fx);
}

static void test_status_amount_mismatch(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct ps_apply_result res;
    payout(fx, &r);
    status_line(fx, &fx->biz, fx->t[0].id, "SETTLED", "25.01", NULL, &res);
    expect(&res, PS_REJECTED, "AMOUNT_MISMATCH");
    assert_non_null(strstr(res.message, "25.00"));
    status_line(fx, &fx->biz, fx->t[0].id, "SETTLED", "25.001", NULL, &res);
    expect(&res, PS_REJECTED, "MONEY_TOO_MANY_DECIMALS");
    assert_int_equal(status_of(fx, &fx->t[0]), PS_TXN_PROCESSING);
}

static void test_status_duplicate(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct ps_apply_result res;
    payout(fx, &r);
    status_line(fx, &fx->biz, fx->t[0].id, "SETTLED", "25.00", "1", &res);
    expect(&res, PS_ACCEPTED, NULL);
    int64_t entries = count_sql(fx, "SELECT count(*) FROM ledger_entries");
    status_line(fx, &fx->biz, fx->t[0].id, "SETTLED", "25.00", "1", &res);
    expect(&res, PS_DUPLICATE, "DUPLICATE_STATUS");
    assert_int_equal(count_sql(fx, "SELECT count(*) FROM ledger_entries"),
                     entries);
    /* An answer to an attempt that is not in flight. */
    status_line(fx, &fx->biz, fx->t[1].id, "SETTLED", "30.13", "2", &res);
    expect(&res, PS_REJECTED, "ATTEMPT_MISMATCH");
}

static void test_retry_then_error(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct ps_apply_result res;
    fx->eng->max_attempts = 2;
    payout(fx, &r);
    status_line(fx, &fx->biz, fx->t[2].id, "ERROR", "40.99", "1", &res);
    expect(&res, PS_ACCEPTED, NULL);
    assert_int_equal(status_of(fx, &fx->t[2]), PS_TXN_PENDING);

    /* The next payout resends it, attempt 2. */
    payout(fx, &r);
    assert_string_equal(r.path, payout_path(fx, 2));
    assert_int_equal(r.records, 1);
    assert_int_equal(r.amount, 4099);
    assert_non_null(strstr(ps_test_slurp(r.path, NULL),
                           "," CARD3 ",40.99,USD,Li Wei,2\n"));
    /* The first answer again is a duplicate, not a second error. */
    status_line(fx, &fx->biz, fx->t[2].id, "ERROR", "40.99", "1", &res);
    expect(&res, PS_DUPLICATE, "DUPLICATE_STATUS");
    assert_int_equal(status_of(fx, &fx->t[2]), PS_TXN_PROCESSING);

    status_line(fx, &fx->biz, fx->t[2].id, "ERROR", "40.99", "2", &res);
    expect(&res, PS_ACCEPTED, NULL);
    assert_int_equal(status_of(fx, &fx->t[2]), PS_TXN_ERROR);
    payout(fx, &r);
    assert_string_equal(r.path, "");
    balanced(fx);
}

/* Suspend or reactivate the customer of transaction t. */
static void customer_status(struct fixture *fx, const struct ps_txn *t,
                            enum ps_status to)
{
    struct ps_source why = {"fraud review", NULL, 0};
    struct ps_err err;
    ps_err_clear(&err);
    ok(ps_customer_set_status(fx->eng, t->customer_id, to, &why, &err), &err,
       "customer status");
}

/* The number `select` ("SELECT ... WHERE <column>") gives for t's id. */
static int64_t of_txn(struct fixture *fx, const char *select,
                      const struct ps_txn *t)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "%s = '%.40s'", select, t->id);
    return count_sql(fx, sql);
}

static int64_t history_of(struct fixture *fx, const struct ps_txn *t)
{
    return of_txn(fx, "SELECT count(*) FROM transaction_history WHERE txn_id",
                  t);
}

static int64_t items_of(struct fixture *fx, const struct ps_txn *t)
{
    return of_txn(fx, "SELECT count(*) FROM output_items WHERE txn_id", t);
}

/*
 * A customer suspended after the disbursement was made (its SEND created
 * while the customer was ACTIVE) is not paid: the payout skips the SEND,
 * whether it is still NEW or back in PENDING after a provider error.
 * What happens to it today: nothing -- it keeps its status, attempts and
 * history, is in no payout file, and waits; once the customer is ACTIVE
 * again the next payout pays it.
 */
static void test_payout_customer_suspended_after_disbursement(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct ps_apply_result res;

    /* Ana's 30.13 was disbursed while she was ACTIVE; then suspended. */
    assert_int_equal(status_of(fx, &fx->t[1]), PS_TXN_NEW);
    int64_t ana_hist = history_of(fx, &fx->t[1]);
    customer_status(fx, &fx->t[1], PS_STATUS_SUSPENDED);
    payout(fx, &r);
    if (items_of(fx, &fx->t[1]) != 0 || status_of(fx, &fx->t[1]) != PS_TXN_NEW)
        fail_msg(
            "customer suspended after the disbursement: SEND %s paid "
            "anyway (%s, in %lld payout file(s))",
            fx->t[1].id,
            ps_enum_name(PS_NAMES_TXN_STATUS, (int)status_of(fx, &fx->t[1])),
            (long long)items_of(fx, &fx->t[1]));
    assert_int_equal(r.records, 2);
    assert_int_equal(r.amount, 2500 + 4099);
    const struct want_line lines[] = {
        {&fx->t[0], CARD1, "25.00", "Maria Gonzalez"},
        {&fx->t[2], CARD3, "40.99", "Li Wei"}};
    expect_payout(fx, 1, lines, 2, "65.99");
    if (strstr(ps_test_slurp(payout_path(fx, 1), NULL), fx->t[1].id) != NULL)
        fail_msg("the suspended customer's SEND %s was paid", fx->t[1].id);
    struct ps_txn ana = get_txn(fx, fx->t[1].id);
    assert_int_equal(ana.status, PS_TXN_NEW);
    assert_int_equal(ana.attempts, 0);
    assert_int_equal(history_of(fx, &fx->t[1]), ana_hist);
    assert_int_equal(items_of(fx, &fx->t[1]), 0);

    /* Li's comes back from the provider (ERROR, retries left: PENDING),
     * then Li is suspended: the retry is not sent either. */
    status_line(fx, &fx->biz, fx->t[2].id, "ERROR", "40.99", "1", &res);
    expect(&res, PS_ACCEPTED, NULL);
    assert_int_equal(status_of(fx, &fx->t[2]), PS_TXN_PENDING);
    int64_t li_hist = history_of(fx, &fx->t[2]);
    customer_status(fx, &fx->t[2], PS_STATUS_SUSPENDED);
    payout(fx, &r);
    assert_string_equal(r.path, "");
    assert_int_equal(r.records, 0);
    struct ps_txn li = get_txn(fx, fx->t[2].id);
    assert_int_equal(li.status, PS_TXN_PENDING);
    assert_int_equal(li.attempts, 1);
    assert_int_equal(history_of(fx, &fx->t[2]), li_hist);
    assert_int_equal(items_of(fx, &fx->t[2]), 1); /* file 1 only */
    assert_int_equal(status_of(fx, &fx->t[1]), PS_TXN_NEW);
    balanced(fx);

    /* Both reactivated: the next payout pays both, Li's as attempt 2. */
    customer_status(fx, &fx->t[1], PS_STATUS_ACTIVE);
    customer_status(fx, &fx->t[2], PS_STATUS_ACTIVE);
    payout(fx, &r);
    assert_string_equal(r.path, payout_path(fx, 2));
    assert_int_equal(r.records, 2);
    assert_int_equal(r.amount, 3013 + 4099);
    const char *f2 = ps_test_slurp(r.path, NULL);
    assert_non_null(strstr(f2, "," CARD2 ",30.13,USD,Ana Lopez,1\n"));
    assert_non_null(strstr(f2, "," CARD3 ",40.99,USD,Li Wei,2\n"));
    assert_int_equal(status_of(fx, &fx->t[1]), PS_TXN_PROCESSING);
    assert_int_equal(status_of(fx, &fx->t[2]), PS_TXN_PROCESSING);
    balanced(fx);
}

/* ---- the sandbox ------------------------------------------------------- */

static void test_sandbox_rules(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct ps_sandbox_stats st;
    struct ps_calendar *cal = NULL;
    struct ps_err err;
    char want[1024], path[PATH_MAX];
    ps_err_clear(&err);
    payout(fx, &r);
    ok(ps_calendar_open(NULL, 0, &cal, &err), &err, "calendar");
    ok(ps_sandbox_provider(fx->spool, &fx->biz, cal, -1, &st, &err), &err,
       "sandbox");
    assert_int_equal(st.files, 1);
    assert_int_equal(st.settled, 1);
    assert_int_equal(st.declined, 1);
    assert_int_equal(st.errors, 1);
    snprintf(path, sizeof(path),
             "%s/providers/sandbox/inbound/acme/"
             "p2c-acme-20261120-001.status.csv",
             fx->spool);
    /* 2026-11-20 is a Friday: settlement on Monday the 23rd. */
    snprintf(want, sizeof(want),
             "reference,status,reason_code,message,settlement_date,amount,"
             "currency,attempt\n"
             "%s,SETTLED,00,approved,2026-11-23,25.00,USD,1\n"
             "%s,DECLINED,05,do not honor,,30.13,USD,1\n"
             "%s,ERROR,91,issuer or switch unavailable,,40.99,USD,1\n",
             fx->t[0].id, fx->t[1].id, fx->t[2].id);
    assert_string_equal(ps_test_slurp(path, NULL), want);
    assert_null(strstr(want, CARD1));
    char done[PATH_MAX + 8];
    snprintf(done, sizeof(done), "%s.done", path);
    assert_int_equal(access(done, F_OK), 0);

    /* Idempotent, even once the spool has taken the answer. */
    unlink(done);
    unlink(path);
    ok(ps_sandbox_provider(fx->spool, &fx->biz, cal, -1, &st, &err), &err,
       "sandbox");
    assert_int_equal(st.files, 0);
    assert_int_equal(access(path, F_OK), -1);
    ps_calendar_free(cal);
}

static void test_sandbox_until(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct ps_sandbox_stats st;
    struct ps_calendar *cal = NULL;
    struct ps_err err;
    ps_err_clear(&err);
    payout(fx, &r);
    ok(ps_calendar_open(NULL, 0, &cal, &err), &err, "calendar");
    ok(ps_sandbox_provider(fx->spool, &fx->biz, cal, fx->day - 1, &st, &err),
       &err, "sandbox");
    assert_int_equal(st.files, 0);
    ok(ps_sandbox_provider(fx->spool, &fx->biz, cal, fx->day, &st, &err),
       &err, "sandbox");
    assert_int_equal(st.files, 1);
    ps_calendar_free(cal);
}

static int64_t mark_of(struct fixture *fx)
{
    return count_sql(fx, "SELECT ifnull(max(last_seq), 0) FROM outbound_marks"
                         " WHERE rail = 'PUSH_TO_CARD'");
}

static int64_t rowid_of(struct fixture *fx, const struct ps_txn *t)
{
    return of_txn(fx, "SELECT rowid FROM transactions WHERE id", t);
}

/* The watermark (schema v23): a payout moves it past what it paid but
 * not past a transaction held back (the suspended account's, created
 * last), which is paid once its account is active again; and a mark
 * whose row no longer has its id is not trusted: the next run reads
 * from the start and pays what is due, nothing twice. */
static void test_payout_watermark(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;
    struct ps_txn late;
    struct ps_source why = {"test", NULL, 0};
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(mark_of(fx), 0);
    payout(fx, &r);
    assert_int_equal(r.records, 3);
    assert_true(mark_of(fx) >= rowid_of(fx, &fx->t[2]));
    assert_true(mark_of(fx) < rowid_of(fx, &fx->held));

    ok(ps_account_set_status(fx->eng, fx->held.account_id, PS_STATUS_ACTIVE,
                             &why, &err),
       &err, "reactivate");
    payout(fx, &r);
    assert_int_equal(r.records, 1);
    assert_int_equal(items_of(fx, &fx->held), 1);
    assert_int_equal(status_of(fx, &fx->held), PS_TXN_PROCESSING);
    assert_true(mark_of(fx) >= rowid_of(fx, &fx->held));

    assert_int_equal(sqlite3_exec(fx->raw,
                                  "UPDATE outbound_marks SET last_id = 'x'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    customer_txn(fx, &fx->biz, "E5", "Late", "Comer", CARD1, 700, &late, NULL);
    payout(fx, &r);
    assert_int_equal(r.records, 1);
    assert_int_equal(r.amount, 700);
    assert_int_equal(items_of(fx, &late), 1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(items_of(fx, &fx->t[i]), 1);
    assert_true(mark_of(fx) >= rowid_of(fx, &late));
    payout(fx, &r);
    assert_int_equal(r.files, 0);
    balanced(fx);
}

/* max_records counts only the transactions paid: with the oldest one's
 * customer suspended and max_records 1, the first file holds the next
 * due one (not nothing, nor the held one), the second the one after;
 * the statuses read once a file (provider.c) still see each customer. */
static void test_payout_limit_counts_due_only(void **state)
{
    struct fixture *fx = *state;
    struct ps_payout_result r;

    customer_status(fx, &fx->t[0], PS_STATUS_SUSPENDED);
    fx->eng->payout_max_records = 1;
    payout(fx, &r);
    assert_int_equal(r.files, 2);
    assert_int_equal(r.records, 2);
    const struct want_line first[] = {
        {&fx->t[1], CARD2, "30.13", "Ana Lopez"}};
    const struct want_line second[] = {{&fx->t[2], CARD3, "40.99", "Li Wei"}};
    expect_payout(fx, 1, first, 1, "30.13");
    expect_payout(fx, 2, second, 1, "40.99");
    assert_int_equal(status_of(fx, &fx->t[0]), PS_TXN_NEW);
    assert_int_equal(items_of(fx, &fx->t[0]), 0);
    assert_int_equal(status_of(fx, &fx->held), PS_TXN_NEW);
    assert_int_equal(items_of(fx, &fx->held), 0);
    balanced(fx);
}

/* ---- the payees read once a run (store/provider.c) ------------------ */

/*
 * Past 64 lookups and a sixteenth of the table, the candidates' customers
 * and accounts are read in one pass over the business's rows and kept
 * from one file of the run to the next: every line still gets its own
 * holder and card, and a suspended customer or account is still left out
 * (the pass reads statuses too).
 */
static void test_payout_payees_read_all_at_once(void **state)
{
    struct fixture *fx = *state;
    static const char *const cards[] = {CARD1, CARD2, CARD3};
    struct ps_txn many[80];
    struct ps_payout_result r;
    char ext[16], last[16];

    for (int i = 0; i < 80; i++) {
        snprintf(ext, sizeof(ext), "M%02d", i);
        snprintf(last, sizeof(last), "N%02d", i);
        customer_txn(fx, &fx->biz, ext, "Many", last, cards[i % 3], 100 + i,
                     &many[i], NULL);
    }
    customer_status(fx, &many[75], PS_STATUS_SUSPENDED);
    fx->eng->payout_max_records = 30;
    payout(fx, &r);
    assert_int_equal(r.files, 3);
    assert_int_equal(r.records, 3 + 79);
    char *all = NULL;
    size_t len = 0;
    for (int seq = 1; seq <= 3; seq++) {
        const char *f = ps_test_slurp(payout_path(fx, seq), NULL);
        all = realloc(all, len + strlen(f) + 1);
        assert_non_null(all);
        memcpy(all + len, f, strlen(f) + 1);
        len += strlen(f);
    }
    for (int i = 0; i < 80; i++) {
        char line[256];
        snprintf(line, sizeof(line), "%.40s,%s,%d.%02d,USD,Many N%02d,1\n",
                 many[i].id, cards[i % 3], (100 + i) / 100, (100 + i) % 100,
                 i);
        if (i == 75) {
            assert_null(strstr(all, many[i].id));
            assert_int_equal(status_of(fx, &many[i]), PS_TXN_NEW);
        } else if (strstr(all, line) == NULL) {
            fail_msg("line %d not in the files: %s", i, line);
        }
    }
    assert_non_null(strstr(all, "," CARD1 ",25.00,USD,Maria Gonzalez,1\n"));
    assert_null(strstr(all, fx->held.id));
    assert_null(strstr(all, fx->foreign.id));
    free(all);
    balanced(fx);
}

static int count_payee(void *ctx, const struct ps_txn *t,
                       const struct ps_payout_payee *p)
{
    (void)t;
    assert_true(p->sealed_len > 0);
    (*(int *)ctx)++;
    return 0;
}

/* The candidates of the business with their payees, as a payout file's
 * transaction reads them, then kept as after its commit. */
static int payees_now(struct fixture *fx)
{
    struct ps_err err;
    int n = 0;
    ps_err_clear(&err);
    ok(ps_store_begin(fx->eng->store, &err), &err, "begin");
    ok(ps_store_payout_payees(fx->eng->store, fx->biz.id, 0, count_payee, &n,
                              &err),
       &err, "payees");
    ok(ps_store_commit(fx->eng->store, &err), &err, "commit");
    ps_store_payout_payees_keep(fx->eng->store);
    return n;
}

/* What a call kept serves the next only while nobody wrote: a customer
 * suspended by another connection, or by this one, is seen. */
static void test_payout_payees_kept_until_a_write(void **state)
{
    struct fixture *fx = *state;
    char sql[256];

    assert_int_equal(payees_now(fx), 3);
    assert_int_equal(payees_now(fx), 3);
    snprintf(sql, sizeof(sql),
             "UPDATE customers SET status = 'SUSPENDED' WHERE id = '%s'",
             fx->t[0].customer_id);
    assert_int_equal(sqlite3_exec(fx->raw, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(payees_now(fx), 2);
    customer_status(fx, &fx->t[0], PS_STATUS_ACTIVE);
    assert_int_equal(payees_now(fx), 3);
    customer_status(fx, &fx->t[1], PS_STATUS_SUSPENDED);
    assert_int_equal(payees_now(fx), 2);
    ps_store_payout_payees_drop(fx->eng->store);
    assert_int_equal(payees_now(fx), 2);
    ps_store_payout_payees_drop(fx->eng->store);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_payout_file),
        T(test_payout_split),
        T(test_payout_split_exact),
        T(test_payout_oldest_first_across_statuses),
        T(test_payout_other_business_rows),
        T(test_payout_no_pan_in_logs),
        T(test_payout_needs_keys),
        T(test_payout_regenerate),
        T(test_payout_regenerate_mismatch),
        T(test_status_every_status),
        T(test_status_error_and_returned),
        T(test_status_unknown_reference),
        T(test_status_impossible),
        T(test_status_amount_mismatch),
        T(test_status_duplicate),
        T(test_retry_then_error),
        T(test_payout_customer_suspended_after_disbursement),
        T(test_payout_limit_counts_due_only),
        T(test_payout_watermark),
        T(test_payout_payees_read_all_at_once),
        T(test_payout_payees_kept_until_a_write),
        T(test_status_fails_after_first_write),
        T(test_sandbox_rules),
        T(test_sandbox_until),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
