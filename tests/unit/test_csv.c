/*
 * test_csv.c -- the CSV reader (formats/csv): every shipped layout on a
 * realistic fixture, detection between layouts, RFC 4180 details (quotes,
 * embedded commas and line breaks, CRLF, BOM), physical line numbers and
 * offsets, every per-record and whole-document rule, sensitive values
 * kept out of messages, layout-file errors, and a layout added from a
 * folder at run time (no rebuild).
 */
#include "testutil.h"

#include "formats/csv/csv.h"
#include "formats/format.h"

#define DEFAULT_LAYOUTS PS_SOURCE_DIR "/formats/csv/layouts"
#define MAXREC 64

/* ---- reading a document into copies -------------------------------- */

struct grec {
    long line;
    int64_t offset;
    char kind[32];
    char ref[160];
    int has_ref;
    size_t nfields;
    char name[PS_RECORD_MAX_FIELDS][40];
    char value[PS_RECORD_MAX_FIELDS][300];
    struct ps_err err;
};

struct got {
    int rc; /* 0, or the open()/next()/finish() error */
    struct ps_err err;
    long n;
    struct grec rec[MAXREC];
    struct ps_doc_totals totals;
};

struct mem {
    const char *p;
    size_t left;
    size_t step;
};

static ssize_t mem_read(void *ctx, void *buf, size_t n, struct ps_err *err)
{
    struct mem *m = ctx;
    (void)err;
    if (n > m->step)
        n = m->step;
    if (n > m->left)
        n = m->left;
    memcpy(buf, m->p, n);
    m->p += n;
    m->left -= n;
    return (ssize_t)n;
}

/* Read len bytes of doc, `step` bytes per stream read. */
static struct got *read_step(const char *doc, size_t len, size_t step)
{
    struct got *g = ps_test_own(calloc(1, sizeof(*g)));
    struct mem m = {doc, len, step};
    struct ps_stream in = {mem_read, &m};
    struct ps_record rec;
    void *st = NULL;
    int rc;
    ps_err_clear(&g->err);
    if ((g->rc = ps_format_csv.open(&in, "test.csv", &st, &g->err)) != 0)
        return g;
    while ((rc = ps_format_csv.next(st, &rec, &g->err)) > 0) {
        assert_true(g->n < MAXREC);
        struct grec *r = &g->rec[g->n++];
        r->line = rec.line;
        r->offset = rec.offset;
        ps_strlcpy(r->kind, rec.kind, sizeof(r->kind));
        r->has_ref = rec.reference != NULL;
        ps_strlcpy(r->ref, rec.reference != NULL ? rec.reference : "",
                   sizeof(r->ref));
        r->nfields = rec.nfields;
        for (size_t i = 0; i < rec.nfields; i++) {
            ps_strlcpy(r->name[i], rec.name[i], sizeof(r->name[i]));
            ps_strlcpy(r->value[i], rec.value[i], sizeof(r->value[i]));
        }
        r->err = rec.err;
    }
    if (rc == 0)
        rc = ps_format_csv.finish(st, &g->totals, &g->err);
    g->rc = rc;
    ps_format_csv.close(st);
    return g;
}

static struct got *read_doc(const char *doc)
{
    return read_step(doc, strlen(doc), 1 << 20);
}

static const char *fixture(const char *name, size_t *len)
{
    char path[PATH_MAX];
    const char *dir = getenv("PS_FIXTURES");
    snprintf(path, sizeof(path), "%s/csv/%s",
             dir != NULL ? dir : PS_SOURCE_DIR "/fixtures", name);
    return ps_test_slurp(path, len);
}

static struct got *read_fixture(const char *name)
{
    size_t len;
    const char *doc = fixture(name, &len);
    return read_step(doc, len, 1 << 20);
}

/* The value of a field, or NULL when the record does not have it. */
static const char *val(const struct grec *r, const char *name)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (strcmp(r->name[i], name) == 0)
            return r->value[i];
    return NULL;
}

static void expect_ok(const struct got *g, long n)
{
    if (g->rc != 0)
        fail_msg("document error: %s [%s]", g->err.msg, g->err.rule);
    assert_int_equal(g->n, n);
    for (long i = 0; i < g->n; i++)
        if (g->rec[i].err.code != 0)
            fail_msg("record %ld: %s [%s]", i, g->rec[i].err.msg,
                     g->rec[i].err.rule);
}

/* A record rejected with rule at line, field (or "" for none). */
static void expect_rec_err(const struct grec *r, const char *rule, long line,
                           const char *field)
{
    assert_int_equal(r->err.code, PS_EINVAL);
    assert_string_equal(r->err.rule, rule);
    assert_int_equal(r->line, line);
    assert_int_equal(r->err.line, line);
    assert_string_equal(r->err.field, field);
}

/* A whole-document error. */
static void expect_doc_err(const struct got *g, const char *rule, long line)
{
    assert_int_equal(g->rc, PS_EINVAL);
    assert_string_equal(g->err.rule, rule);
    assert_int_equal(g->err.line, line);
}

static void expect_contains(const char *s, const char *part)
{
    if (strstr(s, part) == NULL)
        fail_msg("\"%s\" does not contain \"%s\"", s, part);
}

static int setup(void **state)
{
    struct ps_err err;
    (void)state;
    ps_err_clear(&err);
    return ps_csv_layouts_load(DEFAULT_LAYOUTS, &err);
}

static int teardown(void **state)
{
    struct ps_err err;
    (void)state;
    ps_test_free_owned();
    /* A test may have loaded its own layouts: back to the shipped ones. */
    return ps_csv_layouts_load(DEFAULT_LAYOUTS, &err);
}

/* ---- the shipped layouts -------------------------------------------- */

static void test_layouts_loaded(void **state)
{
    static const char *const want[][2] = {
        {"accounts", "account.add"},       {"customers", "customer.upsert"},
        {"disbursements", "ewa.disburse"}, {"linx-requests", "linx.request"},
        {"payroll-adp", "ewa.payroll"},
        {"payroll", "ewa.payroll"},        {"provider-status", "txn.status"},
        {"roster-paychex", "ewa.enroll"},  {"roster", "ewa.enroll"},
        {"status", "status.change"},
    };
    (void)state;
    assert_int_equal(ps_csv_layouts_count(), 10);
    for (size_t i = 0; i < 10; i++) {
        const struct ps_csv_layout *L = ps_csv_layout_at(i);
        assert_non_null(L);
        assert_string_equal(L->name, want[i][0]);
        assert_string_equal(L->kind, want[i][1]);
        assert_true(strlen(L->description) > 10);
        expect_contains(L->path, "/formats/csv/layouts/");
        expect_contains(L->path, want[i][0]);
    }
    assert_null(ps_csv_layout_at(10));
    assert_ptr_equal(ps_csv_layout_find("payroll-adp"), ps_csv_layout_at(4));
    assert_null(ps_csv_layout_find("nacha"));
}

