/*
 * test_ledger.c -- property tests for ledger.c: whatever sequence of
 * movements happens, the trial balance is zero (per store and per
 * business) and every balance equals what a model kept here says.
 *
 * A fixed-seed xorshift64* generator (seed printed; PS_TEST_SEED=<n>
 * overrides it) drives thousands of random movements across two
 * businesses and two currencies (USD, JPY): EWA disbursements (SEND, with
 * a fee, with or without a profile), EWA recovery debits, payments (SEND
 * and DEBIT), random legal event walks (cancel, decline, return before
 * and after settlement, provider errors and retries), a sprinkling of
 * illegal events that must change nothing, and payroll recoveries.  The
 * model knows only the accounting rules (ledger.h), never the entries.
 *
 * Also: a corrupted entry (raw SQL, across currencies or with the wrong
 * currency) makes ps_ledger_check fail with TRIAL_BALANCE_NOT_ZERO.
 *
 * Each test gets a fresh directory under $TMPDIR (or /tmp), removed after.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/crypto.h"
#include "engine/engine.h"
#include "base/err.h"
#include "engine/ewa.h"
#include "engine/ledger.h"
#include "base/log.h"
#include "base/model.h"
#include "store/store.h"
#include "engine/txn.h"
#include "testutil.h"

#define NBIZ 2
#define NCUR 2
#define NCUST 3
#define MAX_TXNS 4096
#define STEPS 2500     /* random steps; each is one movement */
#define MAX_ATTEMPTS 2 /* retry policy passed with every event */
#define DEFAULT_SEED UINT64_C(0x9e3779b97f4a7c15)

static const char *const currencies[NCUR] = {"USD", "JPY"};

/* ------------------------------------------------------------------ */
/* PRNG                                                                */
/* ------------------------------------------------------------------ */

static uint64_t rng_state;

/* xorshift64* (Vigna): small, fixed, reproducible everywhere. */
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(0x2545F4914F6CDD1D);
}

/* Uniform-enough integer in [0, n). */
static int rnd_below(int n)
{
    return (int)(rnd() % (uint64_t)n);
}

/* ------------------------------------------------------------------ */
/* The model: the state machine and the accounting, from the headers   */
/* ------------------------------------------------------------------ */

/* Where ev leads from st, or -1 (txn.h event comments; CLEARED and the
 * other four terminal statuses accept nothing). */
static int model_next(enum ps_txn_type type, enum ps_txn_status st,
                      enum ps_txn_event ev, int attempts)
{
    switch (st) {
    case PS_TXN_NEW:
        return ev == PS_EV_SUBMIT   ? PS_TXN_PENDING
               : ev == PS_EV_CANCEL ? PS_TXN_CANCELLED
                                    : -1;
    case PS_TXN_PENDING:
        return ev == PS_EV_TRANSMIT ? PS_TXN_PROCESSING
               : ev == PS_EV_CANCEL ? PS_TXN_CANCELLED
                                    : -1;
    case PS_TXN_PROCESSING:
        switch (ev) {
        case PS_EV_APPROVE:
            return PS_TXN_APPROVED;
        case PS_EV_SETTLE:
            return PS_TXN_SETTLED;
        case PS_EV_DECLINE:
        case PS_EV_RETURN:
            return PS_TXN_DECLINED;
        case PS_EV_PROVIDER_ERROR:
            return attempts < MAX_ATTEMPTS ? PS_TXN_PENDING : PS_TXN_ERROR;
        default:
            return -1;
        }
    case PS_TXN_APPROVED:
        return ev == PS_EV_SETTLE                          ? PS_TXN_SETTLED
               : ev == PS_EV_DECLINE || ev == PS_EV_RETURN ? PS_TXN_DECLINED
                                                           : -1;
    case PS_TXN_SETTLED:
        if (ev == PS_EV_CLEAR)
            return type == PS_TXN_DEBIT ? PS_TXN_CLEARED : -1;
        return ev == PS_EV_RETURN || ev == PS_EV_REVERSE ? PS_TXN_REVERSED : -1;
    default:
        return -1;
    }
}

static int terminal(enum ps_txn_status st)
{
    return st == PS_TXN_CANCELLED || st == PS_TXN_DECLINED ||
           st == PS_TXN_REVERSED || st == PS_TXN_ERROR || st == PS_TXN_CLEARED;
}

