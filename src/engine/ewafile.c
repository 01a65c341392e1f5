/*
 * ewafile.c -- roster enrollment and payroll recovery, one record each;
 * the rules are in ewafile.h.
 *
 * How it fails: a refused record is a negative PS_E* with the rule and
 * field set, and nothing it did stays (one savepoint per record); store
 * failures are returned as they are.
 */
#include "engine/ewafile.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "engine/ewa.h"
#include "base/id.h"
#include "engine/ledger.h"
#include "base/log.h"
#include "base/money.h"
#include "engine/txn.h"

static int empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

static int field_err(struct ps_err *err, const char *field, int rc)
{
    ps_err_field(err, field);
    return rc;
}

/* A date column (YYYY-MM-DD), normalised; "" when empty. */
static int date_of(const char *in, const char *field, char out[PS_DATE_SIZE],
                   struct ps_err *err)
{
    int64_t days;
    out[0] = '\0';
    if (empty(in))
        return 0;
    if (ps_date_parse(in, &days, err) != 0)
        return field_err(err, field, PS_EINVAL);
    ps_date_format(days, out);
    return 0;
}

/* The largest earned wages, gross, net or deduction a roster or payroll
 * line may carry, in major units of the program's currency: anything
 * above is a shifted column or a typo, never a pay period's wages. */
#define EWA_AMOUNT_MAX_MAJOR 10000000

/* Money in the program's currency; `cur` is the record's, may be empty.
 * A value whose digits are a card number is LOOKS_LIKE_CARD_NUMBER (the
 * parser's), one above EWA_AMOUNT_MAX_MAJOR is AMOUNT_TOO_LARGE. */
static int money_of(const char *in, const char *field,
                    const struct ps_program *prog, const char *cur,
                    int negative_ok, int64_t *out, struct ps_err *err)
{
    const struct ps_currency *c;
    int rc;
    if (!empty(cur) && strcmp(cur, prog->currency) != 0) {
        if ((rc = ps_currency_lookup(cur, &c, err)) != 0)
            return field_err(err, "currency", rc);
        ps_err_set(err, PS_EINVAL, "WRONG_CURRENCY",
                   "currency %s is not the program's %s", cur, prog->currency);
        return field_err(err, "currency", PS_EINVAL);
    }
    if (empty(in)) {
        ps_err_set(err, PS_EINVAL, "FIELD_REQUIRED", "%s is required", field);
        return field_err(err, field, PS_EINVAL);
    }
    int64_t v;
    if ((rc = ps_money_parse_cur(in, prog->currency,
                                 PS_MONEY_NOT_A_CARD |
                                     (negative_ok ? PS_MONEY_ALLOW_NEGATIVE : 0),
                                 &v, err)) != 0)
        return field_err(err, field, rc);
    if ((rc = ps_currency_lookup(prog->currency, &c, err)) != 0)
        return field_err(err, "currency", rc);
    int64_t max = EWA_AMOUNT_MAX_MAJOR;
    for (int i = 0; i < c->exponent; i++)
        max *= 10;
    if (v > max || v < -max) {
        ps_err_set(err, PS_EINVAL, "AMOUNT_TOO_LARGE",
                   "%s is above %d of %s: not a plausible amount", field,
                   EWA_AMOUNT_MAX_MAJOR, prog->currency);
        return field_err(err, field, PS_EINVAL);
    }
    *out = v;
    return 0;
}

