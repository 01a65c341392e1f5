/*
 * csv.h -- the CSV reader's declared layouts (see README.md beside this
 * file for the format's reference).
 *
 * A layout is an INI file (`*.layout`) that names a record kind, its
 * canonical fields, the column names accepted for each (aliases), each
 * field's type and limits, and whether unknown columns are allowed.  A new
 * payroll vendor is a new layout file: no rebuild.  Layouts are loaded
 * once into a process-wide registry (layout.c); the reader (csv.c) picks
 * the layout whose columns best match a document's header row.
 *
 * The registry is not thread-safe: load it from the thread that reads
 * documents (payspool reads them from one thread).  A reader holds a
 * reference on the set of layouts it started with, so loading a new set
 * while a document is open is safe.
 */
#ifndef PS_CSV_H
#define PS_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "formats/csv/limits.h" /* PS_CSV_RECORD_MAX, PS_CSV_COLUMNS_MAX */
#include "formats/format.h"

#define PS_CSV_NAME_MAX 128     /* bytes of a column name in a layout */

/* Field types; README.md gives each one's rules. */
enum ps_csv_type {
    PS_CSV_TEXT,
    PS_CSV_DIGITS,
    PS_CSV_DATE,
    PS_CSV_ENUM,
    PS_CSV_MONEY,
    PS_CSV_CENTS,
    PS_CSV_EMAIL,
    PS_CSV_PHONE,
    PS_CSV_CURRENCY,
    PS_CSV_INTEGER,
    PS_CSV_COUNTRY
};

/* Date spellings a date field may declare with `format`. */
enum ps_csv_datefmt {
    PS_CSV_YMD_DASH,  /* YYYY-MM-DD (the default, and the canonical output) */
    PS_CSV_MDY_SLASH, /* MM/DD/YYYY */
    PS_CSV_DMY_SLASH, /* DD/MM/YYYY */
    PS_CSV_YMD_PLAIN  /* YYYYMMDD */
};

/* One accepted column name of a field. */
struct ps_csv_column {
    char *name; /* lower-case ASCII letters, trimmed; from malloc() */
    int cents;  /* 1: this column holds integer minor units (cents_columns) */
};

/* One accepted spelling of an enum value. */
struct ps_csv_enum {
    char *spelling;    /* upper-case ASCII letters; from malloc() */
    const char *value; /* the canonical value it stands for (a spelling) */
    char *target;      /* "SPELLING -> TARGET" as written; from malloc(),
                          NULL for a canonical value */
};

struct ps_csv_field {
    char *name; /* canonical field name; from malloc() */
    enum ps_csv_type type;
    int required;       /* an empty cell is FIELD_REQUIRED */
    int sensitive;      /* the value never appears in an error message */
    int multiline;      /* text: line breaks and tabs allowed */
    int negative;       /* money, cents, integer: negative values allowed */
    long long min, max; /* text: characters; digits: digit count;
                           integer: value */
    enum ps_csv_datefmt date_format;
    struct ps_csv_column *columns;
    size_t ncolumns;
    struct ps_csv_enum *values; /* enum: accepted spellings */
    size_t nvalues;
    int line;        /* its [field] section's first key, for errors */
    int values_line; /* where `values` was last given */
    int range_line;  /* where `min` or `max` was last given */
    unsigned set;    /* which keys were given (layout.c's bits) */
};

struct ps_csv_layout {
    char *name;        /* unique among loaded layouts */
    char *kind;        /* the record kind, e.g. "ewa.enroll" */
    char *description; /* one line, "" when none */
    char *path;        /* the layout file */
    int extras;        /* 1: unknown columns are allowed and not read */
    char currency[4];  /* default record currency, "" when none */
    char **ignore;     /* column names known and not read (lower-case) */
    size_t nignore;
    struct ps_csv_field fields[PS_RECORD_MAX_FIELDS];
    size_t nfields;
    int reference_field; /* field index of `reference`, -1 when none */
    int currency_field;  /* the field of type currency, -1 when none */
    int amount_field;    /* the field named "amount", -1 when none */
    int reference_line;  /* where `reference` was set, for errors */
    unsigned set;        /* which [layout] keys were given */
};

/*
 * Load every `*.layout` file of `dirs` (colon-separated folders, read in
 * order, files in name order within a folder) into the process-wide
 * registry, replacing what was there.  dirs NULL: $PAYSPOOL_LAYOUTS when
 * set and not empty, else PS_SOURCE_DIR "/formats/csv/layouts".  All or
 * nothing: on error the previous registry stays and err (PS_ECONFIG, rule
 * LAYOUT_*) names the file, line and key.  Two layouts with the same name
 * are an error naming both files.  PS_ENOMEM when out of memory.
 */
int ps_csv_layouts_load(const char *dirs, struct ps_err *err);

/*
 * Load the default layouts unless some were loaded (or tried) before; 0,
 * or the error of that first attempt (which is not retried).  The reader
 * calls this before bidding; a CLI calls it to report a bad layout file.
 */
int ps_csv_layouts_ensure(struct ps_err *err);

/* Drop the registry (a later bid loads the default again). */
void ps_csv_layouts_unload(void);

/* The loaded layouts, in load order (loads the default lazily).  The
 * pointer is borrowed until the next load or unload. */
size_t ps_csv_layouts_count(void);
const struct ps_csv_layout *ps_csv_layout_at(size_t i);
const struct ps_csv_layout *ps_csv_layout_find(const char *name);

/* ---- for the reader and its tests ------------------------------------ */

/* A set of layouts with a reference count. */
struct ps_csv_layouts;

/* The current set with one more reference (NULL when none), and its
 * release; release(NULL) does nothing. */
struct ps_csv_layouts *ps_csv_layouts_acquire(void);
void ps_csv_layouts_release(struct ps_csv_layouts *set);

/* How one layout matches one header row. */
struct ps_csv_match {
    const struct ps_csv_layout *layout;
    int candidate; /* every required field has a column */
    size_t ncols;  /* header columns */
    size_t matched, ignored, unknown;
    int field_of[PS_CSV_COLUMNS_MAX];    /* field index; -1 unknown, -2 ignored
                                            or a duplicate */
    int cents[PS_CSV_COLUMNS_MAX];       /* the column holds minor units */
    int column_of[PS_RECORD_MAX_FIELDS]; /* column index, -1 when absent */
    int first_unknown;                   /* column index, -1 when none */
    int dup_column; /* a second column for a field, -1 when none */
    int missing;    /* first required field without a column, or -1 */
};

/*
 * Match `names` (ncols header names, already trimmed and lower-cased) to
 * every layout of `set`; *best gets the winner (most matched columns, then
 * fewest unknown, then load order).  Returns the number of candidates; 0
 * leaves in *best the closest layout (most matched), with best->layout
 * NULL when the set is empty.
 */
int ps_csv_choose(const struct ps_csv_layouts *set, char *const *names,
                  size_t ncols, struct ps_csv_match *best);

/*
 * Detect a layout from the first bytes of a document (what bid() does):
 * the bid (0, or 60..90) and, when out is not NULL, the chosen layout and
 * the number of candidate layouts.  Uses the current registry.
 */
int ps_csv_detect(const unsigned char *peek, size_t len,
                  const struct ps_csv_layout **out, int *ncandidates);

/* "text", "digits", ... */
const char *ps_csv_type_name(enum ps_csv_type t);

#endif /* PS_CSV_H */
