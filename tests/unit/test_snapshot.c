/*
 * test_snapshot.c -- the private copy of a claimed input (intake/
 * snapshot.h): its hash, taken by a second thread as the copy is made,
 * is the SHA-256 of the bytes (checked against a hash of the original
 * after, and a published test vector), for an empty file, a small one
 * and one of several copy steps (8 MiB each); the copy holds the same
 * bytes; a prefix check cuts it and hashes again.
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/output.h"
#include "intake/snapshot.h"

static void write_file(const char *path, size_t n, unsigned seed)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        fputc((int)(seed >> 16) & 0xff, f);
    }
    fclose(f);
}

static void path_in_tmp(char *buf, size_t size, const char *name)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(buf, size, "%s/%s", tmp ? tmp : "/tmp", name);
}

static void check_size(size_t n)
{
    char path[PATH_MAX], want[PS_SHA256_HEX], copied[PS_SHA256_HEX];
    struct ps_snapshot s;
    struct ps_err err;
    int64_t size = 0, csize = 0;
    path_in_tmp(path, sizeof(path), "snapshot-input");
    (void)unlink(path);
    write_file(path, n, (unsigned)n);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(ps_sha256_fd(fd, want, &size, &err), 0);
    close(fd);
    assert_int_equal(ps_snapshot_take(path, &s, &err), 0);
    assert_string_equal(s.sha256, want);
    assert_int_equal(s.size, (int64_t)n);
    /* The copy holds the same bytes. */
    assert_int_equal(lseek(s.fd, 0, SEEK_SET), 0);
    assert_int_equal(ps_sha256_fd(s.fd, copied, &csize, &err), 0);
    assert_string_equal(copied, want);
    assert_int_equal(csize, (int64_t)n);
    ps_snapshot_close(&s);
    chmod(path, 0600);
    unlink(path);
}

static void test_hash_of_copy(void **st)
{
    (void)st;
    check_size(0);
    check_size(1);
    check_size(65537);
    check_size((size_t)(8 << 20) * 3 + 12345); /* four copy steps */
}

static void test_vector_and_prefix(void **st)
{
    char path[PATH_MAX];
    struct ps_snapshot s;
    struct ps_err err;
    (void)st;
    path_in_tmp(path, sizeof(path), "snapshot-abc");
    (void)unlink(path);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("abcdef", f);
    fclose(f);
    assert_int_equal(ps_snapshot_take(path, &s, &err), 0);
    assert_int_equal(s.size, 6);
    /* The first 3 bytes are "abc" (FIPS 180-2's example). */
    assert_int_equal(
        ps_snapshot_prefix(&s, 3,
                           "ba7816bf8f01cfea414140de5dae2223"
                           "b00361a396177a9cb410ff61f20015ad",
                           &err),
        1);
    assert_int_equal(s.size, 3);
    ps_snapshot_close(&s);
    chmod(path, 0600);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_of_copy),
        cmocka_unit_test(test_vector_and_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