int ps_ewa_account_for(struct ps_engine *eng, const char *customer_id,
                       const char *display_name, const char *card_number,
                       const char *routing, const char *number,
                       const char *bank_type, struct ps_account *out,
                       struct ps_err *err)
{
    char token[PS_TOKEN_SIZE], name[64];
    const char *secret = !empty(card_number) ? card_number : number;
    int rc;
    if (eng->keys == NULL)
        return ps_err_set(err, PS_ECRYPTO, "NO_KEY_FILE",
                          "adding an account needs the key file");
    if (empty(secret)) {
        ps_err_set(err, PS_EINVAL, "ACCOUNT_REQUIRED",
                   "a card number, or a routing and account number, is "
                   "required");
        return field_err(err, "card_number", PS_EINVAL);
    }
    if ((rc = ps_keys_token(eng->keys, secret, token, err)) != 0)
        return rc;
    rc = ps_store_account_find_token(eng->store, customer_id, token, out, err);
    if (rc == 0) {
        /* Without a routing number a known bank number is not assumed to
         * be the same account: it falls to FIELD_REQUIRED below. */
        if (!empty(card_number) ||
            (!empty(routing) && strcmp(out->routing_number, routing) == 0))
            return 0;
    } else if (rc != PS_ENOTFOUND)
        return rc;
    if (empty(display_name)) {
        size_t n = strlen(secret);
        snprintf(name, sizeof(name), "%s ****%s",
                 !empty(card_number) ? "Card" : "Bank",
                 secret + (n > 4 ? n - 4 : 0));
        display_name = name;
    }
    if (!empty(card_number)) {
        if ((rc = ps_account_add_card(eng, customer_id, display_name,
                                      card_number, out, err)) != 0)
            return rc == PS_EINVAL && err != NULL && err->field[0] == '\0'
                       ? field_err(err, "card_number", rc)
                       : rc;
        return 0;
    }
    if (empty(routing)) {
        ps_err_set(err, PS_EINVAL, "FIELD_REQUIRED",
                   "routing_number is required with an account number");
        return field_err(err, "routing_number", PS_EINVAL);
    }
    int type = ps_enum_parse(PS_NAMES_BANK_TYPE,
                             empty(bank_type) ? "CHECKING" : bank_type);
    if (type <= 0) {
        ps_err_set(err, PS_EINVAL, "BANK_ACCOUNT_TYPE",
                   "bank_account_type must be CHECKING or SAVINGS");
        return field_err(err, "bank_account_type", PS_EINVAL);
    }
    return ps_account_add_bank(eng, customer_id, display_name, routing, number,
                               (enum ps_bank_type)type, out, err);
}

/* Customer by externalId, created or updated from the roster's cells. */
static int roster_customer(struct ps_engine *eng, const struct ps_business *b,
                           const struct ps_roster_in *in,
                           const struct ps_source *src, struct ps_customer *c,
                           struct ps_err *err)
{
    int rc = ps_store_customer_get_ext(eng->store, b->id, in->external_id, c,
                                       err);
    if (rc != 0 && rc != PS_ENOTFOUND)
        return rc;
    int found = rc == 0;
    if (found && c->type != PS_CUSTOMER_INDIVIDUAL)
        return field_err(err, "external_id",
                         ps_err_set(err, PS_EINVAL, "NOT_AN_INDIVIDUAL",
                                    "customer %s is a BUSINESS customer",
                                    in->external_id));
    if (!found) {
        memset(c, 0, sizeof(*c));
        ps_strlcpy(c->business_id, b->id, sizeof(c->business_id));
        ps_strlcpy(c->external_id, in->external_id, sizeof(c->external_id));
        c->type = PS_CUSTOMER_INDIVIDUAL;
    }
    struct ps_customer want = *c;
    /* An empty cell keeps what is known. */
    if (!empty(in->first_name))
        ps_strlcpy(want.first_name, in->first_name, sizeof(want.first_name));
    if (!empty(in->middle_name))
        ps_strlcpy(want.middle_name, in->middle_name, sizeof(want.middle_name));
    if (!empty(in->last_name))
        ps_strlcpy(want.last_name, in->last_name, sizeof(want.last_name));
    if (!empty(in->email))
        ps_strlcpy(want.email, in->email, sizeof(want.email));
    if (!empty(in->phone))
        ps_strlcpy(want.phone, in->phone, sizeof(want.phone));
    if (!found) {
        rc = ps_customer_create(eng, &want, NULL, 0, NULL, 0, src, err);
    } else if (strcmp(want.first_name, c->first_name) != 0 ||
               strcmp(want.middle_name, c->middle_name) != 0 ||
               strcmp(want.last_name, c->last_name) != 0 ||
               strcmp(want.email, c->email) != 0 ||
               strcmp(want.phone, c->phone) != 0) {
        rc = ps_customer_update(eng, &want, NULL, 0, NULL, 0, err);
    }
    if (rc == 0)
        *c = want;
    return rc;
}

static int change(struct ps_engine *eng, struct ps_profile *p,
                  enum ps_eligibility to, const struct ps_source *src,
                  const char *reason, struct ps_err *err)
{
    struct ps_source s = *src;
    s.reason = reason;
    return ps_ewa_eligibility_change(eng->store, p, to, &s, err);
}

