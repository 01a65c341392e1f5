/*
 * cmd_account.c -- `payspool account add|show|suspend|reactivate|
 * authorize`: financial accounts.  Numbers come in on standard input and
 * go out masked; an account of another business is not found.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli_int.h"

static int account_in_business(struct cli_ctx *c, const char *id,
                               struct ps_account *a, struct ps_err *err)
{
    struct ps_business b;
    const char *bus;
    int rc;
    if ((rc = cli_need(c, "business", &bus, err)) != 0 ||
        (rc = ps_business_find(c->eng, bus, &b, err)) != 0)
        return rc;
    return ps_query_account_in_business(c->eng, &b, id, a, err);
}

static int add_debit_auth_json(void *vctx, const struct ps_debit_auth *d)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}", "id", d->id, "kind",
                  ps_enum_name(PS_NAMES_DEBIT_AUTH, (int)d->kind), "reference",
                  d->reference, "status", d->active ? "ACTIVE" : "REVOKED",
                  "authorizedAt", d->authorized_at, "revokedAt",
                  d->revoked_at[0] ? d->revoked_at : NULL, "revokeReason",
                  d->revoke_reason[0] ? d->revoke_reason : NULL);
    if (o != NULL)
        json_array_append_new(vctx, o);
    return 0;
}

static int add_change_json(void *vctx, const struct ps_account_change *ch)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:b, s:s?, s:s?, s:s, s:s?, s:s}", "id", ch->id,
        "changeCode", ch->change_code, "refused", ch->refused, "transactionId",
        ch->txn_id[0] ? ch->txn_id : NULL, "originalTrace",
        ch->original_trace[0] ? ch->original_trace : NULL, "whatChanged",
        ch->what_changed, "sourceFile",
        ch->source_file[0] ? ch->source_file : NULL, "at", ch->created_at);
    return cli_append_sourced(vctx, o, ch->source_line);
}

/* payspool account show ID: the account with its status history, debit
 * authorizations and notifications of change, numbers masked. */
int cmd_account_show(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_account a;
    struct ps_customer cu;
    json_t *hist = json_array(), *auths = json_array(), *changes = json_array();
    int rc = account_in_business(c, c->pos[0], &a, err);
    if (rc == 0)
        rc = ps_query_customer_get(c->eng, a.customer_id, &cu, err);
    if (rc == 0)
        rc = ps_query_account_history(c->eng, a.id, cli_add_status_history_json,
                                      hist, err);
    if (rc == 0)
        rc =
            ps_query_debit_auths(c->eng, a.id, add_debit_auth_json, auths, err);
    if (rc == 0)
        rc = ps_query_account_changes(c->eng, a.id, add_change_json, changes,
                                      err);
    if (rc != 0) {
        json_decref(hist);
        json_decref(auths);
        json_decref(changes);
        return cli_fail(err);
    }
    json_t *o = cli_account_json(&a);
    json_object_set_new(o, "customerId", json_string(cu.id));
    json_object_set_new(o, "customerExternalId", json_string(cu.external_id));
    json_object_set_new(o, "updatedAt", json_string(a.updated_at));
    json_object_set_new(o, "history", hist);
    json_object_set_new(o, "debitAuthorizations", auths);
    json_object_set_new(o, "changes", changes);
    if (c->json) {
        cli_print_json(o);
        json_decref(o);
        return EX_OK;
    }
    size_t i;
    json_t *v;
    char src[PS_PATH_SIZE + 32];
    printf("account   %s\n", a.id);
    printf("  %s %s %s, %s\n", ps_enum_name(PS_NAMES_ACCOUNT_KIND, (int)a.kind),
           json_string_value(json_object_get(o, "number")), a.display_name,
           ps_enum_name(PS_NAMES_STATUS, (int)a.status));
    if (a.kind == PS_ACCOUNT_EXTERNAL_BANK)
        printf("  routing %s, %s\n", a.routing_number,
               ps_enum_name(PS_NAMES_BANK_TYPE, (int)a.bank_type));
    printf("  customer %s (%s)\n", cu.external_id, cu.id);
    printf("  created %s, updated %s\n", a.created_at, a.updated_at);
    cli_print_status_history(hist);
    json_array_foreach(auths, i, v)
    {
        const char *revoked =
            json_string_value(json_object_get(v, "revokedAt"));
        const char *why = json_string_value(json_object_get(v, "revokeReason"));
        printf("  debit authorization  %s %s \"%s\" since %s",
               json_string_value(json_object_get(v, "kind")),
               json_string_value(json_object_get(v, "status")),
               json_string_value(json_object_get(v, "reference")),
               json_string_value(json_object_get(v, "authorizedAt")));
        if (revoked != NULL)
            printf(", revoked %s: %s", revoked, why ? why : "");
        printf("\n");
    }
    json_array_foreach(changes, i, v)
    {
        const char *trace =
            json_string_value(json_object_get(v, "originalTrace"));
        cli_source_of(v, src, sizeof(src));
        printf("  change    %s  %s %s: %s%s%s%s\n",
               json_string_value(json_object_get(v, "at")),
               json_string_value(json_object_get(v, "changeCode")),
               json_is_true(json_object_get(v, "refused")) ? "refused"
                                                           : "received",
               json_string_value(json_object_get(v, "whatChanged")),
               trace ? ", trace " : "", trace ? trace : "", src);
    }
    json_decref(o);
    return EX_OK;
}

