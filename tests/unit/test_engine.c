/*
 * test_engine.c -- the domain validation of engine.c, driven through the
 * engine API on a real store: businesses, customers (INDIVIDUAL and
 * BUSINESS, contacts, addresses, update, suspend/reactivate), financial
 * accounts (card and bank checks, tokens, encryption at rest, status,
 * debit authorizations), EWA programs and ps_engine_txn_create's
 * isolation between customers and businesses.
 *
 * Most tests are tables: one valid base object, one field changed per
 * row, and the row says which rule (and which err->field) must refuse it,
 * or NULL when it must be accepted and stored as given.  A refused row
 * must leave the database as it was, which is checked by counting rows
 * through a second, raw SQLite connection.
 *
 * Each test gets a fresh directory (testutil.h) with a new key file, a
 * new database and two businesses, "acme" and "globex".
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

#include "base/crypto.h"
#include "engine/engine.h"
#include "base/err.h"
#include "base/id.h"
#include "base/log.h"
#include "base/model.h"
#include "store/store.h"
#include "testutil.h"
#include "engine/txn.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- fixture ------------------------------------------------------- */

struct fixture {
    char dir[PATH_MAX / 2];
    struct ps_engine *eng;
    struct ps_business acme, globex;
    int seq; /* for unique external ids and request ids */
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct ps_err err;
    if (fx == NULL ||
        ps_test_tmpdir(fx->dir, sizeof(fx->dir), "test_engine") != 0) {
        free(fx);
        return -1;
    }
    /* Only errors on stderr: the engine logs every change at INFO. */
    ps_log_open(NULL, PS_LOG_ERROR, NULL);
    fx->eng = ps_test_engine_open(fx->dir);
    ps_err_clear(&err);
    if (ps_business_add(fx->eng, "acme", "Acme Payroll", NULL, &fx->acme,
                        &err) != 0 ||
        ps_business_add(fx->eng, "globex", "Globex", NULL, &fx->globex, &err) !=
            0) {
        print_error("ps_business_add: %s [%s]\n", err.msg, err.rule);
        return -1;
    }
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

static const char *db_path(const struct fixture *fx)
{
    return ps_test_path(fx->dir, PS_TEST_DB, 0);
}

/* SELECT count(*) ... with at most one text parameter, from outside. */
static long count_rows(const struct fixture *fx, const char *sql,
                       const char *arg)
{
    sqlite3 *db = ps_test_sqlite_open(db_path(fx));
    sqlite3_stmt *st = NULL;
    long n;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (arg != NULL)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Number of rows in the tables a refused write could have touched. */
static long all_rows(const struct fixture *fx)
{
    return count_rows(fx,
                      "SELECT (SELECT count(*) FROM businesses)"
                      " + (SELECT count(*) FROM customers)"
                      " + (SELECT count(*) FROM customer_contacts)"
                      " + (SELECT count(*) FROM customer_addresses)"
                      " + (SELECT count(*) FROM customer_history)"
                      " + (SELECT count(*) FROM financial_accounts)"
                      " + (SELECT count(*) FROM account_history)"
                      " + (SELECT count(*) FROM debit_authorizations)"
                      " + (SELECT count(*) FROM ewa_programs)"
                      " + (SELECT count(*) FROM transactions)",
                      NULL);
}

/*
 * rc and err must say: failed with `code`, rule `rule` and, when field is
 * not NULL, err->field `field`.  label names the table row.
 */
static void check_err(const char *label, int rc, const struct ps_err *err,
                      int code, const char *rule, const char *field)
{
    if (rc != code || err->code != code)
        fail_msg("%s: rc %d (err->code %d), want %d [%s]; got [%s] %s", label,
                 rc, err->code, code, rule, err->rule, err->msg);
    if (strcmp(err->rule, rule) != 0)
        fail_msg("%s: rule %s, want %s (%s)", label, err->rule, rule, err->msg);
    if (field != NULL && strcmp(err->field, field) != 0)
        fail_msg("%s: err->field \"%s\", want \"%s\"", label, err->field,
                 field);
}

static void check_ok(const char *label, int rc, const struct ps_err *err)
{
    if (rc != 0)
        fail_msg("%s: rc %d [%s] field \"%s\": %s", label, rc, err->rule,
                 err->field, err->msg);
}

/* A string of n copies of unit (for UTF-8 lengths). */
static const char *repeat(char *buf, size_t size, const char *unit, size_t n)
{
    size_t u = strlen(unit);
    if (u * n >= size)
        fail_msg("repeat: %zu bytes do not fit %zu", u * n, size);
    for (size_t i = 0; i < n; i++)
        memcpy(buf + i * u, unit, u);
    buf[u * n] = '\0';
    return buf;
}

/* A valid INDIVIDUAL of business b (by id) with external id ext. */
static void individual(struct ps_customer *c, const struct ps_business *b,
                       const char *ext)
{
    memset(c, 0, sizeof(*c));
    ps_strlcpy(c->business_id, b->id, sizeof(c->business_id));
    ps_strlcpy(c->external_id, ext, sizeof(c->external_id));
    c->type = PS_CUSTOMER_INDIVIDUAL;
    ps_strlcpy(c->first_name, "Maria", sizeof(c->first_name));
    ps_strlcpy(c->middle_name, "Elena", sizeof(c->middle_name));
    ps_strlcpy(c->last_name, "Gonzalez", sizeof(c->last_name));
    ps_strlcpy(c->email, "maria.gonzalez@example.com", sizeof(c->email));
    ps_strlcpy(c->phone, "+14155550123", sizeof(c->phone));
}

static void make_individual(struct fixture *fx, const struct ps_business *b,
                            const char *ext, struct ps_customer *out)
{
    struct ps_err err;
    individual(out, b, ext);
    ps_err_clear(&err);
    check_ok(ext,
             ps_customer_create(fx->eng, out, NULL, 0, NULL, 0, NULL, &err),
             &err);
}

static void make_card(struct fixture *fx, const struct ps_customer *c,
                      const char *pan, struct ps_account *out)
{
    struct ps_err err;
    ps_err_clear(&err);
    check_ok(pan,
             ps_account_add_card(fx->eng, c->id, "Visa debit", pan, out, &err),
             &err);
}

static void make_bank(struct fixture *fx, const struct ps_customer *c,
                      const char *number, struct ps_account *out)
{
    struct ps_err err;
    ps_err_clear(&err);
    check_ok(number,
             ps_account_add_bank(fx->eng, c->id, "Payroll checking",
                                 "021000021", number, PS_BANK_CHECKING, out,
                                 &err),
             &err);
}

/* Luhn check digit appended to `digits` (in place; room for one more). */
static char *luhn_complete(char *digits)
{
    size_t n = strlen(digits);
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(digits[n - 1 - i] - '0');
        if (i % 2 == 0) { /* doubled: it will be second from the right */
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    digits[n] = (char)('0' + (10 - sum % 10) % 10);
    digits[n + 1] = '\0';
    return digits;
}

/* ---- businesses ---------------------------------------------------- */

struct name_case {
    const char *name;
    const char *rule; /* NULL: accepted */
};

static void test_business_names(void **state)
{
    struct fixture *fx = *state;
    char max[80], over[80];
    repeat(max, sizeof(max), "b", 64);
    repeat(over, sizeof(over), "c", 65);
    const struct name_case t[] = {
        {"a", NULL},
        {"0", NULL},
        {"9lives", NULL},
        {"acme-payroll_2", NULL},
        {max, NULL},
        {"", "BUSINESS_NAME_FORMAT"},
        {over, "BUSINESS_NAME_FORMAT"},
        {"Acme", "BUSINESS_NAME_FORMAT"},
        {"ACME2", "BUSINESS_NAME_FORMAT"},
        {"-acme", "BUSINESS_NAME_FORMAT"},
        {"_acme", "BUSINESS_NAME_FORMAT"},
        {".acme", "BUSINESS_NAME_FORMAT"},
        {"acme.", "BUSINESS_NAME_FORMAT"},
        {"ac me", "BUSINESS_NAME_FORMAT"},
        {"acme/x", "BUSINESS_NAME_FORMAT"},
        {"..", "BUSINESS_NAME_FORMAT"},
        {"../etc", "BUSINESS_NAME_FORMAT"},
        {"acm\xc3\xa9", "BUSINESS_NAME_FORMAT"},
        {"acme\n", "BUSINESS_NAME_FORMAT"},
        {"ac\x01me", "BUSINESS_NAME_FORMAT"},
    };
    for (size_t i = 0; i < NELEM(t); i++) {
        struct ps_business b, got;
        struct ps_err err;
        long before = all_rows(fx);
        ps_err_clear(&err);
        memset(&b, 0, sizeof(b));
        int rc = ps_business_add(fx->eng, t[i].name, NULL, NULL, &b, &err);
        if (t[i].rule == NULL) {
            check_ok(t[i].name, rc, &err);
            assert_true(ps_id_valid(b.id));
            assert_string_equal(b.name, t[i].name);
            /* No display name: the name stands in. */
            assert_string_equal(b.display_name, t[i].name);
            assert_string_equal(b.parent_id, "");
            assert_int_equal(b.status, PS_STATUS_ACTIVE);
            check_ok(t[i].name,
                     ps_business_find(fx->eng, t[i].name, &got, &err), &err);
            assert_string_equal(got.id, b.id);
        } else {
            char label[64];
            snprintf(label, sizeof(label), "business name #%zu", i);
            check_err(label, rc, &err, PS_EINVAL, t[i].rule, "name");
            assert_int_equal(all_rows(fx), before);
        }
    }
}

static void test_business_display_name(void **state)
{
    struct fixture *fx = *state;
    struct ps_business b;
    struct ps_err err;
    ps_err_clear(&err);
    check_ok("display",
             ps_business_add(fx->eng, "initech", "Initech Caf\xc3\xa9", NULL,
                             &b, &err),
             &err);
    assert_string_equal(b.display_name, "Initech Caf\xc3\xa9");
    /* 1..128 characters. */
    char long_name[200];
    repeat(long_name, sizeof(long_name), "d", 128);
    check_ok("display 128",
             ps_business_add(fx->eng, "initech-2", long_name, NULL, &b, &err),
             &err);
    assert_string_equal(b.display_name, long_name);
    repeat(long_name, sizeof(long_name), "d", 129);
    check_err("display 129",
              ps_business_add(fx->eng, "hooli", long_name, NULL, &b, &err),
              &err, PS_EINVAL, "TEXT_LENGTH", "displayName");
    check_err("display control",
              ps_business_add(fx->eng, "hooli", "Hoo\x01li", NULL, &b, &err),
              &err, PS_EINVAL, "TEXT_ENCODING", "displayName");
    check_err("display bad utf-8",
              ps_business_add(fx->eng, "hooli", "Hoo\xffli", NULL, &b, &err),
              &err, PS_EINVAL, "TEXT_ENCODING", "displayName");
    assert_int_equal(ps_business_find(fx->eng, "hooli", &b, &err),
                     PS_ENOTFOUND);
    assert_string_equal(err.rule, "BUSINESS_NOT_FOUND");
}

static void test_business_duplicate_and_parent(void **state)
{
    struct fixture *fx = *state;
    struct ps_business b, got;
    struct ps_err err;
    long before = all_rows(fx);
    ps_err_clear(&err);

    check_err("duplicate",
              ps_business_add(fx->eng, "acme", "Another Acme", NULL, &b, &err),
              &err, PS_ECONFLICT, "BUSINESS_EXISTS", NULL);
    assert_int_equal(all_rows(fx), before);
    check_ok("find", ps_business_find(fx->eng, "acme", &got, &err), &err);
    assert_string_equal(got.id, fx->acme.id);
    assert_string_equal(got.display_name, "Acme Payroll");

    /* Parent by name and by id. */
    check_ok("child by name",
             ps_business_add(fx->eng, "acme-east", NULL, "acme", &b, &err),
             &err);
    assert_string_equal(b.parent_id, fx->acme.id);
    check_ok("find child", ps_business_find(fx->eng, b.id, &got, &err), &err);
    assert_string_equal(got.parent_id, fx->acme.id);
    check_ok("child by id",
             ps_business_add(fx->eng, "acme-west", NULL, fx->acme.id, &b, &err),
             &err);
    assert_string_equal(b.parent_id, fx->acme.id);
    /* A grandchild names its own parent, not the top. */
    struct ps_business east;
    check_ok("find east", ps_business_find(fx->eng, "acme-east", &east, &err),
             &err);
    check_ok(
        "grandchild",
        ps_business_add(fx->eng, "acme-east-1", NULL, "acme-east", &b, &err),
        &err);
    assert_string_equal(b.parent_id, east.id);
    /* "" is no parent. */
    check_ok("empty parent",
             ps_business_add(fx->eng, "solo", NULL, "", &b, &err), &err);
    assert_string_equal(b.parent_id, "");

    before = all_rows(fx);
    check_err(
        "unknown parent",
        ps_business_add(fx->eng, "orphan", NULL, "no-such-business", &b, &err),
        &err, PS_ENOTFOUND, "PARENT_NOT_FOUND", NULL);
    assert_non_null(strstr(err.msg, "no-such-business"));
    assert_int_equal(all_rows(fx), before);
    assert_int_equal(ps_business_find(fx->eng, "orphan", &b, &err),
                     PS_ENOTFOUND);
}

/* ---- INDIVIDUAL customers: one field per row -------------------------- */

enum cfield { F_FIRST, F_MIDDLE, F_LAST, F_EMAIL, F_PHONE, F_EXTID };

struct cust_case {
    enum cfield f;
    const char *value;
    const char *rule; /* NULL: accepted and stored as given */
};

static const char *cfield_name(enum cfield f)
{
    static const char *const names[] = {
        "firstName", "middleName", "lastName", "email", "phone", "externalId"};
    return names[f];
}

/* Where field f lives in c, and how big it is. */
static char *cfield_ptr(struct ps_customer *c, enum cfield f, size_t *size)
{
    switch (f) {
    case F_FIRST:
        *size = sizeof(c->first_name);
        return c->first_name;
    case F_MIDDLE:
        *size = sizeof(c->middle_name);
        return c->middle_name;
    case F_LAST:
        *size = sizeof(c->last_name);
        return c->last_name;
    case F_EMAIL:
        *size = sizeof(c->email);
        return c->email;
    case F_PHONE:
        *size = sizeof(c->phone);
        return c->phone;
    case F_EXTID:
        *size = sizeof(c->external_id);
        return c->external_id;
    }
    fail_msg("bad field %d", (int)f);
    return NULL;
}

static void run_customer_cases(struct fixture *fx, const struct cust_case *t,
                               size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        struct ps_customer c, got;
        struct ps_err err;
        char ext[32], label[96];
        size_t size;
        snprintf(ext, sizeof(ext), "c-%d", ++fx->seq);
        snprintf(label, sizeof(label), "%s #%zu (%s)", what, i,
                 cfield_name(t[i].f));
        individual(&c, &fx->acme, ext);
        char *dst = cfield_ptr(&c, t[i].f, &size);
        if (strlen(t[i].value) >= size)
            fail_msg("%s: the test value does not fit the field", label);
        ps_strlcpy(dst, t[i].value, size);

        long before = all_rows(fx);
        ps_err_clear(&err);
        int rc = ps_customer_create(fx->eng, &c, NULL, 0, NULL, 0, NULL, &err);
        if (t[i].rule != NULL) {
            check_err(label, rc, &err, PS_EINVAL, t[i].rule,
                      cfield_name(t[i].f));
            assert_int_equal(all_rows(fx), before);
            /* The same answer from the validator alone. */
            ps_err_clear(&err);
            rc = ps_customer_validate(&c, NULL, 0, NULL, 0, &err);
            check_err(label, rc, &err, PS_EINVAL, t[i].rule,
                      cfield_name(t[i].f));
            continue;
        }
        check_ok(label, rc, &err);
        assert_true(ps_id_valid(c.id));
        assert_int_equal(c.status, PS_STATUS_ACTIVE);
        assert_string_equal(c.business_id, fx->acme.id);
        assert_int_equal(all_rows(fx), before + 1);
        check_ok(label, ps_store_customer_get(fx->eng->store, c.id, &got, &err),
                 &err);
        if (strcmp(cfield_ptr(&got, t[i].f, &size), t[i].value) != 0)
            fail_msg("%s: stored \"%s\", want \"%s\"", label,
                     cfield_ptr(&got, t[i].f, &size), t[i].value);
        assert_string_equal(got.external_id, c.external_id);
        assert_int_equal(got.type, PS_CUSTOMER_INDIVIDUAL);
    }
}

static void test_individual_names(void **state)
{
    struct fixture *fx = *state;
    char a40[48], e20[48], mix38[96];
    repeat(a40, sizeof(a40), "a", 40);
    /* 20 code points in 40 bytes: counted as 20, not 40. */
    repeat(e20, sizeof(e20), "\xc3\xa9", 20);
    /* 1- and 2-byte mixed: 36 ASCII and "\u00f1\u00fc" are 38 code points
     * in 40 bytes. */
    snprintf(mix38, sizeof(mix38), "%.*s\xc3\xb1\xc3\xbc", 36, a40);
    const struct cust_case t[] = {
        {F_FIRST, a40, NULL},
        {F_FIRST, e20, NULL},
        {F_FIRST, mix38, NULL},
        {F_FIRST, "Jos\xc3\xa9", NULL},
        {F_FIRST, "Zo\xc3\xab-\xc3\x85nne", NULL},
        {F_FIRST, "\xe7\x8e\x8b", NULL},     /* 3-byte CJK */
        {F_FIRST, "\xf0\x9f\x98\x80", NULL}, /* 4-byte */
        {F_FIRST, "A", NULL},
        {F_FIRST, "", "TEXT_LENGTH"},
        {F_FIRST, "Ann\tMarie", "TEXT_ENCODING"},
        {F_FIRST, "Ann\nMarie", "TEXT_ENCODING"},
        {F_FIRST, "Ann\rMarie", "TEXT_ENCODING"},
        {F_FIRST, "Ann\x7f", "TEXT_ENCODING"},
        {F_FIRST, "\x1b[31mRed", "TEXT_ENCODING"},
        {F_FIRST, "\x01", "TEXT_ENCODING"},
        {F_FIRST, "Jos\xc3", "TEXT_ENCODING"},  /* cut sequence */
        {F_FIRST, "Jos\xe9", "TEXT_ENCODING"},  /* Latin-1 */
        {F_FIRST, "\xc3\x28", "TEXT_ENCODING"}, /* bad continuation */
        {F_FIRST, "\x80", "TEXT_ENCODING"},     /* lone continuation */
        {F_FIRST, "\xc0\xaf", "TEXT_ENCODING"}, /* overlong '/' */
        {F_FIRST, "\xc1\xbf", "TEXT_ENCODING"}, /* overlong */
        {F_FIRST, "\xff\xfe", "TEXT_ENCODING"},
        {F_FIRST, "\xf5\x80\x80\x80", "TEXT_ENCODING"}, /* > U+10FFFF */
        {F_FIRST, "\xe7\x8e", "TEXT_ENCODING"},         /* cut 3-byte */
        {F_FIRST, "\xf0\x9f\x98", "TEXT_ENCODING"},     /* cut 4-byte */
        {F_MIDDLE, "", NULL},                           /* optional */
        {F_MIDDLE, "Q", NULL},
        {F_MIDDLE, a40, NULL},
        {F_MIDDLE, e20, NULL},
        {F_MIDDLE, "Q\r", "TEXT_ENCODING"},
        {F_MIDDLE, "\xc3\x28", "TEXT_ENCODING"},
        {F_LAST, "O'Brien-Smith", NULL},
        {F_LAST, "\xc5\x81ukasiewicz", NULL},
        {F_LAST, a40, NULL},
        {F_LAST, "", "TEXT_LENGTH"},
        {F_LAST, "Smith\x01", "TEXT_ENCODING"},
        {F_LAST, "Sm\xffith", "TEXT_ENCODING"},
    };
    run_customer_cases(fx, t, NELEM(t), "name");
}

static void test_individual_email(void **state)
{
    struct fixture *fx = *state;
    static const struct cust_case t[] = {
        {F_EMAIL, "alice@example.com", NULL},
        {F_EMAIL, "a.b+tag@mail.example.co.uk", NULL},
        {F_EMAIL, "x@y.io", NULL},
        {F_EMAIL, "", "EMAIL_FORMAT"},
        {F_EMAIL, "alice.example.com", "EMAIL_FORMAT"},     /* no @ */
        {F_EMAIL, "alice@bob@example.com", "EMAIL_FORMAT"}, /* two @ */
        {F_EMAIL, "alice@example", "EMAIL_FORMAT"},         /* no dot */
        {F_EMAIL, "alice@localhost", "EMAIL_FORMAT"},
        {F_EMAIL, "alice smith@example.com", "EMAIL_FORMAT"},
        {F_EMAIL, "alice@exa mple.com", "EMAIL_FORMAT"},
        {F_EMAIL, " alice@example.com", "EMAIL_FORMAT"},
        {F_EMAIL, "alice@example.com ", "EMAIL_FORMAT"},
        {F_EMAIL, "alice\t@example.com", "EMAIL_FORMAT"},
        {F_EMAIL, "alice@.example.com", "EMAIL_FORMAT"}, /* leading dot */
        {F_EMAIL, "alice@example.com.", "EMAIL_FORMAT"}, /* trailing dot */
        {F_EMAIL, "@example.com", "EMAIL_FORMAT"},       /* no local part */
        {F_EMAIL, "alice@", "EMAIL_FORMAT"},
        {F_EMAIL, "<alice@example.com>", "EMAIL_FORMAT"},
        {F_EMAIL, "alice,bob@example.com", "EMAIL_FORMAT"},
        {F_EMAIL, "\"alice\"@example.com", "EMAIL_FORMAT"},
        {F_EMAIL, "alice@example.com\n", "TEXT_ENCODING"},
    };
    run_customer_cases(fx, t, NELEM(t), "email");
}

static void test_individual_phone(void **state)
{
    struct fixture *fx = *state;
    static const struct cust_case t[] = {
        {F_PHONE, "+14155550123", NULL},
        {F_PHONE, "+447911123456", NULL},
        {F_PHONE, "+123456789012345", NULL}, /* 15 digits: the E.164 max */
        {F_PHONE, "+12", NULL},
        {F_PHONE, "", "PHONE_FORMAT"},
        {F_PHONE, "+", "PHONE_FORMAT"},
        {F_PHONE, "+1", "PHONE_FORMAT"},
        {F_PHONE, "14155550123", "PHONE_FORMAT"},  /* no + */
        {F_PHONE, "+04155550123", "PHONE_FORMAT"}, /* leading 0 */
        {F_PHONE, "+0", "PHONE_FORMAT"},
        {F_PHONE, "+1415555O123", "PHONE_FORMAT"}, /* letter O */
        {F_PHONE, "+1415555012x", "PHONE_FORMAT"},
        {F_PHONE, "+1 4155550123", "PHONE_FORMAT"},
        {F_PHONE, "+1-415-5550123", "PHONE_FORMAT"},
        {F_PHONE, "+(415)5550123", "PHONE_FORMAT"},
        {F_PHONE, "++14155550123", "PHONE_FORMAT"},
        {F_PHONE, "0014155550123", "PHONE_FORMAT"},
        {F_PHONE, "+14155550123 ", "PHONE_FORMAT"},
    };
    run_customer_cases(fx, t, NELEM(t), "phone");
}

static void test_individual_external_id(void **state)
{
    struct fixture *fx = *state;
    char max[80];
    repeat(max, sizeof(max), "9", 64);
    const struct cust_case t[] = {
        {F_EXTID, max, NULL},
        {F_EXTID, "E-000123/x.y_z", NULL},
        {F_EXTID, "1", NULL},
        {F_EXTID, "", "EXTERNAL_ID_FORMAT"},
        {F_EXTID, "emp 1", "EXTERNAL_ID_FORMAT"},
        {F_EXTID, " emp1", "EXTERNAL_ID_FORMAT"},
        {F_EXTID, "emp\t1", "EXTERNAL_ID_FORMAT"},
        {F_EXTID, "emp\n", "EXTERNAL_ID_FORMAT"},
        {F_EXTID, "emp\x7f", "EXTERNAL_ID_FORMAT"},
        {F_EXTID, "emp\xc3\xa9", "EXTERNAL_ID_FORMAT"},
    };
    run_customer_cases(fx, t, NELEM(t), "externalId");
}

static void test_external_id_unique_per_business(void **state)
{
    struct fixture *fx = *state;
    struct ps_customer c1, c2, c3, got;
    struct ps_err err;
    make_individual(fx, &fx->acme, "emp-1", &c1);
    long before = all_rows(fx);

    individual(&c2, &fx->acme, "emp-1");
    ps_strlcpy(c2.first_name, "Other", sizeof(c2.first_name));
    ps_err_clear(&err);
    check_err("same business",
              ps_customer_create(fx->eng, &c2, NULL, 0, NULL, 0, NULL, &err),
              &err, PS_ECONFLICT, "CUSTOMER_EXISTS", "externalId");
    assert_int_equal(all_rows(fx), before);
    check_ok("get", ps_store_customer_get(fx->eng->store, c1.id, &got, &err),
             &err);
    assert_string_equal(got.first_name, "Maria");

    /* Another business has its own namespace. */
    individual(&c3, &fx->globex, "emp-1");
    check_ok("other business",
             ps_customer_create(fx->eng, &c3, NULL, 0, NULL, 0, NULL, &err),
             &err);
    assert_string_not_equal(c3.id, c1.id);
    assert_string_equal(c3.business_id, fx->globex.id);
    check_ok("get_ext",
             ps_store_customer_get_ext(fx->eng->store, fx->globex.id, "emp-1",
                                       &got, &err),
             &err);
    assert_string_equal(got.id, c3.id);

    /* The business can be named instead of given by id. */
    individual(&c2, &fx->acme, "emp-2");
    ps_strlcpy(c2.business_id, "acme", sizeof(c2.business_id));
    check_ok("by name",
             ps_customer_create(fx->eng, &c2, NULL, 0, NULL, 0, NULL, &err),
             &err);
    assert_string_equal(c2.business_id, fx->acme.id);

    before = all_rows(fx);
    individual(&c2, &fx->acme, "emp-3");
    ps_strlcpy(c2.business_id, "no-such-business", sizeof(c2.business_id));
    check_err("unknown business",
              ps_customer_create(fx->eng, &c2, NULL, 0, NULL, 0, NULL, &err),
              &err, PS_ENOTFOUND, "BUSINESS_NOT_FOUND", NULL);
    assert_int_equal(all_rows(fx), before);
}

/* ---- BUSINESS customers and contacts -------------------------------- */

static void contact(struct ps_contact *k, int primary, const char *first)
{
    memset(k, 0, sizeof(*k));
    k->primary = primary;
    ps_strlcpy(k->first_name, first, sizeof(k->first_name));
    ps_strlcpy(k->last_name, "Okafor", sizeof(k->last_name));
    ps_strlcpy(k->email, "ops@globex.example", sizeof(k->email));
    ps_strlcpy(k->phone, "+442071838750", sizeof(k->phone));
}

static void business_customer(struct ps_customer *c,
                              const struct ps_business *b, const char *ext)
{
    memset(c, 0, sizeof(*c));
    ps_strlcpy(c->business_id, b->id, sizeof(c->business_id));
    ps_strlcpy(c->external_id, ext, sizeof(c->external_id));
    c->type = PS_CUSTOMER_BUSINESS;
    ps_strlcpy(c->dba_name, "Globex Caf\xc3\xa9s", sizeof(c->dba_name));
}

struct contact_count {
    int n, primaries;
    char primary_first[PS_PERSON_SIZE];
};

static int count_contact(void *ctx, const struct ps_contact *k)
{
    struct contact_count *cc = ctx;
    cc->n++;
    if (k->primary) {
        cc->primaries++;
        ps_strlcpy(cc->primary_first, k->first_name, sizeof(cc->primary_first));
    }
    return 0;
}

/* How a contact row is broken. */
enum kbreak { K_OK, K_FIRST_EMPTY, K_LAST_CTRL, K_EMAIL, K_PHONE };

struct biz_case {
    const char *label;
    const char *dba;
    int nprimary, nother;
    enum kbreak brk; /* applied to the last contact */
    const char *rule;
    const char *field;
};

static void test_business_customers(void **state)
{
    struct fixture *fx = *state;
    static const struct biz_case t[] = {
        {"one primary", "Globex", 1, 0, K_OK, NULL, NULL},
        {"primary and two more", "Globex", 1, 2, K_OK, NULL, NULL},
        {"no dba", "", 1, 0, K_OK, "TEXT_LENGTH", "dbaName"},
        {"dba control",
         "Glo\x02"
         "bex",
         1, 0, K_OK, "TEXT_ENCODING", "dbaName"},
        {"no contacts", "Globex", 0, 0, K_OK, "PRIMARY_CONTACT", "contacts"},
        {"no primary", "Globex", 0, 2, K_OK, "PRIMARY_CONTACT", "contacts"},
        {"two primaries", "Globex", 2, 0, K_OK, "PRIMARY_CONTACT", "contacts"},
        {"two primaries and more", "Globex", 2, 1, K_OK, "PRIMARY_CONTACT",
         "contacts"},
        {"contact first empty", "Globex", 1, 1, K_FIRST_EMPTY, "TEXT_LENGTH",
         "contact.firstName"},
        {"contact last control", "Globex", 1, 0, K_LAST_CTRL, "TEXT_ENCODING",
         "contact.lastName"},
        {"contact email", "Globex", 1, 1, K_EMAIL, "EMAIL_FORMAT",
         "contact.email"},
        {"contact phone", "Globex", 1, 0, K_PHONE, "PHONE_FORMAT",
         "contact.phone"},
    };
    for (size_t i = 0; i < NELEM(t); i++) {
        struct ps_customer c, got;
        struct ps_contact k[4];
        struct ps_err err;
        struct contact_count cc;
        char ext[32];
        size_t nk = 0;
        snprintf(ext, sizeof(ext), "biz-%zu", i);
        business_customer(&c, &fx->globex, ext);
        ps_strlcpy(c.dba_name, t[i].dba, sizeof(c.dba_name));
        for (int j = 0; j < t[i].nprimary; j++, nk++)
            contact(&k[nk], 1, "Primary");
        for (int j = 0; j < t[i].nother; j++, nk++)
            contact(&k[nk], 0, "Other");
        if (nk > 0) {
            struct ps_contact *last = &k[nk - 1];
            switch (t[i].brk) {
            case K_OK:
                break;
            case K_FIRST_EMPTY:
                last->first_name[0] = '\0';
                break;
            case K_LAST_CTRL:
                ps_strlcpy(last->last_name,
                           "Oka\x1b"
                           "for",
                           sizeof(last->last_name));
                break;
            case K_EMAIL:
                ps_strlcpy(last->email, "ops.globex.example",
                           sizeof(last->email));
                break;
            case K_PHONE:
                ps_strlcpy(last->phone, "020 7183 8750", sizeof(last->phone));
                break;
            }
        }
        long before = all_rows(fx);
        ps_err_clear(&err);
        int rc = ps_customer_create(fx->eng, &c, k, nk, NULL, 0, NULL, &err);
        if (t[i].rule != NULL) {
            check_err(t[i].label, rc, &err, PS_EINVAL, t[i].rule, t[i].field);
            assert_int_equal(all_rows(fx), before);
            continue;
        }
        check_ok(t[i].label, rc, &err);
        assert_int_equal(all_rows(fx), before + 1 + (long)nk);
        check_ok(t[i].label,
                 ps_store_customer_get(fx->eng->store, c.id, &got, &err), &err);
        assert_int_equal(got.type, PS_CUSTOMER_BUSINESS);
        assert_string_equal(got.dba_name, t[i].dba);
        memset(&cc, 0, sizeof(cc));
        check_ok(t[i].label,
                 ps_store_customer_contacts(fx->eng->store, c.id, count_contact,
                                            &cc, &err),
                 &err);
        assert_int_equal(cc.n, (int)nk);
        assert_int_equal(cc.primaries, 1);
        assert_string_equal(cc.primary_first, "Primary");
    }
}

static void test_customer_type_and_contacts(void **state)
{
    struct fixture *fx = *state;
    struct ps_customer c;
    struct ps_contact k;
    struct ps_err err;
    long before = all_rows(fx);
    individual(&c, &fx->acme, "ind-with-contact");
    contact(&k, 1, "Primary");
    ps_err_clear(&err);
    check_err("individual with contacts",
              ps_customer_create(fx->eng, &c, &k, 1, NULL, 0, NULL, &err), &err,
              PS_EINVAL, "CONTACTS_NOT_ALLOWED", "contacts");
    individual(&c, &fx->acme, "bad-type");
    c.type = PS_CUSTOMER_TYPE_N;
    check_err("unknown type",
              ps_customer_create(fx->eng, &c, NULL, 0, NULL, 0, NULL, &err),
              &err, PS_EINVAL, "CUSTOMER_TYPE", "type");
    assert_int_equal(all_rows(fx), before);
}

/* ---- addresses ------------------------------------------------------ */

enum abreak {
    A_OK,
    A_TYPE,
    A_LINE1_EMPTY,
    A_LINE1_CTRL,
    A_LINE2_CTRL,
    A_CITY_EMPTY,
    A_CITY_UTF8,
    A_REGION_CTRL,
    A_POSTAL_CTRL,
    A_COUNTRY
};

struct addr_case {
    enum abreak brk;
    const char *country;
    const char *rule;
    const char *field;
};

static void address(struct ps_address *a, enum ps_address_type type)
{
    memset(a, 0, sizeof(*a));
    a->type = type;
    ps_strlcpy(a->line1, "1 Market St", sizeof(a->line1));
    ps_strlcpy(a->line2, "Suite 200", sizeof(a->line2));
    ps_strlcpy(a->city, "San Francisco", sizeof(a->city));
    ps_strlcpy(a->region, "CA", sizeof(a->region));
    ps_strlcpy(a->postal_code, "94105", sizeof(a->postal_code));
    ps_strlcpy(a->country, "US", sizeof(a->country));
}

static int count_address(void *ctx, const struct ps_address *a)
{
    int *n = ctx;
    (void)a;
    (*n)++;
    return 0;
}

static int count_addresses(struct fixture *fx, const char *customer_id)
{
    struct ps_err err;
    int n = 0;
    ps_err_clear(&err);
    check_ok("addresses",
             ps_store_customer_addresses(fx->eng->store, customer_id,
                                         count_address, &n, &err),
             &err);
    return n;
}

static void test_addresses(void **state)
{
    struct fixture *fx = *state;
    char line128[140];
    repeat(line128, sizeof(line128), "x", 128);
    static const struct addr_case t[] = {
        {A_OK, "US", NULL, NULL},
        {A_OK, "GB", NULL, NULL},
        {A_COUNTRY, "us", "COUNTRY_FORMAT", "address.country"},
        {A_COUNTRY, "U", "COUNTRY_FORMAT", "address.country"},
        {A_COUNTRY, "", "COUNTRY_FORMAT", "address.country"},
        {A_COUNTRY, "U1", "COUNTRY_FORMAT", "address.country"},
        {A_COUNTRY, "U ", "COUNTRY_FORMAT", "address.country"},
        {A_TYPE, "US", "ADDRESS_TYPE", "address.type"},
        {A_LINE1_EMPTY, "US", "TEXT_LENGTH", "address.line1"},
        {A_LINE1_CTRL, "US", "TEXT_ENCODING", "address.line1"},
        {A_LINE2_CTRL, "US", "TEXT_ENCODING", "address.line2"},
        {A_CITY_EMPTY, "US", "TEXT_LENGTH", "address.city"},
        {A_CITY_UTF8, "US", "TEXT_ENCODING", "address.city"},
        {A_REGION_CTRL, "US", "TEXT_ENCODING", "address.region"},
        {A_POSTAL_CTRL, "US", "TEXT_ENCODING", "address.postalCode"},
    };
    for (size_t i = 0; i < NELEM(t); i++) {
        struct ps_customer c;
        struct ps_address a[2];
        struct ps_err err;
        char ext[32], label[48];
        snprintf(ext, sizeof(ext), "addr-%zu", i);
        snprintf(label, sizeof(label), "address #%zu", i);
        individual(&c, &fx->acme, ext);
        /* The broken one second: every address is checked. */
        address(&a[0], PS_ADDR_HOME);
        address(&a[1], PS_ADDR_MAILING);
        struct ps_address *b = &a[1];
        ps_strlcpy(b->country, t[i].country, sizeof(b->country));
        switch (t[i].brk) {
        case A_OK:
        case A_COUNTRY:
            break;
        case A_TYPE:
            b->type = PS_ADDR_N;
            break;
        case A_LINE1_EMPTY:
            b->line1[0] = '\0';
            break;
        case A_LINE1_CTRL:
            ps_strlcpy(b->line1, "1 Market\nSt", sizeof(b->line1));
            break;
        case A_LINE2_CTRL:
            ps_strlcpy(b->line2, "Suite\t200", sizeof(b->line2));
            break;
        case A_CITY_EMPTY:
            b->city[0] = '\0';
            break;
        case A_CITY_UTF8:
            ps_strlcpy(b->city, "S\xe3o Paulo", sizeof(b->city));
            break;
        case A_REGION_CTRL:
            ps_strlcpy(b->region,
                       "C\x7f"
                       "A",
                       sizeof(b->region));
            break;
        case A_POSTAL_CTRL:
            ps_strlcpy(b->postal_code, "94105\r", sizeof(b->postal_code));
            break;
        }
        long before = all_rows(fx);
        ps_err_clear(&err);
        int rc = ps_customer_create(fx->eng, &c, NULL, 0, a, 2, NULL, &err);
        if (t[i].rule != NULL) {
            check_err(label, rc, &err, PS_EINVAL, t[i].rule, t[i].field);
            assert_int_equal(all_rows(fx), before);
            continue;
        }
        check_ok(label, rc, &err);
        assert_int_equal(count_addresses(fx, c.id), 2);
    }

    /* The longest line, and the optional fields empty. */
    struct ps_customer c;
    struct ps_address a;
    struct ps_err err;
    individual(&c, &fx->acme, "addr-long");
    address(&a, PS_ADDR_BILLING);
    ps_strlcpy(a.line1, line128, sizeof(a.line1));
    a.line2[0] = a.region[0] = a.postal_code[0] = '\0';
    ps_err_clear(&err);
    check_ok("long line",
             ps_customer_create(fx->eng, &c, NULL, 0, &a, 1, NULL, &err), &err);
    assert_int_equal(count_addresses(fx, c.id), 1);
}

/* ---- update --------------------------------------------------------- */

static void test_customer_update(void **state)
{
    struct fixture *fx = *state;
    struct ps_customer c, u, got;
    struct ps_address a;
    struct ps_err err;
    individual(&c, &fx->acme, "upd-1");
    address(&a, PS_ADDR_HOME);
    ps_err_clear(&err);
    check_ok("create",
             ps_customer_create(fx->eng, &c, NULL, 0, &a, 1, NULL, &err), &err);

    /* New profile fields; identity fields are ignored. */
    u = c;
    ps_strlcpy(u.first_name,
               "Mar\xc3\xad"
               "a",
               sizeof(u.first_name));
    u.middle_name[0] = '\0';
    ps_strlcpy(u.last_name, "Gonz\xc3\xa1lez", sizeof(u.last_name));
    ps_strlcpy(u.email, "maria@example.org", sizeof(u.email));
    ps_strlcpy(u.phone, "+34911234567", sizeof(u.phone));
    ps_strlcpy(u.external_id, "hijacked", sizeof(u.external_id));
    ps_strlcpy(u.business_id, fx->globex.id, sizeof(u.business_id));
    u.type = PS_CUSTOMER_BUSINESS;
    u.status = PS_STATUS_SUSPENDED;
    ps_strlcpy(u.created_at, "1999-01-01T00:00:00.000Z", sizeof(u.created_at));
    check_ok("update", ps_customer_update(fx->eng, &u, NULL, 0, NULL, 0, &err),
             &err);
    /* The in/out struct has the identity back. */
    assert_string_equal(u.external_id, "upd-1");
    assert_string_equal(u.business_id, fx->acme.id);
    assert_int_equal(u.type, PS_CUSTOMER_INDIVIDUAL);

    check_ok("get", ps_store_customer_get(fx->eng->store, c.id, &got, &err),
             &err);
    assert_string_equal(got.external_id, "upd-1");
    assert_string_equal(got.business_id, fx->acme.id);
    assert_int_equal(got.type, PS_CUSTOMER_INDIVIDUAL);
    assert_int_equal(got.status, PS_STATUS_ACTIVE);
    assert_string_equal(got.created_at, c.created_at);
    assert_string_equal(got.first_name, "Mar\xc3\xad"
                                        "a");
    assert_string_equal(got.middle_name, "");
    assert_string_equal(got.last_name, "Gonz\xc3\xa1lez");
    assert_string_equal(got.email, "maria@example.org");
    assert_string_equal(got.phone, "+34911234567");
    assert_true(strcmp(got.updated_at, got.created_at) >= 0);
    assert_int_equal(ps_store_customer_get_ext(fx->eng->store, fx->globex.id,
                                               "hijacked", &got, &err),
                     PS_ENOTFOUND);
    /* addresses NULL: kept. */
    assert_int_equal(count_addresses(fx, c.id), 1);

    /* An invalid update changes nothing. */
    u = got;
    check_ok("get", ps_store_customer_get(fx->eng->store, c.id, &u, &err),
             &err);
    ps_strlcpy(u.first_name, "Someone", sizeof(u.first_name));
    ps_strlcpy(u.email, "not-an-email", sizeof(u.email));
    check_err("bad update",
              ps_customer_update(fx->eng, &u, NULL, 0, NULL, 0, &err), &err,
              PS_EINVAL, "EMAIL_FORMAT", "email");
    check_ok("get", ps_store_customer_get(fx->eng->store, c.id, &got, &err),
             &err);
    assert_string_equal(got.first_name, "Mar\xc3\xad"
                                        "a");
    assert_string_equal(got.email, "maria@example.org");

    /* Bad address in an update: refused, the old address stays. */
    check_ok("get", ps_store_customer_get(fx->eng->store, c.id, &u, &err),
             &err);
    ps_strlcpy(a.country, "us", sizeof(a.country));
    check_err("bad address update",
              ps_customer_update(fx->eng, &u, NULL, 0, &a, 1, &err), &err,
              PS_EINVAL, "COUNTRY_FORMAT", "address.country");
    assert_int_equal(count_addresses(fx, c.id), 1);
    /* An empty list (not NULL) replaces: no addresses. */
    check_ok("clear addresses",
             ps_customer_update(fx->eng, &u, NULL, 0, &a, 0, &err), &err);
    assert_int_equal(count_addresses(fx, c.id), 0);

    /* Unknown id. */
    ps_id_new(u.id);
    assert_int_equal(ps_customer_update(fx->eng, &u, NULL, 0, NULL, 0, &err),
                     PS_ENOTFOUND);
}

/* ---- status changes ------------------------------------------------- */

struct hist_row {
    char from[16], to[16], reason[64], file[64];
    long line;
};

/* History rows of one customer or account, oldest first. */
static int read_history(const struct fixture *fx, const char *table,
                        const char *id_col, const char *id,
                        struct hist_row *rows, int max)
{
    char sql[256];
    sqlite3 *db = ps_test_sqlite_open(db_path(fx));
    sqlite3_stmt *st = NULL;
    int n = 0;
    snprintf(sql, sizeof(sql),
             "SELECT coalesce(from_status,''), to_status, coalesce(reason,''),"
             " coalesce(source_file,''), coalesce(source_line,0), created_at"
             " FROM %s WHERE %s = ? ORDER BY id",
             table, id_col);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == max)
            fail_msg("more than %d history rows", max);
        ps_strlcpy(rows[n].from, (const char *)sqlite3_column_text(st, 0),
                   sizeof(rows[n].from));
        ps_strlcpy(rows[n].to, (const char *)sqlite3_column_text(st, 1),
                   sizeof(rows[n].to));
        ps_strlcpy(rows[n].reason, (const char *)sqlite3_column_text(st, 2),
                   sizeof(rows[n].reason));
        ps_strlcpy(rows[n].file, (const char *)sqlite3_column_text(st, 3),
                   sizeof(rows[n].file));
        rows[n].line = (long)sqlite3_column_int64(st, 4);
        assert_true(sqlite3_column_bytes(st, 5) > 0); /* created_at */
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void test_customer_status(void **state)
{
    struct fixture *fx = *state;
    struct ps_customer c, got;
    struct ps_err err;
    struct hist_row h[8];
    const struct ps_source off = {"left the company", "customers.csv", 17};
    const struct ps_source on = {"rehired", NULL, 0};
    make_individual(fx, &fx->acme, "st-1", &c);
    ps_err_clear(&err);

    /* ACTIVE -> ACTIVE is a no-op: refused, no history. */
    check_err(
        "reactivate active",
        ps_customer_set_status(fx->eng, c.id, PS_STATUS_ACTIVE, &on, &err),
        &err, PS_ESTATE, "STATUS_UNCHANGED", NULL);
    assert_int_equal(
        read_history(fx, "customer_history", "customer_id", c.id, h, 8), 0);

    check_ok(
        "suspend",
        ps_customer_set_status(fx->eng, c.id, PS_STATUS_SUSPENDED, &off, &err),
        &err);
    check_ok("get", ps_store_customer_get(fx->eng->store, c.id, &got, &err),
             &err);
    assert_int_equal(got.status, PS_STATUS_SUSPENDED);
    assert_int_equal(
        read_history(fx, "customer_history", "customer_id", c.id, h, 8), 1);
    assert_string_equal(h[0].from, "ACTIVE");
    assert_string_equal(h[0].to, "SUSPENDED");
    assert_string_equal(h[0].reason, "left the company");
    assert_string_equal(h[0].file, "customers.csv");
    assert_int_equal(h[0].line, 17);

    check_err(
        "suspend again",
        ps_customer_set_status(fx->eng, c.id, PS_STATUS_SUSPENDED, &off, &err),
        &err, PS_ESTATE, "STATUS_UNCHANGED", NULL);
    assert_non_null(strstr(err.msg, "st-1"));
    assert_int_equal(
        read_history(fx, "customer_history", "customer_id", c.id, h, 8), 1);

    check_ok("reactivate",
             ps_customer_set_status(fx->eng, c.id, PS_STATUS_ACTIVE, &on, &err),
             &err);
    check_ok("get", ps_store_customer_get(fx->eng->store, c.id, &got, &err),
             &err);
    assert_int_equal(got.status, PS_STATUS_ACTIVE);
    assert_int_equal(
        read_history(fx, "customer_history", "customer_id", c.id, h, 8), 2);
    assert_string_equal(h[1].from, "SUSPENDED");
    assert_string_equal(h[1].to, "ACTIVE");
    assert_string_equal(h[1].reason, "rehired");
    assert_string_equal(h[1].file, "");
    assert_int_equal(h[1].line, 0);

    /* No source at all is fine too. */
    check_ok(
        "suspend, no source",
        ps_customer_set_status(fx->eng, c.id, PS_STATUS_SUSPENDED, NULL, &err),
        &err);
    assert_int_equal(
        read_history(fx, "customer_history", "customer_id", c.id, h, 8), 3);

    char unknown[PS_ID_SIZE];
    assert_int_equal(ps_customer_set_status(fx->eng, ps_id_new(unknown),
                                            PS_STATUS_SUSPENDED, NULL, &err),
                     PS_ENOTFOUND);
}

/* ---- cards ---------------------------------------------------------- */

struct card_case {
    const char *pan;
    const char *rule; /* NULL: accepted */
};

static void test_card_numbers(void **state)
{
    struct fixture *fx = *state;
    struct ps_customer c;
    char d13[24] = "400000000000", d19[24] = "400000000000000000";
    char d12[24] = "40000000000", d20[24] = "4000000000000000000";
    char bad13[24];
    make_individual(fx, &fx->acme, "card-owner", &c);
    luhn_complete(d13);
    luhn_complete(d19);
    luhn_complete(d12);
    luhn_complete(d20);
    ps_strlcpy(bad13, d13, sizeof(bad13));
    bad13[12] = (char)('0' + (bad13[12] - '0' + 1) % 10);
    const struct card_case t[] = {
        {"4111111111111111", NULL},
        {"5555555555554444", NULL},
        {"378282246310005", NULL}, /* 15 digits */
        {d13, NULL},
        {d19, NULL},
        {"4111111111111112", "CARD_LUHN"},
        {"4111111111111121", "CARD_LUHN"}, /* transposed digits */
        {bad13, "CARD_LUHN"},
        {d12, "CARD_FORMAT"}, /* passes Luhn, too short */
        {d20, "CARD_FORMAT"}, /* passes Luhn, too long */
        {"", "CARD_FORMAT"},
        {"4111 1111 1111 1111", "CARD_FORMAT"},
        {"4111-1111-1111-1111", "CARD_FORMAT"},
        {" 4111111111111111", "CARD_FORMAT"},
        {"4111111111111111 ", "CARD_FORMAT"},
        {"411111111111111a", "CARD_FORMAT"},
        {"\xef\xbc\x94"
         "111111111111111",
         "CARD_FORMAT"}, /* fullwidth 4 */
    };
    for (size_t i = 0; i < NELEM(t); i++) {
        struct ps_account a, got;
        struct ps_err err;
        char label[64];
        snprintf(label, sizeof(label), "card #%zu", i);
        long before = all_rows(fx);
        ps_err_clear(&err);
        memset(&a, 0, sizeof(a));
        int rc = ps_account_add_card(fx->eng, c.id, "Debit card", t[i].pan, &a,
                                     &err);
        if (t[i].rule != NULL) {
            check_err(label, rc, &err, PS_EINVAL, t[i].rule, "cardNumber");
            assert_int_equal(all_rows(fx), before);
            /* The refusal never echoes the number in full. */
            if (strlen(t[i].pan) >= 13)
                assert_null(strstr(err.msg, t[i].pan));
            continue;
        }
        size_t n = strlen(t[i].pan);
        check_ok(label, rc, &err);
        assert_true(ps_id_valid(a.id));
        assert_int_equal(a.kind, PS_ACCOUNT_EXTERNAL_CARD);
        assert_int_equal(a.status, PS_STATUS_ACTIVE);
        assert_int_equal(a.bank_type, PS_BANK_NONE);
        assert_string_equal(a.customer_id, c.id);
        assert_string_equal(a.business_id, fx->acme.id);
        assert_memory_equal(a.bin, t[i].pan, 6);
        assert_int_equal(strlen(a.bin), 6);
        assert_string_equal(a.last4, t[i].pan + n - 4);
        assert_int_equal(strlen(a.token), 64);
        assert_int_equal(strspn(a.token, "0123456789abcdef"), 64);
        assert_int_equal(all_rows(fx), before + 1);
        check_ok(label, ps_store_account_get(fx->eng->store, a.id, &got, &err),
                 &err);
        assert_string_equal(got.bin, a.bin);
        assert_string_equal(got.last4, a.last4);
        assert_string_equal(got.token, a.token);
        assert_string_equal(got.display_name, "Debit card");
        assert_int_equal(got.kind, PS_ACCOUNT_EXTERNAL_CARD);
    }
}

static void test_card_other_fields(void **state)
{
    struct fixture *fx = *state;
    struct ps_customer c;
    struct ps_account a;
    struct ps_err err;
    char unknown[PS_ID_SIZE];
    make_individual(fx, &fx->acme, "card-owner", &c);
    long before = all_rows(fx);
    ps_err_clear(&err);
    check_err(
        "no display name",
        ps_account_add_card(fx->eng, c.id, "", "4111111111111111", &a, &err),
        &err, PS_EINVAL, "TEXT_LENGTH", "displayName");
    check_err("display control",
              ps_account_add_card(fx->eng, c.id, "Vi\nsa", "4111111111111111",
                                  &a, &err),
              &err, PS_EINVAL, "TEXT_ENCODING", "displayName");
    /* 1..64 characters, counted in code points: 64 two-byte ones pass,
     * 65 ASCII do not. */
    char name[160];
    repeat(name, sizeof(name), "x", 65);
    check_err(
        "display 65",
        ps_account_add_card(fx->eng, c.id, name, "4111111111111111", &a, &err),
        &err, PS_EINVAL, "TEXT_LENGTH", "displayName");
    assert_int_equal(all_rows(fx), before);
    repeat(name, sizeof(name), "\xc3\xa9", 64);
    check_ok(
        "display 64 accented",
        ps_account_add_card(fx->eng, c.id, name, "4111111111111111", &a, &err),
        &err);
    assert_string_equal(a.display_name, name);
    before = all_rows(fx);
    assert_int_equal(ps_account_add_card(fx->eng, ps_id_new(unknown), "Visa",
                                         "4111111111111111", &a, &err),
                     PS_ENOTFOUND);
    assert_int_equal(all_rows(fx), before);
}

static void test_card_tokens(void **state)
{
    struct fixture *fx = *state;
    struct ps_customer c1, c2, c3;
    struct ps_account a1, a1b, a2, a3, other, found;
    struct ps_err err;
    char tok[PS_TOKEN_SIZE];
    make_individual(fx, &fx->acme, "tok-1", &c1);
    make_individual(fx, &fx->acme, "tok-2", &c2);
    make_individual(fx, &fx->globex, "tok-3", &c3);
    make_card(fx, &c1, "4111111111111111", &a1);
    make_card(fx, &c1, "4111111111111111", &a1b);
    make_card(fx, &c2, "4111111111111111", &a2);
    make_card(fx, &c3, "4111111111111111", &a3);
    make_card(fx, &c1, "5555555555554444", &other);

    /* Same number, same token; another number, another token. */
    assert_string_equal(a1.token, a1b.token);
    assert_string_equal(a1.token, a2.token);
    assert_string_equal(a1.token, a3.token);
    assert_string_not_equal(a1.token, other.token);
    assert_string_not_equal(a1.id, a1b.id);
    assert_null(strstr(a1.token, "4111111111111111"));
    ps_err_clear(&err);
    check_ok("token",
             ps_keys_token(fx->eng->keys, "4111111111111111", tok, &err), &err);
    assert_string_equal(tok, a1.token);
    assert_string_equal(other.bin, "555555");
    assert_string_equal(other.last4, "4444");

    /* Found by token, per customer. */
    check_ok("find",
             ps_store_account_find_token(fx->eng->store, c1.id, other.token,
                                         &found, &err),
             &err);
    assert_string_equal(found.id, other.id);
    assert_int_equal(ps_store_account_find_token(fx->eng->store, c2.id,
                                                 other.token, &found, &err),
                     PS_ENOTFOUND);

    /* The sealed number opens to the PAN with the key. */
    unsigned char sealed[128];
    char plain[64];
    size_t len = 0;
    check_ok("sealed",
             ps_store_account_sealed(fx->eng->store, other.id, sealed,
                                     sizeof(sealed), &len, &err),
             &err);
    assert_int_equal(len, 16 + PS_SEALED_OVERHEAD);
    assert_null(memmem(sealed, len, "5555555555554444", 16));
    memset(plain, 0, sizeof(plain));
    check_ok("open", ps_keys_open(fx->eng->keys, sealed, len, plain, &err),
             &err);
    assert_memory_equal(plain, "5555555555554444", 16);
}

/* The whole of a file, or NULL with *len 0 when it does not exist. */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0;
    *len = 0;
    if (f == NULL)
        return NULL;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    assert_int_equal(ferror(f), 0);
    fclose(f);
    *len = n;
    return buf;
}

/* Is needle anywhere in the database, its WAL or its journal? */
static int in_db_files(const struct fixture *fx, const char *needle,
                       size_t *scanned)
{
    static const char *const suffixes[] = {"", "-wal", "-journal"};
    int found = 0;
    *scanned = 0;
    for (size_t i = 0; i < NELEM(suffixes); i++) {
        char name[64];
        size_t len;
        snprintf(name, sizeof(name), "%s%s", PS_TEST_DB, suffixes[i]);
        unsigned char *b = slurp(ps_test_path(fx->dir, name, 2), &len);
        if (b != NULL && memmem(b, len, needle, strlen(needle)) != NULL)
            found = 1;
        *scanned += len;
        free(b);
    }
    return found;
}

static void test_numbers_never_stored_in_clear(void **state)
{
    struct fixture *fx = *state;
    static const char *const secrets[] = {"4111111111111111",
                                          "5555555555554444", "98765432101234"};
    struct ps_customer c;
    struct ps_account card, card2, bank;
    size_t scanned;
    make_individual(fx, &fx->acme, "pan-owner", &c);
    make_card(fx, &c, secrets[0], &card);
    make_card(fx, &c, secrets[1], &card2);
    make_bank(fx, &c, secrets[2], &bank);

    for (int pass = 0; pass < 2; pass++) {
        /* The scan sees the rows: the token and the last 4 are there. */
        assert_true(in_db_files(fx, card.token, &scanned));
        assert_true(in_db_files(fx, bank.token, &scanned));
        assert_true(scanned > 0);
        for (size_t i = 0; i < NELEM(secrets); i++)
            if (in_db_files(fx, secrets[i], &scanned))
                fail_msg("pass %d: %s found in the database files", pass,
                         secrets[i]);
        /* Again after close: the WAL is checkpointed into the main file. */
        ps_engine_close(fx->eng);
        struct ps_err err;
        ps_err_clear(&err);
        fx->eng = NULL;
        check_ok("reopen",
                 ps_engine_open(db_path(fx),
                                ps_test_path(fx->dir, PS_TEST_KEY, 1), &fx->eng,
                                &err),
                 &err);
    }
}

/* ---- bank accounts -------------------------------------------------- */

struct bank_case {
    const char *routing;
    const char *number;
    enum ps_bank_type type;
    const char *rule; /* NULL: accepted */
    const char *field;
};

static void test_bank_accounts(void **state)
{
    struct fixture *fx = *state;
    struct ps_customer c;
    static const struct bank_case t[] = {
        {"021000021", "000123456789", PS_BANK_CHECKING, NULL, NULL},
        {"011000015", "1234", PS_BANK_SAVINGS, NULL, NULL},
        {"122105155", "12345678901234567", PS_BANK_CHECKING, NULL, NULL},
        {"021000021", "1234-5678", PS_BANK_CHECKING, NULL, NULL},
        {"021000022", "000123456789", PS_BANK_CHECKING, "ABA_CHECK_DIGIT",
         "routingNumber"},
        {"121000359", "000123456789", PS_BANK_CHECKING, "ABA_CHECK_DIGIT",
         "routingNumber"},
        {"02100002", "000123456789", PS_BANK_CHECKING, "ROUTING_FORMAT",
         "routingNumber"},
        {"0210000210", "000123456789", PS_BANK_CHECKING, "ROUTING_FORMAT",
         "routingNumber"},
        {"02100002a", "000123456789", PS_BANK_CHECKING, "ROUTING_FORMAT",
         "routingNumber"},
        {"", "000123456789", PS_BANK_CHECKING, "ROUTING_FORMAT",
         "routingNumber"},
        {"021 000 021", "000123456789", PS_BANK_CHECKING, "ROUTING_FORMAT",
         "routingNumber"},
        {"021000021", "123", PS_BANK_CHECKING, "ACCOUNT_NUMBER_FORMAT",
         "accountNumber"},
        {"021000021", "123456789012345678", PS_BANK_CHECKING,
         "ACCOUNT_NUMBER_FORMAT", "accountNumber"},
        {"021000021", "", PS_BANK_CHECKING, "ACCOUNT_NUMBER_FORMAT",
         "accountNumber"},
        {"021000021", "-1234", PS_BANK_CHECKING, "ACCOUNT_NUMBER_FORMAT",
         "accountNumber"},
        {"021000021", "1234-", PS_BANK_CHECKING, "ACCOUNT_NUMBER_FORMAT",
         "accountNumber"},
        {"021000021", "12--34", PS_BANK_CHECKING, "ACCOUNT_NUMBER_FORMAT",
         "accountNumber"},
        {"021000021", "12 34", PS_BANK_CHECKING, "ACCOUNT_NUMBER_FORMAT",
         "accountNumber"},
        {"021000021", "12a45", PS_BANK_CHECKING, "ACCOUNT_NUMBER_FORMAT",
         "accountNumber"},
        {"021000021", "000123456789", PS_BANK_NONE, "BANK_ACCOUNT_TYPE",
         "accountType"},
        {"021000021", "000123456789", PS_BANK_N, "BANK_ACCOUNT_TYPE",
         "accountType"},
    };
    make_individual(fx, &fx->acme, "bank-owner", &c);
    for (size_t i = 0; i < NELEM(t); i++) {
        struct ps_account a, got;
        struct ps_err err;
        char label[64];
        snprintf(label, sizeof(label), "bank #%zu", i);
        long before = all_rows(fx);
        ps_err_clear(&err);
        memset(&a, 0, sizeof(a));
        int rc =
            ps_account_add_bank(fx->eng, c.id, "Payroll checking", t[i].routing,
                                t[i].number, t[i].type, &a, &err);
        if (t[i].rule != NULL) {
            check_err(label, rc, &err, PS_EINVAL, t[i].rule, t[i].field);
            assert_int_equal(all_rows(fx), before);
            continue;
        }
        check_ok(label, rc, &err);
        assert_int_equal(all_rows(fx), before + 1);
        check_ok(label, ps_store_account_get(fx->eng->store, a.id, &got, &err),
                 &err);
        assert_int_equal(got.kind, PS_ACCOUNT_EXTERNAL_BANK);
        assert_string_equal(got.routing_number, t[i].routing);
        assert_int_equal(got.bank_type, t[i].type);
        assert_string_equal(got.bin, "");
        assert_int_equal(got.status, PS_STATUS_ACTIVE);
        assert_string_equal(got.business_id, fx->acme.id);
        assert_int_equal(strlen(got.token), 64);
        if (strchr(t[i].number, '-') == NULL)
            assert_string_equal(got.last4,
                                t[i].number + strlen(t[i].number) - 4);
    }
}

/* ---- account status and debit authorizations --------------------- */

static int send_txn(struct fixture *fx, const struct ps_business *b,
                    const char *customer_id, const char *account_id,
                    enum ps_txn_type type, const char *currency,
                    struct ps_txn *out, struct ps_err *err)
{
    struct ps_txn t;
    memset(&t, 0, sizeof(t));
    ps_strlcpy(t.business_id, b->id, sizeof(t.business_id));
    ps_strlcpy(t.customer_id, customer_id, sizeof(t.customer_id));
    ps_strlcpy(t.account_id, account_id, sizeof(t.account_id));
    t.type = type;
    t.purpose = PS_PURPOSE_PAYMENT;
    t.amount = 12345;
    ps_strlcpy(t.currency, currency, sizeof(t.currency));
    snprintf(t.request_id, sizeof(t.request_id), "req-%d", ++fx->seq);
    /* The wrong rail on purpose: the engine picks it from the account. */
    t.rail = PS_RAIL_N;
    ps_err_clear(err);
    int rc = ps_engine_txn_create(fx->eng, &t, NULL, err);
    if (out != NULL)
        *out = t;
    return rc;
}

static void test_account_status(void **state)
{
    struct fixture *fx = *state;
    struct ps_customer c;
    struct ps_account card, bank, got;
    struct ps_err err;
    struct hist_row h[4];
    const struct ps_source lost = {"card reported lost", "accounts.csv", 3};
    make_individual(fx, &fx->acme, "acct-st", &c);
    make_card(fx, &c, "4111111111111111", &card);
    make_bank(fx, &c, "000123456789", &bank);
    ps_err_clear(&err);

    check_err(
        "reactivate active",
        ps_account_set_status(fx->eng, card.id, PS_STATUS_ACTIVE, NULL, &err),
        &err, PS_ESTATE, "STATUS_UNCHANGED", NULL);
    check_ok("suspend",
             ps_account_set_status(fx->eng, card.id, PS_STATUS_SUSPENDED, &lost,
                                   &err),
             &err);
    check_ok("get", ps_store_account_get(fx->eng->store, card.id, &got, &err),
             &err);
    assert_int_equal(got.status, PS_STATUS_SUSPENDED);
    assert_int_equal(
        read_history(fx, "account_history", "account_id", card.id, h, 4), 1);
    assert_string_equal(h[0].from, "ACTIVE");
    assert_string_equal(h[0].to, "SUSPENDED");
    assert_string_equal(h[0].reason, "card reported lost");
    assert_string_equal(h[0].file, "accounts.csv");
    assert_int_equal(h[0].line, 3);
    check_err("suspend again",
              ps_account_set_status(fx->eng, card.id, PS_STATUS_SUSPENDED,
                                    &lost, &err),
              &err, PS_ESTATE, "STATUS_UNCHANGED", NULL);
    /* The label is the masked number, never the number. */
    assert_non_null(strstr(err.msg, "****1111"));
    assert_int_equal(
        read_history(fx, "account_history", "account_id", card.id, h, 4), 1);

    /* Only the suspended account is blocked. */
    check_err(
        "send to suspended",
        send_txn(fx, &fx->acme, c.id, card.id, PS_TXN_SEND, "USD", NULL, &err),
        &err, PS_EINVAL, "ACCOUNT_SUSPENDED", NULL);
    check_ok(
        "send to the other",
        send_txn(fx, &fx->acme, c.id, bank.id, PS_TXN_SEND, "USD", NULL, &err),
        &err);

    check_ok(
        "reactivate",
        ps_account_set_status(fx->eng, card.id, PS_STATUS_ACTIVE, NULL, &err),
        &err);
    assert_int_equal(
        read_history(fx, "account_history", "account_id", card.id, h, 4), 2);
    assert_string_equal(h[1].from, "SUSPENDED");
    assert_string_equal(h[1].to, "ACTIVE");
    check_ok(
        "send again",
        send_txn(fx, &fx->acme, c.id, card.id, PS_TXN_SEND, "USD", NULL, &err),
        &err);
    assert_int_equal(
        read_history(fx, "account_history", "account_id", bank.id, h, 4), 0);

    char unknown[PS_ID_SIZE];
    assert_int_equal(ps_account_set_status(fx->eng, ps_id_new(unknown),
                                           PS_STATUS_SUSPENDED, NULL, &err),
                     PS_ENOTFOUND);

    /* A suspended customer cannot transact on any account. */
    check_ok(
        "suspend customer",
        ps_customer_set_status(fx->eng, c.id, PS_STATUS_SUSPENDED, NULL, &err),
        &err);
    check_err(
        "send, customer suspended",
        send_txn(fx, &fx->acme, c.id, bank.id, PS_TXN_SEND, "USD", NULL, &err),
        &err, PS_EINVAL, "CUSTOMER_SUSPENDED", NULL);
}

struct auth_list {
    struct ps_debit_auth v[4];
    size_t n;
};

static int keep_auth(void *ctx, const struct ps_debit_auth *a)
{
    struct auth_list *l = ctx;
    if (l->n < sizeof(l->v) / sizeof(l->v[0]))
        l->v[l->n++] = *a;
    return 0;
}

static void test_debit_authorization(void **state)
{
    struct fixture *fx = *state;
    struct ps_customer c;
    struct ps_account card, bank;
    struct ps_txn t;
    struct ps_err err;
    char unknown[PS_ID_SIZE];
    make_individual(fx, &fx->acme, "debtor", &c);
    make_card(fx, &c, "4111111111111111", &card);
    make_bank(fx, &c, "000123456789", &bank);
    ps_err_clear(&err);
    const char *count_sql =
        "SELECT count(*) FROM debit_authorizations WHERE account_id = ?";

    check_err("card",
              ps_account_authorize_debit(fx->eng, card.id, PS_AUTH_PPD, "PPD-1",
                                         &err),
              &err, PS_EINVAL, "DEBIT_NEEDS_BANK_ACCOUNT", NULL);
    check_err(
        "no reference",
        ps_account_authorize_debit(fx->eng, bank.id, PS_AUTH_PPD, "", &err),
        &err, PS_EINVAL, "AUTH_REFERENCE", "reference");
    check_err(
        "NULL reference",
        ps_account_authorize_debit(fx->eng, bank.id, PS_AUTH_WEB, NULL, &err),
        &err, PS_EINVAL, "AUTH_REFERENCE", "reference");
    assert_int_equal(ps_account_authorize_debit(fx->eng, ps_id_new(unknown),
                                                PS_AUTH_PPD, "PPD-1", &err),
                     PS_ENOTFOUND);
    assert_int_equal(count_rows(fx, count_sql, bank.id), 0);
    assert_int_equal(count_rows(fx, count_sql, card.id), 0);

    /* No authorization yet: no DEBIT. */
    check_err(
        "debit before auth",
        send_txn(fx, &fx->acme, c.id, bank.id, PS_TXN_DEBIT, "USD", NULL, &err),
        &err, PS_EINVAL, "NO_DEBIT_AUTHORIZATION", NULL);

    check_ok("authorize",
             ps_account_authorize_debit(fx->eng, bank.id, PS_AUTH_PPD,
                                        "PPD-2026-0001", &err),
             &err);
    assert_int_equal(
        count_rows(fx,
                   "SELECT count(*) FROM debit_authorizations WHERE "
                   "account_id = ? AND status = 'ACTIVE' AND kind = 'PPD' "
                   "AND reference = 'PPD-2026-0001'",
                   bank.id),
        1);
    check_ok(
        "debit",
        send_txn(fx, &fx->acme, c.id, bank.id, PS_TXN_DEBIT, "USD", &t, &err),
        &err);
    assert_int_equal(t.type, PS_TXN_DEBIT);
    assert_int_equal(t.rail, PS_RAIL_ACH);
    assert_int_equal(t.status, PS_TXN_NEW);
    check_err(
        "debit a card",
        send_txn(fx, &fx->acme, c.id, card.id, PS_TXN_DEBIT, "USD", NULL, &err),
        &err, PS_EINVAL, "DEBIT_NEEDS_BANK_ACCOUNT", NULL);

    /* The listing `payspool account show` prints: active, then revoked
     * with its reason and time. */
    struct auth_list al = {0};
    check_ok(
        "list",
        ps_store_debit_auth_list(fx->eng->store, bank.id, keep_auth, &al, &err),
        &err);
    assert_int_equal(al.n, 1);
    assert_int_equal(al.v[0].kind, PS_AUTH_PPD);
    assert_string_equal(al.v[0].reference, "PPD-2026-0001");
    assert_int_equal(al.v[0].active, 1);
    assert_string_equal(al.v[0].revoked_at, "");
    check_ok("revoke",
             ps_store_debit_auth_revoke(fx->eng->store, bank.id,
                                        "R10: customer advises unauthorized",
                                        "2026-11-24T09:00:00.000Z", &err),
             &err);
    al.n = 0;
    check_ok(
        "list again",
        ps_store_debit_auth_list(fx->eng->store, bank.id, keep_auth, &al, &err),
        &err);
    assert_int_equal(al.n, 1);
    assert_int_equal(al.v[0].active, 0);
    assert_string_equal(al.v[0].revoke_reason,
                        "R10: customer advises unauthorized");
    assert_string_equal(al.v[0].revoked_at, "2026-11-24T09:00:00.000Z");
    al.n = 0;
    check_ok(
        "card has none",
        ps_store_debit_auth_list(fx->eng->store, card.id, keep_auth, &al, &err),
        &err);
    assert_int_equal(al.n, 0);
}

/* ---- EWA programs --------------------------------------------------- */

enum pfield {
    P_NONE,
    P_RATE,
    P_MIN,
    P_MAX,
    P_CAP,
    P_OUT,
    P_FEE_CARD,
    P_FEE_ACH,
    P_FEES_BOTH,
    P_BAD_DEBT,
    P_ATTEMPTS, /* fallback on */
    P_ATTEMPTS_NO_FALLBACK,
};

struct prog_case {
    enum pfield f;
    int64_t v;
    const char *rule; /* NULL: accepted */
    const char *field;
};

static void base_program(struct ps_program *p, const char *business,
                         const char *name)
{
    memset(p, 0, sizeof(*p));
    ps_strlcpy(p->business_id, business, sizeof(p->business_id));
    ps_strlcpy(p->name, name, sizeof(p->name));
    ps_strlcpy(p->currency, "USD", sizeof(p->currency));
    p->advance_rate_bp = 5000;
    p->min_transfer = 1000;
    p->max_transfer = 50000;
    p->period_cap = 100000;
    p->max_outstanding = 100000;
    p->fee_card = 299;
    p->fee_ach = 0;
    p->debit_fallback = 1;
    p->max_debit_attempts = 2;
    p->bad_debt_after = 3;
}

static void apply_pfield(struct ps_program *p, enum pfield f, int64_t v)
{
    switch (f) {
    case P_NONE:
        break;
    case P_RATE:
        p->advance_rate_bp = (int)v;
        break;
    case P_MIN:
        p->min_transfer = v;
        break;
    case P_MAX:
        p->max_transfer = v;
        break;
    case P_CAP:
        p->period_cap = v;
        break;
    case P_OUT:
        p->max_outstanding = v;
        break;
    case P_FEE_CARD:
        p->fee_card = v;
        break;
    case P_FEE_ACH:
        p->fee_card = 0;
        p->fee_ach = v;
        break;
    case P_FEES_BOTH:
        p->fee_card = v;
        p->fee_ach = v;
        break;
    case P_BAD_DEBT:
        p->bad_debt_after = (int)v;
        break;
    case P_ATTEMPTS:
        p->debit_fallback = 1;
        p->max_debit_attempts = (int)v;
        break;
    case P_ATTEMPTS_NO_FALLBACK:
        p->debit_fallback = 0;
        p->max_debit_attempts = (int)v;
        break;
    }
}

static void test_program_limits(void **state)
{
    struct fixture *fx = *state;
    static const struct prog_case t[] = {
        {P_NONE, 0, NULL, NULL},
        {P_RATE, 1, NULL, NULL},
        {P_RATE, 10000, NULL, NULL},
        {P_RATE, 0, "PROGRAM_LIMIT", "advanceRate"},
        {P_RATE, -1, "PROGRAM_LIMIT", "advanceRate"},
        {P_RATE, 10001, "PROGRAM_LIMIT", "advanceRate"},
        {P_MIN, 1, NULL, NULL},
        {P_MIN, 50000, NULL, NULL}, /* == max */
        {P_MIN, 0, "PROGRAM_LIMIT", "maxTransfer"},
        {P_MIN, -100, "PROGRAM_LIMIT", "maxTransfer"},
        {P_MIN, 50001, "PROGRAM_LIMIT", "maxTransfer"},
        {P_MAX, 1000, NULL, NULL},
        {P_MAX, 999, "PROGRAM_LIMIT", "maxTransfer"},
        {P_MAX, 0, "PROGRAM_LIMIT", "maxTransfer"},
        {P_CAP, 1000, NULL, NULL},
        {P_CAP, 999, "PROGRAM_LIMIT", "periodCap"},
        {P_CAP, 0, "PROGRAM_LIMIT", "periodCap"},
        {P_OUT, 1000, NULL, NULL},
        {P_OUT, 999, "PROGRAM_LIMIT", "maxOutstanding"},
        {P_OUT, -1, "PROGRAM_LIMIT", "maxOutstanding"},
        {P_FEE_CARD, 0, NULL, NULL},
        {P_FEE_CARD, -1, "PROGRAM_LIMIT", "fee"},
        {P_FEE_ACH, 150, NULL, NULL},
        {P_FEE_ACH, -1, "PROGRAM_LIMIT", "fee"},
        {P_FEES_BOTH, 0, NULL, NULL},
        {P_FEES_BOTH, 1, "NO_FREE_OPTION", "fee"},
        {P_FEES_BOTH, 299, "NO_FREE_OPTION", "fee"},
        {P_BAD_DEBT, 1, NULL, NULL},
        {P_BAD_DEBT, 0, "PROGRAM_LIMIT", "badDebtAfter"},
        {P_BAD_DEBT, -2, "PROGRAM_LIMIT", "badDebtAfter"},
        {P_ATTEMPTS, 1, NULL, NULL},
        {P_ATTEMPTS, 0, "PROGRAM_LIMIT", "maxDebitAttempts"},
        {P_ATTEMPTS, -1, "PROGRAM_LIMIT", "maxDebitAttempts"},
        {P_ATTEMPTS_NO_FALLBACK, 0, NULL, NULL},
        {P_ATTEMPTS_NO_FALLBACK, -1, "PROGRAM_LIMIT", "maxDebitAttempts"},
    };
    for (size_t i = 0; i < NELEM(t); i++) {
        struct ps_program p, got;
        struct ps_err err;
        char name[32], label[48];
        snprintf(name, sizeof(name), "prog-%zu", i);
        snprintf(label, sizeof(label), "program #%zu", i);
        base_program(&p, fx->acme.id, name);
        apply_pfield(&p, t[i].f, t[i].v);
        long before = all_rows(fx);
        ps_err_clear(&err);
        int rc = ps_program_add(fx->eng, &p, &err);
        if (t[i].rule != NULL) {
            check_err(label, rc, &err, PS_EINVAL, t[i].rule, t[i].field);
            assert_int_equal(all_rows(fx), before);
            continue;
        }
        check_ok(label, rc, &err);
        assert_true(ps_id_valid(p.id));
        assert_int_equal(p.status, PS_STATUS_ACTIVE);
        assert_true(p.created_at[0] != '\0');
        assert_int_equal(all_rows(fx), before + 1);
        check_ok(
            label,
            ps_store_program_get(fx->eng->store, fx->acme.id, name, &got, &err),
            &err);
        assert_string_equal(got.id, p.id);
        assert_int_equal(got.advance_rate_bp, p.advance_rate_bp);
        assert_int_equal(got.min_transfer, p.min_transfer);
        assert_int_equal(got.max_transfer, p.max_transfer);
        assert_int_equal(got.fee_card, p.fee_card);
        assert_int_equal(got.fee_ach, p.fee_ach);
        assert_int_equal(got.max_debit_attempts, p.max_debit_attempts);
    }
}

static void test_program_currency_name_business(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        const char *code;
        const char *rule;
    } cur[] = {
        {"USD", NULL},
        {"EUR", NULL},
        {"JPY", NULL},
        {"XYZ", "CURRENCY_UNKNOWN"},
        {"usd", "CURRENCY_UNKNOWN"},
        {"US", "CURRENCY_UNKNOWN"},
        {"", "CURRENCY_UNKNOWN"},
        {"U$D", "CURRENCY_UNKNOWN"},
    };
    struct ps_program p;
    struct ps_err err;
    for (size_t i = 0; i < NELEM(cur); i++) {
        char name[32];
        snprintf(name, sizeof(name), "cur-%zu", i);
        base_program(&p, fx->acme.id, name);
        ps_strlcpy(p.currency, cur[i].code, sizeof(p.currency));
        long before = all_rows(fx);
        ps_err_clear(&err);
        int rc = ps_program_add(fx->eng, &p, &err);
        if (cur[i].rule == NULL) {
            check_ok(cur[i].code, rc, &err);
            assert_string_equal(p.currency, cur[i].code);
        } else {
            check_err(name, rc, &err, PS_EINVAL, cur[i].rule, "currency");
            assert_int_equal(all_rows(fx), before);
        }
    }

