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

/*
 * The later pain.002.001.11 status reports of the day: one file
 * dir/pain002-<business>-<YYYYMMDD>-<seq>-<n>.xml per original MsgId
 * (n from 001, in MsgId order) whose transactions were settled or cleared
 * (ACSC), declined, in error or reversed (RJCT with the ISO reason of
 * the last status change's reason, Rsn/Prtry for a NACHA R-code) on the
 * day; OrgnlPmtInfAndSts per PmtInfId, TxInfAndSts per EndToEndId.
 * *reports receives how many, first the path of the first ("" if none).
 * Run inside the caller's read snapshot.  0, or a negative PS_E* with err.
 */
int ps_pain002_status_write(struct ps_engine *eng, const char *dir,
                            const struct ps_business *b, const char *day,
                            const char *next_day, int seq, int *reports,
                            char *first, size_t size, struct ps_err *err);

/*
 * Write dir/camt053-<business>-<YYYYMMDD>-<seq>.xml, the camt.053.001.08
 * end-of-day statement of the business's FUNDING ledger account (its
 * money at the bank): one Stmt per currency with the opening (OPBD, at
 * 00:00) and closing (CLBD, at 24:00) booked balance from the
 * reconciliation's positions query, and one BOOK entry per ledger entry
 * of the day that moved it (Dr FUNDING: CRDT, money in; Cr FUNDING: DBIT,
 * money out), with the pain.001 references when it has some.  Nothing
 * when the business has no FUNDING account yet.  path as
 * ps_camt054_write().  Run inside the caller's read snapshot.
 */
int ps_camt053_write(struct ps_engine *eng, const char *dir,
                     const struct ps_business *b, const char *day,
                     const char *next_day, int seq, char *path, size_t size,
                     struct ps_err *err);

/*
 * The same statement written on a thread of its own, read through
 * `reader`, a second connection whose read snapshot the caller began on
 * the same state as its own (ps_store_begin_read_pair()): the caller
 * goes on with the report while it is read.  Its generation time is
 * taken here, by the caller's thread (with a frozen clock the report's
 * times then come a tick after the statement's, not before).  dir, day and next_day are
 * copied; b must live until ps_camt053_finish(), which waits for the
 * thread and gives ps_camt053_write()'s result and path (*job freed).
 * Nothing else may use reader meanwhile.
 */
struct ps_camt053_job;
struct ps_store;
int ps_camt053_start(struct ps_store *reader, const char *dir,
                     const struct ps_business *b, const char *day,
                     const char *next_day, int seq,
                     struct ps_camt053_job **job, struct ps_err *err);
int ps_camt053_finish(struct ps_camt053_job *job, char *path, size_t size,
                      struct ps_err *err);

#endif /* PS_CAMT_H */
