/*
 * test_achfx.c -- unit tests for ACH returns, the EWA debit fallback and
 * notifications of change (achfx.c, ewa.c's ps_ewa_on_txn_status,
 * ewafile.c's payroll shortfall, engine.c's ps_account_apply_noc), on a
 * real SQLite store.
 *
 * What is checked:
 *   - the return code table: meanings, validity, and the validation of
 *     ps_txn_args.return_code (unknown code, wrong event, card rail) with
 *     nothing changed, and the code kept in the history reason;
 *   - a table of return codes x transaction kinds (EWA recovery DEBIT,
 *     EWA disbursement SEND, plain PAYMENT DEBIT; before and after
 *     settlement) -> transaction status, amountToRecover, eligibility,
 *     failed recoveries, debit authorization, account status, and a zero
 *     trial balance;
 *   - the debit fallback on a payroll shortfall: the DEBIT created, and
 *     each reason not to create one;
 *   - a recovery debit settling -> ELIGIBLE, with its history row;
 *   - NOCs per code: applied, recorded only, refused, and refused input.
 *
 * Each case gets a fresh directory under $TMPDIR, removed after.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/achfx.h"
#include "base/crypto.h"
#include "engine/engine.h"
#include "base/err.h"
#include "engine/ewa.h"
#include "engine/ewafile.h"
#include "engine/ledger.h"
#include "base/model.h"
#include "store/store.h"
#include "testutil.h"
#include "engine/txn.h"

#define ROUTING "021000021"
#define ROUTING2 "011000015"
#define BANKNO "123456789"
#define CARD "4111111111111111"
#define PAY1 "2026-11-20"
#define PAY2 "2026-11-27"
#define RETURN_FILE "returns-2026-11-24.ach"

#define OK(call)                                                               \
    do {                                                                       \
        ps_err_clear(&err);                                                    \
        if ((call) != 0)                                                       \
            fail_msg("%s: %s [%s]", #call, err.msg, err.rule);                 \
    } while (0)

/* What a world is made of. */
struct opts {
    int debit_fallback;     /* the program's */
    int max_debit_attempts; /* the program's */
    int bad_debt_after;     /* the program's */
    int card;               /* 1: the profile's account is a card */
    int auth;               /* -1 none, else enum ps_debit_auth_kind */
};

static const struct opts defaults = {1, 2, 3, 0, PS_AUTH_WEB};

struct world {
    char dir[PATH_MAX];
    struct ps_engine *eng;
    struct ps_business biz;
    struct ps_program prog;
    struct ps_customer cust;
    struct ps_account acct;
    struct ps_profile prof;
    int seq; /* request ids */
};

static struct world *world_new(const struct opts *o)
{
    struct world *w = ps_test_own(calloc(1, sizeof(*w)));
    struct ps_err err;
    struct ps_source s = {"employer says so", NULL, 0};
    if (ps_test_tmpdir(w->dir, sizeof(w->dir), "test_achfx") != 0)
        fail_msg("no temporary directory");
    w->eng = ps_test_engine_open(w->dir);
    OK(ps_business_add(w->eng, "acme", "Acme", NULL, &w->biz, &err));

    ps_strlcpy(w->prog.business_id, w->biz.id, sizeof(w->prog.business_id));
    ps_strlcpy(w->prog.name, "Early Pay", sizeof(w->prog.name));
    ps_strlcpy(w->prog.currency, "USD", sizeof(w->prog.currency));
    w->prog.advance_rate_bp = 5000;
    w->prog.min_transfer = 1000;
    w->prog.max_transfer = 50000;
    w->prog.period_cap = 80000;
    w->prog.max_outstanding = 200000;
    w->prog.fee_card = 299;
    w->prog.debit_fallback = o->debit_fallback;
    w->prog.max_debit_attempts = o->max_debit_attempts;
    w->prog.bad_debt_after = o->bad_debt_after;
    OK(ps_program_add(w->eng, &w->prog, &err));

    ps_strlcpy(w->cust.business_id, w->biz.id, sizeof(w->cust.business_id));
    ps_strlcpy(w->cust.external_id, "E1", sizeof(w->cust.external_id));
    w->cust.type = PS_CUSTOMER_INDIVIDUAL;
    ps_strlcpy(w->cust.first_name, "Ada", sizeof(w->cust.first_name));
    ps_strlcpy(w->cust.last_name, "Lovelace", sizeof(w->cust.last_name));
    ps_strlcpy(w->cust.email, "ada@example.com", sizeof(w->cust.email));
    ps_strlcpy(w->cust.phone, "+14155550123", sizeof(w->cust.phone));
    OK(ps_customer_create(w->eng, &w->cust, NULL, 0, NULL, 0, NULL, &err));
    if (o->card)
        OK(ps_account_add_card(w->eng, w->cust.id, "Card", CARD, &w->acct,
                               &err));
    else
        OK(ps_account_add_bank(w->eng, w->cust.id, "Checking", ROUTING,
                               BANKNO, PS_BANK_CHECKING, &w->acct, &err));
    if (o->auth >= 0 && !o->card)
        OK(ps_account_authorize_debit(w->eng, w->acct.id,
                                      (enum ps_debit_auth_kind)o->auth,
                                      "AUTH-1", &err));

