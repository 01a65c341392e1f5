/*
 * test_id.c -- UUID v7 generation and validation (src/id.c).
 *
 * Ids are decoded back into their fields (48-bit ms, version, 12-bit
 * counter, variant) so ordering, counter roll-over and the clock going
 * backwards can be checked exactly; PAYSPOOL_NOW drives the clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/id.h"

#define NIDS 10000

static int unfreeze(void **state)
{
    (void)state;
    unsetenv("PAYSPOOL_NOW");
    return 0;
}

static unsigned hexval(char c)
{
    if (c >= '0' && c <= '9')
        return (unsigned)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (unsigned)(c - 'a' + 10);
    fail_msg("not a lower-case hex digit: '%c'", c);
    return 0;
}

/* unix_ts_ms: hex digits 0..7 and 9..12. */
static int64_t id_ms(const char *id)
{
    uint64_t v = 0;
    for (int i = 0; i < 13; i++)
        if (i != 8)
            v = v << 4 | hexval(id[i]);
    return (int64_t)v;
}

/* rand_a (the counter): the three hex digits after the version. */
static unsigned id_counter(const char *id)
{
    return hexval(id[15]) << 8 | hexval(id[16]) << 4 | hexval(id[17]);
}

static void check_shape(const char *id)
{
    assert_int_equal(strlen(id), PS_ID_LEN);
    for (int i = 0; i < PS_ID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(id[i], '-');
        else
            (void)hexval(id[i]);
    }
    assert_int_equal(id[14], '7'); /* version 7 */
    /* Variant 10xx: the first hex digit of the 4th group is 8..b. */
    assert_non_null(strchr("89ab", id[19]));
    assert_true(ps_id_valid(id));
}

static void test_format(void **state)
{
    char id[PS_ID_SIZE], other[PS_ID_SIZE];
    int64_t wall;
    (void)state;

    unsetenv("PAYSPOOL_NOW");
    wall = (int64_t)time(NULL) * 1000;
    assert_ptr_equal(ps_id_new(id), id);
    check_shape(id);
    /* The timestamp is now, give or take a minute. */
    assert_true(id_ms(id) > wall - 60000 && id_ms(id) < wall + 60000);
    /* rand_b is random: two ids differ there. */
    ps_id_new(other);
    check_shape(other);
    assert_memory_not_equal(id + 20, other + 20, 16);
}

static int by_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void test_increasing(void **state)
{
    static char ids[NIDS][PS_ID_SIZE];
    (void)state;

    unsetenv("PAYSPOOL_NOW");
    for (int i = 0; i < NIDS; i++) {
        ps_id_new(ids[i]);
        check_shape(ids[i]);
        /* Strictly increasing as strings implies unique. */
        if (i > 0 && strcmp(ids[i - 1], ids[i]) >= 0)
            fail_msg("id %d not above the previous:\n%s\n%s", i, ids[i - 1],
                     ids[i]);
        if (i > 0 && id_ms(ids[i]) == id_ms(ids[i - 1]))
            assert_int_equal(id_counter(ids[i]), id_counter(ids[i - 1]) + 1);
    }
    /* The random tails (rand_b, after the last '-' but one) never
     * repeat: the random bytes are drawn in blocks of many ids, and a
     * block reused or not advanced would repeat them. */
    static char tails[NIDS][18];
    for (int i = 0; i < NIDS; i++)
        memcpy(tails[i], ids[i] + 19, 17), tails[i][17] = '\0';
    qsort(tails, NIDS, sizeof(tails[0]), by_str);
    for (int i = 1; i < NIDS; i++)
        if (strcmp(tails[i - 1], tails[i]) == 0)
            fail_msg("random part %s repeats", tails[i]);
}

/* With a frozen clock each id lands on its own millisecond. */
static void test_frozen(void **state)
{
    char id[PS_ID_SIZE], prev[PS_ID_SIZE] = "";
    (void)state;

    setenv("PAYSPOOL_NOW", "2036-01-01T00:00:00Z", 1);
    for (int i = 0; i < 100; i++) {
        ps_id_new(id);
        check_shape(id);
        assert_int_equal(id_ms(id), INT64_C(2082758400000) + i);
        /* A new millisecond starts the counter below 0x800. */
        assert_true(id_counter(id) < 0x800);
        assert_true(strcmp(prev, id) < 0);
        memcpy(prev, id, sizeof(id));
    }
}

