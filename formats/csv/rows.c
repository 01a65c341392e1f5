/*
 * rows.c -- CSV rows (rows.h): libcsv fed a physical line at a time, or a
 * run of whole plain lines in one call, cells NUL-terminated in place.
 *
 * How it fails: a stray quote, an unterminated quote at the end, a record
 * over PS_CSV_RECORD_MAX bytes or too many columns is a negative return
 * naming the line and rule, after which nothing more is read; a stream
 * error passes through.
 */
#include "formats/csv/rows.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define ONES UINT64_C(0x0101010101010101)

/* ---- rows: libcsv fed line by line ---------------------------------- */


/* RFC 4180: spaces belong to the field (libcsv trims them by default). */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void on_cell(void *s, size_t n, void *data)
{
    struct ps_csv_rows *r = data;
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
    struct ps_csv_rows *r = data;
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
static void run_row_start(struct ps_csv_rows *r)
{
    const unsigned char *buf = r->buf;
    size_t at = r->cur, rend = r->rend;
    struct ps_csv_run_row *w = &r->rrow[r->nrrow];
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
    struct ps_csv_rows *r = data;
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
    struct ps_csv_rows *r = data;
    struct ps_csv_run_row *w = &r->rrow[r->nrrow++];
    (void)c;
    w->ncell = (uint32_t)r->nrcell - w->first;
    /* Its bytes: at least those of its cells with their NULs. */
    w->bytes = (uint32_t)(r->cur - r->rstart);
    r->rline++; /* the LF that ended it */
    run_row_start(r);
}

int ps_csv_rows_init(struct ps_csv_rows *r, struct ps_stream *in,
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

void ps_csv_rows_free(struct ps_csv_rows *r)
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
static int fill(struct ps_csv_rows *r, struct ps_err *err)
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
int ps_csv_rows_scan_line(const unsigned char *s, size_t n, size_t readable,
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

static int rows_fail(struct ps_csv_rows *r, struct ps_err *err, int code,
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
static int run_parse(struct ps_csv_rows *r, size_t n, int blanks,
                     struct ps_err *err)
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
static int run_take(struct ps_csv_rows *r)
{
    const struct ps_csv_run_row *w = &r->rrow[r->rnext++];
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
int ps_csv_rows_next(struct ps_csv_rows *r, struct ps_err *err)
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
        int blanks, clean = ps_csv_rows_scan_line(s, body, avail, &blanks);
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
