/*
 * fuzz_csv.c -- the CSV reader (libcsv under it, the shipped layouts
 * over it) on arbitrary bytes, delivered in pieces of varying size.
 *
 * Invariants: no crash, leak or overflow; bid() is 0 or 60..90; every
 * record has a kind and either fields or an error with a rule, a line
 * that never goes backwards and an offset inside the input; finish()
 * counts exactly the records delivered; a document error names a rule;
 * the result does not depend on how the bytes are split.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/csv/csv.h"
#include "formats/format.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct ps_format *f = &ps_format_csv;
    static const size_t steps[] = {1 << 20, 1, 7, 4096};
    long first_records = -1, first_rc = 0;
    if (ps_csv_layouts_ensure(NULL) != 0)
        abort(); /* the shipped layouts must load */
    int bid =
        f->bid(data, size < PS_FORMAT_PEEK ? size : PS_FORMAT_PEEK, "fuzz");
    if (bid != 0 && (bid < 60 || bid > 90))
        abort();
    for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
        struct mem m = {data, size, steps[s]};
        struct ps_stream in = {mem_read, &m};
        struct ps_record rec;
        struct ps_doc_totals totals;
        struct ps_err err;
        void *state = NULL;
        long records = 0, last_line = 0;
        int rc;
        ps_err_clear(&err);
        if (f->open(&in, "fuzz", &state, &err) != 0) {
            if (err.rule[0] == '\0')
                abort();
            rc = -1;
            goto next_step;
        }
        while ((rc = f->next(state, &rec, &err)) > 0) {
            records++;
            if (rec.kind == NULL || rec.line < 2 || rec.line < last_line ||
                rec.offset < 0 || (size_t)rec.offset >= size)
                abort();
            last_line = rec.line;
            if (rec.err.code == 0 && rec.nfields == 0)
                abort();
            if (rec.err.code != 0 && rec.err.rule[0] == '\0')
                abort();
            for (size_t i = 0; i < rec.nfields; i++)
                if (rec.name[i] == NULL || rec.value[i] == NULL ||
                    rec.value[i][0] == '\0')
                    abort();
        }
        memset(&totals, 0, sizeof(totals));
        if (rc == 0) {
            if (f->finish(state, &totals, &err) != 0 ||
                totals.records != records)
                abort();
        } else if (err.rule[0] == '\0') {
            abort();
        }
        f->close(state);
    next_step:
        /* Splitting the input differently changes nothing. */
        if (s == 0) {
            first_records = records;
            first_rc = rc;
        } else if (rc != first_rc || records != first_records) {
            abort();
        }
    }
    return 0;
}
