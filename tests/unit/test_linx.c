/*
 * test_linx.c -- unit tests for linx.c: LinX requests on a real SQLite
 * store.
 *
 * The exhaustive check drives, for every (status, event) pair, a fresh
 * request from CREATED to the status through legal events, applies the
 * event and compares with the expected table of test_linxtable.c (kept
 * separately here: the same meanings): a legal event changes the status
 * and adds exactly one history row; an illegal one fails and leaves the
 * status and the history untouched.  Also: tokens (only the keyed hash
 * stored, look-up, unknown, expired, no longer active), extension, the
 * mobile number check and duplicate refs.
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
#include "base/err.h"
#include "engine/engine.h"
#include "engine/handle.h"
#include "engine/linx.h"
#include "engine/linxapi.h"
#include "testutil.h"

#define ILL (-1)
/* clang-format off */
static const int expected[PS_LINX_N][PS_LEV_N] = {
    /* SEND OPEN COMPLETE DECLINE EXPIRE CANCEL FAIL */
    {PS_LINX_SENT, ILL, ILL, ILL, PS_LINX_EXPIRED, PS_LINX_CANCELLED, ILL},
    {ILL, PS_LINX_IN_PROGRESS, PS_LINX_COMPLETED, PS_LINX_DECLINED,
     PS_LINX_EXPIRED, PS_LINX_CANCELLED, PS_LINX_FAILED},
    {ILL, ILL, PS_LINX_COMPLETED, PS_LINX_DECLINED, PS_LINX_EXPIRED,
     PS_LINX_CANCELLED, PS_LINX_FAILED},
    {ILL, ILL, ILL, ILL, ILL, ILL, ILL},
    {ILL, ILL, ILL, ILL, ILL, ILL, ILL},
    {ILL, ILL, ILL, ILL, ILL, ILL, ILL},
    {ILL, ILL, ILL, ILL, ILL, ILL, ILL},
    {ILL, ILL, ILL, ILL, ILL, ILL, ILL},
};
/* How to reach each status from CREATED (events, -1 ends). */
static const int path[PS_LINX_N][3] = {
    {-1},
    {PS_LEV_SEND, -1},
    {PS_LEV_SEND, PS_LEV_OPEN, -1},
    {PS_LEV_SEND, PS_LEV_COMPLETE, -1},
    {PS_LEV_SEND, PS_LEV_DECLINE, -1},
    {PS_LEV_EXPIRE, -1},
    {PS_LEV_CANCEL, -1},
    {PS_LEV_SEND, PS_LEV_FAIL, -1},
};
/* clang-format on */

