/*
 * file.c -- the store's intake bookkeeping: input files and
 * their documents, checkpoints, per-record results, the per-record and
 * per-file idempotency keys, and the engine guard (one engine per
 * spool).
 *
 * How it fails: as every store function (store.h): PS_ENOTFOUND for a
 * missing row, PS_ECONFLICT for a UNIQUE violation, PS_EINVAL (rule
 * CONSTRAINT) for a CHECK or foreign key, PS_EBUSY, PS_ESTORE.
 * A duplicate key gives PS_ECONFLICT (with the earlier file for a file
 * key).
 */
#include "store/store.h"
#include "store/store_int.h"

#define FILE_COLS                                                              \
    "id, business_id, name, ifnull(member,''), doc_index, sha256, size,"       \
    " ifnull(format,''), status, ifnull(reason,''), records, accepted,"        \
    " rejected, duplicates, amount_accepted, ifnull(archive_path,''),"         \
    " ifnull(result_path,''), received_at, ifnull(completed_at,''),"           \
    " ifnull(currency,''), ifnull(options_used,''), ifnull(source,'')"

#define RETRY_COLS                                                             \
    "id, file_id, business_id, name, sha256, from_path, to_path, reason,"      \
    " actor, retried_at"

/* This file's statements; PS_SQ_AREA (store_int.h) gives each its
 * cached slot and defines prep(). */
