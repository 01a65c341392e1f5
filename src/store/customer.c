/*
 * customer.c -- the store's customers: rows of `customers`, their
 * contacts and addresses (replaced as a whole), and their status with its
 * history.
 *
 * How it fails: as every store function (store.h): PS_ENOTFOUND for a
 * missing row, PS_ECONFLICT for a UNIQUE violation, PS_EINVAL (rule
 * CONSTRAINT) for a CHECK or foreign key, PS_EBUSY, PS_ESTORE.
 * A status change whose row is no longer in `from` gives PS_ESTATE.
 */
#include "store/store.h"
#include "store/store_int.h"

#define CUSTOMER_COLS                                                          \
    "id, business_id, external_id, type, ifnull(first_name,''),"               \
    " ifnull(middle_name,''), ifnull(last_name,''), ifnull(dba_name,''),"      \
    " ifnull(email,''), ifnull(phone,''), status, created_at, updated_at"

/* This file's statements; PS_SQ_AREA (store_int.h) gives each its
 * cached slot and defines prep(). */
#define CUSTOMER_STMTS(X)                                                      \
    X(CUSTOMER_INSERT,                                                         \
      "INSERT INTO customers(id, business_id, external_id, type,"              \
      " first_name, middle_name, last_name, dba_name, email, phone,"           \
      " status, created_at, updated_at)"                                       \
      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")                                   \
    X(CUSTOMER_UPDATE,                                                         \
      "UPDATE customers SET first_name = ?2, middle_name = ?3,"                \
      " last_name = ?4, dba_name = ?5, email = ?6, phone = ?7,"                \
      " updated_at = ?8 WHERE id = ?1")                                        \
    X(CUSTOMER_GET, "SELECT " CUSTOMER_COLS " FROM customers WHERE id = ?")    \
    X(CUSTOMER_GET_EXT,                                                        \
      "SELECT " CUSTOMER_COLS                                                  \
      " FROM customers WHERE business_id = ? AND external_id = ?")             \
    /* Each customer with each of its ACTIVE accounts (or none): what    \
     * payment.send reads; the caller keeps the first by created_at.  */ \
    X(PAYEE_SCAN,                                                              \
      "SELECT c.id, c.external_id, c.status, a.id IS NOT NULL,"                \
      " ifnull(a.id, ''), ifnull(a.kind, 'EXTERNAL_CARD'),"                    \
      " ifnull(a.created_at, ''), ifnull(a.rowid, 0)"                          \
      " FROM customers c LEFT JOIN financial_accounts a"                       \
      " ON a.customer_id = c.id AND a.status = 'ACTIVE'"                       \
      " WHERE c.business_id = ?")                                              \
    X(CUSTOMER_SET_STATUS, "UPDATE customers SET status = ?3, updated_at = ?4" \
                           " WHERE id = ?1 AND status = ?2")                   \
    X(CUSTOMER_HISTORY_INSERT,                                                 \
      "INSERT INTO customer_history(customer_id, from_status, to_status,"      \
      " reason, source_file, source_line, created_at)"                         \
      " VALUES (?,?,?,?,?,?,?)")                                               \
    X(CUSTOMER_HISTORY_LIST,                                                   \
      "SELECT ifnull(from_status,''), to_status, ifnull(reason,''),"           \
      " ifnull(source_file,''), ifnull(source_line,0), created_at"             \
      " FROM customer_history WHERE customer_id = ? ORDER BY id")              \
    X(CONTACTS_DELETE, "DELETE FROM customer_contacts WHERE customer_id = ?")  \
    X(CONTACT_INSERT,                                                          \
      "INSERT INTO customer_contacts(customer_id, is_primary, first_name,"     \
      " last_name, email, phone) VALUES (?,?,?,?,?,?)")                        \
    X(CONTACTS_LIST,                                                           \
      "SELECT is_primary, first_name, last_name, ifnull(email,''),"            \
      " ifnull(phone,'') FROM customer_contacts WHERE customer_id = ?"         \
      " ORDER BY is_primary DESC, id")                                         \
    X(ADDRESSES_DELETE,                                                        \
      "DELETE FROM customer_addresses WHERE customer_id = ?")                  \
    X(ADDRESS_INSERT,                                                          \
      "INSERT INTO customer_addresses(customer_id, type, line1, line2,"        \
      " city, region, postal_code, country) VALUES (?,?,?,?,?,?,?,?)")         \
    X(ADDRESSES_LIST,                                                          \
      "SELECT type, line1, ifnull(line2,''), city, ifnull(region,''),"         \
      " ifnull(postal_code,''), country FROM customer_addresses"               \
      " WHERE customer_id = ? ORDER BY id")

PS_SQ_AREA(PS_SQ_AREA_CUSTOMER, CUSTOMER_STMTS)

static void read_customer(sqlite3_stmt *st, struct ps_customer *c)
{
    COL_STR(st, 0, c->id);
    COL_STR(st, 1, c->business_id);
    COL_STR(st, 2, c->external_id);
    c->type =
        (enum ps_customer_type)ps_sq_col_enum(st, 3, PS_NAMES_CUSTOMER_TYPE);
    COL_STR(st, 4, c->first_name);
    COL_STR(st, 5, c->middle_name);
    COL_STR(st, 6, c->last_name);
    COL_STR(st, 7, c->dba_name);
    COL_STR(st, 8, c->email);
    COL_STR(st, 9, c->phone);
    c->status = (enum ps_status)ps_sq_col_enum(st, 10, PS_NAMES_STATUS);
    COL_STR(st, 11, c->created_at);
    COL_STR(st, 12, c->updated_at);
}

int ps_store_customer_insert(struct ps_store *s, const struct ps_customer *c,
                             struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_CUSTOMER_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, c->id);
    BIND(st, 2, c->business_id);
    BIND(st, 3, c->external_id);
    BIND_ENUM(st, 4, PS_NAMES_CUSTOMER_TYPE, c->type);
    BIND_OPT(st, 5, c->first_name);
    BIND_OPT(st, 6, c->middle_name);
    BIND_OPT(st, 7, c->last_name);
    BIND_OPT(st, 8, c->dba_name);
    BIND_OPT(st, 9, c->email);
    BIND_OPT(st, 10, c->phone);
    BIND_ENUM(st, 11, PS_NAMES_STATUS, c->status);
    BIND(st, 12, c->created_at);
    BIND(st, 13, c->updated_at);
    return ps_sq_exec_step(s, st, "insert customer", err);
}

