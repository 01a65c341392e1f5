/*
 * camt.h -- the ISO 20022 camt.054.001.08 debit/credit notification of a
 * business's day, written by the reconciliation step (camt.c).
 */
#ifndef PS_CAMT_H
#define PS_CAMT_H

#include <stddef.h>

#include "base/err.h"
#include "base/model.h"
#include "engine/engine.h"

/*
 * Write dir/camt054-<business>-<YYYYMMDD>-<seq>.xml (atomically, with
 * .sha256 and .done) for business b and the day [day, next_day)
 * (YYYY-MM-DD), when the day has entries; path receives its path, or ""
 * when nothing was written.  Run inside the caller's read snapshot.
 * 0, or a negative PS_E* with err.
 */
int ps_camt054_write(struct ps_engine *eng, const char *dir,
                     const struct ps_business *b, const char *day,
                     const char *next_day, int seq, char *path, size_t size,
                     struct ps_err *err);

#endif /* PS_CAMT_H */
