/*
 * linxans.c -- a gateway answer: one JSON object per line, for one token.
 *
 *   {"token": "...", "decision": "STARTED" | "ACCEPTED" | "DECLINED",
 *    "reason": "INCORRECT_AMOUNT" | ... | free text (with DECLINED),
 *    "customer": {"externalId", "firstName", "lastName", "email",
 *                 "type": "INDIVIDUAL" (default) | "BUSINESS", "dbaName",
 *                 "addresses": [{"type", "line1", "line2", "city",
 *                                "region", "postalCode", "country"}],
 *                 "contacts": [{"firstName", "lastName", "email", "phone",
 *                               "primary": true | false}] (BUSINESS),
 *                 "dateOfBirth", "taxId" (sealed at rest)},
 *    "card": {"number", "name"},
 *    "bank": {"routing", "number", "type": "CHECKING" | "SAVINGS"},
 *    "documents": [{"id", "version"}]}
 *
 * A STARTED line is the gateway's progress report (the customer opened
 * the link or saved a partial answer): the request goes SENT ->
 * IN_PROGRESS (event OPEN) and nothing else of the line is read; for a
 * request already IN_PROGRESS it changes nothing (the gateway may report
 * each page the customer saves).  An ACCEPTED answer executes the request's activities in their order
 * inside one savepoint: all of them, or (the first failing) none, and
 * the request is then FAILED with the activity and its reason.  A
 * DECLINED one executes nothing and records the reason.  Unknown,
 * expired and no longer active tokens are refused.  See linxapi.h.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "engine/handle.h"
#include "engine/linxapi.h"
#include "engine/linxreq.h"
#include "engine/linxtxn.h"
#include "engine/txn.h"
#include "store/linx.h"

struct exec {
    struct ps_engine *eng;
    const struct ps_business *b;
    struct ps_linx_row *r;
    json_t *ans;
    char customer_id[PS_ID_SIZE];
    char account_id[PS_ID_SIZE];
    int account_is_card;
    char ids[128];
};

static const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s != NULL ? s : "";
}

static void add_id(struct exec *x, const char *id)
{
    size_t n = strlen(x->ids);
    snprintf(x->ids + n, sizeof(x->ids) - n, "%s%s", n ? " " : "", id);
}

/* The answer's addresses (at most 8), every one of them kept. */
static int addresses(json_t *cust, struct ps_address *a, size_t *n,
                     struct ps_err *err)
{
    json_t *arr = json_object_get(cust, "addresses"), *v;
    size_t i;
    *n = 0;
    json_array_foreach(arr, i, v)
    {
        int t = ps_enum_parse(PS_NAMES_ADDRESS_TYPE, jstr(v, "type"));
        if (*n == 8 || t < 0)
            return ps_err_set(err, PS_EINVAL, "FIELD_VALUE",
                              "address %zu: a type (SHIPPING, BILLING, ...) "
                              "and at most 8 addresses",
                              i + 1);
        memset(&a[*n], 0, sizeof(a[*n]));
        a[*n].type = (enum ps_address_type)t;
        ps_strlcpy(a[*n].line1, jstr(v, "line1"), sizeof(a[*n].line1));
        ps_strlcpy(a[*n].line2, jstr(v, "line2"), sizeof(a[*n].line2));
        ps_strlcpy(a[*n].city, jstr(v, "city"), sizeof(a[*n].city));
        ps_strlcpy(a[*n].region, jstr(v, "region"), sizeof(a[*n].region));
        ps_strlcpy(a[*n].postal_code, jstr(v, "postalCode"),
                   sizeof(a[*n].postal_code));
        ps_strlcpy(a[*n].country, jstr(v, "country"), sizeof(a[*n].country));
        (*n)++;
    }
    return 0;
}

/* The answer's contacts of a BUSINESS customer (at most 8): "primary"
 * true or false, absent: primary only when the customer has none yet. */
