/*
 * apply.h -- applying one record to the engine, by record kind.
 *
 * Formats produce records of a kind ("payment.send", ...) with canonical
 * fields; this is the one place that knows what each kind does.  Every
 * record gets an outcome for the result file.
 */
#ifndef PS_APPLY_H
#define PS_APPLY_H

#include "engine/engine.h"
#include "engine/outcome.h"
#include "formats/format.h"

/*
 * One document's applier: the engine, its business, and what it keeps in
 * memory between records (the EWA book of ewabook.h, payment.send's book
 * of customers of paybook.h, the chunk's ISO 20022 references).  The caller's
 * chunk protocol: records are applied inside an open store transaction;
 * ps_applier_flush() before each commit writes what is held in memory;
 * ps_applier_abandon() before a rollback forgets it.
 *
 * With ps_applier_threads() the EWA disbursements are written by a
 * writer thread (engine/ewawriter.h): the caller drains it
 * (ps_applier_drain) before touching the store itself; flush and abandon
 * drain.  A failure of the writer is PS_EBUSY from the next drain (or
 * record, or flush) with ps_applier_failed() 1: roll back, then apply the
 * document again from its last checkpoint without the thread.
 */
struct ps_applier;
struct ps_paybook;

int ps_applier_open(struct ps_engine *eng, const struct ps_business *b,
                    struct ps_applier **out, struct ps_err *err);
int ps_applier_threads(struct ps_applier *ap, struct ps_err *err);
/* Give the applier payment.send's book of customers (paybook.h, loaded
 * ahead: ps_paybook_prefetch_take()) before its first record; it would
 * load the same on its first payment.  NULL: nothing. */
void ps_applier_give_payees(struct ps_applier *ap, struct ps_paybook *book);
/* Is the writer thread on?  (The caller then keeps the refusals' rows
 * for the chunk's commit: intake/pipeline.c.) */
int ps_applier_threaded(const struct ps_applier *ap);
int ps_applier_drain(struct ps_applier *ap, struct ps_err *err);
int ps_applier_failed(const struct ps_applier *ap);
void ps_applier_close(struct ps_applier *ap);
int ps_applier_flush(struct ps_applier *ap, struct ps_err *err);
void ps_applier_abandon(struct ps_applier *ap);

/*
 * A record's exactly-once key (record_keys), before the record is
 * applied: on one thread written now, PS_ECONFLICT when it was used
 * before (the record is then a DUPLICATE_RECORD); with the writer thread
 * kept and written by it, in order with the records (a key used before
 * then fails the writer, and the chunk is applied again on one thread).
 */
int ps_applier_key(struct ps_applier *ap, const char *key, const char *file_id,
                   long record_no, struct ps_err *err);

/*
 * Apply rec.  Returns 0 with *res filled for every record-level outcome
 * (accepted, rejected, duplicate); a negative PS_E* only when the engine
 * itself failed (database, memory), in which case the caller must roll
 * the chunk back and call ps_applier_abandon().
 */
int ps_applier_record(struct ps_applier *ap, const struct ps_record *rec,
                      const struct ps_source *src, struct ps_apply_result *res,
                      struct ps_err *err);

#endif /* PS_APPLY_H */
