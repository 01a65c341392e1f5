/*
 * unwrap.h -- peel wrappers off an input file: gzip (zlib), zip, tar and
 * tar.gz (libarchive), nested up to a fixed depth.  Each member is its own
 * document.  A plain file is one document, itself.
 *
 * Everything dangerous is refused with PS_EINVAL and a rule, and the caller
 * rejects the whole input (nothing applied):
 *   UNWRAP_ABSOLUTE_PATH  member name starting with '/'
 *   UNWRAP_DOTDOT         member name with a ".." component (zip slip)
 *   UNWRAP_LINK           symlink or hard link member
 *   UNWRAP_SPECIAL        device, FIFO, socket member
 *   UNWRAP_TOO_DEEP       archive nested deeper than limits.max_depth
 *   UNWRAP_TOO_MANY       more members than limits.max_members
 *   UNWRAP_TOO_LARGE      more decompressed bytes than limits.max_bytes
 *   UNWRAP_RATIO          decompressed / compressed above limits.max_ratio
 *                         (checked as bytes are produced, so a bomb stops
 *                         within the limit, never after)
 *   UNWRAP_CORRUPT        the container itself is damaged or truncated
 * Directories in archives are skipped silently.
 */
#ifndef PS_UNWRAP_H
#define PS_UNWRAP_H

#include <stdint.h>

#include "err.h"
#include "stream.h"

struct ps_unwrap_limits {
    int max_depth;     /* wrappers inside wrappers; default 3 */
    long max_members;  /* documents in one input; default 1000 */
    int64_t max_bytes; /* decompressed bytes of the whole input; 4 GiB */
    int64_t max_ratio; /* decompressed / compressed bytes; default 200 */
};

/* The defaults above. */
void ps_unwrap_limits_default(struct ps_unwrap_limits *l);

struct ps_unwrap;

struct ps_doc {
    const char *name;   /* "pay.zip!/nov/roster.csv"; the file name if plain */
    const char *member; /* path inside the outermost wrapper, NULL if plain */
    int index;          /* 0-based document number within the input */
    int depth;          /* 0 plain, 1 inside one wrapper, ... */
    struct ps_stream stream; /* valid until the next ps_unwrap_next() */
};

/*
 * Open the input file at `path` (O_RDONLY|O_NOFOLLOW; a non-regular file
 * is refused, rule NOT_REGULAR_FILE).  `name` is what documents are called
 * in messages (usually the file's base name).
 */
int ps_unwrap_open(const char *path, const char *name,
                   const struct ps_unwrap_limits *limits,
                   struct ps_unwrap **out, struct ps_err *err);

/*
 * The next document: 1 with *doc filled, 0 when there are no more, or a
 * negative PS_E* with err (file and field = member name) filled.  Unread
 * bytes of the previous document are skipped (and still counted against
 * the limits).
 */
int ps_unwrap_next(struct ps_unwrap *u, struct ps_doc *doc, struct ps_err *err);

void ps_unwrap_close(struct ps_unwrap *u);

/*
 * Walk the whole input once, reading every document to its end, and
 * return 0 when it is safe (all limits hold), with the number of
 * documents in *ndocs; the same errors as ps_unwrap_next() otherwise.
 */
int ps_unwrap_verify(const char *path, const char *name,
                     const struct ps_unwrap_limits *limits, int *ndocs,
                     struct ps_err *err);

#endif /* PS_UNWRAP_H */
