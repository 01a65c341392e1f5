/*
 * bench_gen.c -- deterministic generator of the EWA benchmark's input
 * files (never a test): a roster of N enrolled employees with card
 * accounts and earned wages, and M disbursement requests in random
 * employee order.
 *
 *   bench_gen ROSTER.csv DISBURSEMENTS.csv EMPLOYEES REQUESTS [SEED]
 *
 * About 1 request in 200 names an employee that does not exist and 1 in
 * 500 asks for 0.00, so the run also exercises refusals; amounts are
 * 5.00 to 60.00 so that the limits of the benchmark's program accept the
 * rest.  The requests are bench_seq.h's sequence: nacha_gen and iso_gen
 * write the same ones as a PPD file and as a pain.001.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_seq.h"

#define rng bench_rng

/* A 16-digit Luhn-valid test card number: 400000 + 9-digit serial. */
static void card(long serial, char out[24])
{
    snprintf(out, 24, "400000%09d0", (int)(serial % 1000000000));
    int sum = 0;
    for (int i = 14, dbl = 1; i >= 0; i--, dbl = !dbl) {
        int d = out[i] - '0';
        if (dbl && (d *= 2) > 9)
            d -= 9;
        sum += d;
    }
    out[15] = (char)('0' + (10 - sum % 10) % 10);
}

static const char *const first[] = {"Maria",  "James",  "Aisha",    "Wei",
                                    "Carlos", "Olivia", "Mohammed", "Emma",
                                    "Kwame",  "Sofia",  "Liam",     "Priya"};
static const char *const last[] = {"Garcia",    "Smith",   "Okafor", "Chen",
                                   "Rodriguez", "Johnson", "Haddad", "Nguyen",
                                   "Mensah",    "Rossi",   "Murphy", "Patel"};

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: bench_gen ROSTER DISBURSEMENTS EMPLOYEES "
                        "REQUESTS [SEED]\n");
        return 64;
    }
    long n = atol(argv[3]), m = atol(argv[4]);
    bench_rng_state = argc > 5 ? strtoull(argv[5], NULL, 10) : 1;
    FILE *r = fopen(argv[1], "w"), *d = fopen(argv[2], "w");
    if (r == NULL || d == NULL || n <= 0 || m < 0) {
        perror("bench_gen");
        return 74;
    }
    fprintf(r, "external_id,first_name,last_name,email,phone,"
               "employment_status,program,enrollment_begin,card_number,"
               "earned_wages,period_start,period_end,currency\r\n");
    for (long i = 0; i < n; i++) {
        char pan[24];
        const char *f = first[rng() % 12], *l = last[rng() % 12];
        card(i, pan);
        fprintf(r,
                "E%07ld,%s,%s,e%07ld@example.com,+1555%07ld,ACTIVE,"
                "Bench EWA,2026-01-01,%s,4000.00,2026-11-16,2026-11-29,USD"
                "\r\n",
                i, f, l, i, i, pan);
    }
    fprintf(d, "request_id,external_id,amount,currency,rail\r\n");
    for (long j = 0; j < m; j++) {
        char req[16], ext[16];
        long cents;
        bench_request(j, n, req, ext, &cents);
        fprintf(d, "%s,%s,%ld.%02ld,USD,CARD\r\n", req, ext, cents / 100,
                cents % 100);
    }
    if (fclose(r) != 0 || fclose(d) != 0) {
        perror("bench_gen");
        return 74;
    }
    return 0;
}
