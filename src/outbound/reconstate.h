/*
 * reconstate.h -- what the last reconciliation of each business found,
 * kept for the metrics (sched/metrics.c): the trial balance, unmatched
 * and late items, files not matching their controls, and NACHA's return
 * rates.  One small JSON file per business,
 * <spool>/metrics/recon/<business>.json, replaced whole (temporary name,
 * fsync, rename) after each report.  State, not an output: no .sha256 or
 * .done, and nobody picks it up.
 *
 * How it fails: PS_EIO (with errno) when the file cannot be written or
 * read; PS_ENOTFOUND from the reader when there is no state yet;
 * PS_EINVAL (rule RECON_STATE) when the file is not the JSON written here.
 */
#ifndef PS_RECONSTATE_H
#define PS_RECONSTATE_H

#include <stdint.h>

#include "base/clock.h"
#include "base/err.h"

/* One of NACHA's debit return rates (outbound/recon.h). */
struct ps_recon_rate {
    char category[16];    /* UNAUTHORIZED, ADMINISTRATIVE, OVERALL */
    int64_t threshold_bp; /* basis points */
    int64_t entries, returns;
    int over; /* returns / entries > threshold */
};

#define PS_RECON_STATE_CURRENCIES 8

/* What one report found. */
struct ps_recon_state {
    char business_date[PS_DATE_SIZE];
    int64_t generated_s; /* Unix seconds (read back only) */
    int trial_balanced;
    int ntrial;
    struct {
        char currency[4];
        int64_t balance;    /* minor units: must be 0 */
        int64_t mismatched; /* cross-currency entries: must be 0 */
    } trial[PS_RECON_STATE_CURRENCIES];
    long unknown_references, awaiting, late, files_mismatched;
    long receivable_diffs;
    int nrates;
    struct ps_recon_rate rates[3];
};

/* Replace the business's state with st (generated now). */
int ps_recon_state_write(const char *spool_dir, const char *business,
                         const struct ps_recon_state *st, struct ps_err *err);

/* The last state of business into *st. */
int ps_recon_state_read(const char *spool_dir, const char *business,
                        struct ps_recon_state *st, struct ps_err *err);

#endif /* PS_RECONSTATE_H */