static void test_roster(void **state)
{
    struct got *g = read_fixture("valid/roster.csv");
    const struct grec *r;
    (void)state;
    expect_ok(g, 4);
    r = &g->rec[0];
    assert_string_equal(r->kind, "ewa.enroll");
    assert_string_equal(r->ref, "E1001");
    assert_int_equal(r->line, 2);
    /* The BOM (3 bytes) and the CRLF header (247 bytes in all). */
    assert_int_equal(r->offset, 247);
    assert_string_equal(val(r, "external_id"), "E1001");
    assert_string_equal(val(r, "first_name"), "Maria");
    assert_string_equal(val(r, "middle_name"), "Luisa");
    assert_string_equal(val(r, "employment_status"), "ACTIVE"); /* "active" */
    assert_string_equal(val(r, "program"), "Acme EWA");
    assert_string_equal(val(r, "enrollment_begin"), "2026-01-01");
    assert_null(val(r, "enrollment_end")); /* empty: omitted */
    assert_string_equal(val(r, "card_number"), "4111111111111111");
    assert_string_equal(val(r, "earned_wages"), "812.40");
    assert_string_equal(val(r, "currency"), "USD");
    r = &g->rec[1];
    assert_string_equal(val(r, "last_name"), "O'Brien");
    assert_string_equal(val(r, "account_name"), "O'Brien, James");
    assert_string_equal(val(r, "routing_number"), "021000021");
    assert_string_equal(val(r, "account_number"), "000123456789");
    assert_string_equal(val(r, "bank_account_type"), "CHECKING");
    assert_string_equal(val(r, "earned_wages"), "1045.00");
    assert_string_equal(val(r, "currency"), "USD"); /* the default */
    r = &g->rec[3];
    assert_string_equal(val(r, "first_name"), "Nguyễn"); /* UTF-8 */
    assert_string_equal(val(r, "employment_status"), "TERMINATED");
    assert_null(val(r, "earned_wages"));
    assert_int_equal(r->line, 5);
    assert_int_equal(g->totals.records, 4);
    assert_int_equal(g->totals.amount, 0); /* no amount field */
}

/* The domain brief's recommended payroll CSV, with a program column:
 * integer cents, ignored columns. */
static void test_roster_recommended(void **state)
{
    struct got *g = read_fixture("valid/roster-recommended.csv");
    (void)state;
    expect_ok(g, 3);
    assert_string_equal(val(&g->rec[0], "external_id"), "E2001");
    assert_string_equal(val(&g->rec[0], "earned_wages"), "1450.00");
    assert_string_equal(val(&g->rec[1], "earned_wages"), "1760.50");
    assert_string_equal(val(&g->rec[2], "earned_wages"), "0.05");
    assert_null(val(&g->rec[0], "pay_group")); /* ignored, not delivered */
    assert_null(val(&g->rec[0], "hire_date"));
    assert_string_equal(val(&g->rec[2], "employment_status"), "TERMINATED");
}

static void test_roster_paychex(void **state)
{
    struct got *g = read_fixture("valid/roster-paychex.csv");
    const struct grec *r;
    (void)state;
    expect_ok(g, 3);
    r = &g->rec[0];
    assert_string_equal(r->kind, "ewa.enroll");
    assert_string_equal(val(r, "external_id"), "PX-00417");
    assert_string_equal(val(r, "first_name"), "Thomas");
    assert_string_equal(val(r, "employment_status"), "ACTIVE");
    assert_string_equal(val(r, "enrollment_begin"), "2026-03-01"); /* US */
    assert_string_equal(val(r, "bank_account_type"), "CHECKING");
    assert_string_equal(val(r, "account_number"), "4401922871");
    assert_string_equal(val(r, "earned_wages"), "1320.75");
    assert_string_equal(val(r, "period_end"), "2026-11-15");
    assert_null(val(r, "Department")); /* ignored */
    /* Vendor spellings mapped by the layout. */
    assert_string_equal(val(&g->rec[1], "employment_status"), "LEAVE");
    assert_string_equal(val(&g->rec[2], "employment_status"), "TERMINATED");
    assert_string_equal(val(&g->rec[2], "enrollment_end"), "2026-10-31");
    assert_string_equal(val(&g->rec[2], "currency"), "USD");
}

static void test_disbursements(void **state)
{
    struct got *g = read_fixture("valid/disbursements.csv");
    const struct grec *r;
    (void)state;
    expect_ok(g, 4);
    r = &g->rec[0];
    assert_string_equal(r->kind, "ewa.disburse");
    assert_string_equal(r->ref, "EWA-20261120-0001"); /* request_id */
    assert_string_equal(val(r, "request_id"), "EWA-20261120-0001");
    assert_string_equal(val(r, "external_id"), "E1001");
    assert_string_equal(val(r, "amount"), "120.00");
    assert_string_equal(val(r, "currency"), "USD");
    assert_string_equal(val(r, "rail"), "CARD");
    assert_string_equal(val(&g->rec[1], "currency"), "USD"); /* default */
    assert_string_equal(val(&g->rec[1], "rail"), "ACH");
    assert_string_equal(val(&g->rec[2], "amount"), "200.00"); /* "200" */
    assert_string_equal(val(&g->rec[2], "rail"), "CARD");     /* "card" */
    assert_null(val(&g->rec[3], "rail"));
    assert_int_equal(g->totals.records, 4);
    assert_int_equal(g->totals.amount, 12000 + 7550 + 20000 + 4210);
    assert_string_equal(g->totals.currency, "USD");
    assert_string_equal(g->totals.key, "");
}

static void test_payroll(void **state)
{
    struct got *g = read_fixture("valid/payroll.csv");
    const struct grec *r;
    (void)state;
    expect_ok(g, 3);
    r = &g->rec[0];
    assert_string_equal(r->kind, "ewa.payroll");
    assert_string_equal(r->ref, "E1001");
    assert_string_equal(val(r, "pay_date"), "2026-11-20");
    assert_string_equal(val(r, "gross"), "1624.80");
    assert_string_equal(val(r, "net"), "1201.33");
    assert_string_equal(val(r, "ewa_deduction"), "195.00");
    assert_string_equal(val(r, "period_start"), "2026-11-01");
    assert_null(val(r, "first_name")); /* ignored by the payroll layout */
    assert_string_equal(val(&g->rec[2], "gross"), "0.00"); /* "0" */
}

static void test_payroll_adp(void **state)
{
    struct got *g = read_fixture("valid/payroll-adp.csv");
    const struct grec *r;
    (void)state;
    expect_ok(g, 3);
    r = &g->rec[0];
    assert_string_equal(r->kind, "ewa.payroll");
    assert_string_equal(r->ref, "004711"); /* leading zeros kept */
    assert_string_equal(val(r, "pay_date"), "2026-11-20");
    assert_string_equal(val(r, "gross"), "2641.50"); /* 264150 cents */
    assert_string_equal(val(r, "net"), "1928.77");
    assert_string_equal(val(r, "ewa_deduction"), "320.00");
    assert_string_equal(val(r, "currency"), "USD"); /* layout default */
    assert_string_equal(val(&g->rec[2], "gross"), "0.05");
    assert_int_equal(g->rec[2].line, 4);
}

static void test_customers(void **state)
{
    struct got *g = read_fixture("valid/customers.csv");
    const struct grec *r;
    (void)state;
    expect_ok(g, 2);
    r = &g->rec[0];
    assert_string_equal(r->kind, "customer.upsert");
    assert_string_equal(val(r, "type"), "INDIVIDUAL");
    assert_string_equal(val(r, "address_type"), "HOME");
    assert_string_equal(val(r, "country"), "US"); /* "us" */
    assert_string_equal(val(r, "postal_code"), "94103");
    r = &g->rec[1];
    assert_string_equal(val(r, "type"), "BUSINESS");
    assert_string_equal(val(r, "dba_name"), "Blue Fern Catering, LLC");
    assert_string_equal(val(r, "address_line1"), "88 Water St, Suite 200");
    assert_string_equal(val(r, "contact_email"), "rosa@bluefern.example");
    assert_string_equal(val(r, "address_type"), "BILLING");
    assert_null(val(r, "first_name"));
}

