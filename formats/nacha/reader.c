/*
 * reader.c -- the NACHA (ACH) streaming reader and validator.
 *
 * The stream is read in BLOCK-byte blocks into one buffer allocated at
 * open; a record is 94 bytes of it, looked at in place (copied only when
 * a short line is space-padded).  The reader keeps the running controls
 * of the file and of the batch being read, the batch header's fields (a
 * template copied into each entry) and a small table of the last trace
 * number per ODFI prefix: memory is flat whatever the file's size.
 *
 * Lines: the first block decides the physical shape.  A '\n' in it means
 * lines (LF or CRLF, each 94 bytes; shorter or longer ones are a
 * RECORD_LENGTH problem); none means records back to back.  The 9s that
 * pad the file to a multiple of ten records may be there or not.
 *
 * How it fails: a broken rule is a problem (struct ps_doc_problem) kept in
 * a list in file order and the reading goes on, so that every problem of
 * a file can be listed; finish() then returns PS_EINVAL with the first
 * ERROR (warning_rules[] below says which rules are only WARNINGs).
 * Only a stream error, out of memory, or a document whose first byte is
 * no NACHA record type at all stops the reading (a negative return).
 * README.md beside this file lists every rule.  No DFI account number or
 * corrected account data is ever put in a message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/nacha/nacha.h"
#include "formats/nacha/reader_int.h"

#define BLOCK (64 * 1024) /* bytes read from the stream at a time */
#define LINE_LOOK 1024    /* a line longer than this is skipped unread */

static const struct {
    const char code[4];
    int kind;
} secs[] = {
    {"PPD", SEC_PPD}, {"CCD", SEC_CCD}, {"WEB", SEC_WEB},
    {"TEL", SEC_TEL}, {"CTX", SEC_CTX}, {"COR", SEC_COR},
    {"IAT", SEC_IAT}, {"CIE", SEC_CIE}, {"MTE", SEC_CIE},
    {"ACK", SEC_UNAPPLIED}, {"ADV", SEC_ADV}, {"ARC", SEC_UNAPPLIED},
    {"ATX", SEC_UNAPPLIED}, {"BOC", SEC_UNAPPLIED}, {"DNE", SEC_UNAPPLIED},
    {"ENR", SEC_ENR}, {"POP", SEC_UNAPPLIED}, {"POS", SEC_UNAPPLIED},
    {"RCK", SEC_UNAPPLIED}, {"SHR", SEC_UNAPPLIED}, {"TRC", SEC_UNAPPLIED},
    {"TRX", SEC_UNAPPLIED}, {"XCK", SEC_UNAPPLIED},
};

/* ---- lenient options ----------------------------------------------- */

static const char *const lenient_names[] = {
    "bad_check_digit",        "missing_file_header",
    "missing_file_control",   "unequal_addenda_counts",
    "unordered_trace_numbers", "unordered_batch_numbers",
    "wrong_block_count",      "short_lines",
    "strict",
};
#define NLENIENT (sizeof(lenient_names) / sizeof(lenient_names[0]))

const char *ps_nacha_lenient_name(unsigned bit)
{
    for (unsigned i = 0; i < NLENIENT; i++)
        if (bit == 1u << i)
            return lenient_names[i];
    return NULL;
}

int ps_nacha_lenient_parse(const char *list, unsigned *bits,
                           struct ps_err *err)
{
    unsigned out = 0;
    const char *p = list != NULL ? list : "";
    while (*p != '\0') {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        const char *w = p;
        while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        size_t n = (size_t)(p - w), i;
        if (n == 0)
            continue;
        for (i = 0; i < NLENIENT; i++)
            if (strlen(lenient_names[i]) == n &&
                memcmp(lenient_names[i], w, n) == 0)
                break;
        if (i == NLENIENT) {
            char q[PS_QUOTE_MAX * 4 + 4];
            return ps_err_set(err, PS_EINVAL, "NACHA_LENIENT_UNKNOWN",
                              "unknown NACHA lenient option %s (known: "
                              "bad_check_digit, missing_file_header, "
                              "missing_file_control, unequal_addenda_counts, "
                              "unordered_trace_numbers, "
                              "unordered_batch_numbers, wrong_block_count, "
                              "short_lines, strict)",
                              ps_quote(w, n, q, sizeof(q)));
        }
        out |= 1u << i;
    }
    *bits = out;
    return 0;
}

const char *ps_nacha_lenient_format(unsigned bits, char *buf, size_t size)
{
    size_t at = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (unsigned i = 0; i < NLENIENT; i++) {
        if ((bits & (1u << i)) == 0)
            continue;
        int n = snprintf(buf + at, size - at, "%s%s", at > 0 ? "," : "",
                         lenient_names[i]);
        if (n < 0 || (size_t)n >= size - at)
            break;
        at += (size_t)n;
    }
    return buf;
}

int ps_nacha_check_digit(const char *eight)
{
    static const int w[8] = {3, 7, 1, 3, 7, 1, 3, 7};
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        int d = eight[i] - '0';
        if (d < 0 || d > 9)
            return -1;
        sum += d * w[i];
    }
    return (10 - sum % 10) % 10;
}

