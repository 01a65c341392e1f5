/*
 * linxapi.h -- LinX for the CLI and the scheduler, by business name and
 * request ref: settings, documents, listing, showing, extending,
 * cancelling.  The CLI reads and changes LinX only through these.
 */
#ifndef PS_LINXAPI_H
#define PS_LINXAPI_H

#include "base/err.h"
#include "engine/engine.h"
#include "engine/linx.h"
#include "base/whsig.h"

/* Set the business's LinX gateway URL (http:// or https://, rule
 * FIELD_VALUE). */
int ps_linx_set_gateway(struct ps_engine *eng, const char *business,
                        const char *url, struct ps_err *err);

/* The business's webhook URL and/or secret (a file holding whsec_...,
 * kept sealed with the key file; rule WEBHOOK_SECRET).  NULL: unchanged. */
int ps_webhook_configure(struct ps_engine *eng, const char *business,
                         const char *url, const char *secret_file,
                         struct ps_err *err);

/* The event outbox, oldest first; dead: only the DEAD ones. */
int ps_events_list(struct ps_engine *eng, const char *business, int dead,
                   int (*cb)(void *ctx, const struct ps_event_info *),
                   void *ctx, struct ps_err *err);
/* Deliver event_id (NULL: every DEAD event) again: PENDING, no attempts. */
int ps_events_replay(struct ps_engine *eng, const char *business,
                     const char *event_id, long *count, struct ps_err *err);

/* ---- webhook delivery (outbound/webhook.c) ---- */

/* The business's webhook URL and key (unsealed): PS_ENOTFOUND when it has
 * no webhook. */
int ps_webhook_target(struct ps_engine *eng, const struct ps_business *b,
                      char *url, size_t url_size,
                      unsigned char key[PS_WHSIG_KEY_MAX], size_t *keylen,
                      struct ps_err *err);
/* Attempts before an event is DEAD: the business's setting, else 8. */
#define PS_WEBHOOK_MAX_ATTEMPTS 8
int ps_webhook_max_attempts(struct ps_engine *eng, const struct ps_business *b);
int ps_webhook_set_attempts(struct ps_engine *eng, const char *business,
                            long n, struct ps_err *err);
/* The POST timeout: the business's setting (100 to 60000 ms), else 10 s. */
long ps_webhook_timeout_ms(struct ps_engine *eng, const struct ps_business *b);
int ps_webhook_set_timeout(struct ps_engine *eng, const char *business,
                           long ms, struct ps_err *err);
/* Its PENDING events, oldest first. */
int ps_webhook_due(struct ps_engine *eng, const struct ps_business *b,
                   int (*cb)(void *ctx, const struct ps_event_due *),
                   void *ctx, struct ps_err *err);
/* An attempt's outcome: DELIVERED, or attempts + 1 with the next try (or
 * DEAD) and why. */
int ps_webhook_result(struct ps_engine *eng, const struct ps_event_due *e,
                      int delivered, const char *next_at, const char *why,
                      int dead, struct ps_err *err);

/* Register document id/version with its title and the SHA-256 of the
 * file at path (hex into sha, 65 bytes).  Twice: PS_ECONFLICT (rule
 * DUPLICATE_RECORD). */
int ps_linx_document_add(struct ps_engine *eng, const char *business,
                         const char *id, const char *version,
                         const char *title, const char *path, char sha[65],
                         struct ps_err *err);

/* The requests of a business (NULL: every business), of a status (NULL:
 * every status), oldest first. */
int ps_linx_list(struct ps_engine *eng, const char *business,
                 const char *status,
                 int (*cb)(void *ctx, const struct ps_linx_row *), void *ctx,
                 struct ps_err *err);

/* Request ref of business: the row, and its history through cb (may be
 * NULL). */
int ps_linx_show(struct ps_engine *eng, const char *business, const char *ref,
                 struct ps_linx_row *out,
                 int (*cb)(void *ctx, const struct ps_linx_history_row *),
                 void *ctx, struct ps_err *err);

