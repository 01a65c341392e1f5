/*
 * testutil.h -- fixture helpers shared by the cmocka unit tests: a fresh
 * directory under $TMPDIR (or /tmp), its removal, paths inside it, an
 * engine opened on a new key file in it, a raw SQLite connection beside
 * the engine's, and the usual check of a returned error.
 *
 * Header-only and every helper `static inline`, so a test that uses only a
 * few of them builds without unused-function warnings.  Helpers that can
 * only fail because the machine is broken (a path too long, a key file
 * that cannot be written) fail the running test with fail_msg(); the
 * directory helpers return -1 instead so that cmocka setup functions can
 * report the failure themselves.
 */
#ifndef PS_TESTUTIL_H
#define PS_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <errno.h>
#include <string.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/crypto.h"
#include "engine/engine.h"
#include "store/store.h"
#include "base/err.h"

/* Names of the database and key file that ps_test_engine_open() makes. */
#define PS_TEST_DB "payspool.db"
#define PS_TEST_KEY "spool.key"

/* How many static buffers ps_test_path() rotates through. */
#define PS_TEST_PATH_SLOTS 8

/*
 * Make a fresh directory "$TMPDIR/<prefix>.XXXXXX" (/tmp when TMPDIR is
 * unset or empty) with mkdtemp and write its name into buf (size bytes).
 * Returns 0, or -1 when the name does not fit or mkdtemp fails.
 */
static inline int ps_test_tmpdir(char *buf, size_t size, const char *prefix)
{
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp";
    int n = snprintf(buf, size, "%s/%s.XXXXXX", tmp, prefix);
    if (n < 0 || (size_t)n >= size)
        return -1;
    return mkdtemp(buf) == NULL ? -1 : 0;
}