/* One roster line.  Long (about 150 lines): the employment, earnings
 * and eligibility rules of the seed in their order, each a short step on
 * the same profile inside the caller's transaction. */
static int roster_apply(struct ps_engine *eng, const struct ps_business *b,
                        const struct ps_roster_in *in,
                        const struct ps_source *src, struct ps_roster_out *out,
                        struct ps_err *err)
{
    struct ps_program prog;
    struct ps_customer c;
    struct ps_account a;
    struct ps_profile p;
    char begin[PS_DATE_SIZE], end[PS_DATE_SIZE], pstart[PS_DATE_SIZE],
        pend[PS_DATE_SIZE], reason[PS_REASON_SIZE];
    int64_t earned = 0;
    int rc, found;

    int employment = ps_enum_parse(PS_NAMES_EMPLOYMENT,
                                   empty(in->employment_status)
                                       ? "ACTIVE"
                                       : in->employment_status);
    if (employment < 0) {
        ps_err_set(err, PS_EINVAL, "EMPLOYMENT_STATUS",
                   "employment_status must be ACTIVE, TERMINATED or LEAVE");
        return field_err(err, "employment_status", PS_EINVAL);
    }
    if (empty(in->program)) {
        ps_err_set(err, PS_EINVAL, "FIELD_REQUIRED", "program is required");
        return field_err(err, "program", PS_EINVAL);
    }
    rc = ps_store_program_get(eng->store, b->id, in->program, &prog, err);
    if (rc == 0 && strcmp(prog.business_id, b->id) != 0)
        rc = PS_ENOTFOUND;
    if (rc == PS_ENOTFOUND) {
        ps_err_set(err, rc, "PROGRAM_NOT_FOUND",
                   "no EWA program %s in this business", in->program);
        return field_err(err, "program", rc);
    }
    if (rc != 0)
        return rc;
    if ((rc = date_of(in->enrollment_begin, "enrollment_begin", begin, err)) !=
            0 ||
        (rc = date_of(in->enrollment_end, "enrollment_end", end, err)) != 0 ||
        (rc = date_of(in->period_start, "period_start", pstart, err)) != 0 ||
        (rc = date_of(in->period_end, "period_end", pend, err)) != 0)
        return rc;
    if (pstart[0] != '\0' && pend[0] != '\0' && strcmp(pend, pstart) < 0) {
        ps_err_set(err, PS_EINVAL, "PERIOD_ENDS_BEFORE_START",
                   "period_end %s is before period_start %s", pend, pstart);
        return field_err(err, "period_end", PS_EINVAL);
    }
    if (!empty(in->earned_wages) &&
        (rc = money_of(in->earned_wages, "earned_wages", &prog, in->currency, 0,
                       &earned, err)) != 0)
        return rc;

