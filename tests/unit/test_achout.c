/*
 * test_achout.c -- unit tests for achout.c, the ACH cutoff, driven through
 * ps_ach_cutoff on a real SQLite store and spool folder.
 *
 * What is checked: the File ID Modifier sequence of one business day,
 * exhaustively.  Each of 36 cutoffs of the same business date sends one
 * new ACH credit and must name its file with the next modifier of a table
 * written out here (A..Z, then 0..9, as NACHA allows and achout.h
 * promises), in the result, the file name and the File Header Record
 * (position 34).  The 37th cutoff of that day is refused
 * (NACHA_FILE_ID_EXHAUSTED) and leaves its transaction NEW and no file;
 * the next business day starts again at A.
 *
 * The clock is frozen (PAYSPOOL_NOW) before any ps_* call.  Each test
 * gets a fresh directory under $TMPDIR (or /tmp), removed after.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/calendar.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/model.h"
#include "engine/achconf.h"
#include "engine/engine.h"
#include "engine/txn.h"
#include "outbound/achout.h"
#include "store/store.h"
#include "testutil.h"

#define FROZEN_NOW "2026-11-20T15:00:00Z"
#define DAY1 "2026-11-20" /* a Friday, a banking day */
#define DAY2 "2026-11-23" /* the Monday after */
#define ROUTING "021000021"
#define BANKNO "123456789"

