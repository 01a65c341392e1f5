/*
 * ewa.c -- EWA profiles: enrollment, the eligibility table, the profile
 * effects of transaction outcomes, and the seed's JSON object (the
 * export that writes it to files is outbound/ewaexport.c).
 *
 * Eligibility (seed): NEW on enrollment; ELIGIBLE may disburse;
 * INELIGIBLE no disbursement but recovery continues; ARREARS last
 * recovery failed; BAD_DEBT neither disbursement nor recovery; DISABLED no
 * longer valid (terminal).  Every change writes a history row with its
 * reason and source in the same store transaction as the profile.
 *
 * How it fails: PS_EINVAL for bad input (field set), PS_ESTATE for a
 * change the table forbids, PS_ENOTFOUND for ids outside the business.
 */
#include "engine/ewa.h"

#include <stdlib.h>
#include <string.h>

#include "engine/achfx.h"
#include "base/log.h"
#include "base/money.h"

/* allowed[from][to] */
static const unsigned char allowed[PS_ELIG_N][PS_ELIG_N] = {
    /*               NEW ELIG INEL ARR BAD DIS */
    [PS_ELIG_NEW] = {0, 1, 1, 0, 0, 1},
    [PS_ELIG_ELIGIBLE] = {0, 0, 1, 1, 1, 1},
    [PS_ELIG_INELIGIBLE] = {0, 1, 0, 1, 1, 1},
    [PS_ELIG_ARREARS] = {0, 1, 1, 0, 1, 1},
    [PS_ELIG_BAD_DEBT] = {0, 0, 0, 0, 0, 1},
    [PS_ELIG_DISABLED] = {0, 0, 0, 0, 0, 0},
};

int ps_ewa_eligibility_allowed(enum ps_eligibility from, enum ps_eligibility to)
{
    if ((unsigned)from >= PS_ELIG_N || (unsigned)to >= PS_ELIG_N)
        return 0;
    return allowed[from][to];
}

/* Normalise a date or RFC 3339 time to RFC 3339 UTC in out. */
static int norm_time(const char *in, const char *field, char out[PS_TIME_SIZE],
                     struct ps_err *err)
{
    int64_t ms;
    if (in == NULL || in[0] == '\0') {
        out[0] = '\0';
        return 0;
    }
    int rc = ps_time_parse(in, &ms, err);
    if (rc != 0) {
        ps_err_field(err, field);
        return rc;
    }
    ps_time_format(ms, out);
    return 0;
}

int ps_ewa_enroll(struct ps_engine *eng, struct ps_profile *p,
                  const struct ps_source *src, struct ps_err *err)
{
    struct ps_customer c;
    struct ps_account a;
    struct ps_program prog;
    struct ps_profile row = *p;
    struct ps_source s = {"enrolled", NULL, 0};
    char now[PS_TIME_SIZE];
    int rc;

    if (src != NULL) {
        s = *src;
        if (s.reason == NULL || s.reason[0] == '\0')
            s.reason = "enrolled";
    }
    if (row.external_id[0] == '\0' || strlen(row.external_id) > 64) {
        ps_err_set(err, PS_EINVAL, "EXTERNAL_ID_FORMAT",
                   "externalId must be 1 to 64 characters");
        ps_err_field(err, "externalId");
        return PS_EINVAL;
    }
    if ((rc = norm_time(p->enrollment_begin, "enrollmentBegin",
                        row.enrollment_begin, err)) != 0 ||
        (rc = norm_time(p->enrollment_end, "enrollmentEnd", row.enrollment_end,
                        err)) != 0)
        return rc;
    if (row.enrollment_begin[0] == '\0')
        ps_time_now(row.enrollment_begin);
    if (row.enrollment_end[0] != '\0' &&
        strcmp(row.enrollment_end, row.enrollment_begin) <= 0) {
        ps_err_set(err, PS_EINVAL, "ENROLLMENT_WINDOW",
                   "enrollmentEnd must be after enrollmentBegin");
        ps_err_field(err, "enrollmentEnd");
        return PS_EINVAL;
    }
    if ((rc = ps_store_customer_get(eng->store, row.customer_id, &c, err)) !=
            0 ||
        (rc = ps_store_account_get(eng->store, row.account_id, &a, err)) != 0 ||
        (rc = ps_store_program_get(eng->store, row.business_id, row.program_id,
                                   &prog, err)) != 0)
        return rc;
    if (strcmp(c.business_id, row.business_id) != 0 ||
        strcmp(a.customer_id, c.id) != 0 ||
        strcmp(prog.business_id, row.business_id) != 0)
        return ps_err_set(err, PS_ENOTFOUND, "NOT_IN_BUSINESS",
                          "customer, account and program must belong to the "
                          "profile's business");
    ps_strlcpy(row.program_id, prog.id, sizeof(row.program_id));
    ps_id_new(row.id);
    ps_id_new(row.eligibility_id);
    row.enrollment = PS_ENROLL_ACTIVE;
    row.eligibility = PS_ELIG_NEW;
    ps_strlcpy(row.eligibility_reason, s.reason,
               sizeof(row.eligibility_reason));
    ps_time_now(now);
    ps_strlcpy(row.eligibility_at, now, sizeof(row.eligibility_at));
    ps_strlcpy(row.created_at, now, sizeof(row.created_at));
    ps_strlcpy(row.updated_at, now, sizeof(row.updated_at));

    if ((rc = ps_store_begin(eng->store, err)) != 0)
        return rc;
    /* History first: the profile references its latest history row. */
    rc = ps_store_profile_insert(eng->store, &row, err);
    if (rc == PS_ECONFLICT) {
        ps_err_set(err, rc, "PROFILE_EXISTS",
                   "EWA profile %s already exists in this business",
                   row.external_id);
        ps_err_field(err, "externalId");
    }
    if (rc == 0)
        rc = ps_store_eligibility_insert(eng->store, row.eligibility_id, row.id,
                                         -1, PS_ELIG_NEW, &s, now, err);
    /* The customer's ledger account in the program's currency, which the
     * advances post to, exists from enrollment on. */
    int64_t ledger_id;
    if (rc == 0)
        rc = ps_store_ledger_account(eng->store, row.business_id,
                                     PS_LEDGER_CUSTOMER, prog.currency, c.id,
                                     &ledger_id, err);
    if (rc == 0)
        rc = ps_store_commit(eng->store, err);
    if (rc != 0) {
        ps_store_rollback(eng->store);
        return rc;
    }
    *p = row;
    return 0;
}

