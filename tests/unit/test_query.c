/*
 * test_query.c -- the engine's read API (engine/query.c): the two checks
 * that keep one business from seeing another's customers and accounts
 * (they were a strcmp in the CLI), and that the reads the CLI makes
 * return what the engine wrote.
 *
 * Each test gets a fresh directory with a new key file, a new database
 * and two businesses, "acme" and "globex", each with one customer
 * holding one card account.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "base/model.h"
#include "engine/engine.h"
#include "engine/query.h"
#include "testutil.h"

struct fixture {
    char dir[PATH_MAX / 2];
    struct ps_engine *eng;
    struct ps_business acme, globex;
    struct ps_customer acme_c, globex_c;
    struct ps_account acme_a, globex_a;
};

static void check_ok(const char *what, int rc, const struct ps_err *err)
{
    if (rc != 0)
        fail_msg("%s: %s [%s]", what, err->msg, err->rule);
}

static void customer(struct fixture *fx, const struct ps_business *b,
                     const char *ext, struct ps_customer *c,
                     struct ps_account *a)
{
    struct ps_err err;
    memset(c, 0, sizeof(*c));
    ps_strlcpy(c->business_id, b->id, sizeof(c->business_id));
    ps_strlcpy(c->external_id, ext, sizeof(c->external_id));
    c->type = PS_CUSTOMER_INDIVIDUAL;
    ps_strlcpy(c->first_name, "Maria", sizeof(c->first_name));
    ps_strlcpy(c->last_name, "Gonzalez", sizeof(c->last_name));
    ps_strlcpy(c->email, "maria.gonzalez@example.com", sizeof(c->email));
    ps_strlcpy(c->phone, "+14155550123", sizeof(c->phone));
    ps_err_clear(&err);
    check_ok(ext, ps_customer_create(fx->eng, c, NULL, 0, NULL, 0, NULL, &err),
             &err);
    check_ok(ext,
             ps_account_add_card(fx->eng, c->id, "Visa", "4111111111111111", a,
                                 &err),
             &err);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct ps_err err;
    if (fx == NULL ||
        ps_test_tmpdir(fx->dir, sizeof(fx->dir), "test_query") != 0) {
        free(fx);
        return -1;
    }
    ps_log_open(NULL, PS_LOG_ERROR, NULL);
    fx->eng = ps_test_engine_open(fx->dir);
    ps_err_clear(&err);
    if (ps_business_add(fx->eng, "acme", "Acme", NULL, &fx->acme, &err) != 0 ||
        ps_business_add(fx->eng, "globex", "Globex", NULL, &fx->globex, &err) !=
            0)
        return -1;
    /* The same external id in both: only the business tells them apart. */
    customer(fx, &fx->acme, "E-1", &fx->acme_c, &fx->acme_a);
    customer(fx, &fx->globex, "E-1", &fx->globex_c, &fx->globex_a);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    int rc;
    ps_engine_close(fx->eng);
    rc = ps_test_rmtree(fx->dir);
    free(fx);
    return rc;
}

static void test_account_in_business(void **state)
{
    struct fixture *fx = *state;
    struct ps_account a;
    struct ps_err err;
    ps_err_clear(&err);
    check_ok("own account",
             ps_query_account_in_business(fx->eng, &fx->acme, fx->acme_a.id, &a,
                                          &err),
             &err);
    assert_string_equal(a.id, fx->acme_a.id);
    assert_string_equal(a.customer_id, fx->acme_c.id);

    /* Another business's account is not found, and out is untouched. */
    memset(&a, 0x5a, sizeof(a));
    assert_int_equal(ps_query_account_in_business(fx->eng, &fx->acme,
                                                  fx->globex_a.id, &a, &err),
                     PS_ENOTFOUND);
    assert_string_equal(err.rule, "ACCOUNT_NOT_FOUND");
    assert_non_null(strstr(err.msg, "acme"));
    assert_int_equal((unsigned char)a.id[0], 0x5a);

    /* An unknown id is not found either. */
    assert_int_equal(ps_query_account_in_business(fx->eng, &fx->globex,
                                                  "no-such-account", &a, &err),
                     PS_ENOTFOUND);
}

static void test_customer_in_business(void **state)
{
    struct fixture *fx = *state;
    struct ps_customer c;
    struct ps_err err;
    ps_err_clear(&err);
    check_ok("acme's E-1",
             ps_query_customer_in_business(fx->eng, &fx->acme, "E-1", &c, &err),
             &err);
    assert_string_equal(c.id, fx->acme_c.id);
    check_ok(
        "globex's E-1",
        ps_query_customer_in_business(fx->eng, &fx->globex, "E-1", &c, &err),
        &err);
    assert_string_equal(c.id, fx->globex_c.id);
    assert_int_equal(
        ps_query_customer_in_business(fx->eng, &fx->acme, "E-2", &c, &err),
        PS_ENOTFOUND);
    assert_string_equal(err.rule, "CUSTOMER_NOT_FOUND");
    assert_string_equal(err.msg, "no customer E-2 in acme");
}

static int count_account(void *ctx, const struct ps_account *a)
{
    (void)a;
    ++*(int *)ctx;
    return 0;
}

static int count_business(void *ctx, const struct ps_business *b)
{
    (void)b;
    ++*(int *)ctx;
    return 0;
}

static int count_history(void *ctx, const struct ps_status_history_row *h)
{
    (void)h;
    ++*(int *)ctx;
    return 0;
}

static void test_reads(void **state)
{
    struct fixture *fx = *state;
    struct ps_err err;
    struct ps_source src = {"test", NULL, 0};
    int n = 0, h = 0;
    ps_err_clear(&err);
    check_ok("businesses",
             ps_query_businesses(fx->eng, count_business, &n, &err), &err);
    assert_int_equal(n, 2);
    n = 0;
    check_ok("accounts",
             ps_query_accounts(fx->eng, fx->acme_c.id, count_account, &n, &err),
             &err);
    assert_int_equal(n, 1);
    check_ok("suspend",
             ps_customer_set_status(fx->eng, fx->acme_c.id, PS_STATUS_SUSPENDED,
                                    &src, &err),
             &err);
    check_ok("history",
             ps_query_customer_history(fx->eng, fx->acme_c.id, count_history,
                                       &h, &err),
             &err);
    assert_true(h >= 1);
    assert_int_equal(ps_query_schema_version(fx->eng),
                     ps_query_schema_latest());
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_account_in_business),
        T(test_customer_in_business),
        T(test_reads),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
