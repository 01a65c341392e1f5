/*
 * recon.h -- the daily reconciliation report (issue 5).
 *
 * For one business and one business date (a UTC day, 00:00:00.000Z to
 * 24:00), ps_recon_run() writes into <spool>/outbound/<business>/recon/
 *
 *   recon-<business>-<YYYYMMDD>-<NNN>.csv   one flat CSV, a `section`
 *                                           column tells the parts apart
 *   recon-<business>-<YYYYMMDD>-<NNN>.txt   a short human summary
 *   recon-<business>-<YYYYMMDD>-<NNN>.html  the same rows as one
 *                                           self-contained page
 *                                           (outbound/reconhtml.h)
 *
 * all three through output.c (temporary name, fsync, no-clobber rename,
 * .sha256, .done), and records the CSV in `outputs` (kind RECON, the
 * business date, seq NNN).  A rerun takes the next free NNN: a report is
 * never overwritten.  Every number comes from one SQL statement over the
 * store (store/recon.c and store/recon.h; the README's "Daily
 * reconciliation" and docs/reconciliation.md list them), all read in
 * one snapshot.  Then what the report found replaces the business's
 * <spool>/metrics/recon/<business>.json (outbound/reconstate.h) for the
 * metrics; a failure there is logged, not fatal.
 *
 * How it fails: store, I/O and output errors as usual, nothing recorded
 * in `outputs` (a file already written stays, and the next run takes the
 * next sequence).  A ledger trial balance that is not zero is written
 * into the report loudly and then returned as PS_EINVAL, rule
 * TRIAL_BALANCE_NOT_ZERO, so that the job running it fails.
 */
#ifndef PS_RECON_H
#define PS_RECON_H

#include <stdint.h>

#include "base/calendar.h"
#include "engine/engine.h"
#include "base/err.h"
#include "base/model.h"
#include "base/output.h"
#include "store/recon.h"
#include "store/store.h"
#include "outbound/reconstate.h"

/* Banking days after a payment file's business date by which its items
 * are expected to have settled; still PROCESSING or APPROVED after that
 * day, an item is late. */
#define PS_RECON_SETTLE_DAYS 1

/* The ACH return rates are over the debit entries sent in this many days
 * ending with the business date, and the returns received in them: NACHA
 * Rule 2.17.2 measures an originator over 60 days (or two months). */
#define PS_RECON_RATE_DAYS 60

/* Currencies of the trial balance kept in the result (more are checked,
 * only not copied out). */
#define PS_RECON_MAX_CURRENCIES 8

struct ps_recon_trial {
    char currency[4];
    int64_t debits, credits; /* minor units, over every account */
    int64_t balance;         /* debits - credits: must be 0 */
    int64_t mismatched;      /* entries crossing currencies: must be 0 */
};

struct ps_recon_result {
    char csv_path[PS_PATH_SIZE];
    char camt054_path[PS_PATH_SIZE]; /* the day's camt.054, "" if none */
    char camt053_path[PS_PATH_SIZE]; /* the day's camt.053, "" if none */
    char pain002_path[PS_PATH_SIZE]; /* the first later pain.002, or "" */
    int pain002_reports; /* later pain.002 status reports written */
    char summary_path[PS_PATH_SIZE];
    char html_path[PS_PATH_SIZE]; /* the page (outbound/reconhtml.h) */
    char sha256[PS_SHA256_HEX]; /* of the CSV */
    char output_id[PS_ID_SIZE]; /* its `outputs` row (kind RECON) */
    char business_date[PS_DATE_SIZE];
    int seq;                   /* NNN */
    long rows;                 /* CSV data rows (without the header) */
    long transactions;         /* created on the business date */
    long movements;            /* status changes on the business date */
    long files;                /* outbound payment files reported */
    long files_mismatched;     /* items not adding up to the controls */
    long unknown_references;   /* provider lines UNKNOWN_REFERENCE */
    long awaiting;             /* items in a file with no answer yet */
    long late;                 /* items past expected settlement */
    long receivable_profiles;  /* EWA profiles with amountToRecover > 0 */
    long receivable_diffs;     /* currencies where profiles != ledger */
    long ach_returns;          /* ACH returns applied on the day */
    long ach_nocs;             /* NOCs received on the day */
    int ach_rates_over;        /* NACHA return rates over their threshold
                                  (unauthorized, administrative, overall) */
    int nrates;                /* NACHA's debit return rates */
    struct ps_recon_rate rates[3];
    int trial_balanced;        /* 1 when every currency nets to zero */
    int ntrial;                /* rows in trial (at most the max) */
    struct ps_recon_trial trial[PS_RECON_MAX_CURRENCIES];
};

/*
 * Write the reconciliation report of business b for business_date (days
 * since 1970-01-01, a UTC day) under spool_dir, using cal for expected
 * settlement dates.  *res is filled when the report was written: on
 * success, and also when the trial balance is not zero (then the return
 * is PS_EINVAL, rule TRIAL_BALANCE_NOT_ZERO, after everything was
 * written and recorded).  On any other error *res is untouched.
 */
int ps_recon_run(struct ps_engine *eng, const char *spool_dir,
                 const struct ps_business *b, int64_t business_date,
                 const struct ps_calendar *cal, struct ps_recon_result *res,
                 struct ps_err *err);

#endif /* PS_RECON_H */
