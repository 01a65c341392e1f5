/*
 * cmd_customer.c -- `payspool customer add|show|suspend|reactivate`, and
 * the JSON of accounts and status histories that `account show` shares.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli_int.h"

static int add_contact_json(void *vctx, const struct ps_contact *k)
{
    json_array_append_new(
        vctx, json_pack("{s:b, s:s, s:s, s:s, s:s}", "primary", k->primary,
                        "firstName", k->first_name, "lastName", k->last_name,
                        "email", k->email, "phone", k->phone));
    return 0;
}

static int add_address_json(void *vctx, const struct ps_address *a)
{
    json_array_append_new(
        vctx, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type",
                        ps_enum_name(PS_NAMES_ADDRESS_TYPE, (int)a->type),
                        "line1", a->line1, "line2", a->line2, "city", a->city,
                        "region", a->region, "postalCode", a->postal_code,
                        "country", a->country));
    return 0;
}

json_t *cli_account_json(const struct ps_account *a)
{
    char mask[PS_MASK_SIZE];
    if (a->kind == PS_ACCOUNT_EXTERNAL_CARD)
        snprintf(mask, sizeof(mask), "%s******%s", a->bin, a->last4);
    else
        snprintf(mask, sizeof(mask), "****%s", a->last4);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s}", "id", a->id,
                     "kind", ps_enum_name(PS_NAMES_ACCOUNT_KIND, (int)a->kind),
                     "displayName", a->display_name, "status",
                     ps_enum_name(PS_NAMES_STATUS, (int)a->status), "number",
                     mask, "routingNumber",
                     a->routing_number[0] ? a->routing_number : NULL,
                     "accountType",
                     a->bank_type != PS_BANK_NONE
                         ? ps_enum_name(PS_NAMES_BANK_TYPE, (int)a->bank_type)
                         : NULL,
                     "createdAt", a->created_at);
}

static int add_account_json(void *vctx, const struct ps_account *a)
{
    json_array_append_new(vctx, cli_account_json(a));
    return 0;
}

int cli_add_status_history_json(void *vctx,
                                const struct ps_status_history_row *h)
{
    json_t *o = json_pack(
        "{s:s?, s:s, s:s?, s:s?, s:s}", "from",
        h->from_status >= 0 ? ps_enum_name(PS_NAMES_STATUS, h->from_status)
                            : NULL,
        "to", ps_enum_name(PS_NAMES_STATUS, (int)h->to_status), "reason",
        h->reason[0] ? h->reason : NULL, "sourceFile",
        h->source_file[0] ? h->source_file : NULL, "at", h->created_at);
    return cli_append_sourced(vctx, o, h->source_line);
}

/* The customer's identity details as "identity": {"dateOfBirth",
 * "taxId"}, masked (query.h), when any are on file. */
int cli_identity_json(struct cli_ctx *c, json_t *o, const char *customer_id,
                      struct ps_err *err)
{
    struct ps_identity_mask m;
    int rc = ps_query_customer_identity(c->eng, customer_id, &m, err);
    if (rc == 0 && (m.dob[0] != '\0' || m.tax_id[0] != '\0'))
        json_object_set_new(
            o, "identity",
            json_pack("{s:s?, s:s?}", "dateOfBirth",
                      m.dob[0] ? m.dob : NULL, "taxId",
                      m.tax_id[0] ? m.tax_id : NULL));
    return rc;
}

void cli_print_identity(json_t *o)
{
    json_t *id = json_object_get(o, "identity");
    const char *dob = json_string_value(json_object_get(id, "dateOfBirth"));
    const char *tax = json_string_value(json_object_get(id, "taxId"));
    if (dob != NULL)
        printf("birth     %s\n", dob);
    if (tax != NULL)
        printf("tax id    %s\n", tax);
}

/* The status history lines of `customer show` and `account show`. */
void cli_print_status_history(json_t *hist)
{
    size_t i;
    json_t *v;
    char src[PS_PATH_SIZE + 32];
    json_array_foreach(hist, i, v)
    {
        const char *from = json_string_value(json_object_get(v, "from"));
        const char *reason = json_string_value(json_object_get(v, "reason"));
        cli_source_of(v, src, sizeof(src));
        printf("  status    %s  %s -> %s  %s%s\n",
               json_string_value(json_object_get(v, "at")),
               from ? from : "(new)",
               json_string_value(json_object_get(v, "to")),
               reason ? reason : "", src);
    }
}

