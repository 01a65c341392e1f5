/*
 * test_store.c -- unit tests for store.c: opening and migrations (a new
 * file, an older file with data, a file from a newer payspool, a reopen),
 * the connection settings (WAL, foreign keys), constraints (CHECK,
 * UNIQUE -> PS_ECONFLICT) and nested transactions (savepoints).
 *
 * Each test gets a fresh directory under $TMPDIR (or /tmp), removed after.
 * A second, raw SQLite connection looks at the file from outside where
 * the store API has nothing to say (tables present, PRAGMAs, bad rows).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/id.h"
#include "base/log.h"
#include "base/model.h"
#include "store/store.h"
#include "testutil.h"

/* Tables of each schema version (schema.h), checked from outside. */
static const char *const v1_tables[] = {"schema_version",
                                        "businesses",
                                        "customers",
                                        "customer_contacts",
                                        "customer_addresses",
                                        "customer_history",
                                        "financial_accounts",
                                        "account_history",
                                        "debit_authorizations",
                                        "ewa_programs",
                                        "ewa_profiles",
                                        "ewa_eligibility_history",
                                        "transactions",
                                        "transaction_history",
                                        "ledger_accounts",
                                        "ledger_entries",
                                        NULL};
static const char *const v2_tables[] = {"files",
                                        "file_keys",
                                        "record_results",
                                        "record_keys",
                                        "checkpoints",
                                        "payroll_results",
                                        "outputs",
                                        "output_items",
                                        "job_runs",
                                        "job_state",
                                        "engine_guard",
                                        "linx_templates",
                                        "linx_requests",
                                        "linx_request_history",
                                        "linx_documents",
                                        "linx_acceptances",
                                        "business_settings",
                                        "customer_identity",
                                        "event_outbox",
                                        "sms_outbox",
                                        NULL};

static int setup(void **state)
{
    return ps_test_db_setup(state, "test_store");
}

static int teardown(void **state)
{
    return ps_test_db_teardown(state);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = ps_test_sqlite_open(path);
    sqlite3_extended_result_codes(db, 1);
    return db;
}

/* One integer from a query with an optional text parameter. */
static int64_t raw_int(sqlite3 *db, const char *sql, const char *arg)
{
    sqlite3_stmt *st = NULL;
    int64_t v;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (arg != NULL)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Run a statement; return SQLite's extended result code. */
static int raw_exec(sqlite3 *db, const char *sql)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? rc : sqlite3_extended_errcode(db);
}

static int table_exists(sqlite3 *db, const char *name)
{
    return raw_int(db,
                   "SELECT count(*) FROM sqlite_schema"
                   " WHERE type = 'table' AND name = ?1",
                   name) == 1;
}

static void check_tables(const char *path, const char *const *names,
                         int present)
{
    sqlite3 *db = raw_open(path);
    for (int i = 0; names[i] != NULL; i++)
        if (table_exists(db, names[i]) != present)
            fail_msg("table %s should %sexist", names[i],
                     present ? "" : "not ");
    sqlite3_close(db);
}

static void make_business(struct ps_business *b, const char *name)
{
    memset(b, 0, sizeof(*b));
    ps_id_new(b->id);
    ps_strlcpy(b->name, name, sizeof(b->name));
    snprintf(b->display_name, sizeof(b->display_name), "%s Inc.", name);
    b->status = PS_STATUS_ACTIVE;
    ps_time_now(b->created_at);
}

static void make_customer(struct ps_customer *c, const char *business_id,
                          const char *external_id)
{
    memset(c, 0, sizeof(*c));
    ps_id_new(c->id);
    ps_strlcpy(c->business_id, business_id, sizeof(c->business_id));
    ps_strlcpy(c->external_id, external_id, sizeof(c->external_id));
    c->type = PS_CUSTOMER_INDIVIDUAL;
    ps_strlcpy(c->first_name, "Katherine", sizeof(c->first_name));
    ps_strlcpy(c->middle_name, "C", sizeof(c->middle_name));
    ps_strlcpy(c->last_name, "Johnson", sizeof(c->last_name));
    ps_strlcpy(c->email, "kj@example.com", sizeof(c->email));
    ps_strlcpy(c->phone, "+15555550100", sizeof(c->phone));
    c->status = PS_STATUS_ACTIVE;
    ps_time_now(c->created_at);
    ps_strlcpy(c->updated_at, c->created_at, sizeof(c->updated_at));
}

static void insert_business(struct ps_store *s, struct ps_business *b,
                            const char *name)
{
    struct ps_err err;
    ps_err_clear(&err);
    make_business(b, name);
    if (ps_store_business_insert(s, b, &err) != 0)
        fail_msg("insert business %s: %s", name, err.msg);
}

static void insert_customer(struct ps_store *s, struct ps_customer *c,
                            const char *business_id, const char *external_id)
{
    struct ps_err err;
    ps_err_clear(&err);
    make_customer(c, business_id, external_id);
    if (ps_store_customer_insert(s, c, &err) != 0)
        fail_msg("insert customer %s: %s", external_id, err.msg);
}

static int business_exists(struct ps_store *s, const char *name)
{
    struct ps_business b;
    int rc = ps_store_business_get(s, name, &b, NULL);
    assert_true(rc == 0 || rc == PS_ENOTFOUND);
    return rc == 0;
}

/* ------------------------------------------------------------------ */
/* Opening and migrations                                              */
/* ------------------------------------------------------------------ */

static void test_new_file_latest(void **state)
{
    struct ps_test_db *fx = *state;
    /* 2 when written; a later migration must keep the v1 and v2 tables. */
    int latest = ps_store_latest_version();
    assert_true(latest >= 2);
    struct ps_store *s = ps_test_store_open(fx->db_path, 0);
    assert_int_equal(ps_store_version(s), ps_store_latest_version());
    ps_store_close(s);

    check_tables(fx->db_path, v1_tables, 1);
    check_tables(fx->db_path, v2_tables, 1);
    sqlite3 *db = raw_open(fx->db_path);
    /* One row per migration applied. */
    assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_version", NULL),
                     latest);
    assert_int_equal(
        raw_int(db, "SELECT min(version) FROM schema_version", NULL), 1);
    assert_int_equal(
        raw_int(db, "SELECT max(version) FROM schema_version", NULL), latest);
    /* A new database has 16 KiB pages (docs/store.md). */
    assert_int_equal(raw_int(db, "PRAGMA page_size", NULL), 16384);
    sqlite3_close(db);

    /* ps_store_open is the same as open_version(latest). */
    s = NULL;
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(ps_store_open(fx->db_path, &s, &err), 0);
    assert_int_equal(ps_store_version(s), latest);
    ps_store_close(s);
    ps_store_close(NULL); /* _close(NULL) does nothing */
}

/* Version 30: transaction_history's created_at index (version 6's) is
 * dropped in place, its rows and its other indexes kept. */
static void test_migrate_v30_history_index(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_store *s = ps_test_store_open(fx->db_path, 29);
    assert_int_equal(ps_store_version(s), 29);
    ps_store_close(s);
    sqlite3 *db = raw_open(fx->db_path);
    const char *idx = "SELECT count(*) FROM sqlite_schema WHERE type ="
                      " 'index' AND name = ?1";
    assert_int_equal(raw_int(db, idx, "transaction_history_created"), 1);
    assert_int_equal(
        raw_exec(db, "INSERT INTO transaction_history(txn_id, from_status,"
                     " to_status, event, created_at) VALUES ('t1', 'NEW',"
                     " 'PENDING', 'SUBMIT', '2026-12-07T20:00:00.000Z')"),
        SQLITE_OK);
    sqlite3_close(db);

    s = ps_test_store_open(fx->db_path, 0);
    assert_int_equal(ps_store_version(s), ps_store_latest_version());
    ps_store_close(s);
    db = raw_open(fx->db_path);
    assert_int_equal(raw_int(db, idx, "transaction_history_created"), 0);
    assert_int_equal(raw_int(db, idx, "transaction_history_txn"), 1);
    assert_int_equal(raw_int(db, idx, "transaction_history_returns"), 1);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM transaction_history WHERE"
                             " txn_id = ?1 AND event = 'SUBMIT'",
                             "t1"),
                     1);
    sqlite3_close(db);
}

/* Schema 33: a transaction's status event keeps only what its history
 * row and transaction cannot give; rows that do not agree with them, and
 * every other event, are copied whole; ids kept; the entries' indexes by
 * account are gone. */
