/*
 * odfi.h -- the sandbox ODFI: answers payspool's outbound NACHA files the
 * way a bank's sandbox does, by deterministic rules on the amount, for
 * demonstrations and tests.
 *
 * For each complete file in outbound/<b>/nacha/ not answered before whose
 * business date is `until` or earlier (until < 0: all), it drops into
 * providers/sandbox/inbound/<b>/ (atomically, with .sha256 and .done, so
 * the spool claims them):
 *   <stem>.settled.csv  a provider status file: SETTLED, on the entry's
 *                       effective date, for every entry not returned
 *                       (reference = the trace number);
 *   <stem>.returns.ach  a NACHA file of returns (addenda 99) and
 *                       notifications of change (COR, addenda 98), when
 *                       there are any.
 * Rules on the cents of the amount:
 *   .01 R01 insufficient funds   .02 R02 account closed
 *   .03 R03 no account           .04 R04 invalid account number
 *   .10 R10 not authorized       (returned, not settled)
 *   .21 C01 account   .22 C02 routing   .23 C03 routing and account
 *   .25 C05 transaction code     .26 C06 account and code
 *   .27 C07 routing, account and code (a NOC; the entry settles)
 * Idempotent: each file is answered once (markers in
 * <spool>/sandbox/odfi/<b>/).  Account numbers read from the files are
 * never logged or kept.
 */
#ifndef PS_ODFI_H
#define PS_ODFI_H

#include <stdint.h>

#include "base/calendar.h"
#include "base/err.h"
#include "base/model.h"

struct ps_odfi_stats {
    long files;    /* NACHA files answered now */
    long settled;  /* entries settled */
    long returned; /* entries returned */
    long nocs;     /* notifications of change */
};

int ps_sandbox_odfi(const char *spool_dir, const struct ps_business *b,
                    const struct ps_calendar *cal, int64_t until,
                    struct ps_odfi_stats *st, struct ps_err *err);

#endif /* PS_ODFI_H */
