/*
 * iso_gen.c -- writes an N-transaction pain.001.001.09 for the ISO 20022
 * reader's benchmark (`payspool check` on it): 10,000 transactions a
 * PmtInf, each with USABA agents, a named creditor with a private id
 * (E0000001.. over EMPLOYEES), an account and remittance text (about
 * 580 bytes a transaction), correct NbOfTxs and CtrlSum everywhere.
 *
 *   iso_gen N OUT.xml [EMPLOYEES [CSV [PSTEST]]]
 *   iso_gen --bench N OUT.xml EMPLOYEES [SEED]
 *
 * --bench writes bench_gen's own N requests (bench_seq.h: same employees,
 * same amounts, same order, the same unknown employees) as credit
 * transfers: EndToEndId the request id, the creditor's private id the
 * employee's external id.  The requests for 0.00 (1 in 500) are left out:
 * the schema refuses an InstdAmt of zero, and with it the whole document.
 *
 * CSV and PSTEST: the same N records (request id = EndToEndId, external
 * id, amount) as a CSV disbursement file and a pstest file, for the end
 * to end comparison of tests/bench/iso_e2e.sh.
 *
 * Deterministic.  Exit 0, or 1 with a message on stderr.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_seq.h"

#define PER_BLOCK 10000L

/* --bench: the requests, drawn once (amounts sum before they are
 * written); else NULL. */
static long *bench_cents;
static char (*bench_ext)[16], (*bench_req)[16];

static long cents(long i)
{
    if (bench_cents != NULL)
        return bench_cents[i];
    return 500 + (i * 7919) % 5501; /* 5.00 .. 60.00 */
}

static void money(char *buf, size_t size, int64_t c)
{
    snprintf(buf, size, "%" PRId64 ".%02" PRId64, c / 100, c % 100);
}

