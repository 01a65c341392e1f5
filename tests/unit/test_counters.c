/*
 * test_counters.c -- the EWA counters on narrow rows (schema 21's
 * ewa_counters, issue 21, docs/store.md): the migration from 20 moves
 * each profile's amount_to_recover, period_disbursed and updated_at onto
 * a row keyed by the profile's new seq and drops the two columns from
 * ewa_profiles; from then on the book's write-back (by seq or by id)
 * changes only that row, a new profile gets seq max + 1 and its row, a
 * full profile update writes both, and a profile read sees the row's
 * figures, and so does the book's scan, with the key it writes back by.
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
#include "testutil.h"

static int setup(void **state)
{
    return ps_test_db_setup(state, "test_counters");
}

static int teardown(void **state)
{
    return ps_test_db_teardown(state);
}

/* Three profiles of business "b" at schema 20 (foreign keys are not
 * enforced on the raw connection; the rows they name exist anyway for
 * the profile read's join on its eligibility history). */
#define V20_ROWS                                                               \
    "INSERT INTO businesses(id, name, display_name, created_at) VALUES"        \
    " ('b', 'b', 'B', 'x');"                                                   \
    "INSERT INTO ewa_eligibility_history(id, profile_id, from_status,"         \
    " status, reason, created_at) VALUES"                                      \
    " ('h1', 'p1', NULL, 'ELIGIBLE', 'r1', 't0'),"                             \
    " ('h2', 'p2', NULL, 'ARREARS', 'r2', 't0'),"                              \
    " ('h3', 'p3', NULL, 'NEW', 'r3', 't0');"                                  \
    "INSERT INTO ewa_profiles(id, business_id, external_id, customer_id,"      \
    " account_id, program_id, enrollment_status, enrollment_begin,"            \
    " eligibility_status, eligibility_id, amount_to_recover, earned_wages,"    \
    " period_start, period_disbursed, created_at, updated_at) VALUES"          \
    " ('p1', 'b', 'E1', 'c1', 'a1', 'g', 'ACTIVE', '2026-01-01',"              \
    "  'ELIGIBLE', 'h1', 5299, 90000, '2026-12-01', 5000, 't0', 't1'),"        \
    " ('p2', 'b', 'E2', 'c2', 'a2', 'g', 'ACTIVE', '2026-01-01',"              \
    "  'ARREARS', 'h2', 12000, 0, NULL, 0, 't0', 't2'),"                       \
    " ('p3', 'b', 'E3', 'c3', 'a3', 'g', 'ACTIVE', '2026-01-01',"              \
    "  'NEW', 'h3', 0, 0, NULL, 0, 't0', 't3');"

static void get(struct ps_store *s, const char *id, struct ps_profile *p)
{
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_store_profile_get(s, id, p, &err) != 0)
        fail_msg("get %s: %s [%s]", id, err.msg, err.rule);
}

struct scan {
    int n;
    int64_t row[2], atr[2], pd[2];
    char id[2][PS_ID_SIZE];
};

static int on_row(void *ctx, const struct ps_book_row *r)
{
    struct scan *sc = ctx;
    if (sc->n < 2) {
        sc->row[sc->n] = r->row;
        sc->atr[sc->n] = r->amount_to_recover;
        sc->pd[sc->n] = r->period_disbursed;
        ps_strlcpy(sc->id[sc->n], r->id, sizeof(sc->id[0]));
    }
    sc->n++;
    return 0;
}

/* The migration to 21 moves the counters, keyed by seq = the old rowid,
 * and drops the columns; the readers read the new rows. */
