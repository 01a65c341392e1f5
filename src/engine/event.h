/*
 * event.h -- status events of customers, accounts and transactions to the
 * business's event outbox (table event_outbox), in the caller's store
 * transaction: an event commits with its status change, or not at all.
 * The events/ JSON Lines writer and webhook delivery then carry them like
 * the LinX events (linx.c).
 *
 * Written by the one place each status changes: change_status
 * (engine.c) and the ACH return's account suspension (achfx.c) for
 * customers and accounts, ps_txn_apply (txn.c) for transactions.  The
 * creation of a transaction (NEW, recorded on the row and its history) is
 * not an event: a file of a million payments adds no outbox row per
 * record; its first status change (SUBMIT) is.
 *
 * Payload (JSON, one object):
 *   {"id", "type": "customer.status" | "account.status" |
 *    "transaction.status", "entityType": "CUSTOMER" | "ACCOUNT" |
 *    "TRANSACTION", "entityId", "ref" (external id, account last 4 masked,
 *    request id; when known), "customerId", "from", "to", "event" (the
 *    transaction's event), "reason" (when given), "at"}
 */
#ifndef PS_EVENT_H
#define PS_EVENT_H

#include "base/err.h"
#include "store/store.h"

struct ps_status_event {
    const char *business_id;
    const char *entity_type; /* CUSTOMER, ACCOUNT or TRANSACTION */
    const char *entity_id;
    const char *customer_id; /* NULL or "" when none */
    const char *ref;         /* NULL or "" when none */
    const char *from;        /* NULL or "" for none */
    const char *to;
    const char *event;  /* NULL when the change has no event name */
    const char *reason; /* NULL or "" when none */
    const char *at;
};

/* One row in event_outbox for e (PS_ENOMEM, or the store's error). */
int ps_status_event(struct ps_store *store, const struct ps_status_event *e,
                    struct ps_err *err);
/* The same for a transaction's change whose history row, just inserted
 * (ps_store_txn_history_last), has id history_id: that row and the
 * transaction hold every value of e, and the store keeps no payload
 * (schema v25: made again when read, base/eventjson.h); history_id 0
 * stores it. */
int ps_status_event_of(struct ps_store *store, const struct ps_status_event *e,
                       int64_t history_id, struct ps_err *err);

#endif /* PS_EVENT_H */