static void test_accounts(void **state)
{
    struct got *g = read_fixture("valid/accounts.csv");
    (void)state;
    expect_ok(g, 3);
    assert_string_equal(g->rec[0].kind, "account.add");
    assert_string_equal(val(&g->rec[0], "account_kind"), "CARD");
    assert_string_equal(val(&g->rec[0], "card_number"), "4111111111111111");
    assert_string_equal(val(&g->rec[1], "debit_authorization"), "WEB");
    assert_string_equal(val(&g->rec[2], "account_kind"), "BANK");
    assert_string_equal(val(&g->rec[2], "bank_account_type"), "SAVINGS");
    assert_string_equal(val(&g->rec[2], "debit_authorization"), "CCD");
    assert_string_equal(val(&g->rec[2], "authorization_reference"),
                        "CCD-BF-7781");
}

static void test_status(void **state)
{
    struct got *g = read_fixture("valid/status.csv");
    (void)state;
    expect_ok(g, 3);
    assert_string_equal(g->rec[0].kind, "status.change");
    assert_string_equal(val(&g->rec[0], "target"), "CUSTOMER");
    assert_string_equal(val(&g->rec[0], "reason"), "Fraud review, case 88412");
    assert_string_equal(val(&g->rec[1], "account_last4"), "1111");
    assert_string_equal(val(&g->rec[2], "target"), "EWA");
    assert_string_equal(val(&g->rec[2], "status"), "INELIGIBLE");
}

/* ---- detection ------------------------------------------------------ */

static int bid_on(const char *doc, size_t len, const char **layout, int *ncand)
{
    const struct ps_csv_layout *L = NULL;
    int bid =
        ps_csv_detect((const unsigned char *)doc,
                      len < PS_FORMAT_PEEK ? len : PS_FORMAT_PEEK, &L, ncand);
    *layout = L != NULL ? L->name : "";
    return bid;
}

/*
 * Every fixture is claimed by exactly its layout and by no other: one
 * candidate, so no pair of shipped layouts collides on these files
 * (roster and its Paychex variant, payroll and its ADP variant, roster
 * and payroll on the recommended CSV, customers/accounts/status on their
 * shared external_id).
 */
