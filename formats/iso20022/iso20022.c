/*
 * iso20022.c -- the ISO 20022 pain.001 reader (Customer Credit Transfer
 * Initiation, versions 001.03, 001.09 and 001.10), streaming through
 * libxml2's SAX2 push parser: memory stays flat in the document's size.
 *
 * Safe by construction: a DOCTYPE is refused as soon as the parser sees
 * it (so no DTD is loaded, no entity declared, no external entity
 * fetched and no entity expanded); XML_PARSE_NONET; XML_PARSE_HUGE off,
 * so libxml2's own text and name limits hold; a depth limit of our own
 * (ISO_MAX_DEPTH); and a cap on every text payspool keeps.  Character
 * references (&amp; &#233;) are ordinary XML and work.
 *
 * Each element read is checked against schema.c's tables: order,
 * cardinality, and its text's type.  GrpHdr and PmtInf NbOfTxs and CtrlSum
 * are checked against the transactions (PmtInf's at its end, GrpHdr's in
 * finish()); every error says the line and the element's path.  Every
 * problem is fatal for the document (scope FILE): a pain.001 that breaks
 * its schema is refused whole, as a bank would (FF01).  Each CdtTrfTxInf
 * becomes a record of kind "payment.send" (request_id = EndToEndId,
 * external_id = the creditor's private or organisation identification);
 * records read before a fatal problem are handed out first; its key is
 * MsgId/EndToEndId, and the document's duplicate key is the MsgId.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "formats/format.h"
#include "formats/iso20022/iso_int.h"
#include "formats/iso20022/iso20022.h"
#include "base/money.h"

#define ISO_NS "urn:iso:std:iso:20022:tech:xsd:"
#define ISO_MAX_DEPTH 40  /* the deepest element read is at 9 */
#define ISO_TEXT_MAX 1024 /* bytes kept of one element's text */
#define ISO_CHUNK 65536   /* bytes fed to the parser at a time */
#define CTRL_SCALE 4      /* CtrlSum compared in 1/10^4 units */
#define ID_SIZE 144       /* Max35Text in UTF-8, with the NUL */
#define MATCH_SLOTS 256   /* match_child's cache (a power of two) */

static const char *const versions[] = {"pain.001.001.03", "pain.001.001.09",
                                       "pain.001.001.10"};

struct frame {
    const struct iso_node *node; /* NULL: a skipped subtree's root */
    const char *name;            /* from the tables (or "?") */
    unsigned index;              /* 1-based among same-named siblings */
    int indexed;                 /* print [index] in paths */
    size_t cursor;               /* the child of node being matched */
    unsigned count;              /* occurrences of kids[cursor] so far */
    unsigned total;              /* children seen */
};

/* A transaction read, waiting for next() to hand it out. */
struct tx {
    long line;
    int64_t offset;
    char e2e[ID_SIZE], ext[ID_SIZE], amount[48], ccy[4];
    char pmtinf[ID_SIZE], mmbid[ID_SIZE], acct[ID_SIZE];
    char key[2 * ID_SIZE];
    int clr_usaba, has_acct;
    struct ps_err err; /* a record-level problem */
};

struct iso {
    struct ps_stream *in;
    xmlParserCtxtPtr ctxt;
    int version; /* 3, 9 or 10; 0 until the root is seen */
    char ns[64];  /* the document's namespace */
    const xmlChar *ns_seen; /* the last namespace pointer that matched */
    char where[200]; /* a path for fail() when the stack has moved on */
    long where_line;
    int64_t where_off; /* its byte offset, or -1 */
    struct ps_err err; /* the first fatal problem */
    int done;          /* the stream is fully fed */
    int root_seen;
    struct frame stack[ISO_MAX_DEPTH + 1];
    int depth;      /* frames in stack */
    int skip;       /* depth inside a skipped subtree */
    char text[ISO_TEXT_MAX + 1];
    size_t tlen;
    int text_over;
    /* the document */
    char msgid[ID_SIZE];
    char grp_nb[20], grp_sum[48];
    long grp_nb_line, grp_sum_line; /* where GrpHdr's controls are */
    int64_t grp_nb_off, grp_sum_off;
    long txs;
    int64_t sum; /* in 1/10^CTRL_SCALE units, all currencies */
    int64_t minor; /* in minor units, when one currency */
    char currency[4];
    int mixed;
    /* the payment information block */
    char pmtinf[ID_SIZE];
    char pmt_nb[20], pmt_sum[48];
    long pmt_nb_line, pmt_sum_line; /* where its controls are */
    int64_t pmt_nb_off, pmt_sum_off;
    long pmt_txs;
    int64_t pmt_total;
    /* transactions: q[qhead..qlen) read and waiting; the one being read
     * is built in place at q[qlen] (CUR), which always exists */
    struct tx *q;
    size_t qlen, qhead, qcap;
    int in_tx; /* inside a CdtTrfTxInf */
    /* match_child's cache: libxml2 hands every element name interned in
     * its dictionary (the same pointer each time), so (parent's table
     * row, name pointer) -> the child's index, for names that occur once
     * among the parent's children; about 40 pairs in a document. */
    struct {
        const struct iso_node *node;
        const char *name;
        size_t j;
    } match[MATCH_SLOTS];
    unsigned char buf[ISO_CHUNK];
};

/* The transaction being read. */
#define CUR(s) (&(s)->q[(s)->qlen])

/* ---- errors and paths ---------------------------------------------- */

static long cur_line(const struct iso *s)
{
    return s->ctxt != NULL && s->ctxt->input != NULL ? s->ctxt->input->line
                                                      : 0;
}

