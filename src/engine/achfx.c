/*
 * achfx.c -- the NACHA return reason codes as one table: code, short
 * meaning (domain brief section 1, after moov-io/ach), and effects.
 *
 * Only the unauthorized returns (R05 R07 R10 R11) and the account-level
 * failures (R02 R03 R04) act beyond the transaction; every other code
 * (R01 insufficient funds, R09 uncollected, ...) only fails the
 * transaction, and for an EWA recovery debit counts a failed recovery
 * (ewa.c).
 *
 * How it fails: the lookups cannot; the account effects return store
 * errors, leaving the caller to roll back.
 */
#include "engine/achfx.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "engine/event.h"

#define SUSPEND PS_ACH_FX_SUSPEND_ACCOUNT
#define UNAUTHORIZED (PS_ACH_FX_REVOKE_AUTH | PS_ACH_FX_DISABLE_PROFILE)

static const struct {
    const char *code;
    const char *reason;
    unsigned effects;
} returns[] = {
    {"R01", "insufficient funds", 0},
    {"R02", "account closed", SUSPEND},
    {"R03", "no account or unable to locate account", SUSPEND},
    {"R04", "invalid account number", SUSPEND},
    {"R05", "unauthorized debit to consumer account using corporate SEC code",
     UNAUTHORIZED},
    {"R06", "returned per ODFI's request", 0},
    {"R07", "authorization revoked by customer", UNAUTHORIZED},
    {"R08", "payment stopped", 0},
    {"R09", "uncollected funds", 0},
    {"R10", "customer advises not authorized or originator unknown",
     UNAUTHORIZED},
    {"R11", "customer advises entry not per authorization terms",
     UNAUTHORIZED},
    {"R12", "branch sold to another DFI", 0},
    {"R13", "RDFI not qualified to participate", 0},
    {"R14", "representative payee deceased", 0},
    {"R15", "beneficiary or account holder deceased", 0},
    {"R16", "account frozen", 0},
    {"R17", "file record edit criteria or questionable entry", 0},
    {"R18", "improper effective entry date", 0},
    {"R19", "amount field error", 0},
    {"R20", "non-transaction account", 0},
    {"R21", "invalid company identification", 0},
    {"R22", "invalid individual ID number", 0},
    {"R23", "credit entry refused by receiver", 0},
    {"R24", "duplicate entry", 0},
    {"R25", "addenda error", 0},
    {"R26", "mandatory field error", 0},
    {"R27", "trace number error", 0},
    {"R28", "routing number check digit error", 0},
    {"R29", "corporate customer advises not authorized", 0},
    {"R30", "RDFI not participant in check truncation program", 0},
    {"R31", "permissible return entry (CCD and CTX only)", 0},
    {"R32", "RDFI non-settlement", 0},
    {"R33", "return of XCK entry", 0},
    {"R34", "limited participation DFI", 0},
    {"R35", "return of improper debit entry", 0},
    {"R36", "return of improper credit entry", 0},
    {"R37", "source document presented for payment", 0},
    {"R38", "stop payment on source document", 0},
    {"R39", "improper source document", 0},
    {"R40", "return of ENR entry by federal government agency", 0},
    {"R41", "invalid transaction code (ENR)", 0},
    {"R42", "routing number or check digit error (ENR)", 0},
    {"R43", "invalid DFI account number (ENR)", 0},
    {"R44", "invalid individual ID number (ENR)", 0},
    {"R45", "invalid individual or company name (ENR)", 0},
    {"R46", "invalid representative payee indicator (ENR)", 0},
    {"R47", "duplicate enrollment (ENR)", 0},
    {"R50", "state law affecting RCK acceptance", 0},
    {"R51", "item related to RCK entry ineligible or RCK entry improper", 0},
    {"R52", "stop payment on item related to RCK entry", 0},
    {"R53", "item and RCK entry presented for payment", 0},
    {"R61", "misrouted return (ODFI dishonor)", 0},
    {"R62", "return of erroneous or reversing debit (ODFI dishonor)", 0},
    {"R67", "duplicate return (ODFI dishonor)", 0},
    {"R68", "untimely return (ODFI dishonor)", 0},
    {"R69", "field errors (ODFI dishonor)", 0},
    {"R70", "permissible return entry not accepted (ODFI dishonor)", 0},
    {"R71", "misrouted dishonored return (RDFI contest)", 0},
    {"R72", "untimely dishonored return (RDFI contest)", 0},
    {"R73", "timely original return (RDFI contest)", 0},
    {"R74", "corrected return (RDFI contest)", 0},
    {"R75", "return not a duplicate (RDFI contest)", 0},
    {"R76", "no errors found (RDFI contest)", 0},
    {"R77", "non-acceptance of R62 dishonored return (RDFI contest)", 0},
    {"R80", "IAT entry coding error", 0},
    {"R81", "non-participant in IAT program", 0},
    {"R82", "invalid foreign receiving DFI identification", 0},
    {"R83", "foreign receiving DFI unable to settle", 0},
    {"R84", "entry not processed by gateway", 0},
    {"R85", "incorrectly coded outbound international payment", 0},
};

