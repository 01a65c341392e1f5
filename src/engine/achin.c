/*
 * achin.c -- inbound NACHA returns, notifications of change and the
 * entries payspool does not apply (see achin.h).
 *
 * How it fails: a refused record returns a negative PS_E* with the rule
 * and field set and nothing changed (ps_engine_txn_event commits the
 * status, history, ledger and EWA effects together, or none of them).
 */
#include "engine/achin.h"

#include <stdio.h>
#include <string.h>

#include "base/money.h"
#include "engine/txn.h"

#define GET(rec, name) ps_record_get(rec, name)

static int refuse(struct ps_err *err, int code, const char *rule,
                  const char *field, const char *msg)
{
    ps_err_set(err, code, rule, "%s", msg);
    ps_err_field(err, field);
    return code;
}

/* "R01".."R99" (or "C01".."C99" for prefix 'C'): the number, or -1. */
static int code_number(const char *code, char prefix)
{
    if (code == NULL || code[0] != prefix || code[1] < '0' || code[1] > '9' ||
        code[2] < '0' || code[2] > '9' || code[3] != '\0')
        return -1;
    return (code[1] - '0') * 10 + (code[2] - '0');
}

int ps_ach_cents(const struct ps_record *rec, const char *field, int64_t *out,
                 struct ps_err *err)
{
    const char *v = GET(rec, field);
    int rc = ps_money_parse(v != NULL ? v : "", v != NULL ? strlen(v) : 0, 0,
                            0, out, err);
    if (rc != 0)
        ps_err_field(err, field);
    return rc;
}

/* The original transaction, by trace. */
static int original(struct ps_engine *eng, const struct ps_business *b,
                    const struct ps_record *rec, struct ps_txn *t,
                    struct ps_err *err)
{
    const char *trace = GET(rec, "original_trace");
    int rc;
    if (trace == NULL || trace[0] == '\0')
        return refuse(err, PS_EINVAL, "FIELD_REQUIRED", "original_trace",
                      "the original entry's trace number is required");
    rc = ps_store_txn_get_trace(eng->store, b->id, trace, t, err);
    if (rc == PS_ENOTFOUND) {
        ps_err_set(err, PS_ENOTFOUND, "UNKNOWN_TRACE",
                   "no ACH transaction of business %s has trace number %s",
                   b->name, trace);
        ps_err_field(err, "original_trace");
    }
    return rc;
}

int ps_ach_apply_return(struct ps_engine *eng, const struct ps_business *b,
                        const struct ps_record *rec,
                        const struct ps_source *src,
                        struct ps_apply_result *res, struct ps_err *err)
{
    const char *code = GET(rec, "return_code");
    char effective[4], reason[160], a1[PS_MONEY_STRMAX], a2[PS_MONEY_STRMAX];
    struct ps_txn t, after;
    int64_t cents = -1;
    int n = code_number(code, 'R'), rc;

    if (n < 0)
        return refuse(err, PS_EINVAL, "RETURN_CODE", "return_code",
                      "a return reason code is R followed by two digits");
    if (n >= 61 && n <= 70)
        return refuse(err, PS_EINVAL, "RETURN_DISHONORED", "return_code",
                      "a dishonored return answers a return the originator "
                      "sent; payspool sends no returns, so there is nothing "
                      "to apply it to");
    ps_strlcpy(effective, code, sizeof(effective));
    if (n >= 71 && n <= 77) {
        /* The RDFI contests the ODFI's dishonor: its original return
         * stands, for the reason it gave then. */
        const char *orig = GET(rec, "return_reason");
        if (orig == NULL || strlen(orig) != 2 || orig[0] < '0' ||
            orig[0] > '9' || orig[1] < '0' || orig[1] > '9')
            return refuse(err, PS_EINVAL, "RETURN_CODE", "return_reason",
                          "a contested dishonored return names the original "
                          "return reason in two digits");
        snprintf(effective, sizeof(effective), "R%s", orig);
    }
    if ((rc = original(eng, b, rec, &t, err)) != 0)
        return rc;
    if (t.rail != PS_RAIL_ACH)
        return refuse(err, PS_EINVAL, "UNKNOWN_TRACE", "original_trace",
                      "the trace number belongs to a transaction that is "
                      "not an ACH entry");
    if ((rc = ps_ach_cents(rec, "amount", &cents, err)) != 0)
        return rc;
    if (cents != t.amount) {
        ps_err_set(err, PS_EINVAL, "RETURN_AMOUNT_MISMATCH",
                   "the return is for %s but transaction %s is for %s",
                   ps_money_format(cents, 2, a1, sizeof(a1)),
                   t.id, ps_money_format(t.amount, 2, a2, sizeof(a2)));
        ps_err_field(err, "amount");
        return PS_EINVAL;
    }
    if (t.status == PS_TXN_DECLINED || t.status == PS_TXN_REVERSED) {
        ps_err_set(err, PS_ECONFLICT, "DUPLICATE_RETURN",
                   "transaction %s was already returned (%s)", t.id,
                   ps_enum_name(PS_NAMES_TXN_STATUS, (int)t.status));
        ps_err_field(err, "original_trace");
        return PS_ECONFLICT;
    }
    snprintf(reason, sizeof(reason), "ACH return %s%s%s", effective,
             n >= 71 ? ", contested dishonor " : "", n >= 71 ? code : "");
    struct ps_source s = {reason, src->file, src->line};
    struct ps_txn_args args = {&s, 0, NULL, effective};
    if ((rc = ps_engine_txn_event(eng, t.id, PS_EV_RETURN, &args, &after,
                                  err)) != 0)
        return rc;
    snprintf(res->ids, sizeof(res->ids), "%s", t.id);
    snprintf(res->message, sizeof(res->message), "%s %s %s -> %s: %s",
             ps_enum_name(PS_NAMES_TXN_TYPE, (int)t.type),
             ps_money_format(t.amount, 2, a1, sizeof(a1)),
             ps_enum_name(PS_NAMES_TXN_STATUS, (int)t.status),
             ps_enum_name(PS_NAMES_TXN_STATUS, (int)after.status), reason);
    res->amount = t.amount;
    ps_strlcpy(res->currency, t.currency, sizeof(res->currency));
    return 0;
}