/* The path of the open elements, as /Document/.../PmtInf[2]/... */
static void path_of(const struct iso *s, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < s->depth && n < size; i++) {
        int w = s->stack[i].indexed
                    ? snprintf(buf + n, size - n, "/%s[%u]", s->stack[i].name,
                               s->stack[i].index)
                    : snprintf(buf + n, size - n, "/%s", s->stack[i].name);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

/* Record the document's first fatal problem, with line and path, and
 * stop the parser. */
static int fail(struct iso *s, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct iso *s, const char *rule, const char *fmt, ...)
{
    char msg[PS_ERR_MSG_MAX], path[200];
    va_list ap;
    if (s->err.code != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (s->where[0] != '\0')
        ps_strlcpy(path, s->where, sizeof(path));
    else
        path_of(s, path, sizeof(path));
    ps_err_set(&s->err, PS_EINVAL, rule, "%s: %s", path[0] ? path : "/",
               msg);
    ps_err_at(&s->err, NULL, s->where_line > 0 ? s->where_line : cur_line(s),
              s->where[0] != '\0' ? s->where_off
              : s->ctxt != NULL    ? (int64_t)xmlByteConsumed(s->ctxt)
                                   : -1);
    if (s->where[0] != '\0') { /* the path's last element, without [n] */
        const char *leaf = strrchr(s->where, '/');
        ps_err_field(&s->err, leaf != NULL ? leaf + 1 : s->where);
        char *br = strchr(s->err.field, '[');
        if (br != NULL)
            *br = '\0';
    } else if (s->depth > 0)
        ps_err_field(&s->err, s->stack[s->depth - 1].name);
    if (s->ctxt != NULL)
        xmlStopParser(s->ctxt);
    return -1;
}

/* In the SAX callbacks, which return nothing. */
#define FAIL_VOID(...)                                                         \
    do {                                                                       \
        (void)fail(__VA_ARGS__);                                               \
        return;                                                                \
    } while (0)

/* ---- text types ---------------------------------------------------- */

static size_t utf8_chars(const char *t)
{
    size_t n = 0;
    for (; *t != '\0'; t++)
        if (((unsigned char)*t & 0xc0) != 0x80)
            n++;
    return n;
}

static int digits(const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (t[i] < '0' || t[i] > '9')
            return 0;
    return 1;
}

/* The value of n digits already checked by digits(). */
static int num(const char *t, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (t[i] - '0');
    return v;
}

static int is_date(const char *t)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(t) < 10 || !digits(t, 4) || t[4] != '-' || !digits(t + 5, 2) ||
        t[7] != '-' || !digits(t + 8, 2))
        return 0;
    int y = num(t, 4), m = num(t + 5, 2), d = num(t + 8, 2);
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    return !(m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
}

/* The optional time zone of an xs:date or xs:dateTime: "", "Z" or
 * "+hh:mm"/"-hh:mm"; the text past it, or NULL. */
static const char *tz(const char *p)
{
    if (*p == 'Z')
        return p + 1;
    if ((*p == '+' || *p == '-') && digits(p + 1, 2) && p[3] == ':' &&
        digits(p + 4, 2))
        return p + 6;
    return p;
}

static int is_datetime(const char *t)
{
    if (!is_date(t) || t[10] != 'T' || !digits(t + 11, 2) || t[13] != ':' ||
        !digits(t + 14, 2) || t[16] != ':' || !digits(t + 17, 2))
        return 0;
    const char *p = t + 19;
    int frac_zero = 1;
    if (*p == '.') {
        size_t n = strspn(p + 1, "0123456789");
        if (n == 0)
            return 0;
        frac_zero = strspn(p + 1, "0") == n;
        p += 1 + n;
    }
    p = tz(p);
    /* xs:dateTime: 24:00:00 is the end of the day (zero minutes and
     * seconds only). */
    int h = num(t + 11, 2), m = num(t + 14, 2), sec = num(t + 17, 2);
    return *p == '\0' && m < 60 && sec < 61 &&
           (h < 24 || (h == 24 && m == 0 && sec == 0 && frac_zero));
}

/*
 * A DecimalNumber (CtrlSum) in 1/10^CTRL_SCALE units: xs:decimal's
 * optional sign, digits, an optional fraction (".86" and "5." are
 * xs:decimal); fraction digits past CTRL_SCALE must be zeros (no currency
 * has more than 4 minor digits, so anything finer cannot match a sum): -2.
 * A sum is never negative: "-0" is 0, anything below is -3.
 */
static int ctrl_value(const char *t, int64_t *out)
{
    int64_t v = 0;
    int neg = *t == '-';
    if (*t == '+' || *t == '-')
        t++;
    size_t n = strspn(t, "0123456789");
    if (n > 18 || (n == 0 && !(t[0] == '.' && t[1] >= '0' && t[1] <= '9')))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (__builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, t[i] - '0', &v))
            return -1;
    t += n;
    size_t f = 0;
    if (*t == '.') {
        t++;
        for (; *t >= '0' && *t <= '9'; t++, f++)
            if (f < CTRL_SCALE) {
                if (__builtin_mul_overflow(v, 10, &v) ||
                    __builtin_add_overflow(v, *t - '0', &v))
                    return -1;
            } else if (*t != '0')
                return -2;
    }
    for (; f < CTRL_SCALE; f++)
        if (__builtin_mul_overflow(v, 10, &v))
            return -1;
    if (*t != '\0')
        return -1;
    if (neg && v != 0)
        return -3;
    *out = v;
    return 0;
}