    ps_strlcpy(w->prof.business_id, w->biz.id, sizeof(w->prof.business_id));
    ps_strlcpy(w->prof.external_id, "E1", sizeof(w->prof.external_id));
    ps_strlcpy(w->prof.customer_id, w->cust.id, sizeof(w->prof.customer_id));
    ps_strlcpy(w->prof.account_id, w->acct.id, sizeof(w->prof.account_id));
    ps_strlcpy(w->prof.program_id, w->prog.id, sizeof(w->prof.program_id));
    OK(ps_ewa_enroll(w->eng, &w->prof, NULL, &err));
    OK(ps_ewa_set_eligibility(w->eng, w->prof.id, PS_ELIG_ELIGIBLE, &s, &err));
    return w;
}

static void world_free(struct world *w)
{
    ps_engine_close(w->eng);
    assert_int_equal(ps_test_rmtree(w->dir), 0);
}

static struct ps_profile profile(struct world *w)
{
    struct ps_profile p;
    struct ps_err err;
    OK(ps_store_profile_get(w->eng->store, w->prof.id, &p, &err));
    return p;
}

static struct ps_txn txn(struct world *w, const char *id)
{
    struct ps_txn t;
    struct ps_err err;
    OK(ps_store_txn_get(w->eng->store, id, &t, &err));
    return t;
}

static void event(struct world *w, const char *id, enum ps_txn_event ev,
                  const char *code)
{
    struct ps_err err;
    struct ps_source src = {"bank file", RETURN_FILE, 7};
    struct ps_txn_args args = {&src, 0, NULL, code};
    OK(ps_engine_txn_event(w->eng, id, ev, &args, NULL, &err));
}

/* A disbursement SEND of `amount` on the profile's account, NEW, counted
 * on the profile as the disbursement engine does. */
static struct ps_txn advance(struct world *w, int64_t amount)
{
    struct ps_txn t;
    struct ps_err err;
    struct ps_profile p = profile(w);
    memset(&t, 0, sizeof(t));
    ps_strlcpy(t.business_id, w->biz.id, sizeof(t.business_id));
    ps_strlcpy(t.customer_id, w->cust.id, sizeof(t.customer_id));
    ps_strlcpy(t.account_id, w->acct.id, sizeof(t.account_id));
    ps_strlcpy(t.profile_id, w->prof.id, sizeof(t.profile_id));
    t.type = PS_TXN_SEND;
    t.rail = w->acct.kind == PS_ACCOUNT_EXTERNAL_CARD ? PS_RAIL_PUSH_TO_CARD
                                                      : PS_RAIL_ACH;
    t.purpose = PS_PURPOSE_EWA_DISBURSEMENT;
    t.amount = amount;
    ps_strlcpy(t.currency, "USD", sizeof(t.currency));
    snprintf(t.request_id, sizeof(t.request_id), "adv-%d", ++w->seq);
    OK(ps_txn_create(w->eng->store, &t, NULL, &err));
    OK(ps_store_profile_balances(w->eng->store, 0, p.id,
                                 p.amount_to_recover + amount,
                                 p.period_disbursed + amount, p.updated_at,
                                 &err));
    return t;
}

/* An advance of `amount` that reached the employee. */
static void advance_settled(struct world *w, int64_t amount)
{
    struct ps_txn t = advance(w, amount);
    event(w, t.id, PS_EV_SUBMIT, NULL);
    event(w, t.id, PS_EV_TRANSMIT, NULL);
    event(w, t.id, PS_EV_SETTLE, NULL);
}

/* A payroll line deducting `deduction` (a decimal string). */
static struct ps_payroll_out payroll(struct world *w, const char *pay_date,
                                     const char *deduction)
{
    struct ps_payroll_in in = {"E1",      pay_date, "2000.00", "1500.00",
                               deduction, "USD",    NULL,      NULL};
    struct ps_source src = {NULL, "payroll.csv", 2};
    struct ps_payroll_out out;
    struct ps_err err;
    OK(ps_ewa_payroll(w->eng, &w->biz, &in, &src, &out, &err));
    return out;
}

static int64_t in_flight(struct world *w)
{
    int64_t n = -1;
    struct ps_err err;
    OK(ps_store_recovery_in_flight(w->eng->store, w->prof.id, &n, &err));
    return n;
}

static int auth_active(struct world *w)
{
    struct ps_err err;
    ps_err_clear(&err);
    int rc = ps_store_debit_auth_active(w->eng->store, w->acct.id, NULL, &err);
    assert_true(rc >= 0);
    return rc;
}

static enum ps_status account_status(struct world *w)
{
    struct ps_account a;
    struct ps_err err;
    OK(ps_store_account_get(w->eng->store, w->acct.id, &a, &err));
    return a.status;
}

static void trial_zero(struct world *w)
{
    struct ps_err err;
    OK(ps_ledger_check(w->eng->store, NULL, &err));
}

/* The last history row of a transaction. */
static int last_history(void *ctx, const struct ps_txn_history_row *r)
{
    *(struct ps_txn_history_row *)ctx = *r;
    return 0;
}

static int last_eligibility(void *ctx, const struct ps_eligibility_row *r)
{
    *(struct ps_eligibility_row *)ctx = *r;
    return 0;
}

/* ------------------------------------------------------------------ */
/* The return code table                                               */
/* ------------------------------------------------------------------ */

