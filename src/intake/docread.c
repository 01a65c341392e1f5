/*
 * docread.c -- open a document with the format that bids highest on its
 * first bytes (see docread.h).
 */
#include "intake/docread.h"

#include <string.h>

static ssize_t peeked_read(void *ctx, void *buf, size_t n, struct ps_err *err)
{
    struct ps_docpeek *pk = ctx;
    if (pk->pos < pk->len) {
        size_t k = pk->len - pk->pos < n ? pk->len - pk->pos : n;
        memcpy(buf, pk->buf + pk->pos, k);
        pk->pos += k;
        return (ssize_t)k;
    }
    return pk->src->read(pk->src->ctx, buf, n, err);
}

static int peek_fill(struct ps_docpeek *pk, struct ps_stream *src,
                     struct ps_err *err)
{
    pk->src = src;
    pk->len = pk->pos = 0;
    while (pk->len < sizeof(pk->buf)) {
        ssize_t n = src->read(src->ctx, pk->buf + pk->len,
                              sizeof(pk->buf) - pk->len, err);
        if (n < 0)
            return (int)n;
        if (n == 0)
            break;
        pk->len += (size_t)n;
    }
    pk->s.read = peeked_read;
    pk->s.ctx = pk;
    return 0;
}

void ps_docread_stop(struct ps_docread *d)
{
    if (d->fmt != NULL && d->state != NULL)
        d->fmt->close(d->state);
    d->fmt = NULL;
    d->state = NULL;
}

int ps_docread_start(struct ps_docread *d, const struct ps_doc *doc,
                     const char *format, const char *options,
                     struct ps_err *err)
{
    int rc;
    memset(d, 0, sizeof(*d));
    d->doc = *doc;
    if ((rc = peek_fill(&d->pk, &d->doc.stream, err)) != 0 ||
        (rc = ps_format_detect(d->pk.buf, d->pk.len, d->doc.name,
                               format != NULL && format[0] ? format : NULL,
                               &d->fmt, err)) != 0 ||
        (rc = d->fmt->open(&d->pk.s, d->doc.name, &d->state, err)) != 0 ||
        (options != NULL && options[0] != '\0' && d->fmt->options != NULL &&
         (rc = d->fmt->options(d->state, options, err)) != 0)) {
        ps_err_at(err, d->doc.name, 0, -1);
        ps_docread_stop(d);
        return rc;
    }
    return 0;
}

