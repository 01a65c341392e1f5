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

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "store/store_int.h"

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
    if (version <= 0 || version > ps_store_latest_version())
        version = ps_store_latest_version();
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
     * 100,000-record chunk holds the write lock for 1.5-2.5 s (more
     * on a busy machine), and an operator's `payspool business add` during a run
     * must wait it out, not fail. */
    sqlite3_busy_timeout(s->db, 30000);
    /* WAL: readers never block the writer.  synchronous=FULL: a commit
     * that returned is on disk, because outputs are written after it.
     * temp_store=FILE: SQLite has no hash aggregate, so every GROUP BY
     * sorts its input rows; in memory, the reconciliation's day of
     * 4,000,000 status movements took 913 MB, spilled to a temporary
     * file 138 MB (and ran faster).  page_size: 16 KiB pages for a new
     * database (docs/store.md: fewer, fuller b-tree pages to rewrite per
     * chunk; 1M disbursements 7.4 -> 6.6 s at SQLite's floor); it must
     * come before WAL is set, and is a no-op on an existing database. */
    if ((rc = ps_sq_exec_sql(s,
                             "PRAGMA page_size = 16384;"
                             "PRAGMA journal_mode = WAL;"
                             "PRAGMA synchronous = FULL;"
                             "PRAGMA foreign_keys = ON;"
                             "PRAGMA cache_size = -" PS_STORE_CACHE_KB ";"
                             "PRAGMA temp_store = FILE;",
                             err)) != 0)
        goto fail;
    if ((rc = ps_store_schema_migrate(s, path, version, err)) != 0)
        goto fail;
    /* The file SQLite opened, for ps_store_check_identity(): the path
     * names it now, right after the open and the migrations. */
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        if ((s->path = strdup(path)) == NULL) {
            rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
            goto fail;
        }
        s->dev = st.st_dev;
        s->ino = st.st_ino;
        s->have_id = 1;
    }
    *out = s;
    return 0;
fail:
    ps_store_close(s);
    return rc;
}

int ps_store_open_reader(struct ps_store *main, struct ps_store **out,
                         struct ps_err *err)
{
    struct ps_store *s;
    int rc;
    if (main->path == NULL)
        return ps_err_set(err, PS_ESTORE, "STORE_OPEN",
                          "the database has no file to open a reader on");
    /* The request-hash key, read here on the main connection's thread. */
    if ((rc = ps_store_request_key(main, err)) != 0)
        return rc;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    rc = sqlite3_open_v2(main->path, &s->db,
                         SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW |
                             SQLITE_OPEN_NOMUTEX,
                         NULL);
    if (rc != SQLITE_OK) {
        rc = s->db != NULL ? ps_err_set(err, PS_ESTORE, "STORE_OPEN",
                                        "cannot open a reader on %s: %s",
                                        main->path, sqlite3_errmsg(s->db))
                           : ps_err_set(err, PS_ENOMEM, "NO_MEMORY",
                                        "out of memory");
        ps_store_close(s);
        return rc;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 30000);
    memcpy(s->reqkey, main->reqkey, sizeof(s->reqkey));
    s->have_reqkey = 1;
    /* What the schema has, as main found it (its reads choose by them). */
    s->event_history = main->event_history;
    s->event_narrow = main->event_narrow;
    s->balances = main->balances;
    s->recon_counts = main->recon_counts;
    s->answer_sums = main->answer_sums;
    s->entry_days = main->entry_days;
    *out = s;
    return 0;
}

static int begin(struct ps_store *s, const char *first, struct ps_err *err);

/* Start the read transaction of s: a statement that reads the file. */
static int snapshot_take(struct ps_store *s, struct ps_err *err)
{
    int rc = begin(s, "BEGIN DEFERRED", err);
    if (rc == 0 &&
        (rc = ps_sq_exec_sql(s, "SELECT count(*) FROM sqlite_schema", err)) !=
            0)
        ps_store_rollback(s);
    return rc;
}

int ps_store_begin_read_pair(struct ps_store *main, struct ps_store *reader,
                             struct ps_err *err)
{
    sqlite3 *lock = NULL;
    int rc;
    if (main->path == NULL)
        return ps_err_set(err, PS_ESTORE, "STORE_OPEN",
                          "the database has no file to share a snapshot on");
    /* A third connection holds the write lock while the two take their
     * snapshots: no commit can come between them (WAL: a reader sees
     * what was committed when its read transaction began). */
    rc = sqlite3_open_v2(main->path, &lock,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW |
                             SQLITE_OPEN_NOMUTEX,
                         NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(lock, 30000);
        rc = sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        rc = ps_err_set(err, PS_ESTORE, "STORE_ERROR",
                        "cannot lock %s to share a snapshot: %s", main->path,
                        lock != NULL ? sqlite3_errmsg(lock) : "out of memory");
        sqlite3_close(lock);
        return rc;
    }
    /* The reader reads as much as main: the same page cache. */
    if ((rc = ps_sq_exec_sql(reader, "PRAGMA cache_size = -" PS_STORE_CACHE_KB,
                             err)) == 0 &&
        (rc = snapshot_take(main, err)) == 0 &&
        (rc = snapshot_take(reader, err)) != 0)
        ps_store_rollback(main);
    sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(lock);
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
    ps_store_payout_payees_drop(s);
    for (int i = 0; i < PS_SQ_SLOTS; i++)
        sqlite3_finalize(s->stmts[i]);
    sqlite3_close(s->db);
    free(s->accts);
    free(s->legs);
    free(s->counts);
    free(s->asums);
    free(s->akinds);
    free(s->abiz);
    free(s->path);
    free(s);
}

