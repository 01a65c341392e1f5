/*
 * account.c -- the store's financial accounts: rows of
 * `financial_accounts` with their sealed numbers, and their status with
 * its history.  Bank details changed by a NOC are in ach.c.
 *
 * How it fails: as every store function (store.h): PS_ENOTFOUND for a
 * missing row, PS_ECONFLICT for a UNIQUE violation, PS_EINVAL (rule
 * CONSTRAINT) for a CHECK or foreign key, PS_EBUSY, PS_ESTORE.
 * A status change whose row is no longer in `from` gives PS_ESTATE; a
 * sealed number larger than the caller's buffer PS_EINTERNAL.
 */
#include "store/store.h"
#include "store/store_int.h"

#define ACCOUNT_COLS                                                           \
    "id, business_id, customer_id, kind, display_name, status,"                \
    " ifnull(routing_number,''), bank_type, ifnull(bin,''), last4, token,"     \
    " created_at, updated_at"

/* This file's statements; PS_SQ_AREA (store_int.h) gives each its
 * cached slot and defines prep(). */
#define ACCOUNT_STMTS(X)                                                       \
    X(ACCOUNT_INSERT,                                                          \
      "INSERT INTO financial_accounts(id, business_id, customer_id, kind,"     \
      " display_name, status, routing_number, bank_type, bin, last4,"          \
      " token, sealed, created_at, updated_at)"                                \
      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")                                 \
    X(ACCOUNT_GET,                                                             \
      "SELECT " ACCOUNT_COLS " FROM financial_accounts WHERE id = ?")          \
    X(ACCOUNT_FIND_TOKEN,                                                      \
      "SELECT " ACCOUNT_COLS " FROM financial_accounts"                        \
      " WHERE customer_id = ? AND token = ? ORDER BY created_at LIMIT 1")      \
    X(ACCOUNT_FIND_BANK,                                                       \
      "SELECT " ACCOUNT_COLS " FROM financial_accounts"                        \
      " WHERE business_id = ? AND token = ? AND routing_number = ?"            \
      " ORDER BY status = 'ACTIVE' DESC, created_at LIMIT 1")                  \
    X(ACCOUNT_LIST, "SELECT " ACCOUNT_COLS " FROM financial_accounts"          \
                    " WHERE customer_id = ? ORDER BY created_at")              \
    X(ACCOUNT_SEALED, "SELECT sealed FROM financial_accounts WHERE id = ?")    \
    X(ACCOUNT_SET_STATUS,                                                      \
      "UPDATE financial_accounts SET status = ?3, updated_at = ?4"             \
      " WHERE id = ?1 AND status = ?2")                                        \
    X(ACCOUNT_HISTORY_INSERT,                                                  \
      "INSERT INTO account_history(account_id, from_status, to_status,"        \
      " reason, source_file, source_line, created_at)"                         \
      " VALUES (?,?,?,?,?,?,?)")                                               \
    X(ACCOUNT_HISTORY_LIST,                                                    \
      "SELECT ifnull(from_status,''), to_status, ifnull(reason,''),"           \
      " ifnull(source_file,''), ifnull(source_line,0), created_at"             \
      " FROM account_history WHERE account_id = ? ORDER BY id")

PS_SQ_AREA(PS_SQ_AREA_ACCOUNT, ACCOUNT_STMTS)

static void read_account(sqlite3_stmt *st, struct ps_account *a)
{
    COL_STR(st, 0, a->id);
    COL_STR(st, 1, a->business_id);
    COL_STR(st, 2, a->customer_id);
    a->kind =
        (enum ps_account_kind)ps_sq_col_enum(st, 3, PS_NAMES_ACCOUNT_KIND);
    COL_STR(st, 4, a->display_name);
    a->status = (enum ps_status)ps_sq_col_enum(st, 5, PS_NAMES_STATUS);
    COL_STR(st, 6, a->routing_number);
    a->bank_type = (enum ps_bank_type)ps_sq_col_enum(st, 7, PS_NAMES_BANK_TYPE);
    COL_STR(st, 8, a->bin);
    COL_STR(st, 9, a->last4);
    COL_STR(st, 10, a->token);
    COL_STR(st, 11, a->created_at);
    COL_STR(st, 12, a->updated_at);
}

int ps_store_account_insert(struct ps_store *s, const struct ps_account *a,
                            const unsigned char *sealed, size_t sealed_len,
                            struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ACCOUNT_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, a->id);
    BIND(st, 2, a->business_id);
    BIND(st, 3, a->customer_id);
    BIND_ENUM(st, 4, PS_NAMES_ACCOUNT_KIND, a->kind);
    BIND(st, 5, a->display_name);
    BIND_ENUM(st, 6, PS_NAMES_STATUS, a->status);
    BIND_OPT(st, 7, a->routing_number);
    BIND_ENUM(st, 8, PS_NAMES_BANK_TYPE, a->bank_type);
    BIND_OPT(st, 9, a->bin);
    BIND(st, 10, a->last4);
    BIND(st, 11, a->token);
    sqlite3_bind_blob(st, 12, sealed, (int)sealed_len, SQLITE_STATIC);
    BIND(st, 13, a->created_at);
    BIND(st, 14, a->updated_at);
    return ps_sq_exec_step(s, st, "insert account", err);
}

