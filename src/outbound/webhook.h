/*
 * webhook.h -- webhook delivery of the event outbox (libcurl), signed as
 * Standard Webhooks 1.0 (base/whsig.h, ../shared/reference/webhooks.md).
 */
#ifndef PS_WEBHOOK_H
#define PS_WEBHOOK_H

#include <stdint.h>

#include "base/err.h"
#include "engine/engine.h"

struct ps_webhook_result {
    long delivered, failed, dead;
};

/*
 * POST the business's due PENDING events to its webhook URL, oldest first:
 * JSON body, headers webhook-id (the event id), webhook-timestamp (this
 * attempt, Unix seconds) and webhook-signature.  A 2xx is DELIVERED.
 * Anything else, a timeout (timeout_ms) or a refused connection counts an
 * attempt: the next one after 5 s x 4^(attempts-1), at most a day, with
 * +-20% jitter; after max_attempts the event is DEAD.  Per customer in
 * order: an event waits while an earlier one of its customer is pending.
 * Each outcome is committed before the next POST: a kill -9 loses at most
 * the outcome of the POST in flight, which is then sent again (the
 * receiver drops the repeated webhook-id).  No webhook URL: nothing.
 */
int ps_webhook_deliver(struct ps_engine *eng, const struct ps_business *b,
                       int64_t now_ms, int max_attempts, long timeout_ms,
                       struct ps_webhook_result *res, struct ps_err *err);

#endif /* PS_WEBHOOK_H */
