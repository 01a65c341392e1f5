/*
 * test_txn.c -- unit tests for txn.c, the transaction state machine, driven
 * through the engine API (engine.h) on a real SQLite store.
 *
 * The heart is an exhaustive check: for every (type, status, event) triple
 * a fresh transaction is driven from NEW to the status through legal
 * events, the event is applied, and the outcome is compared with an
 * expected table written here from the meanings in txn.h and the seed (it
 * is deliberately not derived from txn.c's table).  A legal event must
 * change the status to the expected one and add exactly one history row;
 * an illegal one must fail with PS_ESTATE / ILLEGAL_TRANSITION and leave
 * the status, the history and the ledger untouched.
 *
 * Also: terminal statuses, cancel, the retry policy, duplicate request
 * ids, debit authorization and suspended customers and accounts.
 *
 * Each test gets a fresh directory under $TMPDIR (or /tmp), removed after.
 * History and ledger rows are counted through a second, raw SQLite
 * connection on the same file (tests may speak SQL; the engine may not).
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
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/crypto.h"
#include "engine/engine.h"
#include "base/err.h"
#include "engine/ledger.h"
#include "base/log.h"
#include "base/model.h"
#include "store/store.h"
#include "testutil.h"
#include "engine/txn.h"

/* ------------------------------------------------------------------ */
/* The expected transition table                                       */
/* ------------------------------------------------------------------ */

/*
 * expected[type][status][event]: the status the event leads to, or ILL.
 * Written out in full from the event meanings of txn.h:
 *   SUBMIT NEW->PENDING; TRANSMIT PENDING->PROCESSING; APPROVE
 *   PROCESSING->APPROVED; SETTLE PROCESSING|APPROVED->SETTLED; CLEAR
 *   SETTLED->CLEARED for received (DEBIT) transactions only; CANCEL
 *   NEW|PENDING->CANCELLED; DECLINE PROCESSING|APPROVED->DECLINED; RETURN
 *   before settlement (PROCESSING|APPROVED) DECLINED, after (SETTLED or
 *   CLEARED) REVERSED; REVERSE SETTLED|CLEARED->REVERSED; PROVIDER_ERROR
 *   on a transmitted (PROCESSING) transaction goes back to PENDING while
 *   retries are left.  In the exhaustive test the transaction has been
 *   transmitted once (attempts 1) and the event is applied with the
 *   default policy (3 attempts), so PENDING.
 * CANCELLED, DECLINED, REVERSED and ERROR are terminal and accept nothing
 * (ps_txn_status_terminal() in txn.h).  CLEARED accepts only RETURN and
 * REVERSE: an ACH debit can come back as unauthorized (R05, R07, R10,
 * R11) up to 60 days after it cleared.
 * Columns in enum order: SUBMIT, TRANSMIT, APPROVE, SETTLE, CLEAR, CANCEL,
 * DECLINE, RETURN, REVERSE, PROVIDER_ERROR (P_E).
 */
#define ILL (-1)
#define PEN PS_TXN_PENDING
#define PRO PS_TXN_PROCESSING
#define APP PS_TXN_APPROVED
#define SET PS_TXN_SETTLED
#define CLR PS_TXN_CLEARED
#define CAN PS_TXN_CANCELLED
#define DEC PS_TXN_DECLINED
#define REV PS_TXN_REVERSED

/* clang-format off */
static const int expected[PS_TXN_TYPE_N][PS_TXN_STATUS_N][PS_EV_N] = {
/* event:                  SUB  TRA  APP  SET  CLR  CAN  DEC  RET  REV  P_E */
[PS_TXN_SEND] = {
    [PS_TXN_NEW]        = {PEN, ILL, ILL, ILL, ILL, CAN, ILL, ILL, ILL, ILL},
    [PS_TXN_PENDING]    = {ILL, PRO, ILL, ILL, ILL, CAN, ILL, ILL, ILL, ILL},
    [PS_TXN_PROCESSING] = {ILL, ILL, APP, SET, ILL, ILL, DEC, DEC, ILL, PEN},
    [PS_TXN_APPROVED]   = {ILL, ILL, ILL, SET, ILL, ILL, DEC, DEC, ILL, ILL},
    /* a SEND is never "received": CLEAR is illegal */
    [PS_TXN_SETTLED]    = {ILL, ILL, ILL, ILL, ILL, ILL, ILL, REV, REV, ILL},
    /* unreachable for a SEND (skipped) */
    [PS_TXN_CLEARED]    = {ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL},
    [PS_TXN_CANCELLED]  = {ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL},
    [PS_TXN_DECLINED]   = {ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL},
    [PS_TXN_REVERSED]   = {ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL},
    [PS_TXN_ERROR]      = {ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL},
},
[PS_TXN_DEBIT] = {
    [PS_TXN_NEW]        = {PEN, ILL, ILL, ILL, ILL, CAN, ILL, ILL, ILL, ILL},
    [PS_TXN_PENDING]    = {ILL, PRO, ILL, ILL, ILL, CAN, ILL, ILL, ILL, ILL},
    [PS_TXN_PROCESSING] = {ILL, ILL, APP, SET, ILL, ILL, DEC, DEC, ILL, PEN},
    [PS_TXN_APPROVED]   = {ILL, ILL, ILL, SET, ILL, ILL, DEC, DEC, ILL, ILL},
    [PS_TXN_SETTLED]    = {ILL, ILL, ILL, ILL, CLR, ILL, ILL, REV, REV, ILL},
    /* only a late return can still reverse a cleared debit */
    [PS_TXN_CLEARED]    = {ILL, ILL, ILL, ILL, ILL, ILL, ILL, REV, REV, ILL},
    [PS_TXN_CANCELLED]  = {ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL},
    [PS_TXN_DECLINED]   = {ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL},
    [PS_TXN_REVERSED]   = {ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL},
    [PS_TXN_ERROR]      = {ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL, ILL},
},
};
/* clang-format on */

/* The four terminal statuses, from the seed and txn.h. */
static int is_terminal(enum ps_txn_status st)
{
    return st == PS_TXN_CANCELLED || st == PS_TXN_DECLINED ||
           st == PS_TXN_REVERSED || st == PS_TXN_ERROR;
}

/*
 * How to reach each status from NEW with legal events.  The path is
 * applied with max_attempts 1, so a single PROVIDER_ERROR after the first
 * TRANSMIT exhausts the retries and gives ERROR.
 */
