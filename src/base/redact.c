/*
 * redact.c -- the redactor (redact.h): Luhn-valid runs of 13..19 digits
 * become BIN + last 4.  Cannot fail; NULL is an empty string.
 *
 * What it does not do, on purpose: mask bank account numbers.  They are
 * 4..17 digits, the shape of amounts, dates, ids and phone numbers, so no
 * rule on text alone masks them without destroying legitimate
 * references; the engine masks a record's own account number where it
 * knows it is one (apply.c), and validation messages do not quote it.
 */
#include "base/redact.h"

#define PAN_MIN 13
#define PAN_MAX 19

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int ps_luhn_run(const char *s, size_t n)
{
    unsigned sum = 0;
    int dbl = 0; /* double every second digit from the right */
    for (size_t i = n; i-- > 0;) {
        unsigned d = (unsigned)(s[i] - '0');
        if (dbl) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
        dbl = !dbl;
    }
    return sum % 10 == 0;
}

/*
 * Contract (redact.h): a run is maximal: 20 digits in a row are one run
 * (not a PAN), never a PAN plus a digit.  Only ASCII digits are
 * overwritten, so UTF-8 text stays valid.
 */
int ps_redact_pans(char *s)
{
    int count = 0;
    if (s == NULL)
        return 0;
    while (*s != '\0') {
        if (!is_digit(*s)) {
            s++;
            continue;
        }
        size_t n = 0;
        while (is_digit(s[n]))
            n++;
        if (n >= PAN_MIN && n <= PAN_MAX && ps_luhn_run(s, n)) {
            for (size_t i = 6; i < n - 4; i++)
                s[i] = '*';
            count++;
        }
        s += n;
    }
    return count;
}
