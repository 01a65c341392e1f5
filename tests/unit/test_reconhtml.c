/*
 * test_reconhtml.c -- the reconciliation page writer (outbound/reconhtml.c)
 * on rows made here: every string escaped, rows numbered as the CSV
 * numbers them, a section's rows past the cap left to the CSV with a
 * note, the return-rate chart red over the threshold, nothing external.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "outbound/reconhtml.h"
#include "testutil.h"

static int setup(void **state)
{
    return ps_test_dir_setup(state, "reconhtml");
}

static int teardown(void **state)
{
    return ps_test_dir_teardown(state);
}

/* Write page h into dir/NAME and return its text (test-owned). */
static char *render(const char *dir, const char *name,
                    const struct ps_reconhtml *h)
{
    struct ps_output *out = NULL;
    struct ps_err err;
    struct ps_reconhtml_info in = {
        .business = "acme<&>",
        .display_name = "Acme \"Tools\" & Co",
        .date = "2026-11-20",
        .generated = "2026-11-20T15:00:00.000Z",
        .csv_name = "recon-acme-20261120-001.csv",
        .summary_name = "recon-acme-20261120-001.txt",
        .seq = 1,
        .settle_days = 1,
        .rate_days = 60,
    };
    ps_err_clear(&err);
    assert_int_equal(ps_output_open(dir, name, 0640, &out, &err), 0);
    assert_int_equal(ps_reconhtml_write(h, &in, out, &err), 0);
    assert_int_equal(ps_output_commit(out, NULL, &err), 0);
    return ps_test_slurp(ps_test_path(dir, name, 0), NULL);
}

static void test_escaped_numbered_capped(void **state)
{
    struct ps_test_dir *fx = *state;
    struct ps_reconhtml *h = ps_reconhtml_new();
    struct ps_err err;
    assert_non_null(h);
    ps_err_clear(&err);
    assert_int_equal(
        ps_reconhtml_add(h,
                         &(struct ps_recon_line){.section = "report",
                                                 .detail = "business acme"},
                         &err),
        0);
    assert_int_equal(
        ps_reconhtml_add(
            h,
            &(struct ps_recon_line){.section = "unmatched",
                                    .file = "<script>alert(1)</script>",
                                    .status = "UNKNOWN_REFERENCE",
                                    .ref = "a\"b'c&d",
                                    .currency = "USD",
                                    .has_amount = 1,
                                    .amount = -12345,
                                    .detail = "line 3 of the provider file"},
            &err),
        0);
    assert_int_equal(
        ps_reconhtml_add(h,
                         &(struct ps_recon_line){.section = "trial_balance",
                                                 .status = "BALANCED",
                                                 .currency = "JPY",
                                                 .has_amount = 1,
                                                 .amount = 1500},
                         &err),
        0);
    for (int i = 0; i < PS_RECONHTML_MAX_ROWS + 5; i++)
        assert_int_equal(
            ps_reconhtml_add(h,
                             &(struct ps_recon_line){.section = "late",
                                                     .status = "PROCESSING",
                                                     .currency = "USD",
                                                     .has_amount = 1,
                                                     .amount = 100},
                             &err),
            0);
    assert_int_equal(ps_reconhtml_rate(h, "UNAUTHORIZED", 50, 1000, 6), 0);
    assert_int_equal(ps_reconhtml_rate(h, "OVERALL", 1500, 1000, 6), 0);

    char *page = render(fx->dir, "page.html", h);
    /* escaped, never raw */
    assert_null(strstr(page, "<script"));
    assert_non_null(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(page, "a&quot;b&#39;c&amp;d"));
    assert_non_null(strstr(page, "acme&lt;&amp;&gt;"));
    assert_non_null(strstr(page, "Acme &quot;Tools&quot; &amp; Co"));
    /* nothing external */
    assert_null(strstr(page, "http:"));
    assert_null(strstr(page, "https:"));
    assert_null(strstr(page, "//"));
    /* the rows numbered as in the CSV; amounts in the currency's digits */
    assert_non_null(strstr(page, "<p class=\"meta\" data-row=\"1\">"));
    assert_non_null(strstr(page, "<tr data-row=\"2\">"));
    assert_non_null(strstr(page, "-123.45"));
    assert_non_null(strstr(page, "<tr data-row=\"3\">"));
    assert_non_null(strstr(page, ">1500</td>")); /* JPY: no decimals */
    /* the first 1000 late rows (4..1003), the 5 after only in the CSV */
    assert_non_null(strstr(page, "<tr data-row=\"1003\">"));
    assert_null(strstr(page, "<tr data-row=\"1004\">"));
    assert_non_null(strstr(page, "5 more rows of this section are in the "
                                 "CSV only"));
    assert_non_null(strstr(page, "1008 rows in the CSV"));
    /* 6 of 1000 = 0.60%: over 0.50% (red), within 15.00% (green) */
    assert_non_null(strstr(page, "0.60% (6 of 1000)"));
    assert_non_null(strstr(page, "threshold 0.50%"));
    char *un = strstr(page, "<title>UNAUTHORIZED debit return rate");
    char *ov = strstr(page, "<title>OVERALL debit return rate");
    assert_non_null(un);
    assert_non_null(ov);
    assert_non_null(strstr(un, "rect class=\"bar bad\""));
    assert_true(strstr(un, "rect class=\"bar bad\"") < ov);
    assert_non_null(strstr(ov, "rect class=\"bar good\""));
    /* the tiles: 1 unmatched, 1005 late (the omitted ones counted) */
    assert_non_null(strstr(page, "<b>1005</b>late items"));
    ps_reconhtml_free(h);
    ps_test_free_owned();
}

/* An empty report is still a whole page. */
static void test_empty(void **state)
{
    struct ps_test_dir *fx = *state;
    struct ps_reconhtml *h = ps_reconhtml_new();
    assert_non_null(h);
    char *page = render(fx->dir, "empty.html", h);
    assert_non_null(strstr(page, "<!DOCTYPE html>"));
    assert_non_null(strstr(page, "No alerts"));
    assert_non_null(strstr(page, "</html>\n"));
    assert_null(strstr(page, "<svg"));
    ps_reconhtml_free(h);
    ps_reconhtml_free(NULL);
    ps_test_free_owned();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_escaped_numbered_capped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
