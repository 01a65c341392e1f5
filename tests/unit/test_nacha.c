/*
 * test_nacha.c -- the NACHA reader and validator (formats/nacha/reader.c)
 * and its format adapter (format.c), on the fixtures of fixtures/nacha/
 * (written by fixtures/nacha/make-fixtures.py): every valid file reads
 * with no problem and the expected entries, whatever the stream's read
 * sizes; every invalid file gives exactly the rule it is named for, with
 * its location; each lenient option excuses its rule and is reported;
 * the line-ending variants give the same entries; no message shows an
 * account number; the adapter's bid, records and totals.
 */
#include "testutil.h"

#include <dirent.h>

#include "formats/format.h"
#include "formats/nacha/nacha.h"

#define MAXENT 16

struct got {
    int rc;      /* the first negative next(), or finish()'s return */
    struct ps_err err;
    long n;
    struct ps_nacha_entry e[MAXENT];
    struct ps_nacha_file_info info;
    size_t nprobs;
    long total;
    struct ps_doc_problem probs[8];
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

static struct got *read_mem(const char *doc, size_t len, size_t step,
                            unsigned lenient)
{
    struct got *g = ps_test_own(calloc(1, sizeof(*g)));
    struct mem m = {doc, len, step};
    struct ps_stream in = {mem_read, &m};
    struct ps_nacha_reader *r = NULL;
    struct ps_nacha_entry e;
    const struct ps_doc_problem *list;
    int rc;
    ps_err_clear(&g->err);
    memset(&e, 0, sizeof(e)); /* its padding bytes, compared below */
    assert_int_equal(ps_nacha_reader_open(&in, "t.ach", lenient, &r, &g->err),
                     0);
    while ((rc = ps_nacha_reader_next(r, &e, &g->err)) > 0) {
        if (g->n < MAXENT)
            g->e[g->n] = e;
        g->n++;
    }
    g->rc = rc < 0 ? rc : ps_nacha_reader_finish(r, &g->info, &g->err);
    g->nprobs = ps_nacha_reader_problems(r, &list, &g->total);
    if (g->nprobs > 0)
        memcpy(g->probs, list,
               (g->nprobs < 8 ? g->nprobs : 8) * sizeof(g->probs[0]));
    ps_nacha_reader_close(r);
    return g;
}

static const char *path_of(const char *rel)
{
    static char path[PATH_MAX];
    const char *dir = getenv("PS_FIXTURES");
    snprintf(path, sizeof(path), "%s/nacha/%s",
             dir != NULL ? dir : PS_SOURCE_DIR "/fixtures", rel);
    return path;
}

static const char *fixture(const char *rel, size_t *len)
{
    return ps_test_slurp(path_of(rel), len);
}

static struct got *read_fixture(const char *rel, unsigned lenient)
{
    size_t len;
    const char *doc = fixture(rel, &len);
    return read_mem(doc, len, 1 << 20, lenient);
}

static void expect_clean(const struct got *g, const char *name)
{
    if (g->rc != 0 || g->total != 0)
        fail_msg("%s: %s [%s]", name, g->err.msg, g->err.rule);
}

/* The names of a fixture directory, sorted, into names[] (max n). */
static size_t list_dir(const char *rel, char (*names)[64], size_t max)
{
    DIR *d = opendir(path_of(rel));
    struct dirent *de;
    size_t n = 0;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL && n < max)
        if (strstr(de->d_name, ".ach") != NULL)
            ps_strlcpy(names[n++], de->d_name, 64);
    closedir(d);
    qsort(names, n, 64, (int (*)(const void *, const void *))strcmp);
    return n;
}

static int teardown(void **state)
{
    (void)state;
    ps_test_free_owned();
    return 0;
}

/* ---- valid files ------------------------------------------------------- */

static void test_valid_all_clean(void **state)
{
    char names[64][64];
    static const size_t steps[] = {1 << 20, 1, 7, 95, 4096};
    size_t n = list_dir("valid", names, 64);
    (void)state;
    assert_true(n >= 12);
    for (size_t i = 0; i < n; i++) {
        char rel[128];
        size_t len;
        snprintf(rel, sizeof(rel), "valid/%s", names[i]);
        const char *doc = fixture(rel, &len);
        long entries = -1;
        for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
            struct got *g = read_mem(doc, len, steps[s], 0);
            expect_clean(g, names[i]);
            assert_true(g->n > 0);
            if (entries >= 0)
                assert_int_equal(g->n, entries);
            entries = g->n;
            assert_int_equal(g->info.lenient_used, 0);
        }
    }
}

