/*
 * stream.h -- a pull stream of bytes: how documents flow from the spool
 * (plain files, gzip, archive members) to the format readers without ever
 * being held whole in memory.
 */
#ifndef PS_STREAM_H
#define PS_STREAM_H

#include <stddef.h>
#include <sys/types.h>

#include <stdint.h>

#include "base/err.h"

struct ps_stream {
    /*
     * Read up to n bytes into buf.  Returns the number of bytes read (> 0),
     * 0 at the end of the stream, or a negative PS_E* code with err filled
     * (e.g. a decompression limit was hit, rule UNWRAP_TOO_LARGE).
     */
    ssize_t (*read)(void *ctx, void *buf, size_t n, struct ps_err *err);
    void *ctx;
};

/*
 * A line reader over a stream: LF or CRLF endings, a maximum line length,
 * line numbers and byte offsets.  Fixed memory.
 */
#define PS_LINE_MAX 8192

struct ps_lines {
    struct ps_stream *in;
    char buf[65536];
    size_t start, end; /* unread bytes are buf[start..end) */
    int eof;
    long line;                 /* number of the line last returned */
    int64_t offset;            /* byte offset of the next unread byte */
    char cur[PS_LINE_MAX + 2]; /* the line, its CR if any, the NUL */
};

void ps_lines_init(struct ps_lines *lr, struct ps_stream *in);

/*
 * The next line, without its ending, NUL-terminated in lr->cur: 1 with
 * *len and *offset (where the line starts), 0 at the end, negative with
 * err (rule LINE_TOO_LONG, or the stream's error).  A NUL byte inside a
 * line is an error (rule NUL_BYTE).  A last line without a newline counts.
 */
int ps_lines_next(struct ps_lines *lr, size_t *len, int64_t *offset,
                  struct ps_err *err);

#endif /* PS_STREAM_H */
