/*
 * test_balances.c -- the balances kept on narrow account rows
 * (schema 20's ledger_balances, issue 21, docs/store.md): debits_posted
 * and credits_posted (no row: 0) filled by the migration from the ledger's two
 * kinds of rows; a transaction's legs added at its outermost commit, those of a
 * savepoint rolled back dropped; legs that do not balance refuse the commit
 * (LEDGER_UNBALANCED) and nothing of it is kept; the day totals come
 * from the legs summed per account, currency and day.
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

#include "base/err.h"
#include "base/model.h"
#include "store/store.h"
#include "store/store_int.h" /* ps_store_balance_leg(), to post a bad leg */
#include "testutil.h"

static int setup(void **state)
{
    return ps_test_db_setup(state, "test_balances");
}

static int teardown(void **state)
{
    return ps_test_db_teardown(state);
}

/* An account's stored debits and credits (no row: 0, 0), read on a
 * connection of its own (so: what is committed). */
static void stored(const char *path, int64_t account, int64_t *debits,
                   int64_t *credits)
{
    sqlite3 *db = ps_test_sqlite_open(path);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT coalesce(max(debits_posted),"
                                        " 0), coalesce(max(credits_posted), 0)"
                                        " FROM ledger_balances"
                                        " WHERE account = ?",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(st, 1, account);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    *debits = sqlite3_column_int64(st, 0);
    *credits = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void expect_stored(const char *path, int64_t account, int64_t debits,
                          int64_t credits)
{
    int64_t d = -1, c = -1;
    stored(path, account, &d, &c);
    assert_int_equal(d, debits);
    assert_int_equal(c, credits);
}

static void entry(struct ps_store *s, int64_t dr, int64_t cr, int64_t amount)
{
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_store_ledger_entry_insert(s, NULL, "ref", dr, cr, amount, "USD",
                                     "test", "2026-12-07T00:00:00.000Z",
                                     &err) != 0)
        fail_msg("entry: %s [%s]", err.msg, err.rule);
}

/* A store of the latest schema with business "b". */
static struct ps_store *open_latest(const char *path)
{
    struct ps_store *s = ps_test_store_open(path, 0);
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

/* A business-wide account of "b" (customer NULL). */
static int64_t account(struct ps_store *s, enum ps_ledger_kind kind,
                       const char *customer)
{
    struct ps_err err;
    int64_t id = 0;
    ps_err_clear(&err);
    if (ps_store_ledger_account(s, "b", kind, "USD", customer, &id, &err) !=
        0)
        fail_msg("account: %s [%s]", err.msg, err.rule);
    return id;
}

/* The migration to 20 adds each account's legs, of both kinds of rows. */
static void test_migrate_v20_fills(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_store *s = ps_test_store_open(fx->db_path, 19);
    ps_store_close(s);
    sqlite3 *db = ps_test_sqlite_open(fx->db_path);
    assert_int_equal(
        sqlite3_exec(
            db,
            "INSERT INTO ledger_accounts(id, business_id, kind, currency,"
            " customer_id) VALUES (1, 'b', 'EWA_RECEIVABLE', 'USD', NULL),"
            " (2, 'b', 'CUSTOMER', 'USD', 'c'), (3, 'b', 'FEE_INCOME', 'USD',"
            " NULL), (4, 'b', 'FUNDING', 'USD', NULL), (5, 'b', 'CUSTOMER',"
            " 'USD', 'idle');"
            "INSERT INTO transactions(id, business_id, customer_id,"
            " account_id, type, rail, purpose, amount, fee, currency, status,"
            " created_at, updated_at, debit_account, credit_account) VALUES"
            " ('t1', 'b', 'c', 'a', 'SEND', 'PUSH_TO_CARD',"
            "  'EWA_DISBURSEMENT', 5000, 299, 'USD', 'SETTLED', 'x', 'x', 1,"
            "  2),"
            " ('t2', 'b', 'c', 'a', 'SEND', 'PUSH_TO_CARD',"
            "  'EWA_DISBURSEMENT', 700, 0, 'USD', 'NEW', 'x', 'x', 1, 2),"
            " ('t3', 'b', 'c', 'a', 'SEND', 'PUSH_TO_CARD', 'PAYMENT',"
            "  40, 0, 'USD', 'NEW', 'x', 'x', NULL, NULL);"
            "INSERT INTO ledger_entries(txn_id, debit_account,"
            " credit_account, amount, currency, memo, created_at) VALUES"
            " ('t1', 1, 3, 299, 'USD', 'ewa fee', 'x'),"
            " ('t1', 2, 4, 5000, 'USD', 'ewa payout settled', 'x');",
            NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    s = ps_test_store_open(fx->db_path, 20);
    expect_stored(fx->db_path, 1, 5999, 0);
    expect_stored(fx->db_path, 2, 5000, 5700);
    expect_stored(fx->db_path, 3, 0, 299);
    expect_stored(fx->db_path, 4, 0, 5000);
    expect_stored(fx->db_path, 5, 0, 0);

    /* And from then on the engine's postings add to them. */
    entry(s, 4, 2, 25);
    expect_stored(fx->db_path, 2, 5000, 5725);
    expect_stored(fx->db_path, 4, 25, 5000);
    ps_store_close(s);
}

/* Legs reach the rows at the outermost commit; a savepoint rolled back
 * takes its legs with it; one released hands them on. */
static void test_posted_at_commit(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_err err;
    struct ps_store *s = open_latest(fx->db_path);
    int64_t fund = account(s, PS_LEDGER_FUNDING, NULL);
    int64_t recv = account(s, PS_LEDGER_EWA_RECEIVABLE, NULL);
    int64_t fee = account(s, PS_LEDGER_FEE_INCOME, NULL);
    ps_err_clear(&err);

    assert_int_equal(ps_store_begin(s, &err), 0);
    entry(s, fund, recv, 1000);
    assert_int_equal(ps_store_begin(s, &err), 0); /* a refused record */
    entry(s, fund, recv, 77);
    entry(s, recv, fee, 5);
    ps_store_rollback(s);
    assert_int_equal(ps_store_begin(s, &err), 0); /* an accepted one */
    entry(s, recv, fee, 3);
    assert_int_equal(ps_store_begin(s, &err), 0);
    entry(s, fund, recv, 20);
    assert_int_equal(ps_store_commit(s, &err), 0);
    assert_int_equal(ps_store_commit(s, &err), 0);
    entry(s, fund, recv, 400);
    /* Nothing is on the rows before the commit. */
    expect_stored(fx->db_path, fund, 0, 0);
    assert_int_equal(ps_store_commit(s, &err), 0);

    expect_stored(fx->db_path, fund, 1420, 0);
    expect_stored(fx->db_path, recv, 3, 1420);
    expect_stored(fx->db_path, fee, 0, 3);
    /* The same as the rows give. */
    int64_t bal = 0;
    assert_int_equal(ps_store_ledger_balance(s, recv, &bal, &err), 0);
    assert_int_equal(bal, 3 - 1420);

    /* A whole transaction rolled back leaves the rows as they were. */
    assert_int_equal(ps_store_begin(s, &err), 0);
    entry(s, fund, recv, 9);
    ps_store_rollback(s);
    assert_int_equal(ps_store_begin(s, &err), 0);
    assert_int_equal(ps_store_commit(s, &err), 0);
    expect_stored(fx->db_path, fund, 1420, 0);
    ps_store_close(s);
}

/* Legs that do not balance: the commit is refused, nothing of the
 * transaction stays, and the next one commits as usual. */
static void test_unbalanced_refused(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_err err;
    struct ps_store *s = open_latest(fx->db_path);
    int64_t fund = account(s, PS_LEDGER_FUNDING, NULL);
    int64_t recv = account(s, PS_LEDGER_EWA_RECEIVABLE, NULL);
    ps_err_clear(&err);
    entry(s, fund, recv, 50); /* outside a transaction: its own commit */
    expect_stored(fx->db_path, fund, 50, 0);

    assert_int_equal(ps_store_begin(s, &err), 0);
    entry(s, fund, recv, 10);
    /* a bug: one side of a transfer posted alone */
    assert_int_equal(ps_store_balance_leg(s, recv, 0, 7, "USD",
                                          "2026-01-01T00:00:00Z", &err), 0);
    assert_int_equal(ps_store_commit(s, &err), PS_EINTERNAL);
    assert_string_equal(err.rule, "LEDGER_UNBALANCED");
    assert_non_null(strstr(err.msg, "debits 10, credits 17"));
    ps_store_rollback(s);

    expect_stored(fx->db_path, fund, 50, 0);
    expect_stored(fx->db_path, recv, 0, 50);
    sqlite3 *db = ps_test_sqlite_open(fx->db_path);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*) FROM ledger_entries",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), 1);
    sqlite3_finalize(st);
    sqlite3_close(db);

    assert_int_equal(ps_store_begin(s, &err), 0);
    entry(s, recv, fund, 4);
    assert_int_equal(ps_store_commit(s, &err), 0);
    expect_stored(fx->db_path, fund, 50, 4);
    expect_stored(fx->db_path, recv, 4, 50);
    ps_store_close(s);
}

/* A chunk's legs are summed per account before they reach the rows
 * (ledger.c, legs_by_account): 6,000 transfers between 1 funding
 * account and 700 customer accounts, in a scattered order, in one
 * transaction, each account's rows as counted here and as its ledger
 * rows give. */
static void test_many_legs_summed(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_err err;
    enum { NCUST = 700, NTRANSFERS = 6000 };
    static int64_t ids[NCUST], debits[NCUST], credits[NCUST];
    struct ps_store *s = open_latest(fx->db_path);
    int64_t fund = account(s, PS_LEDGER_FUNDING, NULL);
    int64_t fund_debits = 0, fund_credits = 0;
    sqlite3 *db = ps_test_sqlite_open(fx->db_path);
    for (int i = 0; i < NCUST; i++) {
        char sql[160];
        snprintf(sql, sizeof(sql),
                 "INSERT INTO ledger_accounts(business_id, kind, currency,"
                 " customer_id) VALUES ('b', 'CUSTOMER', 'USD', 'c%d')",
                 i);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        ids[i] = sqlite3_last_insert_rowid(db);
    }
    sqlite3_close(db);
    ps_err_clear(&err);
    assert_int_equal(ps_store_begin(s, &err), 0);
    uint32_t x = 12345;
    for (int n = 0; n < NTRANSFERS; n++) {
        x = x * 1103515245u + 12345u;
        int c = (int)((x >> 8) % NCUST);
        int64_t amount = 1 + (int64_t)((x >> 4) % 9973);
        if (x & 1) { /* to the customer */
            entry(s, fund, ids[c], amount);
            fund_debits += amount;
            credits[c] += amount;
        } else {
            entry(s, ids[c], fund, amount);
            debits[c] += amount;
            fund_credits += amount;
        }
    }
    assert_int_equal(ps_store_commit(s, &err), 0);
    expect_stored(fx->db_path, fund, fund_debits, fund_credits);
    for (int i = 0; i < NCUST; i++) {
        int64_t bal = 0;
        expect_stored(fx->db_path, ids[i], debits[i], credits[i]);
        assert_int_equal(ps_store_ledger_balance(s, ids[i], &bal, &err), 0);
        assert_int_equal(bal, debits[i] - credits[i]);
    }
    ps_store_close(s);
}

/* One key's row of ledger_day_totals: legs, debits, credits, mismatched
 * (all -1: no row). */
static void expect_day(const char *path, const char *kind, const char *day,
                       int64_t legs, int64_t debits, int64_t credits,
                       int64_t mismatched)
{
    sqlite3 *db = ps_test_sqlite_open(path);
    sqlite3_stmt *st = NULL;
    int64_t v[4] = {-1, -1, -1, -1};
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT legs, debits, credits,"
                                        " mismatched FROM ledger_day_totals"
                                        " WHERE business_id = 'b' AND kind ="
                                        " ? AND currency = 'USD' AND day = ?",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, day, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        for (int i = 0; i < 4; i++)
            v[i] = sqlite3_column_int64(st, i);
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_int_equal(v[0], legs);
    assert_int_equal(v[1], debits);
    assert_int_equal(v[2], credits);
    assert_int_equal(v[3], mismatched);
}

static void leg(struct ps_store *s, int64_t account, int64_t debit,
                int64_t credit, const char *currency, const char *at)
{
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_store_balance_leg(s, account, debit, credit, currency, at, &err) !=
        0)
        fail_msg("leg: %s [%s]", err.msg, err.rule);
}

/* The day totals are computed from the legs summed per account, currency
 * and day (ledger.c, session 28): legs of one account on two days, in
 * another currency than the account's, posted out of account order in
 * one transaction, each count as a leg of their own day, and the
 * account's balance row gets the sum of all of them. */
static void test_day_totals_of_summed_legs(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_err err;
    struct ps_store *s = open_latest(fx->db_path);
    int64_t fund = account(s, PS_LEDGER_FUNDING, NULL);
    int64_t recv = account(s, PS_LEDGER_EWA_RECEIVABLE, NULL);
    int64_t fee = account(s, PS_LEDGER_FEE_INCOME, NULL);
    const char *d1 = "2026-12-06T23:59:59.000Z",
               *d2 = "2026-12-07T00:00:01.000Z";
    ps_err_clear(&err);
    assert_int_equal(ps_store_begin(s, &err), 0);
    leg(s, recv, 0, 100, "USD", d1);
    leg(s, fund, 100, 0, "USD", d1);
    leg(s, fee, 0, 30, "USD", d2);
    leg(s, fund, 30, 0, "USD", d2);
    leg(s, fee, 0, 7, "USD", d1);
    leg(s, fund, 7, 0, "USD", d1);
    leg(s, fund, 5, 0, "EUR", d1); /* not the accounts' currency */
    leg(s, recv, 0, 5, "EUR", d1);
    leg(s, recv, 0, 1, "USD", d2);
    leg(s, fund, 1, 0, "USD", d2);
    assert_int_equal(ps_store_commit(s, &err), 0);

    expect_day(fx->db_path, "FUNDING", "2026-12-06", 3, 112, 0, 1);
    expect_day(fx->db_path, "FUNDING", "2026-12-07", 2, 31, 0, 0);
    expect_day(fx->db_path, "EWA_RECEIVABLE", "2026-12-06", 2, 0, 105, 1);
    expect_day(fx->db_path, "EWA_RECEIVABLE", "2026-12-07", 1, 0, 1, 0);
    expect_day(fx->db_path, "FEE_INCOME", "2026-12-06", 1, 0, 7, 0);
    expect_day(fx->db_path, "FEE_INCOME", "2026-12-07", 1, 0, 30, 0);
    expect_stored(fx->db_path, fund, 143, 0);
    expect_stored(fx->db_path, recv, 0, 106);
    expect_stored(fx->db_path, fee, 0, 37);

    /* A second transaction adds to the same keys. */
    assert_int_equal(ps_store_begin(s, &err), 0);
    leg(s, fee, 0, 2, "USD", d2);
    leg(s, fund, 2, 0, "USD", d2);
    assert_int_equal(ps_store_commit(s, &err), 0);
    expect_day(fx->db_path, "FUNDING", "2026-12-07", 3, 33, 0, 0);
    expect_day(fx->db_path, "FEE_INCOME", "2026-12-07", 2, 0, 32, 0);
    expect_stored(fx->db_path, fund, 145, 0);
    ps_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrate_v20_fills, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_posted_at_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_legs_summed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unbalanced_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_day_totals_of_summed_legs, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
