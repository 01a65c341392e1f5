/*
 * txn.c -- the store's transactions: rows of `transactions`,
 * looked up by id, trace number or request id, their optimistic status
 * update and status history, and a profile's sends page by page.
 *
 * How it fails: as every store function (store.h): PS_ENOTFOUND for a
 * missing row, PS_ECONFLICT for a UNIQUE violation, PS_EINVAL (rule
 * CONSTRAINT) for a CHECK or foreign key, PS_EBUSY, PS_ESTORE.
 * ps_store_txn_update() gives PS_ESTATE when the row left `from`.
 */
#include "store/store.h"
#include "store/store_int.h"

#include <sodium.h>
#include <string.h>

/* This file's statements; PS_SQ_AREA (store_int.h) gives each its
 * cached slot and defines prep(). */
#define TXN_STMTS(X)                                                           \
    X(TXN_INSERT,                                                              \
      "INSERT INTO transactions(id, business_id, customer_id, account_id,"     \
      " profile_id, type, rail, purpose, amount, fee, currency, status,"       \
      " request_id, trace_number, attempts, created_at, updated_at,"           \
      " request_hash, created_reason, source_file, source_line,"               \
      " debit_account, credit_account, profile_prev, fee_account)"             \
      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")           \
    /* A profile's chain (schema 22): its head, set by the creation when       \
     * the caller does not keep it (the book does, ewabook.c). */              \
    X(TXN_PROFILE_HEAD,                                                        \
      "SELECT k.profile, ifnull(k.last_txn, 0) FROM ewa_profiles p"            \
      " JOIN ewa_counters k ON k.profile = p.seq WHERE p.id = ?")              \
    X(TXN_PROFILE_HEAD_SET,                                                    \
      "UPDATE ewa_counters SET last_txn = ?2 WHERE profile = ?1")              \
    X(TXN_SET_TRANSFER,                                                        \
      "UPDATE transactions SET debit_account = ?2, credit_account = ?3,"       \
      " fee_account = ?4 WHERE id = ?1 AND debit_account IS NULL")             \
    X(TXN_GET, "SELECT " TXN_COLS " FROM transactions WHERE id = ?")           \
    X(TXN_GET_TRACE, "SELECT " TXN_COLS " FROM transactions"                   \
                     " WHERE business_id = ? AND trace_number = ?")            \
    X(TXN_GET_REQUEST, "SELECT " TXN_COLS " FROM transactions"                 \
                       " WHERE request_hash = ?3 AND business_id = ?1"         \
                       " AND request_id = ?2")                                 \
    X(TXN_GET_REQUEST_TEXT, "SELECT " TXN_COLS " FROM transactions"            \
                            " WHERE request_hash IS NULL"                      \
                            " AND business_id = ?1 AND request_id = ?2")       \
    X(TXN_REQUEST_HASH_HIT, "SELECT business_id, request_id"                   \
                            " FROM transactions WHERE request_hash = ?")       \
    X(STORE_KEY, "SELECT value FROM store_keys WHERE name = 'request_hash'")   \
    X(TXN_REHASH_SCAN, "SELECT rowid, business_id, request_id"                 \
                       " FROM transactions WHERE rowid > ?"                    \
                       " AND request_id IS NOT NULL ORDER BY rowid LIMIT 512") \
    X(TXN_REHASH_SET, "UPDATE transactions SET request_hash = ?2"              \
                      " WHERE rowid = ?1")                                     \
    X(TXN_UPDATE,                                                              \
      "UPDATE transactions SET status = ?3, attempts = ?4,"                    \
      " trace_number = ?5, updated_at = ?6 WHERE id = ?1 AND status = ?2")     \
    /* The same by the row id read with the row (its id checked too): a    \
     * payout's rows are read in row order, the id index is random. */     \
    X(TXN_UPDATE_ROW,                                                          \
      "UPDATE transactions SET status = ?3, attempts = ?4,"                    \
      " trace_number = ?5, updated_at = ?6"                                    \
      " WHERE rowid = ?7 AND id = ?1 AND status = ?2")                         \
    X(TXN_HISTORY_INSERT,                                                      \
      "INSERT INTO transaction_history(txn_id, from_status, to_status,"        \
      " event, reason, source_file, source_line, created_at, reason_code)"     \
      " VALUES (?,?,?,?,?,?,?,?,?)")                                           \
    /* The creation first, from the row itself (schema v18). */              \
    X(TXN_HISTORY_LIST,                                                        \
      "SELECT '', 'NEW', 'CREATE', ifnull(created_reason,''),"                 \
      " ifnull(source_file,''), ifnull(source_line,0), created_at, '',"        \
      " 0 AS k, 0 AS hid FROM transactions WHERE id = ?1"                      \
      " UNION ALL"                                                             \
      " SELECT ifnull(from_status,''), to_status, event, ifnull(reason,''),"   \
      " ifnull(source_file,''), ifnull(source_line,0), created_at,"            \
      " ifnull(reason_code,''), 1, id"                                         \
      " FROM transaction_history WHERE txn_id = ?1 ORDER BY 9, 10")            \
    X(TXN_COUNT_PROFILE,                                                       \
      PS_PROFILE_CHAIN "SELECT count(*) FROM transactions"                     \
      " WHERE rowid IN (SELECT r FROM chain)"                                  \
      " AND profile_id = ?1 AND type = 'SEND'")                                \
    X(TXN_PAGE_PROFILE,                                                        \
      PS_PROFILE_CHAIN "SELECT " TXN_COLS " FROM transactions"                 \
      " WHERE rowid IN (SELECT r FROM chain) AND profile_id = ?1"              \
      " AND type = 'SEND' ORDER BY created_at DESC, id DESC"                   \
      " LIMIT ?2 OFFSET ?3")                                                   \
    X(TXN_PROFILE_REHASH_SCAN, "SELECT rowid, profile_id FROM transactions"    \
                               " WHERE rowid > ? AND profile_id IS NOT NULL"   \
                               " ORDER BY rowid LIMIT 512")                    \
    X(TXN_PROFILE_REHASH_SET, "UPDATE transactions SET profile_hash = ?2"      \
                              " WHERE rowid = ?1")

PS_SQ_AREA(PS_SQ_AREA_TXN, TXN_STMTS)

void ps_store_txn_read(sqlite3_stmt *st, struct ps_txn *t)
{
    COL_STR(st, 0, t->id);
    COL_STR(st, 1, t->business_id);
    COL_STR(st, 2, t->customer_id);
    COL_STR(st, 3, t->account_id);
    COL_STR(st, 4, t->profile_id);
    t->type = (enum ps_txn_type)ps_sq_col_enum(st, 5, PS_NAMES_TXN_TYPE);
    t->rail = (enum ps_rail)ps_sq_col_enum(st, 6, PS_NAMES_RAIL);
    t->purpose = (enum ps_purpose)ps_sq_col_enum(st, 7, PS_NAMES_PURPOSE);
    t->amount = sqlite3_column_int64(st, 8);
    t->fee = sqlite3_column_int64(st, 9);
    COL_STR(st, 10, t->currency);
    t->status = (enum ps_txn_status)ps_sq_col_enum(st, 11, PS_NAMES_TXN_STATUS);
    COL_STR(st, 12, t->request_id);
    COL_STR(st, 13, t->trace_number);
    t->attempts = sqlite3_column_int(st, 14);
    COL_STR(st, 15, t->created_at);
    COL_STR(st, 16, t->updated_at);
    t->rowid = sqlite3_column_int64(st, 17);
}

/* The database's request-hash key, read once per connection. */
int ps_store_request_key(struct ps_store *s, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (s->have_reqkey)
        return 0;
    if ((rc = prep(s, STMT_STORE_KEY, &st, err)) != 0)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == sizeof(s->reqkey)) {
        memcpy(s->reqkey, sqlite3_column_blob(st, 0), sizeof(s->reqkey));
        s->have_reqkey = 1;
        rc = 0;
    } else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        rc = ps_err_set(err, PS_ESTORE, "STORE_ERROR",
                        "the request-hash key of the database is missing");
    else
        rc = ps_sq_error(s, rc, "read the request-hash key", err);
    ps_sq_done(st);
    return rc;
}

