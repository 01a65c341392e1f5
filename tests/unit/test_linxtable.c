/*
 * test_linxtable.c -- unit tests for linxtable.c, the LinX request state
 * machine.
 *
 * The heart is an exhaustive check: for every (status, event) pair the
 * outcome of ps_linx_next() is compared with an expected table written
 * here from the meanings in linxtable.h and the seed (it is deliberately
 * not derived from linxtable.c's table).  A legal pair must give the
 * expected status; an illegal one must fail with PS_ESTATE and rule
 * LINX_NOT_ACTIVE from a terminal status, LINX_ILLEGAL_TRANSITION from
 * an active one, and leave *next untouched.  DECLINE is checked with a
 * predefined reason, free text, and every kind of bad reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "base/err.h"
#include "engine/linxtable.h"

/*
 * expected[status][event]: the status the event leads to, or ILL.
 * From linxtable.h and the seed's life cycle: SEND CREATED->SENT; OPEN
 * SENT->IN_PROGRESS; COMPLETE and DECLINE (the customer answered) and
 * FAIL (an activity failed while executing the answer) from SENT or
 * IN_PROGRESS (a gateway answer can arrive without a progress report);
 * EXPIRE and CANCEL from any active status, CREATED included (an SMS
 * never written does not keep a request alive).  COMPLETED, DECLINED,
 * EXPIRED, CANCELLED and FAILED are terminal.
 * Columns in enum order: SEND, OPEN, COMPLETE, DECLINE, EXPIRE, CANCEL,
 * FAIL.
 */
#define ILL (-1)
#define SNT PS_LINX_SENT
#define INP PS_LINX_IN_PROGRESS
#define CMP PS_LINX_COMPLETED
#define DEC PS_LINX_DECLINED
#define EXP PS_LINX_EXPIRED
#define CAN PS_LINX_CANCELLED
#define FAI PS_LINX_FAILED

/* clang-format off */
static const int expected[PS_LINX_N][PS_LEV_N] = {
    /*               SEND OPEN COMPLETE DECLINE EXPIRE CANCEL FAIL */
    /* CREATED */    {SNT, ILL, ILL,     ILL,    EXP,   CAN,   ILL},
    /* SENT */       {ILL, INP, CMP,     DEC,    EXP,   CAN,   FAI},
    /* IN_PROGRESS */{ILL, ILL, CMP,     DEC,    EXP,   CAN,   FAI},
    /* COMPLETED */  {ILL, ILL, ILL,     ILL,    ILL,   ILL,   ILL},
    /* DECLINED */   {ILL, ILL, ILL,     ILL,    ILL,   ILL,   ILL},
    /* EXPIRED */    {ILL, ILL, ILL,     ILL,    ILL,   ILL,   ILL},
    /* CANCELLED */  {ILL, ILL, ILL,     ILL,    ILL,   ILL,   ILL},
    /* FAILED */     {ILL, ILL, ILL,     ILL,    ILL,   ILL,   ILL},
};
static const int terminal[PS_LINX_N] = {0, 0, 0, 1, 1, 1, 1, 1};
/* clang-format on */

static void exhaustive(void **state)
{
    (void)state;
    int legal = 0;
    for (int st = 0; st < PS_LINX_N; st++) {
        for (int ev = 0; ev < PS_LEV_N; ev++) {
            struct ps_err err = {0};
            enum ps_linx_status next = (enum ps_linx_status)99;
            int rc = ps_linx_next("LX1", (enum ps_linx_status)st,
                                  (enum ps_linx_event)ev, "DUPLICATE", &next,
                                  &err);
            if (expected[st][ev] == ILL) {
                if (rc != PS_ESTATE)
                    fail_msg("%s + %s: rc %d, want PS_ESTATE",
                             ps_linx_status_name(st), ps_linx_event_name(ev),
                             rc);
                assert_string_equal(err.rule, terminal[st]
                                                  ? "LINX_NOT_ACTIVE"
                                                  : "LINX_ILLEGAL_TRANSITION");
                assert_non_null(strstr(err.msg, "LX1"));
                assert_non_null(strstr(err.msg, ps_linx_status_name(st)));
                assert_int_equal((int)next, 99);
            } else {
                if (rc != 0)
                    fail_msg("%s + %s: %s", ps_linx_status_name(st),
                             ps_linx_event_name(ev), err.msg);
                assert_int_equal((int)next, expected[st][ev]);
                legal++;
            }
        }
    }
    assert_int_equal(legal, 14);
}

static void terminal_and_active(void **state)
{
    (void)state;
    for (int st = 0; st < PS_LINX_N; st++) {
        assert_int_equal(ps_linx_status_terminal(st), terminal[st]);
        assert_int_equal(ps_linx_status_active(st), !terminal[st]);
    }
    assert_int_equal(ps_linx_status_terminal((enum ps_linx_status)PS_LINX_N),
                     1);
}

