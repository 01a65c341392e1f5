/*
 * test_output.c -- unit tests for output.c: commit publishes NAME,
 * NAME.sha256 (checked against a hash recomputed here with
 * crypto_hash_sha256 over the file) and an empty NAME.done with exactly
 * the requested mode under any umask; no temporary files are left on any
 * path; existing names are never overwritten (at open, and when the name
 * appears between open and commit); abort leaves nothing; bad names and
 * folders are refused; a large output is hashed right; CSV cell quoting
 * and formula neutralisation; ps_sha256_fd known-answer vectors.
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
#include <unistd.h>

#include <sodium.h>

#include "base/output.h"
#include "testutil.h"

#define SHA256_EMPTY                                                           \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_ABC                                                             \
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

/* The fixture: a fresh temporary directory (testutil.h). */
#define fixture ps_test_dir

/* Path of `name` inside the test directory (static buffer per slot). */
static const char *path_in(const struct fixture *fx, const char *name, int slot)
{
    return ps_test_path(fx->dir, name, (unsigned)slot);
}

static int setup(void **state)
{
    return ps_test_dir_setup(state, "test_output");
}

static int teardown(void **state)
{
    return ps_test_dir_teardown(state);
}

/* Read a whole file into a malloc'd buffer (NUL-terminated); *len set. */
static char *slurp(const char *path, size_t *len)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st), 0);
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    assert_non_null(buf);
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        assert_true(r > 0);
        got += (size_t)r;
    }
    buf[n] = '\0';
    close(fd);
    *len = n;
    return buf;
}

static void write_file(const char *path, const char *data)
{
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
    assert_true(fd >= 0);
    size_t len = strlen(data);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

/* Number of entries in the test directory; *dots gets those starting with
 * '.' other than "." and ".." (temporary files). */
static int count_entries(const struct fixture *fx, int *dots)
{
    DIR *d = opendir(fx->dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    *dots = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        if (e->d_name[0] == '.')
            (*dots)++;
    }
    closedir(d);
    return n;
}

static void assert_no_tmp(const struct fixture *fx)
{
    int dots;
    count_entries(fx, &dots);
    assert_int_equal(dots, 0);
}

static void assert_absent(const struct fixture *fx, const char *name)
{
    struct stat st;
    assert_int_equal(lstat(path_in(fx, name, 3), &st), -1);
    assert_int_equal(errno, ENOENT);
}

/*
 * Check a committed output: NAME holds `len` bytes of `want` (if not NULL)
 * with mode `mode`, NAME.sha256 is "<hex>  NAME\n" with the hash
 * recomputed here and equal to `hex`, NAME.done is empty, no temp files.
 */
static void assert_published(const struct fixture *fx, const char *name,
                             const char *want, size_t want_len, mode_t mode,
                             const char *hex)
{
    char sidecar[NAME_MAX + 1];
    struct stat st;
    size_t len;

    const char *path = path_in(fx, name, 0);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, mode);
    char *data = slurp(path, &len);
    assert_int_equal(len, want_len);
    if (want != NULL)
        assert_memory_equal(data, want, len);

    unsigned char digest[crypto_hash_sha256_BYTES];
    char recomputed[PS_SHA256_HEX];
    crypto_hash_sha256(digest, (const unsigned char *)data, len);
    sodium_bin2hex(recomputed, sizeof(recomputed), digest, sizeof(digest));
    free(data);
    assert_string_equal(recomputed, hex);

    snprintf(sidecar, sizeof(sidecar), "%s.sha256", name);
    path = path_in(fx, sidecar, 1);
    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, mode);
    char *line = slurp(path, &len);
    char want_line[PS_SHA256_HEX + NAME_MAX + 4];
    snprintf(want_line, sizeof(want_line), "%s  %s\n", recomputed, name);
    assert_string_equal(line, want_line);
    assert_int_equal(len, strlen(want_line));
    free(line);

    snprintf(sidecar, sizeof(sidecar), "%s.done", name);
    path = path_in(fx, sidecar, 2);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_size, 0);
    assert_int_equal(st.st_mode & 07777, mode);

    assert_no_tmp(fx);
}

