/*
 * format.h -- what every file format exports, and the registry.
 *
 * A format turns a document's bytes into records (and, for writers,
 * records into bytes).  It never touches SQLite, the spool or the clock.
 * Readers *bid* on a peek of the document (libarchive's model): 0 means
 * "not mine", higher means more certain; the registry asks every reader
 * and the highest bid wins.
 *
 * Records are canonical name/value pairs: a format maps its own columns or
 * fixed-width fields to the canonical names of a record kind (e.g. kind
 * "payment.send" with fields request_id, external_id, amount, currency),
 * and the engine applies records by kind.  A record the format could not
 * read gets its error set and is delivered anyway, so the result file has
 * a line for it; a problem with the whole document (bad structure,
 * control totals) is fatal and the document is rejected before anything
 * is applied.
 */
#ifndef PS_FORMAT_H
#define PS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/stream.h"

#define PS_RECORD_MAX_FIELDS 48
#define PS_FORMAT_PEEK 4096 /* bytes a bidder is shown */

struct ps_record {
    long line;             /* 1-based line (or record) number in the document */
    int64_t offset;        /* byte offset where the record starts */
    const char *kind;      /* "payment.send", ... ; NULL for a skipped record */
    const char *reference; /* the record's own reference, for the result */
    const char *key;       /* idempotency key within the business, or NULL */
    size_t nfields;
    const char *name[PS_RECORD_MAX_FIELDS];  /* canonical field names */
    const char *value[PS_RECORD_MAX_FIELDS]; /* their values, as read */
    struct ps_err err; /* err.code != 0: the record is rejected as read */
};

/* Totals a format reports after a full pass, for the result trailer. */
struct ps_doc_totals {
    long records;     /* data records (not headers or trailers) */
    int64_t amount;   /* sum of amounts in minor units, if any */
    char currency[4]; /* "" if mixed or none */
    /*
     * The format's own duplicate key for the whole document, if it has
     * one (NACHA: origin, destination, creation date and time, File ID
     * Modifier).  The pipeline records it with the first chunk; a second
     * document with the same key in the business is a DUPLICATE.  "" when
     * the format has none.
     */
    char key_kind[24];
    char key[128];
    /* The reading options that excused a problem in this document (NACHA
     * lenient options, by name, comma-separated), for the result trailer;
     * "" when none did. */
    char options_used[128];
};

/* One problem a format found, for `payspool check`. */
struct ps_doc_problem {
    struct ps_err err;   /* rule, line, offset, field, message */
    char record_type;    /* the format's record type (NACHA '1'..'9'), or
                            0 when the format has none or the problem is
                            the document's physical shape */
    char return_code[4]; /* the ACH return reason it corresponds to
                            (e.g. "R28"), "" when none */
    char severity;       /* PS_DOC_ERROR (0: every format's default) or
                            PS_DOC_WARNING: a convention broken that does
                            not refuse the document */
};

enum { PS_DOC_ERROR = 0, PS_DOC_WARNING = 1 };

struct ps_format {
    const char *name;        /* "pstest", "csv", "nacha", ... */
    const char *description; /* one line for `payspool check` */
    /* Bid on the first bytes of the document.  name: the document name. */
    int (*bid)(const unsigned char *peek, size_t len, const char *name);
    /*
     * Start reading `in`.  *state is the format's own, freed by close().
     * The stream includes the peeked bytes.
     */
    int (*open)(struct ps_stream *in, const char *docname, void **state,
                struct ps_err *err);
    /*
     * The next record: 1 and *rec filled (valid until the next call), 0 at
     * the end, or a negative PS_E* when the document itself is broken.
     */
    int (*next)(void *state, struct ps_record *rec, struct ps_err *err);
    /*
     * After the last record: check whole-document rules (control totals,
     * trailers) and fill *totals.  0, or negative with err.
     */
    int (*finish)(void *state, struct ps_doc_totals *totals,
                  struct ps_err *err);
    void (*close)(void *state);
    /*
     * Optional (NULL when the format has none): per-business reading
     * options as text the format parses (NACHA: lenient option names).
     * Called after open() and before the first next().
     */
    int (*options)(void *state, const char *options, struct ps_err *err);
    /*
     * Optional: every problem found so far, in document order, for formats
     * that go on past the first (finish() still fails with the first).
     * Fills up to max into out; *total counts them all.
     */
    size_t (*problems)(void *state, struct ps_doc_problem *out, size_t max,
                       long *total);
    /*
     * Optional: read the whole document and check it without building
     * records, for `payspool check` -- the same verdict as next() to the
     * end and then finish(), without the cost of the records' text.
     */
    int (*validate)(void *state, struct ps_doc_totals *totals,
                    struct ps_err *err);
    /*
     * Optional: asked only when no format bids.  When the peeked bytes
     * are nearly this format's (CSV: a header sharing most of its columns
     * with a layout that lacks only required ones), 1 with err saying
     * what is missing (rule, field, message); else 0 and err untouched.
     */
    int (*near_miss)(const unsigned char *peek, size_t len, const char *name,
                     struct ps_err *err);
};

/* Add a record field; ignored beyond PS_RECORD_MAX_FIELDS (which formats
 * are written never to reach).  Inline: readers call it for every field
 * of every record. */
static inline void ps_record_field(struct ps_record *rec, const char *name,
                                   const char *value)
{
    if (rec->nfields >= PS_RECORD_MAX_FIELDS)
        return;
    rec->name[rec->nfields] = name;
    rec->value[rec->nfields++] = value;
}
/* The value of a field, or NULL. */
const char *ps_record_get(const struct ps_record *rec, const char *name);
/* Reset a record for reuse, keeping nothing. */
void ps_record_reset(struct ps_record *rec);

/* The registered formats, strongest and cheapest first; NULL-terminated. */
const struct ps_format *const *ps_formats(void);

/*
 * Pick the format for a document from its first bytes: the highest bid
 * wins (ties go to the earlier format).  PS_EINVAL with rule
 * UNRECOGNIZED_FORMAT when nobody bids -- unless a format's near_miss()
 * can say what the document lacks to be its own, which is then the error.
 * `only` (may be NULL) restricts the choice to the format of that name.
 */
int ps_format_detect(const unsigned char *peek, size_t len, const char *name,
                     const char *only, const struct ps_format **out,
                     struct ps_err *err);

/* The registered formats themselves. */
extern const struct ps_format ps_format_pstest;
extern const struct ps_format ps_format_csv;   /* formats/csv/ */
extern const struct ps_format ps_format_nacha; /* formats/nacha/ */
extern const struct ps_format ps_format_iso20022; /* formats/iso20022/ */
extern const struct ps_format ps_format_linxanswer; /* formats/linxanswer/ */

#endif /* PS_FORMAT_H */