static void test_detect_each_fixture(void **state)
{
    static const char *const files[][2] = {
        {"valid/roster.csv", "roster"},
        {"valid/roster-recommended.csv", "roster"},
        {"valid/roster-paychex.csv", "roster-paychex"},
        {"valid/disbursements.csv", "disbursements"},
        {"valid/payroll.csv", "payroll"},
        {"valid/payroll-adp.csv", "payroll-adp"},
        {"valid/customers.csv", "customers"},
        {"valid/accounts.csv", "accounts"},
        {"valid/status.csv", "status"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        size_t len;
        const char *doc = fixture(files[i][0], &len), *name;
        const struct ps_format *f = NULL;
        struct ps_err err;
        int n, bid = bid_on(doc, len, &name, &n);
        if (strcmp(name, files[i][1]) != 0 || n != 1)
            fail_msg("%s: bid %d for %s with %d candidates", files[i][0], bid,
                     name, n);
        assert_true(bid >= 60 && bid <= 90);
        assert_int_equal(bid, 90); /* every column known */
        assert_int_equal(
            ps_format_detect((const unsigned char *)doc,
                             len < PS_FORMAT_PEEK ? len : PS_FORMAT_PEEK,
                             files[i][0], NULL, &f, &err),
            0);
        assert_string_equal(f->name, "csv");
    }
}

/* Pairs that share columns, on headers made to tempt both. */
static void test_detect_pairs(void **state)
{
    const char *name;
    int n;
    (void)state;
    /* A payroll file with names is never a roster: no program or status. */
    assert_int_equal(
        bid_on("external_id,first_name,last_name,pay_date,gross,net,"
               "ewa_deduction\n",
               71, &name, &n),
        90);
    assert_string_equal(name, "payroll");
    assert_int_equal(n, 1);
    /* A roster with payroll columns stays a roster (payroll needs gross). */
    assert_true(bid_on("external_id,first_name,last_name,employment_status,"
                       "program,pay_date,net_pay_cents\n",
                       87, &name, &n) >= 60);
    assert_string_equal(name, "roster");
    assert_int_equal(n, 1);
    /* accounts and status both have external_id; each needs its own. */
    bid_on("external_id,account_kind,card_number\n", 38, &name, &n);
    assert_string_equal(name, "accounts");
    assert_int_equal(n, 1);
    bid_on("target,external_id,status,reason\n", 33, &name, &n);
    assert_string_equal(name, "status");
    assert_int_equal(n, 1);
    bid_on("external_id,type,first_name,last_name\n", 38, &name, &n);
    assert_string_equal(name, "customers");
    assert_int_equal(n, 1);
    /* A disbursement file is not payroll or roster. */
    bid_on("request_id,employee_id,amount_cents\n", 36, &name, &n);
    assert_string_equal(name, "disbursements");
    assert_int_equal(n, 1);
    /* Paychex and ADP headers only match their own layouts. */
    bid_on("Employee Number,Legal First Name,Legal Last Name,Employment "
           "Status,EWA Program\n",
           80, &name, &n);
    assert_string_equal(name, "roster-paychex");
    assert_int_equal(n, 1);
    bid_on("Associate ID,Check Date,Gross Pay,Net Pay,EWA Deduction\n", 56,
           &name, &n);
    assert_string_equal(name, "payroll-adp");
    assert_int_equal(n, 1);
    /* Column names: case and surrounding spaces do not matter. */
    bid_on(" REQUEST_ID , External_Id,Amount \n", 34, &name, &n);
    assert_string_equal(name, "disbursements");
}

/* detect(): a header no layout takes but one nearly does names the
 * layout and the missing columns (the near_miss hook) instead of
 * UNRECOGNIZED_FORMAT; a header like nothing stays unrecognized. */
static void test_detect_near_miss(void **state)
{
    static const char nonet[] =
        "external_id,pay_date,gross,ewa_deduction,currency\nE1,2026-11-20,"
        "1.00,0.00,USD\n";
    static const char two[] = "external_id,gross,ewa_deduction\n";
    static const char other[] = "hello,world\n1,2\n";
    const struct ps_format *f = NULL;
    struct ps_err err;
    (void)state;
    ps_err_clear(&err);
    assert_int_equal(ps_format_detect((const unsigned char *)nonet,
                                      sizeof(nonet) - 1, "p.csv", NULL, &f,
                                      &err),
                     PS_EINVAL);
    assert_string_equal(err.rule, "CSV_NO_LAYOUT");
    assert_string_equal(err.field, "net");
    assert_int_equal(err.line, 1);
    assert_non_null(strstr(err.msg, "missing column net (net, net_pay, "
                                    "net_cents or net_pay_cents)"));
    assert_non_null(strstr(err.msg, "layout payroll"));
    /* Forcing the format says the same. */
    ps_err_clear(&err);
    assert_int_equal(ps_format_detect((const unsigned char *)nonet,
                                      sizeof(nonet) - 1, "p.csv", "csv", &f,
                                      &err),
                     PS_EINVAL);
    assert_string_equal(err.rule, "CSV_NO_LAYOUT");
    /* Every missing field is named; the first is the field. */
    ps_err_clear(&err);
    assert_int_equal(ps_format_detect((const unsigned char *)two,
                                      sizeof(two) - 1, "p.csv", NULL, &f,
                                      &err),
                     PS_EINVAL);
    assert_string_equal(err.field, "pay_date");
    assert_non_null(strstr(err.msg, "missing columns pay_date (pay_date), "
                                    "net ("));
    ps_err_clear(&err);
    assert_int_equal(ps_format_detect((const unsigned char *)other,
                                      sizeof(other) - 1, "m.csv", NULL, &f,
                                      &err),
                     PS_EINVAL);
    assert_string_equal(err.rule, "UNRECOGNIZED_FORMAT");
}

static void test_detect_not_csv(void **state)
{
    const char *name;
    int n;
    const struct ps_format *f = NULL;
    struct ps_err err;
    static const char pstest[] = "PSTEST 1\nSEND|R1|C1|1.00|USD\n";
    (void)state;
    assert_int_equal(bid_on(pstest, sizeof(pstest) - 1, &name, &n), 0);
    assert_int_equal(ps_format_detect((const unsigned char *)pstest,
                                      sizeof(pstest) - 1, "p.txt", NULL, &f,
                                      &err),
                     0);
    assert_string_equal(f->name, "pstest");
    assert_int_equal(
        bid_on("<?xml version=\"1.0\"?><Document/>\n", 33, &name, &n), 0);
    assert_int_equal(bid_on("", 0, &name, &n), 0);
    /* A header cut by the peek is not bid on. */
    char big[PS_FORMAT_PEEK + 10];
    memset(big, 'x', sizeof(big));
    memcpy(big, "request_id,external_id,amount,", 30);
    assert_int_equal(bid_on(big, sizeof(big), &name, &n), 0);
    /* Unknown columns lower the bid but keep the candidate. */
    assert_int_equal(
        bid_on("request_id,external_id,amount,memo\n", 35, &name, &n),
        60 + 3 * 30 / 4);
    assert_string_equal(name, "disbursements");
}

/* ---- RFC 4180 ------------------------------------------------------- */

static void test_quotes_and_commas(void **state)
{
    struct got *g =
        read_doc("target,external_id,status,reason\r\n"
                 "CUSTOMER,C1,SUSPENDED,\"He said \"\"stop\"\", then left\"\r\n"
                 "\"CUSTOMER\",\"C2\",\"ACTIVE\",\"a, b, c\"\r\n"
                 "CUSTOMER,C3,ACTIVE,\"\"\"quoted\"\"\"\r\n");
    (void)state;
    expect_ok(g, 3);
    assert_string_equal(val(&g->rec[0], "reason"),
                        "He said \"stop\", then left");
    assert_string_equal(val(&g->rec[1], "reason"), "a, b, c");
    assert_string_equal(val(&g->rec[1], "external_id"), "C2");
    assert_string_equal(val(&g->rec[2], "reason"), "\"quoted\"");
    assert_int_equal(g->rec[2].line, 4);
}

/* Line numbers are physical lines: a record with line breaks inside
 * quotes moves the next record's line, LF, CRLF or lone CR alike. */
static void test_line_numbers(void **state)
{
    static const char doc[] =
        "target,external_id,status,reason\n"        /* 1 */
        "CUSTOMER,C1,ACTIVE,one\n"                  /* 2 */
        "CUSTOMER,C2,ACTIVE,\"two\nlines\"\n"       /* 3-4 */
        "\n"                                        /* 5: blank */
        "CUSTOMER,C3,ACTIVE,\"three\r\n\r\nx\"\r\n" /* 6-8 */
        "CUSTOMER,C4,ACTIVE,cr\r"                   /* 9: lone CR */
        "CUSTOMER,C5,ACTIVE,last";                  /* 10, no newline */
    struct got *g;
    (void)state;
    for (size_t step = 1; step <= 4096; step *= 3) {
        g = read_step(doc, sizeof(doc) - 1, step);
        assert_int_equal(g->rc, 0);
        assert_int_equal(g->n, 5);
        assert_int_equal(g->rec[0].line, 2);
        assert_int_equal(g->rec[1].line, 3);
        assert_int_equal(g->rec[2].line, 6);
        assert_int_equal(g->rec[3].line, 9);
        assert_int_equal(g->rec[4].line, 10);
        assert_int_equal(g->rec[0].offset, 33);
        assert_int_equal(g->rec[1].offset, 33 + 23);
        assert_int_equal(g->rec[4].offset,
                         (int64_t)(strstr(doc, "CUSTOMER,C5") - doc));
        /* The shipped reason is one-line text: the break is an error, the
         * records around it are not. */
        expect_rec_err(&g->rec[1], "BAD_TEXT", 3, "reason");
        assert_string_equal(g->rec[1].ref, "C2");
        assert_int_equal(g->rec[0].err.code, 0);
        assert_int_equal(g->rec[3].err.code, 0);
        assert_string_equal(val(&g->rec[3], "reason"), "cr");
        assert_string_equal(val(&g->rec[4], "reason"), "last");
    }
}

static void test_bom_crlf_blank_rows(void **state)
{
    static const char doc[] = "\xef\xbb\xbfrequest_id,external_id,amount\r\n"
                              "R1,E1,10.00\r\n"
                              ",,\r\n"
                              "\r\n"
                              "R2,E2,20.00\r\n";
    /* One byte per read too: the BOM alone fills the first read. */
    struct got *g = read_step(doc, sizeof(doc) - 1, 1);
    (void)state;
    expect_ok(g, 2);
    assert_int_equal(g->rec[1].line, 5);
    g = read_doc(doc);
    expect_ok(g, 2);
    assert_int_equal(g->rec[0].offset, 3 + 31);
    assert_int_equal(g->rec[0].line, 2);
    assert_int_equal(g->rec[1].line, 5); /* ",," and a blank line skipped */
    assert_string_equal(val(&g->rec[1], "amount"), "20.00");
    assert_int_equal(g->totals.records, 2);
    /* A BOM alone is an empty document. */
    g = read_doc("\xef\xbb\xbf");
    expect_doc_err(g, "CSV_NO_HEADER", 1);
}

/* A cell a spreadsheet would run is read as it is (outputs neutralise). */
static void test_formula_cells_are_data(void **state)
{
    struct got *g = read_doc("target,external_id,status,reason\n"
                             "CUSTOMER,\"=HYPERLINK(\"\"x\"\")\",ACTIVE,=1+2\n"
                             "CUSTOMER,@SUM(A1),ACTIVE,+cmd|' /C calc'!A0\n");
    (void)state;
    expect_ok(g, 2);
    assert_string_equal(g->rec[0].ref, "=HYPERLINK(\"x\")");
    assert_string_equal(val(&g->rec[0], "reason"), "=1+2");
    assert_string_equal(val(&g->rec[1], "reason"), "+cmd|' /C calc'!A0");
}

/* Text is trimmed; amounts, digits and dates are not. */
static void test_trimming(void **state)
{
    struct got *g = read_doc("request_id,external_id,amount\n"
                             "  R1 , E1 ,12.00\n"
                             "R2,E2, 12.00\n"
                             "\" R3\",E3,12.00 \n");
    (void)state;
    assert_int_equal(g->rc, 0);
    assert_int_equal(g->n, 3);
    assert_int_equal(g->rec[0].err.code, 0);
    assert_string_equal(val(&g->rec[0], "request_id"), "R1");
    assert_string_equal(val(&g->rec[0], "external_id"), "E1");
    assert_string_equal(g->rec[0].ref, "R1");
    expect_rec_err(&g->rec[1], "MONEY_FORMAT", 3, "amount");
    expect_rec_err(&g->rec[2], "MONEY_FORMAT", 4, "amount");
    assert_string_equal(g->rec[2].ref, "R3");
}

/* ---- per-record rules ----------------------------------------------- */

static void test_record_rules(void **state)
{
    static const char doc[] =
        "external_id,first_name,last_name,email,phone,employment_status,"
        "program,enrollment_begin,card_number,routing_number,earned_wages,"
        "currency\n"
        "E1,Ann,Lee,a@b.co,+14155550123,ACTIVE,P,2026-01-01,,,1.00,USD\n"
        "E2,Ann,Lee\n"
        ",Ann,Lee,,,ACTIVE,P,,,,,\n"
        "E4,Ann,Leeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee,,,ACTIVE,P,,,"
        ",,\n"
        "E5,Ann,Lee,,,ACTIVE,P,2026-02-30,,,,\n"
        "E6,Ann,Lee,,,ACTIVE,P,,,02100002,,\n"
        "E7,Ann,Lee,,,RETIRED,P,,,,,\n"
        "E8,Ann,Lee,,,ACTIVE,P,,,,12.345,\n"
        "E9,Ann,Lee,not-an-email,,ACTIVE,P,,,,,\n"
        "E10,Ann,Lee,,415-555-0123,ACTIVE,P,,,,,\n"
        "E11,Ann,Lee,,,ACTIVE,P,,,,,XYZ\n"
        "E12,\"Ann\xc0\xaf\",Lee,,,ACTIVE,P,,,,,\n"
        "E13,Ann,\"L\x01\",,,ACTIVE,P,,,,,\n"
        "E14,Ann,Lee,,,ACTIVE,P,,,,-5.00,\n"
        "E15,Ann,Lee,,,ACTIVE,P,,,,1e3,\n"
        "E16,Ann,Lee,,,ACTIVE,P,,,,5.,JPY\n"
        "E17,Ann,Lee,,,ACTIVE,P,,,,99999999999999999999,\n";
    static const struct {
        const char *rule, *field, *column;
    } want[] = {
        {NULL, NULL, NULL},
        {"CSV_FIELD_COUNT", "", NULL},
        {"FIELD_REQUIRED", "external_id", "column 1 \"external_id\""},
        {"FIELD_TOO_LONG", "last_name", "column 3 \"last_name\""},
        {"BAD_DATE", "enrollment_begin", "column 8 \"enrollment_begin\""},
        {"BAD_DIGITS", "routing_number", "column 10 \"routing_number\""},
        {"BAD_ENUM", "employment_status", "column 6"},
        {"MONEY_TOO_MANY_DECIMALS", "earned_wages", "column 11"},
        {"BAD_EMAIL", "email", "column 4 \"email\""},
        {"BAD_PHONE", "phone", "column 5 \"phone\""},
        {"BAD_CURRENCY", "currency", "column 12 \"currency\""},
        {"BAD_UTF8", "first_name", "column 2 \"first_name\""},
        {"BAD_UTF8", "last_name", "column 3"},
        {"MONEY_SIGN", "earned_wages", "column 11"},
        {"MONEY_EXPONENT", "earned_wages", "column 11"},
        {"MONEY_FORMAT", "earned_wages", "column 11"},
        {"MONEY_OVERFLOW", "earned_wages", "column 11"},
    };
    struct got *g = read_doc(doc);
    char line[32];
    (void)state;
    assert_int_equal(g->rc, 0);
    assert_int_equal(g->n, (long)(sizeof(want) / sizeof(want[0])));
    for (long i = 0; i < g->n; i++) {
        const struct grec *r = &g->rec[i];
        if (want[i].rule == NULL) {
            assert_int_equal(r->err.code, 0);
            continue;
        }
        expect_rec_err(r, want[i].rule, i + 2, want[i].field);
        snprintf(line, sizeof(line), "line %ld", i + 2);
        expect_contains(r->err.msg, line);
        if (want[i].column != NULL) {
            expect_contains(r->err.msg, want[i].column);
            char f[80];
            snprintf(f, sizeof(f), "(%s)", want[i].field);
            expect_contains(r->err.msg, f);
        }
        assert_string_equal(r->kind, "ewa.enroll");
        /* The reference survives a bad record (when it is clean text). */
        if (i != 2)
            assert_true(r->has_ref && r->ref[0] == 'E');
    }
    /* Specific wording. */
    expect_contains(g->rec[1].err.msg, "3 cells, the header has 12 columns");
    expect_contains(g->rec[6].err.msg, "ACTIVE, TERMINATED, LEAVE");
    expect_contains(g->rec[3].err.msg, "at most 40");
    /* Valid cells of a rejected record are still delivered. */
    assert_string_equal(val(&g->rec[4], "external_id"), "E5");
    assert_null(val(&g->rec[4], "enrollment_begin"));
}

/* A UTF-8 error per kind of bad sequence; C1 and surrogates too. */
static void test_utf8_strict(void **state)
{
    static const char *const bad[] = {
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong */
        "\xed\xa0\x80",     /* surrogate U+D800 */
        "\xc2\x85",         /* C1 control NEL */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\xff",             /* never UTF-8 */
        "\x7f",             /* DEL */
        "a\x00"
        "b", /* NUL (inside a quoted cell below) */
    };
    static const size_t badlen[] = {2, 3, 3, 2, 4, 1, 1, 3};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char doc[128];
        size_t n = 0;
        n += (size_t)snprintf(doc, sizeof(doc),
                              "target,external_id,status,reason\n"
                              "EWA,E1,NEW,\"");
        memcpy(doc + n, bad[i], badlen[i]);
        n += badlen[i];
        memcpy(doc + n, "\"\n", 2);
        n += 2;
        struct got *g = read_step(doc, n, 7);
        assert_int_equal(g->rc, 0);
        assert_int_equal(g->n, 1);
        expect_rec_err(&g->rec[0], "BAD_UTF8", 2, "reason");
    }
    /* Valid UTF-8 of every length passes; the limit counts characters. */
    struct got *g = read_doc("target,external_id,status,reason\n"
                             "EWA,E1,NEW,\"é€𝄞 ok\"\n");
    expect_ok(g, 1);
    assert_string_equal(val(&g->rec[0], "reason"), "é€𝄞 ok");
}

