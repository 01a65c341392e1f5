/*
 * money.c -- exact decimal amounts in int64_t minor units; ISO 4217 table.
 *
 * Amounts are parsed digit by digit into an unsigned magnitude with an exact
 * bound check before every multiply-add, so there is no floating point and
 * no strtoll(): every way a string can be wrong gets its own rule (see
 * money.h), and the message quotes the offending input (escaped, truncated).
 *
 * How it fails: parse and the checked arithmetic return PS_EINVAL with a
 * MONEY_* rule; currency lookup returns PS_EINVAL with CURRENCY_UNKNOWN.  An
 * exponent outside 0..PS_MONEY_EXP_MAX is a caller bug: PS_EINTERNAL.
 * Nothing allocates; the currency table is static and read-only, so all of
 * this is thread-safe.
 */
#include "base/money.h"

#include "base/crypto.h"

#include <stdlib.h>
#include <string.h>

/*
 * Largest exponent the parser and formatter accept.  ISO 4217 uses 0..4,
 * but nothing here depends on that: 10^18 still fits in an int64_t.
 */
#define PS_MONEY_EXP_MAX 18

/* Input longer than this is shown truncated in error messages. */

/*
 * Active ISO 4217 currencies and funds that have a minor unit (list one,
 * as amended through 2025/2026: ZWG, XCG, XAD added; ANG, BGN, CUC, HRK,
 * SLL, ZWL withdrawn).  Codes without a minor unit ("N.A.": XAU, XAG, XPD,
 * XPT, XDR, XSU, XUA, XBA..XBD, XTS, XXX) are left out on purpose: an
 * amount in them cannot be expressed in minor units.
 *
 * MUST stay sorted by code: ps_currency_find() uses bsearch().
 */
