/*
 * smsout.c -- the SMS outbox file.  See smsout.h.
 */
#include "outbound/smsout.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/fsutil.h"
#include "base/output.h"
#include "engine/linxapi.h"

struct batch {
    struct ps_output *o;
    struct ps_linx_sms *v; /* what was written, links wiped */
    size_t n, cap;
    int rc;
    struct ps_err *err;
};

static int one(void *ctx, const struct ps_linx_sms *m)
{
    struct batch *bt = ctx;
    json_t *o;
    char *line;
    if (bt->n == bt->cap) {
        size_t cap = bt->cap ? bt->cap * 2 : 64;
        struct ps_linx_sms *v = realloc(bt->v, cap * sizeof(*v));
        if (v == NULL)
            return (bt->rc = ps_err_set(bt->err, PS_ENOMEM, "NO_MEMORY",
                                        "out of memory")) != 0;
        bt->v = v;
        bt->cap = cap;
    }
    if (m->drop) {
        bt->v[bt->n] = *m;
        memset(bt->v[bt->n].link, 0, sizeof(bt->v[bt->n].link));
        bt->n++;
        return 0;
    }
    o = json_pack("{s:s, s:s, s:s?, s:s, s:s?}", "mobile", m->mobile, "text",
                  m->text, "link", m->link[0] != '\0' ? m->link : NULL,
                  "kind", m->kind, "ref", m->ref[0] != '\0' ? m->ref : NULL);
    line = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(o);
    if (line == NULL)
        return (bt->rc = ps_err_set(bt->err, PS_ENOMEM, "NO_MEMORY",
                                    "out of memory")) != 0;
    bt->rc = ps_output_printf(bt->o, bt->err, "%s\n", line);
    free(line);
    bt->v[bt->n] = *m;
    memset(bt->v[bt->n].link, 0, sizeof(bt->v[bt->n].link));
    bt->n++;
    return bt->rc != 0;
}

int ps_sms_write(struct ps_engine *eng, const char *spool,
                 const struct ps_business *b, int64_t now_ms, long *count,
                 char *path, size_t path_size, struct ps_err *err)
{
    char dir[1024], name[64], stamp[PS_TIME_SIZE];
    struct batch bt = {NULL, NULL, 0, 0, 0, err};
    int rc;
    *count = 0;
    if (ps_pathf(dir, sizeof(dir), "%s/outbound/%s/sms", spool, b->name) != 0)
        return ps_err_set(err, PS_ECONFIG, "PATH_TOO_LONG",
                          "the SMS folder's path is too long");
    if ((rc = ps_mkdir_p(dir, 0750, err)) != 0)
        return rc;
    ps_time_format(now_ms, stamp);
    /* 2026-12-07T06:20:00.123Z -> sms-20261207T062000123Z.jsonl */
    snprintf(name, sizeof(name), "sms-%.4s%.2s%.2sT%.2s%.2s%.2s%.3sZ.jsonl",
             stamp, stamp + 5, stamp + 8, stamp + 11, stamp + 14, stamp + 17,
             stamp + 20);
    if ((rc = ps_output_open(dir, name, 0640, &bt.o, err)) != 0)
        return rc;
    rc = ps_linx_sms_pending(eng, b, one, &bt, err);
    if (rc == 0)
        rc = bt.rc;
    if (rc == 0) {
        size_t lines = 0;
        for (size_t i = 0; i < bt.n; i++)
            lines += !bt.v[i].drop;
        if (lines == 0 && bt.n > 0) {
            /* Only dropped ones: mark them, write no file. */
            ps_output_abort(bt.o);
            rc = ps_linx_sms_written(eng, bt.v, bt.n, err);
            free(bt.v);
            return rc;
        }
        *count = (long)lines;
    }
    if (rc != 0 || bt.n == 0) {
        ps_output_abort(bt.o);
        free(bt.v);
        return rc;
    }
    if ((rc = ps_output_commit(bt.o, NULL, err)) == 0)
        rc = ps_linx_sms_written(eng, bt.v, bt.n, err);
    if (rc != 0)
        *count = 0;
    if (rc == 0) {
        if (path != NULL)
            snprintf(path, path_size, "%s/%s", dir, name);
    }
    free(bt.v);
    return rc;
}