/* The advance (and its fee) still stands: it did not fail or come back. */
static int live(enum ps_txn_status st)
{
    return st != PS_TXN_CANCELLED && st != PS_TXN_DECLINED &&
           st != PS_TXN_ERROR && st != PS_TXN_REVERSED;
}

/* Money has left or arrived and stayed. */
static int settled(enum ps_txn_status st)
{
    return st == PS_TXN_SETTLED || st == PS_TXN_CLEARED;
}

struct mtxn {
    char id[PS_ID_SIZE];
    int biz, cur, cust;
    enum ps_txn_type type;
    enum ps_purpose purpose;
    int64_t amount, fee;
    enum ps_txn_status status;
    int attempts;
};

struct world {
    char dir[PATH_MAX / 2];
    struct ps_engine *eng;
    sqlite3 *raw;
    struct ps_business biz[NBIZ];
    struct ps_customer cust[NBIZ][NCUST];
    struct ps_account card[NBIZ][NCUST];
    struct ps_account bank[NBIZ][NCUST]; /* debit-authorized */
    struct ps_profile profile[NBIZ][NCUST][NCUR];
    /* the model */
    struct mtxn txns[MAX_TXNS];
    int ntxns;
    int open[MAX_TXNS]; /* indices of non-terminal txns */
    int nopen;
    int64_t payroll[NBIZ][NCUR];        /* payroll recoveries posted */
    int seen[PS_TXN_STATUS_N][PS_EV_N]; /* (from, event) applied */
    int illegal_tried;
    int payrolls;
};

/* Expected balance of a ledger kind (debits - credits) from the model. */
static int64_t expect_kind(const struct world *w, int b, int c,
                           enum ps_ledger_kind kind, int cust)
{
    int64_t sum = 0;
    for (int i = 0; i < w->ntxns; i++) {
        const struct mtxn *t = &w->txns[i];
        if (t->biz != b || t->cur != c || (cust >= 0 && t->cust != cust))
            continue;
        int disb =
            t->purpose == PS_PURPOSE_EWA_DISBURSEMENT && t->type == PS_TXN_SEND;
        int recov =
            t->purpose == PS_PURPOSE_EWA_RECOVERY && t->type == PS_TXN_DEBIT;
        int pay = t->purpose == PS_PURPOSE_PAYMENT;
        switch (kind) {
        case PS_LEDGER_FEE_INCOME:
            /* fee income is a credit balance: negative */
            if (disb && live(t->status))
                sum -= t->fee;
            break;
        case PS_LEDGER_EWA_RECEIVABLE:
            if (disb && live(t->status))
                sum += t->amount + t->fee;
            if (recov && settled(t->status))
                sum -= t->amount;
            break;
        case PS_LEDGER_FUNDING:
            if ((disb || (pay && t->type == PS_TXN_SEND)) && settled(t->status))
                sum -= t->amount; /* paid out */
            if ((recov || (pay && t->type == PS_TXN_DEBIT)) &&
                settled(t->status))
                sum += t->amount; /* collected */
            break;
        case PS_LEDGER_CUSTOMER:
            /* owed to the employee until the advance is paid out */
            if (disb && live(t->status) && !settled(t->status))
                sum -= t->amount;
            if (pay && t->type == PS_TXN_SEND && settled(t->status))
                sum += t->amount;
            if (pay && t->type == PS_TXN_DEBIT && settled(t->status))
                sum -= t->amount;
            break;
        case PS_LEDGER_KIND_N:
            break;
        }
    }
    if (cust < 0 && kind == PS_LEDGER_EWA_RECEIVABLE)
        sum -= w->payroll[b][c];
    if (cust < 0 && kind == PS_LEDGER_FUNDING)
        sum += w->payroll[b][c];
    return sum;
}

/* ------------------------------------------------------------------ */
/* Fixture                                                             */
/* ------------------------------------------------------------------ */

