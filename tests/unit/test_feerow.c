/*
 * test_feerow.c -- the creation's fee on the transaction row (schema 29,
 * issue 21, docs/store.md): the migration moves each creation fee entry
 * ("ewa fee", the row's fee, time, currency and debit account) onto its
 * row's fee_account and deletes it, leaving every other entry; every
 * balance, kind balance and the trial balance read the same before and
 * after; a new row carries its fee's leg (none for a zero fee), posted to
 * the stored balances and day totals in its commit, which ledger verify's
 * recomputations agree with; a fee_account naming no account is an
 * orphan.
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
#include "store/verify.h"
#include "testutil.h"

static int setup(void **state)
{
    return ps_test_db_setup(state, "test_feerow");
}

static int teardown(void **state)
{
    return ps_test_db_teardown(state);
}

struct trial_seen {
    int n;
    int64_t debits, credits, mismatched;
};

static int trial_add(void *ctx, const struct ps_trial_row *r)
{
    struct trial_seen *t = ctx;
    t->n++;
    t->debits += r->debits;
    t->credits += r->credits;
    t->mismatched += r->mismatched;
    return 0;
}

/* Accounts 1-4 of business b; t1 (fee 299, its fee entry 1 at the row's
 * time), t2 (fee 199, an entry at another time: not the row's, stays),
 * t3 (no fee), t4 (a payment, no transfer on its row); a settlement and
 * a fee unwinding of t1 (entries 2 and 3). */
#define T1 "2026-11-20T01:00:00.000Z"
#define T2 "2026-11-20T02:00:00.000Z"
#define T3 "2026-11-21T03:00:00.000Z"
#define ROWS_V28                                                               \
    "INSERT INTO businesses(id, name, display_name, created_at) VALUES"        \
    " ('b', 'b', 'B', 'x');"                                                   \
    "INSERT INTO ledger_accounts(id, business_id, kind, currency,"             \
    " customer_id) VALUES (1, 'b', 'EWA_RECEIVABLE', 'USD', NULL),"            \
    " (2, 'b', 'CUSTOMER', 'USD', 'c'), (3, 'b', 'FEE_INCOME', 'USD', NULL),"  \
    " (4, 'b', 'FUNDING', 'USD', NULL);"                                       \
    "INSERT INTO transactions(id, business_id, customer_id, account_id,"       \
    " profile_id, type, rail, purpose, amount, fee, currency, status,"         \
    " request_id, created_at, updated_at, debit_account, credit_account)"      \
    " VALUES ('t1', 'b', 'c', 'a', NULL, 'SEND', 'PUSH_TO_CARD',"              \
    "  'EWA_DISBURSEMENT', 5000, 299, 'USD', 'CANCELLED', 'r1', '" T1 "',"     \
    "  '" T3 "', 1, 2),"                                                       \
    " ('t2', 'b', 'c', 'a', NULL, 'SEND', 'PUSH_TO_CARD',"                     \
    "  'EWA_DISBURSEMENT', 1000, 199, 'USD', 'NEW', 'r2', '" T1 "',"           \
    "  '" T1 "', 1, 2),"                                                       \
    " ('t3', 'b', 'c', 'a', NULL, 'SEND', 'ACH', 'EWA_DISBURSEMENT', 700, 0,"  \
    "  'USD', 'NEW', 'r3', '" T2 "', '" T2 "', 1, 2),"                         \
    " ('t4', 'b', 'c', 'a', NULL, 'SEND', 'PUSH_TO_CARD', 'PAYMENT', 900, 0,"  \
    "  'USD', 'NEW', 'r4', '" T2 "', '" T2 "', NULL, NULL);"                   \
    "INSERT INTO ledger_entries(id, txn_id, debit_account, credit_account,"    \
    " amount, currency, memo, created_at) VALUES"                              \
    " (1, 't1', 1, 3, 299, 'USD', 'ewa fee', '" T1 "'),"                       \
    " (2, 't1', 2, 4, 5000, 'USD', 'ewa payout settled', '" T2 "'),"           \
    " (3, 't1', 3, 1, 299, 'USD', 'fee unwound', '" T3 "'),"                   \
    " (4, 't2', 1, 3, 199, 'USD', 'ewa fee', '" T2 "');"                       \
    "INSERT INTO ledger_entry_days(day, first_id, last_id) VALUES"             \
    " ('2026-11-20', 1, 4), ('2026-11-21', 3, 3);"

