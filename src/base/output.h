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
 *
 * Temporary names start with '.' (".NAME.tmp.<pid>.<random>"), so pickup
 * jobs that skip dot-files never see them; output names themselves may
 * not start with '.'.
 */
#ifndef PS_OUTPUT_H
#define PS_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

struct ps_output;

#define PS_SHA256_HEX 65 /* 64 hex digits + NUL */

/*
 * Longest accepted output name, in bytes: NAME_MAX (255) less room for
 * the ".sha256" sidecar and the temporary-name decoration.
 */
#define PS_OUTPUT_NAME_MAX 215

/*
 * Start writing `name` in folder `dir`, with file mode `mode` (e.g. 0640,
 * or 0600 for files holding card numbers).  The mode is applied exactly,
 * whatever the umask; only permission bits (0777) are accepted.
 *
 * `name` must be a plain file name: not empty, at most PS_OUTPUT_NAME_MAX
 * bytes, no '/', not starting with '.' (so not "." or ".."), and no
 * control characters or backslashes (they would need escaping in the
 * sha256sum line).  NAME.sha256 and NAME.done are written next to it.
 *
 * Returns 0 and sets *out (to be passed to ps_output_commit() or
 * ps_output_abort()), or:
 *   PS_EINVAL    rule OUTPUT_NAME (bad name) or OUTPUT_MODE (bad mode);
 *   PS_ECONFLICT rule OUTPUT_EXISTS if dir/NAME, dir/NAME.sha256 or
 *                dir/NAME.done exists already;
 *   PS_ENOTFOUND rule OUTPUT_DIR if dir does not exist;
 *   PS_ECONFIG   rule OUTPUT_DIR if dir is a symbolic link or not a folder
 *                (the last path component is not followed);
 *   PS_ENOMEM, PS_ECRYPTO (libsodium init), PS_EIO.
 */
int ps_output_open(const char *dir, const char *name, mode_t mode,
                   struct ps_output **out, struct ps_err *err);

/*
 * Append bytes (buffered, 64 KiB).  After a failed write the output is
 * spoiled: later writes and ps_output_commit() fail with PS_ESTATE (rule
 * OUTPUT_FAILED); call ps_output_abort() (commit also cleans up).
 */
int ps_output_write(struct ps_output *o, const void *buf, size_t len,
                    struct ps_err *err);

/* printf into the output; lines of any length (long ones are malloc'd). */
int ps_output_printf(struct ps_output *o, struct ps_err *err, const char *fmt,
                     ...) __attribute__((format(printf, 3, 4)));

/* Bytes written so far (including bytes still in the buffer). */
size_t ps_output_size(const struct ps_output *o);

/*
 * Finish: flush, fsync, rename into place without overwriting, fsync the
 * folder, write NAME.sha256 and then NAME.done (each the same way).
 * sha256 (may be NULL) receives the hex digest of the content, on success
 * only.  Frees o whatever happens.
 *
 * Errors: PS_ECONFLICT rule OUTPUT_EXISTS if NAME (or a sidecar) appeared
 * since ps_output_open(); PS_ESTATE rule OUTPUT_FAILED after a failed
 * write; PS_EIO.  If NAME itself could not be put in place, the temporary
 * file is removed and nothing is left under NAME.  If NAME is in place but
 * NAME.sha256 or NAME.done could not be written, NAME stays without
 * NAME.done: it is never picked up, and the error says so.
 */
int ps_output_commit(struct ps_output *o, char sha256[PS_SHA256_HEX],
                     struct ps_err *err);

/*
 * Finish an output that a crash left published without its sidecars:
 * dir/name exists; write NAME.sha256 (hash of NAME as it is) and then
 * NAME.done, each only if missing.  An output already done is left as it
 * is.  Used when ps_output_open() says OUTPUT_EXISTS for an output this
 * process was about to write (the same deterministic name).
 */
int ps_output_complete(const char *dir, const char *name,
                       char sha256[PS_SHA256_HEX], struct ps_err *err);

/* Give up: remove the temporary file, free o.  NULL is fine. */
void ps_output_abort(struct ps_output *o);

/*
 * Spreadsheet-formula neutralisation for CSV cells (OWASP CSV injection):
 * a cell starting with = + - @ TAB or CR gets a leading apostrophe.
 * Writes the cell, quoted per RFC 4180 when needed (comma, quote, CR, LF,
 * a leading or trailing space, or the apostrophe case; quotes inside are
 * doubled), into the output.  NULL is written as an empty cell.  Numbers
 * that are legitimately negative amounts are written by the caller as they
 * are, not through this.
 */
int ps_output_csv_cell(struct ps_output *o, const char *cell,
                       struct ps_err *err);

/*
 * Write one CSV record: the n cells through ps_output_csv_cell(),
 * separated by ',', ended by "\n".  payspool's CSV outputs use LF line
 * endings, not RFC 4180's CRLF (line breaks inside quoted cells are kept
 * as they are).  A NULL cell is empty.
 */
int ps_output_csv_row(struct ps_output *o, const char *const *cells, size_t n,
                      struct ps_err *err);

/*
 * Encode one CSV row as ps_output_csv_row() would, into buf (NUL-
 * terminated when size > 0).  Returns the length of the row; when that is
 * >= size the row was cut, as with snprintf.
 */
size_t ps_csv_encode_row(const char *const *cells, size_t n, char *buf,
                         size_t size);

/*
 * SHA-256 of everything readable from fd, from its current position to
 * end of file (works on pipes too), read 64 KiB at a time.  On success
 * writes the lowercase hex digest to hex and the number of bytes hashed to
 * *size (may be NULL).  Errors: PS_EIO, PS_ENOMEM, PS_ECRYPTO.  fd stays
 * open, positioned at end of file.
 */
int ps_sha256_fd(int fd, char hex[PS_SHA256_HEX], int64_t *size,
                 struct ps_err *err);

#endif /* PS_OUTPUT_H */
