/*
 * ewafile.h -- what the EWA lines of payroll files do: roster enrollment
 * and payroll recovery.  Each call is one record, applied whole inside one
 * store transaction (a savepoint within the caller's chunk) or not at all.
 *
 * Roster (kind ewa.enroll): creates or updates the customer, finds or adds
 * the card or bank account (by token: the same number is the same
 * account), creates or updates the EWA profile, records the pay period's
 * earned wages, and follows employment:
 *   ACTIVE      NEW -> ELIGIBLE; INELIGIBLE -> ELIGIBLE when the roster
 *               had said TERMINATED or LEAVE (ARREARS when recoveries are
 *               still failing)
 *   TERMINATED  NEW, ELIGIBLE, ARREARS -> INELIGIBLE (recovery continues)
 *   LEAVE       as TERMINATED
 * A new pay period (another period_start) starts period_disbursed at 0.
 *
 * Payroll (kind ewa.payroll): the deduction the payroll applied lowers
 * amountToRecover (ledger: Dr FUNDING, Cr EWA_RECEIVABLE) and closes the
 * pay period.  Against what was due:
 *   full          consecutive failures back to 0; ARREARS -> ELIGIBLE
 *   short         one more consecutive failure; ELIGIBLE -> ARREARS with
 *                 the shortfall; at the program's bad_debt_after failures
 *                 -> BAD_DEBT (INELIGIBLE profiles count failures too)
 *   nothing due   recorded, nothing changes
 * A shortfall also creates an ACH recovery DEBIT of the shortfall (NEW,
 * purpose EWA_RECOVERY, request id recovery-<profile>-<pay date>) when the
 * program has the debit fallback, the profile is neither BAD_DEBT nor
 * DISABLED and has made fewer than max_debit_attempts debits since its
 * last full recovery, the customer is ACTIVE, the account is an ACTIVE
 * bank account with an ACTIVE WEB or PPD authorization, and none of the
 * profile's recovery debits is still in flight.  A full recovery sets the
 * debit attempts back to 0.
 * Refusals: PROFILE_NOT_FOUND, WRONG_CURRENCY, RECOVERY_STOPPED (BAD_DEBT
 * takes no recovery), DEDUCTION_EXCEEDS_DUE, NET_EXCEEDS_GROSS,
 * DEDUCTION_EXCEEDS_GROSS, DUPLICATE_PAYROLL (same profile and pay date).
 */
#ifndef PS_EWAFILE_H
#define PS_EWAFILE_H

#include "engine/engine.h"

struct ps_roster_in {
    const char *external_id, *first_name, *middle_name, *last_name, *email,
        *phone;
    const char *employment_status; /* ACTIVE, TERMINATED, LEAVE */
    const char *program;           /* program name (or id) */
    const char *enrollment_begin, *enrollment_end;          /* dates */
    const char *card_number;                                /* or: */
    const char *routing_number, *account_number, *bank_account_type;
    const char *account_name;
    const char *earned_wages, *period_start, *period_end, *currency;
};

struct ps_roster_out {
    char profile_id[PS_ID_SIZE];
    char customer_id[PS_ID_SIZE];
    char account_id[PS_ID_SIZE];
    int created; /* 1: a new profile */
    enum ps_eligibility eligibility;
};

int ps_ewa_roster(struct ps_engine *eng, const struct ps_business *b,
                  const struct ps_roster_in *in, const struct ps_source *src,
                  struct ps_roster_out *out, struct ps_err *err);

struct ps_payroll_in {
    const char *external_id, *pay_date, *gross, *net, *deduction, *currency,
        *period_start, *period_end;
};

struct ps_payroll_out {
    char profile_id[PS_ID_SIZE];
    int64_t due, deduction, shortfall; /* minor units */
    char currency[4];
    const char *outcome; /* RECOVERED, SHORTFALL, NOTHING_DUE */
    enum ps_eligibility eligibility;
    /* The ACH recovery DEBIT created for the shortfall (the program's
     * debit fallback), "" when none was. */
    char debit_txn_id[PS_ID_SIZE];
};

int ps_ewa_payroll(struct ps_engine *eng, const struct ps_business *b,
                   const struct ps_payroll_in *in, const struct ps_source *src,
                   struct ps_payroll_out *out, struct ps_err *err);

/*
 * The customer's account with this number, added when new: a card
 * (card_number) or a bank account (routing, number, CHECKING/SAVINGS).
 * display_name NULL or "" gives "Card ****1234" / "Bank ****1234".
 */
int ps_ewa_account_for(struct ps_engine *eng, const char *customer_id,
                       const char *display_name, const char *card_number,
                       const char *routing, const char *number,
                       const char *bank_type, struct ps_account *out,
                       struct ps_err *err);

#endif /* PS_EWAFILE_H */
