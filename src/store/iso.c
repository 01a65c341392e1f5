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

/* ISO_REF_ROWS rows of references in one INSERT (ps_store_iso_refs_insert):
 * one statement's cursors for many rows. */
#define ISO_REF_ROWS 32
#define REF_ROW "(?,?,?,?,?)"
#define REF_ROW4 REF_ROW "," REF_ROW "," REF_ROW "," REF_ROW
#define REF_ROW16 REF_ROW4 "," REF_ROW4 "," REF_ROW4 "," REF_ROW4

#define ISO_STMTS(X)                                                           \
    X(ISO_REF_INSERT,                                                          \
      "INSERT INTO iso_refs(txn_id, business_id, msg_id, pmt_inf_id,"          \
      " end_to_end_id) VALUES (?,?,?,?,?)")                                    \
    X(ISO_REF_INSERT_MANY,                                                     \
      "INSERT INTO iso_refs(txn_id, business_id, msg_id, pmt_inf_id,"          \
      " end_to_end_id) VALUES " REF_ROW16 "," REF_ROW16)                       \
    X(ISO_ENTRIES,                                                             \
      "SELECT t.id, t.amount, t.currency, t.status, substr(t.updated_at,1,10)," \
      " r.msg_id, r.pmt_inf_id, r.end_to_end_id,"                              \
      " (SELECT h.reason FROM transaction_history h WHERE h.txn_id = t.id"     \
      "  ORDER BY h.id DESC LIMIT 1),"                                         \
      " (SELECT h.reason_code FROM transaction_history h"                      \
      "  WHERE h.txn_id = t.id ORDER BY h.id DESC LIMIT 1)"                    \
      " FROM iso_refs r JOIN transactions t ON t.id = r.txn_id"                \
      " WHERE r.business_id = ?1 AND t.updated_at >= ?2"                       \
      " AND t.updated_at < ?3 AND t.status IN"                                 \
      " ('SETTLED','CLEARED','DECLINED','ERROR','REVERSED')"                   \
      " ORDER BY t.updated_at, t.id")                                          \
    X(ISO_STATUS,                                                              \
      "SELECT t.id, t.amount, t.currency, t.status, substr(t.updated_at,1,10)," \
      " r.msg_id, r.pmt_inf_id, r.end_to_end_id,"                              \
      " (SELECT h.reason FROM transaction_history h WHERE h.txn_id = t.id"     \
      "  ORDER BY h.id DESC LIMIT 1),"                                         \
      " (SELECT h.reason_code FROM transaction_history h"                      \
      "  WHERE h.txn_id = t.id ORDER BY h.id DESC LIMIT 1)"                    \
      " FROM iso_refs r JOIN transactions t ON t.id = r.txn_id"                \
      " WHERE r.business_id = ?1 AND t.updated_at >= ?2"                       \
      " AND t.updated_at < ?3 AND t.status IN"                                 \
      " ('SETTLED','CLEARED','DECLINED','ERROR','REVERSED')"                   \
      " ORDER BY r.msg_id, r.pmt_inf_id, t.id")                                \
    X(ISO_FUNDING_MOVES,                                                       \
      "SELECT e.id, e.amount, e.currency, da.kind = 'FUNDING',"                \
      " ifnull(e.txn_id, e.reference), e.memo, r.msg_id, r.pmt_inf_id,"        \
      " r.end_to_end_id"                                                       \
      " FROM ledger_entries e"                                                 \
      " JOIN ledger_accounts da ON da.id = e.debit_account"                    \
      " JOIN ledger_accounts ca ON ca.id = e.credit_account"                   \
      " LEFT JOIN iso_refs r ON r.txn_id = e.txn_id"                           \
      " WHERE ((da.business_id = ?1 AND da.kind = 'FUNDING')"                  \
      " OR (ca.business_id = ?1 AND ca.kind = 'FUNDING'))"                     \
      " AND e.currency = ?4"                                                   \
      " AND e.created_at >= ?2 AND e.created_at < ?3 ORDER BY e.id")

PS_SQ_AREA(PS_SQ_AREA_ISO, ISO_STMTS)

int ps_store_iso_ref_insert(struct ps_store *s, const char *business_id,
                            const char *txn_id, const char *msg_id,
                            const char *pmt_inf_id, const char *end_to_end_id,
                            struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ISO_REF_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, txn_id);
    BIND(st, 2, business_id);
    BIND(st, 3, msg_id);
    BIND(st, 4, pmt_inf_id);
    BIND(st, 5, end_to_end_id);
    return ps_sq_exec_step(s, st, "insert ISO 20022 references", err);
}

int ps_store_iso_refs_insert(struct ps_store *s, const char *business_id,
                             size_t n, const char *const *cols,
                             struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    size_t i = 0;
    int rc;
    for (; n - i >= ISO_REF_ROWS; i += ISO_REF_ROWS) {
        if ((rc = prep(s, STMT_ISO_REF_INSERT_MANY, &st, err)) != 0)
            return rc;
        for (int r = 0; r < ISO_REF_ROWS; r++) {
            const char *const *c = cols + 4 * (i + (size_t)r);
            BIND(st, 5 * r + 1, c[0]);
            BIND(st, 5 * r + 2, business_id);
            BIND(st, 5 * r + 3, c[1]);
            BIND(st, 5 * r + 4, c[2]);
            BIND(st, 5 * r + 5, c[3]);
        }
        if ((rc = ps_sq_exec_step(s, st, "insert ISO 20022 references",
                                  err)) != 0)
            return rc;
    }
    for (; i < n; i++) {
        const char *const *c = cols + 4 * i;
        if ((rc = ps_store_iso_ref_insert(s, business_id, c[0], c[1], c[2],
                                          c[3], err)) != 0)
            return rc;
    }
    return 0;
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

static void read_move(sqlite3_stmt *st, struct ps_funding_move_row *r)
{
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
             struct ps_funding_move_row, read_move, cb, ctx);
}
