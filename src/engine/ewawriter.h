/*
 * ewawriter.h -- the EWA writer thread (issue 21: "one thread reads,
 * checks and writes result lines, one thread owns the SQLite
 * connection").
 *
 * The intake thread decides each disbursement against the book
 * (ps_ewa_book_decide), counts it accepted (ps_ewa_book_accept) and
 * writes its result line; the writer thread writes its row and postings
 * (ps_ewa_book_write), in order, inside the chunk's open transaction.
 * Only one thread uses the store at a time: anything else that touches
 * it (a record of another kind, the book's flush, the commit, a
 * rollback) first drains the queue (ps_ewa_writer_drain).  A refusal's
 * duplicate check does not wait: it asks a read-only connection for what
 * is committed and the writer for what it was given since
 * (ps_ewa_writer_queued; engine/apply.c), and waits only on a hit there;
 * the refusals' rows are written at the chunk's commit
 * (intake/pipeline.c).
 *
 * How it fails: a write that fails (a request id used before, a store
 * error) stops the writer, which skips what is queued after it; the
 * next drain returns PS_EBUSY (rule DATABASE_BUSY) with the writer's
 * message.  The caller then rolls the chunk back and applies the
 * document again from its last checkpoint on one thread, as the resume
 * path does (intake/pipeline.c), so the record is refused or failed
 * exactly as without the writer.
 */
#ifndef PS_EWAWRITER_H
#define PS_EWAWRITER_H

#include "engine/ewabook.h"

struct ps_ewa_writer;

int ps_ewa_writer_start(struct ps_ewa_writer **out, struct ps_err *err);
/* Queue a decided disbursement of `book` (waits while the queue is
 * full).  The book must outlive the queue: drain before dropping it. */
int ps_ewa_writer_post(struct ps_ewa_writer *w, struct ps_ewa_book *book,
                       const struct ps_ewa_post *post, struct ps_err *err);
/* A write of another kind, in order with the disbursements: the writer
 * thread calls fn(arg, 0, err) inside the chunk's transaction; once the
 * writer has failed, fn(arg, 1, err) instead, which writes nothing (and
 * frees arg if it owns it).  fn's failure is the writer's (see above).
 * The provider's answers (engine/provider.c) go this way. */
typedef int (*ps_ewa_writer_fn)(void *arg, int skip, struct ps_err *err);
void ps_ewa_writer_call(struct ps_ewa_writer *w, ps_ewa_writer_fn fn,
                        void *arg);
/* A decided creation of another kind, its row in post->t (a payment of
 * a pain.001: engine/apply.c), queued like a disbursement: the writer
 * thread calls fn(ctx, post copy, err) in order, and nothing once it has
 * failed; its request id counts as queued (ps_ewa_writer_queued). */
typedef int (*ps_ewa_writer_write_fn)(void *ctx,
                                      const struct ps_ewa_post *post,
                                      struct ps_err *err);
int ps_ewa_writer_post_write(struct ps_ewa_writer *w,
                             ps_ewa_writer_write_fn fn, void *ctx,
                             const struct ps_ewa_post *post,
                             struct ps_err *err);
/* Wait until everything queued is written.  0, or the first failure
 * since the last reset (PS_EBUSY, see above); *failed is then 1. */
int ps_ewa_writer_drain(struct ps_ewa_writer *w, int *failed,
                        struct ps_err *err);
/* After the rollback: forget the failure, and what was queued. */
void ps_ewa_writer_reset(struct ps_ewa_writer *w);
/* Was a disbursement with this request id queued since the last
 * ps_ewa_writer_forget (or reset)?  1 may be a 64-bit hash's collision
 * (the caller then asks the store); 0 is sure.  The poster's thread
 * only. */
int ps_ewa_writer_queued(const struct ps_ewa_writer *w,
                         const char *request_id);
/* After a commit: what was queued is in the store for every reader. */
void ps_ewa_writer_forget(struct ps_ewa_writer *w);
/* Drain, stop and free (NULL: nothing). */
void ps_ewa_writer_stop(struct ps_ewa_writer *w);

#endif /* PS_EWAWRITER_H */
