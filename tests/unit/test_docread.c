/*
 * test_docread.c -- the spill (intake/docread.h): a pain.001's records
 * replayed from its check pass's spill are the records a second parse
 * gives, field by field (line, offset, kind, reference, key, every field
 * name and value in order, the record's rejection), for every valid
 * fixture, a document with a refused record, a document of several MiB
 * (the buffers' refills), several documents in one spill with a refused
 * one between (its records are written over), a replay run twice, and a
 * document the check refuses (no segment).  A CSV keeps no spill.
 */
#include "testutil.h"

#include <unistd.h>

#include "intake/docread.h"

struct mem {
    const char *p;
    size_t left;
};

static ssize_t mem_read(void *ctx, void *buf, size_t n, struct ps_err *err)
{
    struct mem *m = ctx;
    (void)err;
    if (n > 3000) /* reads of odd sizes, as a pipe gives */
        n = 3000;
    if (n > m->left)
        n = m->left;
    memcpy(buf, m->p, n);
    m->p += n;
    m->left -= n;
    return (ssize_t)n;
}

static void doc_of(struct ps_doc *d, struct mem *m, const char *text,
                   size_t len)
{
    m->p = text;
    m->left = len;
    memset(d, 0, sizeof(*d));
    d->name = "t.xml";
    d->stream.read = mem_read;
    d->stream.ctx = m;
}

/* One record as text, every part of it, for comparing. */
static void rec_text(const struct ps_record *r, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "%ld|%lld|%s|%s|%s|%zu",
                                r->line, (long long)r->offset,
                                r->kind ? r->kind : "(null)",
                                r->reference ? r->reference : "(null)",
                                r->key ? r->key : "(null)", r->nfields);
    for (size_t i = 0; i < r->nfields && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, "|%s=%s", r->name[i],
                              r->value[i] ? r->value[i] : "(null)");
    if (n < size)
        snprintf(out + n, size - n, "|err %d %s %s %ld %lld %s %s",
                 r->err.code, r->err.rule, r->err.file, r->err.line,
                 (long long)r->err.offset, r->err.field, r->err.msg);
}

struct texts {
    char **v;
    long n;
};

static void texts_free(struct texts *t)
{
    for (long i = 0; i < t->n; i++)
        free(t->v[i]);
    free(t->v);
    memset(t, 0, sizeof(*t));
}

static void add_text(struct texts *t, const struct ps_record *r)
{
    char buf[8192];
    rec_text(r, buf, sizeof(buf));
    t->v = realloc(t->v, (size_t)(t->n + 1) * sizeof(*t->v));
    assert_non_null(t->v);
    t->v[t->n] = strdup(buf);
    assert_non_null(t->v[t->n]);
    t->n++;
}

/* The check pass into spill s: its records; returns finish()'s rc. */
static int check_into(struct ps_spill *s, const char *text, size_t len,
                      struct ps_spillseg *seg, struct texts *t)
{
    struct ps_docread d;
    struct ps_record rec;
    struct ps_doc doc;
    struct ps_doc_totals tot;
    struct ps_err err;
    struct mem m;
    int rc;
    ps_err_clear(&err);
    doc_of(&doc, &m, text, len);
    assert_int_equal(ps_docread_check(&d, &doc, NULL, s, seg, &err), 0);
    while ((rc = d.fmt->next(d.state, &rec, &err)) > 0)
        add_text(t, &rec);
    if (rc == 0)
        rc = d.fmt->finish(d.state, &tot, &err);
    ps_docread_stop(&d);
    return rc;
}

/* The apply pass: from the segment when valid, else the document. */
static void apply_from(const struct ps_spillseg *seg, const char *text,
                       size_t len, struct texts *t)
{
    struct ps_docread d;
    struct ps_record rec;
    struct ps_doc doc;
    struct ps_err err;
    struct mem m;
    int rc;
    ps_err_clear(&err);
    doc_of(&doc, &m, text, len);
    assert_int_equal(ps_docread_open(&d, seg, &doc, "iso20022", NULL, &err),
                     0);
    while ((rc = d.fmt->next(d.state, &rec, &err)) > 0)
        add_text(t, &rec);
    assert_int_equal(rc, 0);
    ps_docread_stop(&d);
}

