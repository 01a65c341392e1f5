/*
 * eventjson.c -- a status event's JSON payload (see eventjson.h).
 */
#include "base/eventjson.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

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

const char *ps_event_json(const struct ps_event_json *f, char *buf,
                          size_t size, char **heap)
{
    const char *const keys[] = {"id",         "type", "entityType",
                                "entityId",   "ref",  "customerId",
                                "from",       "to",   "event",
                                "reason",     "at"};
    const char *const vals[] = {f->id,          f->type,
                                f->entity_type, f->entity_id,
                                opt(f->ref),    opt(f->customer_id),
                                opt(f->from),   f->to,
                                opt(f->event),  opt(f->reason),
                                f->at};
    size_t n = 1, i;
    *heap = NULL;
    for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        if ((i < 4 || i == 7 || i == 10) && vals[i] == NULL)
            return NULL; /* json_pack's "s" of NULL fails */
    /* Without building the object when nothing needs escaping (a payout
     * writes two events a transaction: building and dumping them was a
     * sixth of `payouts run`). */
    if (size > 2) {
        buf[0] = '{';
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            if (put(buf, size, &n, keys[i], vals[i]) != 0)
                break;
        if (i == sizeof(keys) / sizeof(keys[0]) && n + 2 <= size) {
            buf[n++] = '}';
            buf[n] = '\0';
            return buf;
        }
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s?,"
                          " s:s?, s:s}",
                          keys[0], vals[0], keys[1], vals[1], keys[2], vals[2],
                          keys[3], vals[3], keys[4], vals[4], keys[5], vals[5],
                          keys[6], vals[6], keys[7], vals[7], keys[8], vals[8],
                          keys[9], vals[9], keys[10], vals[10]);
    *heap = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return *heap;
}
