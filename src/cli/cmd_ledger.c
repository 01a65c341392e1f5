/*
 * cmd_ledger.c -- `payspool ledger balance`: the trial balance per
 * currency and the rows whose parent is missing; exit 65 when either is
 * wrong.  `payspool ledger verify`: every balance recomputed from the
 * ledger's rows against what is stored (engine/query.h,
 * ps_query_ledger_verify); exit 0 when all agree, 1 when any differs
 * (as diff(1): anything else is an error of the run itself).
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

/* ---- ledger verify -------------------------------------------------- */

/* Exit status when a figure differs: distinct from every sysexits.h
 * status the command can fail with. */
#define VERIFY_DIFFERS 1

static const char *const verify_check_names[] = {
    "TRIAL_BALANCE", "ACCOUNT", "RECEIVABLE", "PROFILE", "RECON_COUNT",
    "ORPHAN_ROWS"};

struct verify_print {
    json_t *trial, *diffs, *accounts; /* --json */
};

static int print_finding(void *vctx, const struct ps_verify_finding *f)
{
    struct verify_print *p = vctx;
    char l[PS_MONEY_STRMAX], r[PS_MONEY_STRMAX];
    cli_money_str(f->left, f->currency, l, sizeof(l));
    cli_money_str(f->right, f->currency, r, sizeof(r));
    if (f->count) {
        snprintf(l, sizeof(l), "%lld", (long long)f->left);
        snprintf(r, sizeof(r), "%lld", (long long)f->right);
    }
    int listed = f->check == PS_VERIFY_ACCOUNT && f->ok; /* --accounts */
    if (p->trial != NULL) {
        json_t *o = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "check",
            verify_check_names[f->check], "business", f->business, "subject",
            f->subject, "currency", f->currency, "figure", f->figure, "left",
            f->left_name, "leftAmount", l, "right", f->right_name,
            "rightAmount", r, "agrees", f->ok);
        if (f->account != 0)
            json_object_set_new(o, "ledgerAccount", json_integer(f->account));
        if (f->check == PS_VERIFY_TRIAL && !f->ok)
            json_array_append(p->trial, o);
        json_array_append_new(f->check == PS_VERIFY_TRIAL && f->ok ? p->trial
                              : listed                             ? p->accounts
                                                                   : p->diffs,
                              o);
        return 0;
    }
    char acct[32] = "";
    if (f->account != 0)
        snprintf(acct, sizeof(acct), "ledger account %lld ",
                 (long long)f->account);
    if (f->check == PS_VERIFY_TRIAL)
        printf("%-4s %-31s %18s %18s %s\n", f->currency, f->subject, l, r,
               f->ok ? "balanced" : "NOT BALANCED");
    else if (listed)
        printf("ACCOUNT %s: %s%s %s: %s %s, %s %s\n", f->business, acct,
               f->subject, f->currency, f->left_name, l, f->right_name, r);
    else
        printf("DIFFERENCE %s: %s%s%s%s %s: %s %s, %s %s\n", f->business,
               acct, f->subject, f->currency[0] != '\0' ? " " : "",
               f->currency, f->figure, f->left_name, l, f->right_name, r);
    return 0;
}

int cmd_ledger_verify(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_business b;
    struct ps_verify_summary sum;
    struct verify_print p = {NULL, NULL, NULL};
    unsigned flags =
        cli_opt(c, "accounts") != NULL ? PS_VERIFY_EVERY_ACCOUNT : 0;
    const char *bus = cli_opt(c, "business");
    if (bus != NULL && ps_business_find(c->eng, bus, &b, err) != 0)
        return cli_fail(err);
    if (c->json) {
        p.trial = json_array();
        p.diffs = json_array();
        p.accounts = json_array();
    } else {
        printf("%-4s %-31s %18s %18s\n", "CUR", "", "DEBITS", "CREDITS");
    }
    if (ps_query_ledger_verify(c->eng, bus != NULL ? b.id : NULL, flags,
                               print_finding, &p, &sum, err) != 0) {
        json_decref(p.trial);
        json_decref(p.diffs);
        json_decref(p.accounts);
        return cli_fail(err);
    }
    if (c->json) {
        json_t *o =
            json_pack("{s:b, s:{s:I, s:I, s:I, s:I, s:I}, s:I, s:o, s:o}",
                      "agrees", sum.differences == 0, "checked",
                      "ledgerAccounts", (json_int_t)sum.accounts,
                      "storedBalances", (json_int_t)sum.stored_accounts,
                      "currencies", (json_int_t)sum.currencies, "receivables",
                      (json_int_t)sum.receivables, "ewaProfiles",
                      (json_int_t)sum.profiles, "differences",
                      (json_int_t)sum.differences, "trialBalance", p.trial,
                      "findings", p.diffs);
        if (flags & PS_VERIFY_EVERY_ACCOUNT)
            json_object_set(o, "accounts", p.accounts);
        json_decref(p.accounts);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("checked: %lld ledger accounts recomputed from the ledger's "
               "rows (%lld with a stored balance), %lld EWA receivables, "
               "%lld EWA profiles\n",
               (long long)sum.accounts, (long long)sum.stored_accounts,
               (long long)sum.receivables, (long long)sum.profiles);
        if (sum.differences == 0)
            printf("all agree\n");
    }
    if (sum.differences != 0) {
        char buf[512];
        ps_err_set(err, PS_EINVAL, "LEDGER_VERIFY_DIFFERENCE",
                   "ledger verify: %lld figure%s recomputed from the rows "
                   "%s not agree with what is stored",
                   (long long)sum.differences, sum.differences == 1 ? "" : "s",
                   sum.differences == 1 ? "does" : "do");
        fprintf(stderr, "payspool: %s\n", ps_err_str(err, buf, sizeof(buf)));
        return VERIFY_DIFFERS;
    }
    return EX_OK;
}
