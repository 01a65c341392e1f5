/*
 * rows.h -- CSV rows (private to formats/csv/): the bytes of a document
 * cut into rows of cells by libcsv, a line at a time or many plain lines
 * at once (a run), with each row's physical line and offset.  csv.c reads
 * its header and records from these rows; see the top of csv.c for the
 * design (runs, cells in place, the row buffer).
 */
#ifndef PS_CSV_ROWS_H
#define PS_CSV_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include <csv.h> /* libcsv */

#include "base/err.h"
#include "base/stream.h"
#include "formats/csv/limits.h"

#define BLOCK (256 * 1024) /* bytes read from the stream at a time */
/* Bytes of whole lines given to libcsv in one call (a run): each row of a
 * run takes at least 2 of them and each cell 1, which sizes the tables. */
#define RUN_MAX (8 * 1024)
/* Cell bytes of a record, a NUL each, and 8 of slack for word copies. */
#define CELLS_CAP (PS_CSV_RECORD_MAX + PS_CSV_COLUMNS_MAX + 16)

/* A row of a run (see run_scan()): where it is and which cells are its. */
struct ps_csv_run_row {
    int64_t off;    /* document offset of its first byte */
    long line;      /* its physical line */
    uint32_t first; /* its first cell in roff[]/rlen[] */
    uint32_t ncell; /* its cells */
    uint32_t bytes; /* its bytes: no fewer than its cells', a NUL each */
};

struct ps_csv_rows {
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
    /* RUN_MAX / 2 + 1 rows (one started past the last) */
    struct ps_csv_run_row *rrow;
    uint32_t *roff, *rlen; /* RUN_MAX each */
    size_t nrrow, rnext;   /* rows of the run, the next to hand out */
    size_t nrcell;         /* cells */
    size_t cur;            /* buf index where libcsv's next cell starts */
    size_t rstart;         /* buf index of the row being parsed */
    size_t rend;           /* buf index just past the run */
    long rline;            /* physical line at cur */
    int rblank;            /* a space may be in the run */
};

/*
 * Read from the stream `in` (blocks of BLOCK bytes; runs allowed), or,
 * when in is NULL, from mem[0..memlen) (mem_more: the document goes on
 * past it, as for a peek).  0, or PS_ENOMEM.  ps_csv_rows_free() always.
 */
int ps_csv_rows_init(struct ps_csv_rows *r, struct ps_stream *in,
                     const unsigned char *mem, size_t memlen, int mem_more);
void ps_csv_rows_free(struct ps_csv_rows *r);

/*
 * The next row into r->base/off/len/ncell (and row_line, row_off, clean,
 * blank): 1, 0 at the end of the document, or negative with err naming
 * the line and rule (a stray or unterminated quote, a record over
 * PS_CSV_RECORD_MAX bytes, a stream error).
 */
int ps_csv_rows_next(struct ps_csv_rows *r, struct ps_err *err);

/*
 * Are the bytes s[0..n) all printable ASCII (1, else 0), and *blank: is
 * there a space or a tab?  `readable` (>= n) bytes may be read from s.
 */
int ps_csv_rows_scan_line(const unsigned char *s, size_t n, size_t readable,
                          int *blank);

#endif /* PS_CSV_ROWS_H */