#define OK(call)                                                               \
    do {                                                                       \
        ps_err_clear(&err);                                                    \
        int rc_ = (call);                                                      \
        if (rc_ != 0)                                                          \
            fail_msg("%s: %d %s [%s]", #call, rc_, err.msg, err.rule);         \
    } while (0)

static void build_world(struct world *w)
{
    struct ps_err err;
    w->eng = ps_test_engine_open(w->dir);
    w->raw = ps_test_sqlite_open(ps_test_path(w->dir, PS_TEST_DB, 0));

    for (int b = 0; b < NBIZ; b++) {
        char name[32];
        snprintf(name, sizeof(name), "employer-%d", b);
        OK(ps_business_add(w->eng, name, NULL, NULL, &w->biz[b], &err));

        struct ps_program prog[NCUR];
        for (int c = 0; c < NCUR; c++) {
            struct ps_program *p = &prog[c];
            memset(p, 0, sizeof(*p));
            ps_strlcpy(p->business_id, w->biz[b].id, sizeof(p->business_id));
            snprintf(p->name, sizeof(p->name), "ewa-%s", currencies[c]);
            ps_strlcpy(p->currency, currencies[c], sizeof(p->currency));
            p->advance_rate_bp = 5000;
            p->min_transfer = 100;
            p->max_transfer = 100000;
            p->period_cap = 200000;
            p->max_outstanding = 200000;
            p->fee_card = 299;
            p->fee_ach = 0;
            p->debit_fallback = 1;
            p->max_debit_attempts = 2;
            p->bad_debt_after = 3;
            OK(ps_program_add(w->eng, p, &err));
        }

        for (int k = 0; k < NCUST; k++) {
            struct ps_customer *cu = &w->cust[b][k];
            memset(cu, 0, sizeof(*cu));
            ps_strlcpy(cu->business_id, w->biz[b].id, sizeof(cu->business_id));
            snprintf(cu->external_id, sizeof(cu->external_id), "emp-%d", k);
            cu->type = PS_CUSTOMER_INDIVIDUAL;
            ps_strlcpy(cu->first_name, "Grace", sizeof(cu->first_name));
            ps_strlcpy(cu->last_name, "Hopper", sizeof(cu->last_name));
            ps_strlcpy(cu->email, "grace@example.com", sizeof(cu->email));
            ps_strlcpy(cu->phone, "+14155550100", sizeof(cu->phone));
            OK(ps_customer_create(w->eng, cu, NULL, 0, NULL, 0, NULL, &err));
            OK(ps_account_add_card(w->eng, cu->id, "Debit card",
                                   "4111111111111111", &w->card[b][k], &err));
            OK(ps_account_add_bank(w->eng, cu->id, "Checking", "021000021",
                                   "000123456789", PS_BANK_CHECKING,
                                   &w->bank[b][k], &err));
            OK(ps_account_authorize_debit(w->eng, w->bank[b][k].id, PS_AUTH_PPD,
                                          "ppd-auth", &err));
            for (int c = 0; c < NCUR; c++) {
                struct ps_profile *p = &w->profile[b][k][c];
                memset(p, 0, sizeof(*p));
                ps_strlcpy(p->business_id, w->biz[b].id,
                           sizeof(p->business_id));
                snprintf(p->external_id, sizeof(p->external_id), "ewa-%d-%s", k,
                         currencies[c]);
                ps_strlcpy(p->customer_id, cu->id, sizeof(p->customer_id));
                ps_strlcpy(p->account_id, w->card[b][k].id,
                           sizeof(p->account_id));
                ps_strlcpy(p->program_id, prog[c].id, sizeof(p->program_id));
                OK(ps_ewa_enroll(w->eng, p, NULL, &err));
            }
        }
    }
}

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    if (w == NULL ||
        ps_test_tmpdir(w->dir, sizeof(w->dir), "test_ledger") != 0) {
        free(w);
        return -1;
    }
    *state = w;
    build_world(w);
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    sqlite3_close(w->raw);
    ps_engine_close(w->eng);
    int rc = ps_test_rmtree(w->dir);
    free(w);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Checks                                                              */
/* ------------------------------------------------------------------ */

static void check_trial(struct world *w, int per_business)
{
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_ledger_check(w->eng->store, NULL, &err) != 0)
        fail_msg("trial balance: %s [%s]", err.msg, err.rule);
    for (int b = 0; per_business && b < NBIZ; b++)
        if (ps_ledger_check(w->eng->store, w->biz[b].id, &err) != 0)
            fail_msg("trial balance of %s: %s [%s]", w->biz[b].name, err.msg,
                     err.rule);
}

