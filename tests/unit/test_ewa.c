/*
 * test_ewa.c -- unit tests for ewa.c's EWA Profile and Disbursement object
 * (ps_ewa_show), driven through the engine API on a real SQLite store.
 *
 * The golden test builds a fixed scenario (business, USD program, Maria
 * Elena Gonzalez with a card, an ELIGIBLE profile and three disbursements,
 * one SETTLED) and compares ps_ewa_show's object with
 * fixtures/ewa/expected/ewa-show.json key by key: same keys in the same
 * order (the seed's order), same JSON type, same value.  Ids are random
 * UUID v7 and times come from the clock, so the golden file holds the
 * placeholders "<uuid>" (any canonical UUID) and "<date-time>" (any
 * RFC 3339 time in payspool's canonical form); the real ids are then
 * checked one by one against the rows the scenario created.
 *
 * Then the paging edge cases (empty, one full page, a last partial page,
 * past the end, bad page and size), unknown externalIds, per-business
 * isolation, which transactions count as payments, and nulls.
 *
 * Last, the eligibility table exhaustively: every (from, to) pair of the
 * six statuses against a table written out here, both the pure
 * ps_ewa_eligibility_allowed and ps_ewa_set_eligibility on the store
 * (status and history row, or ILLEGAL_ELIGIBILITY_CHANGE and nothing).
 *
 * The clock is frozen (PAYSPOOL_NOW) before any ps_* call; it advances
 * one millisecond per reading, so creation order is strict.  Each test
 * gets a fresh directory under $TMPDIR (or /tmp), removed after.
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

#include <jansson.h>

#include "base/clock.h"
#include "base/crypto.h"
#include "engine/engine.h"
#include "base/err.h"
#include "engine/ewa.h"
#include "base/id.h"
#include "base/log.h"
#include "base/model.h"
#include "store/store.h"
#include "testutil.h"
#include "engine/txn.h"

#define FROZEN_NOW "2026-11-20T22:00:00Z"
#define GOLDEN "/ewa/expected/ewa-show.json"
#define MAX_PAY 8

/* ------------------------------------------------------------------ */
/* Fixture                                                             */
/* ------------------------------------------------------------------ */

struct fixture {
    char dir[PATH_MAX];
    struct ps_engine *eng;
    struct ps_business biz;
    struct ps_program prog;
    struct ps_customer cust;
    struct ps_account card;
    struct ps_profile prof;
    struct ps_txn pay[MAX_PAY]; /* in creation order */
    int npay;
    int seq; /* for unique request ids */
};

static void make_business(struct fixture *fx, const char *name,
                          const char *display, struct ps_business *out)
{
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_business_add(fx->eng, name, display, NULL, out, &err) != 0)
        fail_msg("ps_business_add: %s [%s]", err.msg, err.rule);
}

static void make_program(struct fixture *fx, const struct ps_business *b,
                         const char *name, struct ps_program *out)
{
    struct ps_err err;
    ps_err_clear(&err);
    memset(out, 0, sizeof(*out));
    ps_strlcpy(out->business_id, b->id, sizeof(out->business_id));
    ps_strlcpy(out->name, name, sizeof(out->name));
    ps_strlcpy(out->currency, "USD", sizeof(out->currency));
    out->advance_rate_bp = 5000;
    out->min_transfer = 1000;
    out->max_transfer = 50000;
    out->period_cap = 100000;
    out->max_outstanding = 100000;
    out->fee_card = 299;
    out->fee_ach = 0;
    out->debit_fallback = 1;
    out->max_debit_attempts = 2;
    out->bad_debt_after = 3;
    if (ps_program_add(fx->eng, out, &err) != 0)
        fail_msg("ps_program_add: %s [%s]", err.msg, err.rule);
}

/* An INDIVIDUAL customer; middle may be "" (none). */
static void make_customer(struct fixture *fx, const struct ps_business *b,
                          const char *external_id, const char *first,
                          const char *middle, const char *last,
                          struct ps_customer *out)
{
    struct ps_err err;
    ps_err_clear(&err);
    memset(out, 0, sizeof(*out));
    ps_strlcpy(out->business_id, b->id, sizeof(out->business_id));
    ps_strlcpy(out->external_id, external_id, sizeof(out->external_id));
    out->type = PS_CUSTOMER_INDIVIDUAL;
    ps_strlcpy(out->first_name, first, sizeof(out->first_name));
    ps_strlcpy(out->middle_name, middle, sizeof(out->middle_name));
    ps_strlcpy(out->last_name, last, sizeof(out->last_name));
    ps_strlcpy(out->email, "maria.gonzalez@example.com", sizeof(out->email));
    ps_strlcpy(out->phone, "+14155550123", sizeof(out->phone));
    if (ps_customer_create(fx->eng, out, NULL, 0, NULL, 0, NULL, &err) != 0)
        fail_msg("ps_customer_create: %s [%s]", err.msg, err.rule);
}

static void make_card(struct fixture *fx, const struct ps_customer *c,
                      struct ps_account *out)
{
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_account_add_card(fx->eng, c->id, "Visa debit", "4111111111111111",
                            out, &err) != 0)
        fail_msg("ps_account_add_card: %s [%s]", err.msg, err.rule);
}

/* Enroll from 2026-01-01 (end: "" for open-ended), then ELIGIBLE. */
static void make_profile(struct fixture *fx, const struct ps_business *b,
                         const char *external_id, const struct ps_customer *c,
                         const struct ps_account *a,
                         const struct ps_program *prog, const char *end,
                         struct ps_profile *out)
{
    struct ps_source src = {"payroll verified", NULL, 0};
    struct ps_err err;
    ps_err_clear(&err);
    memset(out, 0, sizeof(*out));
    ps_strlcpy(out->business_id, b->id, sizeof(out->business_id));
    ps_strlcpy(out->external_id, external_id, sizeof(out->external_id));
    ps_strlcpy(out->customer_id, c->id, sizeof(out->customer_id));
    ps_strlcpy(out->account_id, a->id, sizeof(out->account_id));
    ps_strlcpy(out->program_id, prog->id, sizeof(out->program_id));
    ps_strlcpy(out->enrollment_begin, "2026-01-01",
               sizeof(out->enrollment_begin));
    ps_strlcpy(out->enrollment_end, end, sizeof(out->enrollment_end));
    if (ps_ewa_enroll(fx->eng, out, NULL, &err) != 0)
        fail_msg("ps_ewa_enroll: %s [%s]", err.msg, err.rule);
    if (ps_ewa_set_eligibility(fx->eng, out->id, PS_ELIG_ELIGIBLE, &src,
                               &err) != 0)
        fail_msg("ps_ewa_set_eligibility: %s [%s]", err.msg, err.rule);
    /* Re-read: the eligibility change updated the row. */
    if (ps_store_profile_get(fx->eng->store, out->id, out, &err) != 0)
        fail_msg("ps_store_profile_get: %s [%s]", err.msg, err.rule);
}

