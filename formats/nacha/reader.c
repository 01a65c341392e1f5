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
 * a file can be listed; finish() then returns PS_EINVAL with the first.
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

#define REC PS_NACHA_RECORD
#define BLOCK (64 * 1024) /* bytes read from the stream at a time */
#define LINE_LOOK 1024    /* a line longer than this is skipped unread */
#define PREFIXES 64       /* ODFI prefixes whose last trace is kept */
#define ONES UINT64_C(0x0101010101010101)

/* Where in the file's grammar the reader is: what may come next. */
enum where {
    W_START,   /* nothing read: a 1 (or a 5, lenient) */
    W_FILE,    /* after the 1 or an 8: a 5 or the 9 */
    W_BATCH,   /* after a 5: a 6 (or its 8) */
    W_ENTRY,   /* after a 6 or a 7: a 6, a 7 or the 8 */
    W_CONTROL, /* after the 9: padding only */
};

struct prefix_last {
    uint64_t prefix; /* first 8 digits of the trace */
    uint64_t trace;  /* the last trace seen with that prefix */
};

struct ps_nacha_reader {
    struct ps_stream *in;
    char docname[PS_ERR_FILE_MAX];
    unsigned lenient;
    int fatal; /* a negative code: reading stopped */
    struct ps_err fatal_err;
    /* the bytes: buf[pos..end) unread, at document offset off */
    unsigned char *buf; /* BLOCK + LINE_LOOK bytes, from malloc() */
    size_t pos, end;
    int eof;
    int shape;    /* 0 not known yet, 1 lines, 2 back to back */
    int64_t off;  /* document offset of buf[pos] */
    long recno;   /* records read */
    char pad[REC]; /* a short line, space-padded */
    /* a record read but left for the next call (it ended an entry) */
    int held;
    const char *hrec;
    long hline;
    int64_t hoff;
    /* the record being processed */
    const char *s;
    long line;
    int64_t roff;
    int done; /* the end of the document was processed */
    enum where where;
    int have_header, have_control;
    /* the batch */
    char bh[REC];        /* its header as written */
    long bh_line;
    int64_t bh_off;
    int scc;
    int sec_kind;        /* SEC_* below */
    int eff_blank;       /* effective date blank: allowed in returns */
    int batch_returns;   /* the batch holds a return entry */
    long last_batch;     /* -1 before the first */
    long b_count;        /* entries + addenda */
    uint64_t b_hash;
    int64_t b_debit, b_credit;
    struct ps_nacha_entry tmpl; /* the batch's part of every entry */
    /* the entry being read (its 6 record, then its 7s) */
    int in_entry;
    long e_line;
    int64_t e_off;
    uint64_t e_trace;
    int e_indicator;     /* its addenda indicator, -1 when not 0/1 */
    int e_tc;
    long e_05, e_98, e_99; /* addenda of each type */
    long e_ctx_count;    /* CTX: addenda count field, -1 when bad */
    /* the file */
    long f_batches, f_count, f_entries, f_addenda;
    uint64_t f_hash;
    int64_t f_debit, f_credit;
    struct prefix_last last[PREFIXES];
    size_t nlast;
    size_t lastk; /* the slot used last: most entries reuse it */
    uint64_t prev_trace; /* the previous entry's trace */
    struct ps_nacha_file_info info;
    /* problems, in file order */
    struct ps_doc_problem *probs; /* from malloc(), grows to the cap */
    size_t nprobs, capprobs;
    long total;
};

enum {
    SEC_UNAPPLIED, /* read structurally */
    SEC_PPD,
    SEC_CCD,
    SEC_WEB,
    SEC_TEL,
    SEC_CTX,
    SEC_COR,
    SEC_IAT,
    SEC_CIE, /* CIE and MTE swap the ID and name fields */
    SEC_UNKNOWN
};

static const struct {
    const char code[4];
    int kind;
} secs[] = {
    {"PPD", SEC_PPD}, {"CCD", SEC_CCD}, {"WEB", SEC_WEB},
    {"TEL", SEC_TEL}, {"CTX", SEC_CTX}, {"COR", SEC_COR},
    {"IAT", SEC_IAT}, {"CIE", SEC_CIE}, {"MTE", SEC_CIE},
    {"ACK", SEC_UNAPPLIED}, {"ADV", SEC_UNAPPLIED}, {"ARC", SEC_UNAPPLIED},
    {"ATX", SEC_UNAPPLIED}, {"BOC", SEC_UNAPPLIED}, {"DNE", SEC_UNAPPLIED},
    {"ENR", SEC_UNAPPLIED}, {"POP", SEC_UNAPPLIED}, {"POS", SEC_UNAPPLIED},
    {"RCK", SEC_UNAPPLIED}, {"SHR", SEC_UNAPPLIED}, {"TRC", SEC_UNAPPLIED},
    {"TRX", SEC_UNAPPLIED}, {"XCK", SEC_UNAPPLIED},
};

static int applied(int sec_kind)
{
    return sec_kind >= SEC_PPD && sec_kind <= SEC_COR;
}

/* ---- lenient options ----------------------------------------------- */