static void check_balances(struct world *w, int step)
{
    struct ps_err err;
    for (int b = 0; b < NBIZ; b++)
        for (int c = 0; c < NCUR; c++) {
            int64_t total = 0;
            for (int k = 0; k < PS_LEDGER_KIND_N; k++) {
                int64_t got = INT64_MIN;
                int64_t want = expect_kind(w, b, c, (enum ps_ledger_kind)k, -1);
                OK(ps_store_ledger_kind_balance(w->eng->store, w->biz[b].id,
                                                (enum ps_ledger_kind)k,
                                                currencies[c], &got, &err));
                if (got != want)
                    fail_msg("step %d: %s %s %s balance %" PRId64
                             ", expected %" PRId64,
                             step, w->biz[b].name, currencies[c],
                             ps_ledger_kind_name((enum ps_ledger_kind)k), got,
                             want);
                total += got;
            }
            assert_int_equal(total, 0); /* the four kinds net to zero */
        }
}

/* Each customer's own ledger account, at the end. */
static void check_customer_balances(struct world *w)
{
    struct ps_err err;
    for (int b = 0; b < NBIZ; b++)
        for (int k = 0; k < NCUST; k++)
            for (int c = 0; c < NCUR; c++) {
                int64_t id = 0, got = INT64_MIN;
                OK(ps_store_ledger_account(w->eng->store, w->biz[b].id,
                                           PS_LEDGER_CUSTOMER, currencies[c],
                                           w->cust[b][k].id, &id, &err));
                OK(ps_store_ledger_balance(w->eng->store, id, &got, &err));
                assert_int_equal(got,
                                 expect_kind(w, b, c, PS_LEDGER_CUSTOMER, k));
            }
}

/* ------------------------------------------------------------------ */
/* Random movements                                                    */
/* ------------------------------------------------------------------ */

static void create_random(struct world *w)
{
    struct ps_err err;
    struct ps_txn t;
    struct mtxn *m;
    assert_true(w->ntxns < MAX_TXNS);
    m = &w->txns[w->ntxns];
    memset(m, 0, sizeof(*m));
    memset(&t, 0, sizeof(t));
    m->biz = rnd_below(NBIZ);
    m->cur = rnd_below(NCUR);
    m->cust = rnd_below(NCUST);
    m->amount = 1 + rnd_below(100000);
    const struct ps_account *acct = &w->bank[m->biz][m->cust];
    switch (rnd_below(4)) {
    case 0:
    case 1: /* disbursements are the common case */
        m->type = PS_TXN_SEND;
        m->purpose = PS_PURPOSE_EWA_DISBURSEMENT;
        m->fee = rnd_below(3) == 0 ? 0 : 1 + rnd_below(999);
        if (rnd_below(2) == 0)
            acct = &w->card[m->biz][m->cust];
        if (rnd_below(2) == 0) /* profile optional */
            ps_strlcpy(t.profile_id, w->profile[m->biz][m->cust][m->cur].id,
                       sizeof(t.profile_id));
        break;
    case 2:
        m->type = PS_TXN_DEBIT;
        m->purpose = PS_PURPOSE_EWA_RECOVERY;
        if (rnd_below(2) == 0)
            ps_strlcpy(t.profile_id, w->profile[m->biz][m->cust][m->cur].id,
                       sizeof(t.profile_id));
        break;
    default:
        m->type = rnd_below(2) == 0 ? PS_TXN_SEND : PS_TXN_DEBIT;
        m->purpose = PS_PURPOSE_PAYMENT;
        if (m->type == PS_TXN_SEND && rnd_below(2) == 0)
            acct = &w->card[m->biz][m->cust];
        break;
    }
    ps_strlcpy(t.business_id, w->biz[m->biz].id, sizeof(t.business_id));
    ps_strlcpy(t.customer_id, w->cust[m->biz][m->cust].id,
               sizeof(t.customer_id));
    ps_strlcpy(t.account_id, acct->id, sizeof(t.account_id));
    t.type = m->type;
    t.purpose = m->purpose;
    t.amount = m->amount;
    t.fee = m->fee;
    ps_strlcpy(t.currency, currencies[m->cur], sizeof(t.currency));
    snprintf(t.request_id, sizeof(t.request_id), "prop-%d", w->ntxns);
    OK(ps_engine_txn_create(w->eng, &t, NULL, &err));
    assert_int_equal(t.status, PS_TXN_NEW);
    ps_strlcpy(m->id, t.id, sizeof(m->id));
    m->status = PS_TXN_NEW;
    w->open[w->nopen++] = w->ntxns;
    w->ntxns++;
}

/* Relative likelihood of each event among the legal ones: mostly
 * forward, with enough failures to exercise every unwind. */
