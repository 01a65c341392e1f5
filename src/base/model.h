/*
 * model.h -- the domain's value types: businesses, customers, financial
 * accounts, EWA programs and profiles, transactions.
 *
 * Plain structs with fixed-size string fields, so rows can be copied and
 * returned without ownership questions.  Every enum has a name table; the
 * names are what the store keeps (CHECK constraints list the same names)
 * and what files and the CLI show.
 */
#ifndef PS_MODEL_H
#define PS_MODEL_H

#include <stdint.h>

#include "base/clock.h"
#include "base/id.h"

/*
 * Field sizes in bytes.  Each is larger than the longest valid value can
 * be in UTF-8 (up to 4 bytes a character) plus one more character, so a
 * valid value is never cut, and a too-long value cut by a careless copy is
 * still too long and still refused by the validator.
 */
#define PS_NAME_SIZE 80    /* business slug, program name: 1..64 chars */
#define PS_EXTID_SIZE 80   /* externalId, request id: 1..64 ASCII */
#define PS_PERSON_SIZE 200 /* first/middle/last name, city: 1..40 chars */
#define PS_TEXT_SIZE 600   /* display names, DBA, address lines: 128 */
#define PS_EMAIL_SIZE 320  /* 3..254 chars */
#define PS_PHONE_SIZE 32   /* E.164: '+' and up to 15 digits */
#define PS_REASON_SIZE 256
#define PS_PATH_SIZE 1024

/* ---- enums and their names ---------------------------------------- */

enum ps_status { PS_STATUS_ACTIVE, PS_STATUS_SUSPENDED, PS_STATUS_N };

enum ps_customer_type {
    PS_CUSTOMER_INDIVIDUAL,
    PS_CUSTOMER_BUSINESS,
    PS_CUSTOMER_TYPE_N
};

enum ps_account_kind {
    PS_ACCOUNT_EXTERNAL_BANK,
    PS_ACCOUNT_EXTERNAL_CARD,
    PS_ACCOUNT_KIND_N
};

enum ps_bank_type {
    PS_BANK_NONE,
    PS_BANK_CHECKING,
    PS_BANK_SAVINGS,
    PS_BANK_N
};

enum ps_txn_status {
    PS_TXN_NEW,
    PS_TXN_PENDING,
    PS_TXN_PROCESSING,
    PS_TXN_APPROVED,
    PS_TXN_SETTLED,
    PS_TXN_CLEARED,
    PS_TXN_CANCELLED,
    PS_TXN_DECLINED,
    PS_TXN_REVERSED,
    PS_TXN_ERROR,
    PS_TXN_STATUS_N
};

enum ps_txn_type { PS_TXN_SEND, PS_TXN_DEBIT, PS_TXN_TYPE_N };

enum ps_rail { PS_RAIL_PUSH_TO_CARD, PS_RAIL_ACH, PS_RAIL_N };

/* Why money moves; decides the ledger postings (ledger.c). */
enum ps_purpose {
    PS_PURPOSE_EWA_DISBURSEMENT, /* SEND of earned wages to the employee */
    PS_PURPOSE_EWA_RECOVERY,     /* DEBIT collecting an EWA balance */
    PS_PURPOSE_PAYMENT,          /* any other SEND or DEBIT */
    PS_PURPOSE_N
};

enum ps_eligibility {
    PS_ELIG_NEW,
    PS_ELIG_ELIGIBLE,
    PS_ELIG_INELIGIBLE,
    PS_ELIG_ARREARS,
    PS_ELIG_BAD_DEBT,
    PS_ELIG_DISABLED,
    PS_ELIG_N
};

enum ps_enrollment { PS_ENROLL_ACTIVE, PS_ENROLL_INACTIVE, PS_ENROLL_N };

/* Employment as the employer's roster last reported it. */
enum ps_employment {
    PS_EMPLOY_ACTIVE,
    PS_EMPLOY_TERMINATED,
    PS_EMPLOY_LEAVE,
    PS_EMPLOY_N
};

enum ps_address_type {
    PS_ADDR_SHIPPING,
    PS_ADDR_BILLING,
    PS_ADDR_MAILING,
    PS_ADDR_HOME,
    PS_ADDR_WORK,
    PS_ADDR_LEGAL,
    PS_ADDR_N
};

enum ps_debit_auth_kind { PS_AUTH_WEB, PS_AUTH_PPD, PS_AUTH_CCD, PS_AUTH_N };

