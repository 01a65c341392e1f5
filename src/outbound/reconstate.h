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

#include "base/err.h"
#include "outbound/recon.h"

/* Replace the business's state with what res found. */
int ps_recon_state_write(const char *spool_dir, const char *business,
                         const struct ps_recon_result *res,
                         struct ps_err *err);

/* The last state of business into *res (only the fields written: date,
 * trial, counts, rates) and *generated_s (Unix seconds of the report). */
int ps_recon_state_read(const char *spool_dir, const char *business,
                        struct ps_recon_result *res, int64_t *generated_s,
                        struct ps_err *err);

#endif /* PS_RECONSTATE_H */