/* SipHash-2-4 of "business\0request id" under the database's key. */
static int request_hash(struct ps_store *s, const char *business_id,
                        const char *request_id, int64_t *out,
                        struct ps_err *err)
{
    unsigned char msg[PS_ID_SIZE + 80];
    unsigned char h[crypto_shorthash_BYTES];
    size_t nb = strlen(business_id) + 1, nr = strlen(request_id);
    uint64_t v = 0;
    int rc = ps_store_request_key(s, err);
    if (rc != 0)
        return rc;
    if (nb + nr > sizeof(msg))
        return ps_err_set(err, PS_EINVAL, "REQUEST_ID_FORMAT",
                          "a request id is at most 64 characters");
    memcpy(msg, business_id, nb);
    memcpy(msg + nb, request_id, nr);
    crypto_shorthash(h, msg, nb + nr, s->reqkey);
    for (int i = 0; i < 8; i++)
        v = (v << 8) | h[i];
    *out = (int64_t)v;
    return 0;
}

int ps_store_profile_hash(struct ps_store *s, const char *profile_id,
                          int64_t *out, struct ps_err *err)
{
    /* The request hash's function under another "business": no business
     * id is "profile". */
    return request_hash(s, "profile", profile_id, out, err);
}

/*
 * The insert hit the request-hash index: the same (business, request id)
 * is a duplicate (PS_ECONFLICT, as the UNIQUE on the text was); two
 * different ids of the same hash (2^-64) leave the second row's hash
 * NULL, unless it is itself there with a NULL hash already.
 * Returns 0 when the row should be inserted without a hash.
 */