#define PATH_MAX_LEN 6
struct path {
    int n;          /* number of events */
    int debit_only; /* 1: CLEARED exists only for received transactions */
    enum ps_txn_event ev[PATH_MAX_LEN];
};

/* clang-format off */
static const struct path paths[PS_TXN_STATUS_N] = {
    [PS_TXN_NEW]        = {0, 0, {0}},
    [PS_TXN_PENDING]    = {1, 0, {PS_EV_SUBMIT}},
    [PS_TXN_PROCESSING] = {2, 0, {PS_EV_SUBMIT, PS_EV_TRANSMIT}},
    [PS_TXN_APPROVED]   = {3, 0, {PS_EV_SUBMIT, PS_EV_TRANSMIT, PS_EV_APPROVE}},
    [PS_TXN_SETTLED]    = {3, 0, {PS_EV_SUBMIT, PS_EV_TRANSMIT, PS_EV_SETTLE}},
    [PS_TXN_CLEARED]    = {4, 1, {PS_EV_SUBMIT, PS_EV_TRANSMIT, PS_EV_SETTLE,
                                  PS_EV_CLEAR}},
    [PS_TXN_CANCELLED]  = {1, 0, {PS_EV_CANCEL}},
    [PS_TXN_DECLINED]   = {3, 0, {PS_EV_SUBMIT, PS_EV_TRANSMIT, PS_EV_DECLINE}},
    [PS_TXN_REVERSED]   = {4, 0, {PS_EV_SUBMIT, PS_EV_TRANSMIT, PS_EV_SETTLE,
                                  PS_EV_REVERSE}},
    [PS_TXN_ERROR]      = {3, 0, {PS_EV_SUBMIT, PS_EV_TRANSMIT,
                                  PS_EV_PROVIDER_ERROR}},
};
/* clang-format on */

/* ------------------------------------------------------------------ */
/* Fixture                                                             */
/* ------------------------------------------------------------------ */

struct fixture {
    char dir[PATH_MAX / 2];
    struct ps_engine *eng;
    sqlite3 *raw; /* second connection, for counting rows */
    struct ps_business biz;
    struct ps_business biz2;
    struct ps_customer cust;
    struct ps_account card;        /* EXTERNAL_CARD */
    struct ps_account bank;        /* EXTERNAL_BANK with a debit auth */
    struct ps_account bank_noauth; /* EXTERNAL_BANK without one */
    int seq;                       /* for unique request ids */
};

static void make_customer(struct fixture *fx, const struct ps_business *b,
                          const char *external_id, struct ps_customer *out)
{
    struct ps_err err;
    ps_err_clear(&err);
    memset(out, 0, sizeof(*out));
    ps_strlcpy(out->business_id, b->id, sizeof(out->business_id));
    ps_strlcpy(out->external_id, external_id, sizeof(out->external_id));
    out->type = PS_CUSTOMER_INDIVIDUAL;
    ps_strlcpy(out->first_name, "Ada", sizeof(out->first_name));
    ps_strlcpy(out->last_name, "Lovelace", sizeof(out->last_name));
    ps_strlcpy(out->email, "ada@example.com", sizeof(out->email));
    ps_strlcpy(out->phone, "+14155550123", sizeof(out->phone));
    int rc = ps_customer_create(fx->eng, out, NULL, 0, NULL, 0, NULL, &err);
    if (rc != 0)
        fail_msg("ps_customer_create: %s [%s]", err.msg, err.rule);
}

