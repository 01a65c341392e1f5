/*
 * docread.h -- one document opened with its format reader: the first
 * bytes are peeked for the formats' bids and replayed to the winner, and
 * the business's reading options (NACHA lenient options) are handed to
 * formats that take them.  Shared by the pipeline and `payspool check`.
 */
#ifndef PS_DOCREAD_H
#define PS_DOCREAD_H

#include <stddef.h>
#include <stdint.h>

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

struct ps_spill;

/* Where one checked document's records sit in its input's spill. */
struct ps_spillseg {
    struct ps_spill *spill;
    int64_t start, end; /* bytes of the spill file */
    long records;
    int valid; /* 0: no spill kept (the apply pass reads the document) */
};

struct ps_docread {
    struct ps_doc doc; /* borrowed from the unwrap walk, valid until it
                          moves */
    struct ps_docpeek pk;
    const struct ps_format *fmt; /* NULL when stopped */
    void *state;
    /* While a check pass records into a spill (ps_docread_spill()): fmt
     * and state are `wrap` and this docread, the reader's own below. */
    struct ps_format wrap;
    const struct ps_format *inner;
    void *inner_state;
    struct ps_spill *spill;
    struct ps_spillseg *seg;
    int64_t seg_start;
    long seg_records;
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

/*
 * The spill: the records of a document as its check pass read them, so
 * that its apply pass replays them instead of parsing the document again
 * (a pain.001's XML costs about 3 µs a record to parse; a replayed record
 * a tenth of that).  One spill per input, an unnamed file (O_TMPFILE) in
 * the input's work folder: nothing of it outlives the process, so a
 * crashed pass resumes by reading the document, as before; it holds the
 * records as the reader gave them (card and account numbers included, as
 * in memory), readable by no other process.  A record's line, offset,
 * kind, reference, key, fields and rejection are replayed exactly.
 *
 * ps_spill_open: *out NULL (and 0) when no spill can be made beside the
 * input at work_path; the pipeline then reads the document twice.
 * ps_docread_check: ps_docread_start() (the format detected) that also
 * records the document's records into s as next() returns them, when its
 * format is one whose parse costs more than a replay (pain.001); when
 * finish() then says the document is whole, *seg is its segment (else,
 * or when a write failed, seg->valid stays 0).  ps_docread_open: with a
 * valid segment, a docread on it instead of the document (next() only;
 * it may be replayed any number of times), else ps_docread_start().
 */
int ps_spill_open(struct ps_spill **out, const char *work_path,
                  struct ps_err *err);
void ps_spill_close(struct ps_spill *s);
int ps_docread_check(struct ps_docread *d, const struct ps_doc *doc,
                     const char *options, struct ps_spill *s,
                     struct ps_spillseg *seg, struct ps_err *err);
int ps_docread_open(struct ps_docread *d, const struct ps_spillseg *seg,
                    const struct ps_doc *doc, const char *format,
                    const char *options, struct ps_err *err);

#endif /* PS_DOCREAD_H */