static void test_return_codes(void **state)
{
    (void)state;
    char buf[160];
    assert_string_equal(ps_ach_return_reason("R01"), "insufficient funds");
    assert_string_equal(ps_ach_return_reason("R02"), "account closed");
    assert_non_null(ps_ach_return_reason("R85"));
    assert_non_null(ps_ach_return_reason("R47"));
    assert_non_null(ps_ach_return_reason("R61"));
    assert_non_null(ps_ach_return_reason("R77"));
    /* gaps in the numbering, and not codes at all */
    static const char *const bad[] = {"R00", "R48", "R49", "R54", "R60",
                                      "R63", "R66", "R78", "R79", "R86",
                                      "r01", "R1",  "R010", "C01", "", NULL};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(ps_ach_return_reason(bad[i]));
        assert_false(ps_ach_return_code_valid(bad[i]));
        assert_int_equal(ps_ach_return_effects(bad[i]), PS_ACH_FX_NONE);
    }
    for (int n = 1; n <= 39; n++) {
        snprintf(buf, sizeof(buf), "R%02d", n);
        assert_true(ps_ach_return_code_valid(buf));
    }
    /* effects, one table */
    static const char *const suspend[] = {"R02", "R03", "R04"};
    static const char *const unauth[] = {"R05", "R07", "R10", "R11"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(ps_ach_return_effects(suspend[i]),
                         PS_ACH_FX_SUSPEND_ACCOUNT);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(ps_ach_return_effects(unauth[i]),
                         PS_ACH_FX_REVOKE_AUTH | PS_ACH_FX_DISABLE_PROFILE);
    assert_int_equal(ps_ach_return_effects("R01"), PS_ACH_FX_NONE);
    assert_int_equal(ps_ach_return_effects("R16"), PS_ACH_FX_NONE);
    assert_string_equal(ps_ach_return_label("R01", buf, sizeof(buf)),
                        "R01 (insufficient funds)");
    assert_string_equal(ps_ach_return_label("R99", buf, sizeof(buf)), "R99");
}

/* DISABLED is reachable from every status but itself (an unauthorized
 * return can come whatever the profile's state). */
static void test_disabled_from_everywhere(void **state)
{
    (void)state;
    for (int from = 0; from < PS_ELIG_N; from++)
        assert_int_equal(
            ps_ewa_eligibility_allowed((enum ps_eligibility)from,
                                       PS_ELIG_DISABLED),
            from != PS_ELIG_DISABLED);
}

static void test_return_code_refused(void **state)
{
    (void)state;
    struct world *w = world_new(&defaults);
    struct ps_err err;
    struct ps_txn t = advance(w, 5000);
    struct ps_txn_args args = {NULL, 0, NULL, "R99"};
    event(w, t.id, PS_EV_SUBMIT, NULL);
    event(w, t.id, PS_EV_TRANSMIT, NULL);

    ps_err_clear(&err);
    ps_test_expect_err(ps_engine_txn_event(w->eng, t.id, PS_EV_RETURN, &args,
                                           NULL, &err),
                       &err, PS_EINVAL, "RETURN_CODE");
    args.return_code = "R01";
    ps_test_expect_err(ps_engine_txn_event(w->eng, t.id, PS_EV_SETTLE, &args,
                                           NULL, &err),
                       &err, PS_EINVAL, "RETURN_CODE_EVENT");
    assert_int_equal(txn(w, t.id).status, PS_TXN_PROCESSING);
    assert_int_equal(profile(w).amount_to_recover, 5000);

    /* The code is kept in the history reason. */
    struct ps_txn_history_row h;
    event(w, t.id, PS_EV_RETURN, "R01");
    OK(ps_store_txn_history(w->eng->store, t.id, last_history, &h, &err));
    assert_string_equal(h.event, "RETURN");
    assert_string_equal(h.reason, "R01 (insufficient funds): bank file");
    assert_string_equal(h.source_file, RETURN_FILE);
    assert_int_equal(h.source_line, 7);
    world_free(w);

    /* A card transaction has no ACH return code. */
    struct opts o = defaults;
    o.card = 1;
    w = world_new(&o);
    t = advance(w, 5000);
    event(w, t.id, PS_EV_SUBMIT, NULL);
    event(w, t.id, PS_EV_TRANSMIT, NULL);
    ps_test_expect_err(ps_engine_txn_event(w->eng, t.id, PS_EV_DECLINE, &args,
                                           NULL, &err),
                       &err, PS_EINVAL, "RETURN_CODE_RAIL");
    assert_int_equal(txn(w, t.id).status, PS_TXN_PROCESSING);
    world_free(w);
}

/* ------------------------------------------------------------------ */
/* Returns x transaction kinds                                         */
/* ------------------------------------------------------------------ */

enum kind {
    K_RECOVERY, /* the fallback's EWA_RECOVERY DEBIT of 60.00 */
    K_DISB,     /* an EWA_DISBURSEMENT SEND of 100.00 */
    K_PAYMENT   /* a plain PAYMENT DEBIT of 25.00, no profile */
};

struct ret_case {
    const char *name;
    enum kind kind;
    int settled;        /* returned after settling (-> REVERSED) */
    const char *code;   /* NULL: a plain DECLINE */
    int bad_debt_after; /* 0: 3 */
    /* expected */
    enum ps_txn_status status;
    int64_t to_recover;
    enum ps_eligibility elig;
    int failed;
    int auth;
    enum ps_status account;
};