static void test_migrate_v21_moves(void **state)
{
    struct ps_test_db *fx = *state;
    ps_store_close(ps_test_store_open(fx->db_path, 20));
    ps_test_sql_exec(fx->db_path, V20_ROWS);

    struct ps_store *s = ps_test_store_open(fx->db_path, 21);
    assert_int_equal(ps_test_sql_int(fx->db_path, "SELECT max(version)"
                                                  " FROM schema_version"),
                     21);
    assert_int_equal(
        ps_test_sql_int(fx->db_path, "SELECT count(*) FROM ewa_counters"), 3);
    assert_int_equal(
        ps_test_sql_int(fx->db_path,
                        "SELECT count(*) FROM ewa_profiles p"
                        " JOIN ewa_counters k ON k.profile = p.seq"
                        " WHERE p.seq = p.rowid AND ("
                        " (p.id = 'p1' AND k.amount_to_recover = 5299"
                        "  AND k.period_disbursed = 5000"
                        "  AND k.updated_at = 't1') OR"
                        " (p.id = 'p2' AND k.amount_to_recover = 12000"
                        "  AND k.period_disbursed = 0"
                        "  AND k.updated_at = 't2') OR"
                        " (p.id = 'p3' AND k.amount_to_recover = 0"
                        "  AND k.period_disbursed = 0"
                        "  AND k.updated_at = 't3'))"),
        3);
    /* the columns are gone from the wide row: nothing reads a stale copy */
    assert_int_equal(
        ps_test_sql_int(fx->db_path,
                        "SELECT count(*) FROM pragma_table_info("
                        "'ewa_profiles') WHERE name IN"
                        " ('amount_to_recover', 'period_disbursed')"),
        0);

    struct ps_profile p;
    get(s, "p1", &p);
    assert_int_equal(p.amount_to_recover, 5299);
    assert_int_equal(p.period_disbursed, 5000);
    assert_int_equal(p.earned_wages, 90000);
    assert_string_equal(p.updated_at, "t1");
    assert_string_equal(p.period_start, "2026-12-01");
    get(s, "p2", &p);
    assert_int_equal(p.amount_to_recover, 12000);
    assert_string_equal(p.eligibility_reason, "r2");

    ps_store_close(s);
}

/* The write-back changes only the narrow row: by key, by id; an unknown
 * key is PS_ENOTFOUND; inside a rolled-back transaction nothing stays. */
static void test_write_back(void **state)
{
    struct ps_test_db *fx = *state;
    ps_store_close(ps_test_store_open(fx->db_path, 20));
    ps_test_sql_exec(fx->db_path, V20_ROWS);
    struct ps_store *s = ps_test_store_open(fx->db_path, 0);
    struct ps_err err;
    ps_err_clear(&err);
    int64_t seq2 = ps_test_sql_int(
        fx->db_path, "SELECT seq FROM ewa_profiles WHERE id = 'p2'");
    int64_t wide =
        ps_test_sql_int(fx->db_path, "SELECT count(*) FROM ewa_profiles WHERE"
                                     " updated_at IN ('t1', 't2', 't3')");
    assert_int_equal(wide, 3);

    assert_int_equal(ps_store_begin(s, &err), 0);
    assert_int_equal(
        ps_store_profile_balances(s, seq2, "p2", 12500, 500, "t9", &err), 0);
    assert_int_equal(
        ps_store_profile_balances(s, 0, "p1", 0, 0, "t9", &err), 0);
    assert_int_equal(ps_store_commit(s, &err), 0);
    struct ps_profile p;
    get(s, "p2", &p);
    assert_int_equal(p.amount_to_recover, 12500);
    assert_int_equal(p.period_disbursed, 500);
    assert_string_equal(p.updated_at, "t9");
    get(s, "p1", &p);
    assert_int_equal(p.amount_to_recover, 0);
    assert_int_equal(p.earned_wages, 90000);
    /* the wide rows were not written */
    assert_int_equal(ps_test_sql_int(fx->db_path,
                                     "SELECT count(*) FROM ewa_profiles WHERE"
                                     " updated_at IN ('t1', 't2', 't3')"),
                     3);

    assert_int_equal(
        ps_store_profile_balances(s, 999, "p2", 1, 1, "t9", &err),
        PS_ENOTFOUND);
    assert_int_equal(
        ps_store_profile_balances(s, 0, "nobody", 1, 1, "t9", &err),
        PS_ENOTFOUND);
    /* a CHECK still guards the counters */
    assert_int_not_equal(
        ps_store_profile_balances(s, seq2, "p2", -1, 0, "t9", &err), 0);

    assert_int_equal(ps_store_begin(s, &err), 0);
    assert_int_equal(
        ps_store_profile_balances(s, seq2, "p2", 7, 7, "t10", &err), 0);
    ps_store_rollback(s);
    get(s, "p2", &p);
    assert_int_equal(p.amount_to_recover, 12500);
    ps_store_close(s);
}

/* A profile inserted at 21 takes seq max + 1 and its counters row; a full
 * update writes both rows. */