static void test_migrate_v33_narrow_events(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_store *s = ps_test_store_open(fx->db_path, 32);
    assert_int_equal(ps_store_version(s), 32);
    ps_store_close(s);
    sqlite3 *db = raw_open(fx->db_path);
    assert_int_equal(
        raw_exec(db,
                 "INSERT INTO businesses(id, name, display_name, created_at,"
                 " seq) VALUES ('b1', 'b1', 'B1', '2026-12-08T00:00:00.000Z',"
                 " 1);"
                 "INSERT INTO transactions(id, business_id, customer_id,"
                 " account_id, type, rail, purpose, amount, currency, status,"
                 " created_at, updated_at) VALUES ('t1', 'b1', 'c1', 'a1',"
                 " 'SEND', 'PUSH_TO_CARD', 'PAYMENT', 100, 'USD', 'PENDING',"
                 " '2026-12-08T00:00:00.000Z', '2026-12-08T01:00:00.000Z');"
                 "INSERT INTO transaction_history(id, txn_id, from_status,"
                 " to_status, event, reason, created_at) VALUES (7, 't1',"
                 " 'NEW', 'PENDING', 'SUBMIT', 'payout',"
                 " '2026-12-08T01:00:00.000Z');"
                 "INSERT INTO event_outbox(id, event_id, business_id,"
                 " event_type, entity_type, entity_id, customer_id,"
                 " history_id, created_at) VALUES (3, 'e3', 'b1',"
                 " 'transaction.status', 'TRANSACTION', 't1', 'c1', 7,"
                 " '2026-12-08T01:00:00.000Z'),"
                 " (4, 'e4', 'b1', 'transaction.status', 'TRANSACTION', 't1',"
                 " 'c1', 7, '2026-12-08T01:00:00.001Z');"
                 "INSERT INTO event_outbox(id, event_id, business_id,"
                 " event_type, entity_type, entity_id, customer_id, payload,"
                 " created_at) VALUES (5, 'e5', 'b1', 'customer.status',"
                 " 'CUSTOMER', 'c1', 'c1', '{}', '2026-12-08T01:00:00.000Z');"),
        SQLITE_OK);
    sqlite3_close(db);

    s = ps_test_store_open(fx->db_path, 0);
    assert_int_equal(ps_store_version(s), ps_store_latest_version());
    ps_store_close(s);
    db = raw_open(fx->db_path);
    const char *idx = "SELECT count(*) FROM sqlite_schema WHERE type ="
                      " 'index' AND name = ?1";
    assert_int_equal(raw_int(db, idx, "ledger_entries_debit"), 0);
    assert_int_equal(raw_int(db, idx, "ledger_entries_credit"), 0);
    assert_int_equal(raw_int(db, idx, "ledger_entries_txn"), 1);
    assert_int_equal(raw_int(db, idx, "output_items_txn"), 0);
    assert_int_equal(raw_int(db, idx, "event_outbox_unwritten"), 1);
    /* e3 agrees with its history row: narrowed */
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM event_outbox WHERE id = 3"
                             " AND event_id = ?1 AND event_type IS NULL AND"
                             " entity_id IS NULL AND customer_id IS NULL AND"
                             " created_at IS NULL AND history_id = 7 AND"
                             " entity_type = 'TRANSACTION'",
                             "e3"),
                     1);
    /* e4's time is not its history row's: whole */
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM event_outbox WHERE id = 4"
                             " AND event_id = ?1 AND event_type ="
                             " 'transaction.status' AND entity_id = 't1' AND"
                             " customer_id = 'c1' AND created_at ="
                             " '2026-12-08T01:00:00.001Z'",
                             "e4"),
                     1);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM event_outbox WHERE id = 5"
                             " AND event_id = ?1 AND payload = '{}' AND"
                             " event_type = 'customer.status'",
                             "e5"),
                     1);
    /* the narrow row's columns as the readers make them again */
    assert_int_equal(
        raw_int(db,
                "SELECT count(*) FROM event_outbox e"
                " JOIN transaction_history h ON h.id = e.history_id"
                " JOIN transactions t ON t.id = h.txn_id"
                " WHERE e.id = 3 AND h.txn_id = ?1 AND"
                " t.customer_id = 'c1' AND h.created_at ="
                " '2026-12-08T01:00:00.000Z'",
                "t1"),
        1);
    /* a narrow row needs its history row; a whole one its columns */
    assert_int_equal(raw_exec(db, "INSERT INTO event_outbox(event_id,"
                                  " business_id, entity_type) VALUES ('e6',"
                                  " 'b1', 'TRANSACTION')"),
                     SQLITE_CONSTRAINT_CHECK);
    assert_int_equal(raw_exec(db, "INSERT INTO event_outbox(event_id,"
                                  " business_id, event_type, entity_type,"
                                  " payload) VALUES ('e7', 'b1', 'x.status',"
                                  " 'CUSTOMER', '{}')"),
                     SQLITE_CONSTRAINT_CHECK);
    sqlite3_close(db);
}

static void test_migrate_v1_with_data(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_business b, parent, got_b;
    struct ps_customer c, got_c;
    struct ps_err err;
    ps_err_clear(&err);

    struct ps_store *s = ps_test_store_open(fx->db_path, 1);
    assert_int_equal(ps_store_version(s), 1);
    insert_business(s, &parent, "holding");
    make_business(&b, "acme");
    ps_strlcpy(b.parent_id, parent.id, sizeof(b.parent_id));
    assert_int_equal(ps_store_business_insert(s, &b, &err), 0);
    insert_customer(s, &c, b.id, "emp-0001");
    ps_store_close(s);
    check_tables(fx->db_path, v1_tables, 1);
    check_tables(fx->db_path, v2_tables, 0);

    /* Asking for version 1 again does not migrate further. */
    s = ps_test_store_open(fx->db_path, 1);
    assert_int_equal(ps_store_version(s), 1);
    ps_store_close(s);

    s = ps_test_store_open(fx->db_path, 0);
    assert_int_equal(ps_store_version(s), ps_store_latest_version());
    assert_int_equal(ps_store_business_get(s, "acme", &got_b, &err), 0);
    assert_string_equal(got_b.id, b.id);
    assert_string_equal(got_b.display_name, b.display_name);
    assert_string_equal(got_b.parent_id, parent.id);
    assert_int_equal(got_b.status, PS_STATUS_ACTIVE);
    assert_string_equal(got_b.created_at, b.created_at);
    assert_int_equal(ps_store_customer_get(s, c.id, &got_c, &err), 0);
    assert_string_equal(got_c.business_id, b.id);
    assert_string_equal(got_c.external_id, "emp-0001");
    assert_int_equal(got_c.type, PS_CUSTOMER_INDIVIDUAL);
    assert_string_equal(got_c.first_name, c.first_name);
    assert_string_equal(got_c.middle_name, c.middle_name);
    assert_string_equal(got_c.last_name, c.last_name);
    assert_string_equal(got_c.email, c.email);
    assert_string_equal(got_c.phone, c.phone);
    assert_string_equal(got_c.created_at, c.created_at);
    assert_int_equal(
        ps_store_customer_get_ext(s, b.id, "emp-0001", &got_c, &err), 0);
    assert_string_equal(got_c.id, c.id);

    /* New data still goes in after the migration. */
    struct ps_customer c2;
    insert_customer(s, &c2, b.id, "emp-0002");
    ps_store_close(s);
    check_tables(fx->db_path, v1_tables, 1);
    check_tables(fx->db_path, v2_tables, 1);

    /* The v2 tables are usable, with foreign keys to v1 rows. */
    sqlite3 *db = raw_open(fx->db_path);
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO job_runs(id, job, business_date, status, attempt,"
             " started_at) VALUES ('j1', 'payout', '2026-11-20', 'RUNNING',"
             " 1, '2026-11-20T00:00:00.000Z');"
             "INSERT INTO files(id, business_id, name, sha256, size, status,"
             " received_at) VALUES ('f1', '%s', 'a.csv', '%064d', 3,"
             " 'RECEIVED', '2026-11-20T00:00:00.000Z');",
             b.id, 0);
    assert_int_equal(raw_exec(db, sql), SQLITE_OK);
    assert_int_equal(
        raw_int(db, "SELECT max(version) FROM schema_version", NULL),
        ps_store_latest_version());
    /* Version 23: the status index (version 11's, each status's rows by
     * age) is gone; payouts and cutoffs read from a watermark, retries
     * through the partial index on (business_id, rail). */
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM sqlite_schema WHERE name"
                             " = 'transactions_status'",
                             NULL),
                     0);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM pragma_index_info("
                             "'transactions_retry') WHERE (seqno = 0 AND"
                             " name = 'business_id') OR (seqno = 1 AND"
                             " name = 'rail')",
                             NULL),
                     2);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM sqlite_schema WHERE name"
                             " = 'transactions_retry' AND sql LIKE"
                             " '%WHERE status = ''PENDING'' AND attempts > 0'",
                             NULL),
                     1);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM outbound_marks", NULL),
                     0);
    sqlite3_close(db);
}

/* Version 10 fills reason_code from the two forms the engine wrote a
 * return's code in, and only for returns of ACH transactions. */
