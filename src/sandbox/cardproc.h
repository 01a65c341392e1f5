/*
 * cardproc.h -- the sandbox card processor: deterministic answers to
 * push-to-card payout files, for demonstrations and tests.
 */
#ifndef PS_CARDPROC_H
#define PS_CARDPROC_H

#include <stdint.h>

#include "base/calendar.h"
#include "base/err.h"
#include "base/model.h"

/* What one sandbox run did. */
struct ps_sandbox_stats {
    long files;    /* payout files answered now */
    long settled;  /* lines answered SETTLED */
    long declined; /* DECLINED (amounts ending in .13) */
    long errors;   /* ERROR (amounts ending in .99) */
};

/*
 * The sandbox card processor for business b: answer every complete
 * payout file in outbound/<b>/payouts/ (NAME.done present) not answered
 * before, whose business date is `until` or earlier (until < 0: all), by
 * writing providers/sandbox/inbound/<b>/<stem>.status.csv (atomically, with
 * .sha256 and .done, so the spool claims it).  Rules on the minor units' last
 * two digits: 13 -> DECLINED "05 do not honor"; 99 -> ERROR "91 issuer or
 * switch unavailable" (retried by the next payout until attempts run
 * out); anything else SETTLED with settlement date = the next banking day
 * (cal) after the payout file's business date.  Idempotent: each file is
 * answered once (markers in <spool>/sandbox/provider/<b>/); the answer's
 * bytes depend only on the payout file, so even a crash between the
 * answer and its marker only produces a duplicate input the spool
 * refuses.  Card numbers read from the files are never logged or kept.
 */
int ps_sandbox_provider(const char *spool_dir, const struct ps_business *b,
                        const struct ps_calendar *cal, int64_t until,
                        struct ps_sandbox_stats *st, struct ps_err *err);

#endif /* PS_CARDPROC_H */
