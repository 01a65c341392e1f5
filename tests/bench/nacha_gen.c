/*
 * nacha_gen.c -- writes an N-entry PPD payroll file for nacha_bench:
 * 10,000 entries a batch (service class 220, credits), an addenda 05 on
 * every tenth entry, correct controls, hash, block count and 9-padding.
 *
 *   nacha_gen N OUT.ach [EMPLOYEES]
 *
 * With EMPLOYEES, the file is one an employer sends payspool: individual
 * ids E0000001.. of bench_gen's roster, spread over the employees in a
 * scrambled order, amounts 5.00 to 60.00 -- EWA disbursement requests
 * the benchmark's program accepts.
 *
 *   nacha_gen --bench N OUT.ach EMPLOYEES [SEED]
 *
 * writes bench_gen's own N requests (bench_seq.h: same employees, same
 * amounts, same order, the same unknown employees and zero amounts) as
 * PPD credit entries: the CSV benchmark's file in NACHA.
 *
 * Deterministic: the same N writes the same bytes.  Exit 0, or 1 with a
 * message on stderr.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_seq.h"

#define PER_BATCH 10000L

static const char *const rdfis[] = {"021000021", "011000015", "091000019",
                                    "076401251", "121000248"};
static const char *const names[] = {
    "MARIA GARCIA", "JAMES O'BRIEN", "LINDA CHEN", "ROBERT SMITH",
    "ANA LOPEZ",    "DAVID KIM",     "SARAH JONES"};

static FILE *out;
static long records;

static void put(const char *rec)
{
    if (strlen(rec) != 94) {
        fprintf(stderr, "nacha_gen: bad record length %zu: %s\n", strlen(rec),
                rec);
        exit(1);
    }
    fputs(rec, out);
    fputc('\n', out);
    records++;
}

int main(int argc, char **argv)
{
    char r[200];
    long n, batches, seq = 0, addenda = 0, employees = 0;
    uint64_t fhash = 0;
    int64_t fcredit = 0;
    int bench = argc > 1 && strcmp(argv[1], "--bench") == 0;
    if (bench) { /* shift --bench off; SEED is the last argument */
        argv++;
        argc--;
        if (argc < 4 || argc > 5) {
            fprintf(stderr, "usage: nacha_gen --bench N OUT.ach EMPLOYEES "
                            "[SEED]\n");
            return 1;
        }
    }
    if ((argc != 3 && argc != 4 && !(bench && argc == 5)) ||
        (n = atol(argv[1])) <= 0 ||
        (argc >= 4 && (employees = atol(argv[3])) <= 0)) {
        fprintf(stderr, "usage: nacha_gen N OUT.ach [EMPLOYEES]\n");
        return 1;
    }
    if (bench)
        bench_seq_start(argc == 5 ? strtoull(argv[4], NULL, 10) : 1, employees);
    if ((out = fopen(argv[2], "wb")) == NULL) {
        perror(argv[2]);
        return 1;
    }
    static char obuf[1 << 20];
    setvbuf(out, obuf, _IOFBF, sizeof(obuf));
    put("101 091000019 0764012512611200930A094101US BANK                "
        "NORTHWIND BANK         PAYROLL ");
    batches = (n + PER_BATCH - 1) / PER_BATCH;
    for (long b = 1; b <= batches; b++) {
        long count = 0;
        uint64_t hash = 0;
        int64_t credit = 0;
        snprintf(r, sizeof(r),
                 "5220NORTHWIND LOGIST                    1412345678PPD"
                 "PAYROLL         261123   107640125%07ld",
                 b);
        put(r);
        for (long i = 0; i < PER_BATCH && seq < n; i++) {
            const char *rdfi = rdfis[seq % 5];
            long amount = employees > 0 ? 500 + (seq * 7919) % 5501
                                        : 50000 + (seq * 7919) % 450000;
            int add = seq % 10 == 9;
            char id[32], req[16];
            seq++;
            if (bench) /* bench_gen's request seq - 1, as an entry */
                bench_request(seq - 1, employees, req, id, &amount);
            else if (employees > 0) /* a multiplicative scramble of 1..E */
                snprintf(
                    id, sizeof(id), "E%07ld",
                    (long)((uint64_t)seq * 2654435761u % (uint64_t)employees) +
                        1);
            else
                snprintf(id, sizeof(id), "EMP%07ld", seq % 10000000L);
            snprintf(r, sizeof(r),
                     "622%s%-17ld%010ld%-15s%-22s  %d07640125%07ld", rdfi,
                     100000000L + seq, amount, id, names[seq % 7], add,
                     seq % 10000000L);
            put(r);
            count++;
            uint64_t r8 = 0;
            for (int k = 0; k < 8; k++)
                r8 = r8 * 10 + (uint64_t)(rdfi[k] - '0');
            hash += r8;
            credit += amount;
            if (add) {
                snprintf(r, sizeof(r), "705%-80s0001%07ld",
                         "PAYROLL 2026-11-23 NET PAY", seq % 10000000L);
                put(r);
                count++;
                addenda++;
            }
        }
        snprintf(r, sizeof(r),
                 "8220%06ld%010llu%012d%012lld1412345678%25s07640125%07ld",
                 count, (unsigned long long)(hash % 10000000000ULL), 0,
                 (long long)credit, "", b);
        put(r);
        fhash += hash % 10000000000ULL;
        fcredit += credit;
    }
    snprintf(r, sizeof(r), "9%06ld%06ld%08ld%010llu%012d%012lld%39s", batches,
             (records + 1 + 9) / 10, n + addenda,
             (unsigned long long)(fhash % 10000000000ULL), 0,
             (long long)fcredit, "");
    put(r);
    while (records % 10 != 0)
        put("99999999999999999999999999999999999999999999999999999999999999"
            "99999999999999999999999999999999");
    if (fclose(out) != 0) {
        perror(argv[2]);
        return 1;
    }
    return 0;
}
