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
 * How it fails: a broken document (no header, an unterminated quote at
 * the end, a stray quote, a record over PS_CSV_RECORD_MAX bytes, too many
 * columns, a header no layout accepts, unknown or duplicate columns) is a
 * negative return with err naming the line and rule; a bad cell is a
 * record delivered with rec->err set (README.md lists every rule).  The
 * value of a field declared `sensitive` never enters a message.
 */
#include <assert.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h> /* libcsv */

#include "formats/csv/csv.h" /* the layouts: formats/csv/csv.h */
#include "formats/format.h"
#include "base/money.h"

#define BLOCK (256 * 1024) /* bytes read from the stream at a time */
/* Bytes of whole lines given to libcsv in one call (a run): each row of a
 * run takes at least 2 of them and each cell 1, which sizes the tables. */
#define RUN_MAX (8 * 1024)
/* Cell bytes of a record, a NUL each, and 8 of slack for word copies. */
#define CELLS_CAP (PS_CSV_RECORD_MAX + PS_CSV_COLUMNS_MAX + 16)
#define BID_MIN 60
#define BID_SPAN 30
#define ONES UINT64_C(0x0101010101010101)

/* ---- rows: libcsv fed line by line ---------------------------------- */

/* A row of a run (see run_scan()): where it is and which cells are its. */
struct run_row {
    int64_t off;    /* document offset of its first byte */
    long line;      /* its physical line */
    uint32_t first; /* its first cell in roff[]/rlen[] */
    uint32_t ncell; /* its cells */
    uint32_t bytes; /* its bytes: no fewer than its cells', a NUL each */
};

struct rows {
    struct csv_parser p;
    int p_ok;
    struct ps_stream *in; /* NULL: reading `mem` */
    const unsigned char *mem;
    size_t memlen;
    int mem_more;       /* memory mode: the document goes on past mem */
    unsigned char *buf; /* BLOCK bytes, stream mode */
    const unsigned char *data;
    size_t dpos, dlen; /* unread bytes are data[dpos..dlen) */
    int started;       /* the first bytes (and a BOM) were looked at */
    int at_eof;        /* csv_fini() done */
    int64_t offset;    /* document offset of data[dpos] */
    long line;         /* physical line of data[dpos], 1-based */
    int last_cr;       /* the last byte fed was a CR */
    /* the record being read a line at a time */
    int open; /* bytes of it were fed */
    long start_line;
    int64_t start_off;
    size_t raw;     /* its bytes so far */
    int segs;       /* physical lines of it so far */
    int blank_mode; /* libcsv is told nothing is a space (no_space) */
    int done;       /* libcsv ended it */
    /* the row handed out: cell i is base[off[i]..off[i]+len[i]), with a
     * NUL after it; off and len point into loff/llen or roff/rlen */
    char *base;
    const uint32_t *off, *len;
    size_t ncell;    /* cells in the row (may exceed maxcells) */
    size_t maxcells; /* cells kept */
    size_t clen;     /* bytes of its kept cells, a NUL each */
    int clean;       /* printable ASCII only: cells need no UTF-8 scan */
    int blank;       /* a space or tab may be in it: cells to trim */
    long row_line;   /* where it started */
    int64_t row_off;
    /* a row read a line at a time is copied into cells[] */
    char *cells;
    size_t ccap;
    uint32_t loff[PS_CSV_COLUMNS_MAX], llen[PS_CSV_COLUMNS_MAX];
    size_t entry_size; /* libcsv's entry buffer, as of the last line */
    /* a run: its rows stay in buf[], their cells NUL-terminated there */
    struct run_row *rrow; /* RUN_MAX / 2 + 1 (one started past the last) */
    uint32_t *roff, *rlen; /* RUN_MAX each */
    size_t nrrow, rnext;   /* rows of the run, the next to hand out */
    size_t nrcell;         /* cells */
    size_t cur;            /* buf index where libcsv's next cell starts */
    size_t rstart;         /* buf index of the row being parsed */
    size_t rend;           /* buf index just past the run */
    long rline;            /* physical line at cur */
    int rblank;            /* a space may be in the run */
};