static int customer_show(struct cli_ctx *c, const char *ext, struct ps_err *err)
{
    struct ps_business b;
    struct ps_customer cu;
    json_t *contacts = json_array(), *addrs = json_array(),
           *accts = json_array(), *hist = json_array();
    int rc = cli_customer_lookup(c, ext, &b, &cu, err);
    if (rc == 0)
        rc = ps_query_customer_contacts(c->eng, cu.id, add_contact_json,
                                        contacts, err);
    if (rc == 0)
        rc = ps_query_customer_addresses(c->eng, cu.id, add_address_json, addrs,
                                         err);
    if (rc == 0)
        rc = ps_query_accounts(c->eng, cu.id, add_account_json, accts, err);
    if (rc == 0)
        rc = ps_query_customer_history(c->eng, cu.id,
                                       cli_add_status_history_json, hist, err);
    if (rc != 0) {
        json_decref(contacts);
        json_decref(addrs);
        json_decref(accts);
        json_decref(hist);
        return cli_fail(err);
    }
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s, s:o,"
        " s:o, s:o, s:s, s:s}",
        "id", cu.id, "businessId", cu.business_id, "externalId", cu.external_id,
        "type", ps_enum_name(PS_NAMES_CUSTOMER_TYPE, (int)cu.type), "firstName",
        cu.first_name[0] ? cu.first_name : NULL, "middleName",
        cu.middle_name[0] ? cu.middle_name : NULL, "lastName",
        cu.last_name[0] ? cu.last_name : NULL, "dbaName",
        cu.dba_name[0] ? cu.dba_name : NULL, "email",
        cu.email[0] ? cu.email : NULL, "phone", cu.phone[0] ? cu.phone : NULL,
        "status", ps_enum_name(PS_NAMES_STATUS, (int)cu.status), "contacts",
        contacts, "addresses", addrs, "financialAccounts", accts, "createdAt",
        cu.created_at, "updatedAt", cu.updated_at);
    json_object_set_new(o, "history", hist);
    if ((rc = cli_identity_json(c, o, cu.id, err)) != 0) {
        json_decref(o);
        return cli_fail(err);
    }
    if (c->json) {
        cli_print_json(o);
    } else {
        size_t i;
        json_t *v;
        if (cu.type == PS_CUSTOMER_INDIVIDUAL)
            printf("%s %s%s%s  (%s, %s)\n", cu.first_name, cu.middle_name,
                   cu.middle_name[0] ? " " : "", cu.last_name, cu.external_id,
                   ps_enum_name(PS_NAMES_STATUS, (int)cu.status));
        else
            printf("%s  (%s, BUSINESS, %s)\n", cu.dba_name, cu.external_id,
                   ps_enum_name(PS_NAMES_STATUS, (int)cu.status));
        printf("id        %s\nbusiness  %s\n", cu.id, b.name);
        if (cu.email[0])
            printf("email     %s\nphone     %s\n", cu.email, cu.phone);
        json_array_foreach(contacts, i, v)
        {
            printf("contact   %s %s <%s> %s%s\n",
                   json_string_value(json_object_get(v, "firstName")),
                   json_string_value(json_object_get(v, "lastName")),
                   json_string_value(json_object_get(v, "email")),
                   json_string_value(json_object_get(v, "phone")),
                   json_is_true(json_object_get(v, "primary")) ? " (primary)"
                                                               : "");
        }
        json_array_foreach(addrs, i, v)
        {
            printf("address   %s: %s, %s %s %s\n",
                   json_string_value(json_object_get(v, "type")),
                   json_string_value(json_object_get(v, "line1")),
                   json_string_value(json_object_get(v, "city")),
                   json_string_value(json_object_get(v, "postalCode")),
                   json_string_value(json_object_get(v, "country")));
        }
        cli_print_identity(o);
        json_array_foreach(accts, i, v)
        {
            printf("account   %s %-13s %-16s %-9s %s\n",
                   json_string_value(json_object_get(v, "id")),
                   json_string_value(json_object_get(v, "kind")),
                   json_string_value(json_object_get(v, "number")),
                   json_string_value(json_object_get(v, "status")),
                   json_string_value(json_object_get(v, "displayName")));
        }
        cli_print_status_history(hist);
    }
    json_decref(o);
    return EX_OK;
}

/* Copy an option's value into a fixed field; a value that does not fit is
 * an error (never cut: a cut value could pass validation). */