/* Check a leaf's text against its type; 0 or -1 after fail(). */
static int check_text(struct iso *s, const struct iso_node *n, const char *t)
{
    /* Characters are never more than bytes: counted only past the
     * limit (this runs for every leaf of a million transactions). */
    size_t len = strlen(t), chars = len;
    int64_t v;
    switch (n->text) {
    case ISO_T_MAX35:
    case ISO_T_MAX140: {
        size_t max = n->text == ISO_T_MAX35 ? 35 : 140;
        if (chars > max)
            chars = utf8_chars(t);
        if (chars < 1 || chars > max || s->text_over)
            return fail(s, "ISO_TEXT",
                        "%s must be 1 to %zu characters, not %zu", n->name,
                        max, s->text_over ? (size_t)ISO_TEXT_MAX : chars),
                   -1;
        return 0;
    }
    case ISO_T_DATE: /* xs:date: a time zone may follow */
        if (!is_date(t) || *tz(t + 10) != '\0')
            return fail(s, "ISO_DATE", "%s is not an ISODate (YYYY-MM-DD)",
                        n->name),
                   -1;
        return 0;
    case ISO_T_DATETIME:
        if (!is_datetime(t))
            return fail(s, "ISO_DATE",
                        "%s is not an ISODateTime (YYYY-MM-DDThh:mm:ss)",
                        n->name),
                   -1;
        return 0;
    case ISO_T_NBTXS: /* digits only: one byte a character */
        if (len < 1 || len > 15 || !digits(t, len))
            return fail(s, "ISO_TEXT", "%s must be 1 to 15 digits", n->name),
                   -1;
        return 0;
    case ISO_T_DECIMAL:
        switch (ctrl_value(t, &v)) {
        case -1:
            return fail(s, "ISO_TEXT",
                        "%s is not a decimal number (at most 18 digits)",
                        n->name),
                   -1;
        case -3:
            return fail(s, "ISO_TEXT",
                        "%s is negative: a control sum is never below 0",
                        n->name),
                   -1;
        default:
            return 0;
        }
    case ISO_T_PMTMTD: /* TRA (TransferAdvice) is a credit transfer too */
        if (strcmp(t, "TRF") != 0 && strcmp(t, "TRA") != 0)
            return fail(s, "ISO_TEXT",
                        "PmtMtd must be TRF or TRA for a credit transfer"
                        "%s",
                        strcmp(t, "CHK") == 0
                            ? " (CHK, a cheque, is not a payment payspool "
                              "makes)"
                            : ""),
                   -1;
        return 0;
    case ISO_T_CHRGBR:
        if (strcmp(t, "DEBT") != 0 && strcmp(t, "CRED") != 0 &&
            strcmp(t, "SHAR") != 0 && strcmp(t, "SLEV") != 0)
            return fail(s, "ISO_TEXT",
                        "ChrgBr must be DEBT, CRED, SHAR or SLEV"),
                   -1;
        return 0;
    case ISO_T_BOOL:
        if (strcmp(t, "true") != 0 && strcmp(t, "false") != 0 &&
            strcmp(t, "1") != 0 && strcmp(t, "0") != 0)
            return fail(s, "ISO_TEXT", "%s must be true or false", n->name),
                   -1;
        return 0;
    default:
        return 0;
    }
}

/* ---- amounts and controls ------------------------------------------ */

/* InstdAmt: a decimal with at most the currency's minor digits; zeros
 * past them, a trailing '.' and a leading '+' (xs:decimal allows
 * "+1000.000" for USD) are dropped. */
static int take_amount(struct iso *s, const char *text)
{
    const struct ps_currency *c = ps_currency_find(CUR(s)->ccy);
    struct ps_err e;
    int64_t minor, scaled;
    char t[sizeof(((struct tx *)0)->amount)];
    ps_err_clear(&e);
    if (c == NULL)
        return fail(s, "ISO_AMOUNT",
                    "InstdAmt's Ccy \"%s\" is not an active ISO 4217 code",
                    CUR(s)->ccy);
    if (text[0] == '+') /* "+5.00" */
        text++;
    /* ".72" is xs:decimal: 0.72 */
    snprintf(t, sizeof(t), "%s%s", text[0] == '.' ? "0" : "", text);
    const char *dot = strchr(t, '.');
    if (dot != NULL && dot > t) {
        size_t len = strlen(t), frac = len - (size_t)(dot - t) - 1;
        while (frac > (size_t)c->exponent && t[len - 1] == '0')
            t[--len] = '\0', frac--;
        if (frac == 0)
            t[--len] = '\0'; /* "500." (or a JPY "500.0") is 500 */
    }
    if (ps_money_parse(t, strlen(t), c->exponent, PS_MONEY_NOT_A_CARD, &minor,
                       &e) != 0)
        return fail(s, "ISO_AMOUNT",
                    "InstdAmt is not an amount in %s (%d decimals): %s [%s]",
                    c->code, c->exponent, e.msg, e.rule);
    if (minor <= 0)
        return fail(s, "ISO_AMOUNT", "InstdAmt must be greater than zero");
    int64_t mul = 1;
    for (int i = c->exponent; i < CTRL_SCALE; i++)
        mul *= 10;
    if (__builtin_mul_overflow(minor, mul, &scaled) ||
        __builtin_add_overflow(s->sum, scaled, &s->sum) ||
        __builtin_add_overflow(s->pmt_total, scaled, &s->pmt_total))
        return fail(s, "ISO_CTRL_SUM", "the amounts' sum overflows");
    ps_strlcpy(CUR(s)->amount, t, sizeof(CUR(s)->amount));
    if (s->currency[0] == '\0')
        ps_strlcpy(s->currency, c->code, sizeof(s->currency));
    else if (strcmp(s->currency, c->code) != 0)
        s->mixed = 1;
    if (!s->mixed && __builtin_add_overflow(s->minor, minor, &s->minor))
        s->mixed = 1;
    return 0;
}

/* Errors about the control `leaf` of the group or of the open PmtInf go
 * to its own line, offset and path. */
static void at_control(struct iso *s, int grp, const char *leaf, long line,
                       int64_t off)
{
    char base[200];
    if (grp)
        ps_strlcpy(base, "/Document/CstmrCdtTrfInitn/GrpHdr", sizeof(base));
    else
        path_of(s, base, sizeof(base)); /* .../PmtInf[n], still open */
    snprintf(s->where, sizeof(s->where), "%.180s/%s", base, leaf);
    s->where_line = line;
    s->where_off = off;
}