#define FILE_STMTS(X)                                                          \
    X(FILE_INSERT,                                                             \
      "INSERT INTO files(id, business_id, name, member, doc_index, sha256,"    \
      " size, format, status, reason, records, accepted, rejected,"            \
      " duplicates, amount_accepted, archive_path, result_path,"               \
      " received_at, completed_at, currency, options_used, source)"            \
      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")                 \
    X(FILE_UPDATE,                                                             \
      "UPDATE files SET format = ?2, status = ?3, reason = ?4,"                \
      " records = ?5, accepted = ?6, rejected = ?7, duplicates = ?8,"          \
      " amount_accepted = ?9, archive_path = ?10, result_path = ?11,"          \
      " completed_at = ?12, currency = ?13 WHERE id = ?1")                     \
    X(FILE_GET, "SELECT " FILE_COLS " FROM files WHERE id = ?")                \
    X(FILES_BY_SHA,                                                            \
      "SELECT " FILE_COLS " FROM files WHERE business_id = ? AND"              \
      " sha256 = ? AND NOT EXISTS (SELECT 1 FROM file_retries r"               \
      " WHERE r.file_id = files.id) ORDER BY received_at, doc_index")          \
    X(FILES_BY_NAME,                                                           \
      "SELECT " FILE_COLS " FROM files WHERE business_id = ? AND"              \
      " name = ? ORDER BY received_at, doc_index")                             \
    X(FILE_RETRY_INSERT,                                                       \
      "INSERT INTO file_retries(id, file_id, business_id, name, sha256,"       \
      " from_path, to_path, reason, actor, retried_at)"                        \
      " VALUES (?,?,?,?,?,?,?,?,?,?)")                                         \
    X(FILE_RETRY_DELETE, "DELETE FROM file_retries WHERE id = ?")              \
    X(FILE_RETRIES_OF,                                                         \
      "SELECT " RETRY_COLS " FROM file_retries WHERE file_id = ?"              \
      " ORDER BY retried_at")                                                  \
    X(FILE_RETRY_BEFORE,                                                       \
      "SELECT " RETRY_COLS " FROM file_retries WHERE business_id = ? AND"      \
      " sha256 = ? AND name = ? AND retried_at <= ?"                           \
      " ORDER BY retried_at DESC, file_id LIMIT 1")                            \
    X(FILE_LIST,                                                               \
      "SELECT " FILE_COLS " FROM files WHERE ?1 IS NULL OR"                    \
      " business_id = ?1 ORDER BY received_at DESC, doc_index LIMIT ?2")       \
    X(CHECKPOINT_GET,                                                          \
      "SELECT byte_offset, record_no, result_offset, accepted, rejected,"      \
      " duplicates, amount_accepted FROM checkpoints WHERE file_id = ?")       \
    X(CHECKPOINT_PUT,                                                          \
      "INSERT INTO checkpoints(file_id, byte_offset, record_no,"               \
      " result_offset, accepted, rejected, duplicates, amount_accepted,"       \
      " updated_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(file_id) DO"        \
      " UPDATE SET byte_offset = excluded.byte_offset,"                        \
      " record_no = excluded.record_no,"                                       \
      " result_offset = excluded.result_offset,"                               \
      " accepted = excluded.accepted, rejected = excluded.rejected,"           \
      " duplicates = excluded.duplicates,"                                     \
      " amount_accepted = excluded.amount_accepted,"                           \
      " updated_at = excluded.updated_at")                                     \
    X(RESULT_INSERT,                                                           \
      "INSERT INTO record_results(file_id, record_no, line, reference,"        \
      " outcome, code, message, ids, amount) VALUES (?,?,?,?,?,?,?,?,?)")      \
    X(RESULT_LIST, "SELECT record_no, line, ifnull(reference,''), outcome,"    \
                   " ifnull(code,''), ifnull(message,''), ifnull(ids,''),"     \
                   " ifnull(amount,0) FROM record_results WHERE file_id = ?"   \
                   " ORDER BY record_no")                                      \
    /* Schema v31: the business and file by number (their seq). */             \
    X(RECORD_KEY_INSERT,                                                       \
      "INSERT INTO record_keys(business, key, file, record_no)"                \
      " VALUES (?,?,?,?)")                                                     \
    X(RECORD_KEY_SEQS,                                                         \
      "SELECT b.seq, f.seq FROM businesses b, files f"                         \
      " WHERE b.id = ?1 AND f.id = ?2")                                        \
    /* The number of a business or file, given on its first record key. */     \
    X(BUSINESS_SEQ_GIVE,                                                       \
      "UPDATE businesses SET seq = (SELECT ifnull(max(seq), 0) + 1"            \
      " FROM businesses) WHERE id = ? AND seq IS NULL")                        \
    X(FILE_SEQ_GIVE,                                                           \
      "UPDATE files SET seq = (SELECT ifnull(max(seq), 0) + 1 FROM files)"     \
      " WHERE id = ? AND seq IS NULL")                                         \
    X(FILE_KEY_INSERT,                                                         \
      "INSERT INTO file_keys(business_id, kind, key, file_id)"                 \
      " VALUES (?,?,?,?)")                                                     \
    X(FILE_KEY_GET,                                                            \
      "SELECT file_id FROM file_keys WHERE business_id = ? AND kind = ?"       \
      " AND key = ?")                                                          \
    X(GUARD_TAKE,                                                              \
      "INSERT INTO engine_guard(id, pid, host, started_at)"                    \
      " VALUES (1,?,?,?) ON CONFLICT(id) DO UPDATE SET pid = excluded.pid,"    \
      " host = excluded.host, started_at = excluded.started_at")               \
    X(GUARD_RELEASE, "DELETE FROM engine_guard WHERE id = 1 AND pid = ?")

PS_SQ_AREA(PS_SQ_AREA_FILE, FILE_STMTS)

static void read_file(sqlite3_stmt *st, struct ps_file *f)
{
    COL_STR(st, 0, f->id);
    COL_STR(st, 1, f->business_id);
    COL_STR(st, 2, f->name);
    COL_STR(st, 3, f->member);
    f->doc_index = sqlite3_column_int(st, 4);
    COL_STR(st, 5, f->sha256);
    f->size = sqlite3_column_int64(st, 6);
    COL_STR(st, 7, f->format);
    f->status =
        (enum ps_file_status)ps_sq_col_enum(st, 8, PS_NAMES_FILE_STATUS);
    COL_STR(st, 9, f->reason);
    f->records = (long)sqlite3_column_int64(st, 10);
    f->accepted = (long)sqlite3_column_int64(st, 11);
    f->rejected = (long)sqlite3_column_int64(st, 12);
    f->duplicates = (long)sqlite3_column_int64(st, 13);
    f->amount_accepted = sqlite3_column_int64(st, 14);
    COL_STR(st, 15, f->archive_path);
    COL_STR(st, 16, f->result_path);
    COL_STR(st, 17, f->received_at);
    COL_STR(st, 18, f->completed_at);
    COL_STR(st, 19, f->currency);
    COL_STR(st, 20, f->options_used);
    COL_STR(st, 21, f->source);
}

int ps_store_file_insert(struct ps_store *s, const struct ps_file *f,
                         struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_FILE_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, f->id);
    BIND(st, 2, f->business_id);
    BIND(st, 3, f->name);
    BIND_OPT(st, 4, f->member);
    BIND_INT(st, 5, f->doc_index);
    BIND(st, 6, f->sha256);
    BIND_INT(st, 7, f->size);
    BIND_OPT(st, 8, f->format);
    BIND_ENUM(st, 9, PS_NAMES_FILE_STATUS, f->status);
    BIND_OPT(st, 10, f->reason);
    BIND_INT(st, 11, f->records);
    BIND_INT(st, 12, f->accepted);
    BIND_INT(st, 13, f->rejected);
    BIND_INT(st, 14, f->duplicates);
    BIND_INT(st, 15, f->amount_accepted);
    BIND_OPT(st, 16, f->archive_path);
    BIND_OPT(st, 17, f->result_path);
    BIND(st, 18, f->received_at);
    BIND_OPT(st, 19, f->completed_at);
    BIND_OPT(st, 20, f->currency);
    BIND_OPT(st, 21, f->options_used);
    BIND_OPT(st, 22, f->source);
    return ps_sq_exec_step(s, st, "insert file", err);
}

int ps_store_file_update(struct ps_store *s, const struct ps_file *f,
                         struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_FILE_UPDATE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, f->id);
    BIND_OPT(st, 2, f->format);
    BIND_ENUM(st, 3, PS_NAMES_FILE_STATUS, f->status);
    BIND_OPT(st, 4, f->reason);
    BIND_INT(st, 5, f->records);
    BIND_INT(st, 6, f->accepted);
    BIND_INT(st, 7, f->rejected);
    BIND_INT(st, 8, f->duplicates);
    BIND_INT(st, 9, f->amount_accepted);
    BIND_OPT(st, 10, f->archive_path);
    BIND_OPT(st, 11, f->result_path);
    BIND_OPT(st, 12, f->completed_at);
    BIND_OPT(st, 13, f->currency);
    return ps_sq_exec_one(s, st, "update file", PS_ENOTFOUND, err);
}

