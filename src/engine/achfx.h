/*
 * achfx.h -- what an ACH return means beyond the transaction's own status:
 * the NACHA return reason codes (R01..R85), their short meanings, and one
 * table of their effects on the financial account, its debit
 * authorizations and the EWA profile.
 *
 * The transaction's status change is txn.c's (a return is the RETURN,
 * DECLINE or REVERSE event with ps_txn_args.return_code set); the EWA
 * profile's side (recovery debits, DISABLED) is ps_ewa_on_txn_status's,
 * which calls ps_ach_return_account_effects() for the account's side, all
 * inside ps_engine_txn_event's store transaction.
 */
#ifndef PS_ACHFX_H
#define PS_ACHFX_H

#include <stddef.h>

#include "base/err.h"
#include "base/model.h"
#include "store/store.h"

/* Effects of a return code: a set of these bits. */
enum ps_ach_effect {
    PS_ACH_FX_NONE = 0,
    /* R02 closed, R03 no account, R04 invalid number: the account is
     * SUSPENDED (account_history names the code and the transaction). */
    PS_ACH_FX_SUSPEND_ACCOUNT = 1 << 0,
    /* R05 R07 R10 R11 (unauthorized): every ACTIVE debit authorization of
     * the account is REVOKED ... */
    PS_ACH_FX_REVOKE_AUTH = 1 << 1,
    /* ... and the transaction's EWA profile, if any, is DISABLED. */
    PS_ACH_FX_DISABLE_PROFILE = 1 << 2
};

/* The short meaning of a return code ("insufficient funds" for "R01"), a
 * static string; NULL when the code is not one NACHA defines. */
const char *ps_ach_return_reason(const char *code);

/* 1 when code is a NACHA return reason code ("R01".."R85", gaps
 * excluded), else 0 (NULL included). */
int ps_ach_return_code_valid(const char *code);

/* The effects (enum ps_ach_effect bits) of a return with this code;
 * PS_ACH_FX_NONE for an unknown code. */
unsigned ps_ach_return_effects(const char *code);

/* "R01 (insufficient funds)" written into buf (size bytes); the code
 * alone when unknown.  Returns buf. */
const char *ps_ach_return_label(const char *code, char *buf, size_t size);

/*
 * The account's side of the return of transaction t with this code,
 * inside the caller's store transaction: REVOKE_AUTH revokes every ACTIVE
 * debit authorization of t's account, SUSPEND_ACCOUNT moves an ACTIVE
 * account to SUSPENDED with an account_history row (reason naming the
 * code and t, source file and line from src).  A code without account
 * effects does nothing.  Store errors only.
 */
int ps_ach_return_account_effects(struct ps_store *store,
                                  const struct ps_txn *t, const char *code,
                                  const struct ps_source *src,
                                  struct ps_err *err);

#endif /* PS_ACHFX_H */
