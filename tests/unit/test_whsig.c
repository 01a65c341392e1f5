/*
 * test_whsig.c -- webhook signatures: a vector computed independently
 * (Python's hmac and base64 on the Standard Webhooks input), and bad
 * secrets refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "base/err.h"
#include "base/whsig.h"

static void vector(void **state)
{
    unsigned char key[PS_WHSIG_KEY_MAX];
    size_t n = 0;
    char sig[PS_WHSIG_SIZE];
    const char *body = "{\"type\":\"linx.status\"}";
    struct ps_err err;
    (void)state;
    ps_err_clear(&err);
    assert_int_equal(
        ps_whsig_secret("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
                        key, &n, &err),
        0);
    assert_int_equal(n, 32);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(key[i], i);
    ps_whsig_sign(key, n, "01a24f3c-0815-7170-b80e-74e8d2545b4a", 1765090000,
                  body, strlen(body), sig);
    assert_string_equal(sig, "v1,mCJZ+3MWDS900jtR9qR80UKmY/5dcJW1ZiXQrQc3VKo=");
    /* Any byte of the body changes it. */
    ps_whsig_sign(key, n, "01a24f3c-0815-7170-b80e-74e8d2545b4a", 1765090000,
                  "{\"type\":\"linx.statuS\"}", strlen(body), sig);
    assert_string_not_equal(sig,
                            "v1,mCJZ+3MWDS900jtR9qR80UKmY/5dcJW1ZiXQrQc3VKo=");
}

static void bad_secrets(void **state)
{
    static const char *const bad[] = {NULL, "", "AAEC", "whsec_", "whsec_!!",
                                      "whsec_AAECAwQ="};
    unsigned char key[PS_WHSIG_KEY_MAX];
    size_t n;
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ps_err err;
        ps_err_clear(&err);
        assert_int_equal(ps_whsig_secret(bad[i], key, &n, &err), PS_EINVAL);
        assert_string_equal(err.rule, "WEBHOOK_SECRET");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vector),
        cmocka_unit_test(bad_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
