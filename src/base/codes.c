/*
 * codes.c -- the table of public error codes (see codes.h) and its
 * lookups and listings.
 *
 * The table is PS_CODE_LIST expanded once, in name order, so row i holds
 * enum value i + 1 and ps_code_find() is a binary search.  Lookups never
 * fail and never allocate; the two writers fail only on a write error or,
 * for JSON, out of memory: -1 and errno, as stdio (err.h includes this
 * file, so it cannot use struct ps_err).
 */
#include "base/codes.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

static const struct ps_code_info table[] = {
#define PS_CODE_ROW_(name, scope, meaning)                                     \
    {#name, PS_CODE_##name, PS_SCOPE_##scope, meaning},
    PS_CODE_LIST(PS_CODE_ROW_)
#undef PS_CODE_ROW_
};

#define NCODES (sizeof(table) / sizeof(table[0]))

/* Row i holds enum value i + 1: the enum and the table come from one list. */
_Static_assert(NCODES == (size_t)PS_CODE_UNKNOWN - 1,
               "PS_CODE_LIST and enum ps_code disagree");

size_t ps_code_count(void)
{
    return NCODES;
}

const struct ps_code_info *ps_code_at(size_t i)
{
    return i < NCODES ? &table[i] : NULL;
}

const struct ps_code_info *ps_code_info(enum ps_code id)
{
    if (id <= PS_CODE_NONE || id >= PS_CODE_UNKNOWN)
        return NULL;
    return &table[(size_t)id - 1];
}

enum ps_code ps_code_find(const char *name)
{
    size_t lo = 0, hi = NCODES;

    if (name == NULL || name[0] == '\0')
        return PS_CODE_NONE;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, table[mid].name);
        if (c == 0)
            return table[mid].id;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return PS_CODE_UNKNOWN;
}

const char *ps_code_name(enum ps_code id)
{
    const struct ps_code_info *c = ps_code_info(id);
    if (id == PS_CODE_NONE)
        return "";
    return c != NULL ? c->name : "UNKNOWN";
}

const char *ps_code_scope_name(enum ps_code_scope scope)
{
    switch (scope) {
    case PS_SCOPE_RECORD:
        return "record";
    case PS_SCOPE_FILE:
        return "file";
    case PS_SCOPE_RUN:
        return "run";
    }
    return "?";
}

/* errno after a failed write: what stdio left, or EIO. */
static int write_failed(void)
{
    if (errno == 0)
        errno = EIO;
    return -1;
}

int ps_code_write_text(FILE *out)
{
    int width = 0;

    for (size_t i = 0; i < NCODES; i++) {
        int n = (int)strlen(table[i].name);
        if (n > width)
            width = n;
    }
    errno = 0;
    for (size_t i = 0; i < NCODES; i++)
        if (fprintf(out, "%-*s  %-6s  %s\n", width, table[i].name,
                    ps_code_scope_name(table[i].scope), table[i].meaning) < 0)
            return write_failed();
    return 0;
}

int ps_code_write_json(FILE *out)
{
    json_t *a = json_array();
    int rc = 0;

    if (a == NULL) {
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < NCODES; i++) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "code", table[i].name, "scope",
                              ps_code_scope_name(table[i].scope), "meaning",
                              table[i].meaning);
        if (o == NULL || json_array_append_new(a, o) != 0) {
            errno = ENOMEM;
            rc = -1;
            goto out;
        }
    }
    errno = 0;
    if (json_dumpf(a, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
        fputc('\n', out) == EOF)
        rc = write_failed();
out:
    json_decref(a);
    return rc;
}
