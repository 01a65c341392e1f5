/*
 * recon.h -- the store side of the daily reconciliation report
 * (outbound/recon.c writes the report; src/store/recon.c runs its SQL).
 *
 * One statement per report section, with named parameters, so that each
 * can be run as it is in the sqlite3 shell (README, "Daily
 * reconciliation"); ps_store_recon_sql() gives its text.  The store owns
 * the query list, so that the store includes nothing above it.
 *
 * How it fails: as every store function (store.h): PS_ESTORE, PS_EBUSY,
 * PS_ENOMEM from SQLite; PS_EINTERNAL for a query number out of range.
 */
#ifndef PS_STORE_RECON_H
#define PS_STORE_RECON_H

#include <stdint.h>

#include "base/err.h"

struct ps_store;

/* The report's queries, in the order the report uses them. */
enum ps_recon_query {
    PS_RECON_Q_TXNS,         /* transactions created on the day */
    PS_RECON_Q_MOVES,        /* status changes on the day */
    PS_RECON_Q_POSITIONS,    /* ledger balance per kind, open and close */
    PS_RECON_Q_FILES,        /* outbound payment files to report */
    PS_RECON_Q_FILE_ITEMS,   /* one file's items by outcome (:output) */
    PS_RECON_Q_UNKNOWN_REFS, /* provider lines with unknown references */
    PS_RECON_Q_OPEN_ITEMS,   /* items PROCESSING or APPROVED */
    PS_RECON_Q_EWA_AGING,    /* receivables by eligibility and age */
    PS_RECON_Q_EWA_CHECK,    /* amountToRecover against the ledger */
    PS_RECON_Q_ACH_RETURNS,  /* ACH returns applied on the day, per code */
    PS_RECON_Q_ACH_NOCS,     /* NOCs received on the day, per code */
    PS_RECON_Q_ACH_RATES,    /* NACHA debit return rates, 60 days */
    PS_RECON_Q_INTAKE,       /* input files received on the day */
    PS_RECON_Q_INTAKE_REFUSED, /* their refusals by code (record, file) */
    /* TXNS and MOVES from the running counters (schema v24): what
     * ps_store_recon_query() runs for TXNS and MOVES when the business
     * has at most one EWA program (the counters know whether a row has
     * a profile, not its program; with more, the rows are grouped) */
    PS_RECON_Q_TXNS_COUNTED,
    PS_RECON_Q_MOVES_COUNTED,
    /* POSITIONS from the day totals of the legs (schema v24), what
     * ps_store_recon_query() runs for POSITIONS on that schema */
    PS_RECON_Q_POSITIONS_COUNTED,
    /* EWA_CHECK with the receivable's balance from the day totals */
    PS_RECON_Q_EWA_CHECK_COUNTED,
    PS_RECON_Q_N
};

/* Named parameters of the queries; NULL binds nothing. */
struct ps_recon_params {
    const char *business; /* :business, a business id */
    const char *day;      /* :day, 'YYYY-MM-DD' */
    const char *next_day; /* :next_day, the day after */
    const char *output;   /* :output, an outputs id (FILE_ITEMS) */
    /* :window_start, the first day of the PS_RECON_RATE_DAYS ending
     * with :day (ACH_RATES; outbound/recon.h) */
    const char *window_start;
};

#define PS_RECON_COLS 12
/* One result row: every column both as text ("" for NULL) and as an
 * integer; the text pointers are borrowed until the callback returns. */
struct ps_recon_row {
    int ncols;
    const char *text[PS_RECON_COLS];
    int64_t num[PS_RECON_COLS];
};

/* Run query q, calling cb(ctx, row) per row; a non-zero return stops. */
int ps_store_recon_query(struct ps_store *store, enum ps_recon_query q,
                         const struct ps_recon_params *p,
                         int (*cb)(void *ctx, const struct ps_recon_row *),
                         void *ctx, struct ps_err *err);

/* The SQL text of query q (static), for documentation and tests. */
const char *ps_store_recon_sql(enum ps_recon_query q);

/* Compare recon_counts (schema v24) with a recomputation from the rows
 * (every business when business_id is NULL): cb gets one row per key
 * that differs -- business name, day, kind (CREATED or MOVED), rail,
 * type, from status, status, currency, stored count, recomputed count,
 * and the differences of amount and fee (recomputed - stored).
 * None when they agree, or when the schema has no counters. */
int ps_store_recon_counts_check(struct ps_store *store,
                                const char *business_id,
                                int (*cb)(void *ctx,
                                          const struct ps_recon_row *),
                                void *ctx, struct ps_err *err);

/* The trial balance of one business as ps_store_trial_balance() gives
 * it, from ledger_day_totals (schema v24; ledger verify checks them
 * against the rows), or from the rows on an older schema. */
struct ps_trial_row;
int ps_store_recon_trial(struct ps_store *store, const char *business_id,
                         int (*cb)(void *ctx, const struct ps_trial_row *),
                         void *ctx, struct ps_err *err);

/* The camt.053's movements of the business's FUNDING account in one
 * currency on the day, as ps_store_funding_moves() gives them (store.h),
 * read within the day's range of ledger entry ids (schema v27's
 * ledger_entry_days) rather than over every entry of every day. */
struct ps_funding_move_row;
int ps_store_recon_funding_moves(
    struct ps_store *store, const char *business_id, const char *currency,
    const char *day, const char *next_day,
    int (*cb)(void *ctx, const struct ps_funding_move_row *), void *ctx,
    struct ps_err *err);

/* The next free RECON sequence of (business, day) in `outputs`. */
int ps_store_recon_next_seq(struct ps_store *store, const char *business_id,
                            const char *day, int *seq, struct ps_err *err);

/* Record a written report in `outputs` (kind RECON). */
int ps_store_recon_output_insert(struct ps_store *store, const char *id,
                                 const char *business_id, const char *day,
                                 int seq, const char *path,
                                 const char *sha256, long records,
                                 const char *at, struct ps_err *err);

#endif /* PS_STORE_RECON_H */