/* A block's (or the group's) declared NbOfTxs and CtrlSum against what
 * was read; "" means not declared. */
static int check_controls(struct iso *s, const char *where, const char *nb,
                           const char *sum, long txs, int64_t total)
{
    int64_t want;
    int grp = strcmp(where, "GrpHdr") == 0;
    if (nb[0] != '\0' && strtol(nb, NULL, 10) != txs) {
        at_control(s, grp, "NbOfTxs", grp ? s->grp_nb_line : s->pmt_nb_line,
                   grp ? s->grp_nb_off : s->pmt_nb_off);
        return fail(s, "ISO_NB_OF_TXS",
                    "%s NbOfTxs says %s transactions, the %s has %ld",
                    where, nb, grp ? "document" : where, txs);
    }
    if (sum[0] != '\0' && (ctrl_value(sum, &want) != 0 || want != total)) {
        at_control(s, grp, "CtrlSum", grp ? s->grp_sum_line : s->pmt_sum_line,
                   grp ? s->grp_sum_off : s->pmt_sum_off);
        return fail(s, "ISO_CTRL_SUM",
                    "%s CtrlSum %s differs from the sum of its InstdAmt",
                    where, sum);
    }
    return 0;
}

/* ---- the transaction ----------------------------------------------- */

/* Room for the next transaction at q[qlen]. */
static int queue_room(struct iso *s)
{
    if (s->qlen + 1 >= s->qcap) {
        size_t cap = s->qcap ? s->qcap * 2 : 64;
        struct tx *q = realloc(s->q, cap * sizeof(*q));
        if (q == NULL)
            return ps_err_set(&s->err, PS_ENOMEM, "NO_MEMORY",
                              "out of memory");
        s->q = q;
        s->qcap = cap;
    }
    return 0;
}

/* The start of a CdtTrfTxInf: a blank transaction at q[qlen] (the
 * fields cleared one by one: the struct is 2 KiB, most of it the
 * record-level error's text, set only with its code). */
static void tx_begin(struct iso *s)
{
    struct tx *t = CUR(s);
    t->line = cur_line(s);
    t->offset = xmlByteConsumed(s->ctxt);
    t->e2e[0] = t->ext[0] = t->amount[0] = '\0';
    memset(t->ccy, 0, sizeof(t->ccy));
    t->pmtinf[0] = t->mmbid[0] = t->acct[0] = t->key[0] = '\0';
    t->clr_usaba = t->has_acct = 0;
    t->err.code = 0;
    s->in_tx = 1;
}

/* The end of a CdtTrfTxInf: the record, or its record-level problem. */
static void tx_end(struct iso *s)
{
    struct tx *t = CUR(s);
    s->txs++;
    s->pmt_txs++;
    ps_strlcpy(t->pmtinf, s->pmtinf, sizeof(t->pmtinf));
    /* MsgId/EndToEndId (each under ID_SIZE: the key holds both) */
    size_t lm = strlen(s->msgid), le = strlen(t->e2e);
    memcpy(t->key, s->msgid, lm);
    t->key[lm] = '/';
    memcpy(t->key + lm + 1, t->e2e, le + 1);
    if (t->ext[0] == '\0' && !(t->clr_usaba && t->acct[0] != '\0')) {
        char path[200];
        path_of(s, path, sizeof(path)); /* .../CdtTrfTxInf[n], still open */
        ps_err_set(&t->err, PS_EINVAL, "ISO_CREDITOR_UNIDENTIFIED",
                   "%.120s/Cdtr: the creditor has no identification payspool "
                   "can use (an IBAN alone names no customer): "
                   "give Cdtr/Id/PrvtId/Othr/Id or Cdtr/Id/OrgId/Othr/Id "
                   "(the customer's external id), or a USABA CdtrAgt and "
                   "CdtrAcct/Id/Othr/Id",
                   path);
        ps_err_at(&t->err, NULL, t->line, t->offset);
        ps_err_field(&t->err, "Cdtr");
    }
    s->qlen++;
    s->in_tx = 0;
    if (queue_room(s) != 0 && s->ctxt != NULL)
        xmlStopParser(s->ctxt);
}

/* Keep a leaf's text where its slot says. */
static void take(struct iso *s, enum iso_slot slot, const char *t)
{
    switch (slot) {
    case ISO_F_MSGID: ps_strlcpy(s->msgid, t, sizeof(s->msgid)); break;
    case ISO_F_GRP_NB:
        ps_strlcpy(s->grp_nb, t, sizeof(s->grp_nb));
        s->grp_nb_line = cur_line(s);
        s->grp_nb_off = xmlByteConsumed(s->ctxt);
        break;
    case ISO_F_GRP_SUM:
        ps_strlcpy(s->grp_sum, t, sizeof(s->grp_sum));
        s->grp_sum_line = cur_line(s);
        s->grp_sum_off = xmlByteConsumed(s->ctxt);
        break;
    case ISO_F_PMTINFID: ps_strlcpy(s->pmtinf, t, sizeof(s->pmtinf)); break;
    case ISO_F_PMT_NB:
        ps_strlcpy(s->pmt_nb, t, sizeof(s->pmt_nb));
        s->pmt_nb_line = cur_line(s);
        s->pmt_nb_off = xmlByteConsumed(s->ctxt);
        break;
    case ISO_F_PMT_SUM:
        ps_strlcpy(s->pmt_sum, t, sizeof(s->pmt_sum));
        s->pmt_sum_line = cur_line(s);
        s->pmt_sum_off = xmlByteConsumed(s->ctxt);
        break;
    case ISO_F_E2E: ps_strlcpy(CUR(s)->e2e, t, sizeof(CUR(s)->e2e)); break;
    case ISO_F_AMOUNT: (void)take_amount(s, t); break;
    case ISO_F_CLRSYS: CUR(s)->clr_usaba = strcmp(t, "USABA") == 0; break;
    case ISO_F_MMBID: ps_strlcpy(CUR(s)->mmbid, t, sizeof(CUR(s)->mmbid)); break;
    case ISO_F_CDTR_ID:
    case ISO_F_CDTR_ORGID: /* a business payee: its organisation id */
        if (CUR(s)->ext[0] == '\0')
            ps_strlcpy(CUR(s)->ext, t, sizeof(CUR(s)->ext));
        break;
    case ISO_F_IBAN: CUR(s)->has_acct = 1; break;
    case ISO_F_ACCT:
        CUR(s)->has_acct = 1;
        ps_strlcpy(CUR(s)->acct, t, sizeof(CUR(s)->acct));
        break;
    default: break;
    }
}