/* Cancel an active request (else LINX_NOT_ACTIVE). */
int ps_linx_cancel(struct ps_engine *eng, const char *business,
                   const char *ref, const char *reason,
                   struct ps_linx_row *out, struct ps_err *err);

/* Extend an active request to expires_at (ISO date or time). */
int ps_linx_extend_ref(struct ps_engine *eng, const char *business,
                       const char *ref, const char *expires_at,
                       struct ps_linx_row *out, struct ps_err *err);

/* ---- the `linx` job step (linxdue.c) ---- */

struct ps_linx_due_result {
    long expired;  /* requests moved to EXPIRED */
    long reminded; /* reminders queued */
};

/*
 * The business's due work at now_ms: every active request past its expiry
 * becomes EXPIRED (with a STATUS SMS); every SENT or IN_PROGRESS one whose
 * last reminder (or creation) is older than its template's reminder_hours
 * (48 without a template) gets a REMINDER SMS.  Each request commits on
 * its own: a crash leaves the others for the next pass.
 */
int ps_linx_due(struct ps_engine *eng, const struct ps_business *b,
                int64_t now_ms, struct ps_linx_due_result *res,
                struct ps_err *err);

/* Send an active request again with a new token (the old link stops
 * working): a RESEND SMS.  No longer active: LINX_NOT_ACTIVE. */
int ps_linx_resend(struct ps_engine *eng, const char *business,
                   const char *ref, struct ps_linx_row *out,
                   struct ps_err *err);

/* An SMS of the outbox as the writer sees it: the link unsealed. */
struct ps_linx_sms {
    int64_t id;
    char request_id[PS_ID_SIZE];
    char ref[PS_LINX_REF_SIZE];
    char mobile[PS_LINX_MOBILE_SIZE];
    char kind[24];
    char text[PS_LINX_TEXT_SIZE];
    char link[PS_LINX_LINK_SIZE + PS_LINX_TOKEN_SIZE]; /* "" when none */
    /* 1: a link, reminder or resend for a request no longer active:
     * marked written without being written. */
    int drop;
};

/* The business's pending SMS, oldest first (cb != 0 stops). */
int ps_linx_sms_pending(struct ps_engine *eng, const struct ps_business *b,
                        int (*cb)(void *ctx, const struct ps_linx_sms *m),
                        void *ctx, struct ps_err *err);

/* After their file is durable: mark them WRITTEN (forgetting the sealed
 * links) and move the requests whose LINK went out from CREATED to SENT,
 * in one transaction. */
int ps_linx_sms_written(struct ps_engine *eng, const struct ps_linx_sms *v,
                        size_t n, struct ps_err *err);

/* ---- gateway answers (linxans.c) ---- */

struct ps_linx_answer {
    char ref[PS_LINX_REF_SIZE]; /* the request, when the token was known */
    char status[16]; /* IN_PROGRESS, COMPLETED, DECLINED or FAILED */
    char ids[128];              /* what the activities created */
};

/*
 * One line of a gateway answer file (the format is in linxans.c).  0: the
 * request is IN_PROGRESS (a STARTED line), COMPLETED or DECLINED.  A refusal (LINX_ANSWER,
 * LINX_TOKEN_UNKNOWN, LINX_EXPIRED, LINX_NOT_ACTIVE, LINX_DECLINE_REASON)
 * changes nothing; a failing activity rolls back every activity and
 * leaves the request FAILED (rule LINX_ACTIVITY_FAILED, out->status
 * FAILED).  Store failures are returned as they are.
 */
int ps_linx_answer(struct ps_engine *eng, const struct ps_business *b,
                   const char *line, struct ps_linx_answer *out,
                   struct ps_err *err);

/* ---- the event outbox (linxdue.c) ---- */

/* The business's events not yet in an events/ file, oldest first. */
int ps_events_unwritten(struct ps_engine *eng, const struct ps_business *b,
                        int (*cb)(void *ctx, int64_t id, const char *payload),
                        void *ctx, struct ps_err *err);
/* Mark them written (one transaction). */
int ps_events_written(struct ps_engine *eng, const int64_t *ids, size_t n,
                      struct ps_err *err);

#endif /* PS_LINXAPI_H */
