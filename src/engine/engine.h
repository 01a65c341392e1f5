/*
 * engine.h -- the engine API: businesses, customers, financial accounts,
 * EWA programs and profiles, transactions.
 *
 * Every function validates its input against the domain rules (SPEC
 * section 2), checks that every id it is given belongs to the same
 * business, and writes through the store in one transaction: on error
 * nothing changed.  Card and account numbers are checked (Luhn, ABA),
 * tokenized and sealed here; they are never returned in clear.
 */
#ifndef PS_ENGINE_H
#define PS_ENGINE_H

#include <stddef.h>

#include "base/crypto.h"
#include "base/err.h"
#include "base/model.h"
#include "store/store.h"
#include "engine/handle.h"
#include "engine/txn.h"

/*
 * Open the database (migrating it) and, when key_path is not NULL, the key
 * file.  *out from ps_engine_close().
 */
int ps_engine_open(const char *db_path, const char *key_path,
                   struct ps_engine **out, struct ps_err *err);
void ps_engine_close(struct ps_engine *eng);

/* ---- businesses ----------------------------------------------------- */

/* name: [a-z0-9][a-z0-9_-]{0,63}, used as the spool directory name.
 * parent: name or id of the parent business, or NULL. */
int ps_business_add(struct ps_engine *eng, const char *name,
                    const char *display_name, const char *parent,
                    struct ps_business *out, struct ps_err *err);
int ps_business_find(struct ps_engine *eng, const char *name_or_id,
                     struct ps_business *out, struct ps_err *err);

/* A list of businesses; v from malloc(), freed by ps_businesses_free(). */
struct ps_businesses {
    struct ps_business *v;
    size_t n, cap;
};
/* Every business, in the store's order.  PS_ENOMEM rather than a short
 * list when memory runs out.  out is left empty on failure. */
int ps_business_all(struct ps_engine *eng, struct ps_businesses *out,
                    struct ps_err *err);
/* Append one (the list grows); PS_ENOMEM when it cannot. */
int ps_businesses_add(struct ps_businesses *l, const struct ps_business *b,
                      struct ps_err *err);
void ps_businesses_free(struct ps_businesses *l);

/* ---- customers ------------------------------------------------------ */

/*
 * Create a customer.  c->business_id, external_id, type and the profile
 * fields are read; id, status (ACTIVE) and timestamps are filled.
 * BUSINESS customers need a DBA name and exactly one primary contact.
 */
int ps_customer_create(struct ps_engine *eng, struct ps_customer *c,
                       const struct ps_contact *contacts, size_t ncontacts,
                       const struct ps_address *addresses, size_t naddresses,
                       const struct ps_source *src, struct ps_err *err);
/*
 * Update the profile fields of customer c->id (names, email, phone, DBA).
 * contacts/addresses (unless NULL) are merged into the stored ones: an
 * address replaces only the stored one of its type, a contact updates
 * its match or is added (engine/custmerge.h).
 */
int ps_customer_update(struct ps_engine *eng, struct ps_customer *c,
                       const struct ps_contact *contacts, size_t ncontacts,
                       const struct ps_address *addresses, size_t naddresses,
                       struct ps_err *err);
/* Suspend or reactivate; history row with the source. */
int ps_customer_set_status(struct ps_engine *eng, const char *customer_id,
                           enum ps_status to, const struct ps_source *src,
                           struct ps_err *err);
/* Validation alone, for readers that check before applying. */
int ps_customer_validate(const struct ps_customer *c,
                         const struct ps_contact *contacts, size_t ncontacts,
                         const struct ps_address *addresses, size_t naddresses,
                         struct ps_err *err);

/* ---- financial accounts --------------------------------------------- */

int ps_account_add_bank(struct ps_engine *eng, const char *customer_id,
                        const char *display_name, const char *routing,
                        const char *number, enum ps_bank_type type,
                        struct ps_account *out, struct ps_err *err);
int ps_account_add_card(struct ps_engine *eng, const char *customer_id,
                        const char *display_name, const char *pan,
                        struct ps_account *out, struct ps_err *err);
/*
 * The account's full number (card or bank), decrypted into out (a NUL
 * and at most size - 1 digits).  Only payment files may hold it: wipe out
 * with sodium_memzero() when done.  PS_ECONFIG without the key file.
 */
int ps_account_open_number(struct ps_engine *eng, const char *account_id,
                           char *out, size_t size, struct ps_err *err);
int ps_account_set_status(struct ps_engine *eng, const char *account_id,
                          enum ps_status to, const struct ps_source *src,
                          struct ps_err *err);
/* Record a debit authorization (bank accounts only). */
int ps_account_authorize_debit(struct ps_engine *eng, const char *account_id,
                               enum ps_debit_auth_kind kind,
                               const char *reference, struct ps_err *err);

/* ---- notifications of change (NACHA COR entries) ------------------ */

/* One NOC as the return/COR reader gives it.  Strings are borrowed; NULL
 * and "" mean "none"; NACHA's trailing spaces are allowed. */
struct ps_noc {
    const char *code;               /* "C01".."C69" */
    const char *original_trace;     /* 15 digits, or none */
    const char *corrected_account;  /* C01 C03 C06 C07 */
    const char *corrected_routing;  /* C02 C03 C07: 9 digits, ABA */
    int corrected_transaction_code; /* C05 C06 C07; 0 when none */
    const char *corrected_name;     /* C04 */
    const char *corrected_id;       /* C09 */
    int refused;                    /* 1 for C61..C69 (may be left 0) */
    const char *txn_id;             /* the original transaction, or none */
};

