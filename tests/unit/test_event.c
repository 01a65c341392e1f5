/*
 * test_event.c -- a status event's payload (engine/event.c): written
 * without jansson when no value needs escaping, it must be the bytes
 * jansson's json_dumps(JSON_COMPACT) writes for the same object; with a
 * value that needs escaping, jansson writes it.  Either way the stored
 * payload parses back to the event's fields.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/id.h"
#include "base/model.h"
#include "engine/event.h"
#include "store/linx.h"
#include "store/store.h"
#include "testutil.h"

static int setup(void **state) { return ps_test_db_setup(state, "test_event"); }
static int teardown(void **state) { return ps_test_db_teardown(state); }

/* The payload of the last event stored, malloc'd. */
static char *last_payload(const char *db_path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT payload FROM event_outbox"
                                        " ORDER BY id DESC LIMIT 1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_non_null(out);
    return out;
}

/* jansson's dump of the object ps_status_event builds, with the stored
 * event's own id (the one value the test cannot know beforehand). */
static char *jansson_dump(const struct ps_status_event *e, const char *id)
{
    const char *ref = e->ref != NULL && e->ref[0] ? e->ref : NULL;
    const char *cust =
        e->customer_id != NULL && e->customer_id[0] ? e->customer_id : NULL;
    const char *from = e->from != NULL && e->from[0] ? e->from : NULL;
    const char *ev = e->event != NULL && e->event[0] ? e->event : NULL;
    const char *why = e->reason != NULL && e->reason[0] ? e->reason : NULL;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s?,"
                          " s:s?, s:s}",
                          "id", id, "type", "transaction.status", "entityType",
                          e->entity_type, "entityId", e->entity_id, "ref", ref,
                          "customerId", cust, "from", from, "to", e->to,
                          "event", ev, "reason", why, "at", e->at);
    assert_non_null(o);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    assert_non_null(s);
    return s;
}

static void check(const char *db_path, struct ps_store *s,
                  const struct ps_status_event *e)
{
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_status_event(s, e, &err) != 0)
        fail_msg("status event: %s [%s]", err.msg, err.rule);
    char *got = last_payload(db_path);
    json_error_t je;
    json_t *back = json_loads(got, 0, &je);
    assert_non_null(back);
    const char *id = json_string_value(json_object_get(back, "id"));
    assert_non_null(id);
    assert_string_equal(json_string_value(json_object_get(back, "to")), e->to);
    if (e->reason != NULL && e->reason[0] != '\0')
        assert_string_equal(
            json_string_value(json_object_get(back, "reason")), e->reason);
    else /* json_pack's "s?" of NULL: the key with null */
        assert_true(json_is_null(json_object_get(back, "reason")));
    char *want = jansson_dump(e, id);
    assert_string_equal(got, want);
    json_decref(back);
    free(want);
    free(got);
}

static void test_payload_as_jansson(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_store *s = NULL;
    struct ps_business b;
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(ps_store_open(fx->db_path, &s, &err), 0);
    memset(&b, 0, sizeof(b));
    ps_id_new(b.id);
    ps_strlcpy(b.name, "acme", sizeof(b.name));
    ps_strlcpy(b.display_name, "Acme", sizeof(b.display_name));
    ps_strlcpy(b.created_at, "2026-11-20T10:00:00.000Z", sizeof(b.created_at));
    assert_int_equal(ps_store_business_insert(s, &b, &err), 0);

    char txn[PS_ID_SIZE], cust[PS_ID_SIZE];
    ps_id_new(txn);
    ps_id_new(cust);
    struct ps_status_event e = {b.id,     "TRANSACTION", txn,
                                cust,     "req-0001/a",  "NEW",
                                "PENDING", "SUBMIT",     "push-to-card payout",
                                "2026-11-20T10:00:00.000Z"};
    check(fx->db_path, s, &e); /* every value plain: the fast path */
    e.ref = "";
    e.from = NULL;
    e.reason = "";
    check(fx->db_path, s, &e); /* optional values left out */
    e.reason = "provider DECLINED 05: \"do not honor\" \\ tab\there";
    check(fx->db_path, s, &e); /* quotes, backslash, control: jansson */
    e.reason = "caf\xc3\xa9 r\xc3\xa9sum\xc3\xa9";
    check(fx->db_path, s, &e); /* UTF-8: jansson */
    ps_store_close(s);
}

/* ---- a transaction's status event without its payload (schema v25) */

static int first_unwritten(void *ctx, int64_t id, const char *payload)
{
    (void)id;
    *(char **)ctx = strdup(payload);
    return 1;
}

/* One change of t (its history row, then its event naming it, as
 * ps_txn_changes writes them): the event read back must be the bytes the
 * stored payload of the same event would be, with no payload stored. */
