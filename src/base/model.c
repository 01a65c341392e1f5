/*
 * model.c -- name tables of the domain enums.
 */
#include "base/model.h"

#include <string.h>

static const char *const status_names[] = {"ACTIVE", "SUSPENDED"};
static const char *const customer_type_names[] = {"INDIVIDUAL", "BUSINESS"};
static const char *const account_kind_names[] = {"EXTERNAL_BANK",
                                                 "EXTERNAL_CARD"};
static const char *const bank_type_names[] = {"NONE", "CHECKING", "SAVINGS"};
static const char *const txn_status_names[] = {
    "NEW",     "PENDING",   "PROCESSING", "APPROVED", "SETTLED",
    "CLEARED", "CANCELLED", "DECLINED",   "REVERSED", "ERROR"};
static const char *const txn_type_names[] = {"SEND", "DEBIT"};
static const char *const rail_names[] = {"PUSH_TO_CARD", "ACH"};
static const char *const purpose_names[] = {"EWA_DISBURSEMENT", "EWA_RECOVERY",
                                            "PAYMENT"};
static const char *const eligibility_names[] = {
    "NEW", "ELIGIBLE", "INELIGIBLE", "ARREARS", "BAD_DEBT", "DISABLED"};
static const char *const enrollment_names[] = {"ACTIVE", "INACTIVE"};
static const char *const address_type_names[] = {
    "SHIPPING", "BILLING", "MAILING", "HOME", "WORK", "LEGAL"};
static const char *const debit_auth_names[] = {"WEB", "PPD", "CCD"};
static const char *const file_status_names[] = {
    "RECEIVED", "PROCESSING", "APPLIED", "REJECTED", "DUPLICATE"};
static const char *const employment_names[] = {"ACTIVE", "TERMINATED",
                                               "LEAVE"};

#define TABLE(a)                                                               \
    {                                                                          \
        a, (int)(sizeof(a) / sizeof(a[0]))                                     \
    }
static const struct {
    const char *const *names;
    int n;
} tables[PS_NAMES_N] = {
    [PS_NAMES_STATUS] = TABLE(status_names),
    [PS_NAMES_CUSTOMER_TYPE] = TABLE(customer_type_names),
    [PS_NAMES_ACCOUNT_KIND] = TABLE(account_kind_names),
    [PS_NAMES_BANK_TYPE] = TABLE(bank_type_names),
    [PS_NAMES_TXN_STATUS] = TABLE(txn_status_names),
    [PS_NAMES_TXN_TYPE] = TABLE(txn_type_names),
    [PS_NAMES_RAIL] = TABLE(rail_names),
    [PS_NAMES_PURPOSE] = TABLE(purpose_names),
    [PS_NAMES_ELIGIBILITY] = TABLE(eligibility_names),
    [PS_NAMES_ENROLLMENT] = TABLE(enrollment_names),
    [PS_NAMES_ADDRESS_TYPE] = TABLE(address_type_names),
    [PS_NAMES_DEBIT_AUTH] = TABLE(debit_auth_names),
    [PS_NAMES_FILE_STATUS] = TABLE(file_status_names),
    [PS_NAMES_EMPLOYMENT] = TABLE(employment_names),
};
#undef TABLE

_Static_assert(sizeof(txn_status_names) / sizeof(txn_status_names[0]) ==
                   PS_TXN_STATUS_N,
               "txn status names");
_Static_assert(sizeof(eligibility_names) / sizeof(eligibility_names[0]) ==
                   PS_ELIG_N,
               "eligibility names");

const char *ps_enum_name(enum ps_names table, int value)
{
    if ((unsigned)table >= PS_NAMES_N || value < 0 || value >= tables[table].n)
        return "?";
    return tables[table].names[value];
}

int ps_enum_parse(enum ps_names table, const char *name)
{
    if ((unsigned)table >= PS_NAMES_N || name == NULL)
        return -1;
    for (int i = 0; i < tables[table].n; i++)
        if (strcmp(tables[table].names[i], name) == 0)
            return i;
    return -1;
}

int ps_enum_count(enum ps_names table)
{
    return (unsigned)table < PS_NAMES_N ? tables[table].n : 0;
}
