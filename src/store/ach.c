/*
 * ach.c -- the store's side of ACH: debit authorizations,
 * EWA recovery debits in flight, and notifications of change (the
 * account_changes rows and the bank details a NOC rewrites).  ACH
 * candidates for a NACHA file and trace numbers are in provider.c.
 *
 * How it fails: as every store function (store.h): PS_ENOTFOUND for a
 * missing row, PS_ECONFLICT for a UNIQUE violation, PS_EINVAL (rule
 * CONSTRAINT) for a CHECK or foreign key, PS_EBUSY, PS_ESTORE.
 */
#include "store/store.h"
#include "store/store_int.h"

/* The columns read_account_change() reads, in its order. */
#define ACCOUNT_CHANGE_COLS                                                    \
    "id, business_id, account_id, ifnull(txn_id,''), change_code, refused,"    \
    " ifnull(original_trace,''), what_changed, ifnull(source_file,''),"        \
    " ifnull(source_line,0), created_at"

/* This file's statements; PS_SQ_AREA (store_int.h) gives each its
 * cached slot and defines prep(). */
#define ACH_STMTS(X)                                                           \
    X(DEBIT_AUTH_INSERT,                                                       \
      "INSERT INTO debit_authorizations(id, account_id, kind, reference,"      \
      " status, authorized_at) VALUES (?,?,?,?,'ACTIVE',?)")                   \
    X(DEBIT_AUTH_ACTIVE,                                                       \
      "SELECT kind FROM debit_authorizations WHERE account_id = ?"             \
      " AND status = 'ACTIVE' ORDER BY authorized_at DESC LIMIT 1")            \
    X(DEBIT_AUTH_REVOKE, "UPDATE debit_authorizations SET status = 'REVOKED'," \
                         " revoke_reason = ?2, revoked_at = ?3"                \
                         " WHERE account_id = ?1 AND status = 'ACTIVE'")       \
    X(DEBIT_AUTH_CONSUMER,                                                     \
      "SELECT kind FROM debit_authorizations WHERE account_id = ?"             \
      " AND status = 'ACTIVE' AND (kind = 'WEB' OR kind = 'PPD')"              \
      " ORDER BY authorized_at DESC LIMIT 1")                                  \
    X(DEBIT_AUTH_LIST,                                                         \
      "SELECT id, kind, reference, status, ifnull(revoke_reason,''),"          \
      " authorized_at, ifnull(revoked_at,'') FROM debit_authorizations"        \
      " WHERE account_id = ? ORDER BY authorized_at, rowid")                   \
    X(RECOVERY_IN_FLIGHT,                                                      \
      PS_PROFILE_CHAIN "SELECT count(*) FROM transactions"                     \
      " WHERE rowid IN (SELECT r FROM chain) AND profile_id = ?1"              \
      " AND purpose = 'EWA_RECOVERY' AND type = 'DEBIT'"                       \
      " AND (status = 'NEW' OR status = 'PENDING' OR status = 'PROCESSING'"    \
      " OR status = 'APPROVED')")                                              \
    X(ACCOUNT_UPDATE_BANK,                                                     \
      "UPDATE financial_accounts SET routing_number = ?2, bank_type = ?3,"     \
      " last4 = ?4, token = ?5, sealed = coalesce(?6, sealed),"                \
      " updated_at = ?7 WHERE id = ?1 AND kind = 'EXTERNAL_BANK'")             \
    X(ACCOUNT_CHANGE_INSERT,                                                   \
      "INSERT INTO account_changes(id, business_id, account_id, txn_id,"       \
      " change_code, refused, original_trace, what_changed, source_file,"      \
      " source_line, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)")              \
    X(ACCOUNT_CHANGE_LIST,                                                     \
      "SELECT " ACCOUNT_CHANGE_COLS " FROM account_changes"                    \
      " WHERE account_id = ? ORDER BY created_at, rowid")

PS_SQ_AREA(PS_SQ_AREA_ACH, ACH_STMTS)

int ps_store_debit_auth_insert(struct ps_store *s, const char *id,
                               const char *account_id,
                               enum ps_debit_auth_kind kind,
                               const char *reference, const char *at,
                               struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_DEBIT_AUTH_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, id);
    BIND(st, 2, account_id);
    BIND_ENUM(st, 3, PS_NAMES_DEBIT_AUTH, kind);
    BIND(st, 4, reference);
    BIND(st, 5, at);
    return ps_sq_exec_step(s, st, "insert debit authorization", err);
}

/* The first row of `which` for the account: 1 and its kind, 0 none. */
static int debit_auth_find(struct ps_store *s, enum stmt_id which,
                           const char *account_id,
                           enum ps_debit_auth_kind *kind, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, which, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, account_id);
    rc = sqlite3_step(st);
    int ret = 0;
    if (rc == SQLITE_ROW) {
        if (kind != NULL)
            *kind = (enum ps_debit_auth_kind)ps_sq_col_enum(
                st, 0, PS_NAMES_DEBIT_AUTH);
        ret = 1;
    } else if (rc != SQLITE_DONE) {
        ret = ps_sq_error(s, rc, "read debit authorization", err);
    }
    ps_sq_done(st);
    return ret;
}

