/*
 * store/linx.h -- the store's side of LinX: requests, their status
 * history, the business's documents.
 *
 * Statuses are the names of engine/linxtable.h, kept as text here (the
 * store sits below the engine).  ps_store_linx_set_status() is called
 * only by engine/linx.c, after the transition table allowed the change,
 * inside one store transaction with its history row.
 *
 * Errors as every store function (store.h).
 */
#ifndef PS_STORE_LINX_H
#define PS_STORE_LINX_H

#include <stdint.h>

#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/id.h"
#include "store/store.h"

#define PS_LINX_REF_SIZE 65
#define PS_LINX_MOBILE_SIZE 17 /* "+" and up to 15 digits, E.164 */
#define PS_LINX_NAME_SIZE 64
#define PS_LINX_ACTIVITIES_SIZE 4096
#define PS_LINX_TEXT_SIZE 256
#define PS_LINX_SEALED_MAX 600 /* a link of 512 bytes, sealed */

struct ps_linx_row {
    char id[PS_ID_SIZE];
    char business_id[PS_ID_SIZE];
    char ref[PS_LINX_REF_SIZE]; /* the request's id in its file */
    char customer_id[PS_ID_SIZE];           /* "" for a new customer */
    char customer_external_id[PS_LINX_REF_SIZE]; /* "" when none */
    char mobile[PS_LINX_MOBILE_SIZE];
    char template_name[PS_LINX_NAME_SIZE]; /* "" for an explicit list */
    char activities[PS_LINX_ACTIVITIES_SIZE]; /* JSON array */
    char status[16];
    char token_hash[PS_TOKEN_SIZE];
    char expires_at[PS_TIME_SIZE];
    int reminders_sent;
    char last_reminder_at[PS_TIME_SIZE];
    char decline_reason[PS_LINX_TEXT_SIZE];
    char failure[PS_LINX_TEXT_SIZE];
    char file_id[PS_ID_SIZE];
    long source_line;
    char created_at[PS_TIME_SIZE];
    char updated_at[PS_TIME_SIZE];
};

struct ps_linx_history_row {
    int64_t seq;
    char from_status[16]; /* "" for the creation */
    char to_status[16];
    char event[16];
    char reason[PS_LINX_TEXT_SIZE];
    char at[PS_TIME_SIZE];
};

/* Insert a new request (PS_ECONFLICT when the business already has ref). */
int ps_store_linx_insert(struct ps_store *s, const struct ps_linx_row *r,
                         struct ps_err *err);
int ps_store_linx_get(struct ps_store *s, const char *id,
                      struct ps_linx_row *out, struct ps_err *err);
int ps_store_linx_by_ref(struct ps_store *s, const char *business_id,
                         const char *ref, struct ps_linx_row *out,
                         struct ps_err *err);
int ps_store_linx_by_token(struct ps_store *s, const char *token_hash,
                           struct ps_linx_row *out, struct ps_err *err);

/*
 * Write r's status, decline reason, failure and updated_at, only if the
 * stored status is still `from` (else PS_ESTATE, rule STATE_CHANGED).
 */
int ps_store_linx_set_status(struct ps_store *s, const struct ps_linx_row *r,
                             const char *from, struct ps_err *err);
/* Write expires_at, reminders_sent, last_reminder_at, token_hash and
 * updated_at (extend, remind, resend). */
/* The customer a request for a new customer created (kept when the
 * request already has one). */
int ps_store_linx_set_customer(struct ps_store *s, const char *id,
                               const char *customer_id, struct ps_err *err);
/* The transaction the request's TRANSACTION activity created. */
int ps_store_linx_set_txn(struct ps_store *s, const char *id,
                          const char *txn_id, struct ps_err *err);
/* The request whose transaction is txn_id: PS_ENOTFOUND when none (a
 * transaction that is not a LinX request's). */
int ps_store_linx_by_txn(struct ps_store *s, const char *txn_id,
                         struct ps_linx_row *out, struct ps_err *err);
int ps_store_linx_touch(struct ps_store *s, const struct ps_linx_row *r,
                        struct ps_err *err);
/* from "" for the creation. */
int ps_store_linx_history_insert(struct ps_store *s, const char *request_id,
                                 const char *from, const char *to,
                                 const char *event,
                                 const struct ps_source *src, const char *at,
                                 struct ps_err *err);
/* Oldest first. */
int ps_store_linx_history(struct ps_store *s, const char *request_id,
                          int (*cb)(void *ctx,
                                    const struct ps_linx_history_row *),
                          void *ctx, struct ps_err *err);
/* Requests of a business ("" every business) in status ("" every status),
 * oldest first. */
int ps_store_linx_list(struct ps_store *s, const char *business_id,
                       const char *status,
                       int (*cb)(void *ctx, const struct ps_linx_row *),
                       void *ctx, struct ps_err *err);

/* A business setting (e.g. "linx.gateway_url"): PS_ENOTFOUND when unset. */
int ps_store_setting_get(struct ps_store *s, const char *business_id,
                         const char *key, char *out, size_t size,
                         struct ps_err *err);
int ps_store_setting_set(struct ps_store *s, const char *business_id,
                         const char *key, const char *value, const char *at,
                         struct ps_err *err);

/* A registered document's title: PS_ENOTFOUND when unknown. */
int ps_store_document_get(struct ps_store *s, const char *business_id,
                          const char *doc_id, const char *version,
                          char *title, size_t size, struct ps_err *err);
