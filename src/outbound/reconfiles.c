/*
 * reconfiles.c -- the reconciliation report's outbound payment files
 * (outbound/recon.c's FILES section): each file's controls, its items by
 * direction and outcome (read once, FILE_ITEMS), and the check of the
 * two; the items still open are counted for the open items' section
 * (recon_int.h, open_items).
 *
 * How it fails: as the report's other sections (recon_int.h): a
 * callback's error is kept in the report and stops the query.
 */
#include "outbound/recon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/money.h"
#include "outbound/recon_int.h"

/* Outcomes of a file's items (store/recon.c, RECON_OUTCOME), summary order. */
static const char *const outcomes[] = {"SETTLED",  "CONFIRMED", "AWAITING",
                                       "DECLINED", "RETURNED",  "REQUEUED",
                                       "CANCELLED"};
#define NOUTCOMES (sizeof(outcomes) / sizeof(outcomes[0]))

/* ---- outbound files ------------------------------------------------ */

/* FILE_ITEMS: direction, outcome, currency, n, amount */
static int item_row(void *vx, const struct ps_recon_row *row)
{
    struct rep *x = vx;
    int credit = strcmp(row->text[0], "CREDIT") == 0;
    x->items += (long)row->num[3];
    if (credit)
        x->credits += row->num[4];
    else
        x->debits += row->num[4];
    for (size_t i = 0; i < NOUTCOMES; i++)
        if (strcmp(outcomes[i], row->text[1]) == 0)
            x->outcome[i] += (long)row->num[3];
    return ps_recon_stop(x, ps_recon_emit(x, &(struct ps_recon_line){.section = "file_items",
                                          .file = x->file,
                                          .rail = x->file_rail,
                                          .type = row->text[0],
                                          .status = row->text[1],
                                          .currency = row->text[2],
                                          .has_count = 1,
                                          .count = row->num[3],
                                          .has_amount = 1,
                                          .amount = row->num[4]}));
}

/* FILE_ITEMS, kept: direction, outcome, currency, n, amount, own */
static int item_keep(void *vx, const struct ps_recon_row *row)
{
    struct rep *x = vx;
    if (x->ngrp == x->grpcap) {
        size_t cap = x->grpcap != 0 ? x->grpcap * 2 : 16;
        struct item_grp *n = realloc(x->grp, cap * sizeof(*n));
        if (n == NULL)
            return ps_recon_stop(x, ps_err_set(x->err, PS_ENOMEM, "NO_MEMORY",
                                      "out of memory"));
        x->grp = n;
        x->grpcap = cap;
    }
    struct item_grp *g = &x->grp[x->ngrp++];
    ps_strlcpy(g->direction, row->text[0], sizeof(g->direction));
    ps_strlcpy(g->outcome, row->text[1], sizeof(g->outcome));
    ps_strlcpy(g->currency, row->text[2], sizeof(g->currency));
    g->n = row->num[3];
    g->amount = row->num[4];
    g->own = row->num[5] != 0;
    if (strcmp(g->outcome, "AWAITING") == 0 ||
        strcmp(g->outcome, "CONFIRMED") == 0)
        x->open_items += g->n;
    return 0;
}

/* The file's items, by direction and outcome, read once (a nested
 * statement of its own: SQLite steps both): its currency (the least of
 * its items', as min(t.currency) of any business) before its lines. */
static int file_items(struct rep *x, const char *output, const char **cur)
{
    struct ps_recon_params saved = x->prm;
    x->ngrp = 0;
    x->prm.output = output;
    int rc = ps_recon_query_rows(x, PS_RECON_Q_FILE_ITEMS, item_keep);
    x->prm = saved;
    *cur = "";
    for (size_t i = 0; rc == 0 && i < x->ngrp; i++)
        if ((*cur)[0] == '\0' || strcmp(x->grp[i].currency, *cur) < 0)
            *cur = x->grp[i].currency;
    return rc;
}

/* FILES: id, kind, business_date, path, currency (''; file_items), seq,
 * records, credit_total, debit_total */
