/*
 * unwrap.h -- peel wrappers off an input file: gzip (zlib), zip, tar and
 * tar.gz (libarchive), nested up to a fixed depth.  Each member is its own
 * document.  A plain file is one document, itself.
 *
 * Everything dangerous is refused with PS_EINVAL and a rule, and the caller
 * rejects the whole input (nothing applied):
 *   UNWRAP_ABSOLUTE_PATH  member name starting with '/' or '\\', or a
 *                         drive ("C:")
 *   UNWRAP_DOTDOT         member name with a ".." component (zip slip;
 *                         '\\' counts as a separator)
 *   UNWRAP_LINK           symlink or hard link member (tar at any level;
 *                         zip keeps its link bit only in the central
 *                         directory, which ps_unwrap_verify() reads for
 *                         the outermost zip; a link in a zip nested in
 *                         another archive arrives as a member holding the
 *                         target's name, never followed or extracted)
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

#include "base/err.h"
#include "base/stream.h"

/*
 * Limits on one input.  How they are counted:
 * - depth: the outermost wrapper is depth 1; a member that is itself a
 *   wrapper at depth > max_depth is refused (0 allows no wrapper at all).
 *   A tar inside a gzip (tar.gz, .tgz) is one wrapper, not two.
 * - members: every entry of every zip or tar at any level, directories and
 *   nested archives included (so header-only floods are bounded too).
 * - bytes: every byte any decoder produces (gzip output, archive member
 *   data), at every level, including bytes skipped unread; the bytes of a
 *   nested archive count once as its parent's output and again as what it
 *   decodes to.  Plain (undecoded) file bytes do not count.
 * - ratio: bytes as above divided by the input's size on disk, checked only
 *   once at least 1 MiB has been produced.
 * Every check runs as bytes are produced, and no read asks a decoder for
 * more than one byte past the limit, so a bomb stops at the limit.
 */
struct ps_unwrap_limits {
    int max_depth;     /* wrappers inside wrappers, 0..32; default 3 */
    long max_members;  /* archive entries in one input; default 1000 */
    int64_t max_bytes; /* decompressed bytes of the whole input; 4 GiB */
    int64_t max_ratio; /* decompressed / input file size, >= 1; 200 */
};

/* The defaults above. */
void ps_unwrap_limits_default(struct ps_unwrap_limits *l);

struct ps_unwrap;

/*
 * One document.  name and member are borrowed from the ps_unwrap and, like
 * the stream, valid until the next ps_unwrap_next() or ps_unwrap_close().
 * A plain gzip "x.csv.gz" holds one document "x.csv.gz!/x.csv" (".gz" or
 * ".gzip" stripped, ".tgz" -> ".tar"; "data" when there is no such suffix).
 */
struct ps_doc {
    const char *name;   /* "pay.zip!/nov/roster.csv"; the file name if plain */
    const char *member; /* "nov/roster.csv": name after the input's "!/";
                           NULL if plain */
    int index;          /* 0-based document number within the input */
    int depth;          /* 0 plain, 1 inside one wrapper, ... */
    struct ps_stream stream; /* valid until the next ps_unwrap_next() */
};

/*
 * Open the input file at `path` (O_RDONLY|O_NOFOLLOW; a symlink or any
 * other non-regular file is refused: PS_EINVAL, rule NOT_REGULAR_FILE).
 * `name` is what documents are called in names and messages (usually the
 * file's base name; NULL means `path`).  `limits` NULL means the defaults;
 * limits out of range are PS_ECONFIG, rule UNWRAP_LIMITS.  Nothing is read
 * yet.  On success *out is the caller's, to ps_unwrap_close().
 */
int ps_unwrap_open(const char *path, const char *name,
                   const struct ps_unwrap_limits *limits,
                   struct ps_unwrap **out, struct ps_err *err);
/*
 * The same on an open descriptor (duplicated; the caller keeps its own):
 * read with pread(2) from byte 0, never past the size it has now, so
 * several readers may share one descriptor, one after another or at once.
 * How the pipeline reads exactly the bytes it hashed (intake/snapshot.h).
 */
int ps_unwrap_open_fd(int fd, const char *name,
                      const struct ps_unwrap_limits *limits,
                      struct ps_unwrap **out, struct ps_err *err);

/*
 * The next document: 1 with *doc filled, 0 when there are no more, or a
 * negative PS_E* with err (file = the input's name, field = the member
 * path, e.g. "inner.zip!/x.csv", cut to PS_ERR_FIELD_MAX) filled.  Unread
 * bytes of the previous document are skipped (and still counted against
 * the limits).  Errors are sticky: once ps_unwrap_next() or a document's
 * read has failed, every later call returns the same error.
 *
 * Containers are checked as they are read, so a bad member deep in an
 * archive is found only when reached: callers that must reject the whole
 * input before applying anything run ps_unwrap_verify() first.
 */
int ps_unwrap_next(struct ps_unwrap *u, struct ps_doc *doc, struct ps_err *err);

/* Close the input and free everything; documents die with it.  NULL is a
 * no-op. */
void ps_unwrap_close(struct ps_unwrap *u);

/*
 * Walk the whole input once, reading every document to its end, and
 * return 0 when it is safe (all limits hold), with the number of
 * documents in *ndocs; the same errors as ps_unwrap_next() otherwise.
 */
int ps_unwrap_verify(const char *path, const char *name,
                     const struct ps_unwrap_limits *limits, int *ndocs,
                     struct ps_err *err);
/* The same on an open descriptor (see ps_unwrap_open_fd()). */
int ps_unwrap_verify_fd(int fd, const char *name,
                        const struct ps_unwrap_limits *limits, int *ndocs,
                        struct ps_err *err);

#endif /* PS_UNWRAP_H */
