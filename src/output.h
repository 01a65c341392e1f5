/*
 * output.h -- atomic, durable, no-clobber output files.
 *
 * Every file payspool writes for pickup (results, payment files, reports,
 * exports) goes through here: written under a temporary dot-name in the
 * destination folder, fsynced, renamed into place with
 * renameat2(RENAME_NOREPLACE) (an existing file is never overwritten),
 * the folder fsynced; then NAME.sha256 (sha256sum -c format) the same way,
 * and NAME.done, empty, last.  A reader that waits for NAME.done never sees
 * a partial file.
 */
#ifndef PS_OUTPUT_H
#define PS_OUTPUT_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct ps_output;

#define PS_SHA256_HEX 65 /* 64 hex digits + NUL */

/*
 * Start writing `name` (a plain file name, no '/') in folder `dir`, with
 * file mode `mode` (e.g. 0640, or 0600 for files holding card numbers).
 * Fails with PS_ECONFLICT (rule OUTPUT_EXISTS) if dir/name exists already.
 * *out from ps_output_commit() or ps_output_abort().
 */
int ps_output_open(const char *dir, const char *name, mode_t mode,
                   struct ps_output **out, struct ps_err *err);

/* Append bytes (buffered). */
int ps_output_write(struct ps_output *o, const void *buf, size_t len,
                    struct ps_err *err);
int ps_output_printf(struct ps_output *o, struct ps_err *err, const char *fmt,
                     ...) __attribute__((format(printf, 3, 4)));

/* Bytes written so far. */
size_t ps_output_size(const struct ps_output *o);

/*
 * Finish: flush, fsync, rename into place without overwriting, fsync the
 * folder, write NAME.sha256 and then NAME.done.  sha256 (may be NULL)
 * receives the hex digest of the content.  Frees o whatever happens; on
 * error the temporary file is removed and nothing is left under NAME.
 */
int ps_output_commit(struct ps_output *o, char sha256[PS_SHA256_HEX],
                     struct ps_err *err);

/* Give up: remove the temporary file, free o.  NULL is fine. */
void ps_output_abort(struct ps_output *o);

/*
 * Spreadsheet-formula neutralisation for CSV cells (OWASP CSV injection):
 * a cell starting with = + - @ TAB or CR gets a leading apostrophe.
 * Writes the cell, quoted per RFC 4180 when needed (comma, quote, CR, LF,
 * or the apostrophe case), into the output.  Numbers that are legitimately
 * negative amounts are written by the caller as they are, not through this.
 */
int ps_output_csv_cell(struct ps_output *o, const char *cell,
                       struct ps_err *err);

#endif /* PS_OUTPUT_H */
