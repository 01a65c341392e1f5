/*
 * test_nacha_conformance.c -- NACHA files as banks really send them (issue
 * 22, formats/nacha/CONFORMANCE.md): severities, the strict option, and
 * payspool's own NACHA outputs under the strictest reading.
 *
 * fixtures/nacha/conformance/NAME.ach each come with NAME.expect (written
 * by fixtures/nacha/make-fixtures.py): the verdict (VALID or INVALID) and
 * "SEVERITY RULE" for every problem in file order.  Each is read with no
 * option and must give exactly that; read with `strict`, every problem is
 * an ERROR and a file with a warning is refused.  The format adapter
 * carries the warnings to the file's options_used ("warnings=N:RULES").
 * The writer's output for the sandbox ODFI's answers (returns and NOCs,
 * as src/sandbox/odfi.c lays them out) has not one problem with `strict`;
 * the cutoff's payments are covered by test_nacha_roundtrip.c.  `payspool
 * check`'s report (ps_check_file) gives each problem's severity, counts
 * errors and warnings apart, and finds a file with warnings only valid.
 */
#include "testutil.h"

#include <dirent.h>

#include "formats/format.h"
#include "formats/nacha/nacha.h"
#include "intake/check.h"

struct mem {
    const char *p;
    size_t left;
};

static ssize_t mem_read(void *ctx, void *buf, size_t n, struct ps_err *err)
{
    struct mem *m = ctx;
    (void)err;
    if (n > m->left)
        n = m->left;
    memcpy(buf, m->p, n);
    m->p += n;
    m->left -= n;
    return (ssize_t)n;
}

/* What one reading gave: finish()'s return and the problems as
 * "SEVERITY RULE" lines. */
struct outcome {
    int rc;
    long total;
    struct ps_nacha_file_info info;
    char lines[2048];
    size_t errors;
};

static void read_doc(const char *doc, size_t len, unsigned opts,
                     struct outcome *o)
{
    struct mem m = {doc, len};
    struct ps_stream in = {mem_read, &m};
    struct ps_nacha_reader *r = NULL;
    struct ps_nacha_entry e;
    struct ps_err err;
    const struct ps_doc_problem *list;
    int rc;
    memset(o, 0, sizeof(*o));
    assert_int_equal(ps_nacha_reader_open(&in, "c.ach", opts, &r, &err), 0);
    while ((rc = ps_nacha_reader_next(r, &e, &err)) > 0)
        ;
    assert_int_equal(rc, 0);
    o->rc = ps_nacha_reader_finish(r, &o->info, &err);
    size_t n = ps_nacha_reader_problems(r, &list, &o->total);
    for (size_t i = 0; i < n; i++) {
        size_t at = strlen(o->lines);
        snprintf(o->lines + at, sizeof(o->lines) - at, "%s %s\n",
                 list[i].severity == PS_DOC_WARNING ? "WARNING" : "ERROR",
                 list[i].err.rule);
        o->errors += list[i].severity == PS_DOC_ERROR;
    }
    if (o->rc != 0)
        assert_string_not_equal(err.rule, "");
    ps_nacha_reader_close(r);
}

static const char *path_of(const char *rel)
{
    static char path[PATH_MAX];
    const char *dir = getenv("PS_FIXTURES");
    snprintf(path, sizeof(path), "%s/nacha/conformance/%s",
             dir != NULL ? dir : PS_SOURCE_DIR "/fixtures", rel);
    return path;
}

/* Every conformance fixture: its verdict and problems, then strict. */
static void test_fixtures(void **state)
{
    DIR *d = opendir(path_of(""));
    struct dirent *de;
    int seen = 0;
    (void)state;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        char name[256], want[2048] = "", expect[300];
        size_t len, elen, n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".ach") != 0)
            continue;
        ps_strlcpy(name, de->d_name, sizeof(name));
        const char *doc = ps_test_slurp(path_of(name), &len);
        snprintf(expect, sizeof(expect), "%.*s.expect", (int)(n - 4), name);
        char *ex = ps_test_slurp(path_of(expect), &elen);
        /* The verdict line, then the problems; "#" lines are notes. */
        char *line = strtok(ex, "\n");
        assert_non_null(line);
        int valid = strcmp(line, "VALID") == 0;
        if (!valid && strcmp(line, "INVALID") != 0)
            fail_msg("%s: verdict %s", expect, line);
        int warnings = 0;
        while ((line = strtok(NULL, "\n")) != NULL) {
            if (line[0] == '#')
                continue;
            warnings += strncmp(line, "WARNING ", 8) == 0;
            size_t at = strlen(want);
            snprintf(want + at, sizeof(want) - at, "%s\n", line);
        }
        struct outcome o;
        read_doc(doc, len, 0, &o);
        if ((o.rc == 0) != valid || strcmp(o.lines, want) != 0)
            fail_msg("%s: %s with\n%swanted %s with\n%s", name,
                     o.rc == 0 ? "VALID" : "INVALID", o.lines,
                     valid ? "VALID" : "INVALID", want);
        assert_int_equal(o.info.warnings, warnings);
        /* Strict: every problem an error, no warning passes. */
        read_doc(doc, len, PS_NACHA_STRICT, &o);
        assert_int_equal(o.errors, (size_t)o.total);
        assert_int_equal(o.rc == 0, valid && warnings == 0);
        assert_int_equal(o.info.lenient_used & PS_NACHA_STRICT,
                         PS_NACHA_STRICT);
        seen++;
    }
    closedir(d);
    assert_true(seen >= 25);
}