static int contacts(json_t *cust, struct ps_contact *k, size_t *n,
                    struct ps_err *err)
{
    json_t *arr = json_object_get(cust, "contacts"), *v;
    size_t i;
    *n = 0;
    json_array_foreach(arr, i, v)
    {
        json_t *p = json_object_get(v, "primary");
        if (*n == 8 || !json_is_object(v) ||
            (p != NULL && !json_is_boolean(p)))
            return ps_err_set(err, PS_EINVAL, "FIELD_VALUE",
                              "contact %zu: an object (primary true or "
                              "false) and at most 8 contacts",
                              i + 1);
        memset(&k[*n], 0, sizeof(k[*n]));
        k[*n].primary = p == NULL ? PS_CONTACT_PRIMARY_AUTO : json_is_true(p);
        ps_strlcpy(k[*n].first_name, jstr(v, "firstName"),
                   sizeof(k[*n].first_name));
        ps_strlcpy(k[*n].last_name, jstr(v, "lastName"),
                   sizeof(k[*n].last_name));
        ps_strlcpy(k[*n].email, jstr(v, "email"), sizeof(k[*n].email));
        ps_strlcpy(k[*n].phone, jstr(v, "phone"), sizeof(k[*n].phone));
        (*n)++;
    }
    return 0;
}

/*
 * The identity details some accounts need (dateOfBirth YYYY-MM-DD, taxId
 * of 9 digits), sealed with the key file before they are stored; only the
 * tax id's last four digits stay in clear, for a masked display.
 */
static int identity(struct exec *x, json_t *cj, const char *customer_id,
                    struct ps_err *err)
{
    const char *dob = jstr(cj, "dateOfBirth"), *tax = jstr(cj, "taxId");
    unsigned char sd[64], st[64];
    size_t nd = strlen(dob), nt = strlen(tax);
    char now[PS_TIME_SIZE];
    int rc;
    if (nd == 0 && nt == 0)
        return 0;
    if (nd != 0 && (nd != 10 || dob[4] != '-' || dob[7] != '-'))
        return ps_err_set(err, PS_EINVAL, "FIELD_VALUE",
                          "dateOfBirth is YYYY-MM-DD");
    if (nt != 0 && (nt != 9 || strspn(tax, "0123456789") != 9))
        return ps_err_set(err, PS_EINVAL, "FIELD_VALUE",
                          "taxId is 9 digits");
    if ((nd != 0 && (rc = ps_keys_seal(x->eng->keys, dob, nd, sd, err)) != 0) ||
        (nt != 0 && (rc = ps_keys_seal(x->eng->keys, tax, nt, st, err)) != 0))
        return rc;
    rc = ps_store_identity_set(x->eng->store, customer_id, sd,
                               nd ? nd + PS_SEALED_OVERHEAD : 0, st,
                               nt ? nt + PS_SEALED_OVERHEAD : 0,
                               nt ? tax + 5 : NULL, ps_time_now(now), err);
    sodium_memzero(sd, sizeof(sd));
    sodium_memzero(st, sizeof(st));
    return rc;
}

