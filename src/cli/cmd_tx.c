/*
 * cmd_tx.c -- `payspool tx create|event|show`: transactions and their
 * status history, through the engine's one transition table.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/money.h"
#include "cli/cli_int.h"

static int add_history_json(void *vctx, const struct ps_txn_history_row *h)
{
    json_t *o = json_pack(
        "{s:s?, s:s, s:s, s:s?, s:s?, s:s}", "from",
        h->from_status >= 0 ? ps_enum_name(PS_NAMES_TXN_STATUS, h->from_status)
                            : NULL,
        "to", ps_enum_name(PS_NAMES_TXN_STATUS, (int)h->to_status), "event",
        h->event, "reason", h->reason[0] ? h->reason : NULL, "sourceFile",
        h->source_file[0] ? h->source_file : NULL, "at", h->created_at);
    if (o != NULL)
        json_object_set_new(o, "returnCode", h->return_code[0] != '\0'
                                                 ? json_string(h->return_code)
                                                 : json_null());
    return cli_append_sourced(vctx, o, h->source_line);
}

static int tx_show(struct cli_ctx *c, const char *id, struct ps_err *err)
{
    struct ps_txn t;
    char amt[PS_MONEY_STRMAX], fee[PS_MONEY_STRMAX];
    json_t *hist = json_array();
    if (ps_query_txn_get(c->eng, id, &t, err) != 0 ||
        ps_query_txn_history(c->eng, t.id, add_history_json, hist, err) != 0) {
        json_decref(hist);
        return cli_fail(err);
    }
    cli_money_str(t.amount, t.currency, amt, sizeof(amt));
    cli_money_str(t.fee, t.currency, fee, sizeof(fee));
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
        " s:s?, s:s?, s:i, s:s, s:s, s:o}",
        "id", t.id, "businessId", t.business_id, "customerId",
        t.customer_id, "financialAccountId", t.account_id, "ewaProfileId",
        t.profile_id[0] ? t.profile_id : NULL, "transactionType",
        ps_enum_name(PS_NAMES_TXN_TYPE, (int)t.type), "rail",
        ps_enum_name(PS_NAMES_RAIL, (int)t.rail), "purpose",
        ps_enum_name(PS_NAMES_PURPOSE, (int)t.purpose), "status",
        ps_enum_name(PS_NAMES_TXN_STATUS, (int)t.status), "currency",
        t.currency, "amount", amt, "fee", fee, "requestId",
        t.request_id[0] ? t.request_id : NULL, "traceNumber",
        t.trace_number[0] ? t.trace_number : NULL, "attempts", t.attempts,
        "createdAt", t.created_at, "updatedAt", t.updated_at, "history", hist);
    if (c->json) {
        cli_print_json(o);
    } else {
        size_t i;
        json_t *h;
        printf("transaction %s\n", t.id);
        printf("  %s %s %s %s %s (fee %s), status %s\n",
               ps_enum_name(PS_NAMES_TXN_TYPE, (int)t.type),
               ps_enum_name(PS_NAMES_RAIL, (int)t.rail),
               ps_enum_name(PS_NAMES_PURPOSE, (int)t.purpose), amt, t.currency,
               fee, ps_enum_name(PS_NAMES_TXN_STATUS, (int)t.status));
        if (t.request_id[0])
            printf("  request id %s\n", t.request_id);
        json_array_foreach(hist, i, h)
        {
            const char *from = json_string_value(json_object_get(h, "from"));
            const char *reason =
                json_string_value(json_object_get(h, "reason"));
            printf("  %s  %-10s -> %-10s %-14s %s\n",
                   json_string_value(json_object_get(h, "at")),
                   from ? from : "",
                   json_string_value(json_object_get(h, "to")),
                   json_string_value(json_object_get(h, "event")),
                   reason ? reason : "");
        }
    }
    json_decref(o);
    return EX_OK;
}

int cmd_tx_show(struct cli_ctx *c, struct ps_err *err)
{
    return tx_show(c, c->pos[0], err);
}

int cmd_tx_create(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_business b;
    struct ps_customer cu;
    struct ps_txn t;
    const char *type = cli_opt(c, "type"), *cur = cli_opt(c, "currency");
    const char *acct, *ext;
    memset(&t, 0, sizeof(t));
    int ty = ps_enum_parse(PS_NAMES_TXN_TYPE, type ? type : "SEND");
    if (ty < 0)
        return cli_usage_error(c, "--type must be SEND or DEBIT");
    if (cur == NULL)
        cur = "USD";
    if (cli_need(c, "customer", &ext, err) != 0 ||
        cli_need(c, "account", &acct, err) != 0 ||
        cli_amount_opt(c, "amount", cur, 1, &t.amount, err) != 0 ||
        cli_customer_lookup(c, ext, &b, &cu, err) != 0)
        return cli_fail(err);
    ps_strlcpy(t.business_id, b.id, sizeof(t.business_id));
    ps_strlcpy(t.customer_id, cu.id, sizeof(t.customer_id));
    ps_strlcpy(t.account_id, acct, sizeof(t.account_id));
    ps_strlcpy(t.currency, cur, sizeof(t.currency));
    t.type = (enum ps_txn_type)ty;
    t.purpose = PS_PURPOSE_PAYMENT;
    struct ps_source src = {cli_opt(c, "reason"), NULL, 0};
    if (cli_copy_opt(c, "request-id", t.request_id, sizeof(t.request_id),
                     err) != 0 ||
        ps_engine_txn_create(c->eng, &t, &src, err) != 0)
        return cli_fail(err);
    if (!c->json) {
        printf("transaction %s created (NEW)\n", t.id);
        return EX_OK;
    }
    return tx_show(c, t.id, err);
}

int cmd_tx_event(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_txn t;
    struct ps_source src = {cli_opt(c, "reason"), NULL, 0};
    struct ps_txn_args args = {&src, 0, NULL, NULL};
    long max;
    int ev = ps_txn_event_parse(c->pos[1]);
    if (ev < 0)
        return cli_usage_error(c,
                               "unknown event %s (SUBMIT TRANSMIT APPROVE "
                               "SETTLE CLEAR CANCEL DECLINE RETURN REVERSE "
                               "PROVIDER_ERROR)",
                               c->pos[1]);
    if (cli_int_opt(c, "max-attempts", 1, 100, PS_TXN_MAX_ATTEMPTS, &max,
                    err) != 0)
        return cli_fail(err);
    args.max_attempts = (int)max;
    if (ps_engine_txn_event(c->eng, c->pos[0], (enum ps_txn_event)ev, &args, &t,
                            err) != 0)
        return cli_fail(err);
    if (!c->json) {
        printf("transaction %s is now %s\n", t.id,
               ps_enum_name(PS_NAMES_TXN_STATUS, (int)t.status));
        return EX_OK;
    }
    return tx_show(c, t.id, err);
}