static void test_migrate_v10_return_codes(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_store *s = ps_test_store_open(fx->db_path, 9);
    ps_store_close(s);
    sqlite3 *db = raw_open(fx->db_path);
    const char *rows =
        "INSERT INTO transactions(id, business_id, customer_id, account_id,"
        " type, rail, purpose, amount, currency, status, created_at,"
        " updated_at) VALUES"
        " ('t1', 'b', 'c', 'a', 'DEBIT', 'ACH', 'EWA_RECOVERY', 100, 'USD',"
        "  'DECLINED', 'x', 'x'),"
        " ('t2', 'b', 'c', 'a', 'SEND', 'ACH', 'EWA_DISBURSEMENT', 100,"
        "  'USD', 'REVERSED', 'x', 'x'),"
        " ('t3', 'b', 'c', 'a', 'SEND', 'PUSH_TO_CARD', 'EWA_DISBURSEMENT',"
        "  100, 'USD', 'DECLINED', 'x', 'x');"
        "INSERT INTO transaction_history(txn_id, from_status, to_status,"
        " event, reason, created_at) VALUES"
        " ('t1', NULL, 'NEW', 'CREATE', 'R01 is not a return here', 'x'),"
        " ('t1', 'PROCESSING', 'DECLINED', 'RETURN', 'ACH return R01', 'x'),"
        " ('t2', 'SETTLED', 'REVERSED', 'RETURN',"
        "  'R10 (customer advises not authorized): sandbox', 'x'),"
        " ('t3', 'PROCESSING', 'DECLINED', 'DECLINE', 'R05 card answer', 'x');";
    assert_int_equal(raw_exec(db, rows), SQLITE_OK);
    sqlite3_close(db);

    s = ps_test_store_open(fx->db_path, 10);
    ps_store_close(s);
    db = raw_open(fx->db_path);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM transaction_history"
                             " WHERE reason_code IS NOT NULL",
                             NULL),
                     2);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM transaction_history"
                             " WHERE txn_id = 't1' AND reason_code = ?1",
                             "R01"),
                     1);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM transaction_history"
                             " WHERE txn_id = 't2' AND reason_code = ?1",
                             "R10"),
                     1);
    /* Only well-formed codes go in. */
    assert_int_not_equal(
        raw_exec(db, "UPDATE transaction_history SET reason_code = 'C01'"),
        SQLITE_OK);
    sqlite3_close(db);
}

/* A transaction row for the request-hash tests: business b, request r. */
static int txn_put(struct ps_store *s, const char *b, const char *r,
                   char id[PS_ID_SIZE])
{
    struct ps_txn t;
    struct ps_err err;
    memset(&t, 0, sizeof(t));
    ps_id_new(t.id);
    snprintf(t.business_id, sizeof(t.business_id), "%s", b);
    snprintf(t.customer_id, sizeof(t.customer_id), "c");
    snprintf(t.account_id, sizeof(t.account_id), "a");
    snprintf(t.currency, sizeof(t.currency), "USD");
    snprintf(t.request_id, sizeof(t.request_id), "%s", r);
    snprintf(t.created_at, sizeof(t.created_at), "x");
    snprintf(t.updated_at, sizeof(t.updated_at), "x");
    t.type = PS_TXN_SEND;
    t.rail = PS_RAIL_ACH;
    t.purpose = PS_PURPOSE_PAYMENT;
    t.status = PS_TXN_NEW;
    t.amount = 100;
    if (id != NULL)
        memcpy(id, t.id, PS_ID_SIZE);
    ps_err_clear(&err);
    return ps_store_txn_insert(s, &t, &err);
}

static int txn_find(struct ps_store *s, const char *b, const char *r,
                    char id[PS_ID_SIZE])
{
    struct ps_txn t;
    struct ps_err err;
    ps_err_clear(&err);
    int rc = ps_store_txn_get_request(s, b, r, &t, &err);
    if (rc == 0 && id != NULL)
        memcpy(id, t.id, PS_ID_SIZE);
    return rc;
}

/* Version 16 rebuilds transactions with request_hash in place of the
 * UNIQUE on the text: every row, rowid and reference kept, each request
 * id hashed; a duplicate is still refused, per business, and a hash
 * collision between two different ids refuses neither. */
static void test_migrate_v17_request_hash(void **state)
{
    struct ps_test_db *fx = *state;
    char id[PS_ID_SIZE], id2[PS_ID_SIZE];
    struct ps_store *s = ps_test_store_open(fx->db_path, 16);
    ps_store_close(s);
    sqlite3 *db = raw_open(fx->db_path);
    assert_int_equal(
        raw_exec(db,
                 "INSERT INTO transactions(rowid, id, business_id,"
                 " customer_id, account_id, type, rail, purpose, amount,"
                 " currency, status, request_id, created_at, updated_at)"
                 " VALUES"
                 " (7, 't1', 'b1', 'c', 'a', 'SEND', 'ACH', 'PAYMENT', 100,"
                 "  'USD', 'NEW', 'R1', 'x', 'x'),"
                 " (9, 't2', 'b1', 'c', 'a', 'SEND', 'ACH', 'PAYMENT', 200,"
                 "  'USD', 'SETTLED', 'R2', 'x', 'x'),"
                 " (11, 't3', 'b2', 'c', 'a', 'SEND', 'ACH', 'PAYMENT', 300,"
                 "  'USD', 'NEW', 'R1', 'x', 'x'),"
                 " (12, 't4', 'b2', 'c', 'a', 'SEND', 'ACH', 'PAYMENT', 400,"
                 "  'USD', 'NEW', NULL, 'x', 'x');"
                 "INSERT INTO iso_refs VALUES ('t2', 'b1', 'm', 'p', 'e'),"
                 " ('t1', 'b1', 'm', 'p', 'R1');"),
        SQLITE_OK);
    sqlite3_close(db);

    s = ps_test_store_open(fx->db_path, 17);
    db = raw_open(fx->db_path);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM transactions WHERE"
                             " rowid IN (7, 9, 11, 12) AND amount = rowid"
                             " * 0 + CASE id WHEN 't1' THEN 100 WHEN 't2'"
                             " THEN 200 WHEN 't3' THEN 300 ELSE 400 END",
                             NULL),
                     4);
    assert_int_equal(raw_int(db,
                             "SELECT count(DISTINCT request_hash) FROM"
                             " transactions WHERE request_id IS NOT NULL",
                             NULL),
                     3);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM transactions"
                             " WHERE request_hash IS NULL",
                             NULL),
                     1);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM sqlite_schema WHERE name"
                             " LIKE 'sqlite_autoindex_transactions%'",
                             NULL),
                     1); /* the primary key's; the text UNIQUE is gone */
    /* iso_refs still finds its transaction (its business is made up). */
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM pragma_foreign_key_check"
                             " WHERE \"table\" = 'iso_refs'"
                             " AND parent = 'transactions'",
                             NULL),
                     0);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM pragma_foreign_key_check"
                             " WHERE \"table\" = 'iso_refs'",
                             NULL),
                     2);
    ps_store_close(s); /* the API below writes the latest version's rows */
    s = ps_test_store_open(fx->db_path, 0);
    /* The narrow iso_refs (version 26): the same references, the block's
     * (business, MsgId, PmtInfId) in iso_msgs; by the transaction's rowid
     * (version 31), the EndToEndId NULL when it is the request id. */
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM iso_refs r JOIN iso_msgs m"
                             " ON m.id = r.msg WHERE r.txn = 9 AND"
                             " m.business_id = 'b1' AND m.msg_id = 'm' AND"
                             " m.pmt_inf_id = 'p' AND r.end_to_end_id = 'e'",
                             NULL),
                     1);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM iso_refs r JOIN iso_msgs m"
                             " ON m.id = r.msg WHERE r.txn = 7 AND"
                             " m.msg_id = 'm' AND r.end_to_end_id IS NULL",
                             NULL),
                     1);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM iso_refs", NULL), 2);

    /* Found by business and request id; refused twice, not across. */
    assert_int_equal(txn_find(s, "b1", "R1", id), 0);
    assert_string_equal(id, "t1");
    assert_int_equal(txn_find(s, "b2", "R1", id), 0);
    assert_string_equal(id, "t3");
    assert_int_equal(txn_find(s, "b1", "R3", NULL), PS_ENOTFOUND);
    assert_int_equal(txn_put(s, "b1", "R2", NULL), PS_ECONFLICT);
    assert_int_equal(txn_put(s, "b2", "R2", NULL), 0);
    assert_int_equal(txn_put(s, "b1", "R3", id), 0);
    assert_int_equal(txn_find(s, "b1", "R3", id2), 0);
    assert_string_equal(id, id2);

    /* A collision: R3's hash now belongs to the text "R3x", so R3 hashes
     * onto a row of another id.  It goes in (without a hash), is found,
     * and a second R3 is refused. */
    assert_int_equal(raw_exec(db, "UPDATE transactions SET request_id ="
                                  " 'R3x' WHERE request_id = 'R3'"),
                     SQLITE_OK);
    assert_int_equal(txn_find(s, "b1", "R3", NULL), PS_ENOTFOUND);
    assert_int_equal(txn_put(s, "b1", "R3", id), 0);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM transactions WHERE"
                             " request_id = 'R3' AND request_hash IS NULL",
                             NULL),
                     1);
    assert_int_equal(txn_find(s, "b1", "R3", id2), 0);
    assert_string_equal(id, id2);
    assert_int_equal(txn_put(s, "b1", "R3", NULL), PS_ECONFLICT);
    /* Over 64 characters: never stored, so never found. */
    assert_int_equal(
        txn_find(s, "b1",
                 "R0123456789012345678901234567890123456789012345678901234567"
                 "890123456789",
                 NULL),
        PS_ENOTFOUND);
    sqlite3_close(db);
    ps_store_close(s);
}

/* Version 31: record_keys by the numbers of its business and file (their
 * seq, the rowid at the migration), every row kept; a key seen before is
 * still refused, the same key in another business is not; a business or
 * file without a number gets max + 1 on its first key, and a rollback
 * forgets the number it gave. */