static int hash_hit(struct ps_store *s, const struct ps_txn *t, int64_t hash,
                    struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    struct ps_txn prior;
    int same = 0;
    int rc = prep(s, STMT_TXN_REQUEST_HASH_HIT, &st, err);
    if (rc != 0)
        return rc;
    BIND_INT(st, 1, hash);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *b = (const char *)sqlite3_column_text(st, 0);
        const char *r = (const char *)sqlite3_column_text(st, 1);
        same = b != NULL && r != NULL && strcmp(b, t->business_id) == 0 &&
               strcmp(r, t->request_id) == 0;
    }
    ps_sq_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ps_sq_error(s, rc, "read a request hash", err);
    if (rc == SQLITE_DONE) /* not the hash that conflicted */
        return ps_err_set(err, PS_ECONFLICT, "ALREADY_EXISTS",
                          "insert transaction: UNIQUE constraint failed");
    if (!same) {
        if ((rc = prep(s, STMT_TXN_GET_REQUEST_TEXT, &st, err)) != 0)
            return rc;
        BIND(st, 1, t->business_id);
        BIND(st, 2, t->request_id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            ps_store_txn_read(st, &prior);
        ps_sq_done(st);
        if (rc == SQLITE_DONE)
            return 0;
        if (rc != SQLITE_ROW)
            return ps_sq_error(s, rc, "read transaction", err);
    }
    return ps_err_set(err, PS_ECONFLICT, "ALREADY_EXISTS",
                      "insert transaction: UNIQUE constraint failed: "
                      "request id %s",
                      t->request_id);
}

struct creation {
    const struct ps_source *src;
    struct ps_row_transfer x; /* debit 0: none */
    struct ps_profile_link *link; /* NULL: no profile */
};

/* The legs of the row's transfers (ledger.c's in-memory list; the
 * balances and day totals at the commit). */
static int post_row_transfer(struct ps_store *s, const struct ps_txn *t,
                             const struct ps_row_transfer *x,
                             struct ps_err *err)
{
    int rc = ps_store_balance_post(s, x->debit, x->credit, t->amount,
                                   t->currency, t->created_at, err);
    if (rc == 0 && x->fee_credit != 0)
        rc = ps_store_balance_post(s, x->debit, x->fee_credit, t->fee,
                                   t->currency, t->created_at, err);
    return rc;
}

/* The head of the profile's chain, when the caller does not keep it: the
 * profile's counters row and its last transaction (0, 0: no profile). */