static int find(const char *code)
{
    if (code == NULL)
        return -1;
    for (size_t i = 0; i < sizeof(returns) / sizeof(returns[0]); i++)
        if (strcmp(returns[i].code, code) == 0)
            return (int)i;
    return -1;
}

const char *ps_ach_return_reason(const char *code)
{
    int i = find(code);
    return i < 0 ? NULL : returns[i].reason;
}

int ps_ach_return_code_valid(const char *code)
{
    return find(code) >= 0;
}

unsigned ps_ach_return_effects(const char *code)
{
    int i = find(code);
    return i < 0 ? PS_ACH_FX_NONE : returns[i].effects;
}

const char *ps_ach_return_label(const char *code, char *buf, size_t size)
{
    int i = find(code);
    if (i < 0)
        snprintf(buf, size, "%s", code != NULL ? code : "");
    else
        snprintf(buf, size, "%s (%s)", returns[i].code, returns[i].reason);
    return buf;
}

int ps_ach_return_account_effects(struct ps_store *store,
                                  const struct ps_txn *t, const char *code,
                                  const struct ps_source *src,
                                  struct ps_err *err)
{
    unsigned fx = ps_ach_return_effects(code);
    char label[160], reason[PS_REASON_SIZE], now[PS_TIME_SIZE];
    struct ps_source s = {NULL, NULL, 0};
    struct ps_account a;
    int rc;

    if ((fx & ~(unsigned)PS_ACH_FX_DISABLE_PROFILE) == 0)
        return 0;
    if (src != NULL)
        s = *src;
    ps_ach_return_label(code, label, sizeof(label));
    ps_time_now(now);
    if ((rc = ps_store_account_get(store, t->account_id, &a, err)) != 0)
        return rc;
    if (fx & PS_ACH_FX_REVOKE_AUTH) {
        snprintf(reason, sizeof(reason), "ACH return %s of transaction %s",
                 label, t->id);
        if ((rc = ps_store_debit_auth_revoke(store, a.id, reason, now, err)) !=
            0)
            return rc;
        ps_log(PS_LOG_INFO, "account.debit_auth_revoked", "{s:s, s:s, s:s}",
               "account", a.id, "last4", a.last4, "reason", reason);
    }
    if ((fx & PS_ACH_FX_SUSPEND_ACCOUNT) && a.status == PS_STATUS_ACTIVE) {
        snprintf(reason, sizeof(reason),
                 "suspended: ACH return %s of transaction %s", label, t->id);
        s.reason = reason;
        struct ps_status_event ev = {
            a.business_id, "ACCOUNT", a.id,   a.customer_id, NULL,
            "ACTIVE",      "SUSPENDED", NULL, reason,        now,
        };
        char masked[24];
        snprintf(masked, sizeof(masked), "****%s", a.last4);
        ev.ref = masked;
        if ((rc = ps_store_account_set_status(store, a.id, a.status,
                                              PS_STATUS_SUSPENDED, &s, now,
                                              err)) != 0 ||
            (rc = ps_status_event(store, &ev, err)) != 0)
            return rc;
        ps_log(PS_LOG_INFO, "account.status", "{s:s, s:s, s:s, s:s}", "id",
               a.id, "last4", a.last4, "status", "SUSPENDED", "reason",
               reason);
    }
    return 0;
}
