/*
 * cmd_recon.c -- `payspool recon`: the daily reconciliation report of one
 * business for one business date; exit 65 when the ledger's trial
 * balance is not zero (the report is written all the same).
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/clock.h"
#include "cli/cli_int.h"
#include "outbound/recon.h"

int cmd_recon(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_business b;
    struct ps_recon_result r;
    const char *bus, *date = cli_opt(c, "date");
    char today[PS_DATE_SIZE];
    int64_t day;
    int rc;
    if (date == NULL)
        date = ps_date_today(today);
    if (cli_need(c, "business", &bus, err) != 0 ||
        ps_date_parse(date, &day, err) != 0 ||
        ps_business_find(c->eng, bus, &b, err) != 0)
        return cli_fail(err);
    rc = ps_recon_run(c->eng, c->spool, &b, day, c->cal, &r, err);
    /* A trial balance that is not zero still wrote the report: say where
     * it is, then fail. */
    if (rc != 0 && err->id != PS_CODE_TRIAL_BALANCE_NOT_ZERO)
        return cli_fail(err);
    if (c->json) {
        json_t *trial = json_array();
        for (int i = 0; i < r.ntrial; i++)
            json_array_append_new(
                trial, json_pack("{s:s, s:I, s:I, s:I, s:I}", "currency",
                                 r.trial[i].currency, "debits",
                                 (json_int_t)r.trial[i].debits, "credits",
                                 (json_int_t)r.trial[i].credits, "balance",
                                 (json_int_t)r.trial[i].balance,
                                 "crossCurrencyEntries",
                                 (json_int_t)r.trial[i].mismatched));
        json_t *o = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:b, s:o,"
            " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
            " s:i}}",
            "business", b.name, "businessDate", r.business_date, "csv",
            r.csv_path, "summary", r.summary_path, "sha256", r.sha256, "seq",
            r.seq, "outputId", r.output_id, "rows", (json_int_t)r.rows,
            "trialBalanced", r.trial_balanced, "trialBalance", trial, "counts",
            "transactions", (json_int_t)r.transactions, "statusMovements",
            (json_int_t)r.movements, "files", (json_int_t)r.files,
            "filesMismatched", (json_int_t)r.files_mismatched,
            "unknownReferences", (json_int_t)r.unknown_references, "awaiting",
            (json_int_t)r.awaiting, "late", (json_int_t)r.late,
            "receivableProfiles", (json_int_t)r.receivable_profiles,
            "receivableDifferences", (json_int_t)r.receivable_diffs,
            "achReturns", (json_int_t)r.ach_returns, "achNocs",
            (json_int_t)r.ach_nocs, "achReturnRatesOver", r.ach_rates_over);
        json_object_set_new(o, "html", json_string(r.html_path));
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("reconciliation of %s for %s: %s\n  summary %s\n"
               "  %ld transactions, %ld status changes, %ld files (%ld not "
               "matching), %ld unknown references, %ld awaiting, %ld late\n",
               b.name, r.business_date, r.csv_path, r.summary_path,
               r.transactions, r.movements, r.files, r.files_mismatched,
               r.unknown_references, r.awaiting, r.late);
        printf("  page %s\n", r.html_path);
        if (r.ach_returns > 0 || r.ach_nocs > 0)
            printf("  %ld ACH returns, %ld NOCs received\n", r.ach_returns,
                   r.ach_nocs);
        if (r.receivable_diffs > 0)
            printf("  WARNING: EWA receivable ledger differs from the "
                   "profiles in %ld currencies\n",
                   r.receivable_diffs);
        if (r.ach_rates_over > 0)
            printf("  WARNING: %d ACH debit return rates over NACHA's "
                   "threshold (see the report's alert rows)\n",
                   r.ach_rates_over);
    }
    if (rc != 0) {
        if (!c->json) /* the error object below says it once */
            fprintf(stderr, "payspool: LEDGER TRIAL BALANCE IS NOT ZERO\n");
        return cli_fail(err);
    }
    return EX_OK;
}
