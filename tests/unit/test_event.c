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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_payload_as_jansson, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
