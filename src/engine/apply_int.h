/*
 * apply_int.h -- the applier's state, shared by apply.c (the record
 * kinds and their dispatch) and applypay.c (payment.send, and the rows
 * the writer thread writes in batches).  Not for other folders: apply.h
 * is the interface.
 */
#ifndef PS_APPLY_INT_H
#define PS_APPLY_INT_H

#include "engine/engine.h"
#include "engine/ewabook.h"
#include "engine/outcome.h"
#include "formats/format.h"

/* Where a payment's transaction row number goes when it is written (on
 * this thread or the writer's): its references are written by it
 * (schema 31's iso_refs is keyed by the transaction's rowid). */
struct ps_ref_slot {
    struct ps_store *store;
    int64_t rowid;
};

struct ps_applier {
    struct ps_engine *eng;
    struct ps_business b;
    struct ps_ewa_book *book; /* loaded on the first disbursement */
    struct ps_paybook *payees; /* loaded on the first payment.send by
                                  external id; dropped before any other
                                  kind of record (paybook.h) */
    /* The ISO 20022 references of the chunk's payments, written at its
     * commit (ps_applier_flush), several rows an INSERT: each payment's
     * txn id, MsgId, PmtInfId and EndToEndId, NUL-terminated in turn. */
    char *refs;
    size_t refs_len, refs_cap, nrefs;
    /* Each of those payments' row number, in the same order; with the
     * writer, BATCH_ROWS of them (never moved while a write is queued). */
    struct ps_ref_slot *ref_slots;
    size_t ref_slots_cap;
    /* With the writer thread, the record keys of the chunk's records
     * (ps_applier_key): key, file id and record number, NUL-terminated
     * in turn; like the references, written by the writer thread every
     * BATCH_ROWS rows and at the commit. */
    char *keys;
    size_t keys_len, keys_cap, nkeys;
    struct ps_ewa_writer *w;  /* the writer thread, NULL: none */
    int failed;               /* the writer failed: apply again on one */
    /* With the writer: a read-only connection for what is committed
     * (NULL: none, refusals wait for the writer), and whether a record
     * of another kind was applied since the last commit (its rows are
     * then in the writer's connection only). */
    struct ps_store *reader;
    int direct;
    int accounts; /* the business's ledger accounts preloaded (txn.status) */
    /* The provider's answers queued to the writer since the last commit
     * (provider.h), NULL until the first. */
    struct ps_answers *answers;
};

/* rec's field `name`, required non-empty (FIELD_REQUIRED). */
int ps_apply_required(const struct ps_record *rec, const char *name,
                      const char **out, struct ps_err *e);
/* payment.send (applypay.c). */
int ps_apply_payment(struct ps_applier *ap, const struct ps_record *rec,
                     const struct ps_source *src, struct ps_apply_result *res,
                     struct ps_err *e);
/* With the writer: the keys and references kept, queued to it. */
int ps_apply_batches_post(struct ps_applier *ap, struct ps_err *err);
/* Without (or after a drain): the references kept, written here. */
int ps_apply_refs_flush(struct ps_applier *ap, struct ps_err *e);

#endif /* PS_APPLY_INT_H */
