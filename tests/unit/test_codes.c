/*
 * test_codes.c -- the table of public error codes (src/base/codes.c):
 * sorted and without duplicates, every row well formed, lookups that
 * round-trip, the text and JSON listings, and docs/errors.md's list of codes
 * the same set with the same scopes and meanings.
 *
 * That every rule the source sets is in the table is checked twice: by
 * tests/codes/check_codes.sh on the source text, and by the whole test
 * suite in a debug build, where ps_err_set() asserts on a missing rule.
 */
#include "testutil.h"

#include <jansson.h>

#include "base/codes.h"
#include "base/err.h"

/* ^[A-Z][A-Z0-9_]*$ */
static int well_named(const char *s)
{
    if (s[0] < 'A' || s[0] > 'Z')
        return 0;
    for (const char *p = s; *p != '\0'; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return 0;
    return 1;
}

static void test_sorted_unique(void **state)
{
    size_t n = ps_code_count();
    (void)state;
    assert_true(n > 300);
    assert_int_equal(n, (size_t)PS_CODE_UNKNOWN - 1);
    for (size_t i = 1; i < n; i++) {
        const char *a = ps_code_at(i - 1)->name, *b = ps_code_at(i)->name;
        if (strcmp(a, b) >= 0)
            fail_msg("row %zu: %s is not before %s (keep PS_CODE_LIST "
                     "sorted, strcmp order, no duplicate)",
                     i, a, b);
    }
    assert_null(ps_code_at(n));
}

static void test_rows_well_formed(void **state)
{
    (void)state;
    for (size_t i = 0; i < ps_code_count(); i++) {
        const struct ps_code_info *c = ps_code_at(i);
        assert_non_null(c);
        if (!well_named(c->name))
            fail_msg("row %zu: \"%s\" is not [A-Z][A-Z0-9_]*", i, c->name);
        if (strlen(c->name) >= PS_ERR_RULE_MAX)
            fail_msg("%s is too long for struct ps_err.rule", c->name);
        assert_int_equal(c->id, (enum ps_code)(i + 1));
        if (c->meaning == NULL || strlen(c->meaning) < 10 ||
            strchr(c->meaning, '\n') != NULL || strchr(c->meaning, '|') != NULL)
            fail_msg("%s: the meaning must be one line of text", c->name);
        if (c->scope != PS_SCOPE_RECORD && c->scope != PS_SCOPE_FILE &&
            c->scope != PS_SCOPE_RUN)
            fail_msg("%s: no scope", c->name);
    }
}

static void test_lookups_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < ps_code_count(); i++) {
        const struct ps_code_info *c = ps_code_at(i);
        assert_int_equal(ps_code_find(c->name), c->id);
        assert_ptr_equal(ps_code_info(c->id), c);
        assert_string_equal(ps_code_name(c->id), c->name);
    }
    assert_int_equal(ps_code_find("ABA_CHECK_DIGIT"), PS_CODE_ABA_CHECK_DIGIT);
    assert_int_equal(ps_code_find("WRONG_CURRENCY"), PS_CODE_WRONG_CURRENCY);
    assert_int_equal(ps_code_info(PS_CODE_CARD_LUHN)->scope, PS_SCOPE_RECORD);
    assert_int_equal(ps_code_info(PS_CODE_UNWRAP_DOTDOT)->scope, PS_SCOPE_FILE);
    assert_int_equal(ps_code_info(PS_CODE_STORE_ERROR)->scope, PS_SCOPE_RUN);
}

static void test_unknown(void **state)
{
    (void)state;
    /* Before the first row, between two, after the last, a prefix, case. */
    static const char *const unknown[] = {"AAA",
                                          "ABA_CHECK_DIGIX",
                                          "ZZZ",
                                          "ABA_CHECK",
                                          "aba_check_digit",
                                          "ABA_CHECK_DIGIT_",
                                          " ABA_CHECK_DIGIT",
                                          "UNKNOWN",
                                          "NONE"};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
        assert_int_equal(ps_code_find(unknown[i]), PS_CODE_UNKNOWN);
    assert_int_equal(ps_code_find(NULL), PS_CODE_NONE);
    assert_int_equal(ps_code_find(""), PS_CODE_NONE);
    assert_null(ps_code_info(PS_CODE_NONE));
    assert_null(ps_code_info(PS_CODE_UNKNOWN));
    assert_null(ps_code_info((enum ps_code) - 1));
    assert_string_equal(ps_code_name(PS_CODE_NONE), "");
    assert_string_equal(ps_code_name(PS_CODE_UNKNOWN), "UNKNOWN");
    assert_string_equal(ps_code_scope_name(PS_SCOPE_RECORD), "record");
    assert_string_equal(ps_code_scope_name(PS_SCOPE_FILE), "file");
    assert_string_equal(ps_code_scope_name(PS_SCOPE_RUN), "run");
    assert_string_equal(ps_code_scope_name((enum ps_code_scope)7), "?");
}

/* ps_err_set() fills id from the rule; every row sets its own id. */
static void test_err_set_fills_id(void **state)
{
    struct ps_err e;
    (void)state;
    for (size_t i = 0; i < ps_code_count(); i++) {
        const struct ps_code_info *c = ps_code_at(i);
        ps_err_clear(&e);
        ps_err_set(&e, PS_EINVAL, c->name, "m");
        assert_int_equal(e.id, c->id);
        assert_string_equal(e.rule, c->name);
    }
}