/* Are the 94 bytes at s all printable ASCII (0x20..0x7e)?  Else the index
 * of the first one that is not. */
static inline int printable(const char *s, size_t *bad_at)
{
    uint64_t bad = 0, w;
    for (size_t i = 0; i < 88; i += 8) {
        memcpy(&w, s + i, 8);
        bad |= ((w - ONES * 0x20) & ~w) | (w + ONES) | w;
    }
    memcpy(&w, s + REC - 8, 8); /* the last 6, overlapping */
    bad |= ((w - ONES * 0x20) & ~w) | (w + ONES) | w;
    if ((bad & ONES * 0x80) == 0)
        return 1;
    for (size_t i = 0; i < REC; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e) {
            *bad_at = i;
            return 0;
        }
    }
    return 1; /* a carry's false alarm */
}

/* ---- problems ---------------------------------------------------------- */

/*
 * The rules of severity WARNING: a convention that banks tolerate and
 * that moves no money wrongly (CONFORMANCE.md says why each is one).
 * Every other rule is an ERROR.  At most 64 (a bit each in r->warned).
 */
static const char *const warning_rules[] = {
    "ADDENDA_ENTRY_SEQUENCE", /* 05 entry sequence is not the trace's */
    "ADDENDA_SEQUENCE",       /* 05 sequence numbers not 1, 2, 3... */
    "ADDENDA_TRACE",          /* 98/99 trace is not the entry's */
    "NOC_AMOUNT",             /* a NOC that is not $0: no money moves */
    "RECORD_EXTRA_BLANKS",    /* blanks after the 94th byte */
    "RECORD_TRIMMED",         /* trailing blanks stripped in transit */
    "RETURN_DATE_BLANK",      /* contested return without its date */
    "TRACE_DUPLICATE_FILE",   /* a trace seen in an earlier batch */
    "TRACE_ORDER_FILE",       /* traces restart in a later batch */
    "WEB_PAYMENT_TYPE_BLANK", /* older WEB files: no R or S */
};
#define NWARNING (sizeof(warning_rules) / sizeof(warning_rules[0]))

/* Index of rule in warning_rules, or -1 (an ERROR). */
static int warning_index(const char *rule)
{
    for (size_t i = 0; i < NWARNING; i++)
        if (strcmp(warning_rules[i], rule) == 0)
            return (int)i;
    return -1;
}

int ps_nacha_rule_severity(const char *rule)
{
    return warning_index(rule) >= 0 ? PS_DOC_WARNING : PS_DOC_ERROR;
}

/*
 * Record a problem: the rule, the record (line, offset, type), the field
 * (its 1-based position pos in the record, 0 for none) and the return
 * code it corresponds to ("" for none).  Kept in line order (a few are
 * found after later records were read), up to PS_NACHA_PROBLEMS_MAX;
 * counted beyond.  The list grows by doubling, an allocation failure
 * only losing the problem from the list (it is still counted and
 * finish() still fails).
 */
void ps_nacha_problem_at(struct ps_nacha_reader *r, long line, int64_t roff,
                         char rtype, int pos, const char *field,
                         const char *rule, const char *rcode, const char *fmt,
                         ...)
{
    int w = (r->lenient & PS_NACHA_STRICT) ? -1 : warning_index(rule);
    r->total++;
    if (w >= 0)
        r->warned |= UINT64_C(1) << w;
    else
        r->errors++;
    if (r->nprobs >= PS_NACHA_PROBLEMS_MAX)
        return;
    if (r->nprobs == r->capprobs) {
        size_t cap = r->capprobs == 0 ? 16 : r->capprobs * 2;
        if (cap > PS_NACHA_PROBLEMS_MAX)
            cap = PS_NACHA_PROBLEMS_MAX;
        struct ps_doc_problem *p = realloc(r->probs, cap * sizeof(*p));
        if (p == NULL)
            return;
        r->probs = p;
        r->capprobs = cap;
    }
    size_t i = r->nprobs++;
    while (i > 0 && r->probs[i - 1].err.line > line) {
        r->probs[i] = r->probs[i - 1];
        i--;
    }
    struct ps_doc_problem *p = &r->probs[i];
    memset(p, 0, sizeof(*p));
    ps_err_set(&p->err, PS_EINVAL, rule, NULL); /* the message follows */
    ps_strlcpy(p->err.file, r->docname, sizeof(p->err.file));
    ps_strlcpy(p->err.field, field, sizeof(p->err.field));
    p->err.line = line;
    p->err.offset = roff + (pos > 0 ? pos - 1 : 0);
    p->record_type = rtype;
    ps_strlcpy(p->return_code, rcode, sizeof(p->return_code));
    p->severity = w >= 0 ? PS_DOC_WARNING : PS_DOC_ERROR;
    char msg[PS_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int k = snprintf(p->err.msg, sizeof(p->err.msg), "record %ld: ", line);
    if (k > 0 && (size_t)k < sizeof(p->err.msg))
        ps_strlcpy(p->err.msg + k, msg, sizeof(p->err.msg) - (size_t)k);
}

/* ---- bytes to records ------------------------------------------------ */

/* Read more: at least `want` bytes unread unless the stream ends. */
static int fill(struct ps_nacha_reader *r, size_t want, struct ps_err *err)
{
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->end -= r->pos;
        r->pos = 0;
    }
    while (!r->eof && r->end < want) {
        ssize_t n = r->in->read(r->in->ctx, r->buf + r->end,
                                BLOCK + LINE_LOOK - r->end, err);
        if (n < 0)
            return (int)n;
        if (n == 0)
            r->eof = 1;
        r->end += (size_t)n;
    }
    return 0;
}

