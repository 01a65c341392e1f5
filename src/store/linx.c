/*
 * linx.c -- the store's side of LinX (store/linx.h): requests, their
 * status history, documents.
 *
 * How it fails: as every store function (store.h).
 */
#include "store/linx.h"

#include "store/store_int.h"
#include "base/eventjson.h"

#include <stdlib.h>
#include <string.h>

#define LINX_COLS                                                              \
    "id, business_id, ref, ifnull(customer_id,''),"                            \
    " ifnull(customer_external_id,''), mobile, ifnull(template,''),"           \
    " activities, status, token_hash, expires_at, reminders_sent,"             \
    " ifnull(last_reminder_at,''), ifnull(decline_reason,''),"                 \
    " ifnull(failure,''), ifnull(file_id,''), ifnull(source_line,0),"          \
    " created_at, updated_at"

/* An event's payload, stored or (a transaction's status event, schema
 * v25) made again from its row, history row and transaction: the
 * columns event_payload() reads, from the first on. */
#define EVENT_PAYLOAD                                                          \
    "e.payload, e.event_id, " EVENT_TYPE ", e.entity_type, " EVENT_ENTITY ","  \
    " " EVENT_CUSTOMER ", t.request_id, h.from_status, h.to_status, h.event,"  \
    " h.reason, h.created_at"
/* A narrow status event's (schema v33, event_type NULL) columns, made
 * again from its history row and transaction; any other row's own. */
#define EVENT_TYPE "ifnull(e.event_type, 'transaction.status')"
#define EVENT_ENTITY "ifnull(e.entity_id, h.txn_id)"
#define EVENT_CUSTOMER "iif(e.event_type IS NULL, t.customer_id, e.customer_id)"
#define EVENT_AT "ifnull(e.created_at, h.created_at)"
#define EVENT_FROM                                                             \
    "event_outbox e LEFT JOIN transaction_history h ON h.id = e.history_id"    \
    " LEFT JOIN transactions t ON t.id = h.txn_id"