/* ---- structure: order and cardinality ------------------------------ */

static unsigned max_of(const struct iso_child *k)
{
    return k->max == 0 ? (unsigned)-1 : k->max;
}

/* The children from `from` up to (not including) `to` that are short of
 * their minimum; the first such, or NULL. */
static const struct iso_child *short_of(const struct frame *f, size_t from,
                                        size_t to)
{
    if (f->node->choice)
        return NULL;
    for (size_t i = from; i < to && i < f->node->nkids; i++) {
        unsigned have = i == f->cursor ? f->count : 0;
        if (have < f->node->kids[i].min)
            return &f->node->kids[i];
    }
    return NULL;
}

/* Does kids[j]'s name occur once among n's children? */
static int once(const struct iso_node *n, size_t j)
{
    for (size_t i = 0; i < n->nkids; i++)
        if (i != j && strcmp(n->kids[i].name, n->kids[j].name) == 0)
            return 0;
    return 1;
}

/* Match a child named `name` in the open frame f: the table row, or NULL
 * after fail(). */
static const struct iso_child *match_child(struct iso *s, struct frame *f,
                                           const char *name, unsigned *index)
{
    const struct iso_node *n = f->node;
    size_t j;
    /* This runs for every element of a document of a million
     * transactions: the cache first (a name seen before under this
     * parent, at or after the cursor: the same child the scan finds),
     * then the first byte before strcmp(). */
    size_t slot = (((uintptr_t)n >> 4) ^ ((uintptr_t)name >> 3)) &
                  (MATCH_SLOTS - 1);
    if (s->match[slot].node == n && s->match[slot].name == name &&
        s->match[slot].j >= f->cursor)
        j = s->match[slot].j;
    else {
        for (j = f->cursor; j < n->nkids; j++)
            if (n->kids[j].name[0] == name[0] &&
                strcmp(n->kids[j].name, name) == 0)
                break;
        if (j < n->nkids && once(n, j)) {
            s->match[slot].node = n;
            s->match[slot].name = name;
            s->match[slot].j = j;
        }
    }
    if (j == n->nkids) {
        for (j = 0; j < f->cursor; j++)
            if (strcmp(n->kids[j].name, name) == 0)
                break;
        if (j < f->cursor)
            (void)fail(s, "ISO_ELEMENT_ORDER", "%s comes after %s in %s", name,
                 n->kids[f->cursor].name, n->name);
        else
            (void)fail(s, "ISO_ELEMENT_UNEXPECTED", "%s is not an element of %s",
                 name, n->name);
        return NULL;
    }
    const struct iso_child *miss = short_of(f, f->cursor, j);
    if (miss != NULL) {
        (void)fail(s, "ISO_ELEMENT_MISSING", "%s is missing before %s", miss->name,
             name);
        return NULL;
    }
    if (j != f->cursor || f->total == 0) {
        f->cursor = j;
        f->count = 0;
    }
    f->count++;
    f->total++;
    if (f->count > max_of(&n->kids[j]) || (n->choice && f->total > 1)) {
        (void)fail(s, "ISO_ELEMENT_UNEXPECTED",
             n->choice ? "%s: %s allows only one of its choices"
                       : "%s: too many %s elements",
             name, n->name);
        return NULL;
    }
    *index = f->count;
    return &n->kids[j];
}

/* ---- SAX2 callbacks ------------------------------------------------ */

/* The root: Document in a supported namespace. */
static int root_start(struct iso *s, const char *name, const char *uri)
{
    s->root_seen = 1;
    if (uri == NULL || strncmp(uri, ISO_NS, strlen(ISO_NS)) != 0)
        return fail(s, "ISO_NAMESPACE",
                    "the root element %.40s is not in an ISO 20022 "
                    "namespace (%.80s): payspool reads a pain.001 Document "
                    "as the root, not inside an envelope",
                    name, uri != NULL ? uri : "none");
    for (int i = 0; i < 3; i++)
        if (strcmp(uri + strlen(ISO_NS), versions[i]) == 0)
        {
            s->version = i == 0 ? 3 : i == 1 ? 9 : 10;
            ps_strlcpy(s->ns, uri, sizeof(s->ns));
        }
    if (s->version == 0)
        return fail(s, "ISO_NAMESPACE",
                    "message %.60s is not one payspool reads (pain.001.001.03, "
                    ".09 or .10)",
                    uri + strlen(ISO_NS));
    if (strcmp(name, "Document") != 0)
        return fail(s, "ISO_ELEMENT_UNEXPECTED",
                    "the root element must be Document, not %.40s", name);
    s->stack[0] = (struct frame){iso_schema_document(), "Document", 1, 0, 0,
                                 0, 0};
    s->depth = 1;
    return 0;
}

