/*
 * apply.c -- record kinds and what they do to the engine.
 *
 * How it fails: a record the engine refuses is a REJECTED outcome with the
 * engine's rule; a request already applied is a DUPLICATE; only failures
 * of the engine itself (see engine_failure()) are returned, and they
 * abort the chunk.
 */
#include "apply.h"

#include <stdio.h>
#include <string.h>

#include "money.h"

const char *ps_outcome_name(enum ps_outcome o)
{
    switch (o) {
    case PS_ACCEPTED:
        return "ACCEPTED";
    case PS_REJECTED:
        return "REJECTED";
    case PS_DUPLICATE:
        return "DUPLICATE";
    }
    return "?";
}

/* Failures of the engine itself, never of the record: they abort the
 * chunk and the input is retried.  Everything else (bad data, unknown
 * references, refused changes, duplicates) is the record's outcome. */
static int engine_failure(int code)
{
    return code == PS_ESTORE || code == PS_EBUSY || code == PS_ENOMEM ||
           code == PS_EIO || code == PS_EINTERNAL || code == PS_ECRYPTO ||
           code == PS_ECONFIG || code == PS_EVERSION;
}

/* Turn an engine error into the record's outcome, or pass it up. */
static int outcome_of(int rc, const struct ps_err *e,
                      struct ps_apply_result *res, struct ps_err *err)
{
    if (rc == 0)
        return 0;
    if (engine_failure(rc)) {
        if (err != NULL && err != e)
            *err = *e;
        return rc;
    }
    res->outcome =
        strcmp(e->rule, "DUPLICATE_REQUEST") == 0 ? PS_DUPLICATE : PS_REJECTED;
    ps_strlcpy(res->code, e->rule, sizeof(res->code));
    if (e->field[0] != '\0') {
        char tmp[PS_ERR_FIELD_MAX + PS_ERR_MSG_MAX + 16];
        snprintf(tmp, sizeof(tmp), "field %s: %s", e->field, e->msg);
        ps_strlcpy(res->message, tmp, sizeof(res->message));
    } else
        ps_strlcpy(res->message, e->msg, sizeof(res->message));
    return 0;
}

static int required(const struct ps_record *rec, const char *name,
                    const char **out, struct ps_err *e)
{
    *out = ps_record_get(rec, name);
    if (*out == NULL || (*out)[0] == '\0') {
        ps_err_set(e, PS_EINVAL, "FIELD_REQUIRED", "%s is required", name);
        ps_err_field(e, name);
        return PS_EINVAL;
    }
    return 0;
}

struct pick {
    struct ps_account a;
    int found;
};

static int first_active(void *ctx, const struct ps_account *a)
{
    struct pick *p = ctx;
    if (a->status != PS_STATUS_ACTIVE)
        return 0;
    p->a = *a;
    p->found = 1;
    return 1;
}

/* payment.send: a PAYMENT SEND to the customer's first active account. */
static int payment_send(struct ps_engine *eng, const struct ps_business *b,
                        const struct ps_record *rec,
                        const struct ps_source *src,
                        struct ps_apply_result *res, struct ps_err *e)
{
    const char *req, *ext, *amount, *cur;
    struct ps_customer c;
    struct pick pick = {.found = 0};
    struct ps_txn t;
    int rc;
    memset(&t, 0, sizeof(t));
    if ((rc = required(rec, "request_id", &req, e)) != 0 ||
        (rc = required(rec, "external_id", &ext, e)) != 0 ||
        (rc = required(rec, "amount", &amount, e)) != 0 ||
        (rc = required(rec, "currency", &cur, e)) != 0)
        return rc;
    if (strlen(req) > 64) {
        ps_err_set(e, PS_EINVAL, "FIELD_TOO_LONG",
                   "request_id is longer than 64 characters");
        ps_err_field(e, "request_id");
        return PS_EINVAL;
    }
    if ((rc = ps_money_parse_cur(amount, cur, 0, &t.amount, e)) != 0) {
        ps_err_field(e, "amount");
        return rc;
    }
    if (t.amount == 0) {
        ps_err_set(e, PS_EINVAL, "AMOUNT_NOT_POSITIVE",
                   "amount must be positive");
        ps_err_field(e, "amount");
        return PS_EINVAL;
    }
    rc = ps_store_customer_get_ext(eng->store, b->id, ext, &c, e);
    if (rc == PS_ENOTFOUND) {
        ps_err_set(e, rc, "CUSTOMER_NOT_FOUND",
                   "no customer %s in this business", ext);
        ps_err_field(e, "external_id");
        return rc;
    }
    if (rc != 0 || (rc = ps_store_account_list(eng->store, c.id, first_active,
                                               &pick, e)) != 0)
        return rc;
    if (!pick.found)
        return ps_err_set(e, PS_EINVAL, "NO_ACTIVE_ACCOUNT",
                          "customer %s has no active financial account", ext);
    ps_strlcpy(t.business_id, b->id, sizeof(t.business_id));
    ps_strlcpy(t.customer_id, c.id, sizeof(t.customer_id));
    ps_strlcpy(t.account_id, pick.a.id, sizeof(t.account_id));
    ps_strlcpy(t.currency, cur, sizeof(t.currency));
    ps_strlcpy(t.request_id, req, sizeof(t.request_id));
    t.type = PS_TXN_SEND;
    t.purpose = PS_PURPOSE_PAYMENT;
    if ((rc = ps_engine_txn_create(eng, &t, src, e)) != 0)
        return rc;
    ps_strlcpy(res->ids, t.id, sizeof(res->ids));
    res->amount = t.amount;
    ps_strlcpy(res->currency, t.currency, sizeof(res->currency));
    return 0;
}

struct kind {
    const char *name;
    int (*apply)(struct ps_engine *, const struct ps_business *,
                 const struct ps_record *, const struct ps_source *,
                 struct ps_apply_result *, struct ps_err *);
};

static const struct kind kinds[] = {
    {"payment.send", payment_send},
};

int ps_apply_record(struct ps_engine *eng, const struct ps_business *b,
                    const struct ps_record *rec, const struct ps_source *src,
                    struct ps_apply_result *res, struct ps_err *err)
{
    struct ps_err e;
    memset(res, 0, sizeof(*res));
    res->outcome = PS_ACCEPTED;
    ps_err_clear(&e);
    if (rec->err.code != 0)
        return outcome_of(rec->err.code, &rec->err, res, err);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (rec->kind != NULL && strcmp(kinds[i].name, rec->kind) == 0)
            return outcome_of(kinds[i].apply(eng, b, rec, src, res, &e), &e,
                              res, err);
    ps_err_set(&e, PS_EINVAL, "UNKNOWN_RECORD_KIND",
               "records of kind %s are not applied by payspool",
               rec->kind != NULL ? rec->kind : "(none)");
    return outcome_of(PS_EINVAL, &e, res, err);
}