static void make_bank(struct fixture *fx, const struct ps_customer *c,
                      const char *number, struct ps_account *out)
{
    struct ps_err err;
    ps_err_clear(&err);
    int rc = ps_account_add_bank(fx->eng, c->id, "Checking", "021000021",
                                 number, PS_BANK_CHECKING, out, &err);
    if (rc != 0)
        fail_msg("ps_account_add_bank: %s [%s]", err.msg, err.rule);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct ps_err err;
    ps_err_clear(&err);
    if (fx == NULL ||
        ps_test_tmpdir(fx->dir, sizeof(fx->dir), "test_txn") != 0) {
        free(fx);
        return -1;
    }
    *state = fx;

    fx->eng = ps_test_engine_open(fx->dir);
    fx->raw = ps_test_sqlite_open(ps_test_path(fx->dir, PS_TEST_DB, 0));

    assert_int_equal(
        ps_business_add(fx->eng, "acme", "Acme Corp", NULL, &fx->biz, &err), 0);
    assert_int_equal(
        ps_business_add(fx->eng, "globex", NULL, NULL, &fx->biz2, &err), 0);
    make_customer(fx, &fx->biz, "emp-1", &fx->cust);
    assert_int_equal(ps_account_add_card(fx->eng, fx->cust.id, "Visa",
                                         "4111111111111111", &fx->card, &err),
                     0);
    make_bank(fx, &fx->cust, "123456789", &fx->bank);
    make_bank(fx, &fx->cust, "987654321", &fx->bank_noauth);
    assert_int_equal(ps_account_authorize_debit(fx->eng, fx->bank.id,
                                                PS_AUTH_PPD, "auth-1", &err),
                     0);
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    sqlite3_close(fx->raw);
    ps_engine_close(fx->eng);
    int rc = ps_test_rmtree(fx->dir);
    free(fx);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* SELECT count(*) ... with an optional text parameter ?1. */
static int64_t count_rows(struct fixture *fx, const char *sql, const char *arg)
{
    sqlite3_stmt *st = NULL;
    int64_t n;
    assert_int_equal(sqlite3_prepare_v2(fx->raw, sql, -1, &st, NULL),
                     SQLITE_OK);
    if (arg != NULL)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static int64_t history_rows(struct fixture *fx, const char *txn_id)
{
    return count_rows(
        fx,
        "SELECT (SELECT count(*) FROM transaction_history WHERE txn_id = ?1)"
        " + (SELECT count(*) FROM transactions WHERE id = ?1)", /* CREATE */
        txn_id);
}

static int64_t ledger_rows(struct fixture *fx)
{
    /* The entries and the transfers the rows carry (schema v18). */
    return count_rows(fx,
                      "SELECT (SELECT count(*) FROM ledger_entries) + (SELECT"
                      " count(*) FROM transactions WHERE debit_account IS"
                      " NOT NULL)",
                      NULL);
}

static int64_t txn_rows(struct fixture *fx)
{
    return count_rows(fx, "SELECT count(*) FROM transactions", NULL);
}

/* Last history row of a transaction, through the store API. */
struct last_row {
    int n;
    struct ps_txn_history_row row;
};

static int keep_last(void *ctx, const struct ps_txn_history_row *r)
{
    struct last_row *l = ctx;
    l->n++;
    l->row = *r;
    return 0;
}

static struct last_row last_history(struct fixture *fx, const char *txn_id)
{
    struct last_row l;
    struct ps_err err;
    memset(&l, 0, sizeof(l));
    ps_err_clear(&err);
    assert_int_equal(
        ps_store_txn_history(fx->eng->store, txn_id, keep_last, &l, &err), 0);
    return l;
}

static enum ps_txn_status status_of(struct fixture *fx, const char *txn_id)
{
    struct ps_txn t;
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(ps_store_txn_get(fx->eng->store, txn_id, &t, &err), 0);
    return t.status;
}

static void fill_txn(struct fixture *fx, struct ps_txn *t,
                     enum ps_txn_type type, enum ps_purpose purpose,
                     const struct ps_account *acct)
{
    memset(t, 0, sizeof(*t));
    ps_strlcpy(t->business_id, fx->biz.id, sizeof(t->business_id));
    ps_strlcpy(t->customer_id, fx->cust.id, sizeof(t->customer_id));
    ps_strlcpy(t->account_id, acct->id, sizeof(t->account_id));
    t->type = type;
    t->purpose = purpose;
    t->amount = 12345;
    t->fee = purpose == PS_PURPOSE_EWA_DISBURSEMENT ? 299 : 0;
    ps_strlcpy(t->currency, "USD", sizeof(t->currency));
    snprintf(t->request_id, sizeof(t->request_id), "req-%d", ++fx->seq);
}

/* A new transaction of `type` in status NEW (purpose rotates with n so
 * every purpose that makes sense for the type is exercised). */
static void new_txn(struct fixture *fx, enum ps_txn_type type, int n,
                    struct ps_txn *out)
{
    static const enum ps_purpose send_purposes[] = {PS_PURPOSE_EWA_DISBURSEMENT,
                                                    PS_PURPOSE_PAYMENT};
    static const enum ps_purpose debit_purposes[] = {PS_PURPOSE_EWA_RECOVERY,
                                                     PS_PURPOSE_PAYMENT};
    struct ps_err err;
    ps_err_clear(&err);
    if (type == PS_TXN_SEND)
        fill_txn(fx, out, type, send_purposes[n % 2],
                 n % 3 == 0 ? &fx->bank : &fx->card);
    else
        fill_txn(fx, out, type, debit_purposes[n % 2], &fx->bank);
    int rc = ps_engine_txn_create(fx->eng, out, NULL, &err);
    if (rc != 0)
        fail_msg("ps_engine_txn_create: %s [%s]", err.msg, err.rule);
    assert_int_equal(out->status, PS_TXN_NEW);
    assert_int_equal(out->attempts, 0);
}

static void apply_ok(struct fixture *fx, const char *id, enum ps_txn_event ev,
                     int max_attempts, enum ps_txn_status want,
                     struct ps_txn *out)
{
    struct ps_txn_args args = {NULL, max_attempts, NULL, NULL};
    struct ps_txn t;
    struct ps_err err;
    ps_err_clear(&err);
    int rc = ps_engine_txn_event(fx->eng, id, ev, &args, &t, &err);
    if (rc != 0)
        fail_msg("%s: %s [%s]", ps_txn_event_name(ev), err.msg, err.rule);
    assert_int_equal(t.status, want);
    if (out != NULL)
        *out = t;
}

/* Drive a NEW transaction to `target` along paths[target]. */
static void drive_to(struct fixture *fx, const char *id,
                     enum ps_txn_status target)
{
    const struct path *p = &paths[target];
    struct ps_txn_args args = {NULL, 1, NULL, NULL};
    struct ps_err err;
    struct ps_txn t;
    for (int i = 0; i < p->n; i++) {
        ps_err_clear(&err);
        int rc = ps_engine_txn_event(fx->eng, id, p->ev[i], &args, &t, &err);
        if (rc != 0)
            fail_msg("path to %s, step %s: %s [%s]",
                     ps_enum_name(PS_NAMES_TXN_STATUS, (int)target),
                     ps_txn_event_name(p->ev[i]), err.msg, err.rule);
    }
    assert_int_equal(status_of(fx, id), target);
}

/* Apply an event that must be refused, and check nothing changed. */
static void expect_illegal(struct fixture *fx, const char *id,
                           enum ps_txn_event ev, int max_attempts)
{
    struct ps_txn_args args = {NULL, max_attempts, NULL, NULL};
    struct ps_txn before, out;
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(ps_store_txn_get(fx->eng->store, id, &before, &err), 0);
    int64_t hist = history_rows(fx, id);
    int64_t ledger = ledger_rows(fx);

    memset(&out, 0x5a, sizeof(out));
    int rc = ps_engine_txn_event(fx->eng, id, ev, &args, &out, &err);
    if (rc == 0)
        fail_msg("%s %s + %s should be refused, but was applied (-> %s)",
                 ps_enum_name(PS_NAMES_TXN_TYPE, (int)before.type),
                 ps_enum_name(PS_NAMES_TXN_STATUS, (int)before.status),
                 ps_txn_event_name(ev),
                 ps_enum_name(PS_NAMES_TXN_STATUS, (int)out.status));
    if (rc != PS_ESTATE)
        fail_msg(
            "%s in %s: expected PS_ESTATE, got %d (%s)", ps_txn_event_name(ev),
            ps_enum_name(PS_NAMES_TXN_STATUS, (int)before.status), rc, err.msg);
    assert_int_equal(err.code, PS_ESTATE);
    assert_string_equal(err.rule, "ILLEGAL_TRANSITION");
    assert_non_null(strstr(err.msg, id)); /* names the transaction */
    /* Out-parameters are written only on success. */
    assert_int_equal(((unsigned char *)&out)[0], 0x5a);

    struct ps_txn after;
    assert_int_equal(ps_store_txn_get(fx->eng->store, id, &after, &err), 0);
    assert_int_equal(after.status, before.status);
    assert_int_equal(after.attempts, before.attempts);
    assert_string_equal(after.updated_at, before.updated_at);
    assert_int_equal(history_rows(fx, id), hist);
    assert_int_equal(ledger_rows(fx), ledger);
}

/* ------------------------------------------------------------------ */
/* The exhaustive (type, status, event) check                          */
/* ------------------------------------------------------------------ */

static void check_triple(struct fixture *fx, enum ps_txn_type type,
                         enum ps_txn_status st, enum ps_txn_event ev, int n)
{
    struct ps_txn t, out;
    struct ps_err err;
    ps_err_clear(&err);
    new_txn(fx, type, n, &t);
    drive_to(fx, t.id, st);

    struct ps_txn before;
    assert_int_equal(ps_store_txn_get(fx->eng->store, t.id, &before, &err), 0);
    int want = expected[type][st][ev];
    if (want == ILL) {
        expect_illegal(fx, t.id, ev, 0);
        return;
    }

    int64_t hist = history_rows(fx, t.id);
    struct ps_txn_args args = {NULL, 0, NULL, NULL};
    int rc = ps_engine_txn_event(fx->eng, t.id, ev, &args, &out, &err);
    if (rc != 0)
        fail_msg("%s %s + %s: expected %s, got error %s [%s]",
                 ps_enum_name(PS_NAMES_TXN_TYPE, (int)type),
                 ps_enum_name(PS_NAMES_TXN_STATUS, (int)st),
                 ps_txn_event_name(ev), ps_enum_name(PS_NAMES_TXN_STATUS, want),
                 err.msg, err.rule);
    assert_int_equal(out.status, want);
    assert_int_equal(status_of(fx, t.id), want);
    /* TRANSMIT counts a provider attempt; nothing else does. */
    assert_int_equal(out.attempts,
                     before.attempts + (ev == PS_EV_TRANSMIT ? 1 : 0));
    assert_int_equal(history_rows(fx, t.id), hist + 1);

    struct last_row l = last_history(fx, t.id);
    assert_int_equal(l.n, hist + 1);
    assert_int_equal(l.row.from_status, (int)st);
    assert_int_equal(l.row.to_status, want);
    assert_string_equal(l.row.event, ps_txn_event_name(ev));

    assert_int_equal(ps_ledger_check(fx->eng->store, NULL, &err), 0);
}

static void test_all_triples(void **state)
{
    struct fixture *fx = *state;
    int checked = 0, allowed = 0, n = 0;
    for (int ty = 0; ty < PS_TXN_TYPE_N; ty++) {
        for (int st = 0; st < PS_TXN_STATUS_N; st++) {
            /* CLEARED is only for received (DEBIT) transactions: a SEND
             * has no path to it, so its row is skipped. */
            if (paths[st].debit_only && ty != PS_TXN_DEBIT)
                continue;
            for (int ev = 0; ev < PS_EV_N; ev++) {
                check_triple(fx, (enum ps_txn_type)ty, (enum ps_txn_status)st,
                             (enum ps_txn_event)ev, n++);
                checked++;
                allowed += expected[ty][st][ev] != ILL;
            }
        }
    }
    /* 2 types x 10 statuses x 10 events, minus SEND's CLEARED row. */
    assert_int_equal(checked, 2 * 10 * 10 - 10);
    /* 14 legal pairs per type, plus CLEAR and the two late returns from
     * CLEARED for DEBIT. */
    assert_int_equal(allowed, 14 + 17);
    assert_int_equal(ps_ledger_check(fx->eng->store, NULL, NULL), 0);
}

/* ps_txn_next (the pure part) agrees with the table, without a store. */
static void test_next_pure(void **state)
{
    (void)state;
    for (int ty = 0; ty < PS_TXN_TYPE_N; ty++)
        for (int st = 0; st < PS_TXN_STATUS_N; st++)
            for (int ev = 0; ev < PS_EV_N; ev++) {
                struct ps_txn t;
                /* As above: a SEND never is CLEARED, so no expectation. */
                if (paths[st].debit_only && ty != PS_TXN_DEBIT)
                    continue;
                struct ps_err err;
                enum ps_txn_status next = PS_TXN_STATUS_N;
                memset(&t, 0, sizeof(t));
                ps_err_clear(&err);
                ps_strlcpy(t.id, "00000000-0000-7000-8000-000000000000",
                           sizeof(t.id));
                t.type = (enum ps_txn_type)ty;
                t.status = (enum ps_txn_status)st;
                t.attempts = 1;
                int rc = ps_txn_next(&t, (enum ps_txn_event)ev, 0, &next, &err);
                int want = expected[ty][st][ev];
                if (want == ILL && rc != PS_ESTATE)
                    fail_msg("ps_txn_next(%s %s, %s) allowed (-> %s)",
                             ps_enum_name(PS_NAMES_TXN_TYPE, ty),
                             ps_enum_name(PS_NAMES_TXN_STATUS, st),
                             ps_txn_event_name((enum ps_txn_event)ev),
                             ps_enum_name(PS_NAMES_TXN_STATUS, (int)next));
                if (want == ILL) {
                    assert_int_equal(rc, PS_ESTATE);
                    assert_string_equal(err.rule, "ILLEGAL_TRANSITION");
                    assert_int_equal(next, PS_TXN_STATUS_N); /* unwritten */
                } else {
                    assert_int_equal(rc, 0);
                    assert_int_equal(next, want);
                }
            }
}

/* ------------------------------------------------------------------ */
/* Terminal statuses and cancel                                        */
/* ------------------------------------------------------------------ */

static void test_terminal_reject_all(void **state)
{
    struct fixture *fx = *state;
    static const enum ps_txn_status terminal[] = {
        PS_TXN_CANCELLED, PS_TXN_DECLINED, PS_TXN_REVERSED, PS_TXN_ERROR};
    for (size_t i = 0; i < sizeof(terminal) / sizeof(terminal[0]); i++) {
        struct ps_txn t;
        /* DEBIT reaches every terminal status. */
        new_txn(fx, PS_TXN_DEBIT, (int)i, &t);
        drive_to(fx, t.id, terminal[i]);
        for (int ev = 0; ev < PS_EV_N; ev++) {
            expect_illegal(fx, t.id, (enum ps_txn_event)ev, 0);
            expect_illegal(fx, t.id, (enum ps_txn_event)ev, 1);
        }
        struct ps_err err;
        ps_err_clear(&err);
        assert_int_equal(
            ps_engine_txn_event(fx->eng, t.id, PS_EV_SUBMIT, NULL, NULL, &err),
            PS_ESTATE);
        assert_non_null(strstr(err.msg, "terminal"));
        assert_non_null(strstr(
            err.msg, ps_enum_name(PS_NAMES_TXN_STATUS, (int)terminal[i])));
        assert_non_null(strstr(err.msg, "SUBMIT"));
    }
    for (int st = 0; st < PS_TXN_STATUS_N; st++)
        if (ps_txn_status_terminal((enum ps_txn_status)st) !=
            is_terminal((enum ps_txn_status)st))
            fail_msg("ps_txn_status_terminal(%s) is %d, txn.h says %d",
                     ps_enum_name(PS_NAMES_TXN_STATUS, st),
                     ps_txn_status_terminal((enum ps_txn_status)st),
                     is_terminal((enum ps_txn_status)st));
}

static void test_cancel_only_new_or_pending(void **state)
{
    struct fixture *fx = *state;
    for (int st = 0; st < PS_TXN_STATUS_N; st++) {
        struct ps_txn t;
        new_txn(fx, PS_TXN_DEBIT, st, &t);
        drive_to(fx, t.id, (enum ps_txn_status)st);
        if (st == PS_TXN_NEW || st == PS_TXN_PENDING) {
            int64_t ledger = ledger_rows(fx);
            struct ps_source src = {"customer asked", "cancel.csv", 7};
            struct ps_txn_args args = {&src, 0, NULL, NULL};
            struct ps_txn out;
            struct ps_err err;
            ps_err_clear(&err);
            assert_int_equal(ps_engine_txn_event(fx->eng, t.id, PS_EV_CANCEL,
                                                 &args, &out, &err),
                             0);
            assert_int_equal(out.status, PS_TXN_CANCELLED);
            /* The reason and source are kept on the history row. */
            struct last_row l = last_history(fx, t.id);
            assert_string_equal(l.row.event, "CANCEL");
            assert_string_equal(l.row.reason, "customer asked");
            assert_string_equal(l.row.source_file, "cancel.csv");
            assert_int_equal(l.row.source_line, 7);
            /* A debit that never left posts nothing when cancelled. */
            assert_int_equal(ledger_rows(fx), ledger);
        } else {
            expect_illegal(fx, t.id, PS_EV_CANCEL, 0);
        }
    }
}

/* A cancelled EWA disbursement unwinds its creation postings. */
static void test_cancel_unwinds_disbursement(void **state)
{
    struct fixture *fx = *state;
    struct ps_txn t;
    struct ps_err err;
    int64_t fee = 0, rcv = 0;
    ps_err_clear(&err);
    fill_txn(fx, &t, PS_TXN_SEND, PS_PURPOSE_EWA_DISBURSEMENT, &fx->card);
    assert_int_equal(ps_engine_txn_create(fx->eng, &t, NULL, &err), 0);
    /* Creation: receivable A + F, fee income -F. */
    assert_int_equal(ps_store_ledger_kind_balance(fx->eng->store, fx->biz.id,
                                                  PS_LEDGER_FEE_INCOME, "USD",
                                                  &fee, &err),
                     0);
    assert_int_equal(fee, -t.fee);
    assert_int_equal(ps_store_ledger_kind_balance(fx->eng->store, fx->biz.id,
                                                  PS_LEDGER_EWA_RECEIVABLE,
                                                  "USD", &rcv, &err),
                     0);
    assert_int_equal(rcv, t.amount + t.fee);
    apply_ok(fx, t.id, PS_EV_CANCEL, 0, PS_TXN_CANCELLED, NULL);
    assert_int_equal(ps_store_ledger_kind_balance(fx->eng->store, fx->biz.id,
                                                  PS_LEDGER_FEE_INCOME, "USD",
                                                  &fee, &err),
                     0);
    assert_int_equal(fee, 0);
    assert_int_equal(ps_store_ledger_kind_balance(fx->eng->store, fx->biz.id,
                                                  PS_LEDGER_EWA_RECEIVABLE,
                                                  "USD", &rcv, &err),
                     0);
    assert_int_equal(rcv, 0);
    assert_int_equal(ps_ledger_check(fx->eng->store, NULL, &err), 0);
}

/* ------------------------------------------------------------------ */
/* Retry policy                                                        */
/* ------------------------------------------------------------------ */

static void test_retry_default_policy(void **state)
{
    struct fixture *fx = *state;
    struct ps_txn t, out;
    new_txn(fx, PS_TXN_SEND, 1, &t);
    apply_ok(fx, t.id, PS_EV_SUBMIT, 0, PS_TXN_PENDING, NULL);
    /* PS_TXN_MAX_ATTEMPTS (3) provider attempts: the first two errors
     * send it back to PENDING for a resend, the third is final. */
    for (int attempt = 1; attempt <= PS_TXN_MAX_ATTEMPTS; attempt++) {
        apply_ok(fx, t.id, PS_EV_TRANSMIT, 0, PS_TXN_PROCESSING, &out);
        assert_int_equal(out.attempts, attempt);
        enum ps_txn_status want =
            attempt < PS_TXN_MAX_ATTEMPTS ? PS_TXN_PENDING : PS_TXN_ERROR;
        apply_ok(fx, t.id, PS_EV_PROVIDER_ERROR, 0, want, &out);
        assert_int_equal(out.attempts, attempt);
    }
    assert_int_equal(status_of(fx, t.id), PS_TXN_ERROR);
    /* CREATE, SUBMIT, then 3 x (TRANSMIT, PROVIDER_ERROR). */
    assert_int_equal(history_rows(fx, t.id), 2 + 2 * PS_TXN_MAX_ATTEMPTS);
    /* ERROR is final: no more transmits. */
    expect_illegal(fx, t.id, PS_EV_TRANSMIT, 0);
    expect_illegal(fx, t.id, PS_EV_PROVIDER_ERROR, 0);
}

static void test_retry_custom_policy(void **state)
{
    struct fixture *fx = *state;
    for (int max = 1; max <= 5; max++) {
        struct ps_txn t, out;
        new_txn(fx, PS_TXN_DEBIT, max, &t);
        apply_ok(fx, t.id, PS_EV_SUBMIT, max, PS_TXN_PENDING, NULL);
        for (int attempt = 1; attempt <= max; attempt++) {
            apply_ok(fx, t.id, PS_EV_TRANSMIT, max, PS_TXN_PROCESSING, &out);
            assert_int_equal(out.attempts, attempt);
            apply_ok(fx, t.id, PS_EV_PROVIDER_ERROR, max,
                     attempt < max ? PS_TXN_PENDING : PS_TXN_ERROR, NULL);
        }
        assert_int_equal(status_of(fx, t.id), PS_TXN_ERROR);
    }
    /* A later success after a retry is a normal settlement. */
    struct ps_txn t;
    new_txn(fx, PS_TXN_DEBIT, 0, &t);
    apply_ok(fx, t.id, PS_EV_SUBMIT, 2, PS_TXN_PENDING, NULL);
    apply_ok(fx, t.id, PS_EV_TRANSMIT, 2, PS_TXN_PROCESSING, NULL);
    apply_ok(fx, t.id, PS_EV_PROVIDER_ERROR, 2, PS_TXN_PENDING, NULL);
    apply_ok(fx, t.id, PS_EV_TRANSMIT, 2, PS_TXN_PROCESSING, NULL);
    apply_ok(fx, t.id, PS_EV_SETTLE, 2, PS_TXN_SETTLED, NULL);
    apply_ok(fx, t.id, PS_EV_CLEAR, 2, PS_TXN_CLEARED, NULL);
}

/* The guard alone: attempts against max, in the pure function. */
static void test_retry_next_pure(void **state)
{
    (void)state;
    struct ps_txn t;
    memset(&t, 0, sizeof(t));
    t.type = PS_TXN_SEND;
    t.status = PS_TXN_PROCESSING;
    for (int max = 1; max <= 4; max++)
        for (int attempts = 0; attempts <= 5; attempts++) {
            enum ps_txn_status next;
            t.attempts = attempts;
            assert_int_equal(
                ps_txn_next(&t, PS_EV_PROVIDER_ERROR, max, &next, NULL), 0);
            assert_int_equal(next,
                             attempts < max ? PS_TXN_PENDING : PS_TXN_ERROR);
        }
    /* max_attempts <= 0 means the default. */
    enum ps_txn_status next;
    t.attempts = PS_TXN_MAX_ATTEMPTS - 1;
    assert_int_equal(ps_txn_next(&t, PS_EV_PROVIDER_ERROR, 0, &next, NULL), 0);
    assert_int_equal(next, PS_TXN_PENDING);
    t.attempts = PS_TXN_MAX_ATTEMPTS;
    assert_int_equal(ps_txn_next(&t, PS_EV_PROVIDER_ERROR, -1, &next, NULL), 0);
    assert_int_equal(next, PS_TXN_ERROR);
}

/* ------------------------------------------------------------------ */
/* Creation rules                                                      */
/* ------------------------------------------------------------------ */

static void test_duplicate_request(void **state)
{
    struct fixture *fx = *state;
    struct ps_txn t, dup;
    struct ps_err err;
    ps_err_clear(&err);
    fill_txn(fx, &t, PS_TXN_SEND, PS_PURPOSE_PAYMENT, &fx->card);
    ps_strlcpy(t.request_id, "payroll-2026-11-20-0001", sizeof(t.request_id));
    assert_int_equal(ps_engine_txn_create(fx->eng, &t, NULL, &err), 0);
    int64_t txns = txn_rows(fx);
    int64_t ledger = ledger_rows(fx);
    int64_t hist =
        count_rows(fx, "SELECT count(*) FROM transaction_history", NULL);

    /* Same request id, same business, even with different content. */
    fill_txn(fx, &dup, PS_TXN_DEBIT, PS_PURPOSE_PAYMENT, &fx->bank);
    ps_strlcpy(dup.request_id, t.request_id, sizeof(dup.request_id));
    memset(dup.id, 0, sizeof(dup.id));
    assert_int_equal(ps_engine_txn_create(fx->eng, &dup, NULL, &err),
                     PS_ECONFLICT);
    assert_int_equal(err.code, PS_ECONFLICT);
    assert_string_equal(err.rule, "DUPLICATE_REQUEST");
    assert_non_null(strstr(err.msg, t.request_id));
    assert_string_equal(dup.id, ""); /* not written on failure */
    assert_int_equal(txn_rows(fx), txns);
    assert_int_equal(ledger_rows(fx), ledger);
    assert_int_equal(
        count_rows(fx, "SELECT count(*) FROM transaction_history", NULL), hist);

    /* The original is untouched and still found by its request id. */
    struct ps_txn found;
    assert_int_equal(ps_store_txn_get_request(fx->eng->store, fx->biz.id,
                                              t.request_id, &found, &err),
                     0);
    assert_string_equal(found.id, t.id);
    assert_int_equal(found.type, PS_TXN_SEND);

    /* Request ids are per business. */
    struct ps_customer c2;
    struct ps_account card2;
    make_customer(fx, &fx->biz2, "emp-1", &c2);
    assert_int_equal(ps_account_add_card(fx->eng, c2.id, "Visa",
                                         "4111111111111111", &card2, &err),
                     0);
    struct ps_txn other;
    fill_txn(fx, &other, PS_TXN_SEND, PS_PURPOSE_PAYMENT, &card2);
    ps_strlcpy(other.business_id, fx->biz2.id, sizeof(other.business_id));
    ps_strlcpy(other.customer_id, c2.id, sizeof(other.customer_id));
    ps_strlcpy(other.request_id, t.request_id, sizeof(other.request_id));
    assert_int_equal(ps_engine_txn_create(fx->eng, &other, NULL, &err), 0);

    /* No request id at all is not a duplicate of another without one. */
    for (int i = 0; i < 2; i++) {
        struct ps_txn anon;
        fill_txn(fx, &anon, PS_TXN_SEND, PS_PURPOSE_PAYMENT, &fx->card);
        anon.request_id[0] = '\0';
        assert_int_equal(ps_engine_txn_create(fx->eng, &anon, NULL, &err), 0);
    }
}

static void test_debit_needs_authorization(void **state)
{
    struct fixture *fx = *state;
    struct ps_txn t;
    struct ps_err err;
    ps_err_clear(&err);
    int64_t txns = txn_rows(fx);

    fill_txn(fx, &t, PS_TXN_DEBIT, PS_PURPOSE_PAYMENT, &fx->bank_noauth);
    assert_int_equal(ps_engine_txn_create(fx->eng, &t, NULL, &err), PS_EINVAL);
    assert_string_equal(err.rule, "NO_DEBIT_AUTHORIZATION");
    assert_int_equal(txn_rows(fx), txns);

    /* A SEND to the same account needs no authorization. */
    fill_txn(fx, &t, PS_TXN_SEND, PS_PURPOSE_PAYMENT, &fx->bank_noauth);
    assert_int_equal(ps_engine_txn_create(fx->eng, &t, NULL, &err), 0);
    assert_int_equal(t.rail, PS_RAIL_ACH);

    /* A card cannot be debited at all. */
    fill_txn(fx, &t, PS_TXN_DEBIT, PS_PURPOSE_EWA_RECOVERY, &fx->card);
    assert_int_equal(ps_engine_txn_create(fx->eng, &t, NULL, &err), PS_EINVAL);
    assert_string_equal(err.rule, "DEBIT_NEEDS_BANK_ACCOUNT");

    /* Authorized: fine, rail ACH. */
    fill_txn(fx, &t, PS_TXN_DEBIT, PS_PURPOSE_EWA_RECOVERY, &fx->bank);
    assert_int_equal(ps_engine_txn_create(fx->eng, &t, NULL, &err), 0);
    assert_int_equal(t.rail, PS_RAIL_ACH);

    /* Revoked: refused again. */
    char now[PS_TIME_SIZE];
    assert_int_equal(ps_store_debit_auth_revoke(fx->eng->store, fx->bank.id,
                                                "customer revoked",
                                                ps_time_now(now), &err),
                     0);
    txns = txn_rows(fx);
    fill_txn(fx, &t, PS_TXN_DEBIT, PS_PURPOSE_EWA_RECOVERY, &fx->bank);
    assert_int_equal(ps_engine_txn_create(fx->eng, &t, NULL, &err), PS_EINVAL);
    assert_string_equal(err.rule, "NO_DEBIT_AUTHORIZATION");
    assert_int_equal(txn_rows(fx), txns);

    /* A new authorization restores it. */
    assert_int_equal(ps_account_authorize_debit(fx->eng, fx->bank.id,
                                                PS_AUTH_WEB, "auth-2", &err),
                     0);
    fill_txn(fx, &t, PS_TXN_DEBIT, PS_PURPOSE_EWA_RECOVERY, &fx->bank);
    assert_int_equal(ps_engine_txn_create(fx->eng, &t, NULL, &err), 0);
}

static void test_suspended_refused(void **state)
{
    struct fixture *fx = *state;
    struct ps_txn t;
    struct ps_err err;
    struct ps_source src = {"fraud review", NULL, 0};
    ps_err_clear(&err);
    int64_t txns = txn_rows(fx);

    assert_int_equal(ps_customer_set_status(fx->eng, fx->cust.id,
                                            PS_STATUS_SUSPENDED, &src, &err),
                     0);
    for (int ty = 0; ty < PS_TXN_TYPE_N; ty++) {
        fill_txn(fx, &t, (enum ps_txn_type)ty, PS_PURPOSE_PAYMENT, &fx->bank);
        assert_int_equal(ps_engine_txn_create(fx->eng, &t, NULL, &err),
                         PS_EINVAL);
        assert_string_equal(err.rule, "CUSTOMER_SUSPENDED");
    }
    assert_int_equal(txn_rows(fx), txns);
    assert_int_equal(ps_customer_set_status(fx->eng, fx->cust.id,
                                            PS_STATUS_ACTIVE, &src, &err),
                     0);

    assert_int_equal(ps_account_set_status(fx->eng, fx->bank.id,
                                           PS_STATUS_SUSPENDED, &src, &err),
                     0);
    for (int ty = 0; ty < PS_TXN_TYPE_N; ty++) {
        fill_txn(fx, &t, (enum ps_txn_type)ty, PS_PURPOSE_PAYMENT, &fx->bank);
        assert_int_equal(ps_engine_txn_create(fx->eng, &t, NULL, &err),
                         PS_EINVAL);
        assert_string_equal(err.rule, "ACCOUNT_SUSPENDED");
    }
    assert_int_equal(txn_rows(fx), txns);
    /* Another account of the same customer still works. */
    fill_txn(fx, &t, PS_TXN_SEND, PS_PURPOSE_PAYMENT, &fx->card);
    assert_int_equal(ps_engine_txn_create(fx->eng, &t, NULL, &err), 0);
    assert_int_equal(t.rail, PS_RAIL_PUSH_TO_CARD);

    assert_int_equal(ps_account_set_status(fx->eng, fx->bank.id,
                                           PS_STATUS_ACTIVE, &src, &err),
                     0);
    fill_txn(fx, &t, PS_TXN_DEBIT, PS_PURPOSE_PAYMENT, &fx->bank);
    assert_int_equal(ps_engine_txn_create(fx->eng, &t, NULL, &err), 0);
}

/* Another business's account is not found from here; bad amounts. */
static void test_create_validation(void **state)
{
    struct fixture *fx = *state;
    struct ps_txn t;
    struct ps_err err;
    ps_err_clear(&err);
    int64_t txns = txn_rows(fx);

    fill_txn(fx, &t, PS_TXN_SEND, PS_PURPOSE_PAYMENT, &fx->card);
    ps_strlcpy(t.business_id, fx->biz2.id, sizeof(t.business_id));
    assert_int_equal(ps_engine_txn_create(fx->eng, &t, NULL, &err),
                     PS_ENOTFOUND);
    assert_string_equal(err.rule, "ACCOUNT_NOT_FOUND");

    fill_txn(fx, &t, PS_TXN_SEND, PS_PURPOSE_PAYMENT, &fx->card);
    t.amount = 0;
    assert_int_equal(ps_engine_txn_create(fx->eng, &t, NULL, &err), PS_EINVAL);
    assert_string_equal(err.rule, "AMOUNT_NOT_POSITIVE");

    fill_txn(fx, &t, PS_TXN_SEND, PS_PURPOSE_PAYMENT, &fx->card);
    t.fee = -1;
    assert_int_equal(ps_engine_txn_create(fx->eng, &t, NULL, &err), PS_EINVAL);
    assert_string_equal(err.rule, "FEE_NEGATIVE");

    fill_txn(fx, &t, PS_TXN_SEND, PS_PURPOSE_PAYMENT, &fx->card);
    ps_strlcpy(t.currency, "XXY", sizeof(t.currency));
    assert_true(ps_engine_txn_create(fx->eng, &t, NULL, &err) < 0);
    assert_string_equal(err.field, "currency");
    assert_int_equal(txn_rows(fx), txns);
}

/* Unknown events and unknown transactions change nothing. */
static void test_event_errors(void **state)
{
    struct fixture *fx = *state;
    struct ps_txn t;
    struct ps_err err;
    ps_err_clear(&err);
    new_txn(fx, PS_TXN_SEND, 0, &t);
    int64_t hist = history_rows(fx, t.id);
    assert_int_equal(
        ps_engine_txn_event(fx->eng, t.id, PS_EV_N, NULL, NULL, &err),
        PS_EINVAL);
    assert_string_equal(err.rule, "UNKNOWN_EVENT");
    assert_int_equal(ps_engine_txn_event(fx->eng, t.id, (enum ps_txn_event) - 1,
                                         NULL, NULL, &err),
                     PS_EINVAL);
    assert_int_equal(history_rows(fx, t.id), hist);
    assert_int_equal(status_of(fx, t.id), PS_TXN_NEW);

    assert_int_equal(ps_engine_txn_event(fx->eng,
                                         "00000000-0000-7000-8000-00000000dead",
                                         PS_EV_SUBMIT, NULL, NULL, &err),
                     PS_ENOTFOUND);

    /* Event names round-trip. */
    for (int ev = 0; ev < PS_EV_N; ev++)
        assert_int_equal(
            ps_txn_event_parse(ps_txn_event_name((enum ps_txn_event)ev)), ev);
    assert_int_equal(ps_txn_event_parse("submit"), -1);
    assert_int_equal(ps_txn_event_parse(NULL), -1);

    /* The store still works normally after the failures (no transaction
     * left open). */
    apply_ok(fx, t.id, PS_EV_SUBMIT, 0, PS_TXN_PENDING, NULL);
}

/* A trace number given with TRANSMIT is kept. */
static void test_trace_number(void **state)
{
    struct fixture *fx = *state;
    struct ps_txn t, out;
    struct ps_err err;
    ps_err_clear(&err);
    new_txn(fx, PS_TXN_DEBIT, 0, &t);
    apply_ok(fx, t.id, PS_EV_SUBMIT, 0, PS_TXN_PENDING, NULL);
    struct ps_txn_args args = {NULL, 0, "021000020000001", NULL};
    assert_int_equal(
        ps_engine_txn_event(fx->eng, t.id, PS_EV_TRANSMIT, &args, &out, &err),
        0);
    assert_string_equal(out.trace_number, "021000020000001");
    struct ps_txn again;
    assert_int_equal(ps_store_txn_get(fx->eng->store, t.id, &again, &err), 0);
    assert_string_equal(again.trace_number, "021000020000001");
}

/* Two changes at once (ps_engine_txn_changes, a payout's SUBMIT then
 * TRANSMIT): one row write to the last step's status, each step its own
 * history row and event; a step the table refuses refuses the whole
 * set before anything is written. */
static void test_changes_two_steps(void **state)
{
    struct fixture *fx = *state;
    static const enum ps_txn_event good[2] = {PS_EV_SUBMIT, PS_EV_TRANSMIT};
    static const enum ps_txn_event bad[2] = {PS_EV_SUBMIT, PS_EV_SETTLE};
    static const enum ps_txn_event three[3] = {PS_EV_SUBMIT, PS_EV_TRANSMIT,
                                               PS_EV_SETTLE};
    struct ps_txn t, keep, again;
    struct ps_err err;
    ps_err_clear(&err);
    new_txn(fx, PS_TXN_SEND, 0, &t);
    int64_t hist = history_rows(fx, t.id), ledger = ledger_rows(fx);
    const char *events_sql =
        "SELECT count(*) FROM event_outbox WHERE"
        " history_id IN (SELECT id FROM transaction_history WHERE txn_id = ?1)";
    int64_t events = count_rows(fx, events_sql, t.id);

    /* Refused at the second step: nothing written, the row in hand kept. */
    keep = t;
    assert_int_equal(ps_store_begin(fx->eng->store, &err), 0);
    assert_int_equal(ps_engine_txn_changes(fx->eng, &t, bad, 2, NULL, &err),
                     PS_ESTATE);
    assert_string_equal(err.rule, "ILLEGAL_TRANSITION");
    assert_int_equal(ps_engine_txn_changes(fx->eng, &t, three, 3, NULL, &err),
                     PS_EINTERNAL);
    assert_int_equal(ps_store_commit(fx->eng->store, &err), 0);
    assert_int_equal(t.status, PS_TXN_NEW);
    assert_int_equal(memcmp(&t, &keep, sizeof(t)), 0);
    assert_int_equal(history_rows(fx, t.id), hist);
    assert_int_equal(count_rows(fx, events_sql, t.id), events);
    assert_int_equal(ledger_rows(fx), ledger);

    /* Both: PROCESSING, one attempt, two history rows in order. */
    ps_err_clear(&err);
    assert_int_equal(ps_store_begin(fx->eng->store, &err), 0);
    assert_int_equal(ps_engine_txn_changes(fx->eng, &t, good, 2, NULL, &err),
                     0);
    assert_int_equal(ps_store_commit(fx->eng->store, &err), 0);
    assert_int_equal(t.status, PS_TXN_PROCESSING);
    assert_int_equal(t.attempts, 1);
    assert_int_equal(ps_store_txn_get(fx->eng->store, t.id, &again, &err), 0);
    assert_int_equal(again.status, PS_TXN_PROCESSING);
    assert_int_equal(again.attempts, 1);
    assert_int_equal(history_rows(fx, t.id), hist + 2);
    assert_int_equal(count_rows(fx, events_sql, t.id), events + 2);
    assert_int_equal(
        count_rows(fx,
                   "SELECT count(*) FROM transaction_history WHERE txn_id = ?1"
                   " AND ((from_status = 'NEW' AND to_status = 'PENDING' AND"
                   " event = 'SUBMIT') OR (from_status = 'PENDING' AND"
                   " to_status = 'PROCESSING' AND event = 'TRANSMIT'))",
                   t.id),
        2);
    struct last_row l = last_history(fx, t.id);
    assert_string_equal(l.row.event, "TRANSMIT");
}

int main(void)
{
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_crypto_init(&err) != 0)
        return 1;
    /* Keep the test output readable: only errors from the engine. */
    ps_log_open(NULL, PS_LOG_ERROR, NULL);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_all_triples, setup, teardown),
        cmocka_unit_test(test_next_pure),
        cmocka_unit_test_setup_teardown(test_terminal_reject_all, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cancel_only_new_or_pending, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cancel_unwinds_disbursement, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retry_default_policy, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retry_custom_policy, setup,
                                        teardown),
        cmocka_unit_test(test_retry_next_pure),
        cmocka_unit_test_setup_teardown(test_duplicate_request, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_debit_needs_authorization, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_suspended_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_create_validation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_event_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trace_number, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changes_two_steps, setup,
                                        teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    ps_log_close();
    return failed;
}
