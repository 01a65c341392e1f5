/*
 * cmd_payouts.c -- `payspool payouts run` (each business's push-to-card
 * payout file for a business date), under the engine lock.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/money.h"
#include "cli/cli_int.h"
#include "outbound/payout.h"

/* " (the first of N files)", for a payout run that wrote several. */
static const char *files_note(int files, char *buf, size_t size)
{
    snprintf(buf, size, " (the first of %d files)", files);
    return buf;
}

/* payouts run: each business's file for the business date, under the
 * engine lock (the row takes it). */
int cmd_payouts_run(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_businesses bl = {NULL, 0, 0}, *l = &bl;
    json_t *arr = NULL;
    int64_t day;
    int rc;

    if (cli_date_opt(c, &day, err) != 0 || cli_businesses_opt(c, l, err) != 0) {
        rc = cli_fail(err);
        goto out;
    }
    arr = json_array();
    rc = EX_OK;
    for (size_t i = 0; i < l->n; i++) {
        struct ps_payout_result r;
        char amt[PS_MONEY_STRMAX], note[64];
        if (ps_payout_run(c->eng, c->spool, &l->v[i], day, &r, err) != 0) {
            rc = cli_fail(err);
            break;
        }
        if (c->json)
            json_array_append_new(
                arr, json_pack(
                         "{s:s, s:s, s:i, s:I, s:s, s:s, s:i}", "business",
                         l->v[i].name, "path", r.path, "files", r.files,
                         "records", (json_int_t)r.records, "amount",
                         r.currency[0] ? cli_money_str(r.amount, r.currency,
                                                       amt, sizeof(amt))
                                       : "",
                         "currency", r.currency, "regenerated", r.regenerated));
        else if (r.path[0] != '\0')
            printf("%s: %ld payouts, %s %s -> %s%s%s\n", l->v[i].name,
                   r.records,
                   r.currency[0]
                       ? cli_money_str(r.amount, r.currency, amt, sizeof(amt))
                       : "(several currencies)",
                   r.currency, r.path,
                   r.files > 1 ? files_note(r.files, note, sizeof(note)) : "",
                   r.regenerated ? " (earlier files regenerated)" : "");
        else
            printf("%s: nothing to pay%s\n", l->v[i].name,
                   r.regenerated ? " (earlier files regenerated)" : "");
    }
    if (c->json && rc == EX_OK)
        cli_print_json(arr);
out:
    json_decref(arr);
    ps_businesses_free(l);
    return rc;
}
