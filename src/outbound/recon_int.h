/*
 * recon_int.h -- private to the reconciliation report (outbound/recon.c
 * and the files of its other sections, as SQLite's whereInt.h serves
 * where*.c): the report's state and the three things a section does:
 * write a row (into the CSV and the page), run a query with the report's
 * parameters, and stop a query on an error.  Nothing outside
 * src/outbound/recon*.c includes it.
 */
#ifndef PS_RECON_INT_H
#define PS_RECON_INT_H

/* Include it after outbound/recon.h (struct ps_recon_result): it does
 * not include recon.h itself, so that recon.c including it is no
 * include cycle (tests/layers/check_layers.sh). */
#include "base/money.h"
#include "base/progress.h"
#include "outbound/reconhtml.h"
#include "store/recon.h"

struct rep {
    struct ps_engine *eng;
    const struct ps_business *b;
    const struct ps_calendar *cal;
    int64_t day;
    char d[PS_DATE_SIZE], next[PS_DATE_SIZE];
    struct ps_recon_params prm;
    struct ps_output *csv, *txt, *html;
    struct ps_reconhtml *page; /* every row again, for the HTML page */
    struct ps_recon_result r;  /* copied out at the end */
    struct ps_err *err;
    /* The report's and the page's generation times, taken when the
     * snapshot is (ps_recon_run), before the camt.053's. */
    char now[PS_TIME_SIZE], page_now[PS_TIME_SIZE];
    int rc;   /* an error met inside a row callback */
    int pass; /* which use of a query a callback is in */
    /* per file, while its items are read */
    const char *file, *file_rail;
    long items;
    int64_t credits, debits;
    long outcome[8];
    /* the file's item groups, read before its lines (file_row) */
    struct item_grp {
        char direction[8], outcome[12], currency[4];
        int64_t n, amount;
        int own; /* of the business: the others only name the currency */
    } *grp;
    size_t ngrp, grpcap;
    /* the NACHA return rates, read before the alerts are written */
    struct rate {
        char category[16], codes[32];
        int64_t threshold_bp, entries, returns;
    } rates[3];
    int nrates;
    char window_start[PS_DATE_SIZE];
    long intake_files, intake_refused; /* the day's intake section */
    struct ps_progress pg; /* rows written; their number is not known */
    char what[PS_NAME_SIZE + PS_DATE_SIZE + 8]; /* "recon B DATE" */
    /* rows of the queries read more than once (recon.c, query_memo) */
    struct memo *ewa_memo, *pos_memo, *open_memo;
    /* The files' items still open (AWAITING, CONFIRMED: PROCESSING or
     * APPROVED), counted from FILE_ITEMS: every file with one is among
     * FILES, so none there is none for OPEN_ITEMS either. */
    int64_t open_items;
};

/* Write one row into the CSV (and the page); counts it. */
int ps_recon_emit(struct rep *x, const struct ps_recon_line *l);

/* Run query q with the report's parameters; a callback's error wins. */
int ps_recon_query_rows(struct rep *x, enum ps_recon_query q,
                        int (*cb)(void *, const struct ps_recon_row *));

/* Query q as ps_recon_query_rows(), through its memo *mp: the first
 * call runs it and keeps its rows (a few), the next replay them
 * (reconmemo.c); *mp is allocated on first use, freed by the caller. */
struct memo;
int ps_recon_query_memo(struct rep *x, struct memo **mp, enum ps_recon_query q,
                        int (*cb)(void *, const struct ps_recon_row *));
/* The trial balance from the rows the report kept in x->r.trial (or the
 * query again when it could not keep them all). */
struct ps_trial_row;
int ps_recon_trial_replay(struct rep *x,
                          int (*cb)(void *, const struct ps_trial_row *));

/* Record a callback's failure (rc) and say whether to stop the query. */
int ps_recon_stop(struct rep *x, int rc);

/* An amount in its currency's minor units as text; a path's last part. */
const char *ps_recon_money(int64_t v, const char *currency,
                           char buf[PS_MONEY_STRMAX]);
const char *ps_recon_base_name(const char *path);

/* FILES' row callback: a file's controls, items and check
 * (outbound/reconfiles.c). */
int ps_recon_file_row(void *vx, const struct ps_recon_row *row);

/* A line of the text summary. */
#define PS_RECON_SAY(x, ...) ps_output_printf((x)->txt, (x)->err, __VA_ARGS__)

/* The day's intake: sections intake and intake_refused
 * (outbound/reconintake.c). */
int ps_recon_intake_sections(struct rep *x);

#endif /* PS_RECON_INT_H */