#define LINX_STMTS(X)                                                          \
    X(LINX_INSERT,                                                             \
      "INSERT INTO linx_requests(id, business_id, ref, customer_id,"           \
      " customer_external_id, mobile, template, activities, status,"           \
      " token_hash, expires_at, reminders_sent, last_reminder_at,"             \
      " decline_reason, failure, file_id, source_line, created_at,"            \
      " updated_at) VALUES (?,?,?,nullif(?,''),nullif(?,''),?,nullif(?,''),"   \
      " ?,?,?,?,?,nullif(?,''),nullif(?,''),nullif(?,''),nullif(?,''),"        \
      " nullif(?,0),?,?)")                                                     \
    X(LINX_GET, "SELECT " LINX_COLS " FROM linx_requests WHERE id = ?")        \
    X(LINX_BY_REF, "SELECT " LINX_COLS " FROM linx_requests"                   \
                   " WHERE business_id = ? AND ref = ?")                       \
    X(LINX_BY_TOKEN, "SELECT " LINX_COLS " FROM linx_requests"                 \
                     " WHERE token_hash = ?")                                  \
    X(LINX_SET_STATUS,                                                         \
      "UPDATE linx_requests SET status = ?2, decline_reason = nullif(?3,''),"  \
      " failure = nullif(?4,''), updated_at = ?5 WHERE id = ?1"                \
      " AND status = ?6")                                                      \
    X(LINX_SET_TXN, "UPDATE linx_requests SET txn_id = ?2 WHERE id = ?1")    \
    X(LINX_BY_TXN, "SELECT " LINX_COLS " FROM linx_requests"                   \
                   " WHERE txn_id = ?")                                        \
    X(LINX_SET_CUSTOMER,                                                       \
      "UPDATE linx_requests SET customer_id = ?2 WHERE id = ?1"                \
      " AND customer_id IS NULL")                                              \
    X(LINX_TOUCH,                                                              \
      "UPDATE linx_requests SET expires_at = ?2, reminders_sent = ?3,"         \
      " last_reminder_at = nullif(?4,''), token_hash = ?5, updated_at = ?6"    \
      " WHERE id = ?1")                                                        \
    X(LINX_HISTORY_INSERT,                                                     \
      "INSERT INTO linx_request_history(request_id, from_status, to_status,"   \
      " event, reason, file, line, created_at)"                                \
      " VALUES (?,nullif(?,''),?,?,nullif(?,''),nullif(?,''),nullif(?,0),?)")  \
    X(LINX_HISTORY,                                                            \
      "SELECT id, ifnull(from_status,''), to_status, event, ifnull(reason,''),"\
      " created_at FROM linx_request_history WHERE request_id = ?"             \
      " ORDER BY id")                                                          \
    X(SETTING_GET, "SELECT value FROM business_settings"                      \
                   " WHERE business_id = ? AND key = ?")                      \
    X(SETTING_SET,                                                             \
      "INSERT INTO business_settings(business_id, key, value, updated_at)"     \
      " VALUES (?1,?2,?3,?4) ON CONFLICT(business_id, key) DO UPDATE SET"     \
      " value = ?3, updated_at = ?4")                                          \
    X(DOC_GET, "SELECT title FROM linx_documents WHERE business_id = ?"       \
               " AND doc_id = ? AND version = ?")                            \
    X(DOC_INSERT, "INSERT INTO linx_documents(business_id, doc_id, version,"  \
                  " title, sha256, created_at) VALUES (?,?,?,?,?,?)")         \
    X(SMS_INSERT, "INSERT INTO sms_outbox(business_id, request_id, mobile,"   \
                  " kind, body, link_sealed, created_at)"                     \
                  " VALUES (?,nullif(?,''),?,?,?,?,?)")                        \
    X(SMS_PENDING,                                                             \
      "SELECT id, ifnull(request_id,''), mobile, kind, body, link_sealed"      \
      " FROM sms_outbox WHERE business_id = ? AND status = 'PENDING'"        \
      " ORDER BY id")                                                          \
    X(SMS_WRITTEN, "UPDATE sms_outbox SET status = 'WRITTEN',"                \
                   " link_sealed = NULL, written_at = ?2 WHERE id = ?1")      \
    X(DOC_SHA, "SELECT sha256 FROM linx_documents WHERE business_id = ?"      \
               " AND doc_id = ? AND version = ?")                            \
    X(ACCEPT_INSERT, "INSERT INTO linx_acceptances(request_id, doc_id,"       \
                     " version, sha256, accepted_at) VALUES (?,?,?,?,?)")     \
    X(EVENT_INSERT,                                                            \
      "INSERT INTO event_outbox(event_id, business_id, event_type,"           \
      " entity_type, entity_id, customer_id, payload, created_at)"            \
      " VALUES (?,?,?,?,?,nullif(?,''),?,?)")                                 \
    /* A transaction's status event: its history row, no payload (v25) */     \
    X(EVENT_INSERT_HISTORY,                                                    \
      "INSERT INTO event_outbox(event_id, business_id, event_type,"           \
      " entity_type, entity_id, customer_id, history_id, created_at)"         \
      " VALUES (?,?,?,?,?,nullif(?,''),?,?)")                                 \
    /* and since v33 nothing its history row and transaction give */        \
    X(EVENT_INSERT_NARROW,                                                     \
      "INSERT INTO event_outbox(event_id, business_id, entity_type,"          \
      " history_id) VALUES (?,?,'TRANSACTION',?)")                            \
    X(EVENT_UNWRITTEN, "SELECT e.id, " EVENT_PAYLOAD                           \
                       " FROM " EVENT_FROM " WHERE e.business_id = ?"         \
                       " AND e.written_at IS NULL ORDER BY e.id")             \
    X(EVENT_WRITTEN, "UPDATE event_outbox SET written_at = ?2 WHERE id = ?1") \
    X(EVENT_LIST,                                                              \
      "SELECT e.id, e.event_id, " EVENT_TYPE ", e.entity_type, "              \
      EVENT_ENTITY ", e.delivery, e.attempts, ifnull(e.last_error,''), "      \
      EVENT_AT ", " EVENT_PAYLOAD " FROM " EVENT_FROM                          \
      " WHERE (?1 = '' OR e.business_id = ?1) AND (?2 = '' OR e.delivery = ?2)" \
      " ORDER BY e.id")                                                        \
    X(EVENT_REPLAY,                                                            \
      "UPDATE event_outbox SET delivery = 'PENDING', attempts = 0,"          \
      " next_attempt_at = NULL, last_error = NULL"                             \
      " WHERE (?1 = '' OR business_id = ?1) AND ((?2 <> '' AND event_id = ?2)" \
      " OR (?2 = '' AND delivery = 'DEAD'))")                                \
    X(EVENT_DUE, "SELECT e.id, e.event_id, ifnull(" EVENT_CUSTOMER ",''),"    \
                 " e.attempts, ifnull(e.next_attempt_at,''), " EVENT_PAYLOAD   \
                 " FROM " EVENT_FROM " WHERE e.business_id = ?"                \
                 " AND e.delivery = 'PENDING' ORDER BY e.id")                  \
    X(EVENT_DELIVERED, "UPDATE event_outbox SET delivery = 'DELIVERED',"     \
                       " attempts = attempts + 1, delivered_at = ?2,"         \
                       " last_error = NULL WHERE id = ?1")                    \
    X(EVENT_FAILED, "UPDATE event_outbox SET attempts = ?2,"                   \
                    " next_attempt_at = ?3, last_error = ?4, delivery = ?5"   \
                    " WHERE id = ?1")                                          \
    X(IDENTITY_SET,                                                            \
      "INSERT INTO customer_identity(customer_id, dob_sealed, tax_id_sealed,"  \
      " tax_id_last4, updated_at) VALUES (?1,?2,?3,nullif(?4,''),?5)"        \
      " ON CONFLICT(customer_id) DO UPDATE SET"                               \
      " dob_sealed = ifnull(?2, dob_sealed),"                                 \
      " tax_id_sealed = ifnull(?3, tax_id_sealed),"                           \
      " tax_id_last4 = ifnull(nullif(?4,''), tax_id_last4), updated_at = ?5")  \
    X(IDENTITY_GET,                                                            \
      "SELECT dob_sealed, tax_id_sealed IS NOT NULL, ifnull(tax_id_last4,'')"  \
      " FROM customer_identity WHERE customer_id = ?1")                        \
    X(LINX_LIST, "SELECT " LINX_COLS " FROM linx_requests"                     \
                 " WHERE (?1 = '' OR business_id = ?1)"                        \
                 " AND (?2 = '' OR status = ?2) ORDER BY created_at, id")

