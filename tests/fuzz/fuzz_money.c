/*
 * fuzz_money.c -- the decimal amount parser on arbitrary bytes.
 *
 * Invariants: parsing never crashes; a parse that succeeds formats back
 * to a string that parses to the same value; a failure always names one
 * of the MONEY_* rules.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int exponent = 0; exponent <= 4; exponent++) {
        for (unsigned flags = 0; flags <= PS_MONEY_ALLOW_NEGATIVE; flags++) {
            struct ps_err err;
            int64_t v = 0, back = 0;
            char buf[PS_MONEY_STRMAX];
            ps_err_clear(&err);
            if (ps_money_parse((const char *)data, size, exponent, flags, &v,
                               &err) != 0) {
                if (strncmp(err.rule, "MONEY_", 6) != 0)
                    abort();
                continue;
            }
            ps_money_format(v, exponent, buf, sizeof(buf));
            if (ps_money_parse(buf, strlen(buf), exponent, flags, &back,
                               &err) != 0 ||
                back != v)
                abort();
        }
    }
    return 0;
}