int ps_ewa_find(struct ps_engine *eng, const char *business_id,
                const char *external_id, struct ps_profile *out,
                struct ps_err *err)
{
    int rc = ps_store_profile_get_ext(eng->store, business_id, external_id, out,
                                      err);
    if (rc == PS_ENOTFOUND)
        ps_err_set(err, rc, "PROFILE_NOT_FOUND",
                   "no EWA profile %s in this business", external_id);
    return rc;
}

int ps_ewa_eligibility_change(struct ps_store *store, struct ps_profile *p,
                              enum ps_eligibility to,
                              const struct ps_source *src, struct ps_err *err)
{
    char id[PS_ID_SIZE], now[PS_TIME_SIZE];
    enum ps_eligibility from = p->eligibility;
    int rc;
    if (src == NULL || src->reason == NULL || src->reason[0] == '\0')
        return ps_err_set(err, PS_EINVAL, "REASON_REQUIRED",
                          "an eligibility change needs a reason");
    if (!ps_ewa_eligibility_allowed(from, to))
        return ps_err_set(err, PS_ESTATE, "ILLEGAL_ELIGIBILITY_CHANGE",
                          "EWA profile %s cannot go from %s to %s",
                          p->external_id,
                          ps_enum_name(PS_NAMES_ELIGIBILITY, (int)from),
                          ps_enum_name(PS_NAMES_ELIGIBILITY, (int)to));
    ps_id_new(id);
    ps_time_now(now);
    if ((rc = ps_store_eligibility_insert(store, id, p->id, (int)from, to, src,
                                          now, err)) != 0)
        return rc;
    p->eligibility = to;
    ps_strlcpy(p->eligibility_id, id, sizeof(p->eligibility_id));
    ps_strlcpy(p->eligibility_reason, src->reason,
               sizeof(p->eligibility_reason));
    ps_strlcpy(p->eligibility_at, now, sizeof(p->eligibility_at));
    ps_strlcpy(p->updated_at, now, sizeof(p->updated_at));
    if ((rc = ps_store_profile_update(store, p, err)) != 0)
        return rc;
    ps_log(PS_LOG_DEBUG, "ewa.eligibility", "{s:s, s:s, s:s, s:s, s:s}",
           "profile", p->id, "externalId", p->external_id, "from",
           ps_enum_name(PS_NAMES_ELIGIBILITY, (int)from), "to",
           ps_enum_name(PS_NAMES_ELIGIBILITY, (int)to), "reason", src->reason);
    return 0;
}