    long before = all_rows(fx);
    base_program(&p, fx->acme.id, "");
    check_err("empty name", ps_program_add(fx->eng, &p, &err), &err, PS_EINVAL,
              "TEXT_LENGTH", "name");
    base_program(&p, fx->acme.id, "Instant\tpay");
    check_err("control in name", ps_program_add(fx->eng, &p, &err), &err,
              PS_EINVAL, "TEXT_ENCODING", "name");
    base_program(&p, "no-such-business", "orphan");
    check_err("unknown business", ps_program_add(fx->eng, &p, &err), &err,
              PS_ENOTFOUND, "BUSINESS_NOT_FOUND", NULL);
    assert_int_equal(all_rows(fx), before);

    /* By business name; duplicates per business only. */
    base_program(&p, "acme", "Instant Pay");
    check_ok("by name", ps_program_add(fx->eng, &p, &err), &err);
    assert_string_equal(p.business_id, fx->acme.id);
    before = all_rows(fx);
    base_program(&p, fx->acme.id, "Instant Pay");
    check_err("duplicate", ps_program_add(fx->eng, &p, &err), &err,
              PS_ECONFLICT, "PROGRAM_EXISTS", NULL);
    assert_int_equal(all_rows(fx), before);
    base_program(&p, fx->globex.id, "Instant Pay");
    check_ok("other business", ps_program_add(fx->eng, &p, &err), &err);
    assert_string_equal(p.business_id, fx->globex.id);
}

