/*
 * linx.c -- LinX requests: creation with a token, status changes through
 * the transition table, token look-up, extension.  See linx.h.
 */
#include "engine/linx.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/id.h"
#include "base/model.h"

int ps_linx_mobile_check(const char *mobile, struct ps_err *err)
{
    size_t n = mobile != NULL ? strlen(mobile) : 0;
    int ok = n >= 9 && n <= 16 && mobile[0] == '+' && mobile[1] >= '1' &&
             mobile[1] <= '9';
    for (size_t i = 1; ok && i < n; i++)
        ok = mobile[i] >= '0' && mobile[i] <= '9';
    if (!ok)
        return ps_err_set(err, PS_EINVAL, "MOBILE_FORMAT",
                          "a mobile number is E.164: +, then 8 to 15 digits, "
                          "the first not 0");
    return 0;
}

enum ps_linx_status ps_linx_row_status(const struct ps_linx_row *r)
{
    int st = ps_linx_status_parse(r->status);
    /* The table's CHECK constraint makes an unknown name impossible. */
    return PS_NEVER(st < 0) ? PS_LINX_FAILED : (enum ps_linx_status)st;
}

/*
 * The request's status event, to the business's event outbox in the
 * caller's transaction (so it commits with the status change, or not at
 * all).
 */
static int status_event(struct ps_store *store, const struct ps_linx_row *r,
                        const char *from, const char *event,
                        const char *reason, const char *now,
                        struct ps_err *err)
{
    struct ps_event_row e;
    json_t *o;
    char *payload;
    int rc;
    memset(&e, 0, sizeof(e));
    ps_id_new(e.event_id);
    ps_strlcpy(e.business_id, r->business_id, sizeof(e.business_id));
    ps_strlcpy(e.event_type, "linx.status", sizeof(e.event_type));
    ps_strlcpy(e.entity_type, "LINX", sizeof(e.entity_type));
    ps_strlcpy(e.entity_id, r->id, sizeof(e.entity_id));
    ps_strlcpy(e.customer_id, r->customer_id, sizeof(e.customer_id));
    ps_strlcpy(e.created_at, now, sizeof(e.created_at));
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s, s:s?,"
                  " s:s}",
                  "id", e.event_id, "type", e.event_type, "entityType", "LINX",
                  "entityId", r->id, "ref", r->ref, "customerId",
                  r->customer_id[0] ? r->customer_id : NULL, "from",
                  from[0] ? from : NULL, "to", r->status, "event", event,
                  "reason", reason != NULL && reason[0] ? reason : NULL,
                  "at", now);
    payload = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (payload == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    e.payload = payload;
    rc = ps_store_event_insert(store, &e, err);
    free(payload);
    return rc;
}

