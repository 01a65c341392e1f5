/*
 * store.c -- the SQLite store's connection: open (pragmas, then the
 * migrations of schema.c), close, the nesting of transactions into
 * savepoints, and the schema version.  The SQL of each area is in its
 * own file (business.c, customer.c, ...); what they share is in
 * store_int.h and sq.c.
 *
 * How it fails: opening gives PS_ESTORE (STORE_OPEN) when SQLite cannot
 * open the file, PS_EVERSION when the database is newer than this build,
 * PS_ENOMEM; other SQLite errors become PS_ESTORE, PS_EBUSY when the
 * database stays locked past the busy timeout.  A failed rollback is
 * logged, never returned.
 */

#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "store/schema.h"
#include "store/store_int.h"

static int read_version(struct ps_store *s, int *version, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        s->db,
        "SELECT count(*) FROM sqlite_schema WHERE name = 'schema_version'", -1,
        &st, NULL);
    if (rc != SQLITE_OK)
        return ps_sq_error(s, rc, "read schema version", err);
    rc = sqlite3_step(st);
    int exists = rc == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return ps_sq_error(s, rc, "read schema version", err);
    if (!exists) {
        *version = 0;
        return 0;
    }
    rc = sqlite3_prepare_v2(s->db, "SELECT max(version) FROM schema_version",
                            -1, &st, NULL);
    if (rc != SQLITE_OK)
        return ps_sq_error(s, rc, "read schema version", err);
    rc = sqlite3_step(st);
    *version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return ps_sq_error(s, rc, "read schema version", err);
    return 0;
}

/* Identifier characters of our schema's column names. */
static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

char *ps_store_rewrite_in_lists(const char *sql)
{
    size_t len = strlen(sql), cap = len * 4 + 64, o = 0;
    char *out = malloc(cap);
    const char *p = sql;
    if (out == NULL)
        return NULL;
    while (*p != '\0') {
        /* " IN", any spaces, "(": the schema's lists are written both
         * "IN (" and, where a line was wrapped, "IN    (". */
        const char *in = strstr(p, " IN");
        if (in == NULL)
            break;
        const char *open = in + 3;
        while (*open == ' ')
            open++;
        if (*open != '(') {
            size_t k = (size_t)(in + 3 - p);
            memcpy(out + o, p, k);
            o += k;
            p = in + 3;
            continue;
        }
        const char *id = in;
        while (id > p && ident_char(id[-1]))
            id--;
        /* Parse the list: only plain single-quoted literals. */
        const char *q = open + 1, *lit[64];
        size_t litlen[64], n = 0;
        int ok = id < in;
        while (ok) {
            while (*q == ' ')
                q++;
            if (*q != '\'' || n == 64) {
                ok = 0;
                break;
            }
            const char *end = strchr(q + 1, '\'');
            if (end == NULL || end[1] == '\'') {
                ok = 0;
                break;
            }
            lit[n] = q + 1;
            litlen[n++] = (size_t)(end - q - 1);
            q = end + 1;
            while (*q == ' ')
                q++;
            if (*q == ',') {
                q++;
                continue;
            }
            ok = *q == ')';
            break;
        }
        if (!ok || n <= 2) {
            /* Not ours, or cheap already: copy through the "(". */
            size_t k = (size_t)(open + 1 - p);
            memcpy(out + o, p, k);
            o += k;
            p = open + 1;
            continue;
        }
        size_t k = (size_t)(id - p), idlen = (size_t)(in - id);
        size_t need = k + 2 + n * (idlen + 12) + (size_t)(q - in) * 2;
        if (o + need + (len - (size_t)(q + 1 - sql)) + 1 > cap) {
            cap = (o + need + len) * 2;
            char *grown = realloc(out, cap);
            if (grown == NULL) {
                free(out);
                return NULL;
            }
            out = grown;
        }
        memcpy(out + o, p, k);
        o += k;
        out[o++] = '(';
        for (size_t i = 0; i < n; i++) {
            int w =
                snprintf(out + o, cap - o, "%s%.*s = '%.*s'", i ? " OR " : "",
                         (int)idlen, id, (int)litlen[i], lit[i]);
            if (w < 0 || (size_t)w >= cap - o) { /* sized above: never */
                free(out);
                return NULL;
            }
            o += (size_t)w;
        }
        out[o++] = ')';
        p = q + 1;
    }
    size_t rest = strlen(p);
    if (o + rest + 1 > cap) {
        char *grown = realloc(out, o + rest + 1);
        if (grown == NULL) {
            free(out);
            return NULL;
        }
        out = grown;
    }
    memcpy(out + o, p, rest + 1);
    return out;
}