static const int ev_weight[PS_EV_N] = {
    [PS_EV_SUBMIT] = 8,         [PS_EV_TRANSMIT] = 8, [PS_EV_APPROVE] = 3,
    [PS_EV_SETTLE] = 6,         [PS_EV_CLEAR] = 4,    [PS_EV_CANCEL] = 1,
    [PS_EV_DECLINE] = 1,        [PS_EV_RETURN] = 2,   [PS_EV_REVERSE] = 1,
    [PS_EV_PROVIDER_ERROR] = 3,
};

/* Apply a random event to an open transaction.  Returns 1 when money or
 * status moved, 0 for a (deliberately) refused illegal event. */
static int event_random(struct world *w)
{
    struct ps_err err;
    int slot = rnd_below(w->nopen);
    struct mtxn *m = &w->txns[w->open[slot]];
    int legal[PS_EV_N], nlegal = 0, illegal[PS_EV_N], nillegal = 0;
    int total = 0;
    for (int ev = 0; ev < PS_EV_N; ev++) {
        if (model_next(m->type, m->status, (enum ps_txn_event)ev,
                       m->attempts) >= 0) {
            legal[nlegal++] = ev;
            total += ev_weight[ev];
        } else {
            illegal[nillegal++] = ev;
        }
    }
    assert_true(nlegal > 0); /* open means not terminal */

    struct ps_txn_args args = {NULL, MAX_ATTEMPTS, NULL, NULL};
    struct ps_txn out;
    if (nillegal > 0 && rnd_below(10) == 0) {
        /* An illegal event changes nothing, the ledger included. */
        enum ps_txn_event ev = (enum ps_txn_event)illegal[rnd_below(nillegal)];
        ps_err_clear(&err);
        assert_int_equal(
            ps_engine_txn_event(w->eng, m->id, ev, &args, &out, &err),
            PS_ESTATE);
        assert_string_equal(err.rule, "ILLEGAL_TRANSITION");
        OK(ps_store_txn_get(w->eng->store, m->id, &out, &err));
        assert_int_equal(out.status, m->status);
        w->illegal_tried++;
        return 0;
    }

    int pick = rnd_below(total), ev = legal[0];
    for (int i = 0; i < nlegal; i++) {
        if (pick < ev_weight[legal[i]]) {
            ev = legal[i];
            break;
        }
        pick -= ev_weight[legal[i]];
    }
    int want =
        model_next(m->type, m->status, (enum ps_txn_event)ev, m->attempts);
    ps_err_clear(&err);
    int rc = ps_engine_txn_event(w->eng, m->id, (enum ps_txn_event)ev, &args,
                                 &out, &err);
    if (rc != 0)
        fail_msg("%s on %s: %s [%s]", ps_txn_event_name((enum ps_txn_event)ev),
                 ps_enum_name(PS_NAMES_TXN_STATUS, (int)m->status), err.msg,
                 err.rule);
    assert_int_equal(out.status, want);
    w->seen[m->status][ev]++;
    if (ev == PS_EV_TRANSMIT)
        m->attempts++;
    assert_int_equal(out.attempts, m->attempts);
    m->status = (enum ps_txn_status)want;
    if (terminal(m->status))
        w->open[slot] = w->open[--w->nopen];
    return 1;
}

static void payroll_random(struct world *w)
{
    struct ps_err err;
    char ref[64], now[PS_TIME_SIZE];
    int b = rnd_below(NBIZ), c = rnd_below(NCUR);
    /* Usually within what is outstanding, sometimes more (an employer
     * over-withholding still balances: receivable goes negative). */
    int64_t outstanding = expect_kind(w, b, c, PS_LEDGER_EWA_RECEIVABLE, -1);
    int64_t amount = outstanding > 1 && rnd_below(8) != 0
                         ? 1 + (int64_t)(rnd() % (uint64_t)outstanding)
                         : 1 + rnd_below(5000);
    snprintf(ref, sizeof(ref), "payroll-%d.csv:%d", b, w->payrolls + 1);
    OK(ps_store_begin(w->eng->store, &err));
    OK(ps_ledger_post_payroll_recovery(w->eng->store, w->biz[b].id,
                                       currencies[c], amount, ref,
                                       ps_time_now(now), &err));
    OK(ps_store_commit(w->eng->store, &err));
    w->payroll[b][c] += amount;
    w->payrolls++;
}

static uint64_t seed_from_env(void)
{
    const char *s = getenv("PS_TEST_SEED");
    if (s != NULL && s[0] != '\0') {
        char *end;
        unsigned long long v = strtoull(s, &end, 0);
        if (*end == '\0' && v != 0)
            return (uint64_t)v;
    }
    return DEFAULT_SEED;
}