static void test_migrate_v29(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_err err;
    struct ps_store *s = ps_test_store_open(fx->db_path, 28);
    ps_store_close(s);
    ps_test_sql_exec(fx->db_path, ROWS_V28);

    /* Version 28's figures, read by this build's readers of 28. */
    int64_t before[5], kind_before[PS_LEDGER_KIND_N];
    struct trial_seen tb0 = {0};
    s = ps_test_store_open(fx->db_path, 28);
    ps_err_clear(&err);
    for (int a = 1; a <= 4; a++)
        assert_int_equal(ps_store_ledger_balance(s, a, &before[a], &err), 0);
    for (int k = 0; k < PS_LEDGER_KIND_N; k++)
        assert_int_equal(ps_store_ledger_kind_balance(
                             s, "b", (enum ps_ledger_kind)k, "USD",
                             &kind_before[k], &err),
                         0);
    assert_int_equal(ps_store_trial_balance(s, NULL, trial_add, &tb0, &err),
                     0);
    ps_store_close(s);
    /* By hand: Dr RCV 5000 + 299 + 1000 + 199 + 700, Cr RCV 299. */
    assert_int_equal(before[1], 6899);
    assert_int_equal(before[3], -299 - 199 + 299);
    assert_int_equal(tb0.debits, 5000 + 1000 + 700 + 299 + 5000 + 299 + 199);

    s = ps_test_store_open(fx->db_path, 29);
    /* t1's fee moved onto its row, its entry gone; t2's (not at the
     * row's time) stays an entry; no fee, no leg. */
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT fee_account FROM transactions"
                                     " WHERE id = 't1'"),
                     3);
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT count(*) FROM transactions"
                                     " WHERE fee_account IS NOT NULL"),
                     1);
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT group_concat(id) = '2,3,4' FROM"
                                     " (SELECT id FROM ledger_entries"
                                     " ORDER BY id)"),
                     1);
    assert_int_equal(
        ps_test_sql_int(fx->db_path, "SELECT count(*) FROM ledger_entries"), 3);
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT count(*) FROM sqlite_schema"
                                     " WHERE name = 'moved_v29'"),
                     0);
    /* The day ranges stay: wider than the entries, never narrower. */
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT count(*) FROM ledger_entries e"
                                     " JOIN ledger_entry_days d ON d.day ="
                                     " substr(e.created_at, 1, 10) WHERE"
                                     " e.id BETWEEN d.first_id AND"
                                     " d.last_id"),
                     3);
    /* Every figure as before. */
    struct trial_seen tb = {0};
    ps_err_clear(&err);
    for (int a = 1; a <= 4; a++) {
        int64_t after = 0;
        assert_int_equal(ps_store_ledger_balance(s, a, &after, &err), 0);
        assert_int_equal(after, before[a]);
    }
    for (int k = 0; k < PS_LEDGER_KIND_N; k++) {
        int64_t after = 0;
        assert_int_equal(ps_store_ledger_kind_balance(
                             s, "b", (enum ps_ledger_kind)k, "USD", &after,
                             &err),
                         0);
        assert_int_equal(after, kind_before[k]);
    }
    assert_int_equal(ps_store_trial_balance(s, NULL, trial_add, &tb, &err), 0);
    assert_int_equal(tb.n, tb0.n);
    assert_int_equal(tb.debits, tb0.debits);
    assert_int_equal(tb.credits, tb0.credits);
    assert_int_equal(tb.mismatched, 0);
    ps_store_close(s);
}

struct acct_seen {
    int n, differ;
    int64_t fee_credits; /* account 3's recomputed credits */
    int64_t rcv_debits;  /* account 1's */
    int64_t cross;
};

static int acct_add(void *ctx, const struct ps_verify_account_row *r)
{
    struct acct_seen *a = ctx;
    a->n++;
    if (!r->stored || r->debits != r->stored_debits ||
        r->credits != r->stored_credits)
        a->differ++;
    if (strcmp(r->kind, "FEE_INCOME") == 0)
        a->fee_credits = r->credits;
    if (strcmp(r->kind, "EWA_RECEIVABLE") == 0)
        a->rcv_debits = r->debits;
    a->cross += r->cross_currency;
    return 0;
}

static int recv_add(void *ctx, const struct ps_verify_receivable_row *r)
{
    int64_t *ledger = ctx;
    *ledger += r->ledger;
    return 0;
}

static int count_rows(void *ctx, const struct ps_recon_row *r)
{
    (void)r;
    (*(int *)ctx)++;
    return 0;
}

static void disbursement(struct ps_txn *t, const char *id, int64_t amount,
                         int64_t fee)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->id, sizeof(t->id), "%s", id);
    snprintf(t->business_id, sizeof(t->business_id), "b");
    snprintf(t->customer_id, sizeof(t->customer_id), "c");
    snprintf(t->account_id, sizeof(t->account_id), "a");
    snprintf(t->request_id, sizeof(t->request_id), "r-%s", id);
    t->type = PS_TXN_SEND;
    t->rail = PS_RAIL_PUSH_TO_CARD;
    t->purpose = PS_PURPOSE_EWA_DISBURSEMENT;
    t->amount = amount;
    t->fee = fee;
    snprintf(t->currency, sizeof(t->currency), "USD");
    t->status = PS_TXN_NEW;
    snprintf(t->created_at, sizeof(t->created_at), "%s", T1);
    snprintf(t->updated_at, sizeof(t->updated_at), "%s", T1);
}