/* PS_ECONFLICT when that id and version exist. */
int ps_store_document_insert(struct ps_store *s, const char *business_id,
                             const char *doc_id, const char *version,
                             const char *title, const char *sha256,
                             const char *at, struct ps_err *err);

/* Record that request_id accepted the document, with the time and the
 * document's SHA-256 (LINX_DOCUMENT_UNKNOWN when not registered). */
int ps_store_document_accept(struct ps_store *s, const char *business_id,
                             const char *request_id, const char *doc_id,
                             const char *version, const char *at,
                             struct ps_err *err);

/* An SMS of the outbox.  A link is kept only sealed (crypto.h), and
 * forgotten once the SMS file is written. */
struct ps_sms_row {
    int64_t id;
    char business_id[PS_ID_SIZE];
    char request_id[PS_ID_SIZE];
    char mobile[PS_LINX_MOBILE_SIZE];
    char kind[24]; /* LINK ... TRANSACTION_STATUS */
    char body[PS_LINX_TEXT_SIZE];
    unsigned char sealed[PS_LINX_SEALED_MAX];
    size_t sealed_len;
    char created_at[PS_TIME_SIZE];
};
int ps_store_sms_insert(struct ps_store *s, const struct ps_sms_row *m,
                        struct ps_err *err);
/* A business's PENDING SMS, oldest first. */
int ps_store_sms_pending(struct ps_store *s, const char *business_id,
                         int (*cb)(void *ctx, const struct ps_sms_row *),
                         void *ctx, struct ps_err *err);
/* WRITTEN, and the sealed link forgotten. */
int ps_store_sms_written(struct ps_store *s, int64_t id, const char *at,
                         struct ps_err *err);

/* ---- the event outbox ---- */
struct ps_event_row {
    char event_id[PS_ID_SIZE];
    char business_id[PS_ID_SIZE];
    char event_type[48];
    char entity_type[16];
    char entity_id[PS_ID_SIZE];
    char customer_id[PS_ID_SIZE]; /* "" when none */
    const char *payload;          /* JSON object */
    char created_at[PS_TIME_SIZE];
    /* A transaction's status event on schema v25: its history row, and
     * no payload stored (made again on reading, base/eventjson.h). */
    int64_t history_id;
};
int ps_store_event_insert(struct ps_store *s, const struct ps_event_row *e,
                          struct ps_err *err);
/* Events not yet in an events/ file, oldest first (cb != 0 stops). */
int ps_store_events_unwritten(struct ps_store *s, const char *business_id,
                              int (*cb)(void *ctx, int64_t id,
                                        const char *payload),
                              void *ctx, struct ps_err *err);
int ps_store_event_written(struct ps_store *s, int64_t id, const char *at,
                           struct ps_err *err);

struct ps_event_info {
    int64_t seq;
    char event_id[PS_ID_SIZE];
    char event_type[48];
    char entity_type[16];
    char entity_id[PS_ID_SIZE];
    char delivery[16];
    int attempts;
    char last_error[PS_LINX_TEXT_SIZE];
    char created_at[PS_TIME_SIZE];
    char payload[2048];
};
/* Events of a business ("" every one) with that delivery state ("" any),
 * oldest first. */
int ps_store_events_list(struct ps_store *s, const char *business_id,
                         const char *delivery,
                         int (*cb)(void *ctx, const struct ps_event_info *),
                         void *ctx, struct ps_err *err);
/* Make event_id (or, when "", every DEAD event) PENDING again with no
 * attempts; *count how many. */
int ps_store_events_replay(struct ps_store *s, const char *business_id,
                           const char *event_id, long *count,
                           struct ps_err *err);

/* ---- webhook delivery ---- */
struct ps_event_due {
    int64_t seq;
    char event_id[PS_ID_SIZE];
    char customer_id[PS_ID_SIZE];
    char payload[2048];
    int attempts;
    char next_attempt_at[PS_TIME_SIZE]; /* "" when due at once */
};
/* A business's PENDING events, oldest first. */
int ps_store_events_due(struct ps_store *s, const char *business_id,
                        int (*cb)(void *ctx, const struct ps_event_due *),
                        void *ctx, struct ps_err *err);
int ps_store_event_delivered(struct ps_store *s, int64_t seq, const char *at,
                             struct ps_err *err);
/* A failed attempt: attempts, the next try (or DEAD), why. */
int ps_store_event_failed(struct ps_store *s, int64_t seq, int attempts,
                          const char *next_at, const char *why, int dead,
                          struct ps_err *err);

/* A customer's identity details, each sealed (crypto.h) by the caller;
 * a NULL / 0-length one is left as it is. */
int ps_store_identity_set(struct ps_store *s, const char *customer_id,
                          const unsigned char *dob, size_t dob_len,
                          const unsigned char *tax, size_t tax_len,
                          const char *tax_last4, const char *at,
                          struct ps_err *err);
/* Its sealed date of birth (copied when it fits dob_size; *dob_len 0
 * when none), whether a tax id is on file, and the tax id's last four.
 * No row: PS_ENOTFOUND (err untouched). */
int ps_store_identity_get(struct ps_store *s, const char *customer_id,
                          unsigned char *dob, size_t dob_size,
                          size_t *dob_len, int *has_tax, char tax_last4[5],
                          struct ps_err *err);

#endif /* PS_STORE_LINX_H */
