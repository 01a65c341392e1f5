/*
 * metrics.h -- the store side of the Prometheus textfile
 * (sched/metrics.c writes the file; src/store/metrics.c runs its SQL):
 * totals over the whole database, grouped by the labels of each metric.
 *
 * How it fails: as every store function (store.h): PS_ESTORE, PS_EBUSY,
 * PS_ENOMEM from SQLite; PS_EINTERNAL for a query number out of range.
 */
#ifndef PS_STORE_METRICS_H
#define PS_STORE_METRICS_H

#include "base/err.h"
#include "store/recon.h" /* struct ps_recon_row, the generic result row */

struct ps_store;

enum ps_metrics_query {
    /* business, format, status, files, records, accepted, rejected,
     * duplicates: input files by their status */
    PS_METRICS_Q_INTAKE,
    /* business, format, currency, amount_accepted: applied files */
    PS_METRICS_Q_INTAKE_AMOUNTS,
    /* business, kind, files: outbound payment files */
    PS_METRICS_Q_PAYOUT_FILES,
    /* business, kind, created_at, direction, currency, items, amount:
     * the items of each outbound payment file, oldest file first (from
     * output_sums, and the items of any file not yet summed there;
     * sched/metrics.c sums them per business and per job run) */
    PS_METRICS_Q_OUTPUT_ITEMS,
    /* business, status, currency, answers, amount: provider answers */
    PS_METRICS_Q_ANSWERS,
    PS_METRICS_Q_N
};

/* Sum the items of the payment files not yet summed into the cache the
 * query PS_METRICS_Q_OUTPUT_ITEMS reads (it sums the others itself, so a
 * failure here, PS_EBUSY say, costs time, not a wrong figure). */
int ps_store_metrics_keep_sums(struct ps_store *store, struct ps_err *err);
/* A payment file's sums, kept as its items are written (the caller's
 * transaction, with the output row): the n transactions it pays, summed
 * by direction and currency in memory, so that no metrics tick joins
 * them back to their transactions.  More currencies than a file can
 * sensibly carry: nothing kept (the tick sums that file itself). */
struct ps_txn;
int ps_store_output_sums_put(struct ps_store *store, const char *output_id,
                             const struct ps_txn *v, size_t n,
                             struct ps_err *err);

/* Run query q, calling cb(ctx, row) per row; a non-zero return stops. */
int ps_store_metrics_query(struct ps_store *store, enum ps_metrics_query q,
                           int (*cb)(void *ctx, const struct ps_recon_row *),
                           void *ctx, struct ps_err *err);

#endif /* PS_STORE_METRICS_H */