static void names_round_trip(void **state)
{
    (void)state;
    static const char *const st[] = {"CREATED",  "SENT",    "IN_PROGRESS",
                                     "COMPLETED", "DECLINED", "EXPIRED",
                                     "CANCELLED", "FAILED"};
    static const char *const ev[] = {"SEND",   "OPEN",   "COMPLETE", "DECLINE",
                                     "EXPIRE", "CANCEL", "FAIL"};
    for (int i = 0; i < PS_LINX_N; i++) {
        assert_string_equal(ps_linx_status_name(i), st[i]);
        assert_int_equal(ps_linx_status_parse(st[i]), i);
    }
    for (int i = 0; i < PS_LEV_N; i++) {
        assert_string_equal(ps_linx_event_name(i), ev[i]);
        assert_int_equal(ps_linx_event_parse(ev[i]), i);
    }
    assert_int_equal(ps_linx_status_parse("ACTIVE"), -1);
    assert_int_equal(ps_linx_status_parse("sent"), -1);
    assert_int_equal(ps_linx_status_parse(NULL), -1);
    assert_int_equal(ps_linx_event_parse("REMIND"), -1);
    assert_string_equal(ps_linx_status_name((enum ps_linx_status)42), "?");
    assert_string_equal(ps_linx_event_name((enum ps_linx_event)42), "?");
}

static void decline_reasons(void **state)
{
    (void)state;
    char longest[PS_LINX_REASON_MAX + 2];
    assert_int_equal(ps_linx_decline_kind("INCORRECT_AMOUNT"),
                     PS_LDEC_INCORRECT_AMOUNT);
    assert_int_equal(ps_linx_decline_kind("NOT_RECOGNIZED"),
                     PS_LDEC_NOT_RECOGNIZED);
    assert_int_equal(ps_linx_decline_kind("DUPLICATE"), PS_LDEC_DUPLICATE);
    assert_int_equal(ps_linx_decline_kind("ALREADY_PAID"),
                     PS_LDEC_ALREADY_PAID);
    assert_int_equal(ps_linx_decline_kind("I paid in cash on Monday"),
                     PS_LDEC_FREE_TEXT);
    assert_int_equal(ps_linx_decline_kind("caf\xc3\xa9 rent"),
                     PS_LDEC_FREE_TEXT);
    assert_int_equal(ps_linx_decline_kind("duplicate"), PS_LDEC_FREE_TEXT);
    assert_int_equal(ps_linx_decline_kind(NULL), -1);
    assert_int_equal(ps_linx_decline_kind(""), -1);
    assert_int_equal(ps_linx_decline_kind("   "), -1);
    assert_int_equal(ps_linx_decline_kind("FREE_TEXT"), -1);
    assert_int_equal(ps_linx_decline_kind("two\nlines"), -1);
    assert_int_equal(ps_linx_decline_kind("tab\there"), -1);
    assert_int_equal(ps_linx_decline_kind("del\x7f"), -1);
    memset(longest, 'x', sizeof(longest));
    longest[PS_LINX_REASON_MAX] = '\0';
    assert_int_equal(ps_linx_decline_kind(longest), PS_LDEC_FREE_TEXT);
    longest[PS_LINX_REASON_MAX] = 'x';
    longest[PS_LINX_REASON_MAX + 1] = '\0';
    assert_int_equal(ps_linx_decline_kind(longest), -1);
    for (int d = 0; d < PS_LDEC_FREE_TEXT; d++)
        assert_int_equal(ps_linx_decline_kind(ps_linx_decline_name(d)), d);
}

/* DECLINE from an active status needs a reason; the reason is checked
 * only where the table has a row (a terminal status says NOT_ACTIVE). */
static void decline_needs_reason(void **state)
{
    (void)state;
    static const char *const bad[] = {NULL, "", " ", "FREE_TEXT", "a\nb"};
    for (int st = PS_LINX_SENT; st <= PS_LINX_IN_PROGRESS; st++) {
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            struct ps_err err = {0};
            enum ps_linx_status next = (enum ps_linx_status)99;
            assert_int_equal(ps_linx_next("LX2", st, PS_LEV_DECLINE, bad[i],
                                          &next, &err),
                             PS_EINVAL);
            assert_string_equal(err.rule, "LINX_DECLINE_REASON");
            assert_int_equal((int)next, 99);
        }
        struct ps_err err = {0};
        enum ps_linx_status next;
        assert_int_equal(ps_linx_next("LX2", st, PS_LEV_DECLINE,
                                      "wrong landlord", &next, &err),
                         0);
        assert_int_equal(next, PS_LINX_DECLINED);
    }
    struct ps_err err = {0};
    enum ps_linx_status next;
    assert_int_equal(ps_linx_next("LX2", PS_LINX_COMPLETED, PS_LEV_DECLINE,
                                  NULL, &next, &err),
                     PS_ESTATE);
    assert_string_equal(err.rule, "LINX_NOT_ACTIVE");
    /* Other events ignore the reason. */
    assert_int_equal(ps_linx_next(NULL, PS_LINX_SENT, PS_LEV_CANCEL, NULL,
                                  &next, &err),
                     0);
    assert_int_equal(next, PS_LINX_CANCELLED);
}

static void out_of_range(void **state)
{
    (void)state;
    struct ps_err err = {0};
    enum ps_linx_status next = (enum ps_linx_status)99;
    assert_int_equal(ps_linx_next(NULL, PS_LINX_SENT, (enum ps_linx_event)-1,
                                  NULL, &next, &err),
                     PS_EINVAL);
    assert_string_equal(err.rule, "LINX_ILLEGAL_TRANSITION");
    assert_int_equal(ps_linx_next(NULL, (enum ps_linx_status)PS_LINX_N,
                                  PS_LEV_SEND, NULL, &next, &err),
                     PS_EINVAL);
    assert_int_equal((int)next, 99);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exhaustive),
        cmocka_unit_test(terminal_and_active),
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(decline_reasons),
        cmocka_unit_test(decline_needs_reason),
        cmocka_unit_test(out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