static void same(const struct texts *a, const struct texts *b)
{
    assert_int_equal(a->n, b->n);
    for (long i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]) != 0)
            fail_msg("record %ld:\n  read   %s\n  replay %s", i, a->v[i],
                     b->v[i]);
}

static struct ps_spill *spill_here(void)
{
    struct ps_spill *s = NULL;
    struct ps_err err;
    char path[PATH_MAX];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof(path), "%s/input.xml", tmp ? tmp : "/tmp");
    assert_int_equal(ps_spill_open(&s, path, &err), 0);
    assert_non_null(s); /* O_TMPFILE works where the tests run */
    return s;
}

static char *slurp(const char *rel, size_t *len)
{
    char path[PATH_MAX];
    const char *fx = getenv("PS_FIXTURES");
    snprintf(path, sizeof(path), "%s/iso20022/%s", fx ? fx : "fixtures", rel);
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

/* n transactions; every 7th has no creditor identification (a refused
 * record), names with character references, a PmtInf every 1000. */
static char *generated(long n, size_t *len)
{
    size_t cap = 4096 + (size_t)n * 400, k = 0;
    char *b = malloc(cap);
    assert_non_null(b);
    k += (size_t)snprintf(b + k, cap - k,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09\">"
        "<CstmrCdtTrfInitn><GrpHdr><MsgId>GEN-1</MsgId>"
        "<CreDtTm>2026-12-04T09:30:00</CreDtTm><NbOfTxs>%ld</NbOfTxs>"
        "<CtrlSum>%ld.00</CtrlSum><InitgPty><Nm>Gen</Nm></InitgPty>"
        "</GrpHdr>\n", n, n);
    for (long i = 0; i < n; i++) {
        if (i % 1000 == 0) {
            long m = n - i < 1000 ? n - i : 1000;
            k += (size_t)snprintf(b + k, cap - k,
                "%s<PmtInf><PmtInfId>P-%ld</PmtInfId><PmtMtd>TRF</PmtMtd>"
                "<NbOfTxs>%ld</NbOfTxs><CtrlSum>%ld.00</CtrlSum>"
                "<ReqdExctnDt><Dt>2026-12-07</Dt></ReqdExctnDt>"
                "<Dbtr><Nm>Acme</Nm></Dbtr><DbtrAcct><Id><Othr><Id>1234"
                "</Id></Othr></Id></DbtrAcct><DbtrAgt><FinInstnId><ClrSysMmbId>"
                "<ClrSysId><Cd>USABA</Cd></ClrSysId><MmbId>011000015</MmbId>"
                "</ClrSysMmbId></FinInstnId></DbtrAgt>\n",
                i > 0 ? "</PmtInf>\n" : "", i / 1000, m, m);
        }
        if (i % 7 == 3)
            k += (size_t)snprintf(b + k, cap - k,
                "<CdtTrfTxInf><PmtId><EndToEndId>E-%ld</EndToEndId></PmtId>"
                "<Amt><InstdAmt Ccy=\"USD\">1.00</InstdAmt></Amt>"
                "<Cdtr><Nm>Ana Garc&#237;a</Nm></Cdtr></CdtTrfTxInf>\n", i);
        else
            k += (size_t)snprintf(b + k, cap - k,
                "<CdtTrfTxInf><PmtId><EndToEndId>E-%ld</EndToEndId></PmtId>"
                "<Amt><InstdAmt Ccy=\"USD\">1.00</InstdAmt></Amt>"
                "<Cdtr><Nm>Bo &amp; Li</Nm><Id><PrvtId><Othr><Id>EMP-%ld</Id>"
                "</Othr></PrvtId></Id></Cdtr></CdtTrfTxInf>\n", i, i % 50);
    }
    k += (size_t)snprintf(b + k, cap - k,
                          "</PmtInf></CstmrCdtTrfInitn></Document>\n");
    *len = k;
    return b;
}

static const char *const valid[] = {
    "pain001-v03.xml", "pain001-v03-us-ach.xml", "pain001-v09-two-pmtinf.xml",
    "pain001-v09-character-references.xml", "pain001-v10.xml",
    "pain001-v03-optional-elements.xml", "pain001-v09-optional-elements.xml",
    "pain001-v10-optional-elements.xml"};

static void test_fixtures(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        char rel[128];
        size_t len;
        struct texts a = {0}, b = {0};
        struct ps_spillseg seg;
        struct ps_spill *s = spill_here();
        snprintf(rel, sizeof(rel), "valid/%s", valid[i]);
        char *doc = slurp(rel, &len);
        assert_int_equal(check_into(s, doc, len, &seg, &a), 0);
        assert_true(seg.valid);
        assert_int_equal(seg.records, a.n);
        assert_true(a.n > 0);
        apply_from(&seg, doc, len, &b);
        same(&a, &b);
        texts_free(&a);
        texts_free(&b);
        ps_spill_close(s);
        free(doc);
    }
}