/* Severities are the table's; a rule it does not know is an ERROR. */
static void test_severity_table(void **state)
{
    (void)state;
    assert_int_equal(ps_nacha_rule_severity("TRACE_ORDER_FILE"),
                     PS_DOC_WARNING);
    assert_int_equal(ps_nacha_rule_severity("RECORD_TRIMMED"), PS_DOC_WARNING);
    assert_int_equal(ps_nacha_rule_severity("TRACE_ORDER"), PS_DOC_ERROR);
    assert_int_equal(ps_nacha_rule_severity("BATCH_ENTRY_HASH"), PS_DOC_ERROR);
    assert_int_equal(ps_nacha_rule_severity("NO_SUCH_RULE"), PS_DOC_ERROR);
}

/* The adapter: warnings go to options_used, and `strict` refuses. */
static void test_adapter(void **state)
{
    static const struct {
        const char *opts;
        int rc;
        const char *used;
    } t[] = {
        {"", 0, "warnings=1:TRACE_ORDER_FILE"},
        {"bad_check_digit", 0, "warnings=1:TRACE_ORDER_FILE"},
        {"strict", PS_EINVAL, "strict"},
    };
    size_t len;
    const char *doc = ps_test_slurp(path_of("trace-restart-per-batch.ach"),
                                    &len);
    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        const struct ps_format *f = &ps_format_nacha;
        struct mem m = {doc, len};
        struct ps_stream in = {mem_read, &m};
        struct ps_doc_totals totals;
        struct ps_doc_problem p[2];
        struct ps_err err;
        long total = 0;
        void *st = NULL;
        memset(&totals, 0, sizeof(totals));
        assert_int_equal(f->open(&in, "c.ach", &st, &err), 0);
        assert_int_equal(f->options(st, t[i].opts, &err), 0);
        assert_int_equal(f->validate(st, &totals, &err), t[i].rc);
        assert_string_equal(totals.options_used, t[i].used);
        assert_int_equal(f->problems(st, p, 2, &total), 1);
        assert_int_equal(p[0].severity,
                         t[i].rc == 0 ? PS_DOC_WARNING : PS_DOC_ERROR);
        f->close(st);
    }
}

