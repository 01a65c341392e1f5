/*
 * test_verify.c -- ps_query_ledger_verify (engine/query.h, the SQL in
 * store/verify.c) on the demo week's database
 * (fixtures/store/v15-demo-week.db.gz): everything agrees, every account
 * is listed with its sums, the trial balance per currency balances, and
 * the walk stops when asked; then on copies corrupted behind the engine's
 * back (a stored amount to recover, a ledger row's amount, a ledger row's
 * currency), each difference is reported once, with both figures, for
 * the right business and subject; and balances stored on the account
 * rows (columns added as issue 21's schema will have them) compared with
 * the ledger's rows.
 *
 * Each test gets a fresh directory under $TMPDIR (or /tmp), removed after.
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
#include <zlib.h>

#include "base/err.h"
#include "engine/engine.h"
#include "engine/query.h"
#include "testutil.h"

struct fixture {
    char dir[PATH_MAX / 2];
    struct ps_engine *eng;
};

/* The fixture's database and key into dir. */
static void unpack(const char *dir)
{
    const char *fx = getenv("PS_FIXTURES");
    char src[PATH_MAX];
    static char buf[1 << 16];
    assert_non_null(fx);
    snprintf(src, sizeof(src), "%s/store/v15-demo-week.db.gz", fx);
    gzFile in = gzopen(src, "rb");
    FILE *out = fopen(ps_test_path(dir, PS_TEST_DB, 0), "wb");
    assert_non_null(in);
    assert_non_null(out);
    int n;
    while ((n = gzread(in, buf, sizeof(buf))) > 0)
        assert_int_equal(fwrite(buf, 1, (size_t)n, out), (size_t)n);
    assert_int_equal(n, 0);
    gzclose(in);
    assert_int_equal(fclose(out), 0);
    snprintf(src, sizeof(src), "%s/store/v15-demo-week.key", fx);
    in = gzopen(src, "rb"); /* reads a plain file as it is */
    out = fopen(ps_test_path(dir, PS_TEST_KEY, 1), "wb");
    assert_non_null(in);
    assert_non_null(out);
    n = gzread(in, buf, sizeof(buf));
    assert_true(n > 0);
    assert_int_equal(fwrite(buf, 1, (size_t)n, out), (size_t)n);
    gzclose(in);
    assert_int_equal(fclose(out), 0);
    assert_int_equal(chmod(ps_test_path(dir, PS_TEST_KEY, 1), 0600), 0);
}

/* Run SQL on the database behind the engine's back (the engine closed);
 * its last statement must change `changes` rows (-1: any number). */
static void raw_sql(struct fixture *fx, const char *sql, int changes)
{
    struct ps_err err;
    ps_engine_close(fx->eng);
    fx->eng = NULL;
    sqlite3 *db = ps_test_sqlite_open(ps_test_path(fx->dir, PS_TEST_DB, 0));
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    if (changes >= 0)
        assert_int_equal(sqlite3_changes(db), changes);
    sqlite3_close(db);
    ps_err_clear(&err);
    assert_int_equal(ps_engine_open(ps_test_path(fx->dir, PS_TEST_DB, 0),
                                    ps_test_path(fx->dir, PS_TEST_KEY, 1),
                                    &fx->eng, &err),
                     0);
}