/* RFC 4180: spaces belong to the field (libcsv trims them by default). */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void on_cell(void *s, size_t n, void *data)
{
    struct rows *r = data;
    if (r->ncell < r->maxcells && PS_ALWAYS(r->clen + n + 8 <= r->ccap)) {
        char *d = r->cells + r->clen;
        if (n + 8 <= r->entry_size) {
            /* A cell is at the start of libcsv's entry buffer, which
             * holds entry_size bytes (csv_get_buffer_size()): whole
             * words cost less than a memcpy() call for short cells.  The
             * bytes past n land in our slack and are overwritten. */
            for (size_t i = 0; i < n; i += 8)
                memcpy(d + i, (const char *)s + i, 8);
        } else {
            memcpy(d, s, n);
        }
        d[n] = '\0';
        r->loff[r->ncell] = (uint32_t)r->clen;
        r->llen[r->ncell] = (uint32_t)n;
        r->clen += n + 1;
    }
    r->ncell++;
}

static void on_row(int c, void *data)
{
    struct rows *r = data;
    (void)c;
    r->done = 1;
    r->open = 0;
    r->row_line = r->start_line;
    r->row_off = r->start_off;
}

/*
 * Start the next row of a run at buf[cur]: after the blank lines libcsv
 * skips, each a lone LF (they are all in buf[], read ahead of libcsv).
 */
static void run_row_start(struct rows *r)
{
    const unsigned char *buf = r->buf;
    size_t at = r->cur, rend = r->rend;
    struct run_row *w = &r->rrow[r->nrrow];
    while (at < rend && buf[at] == '\n')
        at++;
    r->rline += (long)(at - r->cur);
    r->cur = r->rstart = at;
    w->off = r->offset + (int64_t)(at - r->dpos);
    w->line = r->rline;
    w->first = (uint32_t)r->nrcell;
}

/*
 * A cell of a run.  A run holds no quote, so libcsv's cell is the bytes
 * of buf[] from cur up to the next comma or LF (nothing is trimmed: the
 * run has no blanks, or libcsv is told nothing is a space): it is not
 * copied, only located, and the delimiter after it, which libcsv has
 * already read, becomes its NUL.  Every cell is kept, as each takes a
 * byte of the run at least (a row's cells past maxcells are just not
 * looked at).
 */
static void run_cell(void *s, size_t n, void *data)
{
    struct rows *r = data;
    /* Locals: a store into buf[] may alias any field of *r. */
    unsigned char *buf = r->buf;
    size_t at = r->cur, k = r->nrcell;
    (void)s;
    if (PS_ALWAYS(at + n < r->rend && k < RUN_MAX)) {
        assert(buf[at + n] == ',' || buf[at + n] == '\n');
        r->roff[k] = (uint32_t)at;
        r->rlen[k] = (uint32_t)n;
        r->nrcell = k + 1;
        buf[at + n] = '\0';
    }
    r->cur = at + n + 1;
}

static void run_row(int c, void *data)
{
    struct rows *r = data;
    struct run_row *w = &r->rrow[r->nrrow++];
    (void)c;
    w->ncell = (uint32_t)r->nrcell - w->first;
    /* Its bytes: at least those of its cells with their NULs. */
    w->bytes = (uint32_t)(r->cur - r->rstart);
    r->rline++; /* the LF that ended it */
    run_row_start(r);
}

