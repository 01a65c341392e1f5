/*
 * test_iso20022.c -- the pain.001 reader (formats/iso20022/) on the
 * fixtures of fixtures/iso20022/: every valid file reads with no problem
 * and the expected records, whatever the stream's read sizes; every
 * invalid file gives exactly the rule it is meant to break, with a line
 * and the element's path; the bid; a creditor without identification is a
 * record-level refusal.
 */
#include "testutil.h"

#include "formats/format.h"

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

#define MAXREC 8

struct got {
    int rc; /* the first negative next(), or finish()'s return */
    struct ps_err err;
    long n;
    char req[MAXREC][64], ext[MAXREC][64], amount[MAXREC][32];
    char key[MAXREC][128], pmtinf[MAXREC][64], rule[MAXREC][48];
    char routing[MAXREC][16];
    struct ps_doc_totals totals;
};

static void read_doc(const char *doc, size_t len, size_t step, struct got *g)
{
    struct mem m = {doc, len, step};
    struct ps_stream in = {mem_read, &m};
    struct ps_record rec;
    void *state = NULL;
    int rc;
    memset(g, 0, sizeof(*g));
    ps_err_clear(&g->err);
    assert_int_equal(ps_format_iso20022.open(&in, "t.xml", &state, &g->err),
                     0);
    while ((rc = ps_format_iso20022.next(state, &rec, &g->err)) > 0) {
        if (g->n < MAXREC) {
            const char *v;
            long i = g->n;
            ps_strlcpy(g->req[i], ps_record_get(&rec, "request_id"), 64);
            v = ps_record_get(&rec, "external_id");
            ps_strlcpy(g->ext[i], v != NULL ? v : "", 64);
            ps_strlcpy(g->amount[i], ps_record_get(&rec, "amount"), 32);
            ps_strlcpy(g->pmtinf[i], ps_record_get(&rec, "pmt_inf_id"), 64);
            ps_strlcpy(g->key[i], rec.key, 128);
            ps_strlcpy(g->rule[i], rec.err.rule, 48);
            v = ps_record_get(&rec, "routing_number");
            ps_strlcpy(g->routing[i], v != NULL ? v : "", 16);
            assert_string_equal(rec.kind, "payment.send");
        }
        g->n++;
    }
    g->rc = rc;
    if (rc == 0)
        g->rc = ps_format_iso20022.finish(state, &g->totals, &g->err);
    ps_format_iso20022.close(state);
}

static char *slurp(const char *rel, size_t *len)
{
    char path[PATH_MAX];
    const char *fx = getenv("PS_FIXTURES");
    snprintf(path, sizeof(path), "%s/iso20022/%s",
             fx != NULL ? fx : "fixtures", rel);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static const char *const valid[] = {
    "pain001-v03.xml", "pain001-v03-us-ach.xml", "pain001-v09-two-pmtinf.xml",
    "pain001-v09-character-references.xml", "pain001-v10.xml",
    /* optional elements of the published schemas payspool does not read */
    "pain001-v03-optional-elements.xml", "pain001-v09-optional-elements.xml",
    "pain001-v10-optional-elements.xml"};

static void test_valid(void **st)
{
    static const size_t steps[] = {1, 7, 4096, 1 << 20};
    (void)st;
    for (size_t v = 0; v < sizeof(valid) / sizeof(valid[0]); v++) {
        char rel[128];
        size_t len;
        snprintf(rel, sizeof(rel), "valid/%s", valid[v]);
        char *doc = slurp(rel, &len);
        int bid = ps_format_iso20022.bid((const unsigned char *)doc,
                                         len < 4096 ? len : 4096, rel);
        assert_int_equal(bid, 100);
        for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
            struct got g;
            read_doc(doc, len, steps[s], &g);
            if (g.rc != 0)
                fail_msg("%s: %s [%s]", rel, g.err.msg, g.err.rule);
            assert_int_equal(g.n, 3);
            assert_string_equal(g.req[0], "E2E-0001");
            assert_string_equal(g.ext[0], "EMP-001");
            assert_string_equal(g.amount[0], "1000.00");
            assert_string_equal(g.pmtinf[0], "PAYROLL-1");
            assert_string_equal(g.req[2], "E2E-0003");
            assert_string_equal(g.pmtinf[2], "BONUS-1");
            assert_string_equal(g.amount[1], "500");
            assert_string_equal(g.rule[1], "");
            assert_non_null(strstr(g.key[0], "/E2E-0001"));
            assert_int_equal(g.totals.records, 3);
            assert_int_equal(g.totals.amount, 185125);
            assert_string_equal(g.totals.currency, "USD");
            assert_string_equal(g.totals.key_kind, "iso20022.msgid");
            assert_non_null(strstr(g.key[0], g.totals.key));
        }
        free(doc);
    }
}

