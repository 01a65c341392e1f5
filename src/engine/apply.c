/*
 * apply.c -- record kinds and what they do to the engine.
 *
 * How it fails: a record the engine refuses is a REJECTED outcome with the
 * engine's rule; a request already applied is a DUPLICATE; only failures
 * of the engine itself (see engine_failure()) are returned, and they
 * abort the chunk.
 */
#include "engine/apply.h"
#include "engine/achin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ewa.h"
#include "engine/ewabook.h"
#include "engine/ewawriter.h"
#include "engine/ewafile.h"
#include "engine/paybook.h"
#include "engine/linxapi.h"
#include "engine/linxreq.h"
#include "base/money.h"
#include "engine/provider.h"
#include "base/crypto.h"

#include "engine/apply_int.h"

/* Failures of the engine itself, never of the record: they abort the
 * chunk and the input is retried.  Everything else (bad data, unknown
 * references, refused changes, duplicates) is the record's outcome. */

/* The refusals that mean "this was applied before" (the code's table
 * entry, never its spelling, decides). */
static int is_duplicate(enum ps_code id)
{
    switch (id) {
    case PS_CODE_DUPLICATE_PAYROLL:
    case PS_CODE_DUPLICATE_RECORD:
    case PS_CODE_DUPLICATE_REQUEST:
    case PS_CODE_DUPLICATE_RETURN:
    case PS_CODE_DUPLICATE_STATUS:
        return 1;
    default:
        return 0;
    }
}

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
    /* A second copy of something applied is a DUPLICATE, not an error. */
    res->outcome = rc == PS_ECONFLICT && is_duplicate(e->id) ? PS_DUPLICATE
                                                             : PS_REJECTED;
    ps_strlcpy(res->code, e->rule, sizeof(res->code));
    if (e->field[0] != '\0') {
        char tmp[PS_ERR_FIELD_MAX + PS_ERR_MSG_MAX + 16];
        snprintf(tmp, sizeof(tmp), "field %s: %s", e->field, e->msg);
        ps_strlcpy(res->message, tmp, sizeof(res->message));
    } else
        ps_strlcpy(res->message, e->msg, sizeof(res->message));
    return 0;
}