struct fixture {
    char dir[PATH_MAX];
    struct ps_engine *eng;
    sqlite3 *raw;
    struct ps_business biz;
    int n;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct ps_err err;
    ps_err_clear(&err);
    if (fx == NULL ||
        ps_test_tmpdir(fx->dir, sizeof(fx->dir), "test_linx") != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    fx->eng = ps_test_engine_open(fx->dir);
    fx->raw = ps_test_sqlite_open(ps_test_path(fx->dir, PS_TEST_DB, 0));
    assert_int_equal(
        ps_business_add(fx->eng, "acme", "Acme Corp", NULL, &fx->biz, &err), 0);
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    sqlite3_close(fx->raw);
    ps_engine_close(fx->eng);
    int rc = ps_test_rmtree(fx->dir);
    free(fx);
    return rc;
}

static int64_t count(struct fixture *fx, const char *sql, const char *arg)
{
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    assert_int_equal(sqlite3_prepare_v2(fx->raw, sql, -1, &st, NULL),
                     SQLITE_OK);
    if (arg != NULL)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static int64_t history(struct fixture *fx, const char *id)
{
    return count(fx,
                 "SELECT count(*) FROM linx_request_history"
                 " WHERE request_id = ?",
                 id);
}

static void make(struct fixture *fx, const char *expires,
                 struct ps_linx_row *r, char token[PS_LINX_TOKEN_SIZE],
                 char link[PS_LINX_LINK_SIZE])
{
    struct ps_err err;
    ps_err_clear(&err);
    memset(r, 0, sizeof(*r));
    ps_strlcpy(r->business_id, fx->biz.id, sizeof(r->business_id));
    snprintf(r->ref, sizeof(r->ref), "req-%d", ++fx->n);
    ps_strlcpy(r->mobile, "+15551230001", sizeof(r->mobile));
    ps_strlcpy(r->template_name, "onboarding", sizeof(r->template_name));
    ps_strlcpy(r->activities, "[{\"kind\":\"CREATE_CUSTOMER\"}]",
               sizeof(r->activities));
    ps_strlcpy(r->expires_at, expires, sizeof(r->expires_at));
    if (ps_linx_create(fx->eng->store, fx->eng->keys,
                       "https://gw.example/l/", r, NULL, token, link,
                       &err) != 0)
        fail_msg("create: %s [%s]", err.msg, err.rule);
}

static void apply_ok(struct fixture *fx, const char *id, int ev)
{
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_linx_apply(fx->eng->store, id, (enum ps_linx_event)ev,
                      "DUPLICATE", NULL, NULL, &err) != 0)
        fail_msg("%s: %s [%s]", ps_linx_event_name(ev), err.msg, err.rule);
}

static void test_all_pairs(void **state)
{
    struct fixture *fx = *state;
    for (int st = 0; st < PS_LINX_N; st++) {
        for (int ev = 0; ev < PS_LEV_N; ev++) {
            struct ps_linx_row r, got;
            char tok[PS_LINX_TOKEN_SIZE], link[PS_LINX_LINK_SIZE];
            struct ps_err err;
            make(fx, "2999-01-01T00:00:00.000Z", &r, tok, link);
            for (int i = 0; path[st][i] >= 0; i++)
                apply_ok(fx, r.id, path[st][i]);
            int64_t before = history(fx, r.id);
            ps_err_clear(&err);
            int rc = ps_linx_apply(fx->eng->store, r.id,
                                   (enum ps_linx_event)ev, "wrong amount",
                                   NULL, &got, &err);
            assert_int_equal(ps_store_linx_get(fx->eng->store, r.id, &got,
                                               &err),
                             0);
            if (expected[st][ev] == ILL) {
                if (rc != PS_ESTATE)
                    fail_msg("%s + %s: rc %d", ps_linx_status_name(st),
                             ps_linx_event_name(ev), rc);
                assert_string_equal(got.status, ps_linx_status_name(st));
                assert_int_equal(history(fx, r.id), before);
            } else {
                if (rc != 0)
                    fail_msg("%s + %s: %s", ps_linx_status_name(st),
                             ps_linx_event_name(ev), err.msg);
                assert_string_equal(got.status,
                                    ps_linx_status_name(expected[st][ev]));
                assert_int_equal(history(fx, r.id), before + 1);
                if (ev == PS_LEV_DECLINE)
                    assert_string_equal(got.decline_reason, "wrong amount");
            }
        }
    }
}

/* The token is only in the link; the store holds its keyed hash. */
static void test_token(void **state)
{
    struct fixture *fx = *state;
    struct ps_linx_row r, got;
    char tok[PS_LINX_TOKEN_SIZE], link[PS_LINX_LINK_SIZE], hash[PS_TOKEN_SIZE];
    char like[PS_LINX_TOKEN_SIZE + 2];
    struct ps_err err;
    ps_err_clear(&err);
    make(fx, "2999-01-01T00:00:00.000Z", &r, tok, link);
    assert_int_equal(strlen(tok), 64); /* 256 bits, hex */
    assert_string_equal(link + strlen(link) - 64, tok);
    assert_memory_equal(link, "https://gw.example/l/", 21);
    assert_null(strchr(link + 21, '/'));
    assert_int_equal(ps_keys_token(fx->eng->keys, tok, hash, &err), 0);
    assert_string_equal(r.token_hash, hash);
    assert_string_not_equal(hash, tok);
    snprintf(like, sizeof(like), "%%%s%%", tok);
    /* Nowhere in the database in the clear. */
    assert_int_equal(count(fx,
                           "SELECT count(*) FROM linx_requests WHERE"
                           " token_hash LIKE ?1 OR activities LIKE ?1"
                           " OR ref LIKE ?1",
                           like),
                     0);
    assert_int_equal(count(fx,
                           "SELECT count(*) FROM linx_request_history WHERE"
                           " ifnull(reason,'') LIKE ?1",
                           like),
                     0);
    assert_int_equal(ps_linx_by_token(fx->eng->store, fx->eng->keys, tok,
                                      "2026-01-01T00:00:00.000Z", &got, &err),
                     0);
    assert_string_equal(got.id, r.id);

    /* Unknown: another random token, a short one, NULL. */
    struct ps_linx_row r2;
    char tok2[PS_LINX_TOKEN_SIZE];
    make(fx, "2999-01-01T00:00:00.000Z", &r2, tok2, NULL);
    assert_string_not_equal(tok, tok2);
    tok2[0] = tok2[0] == 'a' ? 'b' : 'a';
    ps_test_expect_err(ps_linx_by_token(fx->eng->store, fx->eng->keys, tok2,
                                        NULL, &got, &err),
                       &err, PS_ENOTFOUND, "LINX_TOKEN_UNKNOWN");
    ps_test_expect_err(ps_linx_by_token(fx->eng->store, fx->eng->keys, "abc",
                                        NULL, &got, &err),
                       &err, PS_ENOTFOUND, "LINX_TOKEN_UNKNOWN");
    ps_test_expect_err(ps_linx_by_token(fx->eng->store, fx->eng->keys, NULL,
                                        NULL, &got, &err),
                       &err, PS_ENOTFOUND, "LINX_TOKEN_UNKNOWN");

    /* Past its expiry, not yet marked: refused as expired. */
    ps_test_expect_err(ps_linx_by_token(fx->eng->store, fx->eng->keys, tok,
                                        "3000-01-01T00:00:00.000Z", &got,
                                        &err),
                       &err, PS_ESTATE, "LINX_EXPIRED");
    /* Marked expired, cancelled, completed: no longer active. */
    apply_ok(fx, r.id, PS_LEV_EXPIRE);
    ps_test_expect_err(ps_linx_by_token(fx->eng->store, fx->eng->keys, tok,
                                        NULL, &got, &err),
                       &err, PS_ESTATE, "LINX_NOT_ACTIVE");
}

static void test_extend(void **state)
{
    struct fixture *fx = *state;
    struct ps_linx_row r, got;
    char tok[PS_LINX_TOKEN_SIZE];
    struct ps_err err;
    ps_err_clear(&err);
    make(fx, "2999-01-01T00:00:00.000Z", &r, tok, NULL);
    int64_t h = history(fx, r.id);
    assert_int_equal(ps_linx_extend(fx->eng->store, r.id,
                                    "2999-02-01T00:00:00.000Z", NULL, &got,
                                    &err),
                     0);
    assert_string_equal(got.expires_at, "2999-02-01T00:00:00.000Z");
    assert_int_equal(history(fx, r.id), h + 1);
    ps_test_expect_err(ps_linx_extend(fx->eng->store, r.id,
                                      "2999-01-15T00:00:00.000Z", NULL, &got,
                                      &err),
                       &err, PS_EINVAL, "LINX_EXPIRY");
    ps_test_expect_err(ps_linx_extend(fx->eng->store, r.id,
                                      "2000-01-15T00:00:00.000Z", NULL, &got,
                                      &err),
                       &err, PS_EINVAL, "LINX_EXPIRY");
    apply_ok(fx, r.id, PS_LEV_CANCEL);
    ps_test_expect_err(ps_linx_extend(fx->eng->store, r.id,
                                      "2999-03-01T00:00:00.000Z", NULL, &got,
                                      &err),
                       &err, PS_ESTATE, "LINX_NOT_ACTIVE");
    assert_int_equal(ps_store_linx_get(fx->eng->store, r.id, &got, &err), 0);
    assert_string_equal(got.expires_at, "2999-02-01T00:00:00.000Z");
}

static void test_create_checks(void **state)
{
    struct fixture *fx = *state;
    static const char *const bad[] = {"",           "15551230001",
                                      "+05551230001", "+1555",
                                      "+1234567", "+1555-123-0001"};
    struct ps_linx_row r;
    char tok[PS_LINX_TOKEN_SIZE];
    struct ps_err err;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ps_err_clear(&err);
        memset(&r, 0, sizeof(r));
        ps_strlcpy(r.business_id, fx->biz.id, sizeof(r.business_id));
        ps_strlcpy(r.ref, "x", sizeof(r.ref));
        ps_strlcpy(r.mobile, bad[i], sizeof(r.mobile));
        ps_strlcpy(r.activities, "[]", sizeof(r.activities));
        ps_strlcpy(r.expires_at, "2999-01-01T00:00:00.000Z",
                   sizeof(r.expires_at));
        ps_test_expect_err(ps_linx_create(fx->eng->store, fx->eng->keys, "u",
                                          &r, NULL, tok, NULL, &err),
                           &err, PS_EINVAL, "MOBILE_FORMAT");
    }
    assert_int_equal(ps_linx_mobile_check("+447700900123", NULL), 0);
    make(fx, "2999-01-01T00:00:00.000Z", &r, tok, NULL);
    r.id[0] = '\0';
    ps_err_clear(&err);
    ps_test_expect_err(ps_linx_create(fx->eng->store, fx->eng->keys, "u", &r,
                                      NULL, tok, NULL, &err),
                       &err, PS_ECONFLICT, "DUPLICATE_REQUEST");
    assert_int_equal(count(fx, "SELECT count(*) FROM linx_requests", NULL),
                     1);
    assert_int_equal(
        count(fx, "SELECT count(*) FROM linx_request_history", NULL), 1);
}

