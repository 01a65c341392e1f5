/*
 * csv.c -- the CSV reader: RFC 4180 through libcsv, a header row matched
 * to a declared layout (layout.c), and one record per data row.
 *
 * Most lines are plain: printable ASCII without a quote.  A run of whole
 * plain lines goes to libcsv in one call: each such line is one row (a
 * blank one none), so rows and lines pair up, and each cell is the text
 * between two commas, so it stays in the read block, NUL-terminated in
 * place, and is not copied.  Any other line (a quote, a CR, a tab, a
 * control character, UTF-8) goes to libcsv on its own, one physical line
 * at a time (a line ends at LF, CRLF or a lone CR), which is how a
 * record's starting line is known even when quoted cells hold line
 * breaks; its cells are copied into one row buffer allocated at open (a
 * record is at most PS_CSV_RECORD_MAX bytes, so it never grows).  Columns
 * map to fields through an index computed once from the header.
 *
 * The rows themselves (libcsv, runs, lines) are read by rows.c.
 *
 * How it fails: a broken document (no header, an unterminated quote at
 * the end, a stray quote, a record over PS_CSV_RECORD_MAX bytes, too many
 * columns, a header no layout accepts, unknown or duplicate columns) is a
 * negative return with err naming the line and rule; a bad cell is a
 * record delivered with rec->err set (README.md lists every rule).  The
 * value of a field declared `sensitive` never enters a message.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h> /* libcsv */

#include "formats/csv/csv.h" /* the layouts: formats/csv/csv.h */
#include "formats/csv/rows.h"
#include "formats/format.h"
#include "base/money.h"

#define BID_MIN 60
#define BID_SPAN 30

/* ---- the header ----------------------------------------------------- */

struct header {
    size_t ncols;
    char *names[PS_CSV_COLUMNS_MAX];   /* trimmed, lower-case */
    char *display[PS_CSV_COLUMNS_MAX]; /* trimmed, as written */
    char *buf;                         /* both, from malloc() */
    long line;
    int64_t offset;
};

/* Strict UTF-8 without control characters, except the line breaks and
 * tabs a quoted cell may hold: -1 when not that, else 1 when it holds a
 * tab or line break, else 0.  *chars gets the number of characters. */
static int scan_cell(const char *s, size_t n, long *chars)
{
    size_t i = 0;
    int brk = 0;
    long count;
    int blank;
    if (ps_csv_rows_scan_line((const unsigned char *)s, n, n, &blank)) {
        *chars = (long)n; /* the usual case */
        return 0;
    }
    while (i < n && (unsigned)(unsigned char)s[i] - 0x20u < 0x5fu)
        i++;
    count = (long)i;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\t' || c == '\r' || c == '\n') {
            brk = 1;
            count++;
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && s[j] != '\t' && s[j] != '\r' && s[j] != '\n')
            j++;
        long k = ps_utf8_chars(s + i, j - i);
        if (k < 0)
            return -1;
        count += k;
        i = j;
    }
    *chars = count;
    return brk;
}

/* Drop spaces and tabs around s[0..*n): the new start, *n shortened. */
static char *trim(char *s, size_t *n)
{
    while (*n > 0 && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        (*n)--;
    }
    while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
        (*n)--;
    return s;
}

static void header_free(struct header *h)
{
    free(h->buf);
    h->buf = NULL;
}