    if ((rc = roster_customer(eng, b, in, src, &c, err)) != 0)
        return rc;
    rc = ps_store_profile_get_ext(eng->store, b->id, in->external_id, &p, err);
    if (rc != 0 && rc != PS_ENOTFOUND)
        return rc;
    found = rc == 0;
    int new_account = !empty(in->card_number) || !empty(in->account_number);
    if (new_account || !found) {
        if ((rc = ps_ewa_account_for(eng, c.id, in->account_name,
                                     in->card_number, in->routing_number,
                                     in->account_number, in->bank_account_type,
                                     &a, err)) != 0)
            return rc;
    }
    if (!found) {
        memset(&p, 0, sizeof(p));
        ps_strlcpy(p.business_id, b->id, sizeof(p.business_id));
        ps_strlcpy(p.external_id, in->external_id, sizeof(p.external_id));
        ps_strlcpy(p.customer_id, c.id, sizeof(p.customer_id));
        ps_strlcpy(p.account_id, a.id, sizeof(p.account_id));
        ps_strlcpy(p.program_id, prog.id, sizeof(p.program_id));
        ps_strlcpy(p.enrollment_begin, begin, sizeof(p.enrollment_begin));
        ps_strlcpy(p.enrollment_end, end, sizeof(p.enrollment_end));
        struct ps_source s = *src;
        s.reason = "enrolled from the employer's roster";
        if ((rc = ps_ewa_enroll(eng, &p, &s, err)) != 0)
            return rc;
        p.employment = PS_EMPLOY_ACTIVE;
        out->created = 1;
    } else {
        if (new_account)
            ps_strlcpy(p.account_id, a.id, sizeof(p.account_id));
        ps_strlcpy(p.program_id, prog.id, sizeof(p.program_id));
        if (begin[0] != '\0' || end[0] != '\0') {
            /* The window comes from the roster when it gives one. */
            char b2[PS_TIME_SIZE], e2[PS_TIME_SIZE];
            int64_t ms;
            if (begin[0] != '\0' && ps_time_parse(begin, &ms, NULL) == 0)
                ps_strlcpy(p.enrollment_begin, ps_time_format(ms, b2),
                           sizeof(p.enrollment_begin));
            if (end[0] != '\0' && ps_time_parse(end, &ms, NULL) == 0)
                ps_strlcpy(p.enrollment_end, ps_time_format(ms, e2),
                           sizeof(p.enrollment_end));
            if (p.enrollment_end[0] != '\0' &&
                strcmp(p.enrollment_end, p.enrollment_begin) <= 0) {
                ps_err_set(err, PS_EINVAL, "ENROLLMENT_WINDOW",
                           "enrollment_end must be after enrollment_begin");
                return field_err(err, "enrollment_end", PS_EINVAL);
            }
        }
        p.enrollment = PS_ENROLL_ACTIVE;
    }
    /* Earnings of the pay period. */
    if (pstart[0] != '\0' && strcmp(pstart, p.period_start) != 0) {
        ps_strlcpy(p.period_start, pstart, sizeof(p.period_start));
        p.period_disbursed = 0;
    }
    if (pend[0] != '\0')
        ps_strlcpy(p.period_end, pend, sizeof(p.period_end));
    if (!empty(in->earned_wages))
        p.earned_wages = earned;

    /* Employment drives eligibility. */
    enum ps_employment was = p.employment;
    p.employment = (enum ps_employment)employment;
    if (employment == PS_EMPLOY_ACTIVE) {
        if (p.eligibility == PS_ELIG_NEW)
            rc = change(eng, &p, PS_ELIG_ELIGIBLE, src,
                        "employment ACTIVE on the employer's roster", err);
        else if (p.eligibility == PS_ELIG_INELIGIBLE &&
                 was != PS_EMPLOY_ACTIVE) {
            snprintf(reason, sizeof(reason),
                     "employment ACTIVE again on the roster (was %s)",
                     ps_enum_name(PS_NAMES_EMPLOYMENT, (int)was));
            rc = change(eng, &p,
                        p.failed_recoveries > 0 ? PS_ELIG_ARREARS
                                                : PS_ELIG_ELIGIBLE,
                        src, reason, err);
        }
    } else if (p.eligibility == PS_ELIG_NEW ||
               p.eligibility == PS_ELIG_ELIGIBLE ||
               p.eligibility == PS_ELIG_ARREARS) {
        snprintf(reason, sizeof(reason), "employment %s on the roster",
                 ps_enum_name(PS_NAMES_EMPLOYMENT, employment));
        rc = change(eng, &p, PS_ELIG_INELIGIBLE, src, reason, err);
    }
    if (rc != 0)
        return rc;
    ps_time_now(p.updated_at);
    if ((rc = ps_store_profile_update(eng->store, &p, err)) != 0)
        return rc;
    ps_strlcpy(out->profile_id, p.id, sizeof(out->profile_id));
    ps_strlcpy(out->customer_id, c.id, sizeof(out->customer_id));
    ps_strlcpy(out->account_id, p.account_id, sizeof(out->account_id));
    out->eligibility = p.eligibility;
    return 0;
}

/* One record's savepoint: commit what apply did, or roll it all back. */
static int finish(struct ps_store *store, int rc, struct ps_err *err)
{
    if (rc == 0)
        rc = ps_store_commit(store, err);
    if (rc != 0)
        ps_store_rollback(store);
    return rc;
}

int ps_ewa_roster(struct ps_engine *eng, const struct ps_business *b,
                  const struct ps_roster_in *in, const struct ps_source *src,
                  struct ps_roster_out *out, struct ps_err *err)
{
    int rc;
    memset(out, 0, sizeof(*out));
    if (empty(in->external_id)) {
        ps_err_set(err, PS_EINVAL, "FIELD_REQUIRED", "external_id is required");
        return field_err(err, "external_id", PS_EINVAL);
    }
    if ((rc = ps_store_begin(eng->store, err)) != 0)
        return rc;
    return finish(eng->store, roster_apply(eng, b, in, src, out, err), err);
}