/* ------------------------------------------------------------------ */
/* Commit                                                              */
/* ------------------------------------------------------------------ */

static void commit_with_umask(const struct fixture *fx, mode_t umask_value,
                              mode_t mode)
{
    char name[64];
    char hex[PS_SHA256_HEX] = "";
    struct ps_output *o = NULL;
    struct ps_err err;
    ps_err_clear(&err);
    snprintf(name, sizeof(name), "result_%03o_%04o.csv", (unsigned)umask_value,
             (unsigned)mode);

    mode_t old = umask(umask_value);
    int rc = ps_output_open(fx->dir, name, mode, &o, &err);
    if (rc == 0) {
        rc = ps_output_write(o, "id,amount\n", 10, &err);
        assert_int_equal(rc, 0);
        rc = ps_output_printf(o, &err, "%s,%d\n", "T1", 1250);
        assert_int_equal(rc, 0);
        assert_int_equal(ps_output_size(o), 18);
        rc = ps_output_commit(o, hex, &err);
    }
    umask(old);
    assert_int_equal(rc, 0);
    assert_published(fx, name, "id,amount\nT1,1250\n", 18, mode, hex);
}

static void test_commit_publishes_all(void **state)
{
    commit_with_umask(*state, 027, 0640);
}

static void test_commit_mode_despite_umask(void **state)
{
    const struct fixture *fx = *state;
    commit_with_umask(fx, 077, 0640); /* umask would narrow to 0600 */
    commit_with_umask(fx, 077, 0600);
    commit_with_umask(fx, 022, 0640);
    commit_with_umask(fx, 022, 0600);
    commit_with_umask(fx, 0, 0600); /* umask would leave it alone */
}

/* A crash after NAME was published, before its sidecars: completing it
 * writes NAME.sha256 (of NAME as it is) and NAME.done, and is idempotent. */
static void test_complete_after_crash(void **state)
{
    const struct fixture *fx = *state;
    char hex[PS_SHA256_HEX], want[160];
    struct ps_err err;
    size_t len;
    write_file(path_in(fx, "r.csv", 0), "abc");
    ps_err_clear(&err);
    assert_int_equal(ps_output_complete(fx->dir, "r.csv", hex, &err), 0);
    assert_string_equal(hex, SHA256_ABC);
    char *side = slurp(path_in(fx, "r.csv.sha256", 0), &len);
    snprintf(want, sizeof(want), "%s  r.csv\n", SHA256_ABC);
    assert_string_equal(side, want);
    free(side);
    struct stat st;
    assert_int_equal(stat(path_in(fx, "r.csv.done", 0), &st), 0);
    assert_int_equal(st.st_size, 0);
    /* Again: nothing changes, nothing fails. */
    assert_int_equal(ps_output_complete(fx->dir, "r.csv", NULL, &err), 0);
    /* Only .done missing: only .done is written. */
    assert_int_equal(unlink(path_in(fx, "r.csv.done", 0)), 0);
    assert_int_equal(ps_output_complete(fx->dir, "r.csv", NULL, &err), 0);
    assert_int_equal(stat(path_in(fx, "r.csv.done", 0), &st), 0);
    /* A missing output is an error. */
    assert_int_equal(ps_output_complete(fx->dir, "nope.csv", NULL, &err),
                     PS_ENOTFOUND);
}

static void test_commit_empty_output(void **state)
{
    char hex[PS_SHA256_HEX];
    struct ps_output *o = NULL;
    struct ps_err err;
    ps_err_clear(&err);

    assert_int_equal(ps_output_open(((struct fixture *)*state)->dir,
                                    "empty.txt", 0640, &o, &err),
                     0);
    assert_int_equal(ps_output_commit(o, hex, &err), 0);
    assert_string_equal(hex, SHA256_EMPTY);
    assert_published(*state, "empty.txt", "", 0, 0640, hex);
}

