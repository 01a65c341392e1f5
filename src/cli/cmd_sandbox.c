/*
 * cmd_sandbox.c -- `payspool sandbox provider`: the sandbox card
 * processor and ODFI answer every complete payout and NACHA file not
 * answered yet, with status files (and NACHA returns and NOCs) in the
 * sandbox provider's folder, providers/sandbox/inbound/<business>/.  Only
 * on a sandbox spool ([spool] sandbox = yes: NOT_A_SANDBOX, exit 78,
 * otherwise, before anything is written) and never beside a running
 * engine (the row takes the engine lock: exit 75).  Only the CLI includes
 * sandbox/.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli_int.h"
#include "intake/channel.h"
#include "sandbox/cardproc.h"
#include "sandbox/odfi.h"

int cmd_sandbox_provider(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_businesses bl = {NULL, 0, 0}, *l = &bl;
    const struct ps_calendar *cal = c->cal;
    int64_t until = -1;
    json_t *arr = NULL;
    int rc;

    if (!c->cfg.sandbox) {
        /* Fake settlements and returns must never reach a real spool. */
        ps_err_set(err, PS_ECONFIG, "NOT_A_SANDBOX",
                   "%s is not a sandbox spool: the sandbox provider answers "
                   "only where the configuration (%s) says [spool] sandbox = "
                   "yes; nothing written",
                   c->spool, c->config);
        return cli_fail(err);
    }
    arr = c->json ? json_array() : NULL;
    if ((cli_opt(c, "date") != NULL && cli_date_opt(c, &until, err) != 0) ||
        cli_businesses_opt(c, l, err) != 0) {
        rc = cli_fail(err);
        goto out;
    }
    rc = EX_OK;
    for (size_t i = 0; i < l->n; i++)
        if ((rc = ps_channel_dirs(c->spool, &c->cfg, l->v[i].name, err)) != 0) {
            rc = cli_fail(err);
            goto out;
        }
    for (size_t i = 0; i < l->n; i++) {
        struct ps_sandbox_stats st;
        struct ps_odfi_stats ach;
        if (ps_sandbox_provider(c->spool, &l->v[i], cal, until, &st, err) !=
                0 ||
            ps_sandbox_odfi(c->spool, &l->v[i], cal, until, &ach, err) != 0) {
            rc = cli_fail(err);
            break;
        }
        if (c->json) {
            json_t *o = json_pack(
                "{s:s, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}}", "business",
                l->v[i].name, "files", (json_int_t)st.files, "settled",
                (json_int_t)st.settled, "declined", (json_int_t)st.declined,
                "errors", (json_int_t)st.errors, "ach", "files",
                (json_int_t)ach.files, "settled", (json_int_t)ach.settled,
                "returned", (json_int_t)ach.returned, "nocs",
                (json_int_t)ach.nocs);
            json_array_append_new(arr, o);
        } else {
            printf("%s: answered %ld payout files: %ld settled, %ld "
                   "declined, %ld provider errors\n",
                   l->v[i].name, st.files, st.settled, st.declined, st.errors);
            if (ach.files > 0)
                printf("%s: answered %ld NACHA files: %ld settled, %ld "
                       "returned, %ld notifications of change\n",
                       l->v[i].name, ach.files, ach.settled, ach.returned,
                       ach.nocs);
        }
    }
    if (arr != NULL && rc == EX_OK)
        cli_print_json(arr); /* one array, as payouts run and ach cutoff */
out:
    json_decref(arr);
    ps_businesses_free(l);
    return rc;
}
