/*
 * test_reconcounts.c -- the reconciliation's day counters (schema 24,
 * docs/store.md): recon_counts and ledger_day_totals move in the commit
 * of what they count, a savepoint rolled back takes its deltas with it,
 * one released hands them on, and ps_store_recon_counts_check() (what
 * `ledger verify` reports) finds none differing from the rows -- and
 * finds a counter changed behind the store's back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "base/err.h"
#include "base/model.h"
#include "store/recon.h"
#include "store/store.h"
#include "testutil.h"

static int setup(void **state)
{
    return ps_test_db_setup(state, "test_reconcounts");
}

static int teardown(void **state)
{
    return ps_test_db_teardown(state);
}

static struct ps_store *open_latest(const char *path)
{
    struct ps_store *s = NULL;
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_store_open(path, &s, &err) != 0)
        fail_msg("open %s: %s [%s]", path, err.msg, err.rule);
    sqlite3 *db = ps_test_sqlite_open(path);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO businesses(id, name,"
                                  " display_name, created_at) VALUES"
                                  " ('b', 'b', 'B', 'x')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    return s;
}

static int64_t account(struct ps_store *s, enum ps_ledger_kind kind)
{
    struct ps_err err;
    int64_t id = 0;
    ps_err_clear(&err);
    if (ps_store_ledger_account(s, "b", kind, "USD", NULL, &id, &err) != 0)
        fail_msg("account: %s [%s]", err.msg, err.rule);
    return id;
}

/* A transaction of "b" created at `at` (amount, fee), with its transfer
 * (FUNDING -> EWA_RECEIVABLE) on the row. */
static void create(struct ps_store *s, struct ps_txn *t, const char *id,
                   int64_t amount, const char *at, int64_t dr, int64_t cr)
{
    struct ps_err err;
    memset(t, 0, sizeof(*t));
    snprintf(t->id, sizeof(t->id), "%s", id);
    snprintf(t->business_id, sizeof(t->business_id), "b");
    snprintf(t->customer_id, sizeof(t->customer_id), "c");
    snprintf(t->account_id, sizeof(t->account_id), "a");
    t->type = PS_TXN_SEND;
    t->rail = PS_RAIL_PUSH_TO_CARD;
    t->purpose = PS_PURPOSE_PAYMENT;
    t->amount = amount;
    t->fee = 10;
    snprintf(t->currency, sizeof(t->currency), "USD");
    t->status = PS_TXN_NEW;
    snprintf(t->created_at, sizeof(t->created_at), "%s", at);
    snprintf(t->updated_at, sizeof(t->updated_at), "%s", at);
    ps_err_clear(&err);
    struct ps_row_transfer x = {dr, cr, 0};
    if (ps_store_txn_create(s, t, NULL, &x, NULL, &err) != 0)
        fail_msg("create: %s [%s]", err.msg, err.rule);
}

/* t moves to `to` at `at` (the row and its history row, as the engine
 * writes a status change). */
static void move(struct ps_store *s, struct ps_txn *t, enum ps_txn_status to,
                 const char *at)
{
    struct ps_err err;
    enum ps_txn_status from = t->status;
    t->status = to;
    snprintf(t->updated_at, sizeof(t->updated_at), "%s", at);
    ps_err_clear(&err);
    if (ps_store_txn_update(s, t, from, &err) != 0 ||
        ps_store_txn_history_insert(s, t, (int)from, to, "TEST", NULL,
                                    NULL, at, &err) != 0)
        fail_msg("move: %s [%s]", err.msg, err.rule);
}

static int count_rows(void *ctx, const struct ps_recon_row *r)
{
    int *n = ctx;
    (void)r;
    (*n)++;
    return 0;
}

static int differing(struct ps_store *s)
{
    struct ps_err err;
    int n = 0;
    ps_err_clear(&err);
    assert_int_equal(ps_store_recon_counts_check(s, NULL, count_rows, &n,
                                                 &err),
                     0);
    return n;
}

#define DAY1 "2026-12-06T10:00:00.000Z"
#define DAY2 "2026-12-07T09:00:00.000Z"