/* A transaction of profile p (profile_id "" when p is NULL). */
static void make_txn(struct fixture *fx, const struct ps_profile *p,
                     const struct ps_customer *c, const char *account_id,
                     enum ps_txn_type type, enum ps_purpose purpose,
                     int64_t amount, int64_t fee, struct ps_txn *out)
{
    struct ps_txn t;
    struct ps_err err;
    ps_err_clear(&err);
    memset(&t, 0, sizeof(t));
    ps_strlcpy(t.business_id, c->business_id, sizeof(t.business_id));
    ps_strlcpy(t.customer_id, c->id, sizeof(t.customer_id));
    ps_strlcpy(t.account_id, account_id, sizeof(t.account_id));
    if (p != NULL)
        ps_strlcpy(t.profile_id, p->id, sizeof(t.profile_id));
    t.type = type;
    t.rail = type == PS_TXN_DEBIT ? PS_RAIL_ACH : PS_RAIL_PUSH_TO_CARD;
    t.purpose = purpose;
    t.amount = amount;
    t.fee = fee;
    ps_strlcpy(t.currency, "USD", sizeof(t.currency));
    snprintf(t.request_id, sizeof(t.request_id), "req-%d", ++fx->seq);
    if (ps_txn_create(fx->eng->store, &t, NULL, &err) != 0)
        fail_msg("ps_txn_create: %s [%s]", err.msg, err.rule);
    if (out != NULL)
        *out = t;
}

/* An EWA disbursement SEND to the fixture's profile, kept in fx->pay. */
static void add_disbursement(struct fixture *fx, int64_t amount)
{
    assert_true(fx->npay < MAX_PAY);
    make_txn(fx, &fx->prof, &fx->cust, fx->card.id, PS_TXN_SEND,
             PS_PURPOSE_EWA_DISBURSEMENT, amount, fx->prog.fee_card,
             &fx->pay[fx->npay]);
    fx->npay++;
}

static void apply(struct fixture *fx, const char *txn_id, enum ps_txn_event ev)
{
    struct ps_source src = {"test", NULL, 0};
    struct ps_txn_args args = {&src, 0, NULL, NULL};
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_engine_txn_event(fx->eng, txn_id, ev, &args, NULL, &err) != 0)
        fail_msg("ps_engine_txn_event %s: %s [%s]", ps_txn_event_name(ev),
                 err.msg, err.rule);
}

/* Business acme, program "Early Pay", Maria with a card, profile
 * EMP-0001 ELIGIBLE, no payments. */
static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    if (fx == NULL ||
        ps_test_tmpdir(fx->dir, sizeof(fx->dir), "test_ewa") != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    fx->eng = ps_test_engine_open(fx->dir);
    make_business(fx, "acme", "Acme Payroll", &fx->biz);
    make_program(fx, &fx->biz, "Early Pay", &fx->prog);
    make_customer(fx, &fx->biz, "CUST-0001", "Maria", "Elena", "Gonzalez",
                  &fx->cust);
    make_card(fx, &fx->cust, &fx->card);
    make_profile(fx, &fx->biz, "EMP-0001", &fx->cust, &fx->card, &fx->prog, "",
                 &fx->prof);
    return 0;
}

/* setup, plus the golden scenario's payments: 50.00 (then SETTLED), 20.00
 * and 12.34, each with the 2.99 card fee. */
static int setup_golden(void **state)
{
    int rc = setup(state);
    struct fixture *fx = *state;
    if (rc != 0)
        return rc;
    add_disbursement(fx, 5000);
    add_disbursement(fx, 2000);
    add_disbursement(fx, 1234);
    apply(fx, fx->pay[0].id, PS_EV_SUBMIT);
    apply(fx, fx->pay[0].id, PS_EV_TRANSMIT);
    apply(fx, fx->pay[0].id, PS_EV_SETTLE);
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    ps_engine_close(fx->eng);
    int rc = ps_test_rmtree(fx->dir);
    free(fx);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* ps_ewa_show that must succeed; the caller decrefs. */
static json_t *show(struct fixture *fx, const char *business_id,
                    const char *external_id, int page, int size)
{
    json_t *o = NULL;
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_ewa_show(fx->eng, business_id, external_id, page, size, &o, &err) !=
        0)
        fail_msg("ps_ewa_show(%s, %d, %d): %s [%s]", external_id, page, size,
                 err.msg, err.rule);
    assert_non_null(o);
    assert_true(json_is_object(o));
    return o;
}

/* ps_ewa_show that must fail with code and rule, leaving *out alone. */
static void show_fails(struct fixture *fx, const char *business_id,
                       const char *external_id, int page, int size, int code,
                       const char *rule)
{
    json_t *sentinel = json_null(); /* a singleton: never freed */
    json_t *o = sentinel;
    struct ps_err err;
    ps_err_clear(&err);
    assert_int_equal(
        ps_ewa_show(fx->eng, business_id, external_id, page, size, &o, &err),
        code);
    assert_int_equal(err.code, code);
    assert_string_equal(err.rule, rule);
    assert_true(err.msg[0] != '\0');
    assert_ptr_equal(o, sentinel);
}

static const json_t *member(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL)
        fail_msg("missing key %s", key);
    return v;
}

static const char *str_member(const json_t *o, const char *key)
{
    const json_t *v = member(o, key);
    if (!json_is_string(v))
        fail_msg("%s is not a JSON string", key);
    return json_string_value(v);
}