#define D PS_TXN_DECLINED
#define R PS_TXN_REVERSED
#define ELIG PS_ELIG_ELIGIBLE
#define ARR PS_ELIG_ARREARS
#define BAD PS_ELIG_BAD_DEBT
#define DIS PS_ELIG_DISABLED
#define ACT PS_STATUS_ACTIVE
#define SUS PS_STATUS_SUSPENDED

static const struct ret_case ret_cases[] = {
    /* recovery debit: shortfall 60.00 of 100.00; ARREARS, 1 failure */
    {"recovery R01 before", K_RECOVERY, 0, "R01", 0, D, 6000, ARR, 2, 1, ACT},
    {"recovery declined", K_RECOVERY, 0, NULL, 0, D, 6000, ARR, 2, 1, ACT},
    {"recovery R01 bad debt", K_RECOVERY, 0, "R01", 2, D, 6000, BAD, 2, 1,
     ACT},
    {"recovery R01 after", K_RECOVERY, 1, "R01", 0, R, 6000, ARR, 1, 1, ACT},
    {"recovery R09 after", K_RECOVERY, 1, "R09", 2, R, 6000, ARR, 1, 1, ACT},
    {"recovery R16 before", K_RECOVERY, 0, "R16", 0, D, 6000, ARR, 2, 1, ACT},
    {"recovery R02 before", K_RECOVERY, 0, "R02", 0, D, 6000, ARR, 2, 1, SUS},
    {"recovery R03 after", K_RECOVERY, 1, "R03", 0, R, 6000, ARR, 1, 1, SUS},
    {"recovery R04 before", K_RECOVERY, 0, "R04", 0, D, 6000, ARR, 2, 1, SUS},
    {"recovery R05 before", K_RECOVERY, 0, "R05", 0, D, 6000, DIS, 2, 0, ACT},
    {"recovery R07 before", K_RECOVERY, 0, "R07", 0, D, 6000, DIS, 2, 0, ACT},
    {"recovery R10 after", K_RECOVERY, 1, "R10", 0, R, 6000, DIS, 1, 0, ACT},
    {"recovery R11 after", K_RECOVERY, 1, "R11", 0, R, 6000, DIS, 1, 0, ACT},
    /* disbursement of 100.00: unwound whatever the code */
    {"disbursement R01 before", K_DISB, 0, "R01", 0, D, 0, ELIG, 0, 1, ACT},
    {"disbursement R03 before", K_DISB, 0, "R03", 0, D, 0, ELIG, 0, 1, SUS},
    {"disbursement R02 after", K_DISB, 1, "R02", 0, R, 0, ELIG, 0, 1, SUS},
    {"disbursement R10 after", K_DISB, 1, "R10", 0, R, 0, DIS, 0, 0, ACT},
    {"disbursement declined", K_DISB, 0, NULL, 0, D, 0, ELIG, 0, 1, ACT},
    /* a payment debit: account effects only */
    {"payment R07 after", K_PAYMENT, 1, "R07", 0, R, 0, ELIG, 0, 0, ACT},
    {"payment R04 before", K_PAYMENT, 0, "R04", 0, D, 0, ELIG, 0, 1, SUS},
    {"payment R01 after", K_PAYMENT, 1, "R01", 0, R, 0, ELIG, 0, 1, ACT},
};

static void run_ret_case(const struct ret_case *c)
{
    struct opts o = defaults;
    struct ps_err err;
    struct ps_txn t;
    if (c->bad_debt_after > 0)
        o.bad_debt_after = c->bad_debt_after;
    struct world *w = world_new(&o);

    if (c->kind == K_RECOVERY) {
        advance_settled(w, 10000);
        struct ps_payroll_out out = payroll(w, PAY1, "40.00");
        assert_string_not_equal(out.debit_txn_id, "");
        t = txn(w, out.debit_txn_id);
        assert_int_equal(profile(w).eligibility, ARR);
    } else if (c->kind == K_DISB) {
        t = advance(w, 10000);
    } else {
        memset(&t, 0, sizeof(t));
        ps_strlcpy(t.business_id, w->biz.id, sizeof(t.business_id));
        ps_strlcpy(t.customer_id, w->cust.id, sizeof(t.customer_id));
        ps_strlcpy(t.account_id, w->acct.id, sizeof(t.account_id));
        t.type = PS_TXN_DEBIT;
        t.purpose = PS_PURPOSE_PAYMENT;
        t.amount = 2500;
        ps_strlcpy(t.currency, "USD", sizeof(t.currency));
        ps_strlcpy(t.request_id, "pay-1", sizeof(t.request_id));
        OK(ps_engine_txn_create(w->eng, &t, NULL, &err));
    }
    event(w, t.id, PS_EV_SUBMIT, NULL);
    event(w, t.id, PS_EV_TRANSMIT, NULL);
    if (c->settled) {
        event(w, t.id, PS_EV_SETTLE, NULL);
        if (c->kind == K_RECOVERY) {
            struct ps_profile p = profile(w);
            assert_int_equal(p.amount_to_recover, 0);
            assert_int_equal(p.eligibility, PS_ELIG_ELIGIBLE);
            assert_int_equal(p.failed_recoveries, 0);
            assert_int_equal(p.debit_attempts, 0);
        }
    }
    enum ps_eligibility before = profile(w).eligibility;
    event(w, t.id, c->code == NULL ? PS_EV_DECLINE : PS_EV_RETURN, c->code);

    struct ps_profile p = profile(w);
    if (txn(w, t.id).status != c->status || p.amount_to_recover != c->to_recover ||
        p.eligibility != c->elig || p.failed_recoveries != c->failed ||
        auth_active(w) != c->auth || account_status(w) != c->account)
        fail_msg("%s: status %s atr %lld elig %s failed %d auth %d acct %s",
                 c->name,
                 ps_enum_name(PS_NAMES_TXN_STATUS, (int)txn(w, t.id).status),
                 (long long)p.amount_to_recover,
                 ps_enum_name(PS_NAMES_ELIGIBILITY, (int)p.eligibility),
                 p.failed_recoveries, auth_active(w),
                 ps_enum_name(PS_NAMES_STATUS, (int)account_status(w)));
    trial_zero(w);

    /* An eligibility change names the code, with the return's source. */
    if (c->code != NULL && c->elig != before) {
        struct ps_eligibility_row h;
        OK(ps_store_eligibility_list(w->eng->store, w->prof.id,
                                     last_eligibility, &h, &err));
        if (strstr(h.reason, c->code) == NULL)
            fail_msg("%s: eligibility reason %s", c->name, h.reason);
        assert_string_equal(h.source_file, RETURN_FILE);
        assert_int_equal(h.source_line, 7);
    }
    world_free(w);
}