static const struct ps_currency currencies[] = {
    {"AED", 784, 2}, {"AFN", 971, 2}, {"ALL", 8, 2},   {"AMD", 51, 2},
    {"AOA", 973, 2}, {"ARS", 32, 2},  {"AUD", 36, 2},  {"AWG", 533, 2},
    {"AZN", 944, 2}, {"BAM", 977, 2}, {"BBD", 52, 2},  {"BDT", 50, 2},
    {"BHD", 48, 3},  {"BIF", 108, 0}, {"BMD", 60, 2},  {"BND", 96, 2},
    {"BOB", 68, 2},  {"BOV", 984, 2}, {"BRL", 986, 2}, {"BSD", 44, 2},
    {"BTN", 64, 2},  {"BWP", 72, 2},  {"BYN", 933, 2}, {"BZD", 84, 2},
    {"CAD", 124, 2}, {"CDF", 976, 2}, {"CHE", 947, 2}, {"CHF", 756, 2},
    {"CHW", 948, 2}, {"CLF", 990, 4}, {"CLP", 152, 0}, {"CNY", 156, 2},
    {"COP", 170, 2}, {"COU", 970, 2}, {"CRC", 188, 2}, {"CUP", 192, 2},
    {"CVE", 132, 2}, {"CZK", 203, 2}, {"DJF", 262, 0}, {"DKK", 208, 2},
    {"DOP", 214, 2}, {"DZD", 12, 2},  {"EGP", 818, 2}, {"ERN", 232, 2},
    {"ETB", 230, 2}, {"EUR", 978, 2}, {"FJD", 242, 2}, {"FKP", 238, 2},
    {"GBP", 826, 2}, {"GEL", 981, 2}, {"GHS", 936, 2}, {"GIP", 292, 2},
    {"GMD", 270, 2}, {"GNF", 324, 0}, {"GTQ", 320, 2}, {"GYD", 328, 2},
    {"HKD", 344, 2}, {"HNL", 340, 2}, {"HTG", 332, 2}, {"HUF", 348, 2},
    {"IDR", 360, 2}, {"ILS", 376, 2}, {"INR", 356, 2}, {"IQD", 368, 3},
    {"IRR", 364, 2}, {"ISK", 352, 0}, {"JMD", 388, 2}, {"JOD", 400, 3},
    {"JPY", 392, 0}, {"KES", 404, 2}, {"KGS", 417, 2}, {"KHR", 116, 2},
    {"KMF", 174, 0}, {"KPW", 408, 2}, {"KRW", 410, 0}, {"KWD", 414, 3},
    {"KYD", 136, 2}, {"KZT", 398, 2}, {"LAK", 418, 2}, {"LBP", 422, 2},
    {"LKR", 144, 2}, {"LRD", 430, 2}, {"LSL", 426, 2}, {"LYD", 434, 3},
    {"MAD", 504, 2}, {"MDL", 498, 2}, {"MGA", 969, 2}, {"MKD", 807, 2},
    {"MMK", 104, 2}, {"MNT", 496, 2}, {"MOP", 446, 2}, {"MRU", 929, 2},
    {"MUR", 480, 2}, {"MVR", 462, 2}, {"MWK", 454, 2}, {"MXN", 484, 2},
    {"MXV", 979, 2}, {"MYR", 458, 2}, {"MZN", 943, 2}, {"NAD", 516, 2},
    {"NGN", 566, 2}, {"NIO", 558, 2}, {"NOK", 578, 2}, {"NPR", 524, 2},
    {"NZD", 554, 2}, {"OMR", 512, 3}, {"PAB", 590, 2}, {"PEN", 604, 2},
    {"PGK", 598, 2}, {"PHP", 608, 2}, {"PKR", 586, 2}, {"PLN", 985, 2},
    {"PYG", 600, 0}, {"QAR", 634, 2}, {"RON", 946, 2}, {"RSD", 941, 2},
    {"RUB", 643, 2}, {"RWF", 646, 0}, {"SAR", 682, 2}, {"SBD", 90, 2},
    {"SCR", 690, 2}, {"SDG", 938, 2}, {"SEK", 752, 2}, {"SGD", 702, 2},
    {"SHP", 654, 2}, {"SLE", 925, 2}, {"SOS", 706, 2}, {"SRD", 968, 2},
    {"SSP", 728, 2}, {"STN", 930, 2}, {"SVC", 222, 2}, {"SYP", 760, 2},
    {"SZL", 748, 2}, {"THB", 764, 2}, {"TJS", 972, 2}, {"TMT", 934, 2},
    {"TND", 788, 3}, {"TOP", 776, 2}, {"TRY", 949, 2}, {"TTD", 780, 2},
    {"TWD", 901, 2}, {"TZS", 834, 2}, {"UAH", 980, 2}, {"UGX", 800, 0},
    {"USD", 840, 2}, {"USN", 997, 2}, {"UYI", 940, 0}, {"UYU", 858, 2},
    {"UYW", 927, 4}, {"UZS", 860, 2}, {"VED", 926, 2}, {"VES", 928, 2},
    {"VND", 704, 0}, {"VUV", 548, 0}, {"WST", 882, 2}, {"XAD", 396, 2},
    {"XAF", 950, 0}, {"XCD", 951, 2}, {"XCG", 532, 2}, {"XOF", 952, 0},
    {"XPF", 953, 0}, {"YER", 886, 2}, {"ZAR", 710, 2}, {"ZMW", 967, 2},
    {"ZWG", 924, 2},
};

#define NCURRENCIES (sizeof(currencies) / sizeof(currencies[0]))

static int cmp_currency(const void *key, const void *elem)
{
    const struct ps_currency *c = elem;
    return strcmp(key, c->code);
}

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

const struct ps_currency *ps_currency_find(const char *code)
{
    /* Exactly three upper-case letters; checked one byte at a time so a
     * short string is never read past its NUL. */
    if (code == NULL || !is_upper(code[0]) || !is_upper(code[1]) ||
        !is_upper(code[2]) || code[3] != '\0')
        return NULL;
    return bsearch(code, currencies, NCURRENCIES, sizeof(currencies[0]),
                   cmp_currency);
}

int ps_currency_lookup(const char *code, const struct ps_currency **out,
                       struct ps_err *err)
{
    char q[PS_QUOTE_MAX * 4 + 4];
    const struct ps_currency *c = ps_currency_find(code);

    if (c == NULL) {
        if (code == NULL)
            code = "";
        return ps_err_set(err, PS_EINVAL, "CURRENCY_UNKNOWN",
                          "unknown currency \"%s\": expected an active ISO "
                          "4217 code in upper case, e.g. USD",
                          ps_quote(code, strlen(code), q, sizeof(q)));
    }
    *out = c;
    return 0;
}