/*
 * The clock steps back (PAYSPOOL_NOW earlier than the last id): ids keep
 * the last millisecond and count; when the 12-bit counter passes 0xfff the
 * millisecond is advanced by one.  Every step is checked exactly.
 */
static void test_clock_backwards(void **state)
{
    char prev[PS_ID_SIZE], id[PS_ID_SIZE];
    int64_t start;
    int bumps = 0;
    (void)state;

    unsetenv("PAYSPOOL_NOW");
    ps_id_new(prev);
    start = id_ms(prev);
    setenv("PAYSPOOL_NOW", "2001-01-01T00:00:00Z", 1);
    for (int i = 0; i < NIDS; i++) {
        ps_id_new(id);
        check_shape(id);
        if (strcmp(prev, id) >= 0)
            fail_msg("id %d not above the previous:\n%s\n%s", i, prev, id);
        if (id_ms(id) == id_ms(prev)) {
            assert_int_equal(id_counter(id), id_counter(prev) + 1);
        } else {
            /* Roll-over: only from a full counter, by one millisecond. */
            assert_int_equal(id_counter(prev), 0xfff);
            assert_int_equal(id_ms(id), id_ms(prev) + 1);
            assert_true(id_counter(id) < 0x800);
            bumps++;
        }
        memcpy(prev, id, sizeof(id));
    }
    /* 10000 ids at 2048..4096 per millisecond. */
    assert_true(bumps >= 2 && bumps <= 5);
    assert_int_equal(id_ms(prev), start + bumps);
}

static void test_valid(void **state)
{
    static const char *const good[] = {
        "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "0192f5b8-2f3a-7c4d-9e8f-0123456789ab",
        "f47ac10b-58cc-4372-a567-0e02b2c3d479", /* v4 */
    };
    static const char *const bad[] = {
        "",
        "0192f5b8-2f3a-7c4d-9e8f-0123456789a",
        "0192f5b8-2f3a-7c4d-9e8f-0123456789abc",
        "0192F5B8-2F3A-7C4D-9E8F-0123456789AB",
        "0192f5b8-2f3a-7c4d-9e8f-0123456789aB",
        "0192f5b82f3a7c4d9e8f0123456789ab",
        "0192f5b8-2f3a-7c4d-9e8f0123456789ab-",
        "0192f5b8-2f3a7-c4d-9e8f-0123456789ab",
        "0192f5b8_2f3a_7c4d_9e8f_0123456789ab",
        "0192f5b8-2f3a-7c4d-9e8f-0123456789ag",
        "g192f5b8-2f3a-7c4d-9e8f-0123456789ab",
        "{0192f5b8-2f3a-7c4d-9e8f-0123456789ab}",
        "urn:uuid:0192f5b8-2f3a-7c4d-9e8f-0123456789ab",
        " 0192f5b8-2f3a-7c4d-9e8f-0123456789ab",
        "0192f5b8-2f3a-7c4d-9e8f-0123456789ab ",
        "0192f5b8-2f3a-7c4d-9e8f-0123456789ab\n",
        "0192f5b8-2f3a-7c4d-9e8f-01234567 9ab",
        "0192f5b8--2f3a-7c4d-9e8f-0123456789a",
        "------------------------------------",
        "0192f5b8-2f3a-7c4d-9e8f",
    };
    (void)state;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!ps_id_valid(good[i]))
            fail_msg("rejected: \"%s\"", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (ps_id_valid(bad[i]))
            fail_msg("accepted: \"%s\"", bad[i]);
    assert_false(ps_id_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_format, unfreeze),
        cmocka_unit_test_teardown(test_increasing, unfreeze),
        cmocka_unit_test_teardown(test_frozen, unfreeze),
        cmocka_unit_test_teardown(test_clock_backwards, unfreeze),
        cmocka_unit_test(test_valid),
    };
    return cmocka_run_group_tests(tests, unfreeze, NULL);
}