static void test_return_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ret_cases) / sizeof(ret_cases[0]); i++)
        run_ret_case(&ret_cases[i]);
}

/* The reason of a failed recovery debit, as the history keeps it. */
static void test_recovery_return_reason(void **state)
{
    (void)state;
    struct opts o = defaults;
    struct ps_err err;
    struct ps_eligibility_row h;
    char want[PS_REASON_SIZE];
    o.bad_debt_after = 2;
    struct world *w = world_new(&o);
    advance_settled(w, 10000);
    struct ps_payroll_out out = payroll(w, PAY1, "40.00");
    event(w, out.debit_txn_id, PS_EV_SUBMIT, NULL);
    event(w, out.debit_txn_id, PS_EV_TRANSMIT, NULL);
    event(w, out.debit_txn_id, PS_EV_RETURN, "R01");
    OK(ps_store_eligibility_list(w->eng->store, w->prof.id, last_eligibility,
                                 &h, &err));
    snprintf(want, sizeof(want),
             "2 consecutive failed recoveries; ACH recovery debit %s "
             "returned R01 (insufficient funds)",
             out.debit_txn_id);
    assert_string_equal(h.reason, want);
    assert_int_equal(h.status, PS_ELIG_BAD_DEBT);
    world_free(w);
}

/* ------------------------------------------------------------------ */
/* The debit fallback                                                  */
/* ------------------------------------------------------------------ */

static void test_fallback_created(void **state)
{
    (void)state;
    struct world *w = world_new(&defaults);
    char want[PS_EXTID_SIZE];
    advance_settled(w, 10000);
    struct ps_payroll_out out = payroll(w, PAY1, "40.00");
    assert_string_equal(out.outcome, "SHORTFALL");
    assert_int_equal(out.shortfall, 6000);
    assert_int_equal(out.eligibility, PS_ELIG_ARREARS);
    assert_string_not_equal(out.debit_txn_id, "");

    struct ps_txn t = txn(w, out.debit_txn_id);
    assert_int_equal(t.type, PS_TXN_DEBIT);
    assert_int_equal(t.rail, PS_RAIL_ACH);
    assert_int_equal(t.purpose, PS_PURPOSE_EWA_RECOVERY);
    assert_int_equal(t.status, PS_TXN_NEW);
    assert_int_equal(t.amount, 6000);
    assert_int_equal(t.fee, 0);
    assert_string_equal(t.profile_id, w->prof.id);
    assert_string_equal(t.account_id, w->acct.id);
    assert_string_equal(t.customer_id, w->cust.id);
    snprintf(want, sizeof(want), "recovery-%s-%s", w->prof.id, PAY1);
    assert_string_equal(t.request_id, want);

    struct ps_profile p = profile(w);
    assert_int_equal(p.debit_attempts, 1);
    assert_int_equal(p.failed_recoveries, 1);
    assert_int_equal(p.amount_to_recover, 6000);
    assert_int_equal(in_flight(w), 1);
    trial_zero(w);

    /* A full payroll recovery starts the attempts again. */
    event(w, t.id, PS_EV_CANCEL, NULL);
    out = payroll(w, PAY2, "60.00");
    assert_string_equal(out.outcome, "RECOVERED");
    assert_string_equal(out.debit_txn_id, "");
    p = profile(w);
    assert_int_equal(p.debit_attempts, 0);
    assert_int_equal(p.eligibility, PS_ELIG_ELIGIBLE);
    world_free(w);
}

enum no_debit {
    ND_NO_FALLBACK,
    ND_CARD,
    ND_NO_AUTH,
    ND_REVOKED,
    ND_CCD_ONLY,
    ND_SUSPENDED,
    ND_IN_FLIGHT,
    ND_EXHAUSTED,
    ND_BAD_DEBT,
    ND_DISABLED,
    ND_N
};