static void test_random_movements(void **state)
{
    struct world *w = *state;
    uint64_t seed = seed_from_env();
    int movements = 0;
    rng_state = seed;
    print_message("test_ledger: seed 0x%016" PRIx64
                  " (set PS_TEST_SEED to replay)\n",
                  seed);

    for (int step = 1; step <= STEPS; step++) {
        int r = rnd_below(100);
        if (w->nopen == 0 || r < 25) {
            create_random(w);
            movements++;
        } else if (r < 92) {
            movements += event_random(w);
        } else {
            payroll_random(w);
            movements++;
        }
        check_trial(w, step % 10 == 0);
        if (step % 50 == 0)
            check_balances(w, step);
    }
    check_trial(w, 1);
    check_balances(w, STEPS);
    check_customer_balances(w);

    /* Zero and negative payroll amounts post nothing. */
    struct ps_err err;
    int64_t before = 0, after = 0;
    OK(ps_store_ledger_kind_balance(w->eng->store, w->biz[0].id,
                                    PS_LEDGER_FUNDING, "USD", &before, &err));
    OK(ps_ledger_post_payroll_recovery(w->eng->store, w->biz[0].id, "USD", 0,
                                       "zero", "2026-01-01T00:00:00.000Z",
                                       &err));
    OK(ps_ledger_post_payroll_recovery(w->eng->store, w->biz[0].id, "USD", -5,
                                       "neg", "2026-01-01T00:00:00.000Z",
                                       &err));
    OK(ps_store_ledger_kind_balance(w->eng->store, w->biz[0].id,
                                    PS_LEDGER_FUNDING, "USD", &after, &err));
    assert_int_equal(after, before);

    /* The walk really covered what it claims to. */
    assert_true(movements >= 2000);
    assert_true(w->payrolls > 50);
    assert_true(w->illegal_tried > 20);
    assert_true(w->seen[PS_TXN_NEW][PS_EV_CANCEL] > 0);
    assert_true(w->seen[PS_TXN_PENDING][PS_EV_CANCEL] > 0);
    assert_true(w->seen[PS_TXN_PROCESSING][PS_EV_DECLINE] > 0);
    assert_true(w->seen[PS_TXN_APPROVED][PS_EV_DECLINE] > 0);
    assert_true(w->seen[PS_TXN_PROCESSING][PS_EV_RETURN] > 0);
    assert_true(w->seen[PS_TXN_APPROVED][PS_EV_RETURN] > 0);
    assert_true(w->seen[PS_TXN_SETTLED][PS_EV_RETURN] > 0);
    assert_true(w->seen[PS_TXN_SETTLED][PS_EV_REVERSE] > 0);
    assert_true(w->seen[PS_TXN_SETTLED][PS_EV_CLEAR] > 0);
    assert_true(w->seen[PS_TXN_PROCESSING][PS_EV_PROVIDER_ERROR] > 0);
    int errors = 0, clear_recov = 0, rev_disb = 0, rev_recov = 0;
    for (int i = 0; i < w->ntxns; i++) {
        const struct mtxn *t = &w->txns[i];
        errors += t->status == PS_TXN_ERROR;
        clear_recov += t->purpose == PS_PURPOSE_EWA_RECOVERY &&
                       t->status == PS_TXN_CLEARED;
        rev_disb += t->purpose == PS_PURPOSE_EWA_DISBURSEMENT &&
                    t->status == PS_TXN_REVERSED;
        rev_recov += t->purpose == PS_PURPOSE_EWA_RECOVERY &&
                     t->status == PS_TXN_REVERSED;
    }
    assert_true(errors > 0);
    assert_true(clear_recov > 0);
    assert_true(rev_disb > 0);
    assert_true(rev_recov > 0);
    print_message("test_ledger: %d movements, %d transactions, %d payroll "
                  "recoveries, %d illegal events refused\n",
                  movements, w->ntxns, w->payrolls, w->illegal_tried);
}

