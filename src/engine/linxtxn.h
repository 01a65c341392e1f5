/*
 * linxtxn.h -- the SMS of a LinX request's transaction status changes.
 *
 * A request's TRANSACTION activity creates a SEND or a DEBIT whose
 * request id is PS_LINX_TXN_PREFIX and the request's ref; the request
 * records the transaction's id (linx_requests.txn_id).  When that
 * transaction later changes status through the transition table
 * (ps_txn_apply, txn.c), ps_linx_txn_status() queues an SMS of kind
 * TRANSACTION_STATUS to the request's mobile number in the same store
 * transaction: the SMS commits with the status change, or not at all.
 *
 * Which changes message the customer is the small table in linxtxn.c
 * (docs/linx.md says why): the first TRANSMIT (the money left), SETTLED,
 * DECLINED, returned, REVERSED, ERROR and CANCELLED.  SUBMIT, a provider
 * retry (back to PENDING, and its new TRANSMIT), APPROVED and CLEARED
 * are internal steps and send nothing.
 *
 * Cost for every other transaction: one comparison of its request id's
 * first five bytes.  A transaction whose request id merely starts so
 * (a payroll file's "linx-7") costs one indexed look-up on a status
 * change that would message, and gets no SMS.
 */
#ifndef PS_LINXTXN_H
#define PS_LINXTXN_H

#include <stddef.h>

#include "base/err.h"
#include "base/model.h"
#include "store/store.h"

#define PS_LINX_TXN_PREFIX "linx-"
#define PS_LINX_TXN_PREFIX_LEN 5

/*
 * The event is named as ps_txn_event_name() names it ("TRANSMIT", ...):
 * txn.c calls this file, so this file does not include txn.h.
 *
 * The customer's text for t's change (t already in its new status, its
 * attempts counted) by event ev, from business `who`: "Acme: your payment of
 * $25.00 was sent."; with an ACH return code, its meaning after a colon
 * ("... was returned: insufficient funds.").  Never an account or card
 * number.  Returns 1 and the text in buf (may be NULL to ask only), or 0
 * when this change sends no SMS.
 */
int ps_linx_txn_sms_text(const struct ps_txn *t, const char *ev,
                         const char *return_code, const char *who, char *buf,
                         size_t size);

/*
 * Inside ps_txn_apply's store transaction, after t's status change by ev:
 * when t is a LinX request's transaction and the change messages the
 * customer, queue its TRANSACTION_STATUS SMS.  0 when there is nothing
 * to do; else the store's error (the status change then rolls back).
 */
int ps_linx_txn_status(struct ps_store *store, const struct ps_txn *t,
                       const char *ev, const char *return_code,
                       struct ps_err *err);

#endif /* PS_LINXTXN_H */
