/*
 * test_spool.c -- unit tests for spool.c against a spool tree in a fresh
 * temporary directory: names that are never offered; the stability watch
 * (stable_seconds, min_age_seconds, with mtimes set by utimensat and the
 * clock passed in, never slept on); NAME.done markers (a stale one, older
 * than its file even by a nanosecond, does not count); oldest-first
 * order; claims (marker follows, CLAIMED_ELSEWHERE, no-clobber suffixes);
 * symbolic links and FIFOs moved to failed/ with a NOT_REGULAR_FILE
 * reason; gzip archives (content, name, sidecars, idempotent re-archive);
 * quarantine (no overwrite, the .reason content); and the INI
 * configuration (overrides, CONFIG_KEY, CONFIG_VALUE, missing files).
 *
 * Each test gets a fresh directory under $TMPDIR (or /tmp), removed after.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zlib.h>

#include "base/log.h"
#include "base/output.h"
#include "intake/seal.h"
#include "intake/spool.h"
#include "testutil.h"

#define BIZ "acme"
#define T0 INT64_C(1700000000) /* a fixed mtime, seconds since the epoch */
#define T0_MS (T0 * 1000)
#define MAX_OFFERS 32

struct fixture {
    char dir[PATH_MAX]; /* the spool root */
    struct ps_keys *keys; /* archives are sealed under them (issue 18) */
    struct ps_spool_watch *watch;
};

struct offers {
    int n;
    int limit; /* stop the scan after this many (0: never) */
    char name[MAX_OFFERS][256];
    int64_t size[MAX_OFFERS];
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct ps_err err;
    if (fx == NULL || ps_test_tmpdir(fx->dir, sizeof(fx->dir), "test_spool"))
        goto fail;
    ps_err_clear(&err);
    if (ps_spool_business_dirs(fx->dir, BIZ, &err) != 0)
        goto fail;
    if ((fx->watch = ps_spool_watch_new()) == NULL)
        goto fail;
    char key[PATH_MAX + 8];
    snprintf(key, sizeof(key), "%s/key", fx->dir);
    if (ps_keys_create(key, NULL, &err) != 0 ||
        ps_keys_load(key, &fx->keys, &err) != 0)
        goto fail;
    *state = fx;
    return 0;
fail:
    free(fx);
    return -1;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    int rc = ps_test_rmtree(fx->dir);
    ps_test_free_owned();
    ps_spool_watch_free(fx->watch);
    ps_keys_free(fx->keys);
    free(fx);
    return rc;
}

/* snprintf that fails the test instead of cutting the string short. */
static void pathf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pathf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size)
        fail_msg("string too long for its buffer: %s", fmt);
}

/* fx->dir/<sub>, in path slot `slot`. */
static const char *sp(const struct fixture *fx, const char *sub, unsigned slot)
{
    return ps_test_path(fx->dir, sub, slot);
}