int ps_apply_required(const struct ps_record *rec, const char *name,
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

/* ---- EWA ------------------------------------------------------------ */

#define GET(rec, name) ps_record_get(rec, name)

static int money_result(struct ps_apply_result *res, int64_t amount,
                        const char *currency)
{
    res->amount = amount;
    ps_strlcpy(res->currency, currency, sizeof(res->currency));
    return 0;
}

/* The book is the only state kept between records: anything else that
 * touches profiles first writes it and forgets it. */
int ps_applier_drain(struct ps_applier *ap, struct ps_err *err)
{
    int failed = 0;
    int rc = ap->w != NULL ? ps_ewa_writer_drain(ap->w, &failed, err) : 0;
    if (failed)
        ap->failed = 1;
    return rc;
}

/*
 * A refused disbursement's request id, used before?  Asked without
 * waiting for the writer: the reader sees every committed transaction
 * and the writer says which request ids it was given since the last
 * commit.  A request id it was given (used twice in the chunk, or a
 * hash collision), a record of another kind since the last commit, or
 * no reader: the writer's queue is emptied and the store asked, as on
 * one thread.
 */
static int request_used(void *ctx, const char *request_id,
                        char prior[PS_ID_SIZE], struct ps_err *err)
{
    struct ps_applier *ap = ctx;
    struct ps_store *s = ap->reader;
    struct ps_txn t;
    int rc;
    if (s == NULL || ap->direct || ps_ewa_writer_queued(ap->w, request_id)) {
        if ((rc = ps_applier_drain(ap, err)) != 0)
            return rc;
        s = ap->eng->store;
    }
    if ((rc = ps_store_txn_get_request(s, ap->b.id, request_id, &t, err)) ==
        0)
        ps_strlcpy(prior, t.id, PS_ID_SIZE);
    return rc;
}

static int drop_book(struct ps_applier *ap, struct ps_err *e)
{
    int rc = ps_applier_drain(ap, e);
    if (rc != 0)
        return rc;
    if (ap->book != NULL) {
        rc = ps_ewa_book_flush(ap->book, e);
        ps_ewa_book_free(ap->book);
        ap->book = NULL;
    }
    return rc;
}

static int ewa_disburse(struct ps_applier *ap, const struct ps_record *rec,
                        const struct ps_source *src,
                        struct ps_apply_result *res, struct ps_err *e)
{
    struct ps_disburse_req req = {GET(rec, "request_id"),
                                  GET(rec, "external_id"), GET(rec, "amount"),
                                  GET(rec, "currency"), GET(rec, "rail")};
    struct ps_ewa_post post;
    const struct ps_txn *tp = &post.t;
    int rc;
    /* The book is read from the store: the writer's queue (answers,
     * perhaps) emptied first. */
    if (ap->book == NULL &&
        ((rc = ps_applier_drain(ap, e)) != 0 ||
         (rc = ps_ewa_book_load(ap->eng, ap->b.id, &ap->book, e)) != 0))
        return rc;
    if (ap->w == NULL) {
        if ((rc = ps_ewa_book_disburse(ap->book, &req, src, &post.t, e)) != 0)
            return rc;
    } else {
        /* Counted accepted now; written by the writer thread (a failure
         * there has the chunk applied again on one thread). */
        if ((rc = ps_ewa_book_decide(ap->book, &req, src, &post,
                                     request_used, ap, e)) != 0 ||
            (rc = ps_ewa_writer_post(ap->w, ap->book, &post, e)) != 0)
            return rc;
        ps_ewa_book_accept(ap->book, &post);
    }
    const struct ps_txn t = *tp;
    snprintf(res->ids, sizeof(res->ids), "%s", t.id);
    if (t.fee > 0) {
        const struct ps_currency *cur = ps_currency_find(t.currency);
        char fee[PS_MONEY_STRMAX];
        snprintf(res->message, sizeof(res->message), "%s, fee %s",
                 ps_enum_name(PS_NAMES_RAIL, (int)t.rail),
                 ps_money_format(t.fee, cur != NULL ? cur->exponent : 2, fee,
                                 sizeof(fee)));
    } else
        snprintf(res->message, sizeof(res->message), "%s, no fee",
                 ps_enum_name(PS_NAMES_RAIL, (int)t.rail));
    return money_result(res, t.amount, t.currency);
}

static int ewa_enroll(struct ps_applier *ap, const struct ps_record *rec,
                      const struct ps_source *src, struct ps_apply_result *res,
                      struct ps_err *e)
{
    struct ps_roster_in in = {
        GET(rec, "external_id"),       GET(rec, "first_name"),
        GET(rec, "middle_name"),       GET(rec, "last_name"),
        GET(rec, "email"),             GET(rec, "phone"),
        GET(rec, "employment_status"), GET(rec, "program"),
        GET(rec, "enrollment_begin"),  GET(rec, "enrollment_end"),
        GET(rec, "card_number"),       GET(rec, "routing_number"),
        GET(rec, "account_number"),    GET(rec, "bank_account_type"),
        GET(rec, "account_name"),      GET(rec, "earned_wages"),
        GET(rec, "period_start"),      GET(rec, "period_end"),
        GET(rec, "currency")};
    struct ps_roster_out out;
    int rc;
    if ((rc = drop_book(ap, e)) != 0 ||
        (rc = ps_ewa_roster(ap->eng, &ap->b, &in, src, &out, e)) != 0)
        return rc;
    snprintf(res->ids, sizeof(res->ids), "%s", out.profile_id);
    snprintf(res->message, sizeof(res->message), "%s; eligibility %s",
             out.created ? "enrolled" : "updated",
             ps_enum_name(PS_NAMES_ELIGIBILITY, (int)out.eligibility));
    return 0;
}

static int ewa_payroll(struct ps_applier *ap, const struct ps_record *rec,
                       const struct ps_source *src,
                       struct ps_apply_result *res, struct ps_err *e)
{
    struct ps_payroll_in in = {
        GET(rec, "external_id"), GET(rec, "pay_date"),
        GET(rec, "gross"),       GET(rec, "net"),
        GET(rec, "ewa_deduction"), GET(rec, "currency"),
        GET(rec, "period_start"), GET(rec, "period_end")};
    struct ps_payroll_out out;
    const struct ps_currency *cur;
    char a[PS_MONEY_STRMAX], b[PS_MONEY_STRMAX], c[PS_MONEY_STRMAX];
    int rc;
    if ((rc = drop_book(ap, e)) != 0 ||
        (rc = ps_ewa_payroll(ap->eng, &ap->b, &in, src, &out, e)) != 0)
        return rc;
    cur = ps_currency_find(out.currency);
    int exp = cur != NULL ? cur->exponent : 2;
    snprintf(res->ids, sizeof(res->ids), "%s%s%s", out.profile_id,
             out.debit_txn_id[0] != '\0' ? " " : "", out.debit_txn_id);
    snprintf(res->message, sizeof(res->message),
             "%s: deducted %s of %s due, shortfall %s; eligibility %s%s%s",
             out.outcome, ps_money_format(out.deduction, exp, a, sizeof(a)),
             ps_money_format(out.due, exp, b, sizeof(b)),
             ps_money_format(out.shortfall, exp, c, sizeof(c)),
             ps_enum_name(PS_NAMES_ELIGIBILITY, (int)out.eligibility),
             out.debit_txn_id[0] != '\0' ? "; ACH recovery debit " : "",
             out.debit_txn_id);
    return money_result(res, out.deduction, out.currency);
}

/* ---- customers, accounts, status changes ----------------------------- */

static void copy(char *dst, size_t size, const char *v)
{
    ps_strlcpy(dst, v != NULL ? v : "", size);
}
#define COPY(dst, v) copy(dst, sizeof(dst), v)

static int enum_field(const struct ps_record *rec, const char *name,
                      enum ps_names table, const char *dflt, int *out,
                      struct ps_err *e)
{
    const char *v = GET(rec, name);
    if (v == NULL || v[0] == '\0')
        v = dflt;
    if (v == NULL) {
        ps_err_set(e, PS_EINVAL, "FIELD_REQUIRED", "%s is required", name);
        ps_err_field(e, name);
        return PS_EINVAL;
    }
    if ((*out = ps_enum_parse(table, v)) < 0) {
        ps_err_set(e, PS_EINVAL, "FIELD_VALUE", "%s cannot be %s", name, v);
        ps_err_field(e, name);
        return PS_EINVAL;
    }
    return 0;
}

static int customer_upsert(struct ps_applier *ap, const struct ps_record *rec,
                           const struct ps_source *src,
                           struct ps_apply_result *res, struct ps_err *e)
{
    struct ps_customer c, old;
    struct ps_contact k;
    struct ps_address a;
    const char *ext;
    int type, rc, found, has_contact, has_address;

    if ((rc = ps_apply_required(rec, "external_id", &ext, e)) != 0 ||
        (rc = enum_field(rec, "type", PS_NAMES_CUSTOMER_TYPE, "INDIVIDUAL",
                         &type, e)) != 0 ||
        (rc = drop_book(ap, e)) != 0)
        return rc;
    memset(&c, 0, sizeof(c));
    memset(&k, 0, sizeof(k));
    memset(&a, 0, sizeof(a));
    rc = ps_store_customer_get_ext(ap->eng->store, ap->b.id, ext, &old, e);
    if (rc != 0 && rc != PS_ENOTFOUND)
        return rc;
    found = rc == 0;
    if (found && (int)old.type != type) {
        ps_err_set(e, PS_EINVAL, "CUSTOMER_TYPE_CHANGE",
                   "customer %s is %s; its type cannot change", ext,
                   ps_enum_name(PS_NAMES_CUSTOMER_TYPE, (int)old.type));
        ps_err_field(e, "type");
        return PS_EINVAL;
    }
    if (found)
        c = old;
    ps_strlcpy(c.business_id, ap->b.id, sizeof(c.business_id));
    COPY(c.external_id, ext);
    c.type = (enum ps_customer_type)type;
    COPY(c.first_name, GET(rec, "first_name"));
    COPY(c.middle_name, GET(rec, "middle_name"));
    COPY(c.last_name, GET(rec, "last_name"));
    COPY(c.dba_name, GET(rec, "dba_name"));
    COPY(c.email, GET(rec, "email"));
    COPY(c.phone, GET(rec, "phone"));
    has_contact = GET(rec, "contact_first_name") != NULL &&
                  GET(rec, "contact_first_name")[0] != '\0';
    /* contact_primary YES or NO; empty: primary only if there is none. */
    k.primary = GET(rec, "contact_primary") == NULL ||
                        GET(rec, "contact_primary")[0] == '\0'
                    ? PS_CONTACT_PRIMARY_AUTO
                    : strcmp(GET(rec, "contact_primary"), "YES") == 0;
    COPY(k.first_name, GET(rec, "contact_first_name"));
    COPY(k.last_name, GET(rec, "contact_last_name"));
    COPY(k.email, GET(rec, "contact_email"));
    COPY(k.phone, GET(rec, "contact_phone"));
    has_address = GET(rec, "address_line1") != NULL &&
                  GET(rec, "address_line1")[0] != '\0';
    if (has_address) {
        int at;
        if ((rc = enum_field(rec, "address_type", PS_NAMES_ADDRESS_TYPE,
                             "MAILING", &at, e)) != 0)
            return rc;
        a.type = (enum ps_address_type)at;
        COPY(a.line1, GET(rec, "address_line1"));
        COPY(a.line2, GET(rec, "address_line2"));
        COPY(a.city, GET(rec, "city"));
        COPY(a.region, GET(rec, "region"));
        COPY(a.postal_code, GET(rec, "postal_code"));
        COPY(a.country, GET(rec, "country"));
    }
    if (found)
        rc = ps_customer_update(ap->eng, &c, has_contact ? &k : NULL,
                                has_contact ? 1 : 0, has_address ? &a : NULL,
                                has_address ? 1 : 0, e);
    else
        rc = ps_customer_create(ap->eng, &c, has_contact ? &k : NULL,
                                has_contact ? 1 : 0, has_address ? &a : NULL,
                                has_address ? 1 : 0, src, e);
    if (rc != 0)
        return rc;
    snprintf(res->ids, sizeof(res->ids), "%s", c.id);
    snprintf(res->message, sizeof(res->message), "%s",
             found ? "updated" : "created");
    return 0;
}

static int customer_of(struct ps_applier *ap, const struct ps_record *rec,
                       struct ps_customer *c, struct ps_err *e)
{
    const char *ext;
    int rc = ps_apply_required(rec, "external_id", &ext, e);
    if (rc != 0)
        return rc;
    rc = ps_store_customer_get_ext(ap->eng->store, ap->b.id, ext, c, e);
    if (rc == PS_ENOTFOUND) {
        ps_err_set(e, rc, "CUSTOMER_NOT_FOUND",
                   "no customer %s in this business", ext);
        ps_err_field(e, "external_id");
    }
    return rc;
}

static int account_add(struct ps_applier *ap, const struct ps_record *rec,
                       const struct ps_source *src,
                       struct ps_apply_result *res, struct ps_err *e)
{
    struct ps_customer c;
    struct ps_account a;
    const char *kind = GET(rec, "account_kind");
    const char *auth = GET(rec, "debit_authorization");
    int rc, card;
    (void)src;
    if ((rc = drop_book(ap, e)) != 0 || (rc = customer_of(ap, rec, &c, e)) != 0)
        return rc;
    card = kind != NULL && strcmp(kind, "CARD") == 0;
    if (kind == NULL || (!card && strcmp(kind, "BANK") != 0)) {
        ps_err_set(e, PS_EINVAL, "FIELD_VALUE",
                   "account_kind must be CARD or BANK");
        ps_err_field(e, "account_kind");
        return PS_EINVAL;
    }
    if (card && auth != NULL && auth[0] != '\0') {
        ps_err_set(e, PS_EINVAL, "DEBIT_NEEDS_BANK_ACCOUNT",
                   "a debit authorization needs a bank account");
        ps_err_field(e, "debit_authorization");
        return PS_EINVAL;
    }
    if ((rc = ps_store_begin(ap->eng->store, e)) != 0)
        return rc;
    rc = ps_ewa_account_for(ap->eng, c.id, GET(rec, "display_name"),
                            card ? GET(rec, "card_number") : NULL,
                            card ? NULL : GET(rec, "routing_number"),
                            card ? NULL : GET(rec, "account_number"),
                            GET(rec, "bank_account_type"), &a, e);
    if (rc == 0 && auth != NULL && auth[0] != '\0') {
        int k = ps_enum_parse(PS_NAMES_DEBIT_AUTH, auth);
        const char *ref = GET(rec, "authorization_reference");
        if (k < 0 || ref == NULL || ref[0] == '\0') {
            rc = ps_err_set(e, PS_EINVAL, "DEBIT_AUTHORIZATION",
                            "a debit authorization is WEB, PPD or CCD with "
                            "an authorization_reference");
            ps_err_field(e, k < 0 ? "debit_authorization"
                                  : "authorization_reference");
        } else
            rc = ps_account_authorize_debit(ap->eng, a.id,
                                            (enum ps_debit_auth_kind)k, ref, e);
    }
    if (rc == 0)
        rc = ps_store_commit(ap->eng->store, e);
    if (rc != 0) {
        ps_store_rollback(ap->eng->store);
        return rc;
    }
    snprintf(res->ids, sizeof(res->ids), "%s", a.id);
    snprintf(res->message, sizeof(res->message), "%s ****%s",
             ps_enum_name(PS_NAMES_ACCOUNT_KIND, (int)a.kind), a.last4);
    return 0;
}

struct last4_pick {
    const char *last4;
    struct ps_account a;
    int n;
};

static int pick_last4(void *ctx, const struct ps_account *a)
{
    struct last4_pick *p = ctx;
    if (p->last4 == NULL || p->last4[0] == '\0' ||
        strcmp(p->last4, a->last4) == 0) {
        p->a = *a;
        p->n++;
    }
    return 0;
}

static int status_change(struct ps_applier *ap, const struct ps_record *rec,
                         const struct ps_source *src,
                         struct ps_apply_result *res, struct ps_err *e)
{
    struct ps_customer c;
    const char *target = GET(rec, "target"), *status = GET(rec, "status");
    const char *reason;
    struct ps_source s = *src;
    int rc;
    if ((rc = ps_apply_required(rec, "target", &target, e)) != 0 ||
        (rc = ps_apply_required(rec, "status", &status, e)) != 0 ||
        (rc = ps_apply_required(rec, "reason", &reason, e)) != 0 ||
        (rc = drop_book(ap, e)) != 0)
        return rc;
    s.reason = reason;
    if (strcmp(target, "EWA") == 0) {
        struct ps_profile p;
        int to = ps_enum_parse(PS_NAMES_ELIGIBILITY, status);
        if (to < 0) {
            ps_err_set(e, PS_EINVAL, "FIELD_VALUE",
                       "an EWA status is NEW, ELIGIBLE, INELIGIBLE, ARREARS, "
                       "BAD_DEBT or DISABLED, not %s",
                       status);
            ps_err_field(e, "status");
            return PS_EINVAL;
        }
        if ((rc = ps_ewa_find(ap->eng, ap->b.id, GET(rec, "external_id"), &p,
                              e)) != 0) {
            ps_err_field(e, "external_id");
            return rc;
        }
        if ((rc = ps_ewa_set_eligibility(ap->eng, p.id,
                                         (enum ps_eligibility)to, &s, e)) != 0)
            return rc;
        snprintf(res->ids, sizeof(res->ids), "%s", p.id);
        snprintf(res->message, sizeof(res->message), "EWA %s -> %s",
                 ps_enum_name(PS_NAMES_ELIGIBILITY, (int)p.eligibility),
                 status);
        return 0;
    }
    int to = ps_enum_parse(PS_NAMES_STATUS, status);
    if (to < 0) {
        ps_err_set(e, PS_EINVAL, "FIELD_VALUE",
                   "a customer or account status is ACTIVE or SUSPENDED, "
                   "not %s",
                   status);
        ps_err_field(e, "status");
        return PS_EINVAL;
    }
    if ((rc = customer_of(ap, rec, &c, e)) != 0)
        return rc;
    if (strcmp(target, "CUSTOMER") == 0) {
        if ((rc = ps_customer_set_status(ap->eng, c.id, (enum ps_status)to, &s,
                                         e)) != 0)
            return rc;
        snprintf(res->ids, sizeof(res->ids), "%s", c.id);
    } else if (strcmp(target, "ACCOUNT") == 0) {
        struct last4_pick pk;
        memset(&pk, 0, sizeof(pk));
        pk.last4 = GET(rec, "account_last4");
        if ((rc = ps_store_account_list(ap->eng->store, c.id, pick_last4, &pk,
                                        e)) != 0)
            return rc;
        if (pk.n != 1) {
            ps_err_set(e, PS_EINVAL,
                       pk.n == 0 ? "ACCOUNT_NOT_FOUND" : "ACCOUNT_AMBIGUOUS",
                       pk.n == 0 ? "customer %s has no such account"
                                 : "customer %s has several such accounts: "
                                   "give account_last4",
                       c.external_id);
            ps_err_field(e, "account_last4");
            return PS_EINVAL;
        }
        if ((rc = ps_account_set_status(ap->eng, pk.a.id, (enum ps_status)to,
                                        &s, e)) != 0)
            return rc;
        snprintf(res->ids, sizeof(res->ids), "%s", pk.a.id);
    } else {
        ps_err_set(e, PS_EINVAL, "FIELD_VALUE",
                   "target must be CUSTOMER, ACCOUNT or EWA, not %s", target);
        ps_err_field(e, "target");
        return PS_EINVAL;
    }
    snprintf(res->message, sizeof(res->message), "%s %s", target, status);
    return 0;
}

/* ---- dispatch --------------------------------------------------------- */

static int payment_send_kind(struct ps_applier *ap,
                             const struct ps_record *rec,
                             const struct ps_source *src,
                             struct ps_apply_result *res, struct ps_err *e)
{
    /* (The EWA book is written first if there is one: with the writer,
     * a payment does not wait for it otherwise.) */
    int rc = ap->book != NULL ? drop_book(ap, e) : 0;
    return rc != 0 ? rc : ps_apply_payment(ap, rec, src, res, e);
}

/* txn.status: a provider's answer (provider.c).  It moves EWA balances,
 * so the book is written and forgotten first.  With the writer thread,
 * decided here and written there (provider.h), unless a record of
 * another kind since the last commit has rows only the writer's
 * connection sees. */
static int txn_status(struct ps_applier *ap, const struct ps_record *rec,
                      const struct ps_source *src, struct ps_apply_result *res,
                      struct ps_err *e)
{
    int rc = ap->book != NULL ? drop_book(ap, e) : 0, alone = 1;
    /* A settlement posts to the customer's ledger account: every account
     * of the business read at once, not one index probe a line. */
    if (rc == 0 && !ap->accounts) {
        ap->accounts = 1;
        if ((rc = ps_applier_drain(ap, e)) == 0)
            rc = ps_store_ledger_accounts_preload(ap->eng->store, ap->b.id,
                                                  e);
    }
    if (rc == 0 && ap->w != NULL && ap->reader != NULL && !ap->direct) {
        if (ap->answers == NULL && (ap->answers = ps_answers_new()) == NULL)
            return ps_err_set(e, PS_ENOMEM, "NO_MEMORY", "out of memory");
        rc = ps_provider_answer_post(ap->eng, &ap->b, ap->answers, ap->reader,
                                     ap->w, rec, src, res, &alone, e);
    }
    if (rc != 0 || !alone)
        return rc;
    if (ap->w != NULL) {
        ap->direct = 1;
        if ((rc = ps_applier_drain(ap, e)) != 0)
            return rc;
    }
    return ps_provider_apply_status(ap->eng, &ap->b, rec, src, res, e);
}

/* ach.entry: a live PPD/CCD credit is a disbursement request for the
 * employee whose external id is the entry's individual id, through the
 * same EWA engine and book as the CSV requests. */
static int ach_entry(struct ps_applier *ap, const struct ps_record *rec,
                     const struct ps_source *src, struct ps_apply_result *res,
                     struct ps_err *e)
{
    char amount[PS_MONEY_STRMAX];
    int64_t v;
    int rc;
    if (!ps_ach_entry_applies(rec, e))
        return PS_EINVAL;
    if ((rc = ps_ach_cents(rec, "amount", &v, e)) != 0)
        return rc;
    ps_money_format(v, 2, amount, sizeof(amount));
    struct ps_record req;
    ps_record_reset(&req);
    req.line = rec->line;
    req.offset = rec->offset;
    req.kind = "ewa.disburse";
    ps_record_field(&req, "request_id", GET(rec, "request_id"));
    ps_record_field(&req, "external_id", GET(rec, "individual_id"));
    ps_record_field(&req, "amount", amount);
    ps_record_field(&req, "currency", "USD");
    return ewa_disburse(ap, &req, src, res, e);
}

static int ach_return(struct ps_applier *ap, const struct ps_record *rec,
                      const struct ps_source *src, struct ps_apply_result *res,
                      struct ps_err *e)
{
    int rc = drop_book(ap, e);
    return rc != 0 ? rc
                   : ps_ach_apply_return(ap->eng, &ap->b, rec, src, res, e);
}

static int ach_noc(struct ps_applier *ap, const struct ps_record *rec,
                   const struct ps_source *src, struct ps_apply_result *res,
                   struct ps_err *e)
{
    int rc = drop_book(ap, e);
    return rc != 0 ? rc : ps_ach_apply_noc(ap->eng, &ap->b, rec, src, res, e);
}

/* linx.request: one LinX request of a batch (linxreq.h). */
static int linx_request(struct ps_applier *ap, const struct ps_record *rec,
                        const struct ps_source *src,
                        struct ps_apply_result *res, struct ps_err *e)
{
    return ps_linx_request_apply(ap->eng, &ap->b, rec, src, res, e);
}

/*
 * linx.answer: one gateway answer line (formats/linxanswer), taken only
 * from the gateway's provider folder, applied by ps_linx_answer.  Its
 * refusals (unknown, expired, inactive tokens, a failing activity) are
 * the record's; the request's FAILED state after a failing activity is
 * kept (the chunk does not roll a rejected record back).
 */
static int linx_answer(struct ps_applier *ap, const struct ps_record *rec,
                       const struct ps_source *src,
                       struct ps_apply_result *res, struct ps_err *e)
{
    struct ps_linx_answer a;
    const char *line = GET(rec, "answer");
    (void)src;
    int rc = drop_book(ap, e);
    if (rc != 0)
        return rc;
    rc = ps_linx_answer(ap->eng, &ap->b, line != NULL ? line : "", &a, e);
    if (rc == 0) {
        snprintf(res->message, sizeof(res->message), "%s %s", a.ref,
                 a.status);
        ps_strlcpy(res->ids, a.ids, sizeof(res->ids));
    }
    return rc;
}

struct kind {
    const char *name;
    int (*apply)(struct ps_applier *, const struct ps_record *,
                 const struct ps_source *, struct ps_apply_result *,
                 struct ps_err *);
};

static const struct kind kinds[] = {
    {"payment.send", payment_send_kind}, {"ewa.disburse", ewa_disburse},
    {"ewa.enroll", ewa_enroll},          {"ewa.payroll", ewa_payroll},
    {"customer.upsert", customer_upsert}, {"account.add", account_add},
    {"status.change", status_change},     {"txn.status", txn_status},
    {"ach.entry", ach_entry},             {"ach.unapplied", ach_entry},
    {"ach.return", ach_return},           {"ach.noc", ach_noc},
    {"linx.request", linx_request},       {"linx.answer", linx_answer},
};

int ps_applier_open(struct ps_engine *eng, const struct ps_business *b,
                    struct ps_applier **out, struct ps_err *err)
{
    struct ps_applier *ap = calloc(1, sizeof(*ap));
    if (ap == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    ap->eng = eng;
    ap->b = *b;
    *out = ap;
    return 0;
}

int ps_applier_threads(struct ps_applier *ap, struct ps_err *err)
{
    if (ap->w != NULL)
        return 0;
    /* Without a reader (a database of no file) refusals wait for the
     * writer: slower, the same outcomes. */
    struct ps_err ignored;
    if (ps_store_open_reader(ap->eng->store, &ap->reader, &ignored) != 0)
        ap->reader = NULL;
    return ps_ewa_writer_start(&ap->w, err);
}

void ps_applier_give_payees(struct ps_applier *ap, struct ps_paybook *book)
{
    if (ap->payees != NULL) {
        ps_paybook_free(book);
        return;
    }
    ap->payees = book;
}

int ps_applier_threaded(const struct ps_applier *ap)
{
    return ap->w != NULL;
}

int ps_applier_failed(const struct ps_applier *ap)
{
    return ap->failed;
}

void ps_applier_close(struct ps_applier *ap)
{
    if (ap == NULL)
        return;
    ps_ewa_writer_stop(ap->w);
    ps_store_close(ap->reader);
    ps_ewa_book_free(ap->book);
    ps_paybook_free(ap->payees);
    ps_answers_free(ap->answers);
    free(ap->refs);
    free(ap->ref_slots);
    free(ap->keys);
    free(ap);
}

int ps_applier_flush(struct ps_applier *ap, struct ps_err *err)
{
    int rc = 0;
    /* The rows kept for the writer go before the drain (the keys first,
     * as their records came). */
    if (ap->w != NULL && (rc = ps_apply_batches_post(ap, err)) != 0)
        return rc;
    if ((rc = ps_applier_drain(ap, err)) != 0)
        return rc;
    if (rc != 0)
        return rc;
    rc = ap->book != NULL ? ps_ewa_book_flush(ap->book, err) : 0;
    if (rc == 0) /* (none left with the writer) */
        rc = ps_apply_refs_flush(ap, err);
    /* The commit follows (a failure rolls back and abandons): what the
     * writer was given is then the reader's to see. */
    if (rc == 0 && ap->w != NULL)
        ps_ewa_writer_forget(ap->w);
    ps_answers_forget(ap->answers);
    ap->direct = 0;
    return rc;
}

void ps_applier_abandon(struct ps_applier *ap)
{
    struct ps_err ignored;
    ps_applier_drain(ap, &ignored); /* the writer is done with the book */
    if (ap->w != NULL)
        ps_ewa_writer_reset(ap->w);
    ps_answers_forget(ap->answers);
    ap->direct = 0;
    ps_ewa_book_free(ap->book);
    ap->book = NULL;
    ps_paybook_free(ap->payees);
    ap->payees = NULL;
    ap->nrefs = ap->refs_len = 0;
    ap->nkeys = ap->keys_len = 0;
}

/* ---- card and account numbers ---------------------------------------- */

/* The fields whose value is a card or bank account number by design. */
static int number_field(const char *name)
{
    return strcmp(name, "card_number") == 0 ||
           strcmp(name, "account_number") == 0 ||
           strcmp(name, "account") == 0 || /* NACHA's DFI account */
           strcmp(name, "corrected_account") == 0;
}

/* 1 if s holds 13 digits in a row: the cheap test every field of every
 * record takes (a million-record file must not pay for a copy each). */
static int long_digit_run(const char *s)
{
    int run = 0;
    for (; *s != '\0'; s++)
        if (*s >= '0' && *s <= '9') {
            if (++run >= 13)
                return 1;
        } else
            run = 0;
    return 0;
}

/*
 * A card number (a Luhn-valid run of 13..19 digits) in any other field of
 * an employer or provider record: a column shifted, a PAN pasted as a
 * name, a program or a reference.  The record is refused before anything
 * stores the value (names, references, reasons are kept in clear).
 * Provider answers (txn.status, linx.answer: its answer field holds the
 * card the customer entered, checked by the LinX code) and NACHA records
 * are exempt: their
 * references are trace numbers (15 digits) and processor ids, and DFI
 * account numbers, which pass Luhn one time in ten and are not card
 * numbers; they are only masked where they are echoed (redact_outcome,
 * the result file).
 */
static int misplaced_card(const struct ps_record *rec, struct ps_err *e)
{
    char buf[256];
    if (rec->kind == NULL || strncmp(rec->kind, "ach.", 4) == 0 ||
        strcmp(rec->kind, "txn.status") == 0 ||
        strcmp(rec->kind, "linx.answer") == 0)
        return 0;
    for (size_t i = 0; i < rec->nfields; i++) {
        if (rec->name[i] == NULL || rec->value[i] == NULL ||
            !long_digit_run(rec->value[i]) || number_field(rec->name[i]))
            continue;
        ps_strlcpy(buf, rec->value[i], sizeof(buf));
        if (ps_redact_pans(buf) == 0)
            continue;
        ps_err_set(e, PS_EINVAL, "CARD_NUMBER_MISPLACED",
                   "%s holds a card number (%s); card numbers go only in "
                   "card_number",
                   rec->name[i], buf);
        ps_err_field(e, rec->name[i]);
        return PS_EINVAL;
    }
    return 0;
}

/* Replace every occurrence of secret (>= 4 chars) in s by its last-4
 * mask; s keeps its size (a mask is never longer than 8 bytes, the
 * secret's place at least 4). */
static void mask_value(char *s, size_t size, const char *secret)
{
    char mask[PS_MASK_SIZE];
    size_t n = secret != NULL ? strlen(secret) : 0;
    if (n < 4)
        return;
    ps_mask_last4(secret, mask);
    size_t m = strlen(mask);
    for (char *at = strstr(s, secret); at != NULL; at = strstr(at + m, secret)) {
        size_t tail = strlen(at + n) + 1;
        if ((size_t)(at - s) + m + tail > size)
            break;
        memmove(at + m, at + n, tail);
        memcpy(at, mask, m);
    }
}

/*
 * The one place a record's outcome is finished for the result file,
 * record_results and the log: card numbers anywhere in the message
 * become BIN + last 4, and the record's own card and bank account
 * numbers, whatever their shape, become "****" + last 4.  (A bank account
 * number is 4..17 digits like an amount, a date or an id: only the
 * record's own account fields say which digits are one.)
 */
static void redact_outcome(const struct ps_record *rec,
                           struct ps_apply_result *res)
{
    ps_redact_pans(res->message);
    for (size_t i = 0; i < rec->nfields; i++)
        if (rec->name[i] != NULL && number_field(rec->name[i]))
            mask_value(res->message, sizeof(res->message), rec->value[i]);
}

static int record_outcome(struct ps_applier *ap, const struct ps_record *rec,
                          const struct ps_source *src,
                          struct ps_apply_result *res, struct ps_err *err)
{
    struct ps_err e;
    ps_err_clear(&e);
    if (rec->err.code != 0)
        return outcome_of(rec->err.code, &rec->err, res, err);
    if (misplaced_card(rec, &e) != 0)
        return outcome_of(PS_EINVAL, &e, res, err);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (rec->kind != NULL && strcmp(kinds[i].name, rec->kind) == 0) {
            if (kinds[i].apply != payment_send_kind) { /* paybook.h */
                ps_paybook_free(ap->payees);
                ap->payees = NULL;
            }
            /* Only a disbursement goes through the writer's queue (a
             * PPD credit entry is one: ach_entry reads the record alone,
             * then disburses), and a payment to a customer by external
             * id (applypay.c; by bank account it drains). */
            int rc = 0;
            if (kinds[i].apply != ewa_disburse &&
                kinds[i].apply != ach_entry &&
                kinds[i].apply != payment_send_kind &&
                kinds[i].apply != txn_status && ap->w != NULL) {
                ap->direct = 1;
                rc = ps_applier_drain(ap, &e);
            }
            if (rc != 0)
                return outcome_of(rc, &e, res, err);
            rc = kinds[i].apply(ap, rec, src, res, &e);
            if (rc != 0) {
                res->message[0] = '\0';
                res->ids[0] = '\0';
                res->amount = 0;
            }
            return outcome_of(rc, &e, res, err);
        }
    ps_err_set(&e, PS_EINVAL, "UNKNOWN_RECORD_KIND",
               "records of kind %s are not applied by payspool",
               rec->kind != NULL ? rec->kind : "(none)");
    return outcome_of(PS_EINVAL, &e, res, err);
}

int ps_applier_record(struct ps_applier *ap, const struct ps_record *rec,
                      const struct ps_source *src, struct ps_apply_result *res,
                      struct ps_err *err)
{
    memset(res, 0, sizeof(*res));
    res->outcome = PS_ACCEPTED;
    int rc = record_outcome(ap, rec, src, res, err);
    redact_outcome(rec, res);
    return rc;
}
