/*
 * stream.c -- the line reader over a ps_stream.
 */
#include "base/stream.h"

#include <string.h>

void ps_lines_init(struct ps_lines *lr, struct ps_stream *in)
{
    memset(lr, 0, sizeof(*lr));
    lr->in = in;
}

static int fill(struct ps_lines *lr, struct ps_err *err)
{
    if (lr->start > 0) {
        memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
        lr->end -= lr->start;
        lr->start = 0;
    }
    while (!lr->eof && lr->end < sizeof(lr->buf)) {
        ssize_t n = lr->in->read(lr->in->ctx, lr->buf + lr->end,
                                 sizeof(lr->buf) - lr->end, err);
        if (n < 0)
            return (int)n;
        if (n == 0)
            lr->eof = 1;
        else {
            lr->end += (size_t)n;
            break;
        }
    }
    return 0;
}

int ps_lines_next(struct ps_lines *lr, size_t *len, int64_t *offset,
                  struct ps_err *err)
{
    size_t n = 0;
    int64_t at = lr->offset;
    for (;;) {
        char *nl = NULL;
        size_t avail = lr->end - lr->start;
        if (avail > 0)
            nl = memchr(lr->buf + lr->start, '\n', avail);
        size_t take = nl != NULL ? (size_t)(nl - (lr->buf + lr->start)) : avail;
        /* One byte over the limit may be the CR of a CRLF ending. */
        if (n + take > PS_LINE_MAX + 1) {
            lr->line++;
            return ps_err_set(err, PS_EINVAL, "LINE_TOO_LONG",
                              "line %ld is longer than %d bytes", lr->line,
                              PS_LINE_MAX);
        }
        if (memchr(lr->buf + lr->start, '\0', take) != NULL) {
            lr->line++;
            return ps_err_set(err, PS_EINVAL, "NUL_BYTE",
                              "line %ld contains a NUL byte", lr->line);
        }
        memcpy(lr->cur + n, lr->buf + lr->start, take);
        n += take;
        lr->start += take;
        lr->offset += (int64_t)take;
        if (nl != NULL) {
            lr->start++; /* the '\n' */
            lr->offset++;
            break;
        }
        if (lr->eof) {
            if (n == 0)
                return 0;
            break;
        }
        int rc = fill(lr, err);
        if (rc < 0)
            return rc;
        if (lr->eof && lr->start == lr->end && n == 0)
            return 0;
    }
    if (n > 0 && lr->cur[n - 1] == '\r')
        n--;
    lr->line++;
    if (n > PS_LINE_MAX)
        return ps_err_set(err, PS_EINVAL, "LINE_TOO_LONG",
                          "line %ld is longer than %d bytes", lr->line,
                          PS_LINE_MAX);
    lr->cur[n] = '\0';
    *len = n;
    *offset = at;
    return 1;
}