/* ---- transactions: isolation, currency, rail ------------------------- */

struct txn_case {
    const char *label;
    int biz;  /* 0 acme, 1 globex */
    int cust; /* index into the customers below; -1: an unknown id */
    int acct; /* index into the accounts below; -1: an unknown id */
    const char *currency;
    int code;
    const char *rule;  /* NULL: accepted */
    enum ps_rail rail; /* when accepted */
};

static void test_txn_create_isolation(void **state)
{
    struct fixture *fx = *state;
    /* A (acme): card 0, bank 1; B (acme): card 2; C (globex): card 3. */
    struct ps_customer cu[3];
    struct ps_account ac[4];
    char unknown[PS_ID_SIZE];
    make_individual(fx, &fx->acme, "A", &cu[0]);
    make_individual(fx, &fx->acme, "B", &cu[1]);
    make_individual(fx, &fx->globex, "C", &cu[2]);
    make_card(fx, &cu[0], "4111111111111111", &ac[0]);
    make_bank(fx, &cu[0], "000123456789", &ac[1]);
    make_card(fx, &cu[1], "5555555555554444", &ac[2]);
    make_card(fx, &cu[2], "4111111111111111", &ac[3]);
    ps_id_new(unknown);
    static const struct txn_case t[] = {
        {"A card", 0, 0, 0, "USD", 0, NULL, PS_RAIL_PUSH_TO_CARD},
        {"A bank", 0, 0, 1, "USD", 0, NULL, PS_RAIL_ACH},
        {"A bank EUR", 0, 0, 1, "EUR", 0, NULL, PS_RAIL_ACH},
        {"C card in globex", 1, 2, 3, "USD", 0, NULL, PS_RAIL_PUSH_TO_CARD},
        {"A with B's card", 0, 0, 2, "USD", PS_ENOTFOUND, "ACCOUNT_NOT_FOUND",
         PS_RAIL_N},
        {"B with A's card", 0, 1, 0, "USD", PS_ENOTFOUND, "ACCOUNT_NOT_FOUND",
         PS_RAIL_N},
        {"A with C's card", 0, 0, 3, "USD", PS_ENOTFOUND, "ACCOUNT_NOT_FOUND",
         PS_RAIL_N},
        {"C from acme", 0, 2, 3, "USD", PS_ENOTFOUND, "ACCOUNT_NOT_FOUND",
         PS_RAIL_N},
        {"A from globex", 1, 0, 0, "USD", PS_ENOTFOUND, "ACCOUNT_NOT_FOUND",
         PS_RAIL_N},
        {"C with A's card from globex", 1, 2, 0, "USD", PS_ENOTFOUND,
         "ACCOUNT_NOT_FOUND", PS_RAIL_N},
        {"unknown currency", 0, 0, 0, "XYZ", PS_EINVAL, "CURRENCY_UNKNOWN",
         PS_RAIL_N},
        {"lower-case currency", 0, 0, 0, "usd", PS_EINVAL, "CURRENCY_UNKNOWN",
         PS_RAIL_N},
        {"no currency", 0, 0, 0, "", PS_EINVAL, "CURRENCY_UNKNOWN", PS_RAIL_N},
        {"unknown account", 0, 0, -1, "USD", PS_ENOTFOUND, NULL, PS_RAIL_N},
        {"unknown customer", 0, -1, 0, "USD", PS_ENOTFOUND, NULL, PS_RAIL_N},
    };
    for (size_t i = 0; i < NELEM(t); i++) {
        const struct ps_business *b = t[i].biz ? &fx->globex : &fx->acme;
        const char *cid = t[i].cust < 0 ? unknown : cu[t[i].cust].id;
        const char *aid = t[i].acct < 0 ? unknown : ac[t[i].acct].id;
        struct ps_txn tx, got;
        struct ps_err err;
        long before = all_rows(fx);
        int rc =
            send_txn(fx, b, cid, aid, PS_TXN_SEND, t[i].currency, &tx, &err);
        if (t[i].code != 0) {
            if (rc != t[i].code)
                fail_msg("%s: rc %d, want %d [%s] %s", t[i].label, rc,
                         t[i].code, err.rule, err.msg);
            if (t[i].rule != NULL)
                check_err(t[i].label, rc, &err, t[i].code, t[i].rule,
                          strcmp(t[i].rule, "CURRENCY_UNKNOWN") == 0
                              ? "currency"
                              : NULL);
            assert_int_equal(all_rows(fx), before);
            continue;
        }
        check_ok(t[i].label, rc, &err);
        assert_int_equal(tx.rail, t[i].rail);
        assert_int_equal(tx.status, PS_TXN_NEW);
        assert_true(ps_id_valid(tx.id));
        assert_int_equal(all_rows(fx), before + 1);
        check_ok(t[i].label,
                 ps_store_txn_get(fx->eng->store, tx.id, &got, &err), &err);
        assert_int_equal(got.rail, t[i].rail);
        assert_string_equal(got.account_id, aid);
        assert_string_equal(got.customer_id, cid);
        assert_string_equal(got.business_id, b->id);
        assert_string_equal(got.currency, t[i].currency);
    }
}