int cmd_customer_add(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_customer cu;
    struct ps_contact contact;
    struct ps_address addr;
    struct ps_business b;
    const char *bus, *type = cli_opt(c, "type");
    size_t ncontacts = 0, naddr = 0;
    int rc;
    memset(&cu, 0, sizeof(cu));
    memset(&contact, 0, sizeof(contact));
    memset(&addr, 0, sizeof(addr));
    if ((rc = cli_need(c, "business", &bus, err)) != 0)
        return cli_fail(err);
    rc = type == NULL ? PS_CUSTOMER_INDIVIDUAL
                      : ps_enum_parse(PS_NAMES_CUSTOMER_TYPE, type);
    if (rc < 0)
        return cli_usage_error(c, "--type must be INDIVIDUAL or BUSINESS");
    cu.type = (enum ps_customer_type)rc;
    if (strlen(c->pos[0]) >= sizeof(cu.external_id)) {
        ps_err_set(err, PS_EINVAL, "EXTERNAL_ID_FORMAT",
                   "externalId must be 1 to 64 characters");
        return cli_fail(err);
    }
    ps_strlcpy(cu.external_id, c->pos[0], sizeof(cu.external_id));
    if (cli_copy_opt(c, "first-name", cu.first_name, sizeof(cu.first_name),
                     err) != 0 ||
        cli_copy_opt(c, "middle-name", cu.middle_name, sizeof(cu.middle_name),
                     err) != 0 ||
        cli_copy_opt(c, "last-name", cu.last_name, sizeof(cu.last_name), err) !=
            0 ||
        cli_copy_opt(c, "dba-name", cu.dba_name, sizeof(cu.dba_name), err) !=
            0 ||
        cli_copy_opt(c, "email", cu.email, sizeof(cu.email), err) != 0 ||
        cli_copy_opt(c, "phone", cu.phone, sizeof(cu.phone), err) != 0)
        return cli_fail(err);
    if (cu.type == PS_CUSTOMER_BUSINESS) {
        /* The primary contact: the individual's name fields. */
        contact.primary = 1;
        ps_strlcpy(contact.first_name, cu.first_name,
                   sizeof(contact.first_name));
        ps_strlcpy(contact.last_name, cu.last_name, sizeof(contact.last_name));
        ps_strlcpy(contact.email, cu.email, sizeof(contact.email));
        ps_strlcpy(contact.phone, cu.phone, sizeof(contact.phone));
        cu.first_name[0] = cu.last_name[0] = cu.email[0] = cu.phone[0] = '\0';
        ncontacts = 1;
    }
    if (cli_opt(c, "address-line1") != NULL) {
        const char *t = cli_opt(c, "address-type");
        int at = ps_enum_parse(PS_NAMES_ADDRESS_TYPE, t ? t : "MAILING");
        if (at < 0)
            return cli_usage_error(c, "unknown --address-type %s", t);
        addr.type = (enum ps_address_type)at;
        if (cli_copy_opt(c, "address-line1", addr.line1, sizeof(addr.line1),
                         err) != 0 ||
            cli_copy_opt(c, "address-line2", addr.line2, sizeof(addr.line2),
                         err) != 0 ||
            cli_copy_opt(c, "city", addr.city, sizeof(addr.city), err) != 0 ||
            cli_copy_opt(c, "region", addr.region, sizeof(addr.region), err) !=
                0 ||
            cli_copy_opt(c, "postal-code", addr.postal_code,
                         sizeof(addr.postal_code), err) != 0 ||
            cli_copy_opt(c, "country", addr.country, sizeof(addr.country),
                         err) != 0)
            return cli_fail(err);
        naddr = 1;
    }
    if (ps_business_find(c->eng, bus, &b, err) != 0)
        return cli_fail(err);
    ps_strlcpy(cu.business_id, b.id, sizeof(cu.business_id));
    if (ps_customer_create(c->eng, &cu, &contact, ncontacts, &addr, naddr, NULL,
                           err) != 0)
        return cli_fail(err);
    if (!c->json) {
        printf("customer %s added to %s (id %s)\n", cu.external_id, b.name,
               cu.id);
        return EX_OK;
    }
    return customer_show(c, cu.external_id, err);
}

/* customer suspend|reactivate EXT: the row's subcommand says which. */
int cmd_customer_status(struct cli_ctx *c, struct ps_err *err)
{
    enum ps_status to = strcmp(c->cmd->sub, "suspend") == 0
                            ? PS_STATUS_SUSPENDED
                            : PS_STATUS_ACTIVE;
    struct ps_business b;
    struct ps_customer cu;
    struct ps_source src = {cli_opt(c, "reason"), NULL, 0};
    if (cli_need(c, "reason", &src.reason, err) != 0 ||
        cli_customer_lookup(c, c->pos[0], &b, &cu, err) != 0 ||
        ps_customer_set_status(c->eng, cu.id, to, &src, err) != 0)
        return cli_fail(err);
    if (!c->json)
        printf("customer %s is now %s\n", cu.external_id,
               ps_enum_name(PS_NAMES_STATUS, (int)to));
    else
        return customer_show(c, cu.external_id, err);
    return EX_OK;
}

int cmd_customer_show(struct cli_ctx *c, struct ps_err *err)
{
    return customer_show(c, c->pos[0], err);
}
