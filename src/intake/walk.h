/*
 * walk.h -- one pass over an input's documents, in order (private to
 * src/intake/): each pass unwraps the input once, whatever the number of
 * documents (reopening it per document would cost time quadratic in the
 * members of an archive).  A walk reads the pass's private copy of the
 * input through its descriptor (snapshot.h), never the path.
 */
#ifndef PS_WALK_H
#define PS_WALK_H

#include "base/err.h"
#include "formats/archive/unwrap.h"

struct ps_walk {
    struct ps_unwrap *u;
    struct ps_doc doc;
    int at; /* index of the current document, -1 before the first */
};

int ps_walk_open(struct ps_walk *w, int fd, const char *name,
                 const struct ps_unwrap_limits *limits, struct ps_err *err);
/* Move to document `index` (never backwards); unread bytes are skipped. */
int ps_walk_to(struct ps_walk *w, int index, const char *name,
               struct ps_err *err);
void ps_walk_close(struct ps_walk *w);

#endif /* PS_WALK_H */