/* Card and account numbers never reach a message, whatever the rule. */
static void test_sensitive_values(void **state)
{
    struct got *g = read_doc(
        "external_id,account_kind,card_number,account_number,routing_number\n"
        "C1,CARD,41111111111111119999,,\n"          /* 20 digits */
        "C2,BANK,,12345678901234567890,021000021\n" /* 20 digits */
        "C3,CARD,4111-1111-1111-1111,,\n"
        "C4,PLASTIC,4111111111111111,,\n"); /* another cell is bad */
    (void)state;
    assert_int_equal(g->rc, 0);
    assert_int_equal(g->n, 4);
    expect_rec_err(&g->rec[0], "BAD_DIGITS", 2, "card_number");
    expect_rec_err(&g->rec[1], "BAD_DIGITS", 3, "account_number");
    expect_rec_err(&g->rec[2], "BAD_DIGITS", 4, "card_number");
    expect_rec_err(&g->rec[3], "BAD_ENUM", 5, "account_kind");
    for (int i = 0; i < 4; i++) {
        const char *m = g->rec[i].err.msg;
        assert_null(strstr(m, "4111"));
        assert_null(strstr(m, "1111"));
        assert_null(strstr(m, "12345678"));
    }
    expect_contains(g->rec[0].err.msg, "13 to 19 digits");
    expect_contains(g->rec[0].err.msg, "withheld");
    expect_contains(g->rec[3].err.msg, "PLASTIC"); /* not sensitive */
}

static void test_money_currency_exponent(void **state)
{
    struct got *g = read_doc("request_id,external_id,amount,currency\n"
                             "R1,E1,1500,JPY\n"
                             "R2,E2,1500.5,JPY\n"
                             "R3,E3,1.234,BHD\n"
                             "R4,E4,0012.5,usd\n");
    (void)state;
    assert_int_equal(g->rc, 0);
    assert_int_equal(g->rec[0].err.code, 0);
    assert_string_equal(val(&g->rec[0], "amount"), "1500");
    expect_rec_err(&g->rec[1], "MONEY_TOO_MANY_DECIMALS", 3, "amount");
    assert_string_equal(val(&g->rec[2], "amount"), "1.234");
    assert_string_equal(val(&g->rec[3], "amount"), "12.50");
    assert_string_equal(val(&g->rec[3], "currency"), "USD");
    /* Totals: mixed currencies give no currency. */
    assert_int_equal(g->totals.records, 4);
    assert_string_equal(g->totals.currency, "");
    /* Four decimals (CLF): 19 digits may not fit in 64 bits, and the
     * quick path for plain amounts must leave that to the money parser. */
    g = read_doc("request_id,external_id,amount,currency\n"
                 "R1,E1,999999999999999.9999,CLF\n"
                 "R2,E2,99999999999999.9999,CLF\n"
                 "R3,E3,922337203685477.5807,CLF\n");
    assert_int_equal(g->rc, 0);
    expect_rec_err(&g->rec[0], "MONEY_OVERFLOW", 2, "amount");
    assert_string_equal(val(&g->rec[1], "amount"), "99999999999999.9999");
    assert_string_equal(val(&g->rec[2], "amount"), "922337203685477.5807");
    assert_int_equal(g->totals.amount, INT64_MAX);
}