static int rows_init(struct rows *r, struct ps_stream *in,
                     const unsigned char *mem, size_t memlen, int mem_more)
{
    memset(r, 0, sizeof(*r));
    r->in = in;
    r->mem = mem;
    r->memlen = memlen;
    r->mem_more = mem_more;
    r->line = 1;
    r->ccap = in != NULL || memlen + PS_CSV_COLUMNS_MAX + 16 > CELLS_CAP
                  ? CELLS_CAP
                  : memlen + PS_CSV_COLUMNS_MAX + 16;
    r->maxcells = PS_CSV_COLUMNS_MAX;
    if ((r->cells = malloc(r->ccap)) == NULL)
        return PS_ENOMEM;
    /* Runs only in stream mode: they write into buf[]. */
    if (in != NULL && ((r->buf = malloc(BLOCK)) == NULL ||
                       (r->rrow = malloc((RUN_MAX / 2 + 1) * sizeof(*r->rrow))) ==
                           NULL ||
                       (r->roff = malloc(RUN_MAX * sizeof(*r->roff))) == NULL ||
                       (r->rlen = malloc(RUN_MAX * sizeof(*r->rlen))) == NULL))
        return PS_ENOMEM;
    if (csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return PS_ENOMEM;
    r->p_ok = 1;
    csv_set_space_func(&r->p, no_space);
    r->blank_mode = 1;
    csv_set_blk_size(&r->p, 4096);
    return 0;
}

static void rows_free(struct rows *r)
{
    if (r->p_ok)
        csv_free(&r->p);
    free(r->cells);
    free(r->buf);
    free(r->rrow);
    free(r->roff);
    free(r->rlen);
    r->p_ok = 0;
    r->cells = NULL;
    r->buf = NULL;
    r->rrow = NULL;
    r->roff = r->rlen = NULL;
}

/* More bytes into data[]: 1 (data[dpos..dlen) may still be empty after
 * a byte order mark), 0 at the end, negative on a stream error.  The
 * first call drops a UTF-8 byte order mark. */
static int fill(struct rows *r, struct ps_err *err)
{
    if (r->in == NULL) {
        if (r->started)
            return 0;
        r->data = r->mem;
        r->dlen = r->memlen;
    } else {
        size_t have = 0;
        /* At the start, read until a BOM can be told apart. */
        do {
            ssize_t n =
                r->in->read(r->in->ctx, r->buf + have, BLOCK - have, err);
            if (n < 0)
                return (int)n;
            if (n == 0)
                break;
            have += (size_t)n;
        } while (!r->started && have < 3);
        r->data = r->buf;
        r->dlen = have;
    }
    r->dpos = 0;
    if (r->dlen == 0)
        return 0;
    if (!r->started) {
        r->started = 1;
        if (r->dlen >= 3 && memcmp(r->data, "\xef\xbb\xbf", 3) == 0) {
            r->dpos = 3;
            r->offset = 3;
        }
    }
    /* 1 even when the BOM was all there was: the stream may go on. */
    return 1;
}

/*
 * One pass over the bytes s[0..n) of a line, eight at a time: are they
 * all printable ASCII (0x20..0x7e), and *blank: is there a space or a
 * tab?  `readable` (>= n) bytes may be read from s: with 8 to spare, the
 * last partial word is one load with the bytes past n masked off.
 */
static int line_scan(const unsigned char *s, size_t n, size_t readable,
                     int *blank)
{
    uint64_t bad = 0, sp = 0, w, a, b;
    size_t i = 0;
#define SCAN_WORD()                                                            \
    do {                                                                       \
        a = w ^ (ONES * ' ');                                                  \
        b = w ^ (ONES * '\t');                                                 \
        bad |= ((w - ONES * 0x20) & ~w) | (w + ONES) | w; /* <0x20, >=0x7f */  \
        sp |= ((a - ONES) & ~a) | ((b - ONES) & ~b);      /* ' ', '\t' */      \
    } while (0)
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        SCAN_WORD();
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (i < n && i + 8 <= readable) {
        /* Keep the n - i bytes before n (the low ones), make the others
         * 'A' (printable, not blank). */
        uint64_t keep = (UINT64_C(1) << (8 * (n - i))) - 1;
        memcpy(&w, s + i, 8);
        w = (w & keep) | (ONES * 'A' & ~keep);
        SCAN_WORD();
        i = n;
    }
#else
    (void)readable;
#endif
#undef SCAN_WORD
    int clean = (bad & ONES * 0x80) == 0, blanks = (sp & ONES * 0x80) != 0;
    for (; i < n; i++) {
        clean &= (unsigned)s[i] - 0x20u < 0x5fu;
        blanks |= s[i] == ' ' || s[i] == '\t';
    }
    *blank = blanks;
    return clean;
}

static int rows_fail(struct rows *r, struct ps_err *err, int code,
                     const char *rule, long line, int64_t off, const char *msg)
{
    ps_err_set(err, code, rule, "line %ld: %s", line, msg);
    ps_err_at(err, NULL, line, off);
    r->at_eof = 1;
    r->dpos = r->dlen; /* nothing more is read */
    return code;
}

/* ---- runs: many whole lines to libcsv at once ------------------------ */

/* Sixteen bytes at a time (GCC and Clang vector extensions: SSE2 on
 * x86-64, NEON on arm64, plain words elsewhere). */
typedef signed char bytes16 __attribute__((vector_size(16)));
typedef unsigned char ubytes16 __attribute__((vector_size(16)));

/* Printable ASCII but the quote, or LF. */
static int plain(unsigned char c)
{
    return (c >= 0x20 && c < 0x7f && c != '"') || c == '\n';
}

/*
 * A run is whole lines of plain bytes.  libcsv reads each such line as
 * one row (none when it is empty) whose cells are exactly the text
 * between its commas, so many lines can go to libcsv in one call and
 * their rows be handed out from buf[] afterwards.  Lines with a quote
 * (a cell may go on over lines), a CR (a line ending of its own), a tab,
 * another control character or a byte of UTF-8 (cells to scan) go a line
 * at a time instead.
 *
 * The length of the run at s[0..avail): up to and including the last LF
 * before the first byte that is not plain, at most RUN_MAX; 0 when there
 * is not one whole line.  *blanks: a space among the bytes looked at (a
 * few past the run too: that costs libcsv's space callback, nothing
 * else).
 */
static size_t run_scan(const unsigned char *s, size_t avail, int *blanks)
{
    size_t lim = avail < RUN_MAX ? avail : RUN_MAX, i = 0;
    bytes16 sp = {0};
    uint64_t h[2];
    int blank;
    /* 64 bytes a step, tested once: the byte loop below finds which byte
     * of a step is not plain. */
    for (; i + 64 <= lim; i += 64) {
        ubytes16 v[4];
        bytes16 bad = {0}, spc = {0};
        memcpy(v, s + i, 64);
        for (int k = 0; k < 4; k++) {
            /* 0x20..0x7e are the bytes whose successor is above 0x20 as a
             * signed byte (0x7f + 1 and UTF-8 bytes + 1 are negative). */
            bytes16 printable = (bytes16)(v[k] + 1) > 0x20;
            bad |= ~((printable ^ (v[k] == '"')) | (v[k] == '\n'));
            spc |= v[k] == ' ';
        }
        memcpy(h, &bad, 16);
        if ((h[0] | h[1]) != 0)
            break;
        sp |= spc;
    }
    memcpy(h, &sp, 16);
    blank = (h[0] | h[1]) != 0;
    for (; i < lim && plain(s[i]); i++)
        blank |= s[i] == ' ';
    const unsigned char *nl = memrchr(s, '\n', i);
    *blanks = blank;
    return nl != NULL ? (size_t)(nl - s) + 1 : 0;
}

/*
 * Parse the run of n bytes at buf[dpos] (run_scan()) into rrow[]: 0, or
 * negative with err.  Between records only (libcsv has no row open) and
 * not after a lone CR, whose LF would end no line.
 */
static int run_parse(struct rows *r, size_t n, int blanks, struct ps_err *err)
{
    r->nrrow = r->rnext = r->nrcell = 0;
    r->cur = r->dpos;
    r->rend = r->dpos + n;
    r->rline = r->line;
    r->rblank = blanks;
    run_row_start(r);
    if (blanks != r->blank_mode) {
        csv_set_space_func(&r->p, blanks ? no_space : NULL);
        r->blank_mode = blanks;
    }
    size_t used = csv_parse(&r->p, r->buf + r->dpos, n, run_cell, run_row, r);
    /* (A run ends with a row: no cell is left after the last one.) */
    if (used < n || PS_NEVER(r->nrcell != r->rrow[r->nrrow].first)) {
        r->at_eof = 1;
        r->nrrow = 0;
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    r->line = r->rline; /* the blank lines after the last row counted */
    r->dpos += n;
    r->offset += (int64_t)n;
    return 0;
}

/* Hand out the next row of the run. */
static int run_take(struct rows *r)
{
    const struct run_row *w = &r->rrow[r->rnext++];
    r->base = (char *)r->buf;
    r->off = r->roff + w->first;
    r->len = r->rlen + w->first;
    r->ncell = w->ncell;
    r->clen = w->bytes;
    r->clean = 1;
    r->blank = r->rblank;
    r->row_line = w->line;
    r->row_off = w->off;
    return 1;
}

/*
 * The next row (r->base, r->off, r->len, r->ncell): 1, 0 at the end of
 * the document (or of an incomplete peek), negative with err on a
 * document error.
 */
static int rows_next(struct rows *r, struct ps_err *err)
{
    if (r->rnext < r->nrrow)
        return run_take(r);
    r->done = 0;
    r->ncell = 0;
    r->clen = 0;
    r->base = r->cells;
    r->off = r->loff;
    r->len = r->llen;
    for (;;) {
        if (r->dpos == r->dlen) {
            if (r->at_eof)
                return 0;
            int rc = fill(r, err);
            if (rc < 0) {
                r->at_eof = 1;
                return rc;
            }
            if (rc > 0)
                continue;
            r->at_eof = 1;
            if (r->in == NULL && r->mem_more)
                return 0; /* the row goes on past the peek */
            if (csv_fini(&r->p, on_cell, on_row, r) != 0)
                return rows_fail(
                    r, err, PS_EINVAL, "CSV_UNTERMINATED_QUOTE", r->start_line,
                    r->start_off,
                    "a quoted cell is not closed before the end of the "
                    "file: the file may be truncated");
            return r->done;
        }
        const unsigned char *s = r->data + r->dpos;
        size_t avail = r->dlen - r->dpos;
        if (r->in != NULL && !r->open && !r->last_cr) {
            int blanks;
            size_t n = run_scan(s, avail, &blanks);
            if (n > 0) {
                int rc = run_parse(r, n, blanks, err);
                if (rc < 0)
                    return rc;
                if (r->nrrow > 0)
                    return run_take(r);
                continue; /* blank lines only */
            }
        }
        /* The next physical line: up to and including LF, CRLF or a lone
         * CR, or the rest of the block. */
        const unsigned char *nl = memchr(s, '\n', avail);
        size_t n = nl != NULL ? (size_t)(nl - s) + 1 : avail;
        size_t body =
            n - (nl != NULL) - (nl != NULL && n > 1 && s[n - 2] == '\r');
        int blanks, clean = line_scan(s, body, avail, &blanks);
        const unsigned char *cr;
        if (!clean && (cr = memchr(s, '\r', body)) != NULL) {
            n = (size_t)(cr - s) + 1; /* a lone CR ends a line too */
            clean = 0;
            blanks = 1; /* (the mode below is then always right) */
        }
        if (!r->open && s[0] != '\r' && s[0] != '\n') {
            r->open = 1;
            r->start_line = r->line;
            r->start_off = r->offset;
            r->raw = 0;
            r->segs = 0;
        }
        if (r->open) {
            if (r->raw + n > PS_CSV_RECORD_MAX) {
                char msg[96];
                snprintf(msg, sizeof(msg),
                         "a record longer than %d bytes (a missing closing "
                         "quote?)",
                         PS_CSV_RECORD_MAX);
                return rows_fail(r, err, PS_EINVAL, "RECORD_TOO_LONG",
                                 r->start_line, r->start_off, msg);
            }
            r->raw += n;
            /* A record of one line of printable ASCII (its line ending
             * aside) has cells that need no UTF-8 scan: one fast pass
             * over the line instead of one per cell. */
            r->clean = ++r->segs == 1 && clean;
            r->blank = r->segs > 1 || blanks;
        }
        /* libcsv trims spaces and tabs around unquoted cells unless told
         * that nothing is a space (RFC 4180 keeps them), which costs a
         * call per byte.  A line with neither reads the same both ways,
         * so only lines with blanks pay for the call. */
        if (blanks != r->blank_mode) {
            csv_set_space_func(&r->p, blanks ? no_space : NULL);
            r->blank_mode = blanks;
        }
        size_t used = csv_parse(&r->p, s, n, on_cell, on_row, r);
        r->entry_size = csv_get_buffer_size(&r->p);
        if (used < n) {
            if (csv_error(&r->p) == CSV_EPARSE)
                return rows_fail(
                    r, err, PS_EINVAL, "CSV_BAD_QUOTE", r->line,
                    r->offset + (int64_t)used,
                    "a quote inside an unquoted cell, or text after a "
                    "closing quote (RFC 4180: quote the whole cell and "
                    "double the quotes inside it)");
            r->at_eof = 1;
            return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        }
        r->dpos += n;
        r->offset += (int64_t)n;
        if (s[n - 1] == '\n') {
            if (!(n == 1 && r->last_cr))
                r->line++;
            r->last_cr = 0;
        } else if (s[n - 1] == '\r') {
            r->line++;
            r->last_cr = 1;
        } else {
            r->last_cr = 0;
        }
        if (r->done)
            return 1;
    }
}

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
    if (line_scan((const unsigned char *)s, n, n, &blank)) {
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
static int header_read(struct rows *r, struct header *h, struct ps_err *err)
{
    char q[PS_QUOTE_MAX * 4 + 4];
    int rc = rows_next(r, err);
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
    struct rows r;
    struct header h;
    struct ps_csv_match *m = NULL;
    struct ps_csv_layouts *set = ps_csv_layouts_acquire();
    int bid = 0, n = 0;
    if (out != NULL)
        *out = NULL;
    memset(&h, 0, sizeof(h));
    if (set != NULL && len > 0) {
        if (rows_init(&r, NULL, peek, len, len >= PS_FORMAT_PEEK) == 0 &&
            header_read(&r, &h, NULL) == 0 &&
            (m = malloc(sizeof(*m))) != NULL &&
            (n = ps_csv_choose(set, h.names, h.ncols, m)) > 0) {
            bid = bid_of(m);
            if (out != NULL)
                *out = m->layout; /* stays loaded: the registry holds it */
        }
        header_free(&h);
        rows_free(&r);
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
    struct rows r;
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
    rows_free(&st->r);
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
    if (rows_init(&st->r, in, NULL, 0, 0) != 0) {
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
    struct rows *r = &st->r;
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

static int empty_row(const struct rows *r)
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
        int rc = rows_next(&st->r, &st->fatal);
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
};
