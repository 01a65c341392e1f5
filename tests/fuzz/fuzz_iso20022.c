/*
 * fuzz_iso20022.c -- the ISO 20022 pain.001 reader (libxml2 SAX2 under it) on
 * arbitrary bytes, delivered in pieces of varying size.
 *
 * Invariants: no crash; every record either carries fields or an error
 * with a rule; finish() either succeeds or names a rule.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
    const struct ps_format *f = &ps_format_iso20022;
    static const size_t steps[] = {1, 7, 4096, 1 << 20};
    for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
        struct mem m = {data, size, steps[s]};
        struct ps_stream in = {mem_read, &m};
        struct ps_record rec;
        struct ps_doc_totals totals;
        struct ps_err err;
        void *state = NULL;
        int rc;
        (void)f->bid(data, size < PS_FORMAT_PEEK ? size : PS_FORMAT_PEEK,
                     "fuzz");
        ps_err_clear(&err);
        if (f->open(&in, "fuzz", &state, &err) != 0)
            abort();
        while ((rc = f->next(state, &rec, &err)) > 0)
            if (rec.err.code == 0 && rec.nfields == 0)
                abort();
            else if (rec.err.code != 0 && rec.err.rule[0] == '\0')
                abort();
        memset(&totals, 0, sizeof(totals));
        if (rc == 0 && f->finish(state, &totals, &err) != 0 &&
            err.rule[0] == '\0')
            abort();
        if (rc < 0 && err.rule[0] == '\0')
            abort();
        f->close(state);
    }
    return 0;
}
