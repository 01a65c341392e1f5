/*
 * cmd_provider.c -- `payspool provider list`: the provider channel as the
 * configuration binds it (intake/channel.h): each provider, the
 * businesses it answers for and the folder it drops into for each.  A
 * named business the spool does not have is shown as such (its folder is
 * made when it is added).  Reads the configuration and the business list;
 * writes nothing.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli_int.h"
#include "intake/channel.h"

struct plist {
    struct cli_ctx *c;
    json_t *arr;
    const char *provider;
};

/* One (provider, business) row. */
static void row(struct plist *l, const char *business, int known)
{
    char dir[CLI_PATH * 2];
    struct ps_err e;
    if (ps_channel_folder(dir, sizeof(dir), l->c->spool, l->provider, business,
                          &e) != 0)
        ps_strlcpy(dir, "(path too long)", sizeof(dir));
    if (l->arr != NULL)
        json_array_append_new(l->arr,
                              json_pack("{s:s, s:s, s:s, s:b}", "provider",
                                        l->provider, "business", business,
                                        "folder", dir, "businessKnown", known));
    else
        printf("%-20s %-24s %s%s\n", l->provider, business, dir,
               known ? "" : "  (no such business yet)");
}

static int sandbox_row(void *ctx, const struct ps_business *b)
{
    row(ctx, b->name, 1);
    return 0;
}

struct find {
    const char *name;
    int found;
};

static int known_business(void *ctx, const struct ps_business *b)
{
    struct find *f = ctx;
    f->found = strcmp(f->name, b->name) == 0;
    return f->found; /* non-zero stops the list */
}

int cmd_provider_list(struct cli_ctx *c, struct ps_err *err)
{
    struct plist l = {c, c->json ? json_array() : NULL, NULL};
    int rc = 0;
    if (!c->json)
        printf("%-20s %-24s %s\n", "PROVIDER", "BUSINESS", "FOLDER");
    if (c->cfg.sandbox) {
        l.provider = PS_SANDBOX_PROVIDER;
        rc = ps_query_businesses(c->eng, sandbox_row, &l, err);
    }
    for (int i = 0; rc == 0 && i < c->cfg.nproviders; i++) {
        char list[sizeof(c->cfg.providers[i].businesses)], *save = NULL;
        l.provider = c->cfg.providers[i].name;
        ps_strlcpy(list, c->cfg.providers[i].businesses, sizeof(list));
        for (char *b = strtok_r(list, " ", &save); rc == 0 && b != NULL;
             b = strtok_r(NULL, " ", &save)) {
            struct find f = {b, 0};
            rc = ps_query_businesses(c->eng, known_business, &f, err);
            if (rc == 0)
                row(&l, b, f.found);
        }
    }
    if (rc != 0) {
        json_decref(l.arr);
        return cli_fail(err);
    }
    if (c->json) {
        cli_print_json(l.arr);
        json_decref(l.arr);
    }
    return EX_OK;
}