static json_int_t int_member(const json_t *o, const char *key)
{
    const json_t *v = member(o, key);
    if (!json_is_integer(v))
        fail_msg("%s is not a JSON integer", key);
    return json_integer_value(v);
}

static int bool_member(const json_t *o, const char *key)
{
    const json_t *v = member(o, key);
    if (!json_is_boolean(v))
        fail_msg("%s is not a JSON boolean", key);
    return json_is_true(v);
}

/* 1 if s is a decimal amount with exactly two fraction digits. */
static int is_decimal2(const char *s)
{
    size_t i = 0, n = strlen(s);
    if (n > 0 && s[0] == '-')
        i = 1;
    if (n < i + 4 || s[n - 3] != '.')
        return 0;
    for (; i < n; i++)
        if (i != n - 3 && (s[i] < '0' || s[i] > '9'))
            return 0;
    return 1;
}

/*
 * 1 if s is a time in payspool's canonical RFC 3339 form: ps_time_parse
 * accepts it and ps_time_format gives it back unchanged.
 */
static int is_canonical_time(const char *s, int64_t *ms)
{
    char buf[PS_TIME_SIZE];
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_time_parse(s, ms, &err) != 0)
        return 0;
    return strcmp(ps_time_format(*ms, buf), s) == 0;
}

/* Times the frozen clock produced: at or after PAYSPOOL_NOW, and close to
 * it (each reading advances 1 ms; a whole run takes a few thousand). */
static void assert_clock_time(const char *s)
{
    int64_t ms, base;
    struct ps_err err;
    ps_err_clear(&err);
    if (!is_canonical_time(s, &ms))
        fail_msg("not a canonical RFC 3339 time: %s", s);
    assert_int_equal(ps_time_parse(FROZEN_NOW, &base, &err), 0);
    assert_true(ms >= base);
    assert_true(ms < base + 3600 * 1000);
}

/* The payment page's counters, and that each is the right JSON type. */
static void assert_page(const json_t *o, json_int_t total, json_int_t pages,
                        json_int_t number, json_int_t n, int has_next)
{
    const json_t *pay = member(o, "payment");
    assert_true(json_is_object(pay));
    assert_int_equal(int_member(pay, "totalElements"), total);
    assert_int_equal(int_member(pay, "totalPages"), pages);
    assert_int_equal(int_member(pay, "number"), number);
    assert_int_equal(int_member(pay, "numberOfElements"), n);
    assert_int_equal(bool_member(pay, "hasNext"), has_next);
    const json_t *content = member(pay, "content");
    assert_true(json_is_array(content));
    assert_int_equal(json_array_size(content), (size_t)n);
}

/* content[i].transactionId, for i in [0, n). */
static const char *content_id(const json_t *o, size_t i)
{
    const json_t *c = json_object_get(json_object_get(o, "payment"), "content");
    const json_t *item = json_array_get(c, i);
    assert_non_null(item);
    return str_member(item, "transactionId");
}

/* ------------------------------------------------------------------ */
/* The golden comparator                                               */
/* ------------------------------------------------------------------ */

struct mismatch {
    char path[256]; /* "$.payment.content[0].amount" */
    char why[256];
};

static int mismatch_at(struct mismatch *m, const char *path, const char *fmt,
                       ...) __attribute__((format(printf, 3, 4)));

