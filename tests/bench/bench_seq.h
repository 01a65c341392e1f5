/*
 * bench_seq.h -- the benchmark's disbursement requests as a sequence, so
 * that bench_gen (CSV), nacha_gen (PPD) and iso_gen (pain.001) write the
 * same records in the same order: same employee, same amount, same
 * refusals.  Header-only, for the generators of tests/bench/ (never a
 * test).
 *
 * bench_gen draws the roster first (two draws an employee, for the
 * names), then one draw a request; bench_seq_start() replays the roster's
 * draws so that the other generators start where bench_gen's requests
 * start.
 */
#ifndef PS_BENCH_SEQ_H
#define PS_BENCH_SEQ_H

#include <stdint.h>
#include <stdio.h>

static uint64_t bench_rng_state;

static inline uint64_t bench_rng(void) /* splitmix64 */
{
    uint64_t z = (bench_rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Start the sequence of seed `seed` after a roster of n employees. */
static inline void bench_seq_start(uint64_t seed, long n)
{
    bench_rng_state = seed;
    for (long i = 0; i < 2 * n; i++)
        (void)bench_rng();
}

/*
 * Request j (0-based, called in order) over n employees: its request id,
 * the employee's external id, and the amount in cents.  About 1 request
 * in 200 names an employee who does not exist (X...) and 1 in 500 asks
 * for 0.00, so every format also exercises refusals; the rest are 5.00 to
 * 60.00.
 */
static inline void bench_request(long j, long n, char req[16], char ext[16],
                                 long *cents)
{
    uint64_t x = bench_rng();
    long who = (long)(x % (uint64_t)n);
    *cents = 500 + (long)((x >> 32) % 5501);
    snprintf(req, 16, "R%08ld", j % 100000000L);
    snprintf(ext, 16, "%c%07ld", j % 200 == 7 ? 'X' : 'E', who % 10000000L);
    if (j % 200 != 7 && j % 500 == 11)
        *cents = 0;
}

#endif /* PS_BENCH_SEQ_H */