int ps_store_debit_auth_active(struct ps_store *s, const char *account_id,
                               enum ps_debit_auth_kind *kind,
                               struct ps_err *err)
{
    return debit_auth_find(s, STMT_DEBIT_AUTH_ACTIVE, account_id, kind, err);
}

int ps_store_debit_auth_revoke(struct ps_store *s, const char *account_id,
                               const char *reason, const char *at,
                               struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_DEBIT_AUTH_REVOKE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, account_id);
    BIND(st, 2, reason);
    BIND(st, 3, at);
    return ps_sq_exec_step(s, st, "revoke debit authorization", err);
}

int ps_store_debit_auth_consumer(struct ps_store *s, const char *account_id,
                                 enum ps_debit_auth_kind *kind,
                                 struct ps_err *err)
{
    return debit_auth_find(s, STMT_DEBIT_AUTH_CONSUMER, account_id, kind, err);
}

static void read_debit_auth(sqlite3_stmt *st, struct ps_debit_auth *a)
{
    COL_STR(st, 0, a->id);
    a->kind =
        (enum ps_debit_auth_kind)ps_sq_col_enum(st, 1, PS_NAMES_DEBIT_AUTH);
    COL_STR(st, 2, a->reference);
    const unsigned char *status = sqlite3_column_text(st, 3);
    a->active = status != NULL && strcmp((const char *)status, "ACTIVE") == 0;
    COL_STR(st, 4, a->revoke_reason);
    COL_STR(st, 5, a->authorized_at);
    COL_STR(st, 6, a->revoked_at);
}

int ps_store_debit_auth_list(struct ps_store *s, const char *account_id,
                             int (*cb)(void *ctx, const struct ps_debit_auth *),
                             void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_DEBIT_AUTH_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, account_id);
    FOR_EACH(s, st, "list debit authorizations", err, struct ps_debit_auth,
             read_debit_auth, cb, ctx);
}

int ps_store_recovery_in_flight(struct ps_store *s, const char *profile_id,
                                int64_t *count, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_RECOVERY_IN_FLIGHT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, profile_id);
    GET_ONE(s, st, "recovery debits in flight", err,
            *count = sqlite3_column_int64(st, 0));
}

int ps_store_account_update_bank(struct ps_store *s, const struct ps_account *a,
                                 const unsigned char *sealed, size_t sealed_len,
                                 struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ACCOUNT_UPDATE_BANK, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, a->id);
    BIND(st, 2, a->routing_number);
    BIND_ENUM(st, 3, PS_NAMES_BANK_TYPE, a->bank_type);
    BIND(st, 4, a->last4);
    BIND(st, 5, a->token);
    if (sealed != NULL)
        sqlite3_bind_blob(st, 6, sealed, (int)sealed_len, SQLITE_STATIC);
    BIND(st, 7, a->updated_at);
    return ps_sq_exec_one(s, st, "update bank account", PS_ENOTFOUND, err);
}

int ps_store_account_change_insert(struct ps_store *s,
                                   const struct ps_account_change *c,
                                   struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ACCOUNT_CHANGE_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, c->id);
    BIND(st, 2, c->business_id);
    BIND(st, 3, c->account_id);
    BIND_OPT(st, 4, c->txn_id);
    BIND(st, 5, c->change_code);
    BIND_INT(st, 6, c->refused ? 1 : 0);
    BIND_OPT(st, 7, c->original_trace);
    BIND(st, 8, c->what_changed);
    BIND_OPT(st, 9, c->source_file);
    if (c->source_line > 0)
        BIND_INT(st, 10, c->source_line);
    BIND(st, 11, c->created_at);
    return ps_sq_exec_step(s, st, "insert account change", err);
}

static void read_account_change(sqlite3_stmt *st, struct ps_account_change *c)
{
    COL_STR(st, 0, c->id);
    COL_STR(st, 1, c->business_id);
    COL_STR(st, 2, c->account_id);
    COL_STR(st, 3, c->txn_id);
    COL_STR(st, 4, c->change_code);
    c->refused = sqlite3_column_int(st, 5);
    COL_STR(st, 6, c->original_trace);
    COL_STR(st, 7, c->what_changed);
    COL_STR(st, 8, c->source_file);
    c->source_line = (long)sqlite3_column_int64(st, 9);
    COL_STR(st, 10, c->created_at);
}

int ps_store_account_changes(struct ps_store *s, const char *account_id,
                             int (*cb)(void *ctx,
                                       const struct ps_account_change *),
                             void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ACCOUNT_CHANGE_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, account_id);
    FOR_EACH(s, st, "list account changes", err, struct ps_account_change,
             read_account_change, cb, ctx);
}
