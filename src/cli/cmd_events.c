/*
 * cmd_events.c -- `payspool events list [--dead]` and `payspool events
 * replay`: the business's event outbox and its webhook delivery state.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli_int.h"
#include "engine/linxapi.h"

static int list_event(void *vctx, const struct ps_event_info *e)
{
    struct cli_list *l = vctx;
    if (l->arr != NULL)
        json_array_append_new(
            l->arr,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s?, s:s, s:o?}", "id",
                      e->event_id, "type", e->event_type, "entityType",
                      e->entity_type, "entityId", e->entity_id, "delivery",
                      e->delivery, "attempts", e->attempts, "lastError",
                      e->last_error[0] ? e->last_error : NULL, "createdAt",
                      e->created_at, "payload",
                      json_loads(e->payload, 0, NULL)));
    else
        printf("%-36s %-12s %-11s %-9s %3d %s\n", e->event_id, e->event_type,
               e->entity_type, e->delivery, e->attempts, e->created_at);
    l->n++;
    return 0;
}

int cmd_events_list(struct cli_ctx *c, struct ps_err *err)
{
    struct cli_list l = {c, c->json ? json_array() : NULL, 0};
    if (!c->json)
        printf("%-36s %-12s %-11s %-9s %3s %s\n", "ID", "TYPE", "ENTITY",
               "DELIVERY", "TRY", "CREATED");
    if (ps_events_list(c->eng, cli_opt(c, "business"),
                       cli_opt(c, "dead") != NULL, list_event, &l,
                       err) != 0) {
        json_decref(l.arr);
        return cli_fail(err);
    }
    if (c->json) {
        cli_print_json(l.arr);
        json_decref(l.arr);
    }
    return EX_OK;
}

int cmd_events_replay(struct cli_ctx *c, struct ps_err *err)
{
    const char *b, *id = cli_opt(c, "id");
    long n = 0;
    if (cli_need(c, "business", &b, err) != 0)
        return cli_fail(err);
    if (id == NULL && cli_opt(c, "dead") == NULL)
        return cli_usage_error(c, "give --id EVENT or --dead");
    if (ps_events_replay(c->eng, b, id, &n, err) != 0)
        return cli_fail(err);
    if (c->json) {
        json_t *o = json_pack("{s:s, s:s?, s:b, s:I}", "business", b, "id",
                              id, "dead", cli_opt(c, "dead") != NULL,
                              "queued", (json_int_t)n);
        cli_print_json(o);
        json_decref(o);
    } else
        printf("%ld event(s) queued for delivery again\n", n);
    return EX_OK;
}