int ps_ewa_set_eligibility(struct ps_engine *eng, const char *profile_id,
                           enum ps_eligibility to, const struct ps_source *src,
                           struct ps_err *err)
{
    struct ps_profile p;
    int rc;
    if ((rc = ps_store_begin(eng->store, err)) != 0)
        return rc;
    if ((rc = ps_store_profile_get(eng->store, profile_id, &p, err)) != 0 ||
        (rc = ps_ewa_eligibility_change(eng->store, &p, to, src, err)) != 0 ||
        (rc = ps_store_commit(eng->store, err)) != 0)
        ps_store_rollback(eng->store);
    return rc;
}

int ps_ewa_set_enrollment(struct ps_engine *eng, const char *profile_id,
                          enum ps_enrollment to, const char *begin,
                          const char *end, struct ps_err *err)
{
    struct ps_profile p;
    char b[PS_TIME_SIZE], e[PS_TIME_SIZE];
    int rc;
    if ((unsigned)to >= PS_ENROLL_N)
        return ps_err_set(err, PS_EINVAL, "ENROLLMENT_STATUS",
                          "enrollment must be ACTIVE or INACTIVE");
    if ((rc = ps_store_profile_get(eng->store, profile_id, &p, err)) != 0)
        return rc;
    if (begin != NULL) {
        if ((rc = norm_time(begin, "enrollmentBegin", b, err)) != 0)
            return rc;
        if (b[0] != '\0')
            ps_strlcpy(p.enrollment_begin, b, sizeof(p.enrollment_begin));
    }
    if (end != NULL) {
        if ((rc = norm_time(end, "enrollmentEnd", e, err)) != 0)
            return rc;
        ps_strlcpy(p.enrollment_end, e, sizeof(p.enrollment_end));
    }
    if (p.enrollment_end[0] != '\0' &&
        strcmp(p.enrollment_end, p.enrollment_begin) <= 0) {
        ps_err_set(err, PS_EINVAL, "ENROLLMENT_WINDOW",
                   "enrollmentEnd must be after enrollmentBegin");
        ps_err_field(err, "enrollmentEnd");
        return PS_EINVAL;
    }
    p.enrollment = to;
    ps_time_now(p.updated_at);
    return ps_store_profile_update(eng->store, &p, err);
}

/* A recovery debit that came back: one more failed recovery, ELIGIBLE ->
 * ARREARS, and BAD_DEBT at the program's threshold (DISABLED stays, as
 * for a short payroll). */
static int recovery_failed(struct ps_store *store, struct ps_profile *p,
                           const struct ps_txn *t, const char *code,
                           const struct ps_source *src, struct ps_err *err)
{
    struct ps_program prog;
    struct ps_source s = *src;
    char what[192], label[160], reason[PS_REASON_SIZE];
    int rc;
    if ((rc = ps_store_program_get(store, NULL, p->program_id, &prog, err)) !=
        0)
        return rc;
    if (code != NULL)
        snprintf(what, sizeof(what), "ACH recovery debit %s returned %s",
                 t->id, ps_ach_return_label(code, label, sizeof(label)));
    else
        snprintf(what, sizeof(what), "ACH recovery debit %s %s", t->id,
                 t->status == PS_TXN_REVERSED ? "reversed" : "declined");
    p->failed_recoveries++;
    s.reason = reason;
    if (p->failed_recoveries >= prog.bad_debt_after &&
        ps_ewa_eligibility_allowed(p->eligibility, PS_ELIG_BAD_DEBT)) {
        snprintf(reason, sizeof(reason), "%d consecutive failed recoveries; %s",
                 p->failed_recoveries, what);
        return ps_ewa_eligibility_change(store, p, PS_ELIG_BAD_DEBT, &s, err);
    }
    if (p->eligibility == PS_ELIG_ELIGIBLE) {
        snprintf(reason, sizeof(reason), "%s", what);
        return ps_ewa_eligibility_change(store, p, PS_ELIG_ARREARS, &s, err);
    }
    return 0;
}