PS_SQ_AREA(PS_SQ_AREA_LINX, LINX_STMTS)

static void read_linx(sqlite3_stmt *st, struct ps_linx_row *r)
{
    COL_STR(st, 0, r->id);
    COL_STR(st, 1, r->business_id);
    COL_STR(st, 2, r->ref);
    COL_STR(st, 3, r->customer_id);
    COL_STR(st, 4, r->customer_external_id);
    COL_STR(st, 5, r->mobile);
    COL_STR(st, 6, r->template_name);
    COL_STR(st, 7, r->activities);
    COL_STR(st, 8, r->status);
    COL_STR(st, 9, r->token_hash);
    COL_STR(st, 10, r->expires_at);
    r->reminders_sent = sqlite3_column_int(st, 11);
    COL_STR(st, 12, r->last_reminder_at);
    COL_STR(st, 13, r->decline_reason);
    COL_STR(st, 14, r->failure);
    COL_STR(st, 15, r->file_id);
    r->source_line = (long)sqlite3_column_int64(st, 16);
    COL_STR(st, 17, r->created_at);
    COL_STR(st, 18, r->updated_at);
}

static void read_history(sqlite3_stmt *st, struct ps_linx_history_row *h)
{
    h->seq = sqlite3_column_int64(st, 0);
    COL_STR(st, 1, h->from_status);
    COL_STR(st, 2, h->to_status);
    COL_STR(st, 3, h->event);
    COL_STR(st, 4, h->reason);
    COL_STR(st, 5, h->at);
}

int ps_store_linx_insert(struct ps_store *s, const struct ps_linx_row *r,
                         struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LINX_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, r->id);
    BIND(st, 2, r->business_id);
    BIND(st, 3, r->ref);
    BIND(st, 4, r->customer_id);
    BIND(st, 5, r->customer_external_id);
    BIND(st, 6, r->mobile);
    BIND(st, 7, r->template_name);
    BIND(st, 8, r->activities);
    BIND(st, 9, r->status);
    BIND(st, 10, r->token_hash);
    BIND(st, 11, r->expires_at);
    BIND_INT(st, 12, r->reminders_sent);
    BIND(st, 13, r->last_reminder_at);
    BIND(st, 14, r->decline_reason);
    BIND(st, 15, r->failure);
    BIND(st, 16, r->file_id);
    BIND_INT(st, 17, r->source_line);
    BIND(st, 18, r->created_at);
    BIND(st, 19, r->updated_at);
    return ps_sq_exec_step(s, st, "insert LinX request", err);
}

