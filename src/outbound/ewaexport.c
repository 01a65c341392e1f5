/*
 * ewaexport.c -- the EWA profile export (ewaexport.h): one read snapshot
 * of the store, each profile's object built by the engine
 * (ps_ewa_object), written as one JSON line through output.c.
 *
 * How it fails: the engine's and the store's errors pass through; an
 * output error aborts the temporary file, so no partial export is ever
 * visible under its final name.
 */
#include "outbound/ewaexport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/clock.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/progress.h"
#include "base/output.h"
#include "engine/ewa.h"
#include "store/store.h"

struct export_ctx {
    struct ps_engine *eng;
    /* The profiles' ids in the scan's order, and how many a batch of
     * pages holds (store.h, ps_store_profile_pages_load()). */
    char (*ids)[PS_ID_SIZE];
    const char **idp;
    size_t nids, idcap, batch;
    const struct ps_business *b;
    struct ps_output *o;
    int page_size;
    long count;
    struct ps_progress *pg; /* profiles written; their number not known */
    struct ps_program prog; /* the last profile's program (id "" none) */
    int rc;
    struct ps_err *err;
};

/* The first pass: each profile's id, in the scan's order. */
static int collect_id(void *vctx, const struct ps_profile *p)
{
    struct export_ctx *x = vctx;
    if (x->nids == x->idcap) {
        size_t cap = x->idcap != 0 ? x->idcap * 2 : 1024;
        char(*n)[PS_ID_SIZE] = realloc(x->ids, cap * sizeof(*n));
        if (n == NULL) {
            x->rc = ps_err_set(x->err, PS_ENOMEM, "NO_MEMORY",
                               "out of memory");
            return 1;
        }
        x->ids = n;
        x->idcap = cap;
    }
    ps_strlcpy(x->ids[x->nids++], p->id, PS_ID_SIZE);
    return 0;
}

/* The pages of the batch profile number x->count begins, from one walk
 * of the transactions; a profile not in it (none should be) is read by
 * its chain. */
static int load_batch(struct export_ctx *x)
{
    size_t from = (size_t)x->count;
    size_t n = from < x->nids ? x->nids - from : 0;
    if (n > x->batch)
        n = x->batch;
    for (size_t i = 0; i < n; i++)
        x->idp[i] = x->ids[from + i];
    return ps_store_profile_pages_load(x->eng->store, x->idp, n,
                                       x->page_size, x->err);
}

static int export_one(void *vctx, const struct ps_profile *p)
{
    struct export_ctx *x = vctx;
    json_t *obj = NULL;
    char *line;
    if (x->batch > 0 && (size_t)x->count % x->batch == 0 &&
        (x->rc = load_batch(x)) != 0)
        return 1;
    /* The scan's row is the profile: no lookup by external id; its
     * program is read once per program, not once per profile. */
    if (strcmp(x->prog.id, p->program_id) != 0 &&
        (x->rc = ps_store_program_get(x->eng->store, NULL, p->program_id,
                                      &x->prog, x->err)) != 0)
        return 1;
    x->rc = ps_ewa_object_of(x->eng, p, &x->prog, 0, x->page_size, &obj,
                             x->err);
    if (x->rc != 0)
        return 1;
    line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    if (line == NULL) {
        x->rc = ps_err_set(x->err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        return 1;
    }
    /* The line as it is (no printf of a few KiB), then its newline. */
    x->rc = ps_output_write(x->o, line, strlen(line), x->err);
    if (x->rc == 0)
        x->rc = ps_output_write(x->o, "\n", 1, x->err);
    free(line);
    if (x->rc != 0)
        return 1;
    x->count++;
    ps_progress_step(x->pg, 1);
    return 0;
}

int ps_ewaexport_write(struct ps_engine *eng, const char *spool,
                       const struct ps_business *b, int page_size, char *path,
                       size_t size, long *count, struct ps_err *err)
{
    char dir[PS_PATH_SIZE], name[PS_OUTPUT_NAME_MAX + 1], day[PS_DATE_SIZE];
    char ymd[9], what[PS_NAME_SIZE + 8];
    struct ps_progress pg;
    struct export_ctx x = {.eng = eng, .b = b, .page_size = page_size,
                           .pg = &pg, .err = err};
    int rc, seq;

    if (page_size < 1 || page_size > 1000)
        return ps_err_set(err, PS_EINVAL, "PAGE_RANGE",
                          "page size must be 1 to 1000");
    snprintf(dir, sizeof(dir), "%s/outbound/%s/exports", spool, b->name);
    /* The writer makes the folder it writes to, as outfile.c and recon.c
     * do (the spool tree itself is intake's, spool.c). */
    if ((rc = ps_mkdir_p(dir, 0750, err)) != 0)
        return rc;
    ps_date_today(day);
    snprintf(ymd, sizeof(ymd), "%.4s%.2s%.2s", day, day + 5, day + 8);
    for (seq = 1; seq <= 999; seq++) {
        snprintf(name, sizeof(name), "ewa-profiles-%s-%s-%03d.jsonl", b->name,
                 ymd, seq);
        rc = ps_output_open(dir, name, 0640, &x.o, err);
        if (rc != PS_ECONFLICT)
            break;
    }
    if (rc != 0)
        return seq > 999 ? ps_err_set(err, PS_ECONFLICT, "TOO_MANY_EXPORTS",
                                      "999 exports of %s today already",
                                      b->name)
                         : rc;
    /* One snapshot for the whole file. */
    if ((rc = ps_store_begin_read(eng->store, err)) != 0) {
        ps_output_abort(x.o);
        return rc;
    }
    snprintf(what, sizeof(what), "export %s", b->name);
    ps_progress_begin(&pg, "ewa.export_progress", what, "profiles", 0);
    /* The profiles' ids first, then their pages a batch at a time. */
    rc = ps_store_profile_scan(eng->store, b->id, collect_id, &x, err);
    if (rc == 0 && (rc = x.rc) == 0 &&
        (rc = ps_store_profile_pages_batch(eng->store, x.nids, &x.batch,
                                           err)) == 0 &&
        (x.idp = calloc(x.batch + 1, sizeof(*x.idp))) == NULL)
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if (rc == 0)
        rc = ps_store_profile_scan(eng->store, b->id, export_one, &x, err);
    ps_store_profile_pages_drop(eng->store);
    free(x.ids);
    free(x.idp);
    ps_progress_end(&pg);
    if (rc == 0)
        rc = x.rc;
    ps_store_rollback(eng->store); /* only read */
    if (rc == 0)
        rc = ps_output_commit(x.o, NULL, err);
    else
        ps_output_abort(x.o);
    if (rc != 0)
        return rc;
    snprintf(path, size, "%s/%s", dir, name);
    *count = x.count;
    ps_log(PS_LOG_INFO, "ewa.exported", "{s:s, s:s, s:I}", "business",
           b->name, "path", path, "profiles", (json_int_t)x.count);
    return 0;
}
