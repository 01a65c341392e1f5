/*
 * reconhtml.h -- the reconciliation report as one self-contained HTML
 * page (issue 23), written beside the CSV and the text summary from the
 * very rows the CSV gets (outbound/recon.c hands each row to both), so
 * the page and the CSV cannot disagree.
 *
 * The page has no script and loads nothing: the style is inline, the
 * charts are inline SVG, every string from the rows is HTML-escaped.
 * The rows carry masks only (recon.c reads no card or account number).
 *
 * Memory: a section keeps its first PS_RECONHTML_MAX_ROWS rows; past
 * that the page says how many more rows the CSV has (their count and
 * amounts are still added into the section's totals).
 *
 * How it fails: PS_ENOMEM when a row cannot be kept (the report then
 * fails as a whole); I/O errors of the output while writing.
 */
#ifndef PS_RECONHTML_H
#define PS_RECONHTML_H

#include <stdint.h>

#include "base/err.h"
#include "base/output.h"

/* Rows of one section shown in the page; the CSV has them all. */
#define PS_RECONHTML_MAX_ROWS 1000

/* One row of the report (a CSV line): text cells (NULL is empty), the
 * numbers (meaningful only when has_*), the detail. */
struct ps_recon_line {
    const char *section, *file, *program, *rail, *type, *from, *status;
    const char *kind, *elig, *bucket, *ref, *currency;
    int has_count, has_amount, has_fee;
    int64_t count, amount, fee; /* amount and fee in minor units */
    const char *detail;
};

/* What the page says at its top. */
struct ps_reconhtml_info {
    const char *business, *display_name; /* name and display name */
    const char *date;                    /* YYYY-MM-DD */
    const char *generated;               /* RFC 3339 */
    const char *csv_name, *summary_name; /* the sibling outputs' names */
    int seq;
    int settle_days, rate_days; /* PS_RECON_SETTLE_DAYS, _RATE_DAYS */
};

struct ps_reconhtml;

/* A new, empty page; NULL when out of memory. */
struct ps_reconhtml *ps_reconhtml_new(void);
void ps_reconhtml_free(struct ps_reconhtml *h); /* NULL does nothing */

/* Keep one row (copied). */
int ps_reconhtml_add(struct ps_reconhtml *h, const struct ps_recon_line *l,
                     struct ps_err *err);

/* One NACHA return rate, for its chart: returns of entries against a
 * threshold in basis points. */
int ps_reconhtml_rate(struct ps_reconhtml *h, const char *category,
                      int64_t threshold_bp, int64_t entries, int64_t returns);

/* Write the whole page into out (not committed: the caller commits). */
int ps_reconhtml_write(const struct ps_reconhtml *h,
                       const struct ps_reconhtml_info *info,
                       struct ps_output *out, struct ps_err *err);

#endif /* PS_RECONHTML_H */