/* Profiles are touched by unwinds but never go negative. */
static void test_unwind_profile(void **state)
{
    struct world *w = *state;
    struct ps_err err;
    struct ps_profile p;
    struct ps_txn t, out;
    /* Give the profile an outstanding balance, as a disbursement would. */
    OK(ps_store_profile_get(w->eng->store, w->profile[0][0][0].id, &p, &err));
    p.amount_to_recover = 10000 + 299;
    p.period_disbursed = 10000;
    OK(ps_store_profile_update(w->eng->store, &p, &err));

    memset(&t, 0, sizeof(t));
    ps_strlcpy(t.business_id, w->biz[0].id, sizeof(t.business_id));
    ps_strlcpy(t.customer_id, w->cust[0][0].id, sizeof(t.customer_id));
    ps_strlcpy(t.account_id, w->card[0][0].id, sizeof(t.account_id));
    ps_strlcpy(t.profile_id, p.id, sizeof(t.profile_id));
    t.type = PS_TXN_SEND;
    t.purpose = PS_PURPOSE_EWA_DISBURSEMENT;
    t.amount = 10000;
    t.fee = 299;
    ps_strlcpy(t.currency, "USD", sizeof(t.currency));
    ps_strlcpy(t.request_id, "unwind-1", sizeof(t.request_id));
    OK(ps_engine_txn_create(w->eng, &t, NULL, &err));
    OK(ps_engine_txn_event(w->eng, t.id, PS_EV_SUBMIT, NULL, &out, &err));
    OK(ps_engine_txn_event(w->eng, t.id, PS_EV_TRANSMIT, NULL, &out, &err));
    OK(ps_engine_txn_event(w->eng, t.id, PS_EV_SETTLE, NULL, &out, &err));
    OK(ps_engine_txn_event(w->eng, t.id, PS_EV_RETURN, NULL, &out, &err));
    assert_int_equal(out.status, PS_TXN_REVERSED);
    OK(ps_store_profile_get(w->eng->store, p.id, &p, &err));
    assert_int_equal(p.amount_to_recover, 0);
    assert_int_equal(p.period_disbursed, 0);

    /* Everything this disbursement posted is unwound. */
    int64_t bal;
    for (int k = 0; k < PS_LEDGER_KIND_N; k++) {
        OK(ps_store_ledger_kind_balance(w->eng->store, w->biz[0].id,
                                        (enum ps_ledger_kind)k, "USD", &bal,
                                        &err));
        assert_int_equal(bal, 0);
    }
    check_trial(w, 1);
}

/* ------------------------------------------------------------------ */
/* Corruption is detected                                              */
/* ------------------------------------------------------------------ */

static void raw_exec(struct world *w, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(w->raw, sql, NULL, NULL, &msg) != SQLITE_OK) {
        char copy[256];
        snprintf(copy, sizeof(copy), "%s", msg != NULL ? msg : "?");
        sqlite3_free(msg);
        fail_msg("%s: %s", sql, copy);
    }
}

static void expect_corrupt(struct world *w, const char *business_id)
{
    struct ps_err err;
    ps_err_clear(&err);
    int rc = ps_ledger_check(w->eng->store, business_id, &err);
    if (rc != PS_EINVAL)
        fail_msg("corruption not detected (business %s): rc %d",
                 business_id != NULL ? business_id : "all", rc);
    assert_int_equal(err.code, PS_EINVAL);
    assert_string_equal(err.rule, "TRIAL_BALANCE_NOT_ZERO");
}

static void settle_one(struct world *w, int b, int c)
{
    struct ps_err err;
    struct ps_txn t;
    memset(&t, 0, sizeof(t));
    ps_strlcpy(t.business_id, w->biz[b].id, sizeof(t.business_id));
    ps_strlcpy(t.customer_id, w->cust[b][0].id, sizeof(t.customer_id));
    ps_strlcpy(t.account_id, w->card[b][0].id, sizeof(t.account_id));
    t.type = PS_TXN_SEND;
    t.purpose = PS_PURPOSE_EWA_DISBURSEMENT;
    t.amount = 5000;
    t.fee = 100;
    ps_strlcpy(t.currency, currencies[c], sizeof(t.currency));
    OK(ps_engine_txn_create(w->eng, &t, NULL, &err));
    OK(ps_engine_txn_event(w->eng, t.id, PS_EV_SUBMIT, NULL, NULL, &err));
    OK(ps_engine_txn_event(w->eng, t.id, PS_EV_TRANSMIT, NULL, NULL, &err));
    OK(ps_engine_txn_event(w->eng, t.id, PS_EV_SETTLE, NULL, NULL, &err));
}

