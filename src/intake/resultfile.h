/*
 * resultfile.h -- a document's result file (private to src/intake/): one
 * CSV line per record (line, reference, outcome, code, message, ids,
 * amount), a header, and a trailer with the document's counts.
 *
 * The body is written to a temporary file in work/ as chunks are applied
 * and made durable (ps_result_sync) *before* the chunk's checkpoint
 * commits the body's length; on resume it is cut back to that length.
 * After the document's last commit it is published whole
 * (ps_result_publish) under a name derived from the file id, so a
 * resumed run finds a result it published before a crash.
 */
#ifndef PS_RESULTFILE_H
#define PS_RESULTFILE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/model.h"
#include "store/store.h"

/* The temporary body of one document's result file.  Owned by the
 * caller (on its stack); ps_result_close() closes its descriptor. */
struct ps_result {
    int fd;          /* the temporary result body in work/ */
    char path[4096]; /* its path */
    char buf[65536]; /* lines not yet written */
    size_t used;     /* bytes of buf in use */
    int64_t offset;  /* bytes in the file, including buffered ones */
};

/*
 * Open the temporary body <dir>/.<input>.<index>.result at `offset`: 0
 * starts afresh; on resume (`resuming`) it is the checkpointed length,
 * and the file must hold at least that much (a shorter one lost synced
 * lines: RESULT_TRUNCATED rather than padding with NULs).
 */
int ps_result_open(struct ps_result *r, const char *dir, const char *input,
                   int index, int64_t offset, int resuming,
                   struct ps_err *err);

/* Append one CSV line of n cells (buffered; a line over 4 KiB is cut). */
int ps_result_line(struct ps_result *r, const char *const *cells, size_t n,
                   struct ps_err *err);

/* Make the lines so far durable (before the checkpoint commits). */
int ps_result_sync(struct ps_result *r, struct ps_err *err);

/* Close the descriptor (the file stays for ps_result_publish). */
void ps_result_close(struct ps_result *r);

/*
 * Publish <spool>/outbound/<business>/results/<name>: header, the body
 * from tmp_path (may be NULL: no lines), and the trailer from the file
 * row f; f->result_path receives the path, and tmp_path is removed.  An
 * existing result of the same name is this very document's, published
 * before a crash: its .sha256 and .done are completed.
 */
int ps_result_publish(const char *spool, const struct ps_business *b,
                      struct ps_file *f, const char *docname,
                      const char *tmp_path, struct ps_err *err);

/* v in the currency's minor units as a decimal string in buf; "" for an
 * unknown currency. */
const char *ps_result_amount(int64_t v, const char *currency, char *buf,
                             size_t size);

/*
 * Finish document f of an input rewritten after its claim (why: the
 * FILE_CHANGED_AFTER_CLAIM error): a PROCESSING one keeps what was
 * committed and becomes APPLIED with why as its reason, its result saying
 * where it stopped; then its result is published (workdir: work/<b>).
 */
int ps_result_finish_changed(struct ps_store *store, const char *spool,
                             const char *workdir, const struct ps_business *b,
                             struct ps_file *f, const char *docname,
                             const struct ps_err *why, struct ps_err *err);

/*
 * The one-line result of a document refused whole or a duplicate input
 * (f's row is in the store already, with its status and reason:
 * "... [RULE]"), published, and where it went recorded on the row.  Run
 * again after a crash, it finds the result by its deterministic name.
 */
int ps_result_refused_publish(const char *spool, struct ps_store *store,
                              const struct ps_business *b, struct ps_file *f,
                              const char *docname, long line,
                              struct ps_err *err);

#endif /* PS_RESULTFILE_H */
