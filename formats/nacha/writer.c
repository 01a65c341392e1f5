/*
 * writer.c -- the NACHA writer: lays out a whole ACH file (1, 5/6/7/8
 * batches, 9, 9-padding) from an array of entries (ps_nacha_write).
 *
 * Three passes over the entries, none of which holds the file:
 *   1. every entry is checked on its own (routing numbers and their check
 *      digit, amount, transaction code against the SEC code, dates,
 *      mandatory fields); the first bad one is refused with its index;
 *   2. entries are grouped by batch key (a hash table over the key
 *      fields) and ordered stably by group: keys in order of first
 *      appearance, entries in their own order within a key;
 *   3. the layout is walked twice: once dry, to refuse a file whose
 *      controls would overflow their fields (batch count, block count,
 *      12-digit totals, 7-digit trace sequence) before a byte is written,
 *      then for real, records going to the sink through a 64 KiB buffer.
 * Memory is four words per entry plus the buffer, whatever the file.
 *
 * How it fails: PS_EINVAL for an entry or header that cannot be written
 * (err->line = the entry's 0-based index in e[], err->field = the field;
 * header fields are named immediate_destination, creation_date, ...);
 * PS_ENOMEM; or what the sink returned.  No account number enters a
 * message other than masked to its last 4 characters.  Nothing is handed
 * to the sink before every check has passed.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h" /* ps_date_days_in_month */
#include "formats/nacha/nacha.h"

#define OUTBUF (64 * 1024)              /* bytes handed to the sink at once */
#define BATCH_COUNT_MAX 999999L         /* 6-digit entry + addenda count */
#define AMOUNT_MAX INT64_C(9999999999)  /* 10-digit entry amount */
#define TOTAL_MAX INT64_C(999999999999) /* 12-digit control totals */
#define TRACE_SEQ_MAX 9999999UL         /* 7-digit trace sequence */
#define FILE_BATCHES_MAX 999999L        /* 6-digit batch count */
#define FILE_BLOCKS_MAX 999999L         /* 6-digit block count */
#define HASH_MOD UINT64_C(10000000000)  /* entry hashes are mod 10^10 */

/* Length of a fixed char array field that may lack its NUL. */
#define FLEN(f) strnlen((f), sizeof(f))

/* ---- checks ------------------------------------------------------------ */