/*
 * The next record: 1 with r->s (94 bytes), r->line and r->roff; 0 at the
 * end; negative on a stream error.  Problems of the physical shape
 * (RECORD_LENGTH, INVALID_CHARACTER) are recorded here.
 */
static int get_record(struct ps_nacha_reader *r, struct ps_err *err)
{
    for (;;) {
        if (r->end - r->pos < LINE_LOOK && !r->eof) {
            int rc = fill(r, BLOCK, err);
            if (rc < 0)
                return rc;
        }
        size_t avail = r->end - r->pos;
        if (avail == 0)
            return 0;
        const char *s = (const char *)r->buf + r->pos;
        if (r->shape == 0) {
            /* Lines, unless the first line is several records back to
             * back (a multiple of 94 bytes, as moov-io/ach reads it): then
             * the line breaks are ignored wherever they are. */
            const char *nl = memchr(s, '\n', avail);
            size_t k = nl != NULL ? (size_t)(nl - s) : 0;
            if (k > 0 && s[k - 1] == '\r')
                k--;
            r->shape = nl != NULL && !(k > REC && k % REC == 0) ? 1 : 2;
        }
        if (r->shape == 2 && (s[0] == '\n' || s[0] == '\r')) {
            r->pos++;
            r->off++;
            continue;
        }
        size_t len, used, bad = 0;
        if (r->shape == 2) {
            len = used = avail < REC ? avail : REC;
        } else if (avail > REC && s[REC] == '\n') {
            len = REC; /* the common case: no search */
            used = REC + 1;
        } else if (avail > REC + 1 && s[REC] == '\r' && s[REC + 1] == '\n') {
            len = REC;
            used = REC + 2;
        } else {
            const char *nl = memchr(s, '\n', avail < LINE_LOOK ? avail
                                                               : LINE_LOOK);
            if (nl == NULL && avail >= LINE_LOOK) {
                /* Too long to be a record: skip to its end, unread. */
                r->recno++;
                ps_nacha_problem_at(
                    r, r->recno, r->off, 0, 0, "record", "RECORD_LENGTH", "R17",
                    "line of more than %d bytes: a record is %d", LINE_LOOK,
                    REC);
                for (;;) {
                    const char *e = memchr((const char *)r->buf + r->pos,
                                           '\n', r->end - r->pos);
                    if (e != NULL) {
                        size_t k = (size_t)(e - (const char *)r->buf) + 1;
                        r->off += (int64_t)(k - r->pos);
                        r->pos = k;
                        break;
                    }
                    r->off += (int64_t)(r->end - r->pos);
                    r->pos = r->end;
                    if (r->eof)
                        break;
                    int rc = fill(r, BLOCK, err);
                    if (rc < 0)
                        return rc;
                }
                continue;
            }
            len = nl != NULL ? (size_t)(nl - s) : avail;
            used = nl != NULL ? len + 1 : len;
            if (len > 0 && s[len - 1] == '\r')
                len--;
        }
        r->recno++;
        r->line = r->recno;
        r->roff = r->off;
        r->pos += used;
        r->off += (int64_t)used;
        if (len == 0) {
            /* An empty line is no record: said, and skipped. */
            ps_nacha_problem_at(
                r, r->line, r->roff, 0, 0, "record", "RECORD_LENGTH", "R17",
                "an empty line: a NACHA record is %d bytes", REC);
            continue;
        }
        if (len == REC && printable(s, &bad)) {
            r->s = s;
            return 1;
        }
        /* A short line lost its trailing blanks in transit, a long one
         * has blanks past 94 (WARNINGs: its fields are read as written);
         * a long one with anything else there is an ERROR. */
        /* Records back to back end short only when the file was cut
         * (moov-io/ach refuses such a line too): an ERROR. */
        int trimmed = len < REC && r->shape == 1;
        if (len != REC &&
            !(len < REC && excused(r, PS_NACHA_LENIENT_SHORT_LINES)))
            ps_nacha_problem_at(
                r, r->line, r->roff, 0, len < REC ? (int)len + 1 : REC + 1,
                "record",
                trimmed                       ? "RECORD_TRIMMED"
                : len < REC                   ? "RECORD_LENGTH"
                : blank(s + REC, len - REC) ? "RECORD_EXTRA_BLANKS"
                                              : "RECORD_LENGTH",
                "R17", "%s is %zu bytes long: a NACHA record is %d%s",
                r->shape == 1 ? "line" : "the last record", len, REC,
                len < REC ? " (read space-padded)" : "");
        if (len < REC) {
            memcpy(r->pad, s, len);
            memset(r->pad + len, ' ', REC - len);
            s = r->pad;
        }
        if (!printable(s, &bad))
            ps_nacha_problem_at(
                r, r->line, r->roff, 0, (int)bad + 1, "record",
                "INVALID_CHARACTER", "R17",
                "byte 0x%02x at position %zu: only characters 0x20 to "
                "0x7E are allowed",
                (unsigned char)s[bad], bad + 1);
        r->s = s;
        return 1;
    }
}

