/*
 * payout.h -- the push-to-card payout file for the card processor.
 *
 * One run takes a business's SEND transactions on the PUSH_TO_CARD rail in
 * status NEW (new disbursements) or PENDING (sent back by a provider error
 * with retries left), moves each NEW -> PENDING (SUBMIT) -> PROCESSING
 * (TRANSMIT, which counts the attempt) through ps_engine_txn_change()
 * inside the file's store transaction, and
 * writes them to
 *
 *   <spool>/outbound/<business>/payouts/p2c-<business>-<YYYYMMDD>-<NNN>.csv
 *
 * (mode 0600: it holds full card numbers), NNN the sequence per business
 * and business date.  Crash safety: the transitions, the `outputs` row
 * (with the content's sha256, computed before anything is written) and
 * one `output_items` row per line commit in ONE SQLite transaction first;
 * the file is written afterwards.  A PUSH_TO_CARD output whose NAME.done
 * is missing is regenerated from its items, byte for byte (checked
 * against the recorded sha256), by ps_payout_recover(), which every
 * ps_payout_run() calls first.  So a crash never pays a transaction twice
 * (it is in exactly one output, and no longer NEW or PENDING) and never
 * loses a payout file.
 *
 * The full card number is decrypted only into the file's bytes, which are
 * wiped after writing; results, logs and errors carry masks at most.
 *
 * File layout (CSV, LF line endings, header row):
 *
 *   reference,card_number,amount,currency,name,attempt
 *   <txn id>,4111111111111111,25.00,USD,Maria Gonzalez,1
 *   #trailer,file,business_date,currency,records,total
 *   #trailer,p2c-acme-20261120-001.csv,2026-11-20,USD,1,25.00
 *
 * with one `#trailer` value row per currency, in order of first use.
 */
#ifndef PS_PAYOUT_H
#define PS_PAYOUT_H

#include <stdint.h>

#include "engine/engine.h"
#include "base/err.h"
#include "base/model.h"

/* PS_PAYOUT_MAX_RECORDS, the lines a payout file holds at most, is in
 * engine/handle.h beside the engine setting it defaults (the spool
 * configuration, intake/spoolconf.c, reads it and may not include this
 * header). */

struct ps_payout_result {
    char path[PS_PATH_SIZE]; /* the first new file, "" if nothing to pay */
    int files;               /* new files: 1 + (due - 1) / max_records */
    long records;            /* lines in them */
    int64_t amount;          /* minor units: the files' total (one currency) */
    char currency[4];        /* "" when nothing was paid or when several
                              * currencies (then amount is 0; the trailer
                              * rows give each currency's total) */
    int regenerated;         /* earlier payout files rewritten after a crash */
};

/*
 * Write the business's payout file for business_date (days since the
 * epoch, clock.h).  Regenerates unfinished earlier files first.  Needs the
 * engine opened with its key file (rule KEYS_REQUIRED otherwise).
 * Transaction selection skips suspended customers and accounts (their
 * transactions wait).  On success *res is filled (path "" when nothing
 * was due).  Errors: store, I/O and crypto failures; PS_ESTATE rule
 * PAYOUT_SEQUENCE_EXHAUSTED after 999 files in a day; PS_EINTERNAL rule
 * PAYOUT_REGENERATE_MISMATCH when a regenerated file would not match its
 * recorded hash (nothing is written then).  When the file could not be
 * written after the commit, the error is returned and the next run writes
 * it.
 */
int ps_payout_run(struct ps_engine *eng, const char *spool_dir,
                  const struct ps_business *b, int64_t business_date,
                  struct ps_payout_result *res /* OUT */, struct ps_err *err);

/*
 * Regenerate every PUSH_TO_CARD output of the business whose NAME.done is
 * missing (a crash between the commit and the file).  *regenerated (may
 * be NULL) counts them.
 */
int ps_payout_recover(struct ps_engine *eng, const char *spool_dir,
                      const struct ps_business *b, int *regenerated,
                      struct ps_err *err);

#endif /* PS_PAYOUT_H */