#define OK(call)                                                               \
    do {                                                                       \
        ps_err_clear(&err);                                                    \
        if ((call) != 0)                                                       \
            fail_msg("%s: %s [%s]", #call, err.msg, err.rule);                 \
    } while (0)

/*
 * The File ID Modifiers of one business's files of one day, in order:
 * written out, not computed, so that an off-by-one anywhere in the
 * sequence (the 26th file, the 27th, the 36th) fails here.
 */
static const char fim_expected[36] = {
    'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L',
    'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X',
    'Y', 'Z', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
};

struct fixture {
    char dir[PATH_MAX];
    char spool[PATH_MAX];
    struct ps_engine *eng;
    struct ps_calendar *cal;
    struct ps_ach_config cfg;
    struct ps_business biz;
    struct ps_customer cust;
    struct ps_account acct;
    int seq; /* request ids */
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct ps_err err;
    if (fx == NULL ||
        ps_test_tmpdir(fx->dir, sizeof(fx->dir), "test_achout") != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    fx->eng = ps_test_engine_open(fx->dir);
    ps_strlcpy(fx->spool, fx->dir, sizeof(fx->spool));
    OK(ps_calendar_open(NULL, 0, &fx->cal, &err));
    OK(ps_ach_config_load(ps_test_path(fx->dir, "no-such.ini", 0), "acme",
                          &fx->cfg, &err));
    ps_strlcpy(fx->cfg.odfi_routing, "091000019", sizeof(fx->cfg.odfi_routing));
    ps_strlcpy(fx->cfg.odfi_name, "Test ODFI", sizeof(fx->cfg.odfi_name));
    ps_strlcpy(fx->cfg.company_id, "1234567890", sizeof(fx->cfg.company_id));
    ps_strlcpy(fx->cfg.company_name, "Acme", sizeof(fx->cfg.company_name));
    ps_strlcpy(fx->cfg.immediate_origin, "1234567890",
               sizeof(fx->cfg.immediate_origin));
    ps_strlcpy(fx->cfg.origin_name, "Acme", sizeof(fx->cfg.origin_name));

    OK(ps_business_add(fx->eng, "acme", "Acme", NULL, &fx->biz, &err));
    ps_strlcpy(fx->cust.business_id, fx->biz.id, sizeof(fx->cust.business_id));
    ps_strlcpy(fx->cust.external_id, "E1", sizeof(fx->cust.external_id));
    fx->cust.type = PS_CUSTOMER_INDIVIDUAL;
    ps_strlcpy(fx->cust.first_name, "Ada", sizeof(fx->cust.first_name));
    ps_strlcpy(fx->cust.last_name, "Lovelace", sizeof(fx->cust.last_name));
    ps_strlcpy(fx->cust.email, "ada@example.com", sizeof(fx->cust.email));
    ps_strlcpy(fx->cust.phone, "+14155550123", sizeof(fx->cust.phone));
    OK(ps_customer_create(fx->eng, &fx->cust, NULL, 0, NULL, 0, NULL, &err));
    OK(ps_account_add_bank(fx->eng, fx->cust.id, "Checking", ROUTING, BANKNO,
                           PS_BANK_CHECKING, &fx->acct, &err));
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    ps_calendar_free(fx->cal);
    ps_engine_close(fx->eng);
    int rc = ps_test_rmtree(fx->dir);
    free(fx);
    return rc;
}

/* A NEW ACH credit (a plain PAYMENT SEND) of `amount` cents. */
static struct ps_txn ach_credit(struct fixture *fx, int64_t amount)
{
    struct ps_txn t;
    struct ps_err err;
    memset(&t, 0, sizeof(t));
    ps_strlcpy(t.business_id, fx->biz.id, sizeof(t.business_id));
    ps_strlcpy(t.customer_id, fx->cust.id, sizeof(t.customer_id));
    ps_strlcpy(t.account_id, fx->acct.id, sizeof(t.account_id));
    t.type = PS_TXN_SEND;
    t.rail = PS_RAIL_ACH;
    t.purpose = PS_PURPOSE_PAYMENT;
    t.amount = amount;
    ps_strlcpy(t.currency, "USD", sizeof(t.currency));
    snprintf(t.request_id, sizeof(t.request_id), "ach-%d", ++fx->seq);
    OK(ps_txn_create(fx->eng->store, &t, NULL, &err));
    return t;
}

static enum ps_txn_status status_of(struct fixture *fx, const char *id)
{
    struct ps_txn t;
    struct ps_err err;
    OK(ps_store_txn_get(fx->eng->store, id, &t, &err));
    return t.status;
}

static int64_t day_of(const char *s)
{
    int64_t d;
    struct ps_err err;
    OK(ps_date_parse(s, &d, &err));
    return d;
}

/* How many .ach files the business's nacha folder holds. */
static int ach_files(struct fixture *fx)
{
    int n = 0;
    DIR *d = opendir(ps_test_path(fx->spool, "outbound/acme/nacha", 1));
    if (d == NULL)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        n += len > 4 && strcmp(e->d_name + len - 4, ".ach") == 0;
    }
    closedir(d);
    return n;
}

/* One cutoff of `date` that must write a file with modifier `fim`. */
static void cutoff_expect(struct fixture *fx, const char *date, char fim,
                          int nth)
{
    struct ps_ach_cutoff_result res;
    struct ps_err err;
    char name[64];
    struct ps_txn t = ach_credit(fx, 1000 + nth);
    memset(&res, 0, sizeof(res));
    ps_err_clear(&err);
    if (ps_ach_cutoff(fx->eng, fx->spool, &fx->biz, &fx->cfg, fx->cal,
                      day_of(date), &res, &err) != 0)
        fail_msg("cutoff %d of %s (expected %c): %s [%s]", nth, date, fim,
                 err.msg, err.rule);
    if (res.file_id_modifier != fim)
        fail_msg("cutoff %d of %s: File ID Modifier '%c', expected '%c'", nth,
                 date, res.file_id_modifier, fim);
    assert_int_equal(res.entries, 1);
    assert_int_equal(res.credits, 1);
    snprintf(name, sizeof(name),
             "/outbound/acme/nacha/ach-acme-%.4s%.2s%.2s-%c.ach", date,
             date + 5, date + 8, fim);
    size_t plen = strlen(res.path), nlen = strlen(name);
    if (plen < nlen || strcmp(res.path + plen - nlen, name) != 0)
        fail_msg("cutoff %d: wrote %s, expected a path ending %s", nth,
                 res.path, name);
    /* The File Header Record: its File ID Modifier is position 34. */
    size_t len = 0;
    const char *bytes = ps_test_slurp(res.path, &len);
    assert_true(len >= 94);
    assert_int_equal(bytes[0], '1');
    if (bytes[33] != fim)
        fail_msg("cutoff %d: header File ID Modifier '%c', expected '%c'", nth,
                 bytes[33], fim);
    assert_int_equal(status_of(fx, t.id), PS_TXN_PROCESSING);
    ps_test_free_owned();
}

/*
 * All 36 modifiers of one day in sequence, the 37th refused with nothing
 * moved, and the next day from A again.
 */
static void test_fim_sequence(void **state)
{
    struct fixture *fx = *state;
    struct ps_ach_cutoff_result res;
    struct ps_err err;

    for (int i = 0; i < 36; i++)
        cutoff_expect(fx, DAY1, fim_expected[i], i + 1);
    assert_int_equal(ach_files(fx), 36);

    /* The 37th: refused, the transaction still waits, no file. */
    struct ps_txn t = ach_credit(fx, 4242);
    memset(&res, 0, sizeof(res));
    ps_err_clear(&err);
    int rc = ps_ach_cutoff(fx->eng, fx->spool, &fx->biz, &fx->cfg, fx->cal,
                           day_of(DAY1), &res, &err);
    if (rc == 0)
        fail_msg("37th cutoff of a day accepted: File ID Modifier '%c', %s",
                 res.file_id_modifier, res.path);
    ps_test_expect_err(rc, &err, PS_ESTATE, "NACHA_FILE_ID_EXHAUSTED");
    assert_int_equal(status_of(fx, t.id), PS_TXN_NEW);
    assert_int_equal(ach_files(fx), 36);

    /* The next business day starts again at A, and takes the waiting
     * transaction with it. */
    ps_err_clear(&err);
    memset(&res, 0, sizeof(res));
    OK(ps_ach_cutoff(fx->eng, fx->spool, &fx->biz, &fx->cfg, fx->cal,
                     day_of(DAY2), &res, &err));
    assert_int_equal(res.file_id_modifier, 'A');
    assert_int_equal(res.entries, 1);
    assert_int_equal(status_of(fx, t.id), PS_TXN_PROCESSING);
    cutoff_expect(fx, DAY2, 'B', 2);
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
        cmocka_unit_test_setup_teardown(test_fim_sequence, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