/* The document's records as a CSV disbursement file and a pstest file. */
static int same_records(long n, long emp, const char *csv, const char *pst)
{
    char amt[32];
    int64_t total = 0;
    FILE *c = fopen(csv, "w"), *p = pst != NULL ? fopen(pst, "w") : NULL;
    if (c == NULL || (pst != NULL && p == NULL)) {
        perror(c == NULL ? csv : pst);
        return 1;
    }
    fprintf(c, "request_id,external_id,amount,currency,rail\r\n");
    if (p != NULL)
        fprintf(p, "PSTEST 1\n");
    for (long i = 0; i < n; i++) {
        money(amt, sizeof(amt), cents(i));
        total += cents(i);
        fprintf(c, "E2E-%08ld,E%07ld,%s,USD,CARD\r\n", i + 1, i % emp + 1,
                amt);
        if (p != NULL)
            fprintf(p, "SEND|E2E-%08ld|E%07ld|%s|USD\n", i + 1, i % emp + 1,
                    amt);
    }
    money(amt, sizeof(amt), total);
    if (p != NULL)
        fprintf(p, "TOTAL|%ld|%s|USD\n", n, amt);
    if (fclose(c) != 0 || (p != NULL && fclose(p) != 0)) {
        perror(csv);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    char amt[32];
    int bench = argc > 1 && strcmp(argv[1], "--bench") == 0;
    if (bench) {
        argv++;
        argc--;
    }
    if (argc < 3 || atol(argv[1]) <= 0 || (bench && argc < 4)) {
        fprintf(stderr, "usage: iso_gen N OUT.xml [EMPLOYEES [CSV [PSTEST]]]\n"
                        "       iso_gen --bench N OUT.xml EMPLOYEES [SEED]\n");
        return 1;
    }
    long n = atol(argv[1]), emp = argc > 3 ? atol(argv[3]) : 1000;
    FILE *out = fopen(argv[2], "w");
    if (out == NULL || emp <= 0) {
        perror(argv[2]);
        return 1;
    }
    if (bench) {
        bench_cents = calloc((size_t)n, sizeof(*bench_cents));
        bench_ext = calloc((size_t)n, sizeof(*bench_ext));
        bench_req = calloc((size_t)n, sizeof(*bench_req));
        if (bench_cents == NULL || bench_ext == NULL || bench_req == NULL) {
            perror("iso_gen");
            return 1;
        }
        bench_seq_start(argc > 4 ? strtoull(argv[4], NULL, 10) : 1, emp);
        long kept = 0;
        for (long i = 0; i < n; i++) {
            bench_request(i, emp, bench_req[kept], bench_ext[kept],
                          &bench_cents[kept]);
            if (bench_cents[kept] > 0)
                kept++;
        }
        n = kept;
    }
    int64_t total = 0;
    for (long i = 0; i < n; i++)
        total += cents(i);
    money(amt, sizeof(amt), total);
    fprintf(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09\">\n"
        "<CstmrCdtTrfInitn>\n<GrpHdr><MsgId>BENCH-%ld</MsgId>"
        "<CreDtTm>2026-12-04T09:30:00</CreDtTm><NbOfTxs>%ld</NbOfTxs>"
        "<CtrlSum>%s</CtrlSum><InitgPty><Nm>Bench Payroll Inc</Nm></InitgPty>"
        "</GrpHdr>\n",
        n, n, amt);
    for (long b = 0; b * PER_BLOCK < n; b++) {
        long first = b * PER_BLOCK, last = first + PER_BLOCK;
        if (last > n)
            last = n;
        int64_t sum = 0;
        for (long i = first; i < last; i++)
            sum += cents(i);
        money(amt, sizeof(amt), sum);
        fprintf(
            out,
            "<PmtInf><PmtInfId>BLOCK-%ld</PmtInfId><PmtMtd>TRF</PmtMtd>"
            "<NbOfTxs>%ld</NbOfTxs><CtrlSum>%s</CtrlSum>"
            "<PmtTpInf><LclInstrm><Prtry>PPD</Prtry></LclInstrm></PmtTpInf>\n"
            "<ReqdExctnDt><Dt>2026-12-07</Dt></ReqdExctnDt>"
            "<Dbtr><Nm>Bench Payroll Inc</Nm></Dbtr>"
            "<DbtrAcct><Id><Othr><Id>000123456789</Id></Othr></Id></DbtrAcct>"
            "<DbtrAgt><FinInstnId><ClrSysMmbId><ClrSysId><Cd>USABA</Cd>"
            "</ClrSysId><MmbId>011000015</MmbId></ClrSysMmbId></FinInstnId>"
            "</DbtrAgt>\n",
            b + 1, last - first, amt);
        for (long i = first; i < last; i++) {
            char e2e[24], ext[16];
            money(amt, sizeof(amt), cents(i));
            if (bench) { /* bench_gen's request id and employee */
                memcpy(e2e, bench_req[i], sizeof(bench_req[i]));
                memcpy(ext, bench_ext[i], sizeof(ext));
            } else {
                snprintf(e2e, sizeof(e2e), "E2E-%08ld", (i + 1) % 100000000L);
                snprintf(ext, sizeof(ext), "E%07ld", (i % emp + 1) % 10000000L);
            }
            fprintf(
                out,
                "<CdtTrfTxInf>\n  <PmtId><InstrId>I%08ld</InstrId>"
                "<EndToEndId>%s</EndToEndId></PmtId>\n"
                "  <Amt><InstdAmt Ccy=\"USD\">%s</InstdAmt></Amt>\n"
                "  <CdtrAgt><FinInstnId><ClrSysMmbId><ClrSysId><Cd>USABA</Cd>"
                "</ClrSysId><MmbId>021000021</MmbId></ClrSysMmbId>"
                "</FinInstnId></CdtrAgt>\n"
                "  <Cdtr><Nm>Employee Number %ld &amp; Family</Nm><Id><PrvtId>"
                "<Othr><Id>%s</Id></Othr></PrvtId></Id></Cdtr>\n"
                "  <CdtrAcct><Id><Othr><Id>98765%05ld</Id></Othr></Id>"
                "</CdtrAcct>\n"
                "  <RmtInf><Ustrd>Salary for the period ending 2026-12-05 "
                "paid by Bench Payroll</Ustrd></RmtInf>\n</CdtTrfTxInf>\n",
                i + 1, e2e, amt, i % emp + 1, ext, i % 100000);
        }
        fprintf(out, "</PmtInf>\n");
    }
    fprintf(out, "</CstmrCdtTrfInitn>\n</Document>\n");
    free(bench_cents);
    free(bench_ext);
    free(bench_req);
    if (fclose(out) != 0) {
        perror(argv[2]);
        return 1;
    }
    return !bench && argc > 4
               ? same_records(n, emp, argv[4], argc > 5 ? argv[5] : NULL)
               : 0;
}
