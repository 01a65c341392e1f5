/*
 * linxreq.c -- LinX request records and templates.  See linxreq.h.
 */
#include "engine/linxreq.h"

#include <jansson.h>
#include <sodium.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/inifile.h"
#include "base/money.h"
#include "engine/handle.h"
#include "engine/linx.h"
#include "store/linx.h"

#ifndef PS_SOURCE_DIR
#define PS_SOURCE_DIR "."
#endif

static const char *const activity_names[PS_LACT_N] = {
    "CREATE_CUSTOMER",  "UPDATE_CUSTOMER", "ADD_BANK_ACCOUNT",
    "ADD_CARD_ACCOUNT", "ACCEPT_DOCUMENT", "TRANSACTION"};

const char *ps_linx_activity_name(enum ps_linx_activity a)
{
    return (unsigned)a < PS_LACT_N ? activity_names[a] : "?";
}

int ps_linx_activity_parse(const char *name)
{
    for (int i = 0; name != NULL && i < PS_LACT_N; i++)
        if (strcmp(activity_names[i], name) == 0)
            return i;
    return -1;
}

int ps_linx_activities_parse(const char *list, enum ps_linx_activity *act,
                             int *nact, struct ps_err *err)
{
    char buf[512], *save = NULL;
    int n = 0, seen[PS_LACT_N] = {0};
    ps_strlcpy(buf, list != NULL ? list : "", sizeof(buf));
    for (char *tok = strtok_r(buf, "|", &save); tok != NULL;
         tok = strtok_r(NULL, "|", &save)) {
        while (*tok == ' ')
            tok++;
        for (char *end = tok + strlen(tok); end > tok && end[-1] == ' ';)
            *--end = '\0';
        int a = ps_linx_activity_parse(tok);
        if (a < 0)
            return ps_err_set(err, PS_EINVAL, "LINX_ACTIVITIES",
                              "%.40s is not a LinX activity", tok);
        if (n == PS_LINX_MAX_ACTIVITIES)
            return ps_err_set(err, PS_EINVAL, "LINX_ACTIVITIES",
                              "at most %d activities in a request",
                              PS_LINX_MAX_ACTIVITIES);
        if (seen[a] && a != PS_LACT_ACCEPT_DOCUMENT)
            return ps_err_set(err, PS_EINVAL, "LINX_ACTIVITIES",
                              "%s is listed twice", tok);
        if (n > 0 && act[n - 1] == PS_LACT_TRANSACTION)
            return ps_err_set(err, PS_EINVAL, "LINX_ACTIVITIES",
                              "the TRANSACTION is the last activity");
        if ((a == PS_LACT_CREATE_CUSTOMER && seen[PS_LACT_UPDATE_CUSTOMER]) ||
            (a == PS_LACT_UPDATE_CUSTOMER && seen[PS_LACT_CREATE_CUSTOMER]))
            return ps_err_set(err, PS_EINVAL, "LINX_ACTIVITIES",
                              "a request creates or updates its customer, "
                              "not both");
        seen[a] = 1;
        act[n++] = (enum ps_linx_activity)a;
    }
    if (n == 0)
        return ps_err_set(err, PS_EINVAL, "LINX_ACTIVITIES",
                          "a request needs at least one activity");
    *nact = n;
    return 0;
}

/* ---- templates -------------------------------------------------------- */

static int tpl_int(const char *value, int lo, int hi, int *out,
                   struct ps_err *err)
{
    char *end = NULL;
    long v = strtol(value, &end, 10);
    if (end == value || *end != '\0' || v < lo || v > hi)
        return ps_err_set(err, PS_ECONFIG, "LINX_TEMPLATE",
                          "%s is not a number from %d to %d", value, lo, hi);
    *out = (int)v;
    return 0;
}