int ps_store_linx_get(struct ps_store *s, const char *id,
                      struct ps_linx_row *out, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LINX_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, id);
    GET_ONE(s, st, "LinX request", err, read_linx(st, out));
}

int ps_store_linx_by_ref(struct ps_store *s, const char *business_id,
                         const char *ref, struct ps_linx_row *out,
                         struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LINX_BY_REF, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, ref);
    GET_ONE(s, st, "LinX request", err, read_linx(st, out));
}

int ps_store_linx_by_token(struct ps_store *s, const char *token_hash,
                           struct ps_linx_row *out, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LINX_BY_TOKEN, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, token_hash);
    GET_ONE(s, st, "LinX token", err, read_linx(st, out));
}

int ps_store_linx_set_status(struct ps_store *s, const struct ps_linx_row *r,
                             const char *from, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LINX_SET_STATUS, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, r->id);
    BIND(st, 2, r->status);
    BIND(st, 3, r->decline_reason);
    BIND(st, 4, r->failure);
    BIND(st, 5, r->updated_at);
    BIND(st, 6, from);
    return ps_sq_exec_one(s, st, "update LinX request", PS_ESTATE, err);
}

int ps_store_linx_set_txn(struct ps_store *s, const char *id,
                          const char *txn_id, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LINX_SET_TXN, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, id);
    BIND(st, 2, txn_id);
    return ps_sq_exec_one(s, st, "set the LinX request's transaction",
                          PS_ENOTFOUND, err);
}

int ps_store_linx_by_txn(struct ps_store *s, const char *txn_id,
                         struct ps_linx_row *out, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LINX_BY_TXN, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, txn_id);
    GET_ONE(s, st, "LinX request of a transaction", err, read_linx(st, out));
}

int ps_store_linx_set_customer(struct ps_store *s, const char *id,
                               const char *customer_id, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LINX_SET_CUSTOMER, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, id);
    BIND(st, 2, customer_id);
    return ps_sq_exec_step(s, st, "set the LinX request's customer", err);
}

int ps_store_linx_touch(struct ps_store *s, const struct ps_linx_row *r,
                        struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LINX_TOUCH, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, r->id);
    BIND(st, 2, r->expires_at);
    BIND_INT(st, 3, r->reminders_sent);
    BIND(st, 4, r->last_reminder_at);
    BIND(st, 5, r->token_hash);
    BIND(st, 6, r->updated_at);
    return ps_sq_exec_one(s, st, "update LinX request", PS_ENOTFOUND, err);
}

int ps_store_linx_history_insert(struct ps_store *s, const char *request_id,
                                 const char *from, const char *to,
                                 const char *event,
                                 const struct ps_source *src, const char *at,
                                 struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LINX_HISTORY_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, request_id);
    BIND(st, 2, from != NULL ? from : "");
    BIND(st, 3, to);
    BIND(st, 4, event);
    BIND(st, 5, src != NULL && src->reason != NULL ? src->reason : "");
    BIND(st, 6, src != NULL && src->file != NULL ? src->file : "");
    BIND_INT(st, 7, src != NULL ? src->line : 0);
    BIND(st, 8, at);
    return ps_sq_exec_step(s, st, "insert LinX history", err);
}

int ps_store_linx_history(struct ps_store *s, const char *request_id,
                          int (*cb)(void *ctx,
                                    const struct ps_linx_history_row *),
                          void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LINX_HISTORY, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, request_id);
    FOR_EACH(s, st, "LinX history", err, struct ps_linx_history_row,
             read_history, cb, ctx);
}

int ps_store_linx_list(struct ps_store *s, const char *business_id,
                       const char *status,
                       int (*cb)(void *ctx, const struct ps_linx_row *),
                       void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LINX_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id != NULL ? business_id : "");
    BIND(st, 2, status != NULL ? status : "");
    FOR_EACH(s, st, "LinX requests", err, struct ps_linx_row, read_linx, cb,
             ctx);
}

int ps_store_setting_get(struct ps_store *s, const char *business_id,
                         const char *key, char *out, size_t size,
                         struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_SETTING_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, key);
    GET_ONE(s, st, "setting", err, ps_sq_col_str(st, 0, out, size));
}

