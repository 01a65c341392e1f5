/*
 * pass.c -- one pass over the spool (pipeline.h's ps_pipeline_run_once):
 * resume what work/ holds, then claim and process the complete files of
 * every business's inbound/<business>/ and of the provider folders bound
 * to it (channel.h), each input through ps_pipeline_input() with its
 * source.  Out of pipeline.c, which processes one input, so each file
 * keeps one concern (and under the 1,200-line rule).
 *
 * How it fails: one input's engine failure is logged and the pass goes on
 * (the input stays in work/ and resumes next pass); the first such
 * failure is returned at the end.  A stop request ends the pass.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "intake/channel.h"
#include "intake/pipeline.h"

#define PATH_SIZE 4096

/* ---- one pass over the spool ---------------------------------------- */

struct pass {
    struct ps_pipeline *p;
    struct ps_business *b;
    int count;
    int failed; /* an engine failure: stop the pass */
    struct ps_err *err;
    const char *provider; /* scanning this provider's folder for b; NULL:
                           * b's own inbound */
};

/*
 * One input failed with an engine error: log it and go on with the others
 * (one bad input must never stop intake for everyone); it stays in work/
 * and is retried next pass.  Only a stop request ends the pass.
 */
static int input_failed(struct pass *x, const char *file, int rc,
                        struct ps_err *e)
{
    int interrupted = rc == PS_EBUSY && e->id == PS_CODE_INTERRUPTED;
    if (!interrupted)
        ps_log_err(PS_LOG_ERROR, "file.error", e, "{s:s, s:s}", "business",
                   x->b->name, "file", file);
    if (x->failed == 0 || interrupted) {
        x->failed = rc;
        *x->err = *e;
    }
    return interrupted;
}

static int resume_one(void *ctx, const char *path)
{
    struct pass *x = ctx;
    struct ps_err e;
    char from[PS_PROVIDER_NAME_MAX + 1];
    ps_err_clear(&e);
    x->p->resuming = 1;
    /* Claimed from a provider's folder before a crash: the same trust. */
    x->p->provider =
        ps_channel_source(x->p->cfg, x->b->name, path, from, sizeof(from));
    int rc = ps_pipeline_input(x->p, x->b, path, &e);
    x->p->resuming = 0;
    x->p->provider = NULL;
    if (rc == 0)
        ps_channel_forget(path);
    if (rc != 0)
        return input_failed(x, path, rc, &e);
    return 0;
}

static int take_one(void *ctx, const struct ps_spool_entry *e)
{
    struct pass *x = ctx;
    char path[PATH_SIZE], dir[PATH_SIZE];
    struct ps_err err;
    if (x->p->stop != NULL && *x->p->stop)
        return 1;
    ps_err_clear(&err);
    if (x->provider != NULL
            ? ps_channel_folder(dir, sizeof(dir), x->p->spool, x->provider,
                                x->b->name, &err) != 0
            : ps_pathf(dir, sizeof(dir), "%s/inbound/%s", x->p->spool,
                       x->b->name) != 0)
        return 0;
    if (strlen(e->name) > PS_INPUT_NAME_MAX) {
        /* Our own names (results, archive, work files) are built from it:
         * refuse it rather than fail on it at every pass. */
        char from[PATH_SIZE], out[PATH_SIZE];
        struct ps_err why;
        ps_err_clear(&why); /* no stack garbage in line or field */
        ps_err_set(&why, PS_EINVAL, "NAME_TOO_LONG",
                   "file names longer than %d bytes are refused",
                   PS_INPUT_NAME_MAX);
        ps_err_at(&why, e->name, 0, -1);
        if (ps_pathf(from, sizeof(from), "%s/%s", dir, e->name) != 0)
            return 0;
        if (ps_spool_quarantine(x->p->spool, x->b->name, from, &why, out,
                                sizeof(out), &err) != 0)
            return input_failed(x, e->name, err.code, &err);
        x->p->stats.failed_inputs++;
        ps_log_err(PS_LOG_WARN, "file.failed", &why, "{s:s, s:s}", "business",
                   x->b->name, "to", out);
        return 0;
    }
    if (x->p->want != NULL) {
        char in[PATH_SIZE];
        if (ps_pathf(in, sizeof(in), "%s/%s", dir, e->name) != 0)
            return 0;
        if (!x->p->want(x->p->want_ctx, in, e->name))
            return 0;
    }
    int rc = x->provider != NULL
                 ? ps_channel_claim(x->p->spool, x->provider, x->b->name,
                                    e->name, path, sizeof(path), &err)
                 : ps_spool_claim(x->p->spool, x->b->name, e->name, path,
                                  sizeof(path), &err);
    if (rc == PS_ENOTFOUND)
        return 0; /* another worker took it */
    if (rc == 0) {
        ps_crash_point("claimed");
        if (x->provider != NULL)
            ps_log(PS_LOG_INFO, "file.from_provider", "{s:s, s:s, s:s}",
                   "business", x->b->name, "provider", x->provider, "file",
                   e->name);
        x->p->provider = x->provider;
        rc = ps_pipeline_input(x->p, x->b, path, &err);
        x->p->provider = NULL;
        if (rc == 0)
            ps_channel_forget(path);
    }
    if (rc != 0)
        return input_failed(x, e->name, rc, &err);
    x->count++;
    return 0;
}

