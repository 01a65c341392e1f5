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

#endif /* PS_PROVIDER_H */