int ps_store_setting_set(struct ps_store *s, const char *business_id,
                         const char *key, const char *value, const char *at,
                         struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_SETTING_SET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, key);
    BIND(st, 3, value);
    BIND(st, 4, at);
    return ps_sq_exec_step(s, st, "set business setting", err);
}

int ps_store_document_get(struct ps_store *s, const char *business_id,
                          const char *doc_id, const char *version,
                          char *title, size_t size, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_DOC_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, doc_id);
    BIND(st, 3, version);
    GET_ONE(s, st, "document", err, ps_sq_col_str(st, 0, title, size));
}

int ps_store_document_insert(struct ps_store *s, const char *business_id,
                             const char *doc_id, const char *version,
                             const char *title, const char *sha256,
                             const char *at, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_DOC_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, doc_id);
    BIND(st, 3, version);
    BIND(st, 4, title);
    BIND(st, 5, sha256);
    BIND(st, 6, at);
    return ps_sq_exec_step(s, st, "insert document", err);
}

int ps_store_sms_insert(struct ps_store *s, const struct ps_sms_row *m,
                        struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_SMS_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, m->business_id);
    BIND(st, 2, m->request_id);
    BIND(st, 3, m->mobile);
    BIND(st, 4, m->kind);
    BIND(st, 5, m->body);
    if (m->sealed_len > 0)
        sqlite3_bind_blob(st, 6, m->sealed, (int)m->sealed_len,
                          SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 6);
    BIND(st, 7, m->created_at);
    return ps_sq_exec_step(s, st, "insert SMS", err);
}

static void read_sms(sqlite3_stmt *st, struct ps_sms_row *m)
{
    const void *blob;
    int n;
    m->id = sqlite3_column_int64(st, 0);
    COL_STR(st, 1, m->request_id);
    COL_STR(st, 2, m->mobile);
    COL_STR(st, 3, m->kind);
    COL_STR(st, 4, m->body);
    blob = sqlite3_column_blob(st, 5);
    n = sqlite3_column_bytes(st, 5);
    m->sealed_len = 0;
    if (blob != NULL && n > 0 && (size_t)n <= sizeof(m->sealed)) {
        memcpy(m->sealed, blob, (size_t)n);
        m->sealed_len = (size_t)n;
    }
}

int ps_store_sms_pending(struct ps_store *s, const char *business_id,
                         int (*cb)(void *ctx, const struct ps_sms_row *),
                         void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_SMS_PENDING, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    FOR_EACH(s, st, "SMS outbox", err, struct ps_sms_row, read_sms, cb, ctx);
}

int ps_store_sms_written(struct ps_store *s, int64_t id, const char *at,
                         struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_SMS_WRITTEN, &st, err);
    if (rc != 0)
        return rc;
    BIND_INT(st, 1, id);
    BIND(st, 2, at);
    return ps_sq_exec_one(s, st, "mark SMS written", PS_ENOTFOUND, err);
}

int ps_store_document_accept(struct ps_store *s, const char *business_id,
                             const char *request_id, const char *doc_id,
                             const char *version, const char *at,
                             struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    char sha[PS_TOKEN_SIZE];
    int rc = prep(s, STMT_DOC_SHA, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, doc_id);
    BIND(st, 3, version);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        COL_STR(st, 0, sha);
        rc = 0;
    } else if (rc == SQLITE_DONE)
        rc = ps_err_set(err, PS_ENOTFOUND, "LINX_DOCUMENT_UNKNOWN",
                        "document %s version %s is not registered", doc_id,
                        version);
    else
        rc = ps_sq_error(s, rc, "document", err);
    ps_sq_done(st);
    if (rc != 0 || (rc = prep(s, STMT_ACCEPT_INSERT, &st, err)) != 0)
        return rc;
    BIND(st, 1, request_id);
    BIND(st, 2, doc_id);
    BIND(st, 3, version);
    BIND(st, 4, sha);
    BIND(st, 5, at);
    return ps_sq_exec_step(s, st, "insert document acceptance", err);
}

