/*
 * pstest.c -- the payspool test format: payment instructions with a
 * control-total trailer, one per line, fields separated by '|'.
 *
 *   PSTEST 1
 *   BATCH|<batch id>                      (optional, right after the header)
 *   SEND|<request id>|<customer externalId>|<amount>|<currency>
 *   ...
 *   TOTAL|<number of SEND lines>|<sum of amounts>|<currency>
 *
 * It exists to prove the spool and pipeline mechanisms (detection by
 * bidding, whole-document control totals before anything is applied,
 * per-record errors, chunks, checkpoints, idempotency) on a format
 * simple enough to generate in tests; see README.md beside this file.
 * Records are of kind "payment.send".
 */
#include <stdlib.h>
#include <string.h>

#include "formats/format.h"
#include "base/money.h"

#define MAGIC "PSTEST 1"
#define MAX_FIELDS 6

struct pstest {
    struct ps_lines lr;
    char *f[MAX_FIELDS]; /* split fields of the current line, in lr.cur */
    int seen_header;
    int seen_total;
    long records;
    int64_t sum; /* minor units of the declared currency */
    char currency[4];
    int mixed;
    long total_line;
    long want_records;
    char want_sum[32];
    char want_currency[8];
    char batch[65]; /* the optional batch id: a duplicate key */
};

static int bid(const unsigned char *peek, size_t len, const char *name)
{
    (void)name;
    if (len >= sizeof(MAGIC) - 1 &&
        memcmp(peek, MAGIC, sizeof(MAGIC) - 1) == 0 &&
        (len == sizeof(MAGIC) - 1 || peek[sizeof(MAGIC) - 1] == '\n' ||
         peek[sizeof(MAGIC) - 1] == '\r'))
        return 100; /* the whole magic line: certain */
    return 0;
}

static int open_(struct ps_stream *in, const char *docname, void **state,
                 struct ps_err *err)
{
    struct pstest *t = calloc(1, sizeof(*t));
    (void)docname;
    if (t == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    ps_lines_init(&t->lr, in);
    *state = t;
    return 0;
}

/* Split lr.cur on '|' into t->f; returns the number of fields. */
static int split(struct pstest *t)
{
    int n = 0;
    char *p = t->lr.cur;
    for (;;) {
        char *bar = strchr(p, '|');
        if (n == MAX_FIELDS)
            return n + 1; /* too many */
        t->f[n++] = p;
        if (bar == NULL)
            return n;
        *bar = '\0';
        p = bar + 1;
    }
}

static int next(void *state, struct ps_record *rec, struct ps_err *err)
{
    struct pstest *t = state;
    size_t len;
    int64_t off;
    for (;;) {
        int rc = ps_lines_next(&t->lr, &len, &off, err);
        if (rc <= 0) {
            if (rc < 0)
                ps_err_at(err, NULL, t->lr.line, t->lr.offset);
            return rc;
        }
        if (!t->seen_header) {
            if (strcmp(t->lr.cur, MAGIC) != 0) {
                ps_err_set(err, PS_EINVAL, "PSTEST_HEADER",
                           "first line must be \"" MAGIC "\"");
                ps_err_at(err, NULL, t->lr.line, off);
                return PS_EINVAL;
            }
            t->seen_header = 1;
            continue;
        }
        if (len == 0)
            continue; /* blank lines are allowed */
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)t->lr.cur[i];
            if (c < 0x20 || c > 0x7e) {
                /* The format is ASCII: such a line is not read at all. */
                ps_record_reset(rec);
                rec->line = t->lr.line;
                rec->offset = off;
                rec->kind = "payment.send";
                ps_err_set(&rec->err, PS_EINVAL, "NON_ASCII",
                           "byte 0x%02x at column %zu: the format is ASCII", c,
                           i + 1);
                ps_err_at(&rec->err, NULL, rec->line, off + (int64_t)i);
                t->records++;
                return 1;
            }
        }
        if (t->seen_total) {
            ps_err_set(err, PS_EINVAL, "PSTEST_AFTER_TOTAL",
                       "line after the TOTAL trailer");
            ps_err_at(err, NULL, t->lr.line, off);
            return PS_EINVAL;
        }
        int n = split(t);
        if (strcmp(t->f[0], "BATCH") == 0) {
            if (n != 2 || t->records > 0 || t->batch[0] != '\0' ||
                t->f[1][0] == '\0' || strlen(t->f[1]) >= sizeof(t->batch)) {
                ps_err_set(err, PS_EINVAL, "PSTEST_BATCH",
                           "BATCH|<id> (1 to 64 characters) may appear once, "
                           "before the first SEND");
                ps_err_at(err, NULL, t->lr.line, off);
                return PS_EINVAL;
            }
            ps_strlcpy(t->batch, t->f[1], sizeof(t->batch));
            continue;
        }
        if (strcmp(t->f[0], "TOTAL") == 0) {
            if (n != 4) {
                ps_err_set(err, PS_EINVAL, "PSTEST_TOTAL",
                           "TOTAL needs 3 fields: count|sum|currency");
                ps_err_at(err, NULL, t->lr.line, off);
                return PS_EINVAL;
            }
            t->seen_total = 1;
            t->total_line = t->lr.line;
            size_t nd = strspn(t->f[1], "0123456789");
            t->want_records = 0;
            for (size_t i = 0; i < nd && i < 9; i++)
                t->want_records = t->want_records * 10 + (t->f[1][i] - '0');
            if (nd == 0 || nd > 9 || t->f[1][nd] != '\0' ||
                strlen(t->f[2]) >= sizeof(t->want_sum)) {
                ps_err_set(err, PS_EINVAL, "PSTEST_TOTAL",
                           "TOTAL count must be 1 to 9 digits and the sum at "
                           "most 31 characters");
                ps_err_field(err, "count");
                ps_err_at(err, NULL, t->lr.line, off);
                return PS_EINVAL;
            }
            ps_strlcpy(t->want_sum, t->f[2], sizeof(t->want_sum));
            ps_strlcpy(t->want_currency, t->f[3], sizeof(t->want_currency));
            continue;
        }
        ps_record_reset(rec);
        rec->line = t->lr.line;
        rec->offset = off;
        rec->kind = "payment.send";
        if (strcmp(t->f[0], "SEND") != 0 || n != 5) {
            ps_err_set(&rec->err, PS_EINVAL, "PSTEST_RECORD",
                       "expected SEND|request_id|externalId|amount|currency");
            ps_err_at(&rec->err, NULL, rec->line, off);
            t->records++;
            return 1;
        }
        rec->reference = t->f[1];
        ps_record_field(rec, "request_id", t->f[1]);
        ps_record_field(rec, "external_id", t->f[2]);
        ps_record_field(rec, "amount", t->f[3]);
        ps_record_field(rec, "currency", t->f[4]);
        t->records++;
        /* Control totals are over what the file says, valid or not. */
        int64_t v;
        if (ps_money_parse_cur(t->f[3], t->f[4], PS_MONEY_ALLOW_NEGATIVE, &v,
                               NULL) == 0) {
            if (t->currency[0] == '\0')
                ps_strlcpy(t->currency, t->f[4], sizeof(t->currency));
            else if (strcmp(t->currency, t->f[4]) != 0)
                t->mixed = 1;
            if (ps_money_add(t->sum, v, &t->sum, NULL) != 0)
                t->mixed = 1;
        }
        return 1;
    }
}