/* Several documents in one spill, a refused one between, each replayed
 * (twice) against a parse of its own. */
static void test_several(void **st)
{
    size_t len1, len2, len3;
    char *big = generated(30000, &len1); /* about 6 MiB of XML */
    char *bad = generated(2500, &len2);
    char *small = slurp("valid/pain001-v09-two-pmtinf.xml", &len3);
    struct texts a = {0}, b = {0}, c = {0}, x = {0}, y = {0};
    struct ps_spillseg s1, s2, s3;
    struct ps_spill *s = spill_here();
    char *nb = strstr(bad, "<NbOfTxs>2500</NbOfTxs>");
    (void)st;
    assert_non_null(nb);
    memcpy(nb, "<NbOfTxs>2501</NbOfTxs>", 23); /* ISO_NB_OF_TXS at the end */
    assert_true(len1 > (4u << 20));
    assert_int_equal(check_into(s, big, len1, &s1, &a), 0);
    assert_int_equal(check_into(s, bad, len2, &s2, &x), PS_EINVAL);
    assert_false(s2.valid);
    assert_int_equal(check_into(s, small, len3, &s3, &c), 0);
    assert_true(s1.valid && s3.valid);
    assert_int_equal(s1.records, 30000);
    assert_int_equal(s3.start, s1.end); /* the refused one's written over */
    for (int round = 0; round < 2; round++) {
        apply_from(&s1, big, len1, &y);
        same(&a, &y);
        texts_free(&y);
        apply_from(&s3, small, len3, &b);
        same(&c, &b);
        texts_free(&b);
    }
    /* Refused records replay with their rejection. */
    assert_non_null(strstr(a.v[3], "ISO_CREDITOR_UNIDENTIFIED"));
    /* Without a segment the document itself is read. */
    apply_from(&s2, bad, len2, &y);
    assert_int_equal(y.n, x.n);
    texts_free(&a);
    texts_free(&c);
    texts_free(&x);
    texts_free(&y);
    ps_spill_close(s);
    free(big);
    free(bad);
    free(small);
}

/* A CSV (cheap to read again) keeps no spill. */
static void test_csv_not_spilled(void **st)
{
    static const char csv[] =
        "kind,request_id,external_id,amount\n"
        "ewa.disburse,R1,E1,10.00\n";
    struct ps_docread d;
    struct ps_record rec;
    struct ps_doc doc;
    struct ps_doc_totals tot;
    struct ps_spillseg seg;
    struct ps_err err;
    struct mem m;
    struct ps_spill *s = spill_here();
    int rc;
    (void)st;
    doc_of(&doc, &m, csv, sizeof(csv) - 1);
    doc.name = "t.csv";
    if (ps_docread_check(&d, &doc, NULL, s, &seg, &err) == 0) {
        while ((rc = d.fmt->next(d.state, &rec, &err)) > 0)
            ;
        if (rc == 0)
            (void)d.fmt->finish(d.state, &tot, &err);
        ps_docread_stop(&d);
    }
    assert_false(seg.valid);
    ps_spill_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_several),
        cmocka_unit_test(test_csv_not_spilled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
