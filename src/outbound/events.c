/*
 * events.c -- the event outbox's file.  See events.h.
 */
#include "outbound/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/fsutil.h"
#include "base/output.h"
#include "engine/linxapi.h"

struct batch {
    struct ps_output *o;
    int64_t *ids;
    size_t n, cap;
    int rc;
    struct ps_err *err;
};

static int one(void *ctx, int64_t id, const char *payload)
{
    struct batch *bt = ctx;
    if (bt->n == bt->cap) {
        size_t cap = bt->cap ? bt->cap * 2 : 256;
        int64_t *v = realloc(bt->ids, cap * sizeof(*v));
        if (v == NULL)
            return (bt->rc = ps_err_set(bt->err, PS_ENOMEM, "NO_MEMORY",
                                        "out of memory")) != 0;
        bt->ids = v;
        bt->cap = cap;
    }
    bt->ids[bt->n++] = id;
    bt->rc = ps_output_printf(bt->o, bt->err, "%s\n", payload);
    return bt->rc != 0;
}

int ps_events_write(struct ps_engine *eng, const char *spool,
                    const struct ps_business *b, int64_t now_ms, long *count,
                    char *path, size_t path_size, struct ps_err *err)
{
    char dir[1024], name[64], stamp[PS_TIME_SIZE];
    struct batch bt = {NULL, NULL, 0, 0, 0, err};
    int rc;
    *count = 0;
    if (ps_pathf(dir, sizeof(dir), "%s/outbound/%s/events", spool,
                 b->name) != 0)
        return ps_err_set(err, PS_ECONFIG, "PATH_TOO_LONG",
                          "the events folder's path is too long");
    if ((rc = ps_mkdir_p(dir, 0750, err)) != 0)
        return rc;
    ps_time_format(now_ms, stamp);
    snprintf(name, sizeof(name),
             "events-%.4s%.2s%.2sT%.2s%.2s%.2s%.3sZ.jsonl", stamp, stamp + 5,
             stamp + 8, stamp + 11, stamp + 14, stamp + 17, stamp + 20);
    if ((rc = ps_output_open(dir, name, 0640, &bt.o, err)) != 0)
        return rc;
    rc = ps_events_unwritten(eng, b, one, &bt, err);
    if (rc == 0)
        rc = bt.rc;
    if (rc != 0 || bt.n == 0) {
        ps_output_abort(bt.o);
        free(bt.ids);
        return rc;
    }
    if ((rc = ps_output_commit(bt.o, NULL, err)) == 0)
        rc = ps_events_written(eng, bt.ids, bt.n, err);
    if (rc == 0) {
        *count = (long)bt.n;
        if (path != NULL)
            snprintf(path, path_size, "%s/%s", dir, name);
    }
    free(bt.ids);
    return rc;
}