static void test_commit_null_digest(void **state)
{
    const struct fixture *fx = *state;
    struct ps_output *o = NULL;
    struct ps_err err;
    ps_err_clear(&err);

    assert_int_equal(ps_output_open(fx->dir, "abc", 0600, &o, &err), 0);
    assert_int_equal(ps_output_write(o, "abc", 3, &err), 0);
    assert_int_equal(ps_output_commit(o, NULL, &err), 0);
    assert_published(fx, "abc", "abc", 3, 0600, SHA256_ABC);
}

/* 5 MB written in pieces of varied sizes, some larger than the buffer. */
static void test_commit_large(void **state)
{
    const struct fixture *fx = *state;
    const size_t total = 5 * 1000 * 1000;
    unsigned char *want = malloc(total);
    char hex[PS_SHA256_HEX];
    struct ps_output *o = NULL;
    struct ps_err err;
    ps_err_clear(&err);
    assert_non_null(want);
    for (size_t i = 0; i < total; i++)
        want[i] = (unsigned char)((i * 2654435761u) >> 13);

    assert_int_equal(ps_output_open(fx->dir, "big.bin", 0640, &o, &err), 0);
    size_t done = 0, step = 1;
    while (done < total) {
        size_t n = step % 9973;
        if (step % 17 == 0)
            n = 70000 + step; /* bigger than the 64 KiB buffer */
        if (n > total - done)
            n = total - done;
        assert_int_equal(ps_output_write(o, want + done, n, &err), 0);
        done += n;
        step = step * 7 + 3;
        step %= 100003;
    }
    assert_int_equal(ps_output_size(o), total);
    assert_int_equal(ps_output_commit(o, hex, &err), 0);

    unsigned char digest[crypto_hash_sha256_BYTES];
    char expect[PS_SHA256_HEX];
    crypto_hash_sha256(digest, want, total);
    sodium_bin2hex(expect, sizeof(expect), digest, sizeof(digest));
    assert_string_equal(hex, expect);
    assert_published(fx, "big.bin", (const char *)want, total, 0640, hex);
    free(want);
}

static void test_printf_long_line(void **state)
{
    const struct fixture *fx = *state;
    char hex[PS_SHA256_HEX];
    struct ps_output *o = NULL;
    struct ps_err err;
    ps_err_clear(&err);
    size_t n = 20000;
    char *big = malloc(n + 1);
    char *want = malloc(n + 8);
    assert_non_null(big);
    assert_non_null(want);
    memset(big, 'x', n);
    big[n] = '\0';
    snprintf(want, n + 8, "<%s>\n", big);

    assert_int_equal(ps_output_open(fx->dir, "long.txt", 0640, &o, &err), 0);
    assert_int_equal(ps_output_printf(o, &err, "<%s>\n", big), 0);
    assert_int_equal(ps_output_size(o), n + 3);
    assert_int_equal(ps_output_commit(o, hex, &err), 0);
    assert_published(fx, "long.txt", want, n + 3, 0640, hex);
    free(big);
    free(want);
}

/* ------------------------------------------------------------------ */
/* No clobbering                                                       */
/* ------------------------------------------------------------------ */