/*
 * Name tables: ps_enum_name(PS_NAMES_TXN_STATUS, PS_TXN_NEW) -> "NEW";
 * ps_enum_parse(PS_NAMES_TXN_STATUS, "NEW") -> 0, or -1 when unknown
 * (exact, upper-case match).
 */
enum ps_names {
    PS_NAMES_STATUS,
    PS_NAMES_CUSTOMER_TYPE,
    PS_NAMES_ACCOUNT_KIND,
    PS_NAMES_BANK_TYPE,
    PS_NAMES_TXN_STATUS,
    PS_NAMES_TXN_TYPE,
    PS_NAMES_RAIL,
    PS_NAMES_PURPOSE,
    PS_NAMES_ELIGIBILITY,
    PS_NAMES_ENROLLMENT,
    PS_NAMES_ADDRESS_TYPE,
    PS_NAMES_DEBIT_AUTH,
    PS_NAMES_FILE_STATUS,
    PS_NAMES_EMPLOYMENT,
    PS_NAMES_N
};
const char *ps_enum_name(enum ps_names table, int value);
int ps_enum_parse(enum ps_names table, const char *name);
int ps_enum_count(enum ps_names table);

/* ---- rows ----------------------------------------------------------- */

struct ps_business {
    char id[PS_ID_SIZE];
    char name[PS_NAME_SIZE]; /* slug: spool directory name */
    char display_name[PS_TEXT_SIZE];
    char parent_id[PS_ID_SIZE]; /* "" for a top-level business */
    enum ps_status status;
    char created_at[PS_TIME_SIZE];
};

struct ps_customer {
    char id[PS_ID_SIZE];
    char business_id[PS_ID_SIZE];
    char external_id[PS_EXTID_SIZE]; /* unique within the business */
    enum ps_customer_type type;
    char first_name[PS_PERSON_SIZE]; /* INDIVIDUAL, or BUSINESS contact */
    char middle_name[PS_PERSON_SIZE];
    char last_name[PS_PERSON_SIZE];
    char dba_name[PS_TEXT_SIZE]; /* BUSINESS only */
    char email[PS_EMAIL_SIZE];
    char phone[PS_PHONE_SIZE]; /* E.164 */
    enum ps_status status;
    char created_at[PS_TIME_SIZE];
    char updated_at[PS_TIME_SIZE];
};

/* A given contact's primary flag left to the merge (engine/custmerge.h):
 * primary only when the customer has no primary contact yet. */
#define PS_CONTACT_PRIMARY_AUTO (-1)

struct ps_contact {
    int primary; /* 1 for the BUSINESS customer's primary contact, 0 for a
                  * further one; PS_CONTACT_PRIMARY_AUTO on input only */
    char first_name[PS_PERSON_SIZE];
    char last_name[PS_PERSON_SIZE];
    char email[PS_EMAIL_SIZE];
    char phone[PS_PHONE_SIZE];
};

struct ps_address {
    enum ps_address_type type;
    char line1[PS_TEXT_SIZE];
    char line2[PS_TEXT_SIZE];
    char city[PS_PERSON_SIZE];
    char region[PS_PERSON_SIZE];
    char postal_code[72]; /* 0..15 chars */
    char country[4];      /* ISO 3166 alpha-2 */
};

struct ps_account {
    char id[PS_ID_SIZE];
    char business_id[PS_ID_SIZE];
    char customer_id[PS_ID_SIZE];
    enum ps_account_kind kind;
    char display_name[PS_TEXT_SIZE];
    enum ps_status status;
    char routing_number[10]; /* EXTERNAL_BANK: ABA, 9 digits */
    enum ps_bank_type bank_type;
    char bin[7];    /* EXTERNAL_CARD: first 6 */
    char last4[5];  /* both kinds */
    char token[65]; /* keyed hash of the full number */
    char created_at[PS_TIME_SIZE];
    char updated_at[PS_TIME_SIZE];
};

struct ps_program {
    char id[PS_ID_SIZE];
    char business_id[PS_ID_SIZE];
    char name[PS_NAME_SIZE];
    char currency[4];
    int advance_rate_bp;     /* share of earned wages available, 1/100 % */
    int64_t min_transfer;    /* minor units, per disbursement */
    int64_t max_transfer;    /* minor units, per disbursement */
    int64_t period_cap;      /* minor units, per pay period */
    int64_t max_outstanding; /* minor units, amountToRecover ceiling */
    int64_t fee_card;        /* minor units, instant push-to-card fee */
    int64_t fee_ach;         /* minor units, standard ACH fee */
    int debit_fallback;      /* 1: recover shortfalls by ACH debit */
    int max_debit_attempts;  /* ACH debit attempts per shortfall */
    int bad_debt_after;      /* failed recoveries before BAD_DEBT */
    enum ps_status status;
    char created_at[PS_TIME_SIZE];
};