/* ---- known defects (see the report): these fail until fixed ---------- */

/* Append "; "-separated text to a problem list (cut when full). */
__attribute__((format(printf, 3, 4))) static void note(char *buf, size_t size,
                                                       const char *fmt, ...)
{
    size_t n = strlen(buf);
    va_list ap;
    if (n > 0 && n + 2 < size) {
        memcpy(buf + n, "; ", 3);
        n += 2;
    }
    va_start(ap, fmt);
    vsnprintf(buf + n, size - n, fmt, ap);
    va_end(ap);
}

/*
 * err may be NULL (err.h), and the return code must not depend on it:
 * engine.c returns ps_err_field(err, ...), which is PS_EINTERNAL for a NULL
 * err, instead of the code it just set.
 */
static void test_null_err_keeps_code(void **state)
{
    struct fixture *fx = *state;
    struct ps_customer c, owner;
    struct ps_program p;
    char problems[512] = "";
    int rc;
    individual(&c, &fx->acme, "null-err");
    ps_strlcpy(c.email, "not-an-email", sizeof(c.email));
    if ((rc = ps_customer_validate(&c, NULL, 0, NULL, 0, NULL)) != PS_EINVAL)
        note(problems, sizeof(problems), "ps_customer_validate: %s",
             ps_err_codename(rc));
    make_individual(fx, &fx->acme, "null-err-owner", &owner);
    rc = ps_account_add_card(fx->eng, owner.id, "Visa", "4111111111111112",
                             NULL, NULL);
    if (rc != PS_EINVAL)
        note(problems, sizeof(problems), "ps_account_add_card: %s",
             ps_err_codename(rc));
    rc = ps_account_add_bank(fx->eng, owner.id, "Checking", "021000022",
                             "000123456789", PS_BANK_CHECKING, NULL, NULL);
    if (rc != PS_EINVAL)
        note(problems, sizeof(problems), "ps_account_add_bank: %s",
             ps_err_codename(rc));
    base_program(&p, fx->acme.id, "null-err");
    ps_strlcpy(p.currency, "XYZ", sizeof(p.currency));
    if ((rc = ps_program_add(fx->eng, &p, NULL)) != PS_EINVAL)
        note(problems, sizeof(problems), "ps_program_add: %s",
             ps_err_codename(rc));
    if (problems[0] != '\0')
        fail_msg("invalid input with err NULL returned %s, not EINVAL",
                 problems);
}