int ps_ach_entry_applies(const struct ps_record *rec, struct ps_err *err)
{
    const char *sec = GET(rec, "sec");
    const char *dir = GET(rec, "direction");
    const char *prenote = GET(rec, "prenote");
    if (rec->kind != NULL && strcmp(rec->kind, "ach.unapplied") == 0) {
        ps_err_set(err, PS_EINVAL, "ACH_NOT_APPLIED",
                   "SEC code %s is read and validated but not applied by "
                   "payspool",
                   sec != NULL ? sec : "?");
        ps_err_field(err, "sec");
        return 0;
    }
    if (sec == NULL || (strcmp(sec, "PPD") != 0 && strcmp(sec, "CCD") != 0)) {
        ps_err_set(err, PS_EINVAL, "ACH_NOT_APPLIED",
                   "%s entries are read and validated but not applied: "
                   "payspool pays out PPD and CCD credits",
                   sec != NULL ? sec : "?");
        ps_err_field(err, "sec");
        return 0;
    }
    if (prenote != NULL && strcmp(prenote, "1") == 0) {
        ps_err_set(err, PS_EINVAL, "ACH_NOT_APPLIED",
                   "a prenote or zero-dollar entry moves no money: nothing "
                   "to pay out");
        ps_err_field(err, "transaction_code");
        return 0;
    }
    if (dir == NULL || strcmp(dir, "CREDIT") != 0) {
        ps_err_set(err, PS_EINVAL, "ACH_NOT_APPLIED",
                   "a debit entry in an inbound file is not applied: "
                   "payspool collects only its own recovery debits");
        ps_err_field(err, "transaction_code");
        return 0;
    }
    return 1;
}

int ps_ach_apply_noc(struct ps_engine *eng, const struct ps_business *b,
                     const struct ps_record *rec, const struct ps_source *src,
                     struct ps_apply_result *res, struct ps_err *err)
{
    const char *code = GET(rec, "change_code");
    const char *tc = GET(rec, "corrected_transaction_code");
    const char *refused = GET(rec, "refused");
    struct ps_txn t;
    struct ps_noc noc;
    char reason[96];
    int n = code_number(code, 'C'), rc;

    if (n < 0)
        return refuse(err, PS_EINVAL, "NOC_CODE", "change_code",
                      "a change code is C followed by two digits");
    if ((rc = original(eng, b, rec, &t, err)) != 0)
        return rc;
    memset(&noc, 0, sizeof(noc));
    noc.code = code;
    noc.original_trace = GET(rec, "original_trace");
    noc.corrected_account = GET(rec, "corrected_account");
    noc.corrected_routing = GET(rec, "corrected_routing");
    if (tc != NULL && tc[0] != '\0') {
        /* two digits, as the corrected data carries them */
        if (tc[0] < '0' || tc[0] > '9' || tc[1] < '0' || tc[1] > '9' ||
            tc[2] != '\0')
            return refuse(err, PS_EINVAL, "NOC_DATA",
                          "corrected_transaction_code",
                          "a corrected transaction code is two digits");
        noc.corrected_transaction_code = (tc[0] - '0') * 10 + (tc[1] - '0');
    }
    noc.corrected_name = GET(rec, "corrected_name");
    noc.corrected_id = GET(rec, "corrected_id");
    noc.refused = refused != NULL && strcmp(refused, "1") == 0;
    noc.txn_id = t.id;
    snprintf(reason, sizeof(reason), "ACH notification of change %s", code);
    struct ps_source s = {reason, src->file, src->line};
    if ((rc = ps_account_apply_noc(eng, t.account_id, &noc, &s, err)) != 0)
        return rc;
    snprintf(res->ids, sizeof(res->ids), "%s %s", t.account_id, t.id);
    snprintf(res->message, sizeof(res->message), "%s %s for account %s",
             noc.refused ? "refused NOC" : "NOC", code, t.account_id);
    return 0;
}
