/*
 * codes.h -- the public error codes: one table of every rule name.
 *
 * The `rule` of a struct ps_err is the stable name of what was broken; it
 * is written into result files, `payspool check` output, logs and error
 * lines, so it is a public error code.  PS_CODE_LIST is the one list of
 * them: each row is a name, a scope (who pays for the error) and a
 * one-line meaning for an operator reading a result file.  The enum, the
 * lookup table and docs/errors.md's list of codes are all made from it, and
 * tests check it against the source (tests/codes/check_codes.sh: every
 * rule set anywhere is listed, every row is used) and against docs/errors.md
 * (tests/unit/test_codes.c).
 *
 * Rows stay sorted by name in strcmp() order (ps_code_find() searches
 * them; a test checks the order).  A name is [A-Z][A-Z0-9_]*, shorter
 * than PS_ERR_RULE_MAX; a meaning holds no double quote.  Adding a rule:
 * add its row here and to docs/errors.md ("Error codes"); renaming one breaks
 * every reader of result files, so do not.
 *
 * Scopes:
 *   RECORD  the record is refused (REJECTED, or DUPLICATE); the file goes on
 *   FILE    the document or input is rejected whole; nothing of it applies
 *   RUN     the command, job or pass fails: configuration, store, I/O,
 *           locks, an operator's mistake or a bug; no record is judged
 *
 * Nothing here allocates except ps_code_write_json() (jansson).  This
 * module uses no other of payspool's: err.h includes it for struct
 * ps_err's id, so it must not include err.h back (no include cycle).
 */
#ifndef PS_CODES_H
#define PS_CODES_H

#include <stddef.h>
#include <stdio.h>

enum ps_code_scope {
    PS_SCOPE_RECORD, /* the record is refused, the file goes on */
    PS_SCOPE_FILE,   /* the file is rejected whole */
    PS_SCOPE_RUN     /* run/system: configuration, store, I/O, lock */
};

