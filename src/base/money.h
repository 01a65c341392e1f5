/*
 * money.h -- exact decimal amounts as int64_t minor units, ISO 4217 codes.
 *
 * No floating point.  A decimal string is parsed digit by digit into a count
 * of minor units of a currency whose exponent is known (USD 2, JPY 0, BHD 3,
 * CLF 4).  Each way a string can be wrong has its own error rule so a result
 * file can say exactly what was wrong:
 *
 *   MONEY_BLANK            "" or only spaces
 *   MONEY_SIGN             leading '+', or '-' where negatives are not allowed
 *   MONEY_NEGATIVE_ZERO    "-0", "-0.00"
 *   MONEY_EXPONENT         "1e3", "1E-2"
 *   MONEY_TOO_MANY_DECIMALS "12.345" for USD, "5.0" for JPY
 *   MONEY_OVERFLOW         more than INT64_MAX minor units
 *   MONEY_FORMAT           anything else: "1,000", " 5", "5.", ".5", "1.2.3"
 *   LOOKS_LIKE_CARD_NUMBER with PS_MONEY_NOT_A_CARD: its digits are a
 *                          Luhn-valid 13..19 digit number ("4111111111111111"),
 *                          checked first, never quoted
 */
#ifndef PS_MONEY_H
#define PS_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct ps_currency {
    char code[4]; /* ISO 4217 alphabetic code, e.g. "USD" */
    int number;   /* ISO 4217 numeric code, e.g. 840 */
    int exponent; /* minor unit digits: 0..4 */
};

/* Flags for ps_money_parse(). */
#define PS_MONEY_ALLOW_NEGATIVE 0x1
/* Refuse, first and without quoting it, a value whose digits are a card
 * number (ps_money_looks_like_card): LOOKS_LIKE_CARD_NUMBER.  For the
 * money fields of input records, where a shifted column would otherwise
 * put a card number into the database. */
#define PS_MONEY_NOT_A_CARD 0x2

/* Longest string ps_money_format() writes, with the NUL. */
#define PS_MONEY_STRMAX 32

/*
 * Look up an active ISO 4217 currency by its alphabetic code (exactly three
 * upper-case letters).  Returns a pointer into a static table, or NULL.
 */
const struct ps_currency *ps_currency_find(const char *code);

/* As ps_currency_find() but fills err (rule CURRENCY_UNKNOWN) when absent. */
int ps_currency_lookup(const char *code, const struct ps_currency **out,
                       struct ps_err *err);

/*
 * 1 when the digits of s (len bytes; every other byte ignored, leading
 * zeros dropped) are 13 to 19 and pass the Luhn check: a card number, not
 * an amount.  ps_money_parse() with PS_MONEY_NOT_A_CARD refuses such a
 * value first, as LOOKS_LIKE_CARD_NUMBER, with a message that does not
 * quote it.
 */
int ps_money_looks_like_card(const char *s, size_t len);

/*
 * Parse `len` bytes of `s` (not necessarily NUL-terminated) as a decimal
 * amount with at most `exponent` fraction digits.  On success stores the
 * amount in minor units in *out and returns 0; on failure returns PS_EINVAL
 * with err->rule one of the MONEY_* rules above and *out untouched.
 */
int ps_money_parse(const char *s, size_t len, int exponent, unsigned flags,
                   int64_t *out, struct ps_err *err);

/* Convenience: parse a NUL-terminated string in a currency by code. */
int ps_money_parse_cur(const char *s, const char *currency, unsigned flags,
                       int64_t *out, struct ps_err *err);

/*
 * Format minor units as a plain decimal string with exactly `exponent`
 * fraction digits: 1230,2 -> "12.30"; -5,0 -> "-5"; INT64_MIN works.
 * Writes at most size bytes; returns buf.
 */
const char *ps_money_format(int64_t minor, int exponent, char *buf,
                            size_t size);

/*
 * Checked arithmetic on minor units: return 0 and store the result, or
 * PS_EINVAL (rule MONEY_OVERFLOW) without touching *out.
 */
int ps_money_add(int64_t a, int64_t b, int64_t *out, struct ps_err *err);
int ps_money_sub(int64_t a, int64_t b, int64_t *out, struct ps_err *err);

#endif /* PS_MONEY_H */
