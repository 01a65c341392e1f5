/*
 * cmd_ach.c -- `payspool ach cutoff`: each business's NACHA file of ACH
 * credits and recovery debits, as the job's cutoff step writes it, under
 * the engine lock.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/money.h"
#include "cli/cli_int.h"
#include "engine/achconf.h"
#include "outbound/achout.h"

int cmd_ach_cutoff(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_businesses bl = {NULL, 0, 0}, *l = &bl;
    const struct ps_calendar *cal = c->cal;
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
        struct ps_ach_config ac;
        struct ps_ach_cutoff_result r;
        char cr[PS_MONEY_STRMAX], db[PS_MONEY_STRMAX];
        if (ps_ach_config_load(c->cfg.path, l->v[i].name, &ac, err) != 0 ||
            ps_ach_cutoff(c->eng, c->spool, &l->v[i], &ac, cal, day, &r, err) !=
                0) {
            rc = cli_fail(err);
            break;
        }
        ps_money_format(r.credit_total, 2, cr, sizeof(cr));
        ps_money_format(r.debit_total, 2, db, sizeof(db));
        if (c->json) {
            char fim[2] = {r.file_id_modifier, '\0'};
            json_array_append_new(
                arr,
                json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, "
                          "s:s, s:i}",
                          "business", l->v[i].name, "path", r.path,
                          "fileIdModifier", fim, "entries",
                          (json_int_t)r.entries, "batches",
                          (json_int_t)r.batches, "credits",
                          (json_int_t)r.credits, "debits", (json_int_t)r.debits,
                          "creditTotal", cr, "debitTotal", db, "regenerated",
                          r.regenerated));
        } else if (r.path[0] != '\0')
            printf("%s: file %c, %ld entries in %ld batches: %ld credits "
                   "%s, %ld debits %s -> %s%s\n",
                   l->v[i].name, r.file_id_modifier, r.entries, r.batches,
                   r.credits, cr, r.debits, db, r.path,
                   r.regenerated ? " (earlier files regenerated)" : "");
        else
            printf("%s: nothing to send%s\n", l->v[i].name,
                   r.regenerated ? " (earlier files regenerated)" : "");
    }
    if (c->json && rc == EX_OK)
        cli_print_json(arr);
out:
    json_decref(arr);
    ps_businesses_free(l);
    return rc;
}