/*
 * The program's ACH debit fallback for a payroll shortfall, inside the
 * record's store transaction: a DEBIT of the shortfall (rail ACH, purpose
 * EWA_RECOVERY, fee 0, status NEW, request id recovery-<profile>-<pay
 * date>) on the profile's account, its id in out->debit_txn_id, and one
 * more debit attempt on the profile.  Only when the program has the
 * fallback, the profile is neither BAD_DEBT nor DISABLED and has debit
 * attempts left, the customer is ACTIVE, the account is an ACTIVE bank
 * account with an ACTIVE WEB or PPD authorization, and no recovery debit
 * of the profile is still in flight; otherwise nothing (0).
 */
static int debit_fallback(struct ps_engine *eng, const struct ps_program *prog,
                          struct ps_profile *p, const char *pay_date,
                          int64_t shortfall, const struct ps_source *src,
                          struct ps_payroll_out *out, struct ps_err *err)
{
    struct ps_account a;
    struct ps_customer c;
    struct ps_txn t;
    struct ps_source s = *src;
    char reason[PS_REASON_SIZE];
    int64_t in_flight = 0;
    int rc;

    if (!prog->debit_fallback || shortfall <= 0 ||
        p->eligibility == PS_ELIG_BAD_DEBT ||
        p->eligibility == PS_ELIG_DISABLED ||
        p->debit_attempts >= prog->max_debit_attempts)
        return 0;
    if ((rc = ps_store_account_get(eng->store, p->account_id, &a, err)) != 0 ||
        (rc = ps_store_customer_get(eng->store, p->customer_id, &c, err)) != 0)
        return rc;
    if (a.kind != PS_ACCOUNT_EXTERNAL_BANK || a.status != PS_STATUS_ACTIVE ||
        c.status != PS_STATUS_ACTIVE)
        return 0;
    if ((rc = ps_store_debit_auth_consumer(eng->store, a.id, NULL, err)) <= 0)
        return rc;
    if ((rc = ps_store_recovery_in_flight(eng->store, p->id, &in_flight,
                                          err)) != 0)
        return rc;
    if (in_flight > 0)
        return 0;

    memset(&t, 0, sizeof(t));
    ps_strlcpy(t.business_id, p->business_id, sizeof(t.business_id));
    ps_strlcpy(t.customer_id, c.id, sizeof(t.customer_id));
    ps_strlcpy(t.account_id, a.id, sizeof(t.account_id));
    ps_strlcpy(t.profile_id, p->id, sizeof(t.profile_id));
    t.type = PS_TXN_DEBIT;
    t.rail = PS_RAIL_ACH;
    t.purpose = PS_PURPOSE_EWA_RECOVERY;
    t.amount = shortfall;
    t.fee = 0;
    ps_strlcpy(t.currency, prog->currency, sizeof(t.currency));
    snprintf(t.request_id, sizeof(t.request_id), "recovery-%s-%s", p->id,
             pay_date);
    snprintf(reason, sizeof(reason),
             "ACH debit fallback for the shortfall of the payroll of %s "
             "(attempt %d of %d)",
             pay_date, p->debit_attempts + 1, prog->max_debit_attempts);
    s.reason = reason;
    if ((rc = ps_txn_create_in(eng->store, &t, &s, err)) != 0)
        return rc;
    p->debit_attempts++;
    ps_strlcpy(out->debit_txn_id, t.id, sizeof(out->debit_txn_id));
    ps_log(PS_LOG_INFO, "ewa.recovery_debit", "{s:s, s:s, s:s, s:I, s:i}",
           "profile", p->id, "txn", t.id, "last4", a.last4, "amount",
           (json_int_t)shortfall, "attempt", p->debit_attempts);
    return 0;
}

/* One payroll line.  Long (about 160 lines): the recovery from pay in
 * its steps (duplicate, amounts, ledger, eligibility, recovery debit) on
 * one profile inside the caller's transaction, in the seed's order. */
static int payroll_apply(struct ps_engine *eng, const struct ps_business *b,
                         const struct ps_payroll_in *in,
                         const struct ps_source *src,
                         struct ps_payroll_out *out, struct ps_err *err)
{
    struct ps_profile p;
    struct ps_program prog;
    struct ps_payroll_row row;
    char pend[PS_DATE_SIZE], pstart[PS_DATE_SIZE], reason[PS_REASON_SIZE];
    char a1[PS_MONEY_STRMAX], a2[PS_MONEY_STRMAX], a3[PS_MONEY_STRMAX];
    int64_t gross, net, ded;
    int rc;

