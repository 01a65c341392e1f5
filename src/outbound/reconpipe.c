/*
 * reconpipe.c -- an output written by a second thread (reconpipe.h): two
 * blocks of PIPE_BLOCK bytes; the caller fills one while the thread hands
 * the other to ps_output_write().  A block holds items, each a header
 * (kind, length) and its bytes: kind BYTES goes to the output as it is,
 * kind RECORD to the pipe's record callback, which formats it and writes
 * the output itself (on the thread).  The camt.053 of a day of 2,000,000
 * disbursements is 800 MB: its SHA-256 and write calls were a third of
 * the reconciliation step, all on the one thread that also reads the
 * entries and formats them.
 *
 * How it fails: the thread's ps_output_write() error is kept and returned
 * by the next write and by close (the caller stops there); no memory for
 * the blocks, or no thread: PS_ENOMEM / PS_EINTERNAL from open.
 */
#include "outbound/reconpipe.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PIPE_BLOCK (1u << 20)

enum { ITEM_BYTES, ITEM_RECORD };
struct item {
    uint32_t kind, len;
};
/* The most bytes one item carries. */
#define ITEM_MAX (PIPE_BLOCK - sizeof(struct item))

struct ps_recon_pipe {
    struct ps_output *o;
    ps_recon_pipe_rec rec;
    void *rec_ctx;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *buf[2];
    size_t len[2];
    int full[2]; /* handed to the thread, not yet written */
    int cur;     /* the block the caller fills */
    int done;    /* no more blocks: the thread ends when both are written */
    int rc;      /* the thread's first error, its text in terr */
    struct ps_err terr;
};

/* The items of one block, in order. */
static int block_write(struct ps_recon_pipe *p, const char *b, size_t len)
{
    size_t at = 0;
    int rc = 0;
    while (rc == 0 && at < len) {
        struct item h;
        memcpy(&h, b + at, sizeof(h));
        at += sizeof(h);
        rc = h.kind == ITEM_BYTES
                 ? ps_output_write(p->o, b + at, h.len, &p->terr)
                 : p->rec(p->rec_ctx, p->o, b + at, h.len, &p->terr);
        at += h.len;
    }
    return rc;
}

static void *pipe_main(void *arg)
{
    struct ps_recon_pipe *p = arg;
    int j = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->full[j] && !p->done)
            pthread_cond_wait(&p->cv, &p->mu);
        if (!p->full[j])
            break; /* done, and nothing left */
        int failed = p->rc != 0;
        pthread_mutex_unlock(&p->mu);
        int rc = failed ? 0 : block_write(p, p->buf[j], p->len[j]);
        pthread_mutex_lock(&p->mu);
        if (rc != 0)
            p->rc = rc;
        p->full[j] = 0;
        pthread_cond_broadcast(&p->cv);
        j ^= 1;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int ps_recon_pipe_open(struct ps_output *o, ps_recon_pipe_rec rec,
                       void *rec_ctx, struct ps_recon_pipe **pp,
                       struct ps_err *err)
{
    struct ps_recon_pipe *p = calloc(1, sizeof(*p)); /* freed by close */
    *pp = NULL;
    if (p == NULL || (p->buf[0] = malloc(PIPE_BLOCK)) == NULL ||
        (p->buf[1] = malloc(PIPE_BLOCK)) == NULL) {
        if (p != NULL)
            free(p->buf[0]);
        free(p);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY",
                          "no memory for the output's blocks");
    }
    p->o = o;
    p->rec = rec;
    p->rec_ctx = rec_ctx;
    ps_err_clear(&p->terr);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (pthread_create(&p->thread, NULL, pipe_main, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        free(p->buf[0]);
        free(p->buf[1]);
        free(p);
        return ps_err_set(err, PS_EINTERNAL, NULL,
                          "cannot start the output's writer thread");
    }
    *pp = p;
    return 0;
}

/* Hand the current block to the thread and wait for the other to be
 * free; the thread's error, if any. */
static int hand_over(struct ps_recon_pipe *p, struct ps_err *err)
{
    int rc;
    pthread_mutex_lock(&p->mu);
    p->full[p->cur] = 1;
    pthread_cond_broadcast(&p->cv);
    p->cur ^= 1;
    while (p->full[p->cur])
        pthread_cond_wait(&p->cv, &p->mu);
    p->len[p->cur] = 0;
    rc = p->rc;
    if (rc != 0 && err != NULL)
        *err = p->terr;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* Room for an item of n bytes in the current block (handing it over
 * when full), and its header written. */
static int item_start(struct ps_recon_pipe *p, uint32_t kind, size_t n,
                      struct ps_err *err)
{
    int rc;
    if (p->len[p->cur] + sizeof(struct item) + n > PIPE_BLOCK &&
        (rc = hand_over(p, err)) != 0)
        return rc;
    struct item h = {kind, (uint32_t)n};
    memcpy(p->buf[p->cur] + p->len[p->cur], &h, sizeof(h));
    p->len[p->cur] += sizeof(h);
    return 0;
}

int ps_recon_pipe_write(void *ctx, const char *buf, size_t n,
                        struct ps_err *err)
{
    struct ps_recon_pipe *p = ctx;
    while (n > 0) {
        size_t room = PIPE_BLOCK - p->len[p->cur];
        size_t k = room > sizeof(struct item) ? room - sizeof(struct item) : 0;
        int rc;
        if (k > n)
            k = n;
        if (k == 0 || (k < n && k < 4096)) /* a new block for a long one */
            k = n < ITEM_MAX ? n : ITEM_MAX;
        if ((rc = item_start(p, ITEM_BYTES, k, err)) != 0)
            return rc;
        memcpy(p->buf[p->cur] + p->len[p->cur], buf, k);
        p->len[p->cur] += k;
        buf += k;
        n -= k;
    }
    return 0;
}

int ps_recon_pipe_record(struct ps_recon_pipe *p, const void *rec, size_t n,
                         struct ps_err *err)
{
    int rc;
    if (PS_NEVER(n > ITEM_MAX || p->rec == NULL))
        return ps_err_set(err, PS_EINTERNAL, NULL,
                          "a record of %zu bytes for the output's thread", n);
    if ((rc = item_start(p, ITEM_RECORD, n, err)) != 0)
        return rc;
    memcpy(p->buf[p->cur] + p->len[p->cur], rec, n);
    p->len[p->cur] += n;
    return 0;
}

int ps_recon_pipe_close(struct ps_recon_pipe *p, struct ps_err *err)
{
    int rc;
    if (p == NULL)
        return 0;
    pthread_mutex_lock(&p->mu);
    if (p->len[p->cur] > 0)
        p->full[p->cur] = 1;
    p->done = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    rc = p->rc;
    if (rc != 0 && err != NULL)
        *err = p->terr;
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->buf[0]);
    free(p->buf[1]);
    free(p);
    return rc;
}
