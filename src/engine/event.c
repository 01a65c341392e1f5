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

/* Append "key":"value" (a comma first unless at the start) when every
 * byte of value is printable ASCII other than '"' and '\\': the bytes
 * jansson writes as they are (JSON_COMPACT, no JSON_ENSURE_ASCII nor
 * JSON_ESCAPE_SLASH); a NULL value is null, as json_pack's "s?" writes
 * it.  0, or -1 when the value needs escaping or the buffer is full (the
 * caller then lets jansson write the whole object). */
static int put(char *buf, size_t size, size_t *n, const char *key,
               const char *value)
{
    size_t kl = strlen(key), vl;
    if (value == NULL) { /* json_pack's "s?" of NULL: null */
        if (*n + kl + 8 > size)
            return -1;
        if (*n > 1)
            buf[(*n)++] = ',';
        buf[(*n)++] = '"';
        memcpy(buf + *n, key, kl);
        *n += kl;
        memcpy(buf + *n, "\":null", 6);
        *n += 6;
        return 0;
    }
    for (vl = 0; value[vl] != '\0'; vl++)
        if ((unsigned char)value[vl] < 0x20 ||
            (unsigned char)value[vl] > 0x7e || value[vl] == '"' ||
            value[vl] == '\\')
            return -1;
    if (*n + kl + vl + 8 > size)
        return -1;
    if (*n > 1)
        buf[(*n)++] = ',';
    buf[(*n)++] = '"';
    memcpy(buf + *n, key, kl);
    *n += kl;
    memcpy(buf + *n, "\":\"", 3);
    *n += 3;
    memcpy(buf + *n, value, vl);
    *n += vl;
    buf[(*n)++] = '"';
    return 0;
}

/* The payload as jansson's json_dumps(JSON_COMPACT) of the object in
 * ps_status_event() writes it, byte for byte, without building the
 * object (a payout writes two events a transaction: building and
 * dumping them was a sixth of `payouts run`).  -1 when a value needs
 * escaping: the caller builds it with jansson. */
static int fast_payload(const struct ps_event_row *r,
                        const struct ps_status_event *e, char *buf,
                        size_t size)
{
    const char *const keys[] = {"id",         "type", "entityType",
                                "entityId",   "ref",  "customerId",
                                "from",       "to",   "event",
                                "reason",     "at"};
    const char *const vals[] = {r->event_id,      r->event_type,
                                r->entity_type,   r->entity_id,
                                opt(e->ref),      opt(e->customer_id),
                                opt(e->from),     e->to,
                                opt(e->event),    opt(e->reason),
                                e->at};
    size_t n = 1;
    buf[0] = '{';
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (put(buf, size, &n, keys[i], vals[i]) != 0)
            return -1;
    buf[n++] = '}';
    buf[n] = '\0';
    return 0;
}

int ps_status_event(struct ps_store *store, const struct ps_status_event *e,
                    struct ps_err *err)
{
    char fast[1024];
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
    if (e->to != NULL && e->at != NULL &&
        fast_payload(&r, e, fast, sizeof(fast)) == 0) {
        r.payload = fast;
        return ps_store_event_insert(store, &r, err);
    }
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