/* ---- the records ------------------------------------------------------- */

/* A record of 9s after the file control (a trimmed one is 9s and then
 * the blanks it was padded with). */
static int is_padding(const char *s)
{
    size_t i = 0;
    while (i < REC && s[i] == '9')
        i++;
    return i >= 2 && blank(s + i, REC - i);
}

static void file_header(struct ps_nacha_reader *r)
{
    const char *s = r->s;
    struct ps_nacha_file_info *fi = &r->info;
    uint64_t v;
    char q[PS_QUOTE_MAX * 4 + 4];

    if (r->where != W_START || r->have_header) {
        PROB(r, 1, "record_type", "RECORD_ORDER", "R17",
             "a file header (1) must be the first record, and only once");
        return;
    }
    r->have_header = 1;
    r->where = W_FILE;
    field_num(r, 2, 2, "priority_code", "priority code", "", &v);
    /* Immediate destination: " " and a routing number (some write it
     * with the blank last, or 10 digits). */
    copy_trim(fi->immediate_destination, s + 3, 10);
    size_t dl = strlen(fi->immediate_destination);
    if (dl == 0) {
        PROB(r, 4, "immediate_destination", "MANDATORY_FIELD", "R26",
             "the immediate destination (positions 4-13) is blank");
    } else if (num(fi->immediate_destination, dl, &v) != 0 || dl < 9) {
        PROB(r, 4, "immediate_destination", "NON_NUMERIC", "R26",
             "the immediate destination must be a routing number, found %s",
             ps_quote(s + 3, 10, q, sizeof(q)));
    } else if (dl == 9) {
        check_aba(r, s[3] == ' ' ? 5 : 4, "immediate_destination",
                  "immediate destination");
    }
    /* Immediate origin: a routing number, or a 10-character company ID,
     * which has no check digit. */
    copy_trim(fi->immediate_origin, s + 13, 10);
    size_t ol = strlen(fi->immediate_origin);
    if (ol == 0)
        PROB(r, 14, "immediate_origin", "MANDATORY_FIELD", "R26",
             "the immediate origin (positions 14-23) is blank");
    else if (ol == 9 && num(fi->immediate_origin, 9, &v) == 0)
        check_aba(r, s[13] == ' ' ? 15 : 14, "immediate_origin",
                  "immediate origin");
    if (ymd(s + 23, fi->creation_date) != 0) {
        fi->creation_date[0] = '\0';
        PROB(r, 24, "creation_date", "CREATION_DATE", "R17",
             "the file creation date %s is not a valid YYMMDD date",
             ps_quote(s + 23, 6, q, sizeof(q)));
    }
    if (blank(s + 29, 4)) {
        fi->creation_time[0] = '\0';
    } else if (num(s + 29, 4, &v) != 0 || v / 100 > 23 || v % 100 > 59) {
        fi->creation_time[0] = '\0';
        PROB(r, 30, "creation_time", "CREATION_TIME", "R17",
             "the file creation time %s is not a valid HHMM time",
             ps_quote(s + 29, 4, q, sizeof(q)));
    } else {
        memcpy(fi->creation_time, s + 29, 4);
        fi->creation_time[4] = '\0';
    }
    fi->file_id_modifier = s[33];
    if (!((s[33] >= 'A' && s[33] <= 'Z') || (s[33] >= '0' && s[33] <= '9')))
        PROB(r, 34, "file_id_modifier", "FILE_ID_MODIFIER", "R17",
             "the file ID modifier must be A-Z or 0-9, found %s",
             ps_quote(s + 33, 1, q, sizeof(q)));
    if (memcmp(s + 34, "094", 3) != 0)
        PROB(r, 35, "record_size", "RECORD_SIZE", "R17",
             "the record size must be 094, found %s",
             ps_quote(s + 34, 3, q, sizeof(q)));
    if (memcmp(s + 37, "10", 2) != 0)
        PROB(r, 38, "blocking_factor", "BLOCKING_FACTOR", "R17",
             "the blocking factor must be 10, found %s",
             ps_quote(s + 37, 2, q, sizeof(q)));
    if (s[39] != '1')
        PROB(r, 40, "format_code", "FORMAT_CODE", "R17",
             "the format code must be 1, found %s",
             ps_quote(s + 39, 1, q, sizeof(q)));
    copy_trim(fi->destination_name, s + 40, 23);
    copy_trim(fi->origin_name, s + 63, 23);
    copy_trim(fi->reference_code, s + 86, 8);
}

