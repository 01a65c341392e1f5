/*
 * iso.c -- the ISO 20022 references of the transactions a pain.001
 * created (MsgId, PmtInfId, EndToEndId), kept so that the camt.054 of the
 * reconciliation step carries the references a bank's reconciliation
 * matches on; and the entries of a business's day for that notification.
 *
 * How it fails: SQLite errors as PS_ESTORE.
 */
#include "store/store.h"
#include "store/store_int.h"

#include <stdlib.h>

/* ISO_REF_ROWS rows of references in one INSERT (ps_store_iso_refs_insert):
 * one statement's cursors for many rows. */
#define ISO_REF_ROWS 32
#define REF_ROW "(?,?,?)"
#define REF_ROW4 REF_ROW "," REF_ROW "," REF_ROW "," REF_ROW
#define REF_ROW16 REF_ROW4 "," REF_ROW4 "," REF_ROW4 "," REF_ROW4

/* A transaction's references: its iso_refs row (by the transaction's
 * rowid, schema 31) and its block's iso_msgs row (schema 26,
 * schema_rows.c); the EndToEndId, when NULL, is the request id. */
#define ISO_REFS_OF                                                            \
    " FROM iso_msgs m JOIN iso_refs r ON r.msg = m.id"                         \
    " JOIN transactions t ON t.rowid = r.txn"
#define ISO_E2E " ifnull(r.end_to_end_id, t.request_id)"

/* The rows of one insert: (txn id, msg, EndToEndId or NULL), each
 * transaction's rowid found by its id in the id's index alone (the VALUES
 * are the outer loop, read in order); refs_step checks that every row
 * found its transaction. */
#define ISO_REF_INSERT_SQL(rows)                                               \
    "INSERT INTO iso_refs(txn, msg, end_to_end_id)"                            \
    " SELECT t.rowid, v.column2, v.column3"                                    \
    " FROM (VALUES " rows ") v"                                                \
    " JOIN transactions t ON t.id = v.column1"

#define ISO_STMTS(X)                                                           \
    X(ISO_MSG_FIND,                                                            \
      "SELECT id FROM iso_msgs WHERE business_id = ? AND msg_id = ?"           \
      " AND pmt_inf_id = ?")                                                   \
    X(ISO_MSG_INSERT,                                                          \
      "INSERT INTO iso_msgs(business_id, msg_id, pmt_inf_id) VALUES (?,?,?)")  \
    X(ISO_REF_INSERT, ISO_REF_INSERT_SQL(REF_ROW))                             \
    X(ISO_REF_ROW_INSERT,                                                      \
      "INSERT INTO iso_refs(txn, msg, end_to_end_id) VALUES " REF_ROW)         \
    X(ISO_REF_ROW_INSERT_MANY,                                                 \
      "INSERT INTO iso_refs(txn, msg, end_to_end_id) VALUES " REF_ROW16        \
      "," REF_ROW16)                                                           \
    X(ISO_REF_INSERT_MANY,                                                     \
      ISO_REF_INSERT_SQL(REF_ROW16 "," REF_ROW16))                             \
    X(ISO_ENTRIES,                                                             \
      "SELECT t.id, t.amount, t.currency, t.status, substr(t.updated_at,1,10)," \
      " m.msg_id, m.pmt_inf_id," ISO_E2E ","                                   \
      " (SELECT h.reason FROM transaction_history h WHERE h.txn_id = t.id"     \
      "  ORDER BY h.id DESC LIMIT 1),"                                         \
      " (SELECT h.reason_code FROM transaction_history h"                      \
      "  WHERE h.txn_id = t.id ORDER BY h.id DESC LIMIT 1)"                    \
      ISO_REFS_OF                                                              \
      " WHERE m.business_id = ?1 AND t.updated_at >= ?2"                       \
      " AND t.updated_at < ?3 AND t.status IN"                                 \
      " ('SETTLED','CLEARED','DECLINED','ERROR','REVERSED')"                   \
      " ORDER BY t.updated_at, t.id")                                          \
    X(ISO_STATUS,                                                              \
      "SELECT t.id, t.amount, t.currency, t.status, substr(t.updated_at,1,10)," \
      " m.msg_id, m.pmt_inf_id," ISO_E2E ","                                   \
      " (SELECT h.reason FROM transaction_history h WHERE h.txn_id = t.id"     \
      "  ORDER BY h.id DESC LIMIT 1),"                                         \
      " (SELECT h.reason_code FROM transaction_history h"                      \
      "  WHERE h.txn_id = t.id ORDER BY h.id DESC LIMIT 1)"                    \
      ISO_REFS_OF                                                              \
      " WHERE m.business_id = ?1 AND t.updated_at >= ?2"                       \
      " AND t.updated_at < ?3 AND t.status IN"                                 \
      " ('SETTLED','CLEARED','DECLINED','ERROR','REVERSED')"                   \
      " ORDER BY m.msg_id, m.pmt_inf_id, t.id")                                \
    X(ISO_FUNDING_MOVES,                                                       \
      PS_FUNDING_MOVE_COLS                                                     \
      " WHERE ((da.business_id = ?1 AND da.kind = 'FUNDING')"                  \
      " OR (ca.business_id = ?1 AND ca.kind = 'FUNDING'))"                     \
      " AND e.currency = ?4"                                                   \
      " AND e.created_at >= ?2 AND e.created_at < ?3 ORDER BY e.id")