static void test_corruption_detected(void **state)
{
    struct world *w = *state;
    struct ps_err err;
    int64_t usd = 0, jpy = 0, usd_rcv = 0, other_usd = 0;
    char sql[512];
    for (int b = 0; b < NBIZ; b++)
        for (int c = 0; c < NCUR; c++)
            settle_one(w, b, c);
    check_trial(w, 1);
    OK(ps_store_ledger_account(w->eng->store, w->biz[0].id, PS_LEDGER_FUNDING,
                               "USD", NULL, &usd, &err));
    OK(ps_store_ledger_account(w->eng->store, w->biz[0].id, PS_LEDGER_FUNDING,
                               "JPY", NULL, &jpy, &err));
    OK(ps_store_ledger_account(w->eng->store, w->biz[0].id,
                               PS_LEDGER_EWA_RECEIVABLE, "USD", NULL, &usd_rcv,
                               &err));
    OK(ps_store_ledger_account(w->eng->store, w->biz[1].id, PS_LEDGER_FUNDING,
                               "USD", NULL, &other_usd, &err));

    /* 1. One entry between a USD and a JPY account. */
    snprintf(sql, sizeof(sql),
             "INSERT INTO ledger_entries(txn_id, reference, debit_account,"
             " credit_account, amount, currency, memo, created_at)"
             " VALUES (NULL, 'corrupt-1', %" PRId64 ", %" PRId64
             ", 100, 'USD', 'corrupt', '2026-01-01T00:00:00.000Z')",
             usd, jpy);
    raw_exec(w, sql);
    expect_corrupt(w, NULL);
    ps_err_clear(&err);
    assert_int_equal(ps_ledger_check(w->eng->store, NULL, &err), PS_EINVAL);
    /* The message names the currency and the imbalance. */
    assert_true(strstr(err.msg, "JPY") != NULL ||
                strstr(err.msg, "USD") != NULL);
    expect_corrupt(w, w->biz[0].id);
    /* The other business is untouched. */
    assert_int_equal(ps_ledger_check(w->eng->store, w->biz[1].id, &err), 0);
    raw_exec(w, "DELETE FROM ledger_entries WHERE reference = 'corrupt-1'");
    check_trial(w, 1);

    /* 2. Both accounts USD but the entry says JPY: still balanced per
     * account currency, but a cross-currency entry all the same. */
    snprintf(sql, sizeof(sql),
             "INSERT INTO ledger_entries(txn_id, reference, debit_account,"
             " credit_account, amount, currency, memo, created_at)"
             " VALUES (NULL, 'corrupt-2', %" PRId64 ", %" PRId64
             ", 100, 'JPY', 'corrupt', '2026-01-01T00:00:00.000Z')",
             usd, usd_rcv);
    raw_exec(w, sql);
    expect_corrupt(w, NULL);
    expect_corrupt(w, w->biz[0].id);
    raw_exec(w, "DELETE FROM ledger_entries WHERE reference = 'corrupt-2'");
    check_trial(w, 1);

    /* 3. An entry between two businesses (same currency): each
     * business's own trial balance no longer nets to zero. */
    snprintf(sql, sizeof(sql),
             "INSERT INTO ledger_entries(txn_id, reference, debit_account,"
             " credit_account, amount, currency, memo, created_at)"
             " VALUES (NULL, 'corrupt-3', %" PRId64 ", %" PRId64
             ", 100, 'USD', 'corrupt', '2026-01-01T00:00:00.000Z')",
             usd, other_usd);
    raw_exec(w, sql);
    expect_corrupt(w, w->biz[0].id);
    expect_corrupt(w, w->biz[1].id);
    raw_exec(w, "DELETE FROM ledger_entries WHERE reference = 'corrupt-3'");
    check_trial(w, 1);

    /* 4. A real entry re-pointed at an account in another currency.
     * (A changed amount alone cannot show: each entry is one row with
     * one amount for both sides, balanced by construction.) */
    snprintf(sql, sizeof(sql),
             "UPDATE ledger_entries SET debit_account = %" PRId64
             " WHERE id = (SELECT min(id) FROM ledger_entries"
             " WHERE currency = 'USD' AND debit_account <> %" PRId64 ")",
             jpy, jpy);
    raw_exec(w, sql);
    assert_int_equal(sqlite3_changes(w->raw), 1);
    expect_corrupt(w, NULL);
}

int main(void)
{
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_crypto_init(&err) != 0)
        return 1;
    ps_log_open(NULL, PS_LOG_ERROR, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_random_movements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwind_profile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corruption_detected, setup,
                                        teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    ps_log_close();
    return failed;
}
