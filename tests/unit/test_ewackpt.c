/*
 * test_ewackpt.c -- the EWA intake's checkpointer thread
 * (engine/ewawriter.h, issue 21): started, main's automatic checkpoint
 * is off (a commit leaves its pages in the WAL, the database file does
 * not grow); kicked, the thread copies them into the database file;
 * stopped, main's automatic checkpoint is on again.  Once a checkpoint
 * found the WAL long, the next transaction begins after the checkpoint
 * in progress, and writes the WAL from its start (it does not grow).
 * On a database of no file there is no thread, and main keeps its
 * automatic checkpoint.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "base/err.h"
#include "engine/ewawriter.h"
#include "store/store.h"
#include "store/store_int.h" /* s->db: main's setting and raw writes */
#include "testutil.h"

#define ROWS 1500 /* of ~15 KB: more pages than SQLite's 1,000 default */

static int setup(void **state)
{
    return ps_test_db_setup(state, "test_ewackpt");
}

static int teardown(void **state)
{
    return ps_test_db_teardown(state);
}

static struct ps_store *open_store(const char *path)
{
    struct ps_store *s = NULL;
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_store_open(path, &s, &err) != 0)
        fail_msg("open %s: %s [%s]", path, err.msg, err.rule);
    return s;
}

static int autocheckpoint(struct ps_store *s)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(s->db, "PRAGMA wal_autocheckpoint", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void exec(struct ps_store *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg != NULL ? msg : "?");
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* One transaction of ROWS rows of ~15 KB, committed. */
static void write_chunk(struct ps_store *s)
{
    exec(s, "BEGIN IMMEDIATE");
    exec(s, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
            " WHERE i < 1500) INSERT INTO bulk(b) SELECT randomblob(15000)"
            " FROM n");
    exec(s, "COMMIT");
}

static void test_checkpoints_off_the_commit(void **state)
{
    struct ps_test_db *fx = *state;
    char wal[PATH_MAX + 8];
    snprintf(wal, sizeof(wal), "%s-wal", fx->db_path);
    struct ps_store *s = open_store(fx->db_path);
    exec(s, "CREATE TABLE bulk(b BLOB)");
    exec(s, "PRAGMA wal_checkpoint(TRUNCATE)");
    assert_int_equal(autocheckpoint(s), 1000);

    struct ps_ewa_ckpt *c = NULL;
    ps_ewa_ckpt_start(s, PS_EWA_CKPT_RESTART_FRAMES, &c);
    assert_non_null(c);
    assert_int_equal(autocheckpoint(s), 0);
    long long before = file_size(fx->db_path);
    write_chunk(s);
    /* Committed past 1,000 pages: no automatic checkpoint copied them. */
    assert_int_equal(file_size(fx->db_path), before);
    assert_true(file_size(wal) > (long long)ROWS * 15000);

    ps_ewa_ckpt_kick(c);
    /* The thread copies them into the database file (wait up to 30 s on
     * a loaded machine). */
    struct timespec pause = {0, 10 * 1000 * 1000};
    for (int i = 0;
         i < 3000 && file_size(fx->db_path) < before + (long long)ROWS * 15000;
         i++)
        nanosleep(&pause, NULL);
    assert_true(file_size(fx->db_path) >= before + (long long)ROWS * 15000);

    ps_ewa_ckpt_stop(c);
    assert_int_equal(autocheckpoint(s), 1000);
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(s->db, "SELECT count(*) FROM bulk", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), ROWS);
    sqlite3_finalize(st);
    ps_store_close(s);
}

/* Past the limit at each commit (a chunk is ~1,500 pages, the limit
 * 1,000): each next chunk begins after the checkpoint kicked after the
 * last commit, so the WAL is written from its start again and its file
 * never grows past one chunk (and the few pages a chunk may add).  Without the
 * wait the chunks would begin while it runs and the WAL would hold all three.
 */
static void test_long_wal_restarts(void **state)
{
    struct ps_test_db *fx = *state;
    char wal[PATH_MAX + 8];
    snprintf(wal, sizeof(wal), "%s-wal", fx->db_path);
    struct ps_store *s = open_store(fx->db_path);
    exec(s, "CREATE TABLE bulk(b BLOB)");
    exec(s, "PRAGMA wal_checkpoint(TRUNCATE)");
    struct ps_ewa_ckpt *c = NULL;
    ps_ewa_ckpt_start(s, 1000, &c);
    assert_non_null(c);
    long long base = file_size(fx->db_path);

    ps_ewa_ckpt_begin(c); /* the WAL is empty: no wait */
    write_chunk(s);
    long long one = file_size(wal);
    assert_true(one > (long long)ROWS * 15000);
    for (int chunk = 2; chunk <= 3; chunk++) {
        ps_ewa_ckpt_kick(c);
        ps_ewa_ckpt_begin(c);
        write_chunk(s);
        assert_true(file_size(wal) < one + one / 2); /* not two chunks */
    }
    ps_ewa_ckpt_kick(c);
    ps_ewa_ckpt_stop(c);
    /* Chunks 1 and 2 are in the database file (3 perhaps not yet). */
    assert_true(file_size(fx->db_path) >= base + 2LL * ROWS * 15000);
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(s->db, "SELECT count(*) FROM bulk", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 3 * ROWS);
    sqlite3_finalize(st);
    ps_store_close(s);
}

static void test_no_file_no_thread(void **state)
{
    (void)state;
    struct ps_store *s = open_store(":memory:");
    struct ps_ewa_ckpt *c = (struct ps_ewa_ckpt *)&c; /* set by start */
    ps_ewa_ckpt_start(s, PS_EWA_CKPT_RESTART_FRAMES, &c);
    assert_null(c);
    ps_ewa_ckpt_kick(c); /* NULL: nothing */
    ps_ewa_ckpt_stop(c);
    ps_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_checkpoints_off_the_commit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_long_wal_restarts, setup,
                                        teardown),
        cmocka_unit_test(test_no_file_no_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