/* The document has no file header: say so once, at its first record. */
void ps_nacha_no_header(struct ps_nacha_reader *r)
{
    r->where = W_FILE;
    r->have_header = 1; /* said */
    if (!excused(r, PS_NACHA_LENIENT_FILE_HEADER))
        ps_nacha_problem_at(
            r, r->line, r->roff, '1', 0, "record_type", "MISSING_FILE_HEADER",
            "R17", "the file does not start with a file header (1) record");
}

static void close_uncontrolled(struct ps_nacha_reader *r);

/* Is s[0..n), its blanks apart, nothing but zeros (and at least one)? */
static int zeros(const char *s, size_t n)
{
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '0')
            any = 1;
        else if (s[i] != ' ')
            return 0;
    }
    return any;
}

/* Are the n bytes at s all 'A'..'Z'? */
static int letters(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < 'A' || s[i] > 'Z')
            return 0;
    return 1;
}

/*
 * An IAT batch header's own fields (moov-io/ach iatBatchHeader.go): the
 * foreign exchange indicator 21-22 (FV, VF or FF), its reference
 * indicator 23 (1, 2 or 3), the ISO destination country 39-40 and the
 * originating and destination currencies 64-66, 67-69, letters.  The
 * originator identification (41-50) is read as the company ID.
 */
static void iat_header(struct ps_nacha_reader *r)
{
    const char *s = r->s;
    char q[PS_QUOTE_MAX * 4 + 4];
    if (memcmp(s + 20, "FV", 2) != 0 && memcmp(s + 20, "VF", 2) != 0 &&
        memcmp(s + 20, "FF", 2) != 0)
        PROB(r, 21, "foreign_exchange_indicator", "IAT_HEADER", "R17",
             "the IAT foreign exchange indicator must be FV, VF or FF, "
             "found %s",
             ps_quote(s + 20, 2, q, sizeof(q)));
    if (s[22] < '1' || s[22] > '3')
        PROB(r, 23, "foreign_exchange_reference_indicator", "IAT_HEADER",
             "R17",
             "the IAT foreign exchange reference indicator must be 1, 2 or "
             "3, found %s",
             ps_quote(s + 22, 1, q, sizeof(q)));
    if (!letters(s + 38, 2))
        PROB(r, 39, "destination_country", "IAT_HEADER", "R17",
             "the IAT destination country must be an ISO code, found %s",
             ps_quote(s + 38, 2, q, sizeof(q)));
    if (!letters(s + 63, 3) || !letters(s + 66, 3))
        PROB(r, 64, "currency", "IAT_HEADER", "R17",
             "the IAT originating and destination currencies must be ISO "
             "codes, found %s",
             ps_quote(s + 63, 6, q, sizeof(q)));
}

static void batch_header(struct ps_nacha_reader *r)
{
    const char *s = r->s;
    struct ps_nacha_entry *t = &r->tmpl;
    uint64_t v;
    char q[PS_QUOTE_MAX * 4 + 4];

    if (r->where == W_START)
        ps_nacha_no_header(r);
    if (r->where == W_BATCH || r->where == W_ENTRY)
        close_uncontrolled(r);
    else if (r->where == W_CONTROL)
        PROB(r, 1, "record_type", "RECORD_ORDER", "R17",
             "a batch header (5) after the file control (9)");
    r->where = W_BATCH;
    memcpy(r->bh, s, REC);
    r->bh_line = r->line;
    r->bh_off = r->roff;
    r->b_count = 0;
    r->b_hash = 0;
    r->b_debit = r->b_credit = 0;
    r->batch_returns = 0;
    r->b_has_trace = r->b_order_said = 0;
    memset(t, 0, sizeof(*t));

    r->scc = -1;
    if (field_num(r, 2, 3, "service_class_code", "service class code", "",
                  &v) == 0) {
        if (v != 200 && v != 220 && v != 225 && v != 280)
            PROB(r, 2, "service_class_code", "SERVICE_CLASS_CODE", "R17",
                 "service class code %03u is not 200, 220, 225 or 280",
                 (unsigned)v);
        else
            r->scc = (int)v;
    }
    t->service_class = r->scc;
    memcpy(t->sec, s + 50, 3);
    t->sec[3] = '\0';
    r->sec_kind = SEC_UNKNOWN;
    for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
        if (memcmp(secs[i].code, s + 50, 3) == 0)
            r->sec_kind = secs[i].kind;
    if (r->sec_kind == SEC_UNKNOWN)
        PROB(r, 51, "standard_entry_class", "SEC_CODE", "R17",
             "standard entry class code %s is not one NACHA defines",
             ps_quote(s + 50, 3, q, sizeof(q)));
    if (r->sec_kind == SEC_ADV)
        r->f_adv++;
    else
        r->f_other++;
    if (r->sec_kind == SEC_IAT)
        iat_header(r);
    /* Blank or all zeros is no name (moov-io/ach refuses both). */
    if (r->sec_kind != SEC_IAT) {
        copy_trim(t->company_name, s + 4, 16);
        if (t->company_name[0] == '\0' || zeros(s + 4, 16))
            PROB(r, 5, "company_name", "MANDATORY_FIELD", "R26",
                 "the company name (positions 5-20) is %s",
                 t->company_name[0] == '\0' ? "blank" : "all zeros");
    }
    copy_trim(t->company_id, s + 40, 10);
    if (t->company_id[0] == '\0')
        PROB(r, 41, "company_id", "MANDATORY_FIELD", "R26",
             "the company identification (positions 41-50) is blank");
    copy_trim(t->entry_description, s + 53, 10);
    if (t->entry_description[0] == '\0' || zeros(s + 53, 10))
        PROB(r, 54, "entry_description", "MANDATORY_FIELD", "R26",
             "the company entry description (positions 54-63) is %s",
             t->entry_description[0] == '\0' ? "blank" : "all zeros");
    r->eff_blank = 0;
    if (blank(s + 69, 6)) {
        r->eff_blank = 1; /* judged at the batch control: returns may */
    } else if (ymd(s + 69, t->effective_date) != 0) {
        t->effective_date[0] = '\0';
        PROB(r, 70, "effective_date", "EFFECTIVE_DATE", "R18",
             "the effective entry date %s is not a valid YYMMDD date",
             ps_quote(s + 69, 6, q, sizeof(q)));
    }
    if (field_num(r, 80, 8, "odfi", "originating DFI", "", &v) == 0)
        memcpy(t->odfi, s + 79, 8);
    t->odfi[8] = '\0';
    if (field_num(r, 88, 7, "batch_number", "batch number", "", &v) == 0) {
        t->batch_number = (long)v;
        if ((long)v <= r->last_batch &&
            !excused(r, PS_NACHA_LENIENT_BATCH_ORDER))
            PROB(r, 88, "batch_number", "BATCH_NUMBER_ORDER", "R17",
                 "batch number %ld does not follow %ld: batch numbers must "
                 "ascend",
                 (long)v, r->last_batch);
        r->last_batch = (long)v;
    }
}