/* Read the header row into h: 0, or negative with err. */
static int header_read(struct ps_csv_rows *r, struct header *h,
                       struct ps_err *err)
{
    char q[PS_QUOTE_MAX * 4 + 4];
    int rc = ps_csv_rows_next(r, err);
    memset(h, 0, sizeof(*h));
    if (rc < 0)
        return rc;
    if (rc == 0) {
        ps_err_set(err, PS_EINVAL, "CSV_NO_HEADER",
                   "empty document: a header row naming the columns is "
                   "required");
        return ps_err_at(err, NULL, 1, 0);
    }
    h->line = r->row_line;
    h->offset = r->row_off;
    if (r->ncell > PS_CSV_COLUMNS_MAX) {
        ps_err_set(err, PS_EINVAL, "CSV_TOO_MANY_COLUMNS",
                   "line %ld: the header has %zu columns, at most %d are "
                   "read",
                   h->line, r->ncell, PS_CSV_COLUMNS_MAX);
        return ps_err_at(err, NULL, h->line, h->offset);
    }
    if ((h->buf = malloc(2 * (r->clen + 1))) == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    h->ncols = r->ncell;
    char *lo = h->buf, *as = h->buf + r->clen + 1;
    for (size_t c = 0; c < h->ncols; c++) {
        size_t n = r->len[c];
        const char *s = trim(r->base + r->off[c], &n);
        long chars;
        if (scan_cell(s, n, &chars) != 0) {
            ps_err_set(err, PS_EINVAL, "HEADER_BAD_UTF8",
                       "line %ld, column %zu \"%s\": a column name must be "
                       "UTF-8 text on one line",
                       h->line, c + 1, ps_quote(s, n, q, sizeof(q)));
            return ps_err_at(err, NULL, h->line, h->offset);
        }
        h->names[c] = lo;
        h->display[c] = as;
        for (size_t i = 0; i < n; i++) {
            char ch = s[i];
            as[i] = ch;
            lo[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
        }
        lo[n] = as[n] = '\0';
        lo += n + 1;
        as += n + 1;
    }
    return 0;
}

/* Bid from a header: 60 for a candidate, up to 90 when every column is
 * known to the layout. */
static int bid_of(const struct ps_csv_match *m)
{
    size_t known = m->matched + m->ignored;
    return BID_MIN + (int)(known * BID_SPAN / (m->ncols > 0 ? m->ncols : 1));
}

int ps_csv_detect(const unsigned char *peek, size_t len,
                  const struct ps_csv_layout **out, int *ncandidates)
{
    struct ps_csv_rows r;
    struct header h;
    struct ps_csv_match *m = NULL;
    struct ps_csv_layouts *set = ps_csv_layouts_acquire();
    int bid = 0, n = 0;
    if (out != NULL)
        *out = NULL;
    memset(&h, 0, sizeof(h));
    if (set != NULL && len > 0) {
        if (ps_csv_rows_init(&r, NULL, peek, len, len >= PS_FORMAT_PEEK) == 0 &&
            header_read(&r, &h, NULL) == 0 &&
            (m = malloc(sizeof(*m))) != NULL &&
            (n = ps_csv_choose(set, h.names, h.ncols, m)) > 0) {
            bid = bid_of(m);
            if (out != NULL)
                *out = m->layout; /* stays loaded: the registry holds it */
        }
        header_free(&h);
        ps_csv_rows_free(&r);
    }
    free(m);
    ps_csv_layouts_release(set);
    if (ncandidates != NULL)
        *ncandidates = n;
    return bid;
}

static int bid(const unsigned char *peek, size_t len, const char *name)
{
    (void)name;
    return ps_csv_detect(peek, len, NULL, NULL);
}

/* "net (net, net_pay, net_cents or net_pay_cents)": a field and the
 * columns that name it, appended to buf at *n (cut at size). */
static void add_missing(char *buf, size_t size, size_t *n,
                        const struct ps_csv_field *f)
{
    size_t k = f->ncolumns < 5 ? f->ncolumns : 5;
    if (*n < size)
        *n += (size_t)snprintf(buf + *n, size - *n, "%s%s (",
                               *n > 0 ? ", " : "", f->name);
    for (size_t j = 0; j < k && *n < size; j++)
        *n += (size_t)snprintf(buf + *n, size - *n, "%s%s",
                               j == 0 ? "" : j + 1 == k ? " or " : ", ",
                               f->columns[j].name);
    if (*n < size)
        *n += (size_t)snprintf(buf + *n, size - *n, "%s)",
                               f->ncolumns > k ? ", ..." : "");
}

/*
 * The near miss (format.h): no layout is a candidate, yet the closest one
 * knows most of the header's columns (more than half, two at least) and
 * lacks only required fields.  CSV_NO_LAYOUT naming that layout and every
 * required field it lacks, with their accepted column names; the field
 * is the first missing one.
 */
static int near_miss(const unsigned char *peek, size_t len, const char *name,
                     struct ps_err *err)
{
    struct ps_csv_rows r;
    struct header h;
    struct ps_csv_match *m = malloc(sizeof(*m));
    struct ps_csv_layouts *set = ps_csv_layouts_acquire();
    int near = 0;
    (void)name;
    memset(&h, 0, sizeof(h));
    if (m != NULL && set != NULL && len > 0 &&
        ps_csv_rows_init(&r, NULL, peek, len, len >= PS_FORMAT_PEEK) == 0) {
        if (header_read(&r, &h, NULL) == 0 &&
            ps_csv_choose(set, h.names, h.ncols, m) == 0 &&
            m->layout != NULL && m->missing >= 0 && m->matched >= 2 &&
            (m->matched + m->ignored) * 2 > h.ncols) {
            const struct ps_csv_layout *L = m->layout;
            char list[PS_ERR_MSG_MAX];
            size_t n = 0, missing = 0;
            list[0] = '\0';
            for (size_t f = 0; f < L->nfields; f++)
                if (L->fields[f].required && m->column_of[f] < 0) {
                    add_missing(list, sizeof(list), &n, &L->fields[f]);
                    missing++;
                }
            ps_err_set(err, PS_EINVAL, "CSV_NO_LAYOUT",
                       "missing column%s %s: the header is otherwise "
                       "layout %s (%zu of its %zu columns are the "
                       "layout's), which requires %s",
                       missing > 1 ? "s" : "", list, L->name,
                       m->matched + m->ignored, h.ncols,
                       missing > 1 ? "them" : "it");
            ps_err_field(err, L->fields[m->missing].name);
            ps_err_at(err, NULL, h.line, h.offset);
            near = 1;
        }
        header_free(&h);
        ps_csv_rows_free(&r);
    }
    free(m);
    ps_csv_layouts_release(set);
    return near;
}

/* ---- the reader ----------------------------------------------------- */

/* What to do with one column, computed once from the header. */
struct colplan {
    const struct ps_csv_field *f;
    size_t col; /* column index */
    int field;  /* field index */
    int trim;   /* text, enum, email: surrounding blanks dropped */
    int cents;  /* the column holds minor units */
    int amount; /* the field is "amount", summed in the totals */
};

struct csvr {
    struct ps_csv_rows r;
    struct header h;
    struct ps_csv_layouts *set; /* the reference that keeps L alive */
    const struct ps_csv_layout *L;
    struct ps_csv_match m;
    struct ps_err fatal; /* a document error, repeated on later calls */
    struct colplan plan[PS_RECORD_MAX_FIELDS]; /* mapped columns, in order,
                                                  but the currency's */
    size_t nplan;
    struct colplan cur_plan; /* the currency column; f NULL when none */
    const char *names[PS_RECORD_MAX_FIELDS]; /* L->fields[i].name */
    /* per record */
    const char *vals[PS_RECORD_MAX_FIELDS];
    char norm[PS_RECORD_MAX_FIELDS][PS_MONEY_STRMAX]; /* rewritten values */
    char cur[4];                                      /* the record currency */
    int exponent; /* its minor unit digits */
    /* totals */
    long records;
    int64_t sum; /* minor units */
    char sum_cur[4];
    int mixed;
};

static void close_(void *state)
{
    struct csvr *st = state;
    if (st == NULL)
        return;
    header_free(&st->h);
    ps_csv_rows_free(&st->r);
    ps_csv_layouts_release(st->set);
    free(st);
}

static int open_(struct ps_stream *in, const char *docname, void **state,
                 struct ps_err *err)
{
    struct csvr *st = calloc(1, sizeof(*st));
    char q1[PS_QUOTE_MAX * 4 + 4], q2[PS_QUOTE_MAX * 4 + 4];
    int rc;
    (void)docname;
    if (st == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if (ps_csv_rows_init(&st->r, in, NULL, 0, 0) != 0) {
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        goto fail;
    }
    if ((rc = ps_csv_layouts_ensure(err)) != 0)
        goto fail;
    if ((st->set = ps_csv_layouts_acquire()) == NULL) {
        rc = ps_err_set(err, PS_ECONFIG, "CSV_NO_LAYOUT",
                        "no CSV layouts are loaded");
        goto fail;
    }
    if ((rc = header_read(&st->r, &st->h, err)) != 0)
        goto fail;
    const struct header *h = &st->h;
    struct ps_csv_match *m = &st->m;
    if (ps_csv_choose(st->set, h->names, h->ncols, m) == 0) {
        if (m->layout != NULL && m->missing >= 0 && m->matched > 0)
            ps_err_set(err, PS_EINVAL, "CSV_NO_LAYOUT",
                       "line %ld: the header matches no CSV layout; the "
                       "closest, %s, needs a column for %s (e.g. \"%s\")",
                       h->line, m->layout->name,
                       m->layout->fields[m->missing].name,
                       m->layout->fields[m->missing].columns[0].name);
        else
            ps_err_set(err, PS_EINVAL, "CSV_NO_LAYOUT",
                       "line %ld: the header matches no CSV layout", h->line);
        rc = ps_err_at(err, NULL, h->line, h->offset);
        goto fail;
    }
    st->L = m->layout;
    if (m->dup_column >= 0) {
        size_t c = (size_t)m->dup_column, first = 0;
        int f = -1;
        /* The field the second column names, and its first column. */
        for (size_t i = 0; i < st->L->nfields && f < 0; i++)
            for (size_t j = 0; j < st->L->fields[i].ncolumns; j++)
                if (strcmp(st->L->fields[i].columns[j].name, h->names[c]) == 0)
                    f = (int)i;
        if (PS_ALWAYS(f >= 0))
            first = (size_t)m->column_of[f];
        ps_err_set(
            err, PS_EINVAL, "HEADER_DUPLICATE_COLUMN",
            "line %ld: columns %zu \"%s\" and %zu \"%s\" are both "
            "field %s of layout %s",
            h->line, first + 1,
            ps_quote(h->display[first], strlen(h->display[first]), q1,
                     sizeof(q1)),
            c + 1,
            ps_quote(h->display[c], strlen(h->display[c]), q2, sizeof(q2)),
            f >= 0 ? st->L->fields[f].name : "?", st->L->name);
        ps_err_field(err, f >= 0 ? st->L->fields[f].name : "");
        rc = ps_err_at(err, NULL, h->line, h->offset);
        goto fail;
    }
    if (m->unknown > 0 && !st->L->extras) {
        size_t c = (size_t)m->first_unknown;
        if (h->display[c][0] == '\0')
            ps_err_set(err, PS_EINVAL, "HEADER_UNKNOWN_COLUMN",
                       "line %ld: column %zu has no name, and layout %s "
                       "allows no other columns",
                       h->line, c + 1, st->L->name);
        else
            ps_err_set(
                err, PS_EINVAL, "HEADER_UNKNOWN_COLUMN",
                "line %ld: column %zu \"%s\" is not a column of "
                "layout %s, which allows no other columns",
                h->line, c + 1,
                ps_quote(h->display[c], strlen(h->display[c]), q1, sizeof(q1)),
                st->L->name);
        rc = ps_err_at(err, NULL, h->line, h->offset);
        goto fail;
    }
    for (size_t c = 0; c < h->ncols; c++) {
        int fi = m->field_of[c];
        if (fi < 0)
            continue;
        const struct ps_csv_field *f = &st->L->fields[fi];
        struct colplan *p = fi == st->L->currency_field
                                ? &st->cur_plan
                                : &st->plan[st->nplan++];
        p->f = f;
        p->col = c;
        p->field = fi;
        p->trim = f->type == PS_CSV_TEXT || f->type == PS_CSV_ENUM ||
                  f->type == PS_CSV_EMAIL;
        p->cents = f->type == PS_CSV_CENTS || m->cents[c];
        p->amount = fi == st->L->amount_field;
    }
    for (size_t f = 0; f < st->L->nfields; f++)
        st->names[f] = st->L->fields[f].name;
    st->r.maxcells = h->ncols;
    *state = st;
    return 0;
fail:
    close_(st);
    return rc;
}

/* ---- cells ---------------------------------------------------------- */

/* Reject the record for the cell in column col (0-based) of field f,
 * unless an earlier cell did. */
static void cell_fail(struct csvr *st, struct ps_record *rec, size_t col,
                      const struct ps_csv_field *f, const char *rule,
                      const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void cell_fail(struct csvr *st, struct ps_record *rec, size_t col,
                      const struct ps_csv_field *f, const char *rule,
                      const char *fmt, ...)
{
    char detail[PS_ERR_MSG_MAX], q[PS_QUOTE_MAX * 4 + 4];
    const char *name = st->h.display[col];
    va_list ap;
    if (rec->err.code != 0)
        return; /* the first error (left to right) is the record's */
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    ps_err_set(&rec->err, PS_EINVAL, rule,
               "line %ld, column %zu \"%s\" (%s): %s", rec->line, col + 1,
               ps_quote(name, strlen(name), q, sizeof(q)), f->name, detail);
    ps_err_at(&rec->err, NULL, rec->line, rec->offset);
    ps_err_field(&rec->err, f->name);
}

/* The cell as it may be quoted in a message: never a sensitive value. */
static const char *shown(const struct ps_csv_field *f, const char *s, size_t n,
                         char *q, size_t qsize)
{
    if (f->sensitive)
        return "(withheld)";
    return ps_quote(s, n, q, qsize);
}

static int days_in(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* A calendar date in the field's format, written as YYYY-MM-DD. */
static int parse_date(const char *s, size_t n, enum ps_csv_datefmt fmt,
                      char *out)
{
    int y, m, d;
    switch (fmt) {
    case PS_CSV_YMD_DASH:
        if (n != 10 || s[4] != '-' || s[7] != '-')
            return -1;
        y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
        break;
    case PS_CSV_MDY_SLASH:
    case PS_CSV_DMY_SLASH:
        if (n != 10 || s[2] != '/' || s[5] != '/')
            return -1;
        m = num(s, 2), d = num(s + 3, 2), y = num(s + 6, 4);
        if (fmt == PS_CSV_DMY_SLASH) {
            int t = m;
            m = d;
            d = t;
        }
        break;
    default:
        if (n != 8)
            return -1;
        y = num(s, 4), m = num(s + 4, 2), d = num(s + 6, 2);
        break;
    }
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in(y, m))
        return -1;
    /* y, m, d are within range: no snprintf needed. */
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
    return 0;
}

static int check_email(const char *v, size_t n)
{
    const char *at = memchr(v, '@', n);
    if (at == NULL || at == v || memchr(at + 1, '@', n - (size_t)(at - v) - 1))
        return -1;
    size_t dn = n - (size_t)(at - v) - 1;
    if (dn == 0 || at[1] == '.' || v[n - 1] == '.' ||
        memchr(at + 1, '.', dn) == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strchr(" \t\r\n,;<>()[]\\\"", v[i]) != NULL && v[i] != '\0')
            return -1;
    return 0;
}

/* E.164: '+', a non-zero digit, then up to 14 more digits. */
static int check_phone(const char *v, size_t n)
{
    if (n < 3 || n > 16 || v[0] != '+' || v[1] < '1' || v[1] > '9')
        return -1;
    for (size_t i = 2; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return -1;
    return 0;
}

static void upper(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'a' && s[i] <= 'z')
            s[i] = (char)(s[i] - 32);
}

static int ascii_letters(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
            return 0;
    return 1;
}

/*
 * The common amount, "123.45" with exactly `exponent` decimals, no sign
 * and no leading zero, at most 18 digits in all (below 10^18, so no
 * overflow whatever the exponent): 1 with *minor.  0 for anything else,
 * which ps_money_parse() then reads (and names the rule of, if it is
 * wrong).  Every string accepted here is accepted by ps_money_parse()
 * with the same value.
 */
static int quick_amount(const char *s, size_t n, int exponent, int64_t *minor)
{
    size_t e = (size_t)exponent, digits; /* integer digits */
    int64_t v = 0;
    if (e > 0) {
        if (n < e + 2 || s[n - e - 1] != '.')
            return 0;
        digits = n - e - 1;
    } else if (n == 1 && s[0] == '0') {
        *minor = 0;
        return 1;
    } else {
        digits = n;
    }
    if (digits == 0 || digits + e > 18 || s[0] == '0')
        return 0;
    for (size_t i = 0; i < digits; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return 0;
        v = v * 10 + d;
    }
    for (size_t i = digits + 1; i < n; i++) { /* after the point */
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return 0;
        v = v * 10 + d;
    }
    *minor = v;
    return 1;
}

/*
 * Is a parsed amount already written as ps_money_format() would write it:
 * no leading zero before another digit, and exactly `exponent` decimals?
 */
static int canonical(const char *s, size_t n, int exponent)
{
    size_t i = s[0] == '-' ? 1 : 0;
    if (i + 1 < n && s[i] == '0' && s[i + 1] != '.')
        return 0;
    if (exponent == 0)
        return memchr(s, '.', n) == NULL;
    return n > (size_t)exponent + 1 + i && s[n - (size_t)exponent - 1] == '.';
}

/* Allowed values of an enum, for a message. */
static const char *enum_list(const struct ps_csv_field *f, char *buf,
                             size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < f->nvalues && n + 1 < size; i++) {
        if (f->values[i].target != NULL)
            continue;
        int k = snprintf(buf + n, size - n, "%s%s", n > 0 ? ", " : "",
                         f->values[i].spelling);
        if (k < 0 || (size_t)k >= size - n)
            break;
        n += (size_t)k;
    }
    return buf;
}

/*
 * The cold path: name the rule cell s[0..n) of column col breaks (the
 * cell as value_of() left it) in rec->err, unless an earlier cell of the
 * record did.  Never shows a sensitive value.
 */
static void explain(struct csvr *st, struct ps_record *rec, size_t col, int fi,
                    const char *s, size_t n)
{
    const struct ps_csv_field *f = &st->L->fields[fi];
    static const char *const fmts[] = {"YYYY-MM-DD", "MM/DD/YYYY", "DD/MM/YYYY",
                                       "YYYYMMDD"};
    char q[PS_QUOTE_MAX * 4 + 4], list[160];
    long chars = 0;
    int brk;

    if (rec->err.code != 0)
        return;
    if (n == 0) {
        cell_fail(st, rec, col, f, "FIELD_REQUIRED", "a value is required");
        return;
    }
    if ((brk = scan_cell(s, n, &chars)) < 0) {
        cell_fail(st, rec, col, f, "BAD_UTF8",
                  "not UTF-8 text, or holds a control character");
        return;
    }
    switch (f->type) {
    case PS_CSV_TEXT:
    case PS_CSV_EMAIL:
        if (f->type == PS_CSV_EMAIL && (brk || check_email(s, n) != 0))
            cell_fail(st, rec, col, f, "BAD_EMAIL",
                      "%s is not an email address (local@domain.tld)",
                      shown(f, s, n, q, sizeof(q)));
        else if (brk && !f->multiline)
            cell_fail(st, rec, col, f, "BAD_TEXT",
                      "a line break or tab inside the value");
        else if (chars > f->max)
            cell_fail(st, rec, col, f, "FIELD_TOO_LONG",
                      "%ld characters, at most %lld allowed", chars, f->max);
        else
            cell_fail(st, rec, col, f, "FIELD_TOO_SHORT",
                      "%ld characters, at least %lld needed", chars, f->min);
        return;
    case PS_CSV_DIGITS:
        if (f->min == f->max)
            cell_fail(st, rec, col, f, "BAD_DIGITS",
                      "%s must be exactly %lld digits",
                      shown(f, s, n, q, sizeof(q)), f->min);
        else
            cell_fail(st, rec, col, f, "BAD_DIGITS",
                      "%s must be %lld to %lld digits",
                      shown(f, s, n, q, sizeof(q)), f->min, f->max);
        return;
    case PS_CSV_DATE:
        cell_fail(st, rec, col, f, "BAD_DATE",
                  "%s is not a calendar date written %s",
                  shown(f, s, n, q, sizeof(q)), fmts[f->date_format]);
        return;
    case PS_CSV_ENUM:
        cell_fail(st, rec, col, f, "BAD_ENUM", "%s is not one of %s",
                  shown(f, s, n, q, sizeof(q)),
                  enum_list(f, list, sizeof(list)));
        return;
    case PS_CSV_MONEY:
    case PS_CSV_CENTS: {
        struct ps_err e;
        int64_t v;
        int cents = f->type == PS_CSV_CENTS || st->m.cents[col];
        if (st->cur[0] == '\0') {
            cell_fail(st, rec, col, f, "FIELD_REQUIRED",
                      "an amount needs a currency, and the currency cell is "
                      "empty");
            return;
        }
        ps_err_clear(&e);
        if (ps_money_parse(s, n, cents ? 0 : st->exponent,
                           f->negative ? PS_MONEY_ALLOW_NEGATIVE : 0, &v,
                           &e) == 0 ||
            PS_NEVER(e.rule[0] == '\0'))
            ps_strlcpy(e.rule, "MONEY_FORMAT", sizeof(e.rule));
        if (cents)
            cell_fail(st, rec, col, f, e.rule,
                      "%s must be a whole number of minor units of %s "
                      "(e.g. 12345 for %s)",
                      ps_quote(s, n, q, sizeof(q)), st->cur,
                      ps_money_format(12345, st->exponent, list, sizeof(list)));
        else
            cell_fail(st, rec, col, f, e.rule, "%s", e.msg);
        return;
    }
    case PS_CSV_PHONE:
        cell_fail(st, rec, col, f, "BAD_PHONE",
                  "%s is not an E.164 number (e.g. +14155550123)",
                  shown(f, s, n, q, sizeof(q)));
        return;
    case PS_CSV_CURRENCY:
        cell_fail(st, rec, col, f, "BAD_CURRENCY",
                  "%s is not an active ISO 4217 currency code",
                  shown(f, s, n, q, sizeof(q)));
        return;
    case PS_CSV_COUNTRY:
        cell_fail(st, rec, col, f, "BAD_COUNTRY",
                  "%s is not a two-letter country code",
                  shown(f, s, n, q, sizeof(q)));
        return;
    case PS_CSV_INTEGER:
        cell_fail(st, rec, col, f, "BAD_INTEGER",
                  "%s must be a whole number from %lld to %lld",
                  shown(f, s, n, q, sizeof(q)), f->min, f->max);
        return;
    }
}

/* Clear what a previous record left, cheaply (the error is large). */
static void rec_start(struct ps_record *rec)
{
    rec->kind = NULL;
    rec->reference = NULL;
    rec->key = NULL;
    rec->nfields = 0;
    rec->err.code = 0;
    rec->err.sys_errno = 0;
    rec->err.rule[0] = rec->err.file[0] = rec->err.field[0] = '\0';
    rec->err.msg[0] = '\0';
    rec->err.line = 0;
    rec->err.offset = -1;
}

/* Does s[0..n) spell the upper-case string a, ignoring ASCII case? */
static int same_upper(const char *s, size_t n, const char *a)
{
    size_t i = 0;
    for (; i < n && a[i] != '\0'; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        if (c != a[i])
            return 0;
    }
    return i == n && a[i] == '\0';
}

/*
 * The hot path, run on every cell: check and normalise cell s[0..n)
 * (NUL-terminated in the row buffer, already trimmed for text, enum and
 * email) of the column p plans, building no message.  The value (a
 * pointer into the row buffer, st->norm[] or the layout), or NULL when a
 * rule is broken, which explain() then names.  *minor gets an amount.
 */
static inline __attribute__((always_inline)) const char *
value_of(struct csvr *st, const struct colplan *p, char *s, size_t n,
         int64_t *minor)
{
    const struct ps_csv_field *f = p->f;
    long chars = (long)n;
    int brk = 0;

    if (!st->r.clean && (brk = scan_cell(s, n, &chars)) < 0)
        return NULL;
    /* Text, the commonest type, before the jump table: a row's columns
     * make a pattern that a conditional branch is predicted from better
     * than an indirect jump is on some CPUs. */
    if (f->type == PS_CSV_TEXT) {
        if ((brk && !f->multiline) || chars > f->max || chars < f->min)
            return NULL;
        return s;
    }
    switch (f->type) {
    case PS_CSV_TEXT:
        break; /* above */
    case PS_CSV_DIGITS: {
        size_t i = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i != n || (long long)n < f->min || (long long)n > f->max)
            return NULL;
        return s;
    }
    case PS_CSV_DATE:
        if (parse_date(s, n, f->date_format, st->norm[p->field]) != 0)
            return NULL;
        return f->date_format == PS_CSV_YMD_DASH ? s : st->norm[p->field];
    case PS_CSV_ENUM: {
        /* The first letter rules out most spellings at once. */
        char c0 = s[0] >= 'a' && s[0] <= 'z' ? (char)(s[0] - 32) : s[0];
        for (size_t i = 0; i < f->nvalues; i++)
            if (f->values[i].spelling[0] == c0 &&
                same_upper(s, n, f->values[i].spelling))
                return f->values[i].value;
        return NULL;
    }
    case PS_CSV_MONEY:
    case PS_CSV_CENTS:
        if (st->cur[0] == '\0')
            return NULL;
        if (!p->cents && !f->negative &&
            quick_amount(s, n, st->exponent, minor))
            return s; /* already as ps_money_format() writes it */
        if (ps_money_parse(s, n, p->cents ? 0 : st->exponent,
                           f->negative ? PS_MONEY_ALLOW_NEGATIVE : 0, minor,
                           NULL) != 0)
            return NULL;
        if (!p->cents && canonical(s, n, st->exponent))
            return s;
        return ps_money_format(*minor, st->exponent, st->norm[p->field],
                               PS_MONEY_STRMAX);
    case PS_CSV_EMAIL:
        if (brk || chars > f->max || check_email(s, n) != 0)
            return NULL;
        return s;
    case PS_CSV_PHONE:
        return check_phone(s, n) == 0 ? s : NULL;
    case PS_CSV_CURRENCY:
        /* st->cur is a known code (or ""): most rows repeat it as it is
         * (s[3] is the cell's NUL). */
        if (n == 3 && st->cur[0] != '\0' && memcmp(s, st->cur, 4) == 0)
            return s;
        if (n != 3 || !ascii_letters(s, n))
            return NULL;
        upper(s, n);
        if (memcmp(s, st->cur, 4) != 0 && ps_currency_find(s) == NULL)
            return NULL;
        return s;
    case PS_CSV_COUNTRY:
        if (n != 2 || !ascii_letters(s, n))
            return NULL;
        upper(s, n);
        return s;
    case PS_CSV_INTEGER: {
        size_t i = s[0] == '-' ? 1 : 0;
        int ok = i < n && n - i <= 19;
        long long v = 0;
        for (size_t k = i; ok && k < n; k++) {
            int d = s[k] - '0';
            ok = d >= 0 && d <= 9 && v <= (LLONG_MAX - d) / 10;
            if (ok)
                v = v * 10 + d;
        }
        if (i == 1)
            v = -v;
        if (!ok || v < f->min || v > f->max || (i == 1 && v == 0))
            return NULL;
        return s;
    }
    }
    return NULL;
}

/*
 * Check the cell of the column p plans: 0 with st->vals[p->field] (left
 * NULL when empty and optional), or -1 with rec->err set (the first error
 * of the record wins).
 */
static inline __attribute__((always_inline)) int cell(struct csvr *st,
                                                      struct ps_record *rec,
                                                      const struct colplan *p,
                                                      int64_t *minor)
{
    char *s = st->r.base + st->r.off[p->col];
    size_t n = st->r.len[p->col];
    const char *v;
    /* A row without blanks (most) has nothing to trim. */
    if (p->trim && st->r.blank) {
        while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
            s++;
            n--;
        }
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        s[n] = '\0';
    }
    if (n == 0) {
        if (!p->f->required)
            return 0;
    } else if ((v = value_of(st, p, s, n, minor)) != NULL) {
        st->vals[p->field] = v;
        return 0;
    }
    explain(st, rec, p->col, p->field, s, n);
    return -1;
}

/* The record's currency: its currency cell, else the layout default.
 * -1 when the cell is bad (rec->err says why). */
static int record_currency(struct csvr *st, struct ps_record *rec)
{
    const struct ps_csv_layout *L = st->L;
    const char *code = L->currency;
    int cf = L->currency_field;
    if (st->cur_plan.f != NULL) {
        int64_t unused;
        if (cell(st, rec, &st->cur_plan, &unused) != 0) {
            st->cur[0] = '\0';
            return -1;
        }
        if (st->vals[cf] != NULL)
            code = st->vals[cf];
    }
    if (cf >= 0 && st->vals[cf] == NULL && code[0] != '\0')
        st->vals[cf] = L->currency; /* the default fills the field */
    if (memcmp(st->cur, code, 4) != 0) {
        const struct ps_currency *c = ps_currency_find(code);
        ps_strlcpy(st->cur, c != NULL ? code : "", sizeof(st->cur));
        st->exponent = c != NULL ? c->exponent : 0;
    }
    return 0;
}

static void build(struct csvr *st, struct ps_record *rec)
{
    const struct ps_csv_layout *L = st->L;
    struct ps_csv_rows *r = &st->r;
    int64_t amount = 0;
    int have_amount = 0;

    rec_start(rec);
    rec->kind = L->kind;
    rec->line = r->row_line;
    rec->offset = r->row_off;
    for (size_t f = 0; f < L->nfields; f++)
        st->vals[f] = NULL;
    if (r->ncell != st->m.ncols) {
        ps_err_set(&rec->err, PS_EINVAL, "CSV_FIELD_COUNT",
                   "line %ld: %zu cells, the header has %zu columns", rec->line,
                   r->ncell, st->m.ncols);
        ps_err_at(&rec->err, NULL, rec->line, rec->offset);
    } else if (record_currency(st, rec) == 0) {
        /* Every cell is checked, the first error kept: the totals then
         * do not depend on where in the row an error is. */
        for (const struct colplan *p = st->plan, *end = p + st->nplan; p < end;
             p++) {
            int64_t minor;
            if (cell(st, rec, p, &minor) == 0 && p->amount &&
                st->vals[p->field] != NULL) {
                amount = minor;
                have_amount = 1;
            }
        }
    }
    /* Every slot written, only those with a value kept: no branch to
     * mispredict on a row with an empty optional cell.  A local count:
     * rec->nfields in memory may alias what is stored. */
    size_t k = 0, nf = L->nfields;
    for (size_t f = 0; f < nf; f++) {
        rec->name[k] = st->names[f];
        rec->value[k] = st->vals[f];
        k += st->vals[f] != NULL;
    }
    if (L->currency_field < 0 && L->currency[0] != '\0') {
        rec->name[k] = "currency";
        rec->value[k++] = L->currency;
    }
    rec->nfields = k;
    /* The reference: the field's value, or its cell as written when the
     * value was rejected (if that is clean text on one line). */
    int rf = L->reference_field, rc = rf >= 0 ? st->m.column_of[rf] : -1;
    if (rf >= 0 && st->vals[rf] != NULL) {
        rec->reference = st->vals[rf];
    } else if (rc >= 0 && (size_t)rc < r->ncell && (size_t)rc < r->maxcells) {
        size_t n = r->len[rc];
        char *s = trim(r->base + r->off[rc], &n);
        long chars;
        if (n > 0 && scan_cell(s, n, &chars) == 0) {
            s[n] = '\0';
            rec->reference = s;
        }
    }
    /* Totals are over what the file says, valid record or not. */
    if (have_amount) {
        if (st->sum_cur[0] == '\0')
            memcpy(st->sum_cur, st->cur, 4);
        else if (memcmp(st->sum_cur, st->cur, 4) != 0)
            st->mixed = 1;
        if (ps_money_add(st->sum, amount, &st->sum, NULL) != 0)
            st->sum = amount > 0 ? INT64_MAX : INT64_MIN; /* saturate */
    }
}

static int empty_row(const struct ps_csv_rows *r)
{
    size_t n = r->ncell < r->maxcells ? r->ncell : r->maxcells;
    for (size_t i = 0; i < n; i++)
        if (r->len[i] != 0)
            return 0;
    return r->ncell <= r->maxcells;
}

static int next(void *state, struct ps_record *rec, struct ps_err *err)
{
    struct csvr *st = state;
    if (st->fatal.code != 0) {
        if (err != NULL)
            *err = st->fatal;
        return st->fatal.code;
    }
    for (;;) {
        int rc = ps_csv_rows_next(&st->r, &st->fatal);
        if (rc < 0) {
            if (err != NULL)
                *err = st->fatal;
            return rc;
        }
        if (rc == 0)
            return 0;
        if (empty_row(&st->r))
            continue; /* ",,," is a blank line */
        build(st, rec);
        st->records++;
        return 1;
    }
}

static int finish(void *state, struct ps_doc_totals *totals, struct ps_err *err)
{
    struct csvr *st = state;
    (void)err;
    totals->records = st->records;
    totals->amount = st->sum;
    ps_strlcpy(totals->currency, st->mixed ? "" : st->sum_cur,
               sizeof(totals->currency));
    totals->key_kind[0] = '\0';
    totals->key[0] = '\0';
    return 0;
}

const struct ps_format ps_format_csv = {
    "csv",  "CSV with a header row, read through a declared layout",
    bid,    open_,
    next,   finish,
    close_, NULL,
    NULL,   NULL,
    near_miss,
};