static int customer(struct exec *x, int create, struct ps_err *err)
{
    json_t *cj = json_object_get(x->ans, "customer");
    struct ps_customer c;
    struct ps_address a[8];
    struct ps_contact k[8];
    size_t na, nk;
    int rc;
    if ((rc = addresses(cj, a, &na, err)) != 0 ||
        (rc = contacts(cj, k, &nk, err)) != 0)
        return rc;
    if (create && x->r->customer_id[0] == '\0') {
        struct ps_source src = {"LinX request", NULL, 0};
        memset(&c, 0, sizeof(c));
        ps_strlcpy(c.business_id, x->b->id, sizeof(c.business_id));
        if (jstr(cj, "externalId")[0] != '\0')
            ps_strlcpy(c.external_id, jstr(cj, "externalId"),
                       sizeof(c.external_id));
        else
            snprintf(c.external_id, sizeof(c.external_id), "linx-%.50s",
                     x->r->ref);
        if (strcmp(jstr(cj, "type"), "BUSINESS") == 0) {
            /* A business: its DBA name, and its people as contacts. */
            c.type = PS_CUSTOMER_BUSINESS;
            ps_strlcpy(c.dba_name, jstr(cj, "dbaName"), sizeof(c.dba_name));
        } else {
            c.type = PS_CUSTOMER_INDIVIDUAL;
            ps_strlcpy(c.first_name, jstr(cj, "firstName"),
                       sizeof(c.first_name));
            ps_strlcpy(c.last_name, jstr(cj, "lastName"),
                       sizeof(c.last_name));
            ps_strlcpy(c.email, jstr(cj, "email"), sizeof(c.email));
            ps_strlcpy(c.phone, x->r->mobile, sizeof(c.phone));
        }
        if ((rc = ps_customer_create(x->eng, &c, k, nk, a, na, &src, err)) !=
            0)
            return rc;
    } else {
        if ((rc = ps_store_customer_get(x->eng->store, x->r->customer_id, &c,
                                        err)) != 0)
            return rc;
        if (jstr(cj, "firstName")[0] != '\0')
            ps_strlcpy(c.first_name, jstr(cj, "firstName"),
                       sizeof(c.first_name));
        if (jstr(cj, "lastName")[0] != '\0')
            ps_strlcpy(c.last_name, jstr(cj, "lastName"), sizeof(c.last_name));
        if (jstr(cj, "email")[0] != '\0')
            ps_strlcpy(c.email, jstr(cj, "email"), sizeof(c.email));
        if (jstr(cj, "dbaName")[0] != '\0')
            ps_strlcpy(c.dba_name, jstr(cj, "dbaName"), sizeof(c.dba_name));
        if ((rc = ps_customer_update(x->eng, &c, nk ? k : NULL, nk,
                                     na ? a : NULL, na, err)) != 0)
            return rc;
    }
    if ((rc = identity(x, cj, c.id, err)) != 0)
        return rc;
    ps_strlcpy(x->customer_id, c.id, sizeof(x->customer_id));
    add_id(x, c.id);
    return 0;
}

static int account(struct exec *x, int card, struct ps_err *err)
{
    struct ps_account a;
    int rc;
    if (x->customer_id[0] == '\0')
        return ps_err_set(err, PS_EINVAL, "LINX_ACTIVITIES",
                          "an account needs the customer first");
    if (card) {
        json_t *cj = json_object_get(x->ans, "card");
        rc = ps_account_add_card(x->eng, x->customer_id, jstr(cj, "name"),
                                 jstr(cj, "number"), &a, err);
    } else {
        json_t *bj = json_object_get(x->ans, "bank");
        int t = ps_enum_parse(PS_NAMES_BANK_TYPE, jstr(bj, "type"));
        rc = ps_account_add_bank(x->eng, x->customer_id, jstr(bj, "name"),
                                 jstr(bj, "routing"), jstr(bj, "number"),
                                 t < 0 ? (enum ps_bank_type)0
                                       : (enum ps_bank_type)t,
                                 &a, err);
    }
    if (rc != 0)
        return rc;
    ps_strlcpy(x->account_id, a.id, sizeof(x->account_id));
    x->account_is_card = card;
    add_id(x, a.id);
    return 0;
}

/* The activity's document must be among those the customer accepted. */
static int document(struct exec *x, json_t *act, const char *now,
                    struct ps_err *err)
{
    json_t *docs = json_object_get(x->ans, "documents"), *d;
    size_t i;
    json_array_foreach(docs, i, d)
    {
        if (strcmp(jstr(d, "id"), jstr(act, "document_id")) == 0 &&
            strcmp(jstr(d, "version"), jstr(act, "version")) == 0)
            return ps_store_document_accept(x->eng->store, x->b->id,
                                            x->r->id, jstr(d, "id"),
                                            jstr(d, "version"), now, err);
    }
    return ps_err_set(err, PS_EINVAL, "LINX_DOCUMENT_UNKNOWN",
                      "document %s version %s was not accepted",
                      jstr(act, "document_id"), jstr(act, "version"));
}