static void run_no_debit(enum no_debit why)
{
    struct opts o = defaults;
    struct ps_err err;
    struct ps_source s = {"test", NULL, 0};
    int64_t flying = 0;
    switch (why) {
    case ND_NO_FALLBACK:
        o.debit_fallback = 0;
        o.max_debit_attempts = 0;
        break;
    case ND_CARD:
        o.card = 1;
        break;
    case ND_NO_AUTH:
        o.auth = -1;
        break;
    case ND_CCD_ONLY:
        o.auth = PS_AUTH_CCD;
        break;
    case ND_EXHAUSTED:
        o.max_debit_attempts = 1;
        o.bad_debt_after = 5; /* not BAD_DEBT by the second shortfall */
        break;
    case ND_BAD_DEBT:
        o.bad_debt_after = 1;
        break;
    default:
        break;
    }
    struct world *w = world_new(&o);
    advance_settled(w, 10000);
    switch (why) {
    case ND_REVOKED:
        OK(ps_store_debit_auth_revoke(w->eng->store, w->acct.id, "customer",
                                      "2026-11-19T00:00:00Z", &err));
        break;
    case ND_SUSPENDED:
        OK(ps_account_set_status(w->eng, w->acct.id, PS_STATUS_SUSPENDED, &s,
                                 &err));
        break;
    case ND_DISABLED:
        OK(ps_ewa_set_eligibility(w->eng, w->prof.id, PS_ELIG_DISABLED, &s,
                                  &err));
        break;
    case ND_IN_FLIGHT: {
        struct ps_payroll_out first = payroll(w, PAY1, "10.00");
        assert_string_not_equal(first.debit_txn_id, "");
        event(w, first.debit_txn_id, PS_EV_SUBMIT, NULL);
        flying = 1;
        break;
    }
    case ND_EXHAUSTED: {
        struct ps_payroll_out first = payroll(w, PAY1, "10.00");
        assert_string_not_equal(first.debit_txn_id, "");
        event(w, first.debit_txn_id, PS_EV_SUBMIT, NULL);
        event(w, first.debit_txn_id, PS_EV_TRANSMIT, NULL);
        event(w, first.debit_txn_id, PS_EV_RETURN, "R01");
        break;
    }
    default:
        break;
    }
    const char *day = why == ND_IN_FLIGHT || why == ND_EXHAUSTED ? PAY2 : PAY1;
    struct ps_payroll_out out = payroll(w, day, "5.00");
    assert_string_equal(out.outcome, "SHORTFALL");
    if (out.debit_txn_id[0] != '\0')
        fail_msg("case %d: a debit was created", (int)why);
    assert_int_equal(in_flight(w), flying);
    trial_zero(w);
    world_free(w);
}

static void test_fallback_not_created(void **state)
{
    (void)state;
    for (int why = 0; why < ND_N; why++)
        run_no_debit((enum no_debit)why);
}

/* A recovery debit that settles clears the arrears. */
static void test_settle_eligible(void **state)
{
    (void)state;
    struct world *w = world_new(&defaults);
    struct ps_err err;
    struct ps_eligibility_row h;
    char want[PS_REASON_SIZE];
    advance_settled(w, 10000);
    struct ps_payroll_out out = payroll(w, PAY1, "40.00");
    event(w, out.debit_txn_id, PS_EV_SUBMIT, NULL);
    event(w, out.debit_txn_id, PS_EV_TRANSMIT, NULL);
    event(w, out.debit_txn_id, PS_EV_SETTLE, NULL);

    struct ps_profile p = profile(w);
    assert_int_equal(p.amount_to_recover, 0);
    assert_int_equal(p.eligibility, PS_ELIG_ELIGIBLE);
    assert_int_equal(p.failed_recoveries, 0);
    assert_int_equal(p.debit_attempts, 0);
    OK(ps_store_eligibility_list(w->eng->store, w->prof.id, last_eligibility,
                                 &h, &err));
    snprintf(want, sizeof(want), "recovered in full by ACH debit %s",
             out.debit_txn_id);
    assert_string_equal(h.reason, want);
    assert_int_equal(h.from_status, PS_ELIG_ARREARS);
    assert_string_equal(h.source_file, RETURN_FILE);
    assert_int_equal(h.source_line, 7);
    trial_zero(w);
    int64_t receivable = -1;
    OK(ps_store_ledger_kind_balance(w->eng->store, w->biz.id,
                                    PS_LEDGER_EWA_RECEIVABLE, "USD",
                                    &receivable, &err));
    assert_int_equal(receivable, 0);

    /* Clearing moves nothing more. */
    event(w, out.debit_txn_id, PS_EV_CLEAR, NULL);
    assert_int_equal(profile(w).amount_to_recover, 0);

    /* A partial settlement keeps the arrears. */
    advance_settled(w, 5000);
    out = payroll(w, PAY2, "10.00");
    assert_int_equal(out.shortfall, 4000);
    advance_settled(w, 2000); /* (no longer disbursable: for the test) */
    event(w, out.debit_txn_id, PS_EV_SUBMIT, NULL);
    event(w, out.debit_txn_id, PS_EV_TRANSMIT, NULL);
    event(w, out.debit_txn_id, PS_EV_SETTLE, NULL);
    p = profile(w);
    assert_int_equal(p.amount_to_recover, 2000);
    assert_int_equal(p.eligibility, PS_ELIG_ARREARS);
    assert_int_equal(p.debit_attempts, 1);
    trial_zero(w);
    world_free(w);
}