int ps_linx_create(struct ps_store *store, const struct ps_keys *keys,
                   const char *gateway_url, struct ps_linx_row *r,
                   const struct ps_source *src,
                   char token[PS_LINX_TOKEN_SIZE],
                   char link[PS_LINX_LINK_SIZE], struct ps_err *err)
{
    unsigned char raw[PS_LINX_TOKEN_BYTES];
    struct ps_linx_row row = *r;
    char now[PS_TIME_SIZE];
    int rc;

    if ((rc = ps_linx_mobile_check(row.mobile, err)) != 0)
        return rc;
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(token, PS_LINX_TOKEN_SIZE, raw, sizeof(raw));
    sodium_memzero(raw, sizeof(raw));
    if ((rc = ps_keys_token(keys, token, row.token_hash, err)) != 0)
        return rc;
    if (link != NULL) {
        const char *url = gateway_url != NULL ? gateway_url : "";
        size_t n = strlen(url);
        int w = snprintf(link, PS_LINX_LINK_SIZE, "%.*s/%s",
                         (int)(n > 0 && url[n - 1] == '/' ? n - 1 : n), url,
                         token);
        if (w < 0 || w >= PS_LINX_LINK_SIZE)
            return ps_err_set(err, PS_EINVAL, "FIELD_TOO_LONG",
                              "the gateway URL is too long for a link");
    }
    ps_id_new(row.id);
    ps_time_now(now);
    ps_strlcpy(row.status, ps_linx_status_name(PS_LINX_CREATED),
               sizeof(row.status));
    ps_strlcpy(row.created_at, now, sizeof(row.created_at));
    ps_strlcpy(row.updated_at, now, sizeof(row.updated_at));
    row.reminders_sent = 0;
    if ((rc = ps_store_begin(store, err)) != 0)
        return rc;
    rc = ps_store_linx_insert(store, &row, err);
    if (rc == PS_ECONFLICT)
        rc = ps_err_set(err, PS_ECONFLICT, "DUPLICATE_REQUEST",
                        "LinX request %s was already used in this business",
                        row.ref);
    if (rc == 0)
        rc = ps_store_linx_history_insert(store, row.id, "", row.status,
                                          "CREATE", src, now, err);
    if (rc == 0)
        rc = status_event(store, &row, "", "CREATE", NULL, now, err);
    if (rc == 0)
        rc = ps_store_commit(store, err);
    if (rc != 0) {
        ps_store_rollback(store);
        return rc;
    }
    *r = row;
    return 0;
}

int ps_linx_apply(struct ps_store *store, const char *id,
                  enum ps_linx_event ev, const char *reason,
                  const struct ps_source *src, struct ps_linx_row *out,
                  struct ps_err *err)
{
    struct ps_linx_row r;
    struct ps_source s = {reason, NULL, 0};
    enum ps_linx_status from, to;
    char now[PS_TIME_SIZE], from_name[16];
    int rc;

    if (src != NULL) {
        s = *src;
        if (s.reason == NULL)
            s.reason = reason;
    }
    if ((rc = ps_store_begin(store, err)) != 0)
        return rc;
    if ((rc = ps_store_linx_get(store, id, &r, err)) != 0)
        goto fail;
    from = ps_linx_row_status(&r);
    if ((rc = ps_linx_next(r.id, from, ev, reason, &to, err)) != 0)
        goto fail;
    ps_time_now(now);
    ps_strlcpy(from_name, r.status, sizeof(from_name));
    ps_strlcpy(r.status, ps_linx_status_name(to), sizeof(r.status));
    ps_strlcpy(r.updated_at, now, sizeof(r.updated_at));
    if (ev == PS_LEV_DECLINE)
        ps_strlcpy(r.decline_reason, reason, sizeof(r.decline_reason));
    if (ev == PS_LEV_FAIL && reason != NULL)
        ps_strlcpy(r.failure, reason, sizeof(r.failure));
    if ((rc = ps_store_linx_set_status(store, &r, from_name, err)) != 0 ||
        (rc = ps_store_linx_history_insert(store, r.id, from_name, r.status,
                                           ps_linx_event_name(ev), &s, now,
                                           err)) != 0 ||
        (rc = status_event(store, &r, from_name, ps_linx_event_name(ev),
                           s.reason, now, err)) != 0 ||
        (rc = ps_store_commit(store, err)) != 0)
        goto fail;
    if (out != NULL)
        *out = r;
    return 0;
fail:
    ps_store_rollback(store);
    return rc;
}