static void test_cents_columns(void **state)
{
    struct got *g = read_doc("request_id,external_id,amount_cents,currency\n"
                             "R1,E1,12345,USD\n"
                             "R2,E2,12.50,USD\n"
                             "R3,E3,7,BHD\n");
    (void)state;
    assert_int_equal(g->rc, 0);
    assert_string_equal(val(&g->rec[0], "amount"), "123.45");
    expect_rec_err(&g->rec[1], "MONEY_TOO_MANY_DECIMALS", 3, "amount");
    expect_contains(g->rec[1].err.msg, "whole number of minor units");
    assert_string_equal(val(&g->rec[2], "amount"), "0.007");
    assert_string_equal(g->totals.currency, "");
}

/* ---- whole-document rules ------------------------------------------ */

static void test_document_rules(void **state)
{
    size_t len;
    struct got *g;
    (void)state;
    g = read_fixture("invalid/empty.csv");
    expect_doc_err(g, "CSV_NO_HEADER", 1);
    g = read_fixture("invalid/unterminated-quote.csv");
    expect_doc_err(g, "CSV_UNTERMINATED_QUOTE", 2);
    expect_contains(g->err.msg, "truncated");
    assert_int_equal(g->n, 0);
    g = read_fixture("invalid/bad-quote.csv");
    expect_doc_err(g, "CSV_BAD_QUOTE", 2);
    g = read_fixture("invalid/header-unknown-column.csv");
    expect_doc_err(g, "HEADER_UNKNOWN_COLUMN", 1);
    expect_contains(g->err.msg, "column 4 \"note\"");
    g = read_fixture("invalid/header-duplicate-column.csv");
    expect_doc_err(g, "HEADER_DUPLICATE_COLUMN", 1);
    expect_contains(g->err.msg, "columns 2 \"external_id\" and 3 "
                                "\"employee_id\"");
    assert_string_equal(g->err.field, "external_id");
    g = read_fixture("invalid/no-layout.csv");
    expect_doc_err(g, "CSV_NO_LAYOUT", 1);
    /* A header with a name that is not a column, with an empty name. */
    g = read_doc("request_id,external_id,amount,\nR1,E1,1.00,\n");
    expect_doc_err(g, "HEADER_UNKNOWN_COLUMN", 1);
    expect_contains(g->err.msg, "column 4 has no name");
    /* A bad header name. */
    g = read_doc("request_id,\"exter\nnal_id\",amount\n");
    expect_doc_err(g, "HEADER_BAD_UTF8", 1);
    /* Too many columns. */
    char *wide = ps_test_own(malloc(8 * (PS_CSV_COLUMNS_MAX + 2)));
    len = 0;
    for (int i = 0; i <= PS_CSV_COLUMNS_MAX; i++)
        len += (size_t)sprintf(wide + len, "c%d,", i);
    wide[len - 1] = '\n';
    g = read_step(wide, len, 1 << 20);
    expect_doc_err(g, "CSV_TOO_MANY_COLUMNS", 1);
    /* A record over PS_CSV_RECORD_MAX bytes, e.g. an unclosed quote with
     * the rest of a big file behind it: refused early, line named. */
    size_t big = PS_CSV_RECORD_MAX + 4096;
    char *doc = ps_test_own(malloc(big + 64));
    len = (size_t)sprintf(doc, "request_id,external_id,amount\nR1,E1,1.00\n"
                               "R2,\"");
    memset(doc + len, 'x', big);
    len += big;
    g = read_step(doc, len, 4096);
    expect_doc_err(g, "RECORD_TOO_LONG", 3);
    assert_int_equal(g->n, 1); /* R1 came before */
    /* The same bytes quoted and closed, still too long. */
    memcpy(doc + len, "\",1.00\n", 7);
    g = read_step(doc, len + 7, 1 << 20);
    expect_doc_err(g, "RECORD_TOO_LONG", 3);
}

/* ---- layout files ---------------------------------------------------- */