struct ps_profile {
    char id[PS_ID_SIZE];
    char business_id[PS_ID_SIZE];
    char external_id[PS_EXTID_SIZE];
    char customer_id[PS_ID_SIZE];
    char account_id[PS_ID_SIZE];
    char program_id[PS_ID_SIZE];
    enum ps_enrollment enrollment;
    char enrollment_begin[PS_TIME_SIZE];
    char enrollment_end[PS_TIME_SIZE]; /* "" = open-ended */
    enum ps_eligibility eligibility;   /* latest status */
    char eligibility_id[PS_ID_SIZE];   /* its history row */
    char eligibility_reason[PS_REASON_SIZE];
    char eligibility_at[PS_TIME_SIZE];
    int64_t amount_to_recover; /* minor units: disbursed + fees - recovered */
    int64_t earned_wages;      /* minor units earned in the current period */
    char period_start[PS_DATE_SIZE]; /* current pay period, "" if unknown */
    char period_end[PS_DATE_SIZE];   /* its last day, "" if unknown */
    enum ps_employment employment;   /* as the roster last said */
    int64_t period_disbursed;        /* minor units disbursed this period */
    int failed_recoveries;           /* consecutive */
    int debit_attempts; /* ACH recovery debits since the last full recovery */
    char created_at[PS_TIME_SIZE];
    char updated_at[PS_TIME_SIZE];
};

struct ps_txn {
    char id[PS_ID_SIZE];
    char business_id[PS_ID_SIZE];
    char customer_id[PS_ID_SIZE];
    char account_id[PS_ID_SIZE];
    char profile_id[PS_ID_SIZE]; /* "" when not an EWA movement */
    enum ps_txn_type type;
    enum ps_rail rail;
    enum ps_purpose purpose;
    int64_t amount; /* minor units, > 0 */
    int64_t fee;    /* minor units, >= 0 */
    char currency[4];
    enum ps_txn_status status;
    char request_id[PS_EXTID_SIZE]; /* idempotency key, "" if none */
    char trace_number[16];          /* ACH trace, "" until assigned */
    int attempts;                   /* provider attempts so far */
    char created_at[PS_TIME_SIZE];
    char updated_at[PS_TIME_SIZE];
    /* The store's row id, as read (0: not known, e.g. a row being
     * created): a status change then writes the row by it, not by a
     * probe of the id's random-order index. */
    int64_t rowid;
};

enum ps_file_status {
    PS_FILE_RECEIVED,
    PS_FILE_PROCESSING,
    PS_FILE_APPLIED,
    PS_FILE_REJECTED,
    PS_FILE_DUPLICATE,
    PS_FILE_STATUS_N
};

/* One document of an input file (a plain file is one document; each
 * archive member is one). */
struct ps_file {
    char id[PS_ID_SIZE];
    char business_id[PS_ID_SIZE];
    char name[PS_PATH_SIZE];   /* the input's name as claimed */
    char member[PS_PATH_SIZE]; /* member path in a wrapper, "" if plain */
    int doc_index;             /* 0-based document number in the input */
    char sha256[65];           /* of the whole input file */
    int64_t size;              /* bytes of the input file */
    char format[16];
    enum ps_file_status status;
    char reason[PS_REASON_SIZE]; /* rule and message when rejected */
    long records, accepted, rejected, duplicates;
    int64_t amount_accepted; /* minor units of currency */
    char currency[4];        /* of the document's amounts; "" if mixed */
    char options_used[128];  /* reading options that excused a problem
                                (NACHA lenient options), "" if none */
    char source[65];         /* the provider whose folder it came from
                                (intake/channel.h), "" for the business's
                                own inbound */
    char archive_path[PS_PATH_SIZE];
    char result_path[PS_PATH_SIZE];
    char received_at[PS_TIME_SIZE];
    char completed_at[PS_TIME_SIZE];
};

/* Where a change came from: kept in every history row. */
struct ps_source {
    const char *reason; /* human reason, may be NULL */
    const char *file;   /* input file name, NULL for CLI/API */
    long line;          /* line or record number in file, 0 = none */
};

#endif /* PS_MODEL_H */