int ps_store_file_get(struct ps_store *s, const char *id, struct ps_file *out,
                      struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_FILE_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, id);
    GET_ONE(s, st, "file", err, read_file(st, out));
}

int ps_store_files_by_sha(struct ps_store *s, const char *business_id,
                          const char *sha256,
                          int (*cb)(void *, const struct ps_file *), void *ctx,
                          struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_FILES_BY_SHA, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, sha256);
    FOR_EACH(s, st, "files by content", err, struct ps_file, read_file, cb,
             ctx);
}

int ps_store_files_by_name(struct ps_store *s, const char *business_id,
                           const char *name,
                           int (*cb)(void *, const struct ps_file *),
                           void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_FILES_BY_NAME, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, name);
    FOR_EACH(s, st, "files by name", err, struct ps_file, read_file, cb, ctx);
}

static void read_retry(sqlite3_stmt *st, struct ps_file_retry *r)
{
    COL_STR(st, 0, r->id);
    COL_STR(st, 1, r->file_id);
    COL_STR(st, 2, r->business_id);
    COL_STR(st, 3, r->name);
    COL_STR(st, 4, r->sha256);
    COL_STR(st, 5, r->from_path);
    COL_STR(st, 6, r->to_path);
    COL_STR(st, 7, r->reason);
    COL_STR(st, 8, r->actor);
    COL_STR(st, 9, r->retried_at);
}

int ps_store_file_retry_insert(struct ps_store *s,
                               const struct ps_file_retry *r,
                               struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_FILE_RETRY_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, r->id);
    BIND(st, 2, r->file_id);
    BIND(st, 3, r->business_id);
    BIND(st, 4, r->name);
    BIND(st, 5, r->sha256);
    BIND(st, 6, r->from_path);
    BIND(st, 7, r->to_path);
    BIND(st, 8, r->reason);
    BIND(st, 9, r->actor);
    BIND(st, 10, r->retried_at);
    return ps_sq_exec_step(s, st, "insert file retry", err);
}

int ps_store_file_retry_delete(struct ps_store *s, const char *id,
                               struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_FILE_RETRY_DELETE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, id);
    return ps_sq_exec_step(s, st, "delete file retry", err);
}

