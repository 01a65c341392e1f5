/*
 * business.c -- the store's businesses: insert, get by id or
 * name, list.
 *
 * How it fails: as every store function (store.h): PS_ENOTFOUND for a
 * missing row, PS_ECONFLICT for a UNIQUE violation, PS_EINVAL (rule
 * CONSTRAINT) for a CHECK or foreign key, PS_EBUSY, PS_ESTORE.
 */
#include "store/store.h"
#include "store/store_int.h"

/* This file's statements; PS_SQ_AREA (store_int.h) gives each its
 * cached slot and defines prep(). */
#define BUSINESS_STMTS(X)                                                      \
    X(BUSINESS_INSERT,                                                         \
      "INSERT INTO businesses(id, name, display_name, parent_id, status,"      \
      " created_at) VALUES (?,?,?,?,?,?)")                                     \
    X(BUSINESS_GET,                                                            \
      "SELECT id, name, display_name, ifnull(parent_id,''), status,"           \
      " created_at FROM businesses WHERE id = ?1 OR name = ?1")                \
    X(BUSINESS_LIST,                                                           \
      "SELECT id, name, display_name, ifnull(parent_id,''), status,"           \
      " created_at FROM businesses ORDER BY name")

PS_SQ_AREA(PS_SQ_AREA_BUSINESS, BUSINESS_STMTS)

int ps_store_business_insert(struct ps_store *s, const struct ps_business *b,
                             struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_BUSINESS_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, b->id);
    BIND(st, 2, b->name);
    BIND(st, 3, b->display_name);
    BIND_OPT(st, 4, b->parent_id);
    BIND_ENUM(st, 5, PS_NAMES_STATUS, b->status);
    BIND(st, 6, b->created_at);
    return ps_sq_exec_step(s, st, "insert business", err);
}

static void read_business(sqlite3_stmt *st, struct ps_business *b)
{
    COL_STR(st, 0, b->id);
    COL_STR(st, 1, b->name);
    COL_STR(st, 2, b->display_name);
    COL_STR(st, 3, b->parent_id);
    b->status = (enum ps_status)ps_sq_col_enum(st, 4, PS_NAMES_STATUS);
    COL_STR(st, 5, b->created_at);
}

int ps_store_business_get(struct ps_store *s, const char *name_or_id,
                          struct ps_business *out, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_BUSINESS_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, name_or_id);
    GET_ONE(s, st, "business", err, read_business(st, out));
}

int ps_store_business_list(struct ps_store *s,
                           int (*cb)(void *, const struct ps_business *),
                           void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_BUSINESS_LIST, &st, err);
    if (rc != 0)
        return rc;
    FOR_EACH(s, st, "list businesses", err, struct ps_business, read_business,
             cb, ctx);
}