int ps_store_customer_update(struct ps_store *s, const struct ps_customer *c,
                             struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_CUSTOMER_UPDATE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, c->id);
    BIND_OPT(st, 2, c->first_name);
    BIND_OPT(st, 3, c->middle_name);
    BIND_OPT(st, 4, c->last_name);
    BIND_OPT(st, 5, c->dba_name);
    BIND_OPT(st, 6, c->email);
    BIND_OPT(st, 7, c->phone);
    BIND(st, 8, c->updated_at);
    return ps_sq_exec_one(s, st, "update customer", PS_ENOTFOUND, err);
}

int ps_store_customer_get(struct ps_store *s, const char *id,
                          struct ps_customer *out, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_CUSTOMER_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, id);
    GET_ONE(s, st, "customer", err, read_customer(st, out));
}

int ps_store_customer_get_ext(struct ps_store *s, const char *business_id,
                              const char *external_id, struct ps_customer *out,
                              struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_CUSTOMER_GET_EXT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, external_id);
    GET_ONE(s, st, "customer", err, read_customer(st, out));
}

static void read_payee(sqlite3_stmt *st, struct ps_payee_row *r)
{
    COL_STR(st, 0, r->customer_id);
    COL_STR(st, 1, r->external_id);
    r->customer_status = (enum ps_status)ps_sq_col_enum(st, 2, PS_NAMES_STATUS);
    r->has_account = sqlite3_column_int(st, 3) != 0;
    COL_STR(st, 4, r->account_id);
    r->account_kind =
        (enum ps_account_kind)ps_sq_col_enum(st, 5, PS_NAMES_ACCOUNT_KIND);
    COL_STR(st, 6, r->account_created_at);
    r->account_row = sqlite3_column_int64(st, 7);
}

int ps_store_payee_scan(struct ps_store *s, const char *business_id,
                        int (*cb)(void *ctx, const struct ps_payee_row *),
                        void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_PAYEE_SCAN, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    FOR_EACH(s, st, "load payees", err, struct ps_payee_row, read_payee, cb,
             ctx);
}