static int mismatch_at(struct mismatch *m, const char *path, const char *fmt,
                       ...)
{
    va_list ap;
    ps_strlcpy(m->path, path, sizeof(m->path));
    va_start(ap, fmt);
    vsnprintf(m->why, sizeof(m->why), fmt, ap);
    va_end(ap);
    return 0;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "real";
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

/*
 * 1 when act matches the golden exp: objects have the same keys in the
 * same order (jansson keeps insertion order, also when decoding a file),
 * arrays the same length, leaves the same type and value.  The golden
 * strings "<uuid>" and "<date-time>" match any canonical UUID and any
 * canonical RFC 3339 time.  On a mismatch fills *m and returns 0.
 */
static int json_match(const json_t *exp, const json_t *act, const char *path,
                      struct mismatch *m)
{
    char sub[256];
    int64_t ms;

    if (json_is_string(exp) && strcmp(json_string_value(exp), "<uuid>") == 0) {
        if (!json_is_string(act) || !ps_id_valid(json_string_value(act)))
            return mismatch_at(m, path, "expected a UUID string");
        return 1;
    }
    if (json_is_string(exp) &&
        strcmp(json_string_value(exp), "<date-time>") == 0) {
        if (!json_is_string(act) ||
            !is_canonical_time(json_string_value(act), &ms))
            return mismatch_at(m, path, "expected an RFC 3339 time string");
        return 1;
    }
    /* true and false are distinct types: this also compares booleans. */
    if (json_typeof(exp) != json_typeof(act))
        return mismatch_at(m, path, "expected %s, got %s", type_name(exp),
                           type_name(act));
    switch (json_typeof(exp)) {
    case JSON_OBJECT: {
        void *ie = json_object_iter((json_t *)exp);
        void *ia = json_object_iter((json_t *)act);
        for (; ie != NULL; ie = json_object_iter_next((json_t *)exp, ie),
                           ia = json_object_iter_next((json_t *)act, ia)) {
            const char *k = json_object_iter_key(ie);
            if (ia == NULL)
                return mismatch_at(m, path, "missing key %s", k);
            if (strcmp(k, json_object_iter_key(ia)) != 0)
                return mismatch_at(m, path, "expected key %s, got %s", k,
                                   json_object_iter_key(ia));
            if (snprintf(sub, sizeof(sub), "%s.%s", path, k) >=
                (int)sizeof(sub))
                return mismatch_at(m, path, "path too long");
            if (!json_match(json_object_iter_value(ie),
                            json_object_iter_value(ia), sub, m))
                return 0;
        }
        if (ia != NULL)
            return mismatch_at(m, path, "unexpected key %s",
                               json_object_iter_key(ia));
        return 1;
    }
    case JSON_ARRAY:
        if (json_array_size(exp) != json_array_size(act))
            return mismatch_at(m, path, "expected %zu elements, got %zu",
                               json_array_size(exp), json_array_size(act));
        for (size_t i = 0; i < json_array_size(exp); i++) {
            if (snprintf(sub, sizeof(sub), "%s[%zu]", path, i) >=
                (int)sizeof(sub))
                return mismatch_at(m, path, "path too long");
            if (!json_match(json_array_get(exp, i), json_array_get(act, i), sub,
                            m))
                return 0;
        }
        return 1;
    case JSON_STRING:
        if (strcmp(json_string_value(exp), json_string_value(act)) != 0)
            return mismatch_at(m, path, "expected \"%s\", got \"%s\"",
                               json_string_value(exp), json_string_value(act));
        return 1;
    case JSON_INTEGER:
        if (json_integer_value(exp) != json_integer_value(act))
            return mismatch_at(
                m, path,
                "expected %" JSON_INTEGER_FORMAT ", got %" JSON_INTEGER_FORMAT,
                json_integer_value(exp), json_integer_value(act));
        return 1;
    case JSON_REAL:
        /* Money is never a JSON number; the golden file has no reals. */
        return mismatch_at(m, path, "unexpected real number");
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL:
        return 1;
    }
    return mismatch_at(m, path, "unknown JSON type");
}

static json_t *load_golden(void)
{
    const char *dir = getenv("PS_FIXTURES");
    char path[PATH_MAX];
    json_error_t jerr;
    json_t *g;
    if (dir == NULL || dir[0] == '\0')
        dir = PS_SOURCE_DIR "/fixtures";
    if (snprintf(path, sizeof(path), "%s" GOLDEN, dir) >= (int)sizeof(path))
        fail_msg("fixture path too long");
    g = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (g == NULL)
        fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
    return g;
}

/* ------------------------------------------------------------------ */
/* Tests: the comparator itself                                        */
/* ------------------------------------------------------------------ */

/* The comparator must not be vacuous: order, type, value, placeholders. */
static void test_comparator(void **state)
{
    struct mismatch m;
    json_t *e, *a;
    (void)state;

    e = json_pack("{s:s, s:i, s:b}", "a", "<uuid>", "b", 1, "c", 1);
    a = json_pack("{s:s, s:i, s:b}", "a",
                  "0190f4a2-5c3e-7abc-8def-0123456789ab", "b", 1, "c", 1);
    assert_true(json_match(e, a, "$", &m));
    json_decref(a);

    /* same keys, other order */
    a = json_pack("{s:i, s:s, s:b}", "b", 1, "a",
                  "0190f4a2-5c3e-7abc-8def-0123456789ab", "c", 1);
    assert_false(json_match(e, a, "$", &m));
    assert_string_equal(m.path, "$");
    json_decref(a);

    /* integer as a string, boolean as an integer, false for true */
    a = json_pack("{s:s, s:s, s:b}", "a",
                  "0190f4a2-5c3e-7abc-8def-0123456789ab", "b", "1", "c", 1);
    assert_false(json_match(e, a, "$", &m));
    assert_string_equal(m.path, "$.b");
    json_decref(a);
    a = json_pack("{s:s, s:i, s:i}", "a",
                  "0190f4a2-5c3e-7abc-8def-0123456789ab", "b", 1, "c", 1);
    assert_false(json_match(e, a, "$", &m));
    json_decref(a);
    a = json_pack("{s:s, s:i, s:b}", "a",
                  "0190f4a2-5c3e-7abc-8def-0123456789ab", "b", 1, "c", 0);
    assert_false(json_match(e, a, "$", &m));
    assert_string_equal(m.path, "$.c");
    json_decref(a);

    /* not a UUID; a key too many; a key missing */
    a = json_pack("{s:s, s:i, s:b}", "a", "not-a-uuid", "b", 1, "c", 1);
    assert_false(json_match(e, a, "$", &m));
    json_decref(a);
    a = json_pack("{s:s, s:i, s:b, s:n}", "a",
                  "0190f4a2-5c3e-7abc-8def-0123456789ab", "b", 1, "c", 1, "d");
    assert_false(json_match(e, a, "$", &m));
    json_decref(a);
    a = json_pack("{s:s, s:i}", "a", "0190f4a2-5c3e-7abc-8def-0123456789ab",
                  "b", 1);
    assert_false(json_match(e, a, "$", &m));
    json_decref(a);
    json_decref(e);

    /* <date-time>: canonical RFC 3339 only */
    e = json_pack("[s]", "<date-time>");
    a = json_pack("[s]", "2026-11-20T22:00:00.000Z");
    assert_true(json_match(e, a, "$", &m));
    json_decref(a);
    a = json_pack("[s]", "2026-11-20");
    assert_false(json_match(e, a, "$", &m));
    assert_string_equal(m.path, "$[0]");
    json_decref(a);
    a = json_pack("[s]", "yesterday");
    assert_false(json_match(e, a, "$", &m));
    json_decref(a);
    json_decref(e);

    /* The golden file keeps the seed's key order when loaded. */
    e = load_golden();
    void *it = json_object_iter(e);
    assert_string_equal(json_object_iter_key(it), "id");
    it = json_object_iter_next(e, it);
    assert_string_equal(json_object_iter_key(it), "externalId");
    json_decref(e);
}

/* ------------------------------------------------------------------ */
/* Tests: the golden object                                            */
/* ------------------------------------------------------------------ */

static void test_show_golden(void **state)
{
    struct fixture *fx = *state;
    struct mismatch m;
    json_t *golden = load_golden();
    json_t *o = show(fx, fx->biz.id, "EMP-0001", 0, 20);

    memset(&m, 0, sizeof(m));
    if (!json_match(golden, o, "$", &m)) {
        char *dump = json_dumps(o, JSON_INDENT(2));
        print_error("actual object:\n%s\n", dump != NULL ? dump : "?");
        free(dump);
        json_decref(golden);
        json_decref(o);
        fail_msg("ewa-show.json mismatch at %s: %s", m.path, m.why);
    }
    json_decref(golden);
    json_decref(o);
}

/* The placeholders of the golden file, checked against the real rows. */
static void test_show_ids_and_types(void **state)
{
    struct fixture *fx = *state;
    json_t *o = show(fx, fx->biz.id, "EMP-0001", 0, 20);
    const json_t *elig = member(o, "latestEligibilityStatus");
    const json_t *content = member(member(o, "payment"), "content");
    const char *prev = NULL;

    assert_string_equal(str_member(o, "id"), fx->prof.id);
    assert_string_equal(str_member(o, "customerId"), fx->cust.id);
    assert_string_equal(str_member(o, "financialAccountId"), fx->card.id);
    assert_string_equal(str_member(o, "programId"), fx->prog.id);
    assert_string_equal(str_member(o, "programName"), fx->prog.name);
    assert_string_equal(str_member(elig, "id"), fx->prof.eligibility_id);
    assert_string_equal(str_member(elig, "createdAt"), fx->prof.eligibility_at);
    assert_clock_time(str_member(elig, "createdAt"));
    assert_string_equal(str_member(o, "enrollmentBegin"),
                        "2026-01-01T00:00:00.000Z");
    assert_true(json_is_null(member(o, "enrollmentEnd")));
    assert_string_equal(str_member(o, "amountToRecover"), "0.00");
    assert_true(is_decimal2(str_member(o, "amountToRecover")));

    /* newest first: content[i] is pay[2 - i] */
    assert_page(o, 3, 1, 0, 3, 0);
    for (size_t i = 0; i < 3; i++) {
        const json_t *item = json_array_get(content, i);
        const struct ps_txn *t = &fx->pay[2 - i];
        const char *at = str_member(item, "createdAt");
        assert_string_equal(str_member(item, "transactionId"), t->id);
        assert_string_equal(at, t->created_at);
        assert_clock_time(at);
        if (prev != NULL)
            assert_true(strcmp(prev, at) > 0);
        prev = at;
        assert_true(is_decimal2(str_member(item, "amount")));
        assert_string_equal(str_member(item, "transactionType"), "SEND");
        assert_string_equal(str_member(item, "currency"), "USD");
        assert_true(json_is_object(member(item, "latestStatus")));
    }
    assert_string_equal(
        str_member(member(json_array_get(content, 2), "latestStatus"),
                   "status"),
        "SETTLED");
    assert_string_equal(str_member(json_array_get(content, 2), "amount"),
                        "50.00");
    json_decref(o);
}

/* ------------------------------------------------------------------ */
/* Tests: paging                                                       */
/* ------------------------------------------------------------------ */

static void test_page_empty(void **state)
{
    struct fixture *fx = *state;
    json_t *o = show(fx, fx->biz.id, "EMP-0001", 0, 20);
    assert_page(o, 0, 0, 0, 0, 0);
    json_decref(o);
    /* page 1 of nothing is just as empty */
    o = show(fx, fx->biz.id, "EMP-0001", 1, 20);
    assert_page(o, 0, 0, 1, 0, 0);
    json_decref(o);
}

static void test_page_exactly_full(void **state)
{
    struct fixture *fx = *state;
    for (int i = 0; i < 5; i++)
        add_disbursement(fx, 1000 + i);
    json_t *o = show(fx, fx->biz.id, "EMP-0001", 0, 5);
    assert_page(o, 5, 1, 0, 5, 0);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(content_id(o, i), fx->pay[4 - i].id);
    json_decref(o);
    o = show(fx, fx->biz.id, "EMP-0001", 1, 5);
    assert_page(o, 5, 1, 1, 0, 0);
    json_decref(o);
}

static void test_page_last_partial(void **state)
{
    struct fixture *fx = *state;
    for (int i = 0; i < 7; i++)
        add_disbursement(fx, 1000 + i);

    json_t *o = show(fx, fx->biz.id, "EMP-0001", 0, 5);
    assert_page(o, 7, 2, 0, 5, 1);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(content_id(o, i), fx->pay[6 - i].id);
    json_decref(o);

    o = show(fx, fx->biz.id, "EMP-0001", 1, 5);
    assert_page(o, 7, 2, 1, 2, 0);
    assert_string_equal(content_id(o, 0), fx->pay[1].id);
    assert_string_equal(content_id(o, 1), fx->pay[0].id);
    json_decref(o);

    /* the page size boundaries are accepted */
    o = show(fx, fx->biz.id, "EMP-0001", 6, 1);
    assert_page(o, 7, 7, 6, 1, 0);
    assert_string_equal(content_id(o, 0), fx->pay[0].id);
    json_decref(o);
    o = show(fx, fx->biz.id, "EMP-0001", 5, 1);
    assert_page(o, 7, 7, 5, 1, 1);
    json_decref(o);
    o = show(fx, fx->biz.id, "EMP-0001", 0, 1000);
    assert_page(o, 7, 1, 0, 7, 0);
    json_decref(o);
}

static void test_page_past_end(void **state)
{
    struct fixture *fx = *state;
    for (int i = 0; i < 7; i++)
        add_disbursement(fx, 1000 + i);
    json_t *o = show(fx, fx->biz.id, "EMP-0001", 3, 5);
    assert_page(o, 7, 2, 3, 0, 0);
    /* the rest of the object is still there */
    assert_string_equal(str_member(o, "externalId"), "EMP-0001");
    json_decref(o);
    o = show(fx, fx->biz.id, "EMP-0001", 2, 5);
    assert_page(o, 7, 2, 2, 0, 0);
    json_decref(o);
}

static void test_page_invalid(void **state)
{
    struct fixture *fx = *state;
    show_fails(fx, fx->biz.id, "EMP-0001", -1, 20, PS_EINVAL, "PAGE_RANGE");
    show_fails(fx, fx->biz.id, "EMP-0001", INT_MIN, 20, PS_EINVAL,
               "PAGE_RANGE");
    show_fails(fx, fx->biz.id, "EMP-0001", 0, 0, PS_EINVAL, "PAGE_RANGE");
    show_fails(fx, fx->biz.id, "EMP-0001", 0, -5, PS_EINVAL, "PAGE_RANGE");
    show_fails(fx, fx->biz.id, "EMP-0001", 0, 1001, PS_EINVAL, "PAGE_RANGE");
    show_fails(fx, fx->biz.id, "EMP-0001", 0, INT_MAX, PS_EINVAL, "PAGE_RANGE");
    /* range is checked before the lookup */
    show_fails(fx, fx->biz.id, "NOBODY", -1, 20, PS_EINVAL, "PAGE_RANGE");
}

/* A very large page number must give an empty page, not overflow. */
static void test_page_huge_number(void **state)
{
    struct fixture *fx = *state;
    add_disbursement(fx, 1000);
    json_t *o = show(fx, fx->biz.id, "EMP-0001", INT_MAX, 1000);
    assert_page(o, 1, 1, INT_MAX, 0, 0);
    json_decref(o);
}

/* ------------------------------------------------------------------ */
/* Tests: lookup and isolation                                         */
/* ------------------------------------------------------------------ */

static void test_unknown_external_id(void **state)
{
    struct fixture *fx = *state;
    show_fails(fx, fx->biz.id, "EMP-9999", 0, 20, PS_ENOTFOUND,
               "PROFILE_NOT_FOUND");
    /* externalIds match exactly */
    show_fails(fx, fx->biz.id, "emp-0001", 0, 20, PS_ENOTFOUND,
               "PROFILE_NOT_FOUND");
    show_fails(fx, fx->biz.id, "", 0, 20, PS_ENOTFOUND, "PROFILE_NOT_FOUND");
    /* the profile id is not an externalId */
    show_fails(fx, fx->biz.id, fx->prof.id, 0, 20, PS_ENOTFOUND,
               "PROFILE_NOT_FOUND");
    /* nor is the customer's externalId */
    show_fails(fx, fx->biz.id, "CUST-0001", 0, 20, PS_ENOTFOUND,
               "PROFILE_NOT_FOUND");
}

static void test_business_isolation(void **state)
{
    struct fixture *fx = *state;
    struct ps_business globex;
    struct ps_program gprog;
    struct ps_customer gcust;
    struct ps_account gcard;
    struct ps_profile gsame, gonly;
    struct ps_txn gt;

    make_business(fx, "globex", "Globex", &globex);
    make_program(fx, &globex, "Globex Pay", &gprog);
    make_customer(fx, &globex, "G-1", "John", "", "Smith", &gcust);
    make_card(fx, &gcust, &gcard);
    /* the same externalId in another business is another profile */
    make_profile(fx, &globex, "EMP-0001", &gcust, &gcard, &gprog, "", &gsame);
    make_profile(fx, &globex, "EMP-0002", &gcust, &gcard, &gprog, "", &gonly);
    make_txn(fx, &gsame, &gcust, gcard.id, PS_TXN_SEND,
             PS_PURPOSE_EWA_DISBURSEMENT, 7777, 299, &gt);
    add_disbursement(fx, 1000);

    /* a profile of globex is not found through acme */
    show_fails(fx, fx->biz.id, "EMP-0002", 0, 20, PS_ENOTFOUND,
               "PROFILE_NOT_FOUND");
    json_t *o = show(fx, globex.id, "EMP-0002", 0, 20);
    assert_string_equal(str_member(o, "id"), gonly.id);
    assert_page(o, 0, 0, 0, 0, 0);
    json_decref(o);

    /* EMP-0001 resolves per business, with its own payments */
    o = show(fx, fx->biz.id, "EMP-0001", 0, 20);
    assert_string_equal(str_member(o, "id"), fx->prof.id);
    assert_string_equal(str_member(o, "customerId"), fx->cust.id);
    assert_string_equal(str_member(o, "programName"), "Early Pay");
    assert_page(o, 1, 1, 0, 1, 0);
    assert_string_equal(content_id(o, 0), fx->pay[0].id);
    json_decref(o);
    o = show(fx, globex.id, "EMP-0001", 0, 20);
    assert_string_equal(str_member(o, "id"), gsame.id);
    assert_string_equal(str_member(o, "customerId"), gcust.id);
    assert_string_equal(str_member(o, "financialAccountId"), gcard.id);
    assert_string_equal(str_member(o, "programName"), "Globex Pay");
    assert_string_equal(str_member(o, "firstName"), "John");
    assert_page(o, 1, 1, 0, 1, 0);
    assert_string_equal(content_id(o, 0), gt.id);
    json_decref(o);

    /* an unknown business id finds nothing */
    show_fails(fx, "0190f4a2-5c3e-7abc-8def-0123456789ab", "EMP-0001", 0, 20,
               PS_ENOTFOUND, "PROFILE_NOT_FOUND");
}

/* ------------------------------------------------------------------ */
/* Tests: what counts as a payment; statuses; nulls                    */
/* ------------------------------------------------------------------ */

/* Only the profile's SENDs are payments: not recovery DEBITs, not SENDs
 * without the profile. */
static void test_only_profile_sends(void **state)
{
    struct fixture *fx = *state;
    struct ps_account bank;
    struct ps_err err;
    ps_err_clear(&err);

    assert_int_equal(ps_account_add_bank(fx->eng, fx->cust.id, "Checking",
                                         "021000021", "123456789",
                                         PS_BANK_CHECKING, &bank, &err),
                     0);
    add_disbursement(fx, 2500);
    make_txn(fx, &fx->prof, &fx->cust, bank.id, PS_TXN_DEBIT,
             PS_PURPOSE_EWA_RECOVERY, 2799, 0, NULL);
    make_txn(fx, NULL, &fx->cust, fx->card.id, PS_TXN_SEND, PS_PURPOSE_PAYMENT,
             4200, 0, NULL);

    json_t *o = show(fx, fx->biz.id, "EMP-0001", 0, 20);
    assert_page(o, 1, 1, 0, 1, 0);
    assert_string_equal(content_id(o, 0), fx->pay[0].id);
    json_decref(o);
}

/*
 * Every status shows by name, and a cancelled or declined disbursement
 * (ps_ewa_on_txn_status through ps_engine_txn_event) leaves
 * amountToRecover at "0.00": never negative.
 */
static void test_statuses_and_recover(void **state)
{
    struct fixture *fx = *state;
    /* newest first */
    static const char *const want[] = {"PROCESSING", "PENDING", "DECLINED",
                                       "CANCELLED"};
    add_disbursement(fx, 1500); /* CANCELLED */
    add_disbursement(fx, 1600); /* DECLINED */
    add_disbursement(fx, 1700); /* PENDING */
    add_disbursement(fx, 1800); /* PROCESSING */
    apply(fx, fx->pay[0].id, PS_EV_CANCEL);
    apply(fx, fx->pay[1].id, PS_EV_SUBMIT);
    apply(fx, fx->pay[1].id, PS_EV_TRANSMIT);
    apply(fx, fx->pay[1].id, PS_EV_DECLINE);
    apply(fx, fx->pay[2].id, PS_EV_SUBMIT);
    apply(fx, fx->pay[3].id, PS_EV_SUBMIT);
    apply(fx, fx->pay[3].id, PS_EV_TRANSMIT);

    json_t *o = show(fx, fx->biz.id, "EMP-0001", 0, 20);
    const json_t *content = member(member(o, "payment"), "content");
    assert_page(o, 4, 1, 0, 4, 0);
    /* a status change does not reorder: creation time decides */
    for (size_t i = 0; i < 4; i++) {
        const json_t *item = json_array_get(content, i);
        assert_string_equal(str_member(item, "transactionId"),
                            fx->pay[3 - i].id);
        assert_string_equal(str_member(member(item, "latestStatus"), "status"),
                            want[i]);
    }
    assert_string_equal(str_member(o, "amountToRecover"), "0.00");
    json_decref(o);
}

/* No middle name and an open enrollment are null; a set end is a time. */
static void test_nulls_and_enrollment_end(void **state)
{
    struct fixture *fx = *state;
    struct ps_customer c;
    struct ps_account a;
    struct ps_profile p;
    struct ps_err err;
    ps_err_clear(&err);

    make_customer(fx, &fx->biz, "CUST-0002", "Ana", "", "Lopez", &c);
    make_card(fx, &c, &a);
    make_profile(fx, &fx->biz, "EMP-0002", &c, &a, &fx->prog, "2026-12-31", &p);
    json_t *o = show(fx, fx->biz.id, "EMP-0002", 0, 20);
    assert_string_equal(str_member(o, "firstName"), "Ana");
    assert_true(json_is_null(member(o, "middleName")));
    assert_string_equal(str_member(o, "lastName"), "Lopez");
    assert_string_equal(str_member(o, "enrollmentBegin"),
                        "2026-01-01T00:00:00.000Z");
    assert_string_equal(str_member(o, "enrollmentEnd"),
                        "2026-12-31T00:00:00.000Z");
    json_decref(o);

    /* INACTIVE shows as such */
    assert_int_equal(ps_ewa_set_enrollment(fx->eng, p.id, PS_ENROLL_INACTIVE,
                                           NULL, NULL, &err),
                     0);
    o = show(fx, fx->biz.id, "EMP-0002", 0, 20);
    assert_string_equal(str_member(o, "enrollmentStatus"), "INACTIVE");
    json_decref(o);
}

/* ------------------------------------------------------------------ */
/* The eligibility table: every (from, to) pair                        */
/* ------------------------------------------------------------------ */

/*
 * expected_elig[from][to]: 1 when the change is allowed.  Written out here
 * from the meanings in ewa.c's header and the seed, deliberately not
 * derived from ewa.c's table, so that a change of any cell fails:
 *   - NEW (just enrolled) becomes ELIGIBLE or INELIGIBLE once the employer
 *     says so, or DISABLED; it has never disbursed, so it cannot be in
 *     ARREARS or BAD_DEBT;
 *   - ELIGIBLE, INELIGIBLE and ARREARS move among themselves, to BAD_DEBT
 *     when recoveries keep failing, and to DISABLED;
 *   - BAD_DEBT (neither disbursement nor recovery) only ends: DISABLED.
 *     Not back to ELIGIBLE: a written-off debt does not reopen the tap;
 *   - DISABLED is terminal;
 *   - no status goes back to NEW, and "from X to X" is not a change.
 * The table is keyed by (from, to), not by event: the events (roster,
 * payroll, returns) are test_ewaengine.c's table.
 */
/* clang-format off */
static const int expected_elig[PS_ELIG_N][PS_ELIG_N] = {
/* to:                    NEW ELIG INEL ARR BAD DIS */
    [PS_ELIG_NEW]        = {0,  1,   1,   0,  0,  1},
    [PS_ELIG_ELIGIBLE]   = {0,  0,   1,   1,  1,  1},
    [PS_ELIG_INELIGIBLE] = {0,  1,   0,   1,  1,  1},
    [PS_ELIG_ARREARS]    = {0,  1,   1,   0,  1,  1},
    [PS_ELIG_BAD_DEBT]   = {0,  0,   0,   0,  0,  1},
    [PS_ELIG_DISABLED]   = {0,  0,   0,   0,  0,  0},
};
/* clang-format on */

/* How a fresh (NEW) profile reaches each status through legal changes:
 * at most two steps, PS_ELIG_N ends the list. */
static const enum ps_eligibility elig_path[PS_ELIG_N][3] = {
    [PS_ELIG_NEW] = {PS_ELIG_N, PS_ELIG_N, PS_ELIG_N},
    [PS_ELIG_ELIGIBLE] = {PS_ELIG_ELIGIBLE, PS_ELIG_N, PS_ELIG_N},
    [PS_ELIG_INELIGIBLE] = {PS_ELIG_INELIGIBLE, PS_ELIG_N, PS_ELIG_N},
    [PS_ELIG_ARREARS] = {PS_ELIG_ELIGIBLE, PS_ELIG_ARREARS, PS_ELIG_N},
    [PS_ELIG_BAD_DEBT] = {PS_ELIG_ELIGIBLE, PS_ELIG_BAD_DEBT, PS_ELIG_N},
    [PS_ELIG_DISABLED] = {PS_ELIG_DISABLED, PS_ELIG_N, PS_ELIG_N},
};

static const char *elig_name(int e)
{
    return ps_enum_name(PS_NAMES_ELIGIBILITY, e);
}

/* The pure decision, all 36 pairs, and out-of-range statuses refused. */
static void test_eligibility_pairs_pure(void **state)
{
    (void)state;
    int allowed = 0;
    for (int from = 0; from < PS_ELIG_N; from++)
        for (int to = 0; to < PS_ELIG_N; to++) {
            int got = ps_ewa_eligibility_allowed((enum ps_eligibility)from,
                                                 (enum ps_eligibility)to);
            if (got != expected_elig[from][to])
                fail_msg("eligibility %s -> %s: allowed %d, expected %d",
                         elig_name(from), elig_name(to), got,
                         expected_elig[from][to]);
            allowed += got;
        }
    /* NEW 3, ELIGIBLE 4, INELIGIBLE 4, ARREARS 4, BAD_DEBT 1, DISABLED 0 */
    assert_int_equal(allowed, 16);
    assert_int_equal(ps_ewa_eligibility_allowed(PS_ELIG_N, PS_ELIG_DISABLED),
                     0);
    assert_int_equal(ps_ewa_eligibility_allowed(PS_ELIG_NEW, PS_ELIG_N), 0);
    int below = -1;
    assert_int_equal(ps_ewa_eligibility_allowed((enum ps_eligibility)below,
                                                PS_ELIG_ELIGIBLE),
                     0);
}

struct elig_hist {
    int n;
    int from_status; /* of the last row */
    enum ps_eligibility status;
    char reason[PS_REASON_SIZE];
};

static int elig_hist_row(void *ctx, const struct ps_eligibility_row *r)
{
    struct elig_hist *h = ctx;
    h->n++;
    h->from_status = r->from_status;
    h->status = r->status;
    ps_strlcpy(h->reason, r->reason, sizeof(h->reason));
    return 0;
}

static struct elig_hist elig_history(struct fixture *fx, const char *id)
{
    struct elig_hist h;
    struct ps_err err;
    memset(&h, 0, sizeof(h));
    ps_err_clear(&err);
    if (ps_store_eligibility_list(fx->eng->store, id, elig_hist_row, &h,
                                  &err) != 0)
        fail_msg("ps_store_eligibility_list: %s [%s]", err.msg, err.rule);
    return h;
}

/*
 * Through the engine on the store: for every (from, to) a fresh profile
 * is enrolled (NEW), brought to `from` by legal changes, and then asked
 * for `to`.  An allowed change moves the profile and adds one history row
 * (from, to, reason); a forbidden one fails with PS_ESTATE /
 * ILLEGAL_ELIGIBILITY_CHANGE and leaves the profile and its history as
 * they were.
 */
static void test_eligibility_pairs_store(void **state)
{
    struct fixture *fx = *state;
    int checked = 0;
    for (int from = 0; from < PS_ELIG_N; from++)
        for (int to = 0; to < PS_ELIG_N; to++) {
            struct ps_profile p;
            struct ps_source step = {"test: reach the starting status", NULL,
                                     0};
            struct ps_source ask = {"test: the change under test", NULL, 0};
            struct ps_err err;
            char ext[32];
            snprintf(ext, sizeof(ext), "ELIG-%d-%d", from, to);
            ps_err_clear(&err);
            memset(&p, 0, sizeof(p));
            ps_strlcpy(p.business_id, fx->biz.id, sizeof(p.business_id));
            ps_strlcpy(p.external_id, ext, sizeof(p.external_id));
            ps_strlcpy(p.customer_id, fx->cust.id, sizeof(p.customer_id));
            ps_strlcpy(p.account_id, fx->card.id, sizeof(p.account_id));
            ps_strlcpy(p.program_id, fx->prog.id, sizeof(p.program_id));
            ps_strlcpy(p.enrollment_begin, "2026-01-01",
                       sizeof(p.enrollment_begin));
            if (ps_ewa_enroll(fx->eng, &p, NULL, &err) != 0)
                fail_msg("ps_ewa_enroll: %s [%s]", err.msg, err.rule);
            for (int k = 0; elig_path[from][k] != PS_ELIG_N; k++)
                if (ps_ewa_set_eligibility(fx->eng, p.id, elig_path[from][k],
                                           &step, &err) != 0)
                    fail_msg("reaching %s: %s [%s]", elig_name(from), err.msg,
                             err.rule);
            if (ps_store_profile_get(fx->eng->store, p.id, &p, &err) != 0)
                fail_msg("ps_store_profile_get: %s [%s]", err.msg, err.rule);
            assert_int_equal(p.eligibility, from);
            struct elig_hist before = elig_history(fx, p.id);

            ps_err_clear(&err);
            int rc = ps_ewa_set_eligibility(
                fx->eng, p.id, (enum ps_eligibility)to, &ask, &err);
            struct ps_profile after;
            if (ps_store_profile_get(fx->eng->store, p.id, &after, &err) != 0)
                fail_msg("ps_store_profile_get: %s [%s]", err.msg, err.rule);
            struct elig_hist h = elig_history(fx, p.id);
            if (expected_elig[from][to]) {
                if (rc != 0)
                    fail_msg("%s -> %s refused: %s [%s]", elig_name(from),
                             elig_name(to), err.msg, err.rule);
                assert_int_equal(after.eligibility, to);
                assert_string_equal(after.eligibility_reason, ask.reason);
                assert_int_equal(h.n, before.n + 1);
                assert_int_equal(h.from_status, from);
                assert_int_equal(h.status, to);
                assert_string_equal(h.reason, ask.reason);
            } else {
                if (rc != PS_ESTATE)
                    fail_msg("%s -> %s: expected ILLEGAL_ELIGIBILITY_CHANGE,"
                             " got rc %d (now %s)",
                             elig_name(from), elig_name(to), rc,
                             elig_name((int)after.eligibility));
                assert_string_equal(err.rule, "ILLEGAL_ELIGIBILITY_CHANGE");
                assert_int_equal(after.eligibility, from);
                assert_int_equal(h.n, before.n);
                assert_int_equal(h.status, before.status);
            }
            checked++;
        }
    assert_int_equal(checked, PS_ELIG_N * PS_ELIG_N);
}

int main(void)
{
    struct ps_err err;
    /* Freeze the clock before any ps_* call reads it. */
    if (setenv("PAYSPOOL_NOW", FROZEN_NOW, 1) != 0)
        return 1;
    ps_err_clear(&err);
    ps_log_open(NULL, PS_LOG_WARN, &err);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comparator),
        cmocka_unit_test_setup_teardown(test_show_golden, setup_golden,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_show_ids_and_types, setup_golden,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_page_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_exactly_full, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_page_last_partial, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_page_past_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_huge_number, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_external_id, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_business_isolation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_only_profile_sends, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_statuses_and_recover, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_nulls_and_enrollment_end, setup,
                                        teardown),
        cmocka_unit_test(test_eligibility_pairs_pure),
        cmocka_unit_test_setup_teardown(test_eligibility_pairs_store, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