static void corrupt(struct fixture *fx, const char *sql)
{
    raw_sql(fx, sql, 1);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct ps_err err;
    if (fx == NULL || ps_test_tmpdir(fx->dir, sizeof(fx->dir), "verify") != 0)
        return -1;
    unpack(fx->dir);
    ps_err_clear(&err);
    if (ps_engine_open(ps_test_path(fx->dir, PS_TEST_DB, 0),
                       ps_test_path(fx->dir, PS_TEST_KEY, 1), &fx->eng,
                       &err) != 0) {
        print_error("engine open: %s [%s]\n", err.msg, err.rule);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    if (fx->eng != NULL)
        ps_engine_close(fx->eng);
    int rc = ps_test_rmtree(fx->dir);
    free(fx);
    return rc;
}

/* What the callback saw. */
struct seen {
    int calls, trial, trial_ok, accounts, diffs;
    int recon_diffs; /* of the day counters (schema 24): not in last_diff */
    char recon_subject[256];
    int64_t debits, credits; /* over the listed accounts */
    struct ps_verify_finding last_diff;
    char business[PS_NAME_SIZE], subject[128], figure[64];
    int stop_after; /* 0: never */
};

static int collect(void *ctx, const struct ps_verify_finding *f)
{
    struct seen *s = ctx;
    s->calls++;
    if (f->check == PS_VERIFY_TRIAL) {
        s->trial++;
        s->trial_ok += f->ok;
        assert_string_equal(f->currency, "USD");
    } else if (f->check == PS_VERIFY_ACCOUNT && f->ok) {
        s->accounts++;
        s->debits += f->left;
        s->credits += f->right;
        assert_true(f->account > 0);
        assert_string_equal(f->figure, "balance");
    }
    if (f->check == PS_VERIFY_RECON_COUNT) {
        s->recon_diffs++;
        snprintf(s->recon_subject, sizeof(s->recon_subject), "%s",
                 f->subject);
    } else if (!f->ok && f->check != PS_VERIFY_TRIAL) {
        s->diffs++;
        s->last_diff = *f;
        snprintf(s->business, sizeof(s->business), "%s", f->business);
        snprintf(s->subject, sizeof(s->subject), "%s", f->subject);
        snprintf(s->figure, sizeof(s->figure), "%s", f->figure);
    }
    return s->stop_after != 0 && s->calls >= s->stop_after;
}

static void verify(struct fixture *fx, const char *business_id, unsigned flags,
                   struct seen *s, struct ps_verify_summary *sum)
{
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(ps_query_ledger_verify(fx->eng, business_id, flags,
                                            collect, s, sum, &err),
                     0);
}

static void test_all_agree(void **state)
{
    struct fixture *fx = *state;
    struct seen s = {0};
    struct ps_verify_summary sum;
    verify(fx, NULL, PS_VERIFY_EVERY_ACCOUNT, &s, &sum);
    assert_int_equal(sum.differences, 0);
    assert_int_equal(sum.accounts, 38);
    /* schema 15 stored none; the migration to 20 fills them */
    assert_int_equal(sum.stored_accounts, 38);
    assert_int_equal(sum.currencies, 1);
    assert_int_equal(sum.receivables, 2);
    assert_int_equal(sum.profiles, 30);
    assert_int_equal(s.accounts, 38);
    assert_int_equal(s.trial, 2); /* recomputed, and stored */
    assert_int_equal(s.trial_ok, 2);
    assert_int_equal(s.diffs, 0);
    /* the listed accounts sum to the trial balance: 19,912.07 a side */
    assert_int_equal(s.debits, 1991207);
    assert_int_equal(s.credits, 1991207);

    /* without the flag: only the trial balance rows */
    struct seen t = {0};
    verify(fx, NULL, 0, &t, &sum);
    assert_int_equal(t.calls, 2);
    assert_int_equal(sum.accounts, 38);
}

static void test_stop(void **state)
{
    struct fixture *fx = *state;
    struct seen s = {.stop_after = 3};
    struct ps_verify_summary sum;
    verify(fx, NULL, PS_VERIFY_EVERY_ACCOUNT, &s, &sum);
    assert_int_equal(s.calls, 3);
    assert_int_equal(s.trial, 0); /* stopped before the trial balance */
}

static void test_business(void **state)
{
    struct fixture *fx = *state;
    struct ps_business b;
    struct ps_err err;
    struct seen s = {0};
    struct ps_verify_summary sum;
    ps_err_clear(&err);
    assert_int_equal(
        ps_business_find(fx->eng, "northwind-warehousing", &b, &err), 0);
    verify(fx, b.id, PS_VERIFY_EVERY_ACCOUNT, &s, &sum);
    assert_int_equal(sum.differences, 0);
    assert_int_equal(sum.receivables, 1);
    assert_int_equal(sum.profiles, 12);
    assert_true(sum.accounts > 0 && sum.accounts < 38);
    assert_int_equal(s.debits, s.credits);
}

static void test_stored_counter(void **state)
{
    struct fixture *fx = *state;
    struct seen s = {0};
    struct ps_verify_summary sum;
    corrupt(fx, "UPDATE ewa_counters SET amount_to_recover = "
                "amount_to_recover + 100 WHERE profile = (SELECT seq FROM"
                " ewa_profiles WHERE external_id = 'NWL-10480')");
    verify(fx, NULL, 0, &s, &sum);
    assert_int_equal(sum.differences, 1);
    assert_int_equal(s.diffs, 1);
    assert_int_equal(s.trial_ok, 2); /* the ledger itself is whole */
    assert_int_equal(s.last_diff.check, PS_VERIFY_PROFILE);
    assert_string_equal(s.business, "northwind-logistics");
    assert_string_equal(s.subject, "EWA profile NWL-10480");
    assert_string_equal(s.figure, "amountToRecover");
    assert_int_equal(s.last_diff.left, 15198);  /* stored */
    assert_int_equal(s.last_diff.right, 15098); /* counted */
    assert_int_equal(s.last_diff.count, 0);
}

static void test_ledger_row(void **state)
{
    struct fixture *fx = *state;
    struct seen s = {0};
    struct ps_verify_summary sum;
    /* The row and, as a wrong posting would, both accounts' stored
     * balances (schema 20): only the receivable's count tells.  The row
     * is a payroll deduction (Dr FUNDING / Cr EWA_RECEIVABLE), one less
     * credited to the receivable: its ledger is one more.  (Until
     * schema 29 it was the creation's fee entry, now on the transaction
     * row, where its amount is the fee the count reads too.) */
#define FEE_ROW                                                                \
    "(SELECT min(e.id) FROM ledger_entries e JOIN "                            \
    "ledger_accounts a ON a.id = e.debit_account JOIN "                        \
    "businesses b ON b.id = a.business_id WHERE e.memo = "                     \
    "'ewa payroll deduction' AND b.name = 'northwind-warehousing')"
    corrupt(fx, "UPDATE ledger_balances SET debits_posted = debits_posted - 1"
                " WHERE account = (SELECT debit_account FROM ledger_entries"
                " WHERE id = " FEE_ROW ");"
                "UPDATE ledger_balances SET credits_posted = credits_posted - 1"
                " WHERE account = (SELECT credit_account FROM ledger_entries"
                " WHERE id = " FEE_ROW ");"
                /* and the day totals of its accounts' kinds (v24) */
                "UPDATE ledger_day_totals SET debits = debits - 1 WHERE"
                " (business_id, kind, currency, day) = (SELECT a.business_id,"
                " a.kind, a.currency, substr(e.created_at, 1, 10) FROM"
                " ledger_entries e JOIN ledger_accounts a ON a.id ="
                " e.debit_account WHERE e.id = " FEE_ROW ");"
                "UPDATE ledger_day_totals SET credits = credits - 1 WHERE"
                " (business_id, kind, currency, day) = (SELECT a.business_id,"
                " a.kind, a.currency, substr(e.created_at, 1, 10) FROM"
                " ledger_entries e JOIN ledger_accounts a ON a.id ="
                " e.credit_account WHERE e.id = " FEE_ROW ");"
                "UPDATE ledger_entries SET amount = amount - 1 WHERE id = "
                FEE_ROW);
#undef FEE_ROW
    verify(fx, NULL, 0, &s, &sum);
    assert_int_equal(sum.differences, 1);
    assert_int_equal(s.last_diff.check, PS_VERIFY_RECEIVABLE);
    assert_string_equal(s.business, "northwind-warehousing");
    assert_string_equal(s.subject, "EWA_RECEIVABLE");
    assert_int_equal(s.last_diff.left, 10399);  /* the ledger's rows */
    assert_int_equal(s.last_diff.right, 10398); /* counted */
}

static void test_cross_currency(void **state)
{
    struct fixture *fx = *state;
    struct seen s = {0};
    struct ps_verify_summary sum;
    corrupt(fx, "UPDATE ledger_entries SET currency = 'EUR' WHERE id = "
                "(SELECT min(id) FROM ledger_entries)");
    verify(fx, NULL, 0, &s, &sum);
    /* both accounts of the row, one leg each; and the day totals of
     * their kinds (schema 24), which count legs in another currency */
    assert_int_equal(sum.differences, 4);
    assert_int_equal(s.recon_diffs, 2);
    assert_non_null(strstr(s.recon_subject, "cross-currency legs +1"));
    assert_int_equal(s.last_diff.check, PS_VERIFY_ACCOUNT);
    assert_int_equal(s.last_diff.count, 1);
    assert_int_equal(s.last_diff.left, 1);
    assert_int_equal(s.last_diff.right, 0);
    assert_true(s.last_diff.account > 0);
}

/* Balances stored on the narrow account rows (schema 20's
 * ledger_balances, filled by its migration; here set again from the
 * rows): compared with the ledger's rows, and their own trial balance. */
static void test_stored_balances(void **state)
{
    struct fixture *fx = *state;
    struct seen s = {0};
    struct ps_verify_summary sum;
    raw_sql(fx,
            "DELETE FROM ledger_balances;"
            "INSERT INTO ledger_balances SELECT id, (SELECT "
            "coalesce(sum(amount), 0) FROM ledger_entries WHERE "
            "debit_account = ledger_accounts.id) + (SELECT "
            "coalesce(sum(amount), 0) FROM transactions WHERE "
            "debit_account = ledger_accounts.id) + (SELECT "
            "coalesce(sum(fee), 0) FROM transactions WHERE "
            "fee_account IS NOT NULL AND "
            "debit_account = ledger_accounts.id), (SELECT "
            "coalesce(sum(amount), 0) FROM ledger_entries WHERE "
            "credit_account = ledger_accounts.id) + (SELECT "
            "coalesce(sum(amount), 0) FROM transactions WHERE "
            "credit_account = ledger_accounts.id) + (SELECT "
            "coalesce(sum(fee), 0) FROM transactions WHERE "
            "fee_account = ledger_accounts.id) FROM ledger_accounts",
            38);
    verify(fx, NULL, 0, &s, &sum);
    assert_int_equal(sum.differences, 0);
    assert_int_equal(sum.stored_accounts, 38);
    assert_int_equal(s.trial, 2); /* recomputed, and stored */
    assert_int_equal(s.trial_ok, 2);

    struct seen t = {0};
    corrupt(fx, "UPDATE ledger_balances SET credits_posted = credits_posted "
                "+ 5 WHERE account = (SELECT min(id) FROM ledger_accounts "
                "WHERE kind = 'FUNDING')");
    verify(fx, NULL, 0, &t, &sum);
    /* the account's credits, and the stored trial balance */
    assert_int_equal(sum.differences, 2);
    assert_int_equal(t.diffs, 1);
    assert_int_equal(t.trial, 2);
    assert_int_equal(t.trial_ok, 1);
    assert_int_equal(t.last_diff.check, PS_VERIFY_ACCOUNT);
    assert_string_equal(t.figure, "credits");
    assert_string_equal(t.subject, "FUNDING");
    assert_int_equal(t.last_diff.right - t.last_diff.left, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_all_agree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_business, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stored_counter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ledger_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_currency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stored_balances, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
