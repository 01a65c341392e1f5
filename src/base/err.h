/*
 * err.h -- the error value every fallible function fills in.
 *
 * A fallible function returns 0 or a negative PS_E* code and takes a
 * `struct ps_err *err` last (it may be NULL when the caller does not care).
 * The error is a fixed-size value: setting it never allocates, so it works
 * on the out-of-memory path too.  `return ps_err_set(err, ...)` is one line.
 *
 * `rule` is the stable machine-readable name of what was broken (it ends up
 * in result files as the error code, e.g. "MONEY_TOO_MANY_DECIMALS"); `msg`
 * is the human sentence.  Every rule is a row of the table of public error
 * codes (base/codes.h), and `id` is that row's enum: code branches on
 * `err->id == PS_CODE_...`, never on the text.  Location fields (file,
 * line, offset, field) are filled by whoever knows them, usually the layer
 * above the one that failed.
 */
#ifndef PS_ERR_H
#define PS_ERR_H

#include <stddef.h>
#include <stdint.h>

#include "base/codes.h"

enum ps_errcode {
    PS_OK = 0,
    PS_EINVAL = -1,    /* bad input data: a rule was broken */
    PS_ENOMEM = -2,    /* allocation failed */
    PS_EIO = -3,       /* I/O error; sys_errno says which */
    PS_ESTORE = -4,    /* SQLite error */
    PS_ENOTFOUND = -5, /* the thing named does not exist */
    PS_ECONFLICT = -6, /* already exists / duplicate */
    PS_ESTATE = -7,    /* not allowed in the current state */
    PS_EBUSY = -8,     /* someone else holds the lock; try later */
    PS_ECONFIG = -9,   /* configuration error */
    PS_ECRYPTO = -10,  /* key file or crypto failure */
    PS_EVERSION = -11, /* database from a newer payspool */
    PS_EINTERNAL = -12 /* an "impossible" condition was hit */
};

#define PS_ERR_RULE_MAX 48
#define PS_ERR_FILE_MAX 256
#define PS_ERR_FIELD_MAX 64
#define PS_ERR_MSG_MAX 320

struct ps_err {
    int code;                     /* PS_E*; 0 when no error */
    int sys_errno;                /* errno for PS_EIO, else 0 */
    char rule[PS_ERR_RULE_MAX];   /* stable rule name, e.g. "ABA_CHECK_DIGIT" */
    enum ps_code id;              /* the rule as a code (base/codes.h) */
    char file[PS_ERR_FILE_MAX];   /* input file name, "" when none */
    long line;                    /* 1-based line/record number, 0 = none */
    int64_t offset;               /* byte offset in the file, -1 = none */
    char field[PS_ERR_FIELD_MAX]; /* field or column name, "" when none */
    char msg[PS_ERR_MSG_MAX];     /* human-readable sentence */
};

/* Reset to "no error". */
void ps_err_clear(struct ps_err *err);

/*
 * Record an error and return `code` so callers can write
 * `return ps_err_set(err, PS_EINVAL, "RULE", "fmt", ...);`.
 * Location fields are left as they are.  err may be NULL.
 *
 * RULE must be a row of base/codes.h: `id` is set from it.  A rule missing
 * from the table is a programmer error: it asserts in a build without
 * NDEBUG (so the test suite proves the table complete for every rule it
 * reaches); a release build keeps the text and sets id PS_CODE_UNKNOWN.
 * A NULL rule stands for the code's short name ("ENOMEM", see
 * ps_err_codename()), which the table lists for the codes used so.
 */
int ps_err_set(struct ps_err *err, int code, const char *rule, const char *fmt,
               ...) __attribute__((format(printf, 4, 5)));

/* As ps_err_set() with rule IO_ERROR and also records errno (PS_EIO). */
int ps_err_sys(struct ps_err *err, int sys_errno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Location setters; each returns err->code so they chain into a return. */
int ps_err_at(struct ps_err *err, const char *file, long line, int64_t offset);
int ps_err_field(struct ps_err *err, const char *field);

/* Short name of a code: "EINVAL", ... */
const char *ps_err_codename(int code);

/*
 * Format the whole error on one line:
 * "FILE:LINE: field FIELD: MESSAGE [RULE]".  Returns buf.
 */
const char *ps_err_str(const struct ps_err *err, char *buf, size_t size);

/*
 * Render `len` bytes of untrusted input for an error message: at most
 * PS_QUOTE_MAX bytes, control bytes, quotes and non-ASCII as \xHH, "..."
 * when cut short.  buf should hold PS_QUOTE_MAX * 4 + 4 bytes.  Returns buf.
 */
#define PS_QUOTE_MAX 40
const char *ps_quote(const char *s, size_t len, char *buf, size_t size);

/*
 * Count the characters of `len` bytes of UTF-8 text, strictly per RFC
 * 3629 (no overlong forms, no surrogates, nothing above U+10FFFF), with no
 * control characters (C0, DEL or C1).  -1 when the text is not that.
 */
long ps_utf8_chars(const char *s, size_t len);

/* The bytes (1 to 4) of the one character that starts s, of at most
 * `left` bytes, by the same rules; 0 when s starts no such character. */
size_t ps_utf8_char(const char *s, size_t left);

/* The sysexits(3) exit status that matches an error code. */
int ps_err_exit_status(int code);

/* Copy an arbitrary string into a fixed buffer, always NUL-terminated,
 * truncating before a UTF-8 character the end would cut.  Returns dst. */
char *ps_strlcpy(char *dst, const char *src, size_t size);

/*
 * ALWAYS()/NEVER() mark conditions believed impossible (SQLite style).  In
 * debug builds they assert; in release builds they evaluate to the
 * condition so the defensive branch still runs.
 */
#ifdef NDEBUG
#define PS_ALWAYS(x) (x)
#define PS_NEVER(x) (x)
#else
#include <assert.h>
#define PS_ALWAYS(x) ((x) ? 1 : (assert(0), 0))
#define PS_NEVER(x) ((x) ? (assert(0), 1) : 0)
#endif

#endif /* PS_ERR_H */
