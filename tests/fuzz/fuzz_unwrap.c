/*
 * fuzz_unwrap.c -- the unwrapper (gzip, zip, tar, nesting) on arbitrary
 * bytes, through ps_unwrap_verify() with small limits.
 *
 * Invariants: it never crashes, hangs or leaks; it either succeeds or
 * fails with PS_EINVAL and an UNWRAP_* rule (or PS_ENOMEM), and the error
 * names the input.  The bytes go to one temporary file per process (the
 * unwrapper reads files, not memory), rewritten for every input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/archive/unwrap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[4096];
static int fd = -1;

static void cleanup(void)
{
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_unwrap_limits lim;
    struct ps_err err;
    int rc, ndocs = 0;
    size_t done = 0;

    if (fd < 0) {
        const char *tmp = getenv("TMPDIR");
        if (tmp == NULL || tmp[0] == '\0')
            tmp = "/tmp";
        snprintf(path, sizeof(path), "%s/fuzz_unwrap.XXXXXX", tmp);
        fd = mkstemp(path);
        if (fd < 0)
            abort();
        atexit(cleanup);
    }
    if (ftruncate(fd, 0) != 0)
        abort();
    while (done < size) {
        ssize_t w = pwrite(fd, data + done, size - done, (off_t)done);
        if (w <= 0)
            abort();
        done += (size_t)w;
    }

    ps_unwrap_limits_default(&lim);
    lim.max_members = 64;
    lim.max_bytes = (int64_t)4 << 20;
    lim.max_ratio = 1000;
    rc = ps_unwrap_verify(path, "fuzz.bin", &lim, &ndocs, &err);
    if (rc == 0 || rc == PS_ENOMEM) {
        if (rc == 0 && ndocs < 0)
            abort();
        return 0;
    }
    if (rc != PS_EINVAL || strncmp(err.rule, "UNWRAP_", 7) != 0 ||
        strcmp(err.file, "fuzz.bin") != 0)
        abort();
    return 0;
}