static void test_ppd_entries(void **state)
{
    struct got *g = read_fixture("valid/ppd-payroll.ach", 0);
    const struct ps_nacha_entry *e = &g->e[0];
    (void)state;
    expect_clean(g, "ppd");
    assert_int_equal(g->n, 6);
    assert_int_equal(e->kind, PS_NACHA_ENTRY);
    assert_int_equal(e->line, 3);
    assert_int_equal(e->offset, 2 * 95);
    assert_int_equal(e->service_class, 220);
    assert_string_equal(e->sec, "PPD");
    assert_string_equal(e->company_name, "NORTHWIND LOGIST");
    assert_string_equal(e->company_id, "1412345678");
    assert_string_equal(e->entry_description, "PAYROLL");
    assert_string_equal(e->effective_date, "2026-11-23");
    assert_string_equal(e->odfi, "07640125");
    assert_int_equal(e->batch_number, 1);
    assert_int_equal(e->transaction_code, 22);
    assert_int_equal(e->credit, 1);
    assert_int_equal(e->prenote, 0);
    assert_string_equal(e->rdfi, "021000021");
    assert_string_equal(e->account, "123456789");
    assert_int_equal(e->amount, 125000);
    assert_string_equal(e->individual_id, "EMP0001");
    assert_string_equal(e->individual_name, "MARIA GARCIA");
    assert_string_equal(e->trace, "076401250000001");
    assert_int_equal(e->addenda_count, 0);
    assert_string_equal(g->e[1].payment_info, "PAYROLL 2026-11-23 NET PAY");
    assert_int_equal(g->e[1].addenda_count, 1);
    assert_string_equal(g->e[1].individual_name, "JAMES O'BRIEN");
    assert_int_equal(g->e[4].credit, 0);
    assert_int_equal(g->e[4].service_class, 225);
    assert_int_equal(g->e[4].transaction_code, 27);
    assert_int_equal(g->e[4].batch_number, 2);
    const struct ps_nacha_file_info *fi = &g->info;
    assert_string_equal(fi->immediate_destination, "091000019");
    assert_string_equal(fi->immediate_origin, "076401251");
    assert_string_equal(fi->creation_date, "2026-11-20");
    assert_string_equal(fi->creation_time, "0930");
    assert_int_equal(fi->file_id_modifier, 'A');
    assert_string_equal(fi->destination_name, "US BANK");
    assert_int_equal(fi->batches, 2);
    assert_int_equal(fi->entries, 6);
    assert_int_equal(fi->addenda, 1);
    assert_int_equal(fi->total_credit, 125000 + 98765 + 210050 + 87525);
    assert_int_equal(fi->total_debit, 15000 + 4500);
    assert_int_equal(fi->blocks, 2);
}

/* CRLF, no line endings and no padding: the same entries. */
static void test_shapes_same_entries(void **state)
{
    static const char *const v[] = {"valid/ppd-crlf.ach",
                                    "valid/ppd-no-newlines.ach",
                                    "valid/ppd-unpadded.ach"};
    struct got *base = read_fixture("valid/ppd-payroll.ach", 0);
    (void)state;
    for (size_t i = 0; i < 3; i++) {
        struct got *g = read_fixture(v[i], 0);
        expect_clean(g, v[i]);
        assert_int_equal(g->n, base->n);
        for (long k = 0; k < g->n; k++) {
            struct ps_nacha_entry a = base->e[k], b = g->e[k];
            assert_int_equal(a.line, b.line);
            a.offset = b.offset = 0;
            assert_memory_equal(&a, &b, sizeof(a));
        }
    }
    /* Offsets follow the line endings. */
    struct got *g = read_fixture("valid/ppd-crlf.ach", 0);
    assert_int_equal(g->e[0].offset, 2 * 96);
    g = read_fixture("valid/ppd-no-newlines.ach", 0);
    assert_int_equal(g->e[0].offset, 2 * 94);
}