static void test_fee_on_new_row(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_err err;
    struct ps_txn t;
    int64_t rcv = 0, cus = 0, fee = 0;
    struct ps_store *s = ps_test_store_open(fx->db_path, 0);
    ps_test_sql_exec(fx->db_path,
                     "INSERT INTO businesses(id, name, display_name,"
                     " created_at) VALUES ('b', 'b', 'B', 'x');"
                     "INSERT INTO customers(id, business_id, external_id,"
                     " type, first_name, last_name, created_at, updated_at)"
                     " VALUES ('c', 'b', 'E1', 'INDIVIDUAL', 'A', 'B', 'x',"
                     " 'x')");
    ps_err_clear(&err);
    assert_int_equal(ps_store_ledger_account(s, "b", PS_LEDGER_EWA_RECEIVABLE,
                                             "USD", NULL, &rcv, &err),
                     0);
    assert_int_equal(ps_store_ledger_account(s, "b", PS_LEDGER_CUSTOMER,
                                             "USD", "c", &cus, &err),
                     0);
    assert_int_equal(ps_store_ledger_account(s, "b", PS_LEDGER_FEE_INCOME,
                                             "USD", NULL, &fee, &err),
                     0);
    struct ps_row_transfer x = {rcv, cus, fee};
    assert_int_equal(ps_store_begin(s, &err), 0);
    disbursement(&t, "t1", 5000, 299);
    assert_int_equal(ps_store_txn_create(s, &t, NULL, &x, NULL, &err), 0);
    disbursement(&t, "t2", 700, 0); /* a zero fee: no leg */
    assert_int_equal(ps_store_txn_create(s, &t, NULL, &x, NULL, &err), 0);
    disbursement(&t, "t3", 1000, 199); /* accounts set after the row */
    assert_int_equal(ps_store_txn_create(s, &t, NULL, NULL, NULL, &err), 0);
    assert_int_equal(ps_store_txn_set_transfer(s, &t, &x, &err), 0);
    assert_int_equal(ps_store_commit(s, &err), 0);

    assert_int_equal(
        ps_test_sql_int(fx->db_path, "SELECT count(*) FROM ledger_entries"), 0);
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT group_concat(ifnull("
                                     "fee_account, 0), ' ') = '3 0 3' FROM"
                                     " (SELECT fee_account FROM transactions"
                                     " ORDER BY id)"),
                     1);
    /* Posted in the commit: Dr RCV 5000 + 299 + 700 + 1000 + 199, Cr
     * FEE_INCOME 299 + 199, and the day's totals of the three kinds. */
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT debits_posted FROM"
                                     " ledger_balances WHERE account = 1"),
                     7198);
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT credits_posted FROM"
                                     " ledger_balances WHERE account = 3"),
                     498);
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT legs FROM ledger_day_totals"
                                     " WHERE kind = 'EWA_RECEIVABLE'"),
                     5);
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT legs FROM ledger_day_totals"
                                     " WHERE kind = 'FEE_INCOME'"),
                     2);

    /* ledger verify's recomputations from the rows agree. */
    struct acct_seen a = {0};
    assert_int_equal(ps_store_verify_accounts(s, NULL, acct_add, &a, &err), 0);
    assert_int_equal(a.n, 3);
    assert_int_equal(a.differ, 0);
    assert_int_equal(a.fee_credits, 498);
    assert_int_equal(a.rcv_debits, 7198);
    assert_int_equal(a.cross, 0);
    int64_t ledger = 0;
    assert_int_equal(ps_store_verify_receivables(s, NULL, recv_add, &ledger,
                                                 &err),
                     0);
    assert_int_equal(ledger, 7198);
    int n = 0;
    assert_int_equal(ps_store_recon_counts_check(s, NULL, count_rows, &n,
                                                 &err),
                     0);
    assert_int_equal(n, 0);
    int64_t bal = 0;
    assert_int_equal(ps_store_ledger_balance(s, fee, &bal, &err), 0);
    assert_int_equal(bal, -498);
    struct trial_seen tb = {0};
    assert_int_equal(ps_store_trial_balance(s, "b", trial_add, &tb, &err), 0);
    assert_int_equal(tb.debits, 7198);
    assert_int_equal(tb.credits, 7198);

    /* A fee leg's day total changed behind the store: verify tells. */
    ps_test_sql_exec(fx->db_path,
                     "UPDATE ledger_day_totals SET credits = credits - 1"
                     " WHERE kind = 'FEE_INCOME'");
    n = 0;
    assert_int_equal(ps_store_recon_counts_check(s, NULL, count_rows, &n,
                                                 &err),
                     0);
    assert_int_equal(n, 1);
    /* A fee_account naming no account is an orphan (the rows' card
     * account 'a' is one already: no such account here). */
    int64_t orphans0 = 0, orphans = 0;
    char detail[256];
    assert_int_equal(ps_store_orphans(s, NULL, NULL, &orphans0, detail,
                                      sizeof(detail), &err),
                     0);
    assert_null(strstr(detail, "fee_account"));
    ps_test_sql_exec(fx->db_path, "UPDATE transactions SET fee_account = 424242"
                                  " WHERE id = 't1'");
    assert_int_equal(ps_store_orphans(s, NULL, NULL, &orphans, detail,
                                      sizeof(detail), &err),
                     0);
    assert_int_equal(orphans, orphans0 + 1);
    assert_non_null(strstr(detail, "transactions.fee_account 1"));
    ps_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrate_v29, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fee_on_new_row, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