int ps_store_data_version(struct ps_store *s, int64_t *v, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA data_version", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *v = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0
                           : ps_sq_error(s, rc, "read the data version", err);
}

int ps_store_customer_set_status(struct ps_store *s, const char *id,
                                 enum ps_status from, enum ps_status to,
                                 const struct ps_source *src, const char *at,
                                 struct ps_err *err)
{
    sqlite3_stmt *update = NULL, *history = NULL;
    int rc = prep(s, STMT_CUSTOMER_SET_STATUS, &update, err);
    if (rc == 0)
        rc = prep(s, STMT_CUSTOMER_HISTORY_INSERT, &history, err);
    if (rc != 0)
        return rc;
    return ps_sq_set_status(s, update, history, "customer status", id, from, to,
                            src, at, err);
}

int ps_store_customer_set_contacts(struct ps_store *s, const char *customer_id,
                                   const struct ps_contact *v, size_t n,
                                   struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_CONTACTS_DELETE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, customer_id);
    if ((rc = ps_sq_exec_step(s, st, "delete contacts", err)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if ((rc = prep(s, STMT_CONTACT_INSERT, &st, err)) != 0)
            return rc;
        BIND(st, 1, customer_id);
        BIND_INT(st, 2, v[i].primary ? 1 : 0);
        BIND(st, 3, v[i].first_name);
        BIND(st, 4, v[i].last_name);
        BIND_OPT(st, 5, v[i].email);
        BIND_OPT(st, 6, v[i].phone);
        if ((rc = ps_sq_exec_step(s, st, "insert contact", err)) != 0)
            return rc;
    }
    return 0;
}

int ps_store_customer_set_addresses(struct ps_store *s, const char *customer_id,
                                    const struct ps_address *v, size_t n,
                                    struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ADDRESSES_DELETE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, customer_id);
    if ((rc = ps_sq_exec_step(s, st, "delete addresses", err)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if ((rc = prep(s, STMT_ADDRESS_INSERT, &st, err)) != 0)
            return rc;
        BIND(st, 1, customer_id);
        BIND_ENUM(st, 2, PS_NAMES_ADDRESS_TYPE, v[i].type);
        BIND(st, 3, v[i].line1);
        BIND_OPT(st, 4, v[i].line2);
        BIND(st, 5, v[i].city);
        BIND_OPT(st, 6, v[i].region);
        BIND_OPT(st, 7, v[i].postal_code);
        BIND(st, 8, v[i].country);
        if ((rc = ps_sq_exec_step(s, st, "insert address", err)) != 0)
            return rc;
    }
    return 0;
}

static void read_contact(sqlite3_stmt *st, struct ps_contact *c)
{
    c->primary = sqlite3_column_int(st, 0);
    COL_STR(st, 1, c->first_name);
    COL_STR(st, 2, c->last_name);
    COL_STR(st, 3, c->email);
    COL_STR(st, 4, c->phone);
}

int ps_store_customer_contacts(struct ps_store *s, const char *customer_id,
                               int (*cb)(void *, const struct ps_contact *),
                               void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_CONTACTS_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, customer_id);
    FOR_EACH(s, st, "list contacts", err, struct ps_contact, read_contact, cb,
             ctx);
}

static void read_address(sqlite3_stmt *st, struct ps_address *a)
{
    a->type =
        (enum ps_address_type)ps_sq_col_enum(st, 0, PS_NAMES_ADDRESS_TYPE);
    COL_STR(st, 1, a->line1);
    COL_STR(st, 2, a->line2);
    COL_STR(st, 3, a->city);
    COL_STR(st, 4, a->region);
    COL_STR(st, 5, a->postal_code);
    COL_STR(st, 6, a->country);
}

int ps_store_customer_addresses(struct ps_store *s, const char *customer_id,
                                int (*cb)(void *, const struct ps_address *),
                                void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ADDRESSES_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, customer_id);
    FOR_EACH(s, st, "list addresses", err, struct ps_address, read_address, cb,
             ctx);
}

int ps_store_customer_history(struct ps_store *s, const char *customer_id,
                              int (*cb)(void *ctx,
                                        const struct ps_status_history_row *),
                              void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_CUSTOMER_HISTORY_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, customer_id);
    return ps_sq_status_history(s, st, cb, ctx, err);
}
