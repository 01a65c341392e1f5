/*
 * linxtable.h -- the LinX request state machine as one transition table.
 *
 * A LinX request (SPEC section 2, "LinX, in batch") is CREATED when its
 * line of a request file is applied, SENT once its SMS is in the outbox,
 * IN_PROGRESS when the gateway reports the customer has started, and ends
 * COMPLETED (every activity executed), DECLINED (the customer declined
 * the transaction, with a reason), EXPIRED (not answered in time),
 * CANCELLED (by the business) or FAILED (an activity failed: nothing of
 * the request was applied).  The five end statuses are terminal.
 *
 * This module is pure: no store, no I/O.  ps_linx_next() is the only
 * place that knows which (status, event) pairs are legal; the writer
 * (linx.c) asks it before changing a status and writes the status and
 * its history row in one store transaction.
 */
#ifndef PS_LINXTABLE_H
#define PS_LINXTABLE_H

#include "base/err.h"

enum ps_linx_status {
    PS_LINX_CREATED,
    PS_LINX_SENT,
    PS_LINX_IN_PROGRESS,
    PS_LINX_COMPLETED,
    PS_LINX_DECLINED,
    PS_LINX_EXPIRED,
    PS_LINX_CANCELLED,
    PS_LINX_FAILED,
    PS_LINX_N
};

enum ps_linx_event {
    PS_LEV_SEND,     /* CREATED -> SENT: the link's SMS is in the outbox */
    PS_LEV_OPEN,     /* SENT -> IN_PROGRESS: the customer has started */
    PS_LEV_COMPLETE, /* SENT|IN_PROGRESS -> COMPLETED: all activities done */
    PS_LEV_DECLINE,  /* SENT|IN_PROGRESS -> DECLINED: needs a reason */
    PS_LEV_EXPIRE,   /* CREATED|SENT|IN_PROGRESS -> EXPIRED */
    PS_LEV_CANCEL,   /* CREATED|SENT|IN_PROGRESS -> CANCELLED */
    PS_LEV_FAIL,     /* SENT|IN_PROGRESS -> FAILED: an activity failed */
    PS_LEV_N
};

/* The predefined decline reasons of the seed; anything else non-empty is
 * free text. */
enum ps_linx_decline {
    PS_LDEC_INCORRECT_AMOUNT,
    PS_LDEC_NOT_RECOGNIZED,
    PS_LDEC_DUPLICATE,
    PS_LDEC_ALREADY_PAID,
    PS_LDEC_FREE_TEXT,
    PS_LDEC_N
};

/* Longest decline reason kept (bytes, without the NUL). */
#define PS_LINX_REASON_MAX 200

const char *ps_linx_status_name(enum ps_linx_status st);
int ps_linx_status_parse(const char *name); /* -1 when unknown */
const char *ps_linx_event_name(enum ps_linx_event ev);
int ps_linx_event_parse(const char *name); /* -1 when unknown */

/* 1 for COMPLETED, DECLINED, EXPIRED, CANCELLED and FAILED: no event
 * leaves them. */
int ps_linx_status_terminal(enum ps_linx_status st);

/* 1 while the request can still be answered, extended, resent or
 * cancelled: CREATED, SENT, IN_PROGRESS. */
int ps_linx_status_active(enum ps_linx_status st);

/*
 * Classify a decline reason: PS_LDEC_INCORRECT_AMOUNT.. for the exact
 * predefined names, PS_LDEC_FREE_TEXT for other printable text up to
 * PS_LINX_REASON_MAX bytes, -1 for NULL, empty, blank-only, too long or
 * with control characters.
 */
int ps_linx_decline_kind(const char *reason);
const char *ps_linx_decline_name(enum ps_linx_decline d);

/*
 * The pure step: where (st, ev) leads.  DECLINE needs a reason that
 * ps_linx_decline_kind() accepts (else PS_EINVAL, rule
 * LINX_DECLINE_REASON); the other events ignore reason.  An illegal pair
 * is PS_ESTATE: rule LINX_NOT_ACTIVE from a terminal status (the
 * request is no longer active), else LINX_ILLEGAL_TRANSITION.  `id` names the request in
 * messages (may be NULL).
 */
int ps_linx_next(const char *id, enum ps_linx_status st, enum ps_linx_event ev,
                 const char *reason, enum ps_linx_status *next,
                 struct ps_err *err);

#endif /* PS_LINXTABLE_H */
