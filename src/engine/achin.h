/*
 * achin.h -- inbound NACHA records applied to the engine: returns and
 * notifications of change against the ACH transactions payspool
 * originated (found by trace number), and the outcome of entries payspool
 * reads but does not apply.  Entries that are disbursement requests go
 * through the EWA engine like the CSV requests (apply.c).
 */
#ifndef PS_ACHIN_H
#define PS_ACHIN_H

#include "engine/engine.h"
#include "engine/outcome.h"
#include "formats/format.h"

/*
 * An "ach.return" record: the original transaction (by trace) is
 * returned -- DECLINED before settlement, REVERSED after -- with the
 * reason code, through the transition table; the ledger reverses and the
 * EWA and account effects of the code follow (ps_engine_txn_event).
 * Refusals: UNKNOWN_TRACE, RETURN_CODE, RETURN_AMOUNT_MISMATCH,
 * RETURN_DISHONORED (R61-R70: payspool sends no returns to dishonor),
 * DUPLICATE_RETURN (already returned: a DUPLICATE outcome).
 */
int ps_ach_apply_return(struct ps_engine *eng, const struct ps_business *b,
                        const struct ps_record *rec,
                        const struct ps_source *src,
                        struct ps_apply_result *res, struct ps_err *err);

/*
 * An "ach.noc" record: the original transaction's account is corrected
 * as the change code says and the notice recorded; a refused NOC
 * (C61-C69) is recorded only.  Refusals: UNKNOWN_TRACE and the account
 * change's own (NOC_CODE, NOC_DATA, NOC_ACCOUNT_KIND).
 */
int ps_ach_apply_noc(struct ps_engine *eng, const struct ps_business *b,
                     const struct ps_record *rec, const struct ps_source *src,
                     struct ps_apply_result *res, struct ps_err *err);

/*
 * Whether an "ach.entry" is a disbursement request (a live PPD or CCD
 * credit): 1, or 0 with the refusal (rule ACH_NOT_APPLIED) saying why it
 * is not applied.  Also the refusal of "ach.unapplied" records.
 */
int ps_ach_entry_applies(const struct ps_record *rec, struct ps_err *err);

/*
 * A NACHA record's amount field: whole cents, digits only (ps_money_parse
 * with no fraction digits).  PS_EINVAL with the field set otherwise.
 */
int ps_ach_cents(const struct ps_record *rec, const char *field, int64_t *out,
                 struct ps_err *err);

#endif /* PS_ACHIN_H */