static void test_sec_files(void **state)
{
    (void)state;
    struct got *g = read_fixture("valid/ctx-vendor.ach", 0);
    expect_clean(g, "ctx");
    assert_int_equal(g->n, 1);
    assert_int_equal(g->e[0].kind, PS_NACHA_ENTRY);
    assert_string_equal(g->e[0].sec, "CTX");
    assert_int_equal(g->e[0].addenda_count, 3);
    assert_string_equal(g->e[0].individual_name, "CONTOSO FREIGHT");
    assert_string_equal(g->e[0].payment_info,
                        "ISA*00*          *00*          *ZZ*NORTHWIND*");

    g = read_fixture("valid/web-ewa-debits.ach", 0);
    expect_clean(g, "web");
    assert_string_equal(g->e[0].discretionary, "S ");
    assert_string_equal(g->e[1].discretionary, "R ");

    g = read_fixture("valid/tel-debits.ach", 0);
    expect_clean(g, "tel");
    assert_string_equal(g->e[1].sec, "TEL");
    assert_int_equal(g->e[1].credit, 0);

    g = read_fixture("valid/ccd-funding.ach", 0);
    expect_clean(g, "ccd");
    assert_int_equal(g->e[0].service_class, 200);
    assert_int_equal(g->e[1].credit, 1);

    g = read_fixture("valid/pop-unapplied.ach", 0);
    expect_clean(g, "pop");
    assert_int_equal(g->n, 2);
    assert_int_equal(g->e[0].kind, PS_NACHA_UNAPPLIED);
    assert_string_equal(g->e[0].sec, "POP");

    /* IAT: its own batch header and entry layouts, 7 addenda 10-16. */
    g = read_fixture("valid/iat-unapplied.ach", 0);
    expect_clean(g, "iat");
    assert_int_equal(g->n, 1);
    assert_int_equal(g->e[0].kind, PS_NACHA_UNAPPLIED);
    assert_string_equal(g->e[0].sec, "IAT");
    assert_int_equal(g->e[0].addenda_count, 7);
    assert_int_equal(g->e[0].amount, 250000);
    assert_string_equal(g->e[0].account, "");
    assert_string_equal(g->e[0].company_id, "1412345678");
}