static int finish(void *state, struct ps_doc_totals *totals, struct ps_err *err)
{
    struct pstest *t = state;
    int64_t want;
    if (!t->seen_header)
        return ps_err_set(err, PS_EINVAL, "PSTEST_HEADER",
                          "empty document: no \"" MAGIC "\" header");
    if (!t->seen_total)
        return ps_err_set(err, PS_EINVAL, "CONTROL_TOTAL_MISSING",
                          "no TOTAL trailer: the file may be truncated");
    if (t->want_records != t->records) {
        ps_err_set(err, PS_EINVAL, "CONTROL_COUNT_MISMATCH",
                   "TOTAL says %ld records, the file has %ld", t->want_records,
                   t->records);
        ps_err_field(err, "count");
        ps_err_at(err, NULL, t->total_line, -1);
        return PS_EINVAL;
    }
    if (ps_money_parse_cur(t->want_sum, t->want_currency,
                           PS_MONEY_ALLOW_NEGATIVE, &want, err) != 0 ||
        t->mixed ||
        (t->currency[0] != '\0' &&
         strcmp(t->currency, t->want_currency) != 0) ||
        want != t->sum) {
        ps_err_set(err, PS_EINVAL, "CONTROL_SUM_MISMATCH",
                   "TOTAL sum %s %s does not match the records", t->want_sum,
                   t->want_currency);
        ps_err_field(err, "sum");
        ps_err_at(err, NULL, t->total_line, -1);
        return PS_EINVAL;
    }
    totals->records = t->records;
    totals->amount = t->sum;
    if (t->batch[0] != '\0') {
        ps_strlcpy(totals->key_kind, "pstest.batch", sizeof(totals->key_kind));
        ps_strlcpy(totals->key, t->batch, sizeof(totals->key));
    }
    ps_strlcpy(totals->currency, t->want_currency, sizeof(totals->currency));
    return 0;
}

static void close_(void *state)
{
    free(state);
}

const struct ps_format ps_format_pstest = {
    "pstest", "payspool test format (payment instructions, '|'-separated)",
    bid,      open_,
    next,     finish,
    close_,   NULL,
    NULL,     NULL,
    NULL,
};
