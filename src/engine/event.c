/*
 * event.c -- customer, account and transaction status events to the
 * event outbox (see event.h).
 */
#include "engine/event.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/id.h"
#include "store/linx.h"

static const char *opt(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

int ps_status_event(struct ps_store *store, const struct ps_status_event *e,
                    struct ps_err *err)
{
    struct ps_event_row r;
    json_t *o;
    char *payload;
    size_t i;
    int rc;
    memset(&r, 0, sizeof(r));
    ps_id_new(r.event_id);
    ps_strlcpy(r.business_id, e->business_id, sizeof(r.business_id));
    /* "customer.status", "account.status", "transaction.status" */
    for (i = 0; e->entity_type[i] != '\0' && i + 8 < sizeof(r.event_type);
         i++)
        r.event_type[i] = (char)tolower((unsigned char)e->entity_type[i]);
    ps_strlcpy(r.event_type + i, ".status", sizeof(r.event_type) - i);
    ps_strlcpy(r.entity_type, e->entity_type, sizeof(r.entity_type));
    ps_strlcpy(r.entity_id, e->entity_id, sizeof(r.entity_id));
    ps_strlcpy(r.customer_id, e->customer_id != NULL ? e->customer_id : "",
               sizeof(r.customer_id));
    ps_strlcpy(r.created_at, e->at, sizeof(r.created_at));
    o = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s?, s:s?,"
                  " s:s}",
                  "id", r.event_id, "type", r.event_type, "entityType",
                  r.entity_type, "entityId", r.entity_id, "ref", opt(e->ref),
                  "customerId", opt(e->customer_id), "from", opt(e->from),
                  "to", e->to, "event", opt(e->event), "reason",
                  opt(e->reason), "at", e->at);
    payload = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (payload == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    r.payload = payload;
    rc = ps_store_event_insert(store, &r, err);
    free(payload);
    return rc;
}