static const char *const lenient_names[] = {
    "bad_check_digit",        "missing_file_header",
    "missing_file_control",   "unequal_addenda_counts",
    "unordered_trace_numbers", "unordered_batch_numbers",
    "wrong_block_count",      "short_lines",
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
                              "short_lines)",
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

/* ---- small parsers over fixed positions ---------------------------- */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR 1
/* Are the 8 bytes of w (first byte lowest) all '0'..'9'? (simdjson) */
static inline int eight_digits(uint64_t w)
{
    return ((w & UINT64_C(0xF0F0F0F0F0F0F0F0)) |
            (((w + UINT64_C(0x0606060606060606)) &
              UINT64_C(0xF0F0F0F0F0F0F0F0)) >>
             4)) == UINT64_C(0x3333333333333333);
}

/* Their value (simdjson's parse_eight_digits_unrolled). */
static inline uint64_t eight_value(uint64_t w)
{
    w = (w & UINT64_C(0x0F0F0F0F0F0F0F0F)) * 2561 >> 8;
    w = (w & UINT64_C(0x00FF00FF00FF00FF)) * 6553601 >> 16;
    return (w & UINT64_C(0x0000FFFF0000FFFF)) * UINT64_C(42949672960001) >>
           32;
}
#else
#define SWAR 0
#endif

/*
 * The n digits at s as a number: 0, or -1 when one is not a digit.  On
 * the hot path (every entry has 36 digits to read): eight at a time.
 */
static inline int num(const char *s, size_t n, uint64_t *v)
{
    uint64_t x = 0;
    size_t i = 0, head = SWAR ? n % 8 : n;
    for (; i < head; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return -1;
        x = x * 10 + d;
    }
#if SWAR
    for (; i < n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (!eight_digits(w))
            return -1;
        x = x * 100000000u + eight_value(w);
    }
#endif
    *v = x;
    return 0;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ')
            return 0;
    return 1;
}

/* Copy s[0..n) into dst (n + 1 bytes), without the surrounding blanks,
 * NUL-filled to the end (an entry's bytes never depend on the last). */
static inline __attribute__((always_inline)) void
copy_trim(char *dst, const char *s, size_t n)
{
    size_t size = n + 1;
#if SWAR
    /* The trailing blanks eight at a time: the last byte that is not a
     * blank is the highest non-zero byte of w ^ "        ". */
    while (n >= 8) {
        uint64_t w, x, t;
        memcpy(&w, s + n - 8, 8);
        x = w ^ (ONES * ' ');
        t = (((x & ONES * 0x7f) + ONES * 0x7f) | x) & ONES * 0x80;
        if (t != 0) {
            n = n - 8 + (size_t)(63 - __builtin_clzll(t)) / 8 + 1;
            break;
        }
        n -= 8;
    }
    if (n < 8)
#endif
        while (n > 0 && s[n - 1] == ' ')
            n--;
    if (n > 0 && s[0] != ' ') {
        /* The usual case: the whole width in one fixed-size copy (inline
         * once this is), then the blanks after the text made NULs. */
        memcpy(dst, s, size - 1);
        for (size_t i = n; i < size; i++)
            dst[i] = '\0';
        return;
    }
    while (n > 0 && s[0] == ' ') {
        s++;
        n--;
    }
    memcpy(dst, s, n);
    memset(dst + n, 0, size - n);
}

/* s[0..n) and a NUL into dst. */
static void put(char *dst, const char *s, size_t n)
{
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* As copy_trim() but only the trailing blanks: positions stay. */
static void copy_rtrim(char *dst, const char *s, size_t n)
{
    while (n > 0 && s[n - 1] == ' ')
        n--;
    memcpy(dst, s, n);
    dst[n] = '\0';
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

/* YYMMDD at s as "20YY-MM-DD" into out (11 bytes): 0, or -1 when it is
 * not a valid date. */
static int ymd(const char *s, char *out)
{
    uint64_t y, m, d;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    if (num(s, 2, &y) != 0 || num(s + 2, 2, &m) != 0 ||
        num(s + 4, 2, &d) != 0 || m < 1 || m > 12 || d < 1 ||
        d > (uint64_t)mdays[m - 1] || (m == 2 && d == 29 && y % 4 != 0))
        return -1;
    memcpy(out, "20", 2);
    memcpy(out + 2, s, 2);
    out[4] = '-';
    memcpy(out + 5, s + 2, 2);
    out[7] = '-';
    memcpy(out + 8, s + 4, 2);
    out[10] = '\0';
    return 0;
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
 * Record a problem: the rule, the record (line, offset, type), the field
 * (its 1-based position pos in the record, 0 for none) and the return
 * code it corresponds to ("" for none).  Kept in line order (a few are
 * found after later records were read), up to PS_NACHA_PROBLEMS_MAX;
 * counted beyond.  The list grows by doubling, an allocation failure
 * only losing the problem from the list (it is still counted and
 * finish() still fails).
 */
static void __attribute__((format(printf, 9, 10)))
problem_at(struct ps_nacha_reader *r, long line, int64_t roff, char rtype,
           int pos, const char *field, const char *rule, const char *rcode,
           const char *fmt, ...)
{
    r->total++;
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
    char msg[PS_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int k = snprintf(p->err.msg, sizeof(p->err.msg), "record %ld: ", line);
    if (k > 0 && (size_t)k < sizeof(p->err.msg))
        ps_strlcpy(p->err.msg + k, msg, sizeof(p->err.msg) - (size_t)k);
}

/* A problem with the record being processed. */
#define PROB(r, pos, field, rule, rcode, ...)                                  \
    problem_at((r), (r)->line, (r)->roff, (r)->s[0], (pos), (field), (rule),   \
               (rcode), __VA_ARGS__)

/* May option `bit` excuse a problem?  Notes its use when it does. */
static int excused(struct ps_nacha_reader *r, unsigned bit)
{
    if ((r->lenient & bit) == 0)
        return 0;
    r->info.lenient_used |= bit;
    return 1;
}

/* The n digits at position pos (1-based) of the current record, or a
 * NON_NUMERIC problem and -1. */
static int field_num(struct ps_nacha_reader *r, int pos, size_t n,
                     const char *field, const char *what, const char *rcode,
                     uint64_t *v)
{
    if (num(r->s + pos - 1, n, v) == 0)
        return 0;
    char q[PS_QUOTE_MAX * 4 + 4];
    PROB(r, pos, field, "NON_NUMERIC", rcode,
         "%s (positions %d-%d) must be %zu digits, found %s", what, pos,
         pos + (int)n - 1, n, ps_quote(r->s + pos - 1, n, q, sizeof(q)));
    return -1;
}

/* A routing number's check digit: the 8 digits at pos, the 9th after. */
static inline void check_aba(struct ps_nacha_reader *r, int pos,
                             const char *field, const char *what)
{
    const char *s = r->s + pos - 1;
    int cd;
#if SWAR
    /* Weights 3 7 1 3 7 1 3 7: bytes 0,3,6 weigh 3, bytes 1,4,7 weigh 7,
     * bytes 2,5 weigh 1; a byte sum is a multiply by ONES (no carry: at
     * most 27 a group). */
    uint64_t w;
    memcpy(&w, s, 8);
    if (eight_digits(w)) {
        w &= UINT64_C(0x0F0F0F0F0F0F0F0F);
        uint64_t s3 = (w & UINT64_C(0x0000FF0000FF0000FF)) * ONES >> 56;
        uint64_t s7 = (w & UINT64_C(0xFF0000FF0000FF00)) * ONES >> 56;
        uint64_t s1 = (w & UINT64_C(0x0000FF0000FF0000)) * ONES >> 56;
        cd = (int)((10 - (3 * s3 + 7 * s7 + s1) % 10) % 10);
    } else {
        cd = -1;
    }
#else
    cd = ps_nacha_check_digit(s);
#endif
    if (cd < 0 || s[8] - '0' == cd || excused(r, PS_NACHA_LENIENT_CHECK_DIGIT))
        return;
    char q[PS_QUOTE_MAX * 4 + 4];
    PROB(r, pos + 8, field, "ABA_CHECK_DIGIT", "R28",
         "the check digit of %s %s should be %d (ABA weights 3 7 1 3 7 1 3 7)",
         what, ps_quote(s, 9, q, sizeof(q)), cd);
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
        if (r->shape == 0)
            r->shape = memchr(s, '\n', avail) != NULL ? 1 : 2;
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
                problem_at(r, r->recno, r->off, 0, 0, "record",
                           "RECORD_LENGTH",
                           "R17", "line of more than %d bytes: a record is %d",
                           LINE_LOOK, REC);
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
            problem_at(r, r->line, r->roff, 0, 0, "record", "RECORD_LENGTH",
                       "R17", "an empty line: a NACHA record is %d bytes",
                       REC);
            continue;
        }
        if (len == REC && printable(s, &bad)) {
            r->s = s;
            return 1;
        }
        if (len != REC &&
            !(len < REC && excused(r, PS_NACHA_LENIENT_SHORT_LINES)))
            problem_at(r, r->line, r->roff, 0,
                       len < REC ? (int)len + 1 : REC + 1, "record",
                       "RECORD_LENGTH", "R17",
                       "%s is %zu bytes long: a NACHA record is %d",
                       r->shape == 1 ? "line" : "the last record", len, REC);
        if (len < REC) {
            memcpy(r->pad, s, len);
            memset(r->pad + len, ' ', REC - len);
            s = r->pad;
        }
        if (!printable(s, &bad))
            problem_at(r, r->line, r->roff, 0, (int)bad + 1, "record",
                       "INVALID_CHARACTER", "R17",
                       "byte 0x%02x at position %zu: only characters 0x20 to "
                       "0x7E are allowed",
                       (unsigned char)s[bad], bad + 1);
        r->s = s;
        return 1;
    }
}

/* ---- the records ------------------------------------------------------- */

static int is_padding(const char *s)
{
    static const char nines[REC + 1] =
        "9999999999999999999999999999999999999999999999999999999999999999999"
        "999999999999999999999999999";
    return memcmp(s, nines, REC) == 0;
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
static void no_header(struct ps_nacha_reader *r)
{
    r->where = W_FILE;
    r->have_header = 1; /* said */
    if (!excused(r, PS_NACHA_LENIENT_FILE_HEADER))
        problem_at(r, r->line, r->roff, '1', 0, "record_type",
                   "MISSING_FILE_HEADER", "R17",
                   "the file does not start with a file header (1) record");
}

static void close_uncontrolled(struct ps_nacha_reader *r);

static void batch_header(struct ps_nacha_reader *r)
{
    const char *s = r->s;
    struct ps_nacha_entry *t = &r->tmpl;
    uint64_t v;
    char q[PS_QUOTE_MAX * 4 + 4];

    if (r->where == W_START)
        no_header(r);
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
    if (r->sec_kind != SEC_IAT) {
        copy_trim(t->company_name, s + 4, 16);
        if (t->company_name[0] == '\0')
            PROB(r, 5, "company_name", "MANDATORY_FIELD", "R26",
                 "the company name (positions 5-20) is blank");
    }
    copy_trim(t->company_id, s + 40, 10);
    if (t->company_id[0] == '\0')
        PROB(r, 41, "company_id", "MANDATORY_FIELD", "R26",
             "the company identification (positions 41-50) is blank");
    copy_trim(t->entry_description, s + 53, 10);
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

static int valid_tc(int tc)
{
    switch (tc) {
    case 21: case 22: case 23: case 24: case 26: case 27: case 28: case 29:
    case 31: case 32: case 33: case 34: case 36: case 37: case 38: case 39:
    case 41: case 42: case 43: case 44: case 45: case 46: case 47: case 48:
    case 49: case 51: case 52: case 53: case 54: case 55: case 56:
        return 1;
    default:
        return 0;
    }
}

/* Return and NOC codes: only for an entry with addenda 98 or 99. */
static int return_tc(int tc)
{
    return tc == 21 || tc == 26 || tc == 31 || tc == 36 || tc == 41 ||
           tc == 46 || tc == 51 || tc == 56;
}

/* The last trace number kept for the ODFI prefix of trace, or NULL when
 * the table is full (the order is then not checked for it). */
static struct prefix_last *prefix_slot(struct ps_nacha_reader *r,
                                       uint64_t trace)
{
    uint64_t p = trace / 10000000u;
    if (r->nlast > 0 && r->last[r->lastk].prefix == p)
        return &r->last[r->lastk];
    for (size_t i = 0; i < r->nlast; i++)
        if (r->last[i].prefix == p) {
            r->lastk = i;
            return &r->last[i];
        }
    if (r->nlast == PREFIXES)
        return NULL;
    r->lastk = r->nlast++;
    r->last[r->lastk].prefix = p;
    r->last[r->lastk].trace = 0;
    return &r->last[r->lastk];
}

static void entry_detail(struct ps_nacha_reader *r, struct ps_nacha_entry *e)
{
    const char *s = r->s;
    uint64_t v;
    char q[PS_QUOTE_MAX * 4 + 4];

    if (r->where == W_START)
        no_header(r);
    if (r->where != W_BATCH && r->where != W_ENTRY)
        PROB(r, 1, "record_type", "RECORD_ORDER", "R17",
             "an entry detail (6) outside a batch");
    r->where = W_ENTRY;
    /* The batch's fields from the template, the addenda's zeroed; every
     * entry field is written below.  (Cheaper than a whole-struct copy,
     * which showed in profiles.) */
    memcpy(&e->service_class, &r->tmpl.service_class,
           offsetof(struct ps_nacha_entry, transaction_code) -
               offsetof(struct ps_nacha_entry, service_class));
    /* What the addenda fill in starts empty: a NUL each (a memset of
     * them all showed in profiles; what follows a NUL is unspecified). */
    e->addenda_count = 0;
    e->payment_info[0] = '\0';
    e->code[0] = e->original_trace[0] = e->original_rdfi[0] = '\0';
    e->date_of_death[0] = e->addenda_info[0] = e->corrected_data[0] = '\0';
    e->return_trace[0] = e->return_settlement_date[0] = '\0';
    e->return_reason[0] = e->dishonored_trace[0] = '\0';
    e->dishonored_settlement_date[0] = e->dishonored_reason[0] = '\0';
    e->original_settlement_date[0] = e->date_returned[0] = '\0';
    e->transaction_code = 0;
    e->credit = e->prenote = 0;
    e->amount = 0;
    e->kind = r->sec_kind == SEC_COR ? PS_NACHA_NOC
              : applied(r->sec_kind) ? PS_NACHA_ENTRY
                                     : PS_NACHA_UNAPPLIED;
    e->line = r->line;
    e->offset = r->roff;
    r->in_entry = 1;
    r->e_line = r->line;
    r->e_off = r->roff;
    r->e_05 = r->e_98 = r->e_99 = 0;
    r->e_ctx_count = -1;
    r->b_count++;
    r->f_entries++;

    /* The numbers: 36 digits, read eight at a time when all are digits
     * (nearly always); else field by field, each bad one a problem. */
    uint64_t tcv = 0, rdfiv = 0, amtv = 0, tracev = 0;
    int tc_ok, rdfi_ok, amt_ok, trace_ok, fast = 0;
#if SWAR
    {
        uint64_t w1, w2, w3, w4;
        unsigned t0 = (unsigned)(unsigned char)s[1] - '0',
                 t1 = (unsigned)(unsigned char)s[2] - '0',
                 a0 = (unsigned)(unsigned char)s[29] - '0',
                 a1 = (unsigned)(unsigned char)s[30] - '0';
        memcpy(&w1, s + 3, 8);  /* RDFI */
        memcpy(&w2, s + 31, 8); /* amount, past its first 2 */
        memcpy(&w3, s + 79, 8); /* trace: 8, then 7 (overlapping) */
        memcpy(&w4, s + 86, 8);
        fast = eight_digits(w1) & eight_digits(w2) & eight_digits(w3) &
               eight_digits(w4) & (t0 <= 9) & (t1 <= 9) & (a0 <= 9) &
               (a1 <= 9);
        if (fast) {
            tcv = t0 * 10 + t1;
            rdfiv = eight_value(w1);
            amtv = (a0 * 10 + a1) * UINT64_C(100000000) + eight_value(w2);
            tracev = eight_value(w3) * 10000000u + eight_value(w4) % 10000000u;
        }
    }
#endif
    if (fast) {
        tc_ok = rdfi_ok = amt_ok = trace_ok = 1;
    } else {
        tc_ok = field_num(r, 2, 2, "transaction_code", "transaction code", "",
                          &tcv) == 0;
        rdfi_ok = field_num(r, 4, 8, "rdfi", "receiving DFI identification",
                            "R13", &rdfiv) == 0;
        amt_ok = field_num(r, 30, 10, "amount", "amount", "R19", &amtv) == 0;
        trace_ok = field_num(r, 80, 15, "trace", "trace number", "R27",
                             &tracev) == 0;
    }

    r->e_tc = -1;
    if (tc_ok) {
        int tc = (int)tcv;
        if (!valid_tc(tc)) {
            PROB(r, 2, "transaction_code", "TRANSACTION_CODE", "R17",
                 "transaction code %02d is not valid", tc);
        } else {
            r->e_tc = tc;
            e->transaction_code = tc;
            e->credit = tc % 10 >= 1 && tc % 10 <= 4;
            e->prenote = tc % 10 == 3 || tc % 10 == 8 || tc % 10 == 4 ||
                         tc % 10 == 9;
            if ((r->scc == 220 && !e->credit) ||
                (r->scc == 225 && e->credit))
                PROB(r, 2, "transaction_code", "SCC_TRANSACTION_CODE", "R17",
                     "a %s transaction code (%02d) in a batch of service "
                     "class %d (%s only)",
                     e->credit ? "credit" : "debit", tc, r->scc,
                     r->scc == 220 ? "credits" : "debits");
            if (r->sec_kind == SEC_TEL && e->credit && !return_tc(tc))
                PROB(r, 2, "transaction_code", "SEC_TRANSACTION_CODE", "R17",
                     "TEL entries are debits only, found credit code %02d",
                     tc);
        }
    }
    memcpy(e->rdfi, s + 3, 9);
    e->rdfi[9] = '\0';
    if (rdfi_ok) {
        r->b_hash += rdfiv;
        if (s[11] < '0' || s[11] > '9')
            field_num(r, 12, 1, "rdfi_check_digit", "check digit", "R28",
                      &v);
        else
            check_aba(r, 4, "rdfi_check_digit", "RDFI routing number");
    }
    int iat = r->sec_kind == SEC_IAT;
    if (!iat) {
        copy_trim(e->account, s + 12, 17);
        if (e->account[0] == '\0')
            PROB(r, 13, "account", "MANDATORY_FIELD", "R26",
                 "the DFI account number (positions 13-29) is blank");
    }
    int64_t amount = 0;
    if (amt_ok) {
        amount = (int64_t)amtv;
        e->amount = amount;
        if (r->e_tc >= 0 && e->prenote && amount != 0)
            PROB(r, 30, "amount", "PRENOTE_AMOUNT", "R19",
                 "a %s entry (transaction code %02d) must be $0, found %lld "
                 "cents",
                 r->e_tc % 10 == 3 || r->e_tc % 10 == 8 ? "prenote" : "zero-dollar", r->e_tc,
                 (long long)amount);
        if (r->sec_kind == SEC_COR && amount != 0)
            PROB(r, 30, "amount", "NOC_AMOUNT", "R19",
                 "a notification of change must be $0, found %lld cents",
                 (long long)amount);
        if (e->credit)
            r->b_credit += amount;
        else
            r->b_debit += amount;
    }
    if (iat) {
        /* IAT: 13-16 addenda count, 40-74 the foreign receiver's account:
         * read structurally, nothing kept. */
        memset(e->account, 0, sizeof(e->account));
        memset(e->individual_id, 0, sizeof(e->individual_id));
        memset(e->individual_name, 0, sizeof(e->individual_name));
    } else if (r->sec_kind == SEC_CIE) {
        copy_trim(e->individual_name, s + 39, 15);
        copy_trim(e->individual_id, s + 54, 22);
    } else if (r->sec_kind == SEC_CTX) {
        copy_trim(e->individual_id, s + 39, 15);
        copy_trim(e->individual_name, s + 58, 16);
        r->e_ctx_count = num(s + 54, 4, &v) == 0 ? (long)v : -1;
        if (r->e_ctx_count < 0)
            field_num(r, 55, 4, "addenda_count", "number of addenda records",
                      "R25", &v);
    } else {
        copy_trim(e->individual_id, s + 39, 15);
        copy_trim(e->individual_name, s + 54, 22);
    }
    memcpy(e->discretionary, s + 76, 2);
    e->discretionary[2] = '\0';
    if (r->sec_kind == SEC_WEB && (s[76] != 'R' && s[76] != 'S') &&
        !(r->e_tc >= 0 && return_tc(r->e_tc)))
        PROB(r, 77, "payment_type", "WEB_PAYMENT_TYPE", "R17",
             "a WEB entry's payment type (position 77) must be R or S, "
             "found %s",
             ps_quote(s + 76, 1, q, sizeof(q)));
    r->e_indicator = s[78] == '0' ? 0 : s[78] == '1' ? 1 : -1;
    e->addenda_indicator = r->e_indicator;
    if (r->e_indicator < 0)
        PROB(r, 79, "addenda_indicator", "ADDENDA_INDICATOR", "R25",
             "the addenda record indicator must be 0 or 1, found %s",
             ps_quote(s + 78, 1, q, sizeof(q)));
    memcpy(e->trace, s + 79, 15);
    e->trace[15] = '\0';
    r->e_trace = 0;
    if (trace_ok) {
        v = tracev;
        r->e_trace = v;
        struct prefix_last *pl = prefix_slot(r, v);
        if (v == r->prev_trace || (pl != NULL && v == pl->trace)) {
            PROB(r, 80, "trace", "TRACE_DUPLICATE", "R27",
                 "trace number %s is used twice in the file", e->trace);
        } else if (pl != NULL && v < pl->trace &&
                   !excused(r, PS_NACHA_LENIENT_TRACE_ORDER)) {
            PROB(r, 80, "trace", "TRACE_ORDER", "R27",
                 "trace number %s follows %015llu: trace numbers must "
                 "ascend",
                 e->trace, (unsigned long long)pl->trace);
        }
        if (pl != NULL && v > pl->trace)
            pl->trace = v;
        r->prev_trace = v;
    }
}

static int valid_return_code(int n)
{
    return (n >= 1 && n <= 47) || (n >= 50 && n <= 53) || n == 61 ||
           n == 62 || (n >= 67 && n <= 77) || (n >= 80 && n <= 85);
}

static int valid_change_code(int n)
{
    return (n >= 1 && n <= 9) || n == 13 || n == 14 || (n >= 61 && n <= 69);
}

/* The addenda 98's corrected data, per its change code. */
static void corrected_data(struct ps_nacha_reader *r, int code)
{
    const char *d = r->s + 35; /* 29 bytes */
    uint64_t v;
    int rtn = -1, acct = -1, tc = -1, text = 0;
    switch (code) {
    case 1: acct = 0; break;
    case 2: rtn = 0; break;
    case 3: rtn = 0; acct = 12; break;
    case 4: case 9: text = 1; break;
    case 5: tc = 0; break;
    case 6: acct = 0; tc = 20; break;
    case 7: rtn = 0; acct = 9; tc = 26; break;
    default: break;
    }
    if (text && blank(d, 22))
        PROB(r, 36, "corrected_data", "CORRECTED_DATA", "",
             "change code C%02d needs the corrected data (positions 36-57)",
             code);
    if (acct >= 0 && blank(d + acct, 17))
        PROB(r, 36 + acct, "corrected_data", "CORRECTED_DATA", "",
             "change code C%02d needs the corrected account number at "
             "positions %d-%d",
             code, 36 + acct, 52 + acct);
    if (rtn >= 0) {
        if (num(d, 9, &v) != 0)
            PROB(r, 36, "corrected_data", "CORRECTED_DATA", "",
                 "change code C%02d needs a 9-digit routing number at "
                 "positions 36-44",
                 code);
        else
            check_aba(r, 36, "corrected_data", "the corrected routing number");
    }
    if (tc >= 0 && (num(d + tc, 2, &v) != 0 || !valid_tc((int)v)))
        PROB(r, 36 + tc, "corrected_data", "CORRECTED_DATA", "",
             "change code C%02d needs a valid transaction code at positions "
             "%d-%d",
             code, 36 + tc, 37 + tc);
}

static void addenda(struct ps_nacha_reader *r, struct ps_nacha_entry *e)
{
    const char *s = r->s;
    uint64_t v;
    char q[PS_QUOTE_MAX * 4 + 4];

    if (!r->in_entry) {
        if (r->where == W_START)
            no_header(r);
        PROB(r, 1, "record_type", "RECORD_ORDER", "R17",
             "an addenda (7) that follows no entry detail (6)");
        return;
    }
    r->b_count++;
    r->f_addenda++;
    e->addenda_count++;
    if (num(s + 1, 2, &v) != 0) {
        field_num(r, 2, 2, "addenda_type", "addenda type code", "R25", &v);
        return;
    }
    int type = (int)v;
    if (type == 5) {
        r->e_05++;
        if (r->sec_kind == SEC_TEL || r->sec_kind == SEC_COR)
            PROB(r, 2, "addenda_type", "ADDENDA_TYPE", "R25",
                 "%s entries take no addenda 05", e->sec);
        else if (r->e_05 == 2 &&
                 (r->sec_kind == SEC_PPD || r->sec_kind == SEC_CCD ||
                  r->sec_kind == SEC_WEB) &&
                 !excused(r, PS_NACHA_LENIENT_ADDENDA_COUNT))
            PROB(r, 1, "record_type", "ADDENDA_COUNT", "R25",
                 "a %s entry takes at most one addenda 05", e->sec);
        if (r->e_05 == 1)
            copy_trim(e->payment_info, s + 3, 80);
        if (field_num(r, 84, 4, "addenda_sequence", "addenda sequence number",
                      "R25", &v) == 0 &&
            (long)v != r->e_05)
            PROB(r, 84, "addenda_sequence", "ADDENDA_SEQUENCE", "R25",
                 "addenda sequence number %04u should be %04ld",
                 (unsigned)v, r->e_05);
        if (field_num(r, 88, 7, "entry_sequence",
                      "entry detail sequence number", "R25", &v) == 0 &&
            memcmp(s + 87, e->trace + 8, 7) != 0)
            PROB(r, 88, "entry_sequence", "ADDENDA_ENTRY_SEQUENCE", "R25",
                 "entry detail sequence number %.7s should be %s, the last 7 "
                 "digits of the trace",
                 s + 87, e->trace + 8);
        return;
    }
    if (type != 98 && type != 99) {
        /* 02 (POS, SHR, MTE) and 10-18 (IAT): counted, not read. */
        if (applied(r->sec_kind))
            PROB(r, 2, "addenda_type", "ADDENDA_TYPE", "R25",
                 "addenda type %02d is not allowed in a %s batch", type,
                 e->sec);
        return;
    }
    /* 98 and 99: the code, the original trace and RDFI, the trace. */
    if (type == 98)
        r->e_98++;
    else
        r->e_99++;
    if (r->e_98 + r->e_99 > 1) {
        PROB(r, 2, "addenda_type", "ADDENDA_COUNT", "R25",
             "an entry takes one addenda 98 or 99");
        return;
    }
    if (type == 98 && r->sec_kind != SEC_COR)
        PROB(r, 2, "addenda_type", "ADDENDA_TYPE", "R25",
             "an addenda 98 (notification of change) belongs in a COR "
             "batch, not %s",
             e->sec);
    if (type == 99) {
        e->kind = PS_NACHA_RETURN;
        r->batch_returns = 1;
    }
    int code = -1;
    put(e->code, s + 3, 3);
    if (s[3] == (type == 98 ? 'C' : 'R') && num(s + 4, 2, &v) == 0 &&
        (type == 98 ? valid_change_code((int)v) : valid_return_code((int)v)))
        code = (int)v;
    else if (type == 98)
        PROB(r, 4, "change_code", "CHANGE_CODE", "",
             "change code %s is not C01-C09, C13, C14 or C61-C69",
             ps_quote(s + 3, 3, q, sizeof(q)));
    else
        PROB(r, 4, "return_code", "RETURN_CODE", "",
             "return reason code %s is not one NACHA defines",
             ps_quote(s + 3, 3, q, sizeof(q)));
    if (field_num(r, 7, 15, "original_trace", "original trace number", "R27",
                  &v) == 0)
        put(e->original_trace, s + 6, 15);
    if (field_num(r, 28, 8, "original_rdfi", "original receiving DFI", "R13",
                  &v) == 0)
        put(e->original_rdfi, s + 27, 8);
    if (memcmp(s + 79, e->trace, 15) != 0)
        PROB(r, 80, "trace", "ADDENDA_TRACE", "R27",
             "the addenda's trace number %.15s should be its entry's, %s",
             s + 79, e->trace);
    if (type == 98) {
        copy_rtrim(e->corrected_data, s + 35, 29);
        if (code >= 0 && code < 61)
            corrected_data(r, code);
        if (code >= 61) {
            /* Refused: the refused change code at 65-67. */
            copy_trim(e->addenda_info, s + 64, 15);
        }
        return;
    }
    int dishonored = code == 61 || code == 62 || (code >= 67 && code <= 70);
    int contested = code >= 71 && code <= 77;
    if (!dishonored && !contested) {
        if (code == 14 || code == 15) {
            if (!blank(s + 21, 6) && ymd(s + 21, e->date_of_death) != 0)
                PROB(r, 22, "date_of_death", "RETURN_DATE", "",
                     "the date of death %s is not a valid YYMMDD date",
                     ps_quote(s + 21, 6, q, sizeof(q)));
        }
        copy_trim(e->addenda_info, s + 35, 44);
        return;
    }
    /* Dishonored (and contested, which adds to it) returns. */
    if (field_num(r, 39, 15, "return_trace", "return trace number", "R27",
                  &v) == 0)
        put(e->return_trace, s + 38, 15);
    if (!blank(s + 53, 3) &&
        field_num(r, 54, 3, "return_settlement_date",
                  "return settlement date", "", &v) == 0)
        put(e->return_settlement_date, s + 53, 3);
    if (field_num(r, 57, 2, "return_reason", "return reason code", "", &v) ==
        0)
        put(e->return_reason, s + 56, 2);
    if (!contested) {
        copy_trim(e->addenda_info, s + 58, 21);
        return;
    }
    if (ymd(s + 21, e->date_returned) != 0)
        PROB(r, 22, "date_returned", "RETURN_DATE", "",
             "the date the return was made %s is not a valid YYMMDD date",
             ps_quote(s + 21, 6, q, sizeof(q)));
    if (!blank(s + 35, 3) &&
        field_num(r, 36, 3, "original_settlement_date",
                  "original settlement date", "", &v) == 0)
        put(e->original_settlement_date, s + 35, 3);
    if (field_num(r, 59, 15, "dishonored_trace", "dishonored return trace",
                  "R27", &v) == 0)
        put(e->dishonored_trace, s + 58, 15);
    if (!blank(s + 73, 3) &&
        field_num(r, 74, 3, "dishonored_settlement_date",
                  "dishonored return settlement date", "", &v) == 0)
        put(e->dishonored_settlement_date, s + 73, 3);
    if (field_num(r, 77, 2, "dishonored_reason", "dishonored return reason",
                  "", &v) == 0)
        put(e->dishonored_reason, s + 76, 2);
}

/* The entry's addenda are all read: the rules that needed them. */
static void entry_end(struct ps_nacha_reader *r, struct ps_nacha_entry *e)
{
    long n = e->addenda_count;
    r->in_entry = 0;
    if (r->e_indicator >= 0 && (n > 0) != (r->e_indicator == 1))
        problem_at(r, r->e_line, r->e_off, '6', 79, "addenda_indicator",
                   "ADDENDA_INDICATOR", "R25",
                   "the addenda record indicator is %d but %ld "
                   "addenda follow", r->e_indicator, n);
    if (r->sec_kind == SEC_CTX && r->e_ctx_count >= 0 &&
        r->e_ctx_count != r->e_05 &&
        !excused(r, PS_NACHA_LENIENT_ADDENDA_COUNT))
        problem_at(r, r->e_line, r->e_off, '6', 55, "addenda_count",
                   "ADDENDA_COUNT", "R25",
                   "the CTX entry says %ld addenda records, %ld "
                   "follow", r->e_ctx_count, r->e_05);
    if (r->sec_kind == SEC_COR && r->e_98 == 0)
        problem_at(r, r->e_line, r->e_off, '6', 79, "addenda_indicator",
                   "ADDENDA_TYPE", "R25",
                   "a COR entry needs an addenda 98");
    if (r->e_tc >= 0 && return_tc(r->e_tc) && r->e_98 + r->e_99 == 0)
        problem_at(r, r->e_line, r->e_off, '6', 2, "transaction_code",
                   "TRANSACTION_CODE", "R17",
                   "transaction code %02d is for returns and "
                   "notifications of change only", r->e_tc);
    if (r->sec_kind == SEC_COR && r->e_tc >= 0 && !return_tc(r->e_tc))
        problem_at(r, r->e_line, r->e_off, '6', 2, "transaction_code",
                   "TRANSACTION_CODE", "R17",
                   "a notification of change needs transaction "
                   "code 21, 26, 31 or 36, found %02d", r->e_tc);
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
        no_header(r);
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
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        if (memcmp(s + same[i].pos - 1, r->bh + same[i].hpos - 1,
                   (size_t)same[i].n) != 0)
            PROB(r, same[i].pos, same[i].field, "BATCH_HEADER_MISMATCH", "R17",
                 "the batch control's %s %s differs from its header's, %s",
                 same[i].what,
                 ps_quote(s + same[i].pos - 1, (size_t)same[i].n, q,
                          sizeof(q)),
                 ps_quote(r->bh + same[i].hpos - 1, (size_t)same[i].n, q2,
                          sizeof(q2)));
    control_num(r, 5, 6, "entry_addenda_count", "entry and addenda count",
                "BATCH_ENTRY_COUNT", "R17", (uint64_t)r->b_count, 0);
    control_num(r, 11, 10, "entry_hash", "entry hash", "BATCH_ENTRY_HASH", "R17",
                r->b_hash % 10000000000u, 0);
    control_num(r, 21, 12, "total_debit", "total debit amount",
                "BATCH_DEBIT_TOTAL", "R19", (uint64_t)r->b_debit, 0);
    control_num(r, 33, 12, "total_credit", "total credit amount",
                "BATCH_CREDIT_TOTAL", "R19", (uint64_t)r->b_credit, 0);
    if (r->eff_blank && !r->batch_returns && r->sec_kind != SEC_COR)
        problem_at(r, r->bh_line, r->bh_off, '5', 70, "effective_date",
                   "EFFECTIVE_DATE", "R18",
                   "the effective entry date is blank (allowed only in "
                   "returns)");
    batch_close(r);
}

static void file_control(struct ps_nacha_reader *r)
{
    if (r->where == W_START)
        no_header(r);
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
    control_num(r, 32, 12, "total_debit", "total debit amount",
                "FILE_DEBIT_TOTAL", "R19", (uint64_t)r->f_debit, 0);
    control_num(r, 44, 12, "total_credit", "total credit amount",
                "FILE_CREDIT_TOTAL", "R19", (uint64_t)r->f_credit, 0);
    r->info.blocks = (long)blocks;
}

/* After the last record. */
static void at_end(struct ps_nacha_reader *r)
{
    long line = r->recno + 1;
    r->done = 1;
    if (r->recno == 0) {
        problem_at(r, 1, 0, '1', 0, "record_type", "MISSING_FILE_HEADER",
                   "R17", "the file is empty: no file header (1) record");
        return;
    }
    if (r->where == W_BATCH || r->where == W_ENTRY)
        problem_at(r, line, r->off, '8', 0, "record_type",
                   "MISSING_BATCH_CONTROL", "R17",
                   "the file ends inside the batch at record %ld, without "
                   "its batch control (8)",
                   r->bh_line);
    if (r->where != W_CONTROL && !excused(r, PS_NACHA_LENIENT_FILE_CONTROL))
        problem_at(r, line, r->off, '9', 0, "record_type",
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
                    entry_end(r, e);
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
            entry_end(r, e);
            r->held = 1;
            r->hrec = r->s;
            r->hline = r->line;
            r->hoff = r->roff;
            return 1;
        }
        switch (r->s[0]) {
        case '6':
            entry_detail(r, e);
            break;
        case '7':
            addenda(r, e);
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
                no_header(r);
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
    r->lenient = lenient & PS_NACHA_LENIENT_ALL;
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
    if (info != NULL)
        *info = *fi;
    if (r->total == 0)
        return 0;
    if (err != NULL) {
        if (r->nprobs > 0) {
            *err = r->probs[0].err;
        } else {
            /* The list could not grow: say what is known. */
            ps_err_clear(err);
            ps_err_set(err, PS_EINVAL, "NACHA_PROBLEMS",
                       "problems in the file");
            ps_strlcpy(err->file, r->docname, sizeof(err->file));
        }
        if (r->total > 1) {
            char msg[PS_ERR_MSG_MAX];
            int k = snprintf(msg, sizeof(msg), "%ld problems; first: ",
                             r->total);
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