/* Compare a control field with what was counted. */
static void control_num(struct ps_nacha_reader *r, int pos, size_t n,
                        const char *field, const char *what, const char *rule,
                        const char *rcode, uint64_t want, unsigned lenient)
{
    uint64_t v;
    if (field_num(r, pos, n, field, what, rcode, &v) != 0 || v == want ||
        (lenient != 0 && excused(r, lenient)))
        return;
    PROB(r, pos, field, rule, rcode, "%s is %llu, the records add up to %llu",
         what, (unsigned long long)v, (unsigned long long)want);
}

/* Add the batch's counts to the file's. */
static void batch_close(struct ps_nacha_reader *r)
{
    r->f_batches++;
    r->f_count += r->b_count;
    r->f_hash += r->b_hash % 10000000000u;
    r->f_debit += r->b_debit;
    r->f_credit += r->b_credit;
}

/* A 5 or a 9 came where the batch control was due: the batch ends there
 * (its counts go to the file's, which then still add up). */
static void close_uncontrolled(struct ps_nacha_reader *r)
{
    PROB(r, 1, "record_type", "MISSING_BATCH_CONTROL", "R17",
         "the batch at record %ld ends without its batch control (8)",
         r->bh_line);
    batch_close(r);
}

static void batch_control(struct ps_nacha_reader *r)
{
    const char *s = r->s;
    char q[PS_QUOTE_MAX * 4 + 4], q2[PS_QUOTE_MAX * 4 + 4];

    if (r->where == W_START)
        ps_nacha_no_header(r);
    if (r->where != W_BATCH && r->where != W_ENTRY) {
        PROB(r, 1, "record_type", "RECORD_ORDER", "R17",
             "a batch control (8) without its batch header (5)");
        return;
    }
    r->where = W_FILE;
    static const struct {
        int pos, hpos, n;
        const char *field, *what;
    } same[] = {
        {2, 2, 3, "service_class_code", "service class code"},
        {45, 41, 10, "company_id", "company identification"},
        {80, 80, 8, "odfi", "originating DFI"},
        {88, 88, 7, "batch_number", "batch number"},
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        /* The company identification is text: its padding may differ
         * (" 123456789" against "123456789 ", as moov-io/ach trims). */
        char a[11], b[11];
        if (i == 1 && r->sec_kind == SEC_ADV)
            continue; /* an ADV control has no company identification */
        if (i == 1) {
            copy_trim(a, s + 44, 10);
            copy_trim(b, r->bh + 40, 10);
            if (strcmp(a, b) == 0)
                continue;
        } else if (memcmp(s + same[i].pos - 1, r->bh + same[i].hpos - 1,
                          (size_t)same[i].n) == 0) {
            continue;
        }
        PROB(r, same[i].pos, same[i].field, "BATCH_HEADER_MISMATCH", "R17",
             "the batch control's %s %s differs from its header's, %s",
             same[i].what,
             ps_quote(s + same[i].pos - 1, (size_t)same[i].n, q,
                      sizeof(q)),
             ps_quote(r->bh + same[i].hpos - 1, (size_t)same[i].n, q2,
                      sizeof(q2)));
    }
    control_num(r, 5, 6, "entry_addenda_count", "entry and addenda count",
                "BATCH_ENTRY_COUNT", "R17", (uint64_t)r->b_count, 0);
    control_num(r, 11, 10, "entry_hash", "entry hash", "BATCH_ENTRY_HASH", "R17",
                r->b_hash % 10000000000u, 0);
    /* ADV batch control: 20-digit totals at 21-40 and 41-60. */
    int adv = r->sec_kind == SEC_ADV;
    control_num(r, 21, adv ? 20 : 12, "total_debit", "total debit amount",
                "BATCH_DEBIT_TOTAL", "R19", (uint64_t)r->b_debit, 0);
    control_num(r, adv ? 41 : 33, adv ? 20 : 12, "total_credit",
                "total credit amount", "BATCH_CREDIT_TOTAL", "R19",
                (uint64_t)r->b_credit, 0);
    if (r->eff_blank && !r->batch_returns && r->sec_kind != SEC_COR &&
        r->sec_kind != SEC_ENR)
        ps_nacha_problem_at(
            r, r->bh_line, r->bh_off, '5', 70, "effective_date",
            "EFFECTIVE_DATE", "R18",
            "the effective entry date is blank (allowed only in "
            "returns)");
    batch_close(r);
}