int ps_store_file_retries(struct ps_store *s, const char *file_id,
                          int (*cb)(void *, const struct ps_file_retry *),
                          void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_FILE_RETRIES_OF, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, file_id);
    FOR_EACH(s, st, "file retries", err, struct ps_file_retry, read_retry, cb,
             ctx);
}

int ps_store_file_retry_before(struct ps_store *s, const struct ps_file *f,
                               struct ps_file_retry *out, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_FILE_RETRY_BEFORE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, f->business_id);
    BIND(st, 2, f->sha256);
    BIND(st, 3, f->name);
    BIND(st, 4, f->received_at);
    GET_ONE(s, st, "file retry", err, read_retry(st, out));
}

int ps_store_file_list(struct ps_store *s, const char *business_id, long limit,
                       int (*cb)(void *, const struct ps_file *), void *ctx,
                       struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_FILE_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND_OPT(st, 1, business_id);
    BIND_INT(st, 2, limit);
    FOR_EACH(s, st, "list files", err, struct ps_file, read_file, cb, ctx);
}

static void read_checkpoint(sqlite3_stmt *st, struct ps_checkpoint *c)
{
    c->byte_offset = sqlite3_column_int64(st, 0);
    c->record_no = (long)sqlite3_column_int64(st, 1);
    c->result_offset = sqlite3_column_int64(st, 2);
    c->accepted = (long)sqlite3_column_int64(st, 3);
    c->rejected = (long)sqlite3_column_int64(st, 4);
    c->duplicates = (long)sqlite3_column_int64(st, 5);
    c->amount_accepted = sqlite3_column_int64(st, 6);
}

int ps_store_checkpoint_get(struct ps_store *s, const char *file_id,
                            struct ps_checkpoint *out, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_CHECKPOINT_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, file_id);
    GET_ONE(s, st, "checkpoint", err, read_checkpoint(st, out));
}

int ps_store_checkpoint_put(struct ps_store *s, const char *file_id,
                            const struct ps_checkpoint *cp, const char *at,
                            struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_CHECKPOINT_PUT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, file_id);
    BIND_INT(st, 2, cp->byte_offset);
    BIND_INT(st, 3, cp->record_no);
    BIND_INT(st, 4, cp->result_offset);
    BIND_INT(st, 5, cp->accepted);
    BIND_INT(st, 6, cp->rejected);
    BIND_INT(st, 7, cp->duplicates);
    BIND_INT(st, 8, cp->amount_accepted);
    BIND(st, 9, at);
    return ps_sq_exec_step(s, st, "write checkpoint", err);
}

int ps_store_record_result_insert(struct ps_store *s, const char *file_id,
                                  const struct ps_record_result_row *r,
                                  struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_RESULT_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, file_id);
    BIND_INT(st, 2, r->record_no);
    BIND_INT(st, 3, r->line);
    BIND_OPT(st, 4, r->reference);
    BIND(st, 5, r->outcome);
    BIND_OPT(st, 6, r->code);
    BIND_OPT(st, 7, r->message);
    BIND_OPT(st, 8, r->ids);
    BIND_INT(st, 9, r->amount);
    return ps_sq_exec_step(s, st, "insert record result", err);
}

static void read_result(sqlite3_stmt *st, struct ps_record_result_row *r)
{
    r->record_no = (long)sqlite3_column_int64(st, 0);
    r->line = (long)sqlite3_column_int64(st, 1);
    COL_STR(st, 2, r->reference);
    COL_STR(st, 3, r->outcome);
    COL_STR(st, 4, r->code);
    COL_STR(st, 5, r->message);
    COL_STR(st, 6, r->ids);
    r->amount = sqlite3_column_int64(st, 7);
}

int ps_store_record_results(struct ps_store *s, const char *file_id,
                            int (*cb)(void *,
                                      const struct ps_record_result_row *),
                            void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_RESULT_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, file_id);
    FOR_EACH(s, st, "list record results", err, struct ps_record_result_row,
             read_result, cb, ctx);
}

/* Read the numbers of (business, file) into s->key_*: 1 when both are
 * there, 0 when one is NULL (not given yet). */