static void on_start(void *ctx, const xmlChar *localname,
                     const xmlChar *prefix, const xmlChar *uri,
                     int nb_namespaces, const xmlChar **namespaces,
                     int nb_attributes, int nb_defaulted,
                     const xmlChar **attributes)
{
    struct iso *s = ctx;
    const char *name = (const char *)localname;
    unsigned index = 0;
    (void)prefix, (void)nb_namespaces, (void)namespaces, (void)nb_defaulted;
    if (s->err.code != 0)
        return;
    if (s->depth + s->skip >= ISO_MAX_DEPTH)
        FAIL_VOID(s, "ISO_TOO_DEEP", "elements nest deeper than %d",
                    ISO_MAX_DEPTH);
    if (s->skip > 0) {
        s->skip++;
        return;
    }
    if (!s->root_seen)
    {
        (void)root_start(s, name, (const char *)uri);
        return;
    }
    /* libxml2 hands every element the same interned namespace string:
     * compare the pointer first, the text once per new pointer. */
    if (uri == NULL ||
        (uri != s->ns_seen && strcmp((const char *)uri, s->ns) != 0))
        FAIL_VOID(s, "ISO_NAMESPACE", "%s is not in the document's namespace",
                  name);
    s->ns_seen = uri;
    struct frame *f = &s->stack[s->depth - 1];
    if (f->node == NULL || f->node->nkids == 0 ||
        (f->node->slot == ISO_F_REQDT && s->version == 3))
        FAIL_VOID(s, "ISO_ELEMENT_UNEXPECTED", "%s holds text, not %s",
                    f->name, name);
    const struct iso_child *k = match_child(s, f, name, &index);
    if (k == NULL)
        return;
    s->stack[s->depth++] = (struct frame){k->node, k->name, index,
                                          max_of(k) != 1, 0, 0, 0};
    s->tlen = 0;
    s->text_over = 0;
    if (k->node == NULL) {
        s->skip = 1;
        return;
    }
    if (k->node->slot == ISO_F_TX) {
        tx_begin(s);
    } else if (k->node->slot == ISO_F_PMTINF) {
        s->pmtinf[0] = s->pmt_nb[0] = s->pmt_sum[0] = '\0';
        s->pmt_txs = 0;
        s->pmt_total = 0;
    } else if (k->node->slot == ISO_F_AMOUNT) {
        for (int i = 0; i < nb_attributes; i++) {
            const xmlChar **a = attributes + 5 * i;
            if (strcmp((const char *)a[0], "Ccy") == 0 && a[2] == NULL) {
                size_t n = (size_t)(a[4] - a[3]);
                if (n == 3)
                    memcpy(CUR(s)->ccy, a[3], 3);
            }
        }
        if (CUR(s)->ccy[0] == '\0')
            FAIL_VOID(s, "ISO_AMOUNT",
                        "InstdAmt needs a Ccy attribute of three letters");
    } else if (k->node->slot == ISO_F_EQVTAMT) {
        FAIL_VOID(s, "ISO_AMOUNT_EQUIVALENT",
                  "EqvtAmt is not supported: give the instructed amount "
                  "(InstdAmt): payspool pays the instructed amount only");
    }
}

/* The end of an element read: its text, its missing children, and the
 * blocks' controls. */
static int frame_end(struct iso *s, struct frame *f)
{
    const struct iso_node *n = f->node;
    s->text[s->tlen] = '\0';
    if (n->nkids > 0 && !(n->slot == ISO_F_REQDT && s->version == 3)) {
        const struct iso_child *miss = short_of(f, f->cursor, n->nkids);
        if (miss != NULL)
            return fail(s, "ISO_ELEMENT_MISSING", "%s is missing in %s",
                        miss->name, n->name);
        if (n->choice && f->total == 0)
            return fail(s, "ISO_ELEMENT_MISSING",
                        "%s needs one of its choices", n->name);
    } else {
        /* A leaf: the schema's whitespace collapse for non-text types. */
        char *t = s->text;
        if (n->text != ISO_T_MAX35 && n->text != ISO_T_MAX140) {
            while (*t == ' ' || *t == '\n' || *t == '\r' || *t == '\t')
                t++;
            size_t len = strlen(t);
            while (len > 0 && strchr(" \n\r\t", t[len - 1]) != NULL)
                t[--len] = '\0';
        }
        if (check_text(s, n, t) != 0)
            return 0;
        take(s, n->slot, t);
    }
    if (n->slot == ISO_F_TX)
        tx_end(s);
    else if (n->slot == ISO_F_PMTINF)
        (void)check_controls(s, "PmtInf", s->pmt_nb, s->pmt_sum, s->pmt_txs,
                       s->pmt_total);
    return 0;
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                   const xmlChar *uri)
{
    struct iso *s = ctx;
    (void)localname, (void)prefix, (void)uri;
    if (s->err.code != 0)
        return;
    if (s->skip > 0) {
        if (--s->skip > 0)
            return;
        s->depth--;
        return;
    }
    if (s->depth == 0)
        return;
    (void)frame_end(s, &s->stack[s->depth - 1]);
    s->depth--;
    s->tlen = 0;
}

static void on_text(void *ctx, const xmlChar *ch, int len)
{
    struct iso *s = ctx;
    if (s->err.code != 0 || s->skip > 0 || s->depth == 0)
        return;
    const struct frame *f = &s->stack[s->depth - 1];
    if (f->node != NULL &&
        (f->node->nkids == 0 || (f->node->slot == ISO_F_REQDT &&
                                 s->version == 3))) {
        size_t n = (size_t)len;
        if (s->tlen + n > ISO_TEXT_MAX) {
            n = ISO_TEXT_MAX - s->tlen;
            s->text_over = 1;
        }
        memcpy(s->text + s->tlen, ch, n);
        s->tlen += n;
        return;
    }
    for (int i = 0; i < len; i++)
        if (ch[i] != ' ' && ch[i] != '\n' && ch[i] != '\r' && ch[i] != '\t')
            FAIL_VOID(s, "ISO_ELEMENT_UNEXPECTED",
                        "text inside %s, which holds only elements",
                        f->name);
}