static int profile_head(struct ps_store *s, const char *profile_id,
                        struct ps_profile_link *link, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TXN_PROFILE_HEAD, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, profile_id);
    rc = sqlite3_step(st);
    link->row = link->prev = 0;
    if (rc == SQLITE_ROW) {
        link->row = sqlite3_column_int64(st, 0);
        link->prev = sqlite3_column_int64(st, 1);
    }
    ps_sq_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ps_sq_error(s, rc, "read a profile's last transaction", err);
    return 0;
}

static int profile_head_set(struct ps_store *s,
                            const struct ps_profile_link *link,
                            struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TXN_PROFILE_HEAD_SET, &st, err);
    if (rc != 0)
        return rc;
    BIND_INT(st, 1, link->row);
    BIND_INT(st, 2, link->rowid);
    return ps_sq_exec_one(s, st, "record a profile's last transaction",
                          PS_ENOTFOUND, err);
}

static int txn_insert(struct ps_store *s, const struct ps_txn *t,
                      const struct creation *c, const int64_t *hash,
                      struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TXN_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, t->id);
    BIND(st, 2, t->business_id);
    BIND(st, 3, t->customer_id);
    BIND(st, 4, t->account_id);
    BIND_OPT(st, 5, t->profile_id);
    BIND_ENUM(st, 6, PS_NAMES_TXN_TYPE, t->type);
    BIND_ENUM(st, 7, PS_NAMES_RAIL, t->rail);
    BIND_ENUM(st, 8, PS_NAMES_PURPOSE, t->purpose);
    BIND_INT(st, 9, t->amount);
    BIND_INT(st, 10, t->fee);
    BIND(st, 11, t->currency);
    BIND_ENUM(st, 12, PS_NAMES_TXN_STATUS, t->status);
    BIND_OPT(st, 13, t->request_id);
    BIND_OPT(st, 14, t->trace_number);
    BIND_INT(st, 15, t->attempts);
    BIND(st, 16, t->created_at);
    BIND(st, 17, t->updated_at);
    if (hash != NULL)
        BIND_INT(st, 18, *hash);
    if (c->src != NULL) {
        BIND_OPT(st, 19, c->src->reason);
        BIND_OPT(st, 20, c->src->file);
        if (c->src->line > 0)
            BIND_INT(st, 21, c->src->line);
    }
    if (c->x.debit != 0 && c->x.credit != 0) {
        BIND_INT(st, 22, c->x.debit);
        BIND_INT(st, 23, c->x.credit);
        if (c->x.fee_credit != 0)
            BIND_INT(st, 25, c->x.fee_credit);
    }
    if (c->link != NULL && c->link->prev > 0)
        BIND_INT(st, 24, c->link->prev);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        ps_sq_done(st);
        s->last_txn_rowid = sqlite3_last_insert_rowid(s->db);
        if (c->link != NULL)
            c->link->rowid = s->last_txn_rowid;
        /* recon's counters of the day (schema v24), in the same commit */
        if ((rc = ps_store_recon_count_create(s, t, err)) != 0)
            return rc;
        if (c->x.debit == 0 || c->x.credit == 0)
            return 0;
        return post_row_transfer(s, t, &c->x, err);
    }
    /* Which UNIQUE failed: the request hash's is handled by the caller. */
    if (hash != NULL && sqlite3_extended_errcode(s->db) ==
                            SQLITE_CONSTRAINT_UNIQUE &&
        strstr(sqlite3_errmsg(s->db), "request_hash") != NULL) {
        ps_sq_done(st);
        return 1;
    }
    rc = ps_sq_error(s, rc, "insert transaction", err);
    ps_sq_done(st);
    return rc;
}

static int txn_create(struct ps_store *s, const struct ps_txn *t,
                      const struct creation *c, struct ps_err *err)
{
    int64_t hash;
    int rc;
    if (t->request_id[0] == '\0')
        return txn_insert(s, t, c, NULL, err);
    if ((rc = request_hash(s, t->business_id, t->request_id, &hash, err)) !=
        0)
        return rc;
    if ((rc = txn_insert(s, t, c, &hash, err)) != 1)
        return rc;
    if ((rc = hash_hit(s, t, hash, err)) != 0)
        return rc;
    rc = txn_insert(s, t, c, NULL, err); /* a true collision: no hash */
    return rc == 1 ? ps_err_set(err, PS_ECONFLICT, "ALREADY_EXISTS",
                                "insert transaction: UNIQUE constraint")
                   : rc;
}