static int seqs_read(struct ps_store *s, const char *business_id,
                     const char *file_id, int *both, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_RECORD_KEY_SEQS, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, file_id);
    rc = sqlite3_step(st);
    s->key_business = s->key_file = 0;
    if (rc == SQLITE_ROW) {
        s->key_business = sqlite3_column_int64(st, 0);
        s->key_file = sqlite3_column_int64(st, 1);
    }
    ps_sq_done(st);
    if (rc == SQLITE_DONE)
        return ps_err_set(err, PS_ESTORE, "STORE_ERROR",
                          "insert record key: business %s or file %s not "
                          "found",
                          business_id, file_id);
    if (rc != SQLITE_ROW)
        return ps_sq_error(s, rc, "read a record key's file", err);
    *both = s->key_business > 0 && s->key_file > 0;
    return 0;
}

static int seq_give(struct ps_store *s, int slot, const char *id,
                    struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, slot, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, id);
    return ps_sq_exec_step(s, st, "number a record key's file", err);
}

/*
 * The numbers (schema v31's seq) of the business and file of a record
 * key, into s->key_business and s->key_file: given on the first record
 * key of each (max + 1), then kept for the next keys of the same pair.
 * A rollback forgets them (ps_store_rollback), as it may undo the gift.
 */
static int record_key_seqs(struct ps_store *s, const char *business_id,
                           const char *file_id, struct ps_err *err)
{
    int both = 0, rc;
    if (s->key_business > 0 && strcmp(s->key_business_id, business_id) == 0 &&
        strcmp(s->key_file_id, file_id) == 0)
        return 0;
    if ((rc = seqs_read(s, business_id, file_id, &both, err)) != 0)
        goto out;
    if (!both) {
        if ((rc = seq_give(s, STMT_BUSINESS_SEQ_GIVE, business_id, err)) != 0 ||
            (rc = seq_give(s, STMT_FILE_SEQ_GIVE, file_id, err)) != 0 ||
            (rc = seqs_read(s, business_id, file_id, &both, err)) != 0)
            goto out;
    }
    ps_strlcpy(s->key_business_id, business_id, sizeof(s->key_business_id));
    ps_strlcpy(s->key_file_id, file_id, sizeof(s->key_file_id));
    return 0;
out:
    s->key_business = 0;
    return rc;
}

int ps_store_record_key_insert(struct ps_store *s, const char *business_id,
                               const char *key, const char *file_id,
                               long record_no, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = record_key_seqs(s, business_id, file_id, err);
    if (rc != 0 || (rc = prep(s, STMT_RECORD_KEY_INSERT, &st, err)) != 0)
        return rc;
    BIND_INT(st, 1, s->key_business);
    BIND(st, 2, key);
    BIND_INT(st, 3, s->key_file);
    BIND_INT(st, 4, record_no);
    return ps_sq_exec_step(s, st, "insert record key", err);
}

int ps_store_file_key_insert(struct ps_store *s, const char *business_id,
                             const char *kind, const char *key,
                             const char *file_id, char prior[PS_ID_SIZE],
                             struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_FILE_KEY_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, kind);
    BIND(st, 3, key);
    BIND(st, 4, file_id);
    rc = ps_sq_exec_step(s, st, "insert file key", err);
    if (rc != PS_ECONFLICT || prior == NULL)
        return rc;
    if (prep(s, STMT_FILE_KEY_GET, &st, NULL) == 0) {
        BIND(st, 1, business_id);
        BIND(st, 2, kind);
        BIND(st, 3, key);
        if (sqlite3_step(st) == SQLITE_ROW)
            ps_sq_col_str(st, 0, prior, PS_ID_SIZE);
        ps_sq_done(st);
    }
    return rc;
}

int ps_store_guard_take(struct ps_store *s, long pid, const char *host,
                        const char *at, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_GUARD_TAKE, &st, err);
    if (rc != 0)
        return rc;
    BIND_INT(st, 1, pid);
    BIND(st, 2, host);
    BIND(st, 3, at);
    return ps_sq_exec_step(s, st, "take engine guard", err);
}

int ps_store_guard_release(struct ps_store *s, long pid, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_GUARD_RELEASE, &st, err);
    if (rc != 0)
        return rc;
    BIND_INT(st, 1, pid);
    return ps_sq_exec_step(s, st, "release engine guard", err);
}
