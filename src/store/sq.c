/*
 * sq.c -- the helpers every file of the store shares (store_int.h): the
 * statement cache's lookup, SQLite errors as PS_E* codes, binding and
 * reading columns, running a statement, and the status-with-history
 * pattern of customers and accounts.
 *
 * How it fails: SQLite errors become PS_ESTORE (message from SQLite),
 * PS_ECONFLICT for UNIQUE/PRIMARY KEY violations, PS_EINVAL (rule
 * CONSTRAINT) for other constraints, PS_EBUSY when the database stays
 * locked past the busy timeout, PS_ENOMEM.  Nothing here allocates.
 */
#include "store/store.h"
#include "store/store_int.h"

#include <stdio.h>

int ps_sq_error(struct ps_store *s, int rc, const char *what,
                struct ps_err *err)
{
    int ext = sqlite3_extended_errcode(s->db);
    const char *msg = sqlite3_errmsg(s->db);
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        return ps_err_set(err, PS_ECONFLICT, "ALREADY_EXISTS", "%s: %s", what,
                          msg);
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return ps_err_set(err, PS_EINVAL, "CONSTRAINT", "%s: %s", what, msg);
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        return ps_err_set(err, PS_EBUSY, "DATABASE_BUSY", "%s: %s", what, msg);
    if ((rc & 0xff) == SQLITE_NOMEM)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "%s: out of memory",
                          what);
    return ps_err_set(err, PS_ESTORE, "STORE_ERROR", "%s: %s", what, msg);
}

/* The slow path of ps_sq_prep() (store_int.h): prepare slot's statement
 * on its first use in this connection. */
int ps_sq_prepare(struct ps_store *s, int slot, const char *sql,
                  struct ps_err *err)
{
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                &s->stmts[slot], NULL);
    if (rc != SQLITE_OK)
        return ps_sq_error(s, rc, "prepare", err);
    return 0;
}

/* Run a statement that returns no rows. */
int ps_sq_exec_step(struct ps_store *s, sqlite3_stmt *st, const char *what,
                    struct ps_err *err)
{
    int rc = sqlite3_step(st);
    int ret = 0;
    if (rc != SQLITE_DONE)
        ret = ps_sq_error(s, rc, what, err);
    ps_sq_done(st);
    return ret;
}

/* Run an UPDATE expected to touch exactly one row; 0 rows -> code. */
int ps_sq_exec_one(struct ps_store *s, sqlite3_stmt *st, const char *what,
                   int zero_code, struct ps_err *err)
{
    int rc = ps_sq_exec_step(s, st, what, err);
    if (rc != 0)
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return ps_err_set(err, zero_code,
                          zero_code == PS_ESTATE ? "STATE_CHANGED"
                                                 : "NOT_FOUND",
                          "%s: no matching row", what);
    return 0;
}

int ps_sq_exec_sql(struct ps_store *s, const char *sql, struct ps_err *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        int ret = ps_sq_error(s, rc, "exec", err);
        if (err != NULL && msg != NULL)
            snprintf(err->msg, sizeof(err->msg), "%s", msg);
        sqlite3_free(msg);
        return ret;
    }
    return 0;
}

/* Shared by customer and account status changes: UPDATE ... WHERE
 * status = from, then the history row. */
int ps_sq_set_status(struct ps_store *s, sqlite3_stmt *update,
                     sqlite3_stmt *history, const char *what, const char *id,
                     enum ps_status from, enum ps_status to,
                     const struct ps_source *src, const char *at,
                     struct ps_err *err)
{
    sqlite3_stmt *st = update;
    int rc;
    BIND(st, 1, id);
    BIND_ENUM(st, 2, PS_NAMES_STATUS, from);
    BIND_ENUM(st, 3, PS_NAMES_STATUS, to);
    BIND(st, 4, at);
    if ((rc = ps_sq_exec_one(s, st, what, PS_ESTATE, err)) != 0)
        return rc;
    st = history;
    BIND(st, 1, id);
    BIND_ENUM(st, 2, PS_NAMES_STATUS, from);
    BIND_ENUM(st, 3, PS_NAMES_STATUS, to);
    BIND_OPT(st, 4, src != NULL ? src->reason : NULL);
    BIND_OPT(st, 5, src != NULL ? src->file : NULL);
    if (src != NULL && src->line > 0)
        BIND_INT(st, 6, src->line);
    BIND(st, 7, at);
    return ps_sq_exec_step(s, st, what, err);
}

static void read_status_history(sqlite3_stmt *st,
                                struct ps_status_history_row *r)
{
    const unsigned char *from = sqlite3_column_text(st, 0);
    r->from_status = from != NULL && from[0] != '\0'
                         ? ps_sq_col_enum(st, 0, PS_NAMES_STATUS)
                         : -1;
    r->to_status = (enum ps_status)ps_sq_col_enum(st, 1, PS_NAMES_STATUS);
    COL_STR(st, 2, r->reason);
    COL_STR(st, 3, r->source_file);
    r->source_line = (long)sqlite3_column_int64(st, 4);
    COL_STR(st, 5, r->created_at);
}

/* The rows of st (an account's or a customer's history, bound). */
int ps_sq_status_history(struct ps_store *s, sqlite3_stmt *st,
                         int (*cb)(void *ctx,
                                   const struct ps_status_history_row *),
                         void *ctx, struct ps_err *err)
{
    FOR_EACH(s, st, "list status history", err, struct ps_status_history_row,
             read_status_history, cb, ctx);
}