static void on_doctype(void *ctx, const xmlChar *name,
                       const xmlChar *external_id, const xmlChar *system_id)
{
    (void)name, (void)external_id, (void)system_id;
    (void)fail(ctx, "ISO_DOCTYPE",
         "a DOCTYPE is refused: payspool reads no DTD and expands no "
         "entity (internal or external)");
}

static void on_entity(void *ctx, const xmlChar *name, int type,
                      const xmlChar *public_id, const xmlChar *system_id,
                      xmlChar *content)
{
    (void)name, (void)type, (void)public_id, (void)system_id, (void)content;
    (void)fail(ctx, "ISO_DOCTYPE", "an entity declaration is refused");
}

static void on_error(void *ctx, xmlErrorPtr e)
{
    struct iso *s = ctx;
    if (e == NULL || e->level < XML_ERR_ERROR)
        return;
    char msg[200];
    ps_strlcpy(msg, e->message != NULL ? e->message : "?", sizeof(msg));
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = '\0';
    (void)fail(s, "ISO_XML_MALFORMED", "not well-formed XML: %s (libxml2 error %d)",
         msg, e->code);
    if (e->line > 0)
        s->err.line = e->line;
}

/* ---- the format ---------------------------------------------------- */

/* What the bidding parser saw of the peek. */
struct sniff {
    xmlParserCtxtPtr ctxt;
    char uri[80]; /* the root element's namespace ("" for none) */
    int root, doctype, error;
};

static void sniff_start(void *ctx, const xmlChar *localname,
                        const xmlChar *prefix, const xmlChar *uri, int nb_ns,
                        const xmlChar **ns, int nb_attr, int nb_def,
                        const xmlChar **attr)
{
    struct sniff *w = ctx;
    (void)localname, (void)prefix, (void)nb_ns, (void)ns, (void)nb_attr;
    (void)nb_def, (void)attr;
    if (!w->root) {
        w->root = 1;
        ps_strlcpy(w->uri, uri != NULL ? (const char *)uri : "",
                   sizeof(w->uri));
    }
    xmlStopParser(w->ctxt);
}

static void sniff_doctype(void *ctx, const xmlChar *name,
                          const xmlChar *external_id, const xmlChar *system_id)
{
    struct sniff *w = ctx;
    (void)name, (void)external_id, (void)system_id;
    w->doctype = 1;
    xmlStopParser(w->ctxt); /* its internal subset is never parsed */
}

static void sniff_error(void *ctx, xmlErrorPtr e)
{
    if (e != NULL && e->level >= XML_ERR_ERROR)
        ((struct sniff *)ctx)->error = 1;
}

/*
 * The bid, on the root element's namespace as libxml2 reads it from the
 * peek (the same safe options as the reader: no DTD, no entity, no
 * network; an encoding libxml2 detects, such as UTF-16 by its BOM, is
 * decoded): 100 for a supported pain.001, 20 for any other ISO 20022
 * message (open() then refuses it by name), 0 for another namespace.  A
 * peek that ends in the prolog (a long comment before the root) bids 10:
 * the reader gets the document and decides on its root; 5 for another
 * root with an ISO 20022 namespace in the peek (an envelope around the
 * Document: the reader refuses it by name).  Before a root
 * is seen, a DOCTYPE or a libxml2 error (an encoding declared wrong) leave
 * it to the ISO namespace anywhere in the peek: the reader then refuses
 * the document with the problem's own error, not UNRECOGNIZED_FORMAT.
 */
static int bid(const unsigned char *peek, size_t len, const char *name)
{
    size_t i = 0;
    struct sniff w;
    xmlSAXHandler sax;
    (void)name;
    int utf16 = len >= 2 && ((peek[0] == 0xff && peek[1] == 0xfe) ||
                             (peek[0] == 0xfe && peek[1] == 0xff));
    if (len >= 3 && peek[0] == 0xef && peek[1] == 0xbb && peek[2] == 0xbf)
        i = 3;
    while (!utf16 && i < len && strchr(" \r\n\t", peek[i]) != NULL &&
           peek[i] != 0)
        i++;
    if (!utf16 && (i >= len || peek[i] != '<'))
        return 0;
    memset(&w, 0, sizeof(w));
    memset(&sax, 0, sizeof(sax));
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = sniff_start;
    sax.internalSubset = sniff_doctype;
    sax.serror = sniff_error;
    xmlParserCtxtPtr c = xmlCreatePushParserCtxt(&sax, &w, NULL, 0, NULL);
    if (c == NULL)
        return 0;
    w.ctxt = c;
    xmlCtxtUseOptions(c, XML_PARSE_NONET);
    xmlParseChunk(c, (const char *)peek, (int)len, 0);
    if (c->myDoc != NULL) /* none is built by these handlers; if one were */
        xmlFreeDoc(c->myDoc);
    xmlFreeParserCtxt(c);
    const char *uri = w.uri;
    if ((w.doctype || w.error) && !w.root) {
        const unsigned char *p = memmem(peek, len, ISO_NS, strlen(ISO_NS));
        if (p == NULL)
            return 0;
        size_t n = len - (size_t)(p - peek);
        n = n < sizeof(w.uri) - 1 ? n : sizeof(w.uri) - 1;
        memcpy(w.uri, p, n); /* and the peek's text after it */
        w.uri[n] = '\0';
    } else if (!w.root)
        return 10;
    if (strncmp(uri, ISO_NS, strlen(ISO_NS)) != 0)
        /* another root (an envelope around a Document?) that names an
         * ISO 20022 namespace: the reader says why it is refused */
        return memmem(peek, len, ISO_NS, strlen(ISO_NS)) != NULL ? 5 : 0;
    for (int v = 0; v < 3; v++) {
        size_t n = strlen(versions[v]);
        const char *after = uri + strlen(ISO_NS);
        if (strncmp(after, versions[v], n) == 0 &&
            (after[n] == '\0' || after[n] == '"' || after[n] == '\''))
            return 100;
    }
    return 20;
}