int64_t ps_store_txn_last_rowid(const struct ps_store *s)
{
    return s->last_txn_rowid;
}

int ps_store_txn_create(struct ps_store *s, const struct ps_txn *t,
                        const struct ps_source *src,
                        const struct ps_row_transfer *x,
                        struct ps_profile_link *link, struct ps_err *err)
{
    struct creation c = {src, {0, 0, 0}, NULL};
    if (x != NULL && x->debit != 0 && x->credit != 0)
        c.x = *x;
    if (t->fee == 0)
        c.x.fee_credit = 0; /* a zero fee moves nothing: no leg */
    struct ps_profile_link own;
    int rc;
    if (t->profile_id[0] == '\0')
        return txn_create(s, t, &c, err);
    if (link != NULL && link->row > 0) {
        c.link = link; /* the caller keeps the head */
        return txn_create(s, t, &c, err);
    }
    if ((rc = profile_head(s, t->profile_id, &own, err)) != 0)
        return rc;
    c.link = &own;
    if ((rc = txn_create(s, t, &c, err)) != 0 || own.row == 0)
        return rc;
    rc = profile_head_set(s, &own, err);
    if (rc == 0 || rc == PS_ESTORE || rc == PS_EBUSY || rc == PS_EIO)
        return rc;
    /* The row is in: never a refusal of the caller's record (engine
     * txn.c makes any failure after the row the store's). */
    return ps_err_set(err, PS_ESTORE, "STORE_ERROR",
                      "transaction %s written, its profile's chain not",
                      t->id);
}

int ps_store_txn_insert(struct ps_store *s, const struct ps_txn *t,
                        struct ps_err *err)
{
    return ps_store_txn_create(s, t, NULL, NULL, NULL, err);
}

int ps_store_txn_set_transfer(struct ps_store *s, const struct ps_txn *t,
                              const struct ps_row_transfer *x,
                              struct ps_err *err)
{
    struct ps_row_transfer own = *x;
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TXN_SET_TRANSFER, &st, err);
    if (rc != 0)
        return rc;
    if (t->fee == 0)
        own.fee_credit = 0; /* a zero fee moves nothing: no leg */
    BIND(st, 1, t->id);
    BIND_INT(st, 2, own.debit);
    BIND_INT(st, 3, own.credit);
    if (own.fee_credit != 0)
        BIND_INT(st, 4, own.fee_credit);
    if ((rc = ps_sq_exec_one(s, st, "record a transaction's transfer",
                             PS_ENOTFOUND, err)) != 0)
        return rc;
    return post_row_transfer(s, t, &own, err);
}

int ps_store_txn_get(struct ps_store *s, const char *id, struct ps_txn *out,
                     struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TXN_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, id);
    GET_ONE(s, st, "transaction", err, ps_store_txn_read(st, out));
}

int ps_store_txn_get_trace(struct ps_store *s, const char *business_id,
                           const char *trace, struct ps_txn *out,
                           struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TXN_GET_TRACE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, trace);
    GET_ONE(s, st, "transaction", err, ps_store_txn_read(st, out));
}

int ps_store_txn_get_request(struct ps_store *s, const char *business_id,
                             const char *request_id, struct ps_txn *out,
                             struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int64_t hash;
    int rc;
    if (strlen(request_id) > 64) /* none is stored (ps_txn_create) */
        return ps_err_set(err, PS_ENOTFOUND, "NOT_FOUND",
                          "transaction not found");
    if ((rc = request_hash(s, business_id, request_id, &hash, err)) != 0)
        return rc;
    if ((rc = prep(s, STMT_TXN_GET_REQUEST, &st, err)) != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, request_id);
    BIND_INT(st, 3, hash);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        ps_store_txn_read(st, out);
    ps_sq_done(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE)
        return ps_sq_error(s, rc, "transaction", err);
    /* Not under its hash: perhaps stored without one (hash_hit). */
    if ((rc = prep(s, STMT_TXN_GET_REQUEST_TEXT, &st, err)) != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, request_id);
    GET_ONE(s, st, "transaction", err, ps_store_txn_read(st, out));
}

