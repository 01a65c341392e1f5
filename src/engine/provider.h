/*
 * provider.h -- the provider's side of the exchange: status answers
 * applied to transactions (record kind `txn.status`, layout
 * formats/csv/layouts/provider-status.layout).  The sandbox card
 * processor that writes such answers is sandbox/cardproc.h.
 */
#ifndef PS_PROVIDER_H
#define PS_PROVIDER_H

#include <stdint.h>

#include "engine/engine.h"
#include "engine/outcome.h"
#include "formats/format.h"
#include "base/err.h"
#include "base/model.h"

/*
 * Apply one provider status line of business b: fields reference (the
 * transaction id), status (APPROVED SETTLED CLEARED DECLINED ERROR
 * RETURNED -> events APPROVE SETTLE CLEAR DECLINE PROVIDER_ERROR RETURN),
 * reason_code, message, settlement_date, amount, currency and attempt
 * (default: the transaction's current attempt).  Inside the caller's
 * chunk (a store transaction it holds), without a savepoint: every
 * refusal below is decided before anything is written; then the answer
 * row, the transition (ps_engine_txn_change, with src in the history;
 * for an ACH transaction RETURNED or DECLINED with a NACHA reason_code
 * "R01".."R85", that code as the return code, see achfx.h) and its
 * ledger and EWA effects.  A failure after the answer row is written is
 * an engine failure (EINTERNAL, or the store's own error): the caller
 * rolls the chunk back whole, so a line is never half applied.
 *
 * A refused line returns its error for the result file (apply.c turns it
 * into REJECTED / DUPLICATE): UNKNOWN_REFERENCE (no such transaction in
 * this business), AMOUNT_MISMATCH, CURRENCY_MISMATCH, DUPLICATE_STATUS
 * (this status for this attempt was applied before), ATTEMPT_MISMATCH (an
 * answer to another attempt than the one in flight), ILLEGAL_TRANSITION
 * (e.g. SETTLED after DECLINED).  res gets the ids, message and amount.
 */
int ps_provider_apply_status(struct ps_engine *eng, const struct ps_business *b,
                             const struct ps_record *rec,
                             const struct ps_source *src,
                             struct ps_apply_result *res, struct ps_err *err);

/*
 * The same on two threads (issue 21; the EWA writer's, ewawriter.h):
 * the line is decided here, on the intake thread, against the
 * transaction as committed (reader, a read-only connection) in the
 * status the lines queued since the last commit left it (x), and its
 * writes -- the answer row, the transition, its ledger and EWA effects,
 * the clock read that dates them -- are queued to the writer thread w,
 * which does what ps_provider_apply_status does after its checks, in
 * order.  A refused line is refused here with the same rule and message
 * (the clock read queued as it is read on one thread).  A line whose
 * reference is not a committed transaction id (an ACH trace number, or
 * no such transaction) sets *alone and writes nothing: the caller empties
 * the queue and applies it with ps_provider_apply_status, and the rest of
 * the chunk as well.  A write that fails on the writer thread (an answer
 * committed before that the state did not refuse, a store error) stops
 * the writer: the chunk is rolled back and applied again on one thread.
 */
struct ps_answers;
struct ps_ewa_writer;
struct ps_answers *ps_answers_new(void);
/* After the chunk's commit (or its rollback): what was queued is
 * committed, or gone. */
void ps_answers_forget(struct ps_answers *x);
void ps_answers_free(struct ps_answers *x);
int ps_provider_answer_post(struct ps_engine *eng, const struct ps_business *b,
                            struct ps_answers *x, struct ps_store *reader,
                            struct ps_ewa_writer *w, const struct ps_record *rec,
                            const struct ps_source *src,
                            struct ps_apply_result *res, int *alone,
                            struct ps_err *err);

#endif /* PS_PROVIDER_H */
