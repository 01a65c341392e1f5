/*
 * handle.h -- the engine handle, struct ps_engine: what an open engine
 * holds (its store, its keys, its settings), without the engine's API.
 *
 * Why a header of its own: engine.c's transaction entry point calls down
 * into the modules that carry a status change's effects (ewa.c's
 * ps_ewa_on_txn_status), and those modules take the handle in their own
 * API.  If they included engine.h for it, engine and ewa would include
 * each other (a module cycle).  They include this instead: they see the
 * handle, never the engine's functions, so the engine facade stays above
 * them.  Includes base/ and store/ only.
 */
#ifndef PS_HANDLE_H
#define PS_HANDLE_H

#include "base/crypto.h"
#include "store/store.h"

struct ps_engine {
    struct ps_store *store; /* owned */
    struct ps_keys *keys;   /* owned; NULL when opened without keys */
    /* Provider attempts after which a PROVIDER_ERROR is ERROR
     * ([provider] max_attempts); 0 means PS_TXN_MAX_ATTEMPTS.  Used by
     * ps_engine_txn_event() when its args do not say. */
    int max_attempts;
    /* Lines a push-to-card payout file holds at most ([payouts]
     * max_records); 0 means PS_PAYOUT_MAX_RECORDS. */
    long payout_max_records;
};

#endif /* PS_HANDLE_H */
