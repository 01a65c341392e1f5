/*
 * ewa.h -- Earned Wage Access profiles: enrollment, eligibility, and the
 * EWA Profile and Disbursement object of the seed.
 *
 * Eligibility changes go through one table (ewa.c) and every change is a
 * history row with its reason and source, committed with the profile.
 */
#ifndef PS_EWA_H
#define PS_EWA_H

#include <jansson.h>

/* The handle, not engine.h: engine.c calls ps_ewa_on_txn_status() (see
 * engine/handle.h), so this module sits under the engine's API. */
#include "engine/handle.h"
#include "engine/txn.h"

/*
 * Enroll a customer: p->business_id, external_id, customer_id, account_id,
 * program_id, enrollment_begin and enrollment_end ("" = open) are read.
 * The profile starts NEW with reason `src->reason` (or "enrolled").
 */
int ps_ewa_enroll(struct ps_engine *eng, struct ps_profile *p,
                  const struct ps_source *src, struct ps_err *err);

/* Find a profile by (business, externalId). */
int ps_ewa_find(struct ps_engine *eng, const char *business_id,
                const char *external_id, struct ps_profile *out,
                struct ps_err *err);

/* 1 if the eligibility table allows from -> to, else 0. */
int ps_ewa_eligibility_allowed(enum ps_eligibility from,
                               enum ps_eligibility to);

/*
 * Change eligibility with a reason (src->reason is required).  Illegal
 * changes (see the table) give PS_ESTATE, rule ILLEGAL_ELIGIBILITY_CHANGE.
 */
int ps_ewa_set_eligibility(struct ps_engine *eng, const char *profile_id,
                           enum ps_eligibility to, const struct ps_source *src,
                           struct ps_err *err);

/* Within an open store transaction: the same, on a profile already read
 * (updated in place and written). */
int ps_ewa_eligibility_change(struct ps_store *store, struct ps_profile *p,
                              enum ps_eligibility to,
                              const struct ps_source *src, struct ps_err *err);

/*
 * Change enrollment status and, when not NULL, the window (RFC 3339 or
 * YYYY-MM-DD; "" for no end).
 */
int ps_ewa_set_enrollment(struct ps_engine *eng, const char *profile_id,
                          enum ps_enrollment to, const char *begin,
                          const char *end, struct ps_err *err);

/*
 * The EWA profile's side of a transaction's status change, called by
 * ps_engine_txn_event inside its store transaction (t is the row after
 * the change, from the status before, args the event's arguments, may be
 * NULL; history rows take args->src's file and line):
 *   - a disbursement that ends without the money arriving (CANCELLED,
 *     DECLINED, ERROR, REVERSED) no longer counts: amountToRecover and the
 *     period's disbursed amount go down by it (not below 0);
 *   - an EWA_RECOVERY DEBIT that SETTLES lowers amountToRecover (not below
 *     0); at 0 the failed recoveries and debit attempts start again at 0
 *     and ARREARS -> ELIGIBLE ("recovered in full by ACH debit <id>");
 *   - an EWA_RECOVERY DEBIT DECLINED (returned before settling) or
 *     REVERSED (after; its amount is owed again) is a failed recovery:
 *     ELIGIBLE -> ARREARS, and BAD_DEBT at the program's bad_debt_after,
 *     the reason naming the return code;
 *   - an ACH return with args->return_code has the effects of achfx.h's
 *     table: the account's (authorizations revoked, account suspended)
 *     through ps_ach_return_account_effects(), and for R05 R07 R10 R11 the
 *     transaction's profile DISABLED.
 */
int ps_ewa_on_txn_status(struct ps_store *store, const struct ps_txn *t,
                         enum ps_txn_status from,
                         const struct ps_txn_args *args, struct ps_err *err);

/*
 * The seed's EWA Profile and Disbursement object, with `payment` a page
 * (number is 0-based, size 1..1000) of the profile's SEND transactions,
 * newest first.  *out is a new reference.
 */
int ps_ewa_show(struct ps_engine *eng, const char *business_id,
                const char *external_id, int page, int size, json_t **out,
                struct ps_err *err);

/*
 * The same object inside the caller's open store transaction (a read
 * snapshot it began and ends): no page checks, no transaction of its own.
 * For callers that write many profiles from one snapshot (the export,
 * outbound/ewaexport.c).  *out is a new reference.
 */
int ps_ewa_object(struct ps_engine *eng, const char *business_id,
                  const char *external_id, int page, int size, json_t **out,
                  struct ps_err *err);

/*
 * The same object of a profile the caller has already read (a profile
 * scan's row), in the caller's snapshot; `known`, when not NULL and the
 * profile's program, saves reading the program again.
 */
int ps_ewa_object_of(struct ps_engine *eng, const struct ps_profile *p,
                     const struct ps_program *known, int page, int size,
                     json_t **out, struct ps_err *err);

#endif /* PS_EWA_H */