static int transaction(struct exec *x, json_t *act, struct ps_err *err)
{
    struct ps_txn t;
    struct ps_source src = {"LinX request", NULL, 0};
    int debit = strcmp(jstr(act, "type"), "DEBIT") == 0;
    int rc;
    if (x->customer_id[0] == '\0' || x->account_id[0] == '\0')
        return ps_err_set(err, PS_EINVAL, "LINX_ACTIVITIES",
                          "the transaction needs the customer and an account "
                          "added by the request");
    if (debit && (rc = ps_account_authorize_debit(x->eng, x->account_id,
                                                  PS_AUTH_WEB, x->r->ref,
                                                  err)) != 0)
        return rc;
    memset(&t, 0, sizeof(t));
    ps_strlcpy(t.business_id, x->b->id, sizeof(t.business_id));
    ps_strlcpy(t.customer_id, x->customer_id, sizeof(t.customer_id));
    ps_strlcpy(t.account_id, x->account_id, sizeof(t.account_id));
    t.type = debit ? PS_TXN_DEBIT : PS_TXN_SEND;
    t.rail = x->account_is_card && !debit ? PS_RAIL_PUSH_TO_CARD : PS_RAIL_ACH;
    t.purpose = PS_PURPOSE_PAYMENT;
    t.amount = (int64_t)json_integer_value(json_object_get(act, "amount"));
    ps_strlcpy(t.currency, jstr(act, "currency"), sizeof(t.currency));
    snprintf(t.request_id, sizeof(t.request_id), PS_LINX_TXN_PREFIX "%.50s",
             x->r->ref);
    /* The request names its transaction: its status changes message the
     * customer (linxtxn.h). */
    if ((rc = ps_txn_create(x->eng->store, &t, &src, err)) != 0 ||
        (rc = ps_store_linx_set_txn(x->eng->store, x->r->id, t.id, err)) != 0)
        return rc;
    add_id(x, t.id);
    return 0;
}

/* Every activity in order; the first failure names its activity. */
static int execute(struct exec *x, struct ps_err *err)
{
    json_t *acts = json_loads(x->r->activities, 0, NULL), *act;
    char now[PS_TIME_SIZE];
    size_t i;
    int rc = 0;
    ps_time_now(now);
    ps_strlcpy(x->customer_id, x->r->customer_id, sizeof(x->customer_id));
    json_array_foreach(acts, i, act)
    {
        int kind = ps_linx_activity_parse(jstr(act, "kind"));
        switch (kind) {
        case PS_LACT_CREATE_CUSTOMER:
        case PS_LACT_UPDATE_CUSTOMER:
            rc = customer(x, kind == PS_LACT_CREATE_CUSTOMER, err);
            break;
        case PS_LACT_ADD_BANK_ACCOUNT:
        case PS_LACT_ADD_CARD_ACCOUNT:
            rc = account(x, kind == PS_LACT_ADD_CARD_ACCOUNT, err);
            break;
        case PS_LACT_ACCEPT_DOCUMENT:
            rc = document(x, act, now, err);
            break;
        case PS_LACT_TRANSACTION:
            rc = transaction(x, act, err);
            break;
        default:
            rc = ps_err_set(err, PS_EINTERNAL, "LINX_ACTIVITIES",
                            "unknown stored activity");
        }
        if (rc != 0) {
            char msg[PS_ERR_MSG_MAX];
            snprintf(msg, sizeof(msg), "activity %zu (%.20s): %.200s [%.47s]", i + 1,
                     jstr(act, "kind"), err->msg, err->rule);
            ps_strlcpy(err->msg, msg, sizeof(err->msg));
            break;
        }
    }
    json_decref(acts);
    return rc;
}