static void file_control(struct ps_nacha_reader *r)
{
    if (r->where == W_START)
        ps_nacha_no_header(r);
    if (r->where == W_CONTROL) {
        if (!is_padding(r->s))
            PROB(r, 1, "record_type", "RECORD_ORDER", "R17",
                 "a second file control (9)");
        return;
    }
    if (r->where == W_BATCH || r->where == W_ENTRY)
        close_uncontrolled(r);
    r->where = W_CONTROL;
    r->have_control = 1;
    uint64_t blocks = (uint64_t)(r->line + 9) / 10;
    control_num(r, 2, 6, "batch_count", "batch count", "FILE_BATCH_COUNT", "R17",
                (uint64_t)r->f_batches, 0);
    control_num(r, 8, 6, "block_count", "block count", "FILE_BLOCK_COUNT", "R17",
                blocks, PS_NACHA_LENIENT_BLOCK_COUNT);
    control_num(r, 14, 8, "entry_addenda_count", "entry and addenda count",
                "FILE_ENTRY_COUNT", "R17", (uint64_t)r->f_count, 0);
    control_num(r, 22, 10, "entry_hash", "entry hash", "FILE_ENTRY_HASH", "R17",
                r->f_hash % 10000000000u, 0);
    /* An ADV file (ADV batches only): 20-digit totals at 32-51, 52-71. */
    int adv = r->f_adv > 0 && r->f_other == 0;
    control_num(r, 32, adv ? 20 : 12, "total_debit", "total debit amount",
                "FILE_DEBIT_TOTAL", "R19", (uint64_t)r->f_debit, 0);
    control_num(r, adv ? 52 : 44, adv ? 20 : 12, "total_credit",
                "total credit amount", "FILE_CREDIT_TOTAL", "R19",
                (uint64_t)r->f_credit, 0);
    r->info.blocks = (long)blocks;
}

/* After the last record. */
static void at_end(struct ps_nacha_reader *r)
{
    long line = r->recno + 1;
    r->done = 1;
    if (r->recno == 0) {
        ps_nacha_problem_at(r, 1, 0, '1', 0, "record_type",
                            "MISSING_FILE_HEADER", "R17",
                            "the file is empty: no file header (1) record");
        return;
    }
    if (r->where == W_BATCH || r->where == W_ENTRY)
        ps_nacha_problem_at(
            r, line, r->off, '8', 0, "record_type", "MISSING_BATCH_CONTROL",
            "R17",
            "the file ends inside the batch at record %ld, without "
            "its batch control (8)",
            r->bh_line);
    if (r->where != W_CONTROL && !excused(r, PS_NACHA_LENIENT_FILE_CONTROL))
        ps_nacha_problem_at(r, line, r->off, '9', 0, "record_type",
                            "MISSING_FILE_CONTROL", "R17",
                            "the file ends without a file control (9) record");
}

/*
 * Process records until an entry is complete (1, *e filled), the
 * document ended (0) or reading failed (negative, err set).
 */
static int advance(struct ps_nacha_reader *r, struct ps_nacha_entry *e,
                   struct ps_err *err)
{
    if (r->fatal != 0) {
        if (err != NULL)
            *err = r->fatal_err;
        return r->fatal;
    }
    for (;;) {
        if (r->held) {
            r->held = 0;
            r->s = r->hrec;
            r->line = r->hline;
            r->roff = r->hoff;
        } else if (r->done) {
            return 0;
        } else {
            int rc = get_record(r, err);
            if (rc < 0) {
                r->fatal = rc;
                if (err != NULL) {
                    r->fatal_err = *err;
                    ps_err_at(err, r->docname, r->recno, r->off);
                }
                return rc;
            }
            if (rc == 0) {
                if (r->in_entry) {
                    ps_nacha_entry_end(r, e);
                    return 1;
                }
                at_end(r);
                return 0;
            }
            if (r->recno == 1 && strchr("156789", r->s[0]) == NULL) {
                r->fatal = ps_err_set(&r->fatal_err, PS_EINVAL, "NOT_NACHA",
                                      "not a NACHA file: the first record "
                                      "is of no NACHA record type");
                ps_err_at(&r->fatal_err, r->docname, 1, 0);
                if (err != NULL)
                    *err = r->fatal_err;
                return r->fatal;
            }
        }
        if (r->in_entry && r->s[0] != '7') {
            ps_nacha_entry_end(r, e);
            r->held = 1;
            r->hrec = r->s;
            r->hline = r->line;
            r->hoff = r->roff;
            return 1;
        }
        switch (r->s[0]) {
        case '6':
            ps_nacha_entry_detail(r, e);
            break;
        case '7':
            ps_nacha_addenda(r, e);
            break;
        case '5':
            batch_header(r);
            break;
        case '8':
            batch_control(r);
            break;
        case '9':
            file_control(r);
            break;
        case '1':
            file_header(r);
            break;
        default: {
            char q[PS_QUOTE_MAX * 4 + 4];
            if (r->where == W_START)
                ps_nacha_no_header(r);
            PROB(r, 1, "record_type", "RECORD_TYPE", "R17",
                 "record type %s is not 1, 5, 6, 7, 8 or 9",
                 ps_quote(r->s, 1, q, sizeof(q)));
        }
        }
    }
}