/* ------------------------------------------------------------------ */
/* Notifications of change                                             */
/* ------------------------------------------------------------------ */

struct changes {
    struct ps_account_change v[8];
    int n;
};

static int keep_change(void *ctx, const struct ps_account_change *c)
{
    struct changes *l = ctx;
    if (l->n < 8)
        l->v[l->n++] = *c;
    return 0;
}

static struct changes changes_of(struct world *w)
{
    static struct changes l;
    struct ps_err err;
    memset(&l, 0, sizeof(l));
    OK(ps_store_account_changes(w->eng->store, w->acct.id, keep_change, &l,
                                &err));
    return l;
}

/* The number sealed on the account, opened. */
static void sealed_number(struct world *w, char *out, size_t size)
{
    unsigned char buf[128];
    size_t len = 0;
    struct ps_err err;
    OK(ps_store_account_sealed(w->eng->store, w->acct.id, buf, sizeof(buf),
                               &len, &err));
    assert_true(len > PS_SEALED_OVERHEAD && len - PS_SEALED_OVERHEAD < size);
    OK(ps_keys_open(w->eng->keys, buf, len, out, &err));
    out[len - PS_SEALED_OVERHEAD] = '\0';
}

struct noc_case {
    const char *code;
    const char *account, *routing;
    int tc;
    const char *name, *id;
    /* expected */
    const char *number, *rtn;
    enum ps_bank_type type;
    int refused;
    const char *what;
};

static const struct noc_case noc_cases[] = {
    {"C01", "987654321      ", NULL, 0, NULL, NULL, "987654321", ROUTING,
     PS_BANK_CHECKING, 0, "account ****6789 -> ****4321"},
    {"C02", NULL, ROUTING2, 0, NULL, NULL, BANKNO, ROUTING2, PS_BANK_CHECKING,
     0, "routing " ROUTING " -> " ROUTING2},
    {"C03", "55-1234", ROUTING2, 0, NULL, NULL, "55-1234", ROUTING2,
     PS_BANK_CHECKING, 0,
     "routing " ROUTING " -> " ROUTING2 "; account ****6789 -> ****1234"},
    {"C05", NULL, NULL, 37, NULL, NULL, BANKNO, ROUTING, PS_BANK_SAVINGS, 0,
     "type CHECKING -> SAVINGS"},
    {"C05", NULL, NULL, 22, NULL, NULL, BANKNO, ROUTING, PS_BANK_CHECKING, 0,
     "no change: the account already holds the corrected data"},
    {"C06", "4444555566", NULL, 32, NULL, NULL, "4444555566", ROUTING,
     PS_BANK_SAVINGS, 0,
     "account ****6789 -> ****5566; type CHECKING -> SAVINGS"},
    {"C07", "12345", ROUTING2, 38, NULL, NULL, "12345", ROUTING2,
     PS_BANK_SAVINGS, 0,
     "routing " ROUTING " -> " ROUTING2
     "; account ****6789 -> ****2345; type CHECKING -> SAVINGS"},
    {"C04", NULL, NULL, 0, "ADA KING", NULL, BANKNO, ROUTING,
     PS_BANK_CHECKING, 0,
     "recorded only: corrected name ADA KING; the account is unchanged"},
    {"C09", NULL, NULL, 0, NULL, "EMP00012345", BANKNO, ROUTING,
     PS_BANK_CHECKING, 0,
     "recorded only: corrected identification ****2345; the account is "
     "unchanged"},
    {"C13", NULL, NULL, 0, NULL, NULL, BANKNO, ROUTING, PS_BANK_CHECKING, 0,
     "recorded only: C13 (addenda format error) does not apply to the bank "
     "account; nothing changed"},
    {"C61", "987654321", NULL, 0, NULL, NULL, BANKNO, ROUTING,
     PS_BANK_CHECKING, 1,
     "recorded only: refused notification of change C61 (misrouted "
     "notification of change); nothing changed"},
};

static void test_noc_codes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(noc_cases) / sizeof(noc_cases[0]); i++) {
        const struct noc_case *c = &noc_cases[i];
        struct world *w = world_new(&defaults);
        struct ps_err err;
        struct ps_source src = {NULL, "cor-2026-11-24.ach", 12};
        struct ps_txn t = advance(w, 5000);
        struct ps_noc noc = {c->code, "021000020000042", c->account,
                             c->routing, c->tc, c->name, c->id, 0, t.id};
        struct ps_account a;
        char number[64];
        OK(ps_account_apply_noc(w->eng, w->acct.id, &noc, &src, &err));
        OK(ps_store_account_get(w->eng->store, w->acct.id, &a, &err));
        sealed_number(w, number, sizeof(number));
        if (strcmp(number, c->number) != 0 ||
            strcmp(a.routing_number, c->rtn) != 0 || a.bank_type != c->type)
            fail_msg("%s: routing %s type %d", c->code, a.routing_number,
                     (int)a.bank_type);
        char token[PS_TOKEN_SIZE];
        OK(ps_keys_token(w->eng->keys, c->number, token, &err));
        assert_string_equal(a.token, token);
        assert_string_equal(a.last4, c->number + strlen(c->number) - 4);
        assert_int_equal(a.status, PS_STATUS_ACTIVE);

        struct changes l = changes_of(w);
        assert_int_equal(l.n, 1);
        assert_string_equal(l.v[0].change_code, c->code);
        assert_int_equal(l.v[0].refused, c->refused);
        assert_string_equal(l.v[0].what_changed, c->what);
        assert_string_equal(l.v[0].txn_id, t.id);
        assert_string_equal(l.v[0].original_trace, "021000020000042");
        assert_string_equal(l.v[0].business_id, w->biz.id);
        assert_string_equal(l.v[0].source_file, "cor-2026-11-24.ach");
        assert_int_equal(l.v[0].source_line, 12);
        /* no account number in clear */
        assert_null(strstr(l.v[0].what_changed, BANKNO));
        if (c->account != NULL)
            assert_null(strstr(l.v[0].what_changed, c->number));
        world_free(w);
    }
}

