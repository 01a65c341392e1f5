/*
 * reader_int.h -- the NACHA reader's insides, shared by reader.c (bytes
 * to records, file and batch records, controls, the API) and entry.c
 * (entry details and addenda), as SQLite's whereInt.h serves where.c and
 * wherecode.c.  Private to formats/nacha/: nothing else includes it.
 *
 * The small parsers are static inline here: they are the hot path of
 * every entry.
 */
#ifndef PS_NACHA_READER_INT_H
#define PS_NACHA_READER_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "formats/nacha/nacha.h"

#define REC PS_NACHA_RECORD
#define PREFIXES 64       /* ODFI prefixes whose last trace is kept */
#define ONES UINT64_C(0x0101010101010101)

/* Where in the file's grammar the reader is: what may come next. */
enum ps_nacha_where {
    W_START,   /* nothing read: a 1 (or a 5, lenient) */
    W_FILE,    /* after the 1 or an 8: a 5 or the 9 */
    W_BATCH,   /* after a 5: a 6 (or its 8) */
    W_ENTRY,   /* after a 6 or a 7: a 6, a 7 or the 8 */
    W_CONTROL, /* after the 9: padding only */
};

struct ps_nacha_prefix_last {
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
    enum ps_nacha_where where;
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
    int e_iat_next;      /* IAT: the mandatory addenda 10..16 read, a
                            bit each (1 << (type - 10)) */
    long e_iat_17, e_iat_18; /* IAT: optional addenda 17 and 18 read */
    /* trace order within the batch, and across batches said once each */
    uint64_t b_last_trace;
    int b_has_trace, b_order_said;
    int f_adv, f_other;  /* batches of SEC ADV, and of any other SEC */
    /* the file */
    long f_batches, f_count, f_entries, f_addenda;
    uint64_t f_hash;
    int64_t f_debit, f_credit;
    struct ps_nacha_prefix_last last[PREFIXES];
    size_t nlast;
    size_t lastk; /* the slot used last: most entries reuse it */
    uint64_t prev_trace; /* the previous entry's trace */
    struct ps_nacha_file_info info;
    /* problems, in file order */
    struct ps_doc_problem *probs; /* from malloc(), grows to the cap */
    size_t nprobs, capprobs;
    long total;   /* problems of every severity */
    long errors;  /* of severity ERROR: the file is refused */
    uint64_t warned; /* the WARNING rules seen, a bit each (reader.c) */
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
    SEC_ADV, /* ADV: its own entry and control layouts, no trace */
    SEC_ENR, /* ENR: read structurally, effective date may be blank */
    SEC_UNKNOWN
};

static inline int applied(int sec_kind)
{
    return sec_kind >= SEC_PPD && sec_kind <= SEC_COR;
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

static inline int blank(const char *s, size_t n)
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
static inline void put(char *dst, const char *s, size_t n)
{
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* As copy_trim() but only the trailing blanks: positions stay. */
static inline void copy_rtrim(char *dst, const char *s, size_t n)
{
    while (n > 0 && s[n - 1] == ' ')
        n--;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* YYMMDD at s as "20YY-MM-DD" into out (11 bytes): 0, or -1 when it is
 * not a valid date. */
static inline int ymd(const char *s, char *out)
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

/*
 * Record a problem: the rule, the record (line, offset, type), the field
 * (its 1-based position pos in the record, 0 for none) and the return
 * code it corresponds to ("" for none).  See reader.c.
 */
void ps_nacha_problem_at(struct ps_nacha_reader *r, long line, int64_t roff,
                         char rtype, int pos, const char *field,
                         const char *rule, const char *rcode, const char *fmt,
                         ...) __attribute__((format(printf, 9, 10)));

/* A problem with the record being processed. */
#define PROB(r, pos, field, rule, rcode, ...)                                  \
    ps_nacha_problem_at((r), (r)->line, (r)->roff, (r)->s[0], (pos), (field),  \
                        (rule), (rcode), __VA_ARGS__)

/* May option `bit` excuse a problem?  Notes its use when it does. */
static inline int excused(struct ps_nacha_reader *r, unsigned bit)
{
    if ((r->lenient & bit) == 0)
        return 0;
    r->info.lenient_used |= bit;
    return 1;
}

/* The n digits at position pos (1-based) of the current record, or a
 * NON_NUMERIC problem and -1. */
static inline int field_num(struct ps_nacha_reader *r, int pos, size_t n,
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

/* The document has no file header: say so once, at its first record
 * (reader.c). */
void ps_nacha_no_header(struct ps_nacha_reader *r);

/* An entry detail (6) record into e (entry.c). */
void ps_nacha_entry_detail(struct ps_nacha_reader *r, struct ps_nacha_entry *e);

/* An addenda (7) record of the entry e being read (entry.c). */
void ps_nacha_addenda(struct ps_nacha_reader *r, struct ps_nacha_entry *e);

/* The entry's addenda are all read: the rules that needed them
 * (entry.c). */
void ps_nacha_entry_end(struct ps_nacha_reader *r, struct ps_nacha_entry *e);

#endif /* PS_NACHA_READER_INT_H */