static int tpl_entry(void *user, const char *section, const char *key,
                     const char *value, int line, struct ps_err *err)
{
    struct ps_linx_template *t = user;
    (void)line;
    if (strcmp(section, "template") != 0)
        return ps_err_set(err, PS_ECONFIG, "LINX_TEMPLATE",
                          "a template has one section, [template]");
    if (strcmp(key, "name") == 0)
        ps_strlcpy(t->name, value, sizeof(t->name));
    else if (strcmp(key, "description") == 0)
        ps_strlcpy(t->description, value, sizeof(t->description));
    else if (strcmp(key, "activities") == 0) {
        struct ps_err e;
        ps_err_clear(&e);
        if (ps_linx_activities_parse(value, t->act, &t->nact, &e) != 0)
            return ps_err_set(err, PS_ECONFIG, "LINX_TEMPLATE", "%s", e.msg);
    } else if (strcmp(key, "transaction_type") == 0) {
        if (strcmp(value, "SEND") != 0 && strcmp(value, "DEBIT") != 0)
            return ps_err_set(err, PS_ECONFIG, "LINX_TEMPLATE",
                              "transaction_type is SEND or DEBIT");
        ps_strlcpy(t->transaction_type, value, sizeof(t->transaction_type));
    } else if (strcmp(key, "expiry_days") == 0)
        return tpl_int(value, 1, 90, &t->expiry_days, err);
    else if (strcmp(key, "reminder_hours") == 0)
        return tpl_int(value, 1, 720, &t->reminder_hours, err);
    else
        return ps_err_set(err, PS_ECONFIG, "LINX_TEMPLATE",
                          "unknown template key %s", key);
    return 0;
}

