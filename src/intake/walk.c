/*
 * walk.c -- one pass over an input's documents (walk.h).
 */
#include "intake/walk.h"

#include <string.h>

int ps_walk_open(struct ps_walk *w, int fd, const char *name,
                 const struct ps_unwrap_limits *limits, struct ps_err *err)
{
    memset(w, 0, sizeof(*w));
    w->at = -1;
    return ps_unwrap_open_fd(fd, name, limits, &w->u, err);
}

int ps_walk_to(struct ps_walk *w, int index, const char *name,
               struct ps_err *err)
{
    while (w->at < index) {
        int rc = ps_unwrap_next(w->u, &w->doc, err);
        if (rc == 0)
            rc = ps_err_set(err, PS_EINTERNAL, "DOCUMENT_MISSING",
                            "document %d of %s has gone", index, name);
        if (rc < 0)
            return rc;
        w->at = w->doc.index;
    }
    return 0;
}

void ps_walk_close(struct ps_walk *w)
{
    ps_unwrap_close(w->u);
    w->u = NULL;
}