static void test_counted_with_savepoints(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_err err;
    struct ps_txn a, b, c;
    struct ps_store *s = open_latest(fx->db_path);
    int64_t fund = account(s, PS_LEDGER_FUNDING);
    int64_t recv = account(s, PS_LEDGER_EWA_RECEIVABLE);
    ps_err_clear(&err);

    /* Day 1: a and b created in one chunk; c in a savepoint rolled
     * back (a refused record). */
    assert_int_equal(ps_store_begin(s, &err), 0);
    create(s, &a, "t-a", 1000, DAY1, fund, recv);
    assert_int_equal(ps_store_begin(s, &err), 0);
    create(s, &b, "t-b", 200, DAY1, fund, recv);
    assert_int_equal(ps_store_commit(s, &err), 0); /* released */
    assert_int_equal(ps_store_begin(s, &err), 0);
    create(s, &c, "t-c", 7, DAY1, fund, recv);
    ps_store_rollback(s);
    /* Nothing counted before the commit. */
    assert_int_equal(
        ps_test_sql_int(fx->db_path, "SELECT count(*) FROM recon_counts"), 0);
    assert_int_equal(ps_store_commit(s, &err), 0);
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT sum(n) FROM recon_counts"
                                     " WHERE kind = 'CREATED'"
                                     " AND status = 'NEW'"),
                     2);

    /* Day 2: a moves to PENDING and on to PROCESSING, each change in a
     * savepoint released into the chunk; b's move is rolled back. */
    assert_int_equal(ps_store_begin(s, &err), 0);
    assert_int_equal(ps_store_begin(s, &err), 0);
    move(s, &a, PS_TXN_PENDING, DAY2);
    assert_int_equal(ps_store_commit(s, &err), 0);
    assert_int_equal(ps_store_begin(s, &err), 0);
    move(s, &a, PS_TXN_PROCESSING, DAY2);
    assert_int_equal(ps_store_commit(s, &err), 0);
    assert_int_equal(ps_store_begin(s, &err), 0);
    move(s, &b, PS_TXN_PENDING, DAY2);
    ps_store_rollback(s);
    assert_int_equal(ps_store_commit(s, &err), 0);

    /* Created on day 1, by status now: a PROCESSING, b NEW. */
    assert_int_equal(
        ps_test_sql_int(fx->db_path,
                        "SELECT sum(n) FROM recon_counts WHERE kind ="
                        " 'CREATED' AND day = '2026-12-06' AND status ="
                        " 'PROCESSING' AND amount = 1000 AND fee = 10"),
        1);
    assert_int_equal(
        ps_test_sql_int(fx->db_path,
                        "SELECT sum(n) FROM recon_counts WHERE kind ="
                        " 'CREATED' AND day = '2026-12-06' AND status ="
                        " 'NEW' AND amount = 200"),
        1);
    assert_int_equal(
        ps_test_sql_int(fx->db_path,
                        "SELECT sum(n) FROM recon_counts WHERE kind ="
                        " 'CREATED' AND status = 'PENDING'"),
        0);
    /* Moved on day 2: NEW -> PENDING and PENDING -> PROCESSING, once. */
    assert_int_equal(
        ps_test_sql_int(fx->db_path,
                        "SELECT count(*) FROM recon_counts WHERE kind ="
                        " 'MOVED' AND day = '2026-12-07' AND n = 1"),
        2);
    /* The legs' day totals: two transfers of day 1 on each side. */
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT legs * 100000 + debits FROM"
                                     " ledger_day_totals WHERE kind = 'FUNDING'"
                                     " AND day = '2026-12-06'"),
                     2 * 100000 + 1200);
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT credits FROM ledger_day_totals"
                                     " WHERE kind = 'EWA_RECEIVABLE'"),
                     1200);
    /* And all of it as the rows give it. */
    assert_int_equal(differing(s), 0);

    /* A counter changed behind the store's back is found, and so is a
     * day total. */
    sqlite3 *db = ps_test_sqlite_open(fx->db_path);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE recon_counts SET n = n + 1 WHERE"
                                  " kind = 'MOVED' AND status = 'PENDING';"
                                  "UPDATE ledger_day_totals SET credits ="
                                  " credits + 5 WHERE kind = 'FUNDING'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(differing(s), 2);
    ps_store_close(s);
}

/* An entry of "b", FUNDING -> EWA_RECEIVABLE, written at `at`. */
static void entry(struct ps_store *s, int64_t dr, int64_t cr, const char *at)
{
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_store_ledger_entry_insert(s, NULL, "ref", dr, cr, 100, "USD",
                                     "test", at, &err) != 0)
        fail_msg("entry: %s [%s]", err.msg, err.rule);
}

/* The day ranges of the ledger entries' ids (schema 27): each day's range
 * holds its entries, written at the outermost commit; a savepoint rolled
 * back may widen a range, never narrow it; an entry outside its day's
 * range is a difference ledger verify reports. */
static void test_entry_day_ranges(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_err err;
    struct ps_store *s = open_latest(fx->db_path);
    int64_t fund = account(s, PS_LEDGER_FUNDING);
    int64_t recv = account(s, PS_LEDGER_EWA_RECEIVABLE);
    ps_err_clear(&err);

    /* Outside a transaction: its own commit (id 1). */
    entry(s, fund, recv, DAY1);
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT first_id * 100 + last_id"
                                     " FROM ledger_entry_days"
                                     " WHERE day = '2026-12-06'"),
                     101);
    /* A chunk: ids 2 and 3 on day 1, 4 on day 2, and one in a savepoint
     * rolled back (its id given again to the next entry). */
    assert_int_equal(ps_store_begin(s, &err), 0);
    entry(s, fund, recv, DAY1);
    entry(s, recv, fund, DAY1);
    assert_int_equal(ps_store_begin(s, &err), 0);
    entry(s, fund, recv, DAY1);
    ps_store_rollback(s);
    entry(s, fund, recv, DAY2);
    /* Nothing written before the commit. */
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT count(*) FROM ledger_entry_days"
                                     " WHERE day = '2026-12-07'"),
                     0);
    assert_int_equal(ps_store_commit(s, &err), 0);
    /* Day 1: ids 1 to 3, and up to 4 (the rolled-back id: wider). */
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT first_id * 100 + last_id"
                                     " FROM ledger_entry_days"
                                     " WHERE day = '2026-12-06'"),
                     104);
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT first_id * 100 + last_id"
                                     " FROM ledger_entry_days"
                                     " WHERE day = '2026-12-07'"),
                     404);
    /* Every entry within its day's range: no difference. */
    assert_int_equal(
        ps_test_sql_int(fx->db_path,
                        "SELECT count(*) FROM ledger_entries e"
                        " JOIN ledger_entry_days d"
                        " ON d.day = substr(e.created_at, 1, 10)"
                        " WHERE e.id BETWEEN d.first_id AND d.last_id"),
        4);
    assert_int_equal(differing(s), 0);

    /* A range narrowed behind the store's back, and a day dropped: both
     * days are reported. */
    sqlite3 *db = ps_test_sqlite_open(fx->db_path);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE ledger_entry_days SET first_id = 2"
                                  " WHERE day = '2026-12-06';"
                                  "DELETE FROM ledger_entry_days"
                                  " WHERE day = '2026-12-07'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(differing(s), 2);
    ps_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counted_with_savepoints, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_entry_day_ranges, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