/* A memory stream's contents after `write` ran on it. */
static char *written(int (*write)(FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(write(f), 0);
    assert_int_equal(fclose(f), 0);
    return ps_test_own(buf);
}

static void test_write_text(void **state)
{
    (void)state;
    char *text = written(ps_code_write_text);
    size_t lines = 0;
    for (const char *p = text; *p != '\0'; p++)
        lines += *p == '\n';
    assert_int_equal(lines, ps_code_count());
    const char *row = strstr(text, "UNWRAP_DOTDOT ");
    assert_non_null(row);
    assert_true(row == text || row[-1] == '\n');
    assert_non_null(strstr(row, "  file  "));
    const struct ps_code_info *c = ps_code_info(PS_CODE_UNWRAP_DOTDOT);
    assert_non_null(strstr(row, c->meaning));
}

static void test_write_json(void **state)
{
    (void)state;
    char *text = written(ps_code_write_json);
    json_error_t jerr;
    json_t *a = json_loads(text, 0, &jerr);
    if (a == NULL)
        fail_msg("not JSON: %s", jerr.text);
    assert_true(json_is_array(a));
    assert_int_equal(json_array_size(a), ps_code_count());
    for (size_t i = 0; i < ps_code_count(); i++) {
        const struct ps_code_info *c = ps_code_at(i);
        json_t *o = json_array_get(a, i);
        assert_int_equal(json_object_size(o), 3);
        assert_string_equal(json_string_value(json_object_get(o, "code")),
                            c->name);
        assert_string_equal(json_string_value(json_object_get(o, "scope")),
                            ps_code_scope_name(c->scope));
        assert_string_equal(json_string_value(json_object_get(o, "meaning")),
                            c->meaning);
    }
    json_decref(a);
}

/* A write error is -1 and errno, not a crash. */
static void test_write_fails(void **state)
{
    (void)state;
    FILE *f = fopen("/dev/full", "w");
    if (f == NULL)
        skip();
    setvbuf(f, NULL, _IONBF, 0);
    assert_int_equal(ps_code_write_text(f), -1);
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(ps_code_write_json(f), -1);
    assert_int_equal(errno, ENOSPC);
    fclose(f);
}

/*
 * docs/errors.md's "## Error codes" section lists every code as a table row
 * "| `NAME` | scope | meaning |": the same set as the table, each with
 * the same scope and meaning, once.
 */
static void test_readme_lists_the_table(void **state)
{
    (void)state;
    char *readme = ps_test_slurp(PS_SOURCE_DIR "/docs/errors.md", NULL);
    size_t n = ps_code_count();
    int *seen = ps_test_own(calloc(n, sizeof(*seen)));
    char *sec = strstr(readme, "\n## Error codes\n");
    if (sec == NULL)
        fail_msg("docs/errors.md has no \"## Error codes\" section");
    sec += strlen("\n## Error codes\n");
    char *end = strstr(sec, "\n## ");
    if (end != NULL)
        end[1] = '\0';
    size_t rows = 0;
    for (char *line = strtok(sec, "\n"); line != NULL;
         line = strtok(NULL, "\n")) {
        char name[PS_ERR_RULE_MAX + 1], scope[16], meaning[512];
        if (strncmp(line, "| `", 3) != 0)
            continue;
        if (sscanf(line, "| `%48[^`]` | %15[^ |] | %511[^|]|", name, scope,
                   meaning) != 3)
            fail_msg("docs/errors.md: cannot read the row \"%s\"", line);
        size_t m = strlen(meaning);
        while (m > 0 && meaning[m - 1] == ' ')
            meaning[--m] = '\0';
        rows++;
        enum ps_code id = ps_code_find(name);
        const struct ps_code_info *c = ps_code_info(id);
        if (c == NULL)
            fail_msg("docs/errors.md lists %s, which is not in src/base/codes.h",
                     name);
        if (seen[id - 1]++)
            fail_msg("docs/errors.md lists %s twice", name);
        if (strcmp(scope, ps_code_scope_name(c->scope)) != 0)
            fail_msg("docs/errors.md: %s has scope %s, the table %s", name, scope,
                     ps_code_scope_name(c->scope));
        if (strcmp(meaning, c->meaning) != 0)
            fail_msg("docs/errors.md: %s means \"%s\", the table \"%s\"", name,
                     meaning, c->meaning);
    }
    for (size_t i = 0; i < n; i++)
        if (!seen[i])
            fail_msg("docs/errors.md (Error codes) does not list %s",
                     ps_code_at(i)->name);
    assert_int_equal(rows, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sorted_unique),
        cmocka_unit_test(test_rows_well_formed),
        cmocka_unit_test(test_lookups_round_trip),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_err_set_fills_id),
        cmocka_unit_test(test_write_text),
        cmocka_unit_test(test_write_json),
        cmocka_unit_test(test_write_fails),
        cmocka_unit_test(test_readme_lists_the_table),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ps_test_free_owned();
    return rc;
}