/* X(NAME, SCOPE, "meaning"): SCOPE is RECORD, FILE or RUN. */
#define PS_CODE_LIST(X)                                                        \
    X(ABA_CHECK_DIGIT, RECORD, "a routing number's ABA check digit is wrong")  \
    X(ACCOUNT_AMBIGUOUS, RECORD,                                               \
      "the customer has several accounts that match the record; name the "     \
      "account")                                                               \
    X(ACCOUNT_NOT_FOUND, RECORD,                                               \
      "the record names an account the customer does not have")                \
    X(ACCOUNT_NUMBER_FORMAT, RECORD,                                           \
      "the bank account number is missing, too long, or holds more than "      \
      "digits and inner dashes")                                               \
    X(ACCOUNT_REQUIRED, RECORD,                                                \
      "an EWA enrollment gives neither a card number nor a routing and "       \
      "account number")                                                        \
    X(ACCOUNT_SUSPENDED, RECORD,                                               \
      "the account the money would move through is SUSPENDED")                 \
    X(ACH_CONFIG_KEY, RUN,                                                     \
      "the ACH configuration has a setting payspool does not know")            \
    X(ACH_CONFIG_VALUE, RUN, "an ACH configuration setting has a bad value")   \
    X(ACH_CURRENCY, RUN, "a transaction routed to ACH is not in US dollars")   \
    X(ACH_NOT_APPLIED, RECORD,                                                 \
      "a NACHA entry is read and valid but not applied (an SEC code or entry " \
      "kind payspool does not apply)")                                         \
    X(ACH_NOT_CONFIGURED, RUN,                                                 \
      "the business has ACH items but its ACH settings (ODFI, company) are "   \
      "missing")                                                               \
    X(ADDENDA_COUNT, FILE,                                                     \
      "NACHA: an entry has more addenda than its SEC code allows, or the "     \
      "addenda count is wrong")                                                \
    X(ADDENDA_ENTRY_SEQUENCE, FILE,                                            \
      "NACHA: an addenda's entry detail sequence number is not its entry's "   \
      "trace")                                                                 \
    X(ADDENDA_INDICATOR, FILE,                                                 \
      "NACHA: the addenda record indicator is not 0 or 1, or disagrees with "  \
      "the addenda present")                                                   \
    X(ADDENDA_SEQUENCE, FILE,                                                  \
      "NACHA: addenda sequence numbers do not count up from 1")                \
    X(ADDENDA_TRACE, FILE,                                                     \
      "NACHA: a return or NOC addenda's trace number is not its entry's")      \
    X(ADDENDA_TYPE, FILE,                                                      \
      "NACHA: an addenda type code is not allowed for the entry or its SEC "   \
      "code")                                                                  \
    X(ADDRESS_TYPE, RECORD, "the address type is not one payspool knows")      \
    X(ALREADY_EXISTS, RECORD,                                                  \
      "a row with the same key already exists in the store")                   \
    X(AMOUNT_MISMATCH, RECORD,                                                 \
      "a provider status line's amount differs from the transaction's")        \
    X(AMOUNT_NOT_POSITIVE, RECORD, "the amount must be greater than zero")     \
    X(AMOUNT_TOO_LARGE, RECORD,                                                \
      "a roster or payroll amount is above 10,000,000 of its currency")        \
    X(ANSWER_NOT_FROM_PROVIDER, FILE,                                          \
      "a provider answer (status, return, NOC) came in a business's inbound")  \
    X(ARCHIVE_FORMAT, RUN,                                                     \
      "the file is not an encrypted payspool archive (archive show)")         \
    X(ARCHIVE_GONE, RUN,                                                       \
      "the archived input is no longer in archive/: pruned by retention or "  \
      "removed")                                                               \
    X(ARCHIVE_TAMPERED, RUN,                                                   \
      "an encrypted archive fails authentication: altered, truncated or "     \
      "sealed under another key file")                                        \
    X(ATTEMPT_MISMATCH, RECORD,                                                \
      "a provider status line answers an attempt that is not in flight")       \
    X(AUTH_REFERENCE, RECORD, "a debit authorization has no reference")        \
    X(BAD_COUNTRY, RECORD, "CSV: the value is not a two-letter country code")  \
    X(BAD_CURRENCY, RECORD,                                                    \
      "CSV: the value is not an active ISO 4217 currency code")                \
    X(BAD_DATE, RECORD,                                                        \
      "CSV: the value is not a calendar date in the layout's date format")     \
    X(BAD_DIGITS, RECORD,                                                      \
      "CSV: the value is not the required number of digits")                   \
    X(BAD_EMAIL, RECORD, "CSV: the value is not an email address")             \
    X(BAD_ENUM, RECORD,                                                        \
      "CSV: the value is not one of the layout's allowed values")              \
    X(BAD_FILE_NAME, FILE,                                                     \
      "the input's name holds control characters; it goes to failed/")      \
    X(BAD_INTEGER, RECORD,                                                     \
      "CSV: the value is not a whole number in the allowed range")             \
    X(BAD_PHONE, RECORD, "CSV: the value is not an E.164 phone number")        \
    X(BAD_TEXT, RECORD, "CSV: a line break or tab inside a one-line value")    \
    X(BAD_UTF8, RECORD,                                                        \
      "CSV: the value is not UTF-8 text or holds a control character")         \
    X(BANK_ACCOUNT_TYPE, RECORD,                                               \
      "the bank account type is not CHECKING or SAVINGS")                      \
    X(BATCH_CREDIT_TOTAL, FILE,                                                \
      "NACHA: a batch control's total credit amount differs from its entries") \
    X(BATCH_DEBIT_TOTAL, FILE,                                                 \
      "NACHA: a batch control's total debit amount differs from its entries")  \
    X(BATCH_ENTRY_COUNT, FILE,                                                 \
      "NACHA: a batch control's entry and addenda count differs from the "     \
      "batch")                                                                 \
    X(BATCH_ENTRY_HASH, FILE,                                                  \
      "NACHA: a batch control's entry hash differs from its entries' routing " \
      "numbers")                                                               \
    X(BATCH_HEADER_MISMATCH, FILE,                                             \
      "NACHA: a batch control's service class, company ID or ODFI differs "    \
      "from its header")                                                       \
    X(BATCH_NUMBER_ORDER, FILE, "NACHA: batch numbers do not ascend")          \
    X(BLOCKING_FACTOR, FILE,                                                   \
      "NACHA: the file header's blocking factor is not 10")                    \
    X(BUSINESS_EXISTS, RUN, "a business with that name already exists")        \
    X(BUSINESS_NAME_FORMAT, RUN,                                               \
      "a business name must be 1 to 64 of a-z, 0-9, - and _ (it names the "    \
      "spool folder)")                                                         \
    X(BUSINESS_NOT_FOUND, RUN, "no business of that name or id")               \
    X(CALENDAR_DATE, RUN,                                                      \
      "the banking calendar file has a key that is not a real date "           \
      "YYYY-MM-DD")                                                            \
    X(CALENDAR_DUPLICATE, RUN, "the banking calendar file lists a date twice") \
    X(CALENDAR_OPEN_WEEKEND, RUN,                                              \
      "the banking calendar file opens a weekend day")                         \
    X(CALENDAR_SECTION, RUN,                                                   \
      "the banking calendar file has a section other than [closed] or [open]") \
    X(CARD_FORMAT, RECORD, "the card number is not 13 to 19 digits")           \
    X(CARD_LUHN, RECORD, "the card number fails the Luhn check")               \
    X(CARD_NUMBER_MISPLACED, RECORD,                                           \
      "a card number in a field other than card_number; the record is "       \
      "refused and the number is never stored")                               \
    X(CHANGE_CODE, FILE,                                                       \
      "NACHA: a NOC's change code is not one NACHA defines")                   \
    X(CLAIMED_ELSEWHERE, RUN,                                                  \
      "another worker claimed the input first; it is left to that worker")     \
    X(CONFIG_KEY, RUN,                                                         \
      "the spool configuration has a setting payspool does not know")          \
    X(CONFIG_SYNTAX, RUN,                                                      \
      "the spool configuration has a line that is not valid INI")              \
    X(CONFIG_VALUE, RUN, "a spool configuration setting is out of range")      \
    X(CONSTRAINT, RECORD, "the store refused the row (a constraint failed)")   \
    X(CONTACTS_NOT_ALLOWED, RECORD, "only BUSINESS customers have contacts")   \
    X(CONTROL_COUNT_MISMATCH, FILE,                                            \
      "pstest: the TOTAL trailer's record count differs from the file")        \
    X(CONTROL_SUM_MISMATCH, FILE,                                              \
      "pstest: the TOTAL trailer's sum differs from the records")              \
    X(CONTROL_TOTAL_MISSING, FILE,                                             \
      "pstest: no TOTAL trailer (the file may be truncated)")                  \
    X(CORRECTED_DATA, FILE,                                                    \
      "NACHA: a NOC's corrected data is missing or wrong for its change code") \
    X(COUNTRY_FORMAT, RECORD, "the country is not an ISO 3166 alpha-2 code")   \
    X(CREATION_DATE, FILE,                                                     \
      "NACHA: the file creation date is not a valid YYMMDD date")              \
    X(CREATION_TIME, FILE,                                                     \
      "NACHA: the file creation time is not a valid HHMM time")                \
    X(CRON_FIELD_COUNT, RUN, "a job's cron schedule has not 5 or 6 fields")    \
    X(CRON_RANGE, RUN, "a job's cron schedule has a value out of range")       \
    X(CRON_SYNTAX, RUN, "a job's cron schedule cannot be parsed")              \
    X(CRON_ZONE_UNKNOWN, RUN,                                                  \
      "a job's cron schedule names an unknown time zone")                      \
    X(CRYPTO_INIT, RUN, "libsodium failed to initialise")                      \
    X(CSV_BAD_QUOTE, FILE,                                                     \
      "CSV: a quote inside an unquoted cell, or text after a closing quote")   \
    X(CSV_FIELD_COUNT, RECORD,                                                 \
      "CSV: the line has more or fewer cells than the header has columns")     \
    X(CSV_NO_HEADER, FILE,                                                     \
      "CSV: the document is empty: a header row naming the columns is "        \
      "required")                                                              \
    X(CSV_NO_LAYOUT, FILE,                                                     \
      "CSV: no loaded layout matches the header (or none is loaded)")          \
    X(CSV_TOO_MANY_COLUMNS, FILE,                                              \
      "CSV: the header has more columns than payspool reads")                  \
    X(CSV_UNTERMINATED_QUOTE, FILE,                                            \
      "CSV: a quoted cell is not closed before the end of the file")           \
    X(CURRENCY_MISMATCH, RECORD,                                               \
      "a provider status line's currency differs from the transaction's")      \
    X(CURRENCY_UNKNOWN, RECORD, "the currency is not an active ISO 4217 code") \
    X(CUSTOMER_EXISTS, RECORD,                                                 \
      "a customer with that externalId already exists in the business")        \
    X(CUSTOMER_NOT_FOUND, RECORD,                                              \
      "no customer with that externalId in the business")                      \
    X(CUSTOMER_SUSPENDED, RECORD, "the customer is SUSPENDED")                 \
    X(CUSTOMER_TYPE, RECORD,                                                   \
      "the customer type is not INDIVIDUAL or BUSINESS")                       \
    X(CUSTOMER_TYPE_CHANGE, RECORD, "a customer's type cannot change")         \
    X(DATABASE_BUSY, RUN,                                                      \
      "the database is locked by another process; try again")                  \
    X(DATE_FORMAT, RECORD,                                                     \
      "the date is missing or not a real date YYYY-MM-DD")                     \
    X(DEBIT_AUTHORIZATION, RECORD,                                             \
      "a debit authorization is not WEB, PPD or CCD with a reference")         \
    X(DEBIT_NEEDS_ACH, RECORD, "a DEBIT transaction must use the ACH rail")    \
    X(DEBIT_NEEDS_BANK_ACCOUNT, RECORD,                                        \
      "a debit needs a bank account, not a card")                              \
    X(DEBIT_NOT_AUTHORIZED, RUN,                                               \
      "an ACH debit's account has no active debit authorization; it is not "   \
      "sent")                                                                  \
    X(DECRYPT_FAILED, RUN,                                                     \
      "a sealed account number cannot be decrypted (wrong key file or "        \
      "damaged data)")                                                         \
    X(DEDUCTION_EXCEEDS_DUE, RECORD,                                           \
      "an EWA deduction is more than the amount due; the excess is owed back " \
      "to the employee")                                                       \
    X(DEDUCTION_EXCEEDS_GROSS, RECORD,                                         \
      "an EWA deduction is more than the gross pay")                           \
    X(DEFLATE, RUN, "compressing an archived input failed")                    \
    X(DEPENDENCY_NOT_MET, RUN,                                                 \
      "a job runs after another job that has not completed for that date")     \
    X(DOCUMENT_MISSING, RUN, "a document of an input being resumed has gone")  \
    X(DOCUMENT_REJECTED, FILE,                                                 \
      "the document was rejected whole (its result gives the reason)")         \
    X(DUPLICATE_FILE, FILE,                                                    \
      "the same bytes were received before; the input is a DUPLICATE")         \
    X(DUPLICATE_FILE_KEY, FILE,                                                \
      "the format's file key (e.g. a NACHA file's header) was received "       \
      "before; the document is a DUPLICATE")                                   \
    X(DUPLICATE_PAYROLL, RECORD,                                               \
      "a payroll result for that employee and pay date was already applied "   \
      "(a DUPLICATE)")                                                         \
    X(DUPLICATE_RECORD, RECORD,                                                \
      "a record with the same key was applied before (a DUPLICATE)")           \
    X(DUPLICATE_REQUEST, RECORD,                                               \
      "the request id was used before (a DUPLICATE)")                          \
    X(DUPLICATE_RETURN, RECORD,                                                \
      "the transaction was already returned (a DUPLICATE)")                    \
    X(DUPLICATE_STATUS, RECORD,                                                \
      "that status for that attempt was applied before (a DUPLICATE)")         \
    X(EFFECTIVE_DATE, FILE,                                                    \
      "NACHA: a batch's effective entry date is not a valid date, or blank "   \
      "outside returns")                                                       \
    X(EINTERNAL, RUN,                                                          \
      "an internal error (an impossible condition): report it")                \
    X(EMAIL_FORMAT, RECORD, "the email is not an address local@domain.tld")    \
    X(EMPLOYMENT_STATUS, RECORD,                                               \
      "employment_status is not ACTIVE, TERMINATED or LEAVE")                  \
    X(EMPTY_INPUT, FILE, "the input holds no document to read")                \
    X(ENGINE_RUNNING, RUN, "another payspool engine holds the spool's lock")   \
    X(ENOMEM, RUN, "out of memory")                                            \
    X(ENOTFOUND, RUN, "a file or thing named does not exist")                  \
    X(ENROLLMENT_STATUS, RECORD,                                               \
      "the EWA enrollment status is not ACTIVE or INACTIVE")                   \
    X(ENROLLMENT_WINDOW, RECORD,                                               \
      "the EWA enrollment window is not a valid pair of dates, end after "     \
      "begin")                                                                 \
    X(EXTERNAL_ID_FORMAT, RECORD,                                              \
      "the externalId is not 1 to 64 allowed characters")                      \
    X(FEE_NEGATIVE, RECORD, "a transaction fee is negative")                   \
    X(FEE_NOT_ALLOWED, RECORD, "only EWA disbursements carry a fee")           \
    X(FIELD_REQUIRED, RECORD, "a required field is empty or missing")          \
    X(FIELD_TOO_LONG, RECORD, "the value is longer than the field allows")     \
    X(FIELD_TOO_SHORT, RECORD, "the value is shorter than the field needs")    \
    X(FIELD_VALUE, RECORD, "the field has a value it cannot take")             \
    X(FILE_BATCH_COUNT, FILE,                                                  \
      "NACHA: the file control's batch count differs from the file")           \
    X(FILE_BLOCK_COUNT, FILE,                                                  \
      "NACHA: the file control's block count differs from the file")           \
    X(FILE_CHANGED_AFTER_CLAIM, FILE,                                          \
      "the input changed in work/ after its claim; the change is never applied") \
    X(FILE_CREDIT_TOTAL, FILE,                                                 \
      "NACHA: the file control's total credit amount differs from the file")   \
    X(FILE_DEBIT_TOTAL, FILE,                                                  \
      "NACHA: the file control's total debit amount differs from the file")    \
    X(FILE_ENTRY_COUNT, FILE,                                                  \
      "NACHA: the file control's entry and addenda count differs from the "    \
      "file")                                                                  \
    X(FILE_ENTRY_HASH, FILE,                                                   \
      "NACHA: the file control's entry hash differs from the file")            \
    X(FILE_ID_MODIFIER, FILE, "NACHA: the file ID modifier is not A-Z or 0-9") \
    X(FILE_NOT_FOUND, RUN, "a configuration file does not exist")              \
    X(FORMAT_CODE, FILE, "NACHA: the file header's format code is not 1")      \
    X(HEADER_BAD_UTF8, FILE,                                                   \
      "CSV: a column name is not UTF-8 text on one line")                      \
    X(HEADER_DUPLICATE_COLUMN, FILE,                                           \
      "CSV: two columns of the header are the same field of the layout")       \
    X(HEADER_UNKNOWN_COLUMN, FILE,                                             \
      "CSV: the header has a column the layout does not know or allow")        \
    X(IAT_ADDENDA, FILE,                                                       \
      "NACHA: an IAT entry lacks one of its mandatory addenda 10 to 16, "      \
      "or has one twice")                                                      \
    X(IAT_HEADER, FILE,                                                        \
      "NACHA: an IAT batch header's exchange indicators, country or "          \
      "currency codes are not valid")                                          \
    X(ILLEGAL_ELIGIBILITY_CHANGE, RECORD,                                      \
      "the EWA eligibility table does not allow that change")                  \
    X(ILLEGAL_TRANSITION, RECORD,                                              \
      "the transaction's state machine does not allow that change")            \
    X(INI_LINE_TOO_LONG, RUN, "a line of an INI file is too long")             \
    X(INI_SYNTAX, RUN,                                                         \
      "a line of an INI file is not a section, a key = value or a comment")    \
    X(INPUT_CHANGED, RUN,                                                      \
      "the input changed while a pass copied it (still being written?); it "   \
      "is retried next pass")                                                  \
    X(INTERRUPTED, RUN,                                                        \
      "a stop was asked; the work resumes from its last checkpoint")           \
    X(INVALID_CHARACTER, FILE, "NACHA: a byte outside 0x20 to 0x7E")           \
    X(IO_ERROR, RUN, "an I/O error (the message says which call and file)")    \
    X(ISO_AMOUNT, FILE,                                                        \
      "ISO 20022: an InstdAmt or its Ccy is not a positive amount with the currency's decimals") \
    X(ISO_AMOUNT_EQUIVALENT, FILE,                                             \
      "ISO 20022: an Amt given as EqvtAmt, refused (payspool pays the instructed amount, InstdAmt, only)") \
    X(ISO_CREDITOR_UNIDENTIFIED, RECORD,                                       \
      "ISO 20022: a creditor has neither a private or organisation identification nor a USABA routing and account number") \
    X(ISO_CTRL_SUM, FILE,                                                      \
      "ISO 20022: a GrpHdr or PmtInf CtrlSum differs from the sum of its amounts") \
    X(ISO_DATE, FILE,                                                          \
      "ISO 20022: a date or date-time is not an ISODate or ISODateTime")       \
    X(ISO_DOCTYPE, FILE,                                                       \
      "ISO 20022: a DOCTYPE or entity declaration, refused (no DTD, no entity expanded)") \
    X(ISO_ELEMENT_MISSING, FILE, "ISO 20022: a required element is missing")   \
    X(ISO_ELEMENT_ORDER, FILE,                                                 \
      "ISO 20022: an element is out of the schema's order")                    \
    X(ISO_ELEMENT_UNEXPECTED, FILE,                                            \
      "ISO 20022: an element the schema does not allow there, or too many of it") \
    X(ISO_NAMESPACE, FILE,                                                     \
      "ISO 20022: a message or namespace payspool does not read")              \
    X(ISO_NB_OF_TXS, FILE,                                                     \
      "ISO 20022: a GrpHdr or PmtInf NbOfTxs differs from its transactions")   \
    X(ISO_TEXT, FILE,                                                          \
      "ISO 20022: a text breaks its type (Max35Text length, code values, digits)") \
    X(ISO_TOO_DEEP, FILE,                                                      \
      "ISO 20022: elements nest deeper than payspool reads")                   \
    X(ISO_XML_MALFORMED, FILE,                                                 \
      "ISO 20022: the document is not well-formed XML")                        \
    X(JOBS_DIR_NOT_FOUND, RUN,                                                 \
      "the jobs folder named by --jobs or PAYSPOOL_JOBS does not exist")       \
    X(JOBS_DIR_UNREADABLE, RUN, "the jobs folder cannot be read")              \
    X(JOB_AFTER, RUN, "a job's after names more than one job")                 \
    X(JOB_AFTER_CYCLE, RUN, "a job depends on itself through after")           \
    X(JOB_AFTER_UNKNOWN, RUN, "a job runs after a job that does not exist")    \
    X(JOB_CALENDAR, RUN, "a job's calendar is not banking-days or all-days")   \
    X(JOB_CATCH_UP, RUN, "a job's catch_up is not run or skip")                \
    X(JOB_CATCH_UP_DAYS, RUN, "a job's catch_up_days is not 0 to 31")          \
    X(JOB_DUPLICATE, RUN, "two job files define the same job")                 \
    X(JOB_MISSING_KEY, RUN, "a job file lacks a required key")                 \
    X(JOB_NAME, RUN, "a job name is not 1 to 63 of a-z, 0-9, - and _")         \
    X(JOB_NOT_FOUND, RUN, "no job of that name")                               \
    X(JOB_NO_STEPS, RUN, "a job names no step")                                \
    X(JOB_SECTION, RUN, "a job file has a section other than [job]")           \
    X(JOB_TOO_MANY_STEPS, RUN, "a job names too many steps")                   \
    X(JOB_UNKNOWN_KEY, RUN, "a job file has a key payspool does not know")     \
    X(JOB_UNKNOWN_STEP, RUN, "a job names a step payspool does not know")      \
    X(JOB_VALUE_TOO_LONG, RUN, "a value in a job file is too long")            \
    X(KEYS_REQUIRED, RUN, "the work needs the key file and none was given")    \
    X(KEY_DERIVE, RUN, "subkeys cannot be derived from the key file")          \
    X(KEY_FILE_MODE, RUN,                                                      \
      "the key file is readable by group or others (chmod 600)")               \
    X(KEY_FILE_SIZE, RUN, "the key file has the wrong size")                   \
    X(KEY_FILE_SYMLINK, RUN, "the key file is a symbolic link")                \
    X(KEY_FILE_TYPE, RUN, "the key file is not a regular file")                \
    X(LAYOUT_DIR, RUN,                                                         \
      "a CSV layout file or folder cannot be read, or holds too many layouts") \
    X(LAYOUT_DUPLICATE, RUN, "two CSV layout files define the same layout")    \
    X(LAYOUT_KEY, RUN, "a CSV layout has an unknown or repeated key")          \
    X(LAYOUT_MISSING, RUN, "a CSV layout lacks a required section or key")     \
    X(LAYOUT_SECTION, RUN,                                                     \
      "a CSV layout has a bad, repeated or misplaced section")                 \
    X(LAYOUT_SYNTAX, RUN, "a CSV layout has a line that is not valid INI")     \
    X(LAYOUT_VALUE, RUN, "a CSV layout has a bad value")                       \
    X(LEDGER_UNBALANCED, RUN,                                                  \
      "a transaction's ledger legs do not balance (a bug): it is not "        \
      "committed")                                                             \
    X(LEDGER_VERIFY_DIFFERENCE, RUN,                                           \
      "ledger verify: a balance recomputed from the ledger's rows differs "    \
      "from the stored one")                                                   \
    X(LINE_TOO_LONG, FILE,                                                     \
      "a line of the input is longer than payspool reads")                     \
    X(LINX_ACTIVITIES, RECORD,                                                 \
      "a LinX request's activities are missing, unknown, repeated or out "    \
      "of order")                                                              \
    X(LINX_ACTIVITY_FAILED, RECORD,                                            \
      "an activity of the LinX request failed: nothing of the request was "   \
      "applied and it is FAILED")                                              \
    X(LINX_ANSWER, RECORD,                                                     \
      "a gateway answer line is not a JSON object with a known decision")     \
    X(LINX_DECLINE_REASON, RECORD,                                             \
      "a LinX decline needs a predefined reason or printable free text")       \
    X(LINX_DOCUMENT_UNKNOWN, RECORD,                                           \
      "the document (id and version) is not registered by the business")      \
    X(LINX_EXPIRED, RECORD,                                                    \
      "the LinX request's link has expired")                                   \
    X(LINX_EXPIRY, RECORD,                                                     \
      "a LinX expiry must be a time later than now and than the current one") \
    X(LINX_GATEWAY_URL, RUN,                                                   \
      "the business has no LinX gateway URL (payspool business set)")         \
    X(LINX_ILLEGAL_TRANSITION, RECORD,                                         \
      "the LinX request state machine does not allow that change")             \
    X(LINX_NOT_ACTIVE, RECORD,                                                 \
      "the LinX request is no longer active (completed, declined, expired, "   \
      "cancelled or failed)")                                                  \
    X(LINX_TEMPLATE, RUN,                                                      \
      "a LinX template file is not valid (section, keys, values)")            \
    X(LINX_TEMPLATE_UNKNOWN, RECORD, "no LinX template has that name")        \
    X(LINX_TOKEN_UNKNOWN, RECORD, "no LinX request has this token")           \
    X(LOOKS_LIKE_CARD_NUMBER, RECORD,                                          \
      "a money field's digits form a card number (Luhn-valid, 13 to 19 "       \
      "digits): refused, never stored")                                        \
    X(MANDATORY_FIELD, FILE, "NACHA: a mandatory field is blank")              \
    X(METRICS_QUERY, RUN, "an unknown metrics query (a bug)")                  \
    X(MISSING_BATCH_CONTROL, FILE,                                             \
      "NACHA: a batch ends without its batch control (8) record")              \
    X(MISSING_FILE_CONTROL, FILE,                                              \
      "NACHA: the file ends without a file control (9) record")                \
    X(MISSING_FILE_HEADER, FILE,                                               \
      "NACHA: the file does not start with a file header (1) record")          \
    X(MISSING_NUMBER, RUN,                                                     \
      "command line: a number expected on standard input is missing")          \
    X(MISSING_OPTION, RUN, "command line: a required option is missing")       \
    X(MOBILE_FORMAT, RECORD,                                                   \
      "a mobile number is not E.164 (+, then 8 to 15 digits, the first not "   \
      "0)")                                                                    \
    X(MONEY_BLANK, RECORD, "the amount is blank")                              \
    X(MONEY_EXPONENT, RECORD, "the amount uses exponent notation (1e3)")       \
    X(MONEY_FORMAT, RECORD,                                                    \
      "the amount is not a decimal number (1,000 or .5 or 5. or spaces)")      \
    X(MONEY_NEGATIVE_ZERO, RECORD, "the amount is -0")                         \
    X(MONEY_OVERFLOW, RECORD,                                                  \
      "the amount, or a sum of amounts, is out of range")                      \
    X(MONEY_SIGN, RECORD,                                                      \
      "the amount has a sign it may not have (a leading + or a minus where "   \
      "negatives are refused)")                                                \
    X(MONEY_TOO_MANY_DECIMALS, RECORD,                                         \
      "the amount has more decimals than its currency allows")                 \
    X(NACHA_ACCOUNT, RUN,                                                      \
      "NACHA writer: an entry's account number is empty or not printable")     \
    X(NACHA_ADDENDA, RUN, "NACHA writer: an entry's addenda are not valid")    \
    X(NACHA_AMOUNT, RUN,                                                       \
      "NACHA writer: an entry's amount is out of range for its kind")          \
    X(NACHA_COMPANY_ID, RUN,                                                   \
      "NACHA writer: the company ID is empty or not printable")                \
    X(NACHA_COMPANY_NAME, RUN, "NACHA writer: the company name is empty")      \
    X(NACHA_CREATION_DATE, RUN,                                                \
      "NACHA writer: the creation date is not a date in 2000-2099")            \
    X(NACHA_CREATION_TIME, RUN, "NACHA writer: the creation time is not HHMM") \
    X(NACHA_EFFECTIVE_DATE, RUN,                                               \
      "NACHA writer: an entry's effective date is empty or not a date")        \
    X(NACHA_ENTRY_DESCRIPTION, RUN,                                            \
      "NACHA writer: the company entry description is empty")                  \
    X(NACHA_FILE_ID_EXHAUSTED, RUN,                                            \
      "the business has sent 36 NACHA files for the day: no File ID Modifier " \
      "(A-Z, 0-9) is left")                                                    \
    X(NACHA_FILE_ID_MODIFIER, RUN,                                             \
      "NACHA writer: the file ID modifier is not A-Z or 0-9")                  \
    X(NACHA_FILE_TOO_LARGE, RUN,                                               \
      "NACHA writer: the entries do not fit one file's counters; split them")  \
    X(NACHA_IMMEDIATE_ORIGIN, RUN,                                             \
      "NACHA writer: the immediate origin is neither 9 digits nor 10 "         \
      "printable characters")                                                  \
    X(NACHA_INDIVIDUAL_NAME, RUN,                                              \
      "NACHA writer: an entry's receiver name is empty")                       \
    X(NACHA_LAYOUT, RUN,                                                       \
      "NACHA writer: the file written differs from its plan (a bug)")          \
    X(NACHA_LENIENT_UNKNOWN, RUN,                                              \
      "the configuration names a NACHA lenient option payspool does not know") \
    X(NACHA_OUTPUT_DETAIL, RUN,                                                \
      "a recorded NACHA output file cannot be read back")                      \
    X(NACHA_OUTPUT_ITEMS, RUN,                                                 \
      "a recorded NACHA output file's entries cannot all be read back")        \
    X(NACHA_PRENOTE_AMOUNT, RUN,                                               \
      "NACHA writer: a prenote or zero-dollar entry has an amount")            \
    X(NACHA_PROBLEMS, FILE,                                                    \
      "NACHA: the file has problems (the list could not be kept)")             \
    X(NACHA_REGENERATE_MISMATCH, RUN,                                          \
      "a NACHA file regenerated after a crash differs from the one recorded; " \
      "not written")                                                           \
    X(NACHA_ROUTING_NUMBER, RUN,                                               \
      "NACHA writer: a routing number is not the right number of digits")      \
    X(NACHA_SEC_CODE, RUN,                                                     \
      "NACHA writer: an SEC code the writer does not lay out")                 \
    X(NACHA_TOTAL_OVERFLOW, RUN,                                               \
      "NACHA writer: the file's totals pass the 12-digit control fields")      \
    X(NACHA_TRACE_EXHAUSTED, RUN,                                              \
      "the business has used every trace sequence number with its ODFI")       \
    X(NACHA_TRACE_START, RUN,                                                  \
      "NACHA writer: the first trace sequence is outside 1..9999999")          \
    X(NACHA_TRANSACTION_CODE, RUN,                                             \
      "NACHA writer: a transaction code not allowed in its batch")             \
    X(NACHA_WEB_PAYMENT_TYPE, RUN,                                             \
      "NACHA writer: a WEB entry needs payment type R or S")                   \
    X(NAME_EXHAUSTED, RUN, "no free file name is left in a spool folder")      \
    X(NAME_TOO_LONG, FILE,                                                     \
      "the input file name is too long; the input goes to failed/")            \
    X(NET_EXCEEDS_GROSS, RECORD, "net pay is more than gross pay")             \
    X(NOC_ACCOUNT_KIND, RECORD,                                                \
      "a notification of change names a card, not a bank account")             \
    X(NOC_AMOUNT, FILE, "NACHA: a notification of change is not $0")           \
    X(NOC_CODE, RECORD,                                                        \
      "a notification of change has a bad or refused change code")             \
    X(NOC_DATA, RECORD,                                                        \
      "a notification of change's corrected data is not valid")                \
    X(NON_ASCII, RECORD, "pstest: a byte outside ASCII")                       \
    X(NON_NUMERIC, FILE,                                                       \
      "NACHA: a numeric field holds something other than digits")              \
    X(NOTHING_APPLIED, FILE,                                                   \
      "no document of the input could be applied; the input goes to failed/")  \
    X(NOT_AN_INDIVIDUAL, RECORD,                                               \
      "the customer is a BUSINESS customer, not an individual")                \
    X(NOT_A_BANKING_DAY, RUN,                                                  \
      "the job runs on banking days and the date is not one")                  \
    X(NOT_A_PROVIDER_ANSWER, FILE,                                             \
      "a provider folder held something other than a provider answer")         \
    X(NOT_A_SANDBOX, RUN,                                                      \
      "the spool is not configured as a sandbox ([spool] sandbox = yes)")      \
    X(NOT_ELIGIBLE, RECORD, "the EWA profile is not ELIGIBLE")                 \
    X(NOT_ENROLLED, RECORD, "the EWA profile is not enrolled")                 \
    X(NOT_FOUND, RECORD, "the row asked for does not exist")                   \
    X(NOT_INITIALISED, RUN, "no database: run payspool init first")            \
    X(NOT_IN_BUSINESS, RECORD,                                                 \
      "customer, account and program are not all of the profile's business")   \
    X(NOT_NACHA, FILE,                                                         \
      "not a NACHA file: the first record is of no NACHA record type")         \
    X(NOT_REGULAR_FILE, FILE,                                                  \
      "the input is a symbolic link, a folder or another non-regular file")    \
    X(NOT_RETRYABLE, RUN,                                                      \
      "files retry: the document was not rejected whole, was retried "         \
      "already, or its content was applied since")                             \
    X(NO_ACCOUNT, RUN, "the customer has no active financial account")         \
    X(NO_ACTIVE_ACCOUNT, RECORD,                                               \
      "the customer has no active financial account")                          \
    X(NO_DEBIT_AUTHORIZATION, RECORD,                                          \
      "the account has no active debit authorization")                         \
    X(NO_FREE_OPTION, RUN, "an EWA program needs at least one free rail")      \
    X(NO_KEY_FILE, RUN,                                                        \
      "adding or reading an account number needs the key file")                \
    X(NO_MEMORY, RUN, "out of memory")                                         \
    X(NO_SCAN, RUN,                                                            \
      "health: no scan of the spool has been recorded yet")                    \
    X(NO_TRANSACTION, RUN,                                                     \
      "a store commit or rollback without a transaction (a bug)")              \
    X(NUL_BYTE, FILE, "a line of the input contains a NUL byte")               \
    X(NUMBER_RANGE, RUN, "command line: a number is out of range")             \
    X(NUMBER_TOO_LONG, RECORD, "the account number is too long")               \
    X(ORPHAN_ROWS, RUN,                                                        \
      "ledger balance: rows whose parent row is missing")                      \
    X(OUTFILE_REGENERATE_MISMATCH, RUN,                                        \
      "an outbound file on disk differs from the sha256 recorded for it")      \
    X(OUTPUT_DIR, RUN,                                                         \
      "an output folder does not exist, is a symbolic link or is not a "       \
      "folder")                                                                \
    X(OUTPUT_EXISTS, RUN,                                                      \
      "an output file already exists; it is not overwritten")                  \
    X(OUTPUT_FAILED, RUN, "an earlier write to the output failed")             \
    X(OUTPUT_FORMAT, RUN, "an output line cannot be formatted")                \
    X(OUTPUT_MISSING, RUN, "an output file that should exist does not")        \
    X(OUTPUT_MODE, RUN,                                                        \
      "an output file mode has bits other than permissions (a bug)")           \
    X(OUTPUT_NAME, RUN, "an output file name is too long or not valid")        \
    X(OUTPUT_NOT_FILE, RUN, "an output is not a regular file")                 \
    X(OUTSIDE_ENROLLMENT_WINDOW, RECORD,                                       \
      "the date is outside the EWA profile's enrollment window")               \
    X(OUT_OF_MEMORY, RUN, "out of memory (NACHA writer)")                      \
    X(OVER_AVAILABLE_WAGES, RECORD,                                            \
      "the amount is more than the earned wages available")                    \
    X(OVER_MAX_OUTSTANDING, RECORD,                                            \
      "with its fee the amount would pass the maximum outstanding")            \
    X(OVER_PERIOD_CAP, RECORD, "the amount would pass the pay-period cap")     \
    X(OVER_TRANSFER_LIMIT, RECORD,                                             \
      "the amount is above the per-transfer maximum")                          \
    X(PAGE_RANGE, RUN, "a page number or page size is out of range")           \
    X(PARENT_NOT_FOUND, RUN, "the parent business does not exist")             \
    X(PATH, RUN, "a spool path is not valid")                                  \
    X(PATH_TOO_LONG, RUN, "a path is too long")                                \
    X(PAYOUT_FILE_FORMAT, FILE,                                                \
      "a provider file is not valid CSV of the expected shape")                \
    X(PAYOUT_ITEMS, RUN, "a payout file's items cannot all be read back")      \
    X(PAYOUT_LINE_TOO_LONG, RUN, "a payout line is too long (a bug)")          \
    X(PAYOUT_REGENERATE_MISMATCH, RUN,                                         \
      "a payout file regenerated after a crash differs from the one "          \
      "recorded; not written")                                                 \
    X(PAYOUT_SEQUENCE_EXHAUSTED, RUN,                                          \
      "the business has used every payout file number for the day")            \
    X(PAYOUT_TOO_MANY_CURRENCIES, RUN,                                         \
      "a payout file would hold too many currencies")                          \
    X(PERIOD_ENDS_BEFORE_START, RECORD, "period_end is before period_start")   \
    X(PHONE_FORMAT, RECORD, "the phone number is not E.164")                   \
    X(PRENOTE_AMOUNT, FILE,                                                    \
      "NACHA: a prenote or zero-dollar entry has an amount")                   \
    X(PRIMARY_CONTACT, RECORD,                                                 \
      "a BUSINESS customer needs exactly one primary contact")                 \
    X(PROFILE_EXISTS, RECORD,                                                  \
      "an EWA profile with that externalId already exists in the business")    \
    X(PROFILE_NOT_FOUND, RECORD,                                               \
      "no EWA profile with that externalId in the business")                   \
    X(PROGRAM_EXISTS, RUN,                                                     \
      "a program of that name already exists in the business")                 \
    X(PROGRAM_LIMIT, RUN, "an EWA program limit is out of range")              \
    X(PROGRAM_MISSING, RECORD,                                                 \
      "the EWA profile's program is not in its business")                      \
    X(PROGRAM_NOT_FOUND, RECORD,                                               \
      "no EWA program of that name in the business")                           \
    X(PROGRAM_SUSPENDED, RECORD, "the EWA program is SUSPENDED")               \
    X(PSTEST_AFTER_TOTAL, FILE, "pstest: a line after the TOTAL trailer")      \
    X(PSTEST_BATCH, FILE,                                                      \
      "pstest: a BATCH line that is malformed, repeated or after the first "   \
      "SEND")                                                                  \
    X(PSTEST_HEADER, FILE, "pstest: the header line is missing or wrong")      \
    X(PSTEST_RECORD, RECORD,                                                   \
      "pstest: a line that is not SEND with a request id, externalId, amount " \
      "and currency")                                                          \
    X(PSTEST_TOTAL, FILE, "pstest: the TOTAL trailer is malformed")            \
    X(PURPOSE_TYPE_MISMATCH, RECORD,                                           \
      "an EWA disbursement must be a SEND and a recovery a DEBIT")             \
    X(RAIL_NOT_AVAILABLE, RECORD,                                              \
      "the rail asked for is not the one the EWA account takes")               \
    X(RAIL_UNKNOWN, RECORD, "the rail is not CARD or ACH")                     \
    X(REASON_REQUIRED, RECORD, "an eligibility change needs a reason")         \
    X(RECON_ARGS, RUN,                                                         \
      "reconciliation was called without what it needs (a bug)")               \
    X(RECON_FILE_DATE, RUN,                                                    \
      "a recorded outbound file has a business date that is not YYYY-MM-DD")   \
    X(RECON_QUERY, RUN, "an unknown reconciliation query (a bug)")             \
    X(RECON_STATE, RUN,                                                        \
      "the last reconciliation state of a business (metrics) is unreadable")   \
    X(RECORD_EXTRA_BLANKS, FILE,                                               \
      "NACHA (WARNING): a line is longer than 94 characters by blanks "        \
      "only; read as its first 94")                                            \
    X(RECORD_LENGTH, FILE, "NACHA: a record is not 94 characters")             \
    X(RECORD_ORDER, FILE, "NACHA: a record is out of order")                   \
    X(RECORD_SIZE, FILE, "NACHA: the file header's record size is not 094")    \
    X(RECORD_TOO_LONG, FILE, "CSV: a record is longer than payspool reads")    \
    X(RECORD_TRIMMED, FILE,                                                    \
      "NACHA (WARNING): a line is shorter than 94 characters, its "            \
      "trailing blanks stripped; read space-padded")                           \
    X(RECORD_TYPE, FILE, "NACHA: a record type is not 1, 5, 6, 7, 8 or 9")     \
    X(RECOVERY_STOPPED, RECORD,                                                \
      "the EWA profile is BAD_DEBT: nothing is recovered; the deduction is "   \
      "owed back to the employee")                                             \
    X(REQUEST_ID_FORMAT, RECORD,                                               \
      "the request id is longer than 64 characters or holds spaces or "        \
      "control characters")                                                    \
    X(RERUN_NEEDS_REASON, RUN, "a job rerun needs --reason")                   \
    X(RESULT_TRUNCATED, RUN,                                                   \
      "a result file is shorter than its checkpoint; resuming is refused")     \
    X(RETENTION_NOT_SET, RUN,                                                  \
      "archive prune: no retention given (--older-than DAYS or [spool] "      \
      "archive_retention_days), or one under a day")                          \
    X(RETURN_AMOUNT_MISMATCH, RECORD,                                          \
      "an ACH return's amount differs from the transaction's")                 \
    X(RETURN_CODE, FILE,                                                       \
      "a return reason code is malformed or not one NACHA defines")            \
    X(RETURN_CODE_EVENT, RECORD,                                               \
      "a return code goes with RETURN, DECLINE or REVERSE only")               \
    X(RETURN_CODE_RAIL, RECORD,                                                \
      "a return code on a transaction not on the ACH rail")                    \
    X(RETURN_DATE, FILE,                                                       \
      "NACHA: a return's date of death or date returned is not a valid date")  \
    X(RETURN_DATE_BLANK, FILE,                                                 \
      "NACHA (WARNING): a contested dishonored return's date returned is "     \
      "blank")                                                                 \
    X(RETURN_DISHONORED, RECORD,                                               \
      "a dishonored return answers a return payspool never sent")              \
    X(ROUTING_FORMAT, RECORD, "the routing number is not exactly 9 digits")    \
    X(RUN_COMPLETED, RUN,                                                      \
      "the job already completed for that date; use --rerun --reason")         \
    X(RUN_IN_PROGRESS, RUN, "the job is already running for that date")        \
    X(SCAN_STATE, RUN,                                                         \
      "the scan heartbeat (metrics/scan.json) is unreadable")                  \
    X(SCAN_TOO_OLD, RUN,                                                       \
      "health: the last scan of the spool is older than max_scan_age")          \
    X(SCC_TRANSACTION_CODE, FILE,                                              \
      "NACHA: a transaction code the batch's service class does not allow")    \
    X(SCHEMA_TOO_NEW, RUN, "the database was written by a newer payspool")     \
    X(SEALED_TOO_LONG, RUN,                                                    \
      "a sealed account number in the store is too long (damaged data)")       \
    X(SEAL_FAILED, RUN, "an account number cannot be encrypted")               \
    X(SEAL_TOO_LARGE, RUN, "a value is too large to encrypt")                  \
    X(SEC_CODE, FILE,                                                          \
      "NACHA: a standard entry class code NACHA does not define")              \
    X(SEC_TRANSACTION_CODE, FILE,                                              \
      "NACHA: a transaction code the batch's SEC code does not allow")         \
    X(SERVICE_CLASS_CODE, FILE,                                                \
      "NACHA: a service class code that is not 200, 220, 225 or 280")          \
    X(SPILL_CORRUPT, RUN,                                                      \
      "the records a check pass kept do not read back (an internal error)")    \
    X(STATE_CHANGED, RECORD,                                                   \
      "the row changed under the update (another writer got there first)")     \
    X(STATUS_UNCHANGED, RECORD,                                                \
      "the customer or account already has that status")                       \
    X(STORE_ERROR, RUN, "a database error (the message has SQLite's)")         \
    X(STORE_GONE, RUN,                                                         \
      "the database file was deleted or replaced while open; the run stops")   \
    X(STORE_OPEN, RUN, "the database cannot be opened")                        \
    X(SYSTEM_INIT, RUN,                                                        \
      "init --system: not run as root, or the payspool user cannot be made")   \
    X(TEXT_ENCODING, RECORD,                                                   \
      "the text is not UTF-8 or holds control characters")                     \
    X(TEXT_LENGTH, RECORD, "the text is too short or too long")                \
    X(TIME_FORMAT, RECORD, "the time is missing or not a valid timestamp")     \
    X(TOKEN_FAILED, RUN,                                                       \
      "an account number's lookup token cannot be computed")                   \
    X(TOO_MANY_EXPORTS, RUN, "999 exports of the business today already")      \
    X(TOO_MANY_REPORTS, RUN,                                                   \
      "999 reconciliation reports of the business for the day already")        \
    X(TRACE_DUPLICATE, FILE,                                                   \
      "NACHA: a trace number is used twice in the file")                       \
    X(TRACE_DUPLICATE_FILE, FILE,                                              \
      "NACHA (WARNING): a trace number was used in an earlier batch of "       \
      "the file")                                                              \
    X(TRACE_ORDER, FILE, "NACHA: trace numbers do not ascend in a batch")      \
    X(TRACE_ORDER_FILE, FILE,                                                  \
      "NACHA (WARNING): trace numbers restart below an earlier batch's")       \
    X(TRANSACTION_CODE, FILE,                                                  \
      "NACHA: a transaction code that is not valid or not allowed here")       \
    X(TRIAL_BALANCE_NOT_ZERO, RUN,                                             \
      "the ledger's trial balance is not zero (reconciliation fails)")         \
    X(UNDER_TRANSFER_MINIMUM, RECORD,                                          \
      "the amount is below the per-transfer minimum")                          \
    X(UNKNOWN_EVENT, RUN, "an unknown transaction event (a bug)")              \
    X(UNKNOWN_RECORD_KIND, RECORD,                                             \
      "records of that kind are not applied by payspool")                      \
    X(UNKNOWN_REFERENCE, RECORD,                                               \
      "no transaction with that reference in the business")                    \
    X(UNKNOWN_TRACE, RECORD,                                                   \
      "no ACH transaction of the business has that trace number")              \
    X(UNRECOGNIZED_FORMAT, FILE, "no format reader recognised the document")   \
    X(UNWRAP_ABSOLUTE_PATH, FILE, "an archive member has an absolute path")    \
    X(UNWRAP_CORRUPT, FILE, "an archive or compressed stream is damaged")      \
    X(UNWRAP_DOTDOT, FILE, "an archive member's path has a .. component")      \
    X(UNWRAP_LIMITS, RUN, "the unwrap limits configured are out of range")     \
    X(UNWRAP_LINK, FILE, "an archive member is a link")                        \
    X(UNWRAP_RATIO, FILE,                                                      \
      "the input decompresses far beyond its size (a zip bomb?)")              \
    X(UNWRAP_SPECIAL, FILE, "an archive member is a device, FIFO or socket")   \
    X(UNWRAP_TOO_DEEP, FILE, "archives or compressions nested too deep")       \
    X(UNWRAP_TOO_LARGE, FILE, "the input decompresses to more than the limit") \
    X(UNWRAP_TOO_MANY, FILE, "an archive has more members than the limit")     \
    X(USAGE, RUN,                                                              \
      "command line: an unknown command, subcommand or option, or a missing "  \
      "or extra argument (exit 64)")                                           \
    X(WEBHOOK_SECRET, RUN,                                                     \
      "a webhook secret is not whsec_ and the base64 of 24 to 64 key bytes")  \
    X(WEB_PAYMENT_TYPE, FILE,                                                  \
      "NACHA: a WEB entry's payment type is not R or S")                       \
    X(WEB_PAYMENT_TYPE_BLANK, FILE,                                            \
      "NACHA (WARNING): a WEB entry's payment type is blank")                  \
    X(WRONG_CURRENCY, RECORD, "the currency is not the EWA program's")