int ps_store_version(struct ps_store *s)
{
    int v = 0;
    if (ps_store_schema_version(s, &v, NULL) != 0)
        return -1;
    return v;
}

static int begin(struct ps_store *s, const char *first, struct ps_err *err)
{
    char sql[40];
    if (s->depth >= PS_STORE_MAX_DEPTH)
        return ps_err_set(err, PS_EINTERNAL, "EINTERNAL",
                          "transactions nested deeper than %d",
                          PS_STORE_MAX_DEPTH);
    if (s->depth == 0)
        snprintf(sql, sizeof(sql), "%s", first);
    else
        snprintf(sql, sizeof(sql), "SAVEPOINT sp%d", s->depth);
    int rc = ps_sq_exec_sql(s, sql, err);
    if (rc == 0) {
        s->legmark[s->depth] = s->depth == 0 ? 0 : s->nlegs;
        s->cntmark[s->depth] = s->depth == 0 ? 0 : s->ncounts;
        s->asummark[s->depth] = s->depth == 0 ? 0 : s->nasums;
        if (s->depth == 0) /* outside a transaction: flushed */
            s->nlegs = s->ncounts = s->nasums = 0;
        s->depth++;
    }
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

/*
 * Is the database file we opened still the one at its path?  SQLite keeps
 * writing into a file deleted (or renamed away, or replaced) under it, and
 * every commit "succeeds" into an inode no one will ever open again: a run
 * once published 59,580 ACCEPTED results with nothing durable behind them
 * (issue 18).  A stat(2) per commit costs about a microsecond.
 */
int ps_store_check_identity(struct ps_store *s, struct ps_err *err)
{
    struct stat st;
    if (s == NULL || !s->have_id)
        return 0;
    if (stat(s->path, &st) != 0) {
        if (errno == ENOENT)
            return ps_err_set(err, PS_EIO, "STORE_GONE",
                              "the database %s was deleted while open; "
                              "nothing since its last check is durable",
                              s->path);
        return ps_err_sys(err, errno, "cannot stat database %s", s->path);
    }
    if (st.st_dev != s->dev || st.st_ino != s->ino || st.st_nlink == 0)
        return ps_err_set(err, PS_EIO, "STORE_GONE",
                          "the database %s was replaced while open; "
                          "nothing since its last check is durable",
                          s->path);
    return 0;
}

int ps_store_commit(struct ps_store *s, struct ps_err *err)
{
    char sql[40];
    if (PS_NEVER(s->depth <= 0))
        return ps_err_set(err, PS_EINTERNAL, "NO_TRANSACTION",
                          "commit without begin");
    /* The outermost commit makes work durable: only into the database
     * that is still at its path (the caller rolls back on failure). */
    if (s->depth == 1) {
        /* The chunk's balances, trial balance checked, go in with it. */
        int rc = ps_store_balance_flush(s, err);
        /* So are the reconciliation counters the chunk moved. */
        if (rc == 0)
            rc = ps_store_recon_count_flush(s, err);
        /* And the provider answers' sums. */
        if (rc == 0)
            rc = ps_store_answer_sums_flush(s, err);
        if (rc == 0)
            rc = ps_store_check_identity(s, err);
        if (rc != 0)
            return rc;
    }
    if (s->depth == 1)
        snprintf(sql, sizeof(sql), "COMMIT");
    else
        snprintf(sql, sizeof(sql), "RELEASE sp%d", s->depth - 1);
    int rc = ps_sq_exec_sql(s, sql, err);
    if (rc == 0) {
        s->depth--;
        /* The released savepoint's counter deltas join the enclosing
         * one's, folded by key. */
        if (s->depth > 0) {
            ps_store_recon_count_fold(s, s->cntmark[s->depth - 1]);
            ps_store_answer_sums_fold(s, s->asummark[s->depth - 1]);
        }
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
    s->nlegs = s->legmark[s->depth - 1]; /* the legs of what rolls back */
    s->key_business = 0; /* record keys' numbers: perhaps given in it */
    s->ncounts = s->cntmark[s->depth - 1]; /* and its counters' deltas */
    s->nasums = s->asummark[s->depth - 1]; /* and its answers' sums */
    if (s->depth == 1)
        s->nakinds = 0; /* accounts read in what rolls back: read again */
    if (s->acct_depth >= s->depth && s->naccts > 0) {
        memset(s->accts, 0, s->acctcap * sizeof(*s->accts));
        s->naccts = 0;
        s->acct_depth = 0;
        s->acct_biz[0] = '\0';
    }
    s->depth--;
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        ps_log(PS_LOG_ERROR, "store.rollback_failed", "{s:s}", "error",
               sqlite3_errmsg(s->db));
}
