/*
 * check.h -- `payspool check`: read a file the way intake would, apply
 * nothing, and report every problem of every document.
 *
 * The file is unwrapped as intake unwraps it (gzip, zip, tar members are
 * documents of their own), each document's format is detected by bidding
 * (or forced), every record is read and the whole-document rules are
 * checked.  A document is VALID when its format found no problem at all:
 * not one record it would refuse as read, no failed control total.
 */
#ifndef PS_CHECK_H
#define PS_CHECK_H

#include <jansson.h>

#include "base/err.h"
#include "base/model.h"
#include "engine/handle.h"
#include "formats/archive/unwrap.h"

struct ps_check_opts {
    const char *format;  /* force this format, or NULL to detect */
    const char *options; /* reading options (NACHA lenient names), or NULL */
    struct ps_unwrap_limits limits;
    size_t max_problems; /* per document, 0 = 1000 */
    /* Also the business's rules (both set, or both NULL): every record
     * the format reads without error is applied to eng for business, as
     * intake would, inside one store transaction per document that is
     * always rolled back -- nothing written, no file moved.  What the
     * engine would refuse is a problem of the record's line (rule: the
     * engine's code; a DUPLICATE is a WARNING: intake skips it).  Only
     * for a document the format does not refuse whole.  What intake
     * would refuse whole as a duplicate is the document's ERROR instead
     * and its records are not tried: the same content applied before
     * (DUPLICATE_FILE), the format's own key seen before
     * (DUPLICATE_FILE_KEY).  The transaction holds SQLite's write lock
     * while a document is checked: a running engine's commits wait for
     * it (the store's busy timeout, 30 s). */
    struct ps_engine *eng;
    const struct ps_business *business;
};

/*
 * Check the file at path.  *report (from jansson, the caller decrefs):
 *   {"file", "valid": bool, "documents": [{"document", "format",
 *    "valid", "records", "amount", "currency", "key", "optionsUsed",
 *    "problemsTotal" (errors), "warningsTotal", "problems": [{"line",
 *    "offset", "recordType", "field", "rule", "returnCode", "severity"
 *    (ERROR or WARNING), "message"}]}]}  A document with warnings only is
 *    valid.  With opts->eng, "businessChecked": true on each document
 *    whose records went through the business's rules.
 * Returns 0 whatever the verdict; a negative PS_E* only when the check
 * itself could not be done (unreadable file, out of memory).
 */
int ps_check_file(const char *path, const struct ps_check_opts *opts,
                  json_t **report, struct ps_err *err);

#endif /* PS_CHECK_H */
