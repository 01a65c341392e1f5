/*
 * ledger.c -- which entries each movement posts, as one table.
 *
 * Accounts per business and currency: FUNDING (the business's money at the
 * bank), EWA_RECEIVABLE (advances not yet recovered), FEE_INCOME, and one
 * CUSTOMER account per customer (what is owed to, or was paid to, them).
 *
 * An EWA disbursement of A with fee F:
 *   created           Dr RECEIVABLE A   Cr CUSTOMER A   (on the row: v18)
 *                     Dr RECEIVABLE F   Cr FEE_INCOME F (on the row: v29,
 *                                       fee_account; none when F is 0)
 *   settled           Dr CUSTOMER A     Cr FUNDING A      (money left)
 *   cancelled, declined or in error (never left):
 *                     the creation entries in reverse
 *   reversed (came back after settling):
 *                     Dr FUNDING A      Cr CUSTOMER A
 *                     and the creation entries in reverse
 * Recoveries (payroll deduction, or a settled recovery debit):
 *                     Dr FUNDING R      Cr RECEIVABLE R
 *
 * How it fails: store errors only; an unknown (purpose, status) posts
 * nothing, which is right for statuses that move no money.
 */
#include "engine/ledger.h"

#include <stdio.h>
#include <string.h>

enum which { AMOUNT, FEE };

struct leg {
    enum ps_ledger_kind debit;
    enum ps_ledger_kind credit;
    enum which which;
    const char *memo;
};

#define MAX_LEGS 4

struct rule {
    enum ps_purpose purpose;
    enum ps_txn_type type;
    int to; /* enum ps_txn_status, or -1 for creation */
    struct leg legs[MAX_LEGS];
};

#define RCV PS_LEDGER_EWA_RECEIVABLE
#define CUS PS_LEDGER_CUSTOMER
#define FND PS_LEDGER_FUNDING
#define FEEI PS_LEDGER_FEE_INCOME
#define UNWIND_ADVANCE                                                         \
    {CUS, RCV, AMOUNT, "advance unwound"},                                     \
    {                                                                          \
        FEEI, RCV, FEE, "fee unwound"                                          \
    }

static const struct rule rules[] = {
    {PS_PURPOSE_EWA_DISBURSEMENT,
     PS_TXN_SEND,
     -1,
     {{RCV, CUS, AMOUNT, "ewa advance"}, {RCV, FEEI, FEE, "ewa fee"}}},
    {PS_PURPOSE_EWA_DISBURSEMENT,
     PS_TXN_SEND,
     PS_TXN_SETTLED,
     {{CUS, FND, AMOUNT, "ewa payout settled"}}},
    {PS_PURPOSE_EWA_DISBURSEMENT,
     PS_TXN_SEND,
     PS_TXN_CANCELLED,
     {UNWIND_ADVANCE}},
    {PS_PURPOSE_EWA_DISBURSEMENT,
     PS_TXN_SEND,
     PS_TXN_DECLINED,
     {UNWIND_ADVANCE}},
    {PS_PURPOSE_EWA_DISBURSEMENT, PS_TXN_SEND, PS_TXN_ERROR, {UNWIND_ADVANCE}},
    {PS_PURPOSE_EWA_DISBURSEMENT,
     PS_TXN_SEND,
     PS_TXN_REVERSED,
     {{FND, CUS, AMOUNT, "ewa payout returned"}, UNWIND_ADVANCE}},
    {PS_PURPOSE_EWA_RECOVERY,
     PS_TXN_DEBIT,
     PS_TXN_SETTLED,
     {{FND, RCV, AMOUNT, "ewa recovery debit settled"}}},
    {PS_PURPOSE_EWA_RECOVERY,
     PS_TXN_DEBIT,
     PS_TXN_REVERSED,
     {{RCV, FND, AMOUNT, "ewa recovery debit returned"}}},
    {PS_PURPOSE_PAYMENT,
     PS_TXN_SEND,
     PS_TXN_SETTLED,
     {{CUS, FND, AMOUNT, "payment sent"}}},
    {PS_PURPOSE_PAYMENT,
     PS_TXN_SEND,
     PS_TXN_REVERSED,
     {{FND, CUS, AMOUNT, "payment returned"}}},
    {PS_PURPOSE_PAYMENT,
     PS_TXN_DEBIT,
     PS_TXN_SETTLED,
     {{FND, CUS, AMOUNT, "payment collected"}}},
    {PS_PURPOSE_PAYMENT,
     PS_TXN_DEBIT,
     PS_TXN_REVERSED,
     {{CUS, FND, AMOUNT, "collection returned"}}},
};

/* Is leg k of creation rule r on the transaction row?  Its first leg when
 * it moves the amount (schema v18), and a fee leg drawn on the same
 * debit account (schema v29: the row's fee_account). */
static int leg_on_row(const struct rule *r, int k)
{
    const struct leg *first = &r->legs[0];
    if (r->to != -1 || first->memo == NULL || first->which != AMOUNT)
        return 0;
    if (k == 0)
        return 1;
    return r->legs[k].memo != NULL && r->legs[k].which == FEE &&
           r->legs[k].debit == first->debit;
}