int ps_linx_template_load(const char *name, struct ps_linx_template *out,
                          struct ps_err *err)
{
    const char *dir = getenv("PAYSPOOL_LINX_TEMPLATES");
    char path[PATH_MAX];
    int rc;
    for (const char *c = name; c != NULL && *c != '\0'; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_'))
            return ps_err_set(err, PS_ENOTFOUND, "LINX_TEMPLATE_UNKNOWN",
                              "no LinX template %.63s", name);
    if (name == NULL || name[0] == '\0')
        return ps_err_set(err, PS_ENOTFOUND, "LINX_TEMPLATE_UNKNOWN",
                          "a template name is empty");
    if (dir == NULL || dir[0] == '\0')
        dir = PS_SOURCE_DIR "/linx/templates";
    if (snprintf(path, sizeof(path), "%s/%s.template", dir, name) >=
        (int)sizeof(path))
        return ps_err_set(err, PS_ECONFIG, "LINX_TEMPLATE",
                          "templates path too long");
    memset(out, 0, sizeof(*out));
    out->expiry_days = 7;
    out->reminder_hours = 48;
    rc = ps_inifile_parse(path, tpl_entry, out, err);
    if (rc == PS_ENOTFOUND)
        return ps_err_set(err, PS_ENOTFOUND, "LINX_TEMPLATE_UNKNOWN",
                          "no LinX template %s (%s)", name, path);
    if (rc != 0)
        return rc;
    if (strcmp(out->name, name) != 0 || out->nact == 0)
        return ps_err_set(err, PS_ECONFIG, "LINX_TEMPLATE",
                          "template %s must have name = %s and activities",
                          path, name);
    return 0;
}

/* ---- request records -------------------------------------------------- */

struct req {
    const char *ref, *ext, *mobile, *tpl, *list, *expires_on;
    const char *type, *amount, *currency, *doc, *docver;
    struct ps_linx_template t;
    int64_t cents;
};

#define GET(rec, name) ps_record_get(rec, name)

static int field_err(struct ps_err *e, const char *field, int rc)
{
    ps_err_field(e, field);
    return rc;
}

static int str_set(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* The activities, from the template or the explicit list (exactly one). */
static int req_activities(struct req *q, struct ps_err *e)
{
    int rc;
    if (str_set(q->tpl) == str_set(q->list))
        return field_err(e, "template",
                         ps_err_set(e, PS_EINVAL, "LINX_ACTIVITIES",
                                    "a request names a template or lists "
                                    "its activities, one of the two"));
    if (str_set(q->tpl))
        return field_err(e, "template",
                         ps_linx_template_load(q->tpl, &q->t, e));
    memset(&q->t, 0, sizeof(q->t));
    q->t.expiry_days = 7;
    q->t.reminder_hours = 48;
    if ((rc = ps_linx_activities_parse(q->list, q->t.act, &q->t.nact, e)) != 0)
        return field_err(e, "activities", rc);
    return 0;
}

/* The activities' parameters: a transaction's type and amount, a
 * document registered by the business. */
static int req_params(struct ps_engine *eng, const struct ps_business *b,
                      struct req *q, int has_customer, struct ps_err *e)
{
    int txn = 0, doc = 0, rc;
    for (int i = 0; i < q->t.nact; i++) {
        txn |= q->t.act[i] == PS_LACT_TRANSACTION;
        doc |= q->t.act[i] == PS_LACT_ACCEPT_DOCUMENT;
        if (q->t.act[i] == PS_LACT_UPDATE_CUSTOMER && !has_customer)
            return field_err(e, "external_id",
                             ps_err_set(e, PS_EINVAL, "LINX_ACTIVITIES",
                                        "UPDATE_CUSTOMER needs an existing "
                                        "customer's external_id"));
    }
    if (txn) {
        if (!str_set(q->type))
            q->type = q->t.transaction_type;
        if (!str_set(q->type))
            return field_err(e, "transaction_type",
                             ps_err_set(e, PS_EINVAL, "FIELD_REQUIRED",
                                        "a TRANSACTION needs its type"));
        if (!str_set(q->amount) || !str_set(q->currency))
            return field_err(e, "amount",
                             ps_err_set(e, PS_EINVAL, "FIELD_REQUIRED",
                                        "a TRANSACTION needs an amount and "
                                        "a currency"));
        if ((rc = ps_money_parse_cur(q->amount, q->currency,
                                     PS_MONEY_NOT_A_CARD, &q->cents, e)) != 0)
            return field_err(e, "amount", rc);
        if (q->cents <= 0)
            return field_err(e, "amount",
                             ps_err_set(e, PS_EINVAL, "AMOUNT_NOT_POSITIVE",
                                        "amount must be positive"));
    }
    if (doc) {
        char title[PS_LINX_TEXT_SIZE];
        if (!str_set(q->doc) || !str_set(q->docver))
            return field_err(e, "document_id",
                             ps_err_set(e, PS_EINVAL, "FIELD_REQUIRED",
                                        "ACCEPT_DOCUMENT needs document_id "
                                        "and document_version"));
        rc = ps_store_document_get(eng->store, b->id, q->doc, q->docver,
                                   title, sizeof(title), e);
        if (rc == PS_ENOTFOUND)
            return field_err(e, "document_id",
                             ps_err_set(e, PS_ENOTFOUND,
                                        "LINX_DOCUMENT_UNKNOWN",
                                        "document %s version %s is not "
                                        "registered (payspool document add)",
                                        q->doc, q->docver));
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The ordered activities as the request's JSON array. */
static int req_json(const struct req *q, char *out, size_t size,
                    struct ps_err *e)
{
    json_t *arr = json_array();
    char *s;
    for (int i = 0; arr != NULL && i < q->t.nact; i++) {
        json_t *o = json_pack("{s:s}", "kind",
                              ps_linx_activity_name(q->t.act[i]));
        if (o != NULL && q->t.act[i] == PS_LACT_TRANSACTION)
            json_object_update_new(
                o, json_pack("{s:s, s:I, s:s}", "type", q->type, "amount",
                             (json_int_t)q->cents, "currency", q->currency));
        if (o != NULL && q->t.act[i] == PS_LACT_ACCEPT_DOCUMENT)
            json_object_update_new(o, json_pack("{s:s, s:s}", "document_id",
                                                q->doc, "version", q->docver));
        json_array_append_new(arr, o);
    }
    s = arr != NULL ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    if (s == NULL)
        return ps_err_set(e, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if (strlen(s) >= size) {
        free(s);
        return ps_err_set(e, PS_EINVAL, "FIELD_TOO_LONG",
                          "the request's activities are too long");
    }
    ps_strlcpy(out, s, size);
    free(s);
    return 0;
}

static int req_expiry(const struct req *q, char out[PS_TIME_SIZE],
                      struct ps_err *e)
{
    int64_t now = ps_clock_now_ms(), at;
    int rc;
    if (str_set(q->expires_on)) {
        if ((rc = ps_time_parse(q->expires_on, &at, e)) != 0)
            return field_err(e, "expires_on", rc);
        at += 86400000LL - 1; /* the end of that day, UTC */
    } else
        at = now + (int64_t)q->t.expiry_days * 86400000LL;
    if (at <= now)
        return field_err(e, "expires_on",
                         ps_err_set(e, PS_EINVAL, "LINX_EXPIRY",
                                    "the request would expire before it is "
                                    "sent"));
    ps_time_format(at, out);
    return 0;
}

int ps_linx_request_apply(struct ps_engine *eng, const struct ps_business *b,
                          const struct ps_record *rec,
                          const struct ps_source *src,
                          struct ps_apply_result *res, struct ps_err *e)
{
    struct req q = {GET(rec, "request_id"), GET(rec, "external_id"),
                    GET(rec, "mobile"), GET(rec, "template"),
                    GET(rec, "activities"), GET(rec, "expires_on"),
                    GET(rec, "transaction_type"), GET(rec, "amount"),
                    GET(rec, "currency"), GET(rec, "document_id"),
                    GET(rec, "document_version"), {.nact = 0}, 0};
    struct ps_customer c;
    struct ps_linx_row r;
    char gateway[PS_LINX_LINK_SIZE], token[PS_LINX_TOKEN_SIZE];
    char link[PS_LINX_LINK_SIZE], body[PS_LINX_TEXT_SIZE];
    int rc, has_customer = 0;

    memset(&r, 0, sizeof(r));
    if (!str_set(q.ref))
        return field_err(e, "request_id",
                         ps_err_set(e, PS_EINVAL, "FIELD_REQUIRED",
                                    "request_id is required"));
    if (str_set(q.ext)) {
        rc = ps_store_customer_get_ext(eng->store, b->id, q.ext, &c, e);
        if (rc == PS_ENOTFOUND)
            return field_err(e, "external_id",
                             ps_err_set(e, PS_ENOTFOUND, "CUSTOMER_NOT_FOUND",
                                        "no customer %s in this business",
                                        q.ext));
        if (rc != 0)
            return rc;
        has_customer = 1;
        ps_strlcpy(r.customer_id, c.id, sizeof(r.customer_id));
        ps_strlcpy(r.customer_external_id, q.ext,
                   sizeof(r.customer_external_id));
        if (!str_set(q.mobile))
            q.mobile = c.phone;
    }
    if (!str_set(q.mobile))
        return field_err(e, "mobile",
                         ps_err_set(e, PS_EINVAL, "FIELD_REQUIRED",
                                    "a request needs a mobile number or an "
                                    "existing customer with one"));
    if ((rc = ps_linx_mobile_check(q.mobile, e)) != 0)
        return field_err(e, "mobile", rc);
    if ((rc = req_activities(&q, e)) != 0 ||
        (rc = req_params(eng, b, &q, has_customer, e)) != 0 ||
        (rc = req_json(&q, r.activities, sizeof(r.activities), e)) != 0 ||
        (rc = req_expiry(&q, r.expires_at, e)) != 0)
        return rc;
    rc = ps_store_setting_get(eng->store, b->id, PS_LINX_GATEWAY_KEY, gateway,
                              sizeof(gateway), e);
    if (rc == PS_ENOTFOUND || (rc == 0 && gateway[0] == '\0'))
        return ps_err_set(e, PS_ECONFIG, "LINX_GATEWAY_URL",
                          "business %s has no LinX gateway URL (payspool "
                          "business set %s --gateway-url URL)",
                          b->name, b->name);
    if (rc != 0)
        return rc;
    ps_strlcpy(r.business_id, b->id, sizeof(r.business_id));
    ps_strlcpy(r.ref, q.ref, sizeof(r.ref));
    ps_strlcpy(r.mobile, q.mobile, sizeof(r.mobile));
    ps_strlcpy(r.template_name, str_set(q.tpl) ? q.tpl : "",
               sizeof(r.template_name));
    snprintf(body, sizeof(body), "%.120s asks you to complete a request by %.10s:",
             b->display_name[0] != '\0' ? b->display_name : b->name,
             r.expires_at);
    if ((rc = ps_store_begin(eng->store, e)) != 0)
        return rc;
    if ((rc = ps_linx_create(eng->store, eng->keys, gateway, &r, src, token,
                             link, e)) == 0)
        rc = ps_linx_queue_sms(eng->store, eng->keys, &r, "LINK", body, link,
                               e);
    if (rc == 0)
        rc = ps_store_commit(eng->store, e);
    if (rc != 0)
        ps_store_rollback(eng->store);
    sodium_memzero(token, sizeof(token));
    sodium_memzero(link, sizeof(link));
    if (rc != 0)
        return rc;
    snprintf(res->message, sizeof(res->message),
             "LinX request %s created (%d activities, expires %s)", r.ref,
             q.t.nact, r.expires_at);
    ps_strlcpy(res->ids, r.id, sizeof(res->ids));
    return 0;
}