/* PS_EINVAL for entry i: err->line = i, err->field = field. */
__attribute__((format(printf, 5, 6))) static int
refuse(struct ps_err *err, long i, const char *field, const char *rule,
       const char *fmt, ...)
{
    if (err == NULL)
        return PS_EINVAL;
    char msg[PS_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ps_err_set(err, PS_EINVAL, rule, "%s", msg);
    err->line = i < 0 ? 0 : i; /* -1: the header */
    err->offset = -1;
    return ps_err_field(err, field);
}

static int all_digits(const char *s, size_t len)
{
    for (size_t k = 0; k < len; k++)
        if (s[k] < '0' || s[k] > '9')
            return 0;
    return 1;
}

/* Some character that is written as other than a blank (control bytes
 * are written as blanks). */
static int not_blank(const char *s, size_t len)
{
    for (size_t k = 0; k < len; k++)
        if (s[k] > 0x20 && s[k] <= 0x7e)
            return 1;
    return 0;
}

/*
 * A routing number field of exactly `want` digits (8 for an ODFI, 9 for
 * an RTN with its check digit, which is then checked).
 */
static int check_routing(const char *s, size_t size, size_t want, long i,
                         const char *field, struct ps_err *err)
{
    size_t len = strnlen(s, size);
    char q[PS_QUOTE_MAX * 4 + 4];
    char who[32];
    if (i >= 0)
        snprintf(who, sizeof(who), "entry %ld", i);
    else
        snprintf(who, sizeof(who), "header");
    if (len != want || !all_digits(s, len))
        return refuse(err, i, field, "NACHA_ROUTING_NUMBER",
                      "%s: %s %s is not %zu digits", who, field,
                      ps_quote(s, len, q, sizeof(q)), want);
    if (want == 9 && ps_nacha_check_digit(s) != s[8] - '0')
        return refuse(err, i, field, "ABA_CHECK_DIGIT",
                      "%s: %s %.9s has a bad check digit (%c, should be %d); "
                      "it would come back R28",
                      who, field, s, s[8], ps_nacha_check_digit(s));
    return 0;
}

/* "YYYY-MM-DD" of a real date in 2000..2099 (a file's YYMMDD can hold no
 * other century) into its YYMMDD. */
static int yymmdd(const char *s, size_t size, char out[6])
{
    size_t len = strnlen(s, size);
    if (len != 10 || s[4] != '-' || s[7] != '-' || !all_digits(s, 4) ||
        !all_digits(s + 5, 2) || !all_digits(s + 8, 2))
        return -1;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
            (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 2000 || y > 2099 || m < 1 || m > 12 || d < 1 ||
        d > ps_date_days_in_month(y, m))
        return -1;
    memcpy(out, s + 2, 2);
    memcpy(out + 2, s + 5, 2);
    memcpy(out + 4, s + 8, 2);
    return 0;
}

/* Transaction codes of payment entries: 22-24/32-34 credit, 27-29/37-39
 * debit; the second and third of each are prenote and zero-dollar. */
static int tc_credit(int tc)
{
    return tc == 22 || tc == 23 || tc == 24 || tc == 32 || tc == 33 || tc == 34;
}

static int tc_debit(int tc)
{
    return tc == 27 || tc == 28 || tc == 29 || tc == 37 || tc == 38 || tc == 39;
}

/* Prenote (23 28 33 38) or zero-dollar (24 29 34 39): amount must be 0. */
static int tc_zero(int tc)
{
    int u = tc % 10;
    return (tc_credit(tc) && u != 2) || (tc_debit(tc) && u != 7);
}

/* Return and NOC codes (automated returns and notifications of change of
 * 22-24 / 27-29 / 32-34 / 37-39): 21 and 31 count as credits, 26 and 36 as
 * debits, as the reader counts them. */
static int tc_answer(int tc)
{
    return tc == 21 || tc == 26 || tc == 31 || tc == 36;
}

static int tc_credit_side(int tc)
{
    return tc_credit(tc) || tc == 21 || tc == 31;
}

/* The SEC codes written and which codes each allows.  WEB is a consumer
 * debit, with credits only for person-to-person (22, 32); TEL debits only.
 * Returns (addenda 99) keep the original SEC code and take the return
 * codes; COR takes only them. */
static int sec_allows(const char *sec, int tc, int addenda_type)
{
    if (addenda_type != 0)
        return tc_answer(tc) &&
               (addenda_type == 98) == (strcmp(sec, "COR") == 0);
    if (strcmp(sec, "PPD") == 0 || strcmp(sec, "CCD") == 0)
        return tc_credit(tc) || tc_debit(tc);
    if (strcmp(sec, "WEB") == 0)
        return tc_debit(tc) || tc == 22 || tc == 32;
    if (strcmp(sec, "TEL") == 0)
        return tc_debit(tc);
    return 0;
}

/* "****" and the last 4 characters of an account (quoted), for messages. */
static const char *mask_account(const char *acct, size_t len, char *buf,
                                size_t size)
{
    char q[PS_QUOTE_MAX * 4 + 4];
    if (len <= 4)
        snprintf(buf, size, "****");
    else
        snprintf(buf, size, "****%s",
                 ps_quote(acct + len - 4, 4, q, sizeof(q)));
    return buf;
}

/* Entry i on its own, before anything is written.
 * Long (about 125 lines): one check per field of the entry, in record
 * order, so that nothing is written before every field is known good. */
static int check_entry(const struct ps_nacha_out *x, long i, struct ps_err *err)
{
    char q[PS_QUOTE_MAX * 4 + 4];
    char d6[6];
    size_t len;

    len = FLEN(x->sec);
    char sec[4] = {0};
    memcpy(sec, x->sec, len < 3 ? len : 3);
    if (len != 3 || (strcmp(sec, "PPD") != 0 && strcmp(sec, "CCD") != 0 &&
                     strcmp(sec, "WEB") != 0 && strcmp(sec, "TEL") != 0 &&
                     strcmp(sec, "COR") != 0))
        return refuse(err, i, "sec", "NACHA_SEC_CODE",
                      "entry %ld: SEC code %s is not one the writer lays out "
                      "(PPD, CCD, WEB, TEL, COR)",
                      i, ps_quote(x->sec, len, q, sizeof(q)));
    if (x->addenda_type != 0 && x->addenda_type != 98 &&
        x->addenda_type != 99)
        return refuse(err, i, "addenda_type", "NACHA_ADDENDA",
                      "entry %ld: addenda type %d is not 0, 98 or 99", i,
                      x->addenda_type);
    if (x->addenda_type != 0) {
        char want = x->addenda_type == 98 ? 'C' : 'R';
        if (x->code[0] != want || x->code[1] < '0' || x->code[1] > '9' ||
            x->code[2] < '0' || x->code[2] > '9' || x->code[3] != '\0')
            return refuse(err, i, "code", "NACHA_ADDENDA",
                          "entry %ld: an addenda %d needs a %c code of two "
                          "digits",
                          i, x->addenda_type, want);
        if (FLEN(x->original_trace) != 15 ||
            !all_digits(x->original_trace, 15) ||
            FLEN(x->original_rdfi) != 8 || !all_digits(x->original_rdfi, 8))
            return refuse(err, i, "original_trace", "NACHA_ADDENDA",
                          "entry %ld: an answer names the original entry's "
                          "15-digit trace and its RDFI's 8 digits",
                          i);
        if (FLEN(x->payment_info) > 0)
            return refuse(err, i, "payment_info", "NACHA_ADDENDA",
                          "entry %ld: a return or NOC carries its own "
                          "addenda, not an addenda 05",
                          i);
        if (x->addenda_type == 98 && x->amount != 0)
            return refuse(err, i, "amount", "NACHA_AMOUNT",
                          "entry %ld: a notification of change is $0", i);
    }
    if (!not_blank(x->company_name, FLEN(x->company_name)))
        return refuse(err, i, "company_name", "NACHA_COMPANY_NAME",
                      "entry %ld: the company name is empty", i);
    len = FLEN(x->company_id);
    if (!not_blank(x->company_id, len))
        return refuse(err, i, "company_id", "NACHA_COMPANY_ID",
                      "entry %ld: the company ID is empty", i);
    for (size_t k = 0; k < len; k++)
        if (x->company_id[k] < 0x20 || x->company_id[k] > 0x7e)
            return refuse(err, i, "company_id", "NACHA_COMPANY_ID",
                          "entry %ld: company ID %s has a character NACHA "
                          "does not allow",
                          i, ps_quote(x->company_id, len, q, sizeof(q)));
    if (!not_blank(x->entry_description, FLEN(x->entry_description)))
        return refuse(err, i, "entry_description", "NACHA_ENTRY_DESCRIPTION",
                      "entry %ld: the company entry description is empty", i);
    len = FLEN(x->effective_date);
    if (len == 0)
        return refuse(err, i, "effective_date", "NACHA_EFFECTIVE_DATE",
                      "entry %ld: the effective entry date is empty", i);
    if (yymmdd(x->effective_date, sizeof(x->effective_date), d6) != 0)
        return refuse(err, i, "effective_date", "NACHA_EFFECTIVE_DATE",
                      "entry %ld: effective entry date %s is not a date "
                      "YYYY-MM-DD in 2000-2099",
                      i, ps_quote(x->effective_date, len, q, sizeof(q)));
    int rc = check_routing(x->odfi, sizeof(x->odfi), 8, i, "odfi", err);
    if (rc != 0)
        return rc;
    int tc = x->transaction_code;
    if (!sec_allows(sec, tc, x->addenda_type))
        return refuse(err, i, "transaction_code", "NACHA_TRANSACTION_CODE",
                      "entry %ld: transaction code %d is not allowed in a %s "
                      "batch (%s)",
                      i, tc, sec,
                      strcmp(sec, "WEB") == 0
                          ? "debits 27-29, 37-39 and credits 22, 32"
                      : strcmp(sec, "TEL") == 0
                          ? "debits 27-29, 37-39"
                          : "credits 22-24, 32-34 and debits 27-29, 37-39");
    rc = check_routing(x->rdfi, sizeof(x->rdfi), 9, i, "rdfi", err);
    if (rc != 0)
        return rc;
    len = FLEN(x->account);
    char m[PS_QUOTE_MAX * 4 + 8];
    if (len == 0)
        return refuse(err, i, "account", "NACHA_ACCOUNT",
                      "entry %ld: the DFI account number is empty", i);
    for (size_t k = 0; k < len; k++)
        if (x->account[k] <= 0x20 || x->account[k] > 0x7e)
            return refuse(err, i, "account", "NACHA_ACCOUNT",
                          "entry %ld: account %s has a blank or a character "
                          "NACHA does not allow",
                          i, mask_account(x->account, len, m, sizeof(m)));
    if (x->amount < 0 || x->amount > AMOUNT_MAX)
        return refuse(err, i, "amount", "NACHA_AMOUNT",
                      "entry %ld: amount %" PRId64 " cents is outside "
                      "0..9999999999",
                      i, x->amount);
    if (!tc_answer(tc) && tc_zero(tc) && x->amount != 0)
        return refuse(err, i, "amount", "NACHA_PRENOTE_AMOUNT",
                      "entry %ld: transaction code %d is a %s entry and "
                      "must be $0, not %" PRId64 " cents",
                      i, tc,
                      tc % 10 == 3 || tc % 10 == 8 ? "prenote" : "zero-dollar",
                      x->amount);
    if (!not_blank(x->individual_name, FLEN(x->individual_name)))
        return refuse(err, i, "individual_name", "NACHA_INDIVIDUAL_NAME",
                      "entry %ld: the receiver's name is empty", i);
    len = FLEN(x->discretionary);
    if (strcmp(sec, "WEB") == 0 &&
        !((x->discretionary[0] == 'R' || x->discretionary[0] == 'S') &&
          (len == 1 || x->discretionary[1] == ' ')))
        return refuse(err, i, "discretionary", "NACHA_WEB_PAYMENT_TYPE",
                      "entry %ld: a WEB entry needs payment type R or S in "
                      "its discretionary data, not %s",
                      i, ps_quote(x->discretionary, len, q, sizeof(q)));
    if (strcmp(sec, "TEL") == 0 && FLEN(x->payment_info) > 0)
        return refuse(err, i, "payment_info", "NACHA_ADDENDA",
                      "entry %ld: TEL entries take no addenda record", i);
    return 0;
}

static int check_header(const struct ps_nacha_header *h, char date[6],
                        struct ps_err *err)
{
    char q[PS_QUOTE_MAX * 4 + 4];
    int rc = check_routing(h->immediate_destination,
                           sizeof(h->immediate_destination), 9, -1,
                           "immediate_destination", err);
    if (rc != 0)
        return rc;
    size_t len = FLEN(h->immediate_origin);
    int ok = len == 9 ? all_digits(h->immediate_origin, 9) : len == 10;
    for (size_t k = 0; ok && k < len; k++)
        ok = h->immediate_origin[k] >= 0x20 && h->immediate_origin[k] <= 0x7e;
    if (!ok || !not_blank(h->immediate_origin, len))
        return refuse(err, -1, "immediate_origin", "NACHA_IMMEDIATE_ORIGIN",
                      "header: immediate origin %s is neither 9 digits nor "
                      "10 printable characters",
                      ps_quote(h->immediate_origin, len, q, sizeof(q)));
    len = FLEN(h->creation_date);
    if (yymmdd(h->creation_date, sizeof(h->creation_date), date) != 0)
        return refuse(err, -1, "creation_date", "NACHA_CREATION_DATE",
                      "header: creation date %s is not a date YYYY-MM-DD in "
                      "2000-2099",
                      ps_quote(h->creation_date, len, q, sizeof(q)));
    len = FLEN(h->creation_time);
    const char *t = h->creation_time;
    if (len != 0 && (len != 4 || !all_digits(t, 4) ||
                     (t[0] - '0') * 10 + (t[1] - '0') > 23 || t[2] > '5'))
        return refuse(err, -1, "creation_time", "NACHA_CREATION_TIME",
                      "header: creation time %s is not HHMM",
                      ps_quote(t, len, q, sizeof(q)));
    char f = h->file_id_modifier;
    if (!((f >= 'A' && f <= 'Z') || (f >= '0' && f <= '9')))
        return refuse(err, -1, "file_id_modifier", "NACHA_FILE_ID_MODIFIER",
                      "header: file ID modifier %s is not A-Z or 0-9",
                      ps_quote(&f, 1, q, sizeof(q)));
    return 0;
}

/* ---- records ------------------------------------------------------------ */

/* Zero-filled number at 1-based position pos, width w (value must fit). */
static void put_num(char *rec, int pos, int w, uint64_t v)
{
    for (int k = pos - 1 + w - 1; k >= pos - 1; k--) {
        rec[k] = (char)('0' + (int)(v % 10));
        v /= 10;
    }
}

/* Left-justified, blank-filled text, cut at w; leading blanks skipped;
 * bytes outside 0x20..0x7e become blanks; upper-cased when asked. */
static void put_text(char *rec, int pos, int w, const char *s, size_t size,
                     int upper)
{
    size_t len = strnlen(s, size), k = 0;
    while (k < len && s[k] == ' ')
        k++;
    for (int j = 0; j < w && k < len; j++, k++) {
        char c = s[k];
        if (c < 0x20 || c > 0x7e)
            c = ' ';
        else if (upper && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        rec[pos - 1 + j] = c;
    }
}

static void put_raw(char *rec, int pos, const char *s)
{
    memcpy(rec + pos - 1, s, strlen(s));
}

struct out {
    char *buf;
    size_t len;
    int (*sink)(void *ctx, const char *buf, size_t len, struct ps_err *err);
    void *ctx;
    long records;
};

static int flush(struct out *o, struct ps_err *err)
{
    if (o->len == 0)
        return 0;
    int rc = o->sink(o->ctx, o->buf, o->len, err);
    o->len = 0;
    if (rc < 0)
        return rc;
    return 0;
}

/* A blank record to fill; emit() then queues it with its "\n". */
static char *next_record(struct out *o, struct ps_err *err, int *rc)
{
    *rc = 0;
    if (o->len + PS_NACHA_RECORD + 1 > OUTBUF && (*rc = flush(o, err)) != 0)
        return NULL;
    char *rec = o->buf + o->len;
    memset(rec, ' ', PS_NACHA_RECORD);
    rec[PS_NACHA_RECORD] = '\n';
    return rec;
}

static void emit(struct out *o)
{
    o->len += PS_NACHA_RECORD + 1;
    o->records++;
}

/* ---- grouping ------------------------------------------------------------ */

static uint64_t fnv(uint64_t h, const char *s, size_t size)
{
    size_t len = strnlen(s, size);
    for (size_t k = 0; k < len; k++) {
        h ^= (unsigned char)s[k];
        h *= UINT64_C(1099511628211);
    }
    h ^= 0xff; /* field separator: ("AB","C") differs from ("A","BC") */
    return h * UINT64_C(1099511628211);
}

static uint64_t key_hash(const struct ps_nacha_out *x)
{
    uint64_t h = UINT64_C(14695981039346656037);
    h = fnv(h, x->sec, sizeof(x->sec));
    h = fnv(h, x->company_name, sizeof(x->company_name));
    h = fnv(h, x->company_id, sizeof(x->company_id));
    h = fnv(h, x->entry_description, sizeof(x->entry_description));
    h = fnv(h, x->effective_date, sizeof(x->effective_date));
    return fnv(h, x->odfi, sizeof(x->odfi));
}

static int key_equal(const struct ps_nacha_out *a, const struct ps_nacha_out *b)
{
    return strncmp(a->sec, b->sec, sizeof(a->sec)) == 0 &&
           strncmp(a->company_name, b->company_name, sizeof(a->company_name)) ==
               0 &&
           strncmp(a->company_id, b->company_id, sizeof(a->company_id)) == 0 &&
           strncmp(a->entry_description, b->entry_description,
                   sizeof(a->entry_description)) == 0 &&
           strncmp(a->effective_date, b->effective_date,
                   sizeof(a->effective_date)) == 0 &&
           strncmp(a->odfi, b->odfi, sizeof(a->odfi)) == 0;
}

/*
 * order[0..n) = the entry indexes grouped by key (keys in order of first
 * appearance, entries in index order within one); gid[i] = entry i's
 * group.  PS_ENOMEM.  n is at most TRACE_SEQ_MAX, so nothing overflows.
 */
static int group(const struct ps_nacha_out *e, size_t n, size_t *gid,
                 size_t *order, struct ps_err *err)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    size_t *slot = calloc(cap, sizeof(*slot)); /* 1 + representative */
    if (slot == NULL)
        return ps_err_set(err, PS_ENOMEM, "OUT_OF_MEMORY",
                          "out of memory grouping %zu entries", n);
    size_t groups = 0;
    for (size_t i = 0; i < n; i++) {
        size_t s = (size_t)key_hash(&e[i]) & (cap - 1);
        while (slot[s] != 0 && !key_equal(&e[slot[s] - 1], &e[i]))
            s = (s + 1) & (cap - 1);
        if (slot[s] == 0) {
            slot[s] = i + 1;
            gid[i] = groups++;
        } else {
            gid[i] = gid[slot[s] - 1];
        }
    }
    free(slot);
    /* counting sort by group, stable; the start of each group */
    size_t *start = calloc(groups + 1, sizeof(*start));
    if (start == NULL)
        return ps_err_set(err, PS_ENOMEM, "OUT_OF_MEMORY",
                          "out of memory grouping %zu entries", n);
    for (size_t i = 0; i < n; i++)
        start[gid[i] + 1]++;
    for (size_t g = 0; g < groups; g++)
        start[g + 1] += start[g];
    for (size_t i = 0; i < n; i++)
        order[start[gid[i]]++] = i;
    free(start);
    return 0;
}

/* ---- layout -------------------------------------------------------------- */

struct layout {
    const struct ps_nacha_header *h;
    char date[6];
    struct ps_nacha_out *e;
    size_t n;
    const size_t *gid, *order;
    long max_entries; /* 6 records per batch */
    struct ps_nacha_write_totals t;
};

/* The RDFI's first 8 digits (checked already) as a number. */
static uint64_t rdfi8(const char *rdfi)
{
    uint64_t v = 0;
    for (int k = 0; k < 8; k++)
        v = v * 10 + (uint64_t)(rdfi[k] - '0');
    return v;
}

/* One batch: order[pos..end) and what its control says. */
struct batch {
    size_t end;
    long entries, count; /* 6 records; 6 and 7 records */
    int credits, debits;
    uint64_t hash;
    int64_t debit, credit;
};

/* The batch that starts at order[pos]. */
static void batch_at(const struct layout *L, size_t pos, struct batch *b)
{
    memset(b, 0, sizeof(*b));
    size_t g = L->gid[L->order[pos]];
    size_t k = pos;
    for (; k < L->n && L->gid[L->order[k]] == g; k++) {
        const struct ps_nacha_out *x = &L->e[L->order[k]];
        long recs = FLEN(x->payment_info) > 0 || x->addenda_type != 0 ? 2 : 1;
        if (b->entries > 0 &&
            (b->count + recs > BATCH_COUNT_MAX ||
             (L->max_entries > 0 && b->entries >= L->max_entries)))
            break;
        b->entries++;
        b->count += recs;
        b->hash += rdfi8(x->rdfi);
        if (tc_credit_side(x->transaction_code)) {
            b->credits = 1;
            b->credit += x->amount;
        } else {
            b->debits = 1;
            b->debit += x->amount;
        }
    }
    b->end = k;
    b->hash %= HASH_MOD;
}

/*
 * The dry walk: refuse a file whose controls overflow (the entry whose
 * turn it is gets the blame), and fill L->t as the file will be.
 */
static int dry_walk(struct layout *L, struct ps_err *err)
{
    memset(&L->t, 0, sizeof(L->t));
    long records = 1; /* the 1 record */
    uint64_t hash = 0;
    size_t pos = 0;
    struct batch b;
    while (pos < L->n) {
        batch_at(L, pos, &b);
        long first = (long)L->order[pos];
        if (L->t.batches + 1 > FILE_BATCHES_MAX)
            return refuse(err, first, "batch", "NACHA_FILE_TOO_LARGE",
                          "entry %ld would start batch %ld, past the file "
                          "control's 6-digit batch count: split the entries "
                          "into more files",
                          first, L->t.batches + 1);
        /* records after this batch, with the 9 record, in blocks of 10 */
        long after = records + 2 + b.count + 1;
        if ((after + 9) / 10 > FILE_BLOCKS_MAX)
            return refuse(err, first, "batch", "NACHA_FILE_TOO_LARGE",
                          "entry %ld: the file would pass 999,999 blocks: "
                          "split the entries into more files",
                          first);
        for (size_t k = pos; k < b.end; k++) {
            const struct ps_nacha_out *x = &L->e[L->order[k]];
            long i = (long)L->order[k];
            int64_t *sum = tc_credit_side(x->transaction_code)
                               ? &L->t.total_credit
                               : &L->t.total_debit;
            if (*sum + x->amount > TOTAL_MAX)
                return refuse(
                    err, i, "amount", "NACHA_TOTAL_OVERFLOW",
                    "entry %ld: the file's total %s would pass "
                    "$9,999,999,999.99, past the 12-digit control "
                    "total: split the entries into more files",
                    i, tc_credit_side(x->transaction_code) ? "credit"
                                                           : "debit");
            *sum += x->amount;
        }
        records += 2 + b.count;
        L->t.batches++;
        L->t.entries += b.entries;
        L->t.addenda += b.count - b.entries;
        hash += b.hash;
        pos = b.end;
    }
    records++; /* the 9 record */
    L->t.blocks = (records + 9) / 10;
    L->t.records = L->t.blocks * 10;
    L->t.entry_hash = hash % HASH_MOD;
    return 0;
}

static int write_header(struct out *o, const struct layout *L,
                        struct ps_err *err)
{
    const struct ps_nacha_header *h = L->h;
    int rc;
    char *r = next_record(o, err, &rc);
    if (r == NULL)
        return rc;
    put_raw(r, 1, "101 ");
    memcpy(r + 4, h->immediate_destination, 9);
    size_t olen = FLEN(h->immediate_origin);
    memcpy(r + 13 + (10 - olen), h->immediate_origin, olen);
    memcpy(r + 23, L->date, 6);
    if (FLEN(h->creation_time) == 4)
        memcpy(r + 29, h->creation_time, 4);
    r[33] = h->file_id_modifier;
    put_raw(r, 35, "094101");
    put_text(r, 41, 23, h->destination_name, sizeof(h->destination_name), 1);
    put_text(r, 64, 23, h->origin_name, sizeof(h->origin_name), 1);
    put_text(r, 87, 8, h->reference_code, sizeof(h->reference_code), 1);
    emit(o);
    return 0;
}

static int write_batch(struct out *o, const struct layout *L, size_t pos,
                       const struct batch *b, long number, unsigned long *seq,
                       struct ps_err *err)
{
    const struct ps_nacha_out *x0 = &L->e[L->order[pos]];
    int scc = b->credits && b->debits ? 200 : b->credits ? 220 : 225;
    char d6[6];
    int rc;
    char *r = next_record(o, err, &rc);
    if (r == NULL)
        return rc;
    yymmdd(x0->effective_date, sizeof(x0->effective_date), d6);
    r[0] = '5';
    put_num(r, 2, 3, (uint64_t)scc);
    put_text(r, 5, 16, x0->company_name, sizeof(x0->company_name), 0);
    put_text(r, 41, 10, x0->company_id, sizeof(x0->company_id), 0);
    memcpy(r + 50, x0->sec, 3);
    put_text(r, 54, 10, x0->entry_description, sizeof(x0->entry_description),
             0);
    memcpy(r + 69, d6, 6);
    r[78] = '1';
    memcpy(r + 79, x0->odfi, 8);
    put_num(r, 88, 7, (uint64_t)number);
    emit(o);

    for (size_t k = pos; k < b->end; k++) {
        struct ps_nacha_out *x = &L->e[L->order[k]];
        int addenda = FLEN(x->payment_info) > 0 || x->addenda_type != 0;
        ++*seq;
        memcpy(x->trace, x->odfi, 8);
        put_num(x->trace, 9, 7, *seq);
        x->trace[15] = '\0';
        x->line = o->records + 1;
        x->batch_number = number;
        if ((r = next_record(o, err, &rc)) == NULL)
            return rc;
        r[0] = '6';
        put_num(r, 2, 2, (uint64_t)x->transaction_code);
        memcpy(r + 3, x->rdfi, 9);
        memcpy(r + 12, x->account, FLEN(x->account));
        put_num(r, 30, 10, (uint64_t)x->amount);
        put_text(r, 40, 15, x->individual_id, sizeof(x->individual_id), 0);
        put_text(r, 55, 22, x->individual_name, sizeof(x->individual_name), 0);
        put_text(r, 77, 2, x->discretionary, sizeof(x->discretionary), 0);
        r[78] = addenda ? '1' : '0';
        memcpy(r + 79, x->trace, 15);
        emit(o);
        if (addenda) {
            if ((r = next_record(o, err, &rc)) == NULL)
                return rc;
            if (x->addenda_type == 0) {
                put_raw(r, 1, "705");
                put_text(r, 4, 80, x->payment_info, sizeof(x->payment_info),
                         0);
                put_raw(r, 84, "0001");
                memcpy(r + 87, x->trace + 8, 7);
            } else {
                /* 98/99: code, original trace, (date of death), original
                 * RDFI, corrected data or information, own trace. */
                r[0] = '7';
                put_num(r, 2, 2, (uint64_t)x->addenda_type);
                memcpy(r + 3, x->code, 3);
                memcpy(r + 6, x->original_trace, 15);
                if (x->addenda_type == 99 && FLEN(x->date_of_death) > 0)
                    yymmdd(x->date_of_death, sizeof(x->date_of_death),
                           r + 21);
                memcpy(r + 27, x->original_rdfi, 8);
                if (x->addenda_type == 98)
                    put_text(r, 36, 29, x->corrected_data,
                             sizeof(x->corrected_data), 0);
                else
                    put_text(r, 36, 44, x->addenda_info,
                             sizeof(x->addenda_info), 0);
                memcpy(r + 79, x->trace, 15);
            }
            emit(o);
        }
    }

    if ((r = next_record(o, err, &rc)) == NULL)
        return rc;
    r[0] = '8';
    put_num(r, 2, 3, (uint64_t)scc);
    put_num(r, 5, 6, (uint64_t)b->count);
    put_num(r, 11, 10, b->hash);
    put_num(r, 21, 12, (uint64_t)b->debit);
    put_num(r, 33, 12, (uint64_t)b->credit);
    put_text(r, 45, 10, x0->company_id, sizeof(x0->company_id), 0);
    memcpy(r + 79, x0->odfi, 8);
    put_num(r, 88, 7, (uint64_t)number);
    emit(o);
    return 0;
}

static int write_file(struct out *o, const struct layout *L, struct ps_err *err)
{
    int rc = write_header(o, L, err);
    if (rc != 0)
        return rc;
    unsigned long seq =
        L->h->trace_start > 0 ? (unsigned long)L->h->trace_start - 1 : 0;
    long number = 0;
    size_t pos = 0;
    struct batch b;
    while (pos < L->n) {
        batch_at(L, pos, &b);
        if ((rc = write_batch(o, L, pos, &b, ++number, &seq, err)) != 0)
            return rc;
        pos = b.end;
    }
    char *r = next_record(o, err, &rc);
    if (r == NULL)
        return rc;
    r[0] = '9';
    put_num(r, 2, 6, (uint64_t)L->t.batches);
    put_num(r, 8, 6, (uint64_t)L->t.blocks);
    put_num(r, 14, 8, (uint64_t)(L->t.entries + L->t.addenda));
    put_num(r, 22, 10, L->t.entry_hash);
    put_num(r, 32, 12, (uint64_t)L->t.total_debit);
    put_num(r, 44, 12, (uint64_t)L->t.total_credit);
    emit(o);
    while (o->records % 10 != 0) {
        if ((r = next_record(o, err, &rc)) == NULL)
            return rc;
        memset(r, '9', PS_NACHA_RECORD);
        emit(o);
    }
    if (PS_NEVER(o->records != L->t.records))
        return ps_err_set(err, PS_EINTERNAL, "NACHA_LAYOUT",
                          "wrote %ld records, planned %ld", o->records,
                          L->t.records);
    return flush(o, err);
}

int ps_nacha_write(const struct ps_nacha_header *h, struct ps_nacha_out *e,
                   size_t n, long max_batch_entries,
                   int (*sink)(void *ctx, const char *buf, size_t len,
                               struct ps_err *err),
                   void *ctx, struct ps_nacha_write_totals *totals,
                   struct ps_err *err)
{
    struct layout L;
    struct out o = {NULL, 0, sink, ctx, 0};
    size_t *gid = NULL, *order = NULL;
    int rc;

    memset(&L, 0, sizeof(L));
    L.h = h;
    L.e = e;
    L.n = n;
    L.max_entries = max_batch_entries;
    if ((rc = check_header(h, L.date, err)) != 0)
        goto out;
    if (h->trace_start < 0 || h->trace_start > (long)TRACE_SEQ_MAX) {
        rc = ps_err_set(err, PS_EINVAL, "NACHA_TRACE_START",
                        "the first trace sequence %ld is outside 1..9999999",
                        h->trace_start);
        ps_err_field(err, "trace_start");
        goto out;
    }
    if (n > TRACE_SEQ_MAX ||
        (h->trace_start > 1 &&
         n > TRACE_SEQ_MAX - (size_t)(h->trace_start - 1))) {
        rc = refuse(err, (long)TRACE_SEQ_MAX, "trace", "NACHA_FILE_TOO_LARGE",
                    "%zu entries from trace sequence %ld: the 7-digit trace "
                    "sequence ends at 9,999,999: split the entries into more "
                    "files",
                    n, h->trace_start > 0 ? h->trace_start : 1L);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if ((rc = check_entry(&e[i], (long)i, err)) != 0)
            goto out;
    if (n > 0) {
        gid = malloc(n * sizeof(*gid));
        order = malloc(n * sizeof(*order));
        if (gid == NULL || order == NULL) {
            rc = ps_err_set(err, PS_ENOMEM, "OUT_OF_MEMORY",
                            "out of memory laying out %zu entries", n);
            goto out;
        }
        if ((rc = group(e, n, gid, order, err)) != 0)
            goto out;
    }
    L.gid = gid;
    L.order = order;
    if ((rc = dry_walk(&L, err)) != 0)
        goto out;
    if ((o.buf = malloc(OUTBUF)) == NULL) {
        rc = ps_err_set(err, PS_ENOMEM, "OUT_OF_MEMORY",
                        "out of memory for the output buffer");
        goto out;
    }
    if ((rc = write_file(&o, &L, err)) != 0) {
        /* out-parameters only on success: forget the half-filled ones */
        for (size_t i = 0; i < n; i++) {
            e[i].trace[0] = '\0';
            e[i].line = 0;
            e[i].batch_number = 0;
        }
        goto out;
    }
    if (totals != NULL)
        *totals = L.t;
out:
    free(o.buf);
    free(order);
    free(gid);
    return rc;
}