static const struct {
    const char *file, *rule, *path; /* path: a part of the message */
} invalid[] = {
    {"amount-currency-exponent.xml", "ISO_AMOUNT",
     "/PmtInf[2]/CdtTrfTxInf[1]/Amt/InstdAmt"},
    {"amount-jpy-decimals.xml", "ISO_AMOUNT", "CdtTrfTxInf[2]/Amt/InstdAmt"},
    {"bad-date.xml", "ISO_DATE", "/ReqdExctnDt/Dt"},
    {"billion-laughs.xml", "ISO_DOCTYPE", "DOCTYPE"},
    {"doctype.xml", "ISO_DOCTYPE", "DOCTYPE"},
    {"element-out-of-order.xml", "ISO_ELEMENT_ORDER",
     "Cdtr comes after CdtrAcct"},
    {"endtoendid-too-long.xml", "ISO_TEXT", "PmtId/EndToEndId"},
    {"external-entity.xml", "ISO_DOCTYPE", "DOCTYPE"},
    {"grphdr-ctrlsum-mismatch.xml", "ISO_CTRL_SUM", "/GrpHdr/CtrlSum"},
    {"grphdr-nboftxs-mismatch.xml", "ISO_NB_OF_TXS", "/GrpHdr/NbOfTxs"},
    {"missing-endtoendid.xml", "ISO_ELEMENT_MISSING",
     "CdtTrfTxInf[2]/PmtId: EndToEndId is missing"},
    {"not-well-formed.xml", "ISO_XML_MALFORMED", "not well-formed"},
    {"pmtinf-ctrlsum-mismatch.xml", "ISO_CTRL_SUM", "PmtInf[1]"},
    {"pmtinf-nboftxs-mismatch.xml", "ISO_NB_OF_TXS", "PmtInf[1]"},
    {"required-element-missing.xml", "ISO_ELEMENT_MISSING",
     "PmtInfId is missing"},
    {"too-deep.xml", "ISO_TOO_DEEP", "SplmtryData"},
    {"undeclared-entity.xml", "ISO_XML_MALFORMED", "nbsp"},
    {"unknown-namespace.xml", "ISO_NAMESPACE", "pain.001.001.99"},
};

static void test_invalid(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        char rel[128];
        size_t len;
        struct got g;
        snprintf(rel, sizeof(rel), "invalid/%s", invalid[i].file);
        char *doc = slurp(rel, &len);
        assert_true(ps_format_iso20022.bid((const unsigned char *)doc,
                                           len < 4096 ? len : 4096, rel) > 0);
        read_doc(doc, len, 4096, &g);
        if (g.rc != PS_EINVAL || strcmp(g.err.rule, invalid[i].rule) != 0 ||
            strstr(g.err.msg, invalid[i].path) == NULL || g.err.line <= 0)
            fail_msg("%s: rc %d line %ld: %s [%s], wanted %s with \"%s\"",
                     rel, g.rc, g.err.line, g.err.msg, g.err.rule,
                     invalid[i].rule, invalid[i].path);
        free(doc);
    }
}

/* Without a private identification: by USABA routing and account number
 * when the transaction gives them, else a record-level refusal. */
static void test_creditor_by_bank(void **st)
{
    size_t len;
    struct got g;
    (void)st;
    char *doc = slurp("valid/pain001-v09-two-pmtinf.xml", &len);
    static const char *const ids[] = {
        "<Id><PrvtId><Othr><Id>EMP-001</Id></Othr></PrvtId></Id>",
        "<Id><PrvtId><Othr><Id>EMP-002</Id></Othr></PrvtId></Id>"};
    for (int i = 0; i < 2; i++) {
        char *p = strstr(doc, ids[i]);
        assert_non_null(p);
        memmove(p, p + strlen(ids[i]), strlen(p + strlen(ids[i])) + 1);
    }
    read_doc(doc, strlen(doc), 4096, &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.rule[0], ""); /* USABA agent and Othr account */
    assert_string_equal(g.ext[0], "");
    assert_string_equal(g.routing[0], "021000021");
    assert_string_equal(g.rule[1], "ISO_CREDITOR_UNIDENTIFIED"); /* none */
    assert_string_equal(g.ext[2], "EMP-001");
    free(doc);
}

static void test_bid(void **st)
{
    static const char other[] =
        "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:"
        "xsd:camt.054.001.08\"></Document>";
    static const char csv[] = "request_id,external_id,amount\n";
    (void)st;
    assert_int_equal(ps_format_iso20022.bid((const unsigned char *)other,
                                            sizeof(other) - 1, "x"),
                     20);
    assert_int_equal(ps_format_iso20022.bid((const unsigned char *)csv,
                                            sizeof(csv) - 1, "x"),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_creditor_by_bank),
        cmocka_unit_test(test_bid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