/* One provider folder of x->b (ps_channel_scan's callback). */
static int provider_scan(void *ctx, const char *provider, const char *dir,
                         struct ps_spool_watch *w, struct ps_err *err)
{
    struct pass *x = ctx;
    x->provider = provider;
    int rc = ps_spool_scan_dir(x->p->spool, x->b->name, dir, x->p->cfg, w,
                               ps_clock_now_ms(), take_one, x, err);
    x->provider = NULL;
    return x->p->stop != NULL && *x->p->stop && rc >= 0 ? 0 : rc;
}

void ps_pipeline_release(struct ps_pipeline *p)
{
    ps_channel_watches_free(p->pwatches);
    p->pwatches = NULL;
}

/* One business's inbound, then its provider folders (an input that
 * failed in the first does not stop the others, as in a folder). */
static int scan_business(struct pass *x, struct ps_spool_watch *watch,
                         struct ps_err *err)
{
    int n = ps_spool_scan(x->p->spool, x->b->name, x->p->cfg, watch,
                          ps_clock_now_ms(), take_one, x, err);
    int m = n >= 0 && !(x->p->stop != NULL && *x->p->stop)
                ? ps_channel_scan(x->p->spool, x->p->cfg, x->b->name,
                                  &x->p->pwatches, provider_scan, x, err)
                : 0;
    return n < 0 ? n : m < 0 ? m : n + m;
}

int ps_pipeline_run_once(struct ps_pipeline *p, struct ps_spool_watch *watch,
                         int wait_stable, struct ps_err *err)
{
    struct ps_businesses l;
    struct ps_err first_err;
    int rc = ps_business_all(p->eng, &l, err);
    int pending = 0, first_failure = 0;
    ps_err_clear(&first_err);
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        struct pass x = {p, &l.v[i], 0, 0, err, NULL};
        rc = ps_spool_leftovers(p->spool, l.v[i].name, resume_one, &x, err);
        int n = rc == 0 && !(p->stop != NULL && *p->stop)
                    ? scan_business(&x, watch, err)
                    : 0;
        if (n < 0)
            rc = n;
        else
            pending += n;
        if (x.failed != 0 && first_failure == 0) {
            first_failure = x.failed;
            first_err = *err;
        }
        if (rc != 0 || (p->stop != NULL && *p->stop))
            break;
    }
    if (rc == 0 && wait_stable && pending > 0 &&
        !(p->stop != NULL && *p->stop)) {
        /* cron mode: give files that may still be uploading one chance to
         * prove stable, then take what is complete. */
        sleep((unsigned)p->cfg->stable_seconds);
        for (size_t i = 0; rc == 0 && i < l.n; i++) {
            struct pass x = {p, &l.v[i], 0, 0, err, NULL};
            int n = scan_business(&x, watch, err);
            if (n < 0)
                rc = n;
            if (x.failed != 0 && first_failure == 0) {
                first_failure = x.failed;
                first_err = *err;
            }
        }
    }
    ps_businesses_free(&l);
    if (rc == 0 && first_failure != 0) {
        /* Everything else was processed; report the first failure. */
        *err = first_err;
        rc = first_failure;
    }
    return rc;
}
