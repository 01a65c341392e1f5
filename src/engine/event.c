/*
 * event.c -- customer, account and transaction status events to the
 * event outbox (see event.h).
 */
#include "engine/event.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/eventjson.h"
#include "base/id.h"
#include "store/linx.h"

int ps_status_event(struct ps_store *store, const struct ps_status_event *e,
                    struct ps_err *err)
{
    return ps_status_event_of(store, e, 0, err);
}

int ps_status_event_of(struct ps_store *store, const struct ps_status_event *e,
                       int64_t history_id, struct ps_err *err)
{
    char buf[1024], *heap = NULL;
    struct ps_event_row r;
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
    const struct ps_event_json f = {
        r.event_id, r.event_type, r.entity_type, r.entity_id, e->ref,
        e->customer_id, e->from, e->to, e->event, e->reason, e->at};
    if (history_id > 0 && e->to != NULL && e->at != NULL &&
        ps_store_txn_history_last(store) == history_id) {
        /* the payload made from the history row when read */
        r.history_id = history_id;
        return ps_store_event_insert(store, &r, err);
    }
    r.payload = ps_event_json(&f, buf, sizeof(buf), &heap);
    if (r.payload == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    rc = ps_store_event_insert(store, &r, err);
    free(heap);
    return rc;
}
