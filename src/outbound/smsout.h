/*
 * smsout.h -- the SMS outbox file: one JSON Lines file per run in
 * outbound/<business>/sms/, for an SMS gateway to pick up.
 */
#ifndef PS_SMSOUT_H
#define PS_SMSOUT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "engine/engine.h"

/*
 * Write the business's pending SMS to outbound/<b>/sms/sms-<time>.jsonl
 * (atomic, with .sha256 and .done: output.h), one object per line:
 * {"mobile", "text", "link" (null when none), "kind" (LINK, REMINDER,
 * RESEND, STATUS, TRANSACTION_STATUS), "ref" (the request)}; then mark
 * them written.  No
 * pending SMS: no file, *count 0.  path (may be NULL) gets the file.
 *
 * A crash after the file and before the marking writes those SMS again
 * next pass (at least once, never lost).
 */
int ps_sms_write(struct ps_engine *eng, const char *spool,
                 const struct ps_business *b, int64_t now_ms, long *count,
                 char *path, size_t path_size, struct ps_err *err);

#endif /* PS_SMSOUT_H */