/* `payspool check`'s report: severities, warnings_total, the verdict. */
static void test_check_report(void **state)
{
    static const struct {
        const char *file, *options;
        int valid;
        long errors, warnings;
        const char *severity;
    } t[] = {
        {"web-blank-payment-type.ach", NULL, 1, 0, 1, "WARNING"},
        {"web-blank-payment-type.ach", "strict", 0, 1, 0, "ERROR"},
        {"tel-blank-name.ach", NULL, 0, 1, 0, "ERROR"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct ps_check_opts o;
        struct ps_err err;
        json_t *r = NULL;
        memset(&o, 0, sizeof(o));
        o.format = "nacha";
        o.options = t[i].options;
        ps_unwrap_limits_default(&o.limits);
        assert_int_equal(ps_check_file(path_of(t[i].file), &o, &r, &err), 0);
        json_t *d = json_array_get(json_object_get(r, "documents"), 0);
        assert_int_equal(json_is_true(json_object_get(r, "valid")),
                         t[i].valid);
        assert_int_equal(
            json_integer_value(json_object_get(d, "problemsTotal")),
            t[i].errors);
        assert_int_equal(
            json_integer_value(json_object_get(d, "warningsTotal")),
            t[i].warnings);
        json_t *p = json_array_get(json_object_get(d, "problems"), 0);
        assert_string_equal(json_string_value(json_object_get(p, "severity")),
                            t[i].severity);
        json_decref(r);
    }
}

/* ---- payspool's own outputs ------------------------------------------- */

struct membuf {
    char *p;
    size_t len, cap;
};

static int mem_sink(void *ctx, const char *buf, size_t len, struct ps_err *err)
{
    struct membuf *m = ctx;
    (void)err;
    if (m->len + len + 1 > m->cap) {
        size_t cap = m->cap ? m->cap : 4096;
        while (m->len + len + 1 > cap)
            cap *= 2;
        char *p = realloc(m->p, cap);
        assert_non_null(p);
        m->p = p;
        m->cap = cap;
    }
    memcpy(m->p + m->len, buf, len);
    m->len += len;
    return 0;
}

/* An answer as src/sandbox/odfi.c's answer_entry() lays it out: the
 * return (99) or NOC (98) of an entry of sec with transaction code tc. */
static void answer(struct ps_nacha_out *o, const char *sec, int tc,
                   const char *code, const char *corrected, long seq)
{
    int noc = code[0] == 'C';
    memset(o, 0, sizeof(*o));
    ps_strlcpy(o->sec, noc ? "COR" : sec, sizeof(o->sec));
    ps_strlcpy(o->company_name, "NORTHWIND LOGIST", sizeof(o->company_name));
    ps_strlcpy(o->company_id, "1412345678", sizeof(o->company_id));
    ps_strlcpy(o->entry_description, "PAYROLL", sizeof(o->entry_description));
    ps_strlcpy(o->effective_date, "2026-11-24", sizeof(o->effective_date));
    memcpy(o->odfi, "02100002", 8); /* the RDFI answers */
    o->transaction_code = tc / 10 * 10 + (tc % 10 <= 4 ? 1 : 6);
    ps_strlcpy(o->rdfi, "076401251", sizeof(o->rdfi));
    ps_strlcpy(o->account, "123456789", sizeof(o->account));
    o->amount = noc ? 0 : 12500;
    ps_strlcpy(o->individual_id, "EMP0001", sizeof(o->individual_id));
    ps_strlcpy(o->individual_name, "MARIA GARCIA", sizeof(o->individual_name));
    if (strcmp(sec, "WEB") == 0 && !noc)
        ps_strlcpy(o->discretionary, "S", sizeof(o->discretionary));
    o->addenda_type = noc ? 98 : 99;
    ps_strlcpy(o->code, code, sizeof(o->code));
    snprintf(o->original_trace, sizeof(o->original_trace), "07640125%07ld",
             seq);
    memcpy(o->original_rdfi, "02100002", 8);
    if (noc)
        ps_strlcpy(o->corrected_data, corrected, sizeof(o->corrected_data));
    else
        ps_strlcpy(o->addenda_info, "SANDBOX RETURN", sizeof(o->addenda_info));
}

static void test_sandbox_answers_strict(void **state)
{
    struct ps_nacha_out e[6];
    struct ps_nacha_header h;
    struct ps_nacha_write_totals tot;
    struct membuf out = {NULL, 0, 0};
    struct ps_err err;
    struct outcome o;
    (void)state;
    answer(&e[0], "PPD", 22, "R01", "", 1);
    answer(&e[1], "PPD", 37, "R03", "", 2);
    answer(&e[2], "WEB", 27, "R10", "", 3);
    answer(&e[3], "PPD", 22, "C01", "1234567890", 4);
    answer(&e[4], "PPD", 22, "C05", "32", 5);
    answer(&e[5], "CCD", 27, "C07", "0110000151234567890       37", 6);
    memset(&h, 0, sizeof(h));
    ps_strlcpy(h.immediate_destination, "076401251",
               sizeof(h.immediate_destination));
    ps_strlcpy(h.immediate_origin, "021000021", sizeof(h.immediate_origin));
    ps_strlcpy(h.creation_date, "2026-11-25", sizeof(h.creation_date));
    ps_strlcpy(h.creation_time, "0600", sizeof(h.creation_time));
    h.file_id_modifier = 'A';
    ps_strlcpy(h.destination_name, "NORTHWIND BANK",
               sizeof(h.destination_name));
    ps_strlcpy(h.origin_name, "SANDBOX ODFI", sizeof(h.origin_name));
    ps_strlcpy(h.reference_code, "RETURNS", sizeof(h.reference_code));
    if (ps_nacha_write(&h, e, 6, 0, mem_sink, &out, &tot, &err) != 0)
        fail_msg("write: %s [%s]", err.msg, err.rule);
    ps_test_own(out.p);
    read_doc(out.p, out.len, PS_NACHA_STRICT, &o);
    if (o.rc != 0 || o.total != 0)
        fail_msg("the sandbox's answers under strict:\n%s", o.lines);
    assert_int_equal(o.info.warnings, 0);
}

static int teardown(void **state)
{
    (void)state;
    ps_test_free_owned();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_fixtures, teardown),
        cmocka_unit_test_teardown(test_severity_table, teardown),
        cmocka_unit_test_teardown(test_adapter, teardown),
        cmocka_unit_test_teardown(test_check_report, teardown),
        cmocka_unit_test_teardown(test_sandbox_answers_strict, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