int ps_store_event_insert(struct ps_store *s, const struct ps_event_row *e,
                          struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int narrow = e->history_id > 0 && s->event_history;
    /* v33: only when its history row gives back every column left out */
    if (narrow && s->event_narrow && e->history_id == s->last_history &&
        strcmp(e->entity_type, "TRANSACTION") == 0 &&
        strcmp(e->event_type, "transaction.status") == 0 &&
        strcmp(e->entity_id, s->last_history_txn) == 0 &&
        strcmp(e->customer_id, s->last_history_customer) == 0 &&
        e->customer_id[0] != '\0' &&
        strcmp(e->created_at, s->last_history_at) == 0) {
        int rc = prep(s, STMT_EVENT_INSERT_NARROW, &st, err);
        if (rc != 0)
            return rc;
        BIND(st, 1, e->event_id);
        BIND(st, 2, e->business_id);
        BIND_INT(st, 3, e->history_id);
        return ps_sq_exec_step(s, st, "insert event", err);
    }
    int rc = prep(s, narrow ? STMT_EVENT_INSERT_HISTORY : STMT_EVENT_INSERT,
                  &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, e->event_id);
    BIND(st, 2, e->business_id);
    BIND(st, 3, e->event_type);
    BIND(st, 4, e->entity_type);
    BIND(st, 5, e->entity_id);
    BIND(st, 6, e->customer_id);
    if (narrow)
        BIND_INT(st, 7, e->history_id);
    else
        BIND(st, 7, e->payload);
    BIND(st, 8, e->created_at);
    return ps_sq_exec_step(s, st, "insert event", err);
}

/* The payload of the event row st stands on (EVENT_PAYLOAD's columns
 * from col): the stored one, or made again from its history row and
 * transaction into buf (or *heap, to free).  NULL: out of memory, or a
 * narrow row without its history row (the caller says so). */
static const char *event_payload(sqlite3_stmt *st, int col, char *buf,
                                 size_t size, char **heap)
{
    *heap = NULL;
    if (sqlite3_column_type(st, col) != SQLITE_NULL)
        return (const char *)sqlite3_column_text(st, col);
    const char *v[11];
    for (int i = 0; i < 11; i++)
        v[i] = (const char *)sqlite3_column_text(st, col + 1 + i);
    /* id, type, entityType, entityId, customerId; ref (the request id),
     * from, to, event, reason, at: the history row's */
    const struct ps_event_json f = {v[0], v[1], v[2], v[3], v[5], v[4],
                                    v[6], v[7], v[8], v[9], v[10]};
    return ps_event_json(&f, buf, size, heap);
}

static int no_payload(struct ps_store *s, sqlite3_stmt *st, struct ps_err *err)
{
    (void)s;
    return ps_err_set(err, PS_ESTORE, "STORE_ERROR",
                      "event %lld: no payload, and its history row is "
                      "missing or out of memory",
                      (long long)sqlite3_column_int64(st, 0));
}

int ps_store_events_unwritten(struct ps_store *s, const char *business_id,
                              int (*cb)(void *ctx, int64_t id,
                                        const char *payload),
                              void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_EVENT_UNWRITTEN, &st, err), step;
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        char buf[1024], *heap;
        const char *p = event_payload(st, 1, buf, sizeof(buf), &heap);
        int stop = p == NULL ? (rc = no_payload(s, st, err)) != 0
                             : cb(ctx, sqlite3_column_int64(st, 0), p) != 0;
        free(heap);
        if (stop)
            break;
    }
    if (rc == 0 && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = ps_sq_error(s, step, "events", err);
    ps_sq_done(st);
    return rc;
}

int ps_store_event_written(struct ps_store *s, int64_t id, const char *at,
                           struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_EVENT_WRITTEN, &st, err);
    if (rc != 0)
        return rc;
    BIND_INT(st, 1, id);
    BIND(st, 2, at);
    return ps_sq_exec_one(s, st, "mark event written", PS_ENOTFOUND, err);
}

static void read_event(sqlite3_stmt *st, struct ps_event_info *e)
{
    e->seq = sqlite3_column_int64(st, 0);
    COL_STR(st, 1, e->event_id);
    COL_STR(st, 2, e->event_type);
    COL_STR(st, 3, e->entity_type);
    COL_STR(st, 4, e->entity_id);
    COL_STR(st, 5, e->delivery);
    e->attempts = sqlite3_column_int(st, 6);
    COL_STR(st, 7, e->last_error);
    COL_STR(st, 8, e->created_at);
    char buf[1024], *heap;
    const char *p = event_payload(st, 9, buf, sizeof(buf), &heap);
    ps_strlcpy(e->payload, p != NULL ? p : "", sizeof(e->payload));
    free(heap);
}