static void test_noc_refused_input(void **state)
{
    (void)state;
    struct world *w = world_new(&defaults);
    struct ps_err err;
    struct ps_account before, after;
    static const struct {
        struct ps_noc noc;
        const char *rule, *field;
    } bad[] = {
        {{"C99", NULL, "987654321", NULL, 0, NULL, NULL, 0, NULL},
         "NOC_CODE",
         "code"},
        {{"C10", NULL, NULL, NULL, 0, NULL, NULL, 0, NULL}, "NOC_CODE", "code"},
        {{NULL, NULL, NULL, NULL, 0, NULL, NULL, 0, NULL}, "NOC_CODE", "code"},
        {{"C01", NULL, "987654321", NULL, 0, NULL, NULL, 1, NULL},
         "NOC_CODE",
         "refused"},
        {{"C02", NULL, NULL, "021000022", 0, NULL, NULL, 0, NULL},
         "NOC_DATA",
         "corrected_routing"},
        {{"C03", NULL, "987654321", "02100002", 0, NULL, NULL, 0, NULL},
         "NOC_DATA",
         "corrected_routing"},
        {{"C01", NULL, "12AB5678", NULL, 0, NULL, NULL, 0, NULL},
         "NOC_DATA",
         "corrected_account"},
        {{"C01", NULL, "", NULL, 0, NULL, NULL, 0, NULL},
         "NOC_DATA",
         "corrected_account"},
        {{"C06", NULL, "987654321", NULL, 41, NULL, NULL, 0, NULL},
         "NOC_DATA",
         "corrected_transaction_code"},
        {{"C05", NULL, NULL, NULL, 0, NULL, NULL, 0, NULL},
         "NOC_DATA",
         "corrected_transaction_code"},
        {{"C04", NULL, NULL, NULL, 0, "", NULL, 0, NULL},
         "NOC_DATA",
         "corrected_name"},
        {{"C01", "12345", "987654321", NULL, 0, NULL, NULL, 0, NULL},
         "NOC_DATA",
         "original_trace"},
        {{"C01", NULL, "987654321", NULL, 0, NULL, NULL, 0,
          "0190a0a0-0000-7000-8000-000000000000"},
         "NOC_DATA",
         "txn_id"},
    };
    OK(ps_store_account_get(w->eng->store, w->acct.id, &before, &err));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ps_err_clear(&err);
        int rc = ps_account_apply_noc(w->eng, w->acct.id, &bad[i].noc, NULL,
                                      &err);
        ps_test_expect_err(rc, &err, PS_EINVAL, bad[i].rule);
        assert_string_equal(err.field, bad[i].field);
        assert_null(strstr(err.msg, "987654321"));
        assert_null(strstr(err.msg, "021000022"));
    }
    OK(ps_store_account_get(w->eng->store, w->acct.id, &after, &err));
    assert_string_equal(after.token, before.token);
    assert_string_equal(after.routing_number, before.routing_number);
    assert_int_equal(after.bank_type, before.bank_type);
    assert_int_equal(changes_of(w).n, 0);

    /* Unknown account. */
    struct ps_noc c01 = {"C01", NULL, "987654321", NULL, 0, NULL, NULL, 0,
                         NULL};
    ps_err_clear(&err);
    assert_int_equal(ps_account_apply_noc(w->eng,
                                          "0190a0a0-0000-7000-8000-0000000000"
                                          "00",
                                          &c01, NULL, &err),
                     PS_ENOTFOUND);
    world_free(w);

    /* A card account takes no NOC. */
    struct opts o = defaults;
    o.card = 1;
    w = world_new(&o);
    ps_err_clear(&err);
    ps_test_expect_err(ps_account_apply_noc(w->eng, w->acct.id, &c01, NULL,
                                            &err),
                       &err, PS_EINVAL, "NOC_ACCOUNT_KIND");
    assert_string_equal(err.field, "account_id");
    assert_int_equal(changes_of(w).n, 0);
    world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_return_codes),
        cmocka_unit_test(test_disabled_from_everywhere),
        cmocka_unit_test(test_return_code_refused),
        cmocka_unit_test(test_return_table),
        cmocka_unit_test(test_recovery_return_reason),
        cmocka_unit_test(test_fallback_created),
        cmocka_unit_test(test_fallback_not_created),
        cmocka_unit_test(test_settle_eligible),
        cmocka_unit_test(test_noc_codes),
        cmocka_unit_test(test_noc_refused_input),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ps_test_free_owned();
    return rc;
}