static int open_(struct ps_stream *in, const char *docname, void **state,
                 struct ps_err *err)
{
    xmlSAXHandler sax;
    struct iso *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    memset(&sax, 0, sizeof(sax));
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = on_start;
    sax.endElementNs = on_end;
    sax.characters = on_text;
    sax.cdataBlock = on_text;
    sax.internalSubset = on_doctype;
    sax.externalSubset = on_doctype;
    sax.entityDecl = on_entity;
    sax.serror = on_error;
    s->in = in;
    ps_err_clear(&s->err); /* offset -1: none until a problem sets one */
    s->where_off = -1;
    if (queue_room(s) != 0) {
        free(s);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    s->ctxt = xmlCreatePushParserCtxt(&sax, s, NULL, 0, docname);
    if (s->ctxt == NULL) {
        free(s->q);
        free(s);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY",
                          "out of memory (XML parser)");
    }
    /* No XML_PARSE_NOENT (entities stay unexpanded), no DTDLOAD, no HUGE. */
    xmlCtxtUseOptions(s->ctxt, XML_PARSE_NONET);
    *state = s;
    return 0;
}

/* Feed the parser the next chunk of the stream. */
static int feed(struct iso *s, struct ps_err *err)
{
    ssize_t n = s->in->read(s->in->ctx, s->buf, sizeof(s->buf), err);
    if (n < 0)
        return (int)n;
    if (n == 0) {
        s->done = 1;
        xmlParseChunk(s->ctxt, NULL, 0, 1);
        if (s->err.code == 0 && !s->root_seen)
            ps_err_set(&s->err, PS_EINVAL, "ISO_XML_MALFORMED",
                       "the document has no root element");
    } else
        xmlParseChunk(s->ctxt, (const char *)s->buf, (int)n, 0);
    if (s->err.code != 0) {
        *err = s->err;
        return s->err.code;
    }
    return 0;
}

static int next(void *state, struct ps_record *rec, struct ps_err *err)
{
    struct iso *s = state;
    int rc;
    /* The records read before a fatal problem are handed out first: what
     * check reports does not depend on where the read chunks fall. */
    if (s->err.code != 0 && s->qhead == s->qlen) {
        *err = s->err;
        return s->err.code;
    }
    while (s->qhead == s->qlen) {
        /* A transaction half read when the last chunk ended moves to
         * the front with the queue. */
        if (s->in_tx && s->qlen > 0)
            memcpy(&s->q[0], CUR(s), sizeof(s->q[0]));
        s->qhead = s->qlen = 0;
        if (s->done)
            return 0;
        if ((rc = feed(s, err)) != 0) {
            if (s->err.code != 0 && s->qhead < s->qlen)
                break; /* the error after them, at the next call */
            return rc;
        }
    }
    /* Borrowed from the queue: it moves only when next() feeds again. */
    const struct tx *o = &s->q[s->qhead++];
    ps_record_reset(rec);
    rec->line = o->line;
    rec->offset = o->offset;
    rec->kind = "payment.send";
    rec->reference = o->e2e;
    rec->key = o->key;
    ps_record_field(rec, "request_id", o->e2e);
    if (o->ext[0] != '\0')
        ps_record_field(rec, "external_id", o->ext);
    else if (o->clr_usaba && o->acct[0] != '\0') {
        /* The creditor by its bank account: the engine finds it. */
        ps_record_field(rec, "routing_number", o->mmbid);
        ps_record_field(rec, "account_number", o->acct);
    }
    ps_record_field(rec, "amount", o->amount);
    ps_record_field(rec, "currency", o->ccy);
    ps_record_field(rec, "msg_id", s->msgid);
    ps_record_field(rec, "pmt_inf_id", o->pmtinf);
    ps_record_field(rec, "msg_nm_id", s->ns + strlen(ISO_NS));
    if (o->err.code != 0)
        rec->err = o->err;
    return 1;
}

static int finish(void *state, struct ps_doc_totals *totals,
                  struct ps_err *err)
{
    struct iso *s = state;
    if (s->err.code == 0 && s->depth == 0)
        (void)check_controls(s, "GrpHdr", s->grp_nb, s->grp_sum, s->txs, s->sum);
    if (s->err.code != 0) {
        *err = s->err;
        return s->err.code;
    }
    totals->records = s->txs;
    totals->amount = s->mixed ? 0 : s->minor;
    ps_strlcpy(totals->currency, s->mixed ? "" : s->currency,
               sizeof(totals->currency));
    ps_strlcpy(totals->key_kind, "iso20022.msgid", sizeof(totals->key_kind));
    ps_strlcpy(totals->key, s->msgid, sizeof(totals->key));
    return 0;
}

static void close_(void *state)
{
    struct iso *s = state;
    if (s == NULL)
        return;
    if (s->ctxt != NULL)
        xmlFreeParserCtxt(s->ctxt);
    free(s->q);
    free(s);
}

int ps_iso_pain001_msg(void *state, const char **msg_id,
                       const char **msg_nm_id)
{
    const struct iso *s = state;
    *msg_id = s->msgid[0] != '\0' ? s->msgid : NULL;
    *msg_nm_id = s->version != 0 ? s->ns + strlen(ISO_NS) : NULL;
    return 0;
}

const struct ps_format ps_format_iso20022 = {
    .name = "iso20022",
    .description = "ISO 20022 pain.001 credit transfer initiation "
                   "(001.03, 001.09, 001.10)",
    .bid = bid,
    .open = open_,
    .next = next,
    .finish = finish,
    .close = close_,
};