static void test_open_refuses_existing(void **state)
{
    const struct fixture *fx = *state;
    struct ps_output *o = NULL;
    struct ps_err err;
    ps_err_clear(&err);

    write_file(path_in(fx, "out.csv", 0), "old\n");
    ps_test_expect_err(ps_output_open(fx->dir, "out.csv", 0640, &o, &err), &err,
                       PS_ECONFLICT, "OUTPUT_EXISTS");
    assert_null(o); /* out-parameter untouched on error */

    write_file(path_in(fx, "b.csv.done", 0), "");
    ps_test_expect_err(ps_output_open(fx->dir, "b.csv", 0640, &o, &err), &err,
                       PS_ECONFLICT, "OUTPUT_EXISTS");
    write_file(path_in(fx, "c.csv.sha256", 0), "");
    ps_test_expect_err(ps_output_open(fx->dir, "c.csv", 0640, &o, &err), &err,
                       PS_ECONFLICT, "OUTPUT_EXISTS");
    /* A dangling symlink counts as taken too. */
    assert_int_equal(symlink("nowhere", path_in(fx, "d.csv", 0)), 0);
    ps_test_expect_err(ps_output_open(fx->dir, "d.csv", 0640, &o, &err), &err,
                       PS_ECONFLICT, "OUTPUT_EXISTS");
    assert_no_tmp(fx);
}

/* NAME appears between open and commit: commit must not replace it. */
static void test_commit_race_refuses(void **state)
{
    const struct fixture *fx = *state;
    char hex[PS_SHA256_HEX] = "untouched";
    struct ps_output *o = NULL;
    struct ps_err err;
    size_t len;
    ps_err_clear(&err);

    assert_int_equal(ps_output_open(fx->dir, "pay.ach", 0640, &o, &err), 0);
    assert_int_equal(ps_output_write(o, "new content\n", 12, &err), 0);
    write_file(path_in(fx, "pay.ach", 0), "someone else's file\n");
    ps_test_expect_err(ps_output_commit(o, hex, &err), &err, PS_ECONFLICT,
                       "OUTPUT_EXISTS");
    assert_string_equal(hex, "untouched");

    char *data = slurp(path_in(fx, "pay.ach", 0), &len);
    assert_string_equal(data, "someone else's file\n");
    free(data);
    assert_absent(fx, "pay.ach.sha256");
    assert_absent(fx, "pay.ach.done");
    assert_no_tmp(fx);
    int dots;
    assert_int_equal(count_entries(fx, &dots), 1);
}

/* NAME.done appears between open and commit: NAME and NAME.sha256 are
 * published, the foreign NAME.done is left alone, the error says so. */
static void test_commit_race_on_done(void **state)
{
    const struct fixture *fx = *state;
    struct ps_output *o = NULL;
    struct ps_err err;
    size_t len;
    ps_err_clear(&err);

    assert_int_equal(ps_output_open(fx->dir, "r.txt", 0640, &o, &err), 0);
    assert_int_equal(ps_output_write(o, "abc", 3, &err), 0);
    write_file(path_in(fx, "r.txt.done", 0), "foreign");
    ps_test_expect_err(ps_output_commit(o, NULL, &err), &err, PS_ECONFLICT,
                       "OUTPUT_EXISTS");
    assert_non_null(strstr(err.msg, "not marked done"));

    char *data = slurp(path_in(fx, "r.txt", 0), &len);
    assert_string_equal(data, "abc");
    free(data);
    data = slurp(path_in(fx, "r.txt.done", 0), &len);
    assert_string_equal(data, "foreign");
    free(data);
    assert_no_tmp(fx);
}

/* ------------------------------------------------------------------ */
/* Abort and refusals                                                  */
/* ------------------------------------------------------------------ */

static void test_abort_leaves_nothing(void **state)
{
    const struct fixture *fx = *state;
    struct ps_output *o = NULL;
    struct ps_err err;
    int dots;
    ps_err_clear(&err);

    assert_int_equal(ps_output_open(fx->dir, "gone.csv", 0640, &o, &err), 0);
    assert_int_equal(count_entries(fx, &dots), 1); /* the temporary file */
    assert_int_equal(dots, 1);
    assert_int_equal(ps_output_write(o, "partial", 7, &err), 0);
    ps_output_abort(o);
    assert_int_equal(count_entries(fx, &dots), 0);
    ps_output_abort(NULL);
}

