/*
 * registry.c -- the list of formats and the bidding.
 */
#include <string.h>

#include "formats/format.h"

static const struct ps_format *const formats[] = {
    &ps_format_pstest,
    &ps_format_csv,
    &ps_format_nacha,
    &ps_format_iso20022,
    &ps_format_linxanswer,
    NULL,
};

const struct ps_format *const *ps_formats(void)
{
    return formats;
}

int ps_format_detect(const unsigned char *peek, size_t len, const char *name,
                     const char *only, const struct ps_format **out,
                     struct ps_err *err)
{
    const struct ps_format *best = NULL;
    int best_bid = 0;
    for (size_t i = 0; formats[i] != NULL; i++) {
        if (only != NULL && strcmp(only, formats[i]->name) != 0)
            continue;
        int bid = formats[i]->bid(peek, len, name);
        if (bid > best_bid) {
            best_bid = bid;
            best = formats[i];
        }
    }
    for (size_t i = 0; best == NULL && formats[i] != NULL; i++) {
        /* Nobody bid: a format that nearly matched says what is missing
         * (a CSV without one required column names that column). */
        if ((only != NULL && strcmp(only, formats[i]->name) != 0) ||
            formats[i]->near_miss == NULL)
            continue;
        if (formats[i]->near_miss(peek, len, name, err))
            return PS_EINVAL;
    }
    if (best == NULL)
        return ps_err_set(err, PS_EINVAL, "UNRECOGNIZED_FORMAT",
                          "unrecognized format: no reader bid on the content "
                          "of %s",
                          name);
    *out = best;
    return 0;
}

void ps_record_reset(struct ps_record *rec)
{
    /* Field by field, not a memset: readers call this per record and the
     * record (fields and error text) is about 2 KB. */
    rec->line = 0;
    rec->offset = -1;
    rec->kind = rec->reference = rec->key = NULL;
    rec->nfields = 0;
    rec->err.code = 0;
    rec->err.sys_errno = 0;
    rec->err.rule[0] = rec->err.file[0] = rec->err.field[0] = '\0';
    rec->err.msg[0] = '\0';
    rec->err.line = 0;
    rec->err.offset = -1;
}


const char *ps_record_get(const struct ps_record *rec, const char *name)
{
    for (size_t i = 0; i < rec->nfields; i++)
        if (strcmp(rec->name[i], name) == 0)
            return rec->value[i];
    return NULL;
}