/*
 * Apply a notification of change to bank account `account_id`, in one
 * store transaction with its account_changes row (see
 * ps_store_account_changes):
 *   C01 account number, C02 routing number, C03 both, C05 transaction
 *   code (22-29 CHECKING, 32-39 SAVINGS: the bank type), C06 account and
 *   type, C07 routing, account and type: the account row is rewritten
 *   (a new number re-sealed with eng->keys, new token and last4; a new
 *   routing number ABA-checked);
 *   C04 (name), C09 (individual id), C08 C13 C14 (nothing of a bank
 *   account) and the refused C61..C69: recorded only, nothing changes
 *   (the row says so).
 * The row's text names what changed with masked numbers only ("account
 * ****6789 -> ****1234; type CHECKING -> SAVINGS").  A NOC whose data the
 * account already holds is recorded as "no change".
 * Errors (nothing written), PS_EINVAL with err->field: rule NOC_CODE
 * (unknown code, or `refused` on a code other than C61..C69), NOC_DATA
 * (malformed corrected data or trace, or a txn_id not of this account),
 * NOC_ACCOUNT_KIND (a card account); PS_ENOTFOUND for an unknown account;
 * PS_ECRYPTO (NO_KEY_FILE) for a new number without the key file.
 */
int ps_account_apply_noc(struct ps_engine *eng, const char *account_id,
                         const struct ps_noc *noc, const struct ps_source *src,
                         struct ps_err *err);

/* ---- EWA programs --------------------------------------------------- */

/* Validates limits and currency; fills id, status and created_at. */
int ps_program_add(struct ps_engine *eng, struct ps_program *p,
                   struct ps_err *err);

/* ---- transactions --------------------------------------------------- */

/*
 * Create a SEND or DEBIT for an account of a customer of the business.
 * Checks the customer and account are ACTIVE and, for a DEBIT, that the
 * account has an active debit authorization.  t->business_id,
 * customer_id, account_id, type, amount, currency and request_id are
 * read; rail follows the account kind.
 */
int ps_engine_txn_create(struct ps_engine *eng, struct ps_txn *t,
                         const struct ps_source *src, struct ps_err *err);
/* The same inside the caller's store transaction (ps_txn_create_nested:
 * no savepoint when the creation is the row alone); a refusal still
 * leaves nothing written. */
int ps_engine_txn_create_nested(struct ps_engine *eng, struct ps_txn *t,
                                const struct ps_source *src,
                                struct ps_err *err);
/*
 * What a creation's checks read of its customer and account: the same
 * checks as ps_engine_txn_create_nested's, on rows the caller read (an
 * in-memory book of the business, engine/paybook.h) instead of two
 * lookups.  The caller vouches that they are the store's current rows of
 * t->customer_id and t->account_id.
 */
struct ps_txn_party {
    const char *business_id; /* the customer's */
    const char *external_id; /* the customer's, for messages */
    enum ps_status customer_status;
    const char *account_customer_id; /* the account's owner */
    enum ps_status account_status;
    enum ps_account_kind account_kind;
    const char *last4; /* the account's, for messages */
};
int ps_engine_txn_create_for(struct ps_engine *eng, struct ps_txn *t,
                             const struct ps_txn_party *p,
                             const struct ps_source *src, struct ps_err *err);
/* The checks of ps_engine_txn_create_for alone, and the row prepared
 * (id, times: ps_txn_prepare into now), for a creation written later by
 * ps_txn_create_prepared (the writer thread's, engine/ewawriter.h).  Only
 * a creation that is the row alone (no creation posting, not a DEBIT):
 * PS_EINTERNAL otherwise, before anything is checked. */
int ps_engine_txn_prepare_for(struct ps_engine *eng, struct ps_txn *t,
                              const struct ps_txn_party *p,
                              char now[PS_TIME_SIZE], struct ps_err *err);
/*
 * Apply an event to a transaction, with its EWA effects (a disbursement
 * that is cancelled, declined, in error or reversed no longer counts
 * against the profile), all in one store transaction.
 */
int ps_engine_txn_event(struct ps_engine *eng, const char *txn_id,
                        enum ps_txn_event ev, const struct ps_txn_args *args,
                        struct ps_txn *out, struct ps_err *err);
/*
 * The same change for the row in hand (*t, read inside the caller's
 * store transaction; the row after on success), without a transaction
 * of its own: ps_txn_change() and the EWA effects.  A refusal writes
 * nothing; any other error leaves writes the caller rolls back with its
 * whole transaction (a payout file, an ACH cutoff, an answer line's
 * savepoint).
 */
int ps_engine_txn_change(struct ps_engine *eng, struct ps_txn *t,
                         enum ps_txn_event ev, const struct ps_txn_args *args,
                         struct ps_err *err);
/* The same for the events ev[0..n-1] in order (ps_txn_changes: one row
 * write, each step its history row, ledger effect, event and EWA
 * effects), e.g. a payout's SUBMIT then TRANSMIT. */
int ps_engine_txn_changes(struct ps_engine *eng, struct ps_txn *t,
                          const enum ps_txn_event *ev, int n,
                          const struct ps_txn_args *args,
                          struct ps_err *err);

#endif /* PS_ENGINE_H */