int ps_ledger_row_transfer(const struct ps_txn *t, enum ps_ledger_kind *debit,
                           enum ps_ledger_kind *credit, int *fee_credit)
{
    *fee_credit = -1;
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const struct rule *r = &rules[i];
        if (r->purpose != t->purpose || r->type != t->type || r->to != -1)
            continue;
        if (!leg_on_row(r, 0))
            return 0;
        *debit = r->legs[0].debit;
        *credit = r->legs[0].credit;
        for (int k = 1; k < MAX_LEGS && r->legs[k].memo != NULL; k++)
            if (t->fee != 0 && leg_on_row(r, k))
                *fee_credit = (int)r->legs[k].credit;
        return 1;
    }
    return 0;
}

int ps_ledger_creation_posts(const struct ps_txn *t)
{
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        if (rules[i].purpose == t->purpose && rules[i].type == t->type &&
            rules[i].to == -1)
            return 1;
    return 0;
}

int ps_ledger_account(struct ps_store *store, const struct ps_txn *t,
                      enum ps_ledger_kind kind, struct ps_ledger_ids *ids,
                      int64_t *id, struct ps_err *err)
{
    int rc;
    if (ids != NULL && ids->id[kind] != 0) {
        *id = ids->id[kind];
        return 0;
    }
    rc = ps_store_ledger_account(
        store, t->business_id, kind, t->currency,
        kind == PS_LEDGER_CUSTOMER ? t->customer_id : NULL, id, err);
    if (rc == 0 && ids != NULL)
        ids->id[kind] = *id;
    return rc;
}

int ps_ledger_post_with(struct ps_store *store, const struct ps_txn *t,
                        int from, enum ps_txn_status to,
                        struct ps_ledger_ids *ids, const char *at,
                        struct ps_err *err)
{
    int target = from < 0 ? -1 : (int)to;
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const struct rule *r = &rules[i];
        if (r->purpose != t->purpose || r->type != t->type || r->to != target)
            continue;
        for (int k = 0; k < MAX_LEGS && r->legs[k].memo != NULL; k++) {
            const struct leg *l = &r->legs[k];
            int64_t amount = l->which == AMOUNT ? t->amount : t->fee;
            int64_t dr, cr;
            int rc;
            if (amount == 0)
                continue; /* a zero fee moves nothing */
            if (leg_on_row(r, k))
                continue; /* on the transaction row (row_transfer) */
            if ((rc = ps_ledger_account(store, t, l->debit, ids, &dr, err)) !=
                    0 ||
                (rc = ps_ledger_account(store, t, l->credit, ids, &cr, err)) !=
                    0 ||
                (rc = ps_store_ledger_entry_insert(store, t->id, NULL, dr, cr,
                                                   amount, t->currency, l->memo,
                                                   at, err)) != 0)
                return rc;
        }
        return 0;
    }
    return 0;
}

int ps_ledger_post_transition(struct ps_store *store, const struct ps_txn *t,
                              int from, enum ps_txn_status to, const char *at,
                              struct ps_err *err)
{
    return ps_ledger_post_with(store, t, from, to, NULL, at, err);
}

int ps_ledger_post_payroll_recovery(struct ps_store *store,
                                    const char *business_id,
                                    const char *currency, int64_t amount,
                                    const char *reference, const char *at,
                                    struct ps_err *err)
{
    int64_t dr, cr;
    int rc;
    if (amount <= 0)
        return 0;
    if ((rc = ps_store_ledger_account(store, business_id, FND, currency, NULL,
                                      &dr, err)) != 0 ||
        (rc = ps_store_ledger_account(store, business_id, RCV, currency, NULL,
                                      &cr, err)) != 0)
        return rc;
    return ps_store_ledger_entry_insert(store, NULL, reference, dr, cr, amount,
                                        currency, "ewa payroll deduction", at,
                                        err);
}

struct check_ctx {
    struct ps_err *err;
    int bad;
};

static int check_row(void *ctx, const struct ps_trial_row *r)
{
    struct check_ctx *c = ctx;
    if (r->balance != 0 || r->mismatched != 0) {
        c->bad = 1;
        ps_err_set(c->err, PS_EINVAL, "TRIAL_BALANCE_NOT_ZERO",
                   "ledger trial balance for %s is %lld (debits %lld, "
                   "credits %lld, %lld cross-currency entries)",
                   r->currency, (long long)r->balance, (long long)r->debits,
                   (long long)r->credits, (long long)r->mismatched);
        return 1;
    }
    return 0;
}

int ps_ledger_check(struct ps_store *store, const char *business_id,
                    struct ps_err *err)
{
    struct check_ctx c = {err, 0};
    int rc = ps_store_trial_balance(store, business_id, check_row, &c, err);
    if (rc != 0)
        return rc;
    return c.bad ? PS_EINVAL : 0;
}
