/*
 * fuzz_nacha.c -- the NACHA reader and its format adapter on arbitrary
 * bytes, delivered in pieces of varying size, with no lenient option and
 * with all of them.
 *
 * Invariants: no crash, leak or overflow; bid() is 0, 50 or 100; entries
 * come with ascending record numbers and offsets inside the input;
 * finish() fails exactly when a problem of severity ERROR was found; every
 * listed problem has a rule, a record number and an offset no further
 * than the end of the input, and the list is in record order; the
 * adapter delivers exactly the reader's entries, each with a kind and
 * non-empty values; the result does not depend on how the bytes are
 * split.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/format.h"
#include "formats/nacha/nacha.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
    const uint8_t *p;
    size_t left;
    size_t step; /* bytes per read, to cross buffer boundaries */
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

struct outcome {
    int rc;
    long entries, total;
    char rule[PS_ERR_RULE_MAX];
};

static void read_once(const uint8_t *data, size_t size, size_t step,
                      unsigned lenient, struct outcome *o)
{
    struct mem m = {data, size, step};
    struct ps_stream in = {mem_read, &m};
    struct ps_nacha_reader *r = NULL;
    struct ps_nacha_entry e;
    struct ps_nacha_file_info info;
    struct ps_err err;
    const struct ps_doc_problem *list;
    long last = 0;
    int rc;
    memset(o, 0, sizeof(*o));
    ps_err_clear(&err);
    if (ps_nacha_reader_open(&in, "fuzz", lenient, &r, &err) != 0)
        abort();
    while ((rc = ps_nacha_reader_next(r, &e, &err)) > 0) {
        o->entries++;
        if (e.line <= last || e.offset < 0 || (size_t)e.offset >= size)
            abort();
        last = e.line;
        if (strlen(e.trace) > 15 || strlen(e.account) > 17)
            abort();
    }
    if (rc < 0 && err.rule[0] == '\0')
        abort();
    if (rc == 0) {
        rc = ps_nacha_reader_finish(r, &info, &err);
        size_t n = ps_nacha_reader_problems(r, &list, &o->total);
        size_t errors = 0;
        for (size_t i = 0; i < n; i++)
            errors += list[i].severity == PS_DOC_ERROR;
        /* finish() fails exactly when a problem of severity ERROR was
         * found (warnings alone pass); strict makes every one an error. */
        if ((size_t)o->total < n || (rc == 0 && errors > 0) ||
            (rc != 0 && o->total == 0) ||
            (rc != 0 && (size_t)o->total == n && errors == 0) ||
            ((lenient & PS_NACHA_STRICT) && errors != n))
            abort();
        if (rc != 0 && (rc != PS_EINVAL || err.rule[0] == '\0'))
            abort();
        for (size_t i = 0; i < n; i++) {
            const struct ps_doc_problem *p = &list[i];
            if (p->err.rule[0] == '\0' || p->err.line < 1 ||
                p->err.offset < 0 || (size_t)p->err.offset > size + 94 ||
                p->err.msg[0] == '\0' ||
                (i > 0 && p->err.line < list[i - 1].err.line))
                abort();
        }
        if ((info.lenient_used & ~lenient) != 0)
            abort();
    }
    o->rc = rc;
    ps_strlcpy(o->rule, err.rule, sizeof(o->rule));
    ps_nacha_reader_close(r);
}

static long adapt(const uint8_t *data, size_t size)
{
    const struct ps_format *f = &ps_format_nacha;
    struct mem m = {data, size, 4096};
    struct ps_stream in = {mem_read, &m};
    struct ps_record rec;
    struct ps_doc_totals totals;
    struct ps_doc_problem probs[4];
    struct ps_err err;
    void *st = NULL;
    long n = 0, total;
    int rc;
    if (f->open(&in, "fuzz", &st, &err) != 0 ||
        f->options(st, "short_lines", &err) != 0)
        abort();
    while ((rc = f->next(st, &rec, &err)) > 0) {
        n++;
        if (rec.kind == NULL || rec.nfields == 0 || rec.reference == NULL)
            abort();
        for (size_t i = 0; i < rec.nfields; i++)
            if (rec.value[i] == NULL || rec.value[i][0] == '\0')
                abort();
    }
    if (rc == 0) {
        memset(&totals, 0, sizeof(totals));
        rc = f->finish(st, &totals, &err);
        if (totals.records != n || strcmp(totals.key_kind, "nacha") != 0)
            abort();
        if (f->problems(st, probs, 4, &total) > 4 || (rc != 0 && total == 0))
            abort();
    }
    f->close(st);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t steps[] = {1 << 20, 1, 7, 95, 4096};
    static const unsigned lenient[] = {0, PS_NACHA_LENIENT_ALL,
                                       PS_NACHA_STRICT};
    int bid = ps_format_nacha.bid(
        data, size < PS_FORMAT_PEEK ? size : PS_FORMAT_PEEK, "fuzz");
    if (bid != 0 && bid != 50 && bid != 100)
        abort();
    for (size_t l = 0; l < 2; l++) {
        struct outcome first, o;
        for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
            read_once(data, size, steps[s], lenient[l], s == 0 ? &first : &o);
            /* Splitting the input differently changes nothing. */
            if (s > 0 && (o.rc != first.rc || o.entries != first.entries ||
                          o.total != first.total ||
                          strcmp(o.rule, first.rule) != 0))
                abort();
        }
        if (l == 0 && first.rc >= 0 && adapt(data, size) != first.entries &&
            first.rc == 0)
            abort();
    }
    return 0;
}