PS_SQ_AREA(PS_SQ_AREA_ISO, ISO_STMTS)

/* The iso_msgs row of (business, MsgId, PmtInfId), made if need be. */
static int msg_row(struct ps_store *s, const char *business_id,
                   const char *msg_id, const char *pmt_inf_id, int64_t *id,
                   struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ISO_MSG_FIND, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, msg_id);
    BIND(st, 3, pmt_inf_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return ps_sq_error(s, rc, "find ISO 20022 message", err);
    if ((rc = prep(s, STMT_ISO_MSG_INSERT, &st, err)) != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, msg_id);
    BIND(st, 3, pmt_inf_id);
    if ((rc = ps_sq_exec_step(s, st, "insert ISO 20022 message", err)) != 0)
        return rc;
    *id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int ps_store_iso_ref_insert(struct ps_store *s, const char *business_id,
                            const char *txn_id, const char *msg_id,
                            const char *pmt_inf_id, const char *end_to_end_id,
                            struct ps_err *err)
{
    const char *cols[4] = {txn_id, msg_id, pmt_inf_id, end_to_end_id};
    return ps_store_iso_refs_insert(s, business_id, 1, cols, err);
}

/* Each row's iso_msgs number, looked up once per run of the same block
 * (a chunk's payments come in their document's order). */
static int msg_rows(struct ps_store *s, const char *business_id, size_t n,
                    const char *const *cols, int64_t *msg, struct ps_err *err)
{
    for (size_t i = 0; i < n; i++) {
        const char *const *c = cols + 4 * i;
        int rc;
        if (i > 0 && strcmp(c[1], c[1 - 4]) == 0 &&
            strcmp(c[2], c[2 - 4]) == 0) {
            msg[i] = msg[i - 1];
            continue;
        }
        if ((rc = msg_row(s, business_id, c[1], c[2], &msg[i], err)) != 0)
            return rc;
    }
    return 0;
}

/* Run one insert of n rows bound from row `from` of cols: each
 * transaction by its rowid (rows) or by its id (rows NULL). */
static int refs_step(struct ps_store *s, sqlite3_stmt *st, size_t from,
                     size_t n, const char *const *cols, const int64_t *msg,
                     const int64_t *rows, struct ps_err *err)
{
    for (size_t r = 0; r < n; r++) {
        const char *const *c = cols + 4 * (from + r);
        int k = 3 * (int)r;
        if (rows == NULL)
            BIND(st, k + 1, c[0]);
        else if (rows[from + r] > 0)
            sqlite3_bind_int64(st, k + 1, rows[from + r]);
        else
            return ps_err_set(err, PS_ESTORE, "STORE_ERROR",
                              "insert ISO 20022 references: transaction %s "
                              "has no row number",
                              c[0]);
        sqlite3_bind_int64(st, k + 2, msg[from + r]);
        if (c[3][0] != '\0')
            BIND(st, k + 3, c[3]);
        else
            sqlite3_bind_null(st, k + 3);
    }
    int rc = ps_sq_exec_step(s, st, "insert ISO 20022 references", err);
    if (rc == 0 && (size_t)sqlite3_changes(s->db) != n)
        return ps_err_set(err, PS_ESTORE, "STORE_ERROR",
                          "insert ISO 20022 references: %zu of %zu "
                          "transactions not found",
                          n - (size_t)sqlite3_changes(s->db), n);
    return rc;
}

static int refs_insert(struct ps_store *s, const char *business_id, size_t n,
                       const char *const *cols, const int64_t *rows,
                       struct ps_err *err)
{
    int many =
        rows != NULL ? STMT_ISO_REF_ROW_INSERT_MANY : STMT_ISO_REF_INSERT_MANY;
    int one = rows != NULL ? STMT_ISO_REF_ROW_INSERT : STMT_ISO_REF_INSERT;
    sqlite3_stmt *st = NULL;
    size_t i = 0;
    int64_t *msg = malloc((n > 0 ? n : 1) * sizeof(*msg));
    int rc;
    if (msg == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if ((rc = msg_rows(s, business_id, n, cols, msg, err)) != 0)
        goto out;
    for (; n - i >= ISO_REF_ROWS; i += ISO_REF_ROWS)
        if ((rc = prep(s, many, &st, err)) != 0 ||
            (rc = refs_step(s, st, i, ISO_REF_ROWS, cols, msg, rows, err)) != 0)
            goto out;
    for (; i < n; i++)
        if ((rc = prep(s, one, &st, err)) != 0 ||
            (rc = refs_step(s, st, i, 1, cols, msg, rows, err)) != 0)
            goto out;
out:
    free(msg);
    return rc;
}

int ps_store_iso_refs_insert(struct ps_store *s, const char *business_id,
                             size_t n, const char *const *cols,
                             struct ps_err *err)
{
    return refs_insert(s, business_id, n, cols, NULL, err);
}

int ps_store_iso_refs_insert_rows(struct ps_store *s, const char *business_id,
                                  size_t n, const char *const *cols,
                                  const int64_t *rows, struct ps_err *err)
{
    return refs_insert(s, business_id, n, cols, rows, err);
}

static void read_entry(sqlite3_stmt *st, struct ps_iso_entry_row *r)
{
    COL_STR(st, 0, r->txn_id);
    r->amount = sqlite3_column_int64(st, 1);
    COL_STR(st, 2, r->currency);
    COL_STR(st, 3, r->status);
    COL_STR(st, 4, r->date);
    COL_STR(st, 5, r->msg_id);
    COL_STR(st, 6, r->pmt_inf_id);
    COL_STR(st, 7, r->end_to_end_id);
    COL_STR(st, 8, r->reason);
    COL_STR(st, 9, r->reason_code);
}

int ps_store_iso_entries(struct ps_store *s, const char *business_id,
                         const char *day, const char *next_day,
                         int (*cb)(void *ctx, const struct ps_iso_entry_row *),
                         void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ISO_ENTRIES, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, day);
    BIND(st, 3, next_day);
    FOR_EACH(s, st, "list ISO 20022 entries", err, struct ps_iso_entry_row,
             read_entry, cb, ctx);
}

int ps_store_iso_status(struct ps_store *s, const char *business_id,
                        const char *day, const char *next_day,
                        int (*cb)(void *ctx, const struct ps_iso_entry_row *),
                        void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ISO_STATUS, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, day);
    BIND(st, 3, next_day);
    FOR_EACH(s, st, "list ISO 20022 status changes", err,
             struct ps_iso_entry_row, read_entry, cb, ctx);
}

void ps_store_funding_move_read(sqlite3_stmt *st,
                                struct ps_funding_move_row *r)
{
    memset(r, 0, sizeof(*r));
    r->entry_id = sqlite3_column_int64(st, 0);
    r->amount = sqlite3_column_int64(st, 1);
    COL_STR(st, 2, r->currency);
    r->into_funding = sqlite3_column_int(st, 3) != 0;
    COL_STR(st, 4, r->reference);
    COL_STR(st, 5, r->memo);
    COL_STR(st, 6, r->msg_id);
    COL_STR(st, 7, r->pmt_inf_id);
    COL_STR(st, 8, r->end_to_end_id);
}

int ps_store_funding_moves(struct ps_store *s, const char *business_id,
                           const char *currency, const char *day,
                           const char *next_day,
                           int (*cb)(void *ctx,
                                     const struct ps_funding_move_row *),
                           void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ISO_FUNDING_MOVES, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, day);
    BIND(st, 3, next_day);
    BIND(st, 4, currency);
    FOR_EACH(s, st, "list the funding account's movements", err,
             struct ps_funding_move_row, ps_store_funding_move_read, cb,
             ctx);
}