static void test_invalid_names(void **state)
{
    const struct fixture *fx = *state;
    static const char *const bad[] = {"",     ".",         "..",     ".hidden",
                                      "a/b",  "/abs",      "dir/",   "a\nb",
                                      "a\\b", "tab\there", "del\x7f"};
    struct ps_output *o = NULL;
    struct ps_err err;
    char longname[PS_OUTPUT_NAME_MAX + 2];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ps_err_clear(&err);
        ps_test_expect_err(ps_output_open(fx->dir, bad[i], 0640, &o, &err),
                           &err, PS_EINVAL, "OUTPUT_NAME");
    }
    ps_err_clear(&err);
    ps_test_expect_err(ps_output_open(fx->dir, NULL, 0640, &o, &err), &err,
                       PS_EINVAL, "OUTPUT_NAME");

    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    ps_test_expect_err(ps_output_open(fx->dir, longname, 0640, &o, &err), &err,
                       PS_EINVAL, "OUTPUT_NAME");
    /* The longest allowed name works, sidecars included. */
    longname[PS_OUTPUT_NAME_MAX] = '\0';
    assert_int_equal(ps_output_open(fx->dir, longname, 0640, &o, &err), 0);
    assert_int_equal(ps_output_commit(o, NULL, &err), 0);

    ps_err_clear(&err);
    ps_test_expect_err(ps_output_open(fx->dir, "x", 04750, &o, &err), &err,
                       PS_EINVAL, "OUTPUT_MODE");
    assert_no_tmp(fx);
}