/*
 * Invalid UTF-8 that the decoder lets through: overlong 3- and 4-byte
 * forms, UTF-16 surrogates, code points above U+10FFFF; and C1 control
 * characters (U+0080..U+009F; U+009B is a terminal CSI).
 */
static void test_utf8_strict(void **state)
{
    struct fixture *fx = *state;
    static const char *const bad[] = {
        "\xe0\x80\xaf",     /* overlong '/' */
        "\xe0\x9f\xbf",     /* overlong U+07FF */
        "\xed\xa0\x80",     /* U+D800, a surrogate */
        "\xed\xbf\xbf",     /* U+DFFF */
        "\xf0\x80\x80\xaf", /* overlong '/' */
        "\xf0\x8f\xbf\xbf", /* overlong U+FFFF */
        "\xf4\x90\x80\x80", /* U+110000 */
        "A\xc2\x85"
        "B", /* U+0085 NEL */
        "A\xc2\x9b"
        "31m", /* U+009B CSI */
    };
    char problems[1024] = "";
    for (size_t i = 0; i < NELEM(bad); i++) {
        struct ps_customer c;
        struct ps_err err;
        individual(&c, &fx->acme, "utf8");
        ps_strlcpy(c.first_name, bad[i], sizeof(c.first_name));
        ps_err_clear(&err);
        int rc = ps_customer_validate(&c, NULL, 0, NULL, 0, &err);
        if (rc != PS_EINVAL || strcmp(err.rule, "TEXT_ENCODING") != 0 ||
            strcmp(err.field, "firstName") != 0)
            note(problems, sizeof(problems), "#%zu (rc %d [%s])", i, rc,
                 err.rule);
    }
    if (problems[0] != '\0')
        fail_msg("invalid UTF-8 or C1 controls accepted as firstName: %s",
                 problems);
}

