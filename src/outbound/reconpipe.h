/*
 * reconpipe.h -- an output written by a second thread: the bytes the
 * reconciliation step formats are handed over in large blocks to a thread
 * that passes them to ps_output_write() (the output's SHA-256 and its
 * write calls), so that formatting the next block and hashing and writing
 * the last one run at the same time.  The bytes reach the output in the
 * order written, exactly as a direct ps_output_write() would put them.
 *
 * Use: ps_recon_pipe_open(), then ps_recon_pipe_write() (a struct
 * ps_iso_sink's write, ctx the pipe) and ps_recon_pipe_record() any
 * number of times, then
 * ps_recon_pipe_close() before the output is committed or aborted; close
 * returns the first error of either side.  Not for several writers.
 */
#ifndef PS_OUTBOUND_RECONPIPE_H
#define PS_OUTBOUND_RECONPIPE_H

#include <stddef.h>

#include "base/err.h"
#include "base/output.h"

struct ps_recon_pipe;

/* A record's formatter, on the thread: writes what rec (n bytes, as
 * ps_recon_pipe_record() was given them) stands for into o. */
typedef int (*ps_recon_pipe_rec)(void *ctx, struct ps_output *o,
                                 const void *rec, size_t n,
                                 struct ps_err *err);

/* rec (with rec_ctx) formats the records; NULL when there are none. */
int ps_recon_pipe_open(struct ps_output *o, ps_recon_pipe_rec rec,
                       void *rec_ctx, struct ps_recon_pipe **pp,
                       struct ps_err *err);
/* ctx is the pipe: the signature of a struct ps_iso_sink's write. */
int ps_recon_pipe_write(void *ctx, const char *buf, size_t n,
                        struct ps_err *err);
/* A record (n bytes, less than 1 MB) the thread gives rec in its turn
 * among the bytes written: its formatting is done there too. */
int ps_recon_pipe_record(struct ps_recon_pipe *p, const void *rec, size_t n,
                         struct ps_err *err);
/* Waits for the thread to write what is left, ends it and frees p
 * (NULL: nothing). */
int ps_recon_pipe_close(struct ps_recon_pipe *p, struct ps_err *err);

#endif /* PS_OUTBOUND_RECONPIPE_H */