int ps_store_account_get(struct ps_store *s, const char *id,
                         struct ps_account *out, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ACCOUNT_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, id);
    GET_ONE(s, st, "financial account", err, read_account(st, out));
}

int ps_store_account_find_token(struct ps_store *s, const char *customer_id,
                                const char *token, struct ps_account *out,
                                struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ACCOUNT_FIND_TOKEN, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, customer_id);
    BIND(st, 2, token);
    GET_ONE(s, st, "financial account", err, read_account(st, out));
}

int ps_store_account_find_bank(struct ps_store *s, const char *business_id,
                               const char *routing, const char *token,
                               struct ps_account *out, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ACCOUNT_FIND_BANK, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, token);
    BIND(st, 3, routing);
    GET_ONE(s, st, "financial account", err, read_account(st, out));
}

int ps_store_account_list(struct ps_store *s, const char *customer_id,
                          int (*cb)(void *, const struct ps_account *),
                          void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ACCOUNT_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, customer_id);
    FOR_EACH(s, st, "list accounts", err, struct ps_account, read_account, cb,
             ctx);
}

int ps_store_account_sealed(struct ps_store *s, const char *id,
                            unsigned char *buf, size_t size, size_t *len,
                            struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ACCOUNT_SEALED, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, id);
    rc = sqlite3_step(st);
    int ret = 0;
    if (rc == SQLITE_ROW) {
        int n = sqlite3_column_bytes(st, 0);
        if (n < 0 || (size_t)n > size)
            ret = ps_err_set(err, PS_EINTERNAL, "SEALED_TOO_LONG",
                             "sealed number of %d bytes", n);
        else {
            memcpy(buf, sqlite3_column_blob(st, 0), (size_t)n);
            *len = (size_t)n;
        }
    } else if (rc == SQLITE_DONE) {
        ret = ps_err_set(err, PS_ENOTFOUND, "NOT_FOUND",
                         "financial account not found");
    } else {
        ret = ps_sq_error(s, rc, "read sealed number", err);
    }
    ps_sq_done(st);
    return ret;
}

int ps_store_account_set_status(struct ps_store *s, const char *id,
                                enum ps_status from, enum ps_status to,
                                const struct ps_source *src, const char *at,
                                struct ps_err *err)
{
    sqlite3_stmt *update = NULL, *history = NULL;
    int rc = prep(s, STMT_ACCOUNT_SET_STATUS, &update, err);
    if (rc == 0)
        rc = prep(s, STMT_ACCOUNT_HISTORY_INSERT, &history, err);
    if (rc != 0)
        return rc;
    return ps_sq_set_status(s, update, history, "account status", id, from, to,
                            src, at, err);
}

int ps_store_account_history(struct ps_store *s, const char *account_id,
                             int (*cb)(void *ctx,
                                       const struct ps_status_history_row *),
                             void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ACCOUNT_HISTORY_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, account_id);
    return ps_sq_status_history(s, st, cb, ctx, err);
}
