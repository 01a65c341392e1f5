/*
 * test_output_durability.c -- the order of output.c's durability calls,
 * seen from outside: this test runs with fsync_shim.so preloaded
 * (LD_PRELOAD, set by CMake), which logs every fsync, fdatasync, rename,
 * renameat, renameat2 and linkat with the file names to $PS_SHIM_LOG.
 *
 * For a committed output NAME (and for ps_output_complete() finishing one
 * a crash left without sidecars), the log must show, for each of NAME,
 * NAME.sha256 and NAME.done in that order:
 *   1. the temporary file fsynced (under its temporary name) before
 *   2. it is renamed (or linked) into place under the final name, and
 *   3. the folder fsynced after that rename and before the next one;
 * so a crash at any point never leaves a NAME.done whose NAME or
 * NAME.sha256 could still be empty or missing after a power loss.
 *
 * The test refuses to run without the shim (a probe fsync must appear in
 * the log): a silently skipped durability check is worse than none.
 *
 * Each test gets a fresh directory under $TMPDIR (or /tmp), removed after.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/output.h"
#include "testutil.h"

#define MAX_EVENTS 256

struct event {
    char call[16];
    char a[PATH_MAX]; /* the file (fsync) or the old name */
    char b[PATH_MAX]; /* the new name; "" for fsync */
    int rc;
};

struct shim_log {
    struct event ev[MAX_EVENTS];
    int n;
};

