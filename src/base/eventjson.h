/*
 * eventjson.h -- the JSON payload of a status event (engine/event.h has
 * its fields), one function for both sides of the outbox: the writer of
 * a row that keeps its payload, and the store's readers of a
 * transaction's status event, whose row keeps only the ids and whose
 * payload is made again from its history row and its transaction (both
 * immutable) each time it is read (docs/store.md).  Byte for byte the
 * JSON_COMPACT dump jansson gives of the object
 *   {"id", "type", "entityType", "entityId", "ref"?, "customerId"?,
 *    "from"?, "to", "event"?, "reason"?, "at"}
 * where a "?" value NULL or "" is null.
 */
#ifndef PS_EVENTJSON_H
#define PS_EVENTJSON_H

#include <stddef.h>

struct ps_event_json {
    const char *id, *type, *entity_type, *entity_id;
    const char *ref, *customer_id, *from; /* NULL or "": null */
    const char *to;
    const char *event, *reason; /* NULL or "": null */
    const char *at;
};

/* The payload of f: in buf (of size bytes) when it fits and needs no
 * escaping, else in a malloc'd string also left in *heap (free it);
 * NULL when out of memory or a required value (id, type, entity type
 * and id, to, at) is NULL. */
const char *ps_event_json(const struct ps_event_json *f, char *buf,
                          size_t size, char **heap);

#endif /* PS_EVENTJSON_H */