static void test_bad_folders(void **state)
{
    const struct fixture *fx = *state;
    struct ps_output *o = NULL;
    struct ps_err err;
    ps_err_clear(&err);

    ps_test_expect_err(
        ps_output_open(path_in(fx, "missing", 0), "x", 0640, &o, &err), &err,
        PS_ENOTFOUND, "OUTPUT_DIR");

    write_file(path_in(fx, "plain", 0), "");
    ps_test_expect_err(
        ps_output_open(path_in(fx, "plain", 0), "x", 0640, &o, &err), &err,
        PS_ECONFIG, "OUTPUT_DIR");

    assert_int_equal(mkdir(path_in(fx, "real", 0), 0750), 0);
    assert_int_equal(symlink("real", path_in(fx, "link", 1)), 0);
    ps_test_expect_err(
        ps_output_open(path_in(fx, "link", 1), "x", 0640, &o, &err), &err,
        PS_ECONFIG, "OUTPUT_DIR");
    assert_non_null(strstr(err.msg, "symbolic link"));
    assert_absent(fx, "real/x");
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */
/* ------------------------------------------------------------------ */

static const struct {
    const char *cell;
    const char *want;
} csv_cases[] = {
    {"plain", "plain"},
    {"", ""},
    {NULL, ""},
    {"a,b", "\"a,b\""},
    {"say \"hi\"", "\"say \"\"hi\"\"\""},
    {"\"", "\"\"\"\""},
    {"line1\nline2", "\"line1\nline2\""},
    {"a\rb", "\"a\rb\""},
    {" lead", "\" lead\""},
    {"trail ", "\"trail \""},
    {"in side", "in side"},
    {"a=b", "a=b"},
    {"=1+1", "\"'=1+1\""},
    {"+1", "\"'+1\""},
    {"-1", "\"'-1\""},
    {"@SUM(A1:A9)", "\"'@SUM(A1:A9)\""},
    {"\tx", "\"'\tx\""},
    {"\rx", "\"'\rx\""},
    {"=HYPERLINK(\"http://x\",\"y\")",
     "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
    {"=", "\"'=\""},
};

static void test_csv_cells(void **state)
{
    const struct fixture *fx = *state;
    for (size_t i = 0; i < sizeof(csv_cases) / sizeof(csv_cases[0]); i++) {
        char name[32];
        struct ps_output *o = NULL;
        struct ps_err err;
        size_t len;
        ps_err_clear(&err);
        snprintf(name, sizeof(name), "cell%zu.csv", i);
        assert_int_equal(ps_output_open(fx->dir, name, 0640, &o, &err), 0);
        assert_int_equal(ps_output_csv_cell(o, csv_cases[i].cell, &err), 0);
        assert_int_equal(ps_output_commit(o, NULL, &err), 0);
        char *got = slurp(path_in(fx, name, 0), &len);
        if (strcmp(got, csv_cases[i].want) != 0)
            fail_msg("case %zu: got [%s], want [%s]", i, got,
                     csv_cases[i].want);
        free(got);
    }
}

static void test_csv_row(void **state)
{
    const struct fixture *fx = *state;
    const char *const row1[] = {"id", "name, first", "=cmd", NULL, "-5"};
    const char *const row2[] = {"only"};
    struct ps_output *o = NULL;
    struct ps_err err;
    size_t len;
    ps_err_clear(&err);

    assert_int_equal(ps_output_open(fx->dir, "rows.csv", 0640, &o, &err), 0);
    assert_int_equal(ps_output_csv_row(o, row1, 5, &err), 0);
    assert_int_equal(ps_output_csv_row(o, row2, 1, &err), 0);
    assert_int_equal(ps_output_csv_row(o, NULL, 0, &err), 0);
    assert_int_equal(ps_output_commit(o, NULL, &err), 0);
    char *got = slurp(path_in(fx, "rows.csv", 0), &len);
    assert_string_equal(got, "id,\"name, first\",\"'=cmd\",,\"'-5\"\nonly\n\n");
    free(got);
}

/* ------------------------------------------------------------------ */
/* ps_sha256_fd                                                        */
/* ------------------------------------------------------------------ */

static void hash_file(const struct fixture *fx, const char *content, off_t skip,
                      const char *want, int64_t want_size)
{
    const char *path = path_in(fx, "input", 0);
    char hex[PS_SHA256_HEX];
    int64_t size = -1;
    struct ps_err err;
    ps_err_clear(&err);
    unlink(path);
    write_file(path, content);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(lseek(fd, skip, SEEK_SET), skip);
    assert_int_equal(ps_sha256_fd(fd, hex, &size, &err), 0);
    close(fd);
    assert_string_equal(hex, want);
    assert_int_equal(size, want_size);
}

static void test_sha256_fd_vectors(void **state)
{
    const struct fixture *fx = *state;
    hash_file(fx, "", 0, SHA256_EMPTY, 0);
    hash_file(fx, "abc", 0, SHA256_ABC, 3);
    hash_file(fx, "xyabc", 2, SHA256_ABC, 3); /* from the current position */
    hash_file(
        fx, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 0,
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", 56);
}

static void test_sha256_fd_pipe_and_null_size(void **state)
{
    (void)state;
    int p[2];
    char hex[PS_SHA256_HEX];
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "abc", 3), 3);
    close(p[1]);
    assert_int_equal(ps_sha256_fd(p[0], hex, NULL, &err), 0);
    close(p[0]);
    assert_string_equal(hex, SHA256_ABC);
}

static void test_sha256_fd_bad_fd(void **state)
{
    (void)state;
    char hex[PS_SHA256_HEX] = "untouched";
    int64_t size = 42;
    struct ps_err err;
    ps_err_clear(&err);
    ps_test_expect_err(ps_sha256_fd(-1, hex, &size, &err), &err, PS_EIO,
                       "IO_ERROR");
    assert_int_equal(err.sys_errno, EBADF);
    assert_string_equal(hex, "untouched");
    assert_int_equal(size, 42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_publishes_all, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_commit_mode_despite_umask, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_complete_after_crash, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_commit_empty_output, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_commit_null_digest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_commit_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_printf_long_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_refuses_existing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_commit_race_refuses, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_commit_race_on_done, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_invalid_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_folders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_cells, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sha256_fd_vectors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sha256_fd_pipe_and_null_size,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sha256_fd_bad_fd, setup, teardown),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