/* The hash of a scanned row's key: (business, request id) or the
 * profile id (with "" as the second part). */
typedef int (*rehash_fn)(struct ps_store *s, const char *k1, const char *k2,
                         int64_t *out, struct ps_err *err);

static int hash_profile(struct ps_store *s, const char *profile_id,
                        const char *unused, int64_t *out, struct ps_err *err)
{
    (void)unused;
    return ps_store_profile_hash(s, profile_id, out, err);
}

/*
 * Fill a hash column of every transaction (a migration's step): `scan`
 * reads (rowid, key, [key2]) after a rowid, 512 rows at a time, `set`
 * writes (rowid, hash).  A UNIQUE conflict on `set` is kept as NULL when
 * `conflict_ok` (a request-id collision, 2^-64: the later row's hash
 * stays NULL), else an error.
 */
static int rehash(struct ps_store *s, int scan, int set, const char *what,
                  rehash_fn fn, int conflict_ok, struct ps_err *err)
{
    struct row {
        int64_t rowid;
        char k1[PS_ID_SIZE];
        char k2[80];
    } rows[512];
    int64_t last = 0;
    for (;;) {
        sqlite3_stmt *st = NULL;
        int n = 0, rc = prep(s, scan, &st, err);
        if (rc != 0)
            return rc;
        BIND_INT(st, 1, last);
        while (n < 512 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            rows[n].rowid = sqlite3_column_int64(st, 0);
            COL_STR(st, 1, rows[n].k1);
            rows[n].k2[0] = '\0';
            if (sqlite3_column_count(st) > 2)
                COL_STR(st, 2, rows[n].k2);
            n++;
        }
        ps_sq_done(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return ps_sq_error(s, rc, "read transactions", err);
        if (n == 0)
            return 0;
        for (int i = 0; i < n; i++) {
            int64_t hash;
            if ((rc = fn(s, rows[i].k1, rows[i].k2, &hash, err)) != 0 ||
                (rc = prep(s, set, &st, err)) != 0)
                return rc;
            BIND_INT(st, 1, rows[i].rowid);
            BIND_INT(st, 2, hash);
            rc = ps_sq_exec_step(s, st, what, err);
            if (rc != 0 && !(conflict_ok && rc == PS_ECONFLICT))
                return rc;
        }
        last = rows[n - 1].rowid;
    }
}

int ps_store_txn_rehash(struct ps_store *s, struct ps_err *err)
{
    return rehash(s, STMT_TXN_REHASH_SCAN, STMT_TXN_REHASH_SET,
                  "hash a request id", request_hash, 1, err);
}

int ps_store_txn_update(struct ps_store *s, const struct ps_txn *t,
                        enum ps_txn_status from, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, t->rowid > 0 ? STMT_TXN_UPDATE_ROW : STMT_TXN_UPDATE, &st,
                  err);
    if (rc != 0)
        return rc;
    if (t->rowid > 0)
        BIND_INT(st, 7, t->rowid);
    BIND(st, 1, t->id);
    BIND_ENUM(st, 2, PS_NAMES_TXN_STATUS, from);
    BIND_ENUM(st, 3, PS_NAMES_TXN_STATUS, t->status);
    BIND_INT(st, 4, t->attempts);
    BIND_OPT(st, 5, t->trace_number);
    BIND(st, 6, t->updated_at);
    if ((rc = ps_sq_exec_one(s, st, "update transaction", PS_ESTATE, err)) !=
        0)
        return rc;
    /* recon's counters of the day (schema v24), in the same commit: the
     * row's status (its history rows count theirs) */
    return ps_store_recon_count_move(s, t, (int)from, err);
}

