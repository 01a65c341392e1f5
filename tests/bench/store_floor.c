/*
 * store_floor.c -- what SQLite alone costs per applied record, on this
 * machine, under the engine's own settings.  Usage:
 *
 *     store_floor DIR [RECORDS [PROFILES [PAGE_SIZE ...]]]
 *
 * Issue 4 asks `payspool run --once` to apply 1,000,000 disbursement
 * requests at 170,000 a second.  This program measures the floor under
 * that figure: it writes RECORDS (1,000,000) records in random profile
 * order (of PROFILES, 100,000) into a fresh database in DIR, with the
 * store's connection and pragmas (no mutex, no memory statistics, WAL,
 * synchronous FULL, 64 MB cache, sorts spilled to a file), 50,000
 * records a commit (the engine's default chunk), each row bound and
 * stepped from C as the engine does, and nothing else: no file is read,
 * no record checked, no result written.  Each PAGE_SIZE given (default: 4096,
 * SQLite's and the store's) runs the models again in databases of that
 * page size.
 *
 * Three row models, each narrower than the engine's own (integer keys,
 * 16-byte ids, integer times), each in its own database:
 *
 *   transaction only   one row per record, indexed by request id (in
 *                      order, as bench_gen writes them) and by profile,
 *                      with the ledger posted as one total per chunk
 *   + history          and the record's creation history row, indexed by
 *                      transaction: the least "status, history and ledger
 *                      rows commit together" allows, the ledger still
 *                      one total per chunk
 *   + ledger           and its two ledger rows (advance and fee), indexed
 *                      by transaction and by each account, as payspool
 *                      posts them
 *
 *   transfer           issue 21's row model: the record is the ledger
 *                      transfer (debit account, credit account, amount,
 *                      currency, time, file, line), its fee a second
 *                      transfer written when non-zero, request-id
 *                      uniqueness on a 64-bit hash (no other per-record
 *                      index), balances as debits_posted/credits_posted on
 *                      narrow account rows written once per chunk from
 *                      in-memory aggregates, and a checkpoint row per
 *                      chunk; no history row (the row records its
 *                      creation)
 *
 * STORE_FLOOR_MODELS (environment) picks the models, a comma-separated
 * list of txn, history, ledger, transfer (default: all four).
 *
 * Prints seconds and records per second for each.  A model slower here
 * than a target cannot meet it in payspool, whatever the C around it.
 */
#define _POSIX_C_SOURCE 200809L

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 50000L

enum model { TXN_ONLY, WITH_HISTORY, WITH_LEDGER, TRANSFER, NMODELS };

static const char *const model_names[NMODELS] = {
    "transaction only", "+ history", "+ ledger", "transfer (i21)"};
static const char *const model_keys[NMODELS] = {"txn", "history", "ledger",
                                                "transfer"};

static const char schema[] =
    "PRAGMA journal_mode = WAL;"
    "PRAGMA synchronous = FULL;"
    "PRAGMA cache_size = -65536;"
    "PRAGMA temp_store = FILE;"
    "CREATE TABLE txn (id INTEGER PRIMARY KEY, uid BLOB NOT NULL,"
    "  profile INTEGER NOT NULL, account INTEGER NOT NULL,"
    "  type INTEGER NOT NULL, amount INTEGER NOT NULL, fee INTEGER NOT NULL,"
    "  status INTEGER NOT NULL, request_id TEXT, file INTEGER, line INTEGER,"
    "  created INTEGER NOT NULL, updated INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX txn_request ON txn(request_id);"
    "CREATE INDEX txn_profile ON txn(profile);"
    "CREATE TABLE history (id INTEGER PRIMARY KEY, txn INTEGER NOT NULL,"
    "  from_status INTEGER, to_status INTEGER NOT NULL,"
    "  event INTEGER NOT NULL, file INTEGER, line INTEGER,"
    "  created INTEGER NOT NULL);"
    "CREATE INDEX history_txn ON history(txn);"
    "CREATE TABLE ledger (id INTEGER PRIMARY KEY, txn INTEGER,"
    "  debit INTEGER NOT NULL, credit INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL, created INTEGER NOT NULL);"
    "CREATE INDEX ledger_txn ON ledger(txn);"
    "CREATE INDEX ledger_debit ON ledger(debit);"
    "CREATE INDEX ledger_credit ON ledger(credit);"
    /* issue 21: the transfer row, narrow balances, checkpoints */
    "CREATE TABLE transfer (id INTEGER PRIMARY KEY, uid BLOB,"
    "  debit INTEGER NOT NULL, credit INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL, currency INTEGER NOT NULL,"
    "  kind INTEGER NOT NULL, linked INTEGER, request_hash INTEGER,"
    "  request_id TEXT, file INTEGER, line INTEGER,"
    "  created INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX transfer_request ON transfer(request_hash)"
    "  WHERE request_hash IS NOT NULL;"
    "CREATE TABLE account (id INTEGER PRIMARY KEY,"
    "  debits_posted INTEGER NOT NULL DEFAULT 0,"
    "  credits_posted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE checkpoint (file INTEGER, chunk INTEGER, line INTEGER,"
    "  created INTEGER, PRIMARY KEY (file, chunk));";

