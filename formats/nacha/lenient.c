/*
 * lenient.c -- the names of the NACHA lenient options (nacha.h), as the
 * configuration spells them.
 */
#include <stdio.h>
#include <string.h>

#include "nacha.h"

static const char *const names[] = {
    "bad_check_digit",         /* PS_NACHA_LENIENT_CHECK_DIGIT */
    "missing_file_header",     /* PS_NACHA_LENIENT_FILE_HEADER */
    "missing_file_control",    /* PS_NACHA_LENIENT_FILE_CONTROL */
    "unequal_addenda_counts",  /* PS_NACHA_LENIENT_ADDENDA_COUNT */
    "unordered_trace_numbers", /* PS_NACHA_LENIENT_TRACE_ORDER */
    "unordered_batch_numbers", /* PS_NACHA_LENIENT_BATCH_ORDER */
    "wrong_block_count",       /* PS_NACHA_LENIENT_BLOCK_COUNT */
    "short_lines",             /* PS_NACHA_LENIENT_SHORT_LINES */
};

const char *ps_nacha_lenient_name(unsigned bit)
{
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (bit == 1u << i)
            return names[i];
    return NULL;
}

int ps_nacha_lenient_parse(const char *list, unsigned *bits,
                           struct ps_err *err)
{
    unsigned out = 0;
    const char *p = list != NULL ? list : "";
    while (*p != '\0') {
        size_t n;
        unsigned i;
        p += strspn(p, ", \t");
        n = strcspn(p, ", \t");
        if (n == 0)
            break;
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (strlen(names[i]) == n && strncmp(names[i], p, n) == 0)
                break;
        if (i == sizeof(names) / sizeof(names[0]))
            return ps_err_set(err, PS_EINVAL, "NACHA_LENIENT_UNKNOWN",
                              "unknown NACHA lenient option %.*s (known: "
                              "bad_check_digit, missing_file_header, "
                              "missing_file_control, unequal_addenda_counts, "
                              "unordered_trace_numbers, "
                              "unordered_batch_numbers, wrong_block_count, "
                              "short_lines)",
                              (int)(n > 64 ? 64 : n), p);
        out |= 1u << i;
        p += n;
    }
    *bits = out;
    return 0;
}

const char *ps_nacha_lenient_format(unsigned bits, char *buf, size_t size)
{
    size_t len = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if ((bits & (1u << i)) == 0)
            continue;
        int k = snprintf(buf + len, size - len, "%s%s", len ? "," : "",
                         names[i]);
        if (k < 0 || (size_t)k >= size - len) {
            buf[len] = '\0'; /* no half name: the list stops short */
            break;
        }
        len += (size_t)k;
    }
    return buf;
}