/*
 * Grammar, checked before any value is computed:
 *
 *   amount   = [sign] digit+ ["." digit+]
 *   sign     = "+" | "-"
 *
 * When several rules are broken the first of this list wins:
 * MONEY_BLANK, MONEY_EXPONENT (a well-formed "1.5e3"), MONEY_FORMAT (does
 * not match the grammar), MONEY_SIGN ('+'), MONEY_NEGATIVE_ZERO (even when
 * negatives are allowed), MONEY_SIGN ('-' not allowed),
 * MONEY_TOO_MANY_DECIMALS, MONEY_OVERFLOW.  Fraction digits are counted,
 * not valued: "12.340" is too many decimals for USD even though it is exact.
 */
int ps_money_looks_like_card(const char *s, size_t len)
{
    char digits[24];
    size_t n = 0;
    for (size_t i = 0; s != NULL && i < len; i++) {
        if (!is_digit(s[i]))
            continue;
        if (n == 0 && s[i] == '0')
            continue; /* leading zeros: no card number starts with 0 */
        if (n + 1 >= sizeof(digits))
            return 0; /* longer than any card number */
        digits[n++] = s[i];
    }
    digits[n] = '\0';
    return n >= 13 && n <= 19 && ps_luhn_valid(digits);
}

int ps_money_parse(const char *s, size_t len, int exponent, unsigned flags,
                   int64_t *out, struct ps_err *err)
{
    char q[PS_QUOTE_MAX * 4 + 4];
    size_t p = 0, int_start, int_len, frac_start = 0, frac_len = 0;
    int neg = 0, plus = 0, zero = 1;
    uint64_t limit, acc = 0;

    if (exponent < 0 || exponent > PS_MONEY_EXP_MAX)
        return ps_err_set(err, PS_EINTERNAL, NULL,
                          "money exponent %d out of range 0..%d", exponent,
                          PS_MONEY_EXP_MAX);
    if (s == NULL)
        len = 0;

    while (p < len && s[p] == ' ')
        p++;
    if (p == len)
        return ps_err_set(err, PS_EINVAL, "MONEY_BLANK", "amount is blank");

    /* Before anything quotes it: a value that is a card number is never
     * echoed, parsed or stored (a column shifted in a roster). */
    if ((flags & PS_MONEY_NOT_A_CARD) && ps_money_looks_like_card(s, len))
        return ps_err_set(err, PS_EINVAL, "LOOKS_LIKE_CARD_NUMBER",
                          "the amount's digits form a card number (Luhn-valid, "
                          "13 to 19 digits): refused and not stored");

    p = 0;
    if (s[p] == '+' || s[p] == '-') {
        plus = s[p] == '+';
        neg = s[p] == '-';
        p++;
    }
    int_start = p;
    while (p < len && is_digit(s[p]))
        p++;
    int_len = p - int_start;
    if (int_len > 0 && p < len && s[p] == '.') {
        frac_start = ++p;
        while (p < len && is_digit(s[p]))
            p++;
        frac_len = p - frac_start;
    }
    if (int_len > 0 && (frac_start == 0 || frac_len > 0) && p < len &&
        (s[p] == 'e' || s[p] == 'E')) {
        size_t e = p + 1, e_start;
        if (e < len && (s[e] == '+' || s[e] == '-'))
            e++;
        e_start = e;
        while (e < len && is_digit(s[e]))
            e++;
        if (e > e_start && e == len)
            return ps_err_set(err, PS_EINVAL, "MONEY_EXPONENT",
                              "amount \"%s\": exponent notation is not "
                              "allowed, write the digits out",
                              ps_quote(s, len, q, sizeof(q)));
    }
    if (int_len == 0 || (frac_start != 0 && frac_len == 0) || p != len)
        return ps_err_set(err, PS_EINVAL, "MONEY_FORMAT",
                          "amount \"%s\" is not a plain decimal number "
                          "(digits, optionally '.' and more digits)",
                          ps_quote(s, len, q, sizeof(q)));

    if (plus)
        return ps_err_set(err, PS_EINVAL, "MONEY_SIGN",
                          "amount \"%s\": a leading '+' is not allowed",
                          ps_quote(s, len, q, sizeof(q)));
    for (size_t i = int_start; i < len && zero; i++)
        if (is_digit(s[i]) && s[i] != '0')
            zero = 0;
    if (neg && zero)
        return ps_err_set(err, PS_EINVAL, "MONEY_NEGATIVE_ZERO",
                          "amount \"%s\": negative zero is not allowed",
                          ps_quote(s, len, q, sizeof(q)));
    if (neg && !(flags & PS_MONEY_ALLOW_NEGATIVE))
        return ps_err_set(err, PS_EINVAL, "MONEY_SIGN",
                          "amount \"%s\": negative amounts are not allowed "
                          "here",
                          ps_quote(s, len, q, sizeof(q)));
    if (frac_len > (size_t)exponent)
        return ps_err_set(err, PS_EINVAL, "MONEY_TOO_MANY_DECIMALS",
                          "amount \"%s\" has %zu decimals, the currency "
                          "allows at most %d",
                          ps_quote(s, len, q, sizeof(q)), frac_len, exponent);

    /* The magnitude of INT64_MIN is one more than INT64_MAX. */
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (size_t i = int_start; i < len; i++) {
        uint64_t d;
        if (s[i] == '.')
            continue;
        d = (uint64_t)(s[i] - '0');
        if (acc > (limit - d) / 10)
            goto overflow;
        acc = acc * 10 + d;
    }
    for (size_t i = frac_len; i < (size_t)exponent; i++) {
        if (acc > limit / 10)
            goto overflow;
        acc *= 10;
    }

    if (!neg)
        *out = (int64_t)acc;
    else if (acc == (uint64_t)INT64_MAX + 1)
        *out = INT64_MIN;
    else
        *out = -(int64_t)acc;
    return 0;

overflow:
    return ps_err_set(err, PS_EINVAL, "MONEY_OVERFLOW",
                      "amount \"%s\" is out of range: the limit is "
                      "%s%llu minor units",
                      ps_quote(s, len, q, sizeof(q)), neg ? "-" : "",
                      (unsigned long long)limit);
}

