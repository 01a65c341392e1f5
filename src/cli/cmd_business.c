/*
 * cmd_business.c -- `payspool business add|list` and `payspool program
 * add|list`: the businesses and their EWA programs.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/money.h"
#include "cli/cli_int.h"
#include "intake/channel.h"

static json_t *business_json(const struct ps_business *b)
{
    return json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s}", "id", b->id, "name",
                     b->name, "displayName", b->display_name, "parentId",
                     b->parent_id[0] != '\0' ? b->parent_id : NULL, "status",
                     ps_enum_name(PS_NAMES_STATUS, (int)b->status), "createdAt",
                     b->created_at);
}

static int list_business(void *vctx, const struct ps_business *b)
{
    struct cli_list *l = vctx;
    if (l->arr != NULL) {
        json_array_append_new(l->arr, business_json(b));
    } else {
        struct ps_business parent;
        const char *pname = "-";
        if (b->parent_id[0] != '\0' &&
            ps_business_find(l->c->eng, b->parent_id, &parent, NULL) == 0)
            pname = parent.name;
        printf("%-24s %-20s %-10s %s\n", b->name, pname,
               ps_enum_name(PS_NAMES_STATUS, (int)b->status), b->display_name);
    }
    l->n++;
    return 0;
}

/* payspool business add NAME: the row and its spool folders. */
int cmd_business_add(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_business b;
    if (ps_business_add(c->eng, c->pos[0], cli_opt(c, "display-name"),
                        cli_opt(c, "parent"), &b, err) != 0 ||
        ps_spool_business_dirs(c->spool, b.name, err) != 0 ||
        ps_channel_dirs(c->spool, &c->cfg, b.name, err) != 0)
        return cli_fail(err);
    if (c->json) {
        json_t *o = business_json(&b);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("business %s added (id %s)\n", b.name, b.id);
        printf("drop files in %s/inbound/%s/\n", c->spool, b.name);
    }
    return EX_OK;
}

int cmd_business_list(struct cli_ctx *c, struct ps_err *err)
{
    struct cli_list l = {c, c->json ? json_array() : NULL, 0};
    if (!c->json)
        printf("%-24s %-20s %-10s %s\n", "NAME", "PARENT", "STATUS",
               "DISPLAY NAME");
    if (ps_query_businesses(c->eng, list_business, &l, err) != 0) {
        json_decref(l.arr);
        return cli_fail(err);
    }
    if (c->json) {
        cli_print_json(l.arr);
        json_decref(l.arr);
    }
    return EX_OK;
}

/* ---- program -------------------------------------------------------- */

static json_t *program_json(const struct ps_program *p)
{
    char v[7][PS_MONEY_STRMAX], rate[PS_MONEY_STRMAX];
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:i,"
        " s:i, s:s, s:s}",
        "id", p->id, "businessId", p->business_id, "name", p->name, "currency",
        p->currency, "advanceRatePercent",
        ps_money_format(p->advance_rate_bp, 2, rate, sizeof(rate)),
        "minTransfer", cli_money_str(p->min_transfer, p->currency, v[0], 32),
        "maxTransfer", cli_money_str(p->max_transfer, p->currency, v[1], 32),
        "periodCap", cli_money_str(p->period_cap, p->currency, v[2], 32),
        "maxOutstanding",
        cli_money_str(p->max_outstanding, p->currency, v[3], 32), "feeCard",
        cli_money_str(p->fee_card, p->currency, v[4], 32), "feeAch",
        cli_money_str(p->fee_ach, p->currency, v[5], 32), "debitFallback",
        p->debit_fallback, "maxDebitAttempts", p->max_debit_attempts,
        "badDebtAfter", p->bad_debt_after, "status",
        ps_enum_name(PS_NAMES_STATUS, (int)p->status), "createdAt",
        p->created_at);
}