static void write_file(const char *dir, const char *name, const char *text)
{
    FILE *f = fopen(ps_test_path(dir, name, 0), "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

static const char minimal[] = "[layout]\n"
                              "name = %s\n"
                              "kind = test.kind\n"
                              "[field id]\n"
                              "columns = id\n"
                              "type = text\n"
                              "required = yes\n";

/* One bad layout file: the error names file, line, key and rule. */
static void expect_layout_err(const char *text, const char *rule, long line,
                              const char *key, const char *msg_part)
{
    char dir[PATH_MAX];
    struct ps_err err;
    assert_int_equal(ps_test_tmpdir(dir, sizeof(dir), "csvlayout"), 0);
    write_file(dir, "bad.layout", text);
    ps_err_clear(&err);
    int rc = ps_csv_layouts_load(dir, &err);
    ps_test_rmtree(dir);
    if (rc != PS_ECONFIG || strcmp(err.rule, rule) != 0 || err.line != line ||
        strcmp(err.field, key) != 0)
        fail_msg("want %s line %ld key %s; got rc %d %s line %ld key %s: %s",
                 rule, line, key, rc, err.rule, err.line, err.field, err.msg);
    expect_contains(err.file, "bad.layout");
    if (msg_part != NULL)
        expect_contains(err.msg, msg_part);
}

static void test_layout_file_errors(void **state)
{
    (void)state;
    expect_layout_err("[layout]\nname = x\nkind = k\ncolour = red\n",
                      "LAYOUT_KEY", 4, "colour", "unknown key");
    expect_layout_err("[layout]\nname = x\nkind = k\n[field a]\n"
                      "columns = a\ntype = float\n",
                      "LAYOUT_VALUE", 6, "type", "float");
    expect_layout_err("[layout]\nname = x\n[field a]\ncolumns = a\n"
                      "type = text\n",
                      "LAYOUT_MISSING", 2, "kind", NULL);
    expect_layout_err("[layout]\nname = x\nkind = k\nthis is not ini\n",
                      "LAYOUT_SYNTAX", 4, "", NULL);
    expect_layout_err("[layout]\nname = x\nkind = k\n[colour]\nred = 1\n",
                      "LAYOUT_SECTION", 5, "", "[colour]");
    expect_layout_err("[layout]\nname = x\nkind = k\n[field s]\n"
                      "columns = s\ntype = enum\nvalues = A, Bee -> B\n",
                      "LAYOUT_VALUE", 7, "values", "B");
    expect_layout_err("[layout]\nname = x\nkind = k\nreference = nope\n"
                      "[field a]\ncolumns = a\ntype = text\n",
                      "LAYOUT_VALUE", 4, "reference", "nope");
    expect_layout_err("[layout]\nname = x\nkind = k\n[field m]\n"
                      "columns = m\ntype = money\n",
                      "LAYOUT_MISSING", 2, "currency", "currency");
    expect_layout_err("[layout]\nname = x\nkind = k\n[field a]\n"
                      "columns = a, b\n[field b]\ncolumns = B\n",
                      "LAYOUT_VALUE", 7, "columns", "field a");
    expect_layout_err("[layout]\nname = x\nkind = k\n[field a]\n"
                      "columns = a\ntype = text\nmax = ten\n",
                      "LAYOUT_VALUE", 7, "max", NULL);
    expect_layout_err("[layout]\nname = x\nkind = k\ncurrency = usd\n",
                      "LAYOUT_VALUE", 4, "currency", "ISO 4217");
    expect_layout_err("[layout]\nname = x\nkind = k\nextras = yes\n"
                      "extras = no\n",
                      "LAYOUT_KEY", 5, "extras", "twice");
    expect_layout_err("[layout]\nname = x\nkind = k\n[field c]\n"
                      "columns = c\ntype = digits\nsensitive = yes\n"
                      "[layout]\nreference = c\n",
                      "LAYOUT_SECTION", 9, "layout", "twice");
    /* A line inih would split is refused, not misread. */
    char longline[400];
    snprintf(longline, sizeof(longline),
             "[layout]\nname = x\nkind = k\n"
             "description = %0300d\n",
             0);
    expect_layout_err(longline, "LAYOUT_SYNTAX", 4, "", "longer than");
}

static void test_layout_duplicate_and_all_or_nothing(void **state)
{
    char dir[PATH_MAX], text[512], both[2 * PATH_MAX + 1];
    struct ps_err err;
    (void)state;
    assert_int_equal(ps_test_tmpdir(dir, sizeof(dir), "csvlayout"), 0);
    snprintf(text, sizeof(text), minimal, "twin");
    write_file(dir, "a.layout", text);
    write_file(dir, "b.layout", text);
    ps_err_clear(&err);
    assert_int_equal(ps_csv_layouts_load(dir, &err), PS_ECONFIG);
    assert_string_equal(err.rule, "LAYOUT_DUPLICATE");
    expect_contains(err.msg, "a.layout");
    expect_contains(err.msg, "b.layout");
    /* The shipped layouts are still loaded. */
    assert_int_equal(ps_csv_layouts_count(), 10);
    /* Two folders, colon-separated, and a missing one. */
    snprintf(both, sizeof(both), "%s:%s/nowhere", DEFAULT_LAYOUTS, dir);
    assert_int_equal(ps_csv_layouts_load(both, &err), PS_ECONFIG);
    assert_string_equal(err.rule, "LAYOUT_DIR");
    assert_int_equal(ps_csv_layouts_count(), 10);
    ps_test_rmtree(dir);
}

/*
 * The point of declared layouts: a new vendor is a file in a folder.  The
 * layout uses what the shipped ones do not: extras, integer, multiline
 * text, DD/MM/YYYY dates, FIELD_TOO_SHORT, BAD_INTEGER, BAD_COUNTRY.
 */
static void test_custom_layout_no_rebuild(void **state)
{
    char dir[PATH_MAX], envdir[PATH_MAX + 32];
    struct ps_err err;
    struct got *g;
    (void)state;
    assert_int_equal(ps_test_tmpdir(dir, sizeof(dir), "csvlayout"), 0);
    write_file(dir, "timesheet.layout",
               "; A time-keeping vendor's export.\n"
               "[layout]\n"
               "name = kronos-hours\n"
               "kind = ewa.hours\n"
               "description = Hours worked (Kronos-style export)\n"
               "reference = worker\n"
               "extras = yes\n"
               "\n"
               "[field worker]\n"
               "columns = Worker ID, Badge\n"
               "type = text\n"
               "required = yes\n"
               "min = 3\n"
               "max = 12\n"
               "\n"
               "[field worked_on]\n"
               "columns = Worked Date\n"
               "type = date\n"
               "format = DD/MM/YYYY\n"
               "required = yes\n"
               "\n"
               "[field minutes]\n"
               "columns = Minutes\n"
               "type = integer\n"
               "min = 0\n"
               "max = 1440\n"
               "\n"
               "[field note]\n"
               "columns = Note\n"
               "type = text\n"
               "multiline = yes\n"
               "\n"
               "[field country]\n"
               "columns = Country\n"
               "type = country\n");
    ps_err_clear(&err);
    if (ps_csv_layouts_load(dir, &err) != 0)
        fail_msg("%s:%ld: %s [%s]", err.file, err.line, err.msg, err.rule);
    assert_int_equal(ps_csv_layouts_count(), 1);
    assert_string_equal(ps_csv_layout_at(0)->kind, "ewa.hours");
    g = read_doc("Worker ID,Worked Date,Minutes,Note,Supervisor,Country\n"
                 "W-1001,29/02/2028,480,\"left early\nfor a doctor\",Kim,ca\n"
                 "W1,01/03/2026,60,,Kim,CA\n"
                 "W-1003,31/04/2026,60,,Kim,CA\n"
                 "W-1004,01/05/2026,1441,,Kim,CA\n"
                 "W-1005,01/05/2026,-5,,Kim,CAN\n"
                 "W-1006,01/05/2026,15,,Kim,\n");
    assert_int_equal(g->rc, 0);
    assert_int_equal(g->n, 6);
    assert_string_equal(g->rec[0].kind, "ewa.hours");
    assert_int_equal(g->rec[0].err.code, 0);
    assert_string_equal(val(&g->rec[0], "worked_on"), "2028-02-29");
    assert_string_equal(val(&g->rec[0], "note"), "left early\nfor a doctor");
    assert_string_equal(val(&g->rec[0], "country"), "CA");
    assert_null(val(&g->rec[0], "Supervisor")); /* an extra: not read */
    expect_rec_err(&g->rec[1], "FIELD_TOO_SHORT", 4, "worker");
    expect_rec_err(&g->rec[2], "BAD_DATE", 5, "worked_on");
    expect_contains(g->rec[2].err.msg, "DD/MM/YYYY");
    expect_rec_err(&g->rec[3], "BAD_INTEGER", 6, "minutes");
    expect_rec_err(&g->rec[4], "BAD_INTEGER", 7, "minutes");
    assert_int_equal(g->rec[5].err.code, 0);
    assert_string_equal(val(&g->rec[5], "minutes"), "15");
    /* A country error shows once the minutes are right. */
    g = read_doc("Badge,Worked Date,Country\nB-77,01/05/2026,CAN\n");
    expect_rec_err(&g->rec[0], "BAD_COUNTRY", 2, "country");
    /* $PAYSPOOL_LAYOUTS is the default folder when set. */
    snprintf(envdir, sizeof(envdir), "%s", DEFAULT_LAYOUTS);
    setenv("PAYSPOOL_LAYOUTS", envdir, 1);
    ps_csv_layouts_unload();
    assert_int_equal(ps_csv_layouts_ensure(&err), 0);
    assert_int_equal(ps_csv_layouts_count(), 10);
    setenv("PAYSPOOL_LAYOUTS", dir, 1);
    ps_csv_layouts_unload();
    assert_int_equal(ps_csv_layouts_count(), 1);
    unsetenv("PAYSPOOL_LAYOUTS");
    ps_test_rmtree(dir);
}

/* A document keeps the layouts it opened with while others are loaded. */
static void test_reload_while_open(void **state)
{
    static const char doc[] = "request_id,external_id,amount\n"
                              "R1,E1,1.00\nR2,E2,2.00\n";
    struct mem m = {doc, sizeof(doc) - 1, 1 << 20};
    struct ps_stream in = {mem_read, &m};
    struct ps_record rec;
    struct ps_err err;
    void *st = NULL;
    (void)state;
    assert_int_equal(ps_format_csv.open(&in, "d.csv", &st, &err), 0);
    assert_int_equal(ps_format_csv.next(st, &rec, &err), 1);
    ps_csv_layouts_unload();
    assert_int_equal(ps_csv_layouts_load(DEFAULT_LAYOUTS, &err), 0);
    assert_int_equal(ps_format_csv.next(st, &rec, &err), 1);
    assert_string_equal(rec.kind, "ewa.disburse");
    assert_string_equal(ps_record_get(&rec, "amount"), "2.00");
    assert_int_equal(ps_format_csv.next(st, &rec, &err), 0);
    ps_format_csv.close(st);
}

/* ---- the same records however the bytes arrive --------------------- */

/* Two records alike in everything a caller sees. */
static void expect_same_record(const struct ps_record *a,
                               const struct ps_record *b)
{
    assert_int_equal(a->line, b->line);
    assert_int_equal(a->offset, b->offset);
    assert_string_equal(a->kind, b->kind);
    assert_int_equal(a->reference == NULL, b->reference == NULL);
    if (a->reference != NULL)
        assert_string_equal(a->reference, b->reference);
    assert_int_equal(a->nfields, b->nfields);
    for (size_t i = 0; i < a->nfields; i++) {
        assert_string_equal(a->name[i], b->name[i]);
        assert_string_equal(a->value[i], b->value[i]);
    }
    assert_int_equal(a->err.code, b->err.code);
    assert_string_equal(a->err.rule, b->err.rule);
    assert_string_equal(a->err.msg, b->err.msg);
    assert_string_equal(a->err.field, b->err.field);
    assert_int_equal(a->err.line, b->err.line);
    assert_int_equal(a->err.offset, b->err.offset);
}

static void expect_same_error(const struct ps_err *a, const struct ps_err *b)
{
    assert_string_equal(a->rule, b->rule);
    assert_string_equal(a->msg, b->msg);
    assert_int_equal(a->line, b->line);
    assert_int_equal(a->offset, b->offset);
}

/*
 * Read doc through two readers in step, one `step` bytes per stream read
 * and one a byte at a time: a byte at a time, the reader never holds a
 * whole line, so it feeds libcsv line by line, while large reads let it
 * hand libcsv runs of plain lines at once.  Every record, error and total
 * must come out the same.  Returns the number of records.
 */
static long expect_same_reading(const char *doc, size_t len, size_t step)
{
    struct mem ma = {doc, len, step}, mb = {doc, len, 1};
    struct ps_stream ina = {mem_read, &ma}, inb = {mem_read, &mb};
    struct ps_record ra, rb;
    struct ps_err ea, eb;
    void *a = NULL, *b = NULL;
    long n = 0;
    int rca = ps_format_csv.open(&ina, "a.csv", &a, &ea);
    int rcb = ps_format_csv.open(&inb, "b.csv", &b, &eb);
    assert_int_equal(rca, rcb);
    if (rca != 0) {
        expect_same_error(&ea, &eb);
        return 0;
    }
    for (;;) {
        rca = ps_format_csv.next(a, &ra, &ea);
        rcb = ps_format_csv.next(b, &rb, &eb);
        assert_int_equal(rca, rcb);
        if (rca <= 0)
            break;
        expect_same_record(&ra, &rb);
        n++;
    }
    if (rca < 0) {
        expect_same_error(&ea, &eb);
    } else {
        struct ps_doc_totals ta, tb;
        assert_int_equal(ps_format_csv.finish(a, &ta, &ea), 0);
        assert_int_equal(ps_format_csv.finish(b, &tb, &eb), 0);
        assert_int_equal(ta.records, tb.records);
        assert_int_equal(ta.amount, tb.amount);
        assert_string_equal(ta.currency, tb.currency);
    }
    ps_format_csv.close(a);
    ps_format_csv.close(b);
    return n;
}

/* A small deterministic generator (xorshift64). */
static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Append a disbursement row: mostly plain lines, now and then a cell or a
 * line ending that sends the reader back to line-by-line parsing.  The
 * last two odd cells are document errors (a stray quote, an open one):
 * only the first `nodd` are used; none, and the row is plain. */
static size_t gen_row(char *d, uint64_t *x, long i, unsigned nodd)
{
    static const char *const odd[] = {
        " R ",   "\"q\"", "\"a,b\"", "\"two\nlines\"", "caf\xc3\xa9",
        "a\tb",  "\xff",  "",        "12.345",        " 1.00",
        "-5.00", "\"\"",  "usd",     "ach ",          "\x01",
        "JPY",   "a b",   "1e3",     "x\"y",           "\"open"};
    static const char *const ends[] = {"\n", "\r\n", "\r", "\n\n", ",\n",
                                       "\n \n", "\n,,,,\n"};
    uint64_t r = rnd(x);
    size_t n = 0;
    if (nodd > 0 && r % 8 == 0) {
        /* Five cells, any of them odd. */
        for (int c = 0; c < 5; c++) {
            uint64_t k = rnd(x);
            n += (size_t)sprintf(d + n, "%s%s", c > 0 ? "," : "",
                                 k % 3 == 0 ? odd[k / 3 % nodd] : "R1");
        }
    } else {
        n += (size_t)sprintf(d + n, "R-%08ld,EMP%ld,%ld.%02ld,USD,%s", i,
                             i % 97, (long)(r >> 8) % 500, (long)(r >> 20) % 100,
                             r % 3 == 0 ? "CARD" : "ach");
    }
    r = rnd(x);
    n += (size_t)sprintf(d + n, "%s",
                         nodd > 0 && r % 6 == 0 ? ends[r / 6 % 7] : "\n");
    return n;
}

/*
 * Lines of plain bytes go to libcsv many at a time and their cells stay
 * where they were read; every other line goes one at a time.  Mixed
 * documents, small and large (past the 256 KiB read block), must read
 * exactly the same both ways.
 */
static void test_runs_read_like_lines(void **state)
{
    static const char *const heads[] = {
        "request_id,external_id,amount,currency,rail\n",
        "\xef\xbb\xbfrequest_id,external_id,amount,currency,rail\r\n",
        "\n\nrequest_id , External_ID,amount,currency,rail\n"};
    size_t cap = 1200 * 1024;
    char *doc = ps_test_own(malloc(cap + 256));
    uint64_t x = 88172645463325252u;
    (void)state;
    for (int t = 0; t < 200; t++) {
        size_t n = (size_t)sprintf(doc, "%s", heads[t % 3]);
        long rows = (long)(rnd(&x) % 60);
        for (long i = 0; i < rows; i++)
            n += gen_row(doc + n, &x, i, 20);
        /* Sometimes no newline at the end, or a last quote left open. */
        if (t % 5 == 1 && n > 0 && doc[n - 1] == '\n')
            n--;
        if (t % 17 == 3)
            n += (size_t)sprintf(doc + n, "R9,E9,\"1.00");
        expect_same_reading(doc, n, 1 << 20);
        expect_same_reading(doc, n, 7);
    }
    /* Past a block: runs cut at their longest and at block ends (plain
     * rows first), then rows of every kind. */
    size_t n = (size_t)sprintf(doc, "%s", heads[0]);
    long i = 0;
    for (; n < cap; i++)
        n += gen_row(doc + n, &x, i, i < 3000 ? 0 : 18);
    assert_true(expect_same_reading(doc, n, 1 << 20) > 10000);
    expect_same_reading(doc, n, 4093);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_layouts_loaded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roster, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roster_recommended, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_roster_paychex, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disbursements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payroll, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payroll_adp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_customers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accounts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detect_each_fixture, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_detect_pairs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detect_not_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detect_near_miss, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_quotes_and_commas, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_line_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bom_crlf_blank_rows, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_formula_cells_are_data, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_trimming, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_utf8_strict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sensitive_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_money_currency_exponent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cents_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_document_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_layout_file_errors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_layout_duplicate_and_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_layout_no_rebuild, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reload_while_open, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_runs_read_like_lines, setup,
                                        teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ps_csv_layouts_unload();
    return rc;
}