    memset(&row, 0, sizeof(row));
    rc = ps_store_profile_get_ext(eng->store, b->id, in->external_id, &p, err);
    if (rc == PS_ENOTFOUND) {
        ps_err_set(err, rc, "PROFILE_NOT_FOUND",
                   "no EWA profile %s in this business", in->external_id);
        return field_err(err, "external_id", rc);
    }
    if (rc != 0 ||
        (rc = ps_store_program_get(eng->store, NULL, p.program_id, &prog,
                                   err)) != 0)
        return rc;
    const struct ps_currency *cur = ps_currency_find(prog.currency);
    int exp = cur != NULL ? cur->exponent : 2;
    if ((rc = date_of(in->pay_date, "pay_date", row.pay_date, err)) != 0 ||
        (rc = date_of(in->period_start, "period_start", pstart, err)) != 0 ||
        (rc = date_of(in->period_end, "period_end", pend, err)) != 0)
        return rc;
    if (row.pay_date[0] == '\0') {
        ps_err_set(err, PS_EINVAL, "FIELD_REQUIRED", "pay_date is required");
        return field_err(err, "pay_date", PS_EINVAL);
    }
    if ((rc = money_of(in->gross, "gross", &prog, in->currency, 0, &gross,
                       err)) != 0 ||
        (rc = money_of(in->net, "net", &prog, in->currency, 0, &net, err)) !=
            0 ||
        (rc = money_of(in->deduction, "ewa_deduction", &prog, in->currency, 0,
                       &ded, err)) != 0)
        return rc;
    if (net > gross) {
        ps_err_set(err, PS_EINVAL, "NET_EXCEEDS_GROSS",
                   "net pay %s is more than gross pay %s",
                   ps_money_format(net, exp, a1, sizeof(a1)),
                   ps_money_format(gross, exp, a2, sizeof(a2)));
        return field_err(err, "net", PS_EINVAL);
    }
    if (ded > gross) {
        ps_err_set(err, PS_EINVAL, "DEDUCTION_EXCEEDS_GROSS",
                   "EWA deduction %s is more than gross pay %s",
                   ps_money_format(ded, exp, a1, sizeof(a1)),
                   ps_money_format(gross, exp, a2, sizeof(a2)));
        return field_err(err, "ewa_deduction", PS_EINVAL);
    }
    int64_t due = p.eligibility == PS_ELIG_BAD_DEBT ? 0 : p.amount_to_recover;
    /* A line applied before is a DUPLICATE whatever it would do now (its
     * own deduction lowered what is due): the row goes in before the
     * refusals below, which roll it back with the rest of the record. */
    out->due = due;
    out->deduction = ded;
    out->shortfall = due - ded;
    out->outcome =
        due == 0 ? "NOTHING_DUE" : (ded == due ? "RECOVERED" : "SHORTFALL");
    ps_strlcpy(out->currency, prog.currency, sizeof(out->currency));
    ps_strlcpy(out->profile_id, p.id, sizeof(out->profile_id));