/*
 * The rules count up to 40 characters (names), 15 digits (phone) and 64
 * bytes (externalId), but the model's fields are sized in bytes for the
 * ASCII case: a 40-character name with accents does not fit, and a value
 * one over the limit is cut by ps_strlcpy (as cli.c's copy_opt does) and
 * then accepted instead of refused.
 */
static void test_limits_reach_the_validator(void **state)
{
    struct fixture *fx = *state;
    char buf[600], problems[2048] = "";
    struct ps_customer c, got;
    struct ps_err err;

    /* 40 characters with accents: accepted and stored whole. */
    repeat(buf, sizeof(buf), "\xc3\xa9", 40);
    individual(&c, &fx->acme, "accents-40");
    ps_strlcpy(c.first_name, buf, sizeof(c.first_name));
    ps_err_clear(&err);
    check_ok("40 accented",
             ps_customer_create(fx->eng, &c, NULL, 0, NULL, 0, NULL, &err),
             &err);
    check_ok("get", ps_store_customer_get(fx->eng->store, c.id, &got, &err),
             &err);
    if (strcmp(got.first_name, buf) != 0)
        note(problems, sizeof(problems),
             "a 40-character accented first name was stored as %zu of its "
             "%zu bytes (struct ps_customer.first_name holds %zu)",
             strlen(got.first_name), strlen(buf), sizeof(c.first_name));

    /* Names passed as strings are checked whole, then cut when copied
     * into the row (display names: 128 and 64 characters, 129 bytes). */
    struct ps_business b;
    repeat(buf, sizeof(buf), "\xc3\xa9", 128);
    check_ok("business display",
             ps_business_add(fx->eng, "accents", buf, NULL, &b, &err), &err);
    if (strcmp(b.display_name, buf) != 0)
        note(problems, sizeof(problems),
             "a 128-character business display name was stored as %zu of "
             "its %zu bytes",
             strlen(b.display_name), strlen(buf));
    struct ps_account a;
    repeat(buf, sizeof(buf), "\xf0\x9f\x92\xb3", 63);
    check_ok(
        "account display",
        ps_account_add_card(fx->eng, got.id, buf, "4111111111111111", &a, &err),
        &err);
    if (strcmp(a.display_name, buf) != 0)
        note(problems, sizeof(problems),
             "a 63-character account display name was stored as %zu of its "
             "%zu bytes",
             strlen(a.display_name), strlen(buf));

    /* One over each limit: refused, not cut and accepted. */
    static const struct {
        enum cfield f;
        const char *unit;
        size_t n;
        const char *prefix;
        const char *rule;
    } over[] = {
        {F_FIRST, "a", 41, "", "TEXT_LENGTH"},
        {F_LAST, "\xc3\xa9", 41, "", "TEXT_LENGTH"},
        {F_PHONE, "1", 16, "+", "PHONE_FORMAT"},
        {F_EXTID, "x", 65, "", "EXTERNAL_ID_FORMAT"},
    };
    for (size_t i = 0; i < NELEM(over); i++) {
        char value[256], label[64];
        size_t size;
        size_t p = strlen(over[i].prefix);
        memcpy(value, over[i].prefix, p);
        repeat(value + p, sizeof(value) - p, over[i].unit, over[i].n);
        snprintf(label, sizeof(label), "%s one over the limit",
                 cfield_name(over[i].f));
        snprintf(buf, sizeof(buf), "over-%zu", i);
        individual(&c, &fx->acme, buf);
        char *dst = cfield_ptr(&c, over[i].f, &size);
        ps_strlcpy(dst, value, size);
        ps_err_clear(&err);
        int rc = ps_customer_create(fx->eng, &c, NULL, 0, NULL, 0, NULL, &err);
        if (rc == 0)
            note(problems, sizeof(problems),
                 "%s: a %zu-byte value was cut to %zu bytes by the %zu-byte "
                 "field and accepted",
                 label, strlen(value), strlen(dst), size);
        else if (rc != PS_EINVAL || strcmp(err.rule, over[i].rule) != 0)
            note(problems, sizeof(problems), "%s: rc %d [%s]", label, rc,
                 err.rule);
    }
    if (problems[0] != '\0')
        fail_msg("%s", problems);
}