/* ---- the API ------------------------------------------------------------ */

int ps_nacha_reader_open(struct ps_stream *in, const char *docname,
                         unsigned lenient, struct ps_nacha_reader **out,
                         struct ps_err *err)
{
    struct ps_nacha_reader *r = calloc(1, sizeof(*r));
    if (r == NULL || (r->buf = malloc(BLOCK + LINE_LOOK)) == NULL) {
        free(r);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    r->in = in;
    ps_strlcpy(r->docname, docname != NULL ? docname : "", sizeof(r->docname));
    r->lenient = lenient & PS_NACHA_OPTIONS_ALL;
    r->last_batch = -1;
    *out = r;
    return 0;
}

int ps_nacha_reader_next(struct ps_nacha_reader *r, struct ps_nacha_entry *e,
                         struct ps_err *err)
{
    return advance(r, e, err);
}

const struct ps_nacha_file_info *
ps_nacha_reader_info(const struct ps_nacha_reader *r)
{
    return &r->info;
}

int ps_nacha_reader_finish(struct ps_nacha_reader *r,
                           struct ps_nacha_file_info *info,
                           struct ps_err *err)
{
    int rc;
    struct ps_nacha_entry scratch;
    /* Whatever the caller did not read is read now: the controls are
     * over the whole file. */
    while ((rc = advance(r, &scratch, err)) > 0)
        ;
    if (rc < 0)
        return rc;
    struct ps_nacha_file_info *fi = &r->info;
    fi->batches = r->f_batches;
    fi->entries = r->f_entries;
    fi->addenda = r->f_addenda;
    fi->records = r->recno;
    if (fi->blocks == 0)
        fi->blocks = (r->recno + 9) / 10;
    fi->total_debit = r->f_debit;
    fi->total_credit = r->f_credit;
    fi->entry_hash = r->f_hash % 10000000000u;
    fi->warnings = r->total - r->errors;
    fi->warning_rules[0] = '\0';
    for (size_t i = 0, at = 0; i < NWARNING; i++) {
        if ((r->warned & (UINT64_C(1) << i)) == 0)
            continue;
        int n = snprintf(fi->warning_rules + at, sizeof(fi->warning_rules) - at,
                         "%s%s", at > 0 ? "," : "", warning_rules[i]);
        if (n < 0 || (size_t)n >= sizeof(fi->warning_rules) - at)
            break;
        at += (size_t)n;
    }
    if (r->lenient & PS_NACHA_STRICT)
        fi->lenient_used |= PS_NACHA_STRICT; /* said with the file */
    if (info != NULL)
        *info = *fi;
    if (r->errors == 0)
        return 0;
    if (err != NULL) {
        size_t first = 0;
        while (first < r->nprobs && r->probs[first].severity != PS_DOC_ERROR)
            first++;
        if (first < r->nprobs) {
            *err = r->probs[first].err;
        } else {
            /* The list could not grow: say what is known. */
            ps_err_clear(err);
            ps_err_set(err, PS_EINVAL, "NACHA_PROBLEMS",
                       "problems in the file");
            ps_strlcpy(err->file, r->docname, sizeof(err->file));
        }
        if (r->errors > 1) {
            char msg[PS_ERR_MSG_MAX];
            int k = snprintf(msg, sizeof(msg), "%ld problems; first: ",
                             r->errors);
            if (k > 0 && (size_t)k < sizeof(msg))
                ps_strlcpy(msg + k, err->msg, sizeof(msg) - (size_t)k);
            memcpy(err->msg, msg, sizeof(err->msg));
        }
    }
    return PS_EINVAL;
}

size_t ps_nacha_reader_problems(const struct ps_nacha_reader *r,
                                const struct ps_doc_problem **list,
                                long *total)
{
    if (list != NULL)
        *list = r->probs;
    if (total != NULL)
        *total = r->total;
    return r->nprobs;
}

void ps_nacha_reader_close(struct ps_nacha_reader *r)
{
    if (r == NULL)
        return;
    free(r->probs);
    free(r->buf);
    free(r);
}