    ps_strlcpy(row.profile_id, p.id, sizeof(row.profile_id));
    row.gross = gross;
    row.net = net;
    row.deduction = ded;
    row.due = due;
    ps_strlcpy(row.currency, prog.currency, sizeof(row.currency));
    row.outcome = out->outcome;
    row.source_file = src->file;
    row.source_line = src->line;
    ps_time_now(row.created_at);
    rc = ps_store_payroll_insert(eng->store, &row, err);
    if (rc == PS_ECONFLICT) {
        ps_err_set(err, rc, "DUPLICATE_PAYROLL",
                   "a payroll result for %s paid %s was already applied",
                   p.external_id, row.pay_date);
        return field_err(err, "pay_date", rc);
    }
    if (rc != 0)
        return rc;
    if (p.eligibility == PS_ELIG_BAD_DEBT && ded > 0) {
        ps_err_set(err, PS_ESTATE, "RECOVERY_STOPPED",
                   "EWA profile %s is BAD_DEBT: nothing is recovered; the "
                   "deduction of %s is owed back to the employee",
                   p.external_id, ps_money_format(ded, exp, a1, sizeof(a1)));
        return field_err(err, "ewa_deduction", PS_ESTATE);
    }
    if (ded > due) {
        ps_err_set(err, PS_EINVAL, "DEDUCTION_EXCEEDS_DUE",
                   "EWA deduction %s is more than the %s due; the excess "
                   "is owed back to the employee",
                   ps_money_format(ded, exp, a1, sizeof(a1)),
                   ps_money_format(due, exp, a2, sizeof(a2)));
        return field_err(err, "ewa_deduction", PS_EINVAL);
    }
    if (ded > 0) {
        char ref[PS_ID_SIZE + PS_DATE_SIZE + 16];
        snprintf(ref, sizeof(ref), "payroll:%s:%s", p.id, row.pay_date);
        if ((rc = ps_ledger_post_payroll_recovery(eng->store, b->id,
                                                  prog.currency, ded, ref,
                                                  row.created_at, err)) != 0)
            return rc;
        p.amount_to_recover -= ded;
    }
    if (due > 0 && ded < due) {
        p.failed_recoveries++;
        ps_money_format(due - ded, exp, a1, sizeof(a1));
        ps_money_format(ded, exp, a2, sizeof(a2));
        ps_money_format(due, exp, a3, sizeof(a3));
        /* DISABLED is final (ewa.c's table): it counts the failure and
         * stays; refusing the line would lose a deduction really made. */
        if (p.failed_recoveries >= prog.bad_debt_after &&
            ps_ewa_eligibility_allowed(p.eligibility, PS_ELIG_BAD_DEBT)) {
            snprintf(reason, sizeof(reason),
                     "%d consecutive failed recoveries; payroll of %s "
                     "deducted %s of %s due",
                     p.failed_recoveries, row.pay_date, a2, a3);
            rc = change(eng, &p, PS_ELIG_BAD_DEBT, src, reason, err);
        } else if (p.eligibility == PS_ELIG_ELIGIBLE) {
            snprintf(reason, sizeof(reason),
                     "payroll of %s short by %s: deducted %s of %s due",
                     row.pay_date, a1, a2, a3);
            rc = change(eng, &p, PS_ELIG_ARREARS, src, reason, err);
        }
    } else if (due > 0) {
        p.failed_recoveries = 0;
        p.debit_attempts = 0;
        if (p.eligibility == PS_ELIG_ARREARS) {
            snprintf(reason, sizeof(reason),
                     "recovered in full by the payroll of %s", row.pay_date);
            rc = change(eng, &p, PS_ELIG_ELIGIBLE, src, reason, err);
        }
    }
    if (rc == 0 && due > 0 && ded < due)
        rc = debit_fallback(eng, &prog, &p, row.pay_date, due - ded, src, out,
                            err);
    if (rc != 0)
        return rc;
    /* The payroll closes the pay period it pays, unless the roster has
     * already moved the profile into a later one. */
    const char *closes = pend[0] != '\0' ? pend : row.pay_date;
    if (p.period_start[0] == '\0' || strcmp(p.period_start, closes) <= 0) {
        p.earned_wages = 0;
        p.period_disbursed = 0;
    }
    ps_time_now(p.updated_at);
    if ((rc = ps_store_profile_update(eng->store, &p, err)) != 0)
        return rc;
    out->eligibility = p.eligibility;
    return 0;
}

int ps_ewa_payroll(struct ps_engine *eng, const struct ps_business *b,
                   const struct ps_payroll_in *in, const struct ps_source *src,
                   struct ps_payroll_out *out, struct ps_err *err)
{
    int rc;
    memset(out, 0, sizeof(*out));
    if (empty(in->external_id)) {
        ps_err_set(err, PS_EINVAL, "FIELD_REQUIRED", "external_id is required");
        return field_err(err, "external_id", PS_EINVAL);
    }
    if ((rc = ps_store_begin(eng->store, err)) != 0 ||
        (rc = finish(eng->store, payroll_apply(eng, b, in, src, out, err),
                     err)) != 0)
        return rc;
    ps_log(PS_LOG_DEBUG, "ewa.payroll", "{s:s, s:s, s:I, s:I}", "profile",
           out->profile_id, "outcome", out->outcome, "due",
           (json_int_t)out->due, "deducted", (json_int_t)out->deduction);
    return 0;
}