char *ps_store_strip_references(const char *sql)
{
    size_t len = strlen(sql), o = 0;
    char *out = malloc(len + 1);
    const char *p = sql;
    if (out == NULL)
        return NULL;
    while (*p != '\0') {
        const char *r = strstr(p, " REFERENCES ");
        if (r == NULL)
            break;
        /* " REFERENCES", the parent's name, "(", its column, ")". */
        const char *q = r + 12, *name = q;
        while (ident_char(*q))
            q++;
        int ok = q > name && *q == '(';
        const char *col = q + 1;
        if (ok) {
            for (q = col; ident_char(*q); q++)
                ;
            ok = q > col && *q == ')';
        }
        size_t k = (size_t)(r - p);
        memcpy(out + o, p, k);
        o += k;
        if (ok) {
            p = q + 1; /* dropped */
        } else {
            memcpy(out + o, r, 11); /* not a clause of ours: keep it */
            o += 11;
            p = r + 11;
        }
    }
    size_t rest = strlen(p);
    memcpy(out + o, p, rest + 1);
    return out;
}

/*
 * Rewrite the stored CREATE TABLE text of the tables `which` selects
 * (a condition on sqlite_schema's name and sql) with fn, inside the
 * migration's transaction.  Only constraints change, never the file
 * format: SQLite's documented writable_schema procedure.
 */
