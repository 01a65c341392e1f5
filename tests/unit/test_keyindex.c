/*
 * test_keyindex.c -- keyindex.c: entries numbered in the order added and
 * found by their key, the first of a key added twice, keys kept whole
 * through the arena's and the table's growth (5,000 keys: past the
 * 1,024 first slots and the 64 KiB first arena), a miss, an empty index.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/keyindex.h"

static void test_empty(void **state)
{
    (void)state;
    struct ps_keyindex x;
    memset(&x, 0, sizeof(x));
    assert_int_equal(ps_keyindex_find(&x, "E1"), -1);
    ps_keyindex_free(&x);
}

static void test_numbers_and_growth(void **state)
{
    (void)state;
    struct ps_keyindex x;
    char key[40];
    memset(&x, 0, sizeof(x));
    /* 5,000 keys of 24 bytes each: 120,000 bytes of arena, 10,000 and
     * more slots: both grow several times. */
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "employee-%015d", i);
        assert_int_equal(ps_keyindex_add(&x, key), 0);
    }
    assert_int_equal(x.n, 5000);
    for (int i = 0; i < 5000; i += 7) {
        snprintf(key, sizeof(key), "employee-%015d", i);
        assert_int_equal(ps_keyindex_find(&x, key), i);
        assert_string_equal(ps_keyindex_key(&x, (size_t)i), key);
    }
    assert_int_equal(ps_keyindex_find(&x, "employee-000000000005000"), -1);
    assert_int_equal(ps_keyindex_find(&x, ""), -1);
    ps_keyindex_free(&x);
    assert_int_equal(x.n, 0);
    assert_int_equal(ps_keyindex_find(&x, "employee-000000000000001"), -1);
}

static void test_first_of_a_key(void **state)
{
    (void)state;
    struct ps_keyindex x;
    memset(&x, 0, sizeof(x));
    assert_int_equal(ps_keyindex_add(&x, "A"), 0);
    assert_int_equal(ps_keyindex_add(&x, "B"), 0);
    assert_int_equal(ps_keyindex_add(&x, "A"), 0);
    assert_int_equal(x.n, 3);
    assert_int_equal(ps_keyindex_find(&x, "A"), 0);
    assert_int_equal(ps_keyindex_find(&x, "B"), 1);
    assert_string_equal(ps_keyindex_key(&x, 2), "A");
    ps_keyindex_free(&x);
}

static void test_hash(void **state)
{
    (void)state;
    /* FNV-1a's published values: "" is the offset basis, "a" one step. */
    assert_true(ps_hash_str("") == 0xcbf29ce484222325ULL);
    assert_true(ps_hash_str("a") == 0xaf63dc4c8601ec8cULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_numbers_and_growth),
        cmocka_unit_test(test_first_of_a_key),
        cmocka_unit_test(test_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