static void write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        fail_msg("cannot create %s: %s", path, strerror(errno));
    size_t len = strlen(content);
    assert_int_equal(fwrite(content, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void append_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    size_t len = strlen(content);
    assert_int_equal(fwrite(content, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Set atime and mtime of path (not following a link) to sec.nsec. */
static void set_mtime(const char *path, int64_t sec, long nsec)
{
    struct timespec ts[2];
    ts[0].tv_sec = (time_t)sec;
    ts[0].tv_nsec = nsec;
    ts[1] = ts[0];
    assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* inbound/acme/<name> with content and mtime sec (nanoseconds 0). */
static void drop(const struct fixture *fx, const char *name,
                 const char *content, int64_t sec)
{
    char rel[PATH_MAX];
    pathf(rel, sizeof(rel), "inbound/" BIZ "/%s", name);
    write_file(sp(fx, rel, 7), content);
    set_mtime(sp(fx, rel, 7), sec, 0);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Does the file contain the string? */
static void assert_file_contains(const char *path, const char *needle)
{
    char *s = ps_test_slurp(path, NULL);
    if (strstr(s, needle) == NULL) {
        fprintf(stderr, "%s:\n%s\n", path, s);
        fail_msg("%s does not contain \"%s\"", path, needle);
    }
}

/* Number of directory entries other than "." and "..". */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static int collect(void *ctx, const struct ps_spool_entry *e)
{
    struct offers *o = ctx;
    assert_true(o->n < MAX_OFFERS);
    pathf(o->name[o->n], sizeof(o->name[o->n]), "%s", e->name);
    o->size[o->n] = e->size;
    o->n++;
    return o->limit > 0 && o->n >= o->limit;
}

/* Scan inbound/acme at now_ms; returns the scan's result (pending). */
static int scan(struct fixture *fx, int stable, int min_age, int64_t now_ms,
                struct offers *o)
{
    struct ps_spool_config cfg;
    struct ps_err err;
    int limit = o->limit;
    ps_spool_config_default(&cfg);
    cfg.stable_seconds = stable;
    cfg.min_age_seconds = min_age;
    memset(o, 0, sizeof(*o));
    o->limit = limit;
    ps_err_clear(&err);
    int rc =
        ps_spool_scan(fx->dir, BIZ, &cfg, fx->watch, now_ms, collect, o, &err);
    if (rc < 0)
        fail_msg("ps_spool_scan: %s [%s]", err.msg, err.rule);
    return rc;
}

static void hex_sha256(const char *data, size_t len, char hex[PS_SHA256_HEX])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)data, len);
    sodium_bin2hex(hex, PS_SHA256_HEX, h, sizeof(h));
}

/* ---- never offered -------------------------------------------------- */

static void test_ignored_names_never_offered(void **state)
{
    struct fixture *fx = *state;
    static const char *const ignored[] = {
        ".hidden",     ".pay.csv.tmp.123", "up.part",  "up.partial", "up.tmp",
        "up.filepart", "x.done",           "x.sha256", "x.reason",   ".done",
    };
    struct offers o = {0};
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
        drop(fx, ignored[i], "PSTEST 1\n", T0);
    /* Look-alikes that are real inputs: the suffix must be the end. */
    drop(fx, "part.csv", "a\n", T0);
    drop(fx, "x.done.csv", "b\n", T0);

    assert_int_equal(scan(fx, 0, 0, T0_MS + 3600000, &o), 0);
    assert_int_equal(o.n, 2);
    assert_string_equal(o.name[0], "part.csv");
    assert_string_equal(o.name[1], "x.done.csv");
    assert_int_equal(o.size[0], 2);

    /* Still not offered later, and left where they are (not refused). */
    assert_int_equal(scan(fx, 0, 0, T0_MS + 7200000, &o), 0);
    assert_int_equal(o.n, 2);
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
        char rel[PATH_MAX];
        pathf(rel, sizeof(rel), "inbound/" BIZ "/%s", ignored[i]);
        assert_true(exists(sp(fx, rel, 0)));
    }
    assert_int_equal(count_entries(sp(fx, "failed/" BIZ, 0)), 0);
}

static void test_missing_inbound_is_empty(void **state)
{
    struct fixture *fx = *state;
    struct ps_spool_config cfg;
    struct offers o = {0};
    struct ps_err err;
    ps_spool_config_default(&cfg);
    ps_err_clear(&err);
    assert_int_equal(ps_spool_scan(fx->dir, "nobody", &cfg, fx->watch, T0_MS,
                                   collect, &o, &err),
                     0);
    assert_int_equal(o.n, 0);
}

/* ---- stability ------------------------------------------------------ */

static void test_stable_after_unchanged_period(void **state)
{
    struct fixture *fx = *state;
    struct offers o = {0};
    int64_t now = T0_MS + 60000; /* old enough; only stability matters */
    drop(fx, "pay.csv", "0123456789", T0);

    assert_int_equal(scan(fx, 5, 0, now, &o), 1); /* first sight: pending */
    assert_int_equal(o.n, 0);
    assert_int_equal(scan(fx, 5, 0, now + 4999, &o), 1);
    assert_int_equal(o.n, 0);
    assert_int_equal(scan(fx, 5, 0, now + 5000, &o), 0);
    assert_int_equal(o.n, 1);
    assert_string_equal(o.name[0], "pay.csv");
    assert_int_equal(o.size[0], 10);
}

static void test_size_change_restarts_clock(void **state)
{
    struct fixture *fx = *state;
    struct offers o = {0};
    int64_t now = T0_MS + 60000;
    const char *path = sp(fx, "inbound/" BIZ "/grow.csv", 1);
    drop(fx, "grow.csv", "first part\n", T0);

    assert_int_equal(scan(fx, 5, 0, now, &o), 1);
    /* More bytes arrive; the mtime is put back so only the size moved. */
    append_file(path, "second part\n");
    set_mtime(path, T0, 0);
    assert_int_equal(scan(fx, 5, 0, now + 5000, &o), 1);
    assert_int_equal(o.n, 0);
    assert_int_equal(scan(fx, 5, 0, now + 9999, &o), 1);
    assert_int_equal(o.n, 0);
    assert_int_equal(scan(fx, 5, 0, now + 10000, &o), 0);
    assert_int_equal(o.n, 1);
    assert_int_equal(o.size[0], 23);
}

static void test_mtime_change_restarts_clock(void **state)
{
    struct fixture *fx = *state;
    struct offers o = {0};
    int64_t now = T0_MS + 60000;
    const char *path = sp(fx, "inbound/" BIZ "/touch.csv", 1);
    drop(fx, "touch.csv", "same size\n", T0);

    assert_int_equal(scan(fx, 5, 0, now, &o), 1);
    set_mtime(path, T0, 1); /* one nanosecond later, same size */
    assert_int_equal(scan(fx, 5, 0, now + 5000, &o), 1);
    assert_int_equal(o.n, 0);
    assert_int_equal(scan(fx, 5, 0, now + 10000, &o), 0);
    assert_int_equal(o.n, 1);
}

static void test_watch_forgets_removed_files(void **state)
{
    struct fixture *fx = *state;
    struct offers o = {0};
    int64_t now = T0_MS + 60000;
    const char *path = sp(fx, "inbound/" BIZ "/again.csv", 1);
    drop(fx, "again.csv", "abc\n", T0);
    assert_int_equal(scan(fx, 5, 0, now, &o), 1);
    /* The file goes away for a scan and comes back identical: its
     * stability is judged afresh, not from the first sighting. */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(scan(fx, 5, 0, now + 1000, &o), 0);
    drop(fx, "again.csv", "abc\n", T0);
    assert_int_equal(scan(fx, 5, 0, now + 5000, &o), 1);
    assert_int_equal(o.n, 0);
    assert_int_equal(scan(fx, 5, 0, now + 10000, &o), 0);
    assert_int_equal(o.n, 1);
}

static void test_min_age(void **state)
{
    struct fixture *fx = *state;
    struct offers o = {0};
    drop(fx, "young.csv", "x\n", T0);

    /* stable_seconds 0: only the age holds it back. */
    assert_int_equal(scan(fx, 0, 10, T0_MS + 9999, &o), 1);
    assert_int_equal(o.n, 0);
    assert_int_equal(scan(fx, 0, 10, T0_MS + 10000, &o), 0);
    assert_int_equal(o.n, 1);
    assert_string_equal(o.name[0], "young.csv");

    /* An mtime in the future (clock skew) is not old enough either. */
    drop(fx, "future.csv", "y\n", T0 + 3600);
    assert_int_equal(scan(fx, 0, 10, T0_MS + 20000, &o), 1);
    assert_int_equal(o.n, 1);
    assert_string_equal(o.name[0], "young.csv");
}

static void test_both_rules_must_hold(void **state)
{
    struct fixture *fx = *state;
    struct offers o = {0};
    drop(fx, "f.csv", "z\n", T0);
    /* Stable long enough but too young. */
    assert_int_equal(scan(fx, 5, 60, T0_MS, &o), 1);
    assert_int_equal(scan(fx, 5, 60, T0_MS + 30000, &o), 1);
    assert_int_equal(o.n, 0);
    /* Old enough and stable. */
    assert_int_equal(scan(fx, 5, 60, T0_MS + 60000, &o), 0);
    assert_int_equal(o.n, 1);
}

static void test_done_marker_completes_at_once(void **state)
{
    struct fixture *fx = *state;
    struct offers o = {0};
    int64_t now = T0_MS;
    /* Just written, never seen before: only the marker makes it ready. */
    drop(fx, "ready.csv", "r\n", T0);
    drop(fx, "ready.csv.done", "", T0);
    drop(fx, "notyet.csv", "n\n", T0);
    /* A folder named like a marker is not a marker. */
    drop(fx, "fake.csv", "f\n", T0);
    assert_int_equal(mkdir(sp(fx, "inbound/" BIZ "/fake.csv.done", 0), 0750),
                     0);

    assert_int_equal(scan(fx, 5, 10, now, &o), 2);
    assert_int_equal(o.n, 1);
    assert_string_equal(o.name[0], "ready.csv");
}

/* drop() with nanoseconds: inbound/acme/<name>, mtime sec.nsec. */
static void drop_ns(const struct fixture *fx, const char *name,
                    const char *content, int64_t sec, long nsec)
{
    char rel[PATH_MAX];
    pathf(rel, sizeof(rel), "inbound/" BIZ "/%s", name);
    write_file(sp(fx, rel, 7), content);
    set_mtime(sp(fx, rel, 7), sec, nsec);
}

/*
 * A marker counts only when it is not older than its file.  A NAME.done
 * left from an earlier upload of the same name (written before the file
 * now there, so older than it) must not make a half-written file complete:
 * the file waits for the stability rule or a fresh marker.  A marker
 * written after its file (newer, or the same instant) completes it at
 * once.  Checked to the nanosecond both ways, and through a claim.
 */
static void test_stale_done_marker_not_complete(void **state)
{
    struct fixture *fx = *state;
    struct offers o = {0};
    char path[PATH_MAX];
    struct ps_err err;

    /* Marker first (T0), file after it (T0 + 1 s): stale, not offered,
     * although nothing else holds it back but the 5 s / 10 s rules. */
    drop(fx, "late.csv.done", "", T0);
    drop(fx, "late.csv", "half a fi", T0 + 1);
    int pending = scan(fx, 5, 10, T0_MS + 1000, &o);
    if (o.n != 0)
        fail_msg("%s offered: its .done is older than the file", o.name[0]);
    assert_int_equal(pending, 1);
    /* Older by one nanosecond is older. */
    drop_ns(fx, "ns.csv.done", "", T0, 999999999);
    drop(fx, "ns.csv", "n\n", T0 + 1);
    pending = scan(fx, 5, 10, T0_MS + 1000, &o);
    if (o.n != 0)
        fail_msg("%s offered: its .done is 1 ns older than the file",
                 o.name[0]);
    assert_int_equal(pending, 2);

    /* Marker after its file (newer by a second, by a nanosecond, or the
     * same instant): complete at once. */
    drop(fx, "fresh.csv", "f\n", T0);
    drop(fx, "fresh.csv.done", "", T0 + 1);
    drop_ns(fx, "fresh-ns.csv", "g\n", T0, 5);
    drop_ns(fx, "fresh-ns.csv.done", "", T0, 6);
    drop(fx, "same.csv", "s\n", T0);
    drop(fx, "same.csv.done", "", T0);
    pending = scan(fx, 5, 10, T0_MS + 1000, &o);
    if (o.n != 3)
        fail_msg("%d files offered, expected fresh.csv, same.csv and "
                 "fresh-ns.csv (markers not older than their files)",
                 o.n);
    assert_int_equal(pending, 2);
    /* oldest first, then by name */
    assert_string_equal(o.name[0], "fresh.csv");
    assert_string_equal(o.name[1], "same.csv");
    assert_string_equal(o.name[2], "fresh-ns.csv");

    /* The uploader finishes late.csv and writes its marker again, after
     * the file: now complete, and the claim takes file and marker. */
    drop(fx, "late.csv", "half a file\n", T0 + 2);
    drop(fx, "late.csv.done", "", T0 + 3);
    assert_int_equal(scan(fx, 5, 10, T0_MS + 3000, &o), 1); /* ns.csv */
    assert_int_equal(o.n, 4);
    assert_string_equal(o.name[3], "late.csv");
    ps_err_clear(&err);
    assert_int_equal(
        ps_spool_claim(fx->dir, BIZ, "late.csv", path, sizeof(path), &err), 0);
    assert_true(exists(sp(fx, "work/" BIZ "/late.csv.done", 0)));
    assert_false(exists(sp(fx, "inbound/" BIZ "/late.csv", 1)));

    /* The stale marker never blocks either: once ns.csv is old enough
     * and stable, the stability rule takes it like any other file. */
    assert_int_equal(scan(fx, 5, 10, T0_MS + 20000, &o), 0);
    assert_int_equal(o.n, 4);
    assert_string_equal(o.name[3], "ns.csv");
}

/* ---- order ---------------------------------------------------------- */

static void test_oldest_first(void **state)
{
    struct fixture *fx = *state;
    struct offers o = {0};
    drop(fx, "a.csv", "a\n", T0 + 30);
    drop(fx, "b.csv", "b\n", T0 + 20);
    drop(fx, "d.csv", "d\n", T0 + 10);
    drop(fx, "c.csv", "c\n", T0 + 10); /* same mtime as d: by name */
    drop(fx, "e.csv", "e\n", T0 + 5);

    assert_int_equal(scan(fx, 0, 0, T0_MS + 60000, &o), 0);
    assert_int_equal(o.n, 5);
    assert_string_equal(o.name[0], "e.csv");
    assert_string_equal(o.name[1], "c.csv");
    assert_string_equal(o.name[2], "d.csv");
    assert_string_equal(o.name[3], "b.csv");
    assert_string_equal(o.name[4], "a.csv");

    /* The callback stops the scan. */
    o.limit = 2;
    assert_int_equal(scan(fx, 0, 0, T0_MS + 60000, &o), 0);
    assert_int_equal(o.n, 2);
    assert_string_equal(o.name[1], "c.csv");
}

/* ---- claim ---------------------------------------------------------- */

static void test_claim_moves_file_and_marker(void **state)
{
    struct fixture *fx = *state;
    char path[PATH_MAX];
    struct ps_err err;
    drop(fx, "pay.csv", "payload one\n", T0);
    drop(fx, "pay.csv.done", "", T0);

    ps_err_clear(&err);
    assert_int_equal(
        ps_spool_claim(fx->dir, BIZ, "pay.csv", path, sizeof(path), &err), 0);
    assert_string_equal(path, sp(fx, "work/" BIZ "/pay.csv", 0));
    assert_false(exists(sp(fx, "inbound/" BIZ "/pay.csv", 0)));
    assert_false(exists(sp(fx, "inbound/" BIZ "/pay.csv.done", 0)));
    assert_true(exists(sp(fx, "work/" BIZ "/pay.csv.done", 0)));
    char *s = ps_test_slurp(path, NULL);
    assert_string_equal(s, "payload one\n");
    /* payspool owns it now: read-only (issue 18). */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0440);

    /* Claiming it again: someone (we) took it. */
    char again[PATH_MAX] = "untouched";
    ps_err_clear(&err);
    ps_test_expect_err(
        ps_spool_claim(fx->dir, BIZ, "pay.csv", again, sizeof(again), &err),
        &err, PS_ENOTFOUND, "CLAIMED_ELSEWHERE");
    assert_string_equal(again, "untouched");

    /* A file that was never there is the same answer. */
    ps_err_clear(&err);
    ps_test_expect_err(
        ps_spool_claim(fx->dir, BIZ, "ghost.csv", again, sizeof(again), &err),
        &err, PS_ENOTFOUND, "CLAIMED_ELSEWHERE");
}

/* A crash between a claim's two renames leaves the marker in inbound/
 * with no data file: the leftover takes it back before it is offered,
 * unless the name was uploaded again meanwhile (the marker is then the
 * new upload's). */
static int count_leftover(void *ctx, const char *path)
{
    (void)path;
    (*(int *)ctx)++;
    return 0;
}

static void test_leftover_takes_its_marker_back(void **state)
{
    struct fixture *fx = *state;
    struct ps_err err;
    int seen = 0;
    (void)mkdir(sp(fx, "work", 0), 0750);
    (void)mkdir(sp(fx, "work/" BIZ, 0), 0750);
    write_file(sp(fx, "work/" BIZ "/pay.csv", 0), "claimed\n");
    drop(fx, "pay.csv.done", "", T0);
    write_file(sp(fx, "work/" BIZ "/again.csv", 0), "claimed\n");
    drop(fx, "again.csv", "new upload\n", T0);
    drop(fx, "again.csv.done", "", T0);

    ps_err_clear(&err);
    assert_int_equal(
        ps_spool_leftovers(fx->dir, BIZ, count_leftover, &seen, &err), 0);
    assert_int_equal(seen, 2);
    assert_false(exists(sp(fx, "inbound/" BIZ "/pay.csv.done", 0)));
    assert_true(exists(sp(fx, "work/" BIZ "/pay.csv.done", 0)));
    assert_true(exists(sp(fx, "inbound/" BIZ "/again.csv.done", 0)));
    assert_false(exists(sp(fx, "work/" BIZ "/again.csv.done", 0)));
}

static void test_claim_never_overwrites(void **state)
{
    struct fixture *fx = *state;
    char p1[PATH_MAX], p2[PATH_MAX], p3[PATH_MAX];
    struct ps_err err;
    ps_err_clear(&err);
    drop(fx, "pay.csv", "first\n", T0);
    assert_int_equal(
        ps_spool_claim(fx->dir, BIZ, "pay.csv", p1, sizeof(p1), &err), 0);
    drop(fx, "pay.csv", "second\n", T0);
    drop(fx, "pay.csv.done", "", T0);
    assert_int_equal(
        ps_spool_claim(fx->dir, BIZ, "pay.csv", p2, sizeof(p2), &err), 0);
    drop(fx, "pay.csv", "third\n", T0);
    assert_int_equal(
        ps_spool_claim(fx->dir, BIZ, "pay.csv", p3, sizeof(p3), &err), 0);

    assert_string_equal(p1, sp(fx, "work/" BIZ "/pay.csv", 0));
    assert_string_equal(p2, sp(fx, "work/" BIZ "/pay.csv.1", 0));
    assert_string_equal(p3, sp(fx, "work/" BIZ "/pay.csv.2", 0));
    char *s = ps_test_slurp(p1, NULL);
    assert_string_equal(s, "first\n");
    s = ps_test_slurp(p2, NULL);
    assert_string_equal(s, "second\n");
    s = ps_test_slurp(p3, NULL);
    assert_string_equal(s, "third\n");
    /* The marker follows the name the file got. */
    assert_true(exists(sp(fx, "work/" BIZ "/pay.csv.1.done", 0)));
    assert_false(exists(sp(fx, "work/" BIZ "/pay.csv.done", 0)));
    assert_int_equal(count_entries(sp(fx, "inbound/" BIZ, 0)), 0);
}

static void test_claim_creates_work_folder(void **state)
{
    struct fixture *fx = *state;
    char path[PATH_MAX];
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(mkdir(sp(fx, "inbound/solo", 0), 0750), 0);
    write_file(sp(fx, "inbound/solo/in.csv", 0), "x\n");
    assert_int_equal(
        ps_spool_claim(fx->dir, "solo", "in.csv", path, sizeof(path), &err), 0);
    assert_string_equal(path, sp(fx, "work/solo/in.csv", 0));
    assert_true(exists(path));
}

/* ---- things that are not regular files ------------------------------ */

static void test_non_regular_entries(void **state)
{
    struct fixture *fx = *state;
    struct offers o = {0};
    struct stat st;
    char target[PATH_MAX], link_to[PATH_MAX];
    pathf(target, sizeof(target), "%s", sp(fx, "secret.txt", 0));
    write_file(target, "do not touch\n");
    set_mtime(target, T0, 0);
    assert_int_equal(symlink(target, sp(fx, "inbound/" BIZ "/link.csv", 1)), 0);
    assert_int_equal(mkfifo(sp(fx, "inbound/" BIZ "/pipe.csv", 1), 0600), 0);
    assert_int_equal(mkdir(sp(fx, "inbound/" BIZ "/sub", 1), 0750), 0);
    write_file(sp(fx, "inbound/" BIZ "/sub/inner.csv", 1), "inner\n");
    drop(fx, "real.csv", "real\n", T0);

    assert_int_equal(scan(fx, 0, 0, T0_MS + 60000, &o), 0);
    assert_int_equal(o.n, 1);
    assert_string_equal(o.name[0], "real.csv");

    /* The link itself moved, still pointing where it did. */
    const char *flink = sp(fx, "failed/" BIZ "/link.csv", 2);
    assert_int_equal(lstat(flink, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    ssize_t n = readlink(flink, link_to, sizeof(link_to) - 1);
    assert_true(n > 0);
    link_to[n] = '\0';
    assert_string_equal(link_to, target);
    assert_false(exists(sp(fx, "inbound/" BIZ "/link.csv", 2)));
    /* Its target is untouched. */
    char *s = ps_test_slurp(target, NULL);
    assert_string_equal(s, "do not touch\n");
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal((int64_t)st.st_mtim.tv_sec, T0);
    assert_file_contains(sp(fx, "failed/" BIZ "/link.csv.reason", 2),
                         "rule: NOT_REGULAR_FILE\n");
    assert_file_contains(sp(fx, "failed/" BIZ "/link.csv.reason", 2),
                         "symbolic link");

    const char *fpipe = sp(fx, "failed/" BIZ "/pipe.csv", 3);
    assert_int_equal(lstat(fpipe, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_false(exists(sp(fx, "inbound/" BIZ "/pipe.csv", 3)));
    assert_file_contains(sp(fx, "failed/" BIZ "/pipe.csv.reason", 3),
                         "rule: NOT_REGULAR_FILE\n");

    /* The folder is ignored: not offered, not moved, contents untouched. */
    assert_int_equal(lstat(sp(fx, "inbound/" BIZ "/sub", 3), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_true(exists(sp(fx, "inbound/" BIZ "/sub/inner.csv", 3)));
    assert_false(exists(sp(fx, "failed/" BIZ "/sub", 3)));
    assert_true(exists(sp(fx, "inbound/" BIZ "/real.csv", 3)));
}

/* ---- issue 18: two folders, control characters, clean reasons ------- */

/* Scan inbound/<biz> at now_ms with fx's shared watch. */
static int scan_biz(struct fixture *fx, const char *biz, int stable,
                    int64_t now_ms, struct offers *o)
{
    struct ps_spool_config cfg;
    struct ps_err err;
    ps_spool_config_default(&cfg);
    cfg.stable_seconds = stable;
    cfg.min_age_seconds = 0;
    memset(o, 0, sizeof(*o));
    ps_err_clear(&err);
    int rc =
        ps_spool_scan(fx->dir, biz, &cfg, fx->watch, now_ms, collect, o, &err);
    if (rc < 0)
        fail_msg("ps_spool_scan: %s [%s]", err.msg, err.rule);
    return rc;
}

/* Issue 18 defect 3: one watch for two businesses; a file without marker
 * in each becomes stable in each (the second business's scan used to
 * forget the first's files, so neither ever became stable). */
static void test_watch_two_businesses(void **state)
{
    struct fixture *fx = *state;
    struct offers a = {0}, b = {0};
    struct ps_err err;
    int64_t now = T0_MS + 60000;
    ps_err_clear(&err);
    assert_int_equal(ps_spool_business_dirs(fx->dir, "beta", &err), 0);
    drop(fx, "pay.csv", "acme's\n", T0);
    write_file(sp(fx, "inbound/beta/pay.csv", 1), "beta's\n");
    set_mtime(sp(fx, "inbound/beta/pay.csv", 1), T0, 0);
    write_file(sp(fx, "inbound/beta/other.csv", 1), "beta's other\n");
    set_mtime(sp(fx, "inbound/beta/other.csv", 1), T0, 0);

    assert_int_equal(scan_biz(fx, BIZ, 5, now, &a), 1);
    assert_int_equal(scan_biz(fx, "beta", 5, now, &b), 2);
    assert_int_equal(scan_biz(fx, BIZ, 5, now + 5000, &a), 0);
    assert_int_equal(a.n, 1);
    assert_string_equal(a.name[0], "pay.csv");
    assert_int_equal(scan_biz(fx, "beta", 5, now + 5000, &b), 0);
    assert_int_equal(b.n, 2);
    /* Forgetting stays per folder: acme's file gone does not reset
     * beta's, and beta's clock runs on. */
    assert_int_equal(unlink(sp(fx, "inbound/" BIZ "/pay.csv", 1)), 0);
    assert_int_equal(scan_biz(fx, BIZ, 5, now + 6000, &a), 0);
    assert_int_equal(scan_biz(fx, "beta", 5, now + 6000, &b), 0);
    assert_int_equal(b.n, 2);
}

/* Fill a stretch of stack with non-zero bytes, so that a struct left
 * uninitialised by the next call shows garbage instead of zeros. */
static void __attribute__((noinline)) dirty_stack(void)
{
    volatile char junk[32768];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (char)('A' + i % 26);
    (void)junk[100];
}

/* Issue 18 defect 6: the .reason of a refused non-regular file has no
 * line and no field (it used to print uninitialised stack memory). */
static void test_reason_of_non_regular_is_clean(void **state)
{
    struct fixture *fx = *state;
    struct offers o = {0};
    assert_int_equal(symlink("/etc/passwd", sp(fx, "inbound/" BIZ "/l.csv", 1)),
                     0);
    assert_int_equal(mkfifo(sp(fx, "inbound/" BIZ "/f.csv", 1), 0600), 0);
    dirty_stack();
    assert_int_equal(scan(fx, 0, 0, T0_MS + 60000, &o), 0);
    for (int i = 0; i < 2; i++) {
        const char *r = sp(fx, i == 0 ? "failed/" BIZ "/l.csv.reason"
                                      : "failed/" BIZ "/f.csv.reason",
                           2);
        assert_file_contains(r, "rule: NOT_REGULAR_FILE\n");
        assert_file_contains(r, "\nline: 0\n");
        assert_file_contains(r, "\nfield: \n");
    }
}

/* Issue 18 defect 5: names with control characters are never offered;
 * they go to failed/ under a printable name, with a BAD_FILE_NAME
 * reason. */
static void test_control_character_names_refused(void **state)
{
    struct fixture *fx = *state;
    struct offers o = {0};
    drop(fx, "pay\nroll.csv", "newline\n", T0);
    drop(fx, "tab\tname.csv", "tab\n", T0);
    drop(fx, "fine.csv", "fine\n", T0);
    assert_int_equal(scan(fx, 0, 0, T0_MS + 60000, &o), 0);
    assert_int_equal(o.n, 1);
    assert_string_equal(o.name[0], "fine.csv");
    assert_false(exists(sp(fx, "inbound/" BIZ "/pay\nroll.csv", 1)));
    assert_false(exists(sp(fx, "inbound/" BIZ "/tab\tname.csv", 1)));
    char *s = ps_test_slurp(sp(fx, "failed/" BIZ "/pay_roll.csv", 1), NULL);
    assert_string_equal(s, "newline\n");
    s = ps_test_slurp(sp(fx, "failed/" BIZ "/tab_name.csv", 1), NULL);
    assert_string_equal(s, "tab\n");
    const char *r = sp(fx, "failed/" BIZ "/pay_roll.csv.reason", 2);
    assert_file_contains(r, "file: pay_roll.csv\n");
    assert_file_contains(r, "rule: BAD_FILE_NAME\n");
    assert_file_contains(r, "\nline: 0\n");
    assert_file_contains(sp(fx, "failed/" BIZ "/tab_name.csv.reason", 2),
                         "rule: BAD_FILE_NAME\n");
}

/* ---- archive -------------------------------------------------------- */

/* Deterministic, compressible but not trivial content of len bytes. */
static char *make_content(size_t len)
{
    char *s = malloc(len + 1);
    uint32_t x = 12345;
    assert_non_null(s);
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        s[i] = (i % 61 == 60) ? '\n' : (char)('a' + (x >> 16) % 26);
    }
    s[len] = '\0';
    return ps_test_own(s);
}

struct grow {
    char *buf;
    size_t n, cap;
};

static int grow_sink(void *ctx, const void *p, size_t len, struct ps_err *err)
{
    struct grow *g = ctx;
    (void)err;
    while (g->cap - g->n < len + 1) {
        g->cap = g->cap ? g->cap * 2 : 65536;
        g->buf = realloc(g->buf, g->cap);
        assert_non_null(g->buf);
    }
    memcpy(g->buf + g->n, p, len);
    g->n += len;
    return 0;
}

/* An archive's content, through seal.c (decrypt, gunzip, check). */
static char *gunzip_file(const struct fixture *fx, const char *path,
                         size_t *len)
{
    struct grow g = {NULL, 0, 0};
    struct ps_err err;
    char sha[PS_SHA256_HEX];
    ps_err_clear(&err);
    if (ps_seal_read(fx->keys, path, grow_sink, &g, sha, &err) != 0)
        fail_msg("ps_seal_read %s: %s", path, err.msg);
    grow_sink(&g, "", 0, &err);
    g.buf[g.n] = '\0';
    *len = g.n;
    return ps_test_own(g.buf);
}

static void test_archive_gzip_with_sidecars(void **state)
{
    struct fixture *fx = *state;
    char sha[PS_SHA256_HEX], gzsha[PS_SHA256_HEX], out[PATH_MAX];
    char want[PATH_MAX], rel[PATH_MAX], line[PATH_MAX];
    struct ps_err err;
    size_t len = 200000, glen, zlen;
    char *content = make_content(len);
    const char *work = sp(fx, "work/" BIZ "/pay.csv", 1);
    write_file(work, content);
    write_file(sp(fx, "work/" BIZ "/pay.csv.done", 2), "");
    hex_sha256(content, len, sha);

    ps_err_clear(&err);
    assert_int_equal(ps_spool_archive(fx->keys, fx->dir, BIZ, work, sha, "2026-11-21",
                                      out, sizeof(out), &err),
                     0);
    pathf(rel, sizeof(rel), "archive/2026/11/21/" BIZ "/pay.csv.%.12s.gz.enc", sha);
    pathf(want, sizeof(want), "%s", sp(fx, rel, 3));
    assert_string_equal(out, want);

    char *back = gunzip_file(fx, out, &glen);
    assert_int_equal(glen, len);
    assert_memory_equal(back, content, len);

    /* Encrypted: neither the name nor the hash nor the content shows
     * (the gzip header inside carries the name and the content hash,
     * checked by ps_seal_read); still compressed. */
    char *raw = ps_test_slurp(out, &zlen);
    assert_true(zlen < len); /* really compressed */
    char comment[96];
    pathf(comment, sizeof(comment), "sha256=%s", sha);
    assert_null(memmem(raw, zlen, comment, strlen(comment)));
    assert_null(memmem(raw, zlen, "pay.csv", 8));
    assert_null(memmem(raw, zlen, content, 64));
    /* A byte changed anywhere: refused, nothing given. */
    raw[zlen / 2] ^= 1;
    {
        struct grow g = {NULL, 0, 0};
        int fd = open(sp(fx, "tampered2", 4), O_WRONLY | O_CREAT | O_TRUNC,
                      0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, raw, zlen), (ssize_t)zlen);
        close(fd);
        assert_int_equal(ps_seal_read(fx->keys, sp(fx, "tampered2", 4),
                                      grow_sink, &g, NULL, &err),
                         PS_EINVAL);
        assert_string_equal(err.rule, "ARCHIVE_TAMPERED");
        assert_int_equal(g.n, 0);
        free(g.buf);
    }
    raw[zlen / 2] ^= 1;
    /* NAME.sha256 is sha256sum -c input for the sealed file itself. */
    hex_sha256(raw, zlen, gzsha);
    pathf(rel, sizeof(rel), "%s.sha256", want);
    char *side = ps_test_slurp(rel, NULL);
    pathf(line, sizeof(line), "%s  pay.csv.%.12s.gz.enc\n", gzsha, sha);
    assert_string_equal(side, line);
    pathf(rel, sizeof(rel), "%s.done", want);
    assert_true(exists(rel));

    /* The work copy stays until the archive is recorded and released. */
    assert_true(exists(work));
    assert_int_equal(ps_spool_release(work, &err), 0);
    assert_false(exists(work));
    assert_false(exists(sp(fx, "work/" BIZ "/pay.csv.done", 2)));
}

static void test_archive_twice_is_idempotent(void **state)
{
    struct fixture *fx = *state;
    char sha[PS_SHA256_HEX], out1[PATH_MAX], out2[PATH_MAX];
    struct stat st1, st2;
    struct ps_err err;
    const char *content = "PSTEST 1\nTOTAL|0|0.00|USD\n";
    const char *work = sp(fx, "work/" BIZ "/again.pst", 1);
    hex_sha256(content, strlen(content), sha);

    write_file(work, content);
    ps_err_clear(&err);
    assert_int_equal(ps_spool_archive(fx->keys, fx->dir, BIZ, work, sha, "2026-01-02",
                                      out1, sizeof(out1), &err),
                     0);
    assert_int_equal(stat(out1, &st1), 0);
    const char *adir = sp(fx, "archive/2026/01/02/" BIZ, 2);
    assert_int_equal(count_entries(adir), 3); /* .gz.enc, its .sha256, .done */

    /* A crash after archiving, before the work copy was removed. */
    write_file(work, content);
    assert_int_equal(ps_spool_archive(fx->keys, fx->dir, BIZ, work, sha, "2026-01-02",
                                      out2, sizeof(out2), &err),
                     0);
    assert_string_equal(out1, out2);
    assert_true(exists(work));
    assert_int_equal(ps_spool_release(work, &err), 0);
    assert_false(exists(work));
    assert_int_equal(stat(out2, &st2), 0);
    assert_int_equal(st1.st_ino, st2.st_ino); /* not rewritten */
    assert_int_equal(count_entries(adir), 3); /* no ".1" copy */
    size_t glen;
    char *back = gunzip_file(fx, out2, &glen);
    assert_string_equal(back, content);
}

static void test_archive_errors_keep_work_copy(void **state)
{
    struct fixture *fx = *state;
    char sha[PS_SHA256_HEX], out[PATH_MAX];
    struct ps_err err;
    const char *work = sp(fx, "work/" BIZ "/keep.csv", 1);
    hex_sha256("k\n", 2, sha);
    write_file(work, "k\n");

    ps_err_clear(&err);
    assert_true(ps_spool_archive(fx->keys, fx->dir, BIZ, work, sha, "2026-1-2", out,
                                 sizeof(out), &err) < 0);
    assert_true(exists(work));

    ps_err_clear(&err);
    int rc = ps_spool_archive(fx->keys, fx->dir, BIZ, sp(fx, "work/" BIZ "/none", 2), sha,
                              "2026-01-02", out, sizeof(out), &err);
    assert_int_equal(rc, PS_EIO);
    assert_int_equal(err.sys_errno, ENOENT);
}

/* ---- quarantine ----------------------------------------------------- */

static void test_quarantine_reason_and_no_overwrite(void **state)
{
    struct fixture *fx = *state;
    char out1[PATH_MAX], out2[PATH_MAX];
    struct ps_err why, err;
    const char *work = sp(fx, "work/" BIZ "/bad.pst", 1);

    ps_err_clear(&why);
    ps_err_set(&why, PS_EINVAL, "CONTROL_SUM_MISMATCH",
               "TOTAL sum 9.99 USD does not match the records");
    ps_err_at(&why, "bad.pst", 7, 120);
    ps_err_field(&why, "sum");

    write_file(work, "first bad\n");
    write_file(sp(fx, "work/" BIZ "/bad.pst.done", 2), "");
    ps_err_clear(&err);
    assert_int_equal(
        ps_spool_quarantine(fx->dir, BIZ, work, &why, out1, sizeof(out1), &err),
        0);
    assert_string_equal(out1, sp(fx, "failed/" BIZ "/bad.pst", 3));
    assert_false(exists(work));
    assert_false(exists(sp(fx, "work/" BIZ "/bad.pst.done", 3)));
    char *s = ps_test_slurp(out1, NULL);
    assert_string_equal(s, "first bad\n");

    const char *reason = sp(fx, "failed/" BIZ "/bad.pst.reason", 4);
    assert_file_contains(reason, "file: bad.pst\n");
    assert_file_contains(reason, "rule: CONTROL_SUM_MISMATCH\n");
    assert_file_contains(
        reason, "message: TOTAL sum 9.99 USD does not match the records\n");
    assert_file_contains(reason, "line: 7\n");
    assert_file_contains(reason, "byte_offset: 120\n");
    assert_file_contains(reason, "field: sum\n");
    assert_true(exists(sp(fx, "failed/" BIZ "/bad.pst.reason.done", 0)));

    /* A second input of the same name never overwrites the first. */
    ps_err_clear(&why);
    ps_err_set(&why, PS_EINVAL, "CONTROL_TOTAL_MISSING", "no TOTAL trailer");
    write_file(work, "second bad\n");
    assert_int_equal(
        ps_spool_quarantine(fx->dir, BIZ, work, &why, out2, sizeof(out2), &err),
        0);
    assert_string_equal(out2, sp(fx, "failed/" BIZ "/bad.pst.1", 3));
    s = ps_test_slurp(out1, NULL);
    assert_string_equal(s, "first bad\n");
    s = ps_test_slurp(out2, NULL);
    assert_string_equal(s, "second bad\n");
    assert_file_contains(reason, "rule: CONTROL_SUM_MISMATCH\n");
    const char *reason2 = sp(fx, "failed/" BIZ "/bad.pst.1.reason", 5);
    assert_file_contains(reason2, "rule: CONTROL_TOTAL_MISSING\n");
    assert_file_contains(reason2, "line: 0\n");
    assert_file_contains(reason2, "field: \n");
}

static void test_quarantine_after_operator_retry(void **state)
{
    struct fixture *fx = *state;
    char out[PATH_MAX];
    struct ps_err why, err;
    const char *work = sp(fx, "work/" BIZ "/retry.pst", 1);
    const char *reason = sp(fx, "failed/" BIZ "/retry.pst.reason", 2);
    ps_err_clear(&why);
    ps_err_set(&why, PS_EINVAL, "CONTROL_TOTAL_MISSING", "no TOTAL trailer");
    write_file(work, "v1\n");
    ps_err_clear(&err);
    assert_int_equal(
        ps_spool_quarantine(fx->dir, BIZ, work, &why, out, sizeof(out), &err),
        0);
    /* A NAME.reason left without its NAME must not make the quarantine
     * fail after the move.
     * The operator fixes the file and moves it back for another try,
     * leaving the old reason behind; it fails again, for a new reason. */
    assert_int_equal(unlink(out), 0);
    write_file(work, "v2\n");
    ps_err_clear(&why);
    ps_err_set(&why, PS_EINVAL, "CONTROL_SUM_MISMATCH", "sum is wrong");
    ps_err_clear(&err);
    int rc =
        ps_spool_quarantine(fx->dir, BIZ, work, &why, out, sizeof(out), &err);
    if (rc != 0)
        fail_msg("second quarantine: %d %s [%s]", rc, err.msg, err.rule);
    /* Whatever name it got, its reason is the new one; the old reason
     * is not passed off as the new file's. */
    char rpath[PATH_MAX];
    pathf(rpath, sizeof(rpath), "%s.reason", out);
    assert_file_contains(rpath, "rule: CONTROL_SUM_MISMATCH\n");
    char *s = ps_test_slurp(out, NULL);
    assert_string_equal(s, "v2\n");
    assert_file_contains(reason, "rule: CONTROL_TOTAL_MISSING\n");
}

/* ---- configuration -------------------------------------------------- */

static const char *write_cfg(const struct fixture *fx, const char *text)
{
    const char *path = sp(fx, "payspool.ini", 6);
    write_file(path, text);
    return path;
}

static void test_config_overrides_defaults(void **state)
{
    struct fixture *fx = *state;
    struct ps_spool_config cfg, def;
    struct ps_err err;
    const char *path = write_cfg(fx, "; intake settings\n"
                                     "[spool]\n"
                                     "stable_seconds = 7\n"
                                     "min_age_seconds = 0\n"
                                     "poll_seconds = 2\n"
                                     "chunk_records = 250\n"
                                     "\n"
                                     "[limits]\n"
                                     "max_depth = 2\n"
                                     "max_members = 50\n"
                                     "max_bytes = 1099511627776\n"
                                     "max_ratio = 20\n"
                                     "\n"
                                     "[payouts]\n"
                                     "max_records = 20000\n");
    ps_spool_config_default(&def);
    assert_int_equal(def.stable_seconds, 5);
    assert_int_equal(def.min_age_seconds, 10);
    assert_int_equal(def.poll_seconds, 5);
    assert_int_equal(def.chunk_records, 100000);
    assert_int_equal(def.payout_max_records, 50000);
    cfg = def;
    ps_err_clear(&err);
    assert_int_equal(ps_spool_config_load(path, 0, &cfg, &err), 0);
    assert_int_equal(cfg.stable_seconds, 7);
    assert_int_equal(cfg.min_age_seconds, 0);
    assert_int_equal(cfg.poll_seconds, 2);
    assert_int_equal(cfg.chunk_records, 250);
    assert_int_equal(cfg.limits.max_depth, 2);
    assert_int_equal(cfg.limits.max_members, 50);
    assert_int_equal(cfg.limits.max_bytes, INT64_C(1099511627776));
    assert_int_equal(cfg.limits.max_ratio, 20);
    assert_int_equal(cfg.payout_max_records, 20000);

    /* Keys not in the file keep their values. */
    path = write_cfg(fx, "[spool]\nchunk_records=10\n");
    cfg = def;
    assert_int_equal(ps_spool_config_load(path, 1, &cfg, &err), 0);
    assert_int_equal(cfg.chunk_records, 10);
    assert_int_equal(cfg.stable_seconds, def.stable_seconds);
    assert_int_equal(cfg.min_age_seconds, def.min_age_seconds);
    assert_int_equal(cfg.limits.max_bytes, def.limits.max_bytes);
}

/* Load text, expect PS_ECONFIG with rule at line, naming field. */
static void expect_cfg_error(struct fixture *fx, const char *text,
                             const char *rule, long line, const char *field)
{
    struct ps_spool_config cfg, def;
    struct ps_err err;
    const char *path = write_cfg(fx, text);
    ps_spool_config_default(&def);
    cfg = def;
    ps_err_clear(&err);
    int rc = ps_spool_config_load(path, 0, &cfg, &err);
    if (rc != PS_ECONFIG || strcmp(err.rule, rule) != 0 || err.line != line)
        fail_msg("config \"%s\": rc %d rule %s line %ld (want %s at %ld): %s",
                 text, rc, err.rule, err.line, rule, line, err.msg);
    assert_int_equal(err.code, PS_ECONFIG);
    assert_string_equal(err.file, path);
    if (field != NULL)
        assert_string_equal(err.field, field);
    /* Nothing is applied from a file with an error. */
    assert_memory_equal(&cfg, &def, sizeof(cfg));
}

static void test_config_unknown_key(void **state)
{
    struct fixture *fx = *state;
    expect_cfg_error(fx,
                     "[spool]\n"
                     "stable_seconds = 3\n"
                     "colour = blue\n",
                     "CONFIG_KEY", 3, "colour");
    /* A real key in the wrong section is unknown there. */
    expect_cfg_error(fx,
                     "[spool]\n"
                     "poll_seconds = 9\n"
                     "\n"
                     "[limits]\n"
                     "chunk_records = 5\n",
                     "CONFIG_KEY", 5, "chunk_records");
    /* A key outside any section. */
    expect_cfg_error(fx, "chunk_records = 5\n", "CONFIG_KEY", 1,
                     "chunk_records");
}

static void test_config_bad_values(void **state)
{
    struct fixture *fx = *state;
    expect_cfg_error(fx, "[spool]\nchunk_records = 0\n", "CONFIG_VALUE", 2,
                     "chunk_records");
    expect_cfg_error(fx, "[payouts]\nmax_records = 0\n", "CONFIG_VALUE", 2,
                     "max_records");
    expect_cfg_error(fx, "[spool]\n\nchunk_records = abc\n", "CONFIG_VALUE", 3,
                     "chunk_records");
    expect_cfg_error(fx, "[spool]\nchunk_records = 12abc\n", "CONFIG_VALUE", 2,
                     "chunk_records");
    expect_cfg_error(fx, "[spool]\nchunk_records = 1.5\n", "CONFIG_VALUE", 2,
                     "chunk_records");
    expect_cfg_error(fx, "[spool]\nchunk_records =\n", "CONFIG_VALUE", 2,
                     "chunk_records");
    expect_cfg_error(fx, "[spool]\nstable_seconds = -1\n", "CONFIG_VALUE", 2,
                     "stable_seconds");
    expect_cfg_error(fx, "[spool]\nstable_seconds = 86401\n", "CONFIG_VALUE", 2,
                     "stable_seconds");
    expect_cfg_error(fx, "[spool]\npoll_seconds = 0\n", "CONFIG_VALUE", 2,
                     "poll_seconds");
    expect_cfg_error(fx, "[limits]\nmax_depth = 9\n", "CONFIG_VALUE", 2,
                     "max_depth");
    expect_cfg_error(fx, "[limits]\nmax_bytes = 99999999999999999999\n",
                     "CONFIG_VALUE", 2, "max_bytes");
    /* The boundaries themselves are accepted. */
    struct ps_spool_config cfg;
    struct ps_err err;
    ps_spool_config_default(&cfg);
    ps_err_clear(&err);
    const char *path = write_cfg(fx, "[spool]\nstable_seconds = 86400\n"
                                     "min_age_seconds = 0\n"
                                     "chunk_records = 1\n"
                                     "[limits]\nmax_depth = 0\n");
    assert_int_equal(ps_spool_config_load(path, 0, &cfg, &err), 0);
    assert_int_equal(cfg.stable_seconds, 86400);
    assert_int_equal(cfg.chunk_records, 1);
    assert_int_equal(cfg.limits.max_depth, 0);
}

static void test_config_syntax_error(void **state)
{
    struct fixture *fx = *state;
    expect_cfg_error(fx, "[spool]\nthis is not a setting\n", "CONFIG_SYNTAX", 2,
                     NULL);
}

static void test_config_first_error_wins(void **state)
{
    struct fixture *fx = *state;
    /* Two mistakes: the error reported is the first, whole (rule, line
     * and field of the same line).  inih keeps parsing after the handler
     * refuses a line and returns the first bad line number, so the
     * handler must not overwrite an error already set. */
    expect_cfg_error(fx,
                     "[spool]\n"
                     "colour = blue\n"
                     "stable_seconds = 5\n"
                     "chunk_records = 0\n",
                     "CONFIG_KEY", 2, "colour");
}

static void test_config_missing_file(void **state)
{
    struct fixture *fx = *state;
    struct ps_spool_config cfg, def;
    struct ps_err err;
    const char *path = sp(fx, "no-such.ini", 0);
    ps_spool_config_default(&def);
    cfg = def;
    ps_err_clear(&err);
    assert_int_equal(ps_spool_config_load(path, 1, &cfg, &err), 0);
    assert_memory_equal(&cfg, &def, sizeof(cfg));

    ps_err_clear(&err);
    int rc = ps_spool_config_load(path, 0, &cfg, &err);
    assert_true(rc < 0);
    assert_int_equal(rc, err.code);
    assert_int_equal(err.sys_errno, ENOENT);
    assert_string_equal(err.file, path);
    assert_memory_equal(&cfg, &def, sizeof(cfg));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_ignored_names_never_offered),
        T(test_missing_inbound_is_empty),
        T(test_stable_after_unchanged_period),
        T(test_size_change_restarts_clock),
        T(test_mtime_change_restarts_clock),
        T(test_watch_forgets_removed_files),
        T(test_min_age),
        T(test_both_rules_must_hold),
        T(test_done_marker_completes_at_once),
        T(test_stale_done_marker_not_complete),
        T(test_oldest_first),
        T(test_claim_moves_file_and_marker),
        T(test_leftover_takes_its_marker_back),
        T(test_claim_never_overwrites),
        T(test_claim_creates_work_folder),
        T(test_non_regular_entries),
        T(test_watch_two_businesses),
        T(test_reason_of_non_regular_is_clean),
        T(test_control_character_names_refused),
        T(test_archive_gzip_with_sidecars),
        T(test_archive_twice_is_idempotent),
        T(test_archive_errors_keep_work_copy),
        T(test_quarantine_reason_and_no_overwrite),
        T(test_quarantine_after_operator_retry),
        T(test_config_overrides_defaults),
        T(test_config_unknown_key),
        T(test_config_bad_values),
        T(test_config_syntax_error),
        T(test_config_first_error_wins),
        T(test_config_missing_file),
    };
#undef T
    if (sodium_init() < 0)
        return 1;
    ps_log_open(NULL, PS_LOG_ERROR, NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