/* account add EXT (--card | --routing RTN): the number from stdin, wiped
 * after use. */
int cmd_account_add(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_business b;
    struct ps_customer cu;
    struct ps_account a;
    int rc;
    char number[64];
    const char *name = cli_opt(c, "name");
    if (cli_customer_lookup(c, c->pos[0], &b, &cu, err) != 0)
        return cli_fail(err);
    if (cli_opt(c, "card") != NULL) {
        rc = cli_read_secret(number, sizeof(number), "the card number", err);
        if (rc == 0)
            rc = ps_account_add_card(c->eng, cu.id, name ? name : "Debit card",
                                     number, &a, err);
    } else {
        const char *routing, *t = cli_opt(c, "account-type");
        int bt = ps_enum_parse(PS_NAMES_BANK_TYPE, t ? t : "CHECKING");
        rc = cli_need(c, "routing", &routing, err);
        if (rc == 0)
            rc = cli_read_secret(number, sizeof(number),
                                 "the bank account number", err);
        if (rc == 0)
            rc = ps_account_add_bank(
                c->eng, cu.id, name ? name : "Bank account", routing, number,
                bt < 0 ? PS_BANK_NONE : (enum ps_bank_type)bt, &a, err);
    }
    sodium_memzero(number, sizeof(number));
    if (rc != 0)
        return cli_fail(err);
    if (c->json) {
        json_t *o = cli_account_json(&a);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("account %s added for %s (%s ****%s)\n", a.id, cu.external_id,
               ps_enum_name(PS_NAMES_ACCOUNT_KIND, (int)a.kind), a.last4);
    }
    return EX_OK;
}

/* account suspend|reactivate ID: the row's subcommand says which. */
int cmd_account_status(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_account a;
    struct ps_source src = {NULL, NULL, 0};
    enum ps_status to = strcmp(c->cmd->sub, "suspend") == 0
                            ? PS_STATUS_SUSPENDED
                            : PS_STATUS_ACTIVE;
    if (cli_need(c, "reason", &src.reason, err) != 0 ||
        account_in_business(c, c->pos[0], &a, err) != 0 ||
        ps_account_set_status(c->eng, a.id, to, &src, err) != 0)
        return cli_fail(err);
    if (c->json) {
        if (ps_query_account_get(c->eng, a.id, &a, err) != 0)
            return cli_fail(err);
        json_t *o = cli_account_json(&a);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("account %s is now %s\n", a.id,
               ps_enum_name(PS_NAMES_STATUS, (int)to));
    }
    return EX_OK;
}

/* The authorization just recorded: the active one of that kind and
 * reference (the last listed when there are several). */
struct auth_find {
    int kind;
    const char *reference;
    json_t *found;
};

static int find_auth(void *vctx, const struct ps_debit_auth *d)
{
    struct auth_find *f = vctx;
    if (d->active && (int)d->kind == f->kind &&
        strcmp(d->reference, f->reference) == 0) {
        json_t *arr = json_array();
        add_debit_auth_json(arr, d);
        json_decref(f->found);
        f->found = json_incref(json_array_get(arr, 0));
        json_decref(arr);
    }
    return 0;
}

int cmd_account_authorize(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_account a;
    const char *kind = cli_opt(c, "kind"), *ref;
    int k = ps_enum_parse(PS_NAMES_DEBIT_AUTH, kind ? kind : "PPD");
    if (k < 0)
        return cli_usage_error(c, "--kind must be WEB, PPD or CCD");
    if (cli_need(c, "reference", &ref, err) != 0 ||
        account_in_business(c, c->pos[0], &a, err) != 0 ||
        ps_account_authorize_debit(c->eng, a.id, (enum ps_debit_auth_kind)k,
                                   ref, err) != 0)
        return cli_fail(err);
    if (c->json) {
        struct auth_find f = {k, ref, NULL};
        if (ps_query_debit_auths(c->eng, a.id, find_auth, &f, err) != 0)
            return cli_fail(err);
        if (f.found == NULL) /* recorded, so listed: an engine bug */
            return cli_error(PS_EINTERNAL, "EINTERNAL",
                             "the debit authorization just recorded is not "
                             "listed");
        json_object_set_new(f.found, "accountId", json_string(a.id));
        cli_print_json(f.found);
        json_decref(f.found);
    } else {
        printf("debit authorization %s recorded for account %s\n",
               ps_enum_name(PS_NAMES_DEBIT_AUTH, k), a.id);
    }
    return EX_OK;
}
