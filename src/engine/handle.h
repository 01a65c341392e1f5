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

/* Lines a payout file holds at most ([payouts] max_records overrides):
 * what is due beyond goes into the next file of the same run.  It bounds
 * the run's memory, which holds one file's transactions and bytes.  The
 * payout writer (outbound/payout.c) uses it; it lives here, beside the
 * engine setting it defaults, so that the configuration loader
 * (intake/spoolconf.c) need not include outbound/. */
#define PS_PAYOUT_MAX_RECORDS 50000L

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