static void die(sqlite3 *db, const char *what)
{
    fprintf(stderr, "store_floor: %s: %s\n", what,
            db != NULL ? sqlite3_errmsg(db) : "out of memory");
    exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        die(db, sql);
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
        SQLITE_OK)
        die(db, sql);
    return st;
}

static void step(sqlite3 *db, sqlite3_stmt *st)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        die(db, sqlite3_sql(st));
    sqlite3_reset(st);
}

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* FNV-1a of the request id, as a 64-bit key (the keyed hash). */
static int64_t request_hash(const char *req)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *req != '\0'; req++)
        h = (h ^ (unsigned char)*req) * 1099511628211ULL;
    return (int64_t)h;
}

/* Balances of the accounts a chunk moved, written once per chunk from
 * in-memory aggregates: 1 receivable, 2 fee income, 3 funding,
 * 100 + profile the customer's. */
static void flush_balances(sqlite3 *db, sqlite3_stmt *upd, int64_t *dr,
                           int64_t *cr, long naccts)
{
    for (long a = 0; a < naccts; a++) {
        if (dr[a] == 0 && cr[a] == 0)
            continue;
        sqlite3_bind_int64(upd, 1, dr[a]);
        sqlite3_bind_int64(upd, 2, cr[a]);
        sqlite3_bind_int64(upd, 3, a);
        step(db, upd);
        dr[a] = cr[a] = 0;
    }
}

/* The transfer model (see the top): rows ascend by id, the request-id
 * hash is the only random-order index. */
static double run_transfer(sqlite3 *db, long records, long profiles)
{
    long naccts = 100 + profiles + 1;
    int64_t *dr = calloc((size_t)naccts, sizeof(*dr));
    int64_t *cr = calloc((size_t)naccts, sizeof(*cr));
    if (dr == NULL || cr == NULL)
        die(NULL, "balances");
    exec(db, "BEGIN");
    sqlite3_stmt *acc = prepare(db, "INSERT INTO account(id) VALUES (?1)");
    for (long a = 1; a < naccts; a++) {
        sqlite3_bind_int64(acc, 1, a);
        step(db, acc);
    }
    sqlite3_finalize(acc);
    exec(db, "COMMIT");
    sqlite3_stmt *tr = prepare(
        db, "INSERT INTO transfer VALUES (NULL, ?1, ?2, ?3, ?4, 840, ?5, ?6,"
            " ?7, ?8, 1, ?9, ?10)");
    sqlite3_stmt *upd =
        prepare(db, "UPDATE account SET debits_posted = debits_posted + ?1,"
                    " credits_posted = credits_posted + ?2 WHERE id = ?3");
    sqlite3_stmt *ck =
        prepare(db, "INSERT INTO checkpoint VALUES (1, ?1, ?2, ?3)");
    uint64_t seed = 0x9e3779b97f4a7c15u;
    int64_t when = 1795000000000;
    double t0 = now();
    exec(db, "BEGIN");
    for (long i = 1; i <= records; i++) {
        unsigned char uid[16];
        char req[24];
        uint64_t r = next(&seed);
        int64_t profile = 1 + (int64_t)(r % (uint64_t)profiles);
        int64_t amount = 100 + (int64_t)((r >> 20) % 50000), fee = 299;
        memcpy(uid, &when, 8);
        r = next(&seed);
        memcpy(uid + 8, &r, 8);
        snprintf(req, sizeof(req), "R%08ld", i);
        /* the advance: receivable to the customer's account */
        sqlite3_bind_blob(tr, 1, uid, sizeof(uid), SQLITE_STATIC);
        sqlite3_bind_int64(tr, 2, 1);
        sqlite3_bind_int64(tr, 3, 100 + profile);
        sqlite3_bind_int64(tr, 4, amount);
        sqlite3_bind_int64(tr, 5, 1);
        sqlite3_bind_null(tr, 6);
        sqlite3_bind_int64(tr, 7, request_hash(req));
        sqlite3_bind_text(tr, 8, req, -1, SQLITE_STATIC);
        sqlite3_bind_int64(tr, 9, i + 1);
        sqlite3_bind_int64(tr, 10, when);
        step(db, tr);
        int64_t id = sqlite3_last_insert_rowid(db);
        dr[1] += amount;
        cr[100 + profile] += amount;
        if (fee > 0) { /* the fee: a linked transfer */
            sqlite3_bind_null(tr, 1);
            sqlite3_bind_int64(tr, 2, 1);
            sqlite3_bind_int64(tr, 3, 2);
            sqlite3_bind_int64(tr, 4, fee);
            sqlite3_bind_int64(tr, 5, 2);
            sqlite3_bind_int64(tr, 6, id);
            sqlite3_bind_null(tr, 7);
            sqlite3_bind_null(tr, 8);
            step(db, tr);
            dr[1] += fee;
            cr[2] += fee;
        }
        if (i % CHUNK == 0 || i == records) {
            flush_balances(db, upd, dr, cr, naccts);
            sqlite3_bind_int64(ck, 1, (i + CHUNK - 1) / CHUNK);
            sqlite3_bind_int64(ck, 2, i + 1);
            sqlite3_bind_int64(ck, 3, when);
            step(db, ck);
            exec(db, "COMMIT");
            if (i < records)
                exec(db, "BEGIN");
        }
    }
    double secs = now() - t0;
    sqlite3_finalize(tr);
    sqlite3_finalize(upd);
    sqlite3_finalize(ck);
    free(dr);
    free(cr);
    return secs;
}