int ps_store_txn_history_insert(struct ps_store *s, const struct ps_txn *t,
                                int from_status, enum ps_txn_status to,
                                const char *event, const struct ps_source *src,
                                const char *return_code, const char *at,
                                struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TXN_HISTORY_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, t->id);
    if (from_status >= 0)
        BIND_ENUM(st, 2, PS_NAMES_TXN_STATUS, from_status);
    BIND_ENUM(st, 3, PS_NAMES_TXN_STATUS, to);
    BIND(st, 4, event);
    BIND_OPT(st, 5, src != NULL ? src->reason : NULL);
    BIND_OPT(st, 6, src != NULL ? src->file : NULL);
    if (src != NULL && src->line > 0)
        BIND_INT(st, 7, src->line);
    BIND(st, 8, at);
    BIND_OPT(st, 9, return_code);
    if ((rc = ps_sq_exec_step(s, st, "insert transaction history", err)) != 0)
        return rc;
    s->last_history = sqlite3_last_insert_rowid(s->db);
    ps_strlcpy(s->last_history_txn, t->id, sizeof(s->last_history_txn));
    ps_strlcpy(s->last_history_customer, t->customer_id,
               sizeof(s->last_history_customer));
    ps_strlcpy(s->last_history_at, at, sizeof(s->last_history_at));
    /* recon's counters of the day (schema v24): one a history row, in the
     * same commit (a payout's SUBMIT and TRANSMIT are one row write and
     * two history rows) */
    return ps_store_recon_count_moved(s, t, from_status, to, at, err);
}

int64_t ps_store_txn_history_last(const struct ps_store *s)
{
    return s->event_history ? s->last_history : 0;
}

static void read_txn_history(sqlite3_stmt *st, struct ps_txn_history_row *r)
{
    const unsigned char *from = sqlite3_column_text(st, 0);
    r->from_status = ps_enum_parse(PS_NAMES_TXN_STATUS,
                                   from != NULL ? (const char *)from : "");
    r->to_status =
        (enum ps_txn_status)ps_sq_col_enum(st, 1, PS_NAMES_TXN_STATUS);
    COL_STR(st, 2, r->event);
    COL_STR(st, 3, r->reason);
    COL_STR(st, 4, r->source_file);
    r->source_line = (long)sqlite3_column_int64(st, 5);
    COL_STR(st, 6, r->created_at);
    COL_STR(st, 7, r->return_code);
}

int ps_store_txn_history(struct ps_store *s, const char *txn_id,
                         int (*cb)(void *, const struct ps_txn_history_row *),
                         void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TXN_HISTORY_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, txn_id);
    FOR_EACH(s, st, "list transaction history", err, struct ps_txn_history_row,
             read_txn_history, cb, ctx);
}

int ps_store_txn_count_profile(struct ps_store *s, const char *profile_id,
                               int64_t *count, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int served = 0; /* the export's pages (ewapages.c) */
    if (ps_store_profile_pages_count(s, profile_id, count, &served) != 0 ||
        served)
        return 0;
    int rc = prep(s, STMT_TXN_COUNT_PROFILE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, profile_id);
    GET_ONE(s, st, "transaction count", err,
            *count = sqlite3_column_int64(st, 0));
}

int ps_store_txn_page_profile(struct ps_store *s, const char *profile_id,
                              int64_t offset, int64_t limit,
                              int (*cb)(void *, const struct ps_txn *),
                              void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int served = 0; /* the export's pages (ewapages.c) */
    if (ps_store_profile_pages_page(s, profile_id, offset, limit, cb, ctx,
                                    &served) != 0 ||
        served)
        return 0;
    int rc = prep(s, STMT_TXN_PAGE_PROFILE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, profile_id);
    BIND_INT(st, 2, limit);
    BIND_INT(st, 3, offset);
    FOR_EACH(s, st, "list profile transactions", err, struct ps_txn,
             ps_store_txn_read, cb, ctx);
}

int ps_store_txn_profile_rehash(struct ps_store *s, struct ps_err *err)
{
    return rehash(s, STMT_TXN_PROFILE_REHASH_SCAN, STMT_TXN_PROFILE_REHASH_SET,
                  "hash a profile id", hash_profile, 0, err);
}
