/*
 * csv_bench.c -- the CSV reader against libcsv alone, on a disbursement
 * file (1,000,000 rows, about 40 MB, by default).  Numbers, not
 * pass/fail: timing never gates a test.
 *
 *   csv_bench [ROWS | FILE.csv]
 *
 * The document is held in memory so that only parsing is timed:
 *   - libcsv, default options: csv_parse() on 256 KiB blocks with
 *     callbacks that only count rows;
 *   - libcsv, the reader's dialect: the same with CSV_STRICT |
 *     CSV_STRICT_FINI and no space trimming (RFC 4180);
 *   - ps_format_csv: open(), next() until the end, finish() through a
 *     memory stream (which copies the document into the reader's
 *     blocks): line tracking, cells located (copied for lines that are
 *     not plain ASCII), layout mapping and every cell checked and
 *     normalised (amounts parsed and re-formatted).
 * Each is run seven times, interleaved, and the best CPU time kept.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <csv.h>

#include "formats/csv/csv.h"
#include "formats/format.h"

#define BLOCKSZ (256 * 1024)
#define RUNS 7

struct mem {
    const char *p;
    size_t left;
};

static ssize_t mem_read(void *ctx, void *buf, size_t n, struct ps_err *err)
{
    struct mem *m = ctx;
    (void)err;
    if (n > m->left)
        n = m->left;
    memcpy(buf, m->p, n);
    m->p += n;
    m->left -= n;
    return (ssize_t)n;
}

/* CPU time of the process: parsing is single-threaded and in memory,
 * and on a shared machine wall time mostly measures the neighbours. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cb1(void *s, size_t len, void *data)
{
    (void)s;
    (void)len;
    (void)data;
}

static void cb2(int c, void *data)
{
    (void)c;
    (*(long *)data)++;
}

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

/* libcsv alone: rows seen (the header included), or -1. */
static long raw_libcsv(const char *doc, size_t len, int dialect)
{
    struct csv_parser p;
    long rows = 0;
    if (csv_init(&p, dialect ? CSV_STRICT | CSV_STRICT_FINI : 0) != 0)
        return -1;
    if (dialect)
        csv_set_space_func(&p, no_space);
    for (size_t off = 0; off < len; off += BLOCKSZ) {
        size_t n = len - off < BLOCKSZ ? len - off : BLOCKSZ;
        if (csv_parse(&p, doc + off, n, cb1, cb2, &rows) != n) {
            csv_free(&p);
            return -1;
        }
    }
    csv_fini(&p, cb1, cb2, &rows);
    csv_free(&p);
    return rows;
}

/* The reader: records read, or -1. */
static long reader(const char *doc, size_t len, int64_t *amount)
{
    struct mem m = {doc, len};
    struct ps_stream in = {mem_read, &m};
    struct ps_record rec;
    struct ps_doc_totals t;
    struct ps_err err;
    void *st = NULL;
    long n = 0, bad = 0;
    int rc;
    if (ps_format_csv.open(&in, "bench.csv", &st, &err) != 0) {
        fprintf(stderr, "open: %s [%s]\n", err.msg, err.rule);
        return -1;
    }
    while ((rc = ps_format_csv.next(st, &rec, &err)) > 0) {
        n++;
        bad += rec.err.code != 0;
    }
    memset(&t, 0, sizeof(t));
    if (rc < 0 || ps_format_csv.finish(st, &t, &err) != 0) {
        fprintf(stderr, "read: %s [%s]\n", err.msg, err.rule);
        ps_format_csv.close(st);
        return -1;
    }
    ps_format_csv.close(st);
    if (bad > 0)
        fprintf(stderr, "note: %ld rejected records\n", bad);
    *amount = t.amount;
    return n;
}

static char *generate(long rows, size_t *len)
{
    static const char *const rails[] = {"CARD", "ACH"};
    size_t cap = (size_t)rows * 64 + 128, n = 0;
    char *doc = malloc(cap);
    if (doc == NULL)
        return NULL;
    n += (size_t)snprintf(doc, cap,
                          "request_id,external_id,amount,currency,rail\n");
    for (long i = 1; i <= rows; i++) {
        long cents = 2000 + (i * 7919) % 48000; /* $20.00 .. $499.99 */
        n += (size_t)snprintf(
            doc + n, cap - n, "EWA-20261120-%08ld,EMP%06ld,%ld.%02ld,USD,%s\n",
            i, 1 + i % 250000, cents / 100, cents % 100, rails[i % 2]);
    }
    *len = n;
    return doc;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *doc;
    long n;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || (doc = malloc((size_t)n + 1)) == NULL) {
        if (f != NULL)
            fclose(f);
        return NULL;
    }
    *len = fread(doc, 1, (size_t)n, f);
    fclose(f);
    return doc;
}

int main(int argc, char **argv)
{
    size_t len = 0;
    long rows = 1000000;
    char *doc;
    struct ps_err err;
    double best[3] = {1e30, 1e30, 1e30};
    long got[3] = {0, 0, 0};
    int64_t amount = 0;

    if (argc > 1 && strspn(argv[1], "0123456789") == strlen(argv[1]))
        rows = atol(argv[1]);
    doc = argc > 1 && strspn(argv[1], "0123456789") != strlen(argv[1])
              ? slurp(argv[1], &len)
              : generate(rows, &len);
    if (doc == NULL) {
        fprintf(stderr, "csv_bench: no document\n");
        return 1;
    }
    if (ps_csv_layouts_ensure(&err) != 0) {
        fprintf(stderr, "layouts: %s\n", err.msg);
        return 1;
    }
    for (int run = 0; run < RUNS; run++) {
        for (int k = 0; k < 3; k++) {
            double t0 = now();
            got[k] =
                k < 2 ? raw_libcsv(doc, len, k) - 1 : reader(doc, len, &amount);
            double dt = now() - t0;
            if (got[k] < 0) {
                fprintf(stderr, "csv_bench: run %d failed\n", k);
                return 1;
            }
            if (dt < best[k])
                best[k] = dt;
        }
    }
    static const char *const names[] = {"libcsv (default options)",
                                        "libcsv (reader's dialect)",
                                        "ps_format_csv (disbursements)"};
    printf("%-32s %10s %10s %12s %8s %8s\n", "csv parse", "rows", "cpu_s",
           "rows/s", "MB/s", "ratio");
    for (int k = 0; k < 3; k++)
        printf("%-32s %10ld %10.3f %12.0f %8.1f %8.2f\n", names[k], got[k],
               best[k], (double)got[k] / best[k], (double)len / 1e6 / best[k],
               best[k] / best[0]);
    printf("document: %.1f MB; amount total %lld minor units\n",
           (double)len / 1e6, (long long)amount);
    ps_csv_layouts_unload();
    free(doc);
    return 0;
}