static void addr(struct ps_address *a, enum ps_address_type t, const char *l1)
{
    memset(a, 0, sizeof(*a));
    a->type = t;
    ps_strlcpy(a->line1, l1, sizeof(a->line1));
    ps_strlcpy(a->city, "Oakland", sizeof(a->city));
    ps_strlcpy(a->region, "CA", sizeof(a->region));
    ps_strlcpy(a->postal_code, "94601", sizeof(a->postal_code));
    ps_strlcpy(a->country, "US", sizeof(a->country));
}

/* A second address (another type) no longer replaces the first; one of
 * the same type replaces that one only. */
static void test_addresses_kept(void **state)
{
    struct fixture *fx = *state;
    struct ps_customer c;
    struct ps_address a[2];
    struct ps_err err;
    ps_err_clear(&err);
    memset(&c, 0, sizeof(c));
    ps_strlcpy(c.business_id, fx->biz.id, sizeof(c.business_id));
    ps_strlcpy(c.external_id, "addr-1", sizeof(c.external_id));
    c.type = PS_CUSTOMER_INDIVIDUAL;
    ps_strlcpy(c.first_name, "Ana", sizeof(c.first_name));
    ps_strlcpy(c.last_name, "Ruiz", sizeof(c.last_name));
    ps_strlcpy(c.email, "ana@example.com", sizeof(c.email));
    ps_strlcpy(c.phone, "+14155550123", sizeof(c.phone));
    addr(&a[0], PS_ADDR_SHIPPING, "1 Main St");
    assert_int_equal(ps_customer_create(fx->eng, &c, NULL, 0, a, 1, NULL,
                                        &err),
                     0);
    addr(&a[0], PS_ADDR_BILLING, "PO Box 7");
    assert_int_equal(ps_customer_update(fx->eng, &c, NULL, 0, a, 1, &err), 0);
    assert_int_equal(count(fx,
                           "SELECT count(*) FROM customer_addresses WHERE"
                           " customer_id = ?",
                           c.id),
                     2);
    addr(&a[0], PS_ADDR_SHIPPING, "2 Oak Ave");
    addr(&a[1], PS_ADDR_MAILING, "3 Pine Rd");
    assert_int_equal(ps_customer_update(fx->eng, &c, NULL, 0, a, 2, &err), 0);
    assert_int_equal(count(fx,
                           "SELECT count(*) FROM customer_addresses WHERE"
                           " customer_id = ?",
                           c.id),
                     3);
    assert_int_equal(count(fx,
                           "SELECT count(*) FROM customer_addresses WHERE"
                           " customer_id = ? AND ((type = 'SHIPPING' AND"
                           " line1 = '2 Oak Ave') OR (type = 'BILLING'"
                           " AND line1 = 'PO Box 7'))",
                           c.id),
                     2);
}