struct fixture {
    char dir[PATH_MAX];  /* the output folder */
    char real[PATH_MAX]; /* the same, as /proc/self/fd shows it */
    char log[PATH_MAX];  /* PS_SHIM_LOG, outside the output folder */
    char logdir[PATH_MAX];
    struct shim_log got;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    if (fx == NULL ||
        ps_test_tmpdir(fx->dir, sizeof(fx->dir), "test_durability") != 0 ||
        ps_test_tmpdir(fx->logdir, sizeof(fx->logdir), "test_durability_log") !=
            0 ||
        ps_test_join(fx->log, sizeof(fx->log), fx->logdir, "shim.log") != 0 ||
        realpath(fx->dir, fx->real) == NULL) {
        free(fx);
        return -1;
    }
    if (setenv("PS_SHIM_LOG", fx->log, 1) != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    unsetenv("PS_SHIM_LOG");
    int rc = ps_test_rmtree(fx->dir);
    if (ps_test_rmtree(fx->logdir) != 0)
        rc = -1;
    ps_test_free_owned();
    free(fx);
    return rc;
}

/* Read PS_SHIM_LOG into fx->got. */
static void read_log(struct fixture *fx)
{
    char *s = ps_test_slurp(fx->log, NULL);
    fx->got.n = 0;
    for (char *save = NULL, *line = strtok_r(s, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        struct event *e;
        char *f[4];
        int nf = 0;
        if (fx->got.n == MAX_EVENTS)
            fail_msg("more than %d calls logged", MAX_EVENTS);
        e = &fx->got.ev[fx->got.n++];
        for (char *s2 = NULL, *t = strtok_r(line, " ", &s2);
             t != NULL && nf < 4; t = strtok_r(NULL, " ", &s2))
            f[nf++] = t;
        if (nf == 3 && strcmp(f[0], "fsync") != 0 &&
            strcmp(f[0], "fdatasync") != 0)
            fail_msg("bad shim log line: %s", line);
        if (nf != 3 && nf != 4)
            fail_msg("bad shim log line: %s", line);
        ps_strlcpy(e->call, f[0], sizeof(e->call));
        ps_strlcpy(e->a, f[1], sizeof(e->a));
        ps_strlcpy(e->b, nf == 4 ? f[2] : "", sizeof(e->b));
        e->rc = atoi(f[nf - 1]);
    }
}

static void dump_log(const struct fixture *fx)
{
    for (int i = 0; i < fx->got.n; i++)
        print_message("  %2d %s %s %s %d\n", i, fx->got.ev[i].call,
                      fx->got.ev[i].a, fx->got.ev[i].b, fx->got.ev[i].rc);
}

static int is_sync(const struct event *e)
{
    return e->rc == 0 &&
           (strcmp(e->call, "fsync") == 0 || strcmp(e->call, "fdatasync") == 0);
}

/* A call that puts a name in place: a rename of any kind, or the
 * link of output.c's no-replace fallback. */
static int is_place(const struct event *e)
{
    return e->rc == 0 && (strcmp(e->call, "rename") == 0 ||
                          strcmp(e->call, "renameat") == 0 ||
                          strcmp(e->call, "renameat2") == 0 ||
                          strcmp(e->call, "linkat") == 0);
}

/* "<real dir>/<name>" in a test-owned buffer. */
static const char *in_dir(const struct fixture *fx, const char *name)
{
    size_t n = strlen(fx->real) + 1 + strlen(name) + 1;
    char *p = ps_test_own(malloc(n));
    snprintf(p, n, "%s/%s", fx->real, name);
    return p;
}

/* The index of the one event that put `final` in place; fails the test
 * when there is none, or more than one. */
static int placed_at(const struct fixture *fx, const char *final)
{
    int at = -1;
    for (int i = 0; i < fx->got.n; i++)
        if (is_place(&fx->got.ev[i]) && strcmp(fx->got.ev[i].b, final) == 0) {
            if (at >= 0)
                fail_msg("%s put in place twice (events %d and %d)", final, at,
                         i);
            at = i;
        }
    if (at < 0) {
        dump_log(fx);
        fail_msg("%s was never renamed into place", final);
    }
    return at;
}

/*
 * One file's steps: put in place by event `at`, its temporary name
 * fsynced before that, and the folder fsynced after it and before event
 * `next` (the next file's placement; -1: anywhere after).
 */
static void check_file_steps(const struct fixture *fx, const char *final,
                             int at, int next)
{
    const struct event *r = &fx->got.ev[at];
    int synced = -1, dir_synced = -1;
    /* the data: the temporary file fsynced, under its temporary name,
     * before the rename */
    for (int i = 0; i < at; i++)
        if (is_sync(&fx->got.ev[i]) && strcmp(fx->got.ev[i].a, r->a) == 0)
            synced = i;
    if (synced < 0) {
        dump_log(fx);
        fail_msg("%s: its temporary file %s was not fsynced before the "
                 "rename (event %d)",
                 final, r->a, at);
    }
    /* the name: the folder fsynced after the rename, before the next */
    int end = next >= 0 ? next : fx->got.n;
    for (int i = at + 1; i < end; i++)
        if (is_sync(&fx->got.ev[i]) && strcmp(fx->got.ev[i].a, fx->real) == 0) {
            dir_synced = i;
            break;
        }
    if (dir_synced < 0) {
        dump_log(fx);
        fail_msg("%s: folder %s not fsynced after its rename (event %d) %s",
                 final, fx->real, at,
                 next >= 0 ? "before the next file's rename" : "");
    }
}

/* NAME, NAME.sha256, NAME.done: each synced, placed, folder synced, in
 * this order, .done last of all. */
static void check_publish_order(const struct fixture *fx, const char *name,
                                int content)
{
    char sha[NAME_MAX + 1], done[NAME_MAX + 1];
    snprintf(sha, sizeof(sha), "%s.sha256", name);
    snprintf(done, sizeof(done), "%s.done", name);
    int c = content ? placed_at(fx, in_dir(fx, name)) : -1;
    int s = placed_at(fx, in_dir(fx, sha));
    int d = placed_at(fx, in_dir(fx, done));
    if (content && !(c < s))
        fail_msg("%s renamed (event %d) after %s (event %d)", sha, s, name, c);
    if (!(s < d && (!content || c < d)))
        fail_msg("%s renamed (event %d) before the content (%d) or the "
                 ".sha256 (%d): it must be last",
                 done, d, c, s);
    if (content)
        check_file_steps(fx, name, c, s);
    check_file_steps(fx, sha, s, d);
    check_file_steps(fx, done, d, -1);
    /* nothing but the folder is synced or placed after the .done */
    for (int i = d + 1; i < fx->got.n; i++)
        if (is_place(&fx->got.ev[i]))
            fail_msg("a rename after %s: %s -> %s", done, fx->got.ev[i].a,
                     fx->got.ev[i].b);
}

/* The shim must be there: a probe fsync has to reach the log. */
static void require_shim(struct fixture *fx)
{
    const char *probe = ps_test_path(fx->dir, "probe", 0);
    int fd = open(probe, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(fsync(fd), 0);
    close(fd);
    assert_int_equal(unlink(probe), 0);
    if (access(fx->log, R_OK) != 0)
        fail_msg("fsync_shim is not loaded (LD_PRELOAD=%s): run this test "
                 "through ctest, which preloads it",
                 getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "");
    assert_int_equal(unlink(fx->log), 0);
}

/* ps_output_open / write / commit of a result file. */
static void test_commit_order(void **state)
{
    struct fixture *fx = *state;
    struct ps_output *o = NULL;
    struct ps_err err;
    char sha[PS_SHA256_HEX];
    require_shim(fx);

    ps_err_clear(&err);
    assert_int_equal(ps_output_open(fx->dir, "result.csv", 0640, &o, &err), 0);
    for (int i = 0; i < 2000; i++) /* more than one 64 KiB buffer */
        assert_int_equal(ps_output_printf(o, &err,
                                          "line,%04d,ACCEPTED,0123456789"
                                          "abcdefghij0123456789\n",
                                          i),
                         0);
    assert_int_equal(ps_output_commit(o, sha, &err), 0);
    read_log(fx);
    check_publish_order(fx, "result.csv", 1);
}

/* ps_output_complete: NAME already there (a crash after its rename), the
 * sidecars written with the same steps, .done last. */
static void test_complete_order(void **state)
{
    struct fixture *fx = *state;
    struct ps_err err;
    char sha[PS_SHA256_HEX];
    require_shim(fx);

    FILE *f = fopen(ps_test_path(fx->dir, "payout.csv", 1), "w");
    assert_non_null(f);
    fputs("reference,amount\nA1,10.00\n", f);
    assert_int_equal(fclose(f), 0);
    ps_err_clear(&err);
    assert_int_equal(ps_output_complete(fx->dir, "payout.csv", sha, &err), 0);
    read_log(fx);
    check_publish_order(fx, "payout.csv", 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complete_order, setup, teardown),
    };
    ps_log_open(NULL, PS_LOG_ERROR, NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