static void test_migrate_v31_record_keys(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_business b1, b2;
    struct ps_err err;
    char sql[1024];
    struct ps_store *s = ps_test_store_open(fx->db_path, 30);
    insert_business(s, &b1, "one");
    insert_business(s, &b2, "two");
    ps_store_close(s);
    sqlite3 *db = raw_open(fx->db_path);
    snprintf(sql, sizeof(sql),
             "INSERT INTO files(rowid, id, business_id, name, sha256, size,"
             " status, received_at) VALUES (5, 'f1', '%s', 'a.xml', '%064d',"
             " 3, 'APPLIED', 'x'), (8, 'f2', '%s', 'b.xml', '%064d', 3,"
             " 'APPLIED', 'x');"
             "INSERT INTO record_keys(business_id, key, file_id, record_no)"
             " VALUES ('%s', 'M/E1', 'f1', 1), ('%s', 'M/E2', 'f1', 2),"
             " ('%s', 'M/E1', 'f2', 1);",
             b1.id, 1, b2.id, 2, b1.id, b1.id, b2.id);
    assert_int_equal(raw_exec(db, sql), SQLITE_OK);
    sqlite3_close(db);

    s = ps_test_store_open(fx->db_path, 0);
    db = raw_open(fx->db_path);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM record_keys", NULL), 3);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM record_keys k"
                             " JOIN businesses b ON b.seq = k.business"
                             " JOIN files f ON f.seq = k.file"
                             " WHERE f.seq = f.rowid AND b.seq = b.rowid"
                             " AND f.business_id = b.id",
                             NULL),
                     3);
    assert_int_equal(raw_int(db,
                             "SELECT record_no FROM record_keys k JOIN files f"
                             " ON f.seq = k.file WHERE f.id = 'f1'"
                             " AND k.key = 'M/E2'",
                             NULL),
                     2);
    ps_err_clear(&err);
    assert_int_equal(
        ps_store_record_key_insert(s, b1.id, "M/E1", "f1", 9, &err),
        PS_ECONFLICT);
    assert_int_equal(
        ps_store_record_key_insert(s, b2.id, "M/E1", "f2", 9, &err),
        PS_ECONFLICT);
    assert_int_equal(
        ps_store_record_key_insert(s, b2.id, "M/E2", "f2", 2, &err), 0);
    assert_int_equal(
        ps_store_record_key_insert(s, b1.id, "M/E3", "f1", 3, &err), 0);
    assert_int_equal(
        ps_store_record_key_insert(s, b1.id, "M/E3", "f1", 4, &err),
        PS_ECONFLICT);

    /* A file made after the migration: numbered on its first key. */
    snprintf(sql, sizeof(sql),
             "INSERT INTO files(id, business_id, name, sha256, size, status,"
             " received_at) VALUES ('f3', '%s', 'c.xml', '%064d', 3,"
             " 'APPLIED', 'x'), ('f4', '%s', 'd.xml', '%064d', 3, 'APPLIED',"
             " 'x');",
             b1.id, 3, b1.id, 4);
    assert_int_equal(raw_exec(db, sql), SQLITE_OK);
    /* Its number given in a transaction that rolls back is forgotten. */
    assert_int_equal(ps_store_begin(s, &err), 0);
    assert_int_equal(
        ps_store_record_key_insert(s, b1.id, "M/E4", "f3", 1, &err), 0);
    ps_store_rollback(s);
    assert_int_equal(
        raw_int(db, "SELECT count(*) FROM files WHERE seq IS NULL", NULL), 2);
    assert_int_equal(
        ps_store_record_key_insert(s, b1.id, "M/E5", "f4", 1, &err), 0);
    assert_int_equal(
        ps_store_record_key_insert(s, b1.id, "M/E4", "f3", 1, &err), 0);
    assert_int_equal(raw_int(db, "SELECT seq FROM files WHERE id = 'f4'", NULL),
                     9);
    assert_int_equal(raw_int(db, "SELECT seq FROM files WHERE id = 'f3'", NULL),
                     10);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM record_keys k JOIN files f"
                             " ON f.seq = k.file WHERE (f.id = 'f3' AND"
                             " k.key = 'M/E4') OR (f.id = 'f4' AND"
                             " k.key = 'M/E5')",
                             NULL),
                     2);
    sqlite3_close(db);
    ps_store_close(s);
}

struct hist_seen {
    int n;
    struct ps_txn_history_row row[4];
};

static int hist_add(void *ctx, const struct ps_txn_history_row *r)
{
    struct hist_seen *h = ctx;
    if (h->n < 4)
        h->row[h->n] = *r;
    h->n++;
    return 0;
}

struct trial_seen {
    int64_t debits, credits;
};

static int trial_add(void *ctx, const struct ps_trial_row *r)
{
    struct trial_seen *t = ctx;
    t->debits += r->debits;
    t->credits += r->credits;
    return 0;
}

/* Version 17 moves each creation onto its transaction row: the CREATE
 * history row (reason, file, line) and the "ewa advance" entry (the
 * transfer) go, the fee entry and the later history stay; the history
 * read back, every balance and the trial balance are what they were. */
static void test_migrate_v18_creation_on_row(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_err err;
    struct ps_store *s = ps_test_store_open(fx->db_path, 17);
    ps_store_close(s);
    sqlite3 *db = raw_open(fx->db_path);
    assert_int_equal(
        raw_exec(
            db,
            "INSERT INTO ledger_accounts(id, business_id, kind, currency,"
            " customer_id) VALUES (1, 'b', 'EWA_RECEIVABLE', 'USD', NULL),"
            " (2, 'b', 'CUSTOMER', 'USD', 'c'), (3, 'b', 'FEE_INCOME', 'USD',"
            " NULL), (4, 'b', 'FUNDING', 'USD', NULL);"
            "INSERT INTO transactions(id, business_id, customer_id,"
            " account_id, profile_id, type, rail, purpose, amount, fee,"
            " currency, status, request_id, created_at, updated_at) VALUES"
            " ('t1', 'b', 'c', 'a', 'p', 'SEND', 'PUSH_TO_CARD',"
            "  'EWA_DISBURSEMENT', 5000, 299, 'USD', 'SETTLED', 'r1',"
            "  '2026-11-20T01:00:00.000Z', '2026-11-20T02:00:00.000Z'),"
            " ('t2', 'b', 'c', 'a', NULL, 'DEBIT', 'ACH', 'EWA_RECOVERY',"
            "  700, 0, 'USD', 'NEW', 'r2', '2026-11-20T03:00:00.000Z',"
            "  '2026-11-20T03:00:00.000Z');"
            "INSERT INTO transaction_history(id, txn_id, from_status,"
            " to_status, event, reason, source_file, source_line,"
            " created_at) VALUES"
            " (1, 't1', NULL, 'NEW', 'CREATE', NULL, 'req.csv', 7,"
            "  '2026-11-20T01:00:00.000Z'),"
            " (2, 't1', 'NEW', 'SETTLED', 'SETTLE', 'paid', 'ans.csv', 2,"
            "  '2026-11-20T02:00:00.000Z'),"
            " (3, 't2', NULL, 'NEW', 'CREATE', 'fallback', NULL, NULL,"
            "  '2026-11-20T03:00:00.000Z');"
            "INSERT INTO ledger_entries(id, txn_id, debit_account,"
            " credit_account, amount, currency, memo, created_at) VALUES"
            " (1, 't1', 1, 2, 5000, 'USD', 'ewa advance',"
            "  '2026-11-20T01:00:00.000Z'),"
            " (2, 't1', 1, 3, 299, 'USD', 'ewa fee',"
            "  '2026-11-20T01:00:00.000Z'),"
            " (3, 't1', 2, 4, 5000, 'USD', 'ewa payout settled',"
            "  '2026-11-20T02:00:00.000Z');"),
        SQLITE_OK);
    sqlite3_close(db);
    /* Each account's balance in version 17: its entries. */
    int64_t before[5];
    db = raw_open(fx->db_path);
    for (int a = 1; a <= 4; a++) {
        char n[16];
        snprintf(n, sizeof(n), "%d", a);
        before[a] = raw_int(db,
                            "SELECT (SELECT ifnull(sum(amount), 0) FROM"
                            " ledger_entries WHERE debit_account = ?1) -"
                            " (SELECT ifnull(sum(amount), 0) FROM"
                            " ledger_entries WHERE credit_account = ?1)",
                            n);
    }
    sqlite3_close(db);
    assert_int_equal(before[1], 5299);
    assert_int_equal(before[4], -5000);

    s = ps_test_store_open(fx->db_path, 18);
    db = raw_open(fx->db_path);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM transaction_history",
                             NULL),
                     1);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM ledger_entries WHERE"
                             " memo = 'ewa fee' OR memo = 'ewa payout"
                             " settled'",
                             NULL),
                     2);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM ledger_entries", NULL),
                     2);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM transactions WHERE"
                             " id = 't1' AND debit_account = 1 AND"
                             " credit_account = 2 AND source_file ="
                             " 'req.csv' AND source_line = 7",
                             NULL),
                     1);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM transactions WHERE"
                             " id = 't2' AND debit_account IS NULL AND"
                             " created_reason = 'fallback'",
                             NULL),
                     1);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM sqlite_schema"
                             " WHERE name = 'moved_v18'",
                             NULL),
                     0);
    for (int a = 1; a <= 4; a++) {
        int64_t after = 0;
        ps_err_clear(&err);
        assert_int_equal(ps_store_ledger_balance(s, a, &after, &err), 0);
        assert_int_equal(after, before[a]);
    }
    struct trial_seen tb = {0, 0};
    assert_int_equal(ps_store_trial_balance(s, NULL, trial_add, &tb, &err), 0);
    assert_int_equal(tb.debits, 5000 + 299 + 5000);
    assert_int_equal(tb.credits, tb.debits);
    /* The history reads as before: CREATE from the row, then SETTLE. */
    struct hist_seen h = {0};
    assert_int_equal(ps_store_txn_history(s, "t1", hist_add, &h, &err), 0);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.row[0].from_status, -1);
    assert_int_equal(h.row[0].to_status, PS_TXN_NEW);
    assert_string_equal(h.row[0].event, "CREATE");
    assert_string_equal(h.row[0].source_file, "req.csv");
    assert_int_equal(h.row[0].source_line, 7);
    assert_string_equal(h.row[0].created_at, "2026-11-20T01:00:00.000Z");
    assert_string_equal(h.row[1].event, "SETTLE");
    assert_string_equal(h.row[1].reason, "paid");
    h.n = 0;
    assert_int_equal(ps_store_txn_history(s, "t2", hist_add, &h, &err), 0);
    assert_int_equal(h.n, 1);
    assert_string_equal(h.row[0].reason, "fallback");
    assert_int_equal(h.row[0].source_line, 0);
    sqlite3_close(db);
    ps_store_close(s);
}