int ps_ewa_on_txn_status(struct ps_store *store, const struct ps_txn *t,
                         enum ps_txn_status from,
                         const struct ps_txn_args *args, struct ps_err *err)
{
    static const struct ps_source none = {NULL, NULL, 0};
    const struct ps_source *src =
        args != NULL && args->src != NULL ? args->src : &none;
    const char *code = args != NULL ? args->return_code : NULL;
    int returned =
        t->status == PS_TXN_DECLINED || t->status == PS_TXN_REVERSED;
    int unwound = returned || t->status == PS_TXN_CANCELLED ||
                  t->status == PS_TXN_ERROR;
    int disbursement = t->purpose == PS_PURPOSE_EWA_DISBURSEMENT;
    int recovery =
        t->purpose == PS_PURPOSE_EWA_RECOVERY && t->type == PS_TXN_DEBIT &&
        (returned || t->status == PS_TXN_SETTLED);
    unsigned fx = 0;
    struct ps_profile p;
    struct ps_source s = *src;
    char reason[PS_REASON_SIZE], label[160];
    int rc;

    if (from == t->status)
        return 0;
    if (code != NULL && returned && t->rail == PS_RAIL_ACH) {
        fx = ps_ach_return_effects(code);
        if ((rc = ps_ach_return_account_effects(store, t, code, src, err)) !=
            0)
            return rc;
    }
    if (t->profile_id[0] == '\0' ||
        !((disbursement && unwound) || recovery ||
          (fx & PS_ACH_FX_DISABLE_PROFILE)))
        return 0;
    if ((rc = ps_store_profile_get(store, t->profile_id, &p, err)) != 0)
        return rc;

    if (disbursement && unwound) {
        /* The advance never reached the employee: nothing to recover for
         * it.  If payroll already recovered part of it, the excess is a
         * refund due to the employee; amountToRecover does not go below
         * zero. */
        int64_t owed = t->amount + t->fee;
        p.amount_to_recover =
            p.amount_to_recover > owed ? p.amount_to_recover - owed : 0;
        p.period_disbursed =
            p.period_disbursed > t->amount ? p.period_disbursed - t->amount
                                           : 0;
    } else if (recovery && t->status == PS_TXN_SETTLED) {
        /* More than is owed (payroll recovered meanwhile) is a refund due
         * to the employee, not a negative balance. */
        p.amount_to_recover = p.amount_to_recover > t->amount
                                  ? p.amount_to_recover - t->amount
                                  : 0;
        if (p.amount_to_recover == 0) {
            p.failed_recoveries = 0;
            p.debit_attempts = 0;
            if (p.eligibility == PS_ELIG_ARREARS) {
                snprintf(reason, sizeof(reason),
                         "recovered in full by ACH debit %s", t->id);
                s.reason = reason;
                if ((rc = ps_ewa_eligibility_change(store, &p, PS_ELIG_ELIGIBLE,
                                                    &s, err)) != 0)
                    return rc;
            }
        }
    } else if (recovery) {
        /* Returned after settling: what it collected is owed again (the
         * ledger moves the same amount back to the receivable). */
        if (t->status == PS_TXN_REVERSED &&
            (rc = ps_money_add(p.amount_to_recover, t->amount,
                               &p.amount_to_recover, err)) != 0)
            return rc;
        if ((rc = recovery_failed(store, &p, t, code, src, err)) != 0)
            return rc;
    }
    if ((fx & PS_ACH_FX_DISABLE_PROFILE) &&
        ps_ewa_eligibility_allowed(p.eligibility, PS_ELIG_DISABLED)) {
        snprintf(reason, sizeof(reason),
                 "ACH return %s of transaction %s: debits are no longer "
                 "authorized",
                 ps_ach_return_label(code, label, sizeof(label)), t->id);
        s.reason = reason;
        if ((rc = ps_ewa_eligibility_change(store, &p, PS_ELIG_DISABLED, &s,
                                            err)) != 0)
            return rc;
    }
    ps_time_now(p.updated_at);
    return ps_store_profile_update(store, &p, err);
}

/* ---- the seed's JSON object ----------------------------------------- */

struct page_ctx {
    json_t *content;
    int exponent;
    int failed;
};

static int add_payment(void *ctx, const struct ps_txn *t)
{
    struct page_ctx *pc = ctx;
    char amount[PS_MONEY_STRMAX];
    const struct ps_currency *cur = ps_currency_find(t->currency);
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:{s:s}, s:s, s:s}", "transactionId", t->id,
                  "createdAt", t->created_at, "transactionType",
                  ps_enum_name(PS_NAMES_TXN_TYPE, (int)t->type), "latestStatus",
                  "status", ps_enum_name(PS_NAMES_TXN_STATUS, (int)t->status),
                  "currency", t->currency, "amount",
                  ps_money_format(t->amount, cur != NULL ? cur->exponent : 2,
                                  amount, sizeof(amount)));
    if (o == NULL || json_array_append_new(pc->content, o) != 0) {
        pc->failed = 1;
        return 1;
    }
    return 0;
}

