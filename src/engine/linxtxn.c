/*
 * linxtxn.c -- the SMS of a LinX request's transaction status changes.
 * See linxtxn.h.
 */
#include "engine/linxtxn.h"

#include <stdio.h>
#include <string.h>

#include "base/money.h"
#include "engine/achfx.h"
#include "engine/linx.h"
#include "store/linx.h"

/*
 * The status changes a customer hears of: the money left (the first
 * TRANSMIT only: a provider retry resends without a new message), it
 * arrived, or it did not (declined, returned, reversed, failed for good,
 * cancelled).  Every other change sends nothing.  ev NULL: any event
 * that leads to the status.
 */
static const struct {
    enum ps_txn_status to;
    const char *ev;
    const char *send;  /* money to the customer */
    const char *debit; /* money from the customer's bank account */
} sms_table[] = {
    {PS_TXN_PROCESSING, "TRANSMIT", "was sent", "was sent to your bank"},
    {PS_TXN_SETTLED, NULL, "was completed", "was completed"},
    {PS_TXN_DECLINED, "RETURN", "was returned", "was returned"},
    {PS_TXN_DECLINED, "DECLINE", "was declined", "was declined"},
    {PS_TXN_REVERSED, "RETURN", "was returned", "was returned"},
    {PS_TXN_REVERSED, "REVERSE", "was reversed", "was reversed"},
    {PS_TXN_ERROR, NULL, "could not be completed", "could not be completed"},
    {PS_TXN_CANCELLED, NULL, "was cancelled", "was cancelled"},
};

static const char *predicate(const struct ps_txn *t, const char *ev)
{
    if (ev == NULL || (strcmp(ev, "TRANSMIT") == 0 && t->attempts > 1))
        return NULL;
    for (size_t i = 0; i < sizeof(sms_table) / sizeof(sms_table[0]); i++)
        if (sms_table[i].to == t->status &&
            (sms_table[i].ev == NULL || strcmp(sms_table[i].ev, ev) == 0))
            return t->type == PS_TXN_DEBIT ? sms_table[i].debit
                                           : sms_table[i].send;
    return NULL;
}

/* "$25.00" in US dollars, else "25.00 EUR". */
static void amount(const struct ps_txn *t, char *buf, size_t size)
{
    const struct ps_currency *c = ps_currency_find(t->currency);
    char a[PS_MONEY_STRMAX];
    ps_money_format(t->amount, c != NULL ? c->exponent : 2, a, sizeof(a));
    if (strcmp(t->currency, "USD") == 0)
        snprintf(buf, size, "$%s", a);
    else
        snprintf(buf, size, "%s %.3s", a, t->currency);
}

int ps_linx_txn_sms_text(const struct ps_txn *t, const char *ev,
                         const char *return_code, const char *who, char *buf,
                         size_t size)
{
    const char *what = predicate(t, ev);
    const char *why = ps_ach_return_reason(return_code);
    char amt[PS_MONEY_STRMAX + 8];
    if (what == NULL)
        return 0;
    if (buf == NULL)
        return 1;
    amount(t, amt, sizeof(amt));
    /* Only a NACHA code's fixed meaning: a provider's free text could
     * hold anything, and an SMS is no place for it. */
    snprintf(buf, size, "%.80s: %s of %s%s %s%s%s.", who,
             t->type == PS_TXN_DEBIT ? "the debit" : "your payment", amt,
             t->type == PS_TXN_DEBIT ? " from your bank account" : "", what,
             why != NULL ? ": " : "", why != NULL ? why : "");
    return 1;
}

int ps_linx_txn_status(struct ps_store *store, const struct ps_txn *t,
                       const char *ev, const char *return_code,
                       struct ps_err *err)
{
    struct ps_linx_row r;
    struct ps_business b;
    char body[PS_LINX_TEXT_SIZE];
    int rc;
    if (strncmp(t->request_id, PS_LINX_TXN_PREFIX, PS_LINX_TXN_PREFIX_LEN) !=
            0 ||
        !ps_linx_txn_sms_text(t, ev, return_code, NULL, NULL, 0))
        return 0;
    rc = ps_store_linx_by_txn(store, t->id, &r, err);
    if (rc == PS_ENOTFOUND) {
        ps_err_clear(err);
        return 0; /* a request id that only looks like a LinX one */
    }
    if (rc != 0 ||
        (rc = ps_store_business_get(store, t->business_id, &b, err)) != 0)
        return rc;
    ps_linx_txn_sms_text(t, ev, return_code,
                         b.display_name[0] != '\0' ? b.display_name : b.name,
                         body, sizeof(body));
    return ps_linx_queue_sms(store, NULL, &r, "TRANSACTION_STATUS", body, NULL,
                             err);
}