static int page_count(void *ctx, const struct ps_txn *t)
{
    (void)t;
    (*(int *)ctx)++;
    return 0;
}

/* Version 19 hashed a profile's transactions (profile_hash); version 22
 * chains them instead (profile_prev, ewa_counters.last_txn) and drops
 * the hash: the profile's count, page and recovery debits in flight are
 * what they were through both, never another profile's, and a new row
 * joins the chain. */
static void test_migrate_v19_profile_hash(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_err err;
    int64_t n = -1;
    int seen = 0;
    struct ps_store *s = ps_test_store_open(fx->db_path, 18);
    ps_store_close(s);
    sqlite3 *db = raw_open(fx->db_path);
    assert_int_equal(
        raw_exec(db,
                 "INSERT INTO transactions(id, business_id, customer_id,"
                 " account_id, profile_id, type, rail, purpose, amount,"
                 " currency, status, created_at, updated_at) VALUES"
                 " ('t1', 'b', 'c', 'a', 'p1', 'SEND', 'ACH',"
                 "  'EWA_DISBURSEMENT', 100, 'USD', 'NEW', 'x1', 'x1'),"
                 " ('t2', 'b', 'c', 'a', 'p1', 'SEND', 'ACH',"
                 "  'EWA_DISBURSEMENT', 200, 'USD', 'NEW', 'x2', 'x2'),"
                 " ('t3', 'b', 'c', 'a', 'p1', 'DEBIT', 'ACH',"
                 "  'EWA_RECOVERY', 50, 'USD', 'PENDING', 'x3', 'x3'),"
                 " ('t4', 'b', 'c', 'a', 'p2', 'SEND', 'ACH',"
                 "  'EWA_DISBURSEMENT', 300, 'USD', 'NEW', 'x4', 'x4'),"
                 " ('t5', 'b', 'c', 'a', NULL, 'SEND', 'ACH', 'PAYMENT',"
                 "  400, 'USD', 'NEW', 'x5', 'x5');"
                 "INSERT INTO ewa_profiles(id, business_id, external_id,"
                 " customer_id, account_id, program_id, enrollment_status,"
                 " enrollment_begin, eligibility_status, eligibility_id,"
                 " created_at, updated_at) VALUES"
                 " ('p1', 'b', 'E1', 'c', 'a', 'g', 'ACTIVE', 'x',"
                 "  'ELIGIBLE', 'h1', 'x', 'x'),"
                 " ('p2', 'b', 'E2', 'c', 'a', 'g', 'ACTIVE', 'x',"
                 "  'ELIGIBLE', 'h2', 'x', 'x'),"
                 " ('p3', 'b', 'E3', 'c', 'a', 'g', 'ACTIVE', 'x',"
                 "  'ELIGIBLE', 'h3', 'x', 'x');"),
        SQLITE_OK);
    sqlite3_close(db);
    s = ps_test_store_open(fx->db_path, 19);
    db = raw_open(fx->db_path);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM transactions WHERE"
                             " (profile_hash IS NULL) <> (profile_id IS NULL)",
                             NULL),
                     0);
    assert_int_equal(raw_int(db,
                             "SELECT count(DISTINCT profile_hash) FROM"
                             " transactions",
                             NULL),
                     2);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM sqlite_schema WHERE name"
                             " = 'transactions_profile'",
                             NULL),
                     0);
    sqlite3_close(db);
    ps_store_close(s);
    s = ps_test_store_open(fx->db_path, 0);
    db = raw_open(fx->db_path);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM pragma_table_info("
                             "'transactions') WHERE name = 'profile_hash'",
                             NULL),
                     0);
    /* p1's chain: t3 -> t2 -> t1; p2's: t4. */
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM transactions t"
                             " JOIN transactions q ON q.rowid = t.profile_prev"
                             " WHERE q.profile_id = t.profile_id",
                             NULL),
                     2);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM ewa_counters"
                             " WHERE last_txn IS NOT NULL",
                             NULL),
                     2);
    sqlite3_close(db);
    ps_err_clear(&err);
    assert_int_equal(ps_store_txn_count_profile(s, "p1", &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ps_store_txn_count_profile(s, "p3", &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(
        ps_store_txn_page_profile(s, "p1", 0, 10, page_count, &seen, &err), 0);
    assert_int_equal(seen, 2);
    assert_int_equal(ps_store_recovery_in_flight(s, "p1", &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ps_store_recovery_in_flight(s, "p2", &n, &err), 0);
    assert_int_equal(n, 0);
    /* A new row is found the same way. */
    ps_store_close(s);
    s = ps_test_store_open(fx->db_path, 0);
    struct ps_txn t;
    memset(&t, 0, sizeof(t));
    ps_id_new(t.id);
    snprintf(t.business_id, sizeof(t.business_id), "b");
    snprintf(t.customer_id, sizeof(t.customer_id), "c");
    snprintf(t.account_id, sizeof(t.account_id), "a");
    snprintf(t.profile_id, sizeof(t.profile_id), "p2");
    snprintf(t.currency, sizeof(t.currency), "USD");
    snprintf(t.created_at, sizeof(t.created_at), "x6");
    snprintf(t.updated_at, sizeof(t.updated_at), "x6");
    t.type = PS_TXN_SEND;
    t.rail = PS_RAIL_ACH;
    t.purpose = PS_PURPOSE_EWA_DISBURSEMENT;
    t.status = PS_TXN_NEW;
    t.amount = 600;
    assert_int_equal(ps_store_txn_insert(s, &t, &err), 0);
    assert_int_equal(ps_store_txn_count_profile(s, "p2", &n, &err), 0);
    assert_int_equal(n, 2);
    ps_store_close(s);
}

static void test_too_new_refused(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_store *s = ps_test_store_open(fx->db_path, 0);
    struct ps_business b;
    insert_business(s, &b, "acme");
    ps_store_close(s);

    sqlite3 *db = raw_open(fx->db_path);
    assert_int_equal(raw_exec(db, "INSERT INTO schema_version VALUES"
                                  " (99, '2030-01-01T00:00:00.000Z')"),
                     SQLITE_OK);
    sqlite3_close(db);

    char latest[16];
    snprintf(latest, sizeof(latest), " %d ", ps_store_latest_version());
    for (int version = 0; version <= ps_store_latest_version(); version++) {
        struct ps_err err;
        ps_err_clear(&err);
        s = NULL;
        assert_int_equal(ps_store_open_version(fx->db_path, version, &s, &err),
                         PS_EVERSION);
        assert_null(s); /* written only on success */
        assert_int_equal(err.code, PS_EVERSION);
        assert_string_equal(err.rule, "SCHEMA_TOO_NEW");
        /* The message names both versions and the file. */
        assert_non_null(strstr(err.msg, " 99"));
        assert_non_null(strstr(err.msg, latest));
        assert_non_null(strstr(err.msg, fx->db_path));
    }
    /* Refusing changed nothing: the data and the marker are still there. */
    db = raw_open(fx->db_path);
    assert_int_equal(
        raw_int(db, "SELECT max(version) FROM schema_version", NULL), 99);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM businesses", NULL), 1);
    sqlite3_close(db);
}

static void test_reopen_is_noop(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_store *s = ps_test_store_open(fx->db_path, 0);
    struct ps_business b;
    insert_business(s, &b, "acme");
    ps_store_close(s);

    sqlite3 *db = raw_open(fx->db_path);
    int64_t rows = raw_int(db, "SELECT count(*) FROM schema_version", NULL);
    int64_t objects = raw_int(db, "SELECT count(*) FROM sqlite_schema", NULL);
    char applied[1024];
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT group_concat(applied_at) FROM"
                                        " schema_version",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(applied, sizeof(applied), "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);

    for (int i = 0; i < 3; i++) {
        s = ps_test_store_open(fx->db_path, 0);
        assert_int_equal(ps_store_version(s), ps_store_latest_version());
        assert_true(business_exists(s, "acme"));
        ps_store_close(s);
    }

    db = raw_open(fx->db_path);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_version", NULL),
                     rows);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema", NULL),
                     objects);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT group_concat(applied_at) FROM"
                                        " schema_version",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), applied);
    sqlite3_finalize(st);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM businesses", NULL), 1);
    sqlite3_close(db);
}