int ps_money_parse_cur(const char *s, const char *currency, unsigned flags,
                       int64_t *out, struct ps_err *err)
{
    const struct ps_currency *c = NULL; /* set when rc == 0 */
    int rc = ps_currency_lookup(currency, &c, err);

    if (rc != 0)
        return rc;
    return ps_money_parse(s, s != NULL ? strlen(s) : 0, c->exponent, flags, out,
                          err);
}

/*
 * Digits are produced right to left from the unsigned magnitude, which
 * (unlike negating the int64_t) is defined for INT64_MIN.  An exponent out
 * of range (a caller bug) gives "".
 */
const char *ps_money_format(int64_t minor, int exponent, char *buf, size_t size)
{
    char tmp[PS_MONEY_STRMAX];
    size_t n = sizeof(tmp);
    uint64_t mag;
    int digits = 0;

    if (size == 0)
        return buf;
    if (exponent < 0 || exponent > PS_MONEY_EXP_MAX) {
        buf[0] = '\0';
        return buf;
    }
    mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    tmp[--n] = '\0';
    /* At least exponent + 1 digits, so 5 with exponent 2 is "0.05". */
    do {
        if (exponent > 0 && digits == exponent)
            tmp[--n] = '.';
        tmp[--n] = (char)('0' + mag % 10);
        mag /= 10;
        digits++;
    } while (mag != 0 || digits <= exponent);
    if (minor < 0)
        tmp[--n] = '-';
    return ps_strlcpy(buf, tmp + n, size);
}

int ps_money_add(int64_t a, int64_t b, int64_t *out, struct ps_err *err)
{
    int64_t r;

    if (__builtin_add_overflow(a, b, &r))
        return ps_err_set(err, PS_EINVAL, "MONEY_OVERFLOW",
                          "amount overflow: %lld + %lld minor units does "
                          "not fit in 64 bits",
                          (long long)a, (long long)b);
    *out = r;
    return 0;
}

int ps_money_sub(int64_t a, int64_t b, int64_t *out, struct ps_err *err)
{
    int64_t r;

    if (__builtin_sub_overflow(a, b, &r))
        return ps_err_set(err, PS_EINVAL, "MONEY_OVERFLOW",
                          "amount overflow: %lld - %lld minor units does "
                          "not fit in 64 bits",
                          (long long)a, (long long)b);
    *out = r;
    return 0;
}