/*
 * A gateway's STARTED line (the customer opened the link or saved part
 * of the answer) from every status: SENT -> IN_PROGRESS with one history
 * row; IN_PROGRESS again changes nothing and is no error; CREATED (no
 * link went out) is an illegal transition; every terminal status is no
 * longer active.  Nothing changes on a refusal.
 */
static void test_started_answer(void **state)
{
    struct fixture *fx = *state;
    for (int st = 0; st < PS_LINX_N; st++) {
        struct ps_linx_row r, got;
        struct ps_linx_answer ans;
        char tok[PS_LINX_TOKEN_SIZE], link[PS_LINX_LINK_SIZE], line[256];
        struct ps_err err;
        make(fx, "2999-01-01T00:00:00.000Z", &r, tok, link);
        for (int i = 0; path[st][i] >= 0; i++)
            apply_ok(fx, r.id, path[st][i]);
        int64_t before = history(fx, r.id);
        snprintf(line, sizeof(line),
                 "{\"token\":\"%s\",\"decision\":\"STARTED\"}", tok);
        ps_err_clear(&err);
        int rc = ps_linx_answer(fx->eng, &fx->biz, line, &ans, &err);
        assert_int_equal(ps_store_linx_get(fx->eng->store, r.id, &got, &err),
                         0);
        if (st == PS_LINX_SENT || st == PS_LINX_IN_PROGRESS) {
            if (rc != 0)
                fail_msg("STARTED from %s: %s", ps_linx_status_name(st),
                         err.msg);
            assert_string_equal(ans.status, "IN_PROGRESS");
            assert_string_equal(got.status, "IN_PROGRESS");
            assert_int_equal(history(fx, r.id),
                             before + (st == PS_LINX_SENT ? 1 : 0));
        } else {
            assert_int_equal(rc, PS_ESTATE);
            assert_string_equal(err.rule, st == PS_LINX_CREATED
                                              ? "LINX_ILLEGAL_TRANSITION"
                                              : "LINX_NOT_ACTIVE");
            assert_string_equal(got.status, ps_linx_status_name(st));
            assert_int_equal(history(fx, r.id), before);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_all_pairs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_started_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_addresses_kept, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