static void test_open_errors(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_store *s = NULL;
    struct ps_err err;
    char path[PATH_MAX];
    ps_err_clear(&err);

    /* A directory that does not exist. */
    snprintf(path, sizeof(path), "%s/missing/payspool.db", fx->dir);
    assert_int_equal(ps_store_open(path, &s, &err), PS_ESTORE);
    assert_string_equal(err.rule, "STORE_OPEN");
    assert_null(s);

    /* A file that is not a database is refused and left alone. */
    snprintf(path, sizeof(path), "%s/junk.db", fx->dir);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    assert_true(fd >= 0);
    char junk[4096];
    memset(junk, 'x', sizeof(junk));
    assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
    close(fd);
    ps_err_clear(&err);
    assert_true(ps_store_open(path, &s, &err) < 0);
    assert_true(err.code < 0);
    assert_null(s);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, (off_t)sizeof(junk));
}

/* ------------------------------------------------------------------ */
/* Connection settings and constraints                                 */
/* ------------------------------------------------------------------ */

static void test_wal_and_foreign_keys(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_store *s = ps_test_store_open(fx->db_path, 0);
    struct ps_err err;
    ps_err_clear(&err);

    /* journal_mode persists in the file: a fresh connection sees WAL. */
    sqlite3 *db = raw_open(fx->db_path);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);

    /* foreign_keys is per connection: check the store's by behaviour. */
    struct ps_customer c;
    make_customer(&c, "00000000-0000-7000-8000-000000000000", "ghost");
    int rc = ps_store_customer_insert(s, &c, &err);
    assert_int_equal(rc, PS_EINVAL);
    assert_string_equal(err.rule, "CONSTRAINT");
    assert_non_null(strstr(err.msg, "FOREIGN KEY"));
    assert_int_equal(ps_store_customer_get(s, c.id, &c, NULL), PS_ENOTFOUND);

    /* The per-record tables have no REFERENCES since version 9: a
     * history row for a transaction that does not exist goes in, and
     * ps_store_orphans() is what finds it. */
    int64_t orphans = -1;
    char detail[320];
    assert_int_equal(ps_store_orphans(s, NULL, NULL, &orphans, detail, sizeof(detail),
                                      &err),
                     0);
    assert_int_equal(orphans, 0);
    assert_string_equal(detail, "");
    struct ps_txn ghost;
    memset(&ghost, 0, sizeof(ghost));
    ps_strlcpy(ghost.id, "00000000-0000-7000-8000-0000000000aa",
               sizeof(ghost.id));
    ps_err_clear(&err);
    assert_int_equal(
        ps_store_txn_history_insert(s, &ghost,
                                    -1, PS_TXN_NEW, "CREATE", NULL, NULL,
                                    "2026-01-01T00:00:00.000Z", &err),
        0);
    assert_int_equal(ps_store_orphans(s, NULL, NULL, &orphans, detail, sizeof(detail),
                                      &err),
                     0);
    assert_int_equal(orphans, 1);
    assert_string_equal(detail, "transaction_history.txn_id 1");
    /* The reconciliation's window: only rows created in it. */
    assert_int_equal(ps_store_orphans(s, "2026-01-01", "2026-01-02", &orphans,
                                      detail, sizeof(detail), &err),
                     0);
    assert_int_equal(orphans, 1);
    assert_int_equal(ps_store_orphans(s, "2026-01-02", "2026-01-03", &orphans,
                                      detail, sizeof(detail), &err),
                     0);
    assert_int_equal(orphans, 0);
    assert_int_equal(raw_int(db,
                             "DELETE FROM transaction_history RETURNING 1",
                             NULL),
                     1);
    /* A transaction whose own transfer names a missing ledger account
     * (schema v18) is found the same way. */
    assert_int_equal(txn_put(s, "b1", "orphan-1", NULL), 0);
    assert_int_equal(raw_exec(db, "UPDATE transactions SET"
                                  " debit_account = 424242,"
                                  " credit_account = 424243"),
                     SQLITE_OK);
    assert_int_equal(ps_store_orphans(s, NULL, NULL, &orphans, detail,
                                      sizeof(detail), &err),
                     0);
    assert_non_null(strstr(detail, "transactions.debit_account 1"));
    assert_non_null(strstr(detail, "transactions.credit_account 1"));
    assert_int_equal(raw_exec(db, "DELETE FROM transactions"), SQLITE_OK);

    /* With a real business the same insert works. */
    struct ps_business b;
    insert_business(s, &b, "acme");
    ps_strlcpy(c.business_id, b.id, sizeof(c.business_id));
    assert_int_equal(ps_store_customer_insert(s, &c, &err), 0);
    sqlite3_close(db);
    ps_store_close(s);
}

/* ps_store_begin_read_pair(): the main connection and a reader see one
 * state, and keep seeing it while another connection commits. */
static void test_read_pair_one_snapshot(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_store *s = ps_test_store_open(fx->db_path, 0);
    struct ps_store *rd = NULL, *w = ps_test_store_open(fx->db_path, 0);
    struct ps_business b;
    struct ps_err err;
    ps_err_clear(&err);
    insert_business(s, &b, "acme");
    assert_int_equal(ps_store_open_reader(s, &rd, &err), 0);
    assert_int_equal(ps_store_begin_read_pair(s, rd, &err), 0);
    /* A commit after the pair began: neither sees it. */
    insert_business(w, &b, "later");
    assert_true(business_exists(s, "acme"));
    assert_true(business_exists(rd, "acme"));
    assert_false(business_exists(s, "later"));
    assert_false(business_exists(rd, "later"));
    assert_true(business_exists(w, "later"));
    ps_store_rollback(rd);
    ps_store_rollback(s);
    /* Out of the snapshot: both see it. */
    assert_true(business_exists(s, "later"));
    assert_true(business_exists(rd, "later"));
    ps_store_close(rd);
    ps_store_close(w);
    ps_store_close(s);
}

static void test_check_constraints(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_store *s = ps_test_store_open(fx->db_path, 0);
    struct ps_business b;
    struct ps_customer c;
    struct ps_err err;
    char sql[512];
    ps_err_clear(&err);
    insert_business(s, &b, "acme");
    insert_customer(s, &c, b.id, "emp-1");

    sqlite3 *db = raw_open(fx->db_path);
    /* Bad statuses, by raw SQL. */
    snprintf(sql, sizeof(sql),
             "UPDATE customers SET status = 'DELETED' WHERE id = '%s'", c.id);
    assert_int_equal(raw_exec(db, sql), SQLITE_CONSTRAINT_CHECK);
    assert_int_equal(raw_exec(db, "INSERT INTO businesses(id, name,"
                                  " display_name, status, created_at)"
                                  " VALUES ('x', 'x', 'x', 'active', 'now')"),
                     SQLITE_CONSTRAINT_CHECK);
    snprintf(sql, sizeof(sql),
             "INSERT INTO transactions(id, business_id, customer_id,"
             " account_id, type, rail, purpose, amount, currency, status,"
             " created_at, updated_at) VALUES ('t', '%s', '%s', 'a', 'SEND',"
             " 'ACH', 'PAYMENT', 100, 'USD', 'LOST', 'now', 'now')",
             b.id, c.id);
    assert_int_equal(raw_exec(db, sql), SQLITE_CONSTRAINT_CHECK);
    /* Other CHECKs: DEBIT must be ACH, amounts positive. */
    snprintf(sql, sizeof(sql),
             "INSERT INTO transactions(id, business_id, customer_id,"
             " account_id, type, rail, purpose, amount, currency, status,"
             " created_at, updated_at) VALUES ('t', '%s', '%s', 'a', 'DEBIT',"
             " 'PUSH_TO_CARD', 'PAYMENT', 100, 'USD', 'NEW', 'now', 'now')",
             b.id, c.id);
    assert_int_equal(raw_exec(db, sql), SQLITE_CONSTRAINT_CHECK);
    assert_int_equal(raw_exec(db, "INSERT INTO ledger_accounts(business_id,"
                                  " kind, currency) VALUES ('b', 'FUNDING',"
                                  " 'US')"),
                     SQLITE_CONSTRAINT_CHECK);
    /* The unchanged row still reads back ACTIVE. */
    struct ps_customer got;
    assert_int_equal(ps_store_customer_get(s, c.id, &got, &err), 0);
    assert_int_equal(got.status, PS_STATUS_ACTIVE);
    sqlite3_close(db);

    /* Through the API, an out-of-range enum is stopped by the CHECK. */
    struct ps_business bad;
    make_business(&bad, "bad");
    bad.status = (enum ps_status)7;
    assert_int_equal(ps_store_business_insert(s, &bad, &err), PS_EINVAL);
    assert_string_equal(err.rule, "CONSTRAINT");
    assert_false(business_exists(s, "bad"));
    ps_store_close(s);
}