/* nftw callback of ps_test_rmtree(): children come before their folder. */
static inline int ps_test_rm_entry(const char *path, const struct stat *st,
                                   int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/*
 * Remove dir and everything below it, never following symbolic links.
 * Returns 0, or what nftw returned (-1, or the first failing rmdir or
 * unlink) so that a teardown can pass it on.
 */
static inline int ps_test_rmtree(const char *dir)
{
    return nftw(dir, ps_test_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Write "dir/name" into buf (size bytes).  Returns 0, or -1 when it does
 * not fit (buf then holds a truncated path).
 */
static inline int ps_test_join(char *buf, size_t size, const char *dir,
                               const char *name)
{
    int n = snprintf(buf, size, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * "dir/name" in static buffer number `slot` (taken modulo
 * PS_TEST_PATH_SLOTS), borrowed until the same slot is used again: a test
 * that needs several paths at once gives each its own slot.  Fails the
 * test when the path does not fit in PATH_MAX.
 */
static inline const char *ps_test_path(const char *dir, const char *name,
                                       unsigned slot)
{
    static char buf[PS_TEST_PATH_SLOTS][PATH_MAX];
    char *b = buf[slot % PS_TEST_PATH_SLOTS];
    if (ps_test_join(b, PATH_MAX, dir, name) != 0)
        fail_msg("path too long: %s/%s", dir, name);
    return b;
}

/*
 * Create a new key file dir/spool.key and open the engine on
 * dir/payspool.db with it (creating and migrating the database).  Fails
 * the test on any error.  The caller closes the engine with
 * ps_engine_close().
 */
static inline struct ps_engine *ps_test_engine_open(const char *dir)
{
    char db[PATH_MAX];
    char key[PATH_MAX];
    struct ps_engine *eng = NULL;
    struct ps_err err;
    if (ps_test_join(db, sizeof(db), dir, PS_TEST_DB) != 0 ||
        ps_test_join(key, sizeof(key), dir, PS_TEST_KEY) != 0)
        fail_msg("temporary directory path too long: %s", dir);
    ps_err_clear(&err);
    if (ps_keys_create(key, NULL, &err) != 0)
        fail_msg("ps_keys_create %s: %s [%s]", key, err.msg, err.rule);
    ps_err_clear(&err);
    if (ps_engine_open(db, key, &eng, &err) != 0)
        fail_msg("ps_engine_open %s: %s [%s]", db, err.msg, err.rule);
    return eng;
}

/*
 * A second, raw connection to an existing database at path (read-write,
 * 5 s busy timeout), for looking at rows behind the engine's back.  Fails
 * the test when it cannot be opened.  The caller closes it with
 * sqlite3_close().
 */
static inline sqlite3 *ps_test_sqlite_open(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
                     SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

/* The store at path opened at schema `version` (0: the newest). */
static inline struct ps_store *ps_test_store_open(const char *path,
                                                  int version)
{
    struct ps_store *s = NULL;
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_store_open_version(path, version, &s, &err) != 0)
        fail_msg("open %s: %s [%s]", path, err.msg, err.rule);
    assert_non_null(s);
    return s;
}

/* sql run on a raw connection to path; an error fails the test. */
static inline void ps_test_sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = ps_test_sqlite_open(path);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg != NULL ? msg : "?");
    sqlite3_close(db);
}

/* The integer in the first column of sql's first row, on a raw
 * connection to path. */
static inline int64_t ps_test_sql_int(const char *path, const char *sql)
{
    sqlite3 *db = ps_test_sqlite_open(path);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* A call that must have failed with `code`, recorded in err with `rule`. */
static inline void ps_test_expect_err(int rc, const struct ps_err *err,
                                      int code, const char *rule)
{
    assert_int_equal(rc, code);
    assert_int_equal(err->code, code);
    assert_string_equal(err->rule, rule);
}

/*
 * Test-owned allocations, freed by ps_test_free_owned() in the teardown,
 * so that a failing assertion (which longjmps out of the test) leaks
 * nothing.  One list per test executable.
 */
static struct {
    void *p[512];
    int n;
} ps_test_owned;

static inline void *ps_test_own(void *p)
{
    assert_non_null(p);
    if (ps_test_owned.n ==
        (int)(sizeof(ps_test_owned.p) / sizeof(ps_test_owned.p[0])))
        fail_msg("too many test allocations");
    ps_test_owned.p[ps_test_owned.n++] = p;
    return p;
}

static inline void ps_test_free_owned(void)
{
    while (ps_test_owned.n > 0)
        free(ps_test_owned.p[--ps_test_owned.n]);
}

/* A whole file in a test-owned, NUL-terminated buffer; *len (may be
 * NULL) gets its size.  Fails the test when it cannot be read. */
static inline char *ps_test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot read %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        if (got == 0)
            break;
        n += got;
    }
    assert_int_equal(ferror(f), 0);
    fclose(f);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return ps_test_own(buf);
}

/* The simplest fixture: a fresh temporary directory per test. */
struct ps_test_dir {
    char dir[PATH_MAX];
};

static inline int ps_test_dir_setup(void **state, const char *prefix)
{
    struct ps_test_dir *fx = calloc(1, sizeof(*fx));
    if (fx == NULL || ps_test_tmpdir(fx->dir, sizeof(fx->dir), prefix) != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static inline int ps_test_dir_teardown(void **state)
{
    struct ps_test_dir *fx = *state;
    int rc = ps_test_rmtree(fx->dir);
    free(fx);
    return rc;
}

/* A fresh temporary directory and the database path in it: the store's
 * tests (test_store, test_balances, test_counters). */
struct ps_test_db {
    char dir[PATH_MAX / 2];
    char db_path[PATH_MAX];
};

static inline int ps_test_db_setup(void **state, const char *prefix)
{
    struct ps_test_db *fx = calloc(1, sizeof(*fx));
    if (fx == NULL || ps_test_tmpdir(fx->dir, sizeof(fx->dir), prefix) != 0) {
        free(fx);
        return -1;
    }
    ps_test_join(fx->db_path, sizeof(fx->db_path), fx->dir, PS_TEST_DB);
    *state = fx;
    return 0;
}

static inline int ps_test_db_teardown(void **state)
{
    struct ps_test_db *fx = *state;
    int rc = ps_test_rmtree(fx->dir);
    free(fx);
    return rc;
}

#endif /* PS_TESTUTIL_H */