int ps_ewa_object(struct ps_engine *eng, const char *business_id,
                  const char *external_id, int page, int size, json_t **out,
                  struct ps_err *err)
{
    struct ps_profile p;
    int rc = ps_ewa_find(eng, business_id, external_id, &p, err);
    return rc != 0 ? rc : ps_ewa_object_of(eng, &p, NULL, page, size, out, err);
}

int ps_ewa_object_of(struct ps_engine *eng, const struct ps_profile *pp,
                     const struct ps_program *known, int page, int size,
                     json_t **out, struct ps_err *err)
{
    const struct ps_profile p = *pp;
    struct ps_customer c;
    struct ps_program prog;
    const struct ps_currency *cur;
    char recover[PS_MONEY_STRMAX];
    int64_t total = 0;
    int rc;

    if (known != NULL && strcmp(known->id, p.program_id) == 0)
        prog = *known;
    else if ((rc = ps_store_program_get(eng->store, NULL, p.program_id, &prog,
                                        err)) != 0)
        return rc;
    if ((rc = ps_store_customer_get(eng->store, p.customer_id, &c, err)) != 0)
        return rc;
    cur = ps_currency_find(prog.currency);

    struct page_ctx pc = {json_array(), cur != NULL ? cur->exponent : 2, 0};
    if (pc.content == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    rc = ps_store_txn_page_profile(eng->store, p.id, (int64_t)page * size, size,
                                   add_payment, &pc, err);
    if (rc == 0 && pc.failed)
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    size_t n = json_array_size(pc.content);
    /* A first page not full holds them all (same snapshot): no count. */
    if (rc == 0 && page == 0 && n < (size_t)size)
        total = (int64_t)n;
    else if (rc == 0)
        rc = ps_store_txn_count_profile(eng->store, p.id, &total, err);
    if (rc != 0) {
        json_decref(pc.content);
        return rc;
    }
    int64_t pages = (total + size - 1) / size;
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s,"
        " s:{s:s, s:s, s:s, s:s},"
        " s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s, s:s?,"
        " s:{s:I, s:I, s:i, s:I, s:b, s:o}}",
        "id", p.id, "externalId", p.external_id, "customerId", c.id,
        "financialAccountId", p.account_id, "latestEligibilityStatus", "id",
        p.eligibility_id, "eligibilityUpdateReason", p.eligibility_reason,
        "status", ps_enum_name(PS_NAMES_ELIGIBILITY, (int)p.eligibility),
        "createdAt", p.eligibility_at, "enrollmentStatus",
        ps_enum_name(PS_NAMES_ENROLLMENT, (int)p.enrollment), "firstName",
        c.type == PS_CUSTOMER_BUSINESS ? c.dba_name : c.first_name,
        "middleName", c.middle_name[0] != '\0' ? c.middle_name : NULL,
        "lastName", c.last_name, "programId", prog.id, "programName", prog.name,
        "amountToRecover",
        ps_money_format(p.amount_to_recover, pc.exponent, recover,
                        sizeof(recover)),
        "enrollmentBegin", p.enrollment_begin, "enrollmentEnd",
        /* an open-ended enrollment, or no middle name, is null */
        p.enrollment_end[0] != '\0' ? p.enrollment_end : NULL, "payment",
        "totalElements", (json_int_t)total, "totalPages", (json_int_t)pages,
        "number", page, "numberOfElements", (json_int_t)n, "hasNext",
        (int64_t)page + 1 < pages, "content", pc.content);
    if (o == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY",
                          "cannot build the EWA profile object");
    *out = o;
    return 0;
}

int ps_ewa_show(struct ps_engine *eng, const char *business_id,
                const char *external_id, int page, int size, json_t **out,
                struct ps_err *err)
{
    int rc;
    if (page < 0)
        return ps_err_set(err, PS_EINVAL, "PAGE_RANGE",
                          "page number must be 0 or more");
    if (size < 1 || size > 1000)
        return ps_err_set(err, PS_EINVAL, "PAGE_RANGE",
                          "page size must be 1 to 1000");
    /* One snapshot: totalElements and content must agree. */
    if ((rc = ps_store_begin_read(eng->store, err)) != 0)
        return rc;
    rc = ps_ewa_object(eng, business_id, external_id, page, size, out, err);
    if (rc != 0) {
        ps_store_rollback(eng->store);
        return rc;
    }
    /* Only a read: a failed commit cannot lose anything. */
    ps_store_commit(eng->store, NULL);
    return 0;
}