static void test_unique_conflicts(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_store *s = ps_test_store_open(fx->db_path, 0);
    struct ps_business a, b, dup_b;
    struct ps_customer c, dup, other;
    struct ps_err err;
    ps_err_clear(&err);
    insert_business(s, &a, "acme");
    insert_business(s, &b, "globex");

    /* Business names are unique. */
    make_business(&dup_b, "acme");
    assert_int_equal(ps_store_business_insert(s, &dup_b, &err), PS_ECONFLICT);

    /* Customers: (business, externalId). */
    insert_customer(s, &c, a.id, "EMP-7");
    make_customer(&dup, a.id, "EMP-7");
    ps_err_clear(&err);
    assert_int_equal(ps_store_customer_insert(s, &dup, &err), PS_ECONFLICT);
    assert_int_equal(err.code, PS_ECONFLICT);
    assert_int_equal(ps_store_customer_get(s, dup.id, &other, NULL),
                     PS_ENOTFOUND);
    /* Same externalId in another business is a different customer. */
    insert_customer(s, &other, b.id, "EMP-7");
    /* Same id again: primary key. */
    assert_int_equal(ps_store_customer_insert(s, &c, &err), PS_ECONFLICT);

    /* EWA profiles: (business, externalId). */
    unsigned char sealed[48];
    memset(sealed, 0xab, sizeof(sealed));
    struct ps_account acct;
    memset(&acct, 0, sizeof(acct));
    ps_id_new(acct.id);
    ps_strlcpy(acct.business_id, a.id, sizeof(acct.business_id));
    ps_strlcpy(acct.customer_id, c.id, sizeof(acct.customer_id));
    acct.kind = PS_ACCOUNT_EXTERNAL_CARD;
    ps_strlcpy(acct.display_name, "Visa", sizeof(acct.display_name));
    acct.status = PS_STATUS_ACTIVE;
    acct.bank_type = PS_BANK_NONE;
    ps_strlcpy(acct.bin, "411111", sizeof(acct.bin));
    ps_strlcpy(acct.last4, "1111", sizeof(acct.last4));
    ps_strlcpy(acct.token, "tok", sizeof(acct.token));
    ps_time_now(acct.created_at);
    ps_strlcpy(acct.updated_at, acct.created_at, sizeof(acct.updated_at));
    assert_int_equal(
        ps_store_account_insert(s, &acct, sealed, sizeof(sealed), &err), 0);

    struct ps_program prog;
    memset(&prog, 0, sizeof(prog));
    ps_id_new(prog.id);
    ps_strlcpy(prog.business_id, a.id, sizeof(prog.business_id));
    ps_strlcpy(prog.name, "ewa", sizeof(prog.name));
    ps_strlcpy(prog.currency, "USD", sizeof(prog.currency));
    prog.advance_rate_bp = 5000;
    prog.min_transfer = 100;
    prog.max_transfer = 10000;
    prog.period_cap = 20000;
    prog.max_outstanding = 20000;
    prog.bad_debt_after = 3;
    prog.status = PS_STATUS_ACTIVE;
    ps_time_now(prog.created_at);
    assert_int_equal(ps_store_program_insert(s, &prog, &err), 0);
    /* Program names are unique per business too. */
    struct ps_program prog2 = prog;
    ps_id_new(prog2.id);
    assert_int_equal(ps_store_program_insert(s, &prog2, &err), PS_ECONFLICT);

    struct ps_profile p;
    memset(&p, 0, sizeof(p));
    ps_id_new(p.id);
    ps_strlcpy(p.business_id, a.id, sizeof(p.business_id));
    ps_strlcpy(p.external_id, "EWA-1", sizeof(p.external_id));
    ps_strlcpy(p.customer_id, c.id, sizeof(p.customer_id));
    ps_strlcpy(p.account_id, acct.id, sizeof(p.account_id));
    ps_strlcpy(p.program_id, prog.id, sizeof(p.program_id));
    p.enrollment = PS_ENROLL_ACTIVE;
    ps_time_now(p.enrollment_begin);
    p.eligibility = PS_ELIG_NEW;
    ps_id_new(p.eligibility_id);
    ps_time_now(p.created_at);
    ps_strlcpy(p.updated_at, p.created_at, sizeof(p.updated_at));
    assert_int_equal(ps_store_profile_insert(s, &p, &err), 0);

    struct ps_profile pdup = p;
    ps_id_new(pdup.id);
    ps_id_new(pdup.eligibility_id);
    ps_err_clear(&err);
    assert_int_equal(ps_store_profile_insert(s, &pdup, &err), PS_ECONFLICT);
    assert_int_equal(err.code, PS_ECONFLICT);
    /* Another business may use the same externalId. */
    ps_strlcpy(pdup.business_id, b.id, sizeof(pdup.business_id));
    assert_int_equal(ps_store_profile_insert(s, &pdup, &err), 0);

    sqlite3 *db = raw_open(fx->db_path);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM ewa_profiles"
                             " WHERE external_id = ?1",
                             "EWA-1"),
                     2);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM customers"
                             " WHERE external_id = ?1",
                             "EMP-7"),
                     2);
    sqlite3_close(db);
    ps_store_close(s);
}

/* ------------------------------------------------------------------ */
/* Nested transactions                                                 */
/* ------------------------------------------------------------------ */

/* The id the ledger account cache gives is the row's, in the database. */
static void assert_account_row(sqlite3 *db, int64_t id, const char *customer)
{
    char sql[160];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM ledger_accounts WHERE id = %lld AND"
             " kind = 'CUSTOMER' AND customer_id = ?1",
             (long long)id);
    assert_int_equal(raw_int(db, sql, customer), 1);
}

/*
 * The ledger account cache survives a savepoint rolled back around it
 * (a refused record) and forgets an account whose creation was rolled
 * back, at any depth, so it never hands out the id of a row that is not
 * there.
 */
static void test_ledger_account_cache_rollback(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_store *s = ps_test_store_open(fx->db_path, 0);
    struct ps_business b;
    struct ps_customer c1, c2;
    struct ps_err err;
    int64_t a1, a1again, a2, a2again;
    ps_err_clear(&err);
    insert_business(s, &b, "acme");
    insert_customer(s, &c1, b.id, "emp-1");
    insert_customer(s, &c2, b.id, "emp-2");

    /* Created at depth 1; a savepoint inside it rolled back. */
    assert_int_equal(ps_store_begin(s, &err), 0);
    assert_int_equal(ps_store_ledger_account(s, b.id, PS_LEDGER_CUSTOMER,
                                             "USD", c1.id, &a1, &err),
                     0);
    assert_int_equal(ps_store_begin(s, &err), 0);
    ps_store_rollback(s);
    assert_int_equal(ps_store_ledger_account(s, b.id, PS_LEDGER_CUSTOMER,
                                             "USD", c1.id, &a1again, &err),
                     0);
    assert_int_equal(a1again, a1);

    /* Created inside a savepoint that is then rolled back. */
    assert_int_equal(ps_store_begin(s, &err), 0);
    assert_int_equal(ps_store_ledger_account(s, b.id, PS_LEDGER_CUSTOMER,
                                             "USD", c2.id, &a2, &err),
                     0);
    ps_store_rollback(s);
    assert_int_equal(ps_store_commit(s, &err), 0);
    sqlite3 *db = raw_open(fx->db_path);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM ledger_accounts WHERE"
                             " customer_id = ?1",
                             c2.id),
                     0);
    assert_account_row(db, a1, c1.id);

    /* Released into depth 1, then depth 1 rolled back. */
    assert_int_equal(ps_store_begin(s, &err), 0);
    assert_int_equal(ps_store_begin(s, &err), 0);
    assert_int_equal(ps_store_ledger_account(s, b.id, PS_LEDGER_CUSTOMER,
                                             "USD", c2.id, &a2, &err),
                     0);
    assert_int_equal(ps_store_commit(s, &err), 0);
    ps_store_rollback(s);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM ledger_accounts WHERE"
                             " customer_id = ?1",
                             c2.id),
                     0);

    /* Asked again, it is created for real. */
    assert_int_equal(ps_store_ledger_account(s, b.id, PS_LEDGER_CUSTOMER,
                                             "USD", c2.id, &a2again, &err),
                     0);
    assert_account_row(db, a2again, c2.id);
    /* And a preload knows both. */
    assert_int_equal(ps_store_ledger_accounts_preload(s, b.id, &err), 0);
    assert_int_equal(ps_store_ledger_account(s, b.id, PS_LEDGER_CUSTOMER,
                                             "USD", c2.id, &a2, &err),
                     0);
    assert_int_equal(a2, a2again);
    sqlite3_close(db);
    ps_store_close(s);
}

