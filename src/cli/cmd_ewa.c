/*
 * cmd_ewa.c -- `payspool ewa enroll|show|export|eligibility|enrollment`:
 * earned wage access profiles.  --json prints the seed's profile object.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli_int.h"
#include "engine/ewa.h"
#include "outbound/ewaexport.h"

static int ewa_profile(struct cli_ctx *c, struct ps_business *b,
                       struct ps_profile *p, struct ps_err *err)
{
    const char *bus;
    int rc;
    if ((rc = cli_need(c, "business", &bus, err)) != 0 ||
        (rc = ps_business_find(c->eng, bus, b, err)) != 0)
        return rc;
    return ps_ewa_find(c->eng, b->id, c->pos[0], p, err);
}

struct first_card {
    char id[PS_ID_SIZE];
};

static int pick_account(void *vctx, const struct ps_account *a)
{
    struct first_card *f = vctx;
    if (a->status == PS_STATUS_ACTIVE) {
        ps_strlcpy(f->id, a->id, sizeof(f->id));
        /* Prefer a card (push-to-card is the EWA rail); keep looking. */
        if (a->kind == PS_ACCOUNT_EXTERNAL_CARD)
            return 1;
    }
    return 0;
}

/* The profile object, first page: what --json commands on a profile
 * print after changing it. */
static int ewa_print(struct cli_ctx *c, const struct ps_business *b,
                     const char *external_id, struct ps_err *err)
{
    json_t *o;
    if (ps_ewa_show(c->eng, b->id, external_id, 0, 20, &o, err) != 0)
        return cli_fail(err);
    cli_print_json(o);
    json_decref(o);
    return EX_OK;
}

int cmd_ewa_show(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_business b;
    struct ps_profile p;
    long page, size;
    json_t *o;
    if (cli_int_opt(c, "page", 0, 1000000, 0, &page, err) != 0 ||
        cli_int_opt(c, "size", 1, 1000, 20, &size, err) != 0 ||
        ewa_profile(c, &b, &p, err) != 0 ||
        ps_ewa_show(c->eng, b.id, p.external_id, (int)page, (int)size, &o,
                    err) != 0)
        return cli_fail(err);
    cli_print_json(o);
    json_decref(o);
    return EX_OK;
}

int cmd_ewa_export(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_business b;
    char path[PS_PATH_SIZE];
    const char *bus;
    long size, n = 0;
    if (cli_int_opt(c, "page-size", 1, 1000, 100, &size, err) != 0 ||
        cli_need(c, "business", &bus, err) != 0 ||
        ps_business_find(c->eng, bus, &b, err) != 0 ||
        ps_ewaexport_write(c->eng, c->spool, &b, (int)size, path,
                           sizeof(path), &n, err) != 0)
        return cli_fail(err);
    if (c->json) {
        json_t *o = json_pack("{s:s, s:s, s:I}", "business", b.name, "path",
                              path, "profiles", (json_int_t)n);
        cli_print_json(o);
        json_decref(o);
    } else
        printf("exported %ld EWA profiles of %s to %s\n", n, b.name, path);
    return EX_OK;
}

int cmd_ewa_enroll(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_business b;
    struct ps_profile p;
    struct ps_customer cu;
    struct first_card acct = {""};
    const char *prog, *cust, *aid;
    memset(&p, 0, sizeof(p));
    if (cli_need(c, "program", &prog, err) != 0)
        return cli_fail(err);
    cust = cli_opt(c, "customer");
    if (cust == NULL)
        cust = c->pos[0];
    if (cli_customer_lookup(c, cust, &b, &cu, err) != 0)
        return cli_fail(err);
    aid = cli_opt(c, "account");
    if (aid == NULL) {
        if (ps_query_accounts(c->eng, cu.id, pick_account, &acct, err) != 0)
            return cli_fail(err);
        if (acct.id[0] == '\0') {
            ps_err_set(err, PS_EINVAL, "NO_ACCOUNT",
                       "customer %s has no active financial account",
                       cu.external_id);
            return cli_fail(err);
        }
        aid = acct.id;
    }
    ps_strlcpy(p.business_id, b.id, sizeof(p.business_id));
    ps_strlcpy(p.external_id, c->pos[0], sizeof(p.external_id));
    ps_strlcpy(p.customer_id, cu.id, sizeof(p.customer_id));
    ps_strlcpy(p.account_id, aid, sizeof(p.account_id));
    ps_strlcpy(p.program_id, prog, sizeof(p.program_id));
    struct ps_source src = {cli_opt(c, "reason"), NULL, 0};
    if (cli_copy_opt(c, "begin", p.enrollment_begin, sizeof(p.enrollment_begin),
                     err) != 0 ||
        cli_copy_opt(c, "end", p.enrollment_end, sizeof(p.enrollment_end),
                     err) != 0 ||
        ps_ewa_enroll(c->eng, &p, &src, err) != 0)
        return cli_fail(err);
    if (c->json)
        return ewa_print(c, &b, p.external_id, err);
    printf("EWA profile %s enrolled in %s (id %s, status NEW)\n", p.external_id,
           prog, p.id);
    return EX_OK;
}

int cmd_ewa_eligibility(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_business b;
    struct ps_profile p;
    const char *status;
    struct ps_source src = {NULL, NULL, 0};
    if (cli_need(c, "status", &status, err) != 0 ||
        cli_need(c, "reason", &src.reason, err) != 0)
        return cli_fail(err);
    int to = ps_enum_parse(PS_NAMES_ELIGIBILITY, status);
    if (to < 0)
        return cli_usage_error(c,
                               "--status must be one of NEW ELIGIBLE "
                               "INELIGIBLE ARREARS BAD_DEBT DISABLED, not %s",
                               status);
    if (ewa_profile(c, &b, &p, err) != 0 ||
        ps_ewa_set_eligibility(c->eng, p.id, (enum ps_eligibility)to, &src,
                               err) != 0)
        return cli_fail(err);
    if (c->json)
        return ewa_print(c, &b, p.external_id, err);
    printf("EWA profile %s: %s -> %s (%s)\n", p.external_id,
           ps_enum_name(PS_NAMES_ELIGIBILITY, (int)p.eligibility), status,
           src.reason);
    return EX_OK;
}

int cmd_ewa_enrollment(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_business b;
    struct ps_profile p;
    const char *status;
    if (cli_need(c, "status", &status, err) != 0)
        return cli_fail(err);
    int to = ps_enum_parse(PS_NAMES_ENROLLMENT, status);
    if (to < 0)
        return cli_usage_error(c, "--status must be ACTIVE or INACTIVE, not %s",
                               status);
    if (ewa_profile(c, &b, &p, err) != 0 ||
        ps_ewa_set_enrollment(c->eng, p.id, (enum ps_enrollment)to,
                              cli_opt(c, "begin"), cli_opt(c, "end"), err) != 0)
        return cli_fail(err);
    if (c->json)
        return ewa_print(c, &b, p.external_id, err);
    printf("EWA profile %s enrollment is now %s\n", p.external_id, status);
    return EX_OK;
}