int ps_recon_file_row(void *vx, const struct ps_recon_row *row)
{
    struct rep *x = vx;
    const char *name = ps_recon_base_name(row->text[3]);
    const char *cur = row->text[4];
    const char *rail =
        strcmp(row->text[1], "NACHA") == 0 ? "ACH" : "PUSH_TO_CARD";
    int64_t records = row->num[6], ctot = row->num[7], dtot = row->num[8];
    char detail[400], a[PS_MONEY_STRMAX], b[PS_MONEY_STRMAX];
    char c[PS_MONEY_STRMAX], d[PS_MONEY_STRMAX];
    int rc, match;

    if ((rc = file_items(x, row->text[0], &cur)) != 0)
        return ps_recon_stop(x, rc);
    x->r.files++;
    x->file = name;
    x->file_rail = rail;
    x->items = 0;
    x->credits = x->debits = 0;
    memset(x->outcome, 0, sizeof(x->outcome));
    snprintf(detail, sizeof(detail), "%s file of %s, sequence %lld",
             row->text[1], row->text[2], (long long)row->num[5]);
    rc = ps_recon_emit(x, &(struct ps_recon_line){.section = "file_control",
                                .file = name,
                                .rail = rail,
                                .status = "RECORDS",
                                .currency = cur,
                                .has_count = 1,
                                .count = records,
                                .detail = detail});
    if (rc == 0)
        rc = ps_recon_emit(x, &(struct ps_recon_line){.section = "file_control",
                                    .file = name,
                                    .rail = rail,
                                    .type = "CREDIT",
                                    .status = "CREDIT_TOTAL",
                                    .currency = cur,
                                    .has_amount = 1,
                                    .amount = ctot});
    if (rc == 0)
        rc = ps_recon_emit(x, &(struct ps_recon_line){.section = "file_control",
                                    .file = name,
                                    .rail = rail,
                                    .type = "DEBIT",
                                    .status = "DEBIT_TOTAL",
                                    .currency = cur,
                                    .has_amount = 1,
                                    .amount = dtot});
    if (rc != 0)
        return ps_recon_stop(x, rc);
    /* The file's items of the business, in the query's order. */
    for (size_t i = 0; i < x->ngrp && x->rc == 0; i++) {
        const struct item_grp *g = &x->grp[i];
        struct ps_recon_row r = {.ncols = 5};
        if (!g->own)
            continue;
        r.text[0] = g->direction;
        r.text[1] = g->outcome;
        r.text[2] = g->currency;
        r.text[3] = r.text[4] = "";
        r.num[3] = g->n;
        r.num[4] = g->amount;
        if (item_row(x, &r) != 0)
            break;
    }
    if (x->rc != 0)
        return 1;
    match = x->items == records && x->credits == ctot && x->debits == dtot;
    if (!match)
        x->r.files_mismatched++;
    snprintf(detail, sizeof(detail),
             "records %lld, items %ld; credit total %s, items %s; debit "
             "total %s, items %s",
             (long long)records, x->items, ps_recon_money(ctot, cur, a),
             ps_recon_money(x->credits, cur, b), ps_recon_money(dtot, cur, c),
             ps_recon_money(x->debits, cur, d));
    rc = ps_recon_emit(x, &(struct ps_recon_line){.section = "file_check",
                                .file = name,
                                .rail = rail,
                                .status = match ? "MATCH" : "MISMATCH",
                                .currency = cur,
                                .has_count = 1,
                                .count = x->items,
                                .detail = detail});
    if (rc == 0)
        rc = PS_RECON_SAY(x, "  %s (%s of %s): %lld records, credits %s, debits %s"
                    " -- %s\n    items:",
                 name, row->text[1], row->text[2], (long long)records,
                 ps_recon_money(ctot, cur, a), ps_recon_money(dtot, cur, c),
                 match ? "items match the controls"
                       : "ITEMS DO NOT MATCH THE CONTROLS");
    for (size_t i = 0; i < NOUTCOMES && rc == 0; i++)
        if (x->outcome[i] > 0 || i < 5)
            rc = PS_RECON_SAY(x, " %s %ld", outcomes[i], x->outcome[i]);
    if (rc == 0)
        rc = PS_RECON_SAY(x, "\n");
    return ps_recon_stop(x, rc);
}