static void test_nested_transactions(void **state)
{
    struct ps_test_db *fx = *state;
    struct ps_store *s = ps_test_store_open(fx->db_path, 0);
    struct ps_business b;
    struct ps_err err;
    ps_err_clear(&err);
    sqlite3 *db = raw_open(fx->db_path);
    const char *count_sql = "SELECT count(*) FROM businesses WHERE name = ?1";

    /* 1. Inner rollback keeps the outer work. */
    assert_int_equal(ps_store_begin(s, &err), 0);
    insert_business(s, &b, "outer-a");
    assert_int_equal(ps_store_begin(s, &err), 0);
    insert_business(s, &b, "inner-b");
    assert_true(business_exists(s, "inner-b"));
    ps_store_rollback(s);
    assert_false(business_exists(s, "inner-b"));
    assert_true(business_exists(s, "outer-a"));
    insert_business(s, &b, "outer-c"); /* the outer one goes on */
    /* Nothing is visible outside before the outer commit. */
    assert_int_equal(raw_int(db, count_sql, "outer-a"), 0);
    assert_int_equal(ps_store_commit(s, &err), 0);
    assert_int_equal(raw_int(db, count_sql, "outer-a"), 1);
    assert_int_equal(raw_int(db, count_sql, "outer-c"), 1);
    assert_int_equal(raw_int(db, count_sql, "inner-b"), 0);

    /* 2. Outer rollback drops everything, committed inner work too. */
    assert_int_equal(ps_store_begin(s, &err), 0);
    insert_business(s, &b, "outer-d");
    assert_int_equal(ps_store_begin(s, &err), 0);
    insert_business(s, &b, "inner-e");
    assert_int_equal(ps_store_commit(s, &err), 0); /* RELEASE */
    assert_true(business_exists(s, "inner-e"));
    ps_store_rollback(s);
    assert_false(business_exists(s, "outer-d"));
    assert_false(business_exists(s, "inner-e"));
    assert_int_equal(raw_int(db, count_sql, "outer-d"), 0);
    assert_int_equal(raw_int(db, count_sql, "inner-e"), 0);

    /* 3. Three levels: the middle one commits, the innermost rolls back. */
    assert_int_equal(ps_store_begin(s, &err), 0);
    insert_business(s, &b, "l1");
    assert_int_equal(ps_store_begin(s, &err), 0);
    insert_business(s, &b, "l2");
    assert_int_equal(ps_store_begin(s, &err), 0);
    insert_business(s, &b, "l3");
    ps_store_rollback(s);
    assert_int_equal(ps_store_commit(s, &err), 0);
    assert_int_equal(ps_store_commit(s, &err), 0);
    assert_int_equal(raw_int(db, count_sql, "l1"), 1);
    assert_int_equal(raw_int(db, count_sql, "l2"), 1);
    assert_int_equal(raw_int(db, count_sql, "l3"), 0);

    /* 4. A failed statement inside an inner level: roll it back and the
     * outer transaction still commits its own work. */
    assert_int_equal(ps_store_begin(s, &err), 0);
    insert_business(s, &b, "before-fail");
    assert_int_equal(ps_store_begin(s, &err), 0);
    struct ps_business dup;
    make_business(&dup, "before-fail");
    assert_int_equal(ps_store_business_insert(s, &dup, &err), PS_ECONFLICT);
    ps_store_rollback(s);
    assert_int_equal(ps_store_commit(s, &err), 0);
    assert_int_equal(raw_int(db, count_sql, "before-fail"), 1);

    /* 5. Rollback with nothing open does nothing; autocommit goes on. */
    ps_store_rollback(s);
    insert_business(s, &b, "autocommit");
    assert_int_equal(raw_int(db, count_sql, "autocommit"), 1);

    /* 6. The same savepoint names are reused after a full unwind. */
    for (int round = 0; round < 3; round++) {
        char name[32];
        assert_int_equal(ps_store_begin(s, &err), 0);
        assert_int_equal(ps_store_begin(s, &err), 0);
        snprintf(name, sizeof(name), "round-%d", round);
        insert_business(s, &b, name);
        if (round % 2 == 0) {
            assert_int_equal(ps_store_commit(s, &err), 0);
        } else {
            ps_store_rollback(s);
        }
        assert_int_equal(ps_store_commit(s, &err), 0);
        assert_int_equal(raw_int(db, count_sql, name), round % 2 == 0);
    }
    sqlite3_close(db);
    ps_store_close(s);
}

/* The schema-v4 rewrite: IN lists of three or more literals become OR
 * chains; short lists, non-literal lists and other text are untouched. */
static void test_rewrite_in_lists(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"CHECK (status IN ('A','B','C'))",
         "CHECK ((status = 'A' OR status = 'B' OR status = 'C'))"},
        {"x TEXT CHECK (x IN ('NEW',    'OLD', 'GONE')), y INT",
         "x TEXT CHECK ((x = 'NEW' OR x = 'OLD' OR x = 'GONE')), y INT"},
        {"CHECK (s IN ('ACTIVE','SUSPENDED'))",
         "CHECK (s IN ('ACTIVE','SUSPENDED'))"},
        {"CHECK (n IN (1,2,3))", "CHECK (n IN (1,2,3))"},
        {"CHECK (q IN ('it''s','b','c'))", "CHECK (q IN ('it''s','b','c'))"},
        {"CHECK (a IN ('x','y','z')) AND CHECK (b IN ('p','q','r'))",
         "CHECK ((a = 'x' OR a = 'y' OR a = 'z')) AND CHECK ((b = 'p' OR b = "
         "'q' OR b = 'r'))"},
        {"purpose TEXT CHECK (purpose IN    ('EWA','REC','PAY'))",
         "purpose TEXT CHECK ((purpose = 'EWA' OR purpose = 'REC' OR "
         "purpose = 'PAY'))"},
        {"CHECK (s IN  ('ACTIVE','SUSPENDED')) AND x INTO (y)",
         "CHECK (s IN  ('ACTIVE','SUSPENDED')) AND x INTO (y)"},
        {"JOIN t ON a IN ('x','y','z')", "JOIN t ON (a = 'x' OR a = 'y' OR a = 'z')"},
        {"no lists here", "no lists here"},
        {"CHECK (v IN ('a','b','c'", "CHECK (v IN ('a','b','c'"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = ps_store_rewrite_in_lists(cases[i].in);
        assert_non_null(got);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
}

/*
 * Every CHECK list of more than two literals in a new database is stored
 * rewritten (an IN list is a temporary index per statement): the stored
 * SQL, with its IN lists found by hand, has none of three or more
 * quoted items left.  Version 4 missed lists wrapped as "IN    (".
 */
/* The schema-v9 rewrite drops `REFERENCES table(column)` clauses and
 * nothing else. */
static void test_strip_references(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"txn_id TEXT NOT NULL REFERENCES transactions(id), x INT",
         "txn_id TEXT NOT NULL, x INT"},
        {"a TEXT REFERENCES b(id), c INTEGER NOT NULL REFERENCES d(e_f))",
         "a TEXT, c INTEGER NOT NULL)"},
        {"memo TEXT -- see REFERENCES below", "memo TEXT -- see REFERENCES below"},
        {"x REFERENCES y", "x REFERENCES y"},
        {"x REFERENCES y(", "x REFERENCES y("},
        {"no clauses", "no clauses"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = ps_store_strip_references(cases[i].in);
        assert_non_null(got);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
}

/* After version 9 the per-record tables have no REFERENCES left and the
 * others keep theirs. */
static void test_unchained_tables(void **state)
{
    struct ps_test_db *fx = *state;
    ps_store_close(ps_test_store_open(fx->db_path, 0));
    sqlite3 *db = raw_open(fx->db_path);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM sqlite_schema WHERE"
                             " type = 'table' AND sql LIKE '%REFERENCES%'"
                             " AND name IN ('transactions',"
                             " 'transaction_history', 'ledger_entries',"
                             " 'payroll_results', 'ewa_eligibility_history')",
                             NULL),
                     0);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM sqlite_schema WHERE"
                             " type = 'table' AND sql LIKE '%REFERENCES%'"
                             " AND name IN ('customers', 'financial_accounts',"
                             " 'ewa_profiles', 'output_items')",
                             NULL),
                     4);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st,
                                        NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_no_costly_in_lists(void **state)
{
    struct ps_test_db *fx = *state;
    ps_store_close(ps_test_store_open(fx->db_path, 0));
    sqlite3 *db = raw_open(fx->db_path);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT name, sql FROM sqlite_schema"
                                        " WHERE type = 'table'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *sql = (const char *)sqlite3_column_text(st, 1);
        for (const char *p = strstr(sql, " IN"); p != NULL;
             p = strstr(p + 3, " IN")) {
            const char *q = p + 3;
            int commas = 0;
            while (*q == ' ')
                q++;
            if (*q != '(' || q[1] != '\'')
                continue;
            for (; *q != '\0' && *q != ')'; q++)
                commas += *q == ',';
            if (commas >= 2)
                fail_msg("table %s keeps an IN list of %d items: %.60s", name,
                         commas + 1, p);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

int main(void)
{
    /* Migrations log at info; keep the test output to errors. */
    ps_log_open(NULL, PS_LOG_ERROR, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_file_latest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v30_history_index, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v33_narrow_events, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v1_with_data, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v10_return_codes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v17_request_hash, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v31_record_keys, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v18_creation_on_row, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v19_profile_hash, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_too_new_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_is_noop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_and_foreign_keys, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_read_pair_one_snapshot, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_check_constraints, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unique_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ledger_account_cache_rollback,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_transactions, setup,
                                        teardown),
        cmocka_unit_test(test_rewrite_in_lists),
        cmocka_unit_test(test_strip_references),
        cmocka_unit_test_setup_teardown(test_unchained_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_costly_in_lists, setup,
                                        teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    ps_log_close();
    return failed;
}
