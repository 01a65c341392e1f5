/*
 * test_linxtxn.c -- unit tests for linxtxn.c: the SMS of a LinX request's
 * transaction status changes, on a real SQLite store.
 *
 * Exhaustive like test_txn: for a SEND (push to card) and a DEBIT (ACH)
 * of a LinX request, every (status, event) pair is tried on a fresh
 * transaction brought to the status; a legal change queues exactly the
 * SMS the table below expects (kept here, independently of linxtxn.c's),
 * an illegal one none.  Also: a provider retry is not "sent" twice, the
 * texts (amount, business, a NACHA code's meaning, no provider text), a
 * transaction whose request id only looks like a LinX one and an
 * ordinary one get nothing, and the SMS commits with the status change
 * or neither does.
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
#include "engine/engine.h"
#include "engine/handle.h"
#include "engine/linx.h"
#include "engine/linxtxn.h"
#include "engine/txn.h"
#include "testutil.h"

/* Which new status messages the customer (the first TRANSMIT only). */
static int messages(enum ps_txn_status to)
{
    switch (to) {
    case PS_TXN_PROCESSING:
    case PS_TXN_SETTLED:
    case PS_TXN_DECLINED:
    case PS_TXN_REVERSED:
    case PS_TXN_ERROR:
    case PS_TXN_CANCELLED:
        return 1;
    default: /* NEW, PENDING (SUBMIT, a retry), APPROVED, CLEARED */
        return 0;
    }
}

/* How to reach each status from NEW (max_attempts 1: one provider error
 * is final). */
struct path {
    int n;
    enum ps_txn_event ev[4];
};
/* clang-format off */
static const struct path paths[PS_TXN_STATUS_N] = {
    [PS_TXN_NEW]        = {0, {0}},
    [PS_TXN_PENDING]    = {1, {PS_EV_SUBMIT}},
    [PS_TXN_PROCESSING] = {2, {PS_EV_SUBMIT, PS_EV_TRANSMIT}},
    [PS_TXN_APPROVED]   = {3, {PS_EV_SUBMIT, PS_EV_TRANSMIT, PS_EV_APPROVE}},
    [PS_TXN_SETTLED]    = {3, {PS_EV_SUBMIT, PS_EV_TRANSMIT, PS_EV_SETTLE}},
    [PS_TXN_CLEARED]    = {4, {PS_EV_SUBMIT, PS_EV_TRANSMIT, PS_EV_SETTLE,
                               PS_EV_CLEAR}},
    [PS_TXN_CANCELLED]  = {1, {PS_EV_CANCEL}},
    [PS_TXN_DECLINED]   = {3, {PS_EV_SUBMIT, PS_EV_TRANSMIT, PS_EV_DECLINE}},
    [PS_TXN_REVERSED]   = {4, {PS_EV_SUBMIT, PS_EV_TRANSMIT, PS_EV_SETTLE,
                               PS_EV_REVERSE}},
    [PS_TXN_ERROR]      = {3, {PS_EV_SUBMIT, PS_EV_TRANSMIT,
                               PS_EV_PROVIDER_ERROR}},
};
/* clang-format on */

