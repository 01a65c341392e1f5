/*
 * cmd_ledger.c -- `payspool ledger balance`: the trial balance per
 * currency and the rows whose parent is missing; exit 65 when either is
 * wrong.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/money.h"
#include "cli/cli_int.h"

struct trial_ctx {
    json_t *arr;
    int bad;
};

static int print_trial(void *vctx, const struct ps_trial_row *r)
{
    struct trial_ctx *t = vctx;
    char d[PS_MONEY_STRMAX], cr[PS_MONEY_STRMAX], bal[PS_MONEY_STRMAX];
    cli_money_str(r->debits, r->currency, d, sizeof(d));
    cli_money_str(r->credits, r->currency, cr, sizeof(cr));
    cli_money_str(r->balance, r->currency, bal, sizeof(bal));
    if (r->balance != 0 || r->mismatched != 0)
        t->bad = 1;
    if (t->arr != NULL)
        json_array_append_new(
            t->arr,
            json_pack("{s:s, s:s, s:s, s:s, s:I, s:b}", "currency", r->currency,
                      "debits", d, "credits", cr, "balance", bal,
                      "crossCurrencyEntries", (json_int_t)r->mismatched,
                      "balanced", r->balance == 0 && r->mismatched == 0));
    else
        printf("%-4s %18s %18s %14s %s\n", r->currency, d, cr, bal,
               r->balance == 0 && r->mismatched == 0 ? "balanced"
                                                     : "NOT BALANCED");
    return 0;
}

int cmd_ledger_balance(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_business b;
    const char *bus = cli_opt(c, "business");
    struct trial_ctx t = {NULL, 0};
    if ((bus != NULL && ps_business_find(c->eng, bus, &b, err) != 0))
        return cli_fail(err);
    if (c->json)
        t.arr = json_array();
    else
        printf("%-4s %18s %18s %14s\n", "CUR", "DEBITS", "CREDITS", "BALANCE");
    if (ps_query_trial_balance(c->eng, bus ? b.id : NULL, print_trial, &t,
                               err) != 0) {
        json_decref(t.arr);
        return cli_fail(err);
    }
    /* The references the schema no longer enforces (schema.h, v9). */
    int64_t orphans = 0;
    char detail[320];
    if (ps_query_orphans(c->eng, &orphans, detail, sizeof(detail), err) != 0) {
        json_decref(t.arr);
        return cli_fail(err);
    }
    if (c->json) {
        cli_print_json(t.arr);
        json_decref(t.arr);
    } else {
        printf("references: %s\n",
               orphans == 0 ? "every row has its parent" : detail);
    }
    if (t.bad)
        return cli_error(PS_EINVAL, "TRIAL_BALANCE_NOT_ZERO",
                         "LEDGER TRIAL BALANCE IS NOT ZERO");
    if (orphans > 0)
        return cli_error(PS_EINVAL, "ORPHAN_ROWS",
                         "%lld rows without their parent row: %s",
                         (long long)orphans, detail);
    return EX_OK;
}
