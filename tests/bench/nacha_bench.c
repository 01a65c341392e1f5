/*
 * nacha_bench.c -- the NACHA reader (formats/nacha/reader.c) over a
 * file: open, next() to the end, finish(), streaming the file with
 * read(2) in the reader's blocks (so memory stays flat: measure peak RSS
 * with /usr/bin/time -v).  Numbers, not pass/fail.
 *
 *   nacha_bench FILE.ach [RUNS]      (default 5 runs, the best kept)
 *
 * Prints the best wall time, entries, problems and MB/s.  Exit 1 when
 * the file cannot be read or has problems.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "formats/nacha/nacha.h"

static ssize_t fd_read(void *ctx, void *buf, size_t n, struct ps_err *err)
{
    ssize_t k = read(*(int *)ctx, buf, n);
    if (k < 0)
        return ps_err_sys(err, 5, "read failed");
    return k;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    double best = 1e30;
    long entries = 0, problems = 0;
    off_t size = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: nacha_bench FILE.ach [RUNS]\n");
        return 1;
    }
    for (int run = 0; run < runs; run++) {
        int fd = open(argv[1], O_RDONLY);
        struct ps_stream in = {fd_read, &fd};
        struct ps_nacha_reader *r;
        struct ps_nacha_entry e;
        struct ps_nacha_file_info info;
        struct ps_err err;
        const struct ps_doc_problem *list;
        if (fd < 0) {
            perror(argv[1]);
            return 1;
        }
        size = lseek(fd, 0, SEEK_END);
        lseek(fd, 0, SEEK_SET);
        double t0 = now();
        if (ps_nacha_reader_open(&in, argv[1], 0, &r, &err) != 0)
            return 1;
        long n = 0;
        int rc;
        while ((rc = ps_nacha_reader_next(r, &e, &err)) > 0)
            n++;
        if (rc == 0)
            rc = ps_nacha_reader_finish(r, &info, &err);
        double t = now() - t0;
        ps_nacha_reader_problems(r, &list, &problems);
        ps_nacha_reader_close(r);
        close(fd);
        if (rc != 0) {
            fprintf(stderr, "nacha_bench: %s [%s]\n", err.msg, err.rule);
            return 1;
        }
        entries = n;
        if (t < best)
            best = t;
    }
    printf("nacha reader: %ld entries, %.1f MB, best of %d: %.3f s, %.0f MB/s, "
           "%.0f entries/s, %ld problems\n",
           entries, (double)size / 1e6, runs, best,
           (double)size / 1e6 / best, (double)entries / best, problems);
    return 0;
}
