/*
 * linxdue.c -- the time-driven side of LinX, for the `linx` job step:
 * expire requests past their expiry, queue reminders on the template's
 * cadence, resend a request with a fresh token, and hand the SMS outbox
 * to the writer (outbound/smsout.c).  See linxapi.h.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "engine/handle.h"
#include "engine/linxapi.h"
#include "engine/linxreq.h"
#include "store/linx.h"

#define MAX_DUE 10000 /* per business and pass; the rest next pass */

struct due {
    struct ps_linx_row *v;
    size_t n, cap;
};

static int collect(void *ctx, const struct ps_linx_row *r)
{
    struct due *d = ctx;
    if (d->n == MAX_DUE)
        return 1;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        struct ps_linx_row *v = realloc(d->v, cap * sizeof(*v));
        if (v == NULL)
            return 1;
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = *r;
    return 0;
}

/* The business's active requests (CREATED, SENT, IN_PROGRESS). */
static int active(struct ps_engine *eng, const struct ps_business *b,
                  struct due *d, struct ps_err *err)
{
    static const char *const st[] = {"CREATED", "SENT", "IN_PROGRESS"};
    for (size_t i = 0; i < 3; i++) {
        int rc = ps_store_linx_list(eng->store, b->id, st[i], collect, d, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static const char *who(const struct ps_business *b)
{
    return b->display_name[0] != '\0' ? b->display_name : b->name;
}

/* Expire one request and queue its STATUS SMS, together. */
static int expire_one(struct ps_engine *eng, const struct ps_business *b,
                      const struct ps_linx_row *r, struct ps_err *err)
{
    struct ps_source src = {"the link expired", NULL, 0};
    struct ps_linx_row out;
    char body[PS_LINX_TEXT_SIZE];
    int rc = ps_store_begin(eng->store, err);
    if (rc != 0)
        return rc;
    snprintf(body, sizeof(body),
             "Your request from %.120s has expired. Contact them for a new "
             "link.",
             who(b));
    if ((rc = ps_linx_apply(eng->store, r->id, PS_LEV_EXPIRE, NULL, &src,
                            &out, err)) == 0 &&
        (rc = ps_linx_queue_sms(eng->store, eng->keys, &out, "STATUS", body,
                                NULL, err)) == 0)
        rc = ps_store_commit(eng->store, err);
    if (rc != 0)
        ps_store_rollback(eng->store);
    return rc;
}

/* The reminder cadence of r, in ms: its template's, else 48 hours. */
static int64_t cadence(const struct ps_linx_row *r)
{
    struct ps_linx_template t;
    struct ps_err e;
    ps_err_clear(&e);
    if (r->template_name[0] != '\0' &&
        ps_linx_template_load(r->template_name, &t, &e) == 0)
        return (int64_t)t.reminder_hours * 3600000LL;
    return 48LL * 3600000LL;
}

static int remind_one(struct ps_engine *eng, const struct ps_business *b,
                      struct ps_linx_row *r, const char *now,
                      struct ps_err *err)
{
    char body[PS_LINX_TEXT_SIZE];
    int rc = ps_store_begin(eng->store, err);
    if (rc != 0)
        return rc;
    snprintf(body, sizeof(body),
             "Reminder: %.120s is waiting for you to complete their request "
             "(link sent earlier) before %.10s.",
             who(b), r->expires_at);
    r->reminders_sent++;
    ps_strlcpy(r->last_reminder_at, now, sizeof(r->last_reminder_at));
    ps_strlcpy(r->updated_at, now, sizeof(r->updated_at));
    if ((rc = ps_store_linx_touch(eng->store, r, err)) == 0 &&
        (rc = ps_linx_queue_sms(eng->store, eng->keys, r, "REMINDER", body,
                                NULL, err)) == 0)
        rc = ps_store_commit(eng->store, err);
    if (rc != 0)
        ps_store_rollback(eng->store);
    return rc;
}

int ps_linx_due(struct ps_engine *eng, const struct ps_business *b,
                int64_t now_ms, struct ps_linx_due_result *res,
                struct ps_err *err)
{
    struct due d = {NULL, 0, 0};
    char now[PS_TIME_SIZE];
    int rc;
    memset(res, 0, sizeof(*res));
    ps_time_format(now_ms, now);
    if ((rc = active(eng, b, &d, err)) != 0)
        goto out;
    for (size_t i = 0; rc == 0 && i < d.n; i++) {
        struct ps_linx_row *r = &d.v[i];
        int64_t last;
        if (strcmp(r->expires_at, now) <= 0) {
            if ((rc = expire_one(eng, b, r, err)) == 0)
                res->expired++;
            continue;
        }
        /* Reminders only after the link went out (SENT, IN_PROGRESS). */
        if (strcmp(r->status, "CREATED") == 0)
            continue;
        if (ps_time_parse(r->last_reminder_at[0] != '\0' ? r->last_reminder_at
                                                         : r->created_at,
                          &last, err) != 0) {
            rc = PS_EINTERNAL;
            break;
        }
        if (now_ms - last >= cadence(r) &&
            (rc = remind_one(eng, b, r, now, err)) == 0)
            res->reminded++;
    }
out:
    free(d.v);
    return rc;
}

int ps_linx_resend(struct ps_engine *eng, const char *business,
                   const char *ref, struct ps_linx_row *out,
                   struct ps_err *err)
{
    struct ps_business b;
    struct ps_linx_row r;
    unsigned char raw[PS_LINX_TOKEN_BYTES];
    char token[PS_LINX_TOKEN_SIZE], gateway[PS_LINX_LINK_SIZE];
    char link[PS_LINX_LINK_SIZE + PS_LINX_TOKEN_SIZE], body[PS_LINX_TEXT_SIZE];
    char now[PS_TIME_SIZE];
    struct ps_source src = {"resent with a new link", NULL, 0};
    int rc;
    if ((rc = ps_business_find(eng, business, &b, err)) != 0)
        return rc;
    if ((rc = ps_store_linx_by_ref(eng->store, b.id, ref, &r, err)) != 0)
        return rc == PS_ENOTFOUND
                   ? ps_err_set(err, PS_ENOTFOUND, "NOT_FOUND",
                                "no LinX request %s in business %s", ref,
                                b.name)
                   : rc;
    if (!ps_linx_status_active(ps_linx_row_status(&r)))
        return ps_err_set(err, PS_ESTATE, "LINX_NOT_ACTIVE",
                          "LinX request %s is %s, no longer active: it cannot "
                          "be resent",
                          r.ref, r.status);
    rc = ps_store_setting_get(eng->store, b.id, PS_LINX_GATEWAY_KEY, gateway,
                              sizeof(gateway), err);
    if (rc != 0)
        return rc == PS_ENOTFOUND
                   ? ps_err_set(err, PS_ECONFIG, "LINX_GATEWAY_URL",
                                "business %s has no LinX gateway URL", b.name)
                   : rc;
    /* A new token: the old link stops working, only the new hash is kept. */
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(token, sizeof(token), raw, sizeof(raw));
    sodium_memzero(raw, sizeof(raw));
    size_t gl = strlen(gateway);
    snprintf(link, sizeof(link), "%.*s/%s",
             (int)(gl > 0 && gateway[gl - 1] == '/' ? gl - 1 : gl), gateway,
             token);
    if ((rc = ps_keys_token(eng->keys, token, r.token_hash, err)) != 0)
        return rc;
    sodium_memzero(token, sizeof(token));
    ps_strlcpy(r.updated_at, ps_time_now(now), sizeof(r.updated_at));
    snprintf(body, sizeof(body),
             "%.120s sends you their request again (the earlier link no "
             "longer works), by %.10s:",
             who(&b), r.expires_at);
    if ((rc = ps_store_begin(eng->store, err)) != 0)
        return rc;
    if ((rc = ps_store_linx_touch(eng->store, &r, err)) == 0 &&
        (rc = ps_store_linx_history_insert(eng->store, r.id, r.status,
                                           r.status, "RESEND", &src, now,
                                           err)) == 0 &&
        (rc = ps_linx_queue_sms(eng->store, eng->keys, &r, "RESEND", body,
                                link, err)) == 0)
        rc = ps_store_commit(eng->store, err);
    sodium_memzero(link, sizeof(link));
    if (rc != 0) {
        ps_store_rollback(eng->store);
        return rc;
    }
    if (out != NULL)
        *out = r;
    return 0;
}

/* ---- the SMS outbox ---------------------------------------------------- */

struct pend {
    struct ps_engine *eng;
    int (*cb)(void *ctx, const struct ps_linx_sms *m);
    void *ctx;
    int rc;
    struct ps_err *err;
};

static int pending_one(void *vctx, const struct ps_sms_row *row)
{
    struct pend *p = vctx;
    struct ps_linx_sms m;
    struct ps_linx_row r;
    memset(&m, 0, sizeof(m));
    m.id = row->id;
    ps_strlcpy(m.mobile, row->mobile, sizeof(m.mobile));
    ps_strlcpy(m.kind, row->kind, sizeof(m.kind));
    ps_strlcpy(m.request_id, row->request_id, sizeof(m.request_id));
    ps_strlcpy(m.text, row->body, sizeof(m.text));
    if (row->request_id[0] != '\0' &&
        ps_store_linx_get(p->eng->store, row->request_id, &r, NULL) == 0) {
        ps_strlcpy(m.ref, r.ref, sizeof(m.ref));
        /* A link or reminder of a request no longer active is dropped;
         * a status SMS (expiry, the transaction's) is the news. */
        m.drop = strcmp(m.kind, "STATUS") != 0 &&
                 strcmp(m.kind, "TRANSACTION_STATUS") != 0 &&
                 !ps_linx_status_active(ps_linx_row_status(&r));
    }
    if (row->sealed_len > PS_SEALED_OVERHEAD) {
        size_t n = row->sealed_len - PS_SEALED_OVERHEAD;
        if (n >= sizeof(m.link) ||
            (p->rc = ps_keys_open(p->eng->keys, row->sealed, row->sealed_len,
                                  m.link, p->err)) != 0)
            return p->rc != 0 ? 1 : (p->rc = PS_EINTERNAL, 1);
        m.link[n] = '\0';
    }
    p->rc = p->cb(p->ctx, &m);
    sodium_memzero(&m, sizeof(m));
    return p->rc != 0;
}

int ps_linx_sms_pending(struct ps_engine *eng, const struct ps_business *b,
                        int (*cb)(void *ctx, const struct ps_linx_sms *m),
                        void *ctx, struct ps_err *err)
{
    struct pend p = {eng, cb, ctx, 0, err};
    int rc = ps_store_sms_pending(eng->store, b->id, pending_one, &p, err);
    return rc != 0 ? rc : p.rc;
}

int ps_linx_sms_written(struct ps_engine *eng, const struct ps_linx_sms *v,
                        size_t n, struct ps_err *err)
{
    struct ps_source src = {"the link's SMS is in the outbox file", NULL, 0};
    char now[PS_TIME_SIZE];
    int rc = ps_store_begin(eng->store, err);
    if (rc != 0)
        return rc;
    ps_time_now(now);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct ps_linx_row r;
        rc = ps_store_sms_written(eng->store, v[i].id, now, err);
        if (rc != 0 || strcmp(v[i].kind, "LINK") != 0 ||
            v[i].request_id[0] == '\0')
            continue;
        rc = ps_store_linx_get(eng->store, v[i].request_id, &r, err);
        if (rc == 0 && strcmp(r.status, "CREATED") == 0)
            rc = ps_linx_apply(eng->store, r.id, PS_LEV_SEND, NULL, &src, NULL,
                               err);
    }
    if (rc == 0)
        rc = ps_store_commit(eng->store, err);
    if (rc != 0)
        ps_store_rollback(eng->store);
    return rc;
}

/* ---- the event outbox's file ------------------------------------------- */

int ps_events_unwritten(struct ps_engine *eng, const struct ps_business *b,
                        int (*cb)(void *ctx, int64_t id, const char *payload),
                        void *ctx, struct ps_err *err)
{
    return ps_store_events_unwritten(eng->store, b->id, cb, ctx, err);
}

int ps_events_written(struct ps_engine *eng, const int64_t *ids, size_t n,
                      struct ps_err *err)
{
    char now[PS_TIME_SIZE];
    int rc = ps_store_begin(eng->store, err);
    if (rc != 0)
        return rc;
    ps_time_now(now);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = ps_store_event_written(eng->store, ids[i], now, err);
    if (rc == 0)
        rc = ps_store_commit(eng->store, err);
    if (rc != 0)
        ps_store_rollback(eng->store);
    return rc;
}