int ps_store_events_list(struct ps_store *s, const char *business_id,
                         const char *delivery,
                         int (*cb)(void *ctx, const struct ps_event_info *),
                         void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_EVENT_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id != NULL ? business_id : "");
    BIND(st, 2, delivery != NULL ? delivery : "");
    FOR_EACH(s, st, "events", err, struct ps_event_info, read_event, cb, ctx);
}

int ps_store_events_replay(struct ps_store *s, const char *business_id,
                           const char *event_id, long *count,
                           struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_EVENT_REPLAY, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id != NULL ? business_id : "");
    BIND(st, 2, event_id != NULL ? event_id : "");
    rc = ps_sq_exec_step(s, st, "replay events", err);
    *count = rc == 0 ? (long)sqlite3_changes(s->db) : 0;
    return rc;
}

static void read_due(sqlite3_stmt *st, struct ps_event_due *e)
{
    e->seq = sqlite3_column_int64(st, 0);
    COL_STR(st, 1, e->event_id);
    COL_STR(st, 2, e->customer_id);
    e->attempts = sqlite3_column_int(st, 3);
    COL_STR(st, 4, e->next_attempt_at);
    char buf[1024], *heap;
    const char *p = event_payload(st, 5, buf, sizeof(buf), &heap);
    ps_strlcpy(e->payload, p != NULL ? p : "", sizeof(e->payload));
    free(heap);
}

int ps_store_events_due(struct ps_store *s, const char *business_id,
                        int (*cb)(void *ctx, const struct ps_event_due *),
                        void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_EVENT_DUE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    FOR_EACH(s, st, "events due", err, struct ps_event_due, read_due, cb, ctx);
}

int ps_store_event_delivered(struct ps_store *s, int64_t seq, const char *at,
                             struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_EVENT_DELIVERED, &st, err);
    if (rc != 0)
        return rc;
    BIND_INT(st, 1, seq);
    BIND(st, 2, at);
    return ps_sq_exec_one(s, st, "mark event delivered", PS_ENOTFOUND, err);
}

int ps_store_event_failed(struct ps_store *s, int64_t seq, int attempts,
                          const char *next_at, const char *why, int dead,
                          struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_EVENT_FAILED, &st, err);
    if (rc != 0)
        return rc;
    BIND_INT(st, 1, seq);
    BIND_INT(st, 2, attempts);
    BIND(st, 3, next_at);
    BIND(st, 4, why);
    BIND(st, 5, dead ? "DEAD" : "PENDING");
    return ps_sq_exec_one(s, st, "mark event failed", PS_ENOTFOUND, err);
}

int ps_store_identity_set(struct ps_store *s, const char *customer_id,
                          const unsigned char *dob, size_t dob_len,
                          const unsigned char *tax, size_t tax_len,
                          const char *tax_last4, const char *at,
                          struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_IDENTITY_SET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, customer_id);
    if (dob_len > 0)
        sqlite3_bind_blob(st, 2, dob, (int)dob_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 2);
    if (tax_len > 0)
        sqlite3_bind_blob(st, 3, tax, (int)tax_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    BIND(st, 4, tax_last4 != NULL ? tax_last4 : "");
    BIND(st, 5, at);
    return ps_sq_exec_step(s, st, "set identity details", err);
}

int ps_store_identity_get(struct ps_store *s, const char *customer_id,
                          unsigned char *dob, size_t dob_size,
                          size_t *dob_len, int *has_tax, char tax_last4[5],
                          struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_IDENTITY_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, customer_id);
    *dob_len = 0;
    *has_tax = 0;
    tax_last4[0] = '\0';
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int n = sqlite3_column_bytes(st, 0);
        if (n > 0 && (size_t)n <= dob_size) {
            memcpy(dob, sqlite3_column_blob(st, 0), (size_t)n);
            *dob_len = (size_t)n;
        }
        *has_tax = sqlite3_column_int(st, 1);
        ps_strlcpy(tax_last4, (const char *)sqlite3_column_text(st, 2), 5);
        ps_sq_done(st);
        return 0;
    }
    ps_sq_done(st);
    if (rc == SQLITE_DONE)
        return PS_ENOTFOUND;
    return ps_sq_error(s, rc, "read identity details", err);
}