static int rewrite_tables(struct ps_store *s, const char *which,
                          char *(*fn)(const char *), struct ps_err *err)
{
    sqlite3_stmt *list = NULL, *upd = NULL;
    int rc, version = 0, changed = 0;
    if ((rc = ps_sq_exec_sql(s, "PRAGMA writable_schema = ON", err)) != 0)
        goto out;
    char select[256];
    snprintf(select, sizeof(select),
             "SELECT name, sql FROM sqlite_schema WHERE type = 'table'"
             " AND (%s)",
             which);
    rc = sqlite3_prepare_v2(s->db, select, -1, &list, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db,
                                "UPDATE sqlite_schema SET sql = ?1 WHERE"
                                " type = 'table' AND name = ?2",
                                -1, &upd, NULL);
    if (rc != SQLITE_OK) {
        rc = ps_sq_error(s, rc, "prepare the constraint rewrite", err);
        goto off;
    }
    while ((rc = sqlite3_step(list)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(list, 0);
        const char *sql = (const char *)sqlite3_column_text(list, 1);
        char *fast = fn(sql);
        if (fast == NULL) {
            rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
            goto off;
        }
        if (strcmp(fast, sql) != 0) {
            sqlite3_bind_text(upd, 1, fast, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(upd, 2, name, -1, SQLITE_TRANSIENT);
            rc = sqlite3_step(upd);
            sqlite3_reset(upd);
            if (rc != SQLITE_DONE) {
                free(fast);
                rc = ps_sq_error(s, rc, "rewrite a table's constraints", err);
                goto off;
            }
            changed++;
        }
        free(fast);
    }
    if (rc != SQLITE_DONE) {
        rc = ps_sq_error(s, rc, "list tables", err);
        goto off;
    }
    rc = 0;
    if (changed > 0) {
        /* Other connections must reload the schema. */
        char sql[64];
        sqlite3_stmt *v = NULL;
        if (sqlite3_prepare_v2(s->db, "PRAGMA schema_version", -1, &v, NULL) ==
                SQLITE_OK &&
            sqlite3_step(v) == SQLITE_ROW)
            version = sqlite3_column_int(v, 0);
        sqlite3_finalize(v);
        snprintf(sql, sizeof(sql), "PRAGMA schema_version = %d", version + 1);
        rc = ps_sq_exec_sql(s, sql, err);
    }
off:
    if (ps_sq_exec_sql(s, "PRAGMA writable_schema = OFF",
                       rc == 0 ? err : NULL) != 0 &&
        rc == 0)
        rc = PS_ESTORE;
out:
    sqlite3_finalize(list);
    sqlite3_finalize(upd);
    return rc;
}

/*
 * Bring the database to `target`, one migration per transaction, so a
 * crash mid-way leaves a consistent older version that the next open
 * continues from.
 */
static int migrate(struct ps_store *s, const char *path, int target,
                   struct ps_err *err)
{
    int version = 0;
    int rc = ps_sq_exec_sql(s,
                            "CREATE TABLE IF NOT EXISTS schema_version ("
                            " version INTEGER PRIMARY KEY,"
                            " applied_at TEXT NOT NULL)",
                            err);
    if (rc != 0)
        return rc;
    if ((rc = read_version(s, &version, err)) != 0)
        return rc;
    if (version > PS_SCHEMA_VERSION)
        return ps_err_set(err, PS_EVERSION, "SCHEMA_TOO_NEW",
                          "database %s has schema version %d, newer than the "
                          "%d this payspool %s knows; upgrade payspool",
                          path, version, PS_SCHEMA_VERSION, PS_VERSION);
    while (version < target) {
        char now[PS_TIME_SIZE];
        char sql[128];
        if ((rc = ps_sq_exec_sql(s, "BEGIN IMMEDIATE", err)) != 0)
            return rc;
        for (const char *const *sql_ = ps_schema_migrations[version];
             rc == 0 && *sql_ != NULL; sql_++)
            rc = ps_sq_exec_sql(s, *sql_, err);
        if (rc == 0 && (version + 1 == PS_SCHEMA_REWRITE_CHECKS ||
                        version + 1 == PS_SCHEMA_REWRITE_CHECKS_AGAIN))
            rc = rewrite_tables(s, "sql LIKE '% IN %(%'",
                                ps_store_rewrite_in_lists, err);
        if (rc == 0 && version + 1 == PS_SCHEMA_UNCHAINED)
            rc = rewrite_tables(s, PS_SCHEMA_UNCHAINED_TABLES,
                                ps_store_strip_references, err);
        if (rc == 0) {
            snprintf(sql, sizeof(sql),
                     "INSERT INTO schema_version VALUES (%d, '%s')",
                     version + 1, ps_time_now(now));
            rc = ps_sq_exec_sql(s, sql, err);
        }
        if (rc == 0)
            rc = ps_sq_exec_sql(s, "COMMIT", err);
        if (rc != 0) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        version++;
        ps_log(PS_LOG_INFO, "store.migrated", "{s:s, s:i}", "db", path,
               "version", version);
    }
    return 0;
}

/*
 * Once per process, before the first connection: no memory statistics.
 * With them on, every sqlite3_malloc and sqlite3_free takes a global
 * mutex to count bytes, a few percent of a disbursement file's time;
 * payspool never reads them.  Failing (the library was initialized by
 * someone else first) only leaves them on.
 */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int ps_store_open_version(const char *path, int version, struct ps_store **out,
                          struct ps_err *err)
{
    struct ps_store *s = calloc(1, sizeof(*s));
    int rc;
    if (s == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if (version <= 0 || version > PS_SCHEMA_VERSION)
        version = PS_SCHEMA_VERSION;
    pthread_once(&sqlite_once, sqlite_setup);
    /* NOMUTEX: a store belongs to the thread that opened it (payspool
     * runs one), so SQLite's per-connection mutex is pure cost, taken
     * and dropped on every API call. */
    rc = sqlite3_open_v2(path, &s->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
                         NULL);
    if (rc != SQLITE_OK) {
        if (s->db != NULL)
            rc = ps_err_set(err, PS_ESTORE, "STORE_OPEN",
                            "cannot open database %s: %s", path,
                            sqlite3_errmsg(s->db));
        else
            rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    /* A writer waits for the engine's chunk in progress to commit: a
     * 50,000-record chunk holds the write lock for 3-5 s on a large
     * database, and an operator's `payspool business add` during a run
     * must wait it out, not fail. */
    sqlite3_busy_timeout(s->db, 30000);
    /* WAL: readers never block the writer.  synchronous=FULL: a commit
     * that returned is on disk, because outputs are written after it.
     * temp_store=FILE: SQLite has no hash aggregate, so every GROUP BY
     * sorts its input rows; in memory, the reconciliation's day of
     * 4,000,000 status movements took 913 MB, spilled to a temporary
     * file 138 MB (and ran faster). */
    if ((rc = ps_sq_exec_sql(s,
                             "PRAGMA journal_mode = WAL;"
                             "PRAGMA synchronous = FULL;"
                             "PRAGMA foreign_keys = ON;"
                             "PRAGMA cache_size = -65536;"
                             "PRAGMA temp_store = FILE;",
                             err)) != 0)
        goto fail;
    if ((rc = migrate(s, path, version, err)) != 0)
        goto fail;
    *out = s;
    return 0;
fail:
    ps_store_close(s);
    return rc;
}

int ps_store_open(const char *path, struct ps_store **out, struct ps_err *err)
{
    return ps_store_open_version(path, 0, out, err);
}

void ps_store_close(struct ps_store *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < PS_SQ_SLOTS; i++)
        sqlite3_finalize(s->stmts[i]);
    sqlite3_close(s->db);
    free(s->accts);
    free(s);
}

int ps_store_version(struct ps_store *s)
{
    int v = 0;
    if (read_version(s, &v, NULL) != 0)
        return -1;
    return v;
}

int ps_store_latest_version(void)
{
    return PS_SCHEMA_VERSION;
}

static int begin(struct ps_store *s, const char *first, struct ps_err *err)
{
    char sql[40];
    if (s->depth == 0)
        snprintf(sql, sizeof(sql), "%s", first);
    else
        snprintf(sql, sizeof(sql), "SAVEPOINT sp%d", s->depth);
    int rc = ps_sq_exec_sql(s, sql, err);
    if (rc == 0)
        s->depth++;
    return rc;
}

int ps_store_begin(struct ps_store *s, struct ps_err *err)
{
    return begin(s, "BEGIN IMMEDIATE", err);
}

int ps_store_begin_read(struct ps_store *s, struct ps_err *err)
{
    return begin(s, "BEGIN DEFERRED", err);
}

int ps_store_commit(struct ps_store *s, struct ps_err *err)
{
    char sql[40];
    if (PS_NEVER(s->depth <= 0))
        return ps_err_set(err, PS_EINTERNAL, "NO_TRANSACTION",
                          "commit without begin");
    if (s->depth == 1)
        snprintf(sql, sizeof(sql), "COMMIT");
    else
        snprintf(sql, sizeof(sql), "RELEASE sp%d", s->depth - 1);
    int rc = ps_sq_exec_sql(s, sql, err);
    if (rc == 0) {
        s->depth--;
        /* Released into the savepoint around it (or committed). */
        if (s->acct_depth > s->depth)
            s->acct_depth = s->depth;
    }
    return rc;
}

void ps_store_rollback(struct ps_store *s)
{
    char sql[64];
    if (s->depth <= 0)
        return;
    if (s->depth == 1)
        snprintf(sql, sizeof(sql), "ROLLBACK");
    else
        snprintf(sql, sizeof(sql), "ROLLBACK TO sp%d; RELEASE sp%d",
                 s->depth - 1, s->depth - 1);
    if (s->acct_depth >= s->depth && s->naccts > 0) {
        memset(s->accts, 0, s->acctcap * sizeof(*s->accts));
        s->naccts = 0;
        s->acct_depth = 0;
    }
    s->depth--;
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        ps_log(PS_LOG_ERROR, "store.rollback_failed", "{s:s}", "error",
               sqlite3_errmsg(s->db));
}