static int list_program(void *vctx, const struct ps_program *p)
{
    struct cli_list *l = vctx;
    if (l->arr != NULL) {
        json_array_append_new(l->arr, program_json(p));
    } else {
        char rate[PS_MONEY_STRMAX], mx[PS_MONEY_STRMAX], cap[PS_MONEY_STRMAX],
            fc[PS_MONEY_STRMAX], fa[PS_MONEY_STRMAX];
        printf("%-20s %-4s %6s%% %10s %10s %8s %8s %s\n", p->name, p->currency,
               ps_money_format(p->advance_rate_bp, 2, rate, sizeof(rate)),
               cli_money_str(p->max_transfer, p->currency, mx, sizeof(mx)),
               cli_money_str(p->period_cap, p->currency, cap, sizeof(cap)),
               cli_money_str(p->fee_card, p->currency, fc, sizeof(fc)),
               cli_money_str(p->fee_ach, p->currency, fa, sizeof(fa)), p->id);
    }
    l->n++;
    return 0;
}

/* "50%", "50", "12.5%" -> basis points. */
static int rate_opt(const struct cli_ctx *c, int *bp, struct ps_err *err)
{
    const char *v = cli_opt(c, "advance-rate");
    int64_t n;
    size_t len;
    if (v == NULL) {
        *bp = 5000; /* 50 %: the common practice (domain brief, section 4) */
        return 0;
    }
    len = strlen(v);
    if (len > 0 && v[len - 1] == '%')
        len--;
    if (ps_money_parse(v, len, 2, 0, &n, err) != 0 || n < 1 || n > 10000) {
        ps_err_set(err, PS_EINVAL, "PROGRAM_LIMIT",
                   "--advance-rate must be a percentage from 0.01%% to 100%%");
        ps_err_field(err, "advance-rate");
        return PS_EINVAL;
    }
    *bp = (int)n;
    return 0;
}

int cmd_program_add(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_program p;
    const char *bus, *name, *cur;
    long attempts, bad_debt;
    memset(&p, 0, sizeof(p));
    cur = cli_opt(c, "currency");
    if (cur == NULL)
        cur = "USD";
    if (cli_need(c, "business", &bus, err) != 0 ||
        cli_need(c, "name", &name, err) != 0 ||
        rate_opt(c, &p.advance_rate_bp, err) != 0 ||
        cli_amount_opt(c, "min", cur, 1, &p.min_transfer, err) != 0 ||
        cli_amount_opt(c, "max", cur, 1, &p.max_transfer, err) != 0 ||
        cli_amount_opt(c, "period-cap", cur, 1, &p.period_cap, err) != 0 ||
        cli_amount_opt(c, "max-outstanding", cur, 1, &p.max_outstanding, err) !=
            0 ||
        cli_amount_opt(c, "fee-card", cur, 0, &p.fee_card, err) != 0 ||
        cli_amount_opt(c, "fee-ach", cur, 0, &p.fee_ach, err) != 0 ||
        cli_int_opt(c, "max-debit-attempts", 0, 10,
                    cli_opt(c, "debit-fallback") ? 2 : 0, &attempts,
                    err) != 0 ||
        cli_int_opt(c, "bad-debt-after", 1, 24, 3, &bad_debt, err) != 0)
        return cli_fail(err);
    ps_strlcpy(p.business_id, bus, sizeof(p.business_id));
    ps_strlcpy(p.name, name, sizeof(p.name));
    ps_strlcpy(p.currency, cur, sizeof(p.currency));
    p.debit_fallback = cli_opt(c, "debit-fallback") != NULL;
    p.max_debit_attempts = (int)attempts;
    p.bad_debt_after = (int)bad_debt;
    if (ps_program_add(c->eng, &p, err) != 0)
        return cli_fail(err);
    if (c->json) {
        json_t *o = program_json(&p);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("program %s added to %s (id %s)\n", p.name, bus, p.id);
    }
    return EX_OK;
}

int cmd_program_list(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_business b;
    const char *bus;
    struct cli_list l = {c, c->json ? json_array() : NULL, 0};
    if (cli_need(c, "business", &bus, err) != 0 ||
        ps_business_find(c->eng, bus, &b, err) != 0) {
        json_decref(l.arr);
        return cli_fail(err);
    }
    if (!c->json)
        printf("%-20s %-4s %7s %10s %10s %8s %8s %s\n", "NAME", "CUR", "RATE",
               "MAX", "PERIODCAP", "FEECARD", "FEEACH", "ID");
    if (ps_query_programs(c->eng, b.id, list_program, &l, err) != 0) {
        json_decref(l.arr);
        return cli_fail(err);
    }
    if (c->json) {
        cli_print_json(l.arr);
        json_decref(l.arr);
    }
    return EX_OK;
}