static void test_insert_update(void **state)
{
    struct ps_test_db *fx = *state;
    ps_store_close(ps_test_store_open(fx->db_path, 20));
    ps_test_sql_exec(fx->db_path, V20_ROWS);
    struct ps_store *s = ps_test_store_open(fx->db_path, 0);
    struct ps_err err;
    ps_err_clear(&err);
    ps_test_sql_exec(
        fx->db_path,
        "INSERT INTO ewa_eligibility_history(id, profile_id, status,"
        " reason, created_at) VALUES ('h4', 'p4', 'NEW', 'r4', 't0');"
        "INSERT INTO customers(id, business_id, external_id, type,"
        " dba_name, created_at, updated_at) VALUES ('c3', 'b', 'C3',"
        " 'BUSINESS', 'C', 't0', 't0');"
        "INSERT INTO financial_accounts(id, business_id, customer_id,"
        " kind, display_name, bin, last4, token, sealed, created_at,"
        " updated_at) VALUES ('a3', 'b', 'c3', 'EXTERNAL_CARD', 'card',"
        " '411111', '1111', 'tok', x'00', 't0', 't0');"
        "INSERT INTO ewa_programs(id, business_id, name, currency,"
        " advance_rate_bp, min_transfer, max_transfer, period_cap,"
        " max_outstanding, fee_card, fee_ach, debit_fallback,"
        " max_debit_attempts, bad_debt_after, created_at) VALUES ('g',"
        " 'b', 'P', 'USD', 5000, 100, 50000, 200000, 300000, 299, 0, 0,"
        " 0, 1, 't0');");
    struct ps_profile p;
    get(s, "p3", &p);
    ps_strlcpy(p.id, "p4", sizeof(p.id));
    ps_strlcpy(p.external_id, "E4", sizeof(p.external_id));
    ps_strlcpy(p.eligibility_id, "h4", sizeof(p.eligibility_id));
    p.amount_to_recover = 777;
    p.period_disbursed = 700;
    ps_strlcpy(p.updated_at, "t4", sizeof(p.updated_at));
    int rc = ps_store_profile_insert(s, &p, &err);
    if (rc != 0)
        fail_msg("insert: %s [%s]", err.msg, err.rule);
    assert_int_equal(
        ps_test_sql_int(fx->db_path,
                        "SELECT seq FROM ewa_profiles WHERE id = 'p4'"),
        ps_test_sql_int(fx->db_path, "SELECT max(seq) FROM ewa_profiles"
                                     " WHERE id <> 'p4'") +
            1);
    struct ps_profile q;
    get(s, "p4", &q);
    assert_int_equal(q.amount_to_recover, 777);
    assert_int_equal(q.period_disbursed, 700);

    /* the book's scan reads the row and the key it writes back by */
    struct scan sc = {0};
    assert_int_equal(ps_store_book_scan(s, "b", on_row, &sc, &err), 0);
    assert_int_equal(sc.n, 2); /* p3 and p4: the profiles of c3 */
    int i = strcmp(sc.id[0], "p4") == 0 ? 0 : 1;
    assert_string_equal(sc.id[i], "p4");
    assert_int_equal(sc.row[i],
                     ps_test_sql_int(fx->db_path, "SELECT seq FROM"
                                                  " ewa_profiles WHERE"
                                                  " id = 'p4'"));
    assert_int_equal(sc.atr[i], 777);
    assert_int_equal(sc.pd[i], 700);
    assert_int_equal(ps_store_profile_balances(s, sc.row[i], "p4", 778, 701,
                                               "t6", &err),
                     0);
    get(s, "p4", &q);
    assert_int_equal(q.amount_to_recover, 778);
    assert_int_equal(q.period_disbursed, 701);

    /* the same external id is refused, and no counters row is left */
    ps_strlcpy(p.id, "p5", sizeof(p.id));
    assert_int_equal(ps_store_profile_insert(s, &p, &err), PS_ECONFLICT);
    assert_int_equal(
        ps_test_sql_int(fx->db_path, "SELECT count(*) FROM ewa_counters"), 4);

    q.amount_to_recover = 0;
    q.period_disbursed = 0;
    q.earned_wages = 123;
    ps_strlcpy(q.updated_at, "t5", sizeof(q.updated_at));
    assert_int_equal(ps_store_profile_update(s, &q, &err), 0);
    get(s, "p4", &p);
    assert_int_equal(p.amount_to_recover, 0);
    assert_int_equal(p.period_disbursed, 0);
    assert_int_equal(p.earned_wages, 123);
    assert_string_equal(p.updated_at, "t5");
    ps_strlcpy(q.id, "nobody", sizeof(q.id));
    assert_int_equal(ps_store_profile_update(s, &q, &err), PS_ENOTFOUND);
    ps_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrate_v21_moves, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_write_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_update, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