/* The executed activities commit with COMPLETED, or none of them does. */
static int accept(struct exec *x, struct ps_linx_answer *out,
                  struct ps_err *err)
{
    struct ps_err why;
    int rc = ps_store_begin(x->eng->store, err);
    if (rc != 0)
        return rc;
    ps_err_clear(&why);
    if ((rc = execute(x, &why)) == 0) {
        /* A new customer's request now names it (linx show, its events). */
        if (x->r->customer_id[0] == '\0' && x->customer_id[0] != '\0' &&
            (rc = ps_store_linx_set_customer(x->eng->store, x->r->id,
                                             x->customer_id, err)) != 0) {
            ps_store_rollback(x->eng->store);
            return rc;
        }
        if ((rc = ps_linx_apply(x->eng->store, x->r->id, PS_LEV_COMPLETE, NULL,
                                NULL, NULL, err)) == 0 &&
            (rc = ps_store_commit(x->eng->store, err)) == 0) {
            ps_strlcpy(out->status, "COMPLETED", sizeof(out->status));
            ps_strlcpy(out->ids, x->ids, sizeof(out->ids));
            return 0;
        }
        ps_store_rollback(x->eng->store);
        return rc;
    }
    ps_store_rollback(x->eng->store);
    if (rc == PS_ESTORE || rc == PS_EBUSY || rc == PS_ENOMEM || rc == PS_EIO) {
        *err = why;
        return rc;
    }
    /* Nothing of the activities is left: the request fails, with why. */
    if ((rc = ps_linx_apply(x->eng->store, x->r->id, PS_LEV_FAIL, why.msg,
                            NULL, NULL, err)) != 0)
        return rc;
    ps_strlcpy(out->status, "FAILED", sizeof(out->status));
    return ps_err_set(err, PS_EINVAL, "LINX_ACTIVITY_FAILED", "%s", why.msg);
}

int ps_linx_answer(struct ps_engine *eng, const struct ps_business *b,
                   const char *line, struct ps_linx_answer *out,
                   struct ps_err *err)
{
    struct ps_linx_row r;
    struct exec x;
    char now[PS_TIME_SIZE];
    json_error_t je;
    json_t *ans = json_loads(line, JSON_REJECT_DUPLICATES, &je);
    const char *decision;
    int rc;
    memset(out, 0, sizeof(*out));
    if (!json_is_object(ans)) {
        json_decref(ans);
        return ps_err_set(err, PS_EINVAL, "LINX_ANSWER",
                          "not a JSON object: %s", je.text);
    }
    rc = ps_linx_by_token(eng->store, eng->keys, jstr(ans, "token"),
                          ps_time_now(now), &r, err);
    if (rc == 0 && strcmp(r.business_id, b->id) != 0)
        rc = ps_err_set(err, PS_ENOTFOUND, "LINX_TOKEN_UNKNOWN",
                        "no LinX request has this token");
    if (rc == 0 || rc == PS_ESTATE)
        ps_strlcpy(out->ref, r.ref, sizeof(out->ref));
    if (rc != 0)
        goto out;
    decision = jstr(ans, "decision");
    memset(&x, 0, sizeof(x));
    x.eng = eng;
    x.b = b;
    x.r = &r;
    x.ans = ans;
    if (strcmp(decision, "STARTED") == 0) {
        if (ps_linx_row_status(&r) == PS_LINX_IN_PROGRESS)
            rc = 0; /* reported again: already IN_PROGRESS */
        else
            rc = ps_linx_apply(eng->store, r.id, PS_LEV_OPEN, NULL, NULL,
                               NULL, err);
        if (rc == 0)
            ps_strlcpy(out->status, "IN_PROGRESS", sizeof(out->status));
    } else if (strcmp(decision, "DECLINED") == 0) {
        rc = ps_linx_apply(eng->store, r.id, PS_LEV_DECLINE,
                           jstr(ans, "reason"), NULL, NULL, err);
        if (rc == 0)
            ps_strlcpy(out->status, "DECLINED", sizeof(out->status));
    } else if (strcmp(decision, "ACCEPTED") == 0)
        rc = accept(&x, out, err);
    else
        rc = ps_err_set(err, PS_EINVAL, "LINX_ANSWER",
                        "decision is STARTED, ACCEPTED or DECLINED");
out:
    json_decref(ans);
    return rc;
}