int ps_linx_by_token(struct ps_store *store, const struct ps_keys *keys,
                     const char *token, const char *now,
                     struct ps_linx_row *out, struct ps_err *err)
{
    char hash[PS_TOKEN_SIZE];
    enum ps_linx_status st;
    int rc;
    if (token == NULL || strlen(token) != PS_LINX_TOKEN_SIZE - 1)
        return ps_err_set(err, PS_ENOTFOUND, "LINX_TOKEN_UNKNOWN",
                          "no LinX request has this token");
    if ((rc = ps_keys_token(keys, token, hash, err)) != 0)
        return rc;
    rc = ps_store_linx_by_token(store, hash, out, err);
    if (rc == PS_ENOTFOUND)
        return ps_err_set(err, PS_ENOTFOUND, "LINX_TOKEN_UNKNOWN",
                          "no LinX request has this token");
    if (rc != 0)
        return rc;
    st = ps_linx_row_status(out);
    if (!ps_linx_status_active(st))
        return ps_err_set(err, PS_ESTATE, "LINX_NOT_ACTIVE",
                          "LinX request %s is %s, no longer active", out->ref,
                          out->status);
    if (now != NULL && strcmp(out->expires_at, now) <= 0)
        return ps_err_set(err, PS_ESTATE, "LINX_EXPIRED",
                          "LinX request %s expired at %s", out->ref,
                          out->expires_at);
    return 0;
}

int ps_linx_extend(struct ps_store *store, const char *id,
                   const char *expires_at, const struct ps_source *src,
                   struct ps_linx_row *out, struct ps_err *err)
{
    struct ps_linx_row r;
    char now[PS_TIME_SIZE];
    int rc;
    if ((rc = ps_store_begin(store, err)) != 0)
        return rc;
    if ((rc = ps_store_linx_get(store, id, &r, err)) != 0)
        goto fail;
    if (!ps_linx_status_active(ps_linx_row_status(&r))) {
        rc = ps_err_set(err, PS_ESTATE, "LINX_NOT_ACTIVE",
                        "LinX request %s is %s, no longer active: it cannot "
                        "be extended",
                        r.ref, r.status);
        goto fail;
    }
    ps_time_now(now);
    if (expires_at == NULL || strcmp(expires_at, now) <= 0 ||
        strcmp(expires_at, r.expires_at) <= 0) {
        rc = ps_err_set(err, PS_EINVAL, "LINX_EXPIRY",
                        "LinX request %s: the new expiry must be later than "
                        "now and than %s",
                        r.ref, r.expires_at);
        goto fail;
    }
    ps_strlcpy(r.expires_at, expires_at, sizeof(r.expires_at));
    ps_strlcpy(r.updated_at, now, sizeof(r.updated_at));
    if ((rc = ps_store_linx_touch(store, &r, err)) != 0 ||
        (rc = ps_store_linx_history_insert(store, r.id, r.status, r.status,
                                           "EXTEND", src, now, err)) != 0 ||
        (rc = ps_store_commit(store, err)) != 0)
        goto fail;
    if (out != NULL)
        *out = r;
    return 0;
fail:
    ps_store_rollback(store);
    return rc;
}

int ps_linx_queue_sms(struct ps_store *store, const struct ps_keys *keys,
                      const struct ps_linx_row *r, const char *kind,
                      const char *body, const char *link, struct ps_err *err)
{
    struct ps_sms_row m;
    size_t n = link != NULL ? strlen(link) : 0;
    int rc;
    memset(&m, 0, sizeof(m));
    ps_strlcpy(m.business_id, r->business_id, sizeof(m.business_id));
    ps_strlcpy(m.request_id, r->id, sizeof(m.request_id));
    ps_strlcpy(m.mobile, r->mobile, sizeof(m.mobile));
    ps_strlcpy(m.kind, kind, sizeof(m.kind));
    ps_strlcpy(m.body, body, sizeof(m.body));
    if (n > 0) {
        if (n + PS_SEALED_OVERHEAD > sizeof(m.sealed))
            return ps_err_set(err, PS_EINVAL, "FIELD_TOO_LONG",
                              "the link is too long");
        if ((rc = ps_keys_seal(keys, link, n, m.sealed, err)) != 0)
            return rc;
        m.sealed_len = n + PS_SEALED_OVERHEAD;
    }
    ps_time_now(m.created_at);
    rc = ps_store_sms_insert(store, &m, err);
    sodium_memzero(&m, sizeof(m));
    return rc;
}