static void test_returns(void **state)
{
    struct got *g = read_fixture("valid/returns.ach", 0);
    (void)state;
    expect_clean(g, "returns");
    assert_int_equal(g->n, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(g->e[i].kind, PS_NACHA_RETURN);
    assert_string_equal(g->e[0].code, "R01");
    assert_string_equal(g->e[0].original_trace, "076401250000005");
    assert_string_equal(g->e[0].original_rdfi, "02100002");
    assert_string_equal(g->e[0].addenda_info, "INSUFFICIENT FUNDS");
    assert_string_equal(g->e[0].effective_date, "");
    assert_string_equal(g->e[1].code, "R03");
    /* dishonored */
    assert_string_equal(g->e[2].code, "R69");
    assert_string_equal(g->e[2].return_trace, "091000010000044");
    assert_string_equal(g->e[2].return_settlement_date, "327");
    assert_string_equal(g->e[2].return_reason, "03");
    assert_string_equal(g->e[2].addenda_info, "01 03");
    /* contested */
    assert_string_equal(g->e[3].code, "R71");
    assert_string_equal(g->e[3].date_returned, "2026-11-25");
    assert_string_equal(g->e[3].original_settlement_date, "327");
    assert_string_equal(g->e[3].return_trace, "091000010000045");
    assert_string_equal(g->e[3].dishonored_trace, "076401250000099");
    assert_string_equal(g->e[3].dishonored_settlement_date, "329");
    assert_string_equal(g->e[3].dishonored_reason, "69");
}

static void test_nocs(void **state)
{
    struct got *g = read_fixture("valid/noc.ach", 0);
    static const char *const codes[] = {"C01", "C02", "C03", "C05",
                                        "C06", "C07", "C61"};
    (void)state;
    expect_clean(g, "noc");
    assert_int_equal(g->n, 7);
    for (int i = 0; i < 7; i++) {
        assert_int_equal(g->e[i].kind, PS_NACHA_NOC);
        assert_string_equal(g->e[i].code, codes[i]);
        assert_int_equal(g->e[i].amount, 0);
    }
    assert_string_equal(g->e[0].corrected_data, "1234567890123");
    assert_string_equal(g->e[1].corrected_data, "121000248");
    assert_string_equal(g->e[2].corrected_data, "021000021   55667788");
}

/* ---- invalid files ------------------------------------------------------- */

/* The accounts the fixtures hold: no message may show one. */
static const char *const accounts[] = {
    "123456789",  "000987654321", "4400112233",    "7788990011",
    "5550001111", "9990002222",   "1234567890123", "55667788",
    "99001122",   "77001234",     "2200334455",    "6611223344",
};

static void no_account_in(const char *msg)
{
    for (size_t i = 0; i < sizeof(accounts) / sizeof(accounts[0]); i++)
        if (strstr(msg, accounts[i]) != NULL)
            fail_msg("account %s shown in: %s", accounts[i], msg);
}

static void test_invalid_one_rule_each(void **state)
{
    char names[96][64];
    size_t n = list_dir("invalid", names, 96);
    (void)state;
    assert_true(n >= 40);
    for (size_t i = 0; i < n; i++) {
        char rel[128], rule[64];
        ps_strlcpy(rule, names[i], sizeof(rule));
        *strchr(rule, '.') = '\0';
        snprintf(rel, sizeof(rel), "invalid/%s", names[i]);
        struct got *g = read_fixture(rel, 0);
        if (g->total != 1)
            fail_msg("%s: %ld problems, the first %s", names[i], g->total,
                     g->nprobs > 0 ? g->probs[0].err.msg : "");
        const struct ps_doc_problem *p = &g->probs[0];
        assert_string_equal(p->err.rule, rule);
        assert_int_equal(p->err.code, PS_EINVAL);
        assert_true(p->err.line > 0);
        assert_true(p->err.offset >= 0);
        assert_true(p->err.field[0] != '\0');
        assert_string_equal(p->err.file, "t.ach");
        if (strcmp(rule, "RECORD_LENGTH") == 0 ||
            strcmp(rule, "INVALID_CHARACTER") == 0)
            assert_int_equal(p->record_type, 0);
        else if (strcmp(rule, "RECORD_TYPE") == 0)
            assert_int_equal(p->record_type, '4');
        else if (p->record_type == 0 ||
                 strchr("156789", p->record_type) == NULL)
            fail_msg("%s: record type %d", names[i], p->record_type);
        assert_true(strlen(p->err.msg) > 20);
        no_account_in(p->err.msg);
        /* finish() fails with it, unprefixed (one problem). */
        assert_int_equal(g->rc, PS_EINVAL);
        assert_string_equal(g->err.rule, rule);
        assert_string_equal(g->err.msg, p->err.msg);
    }
}

static void test_invalid_details(void **state)
{
    (void)state;
    struct got *g = read_fixture("invalid/ABA_CHECK_DIGIT.ach", 0);
    const struct ps_doc_problem *p = &g->probs[0];
    assert_string_equal(p->return_code, "R28");
    assert_string_equal(p->err.field, "rdfi_check_digit");
    assert_int_equal(p->record_type, '6');
    assert_int_equal(p->err.line, 3);
    assert_int_equal(p->err.offset, 2 * 95 + 11);
    assert_non_null(strstr(p->err.msg, "should be 1"));

    g = read_fixture("invalid/BATCH_ENTRY_HASH.ach", 0);
    p = &g->probs[0];
    assert_string_equal(p->err.field, "entry_hash");
    assert_int_equal(p->record_type, '8');
    assert_non_null(strstr(p->err.msg, "1234"));

    g = read_fixture("invalid/TRACE_ORDER.ach", 0);
    assert_string_equal(g->probs[0].return_code, "R27");
    g = read_fixture("invalid/ADDENDA_COUNT.ach", 0);
    assert_string_equal(g->probs[0].return_code, "R25");
    g = read_fixture("invalid/EFFECTIVE_DATE.ach", 0);
    assert_string_equal(g->probs[0].return_code, "R18");
    g = read_fixture("invalid/MANDATORY_FIELD.ach", 0);
    assert_string_equal(g->probs[0].return_code, "R26");
    assert_string_equal(g->probs[0].err.field, "account");
    g = read_fixture("invalid/PRENOTE_AMOUNT.ach", 0);
    assert_string_equal(g->probs[0].return_code, "R19");
    g = read_fixture("invalid/INVALID_CHARACTER.ach", 0);
    assert_int_equal(g->probs[0].err.offset, 2 * 95 + 60);
}

/* Each lenient option excuses its rule, and says so. */
static void test_lenient(void **state)
{
    static const struct {
        const char *file;
        unsigned bit;
        const char *name;
    } t[] = {
        {"ABA_CHECK_DIGIT", PS_NACHA_LENIENT_CHECK_DIGIT, "bad_check_digit"},
        {"MISSING_FILE_HEADER", PS_NACHA_LENIENT_FILE_HEADER,
         "missing_file_header"},
        {"MISSING_FILE_CONTROL", PS_NACHA_LENIENT_FILE_CONTROL,
         "missing_file_control"},
        {"ADDENDA_COUNT", PS_NACHA_LENIENT_ADDENDA_COUNT,
         "unequal_addenda_counts"},
        {"ADDENDA_COUNT.ctx", PS_NACHA_LENIENT_ADDENDA_COUNT,
         "unequal_addenda_counts"},
        {"TRACE_ORDER", PS_NACHA_LENIENT_TRACE_ORDER,
         "unordered_trace_numbers"},
        {"BATCH_NUMBER_ORDER", PS_NACHA_LENIENT_BATCH_ORDER,
         "unordered_batch_numbers"},
        {"FILE_BLOCK_COUNT", PS_NACHA_LENIENT_BLOCK_COUNT,
         "wrong_block_count"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char rel[128], buf[128];
        unsigned bits = 0;
        snprintf(rel, sizeof(rel), "invalid/%s.ach", t[i].file);
        struct got *g = read_fixture(rel, t[i].bit);
        expect_clean(g, t[i].file);
        assert_int_equal(g->info.lenient_used, t[i].bit);
        assert_string_equal(ps_nacha_lenient_name(t[i].bit), t[i].name);
        assert_int_equal(ps_nacha_lenient_parse(t[i].name, &bits, NULL), 0);
        assert_int_equal(bits, t[i].bit);
        assert_string_equal(ps_nacha_lenient_format(bits, buf, sizeof(buf)),
                            t[i].name);
        /* All options allowed: only this one was used. */
        g = read_fixture(rel, PS_NACHA_LENIENT_ALL);
        expect_clean(g, t[i].file);
        assert_int_equal(g->info.lenient_used, t[i].bit);
        /* Another option does not excuse it. */
        g = read_fixture(rel, PS_NACHA_LENIENT_ALL & ~t[i].bit);
        assert_int_equal(g->total, 1);
        assert_int_equal(g->info.lenient_used, 0);
    }
    /* short_lines takes the trimmed lines' warnings away too. */
    struct got *gs = read_fixture("conformance/trimmed-trailing-spaces.ach",
                                  PS_NACHA_LENIENT_SHORT_LINES);
    expect_clean(gs, "trimmed");
    assert_int_equal(gs->info.lenient_used, PS_NACHA_LENIENT_SHORT_LINES);
    /* The long line is not excused by short_lines. */
    struct got *g =
        read_fixture("invalid/RECORD_LENGTH.ach", PS_NACHA_LENIENT_ALL);
    assert_int_equal(g->total, 1);
    /* A clean file uses none. */
    g = read_fixture("valid/ppd-payroll.ach", PS_NACHA_LENIENT_ALL);
    expect_clean(g, "ppd");
    assert_int_equal(g->info.lenient_used, 0);
}

static void test_lenient_names(void **state)
{
    unsigned bits = 99;
    struct ps_err err;
    char buf[256];
    (void)state;
    assert_int_equal(ps_nacha_lenient_parse("", &bits, &err), 0);
    assert_int_equal(bits, 0);
    assert_int_equal(ps_nacha_lenient_parse(" short_lines, bad_check_digit "
                                            "wrong_block_count",
                                            &bits, &err),
                     0);
    assert_int_equal(bits, PS_NACHA_LENIENT_SHORT_LINES |
                               PS_NACHA_LENIENT_CHECK_DIGIT |
                               PS_NACHA_LENIENT_BLOCK_COUNT);
    assert_string_equal(ps_nacha_lenient_format(bits, buf, sizeof(buf)),
                        "bad_check_digit,wrong_block_count,short_lines");
    ps_test_expect_err(ps_nacha_lenient_parse("short_lines,bogus", &bits, &err),
                       &err, PS_EINVAL, "NACHA_LENIENT_UNKNOWN");
    assert_non_null(strstr(err.msg, "bogus"));
    assert_string_equal(ps_nacha_lenient_name(PS_NACHA_STRICT), "strict");
    assert_null(ps_nacha_lenient_name(1u << 9));
    assert_string_equal(ps_nacha_lenient_format(PS_NACHA_LENIENT_ALL, buf,
                                                sizeof(buf)),
                        "bad_check_digit,missing_file_header,"
                        "missing_file_control,unequal_addenda_counts,"
                        "unordered_trace_numbers,unordered_batch_numbers,"
                        "wrong_block_count,short_lines");
}

static void test_check_digit(void **state)
{
    (void)state;
    assert_int_equal(ps_nacha_check_digit("02100002"), 1);
    assert_int_equal(ps_nacha_check_digit("01100001"), 5);
    assert_int_equal(ps_nacha_check_digit("09100001"), 9);
    assert_int_equal(ps_nacha_check_digit("07640125"), 1);
    assert_int_equal(ps_nacha_check_digit("0210000X"), -1);
}

/* Several problems: all listed, in file order; finish() counts them. */
static void test_three_problems(void **state)
{
    struct got *g = read_fixture("multi/three-problems.ach", 0);
    (void)state;
    assert_int_equal(g->total, 3);
    assert_int_equal(g->nprobs, 3);
    assert_string_equal(g->probs[0].err.rule, "ABA_CHECK_DIGIT");
    assert_string_equal(g->probs[1].err.rule, "BATCH_ENTRY_HASH");
    assert_string_equal(g->probs[2].err.rule, "FILE_BATCH_COUNT");
    assert_true(g->probs[0].err.line < g->probs[1].err.line);
    assert_true(g->probs[1].err.line < g->probs[2].err.line);
    assert_int_equal(g->rc, PS_EINVAL);
    assert_string_equal(g->err.rule, "ABA_CHECK_DIGIT");
    assert_true(strncmp(g->err.msg, "3 problems; first: ", 19) == 0);
    /* Entries are still all delivered. */
    assert_int_equal(g->n, 4);
}

static void test_account_masked(void **state)
{
    /* A bad byte inside an account, and a blank one elsewhere. */
    size_t len;
    char *doc = (char *)fixture("valid/ppd-payroll.ach", &len);
    (void)state;
    doc[2 * 95 + 15] = '\t';
    struct got *g = read_mem(doc, len, 1 << 20, 0);
    assert_true(g->total >= 1);
    for (size_t i = 0; i < g->nprobs; i++)
        no_account_in(g->probs[i].err.msg);
    no_account_in(g->err.msg);
}

static void test_odd_documents(void **state)
{
    (void)state;
    struct got *g = read_mem("", 0, 1 << 20, 0);
    assert_int_equal(g->rc, PS_EINVAL);
    assert_string_equal(g->err.rule, "MISSING_FILE_HEADER");
    g = read_mem("request_id,amount\nr1,10.00\n", 27, 1 << 20, 0);
    assert_int_equal(g->rc, PS_EINVAL);
    assert_string_equal(g->err.rule, "NOT_NACHA");
    /* An empty line: one problem, and no record. */
    size_t n0;
    const char *ok = fixture("valid/ppd-payroll.ach", &n0);
    char *two = ps_test_own(malloc(n0 + 1));
    memcpy(two, ok, 95);
    two[95] = '\n';
    memcpy(two + 96, ok + 95, n0 - 95);
    g = read_mem(two, n0 + 1, 1 << 20, 0);
    assert_int_equal(g->total, 1);
    assert_string_equal(g->probs[0].err.rule, "RECORD_LENGTH");
    assert_int_equal(g->probs[0].err.line, 2);
    assert_int_equal(g->n, 6);
    /* Truncated inside an entry: the entry is still delivered. */
    size_t len;
    const char *doc = fixture("valid/ppd-payroll.ach", &len);
    g = read_mem(doc, 3 * 95 + 40, 1 << 20, 0);
    assert_int_equal(g->n, 2);
    assert_int_equal(g->rc, PS_EINVAL);
    assert_true(g->total >= 2);
}

/* ---- the adapter ----------------------------------------------------------- */

struct arec {
    char kind[24], ref[24];
    long line;
    size_t nfields;
    char name[PS_RECORD_MAX_FIELDS][40];
    char value[PS_RECORD_MAX_FIELDS][64];
};

struct agot {
    int rc;
    struct ps_err err;
    long n;
    struct arec rec[MAXENT];
    struct ps_doc_totals totals;
    size_t nprobs;
    long total;
};

static struct agot *adapt(const char *rel, const char *options)
{
    struct agot *g = ps_test_own(calloc(1, sizeof(*g)));
    size_t len;
    const char *doc = fixture(rel, &len);
    struct mem m = {doc, len, 1 << 20};
    struct ps_stream in = {mem_read, &m};
    const struct ps_format *f = &ps_format_nacha;
    struct ps_record rec;
    struct ps_doc_problem probs[4];
    void *st = NULL;
    int rc;
    assert_int_equal(f->open(&in, rel, &st, &g->err), 0);
    if (options != NULL)
        assert_int_equal(f->options(st, options, &g->err), 0);
    while ((rc = f->next(st, &rec, &g->err)) > 0) {
        assert_true(g->n < MAXENT);
        struct arec *a = &g->rec[g->n++];
        ps_strlcpy(a->kind, rec.kind, sizeof(a->kind));
        ps_strlcpy(a->ref, rec.reference, sizeof(a->ref));
        assert_null(rec.key);
        assert_int_equal(rec.err.code, 0);
        a->line = rec.line;
        a->nfields = rec.nfields;
        for (size_t i = 0; i < rec.nfields; i++) {
            ps_strlcpy(a->name[i], rec.name[i], sizeof(a->name[i]));
            ps_strlcpy(a->value[i], rec.value[i], sizeof(a->value[i]));
        }
    }
    g->rc = rc < 0 ? rc : f->finish(st, &g->totals, &g->err);
    g->nprobs = f->problems(st, probs, 4, &g->total);
    f->close(st);
    return g;
}

static const char *val(const struct arec *r, const char *name)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (strcmp(r->name[i], name) == 0)
            return r->value[i];
    return NULL;
}

static void test_adapter_bid(void **state)
{
    size_t len;
    const char *doc = fixture("valid/ppd-payroll.ach", &len);
    const unsigned char *u = (const unsigned char *)doc;
    const struct ps_format *f;
    static const char csv[] = "request_id,external_id,amount,currency\n"
                              "r1,c1,10.00,USD\n";
    static const char pst[] = "PSTEST 1\nSEND|a|b|1.00|USD\nTOTAL|1|1.00|USD\n";
    (void)state;
    assert_true(ps_format_nacha.bid(u, len, "x.ach") > 0);
    assert_int_equal(ps_format_nacha.bid((const unsigned char *)csv,
                                         sizeof(csv) - 1, "x.csv"),
                     0);
    assert_int_equal(ps_format_nacha.bid((const unsigned char *)pst,
                                         sizeof(pst) - 1, "x.txt"),
                     0);
    assert_int_equal(ps_format_detect(u, len < PS_FORMAT_PEEK ? len
                                                              : PS_FORMAT_PEEK,
                                      "x.ach", NULL, &f, NULL),
                     0);
    assert_string_equal(f->name, "nacha");
    /* Without its file header: a lower bid on the batch header. */
    doc = fixture("invalid/MISSING_FILE_HEADER.ach", &len);
    int low = ps_format_nacha.bid((const unsigned char *)doc, len, "x.ach");
    assert_true(low > 0 && low < ps_format_nacha.bid(u, len, "x.ach"));
    assert_int_equal(ps_format_nacha.bid(u, 30, "x.ach"), 0);
}

static void test_adapter_records(void **state)
{
    (void)state;
    struct agot *g = adapt("valid/ppd-payroll.ach", NULL);
    assert_int_equal(g->rc, 0);
    assert_int_equal(g->n, 6);
    const struct arec *r = &g->rec[1];
    assert_string_equal(r->kind, "ach.entry");
    assert_int_equal(r->line, 4);
    assert_string_equal(r->ref, "076401250000002");
    assert_string_equal(val(r, "sec"), "PPD");
    assert_string_equal(val(r, "transaction_code"), "32");
    assert_string_equal(val(r, "direction"), "CREDIT");
    assert_string_equal(val(r, "prenote"), "0");
    assert_string_equal(val(r, "rdfi"), "011000015");
    assert_string_equal(val(r, "account"), "000987654321");
    assert_string_equal(val(r, "amount"), "98765");
    assert_string_equal(val(r, "individual_id"), "EMP0002");
    assert_string_equal(val(r, "individual_name"), "JAMES O'BRIEN");
    assert_string_equal(val(r, "trace"), "076401250000002");
    assert_string_equal(val(r, "effective_date"), "2026-11-23");
    assert_string_equal(val(r, "company_id"), "1412345678");
    assert_string_equal(val(r, "company_name"), "NORTHWIND LOGIST");
    assert_string_equal(val(r, "entry_description"), "PAYROLL");
    assert_string_equal(val(r, "payment_info"), "PAYROLL 2026-11-23 NET PAY");
    assert_string_equal(val(r, "request_id"),
                        "076401251-091000019-2611200930A-076401250000002");
    assert_string_equal(val(&g->rec[4], "direction"), "DEBIT");
    assert_int_equal(g->totals.records, 6);
    assert_int_equal(g->totals.amount,
                     125000 + 98765 + 210050 + 87525 + 15000 + 4500);
    assert_string_equal(g->totals.currency, "USD");
    assert_string_equal(g->totals.key_kind, "nacha");
    assert_string_equal(g->totals.key,
                        "076401251|091000019|2026-11-20|0930|A");
    assert_string_equal(g->totals.options_used, "");

    g = adapt("valid/returns.ach", NULL);
    assert_int_equal(g->rc, 0);
    r = &g->rec[0];
    assert_string_equal(r->kind, "ach.return");
    assert_string_equal(r->ref, "076401250000005");
    assert_string_equal(val(r, "return_code"), "R01");
    assert_string_equal(val(r, "original_trace"), "076401250000005");
    assert_string_equal(val(r, "original_rdfi"), "02100002");
    assert_string_equal(val(r, "transaction_code"), "26");
    assert_string_equal(val(r, "amount"), "15000");
    assert_string_equal(val(r, "trace"), "091000010000001");
    assert_string_equal(val(&g->rec[3], "date_returned"), "2026-11-25");
    assert_string_equal(val(&g->rec[3], "dishonored_reason"), "69");
    assert_string_equal(val(&g->rec[2], "return_trace"), "091000010000044");

    g = adapt("valid/noc.ach", NULL);
    assert_int_equal(g->rc, 0);
    r = &g->rec[2]; /* C03 */
    assert_string_equal(r->kind, "ach.noc");
    assert_string_equal(r->ref, "076401250000003");
    assert_string_equal(val(r, "change_code"), "C03");
    assert_string_equal(val(r, "refused"), "0");
    assert_string_equal(val(r, "corrected_routing"), "021000021");
    assert_string_equal(val(r, "corrected_account"), "55667788");
    assert_string_equal(val(&g->rec[3], "corrected_transaction_code"), "32");
    assert_string_equal(val(&g->rec[4], "corrected_account"), "99001122");
    assert_string_equal(val(&g->rec[4], "corrected_transaction_code"), "22");
    assert_string_equal(val(&g->rec[5], "corrected_routing"), "011000015");
    assert_string_equal(val(&g->rec[5], "corrected_account"), "77001234");
    assert_string_equal(val(&g->rec[5], "corrected_transaction_code"), "32");
    assert_string_equal(val(&g->rec[6], "refused"), "1");
    assert_string_equal(val(&g->rec[0], "corrected_account"),
                        "1234567890123");

    g = adapt("valid/pop-unapplied.ach", NULL);
    assert_string_equal(g->rec[0].kind, "ach.unapplied");
    assert_string_equal(val(&g->rec[0], "sec"), "POP");
}

static void test_adapter_options(void **state)
{
    (void)state;
    struct agot *g = adapt("invalid/ABA_CHECK_DIGIT.ach", NULL);
    assert_int_equal(g->rc, PS_EINVAL);
    assert_string_equal(g->err.rule, "ABA_CHECK_DIGIT");
    assert_int_equal(g->total, 1);
    assert_int_equal(g->nprobs, 1);
    assert_int_equal(g->n, 4); /* still delivered */
    g = adapt("invalid/ABA_CHECK_DIGIT.ach", "bad_check_digit short_lines");
    assert_int_equal(g->rc, 0);
    assert_string_equal(g->totals.options_used, "bad_check_digit");
    g = adapt("multi/three-problems.ach", NULL);
    assert_int_equal(g->total, 3);
    assert_int_equal(g->nprobs, 3);

    struct ps_err err;
    void *st = NULL;
    struct ps_stream in = {mem_read, NULL};
    assert_int_equal(ps_format_nacha.open(&in, "x", &st, &err), 0);
    ps_test_expect_err(ps_format_nacha.options(st, "nope", &err), &err,
                       PS_EINVAL, "NACHA_LENIENT_UNKNOWN");
    ps_format_nacha.close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_valid_all_clean, teardown),
        cmocka_unit_test_teardown(test_ppd_entries, teardown),
        cmocka_unit_test_teardown(test_shapes_same_entries, teardown),
        cmocka_unit_test_teardown(test_sec_files, teardown),
        cmocka_unit_test_teardown(test_returns, teardown),
        cmocka_unit_test_teardown(test_nocs, teardown),
        cmocka_unit_test_teardown(test_invalid_one_rule_each, teardown),
        cmocka_unit_test_teardown(test_invalid_details, teardown),
        cmocka_unit_test_teardown(test_lenient, teardown),
        cmocka_unit_test_teardown(test_lenient_names, teardown),
        cmocka_unit_test_teardown(test_check_digit, teardown),
        cmocka_unit_test_teardown(test_three_problems, teardown),
        cmocka_unit_test_teardown(test_account_masked, teardown),
        cmocka_unit_test_teardown(test_odd_documents, teardown),
        cmocka_unit_test_teardown(test_adapter_bid, teardown),
        cmocka_unit_test_teardown(test_adapter_records, teardown),
        cmocka_unit_test_teardown(test_adapter_options, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
