/*
 * outfile.c -- outbound payment files recorded before they are written
 * (see outfile.h).
 */
#include "outbound/outfile.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base/fsutil.h"
#include "base/output.h"
#include "base/sha256.h"

int ps_wbuf_add(struct ps_wbuf *b, const char *s, size_t n, struct ps_err *err)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = malloc(cap);
        if (p == NULL)
            return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        if (b->p != NULL) {
            memcpy(p, b->p, b->len);
            sodium_memzero(b->p, b->cap); /* it may hold account numbers */
            free(b->p);
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

void ps_wbuf_free(struct ps_wbuf *b)
{
    if (b->p != NULL) {
        sodium_memzero(b->p, b->cap);
        free(b->p);
    }
    memset(b, 0, sizeof(*b));
}

void ps_wbuf_sha256(const struct ps_wbuf *b, char sha[65])
{
    unsigned char digest[PS_SHA256_BYTES];
    ps_sha256(digest, (const unsigned char *)(b->p ? b->p : ""),
                       b->len);
    sodium_bin2hex(sha, 65, digest, sizeof(digest));
}

static int split_path(const char *spool, const char *rel, char *dir,
                      size_t dsize, const char **name, struct ps_err *err)
{
    const char *slash = strrchr(rel, '/');
    if (slash == NULL ||
        ps_pathf(dir, dsize, "%s/%.*s", spool, (int)(slash - rel), rel) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG",
                          "outbound path too long: %s", rel);
    *name = slash + 1;
    return 0;
}

int ps_outfile_publish(const char *spool, const char *rel, const char *p,
                       size_t len, const char *sha, struct ps_err *err)
{
    char dir[PS_PATH_SIZE], got[PS_SHA256_HEX], side[PS_PATH_SIZE + 16];
    const char *name = NULL;
    struct ps_output *o = NULL;
    struct stat st;
    int rc;

    if ((rc = split_path(spool, rel, dir, sizeof(dir), &name, err)) != 0 ||
        (rc = ps_mkdir_p(dir, 0750, err)) != 0)
        return rc;
    /* Sidecars of a file that is not there (removed by hand, or a crash
     * the output layer does not produce) would block the rewrite: they
     * describe nothing, so they go. */
    if (ps_pathf(side, sizeof(side), "%s/%s", dir, name) == 0 &&
        lstat(side, &st) != 0 && errno == ENOENT) {
        ps_pathf(side, sizeof(side), "%s/%s.sha256", dir, name);
        unlink(side);
        ps_pathf(side, sizeof(side), "%s/%s.done", dir, name);
        unlink(side);
    }
    rc = ps_output_open(dir, name, 0600, &o, err);
    if (rc == PS_ECONFLICT) {
        /* Published before a crash, without (all) its sidecars. */
        if ((rc = ps_output_complete(dir, name, got, err)) != 0)
            return rc;
    } else if (rc != 0) {
        return rc;
    } else if ((rc = ps_output_write(o, p, len, err)) != 0) {
        ps_output_abort(o);
        return rc;
    } else if ((rc = ps_output_commit(o, got, err)) != 0) {
        return rc;
    }
    if (strcmp(got, sha) != 0)
        return ps_err_set(err, PS_EINTERNAL, "OUTFILE_REGENERATE_MISMATCH",
                          "outbound file %s has sha256 %s, recorded %s", rel,
                          got, sha);
    return 0;
}

static int done_exists(const char *spool, const char *rel)
{
    char path[PS_PATH_SIZE + 16];
    struct stat st;
    if (ps_pathf(path, sizeof(path), "%s/%s.done", spool, rel) != 0)
        return 0;
    return stat(path, &st) == 0;
}

struct outs {
    struct ps_output_row *v;
    size_t n, cap;
    const char *spool;
    int oom;
};

static int collect_unfinished(void *ctx, const struct ps_output_row *o)
{
    struct outs *x = ctx;
    if (done_exists(x->spool, o->path))
        return 0;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 8;
        void *p = realloc(x->v, cap * sizeof(*x->v));
        if (p == NULL) {
            x->oom = 1;
            return 1;
        }
        x->v = p;
        x->cap = cap;
    }
    x->v[x->n++] = *o;
    return 0;
}

int ps_outfile_unfinished(struct ps_store *store, const char *business_id,
                          const char *kind, const char *spool,
                          struct ps_output_row **v, size_t *n,
                          struct ps_err *err)
{
    struct outs x = {NULL, 0, 0, spool, 0};
    int rc = ps_store_output_list(store, business_id, kind,
                                  collect_unfinished, &x, err);
    if (rc == 0 && x.oom)
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if (rc != 0) {
        free(x.v);
        return rc;
    }
    *v = x.v;
    *n = x.n;
    return 0;
}

int ps_txn_vec_collect(void *ctx, const struct ps_txn *t)
{
    struct ps_txn_vec *x = ctx;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 64;
        void *p = realloc(x->v, cap * sizeof(*x->v));
        if (p == NULL) {
            x->oom = 1;
            return 1;
        }
        x->v = p;
        x->cap = cap;
    }
    x->v[x->n++] = *t;
    return 0;
}

int ps_item_vec_push(struct ps_item_vec *it, const struct ps_output_item_row *r)
{
    if (it->n == it->cap) {
        size_t cap = it->cap ? it->cap * 2 : 64;
        void *p = realloc(it->v, cap * sizeof(*it->v));
        if (p == NULL) {
            it->oom = 1;
            return -1;
        }
        it->v = p;
        it->cap = cap;
    }
    it->v[it->n++] = *r;
    return 0;
}

int ps_item_vec_collect(void *ctx, const struct ps_output_item_row *r)
{
    return ps_item_vec_push(ctx, r) != 0 ? 1 : 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void ps_outfile_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int ps_outfile_list_done(const char *dir, const char *prefix,
                         const char *suffix, char ***names, size_t *n,
                         struct ps_err *err)
{
    char done[PS_PATH_SIZE];
    char **v = NULL;
    size_t k = 0, cap = 0, plen = strlen(prefix), slen = strlen(suffix);
    struct dirent *d;
    struct stat sb;
    DIR *dh;
    int rc = 0;

    *names = NULL;
    *n = 0;
    if ((dh = opendir(dir)) == NULL)
        return errno == ENOENT ? 0 : ps_err_sys(err, errno, "cannot read %s",
                                                dir);
    while ((d = readdir(dh)) != NULL) {
        size_t len = strlen(d->d_name);
        if (d->d_name[0] == '.' || len < plen + slen ||
            strncmp(d->d_name, prefix, plen) != 0 ||
            strcmp(d->d_name + len - slen, suffix) != 0)
            continue;
        if (ps_pathf(done, sizeof(done), "%s/%s.done", dir, d->d_name) != 0 ||
            stat(done, &sb) != 0)
            continue; /* not complete */
        if (k == cap) {
            size_t c2 = cap ? cap * 2 : 16;
            void *q = realloc(v, c2 * sizeof(*v));
            if (q == NULL) {
                rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
                break;
            }
            v = q;
            cap = c2;
        }
        if ((v[k] = strdup(d->d_name)) == NULL) {
            rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
            break;
        }
        k++;
    }
    closedir(dh);
    if (rc != 0) {
        ps_outfile_names_free(v, k);
        return rc;
    }
    if (k > 0)
        qsort(v, k, sizeof(*v), name_cmp);
    *names = v;
    *n = k;
    return 0;
}
