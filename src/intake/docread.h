/*
 * docread.h -- one document opened with its format reader: the first
 * bytes are peeked for the formats' bids and replayed to the winner, and
 * the business's reading options (NACHA lenient options) are handed to
 * formats that take them.  Shared by the pipeline and `payspool check`.
 */
#ifndef PS_DOCREAD_H
#define PS_DOCREAD_H

#include <stddef.h>

#include "base/err.h"
#include "formats/format.h"
#include "formats/archive/unwrap.h"

/* A stream that replays its first bytes after peeking. */
struct ps_docpeek {
    struct ps_stream *src;
    unsigned char buf[PS_FORMAT_PEEK];
    size_t len, pos;
    struct ps_stream s;
};

struct ps_docread {
    struct ps_doc doc; /* borrowed from the unwrap walk, valid until it
                          moves */
    struct ps_docpeek pk;
    const struct ps_format *fmt; /* NULL when stopped */
    void *state;
};

/*
 * Start the format reader on a document the walk is positioned at.  With
 * `format` set, that format is required (a document keeps the format it
 * was detected as when it was checked).  options: the business's reading
 * options, or NULL/"" for none.  On error nothing is left open and err
 * names the document.
 */
int ps_docread_start(struct ps_docread *d, const struct ps_doc *doc,
                     const char *format, const char *options,
                     struct ps_err *err);
void ps_docread_stop(struct ps_docread *d);

#endif /* PS_DOCREAD_H */