static void check_history(const char *db_path, struct ps_store *s,
                          const struct ps_txn *t,
                          const struct ps_status_event *e)
{
    struct ps_source src = {e->reason, "p2c-acme-20261120-001.csv", 7};
    struct ps_err err;
    char *got = NULL;
    ps_err_clear(&err);
    assert_int_equal(ps_store_begin(s, &err), 0);
    assert_int_equal(ps_store_txn_history_insert(s, t, PS_TXN_NEW,
                                                 PS_TXN_PENDING, "SUBMIT",
                                                 &src, NULL, e->at, &err),
                     0);
    int64_t hid = ps_store_txn_history_last(s);
    assert_true(hid > 0);
    if (ps_status_event_of(s, e, hid, &err) != 0)
        fail_msg("status event: %s [%s]", err.msg, err.rule);
    assert_int_equal(ps_store_commit(s, &err), 0);

    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT payload IS NULL, history_id, event_id, id"
                           " FROM event_outbox ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1); /* nothing stored */
    assert_int_equal(sqlite3_column_int64(st, 1), hid);
    char *id = strdup((const char *)sqlite3_column_text(st, 2));
    int64_t row = sqlite3_column_int64(st, 3);
    sqlite3_finalize(st);
    sqlite3_close(db);

    assert_int_equal(ps_store_events_unwritten(s, e->business_id,
                                               first_unwritten, &got, &err),
                     0);
    assert_non_null(got);
    char *want = jansson_dump(e, id);
    assert_string_equal(got, want);
    /* written: the next check reads its own as the first unwritten */
    assert_int_equal(ps_store_event_written(s, row, e->at, &err), 0);
    free(want);
    free(got);
    free(id);
}

static void test_history_payload_as_jansson(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_store *s = NULL;
    struct ps_business b;
    struct ps_txn t[2];
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(ps_store_open(fx->db_path, &s, &err), 0);
    memset(&b, 0, sizeof(b));
    ps_id_new(b.id);
    ps_strlcpy(b.name, "acme", sizeof(b.name));
    ps_strlcpy(b.display_name, "Acme", sizeof(b.display_name));
    ps_strlcpy(b.created_at, "2026-11-20T10:00:00.000Z", sizeof(b.created_at));
    assert_int_equal(ps_store_business_insert(s, &b, &err), 0);
    for (int i = 0; i < 2; i++) {
        memset(&t[i], 0, sizeof(t[i]));
        ps_id_new(t[i].id);
        ps_strlcpy(t[i].business_id, b.id, sizeof(t[i].business_id));
        ps_id_new(t[i].customer_id);
        ps_id_new(t[i].account_id);
        t[i].type = PS_TXN_SEND;
        t[i].rail = PS_RAIL_PUSH_TO_CARD;
        t[i].purpose = PS_PURPOSE_PAYMENT;
        t[i].amount = 2500;
        ps_strlcpy(t[i].currency, "USD", sizeof(t[i].currency));
        t[i].status = PS_TXN_NEW;
        ps_strlcpy(t[i].request_id, i == 0 ? "req-0001/a" : "",
                   sizeof(t[i].request_id));
        ps_strlcpy(t[i].created_at, "2026-11-20T10:00:00.000Z",
                   sizeof(t[i].created_at));
        ps_strlcpy(t[i].updated_at, t[i].created_at, sizeof(t[i].updated_at));
        assert_int_equal(ps_store_txn_insert(s, &t[i], &err), 0);
    }
    t[0].status = t[1].status = PS_TXN_PENDING;
    /* history and event ids apart, as they are beside other events */
    struct ps_status_event other = {b.id, "CUSTOMER", t[0].customer_id,
                                    t[0].customer_id, NULL, "ACTIVE",
                                    "SUSPENDED", NULL, "fraud review",
                                    "2026-11-20T10:00:00.500Z"};
    assert_int_equal(ps_status_event(s, &other, &err), 0);
    char *first = NULL;
    assert_int_equal(ps_store_events_unwritten(s, b.id, first_unwritten,
                                               &first, &err),
                     0);
    assert_non_null(first);
    free(first);
    assert_int_equal(ps_store_event_written(s, 1, other.at, &err), 0);
    struct ps_status_event e = {b.id,     "TRANSACTION", t[0].id,
                                t[0].customer_id, t[0].request_id, "NEW",
                                "PENDING", "SUBMIT",  "push-to-card payout",
                                "2026-11-20T10:00:01.000Z"};
    check_history(fx->db_path, s, &t[0], &e); /* every value plain */
    e.reason = "";
    check_history(fx->db_path, s, &t[0], &e); /* no reason: null */
    e.reason = "provider DECLINED 05: \"do not honor\" \\ tab\there";
    check_history(fx->db_path, s, &t[0], &e); /* escaped: jansson */
    e.reason = "caf\xc3\xa9 r\xc3\xa9sum\xc3\xa9";
    check_history(fx->db_path, s, &t[0], &e); /* UTF-8: jansson */
    e.entity_id = t[1].id;
    e.customer_id = t[1].customer_id;
    e.ref = "";
    e.reason = "push-to-card payout";
    check_history(fx->db_path, s, &t[1], &e); /* no request id: null */
    ps_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_payload_as_jansson, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_history_payload_as_jansson,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
