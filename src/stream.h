/*
 * stream.h -- a pull stream of bytes: how documents flow from the spool
 * (plain files, gzip, archive members) to the format readers without ever
 * being held whole in memory.
 */
#ifndef PS_STREAM_H
#define PS_STREAM_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct ps_stream {
    /*
     * Read up to n bytes into buf.  Returns the number of bytes read (> 0),
     * 0 at the end of the stream, or a negative PS_E* code with err filled
     * (e.g. a decompression limit was hit, rule UNWRAP_TOO_LARGE).
     */
    ssize_t (*read)(void *ctx, void *buf, size_t n, struct ps_err *err);
    void *ctx;
};

#endif /* PS_STREAM_H */