/*
 * ps_customer_update: "contacts/addresses replace the old ones unless
 * NULL".  A BUSINESS customer's DBA change without contacts keeps the
 * primary contact, so it must not fail PRIMARY_CONTACT.
 */
static void test_business_update_keeps_contacts(void **state)
{
    struct fixture *fx = *state;
    struct ps_customer c, got;
    struct ps_contact k;
    struct ps_err err;
    struct contact_count cc;
    business_customer(&c, &fx->globex, "biz-upd");
    contact(&k, 1, "Primary");
    ps_err_clear(&err);
    check_ok("create",
             ps_customer_create(fx->eng, &c, &k, 1, NULL, 0, NULL, &err), &err);
    ps_strlcpy(c.dba_name, "Globex Worldwide", sizeof(c.dba_name));
    check_ok("update dba only",
             ps_customer_update(fx->eng, &c, NULL, 0, NULL, 0, &err), &err);
    check_ok("get", ps_store_customer_get(fx->eng->store, c.id, &got, &err),
             &err);
    assert_string_equal(got.dba_name, "Globex Worldwide");
    memset(&cc, 0, sizeof(cc));
    check_ok("contacts",
             ps_store_customer_contacts(fx->eng->store, c.id, count_contact,
                                        &cc, &err),
             &err);
    assert_int_equal(cc.n, 1);
    assert_int_equal(cc.primaries, 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_business_names),
        T(test_business_display_name),
        T(test_business_duplicate_and_parent),
        T(test_individual_names),
        T(test_individual_email),
        T(test_individual_phone),
        T(test_individual_external_id),
        T(test_external_id_unique_per_business),
        T(test_business_customers),
        T(test_customer_type_and_contacts),
        T(test_addresses),
        T(test_customer_update),
        T(test_customer_status),
        T(test_card_numbers),
        T(test_card_other_fields),
        T(test_card_tokens),
        T(test_numbers_never_stored_in_clear),
        T(test_bank_accounts),
        T(test_account_status),
        T(test_debit_authorization),
        T(test_program_limits),
        T(test_program_currency_name_business),
        T(test_txn_create_isolation),
        T(test_null_err_keeps_code),
        T(test_utf8_strict),
        T(test_limits_reach_the_validator),
        T(test_business_update_keeps_contacts),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