struct fixture {
    char dir[PATH_MAX / 2];
    struct ps_engine *eng;
    sqlite3 *raw;
    struct ps_business biz;
    struct ps_customer cust;
    struct ps_account card, bank;
    int n;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct ps_err err;
    ps_err_clear(&err);
    if (fx == NULL ||
        ps_test_tmpdir(fx->dir, sizeof(fx->dir), "test_linxtxn") != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    fx->eng = ps_test_engine_open(fx->dir);
    fx->raw = ps_test_sqlite_open(ps_test_path(fx->dir, PS_TEST_DB, 0));
    assert_int_equal(
        ps_business_add(fx->eng, "acme", "Acme Corp", NULL, &fx->biz, &err), 0);
    ps_strlcpy(fx->cust.business_id, fx->biz.id, sizeof(fx->cust.business_id));
    ps_strlcpy(fx->cust.external_id, "linx-c1", sizeof(fx->cust.external_id));
    fx->cust.type = PS_CUSTOMER_INDIVIDUAL;
    ps_strlcpy(fx->cust.first_name, "Ana", sizeof(fx->cust.first_name));
    ps_strlcpy(fx->cust.last_name, "Ruiz", sizeof(fx->cust.last_name));
    ps_strlcpy(fx->cust.email, "ana@example.com", sizeof(fx->cust.email));
    ps_strlcpy(fx->cust.phone, "+14155550123", sizeof(fx->cust.phone));
    if (ps_customer_create(fx->eng, &fx->cust, NULL, 0, NULL, 0, NULL, &err) !=
            0 ||
        ps_account_add_card(fx->eng, fx->cust.id, "Visa", "4111111111111111",
                            &fx->card, &err) != 0 ||
        ps_account_add_bank(fx->eng, fx->cust.id, "Checking", "021000021",
                            "123456789", PS_BANK_CHECKING, &fx->bank,
                            &err) != 0 ||
        ps_account_authorize_debit(fx->eng, fx->bank.id, PS_AUTH_WEB, "L1",
                                   &err) != 0)
        fail_msg("setup: %s [%s]", err.msg, err.rule);
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

/* A transaction with request id `rid`; linked to a new LinX request (to
 * mobile +1555123000n) when link is 1. */
static void make(struct fixture *fx, int debit, const char *rid, int link,
                 struct ps_txn *t, struct ps_linx_row *r)
{
    char tok[PS_LINX_TOKEN_SIZE];
    struct ps_err err;
    ps_err_clear(&err);
    memset(t, 0, sizeof(*t));
    memset(r, 0, sizeof(*r));
    ps_strlcpy(t->business_id, fx->biz.id, sizeof(t->business_id));
    ps_strlcpy(t->customer_id, fx->cust.id, sizeof(t->customer_id));
    ps_strlcpy(t->account_id, debit ? fx->bank.id : fx->card.id,
               sizeof(t->account_id));
    t->type = debit ? PS_TXN_DEBIT : PS_TXN_SEND;
    t->rail = debit ? PS_RAIL_ACH : PS_RAIL_PUSH_TO_CARD;
    t->purpose = PS_PURPOSE_PAYMENT;
    t->amount = 1234;
    ps_strlcpy(t->currency, "USD", sizeof(t->currency));
    ps_strlcpy(t->request_id, rid, sizeof(t->request_id));
    if (ps_txn_create(fx->eng->store, t, NULL, &err) != 0)
        fail_msg("txn: %s [%s]", err.msg, err.rule);
    if (!link)
        return;
    ps_strlcpy(r->business_id, fx->biz.id, sizeof(r->business_id));
    ps_strlcpy(r->ref, rid + PS_LINX_TXN_PREFIX_LEN, sizeof(r->ref));
    snprintf(r->mobile, sizeof(r->mobile), "+1555123%04d", fx->n % 10000);
    ps_strlcpy(r->activities, "[{\"kind\":\"TRANSACTION\"}]",
               sizeof(r->activities));
    ps_strlcpy(r->expires_at, "2999-01-01T00:00:00.000Z",
               sizeof(r->expires_at));
    if (ps_linx_create(fx->eng->store, fx->eng->keys, "https://gw.example/l",
                       r, NULL, tok, NULL, &err) != 0 ||
        ps_store_linx_set_txn(fx->eng->store, r->id, t->id, &err) != 0)
        fail_msg("request: %s [%s]", err.msg, err.rule);
}

static int event(struct fixture *fx, const char *id, enum ps_txn_event ev,
                 int max_attempts, const char *code, struct ps_err *err)
{
    struct ps_txn_args a;
    memset(&a, 0, sizeof(a));
    a.max_attempts = max_attempts;
    a.return_code = code;
    ps_err_clear(err);
    return ps_engine_txn_event(fx->eng, id, ev, &a, NULL, err);
}

static int64_t sms(struct fixture *fx, const char *request_id)
{
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    assert_int_equal(
        sqlite3_prepare_v2(fx->raw,
                           "SELECT count(*) FROM sms_outbox WHERE kind ="
                           " 'TRANSACTION_STATUS' AND (?1 IS NULL OR"
                           " request_id = ?1)",
                           -1, &st, NULL),
        SQLITE_OK);
    if (request_id != NULL)
        sqlite3_bind_text(st, 1, request_id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* The newest SMS's "mobile|body". */
static void last(struct fixture *fx, char *buf, size_t size)
{
    sqlite3_stmt *st = NULL;
    buf[0] = '\0';
    assert_int_equal(
        sqlite3_prepare_v2(fx->raw,
                           "SELECT mobile || '|' || body FROM sms_outbox"
                           " ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL),
        SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        ps_strlcpy(buf, (const char *)sqlite3_column_text(st, 0), size);
    sqlite3_finalize(st);
}

static void test_all_pairs(void **state)
{
    struct fixture *fx = *state;
    for (int debit = 0; debit <= 1; debit++)
        for (int st = 0; st < PS_TXN_STATUS_N; st++)
            for (int ev = 0; ev < PS_EV_N; ev++) {
                struct ps_txn t, now;
                struct ps_linx_row r;
                struct ps_err err;
                char rid[32];
                if (st == PS_TXN_CLEARED && !debit)
                    continue; /* only received transactions clear */
                snprintf(rid, sizeof(rid), "linx-P%d", ++fx->n);
                make(fx, debit, rid, 1, &t, &r);
                for (int i = 0; i < paths[st].n; i++)
                    if (event(fx, t.id, paths[st].ev[i], 1, NULL, &err) != 0)
                        fail_msg("path: %s", err.msg);
                int64_t before = sms(fx, r.id);
                /* An ACH return code with the events that carry one. */
                const char *code = debit && (ev == PS_EV_RETURN ||
                                             ev == PS_EV_DECLINE ||
                                             ev == PS_EV_REVERSE)
                                       ? "R01"
                                       : NULL;
                int rc = event(fx, t.id, (enum ps_txn_event)ev, 1, code, &err);
                assert_int_equal(
                    ps_store_txn_get(fx->eng->store, t.id, &now, &err), 0);
                int64_t want = rc == 0 ? messages(now.status) : 0;
                if (sms(fx, r.id) != before + want)
                    fail_msg("%s %s + %s -> %s: %lld SMS, wanted %lld",
                             debit ? "DEBIT" : "SEND",
                             ps_enum_name(PS_NAMES_TXN_STATUS, st),
                             ps_txn_event_name((enum ps_txn_event)ev),
                             rc == 0 ? ps_enum_name(PS_NAMES_TXN_STATUS,
                                                    (int)now.status)
                                     : "refused",
                             (long long)(sms(fx, r.id) - before),
                             (long long)want);
                if (rc == 0 && want) {
                    char got[512], mob[32];
                    last(fx, got, sizeof(got));
                    snprintf(mob, sizeof(mob), "%s|Acme Corp: ", r.mobile);
                    assert_memory_equal(got, mob, strlen(mob));
                    assert_non_null(strstr(got, "$12.34"));
                    assert_null(strstr(got, "123456789"));
                    assert_null(strstr(got, "4111"));
                    if (code != NULL)
                        assert_non_null(strstr(got, ": insufficient funds."));
                }
            }
}

static void test_texts(void **state)
{
    struct fixture *fx = *state;
    struct ps_txn t;
    struct ps_linx_row r;
    struct ps_err err;
    char got[512];
    make(fx, 0, "linx-T1", 1, &t, &r);
    assert_int_equal(event(fx, t.id, PS_EV_SUBMIT, 0, NULL, &err), 0);
    assert_int_equal(sms(fx, r.id), 0);
    assert_int_equal(event(fx, t.id, PS_EV_TRANSMIT, 0, NULL, &err), 0);
    last(fx, got, sizeof(got));
    assert_string_equal(got, "+15551230000|Acme Corp: your payment of $12.34 "
                             "was sent.");
    /* A provider error with retries left: back to PENDING, resent, and
     * the customer is not told "sent" again. */
    assert_int_equal(event(fx, t.id, PS_EV_PROVIDER_ERROR, 3, NULL, &err), 0);
    assert_int_equal(event(fx, t.id, PS_EV_SUBMIT, 3, NULL, &err) != 0, 1);
    assert_int_equal(event(fx, t.id, PS_EV_TRANSMIT, 3, NULL, &err), 0);
    assert_int_equal(sms(fx, r.id), 1);
    assert_int_equal(event(fx, t.id, PS_EV_APPROVE, 3, NULL, &err), 0);
    assert_int_equal(sms(fx, r.id), 1);
    /* The provider's free text is no part of the SMS. */
    struct ps_source src = {"provider DECLINED 05: do not honor", NULL, 0};
    struct ps_txn_args a;
    memset(&a, 0, sizeof(a));
    a.src = &src;
    assert_int_equal(
        ps_engine_txn_event(fx->eng, t.id, PS_EV_DECLINE, &a, NULL, &err), 0);
    last(fx, got, sizeof(got));
    assert_string_equal(got, "+15551230000|Acme Corp: your payment of $12.34 "
                             "was declined.");

    fx->n = 1;
    make(fx, 1, "linx-T2", 1, &t, &r);
    assert_int_equal(event(fx, t.id, PS_EV_SUBMIT, 0, NULL, &err), 0);
    assert_int_equal(event(fx, t.id, PS_EV_TRANSMIT, 0, NULL, &err), 0);
    last(fx, got, sizeof(got));
    assert_string_equal(got, "+15551230001|Acme Corp: the debit of $12.34 from "
                             "your bank account was sent to your bank.");
    assert_int_equal(event(fx, t.id, PS_EV_SETTLE, 0, NULL, &err), 0);
    assert_int_equal(event(fx, t.id, PS_EV_CLEAR, 0, NULL, &err), 0);
    assert_int_equal(sms(fx, r.id), 2);
    assert_int_equal(event(fx, t.id, PS_EV_RETURN, 0, "R10", &err), 0);
    last(fx, got, sizeof(got));
    assert_string_equal(got,
                        "+15551230001|Acme Corp: the debit of $12.34 from your "
                        "bank account was returned: customer advises not "
                        "authorized or originator unknown.");

    /* The pure part: what a change would say. */
    t.status = PS_TXN_SETTLED;
    t.type = PS_TXN_SEND;
    ps_strlcpy(t.currency, "EUR", sizeof(t.currency));
    t.amount = 500;
    assert_int_equal(ps_linx_txn_sms_text(&t, "SETTLE", NULL, "Globex", got,
                                          sizeof(got)),
                     1);
    assert_string_equal(got, "Globex: your payment of 5.00 EUR was completed.");
    t.status = PS_TXN_PENDING;
    assert_int_equal(ps_linx_txn_sms_text(&t, "SUBMIT", NULL, "Globex", got,
                                          sizeof(got)),
                     0);
}

/* Not a LinX request's transaction: no SMS, and no SMS work either (a
 * refusing outbox does not stop its status changes); a LinX one's status
 * change and its SMS commit together or not at all. */
static void test_others_and_atomicity(void **state)
{
    struct fixture *fx = *state;
    struct ps_txn plain, lookalike, lx, now;
    struct ps_linx_row r;
    struct ps_err err;
    make(fx, 0, "PAY-1", 0, &plain, &r);
    make(fx, 0, "linx-nope", 0, &lookalike, &r);
    make(fx, 0, "linx-L1", 1, &lx, &r);
    assert_int_equal(sqlite3_exec(fx->raw,
                                  "CREATE TRIGGER sms_refused BEFORE INSERT ON"
                                  " sms_outbox BEGIN SELECT RAISE(ABORT,"
                                  " 'refused'); END;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    for (int i = 0; i < 3; i++) {
        enum ps_txn_event ev[] = {PS_EV_SUBMIT, PS_EV_TRANSMIT, PS_EV_SETTLE};
        assert_int_equal(event(fx, plain.id, ev[i], 0, NULL, &err), 0);
        assert_int_equal(event(fx, lookalike.id, ev[i], 0, NULL, &err), 0);
    }
    assert_int_equal(event(fx, lx.id, PS_EV_SUBMIT, 0, NULL, &err), 0);
    assert_int_not_equal(event(fx, lx.id, PS_EV_TRANSMIT, 0, NULL, &err), 0);
    assert_int_equal(ps_store_txn_get(fx->eng->store, lx.id, &now, &err), 0);
    assert_int_equal(now.status, PS_TXN_PENDING);
    assert_int_equal(now.attempts, 0);
    assert_int_equal(sqlite3_exec(fx->raw, "DROP TRIGGER sms_refused", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(event(fx, lx.id, PS_EV_TRANSMIT, 0, NULL, &err), 0);
    assert_int_equal(sms(fx, NULL), 1);
    assert_int_equal(sms(fx, r.id), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_all_pairs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_texts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_others_and_atomicity, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