/* Write `records` records under model `m` into a fresh database at
 * `path`; return the wall seconds. */
static double run(const char *path, enum model m, long records, long profiles,
                  long page_size)
{
    sqlite3 *db;
    char wal[4200];
    remove(path);
    snprintf(wal, sizeof(wal), "%s-wal", path);
    remove(wal);
    if (sqlite3_open_v2(path, &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK)
        die(db, path);
    char pragma[64];
    snprintf(pragma, sizeof(pragma), "PRAGMA page_size = %ld", page_size);
    exec(db, pragma); /* before the first table, or it has no effect */
    exec(db, schema);
    sqlite3_stmt *ps = prepare(db, "PRAGMA page_size");
    if (sqlite3_step(ps) != SQLITE_ROW ||
        sqlite3_column_int64(ps, 0) != page_size)
        die(db, "the page size did not take");
    sqlite3_finalize(ps);
    sqlite3_stmt *txn = prepare(
        db, "INSERT INTO txn VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, 1, ?7, 1, ?8,"
            " ?9, ?9)");
    sqlite3_stmt *hist = prepare(
        db, "INSERT INTO history VALUES (NULL, ?1, NULL, 1, 1, 1, ?2, ?3)");
    sqlite3_stmt *led =
        prepare(db, "INSERT INTO ledger VALUES (NULL, ?1, ?2, ?3, ?4, ?5)");
    if (m == TRANSFER) {
        sqlite3_finalize(txn);
        sqlite3_finalize(hist);
        sqlite3_finalize(led);
        double secs = run_transfer(db, records, profiles);
        sqlite3_close(db);
        remove(path);
        remove(wal);
        return secs;
    }
    uint64_t seed = 0x9e3779b97f4a7c15u;
    int64_t when = 1795000000000, chunk_amount = 0;
    double t0 = now();
    exec(db, "BEGIN");
    for (long i = 1; i <= records; i++) {
        unsigned char uid[16];
        char req[24];
        uint64_t r = next(&seed);
        int64_t profile = 1 + (int64_t)(r % (uint64_t)profiles);
        int64_t amount = 100 + (int64_t)((r >> 20) % 50000), fee = 299;
        memcpy(uid, &when, 8);
        r = next(&seed);
        memcpy(uid + 8, &r, 8);
        snprintf(req, sizeof(req), "R%08ld", i);
        sqlite3_bind_int64(txn, 1, i);
        sqlite3_bind_blob(txn, 2, uid, sizeof(uid), SQLITE_STATIC);
        sqlite3_bind_int64(txn, 3, profile);
        sqlite3_bind_int64(txn, 4, profile);
        sqlite3_bind_int64(txn, 5, amount);
        sqlite3_bind_int64(txn, 6, fee);
        sqlite3_bind_text(txn, 7, req, -1, SQLITE_STATIC);
        sqlite3_bind_int64(txn, 8, i + 1);
        sqlite3_bind_int64(txn, 9, when);
        step(db, txn);
        if (m >= WITH_HISTORY) {
            sqlite3_bind_int64(hist, 1, i);
            sqlite3_bind_int64(hist, 2, i + 1);
            sqlite3_bind_int64(hist, 3, when);
            step(db, hist);
        }
        if (m == WITH_LEDGER) {
            /* Receivable (1) to the customer's account, and to fee
             * income (2). */
            int64_t legs[2][3] = {{1, 100 + profile, amount}, {1, 2, fee}};
            for (int k = 0; k < 2; k++) {
                sqlite3_bind_int64(led, 1, i);
                sqlite3_bind_int64(led, 2, legs[k][0]);
                sqlite3_bind_int64(led, 3, legs[k][1]);
                sqlite3_bind_int64(led, 4, legs[k][2]);
                sqlite3_bind_int64(led, 5, when);
                step(db, led);
            }
        } else
            chunk_amount += amount + fee;
        if (i % CHUNK == 0 || i == records) {
            if (m != WITH_LEDGER && chunk_amount > 0) {
                /* The chunk's total, one entry. */
                sqlite3_bind_null(led, 1);
                sqlite3_bind_int64(led, 2, 1);
                sqlite3_bind_int64(led, 3, 3);
                sqlite3_bind_int64(led, 4, chunk_amount);
                sqlite3_bind_int64(led, 5, when);
                step(db, led);
                chunk_amount = 0;
            }
            exec(db, "COMMIT");
            if (i < records)
                exec(db, "BEGIN");
        }
    }
    double secs = now() - t0;
    sqlite3_finalize(txn);
    sqlite3_finalize(hist);
    sqlite3_finalize(led);
    sqlite3_close(db);
    remove(path);
    remove(wal);
    return secs;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: store_floor DIR [RECORDS [PROFILES "
                        "[PAGE_SIZE ...]]]\n");
        return 2;
    }
    long records = argc > 2 ? atol(argv[2]) : 1000000L;
    long profiles = argc > 3 ? atol(argv[3]) : 100000L;
    if (records < 1 || profiles < 1) {
        fprintf(stderr, "store_floor: RECORDS and PROFILES must be >= 1\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/store_floor.db", argv[1]);
    /* As the store sets it up (store.c): no memory statistics, and a
     * connection without SQLite's mutex. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    static char *const store_page[] = {"4096"};
    char *const *sizes = argc > 4 ? argv + 4 : store_page;
    int nsizes = argc > 4 ? argc - 4 : 1;
    for (int k = 0; k < nsizes; k++) {
        long p = atol(sizes[k]);
        if (p < 512 || p > 65536 || (p & (p - 1)) != 0) {
            fprintf(stderr,
                    "store_floor: page size %s: a power of two "
                    "from 512 to 65536\n",
                    sizes[k]);
            return 2;
        }
    }
    const char *pick = getenv("STORE_FLOOR_MODELS");
    int want[NMODELS];
    for (int m = 0; m < NMODELS; m++) {
        const char *at = pick != NULL ? strstr(pick, model_keys[m]) : NULL;
        size_t n = strlen(model_keys[m]);
        want[m] = pick == NULL || pick[0] == '\0' ||
                  (at != NULL && (at == pick || at[-1] == ',') &&
                   (at[n] == '\0' || at[n] == ','));
    }
    printf("sqlite alone, %ld records over %ld profiles, %ld a commit:\n",
           records, profiles, CHUNK);
    for (int k = 0; k < nsizes; k++)
        for (int m = 0; m < NMODELS; m++) {
            long page_size = atol(sizes[k]);
            if (!want[m])
                continue;
            double secs =
                run(path, (enum model)m, records, profiles, page_size);
            printf("  %-18s %6ld-byte pages %8.2f s %10.0f records/s\n",
                   model_names[m], page_size, secs, (double)records / secs);
        }
    return 0;
}