/*
 * PS_CODE_<NAME> for each row, in table order.  PS_CODE_NONE (0) is "no
 * rule" (a cleared or zeroed struct ps_err); PS_CODE_UNKNOWN a rule
 * missing from the table, which only a release build lets through.
 */
/* clang-format off */
enum ps_code {
    PS_CODE_NONE = 0,
#define PS_CODE_ENUM_(name, scope, meaning) PS_CODE_##name,
    PS_CODE_LIST(PS_CODE_ENUM_)
#undef PS_CODE_ENUM_
    PS_CODE_UNKNOWN
};
/* clang-format on */

/* One row of the table. */
struct ps_code_info {
    const char *name;         /* "ABA_CHECK_DIGIT" */
    enum ps_code id;          /* PS_CODE_ABA_CHECK_DIGIT */
    enum ps_code_scope scope; /* who pays for the error */
    const char *meaning;      /* one line, for an operator */
};

/* The number of rows (PS_CODE_UNKNOWN - 1). */
size_t ps_code_count(void);

/* Row i (0 <= i < ps_code_count(), sorted by name), or NULL.  The row
 * is static: never freed. */
const struct ps_code_info *ps_code_at(size_t i);

/* The row of id, or NULL for PS_CODE_NONE, PS_CODE_UNKNOWN or a value out
 * of range. */
const struct ps_code_info *ps_code_info(enum ps_code id);

/* The id of a rule name (binary search): PS_CODE_NONE for NULL or "",
 * PS_CODE_UNKNOWN for a name not in the table. */
enum ps_code ps_code_find(const char *name);

/* The name of id: "" for PS_CODE_NONE, "UNKNOWN" for PS_CODE_UNKNOWN or a
 * value out of range.  Static. */
const char *ps_code_name(enum ps_code id);

/* "record", "file" or "run" ("?" for a value out of range). */
const char *ps_code_scope_name(enum ps_code_scope scope);

/*
 * The table for `payspool codes`: as text, one row a line
 * ("NAME  SCOPE  meaning", the names padded to one width), or as a JSON
 * array of {"code": NAME, "scope": "record"|"file"|"run", "meaning": ...}
 * followed by a newline.  0, or -1 with errno set (a write failed, or
 * ENOMEM) as stdio does: this module stands below err.h, so the caller
 * makes the struct ps_err (ps_err_sys(err, errno, ...)).  The caller owns
 * `out` and flushes or closes it.
 */
int ps_code_write_text(FILE *out);
int ps_code_write_json(FILE *out);

#endif /* PS_CODES_H */
